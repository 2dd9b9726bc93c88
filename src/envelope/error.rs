//! `EnvelopeError`: every way an envelope operation can fail.
//!
//! Messages follow the AWS Encryption SDK's wording where it has one. They
//! never quote secret bytes (plaintext, keys); they may quote lengths,
//! counts, sequence numbers, suite ids and encryption-context *keys* (which
//! are authenticated but not secret).

use core::fmt;

/// An error from the envelope (message format, keyring) layer.
///
/// [`EnvelopeError::name`] groups the variants into a few JS error names;
/// [`EnvelopeError::code`] names the variant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    // ---- malformed messages -------------------------------------------
    /// The first byte is not a supported message format version.
    UnsupportedVersion(u8),
    /// The algorithm suite id is unknown, not committing, or not allowed here.
    UnsupportedAlgorithmSuite(u16),
    /// The content type is not 0x02 (framed); 0x01 (non-framed) is refused.
    UnsupportedContentType(u8),
    /// The message looks like the Base64 encoding of a message.
    Base64Encoded,
    /// The input ended before the message was complete.
    Truncated(&'static str),
    /// A header field is malformed (counts, lengths, UTF-8, duplicates).
    MalformedHeader(&'static str),
    /// A frame or the footer is malformed.
    MalformedBody(&'static str),
    /// A frame carries the wrong sequence number.
    SequenceNumberMismatch {
        /// The sequence number the next frame must carry.
        expected: u32,
        /// The sequence number found.
        found: u32,
    },
    /// Bytes follow the end of the message.
    TrailingBytes,
    /// The header's frame length is 0.
    InvalidFrameLength(u32),

    // ---- limits ----------------------------------------------------------
    /// The frame length exceeds the configured maximum.
    FrameLengthExceedsLimit {
        /// The frame length in the header (or requested).
        frame_length: u32,
        /// The configured maximum.
        max: u32,
    },
    /// More encrypted data keys than the configured maximum.
    TooManyEncryptedDataKeys {
        /// The number in the header (or supplied).
        count: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The header is larger than the configured maximum.
    HeaderTooLarge {
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// A field does not fit its length prefix (encrypt side).
    FieldTooLarge(&'static str),
    /// The message would need more frames than the format allows.
    TooManyFrames,

    // ---- encryption context ---------------------------------------------
    /// A key required on decrypt is absent from the message's context.
    MissingRequiredContextKey(String),
    /// A key required on decrypt has a different value in the message.
    ContextValueMismatch(String),
    /// The caller's context uses the reserved `aws-crypto-` prefix.
    ReservedContextKey(String),
    /// A signed suite's context lacks a valid `aws-crypto-public-key`.
    MissingPublicKey,
    /// An unsigned suite's context carries `aws-crypto-public-key`.
    UnexpectedPublicKey,

    // ---- authentication --------------------------------------------------
    /// The data key does not match the header's commitment.
    CommitmentMismatch,
    /// The header's authentication tag does not verify.
    HeaderAuthenticationFailed,
    /// A frame's authentication tag does not verify.
    FrameAuthenticationFailed(u32),
    /// The footer's signature does not verify.
    SignatureInvalid,
    /// Signed suites are refused by this decryptor's options.
    SignedSuiteRefused,

    // ---- keyrings ---------------------------------------------------------
    /// A wrapping key is not 16, 24 or 32 bytes long.
    InvalidWrappingKey,
    /// A keyring setting is invalid (names, namespace).
    InvalidKeyring(&'static str),
    /// No encrypted data key could be decrypted by the keyring.
    UnableToDecryptDataKey,

    // ---- caller mistakes ---------------------------------------------------
    /// An argument is invalid (frame length, data key length, ...).
    InvalidArgument(String),
    /// A method was called in the wrong state (e.g. `update` after `finish`).
    InvalidState(&'static str),
    /// The platform failed (random number generator).
    Internal(&'static str),
    /// Not a user-facing error: the core engine's signal that the message
    /// needs the full engine (the ECDSA P-384 signing suite), raised before
    /// any output; the client replays the work on the full engine.
    NeedsFullEngine(&'static str),
}

impl EnvelopeError {
    /// The JS error name of this error's group:
    /// `MalformedMessageError`, `LimitExceededError`, `EncryptionContextError`,
    /// `AuthenticationError`, `KeyringError`, `InvalidArgumentError`,
    /// `InvalidStateError` or `InternalError`.
    pub fn name(&self) -> &'static str {
        use EnvelopeError::*;
        match self {
            UnsupportedVersion(_)
            | UnsupportedAlgorithmSuite(_)
            | UnsupportedContentType(_)
            | Base64Encoded
            | Truncated(_)
            | MalformedHeader(_)
            | MalformedBody(_)
            | SequenceNumberMismatch { .. }
            | TrailingBytes
            | InvalidFrameLength(_) => "MalformedMessageError",
            FrameLengthExceedsLimit { .. }
            | TooManyEncryptedDataKeys { .. }
            | HeaderTooLarge { .. }
            | FieldTooLarge(_)
            | TooManyFrames => "LimitExceededError",
            MissingRequiredContextKey(_)
            | ContextValueMismatch(_)
            | ReservedContextKey(_)
            | MissingPublicKey
            | UnexpectedPublicKey => "EncryptionContextError",
            CommitmentMismatch
            | HeaderAuthenticationFailed
            | FrameAuthenticationFailed(_)
            | SignatureInvalid
            | SignedSuiteRefused => "AuthenticationError",
            InvalidWrappingKey | InvalidKeyring(_) | UnableToDecryptDataKey => "KeyringError",
            InvalidArgument(_) => "InvalidArgumentError",
            InvalidState(_) => "InvalidStateError",
            Internal(_) => "InternalError",
            NeedsFullEngine(_) => crate::error::NEEDS_FULL_ENGINE,
        }
    }

    /// The variant's name, stable for programs (`err.code` in JS).
    pub fn code(&self) -> &'static str {
        use EnvelopeError::*;
        match self {
            UnsupportedVersion(_) => "UnsupportedVersion",
            UnsupportedAlgorithmSuite(_) => "UnsupportedAlgorithmSuite",
            UnsupportedContentType(_) => "UnsupportedContentType",
            Base64Encoded => "Base64Encoded",
            Truncated(_) => "Truncated",
            MalformedHeader(_) => "MalformedHeader",
            MalformedBody(_) => "MalformedBody",
            SequenceNumberMismatch { .. } => "SequenceNumberMismatch",
            TrailingBytes => "TrailingBytes",
            InvalidFrameLength(_) => "InvalidFrameLength",
            FrameLengthExceedsLimit { .. } => "FrameLengthExceedsLimit",
            TooManyEncryptedDataKeys { .. } => "TooManyEncryptedDataKeys",
            HeaderTooLarge { .. } => "HeaderTooLarge",
            FieldTooLarge(_) => "FieldTooLarge",
            TooManyFrames => "TooManyFrames",
            MissingRequiredContextKey(_) => "MissingRequiredContextKey",
            ContextValueMismatch(_) => "ContextValueMismatch",
            ReservedContextKey(_) => "ReservedContextKey",
            MissingPublicKey => "MissingPublicKey",
            UnexpectedPublicKey => "UnexpectedPublicKey",
            CommitmentMismatch => "CommitmentMismatch",
            HeaderAuthenticationFailed => "HeaderAuthenticationFailed",
            FrameAuthenticationFailed(_) => "FrameAuthenticationFailed",
            SignatureInvalid => "SignatureInvalid",
            SignedSuiteRefused => "SignedSuiteRefused",
            InvalidWrappingKey => "InvalidWrappingKey",
            InvalidKeyring(_) => "InvalidKeyring",
            UnableToDecryptDataKey => "UnableToDecryptDataKey",
            InvalidArgument(_) => "InvalidArgument",
            InvalidState(_) => "InvalidState",
            Internal(_) => "Internal",
            NeedsFullEngine(_) => "NeedsFullEngine",
        }
    }

    /// The human-readable message (the `Display` text).
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use EnvelopeError::*;
        match self {
            UnsupportedVersion(v) => write!(f, "Unsupported version: 0x{v:02x}. Only message format version 2 is supported."),
            UnsupportedAlgorithmSuite(id) => write!(
                f,
                "Unsupported algorithm suite: 0x{id:04x}. Only the committing suites 0x0478 and 0x0578 are supported (commitment policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT)."
            ),
            UnsupportedContentType(t) => write!(f, "Unsupported content type: 0x{t:02x}. Only framed content (0x02) is supported."),
            Base64Encoded => f.write_str("Malformed message: the input appears to be Base64 encoded; decode it first."),
            Truncated(what) => write!(f, "Truncated message: the input ended inside the {what}."),
            MalformedHeader(what) => write!(f, "Malformed header: {what}."),
            MalformedBody(what) => write!(f, "Malformed body: {what}."),
            SequenceNumberMismatch { expected, found } => {
                write!(f, "Malformed body: frame sequence number {found} where {expected} was expected.")
            }
            TrailingBytes => f.write_str("Malformed message: bytes follow the end of the message."),
            InvalidFrameLength(n) => write!(f, "Invalid frame length: {n}."),
            FrameLengthExceedsLimit { frame_length, max } => {
                write!(f, "Frame length {frame_length} exceeds the maximum of {max}.")
            }
            TooManyEncryptedDataKeys { count, max } => {
                write!(f, "maxEncryptedDataKeys exceeded: {count} encrypted data keys, the maximum is {max}.")
            }
            HeaderTooLarge { max } => write!(f, "The message header exceeds the maximum of {max} bytes."),
            FieldTooLarge(what) => write!(f, "The {what} is too large for the message format."),
            TooManyFrames => f.write_str("The message would exceed the maximum number of frames (2^32 - 1)."),
            MissingRequiredContextKey(k) => {
                write!(f, "Missing required encryption context key: the message's encryption context has no '{k}'.")
            }
            ContextValueMismatch(k) => {
                write!(f, "Encryption context mismatch: the message's value for '{k}' differs from the required value.")
            }
            ReservedContextKey(k) => write!(
                f,
                "Encryption context key '{k}' uses the reserved prefix 'aws-crypto-'."
            ),
            MissingPublicKey => f.write_str(
                "Malformed encryption context: a signed algorithm suite requires a valid 'aws-crypto-public-key'.",
            ),
            UnexpectedPublicKey => f.write_str(
                "Malformed encryption context: an unsigned algorithm suite must not carry 'aws-crypto-public-key'.",
            ),
            CommitmentMismatch => f.write_str("Commitment does not match: the data key does not belong to this message."),
            HeaderAuthenticationFailed => f.write_str("Header authentication failed: the header tag does not verify."),
            FrameAuthenticationFailed(seq) => {
                write!(f, "Frame authentication failed: the tag of frame {seq} does not verify.")
            }
            SignatureInvalid => f.write_str("Invalid signature: the message signature does not verify."),
            SignedSuiteRefused => {
                f.write_str("The message uses a signed algorithm suite, which this decryptor is configured to refuse.")
            }
            InvalidWrappingKey => f.write_str("Invalid wrapping key: an AES wrapping key must be 16, 24 or 32 bytes."),
            InvalidKeyring(what) => write!(f, "Invalid keyring: {what}."),
            UnableToDecryptDataKey => f.write_str("Unable to decrypt data key: no encrypted data key matched the keyring."),
            InvalidArgument(what) => f.write_str(what),
            InvalidState(what) => write!(f, "Invalid state: {what}."),
            Internal(what) => write!(f, "Internal error: {what}."),
            NeedsFullEngine(what) => write!(f, "{what} needs the full engine."),
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// Result alias for the envelope module.
pub type Result<T, E = EnvelopeError> = core::result::Result<T, E>;
