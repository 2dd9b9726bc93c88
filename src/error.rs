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

/// The constraints of AWS's API model that a request breaks, collected the
/// way AWS checks them, before anything else of the call: each broken
/// constraint is one violation, and together they make one
/// `ValidationException` in AWS's words: `1 validation error detected:
/// Value '<value>' at '<member>' failed to satisfy constraint: <constraint>`,
/// or `N validation errors detected: ` and the violations joined by `; `.
/// Members are named as AWS names them (`keyId`, `aliasName`); a value is
/// quoted through [`quoted`], and left out (`Value at '<member>'`) for
/// secrets and binary data, as AWS leaves out the values of sensitive
/// members. Absent optional members (`None`) break no constraint. Callers
/// check members in the order of the request's shape, and a member's
/// pattern before its length. The texts and their sources are in
/// docs/aws-texts.md.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// No violation yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records that `member` (shown as `value`, or not at all) breaks `constraint`.
    pub(crate) fn add(&mut self, member: &str, value: Option<&str>, constraint: &str) -> &mut Self {
        self.0.push(describe(member, value, constraint));
        self
    }

    /// A member the request must have.
    pub(crate) fn required<T>(&mut self, member: &str, value: Option<T>) -> &mut Self {
        if value.is_none() {
            self.0.push(format!("Value null at '{member}' failed to satisfy constraint: Member must not be null"));
        }
        self
    }

    /// A string member of `min..=max` characters.
    pub(crate) fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) -> &mut Self {
        if let Some(v) = value {
            if let Some(c) = length_constraint(v.chars().count(), min, max) {
                self.add(member, Some(v), &c);
            }
        }
        self
    }

    /// A secret or binary member of `min..=max` bytes (or a list of secrets
    /// of `min..=max` items): its value is never shown.
    pub(crate) fn size(&mut self, member: &str, len: Option<usize>, min: usize, max: usize) -> &mut Self {
        if let Some(c) = len.and_then(|n| length_constraint(n, min, max)) {
            self.add(member, None, &c);
        }
        self
    }

    /// An integer member within `min..=max`.
    pub(crate) fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) -> &mut Self {
        if let Some(v) = value {
            let c = if v < min {
                format!("Member must have value greater than or equal to {min}")
            } else if v > max {
                format!("Member must have value less than or equal to {max}")
            } else {
                return self;
            };
            self.add(member, Some(&v.to_string()), &c);
        }
        self
    }

    /// A string member that must match `pattern` (AWS's regular expression,
    /// as the message quotes it); `matches` is the test.
    pub(crate) fn pattern(
        &mut self,
        member: &str,
        value: Option<&str>,
        pattern: &str,
        matches: impl Fn(&str) -> bool,
    ) -> &mut Self {
        if let Some(v) = value.filter(|v| !matches(v)) {
            self.add(member, Some(v), &format!("Member must satisfy regular expression pattern: {pattern}"));
        }
        self
    }

    /// A member of an enum: one of `values`.
    pub(crate) fn one_of(&mut self, member: &str, value: Option<&str>, values: &[&str]) -> &mut Self {
        if let Some(v) = value.filter(|v| !values.contains(v)) {
            self.add(member, Some(v), &enum_constraint(values));
        }
        self
    }

    /// A list member each of whose items is one of `values`.
    pub(crate) fn each_one_of(&mut self, member: &str, items: &[String], values: &[&str]) -> &mut Self {
        if items.iter().any(|i| !values.contains(&i.as_str())) {
            let shown = format!("[{}]", items.join(", "));
            self.add(member, Some(&shown), &format!("Member must satisfy constraint: [{}]", enum_constraint(values)));
        }
        self
    }

    /// A list member each of whose items has `min..=max` characters;
    /// `shown` says whether the items may be quoted (not grant tokens).
    pub(crate) fn each_length(
        &mut self,
        member: &str,
        items: &[String],
        min: usize,
        max: usize,
        shown: bool,
    ) -> &mut Self {
        if items.iter().any(|i| length_constraint(i.chars().count(), min, max).is_some()) {
            let value = shown.then(|| format!("[{}]", items.join(", ")));
            let c = format!(
                "Member must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to {min}]"
            );
            self.add(member, value.as_deref(), &c);
        }
        self
    }

    /// `Ok` when nothing was broken; otherwise the one `ValidationException`
    /// that names every violation.
    pub(crate) fn check(&self) -> Result<()> {
        match self.0.as_slice() {
            [] => Ok(()),
            [one] => Err(KmsError::ValidationException(format!("1 validation error detected: {one}"))),
            all => Err(KmsError::ValidationException(format!(
                "{} validation errors detected: {}",
                all.len(),
                all.join("; ")
            ))),
        }
    }
}

fn length_constraint(len: usize, min: usize, max: usize) -> Option<String> {
    if len < min {
        Some(format!("Member must have length greater than or equal to {min}"))
    } else if len > max {
        Some(format!("Member must have length less than or equal to {max}"))
    } else {
        None
    }
}

/// AWS's constraint of an enum member: `Member must satisfy enum value set: [A, B]`.
pub(crate) fn enum_constraint(values: &[&str]) -> String {
    format!("Member must satisfy enum value set: [{}]", values.join(", "))
}

/// One violation in AWS's words: `Value '<value>' at '<member>' failed to
/// satisfy constraint: <constraint>` (`Value at` when the value is not shown).
fn describe(member: &str, value: Option<&str>, constraint: &str) -> String {
    match value {
        Some(v) => format!("Value '{}' at '{member}' failed to satisfy constraint: {constraint}", quoted(v)),
        None => format!("Value at '{member}' failed to satisfy constraint: {constraint}"),
    }
}

/// The one violation of `member` as a `ValidationException` (see [`Violations`]).
pub(crate) fn violation(member: &str, value: Option<&str>, constraint: &str) -> KmsError {
    KmsError::ValidationException(format!("1 validation error detected: {}", describe(member, value, constraint)))
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
