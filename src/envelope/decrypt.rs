//! The incremental decryptor.
//!
//! ```text
//! let mut dec = Decryptor::new(options);
//! let used = dec.update(chunk, &mut out)?;   // stops right after the header
//! if dec.needs_data_key() {
//!     let header = dec.header().unwrap();    // unauthenticated until set_data_key
//!     dec.set_data_key(&keyring_unwrap(header))?;  // commitment, then header tag
//!     dec.update(&chunk[used..], &mut out)?; // verified regular frames
//! }
//! dec.finish(&mut out)?;                     // final frame, footer, no trailing bytes
//! ```
//!
//! Guarantees: every field is length-checked (no panics on any input);
//! memory is the header (bounded by `max_header_length`) plus one frame
//! (bounded by `max_frame_length`); a frame's plaintext is appended to
//! `out` only after its tag verifies; the final frame's plaintext is held
//! back and released by `finish`, after the footer signature (0x0578) is
//! verified and the input is known to end there.

use super::context::PUBLIC_KEY_FIELD;
use super::error::{EnvelopeError, Result};
use super::frame::{frame_iv, FrameParams, FINAL_PREFIX_LEN, REGULAR_PREFIX_LEN, SEQUENCE_NUMBER_END};
use super::header::{HeaderLimits, HeaderParser, MessageHeader, Parse};
use super::kdf::{derive, FrameCipher};
use super::sign::{MessageVerifier, MAX_SIGNATURE_LEN};
use super::suite::AlgorithmSuite;
use super::wire::Reader;
use super::MAX_FRAME_LENGTH;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The default limit on the header size: 1 MiB.
pub const DEFAULT_MAX_HEADER_LENGTH: usize = 1 << 20;

/// Limits and checks of a decryption.
#[derive(Clone, Debug)]
pub struct DecryptOptions {
    /// Refuse messages with more encrypted data keys (default: no limit
    /// beyond the format's 65,535).
    pub max_encrypted_data_keys: Option<usize>,
    /// Refuse messages whose frame length exceeds this (default 1 MiB).
    pub max_frame_length: u32,
    /// Refuse headers larger than this many bytes (default 1 MiB).
    pub max_header_length: usize,
    /// Pairs the message's encryption context must contain, with these values.
    pub required_encryption_context: BTreeMap<String, String>,
    /// Refuse signed suites (0x0578) right after parsing the header.
    pub refuse_signed_suites: bool,
    /// Hand frames to an external cipher instead of decrypting them here.
    pub external_frame_cipher: bool,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        DecryptOptions {
            max_encrypted_data_keys: None,
            max_frame_length: MAX_FRAME_LENGTH,
            max_header_length: DEFAULT_MAX_HEADER_LENGTH,
            required_encryption_context: BTreeMap::new(),
            refuse_signed_suites: false,
            external_frame_cipher: false,
        }
    }
}

/// A parsed frame for an external cipher. Its plaintext must not be used
/// until the external AES-GCM has verified `tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalFrame {
    /// Sequence number, IV, AAD and content length (`prefix` is the frame's
    /// serialized prefix as read).
    pub params: FrameParams,
    /// Ciphertext followed by the 16-byte tag (empty when `sealed_at` is set).
    pub sealed: Vec<u8>,
    /// `update_external_in_place` and `update_external_sparse` only: where
    /// the ciphertext and tag are in that call's input (`sealed_at ..
    /// sealed_at + content_length + 16`), when the whole frame was in it;
    /// `None` when the frame was gathered across calls, and its bytes are in
    /// `sealed`.
    pub sealed_at: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    NeedDataKey,
    Body,
    Footer,
    Done,
    Finished,
    Failed,
}

enum Sink<'a> {
    Plain(&'a mut Vec<u8>),
    External(&'a mut Vec<ExternalFrame>),
    /// Like `External`, without copying the sealed bytes of frames that lie
    /// whole in the input.
    ExternalInPlace(&'a mut Vec<ExternalFrame>),
}

/// Reads one message. See the module documentation for the call order.
pub struct Decryptor {
    options: DecryptOptions,
    state: State,
    parser: HeaderParser,
    header_buf: Vec<u8>,
    header_body_len: usize,
    header_tag: [u8; 16],
    header: Option<MessageHeader>,
    verifier: Option<MessageVerifier>,
    cipher: Option<FrameCipher>,
    frame_key: Zeroizing<[u8; 32]>,
    next_seq: u32,
    unit: Vec<u8>,
    held_final: Zeroizing<Vec<u8>>,
    /// External path: an error found after frames that the caller has not
    /// yet seen; reported by the next call.
    deferred: Option<EnvelopeError>,
}

impl core::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decryptor").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Decryptor {
    /// A decryptor waiting for the first bytes of a message.
    pub fn new(options: DecryptOptions) -> Self {
        let limits = HeaderLimits {
            max_encrypted_data_keys: options.max_encrypted_data_keys,
            max_frame_length: options.max_frame_length,
            max_header_length: options.max_header_length,
        };
        Decryptor {
            options,
            state: State::Header,
            parser: HeaderParser::new(limits),
            header_buf: Vec::new(),
            header_body_len: 0,
            header_tag: [0; 16],
            header: None,
            verifier: None,
            cipher: None,
            frame_key: Zeroizing::new([0; 32]),
            next_seq: 1,
            unit: Vec::new(),
            held_final: Zeroizing::new(Vec::new()),
            deferred: None,
        }
    }

    /// The parsed header: unauthenticated until `set_data_key` succeeds
    /// (use it before that only to choose and unwrap a data key).
    pub fn header(&self) -> Option<&MessageHeader> {
        self.header.as_ref()
    }

    /// Whether the header has been authenticated.
    pub fn header_verified(&self) -> bool {
        matches!(self.state, State::Body | State::Footer | State::Done | State::Finished)
    }

    /// Whether the header is parsed and the data key is awaited.
    pub fn needs_data_key(&self) -> bool {
        self.state == State::NeedDataKey
    }

    /// Whether `finish` has succeeded.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// The derived frame key, for an external frame cipher (after
    /// `set_data_key`).
    pub fn frame_key(&self) -> Result<&[u8; 32]> {
        if self.cipher.is_some() && self.state != State::Failed {
            Ok(&self.frame_key)
        } else {
            Err(EnvelopeError::InvalidState("the frame key exists only after set_data_key()"))
        }
    }

    /// Consumes message bytes, appending verified plaintext to `out`.
    /// Returns how many bytes of `input` were consumed: all of them, except
    /// when the header completes before a data key is set — then it stops
    /// right after the header, and the rest must be passed again after
    /// `set_data_key`.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize> {
        // The internal path decrypts frames here.
        if self.options.external_frame_cipher {
            return Err(EnvelopeError::InvalidState("this decryptor hands frames to an external cipher"));
        }
        self.run(input, &mut Sink::Plain(out))
    }

    /// Like `update`, for an external frame cipher: appends each complete
    /// frame (regular and final) to `frames` instead of decrypting it.
    pub fn update_external(&mut self, input: &[u8], frames: &mut Vec<ExternalFrame>) -> Result<usize> {
        // The external path only parses frames.
        if !self.options.external_frame_cipher {
            return Err(EnvelopeError::InvalidState("this decryptor decrypts frames itself"));
        }
        self.run(input, &mut Sink::External(frames))
    }

    /// Like `update_external`, but a frame that lies whole in `input` is
    /// not copied: its `sealed_at` tells where its ciphertext and tag are
    /// in `input` (the per-frame fast path of the bindings; a frame
    /// gathered across calls still comes in `sealed`).
    pub fn update_external_in_place(&mut self, input: &[u8], frames: &mut Vec<ExternalFrame>) -> Result<usize> {
        // The external path only parses frames.
        if !self.options.external_frame_cipher {
            return Err(EnvelopeError::InvalidState("this decryptor decrypts frames itself"));
        }
        self.run(input, &mut Sink::ExternalInPlace(frames))
    }

    /// Like `update_external_in_place`, for an input of `len` bytes that the
    /// caller holds elsewhere (the JS heap) and lends through `read(offset,
    /// buf)`, which must fill `buf` with the input's bytes at `offset`.
    /// While the suite is unsigned and whole frames follow, only each
    /// frame's prefix (at most 24 bytes) is read: the ciphertext and tag are
    /// never copied in (every frame comes with `sealed_at`). Anything else —
    /// the header, a signed suite's frames (they are hashed), a frame that
    /// does not lie whole in the input, the footer, trailing bytes — is read
    /// whole and handled exactly as by `update_external_in_place`.
    pub fn update_external_sparse(
        &mut self,
        len: usize,
        read: &mut dyn FnMut(usize, &mut [u8]),
        frames: &mut Vec<ExternalFrame>,
    ) -> Result<usize> {
        // The external path only parses frames.
        if !self.options.external_frame_cipher {
            return Err(EnvelopeError::InvalidState("this decryptor decrypts frames itself"));
        }
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let before = frames.len();
        let r = self.sparse_inner(len, read, frames);
        if let Err(e) = r {
            self.fail();
            // As in `run`: frames parsed before the error go out first.
            if frames.len() > before {
                self.deferred = Some(e);
                return Ok(len);
            }
            return Err(e);
        }
        r
    }

    fn sparse_inner(
        &mut self,
        len: usize,
        read: &mut dyn FnMut(usize, &mut [u8]),
        frames: &mut Vec<ExternalFrame>,
    ) -> Result<usize> {
        let mut pos = 0usize;
        let mut head = [0u8; FINAL_PREFIX_LEN];
        while pos < len {
            let remaining = len - pos;
            // Without a signature to feed, a frame's prefix is all the checks need.
            if self.state == State::Body && self.verifier.is_none() && self.unit.is_empty() {
                let n = remaining.min(FINAL_PREFIX_LEN);
                let head = head.get_mut(..n).ok_or(EnvelopeError::Internal("prefix"))?;
                read(pos, head);
                // (a size no larger than what remains is the unit's full size)
                let need = self.unit_size(head)?;
                if need <= remaining {
                    let (params, prefix_len) = self.parse_frame(head)?;
                    let (seq, is_final) = (params.sequence_number, params.is_final);
                    frames.push(ExternalFrame { params, sealed: Vec::new(), sealed_at: Some(pos + prefix_len) });
                    self.frame_done(seq, is_final)?;
                    pos += need;
                    continue;
                }
            }
            // Everything else: the rest of the input, read whole.
            let mut rest = vec![0u8; remaining];
            read(pos, &mut rest);
            let first = frames.len();
            let r = self.run_inner(&rest, &mut Sink::ExternalInPlace(frames));
            // Offsets into `rest` become offsets into the input.
            for f in frames.iter_mut().skip(first) {
                f.sealed_at = f.sealed_at.map(|at| at + pos);
            }
            return r.map(|used| pos + used);
        }
        Ok(pos)
    }

    fn run(&mut self, input: &[u8], sink: &mut Sink<'_>) -> Result<usize> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let before = match sink {
            Sink::External(frames) | Sink::ExternalInPlace(frames) => frames.len(),
            Sink::Plain(_) => 0,
        };
        let r = self.run_inner(input, sink);
        if let Err(e) = r {
            self.fail();
            // Frames parsed before the error go to the external cipher first,
            // so errors surface in stream order on both paths: the error
            // waits for the next call (or finish).
            if matches!(sink, Sink::External(frames) | Sink::ExternalInPlace(frames) if frames.len() > before) {
                self.deferred = Some(e);
                return Ok(input.len());
            }
            return Err(e);
        }
        r
    }

    fn fail(&mut self) {
        self.state = State::Failed;
        self.held_final.clear();
        self.unit.clear();
    }

    fn run_inner(&mut self, input: &[u8], sink: &mut Sink<'_>) -> Result<usize> {
        let mut used = 0usize;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            match self.state {
                State::Header => match self.parser.advance(&self.header_buf)? {
                    Parse::NeedMore(n) => {
                        if rest.is_empty() {
                            return Ok(used);
                        }
                        let take = n.min(rest.len());
                        self.header_buf.extend_from_slice(rest.get(..take).unwrap_or_default());
                        used += take;
                    }
                    Parse::Done { header, body_len, tag } => {
                        self.header_body_len = body_len;
                        self.header_tag = tag;
                        self.accept_header(header)?;
                        self.state = State::NeedDataKey;
                        return Ok(used);
                    }
                },
                State::NeedDataKey => {
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    return Err(EnvelopeError::InvalidState("set_data_key() must come before the message body"));
                }
                State::Body | State::Footer => {
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    used += self.consume_body(rest, used, sink)?;
                }
                State::Done => {
                    // Nothing may follow the end of the message.
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    return Err(EnvelopeError::TrailingBytes);
                }
                State::Finished => {
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    return Err(EnvelopeError::TrailingBytes);
                }
                State::Failed => return Err(EnvelopeError::InvalidState("a previous error ended this decryption")),
            }
        }
    }

    /// Checks a freshly parsed header against the options and its suite.
    fn accept_header(&mut self, header: MessageHeader) -> Result<()> {
        // Signed suites are refused when the options say so.
        if self.options.refuse_signed_suites && header.suite.is_signed() {
            return Err(EnvelopeError::SignedSuiteRefused);
        }
        let ec = &header.encryption_context;
        // Every required encryption context pair must be present, with its value.
        for (k, v) in &self.options.required_encryption_context {
            match ec.get(k) {
                None => return Err(EnvelopeError::MissingRequiredContextKey(k.clone())),
                Some(found) if found != v => return Err(EnvelopeError::ContextValueMismatch(k.clone())),
                Some(_) => {}
            }
        }
        match (header.suite.is_signed(), ec.get(PUBLIC_KEY_FIELD)) {
            // A signed suite needs a valid public key in the context ...
            (true, Some(pk)) => self.verifier = Some(MessageVerifier::from_base64(pk)?),
            (true, None) => return Err(EnvelopeError::MissingPublicKey),
            // ... and an unsigned one must not carry one.
            (false, Some(_)) => return Err(EnvelopeError::UnexpectedPublicKey),
            (false, None) => {}
        }
        self.header = Some(header);
        Ok(())
    }

    /// Checks `data_key` against the header's commitment (constant time),
    /// then the header tag. On success the body can be read.
    pub fn set_data_key(&mut self, data_key: &[u8]) -> Result<()> {
        // The data key comes once, after the header.
        if self.state != State::NeedDataKey {
            return Err(EnvelopeError::InvalidState("the data key is accepted only once, right after the header"));
        }
        let r = self.set_data_key_inner(data_key);
        match r {
            Ok(()) => self.state = State::Body,
            Err(_) => self.fail(),
        }
        r
    }

    fn set_data_key_inner(&mut self, data_key: &[u8]) -> Result<()> {
        let header = self.header.as_ref().ok_or(EnvelopeError::Internal("no header"))?;
        let keys = derive(header.suite, data_key, &header.message_id)?;
        // The derived commitment must equal the header's, compared in constant time.
        if !crate::crypto::ct_eq(&keys.commitment, &header.commitment) {
            return Err(EnvelopeError::CommitmentMismatch);
        }
        let cipher = FrameCipher::new(&keys.frame_key);
        let body = self.header_buf.get(..self.header_body_len).ok_or(EnvelopeError::Internal("header length"))?;
        // The header tag must verify (empty plaintext, IV 0, AAD = header body).
        if !cipher.open(&[0u8; 12], body, &[], &self.header_tag, &mut []) {
            return Err(EnvelopeError::HeaderAuthenticationFailed);
        }
        if let Some(v) = self.verifier.as_mut() {
            v.update(&self.header_buf);
        }
        self.header_buf = Vec::new();
        self.cipher = Some(cipher);
        self.frame_key = keys.frame_key;
        Ok(())
    }

    /// The size of the unit (frame or footer) starting at `buf`, or how
    /// many bytes are needed to know it.
    fn unit_size(&self, buf: &[u8]) -> Result<usize> {
        let frame_length = self.frame_length()?;
        let mut r = Reader::new(buf);
        if self.state == State::Footer {
            let Some(len) = r.u16() else { return Ok(2) };
            let len = usize::from(len);
            // A P-384 DER signature is at most MAX_SIGNATURE_LEN bytes.
            if len > MAX_SIGNATURE_LEN {
                return Err(EnvelopeError::MalformedBody("the signature is longer than a P-384 signature can be"));
            }
            return Ok(2 + len);
        }
        let Some(marker) = r.u32() else { return Ok(4) };
        if marker != SEQUENCE_NUMBER_END {
            return Ok((REGULAR_PREFIX_LEN + AlgorithmSuite::TAG_LEN).saturating_add(frame_length));
        }
        if buf.len() < FINAL_PREFIX_LEN {
            return Ok(FINAL_PREFIX_LEN);
        }
        let len_bytes = buf.get(FINAL_PREFIX_LEN - 4..FINAL_PREFIX_LEN).ok_or(EnvelopeError::Internal("prefix"))?;
        let content_len = u32::from_be_bytes(len_bytes.try_into().map_err(|_| EnvelopeError::Internal("prefix"))?);
        let content_len = usize::try_from(content_len).unwrap_or(usize::MAX);
        // The final frame holds at most frame_length bytes.
        if content_len > frame_length {
            return Err(EnvelopeError::MalformedBody("the final frame is longer than the frame length"));
        }
        Ok((FINAL_PREFIX_LEN + AlgorithmSuite::TAG_LEN).saturating_add(content_len))
    }

    fn frame_length(&self) -> Result<usize> {
        let h = self.header.as_ref().ok_or(EnvelopeError::Internal("no header"))?;
        usize::try_from(h.frame_length).map_err(|_| EnvelopeError::Internal("frame length"))
    }

    /// Consumes body (or footer) bytes (`input`, which starts at `at` in the
    /// caller's input); returns how many.
    fn consume_body(&mut self, input: &[u8], at: usize, sink: &mut Sink<'_>) -> Result<usize> {
        // Fast path: a whole unit at the start of the input is processed in place.
        if self.unit.is_empty() {
            // (a size no larger than the input is the unit's full size)
            let need = self.unit_size(input)?;
            if need <= input.len() {
                self.process_unit(input.get(..need).unwrap_or_default(), Some(at), sink)?;
                return Ok(need);
            }
        }
        // Slow path: gather the unit in the buffer, one known field at a time.
        let mut used = 0usize;
        loop {
            let need = self.unit_size(&self.unit)?;
            if self.unit.len() == need {
                let unit = core::mem::take(&mut self.unit);
                let r = self.process_unit(&unit, None, sink);
                self.unit = unit;
                self.unit.clear();
                r?;
                return Ok(used);
            }
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(used);
            }
            // The buffer grows only with bytes actually received, so a header
            // announcing a huge frame costs nothing until its bytes arrive.
            let take = (need - self.unit.len()).min(rest.len());
            self.unit.extend_from_slice(rest.get(..take).unwrap_or_default());
            used += take;
        }
    }

    /// Handles one complete frame or the footer (`at`: where the unit starts
    /// in the caller's input, if it lies whole in it).
    fn process_unit(&mut self, unit: &[u8], at: Option<usize>, sink: &mut Sink<'_>) -> Result<()> {
        if self.state == State::Footer {
            let sig = unit.get(2..).ok_or(EnvelopeError::Internal("footer"))?;
            let v = self.verifier.as_mut().ok_or(EnvelopeError::Internal("no verifier"))?;
            // The footer signature must verify over header and body.
            v.verify(sig)?;
            self.state = State::Done;
            return Ok(());
        }
        let (params, prefix_len) = self.parse_frame(unit)?;
        let (seq, is_final) = (params.sequence_number, params.is_final);
        let len = usize::try_from(params.content_length).map_err(|_| EnvelopeError::Internal("frame length"))?;
        let mut r = Reader::new(unit.get(prefix_len..).unwrap_or_default());
        let ciphertext = r.take(len).ok_or(EnvelopeError::Internal("frame"))?;
        let tag: [u8; 16] = r.array().ok_or(EnvelopeError::Internal("frame"))?;
        match sink {
            Sink::Plain(out) => {
                let cipher = self.cipher.as_ref().ok_or(EnvelopeError::Internal("no cipher"))?;
                if is_final {
                    // The final frame's plaintext is held until finish().
                    let mut held = Zeroizing::new(vec![0u8; len]);
                    if !cipher.open(&params.iv, &params.aad, ciphertext, &tag, &mut held) {
                        return Err(EnvelopeError::FrameAuthenticationFailed(seq));
                    }
                    self.held_final = held;
                } else {
                    let start = out.len();
                    out.resize(start + len, 0);
                    let dst = out.get_mut(start..).ok_or(EnvelopeError::Internal("output"))?;
                    // A frame's plaintext is released only if its tag verifies.
                    if !cipher.open(&params.iv, &params.aad, ciphertext, &tag, dst) {
                        out.truncate(start);
                        return Err(EnvelopeError::FrameAuthenticationFailed(seq));
                    }
                }
            }
            Sink::External(frames) => {
                let sealed = unit.get(prefix_len..).unwrap_or_default().to_vec();
                frames.push(ExternalFrame { params, sealed, sealed_at: None });
            }
            Sink::ExternalInPlace(frames) => match at {
                Some(at) => frames.push(ExternalFrame { params, sealed: Vec::new(), sealed_at: Some(at + prefix_len) }),
                None => {
                    let sealed = unit.get(prefix_len..).unwrap_or_default().to_vec();
                    frames.push(ExternalFrame { params, sealed, sealed_at: None });
                }
            },
        }
        if let Some(v) = self.verifier.as_mut() {
            v.update(unit);
        }
        self.frame_done(seq, is_final)
    }

    /// Parses and checks a frame's prefix (`unit` holds at least the prefix:
    /// 16 bytes, 24 for the final frame); returns the frame's parameters and
    /// the prefix length. The unit's size has been checked by `unit_size`.
    fn parse_frame(&self, unit: &[u8]) -> Result<(FrameParams, usize)> {
        let frame_length = self.frame_length()?;
        let mut r = Reader::new(unit);
        let first = r.u32().ok_or(EnvelopeError::Internal("frame"))?;
        let is_final = first == SEQUENCE_NUMBER_END;
        let seq = if is_final { r.u32().ok_or(EnvelopeError::Internal("frame"))? } else { first };
        // Frames must be numbered 1, 2, 3, ... in order.
        if seq != self.next_seq {
            return Err(EnvelopeError::SequenceNumberMismatch { expected: self.next_seq, found: seq });
        }
        let iv: [u8; 12] = r.array().ok_or(EnvelopeError::Internal("frame"))?;
        // A frame's IV must be its sequence number.
        if iv != frame_iv(seq) {
            return Err(EnvelopeError::MalformedBody("a frame's IV is not its sequence number"));
        }
        let content_len = if is_final {
            r.u32().ok_or(EnvelopeError::Internal("frame"))?
        } else {
            u32::try_from(frame_length).map_err(|_| EnvelopeError::Internal("frame length"))?
        };
        let prefix_len = r.pos();
        let message_id = self.header.as_ref().ok_or(EnvelopeError::Internal("no header"))?.message_id;
        let params = FrameParams {
            sequence_number: seq,
            is_final,
            content_length: content_len,
            iv,
            aad: super::frame::frame_aad(&message_id, seq, u64::from(content_len), is_final),
            prefix: unit.get(..prefix_len).unwrap_or_default().to_vec(),
        };
        Ok((params, prefix_len))
    }

    /// After frame `seq`: the next sequence number, or the end of the body.
    fn frame_done(&mut self, seq: u32, is_final: bool) -> Result<()> {
        if is_final {
            self.state = if self.verifier.is_some() { State::Footer } else { State::Done };
        } else {
            // A regular frame cannot carry the end marker; the next one may (as final).
            self.next_seq = seq.checked_add(1).ok_or(EnvelopeError::TooManyFrames)?;
        }
        Ok(())
    }

    /// Ends the message: it must be complete (final frame and, for signed
    /// suites, a verified footer) with nothing after it. Appends the final
    /// frame's plaintext (internal path) to `out`.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let r = match self.state {
            State::Done => {
                out.extend_from_slice(&self.held_final);
                self.held_final.clear();
                self.state = State::Finished;
                return Ok(());
            }
            State::Header => Err(EnvelopeError::Truncated(self.parser.part())),
            State::NeedDataKey => Err(EnvelopeError::InvalidState("the data key was never set")),
            State::Body => Err(EnvelopeError::Truncated(if self.unit.is_empty() { "body" } else { "frame" })),
            State::Footer => Err(EnvelopeError::Truncated("footer")),
            State::Finished => Err(EnvelopeError::InvalidState("finish() was already called")),
            State::Failed => Err(EnvelopeError::InvalidState("a previous error ended this decryption")),
        };
        self.fail();
        r
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    fn message(suite: AlgorithmSuite, frame_length: u32, len: usize) -> Vec<u8> {
        let (mut enc, mut out) = crate::envelope::encrypt::started_for_tests(suite, frame_length);
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
        enc.update(&plaintext, &mut out).unwrap();
        enc.finish(&mut out).unwrap();
        out
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Mode {
        Copied,
        InPlace,
        Sparse,
    }

    type Frames = Vec<(FrameParams, Vec<u8>)>;

    /// Every frame, as (params, sealed bytes), read in `chunk`-byte pieces,
    /// the number of frames copied, and how the decryption ended (`None`:
    /// success, else the error's code).
    fn read_frames(msg: &[u8], chunk: usize, mode: Mode) -> (Frames, usize, Option<&'static str>) {
        let mut dec = Decryptor::new(DecryptOptions { external_frame_cipher: true, ..DecryptOptions::default() });
        let (mut found, mut copied) = (Vec::new(), 0);
        for piece in msg.chunks(chunk) {
            let mut rest = piece;
            loop {
                let mut fs = Vec::new();
                let used = match mode {
                    Mode::Copied => dec.update_external(rest, &mut fs),
                    Mode::InPlace => dec.update_external_in_place(rest, &mut fs),
                    Mode::Sparse => {
                        let mut read = |at: usize, buf: &mut [u8]| buf.copy_from_slice(&rest[at..at + buf.len()]);
                        dec.update_external_sparse(rest.len(), &mut read, &mut fs)
                    }
                };
                for f in fs {
                    let sealed = match f.sealed_at {
                        Some(at) => {
                            assert!(mode != Mode::Copied && f.sealed.is_empty());
                            let n = usize::try_from(f.params.content_length).unwrap() + 16;
                            rest[at..at + n].to_vec()
                        }
                        None => {
                            copied += 1;
                            f.sealed
                        }
                    };
                    found.push((f.params, sealed));
                }
                let used = match used {
                    Ok(used) => used,
                    Err(e) => return (found, copied, Some(e.code())),
                };
                rest = &rest[used..];
                if dec.needs_data_key() {
                    if let Err(e) = dec.set_data_key(&[7u8; 32]) {
                        return (found, copied, Some(e.code()));
                    }
                }
                if rest.is_empty() {
                    break;
                }
            }
        }
        (found, copied, dec.finish(&mut Vec::new()).err().map(|e| e.code()))
    }

    #[test]
    fn in_place_and_sparse_frames_point_into_the_input_and_match_the_copied_ones() {
        for suite in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
            let msg = message(suite, 100, 1234);
            for chunk in [1, 7, 23, 24, 99, 132, 500, msg.len()] {
                let (copied, _, end) = read_frames(&msg, chunk, Mode::Copied);
                assert_eq!(end, None);
                assert_eq!(copied.len(), 13);
                for mode in [Mode::InPlace, Mode::Sparse] {
                    let (frames, gathered, end) = read_frames(&msg, chunk, mode);
                    assert_eq!(end, None, "{mode:?} chunk {chunk}");
                    assert_eq!(frames, copied, "{mode:?} chunk {chunk}");
                    if chunk == msg.len() {
                        assert_eq!(gathered, 0, "one chunk: no frame is copied");
                    }
                }
            }
        }
    }

    #[test]
    fn sparse_reading_fails_like_the_copied_one_on_every_altered_byte() {
        for suite in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
            let msg = message(suite, 16, 40);
            for i in 0..msg.len() {
                let mut bad = msg.clone();
                bad[i] ^= 1 << (i % 8);
                for chunk in [5, bad.len()] {
                    let copied = read_frames(&bad, chunk, Mode::Copied);
                    let sparse = read_frames(&bad, chunk, Mode::Sparse);
                    assert_eq!(sparse.0, copied.0, "byte {i}, chunk {chunk}: frames");
                    assert_eq!(sparse.2, copied.2, "byte {i}, chunk {chunk}: outcome");
                }
            }
            // trailing bytes and truncation
            let mut long = msg.clone();
            long.push(0);
            assert_eq!(read_frames(&long, long.len(), Mode::Sparse).2, read_frames(&long, long.len(), Mode::Copied).2);
            assert!(read_frames(&long, long.len(), Mode::Sparse).2.is_some());
            let short = &msg[..msg.len() - 1];
            assert_eq!(read_frames(short, 9, Mode::Sparse).2, read_frames(short, 9, Mode::Copied).2);
            assert!(read_frames(short, 9, Mode::Sparse).2.is_some());
        }
    }
}
