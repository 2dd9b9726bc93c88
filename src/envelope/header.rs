//! The version 2 message header: serialization and an incremental parser.
//!
//! ```text
//! version        u8   = 0x02
//! suite id       u16  = 0x0478 | 0x0578
//! message id     [32]
//! AAD            u16 length, then the encryption context serialization
//! EDK count      u16  (>= 1)
//! EDK entries    (u16 len, provider id UTF-8)(u16 len, provider info)(u16 len, ciphertext)
//! content type   u8   = 0x02 (framed)
//! frame length   u32  (>= 1)
//! suite data     [32] commitment key
//! ---- header body ends here ----
//! auth tag       [16] AES-GCM tag, empty plaintext, IV = 0, AAD = header body
//! ```

use super::context::EncryptionContext;
use super::error::{EnvelopeError, Result};
use super::suite::AlgorithmSuite;
use super::wire::{put_vec16, Reader};

/// Content type of framed bodies, the only one written and read.
pub const CONTENT_TYPE_FRAMED: u8 = 0x02;

/// An encrypted data key: who can decrypt it, and the wrapped data key.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedDataKey {
    /// The key provider id (`aws-kms`, or a raw keyring's namespace).
    pub provider_id: String,
    /// Provider information (a KMS key ARN, or a raw keyring's key name,
    /// tag length, IV length and IV).
    pub provider_info: Vec<u8>,
    /// The wrapped data key.
    pub ciphertext: Vec<u8>,
}

impl core::fmt::Debug for EncryptedDataKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EncryptedDataKey")
            .field("provider_id", &self.provider_id)
            .field("provider_info", &String::from_utf8_lossy(&self.provider_info))
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// A parsed (or about to be serialized) version 2 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHeader {
    /// The algorithm suite.
    pub suite: AlgorithmSuite,
    /// The 32-byte message id.
    pub message_id: [u8; 32],
    /// The encryption context stored in the header.
    pub encryption_context: EncryptionContext,
    /// The encrypted data keys, in header order.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The frame length (plaintext bytes per regular frame).
    pub frame_length: u32,
    /// The commitment key (algorithm suite data).
    pub commitment: [u8; 32],
}

impl MessageHeader {
    /// Serializes the header body (everything the header tag covers).
    pub fn serialize_body(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(128);
        out.push(AlgorithmSuite::MESSAGE_FORMAT_VERSION);
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(&self.message_id);
        let ec = self.encryption_context.serialize();
        if ec.len() > usize::from(u16::MAX) {
            return Err(EnvelopeError::FieldTooLarge("encryption context"));
        }
        put_vec16(&mut out, &ec);
        let count = u16::try_from(self.encrypted_data_keys.len())
            .map_err(|_| EnvelopeError::FieldTooLarge("list of encrypted data keys"))?;
        // There must be at least one encrypted data key.
        if count == 0 {
            return Err(EnvelopeError::InvalidArgument("At least one encrypted data key is required.".into()));
        }
        out.extend_from_slice(&count.to_be_bytes());
        for edk in &self.encrypted_data_keys {
            for (field, what) in [
                (edk.provider_id.as_bytes(), "provider id of an encrypted data key"),
                (&edk.provider_info[..], "provider info of an encrypted data key"),
                (&edk.ciphertext[..], "ciphertext of an encrypted data key"),
            ] {
                if field.len() > usize::from(u16::MAX) {
                    return Err(EnvelopeError::FieldTooLarge(what));
                }
                put_vec16(&mut out, field);
            }
        }
        out.push(CONTENT_TYPE_FRAMED);
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        out.extend_from_slice(&self.commitment);
        Ok(out)
    }
}

/// Limits applied while parsing a header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeaderLimits {
    pub max_encrypted_data_keys: Option<usize>,
    pub max_frame_length: u32,
    pub max_header_length: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Version,
    Suite,
    IdAndAadLength,
    Aad(usize),
    EdkCount,
    Edks(u16),
    ContentType,
    Rest,
    Done,
}

/// The outcome of feeding the parser.
pub(crate) enum Parse {
    /// At least this many more bytes (beyond those given) are needed.
    NeedMore(usize),
    /// The header is complete: `body_len` bytes of header body, then the tag.
    Done { header: MessageHeader, body_len: usize, tag: [u8; 16] },
}

/// An incremental header parser over a growing buffer. Every step either
/// completes a field or reports exactly how many more bytes it needs, so
/// callers can copy no more than the header into their buffer and the
/// parser never re-reads a completed field.
pub(crate) struct HeaderParser {
    limits: HeaderLimits,
    stage: Stage,
    pos: usize,
    suite: Option<AlgorithmSuite>,
    message_id: [u8; 32],
    encryption_context: EncryptionContext,
    edks: Vec<EncryptedDataKey>,
}

const ID_AND_AAD_LEN: usize = AlgorithmSuite::MESSAGE_ID_LEN + 2;
/// frame length (4) + suite data (32) + header tag (16)
const REST_LEN: usize = 4 + AlgorithmSuite::COMMITMENT_LEN + AlgorithmSuite::TAG_LEN;

impl HeaderParser {
    pub(crate) fn new(limits: HeaderLimits) -> Self {
        HeaderParser {
            limits,
            stage: Stage::Version,
            pos: 0,
            suite: None,
            message_id: [0; 32],
            encryption_context: EncryptionContext::default(),
            edks: Vec::new(),
        }
    }

    /// Bytes needed beyond `avail` to finish a field of `n` bytes at `pos`,
    /// or `None` if they are there. Checks the header size limit.
    fn want(&self, avail: usize, n: usize) -> Result<Option<usize>> {
        let end = self.pos.saturating_add(n);
        // The header must fit within max_header_length.
        if end > self.limits.max_header_length {
            return Err(EnvelopeError::HeaderTooLarge { max: self.limits.max_header_length });
        }
        Ok(if avail >= end { None } else { Some(end - avail) })
    }

    /// Continues parsing over `buf`, which holds every header byte received
    /// so far (a prefix of the message).
    pub(crate) fn advance(&mut self, buf: &[u8]) -> Result<Parse> {
        let avail = buf.len();
        loop {
            let rest = buf.get(self.pos..).unwrap_or_default();
            let mut r = Reader::new(rest);
            let truncated = || EnvelopeError::Internal("header parser out of step");
            match self.stage {
                Stage::Version => {
                    if let Some(n) = self.want(avail, 1)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    let v = r.u8().ok_or_else(truncated)?;
                    if v == b'A' {
                        // "Ag..." is how a version 2 header starts in Base64; wait
                        // for the second byte to tell the two mistakes apart.
                        if avail < 2 {
                            return Ok(Parse::NeedMore(1));
                        }
                        if buf.get(1) == Some(&b'g') || buf.get(1) == Some(&b'Y') {
                            return Err(EnvelopeError::Base64Encoded);
                        }
                    }
                    // Only message format version 2 is supported.
                    if v != AlgorithmSuite::MESSAGE_FORMAT_VERSION {
                        return Err(EnvelopeError::UnsupportedVersion(v));
                    }
                    self.pos += 1;
                    self.stage = Stage::Suite;
                }
                Stage::Suite => {
                    if let Some(n) = self.want(avail, 2)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    // The suite must be one of the two committing v2 suites.
                    self.suite = Some(AlgorithmSuite::from_id(r.u16().ok_or_else(truncated)?)?);
                    self.pos += 2;
                    self.stage = Stage::IdAndAadLength;
                }
                Stage::IdAndAadLength => {
                    if let Some(n) = self.want(avail, ID_AND_AAD_LEN)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    self.message_id = r.array().ok_or_else(truncated)?;
                    let aad_len = r.u16().ok_or_else(truncated)?;
                    self.pos += ID_AND_AAD_LEN;
                    self.stage = Stage::Aad(usize::from(aad_len));
                }
                Stage::Aad(len) => {
                    if let Some(n) = self.want(avail, len)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    self.encryption_context = EncryptionContext::parse(r.take(len).ok_or_else(truncated)?)?;
                    self.pos += len;
                    self.stage = Stage::EdkCount;
                }
                Stage::EdkCount => {
                    if let Some(n) = self.want(avail, 2)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    let count = r.u16().ok_or_else(truncated)?;
                    // There must be at least one encrypted data key.
                    if count == 0 {
                        return Err(EnvelopeError::MalformedHeader("the message has no encrypted data keys"));
                    }
                    // No more encrypted data keys than max_encrypted_data_keys.
                    if let Some(max) = self.limits.max_encrypted_data_keys {
                        if usize::from(count) > max {
                            return Err(EnvelopeError::TooManyEncryptedDataKeys { count: usize::from(count), max });
                        }
                    }
                    self.pos += 2;
                    self.edks = Vec::with_capacity(usize::from(count.min(64)));
                    self.stage = Stage::Edks(count);
                }
                Stage::Edks(remaining) => {
                    if remaining == 0 {
                        self.stage = Stage::ContentType;
                        continue;
                    }
                    // Walk the three length prefixes of the entry without copying.
                    let mut need = 0usize;
                    for _ in 0..3 {
                        need += 2;
                        if let Some(n) = self.want(avail, need)? {
                            return Ok(Parse::NeedMore(n));
                        }
                        let len_at: [u8; 2] =
                            rest.get(need - 2..need).and_then(|b| b.try_into().ok()).ok_or_else(truncated)?;
                        need += usize::from(u16::from_be_bytes(len_at));
                    }
                    if let Some(n) = self.want(avail, need)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    let pid = r.vec16().ok_or_else(truncated)?;
                    let info = r.vec16().ok_or_else(truncated)?;
                    let ct = r.vec16().ok_or_else(truncated)?;
                    let provider_id = String::from_utf8(pid.to_vec())
                        .map_err(|_| EnvelopeError::MalformedHeader("a key provider id is not UTF-8"))?;
                    self.edks.push(EncryptedDataKey {
                        provider_id,
                        provider_info: info.to_vec(),
                        ciphertext: ct.to_vec(),
                    });
                    self.pos += need;
                    self.stage = Stage::Edks(remaining - 1);
                }
                Stage::ContentType => {
                    if let Some(n) = self.want(avail, 1)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    let ct = r.u8().ok_or_else(truncated)?;
                    // Only framed content is accepted.
                    if ct != CONTENT_TYPE_FRAMED {
                        return Err(EnvelopeError::UnsupportedContentType(ct));
                    }
                    self.pos += 1;
                    self.stage = Stage::Rest;
                }
                Stage::Rest => {
                    if let Some(n) = self.want(avail, REST_LEN)? {
                        return Ok(Parse::NeedMore(n));
                    }
                    let frame_length = r.u32().ok_or_else(truncated)?;
                    // The frame length must be at least 1 ...
                    if frame_length == 0 {
                        return Err(EnvelopeError::InvalidFrameLength(0));
                    }
                    // ... and at most max_frame_length.
                    if frame_length > self.limits.max_frame_length {
                        return Err(EnvelopeError::FrameLengthExceedsLimit {
                            frame_length,
                            max: self.limits.max_frame_length,
                        });
                    }
                    let commitment: [u8; 32] = r.array().ok_or_else(truncated)?;
                    let tag: [u8; 16] = r.array().ok_or_else(truncated)?;
                    let body_len = self.pos + 4 + AlgorithmSuite::COMMITMENT_LEN;
                    self.pos += REST_LEN;
                    self.stage = Stage::Done;
                    let header = MessageHeader {
                        suite: self.suite.ok_or_else(truncated)?,
                        message_id: self.message_id,
                        encryption_context: core::mem::take(&mut self.encryption_context),
                        encrypted_data_keys: core::mem::take(&mut self.edks),
                        frame_length,
                        commitment,
                    };
                    return Ok(Parse::Done { header, body_len, tag });
                }
                Stage::Done => return Err(EnvelopeError::InvalidState("the header was already parsed")),
            }
        }
    }

    /// Where the header stands, for "truncated inside the ..." messages.
    pub(crate) fn part(&self) -> &'static str {
        match self.stage {
            Stage::Version | Stage::Suite | Stage::IdAndAadLength => "header",
            Stage::Aad(_) => "header's encryption context",
            Stage::EdkCount | Stage::Edks(_) => "header's encrypted data keys",
            Stage::ContentType | Stage::Rest | Stage::Done => "header",
        }
    }
}
