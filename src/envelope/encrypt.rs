//! The incremental encryptor.
//!
//! ```text
//! let mut enc = Encryptor::new(suite, frame_length, context)?;
//! // keyrings wrap a data key under enc.encryption_context() (which, for
//! // 0x0578, includes the aws-crypto-public-key)
//! enc.start(&data_key, edks, &mut out)?;     // header
//! enc.update(chunk, &mut out)?;              // zero or more regular frames
//! enc.finish(&mut out)?;                     // final frame + footer
//! ```
//!
//! Frames: a regular frame is written only once more plaintext is known to
//! follow it, so the final frame holds 1..=frame_length bytes (0 only for
//! an empty plaintext) — the format's recommended layout. Memory is one
//! frame of plaintext.
//!
//! External frame cipher: after `start`, `frame_key()` gives the derived
//! key and `begin_frame`/`end_frame` give each frame's IV, AAD and prefix
//! bytes while a platform AES-GCM produces the ciphertext and tag;
//! `finish_external` writes the footer. Following the same frame layout
//! yields byte-identical messages.

use super::context::{EncryptionContext, PUBLIC_KEY_FIELD};
use super::error::{EnvelopeError, Result};
use super::frame::{FrameParams, SEQUENCE_NUMBER_END};
use super::header::{EncryptedDataKey, MessageHeader};
use super::kdf::{derive, FrameCipher};
use super::sign::MessageSigner;
use super::suite::AlgorithmSuite;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The default frame length: 64 KiB, where the fixed cost of a frame is
/// small next to its AES-GCM (docs/envelope.md has the measurements; the
/// Encryption SDK's default is 4096, which callers can still ask for).
pub const DEFAULT_FRAME_LENGTH: u32 = 65_536;
/// The largest frame length this encryptor writes (and the decryptor's
/// default limit): 1 MiB.
pub const MAX_FRAME_LENGTH: u32 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    AwaitingDataKey,
    Body,
    /// External path: the final frame has been sealed, the footer is next.
    FinalFrameWritten,
    Done,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Unset,
    Internal,
    External,
}

/// The per-message state once the data key is known.
struct Sealer {
    cipher: FrameCipher,
    frame_key: Zeroizing<[u8; 32]>,
    message_id: [u8; 32],
    next_seq: u32,
}

/// Writes one message. See the module documentation for the call order.
pub struct Encryptor {
    suite: AlgorithmSuite,
    frame_length: u32,
    context: EncryptionContext,
    message_id: [u8; 32],
    signer: Option<MessageSigner>,
    max_encrypted_data_keys: Option<usize>,
    state: State,
    mode: Mode,
    sealer: Option<Sealer>,
    pending: Zeroizing<Vec<u8>>,
    /// External path: the frames begun and not yet ended (prefix, sealed
    /// length), in order.
    open_frames: Vec<(Vec<u8>, usize)>,
    /// Whether the last of `open_frames` is the final frame.
    open_final: bool,
    header: Option<MessageHeader>,
}

impl core::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encryptor")
            .field("suite", &self.suite)
            .field("frame_length", &self.frame_length)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Encryptor {
    /// An encryptor with a random message id (and, for `0x0578`, a fresh
    /// signing key whose public half joins the encryption context).
    pub fn new(suite: AlgorithmSuite, frame_length: u32, encryption_context: BTreeMap<String, String>) -> Result<Self> {
        let mut message_id = [0u8; 32];
        super::fill_random(&mut message_id)?;
        let signer = if suite.is_signed() { Some(MessageSigner::generate()?) } else { None };
        Self::build(suite, frame_length, encryption_context, message_id, signer)
    }

    /// An encryptor with a fixed message id and signing key, for test
    /// vectors and the byte-identity tests only: a message id must never be
    /// reused with the same data key.
    pub fn with_fixed_randomness(
        suite: AlgorithmSuite,
        frame_length: u32,
        encryption_context: BTreeMap<String, String>,
        message_id: [u8; 32],
        signing_key: Option<&[u8; 48]>,
    ) -> Result<Self> {
        let signer = match (suite.is_signed(), signing_key) {
            (true, Some(k)) => Some(MessageSigner::from_secret(k)?),
            (true, None) => Some(MessageSigner::generate()?),
            (false, _) => None,
        };
        Self::build(suite, frame_length, encryption_context, message_id, signer)
    }

    fn build(
        suite: AlgorithmSuite,
        frame_length: u32,
        encryption_context: BTreeMap<String, String>,
        message_id: [u8; 32],
        signer: Option<MessageSigner>,
    ) -> Result<Self> {
        // The frame length must be between 1 and MAX_FRAME_LENGTH.
        if frame_length == 0 || frame_length > MAX_FRAME_LENGTH {
            return Err(EnvelopeError::InvalidArgument(format!(
                "The frame length must be between 1 and {MAX_FRAME_LENGTH}, not {frame_length}."
            )));
        }
        // The caller's context must not use the reserved prefix.
        let mut context = EncryptionContext::from_caller(encryption_context)?;
        if let Some(s) = &signer {
            context.insert_reserved(PUBLIC_KEY_FIELD, s.public_key_base64())?;
        }
        Ok(Encryptor {
            suite,
            frame_length,
            context,
            message_id,
            signer,
            max_encrypted_data_keys: None,
            state: State::AwaitingDataKey,
            mode: Mode::Unset,
            sealer: None,
            // Reserved by the first `update` (the external path never uses it).
            pending: Zeroizing::new(Vec::new()),
            open_frames: Vec::new(),
            open_final: false,
            header: None,
        })
    }

    /// Refuse `start` with more encrypted data keys than `max`.
    pub fn set_max_encrypted_data_keys(&mut self, max: Option<usize>) {
        self.max_encrypted_data_keys = max;
    }

    /// The encryption context the message will carry: the caller's plus,
    /// for signed suites, `aws-crypto-public-key`. Keyrings must bind
    /// exactly this context.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.context
    }

    /// The algorithm suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The frame length.
    pub fn frame_length(&self) -> u32 {
        self.frame_length
    }

    /// The message id.
    pub fn message_id(&self) -> &[u8; 32] {
        &self.message_id
    }

    /// The header, once `start` has written it.
    pub fn header(&self) -> Option<&MessageHeader> {
        self.header.as_ref()
    }

    /// Writes the header (body and authentication tag) for `data_key` and
    /// the encrypted data keys that wrap it.
    pub fn start(
        &mut self,
        data_key: &[u8],
        encrypted_data_keys: Vec<EncryptedDataKey>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        // The header is written once, first.
        if self.state != State::AwaitingDataKey {
            return Err(EnvelopeError::InvalidState("the header has already been written"));
        }
        // No more encrypted data keys than max_encrypted_data_keys.
        if let Some(max) = self.max_encrypted_data_keys {
            if encrypted_data_keys.len() > max {
                return Err(EnvelopeError::TooManyEncryptedDataKeys { count: encrypted_data_keys.len(), max });
            }
        }
        let keys = derive(self.suite, data_key, &self.message_id)?;
        let header = MessageHeader {
            suite: self.suite,
            message_id: self.message_id,
            encryption_context: self.context.clone(),
            encrypted_data_keys,
            frame_length: self.frame_length,
            commitment: keys.commitment,
        };
        let body = header.serialize_body()?;
        let cipher = FrameCipher::new(&keys.frame_key);
        // The header tag: AES-GCM over an empty plaintext, IV 0, AAD = header body.
        let tag = cipher.seal(&[0u8; 12], &body, &[], &mut [])?;
        if let Some(s) = self.signer.as_mut() {
            s.update(&body);
            s.update(&tag);
        }
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        self.sealer = Some(Sealer { cipher, frame_key: keys.frame_key, message_id: self.message_id, next_seq: 1 });
        self.header = Some(header);
        self.state = State::Body;
        Ok(())
    }

    fn use_mode(&mut self, mode: Mode) -> Result<()> {
        // One message uses one frame cipher path.
        if self.mode != Mode::Unset && self.mode != mode {
            return Err(EnvelopeError::InvalidState(
                "the internal and the external frame cipher cannot be mixed in one message",
            ));
        }
        self.mode = mode;
        Ok(())
    }

    fn body_state(&self) -> Result<()> {
        match self.state {
            State::Body => Ok(()),
            State::AwaitingDataKey => Err(EnvelopeError::InvalidState("start() must write the header first")),
            State::FinalFrameWritten | State::Done => Err(EnvelopeError::InvalidState("the message is finished")),
            State::Failed => Err(EnvelopeError::InvalidState("a previous error ended this message")),
        }
    }

    /// Encrypts `plaintext`, writing every frame that is complete and known
    /// not to be the last one.
    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.body_state()?;
        self.use_mode(Mode::Internal)?;
        let r = self.update_inner(plaintext, out);
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn update_inner(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let fl = usize::try_from(self.frame_length).map_err(|_| EnvelopeError::Internal("frame length"))?;
        let sealer = self.sealer.as_mut().ok_or(EnvelopeError::Internal("no sealer"))?;
        // One frame of room, reserved while the buffer is still empty, so it
        // never reallocates (which would leave unwiped copies of plaintext).
        if self.pending.capacity() < fl && self.pending.is_empty() {
            self.pending.reserve_exact(fl);
        }
        out.reserve(super::encrypted_size_hint(plaintext.len(), self.frame_length));
        let mut input = plaintext;
        while !input.is_empty() {
            // A full pending frame is followed by more plaintext: it is a regular frame.
            if self.pending.len() == fl {
                sealer.seal(&self.pending, false, self.frame_length, self.signer.as_mut(), out)?;
                self.pending.clear();
            }
            if self.pending.is_empty() && input.len() > fl {
                let (frame, rest) = input.split_at(fl);
                sealer.seal(frame, false, self.frame_length, self.signer.as_mut(), out)?;
                input = rest;
                continue;
            }
            let take = (fl - self.pending.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.pending.extend_from_slice(head);
            input = rest;
        }
        Ok(())
    }

    /// Writes the final frame (the pending plaintext) and, for signed
    /// suites, the footer.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.body_state()?;
        self.use_mode(Mode::Internal)?;
        let r = self.finish_inner(out);
        self.state = if r.is_ok() { State::Done } else { State::Failed };
        r
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let sealer = self.sealer.as_mut().ok_or(EnvelopeError::Internal("no sealer"))?;
        let len = u32::try_from(self.pending.len()).map_err(|_| EnvelopeError::Internal("frame length"))?;
        sealer.seal(&self.pending, true, len, self.signer.as_mut(), out)?;
        self.pending.clear();
        if let Some(s) = self.signer.as_mut() {
            out.extend_from_slice(&s.footer()?);
        }
        Ok(())
    }

    // ---- external frame cipher ------------------------------------------

    /// The derived 32-byte AES-256-GCM key that encrypts every frame (for
    /// an external frame cipher). Available after `start`.
    pub fn frame_key(&self) -> Result<&[u8; 32]> {
        match &self.sealer {
            Some(s) if self.state != State::Failed => Ok(&s.frame_key),
            _ => Err(EnvelopeError::InvalidState("the frame key exists only after start()")),
        }
    }

    /// Begins the next frame for an external cipher: a regular frame must
    /// hold exactly `frame_length` bytes, the final one at most that.
    /// Returns the sequence number, IV, AAD and the bytes to write before
    /// the ciphertext.
    pub fn begin_frame(&mut self, content_length: u32, is_final: bool) -> Result<FrameParams> {
        self.body_state()?;
        self.use_mode(Mode::External)?;
        if !self.open_frames.is_empty() {
            return Err(EnvelopeError::InvalidState("end_frame() must end the previous frame first"));
        }
        let (regular, final_length) = if is_final { (0, Some(content_length)) } else { (1, None) };
        // A regular frame holds exactly frame_length bytes.
        if !is_final && content_length != self.frame_length {
            return Err(EnvelopeError::InvalidArgument(format!(
                "A regular frame must hold exactly {} bytes, not {content_length}.",
                self.frame_length
            )));
        }
        let mut frames = self.begin_frames(regular, final_length)?;
        frames.pop().ok_or(EnvelopeError::Internal("no frame"))
    }

    /// Begins `regular` regular frames (each `frame_length` bytes) and, with
    /// `final_length`, the final frame after them, in one call: the batched
    /// form of `begin_frame` (one JS↔wasm crossing for many frames). Returns
    /// their parameters in order; `end_frames` ends them all.
    pub fn begin_frames(&mut self, regular: u32, final_length: Option<u32>) -> Result<Vec<FrameParams>> {
        self.body_state()?;
        self.use_mode(Mode::External)?;
        // Each frame (or batch) must be ended before the next begins.
        if !self.open_frames.is_empty() {
            return Err(EnvelopeError::InvalidState("end_frame() must end the previous frame first"));
        }
        // The final frame holds at most frame_length.
        if let Some(n) = final_length {
            if n > self.frame_length {
                return Err(EnvelopeError::InvalidArgument(format!(
                    "The final frame must hold at most {} bytes, not {n}.",
                    self.frame_length
                )));
            }
        }
        let sealer = self.sealer.as_mut().ok_or(EnvelopeError::Internal("no sealer"))?;
        let count = usize::try_from(regular).unwrap_or(usize::MAX).saturating_add(usize::from(final_length.is_some()));
        let mut frames = Vec::with_capacity(count.min(1 << 16));
        let frame_lengths =
            core::iter::repeat_n((self.frame_length, false), usize::try_from(regular).unwrap_or(usize::MAX));
        for (content_length, is_final) in frame_lengths.chain(final_length.map(|n| (n, true))) {
            let seq = match sealer.take_seq(is_final) {
                Ok(seq) => seq,
                Err(e) => {
                    self.state = State::Failed;
                    return Err(e);
                }
            };
            frames.push(FrameParams::new(&sealer.message_id, seq, content_length, is_final));
        }
        // What end_frames checks (lengths) and hashes (prefixes, signed suites only).
        let signed = self.signer.is_some();
        let sealed_len = |p: &FrameParams| {
            usize::try_from(p.content_length).unwrap_or(usize::MAX).saturating_add(AlgorithmSuite::TAG_LEN)
        };
        self.open_frames =
            frames.iter().map(|p| (if signed { p.prefix.clone() } else { Vec::new() }, sealed_len(p))).collect();
        self.open_final = final_length.is_some();
        Ok(frames)
    }

    /// Ends the frame begun by `begin_frame`. `ciphertext_and_tag` (the
    /// external cipher's output, `content_length + 16` bytes) is required
    /// for signed suites, which hash it; unsigned suites may pass `None`.
    pub fn end_frame(&mut self, ciphertext_and_tag: Option<&[u8]>) -> Result<()> {
        self.end_frames(ciphertext_and_tag)
    }

    /// Ends the frames begun by `begin_frames` (or `begin_frame`).
    /// `sealed` is every frame's ciphertext and tag, concatenated in frame
    /// order (`content_length + 16` bytes each): required for signed
    /// suites, which hash it; unsigned suites may pass `None`.
    pub fn end_frames(&mut self, sealed: Option<&[u8]>) -> Result<()> {
        self.body_state()?;
        if self.open_frames.is_empty() {
            return Err(EnvelopeError::InvalidState("no frame was begun"));
        }
        let open = core::mem::take(&mut self.open_frames);
        let expected = open.iter().fold(0usize, |n, (_, len)| n.saturating_add(*len));
        match (sealed, self.signer.as_mut()) {
            (Some(sealed), signer) => {
                // The sealed frames must be content_length + 16 bytes each.
                if sealed.len() != expected {
                    self.state = State::Failed;
                    return Err(EnvelopeError::InvalidArgument(format!(
                        "The frames must be {expected} bytes of ciphertext and tag, not {}.",
                        sealed.len()
                    )));
                }
                if let Some(s) = signer {
                    let mut rest = sealed;
                    for (prefix, len) in &open {
                        let (frame, tail) = rest.split_at(*len);
                        s.update(prefix);
                        s.update(frame);
                        rest = tail;
                    }
                }
            }
            (None, Some(_)) => {
                // A signed suite must see every frame's bytes.
                self.state = State::Failed;
                return Err(EnvelopeError::InvalidArgument(
                    "A signed algorithm suite needs each frame's ciphertext and tag.".into(),
                ));
            }
            (None, None) => {}
        }
        if self.open_final {
            self.state = State::FinalFrameWritten;
        }
        Ok(())
    }

    /// After the final frame of the external path: writes the footer
    /// (signed suites; nothing for unsigned ones).
    pub fn finish_external(&mut self, out: &mut Vec<u8>) -> Result<()> {
        // The final frame must have been written and ended.
        if self.state != State::FinalFrameWritten || !self.open_frames.is_empty() {
            return Err(EnvelopeError::InvalidState("the final frame must be begun and ended before finish"));
        }
        if let Some(s) = self.signer.as_mut() {
            match s.footer() {
                Ok(f) => out.extend_from_slice(&f),
                Err(e) => {
                    self.state = State::Failed;
                    return Err(e);
                }
            }
        }
        self.state = State::Done;
        Ok(())
    }
}

impl Sealer {
    /// The next sequence number; regular frames stop at 2^32 - 2.
    fn take_seq(&mut self, is_final: bool) -> Result<u32> {
        let seq = self.next_seq;
        // Sequence numbers must stay below the end marker (regular) or at it (final).
        if seq == 0 || (!is_final && seq == SEQUENCE_NUMBER_END) {
            return Err(EnvelopeError::TooManyFrames);
        }
        self.next_seq = seq.checked_add(1).unwrap_or(0);
        Ok(seq)
    }

    /// Seals one frame of `plaintext` into `out`.
    fn seal(
        &mut self,
        plaintext: &[u8],
        is_final: bool,
        content_length: u32,
        signer: Option<&mut MessageSigner>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let seq = self.take_seq(is_final)?;
        let p = FrameParams::new(&self.message_id, seq, content_length, is_final);
        let start = out.len();
        out.extend_from_slice(&p.prefix);
        let ct_start = out.len();
        out.resize(ct_start + plaintext.len(), 0);
        let ct = out.get_mut(ct_start..).ok_or(EnvelopeError::Internal("frame buffer"))?;
        let tag = self.cipher.seal(&p.iv, &p.aad, plaintext, ct)?;
        out.extend_from_slice(&tag);
        if let Some(s) = signer {
            s.update(out.get(start..).unwrap_or_default());
        }
        Ok(())
    }
}

/// An encryptor with fixed randomness, started with a fixed data key and
/// one EDK, and the header it wrote (the envelope unit tests' fixture).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn started_for_tests(suite: AlgorithmSuite, frame_length: u32) -> (Encryptor, Vec<u8>) {
    let mut enc =
        Encryptor::with_fixed_randomness(suite, frame_length, BTreeMap::new(), [3u8; 32], Some(&[5u8; 48])).unwrap();
    let edk = EncryptedDataKey { provider_id: "p".into(), provider_info: vec![1], ciphertext: vec![2] };
    let mut out = Vec::new();
    enc.start(&[7u8; 32], vec![edk], &mut out).unwrap();
    (enc, out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn started(suite: AlgorithmSuite, frame_length: u32) -> (Encryptor, Vec<u8>) {
        started_for_tests(suite, frame_length)
    }

    /// Seals `frames` (plaintexts) with the derived key, as an external cipher would.
    fn seal_all(enc: &Encryptor, params: &[FrameParams], frames: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
        let cipher = FrameCipher::new(enc.frame_key().unwrap());
        let (mut message, mut sealed) = (Vec::new(), Vec::new());
        for (p, pt) in params.iter().zip(frames) {
            let mut ct = vec![0u8; pt.len()];
            let tag = cipher.seal(&p.iv, &p.aad, pt, &mut ct).unwrap();
            message.extend_from_slice(&p.prefix);
            message.extend_from_slice(&ct);
            message.extend_from_slice(&tag);
            sealed.extend_from_slice(&ct);
            sealed.extend_from_slice(&tag);
        }
        (message, sealed)
    }

    #[test]
    fn batched_frames_write_the_same_message_as_single_frames_and_the_internal_path() {
        let plaintext: Vec<u8> = (0..100u8).collect();
        for suite in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
            let signed = suite.is_signed();
            let frames: Vec<&[u8]> = plaintext.chunks(16).collect(); // 6 regular frames of 16, a final one of 4
                                                                     // internal path
            let (mut enc, mut internal) = started(suite, 16);
            enc.update(&plaintext, &mut internal).unwrap();
            enc.finish(&mut internal).unwrap();
            // one frame per call
            let (mut enc, mut single) = started(suite, 16);
            for (i, pt) in frames.iter().enumerate() {
                let p = enc.begin_frame(u32::try_from(pt.len()).unwrap(), i == frames.len() - 1).unwrap();
                let (bytes, sealed) = seal_all(&enc, &[p], &[pt]);
                enc.end_frame(signed.then_some(sealed.as_slice())).unwrap();
                single.extend_from_slice(&bytes);
            }
            enc.finish_external(&mut single).unwrap();
            // two batches: 4 regular frames, then 2 regular frames and the final one
            let (mut enc, mut batched) = started(suite, 16);
            let p = enc.begin_frames(4, None).unwrap();
            assert!(matches!(enc.begin_frames(1, None), Err(EnvelopeError::InvalidState(_))));
            let (bytes, sealed) = seal_all(&enc, &p, &frames[..4]);
            enc.end_frames(signed.then_some(sealed.as_slice())).unwrap();
            batched.extend_from_slice(&bytes);
            assert!(matches!(enc.finish_external(&mut Vec::new()), Err(EnvelopeError::InvalidState(_))));
            let p = enc.begin_frames(2, Some(4)).unwrap();
            assert_eq!(
                p.iter().map(|p| (p.sequence_number, p.is_final)).collect::<Vec<_>>(),
                [(5, false), (6, false), (7, true)]
            );
            let (bytes, sealed) = seal_all(&enc, &p, &frames[4..]);
            if signed {
                // the batch's bytes must be complete
                let mut enc2 = started(suite, 16).0;
                enc2.begin_frames(1, None).unwrap();
                assert!(matches!(enc2.end_frames(Some(&[0u8; 31])), Err(EnvelopeError::InvalidArgument(_))));
                let mut enc3 = started(suite, 16).0;
                enc3.begin_frames(1, None).unwrap();
                assert!(matches!(enc3.end_frames(None), Err(EnvelopeError::InvalidArgument(_))));
            }
            enc.end_frames(signed.then_some(sealed.as_slice())).unwrap();
            batched.extend_from_slice(&bytes);
            enc.finish_external(&mut batched).unwrap();
            assert_eq!(single, internal, "single frames, suite {suite:?}");
            assert_eq!(batched, internal, "batched frames, suite {suite:?}");
        }
        // a final frame longer than the frame length is refused
        let (mut enc, _) = started(AlgorithmSuite::AesGcmHkdfSha512CommitKey, 16);
        assert!(matches!(enc.begin_frames(0, Some(17)), Err(EnvelopeError::InvalidArgument(_))));
    }
}
