//! The one error type of the crate. Each variant is an AWS KMS exception name,
//! so the bindings can turn any failure into a JS `Error` whose `name` is what
//! code written against `@aws-sdk/client-kms` expects.
//!
//! Messages are one sentence and never carry plaintext, key material or data
//! keys: they are built only from identifiers, names and numbers.

use core::fmt;

/// The JS `name` of [`KmsError::NeedsFullEngine`] (and of the envelope's
/// equivalent): deliberately not an AWS exception name, so nothing mistakes
/// it for an answer.
pub const NEEDS_FULL_ENGINE: &str = "KmsWasmNeedsFullEngine";

/// A caller's text as an error message quotes it: control characters
/// (newlines included) escaped, so every message stays one line.
pub(crate) fn quoted(input: &str) -> String {
    if !input.chars().any(char::is_control) {
        return input.to_owned();
    }
    input.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// A failed KMS call. The variant is the AWS exception name; the string is
/// a one-sentence message for humans.
#[derive(Clone, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the names are AWS's, not ours
pub enum KmsError {
    /// A key, alias or other resource does not exist (or the id is malformed).
    NotFoundException(String),
    /// The key is disabled.
    DisabledException(String),
    /// The key's state does not allow the operation.
    KMSInvalidStateException(String),
    /// A ciphertext could not be authenticated or parsed. The message is fixed.
    InvalidCiphertextException(String),
    /// Decrypt named a key that did not encrypt the ciphertext.
    IncorrectKeyException(String),
    /// The request does not satisfy a constraint of the API.
    ValidationException(String),
    /// The resource (an alias, usually) already exists.
    AlreadyExistsException(String),
    /// A quota was reached.
    LimitExceededException(String),
    /// The caller is not allowed to perform the operation.
    AccessDeniedException(String),
    /// The operation is not supported for this key or in this library.
    UnsupportedOperationException(String),
    /// An internal failure (a CSPRNG error, a panic caught by the client).
    KMSInternalException(String),
    /// A list `Marker` is not one this service handed out.
    InvalidMarkerException(String),
    /// A tag key or value is not valid.
    TagException(String),
    /// An alias name is not valid.
    InvalidAliasNameException(String),
    /// The key cannot be used with the requested algorithm or usage.
    InvalidKeyUsageException(String),
    /// `DryRun` was set and the call would have succeeded.
    DryRunOperationException(String),
    /// The policy document is not valid.
    MalformedPolicyDocumentException(String),
    /// A grant token is not valid.
    InvalidGrantTokenException(String),
    /// A grant id is not valid.
    InvalidGrantIdException(String),
    /// An ARN is not valid.
    InvalidArnException(String),
    /// An import token is not valid for the key.
    InvalidImportTokenException(String),
    /// An import token has expired.
    ExpiredImportTokenException(String),
    /// Imported material is not the material the key had.
    IncorrectKeyMaterialException(String),
    /// A stored state could not be read back (corrupted or of another version).
    KMSInvalidStoreException(String),
    /// No custom key store has the given id or name.
    CustomKeyStoreNotFoundException(String),
    /// The custom key store's connection state does not allow the operation.
    CustomKeyStoreInvalidStateException(String),
    /// Another custom key store of the account has the name.
    CustomKeyStoreNameInUseException(String),
    /// The custom key store still holds KMS keys.
    CustomKeyStoreHasCMKsException(String),
    /// Another KMS key of the custom key store uses the external key.
    XksKeyAlreadyInUseException(String),
    /// The external key store cannot find the external key.
    XksKeyNotFoundException(String),
    /// The external key does not encrypt and decrypt as a KMS key needs.
    XksKeyInvalidConfigurationException(String),
    /// Not an AWS exception: the internal signal of the core engine (built
    /// without the `full` feature) that a call needs code only the full
    /// engine has. It is raised before the call reads or changes anything
    /// (no state, no audit record), so the client can load the full engine,
    /// move the state into it and replay the call; users never see it. The
    /// string names what was needed.
    NeedsFullEngine(String),
}

impl KmsError {
    /// The AWS exception name, used as the JS error's `name`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotFoundException(_) => "NotFoundException",
            Self::DisabledException(_) => "DisabledException",
            Self::KMSInvalidStateException(_) => "KMSInvalidStateException",
            Self::InvalidCiphertextException(_) => "InvalidCiphertextException",
            Self::IncorrectKeyException(_) => "IncorrectKeyException",
            Self::ValidationException(_) => "ValidationException",
            Self::AlreadyExistsException(_) => "AlreadyExistsException",
            Self::LimitExceededException(_) => "LimitExceededException",
            Self::AccessDeniedException(_) => "AccessDeniedException",
            Self::UnsupportedOperationException(_) => "UnsupportedOperationException",
            Self::KMSInternalException(_) => "KMSInternalException",
            Self::InvalidMarkerException(_) => "InvalidMarkerException",
            Self::TagException(_) => "TagException",
            Self::InvalidAliasNameException(_) => "InvalidAliasNameException",
            Self::InvalidKeyUsageException(_) => "InvalidKeyUsageException",
            Self::DryRunOperationException(_) => "DryRunOperationException",
            Self::MalformedPolicyDocumentException(_) => "MalformedPolicyDocumentException",
            Self::InvalidGrantTokenException(_) => "InvalidGrantTokenException",
            Self::InvalidGrantIdException(_) => "InvalidGrantIdException",
            Self::InvalidArnException(_) => "InvalidArnException",
            Self::InvalidImportTokenException(_) => "InvalidImportTokenException",
            Self::ExpiredImportTokenException(_) => "ExpiredImportTokenException",
            Self::IncorrectKeyMaterialException(_) => "IncorrectKeyMaterialException",
            Self::KMSInvalidStoreException(_) => "KMSInvalidStoreException",
            Self::CustomKeyStoreNotFoundException(_) => "CustomKeyStoreNotFoundException",
            Self::CustomKeyStoreInvalidStateException(_) => "CustomKeyStoreInvalidStateException",
            Self::CustomKeyStoreNameInUseException(_) => "CustomKeyStoreNameInUseException",
            Self::CustomKeyStoreHasCMKsException(_) => "CustomKeyStoreHasCMKsException",
            Self::XksKeyAlreadyInUseException(_) => "XksKeyAlreadyInUseException",
            Self::XksKeyNotFoundException(_) => "XksKeyNotFoundException",
            Self::XksKeyInvalidConfigurationException(_) => "XksKeyInvalidConfigurationException",
            Self::NeedsFullEngine(_) => NEEDS_FULL_ENGINE,
        }
    }

    /// The human-readable sentence.
    pub fn message(&self) -> &str {
        match self {
            Self::NotFoundException(m)
            | Self::DisabledException(m)
            | Self::KMSInvalidStateException(m)
            | Self::InvalidCiphertextException(m)
            | Self::IncorrectKeyException(m)
            | Self::ValidationException(m)
            | Self::AlreadyExistsException(m)
            | Self::LimitExceededException(m)
            | Self::AccessDeniedException(m)
            | Self::UnsupportedOperationException(m)
            | Self::KMSInternalException(m)
            | Self::InvalidMarkerException(m)
            | Self::TagException(m)
            | Self::InvalidAliasNameException(m)
            | Self::InvalidKeyUsageException(m)
            | Self::DryRunOperationException(m)
            | Self::MalformedPolicyDocumentException(m)
            | Self::InvalidGrantTokenException(m)
            | Self::InvalidGrantIdException(m)
            | Self::InvalidArnException(m)
            | Self::InvalidImportTokenException(m)
            | Self::ExpiredImportTokenException(m)
            | Self::IncorrectKeyMaterialException(m)
            | Self::KMSInvalidStoreException(m)
            | Self::CustomKeyStoreNotFoundException(m)
            | Self::CustomKeyStoreInvalidStateException(m)
            | Self::CustomKeyStoreNameInUseException(m)
            | Self::CustomKeyStoreHasCMKsException(m)
            | Self::XksKeyAlreadyInUseException(m)
            | Self::XksKeyNotFoundException(m)
            | Self::XksKeyInvalidConfigurationException(m)
            | Self::NeedsFullEngine(m) => m,
        }
    }

    /// The one message every ciphertext failure carries, whatever went wrong
    /// (bad tag, truncation, unknown key, other context): telling them apart
    /// would help an attacker and help no honest caller.
    pub fn invalid_ciphertext() -> Self {
        Self::InvalidCiphertextException(
            "The ciphertext is invalid, was altered, or does not match the encryption context.".to_owned(),
        )
    }

    /// The core engine's signal that `what` needs the full engine.
    pub fn needs_full_engine(what: &str) -> Self {
        Self::NeedsFullEngine(format!("{what} needs the full engine."))
    }

    /// Shorthand for a `ValidationException` with a message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::ValidationException(message.into())
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl fmt::Debug for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for KmsError {}

/// The result of every fallible operation.
pub type Result<T, E = KmsError> = core::result::Result<T, E>;

#[cfg(test)]
mod quoting_tests {
    #[test]
    fn quoted_input_stays_on_one_line() {
        assert_eq!(super::quoted("alias/x"), "alias/x");
        assert_eq!(super::quoted("a\nb\tc\u{7}"), "a\\nb\\tc\\u{7}");
    }
}
