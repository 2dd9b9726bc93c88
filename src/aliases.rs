//! Aliases: friendly names (`alias/NAME`) that point at one key each.

use crate::error::{KmsError, Result};
use crate::ids::KeyId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Most aliases that may point at one key (AWS's quota).
pub const MAX_ALIASES_PER_KEY: usize = 50;

/// One alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The key it points at.
    pub target: KeyId,
    /// When it was created.
    pub created: Timestamp,
    /// When it was last pointed at a key.
    pub updated: Timestamp,
}

/// Validates an alias name for creating or updating: `alias/` followed by
/// letters, digits, `/`, `_` and `-`, at most 256 characters, and not in
/// the `alias/aws/` namespace that AWS reserves for its managed keys.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 {
        return Err(KmsError::validation("AliasName must be between 1 and 256 characters long."));
    }
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::InvalidAliasNameException("AliasName must begin with 'alias/'.".into()));
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-')) {
        return Err(KmsError::validation(
            "AliasName must be 'alias/' followed by letters, digits, '/', '_' and '-' only.",
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::InvalidAliasNameException(
            "Alias names beginning with 'alias/aws/' are reserved for AWS managed keys.".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_follow_aws_rules() {
        assert!(validate_name("alias/my-app/prod_1").is_ok());
        assert!(validate_name(&format!("alias/{}", "a".repeat(250))).is_ok());
        assert_eq!(validate_name(&format!("alias/{}", "a".repeat(251))).unwrap_err().name(), "ValidationException");
        assert_eq!(validate_name("").unwrap_err().name(), "ValidationException");
        assert_eq!(validate_name("my-app").unwrap_err().name(), "InvalidAliasNameException");
        assert_eq!(validate_name("alias/").unwrap_err().name(), "ValidationException");
        assert_eq!(validate_name("alias/has space").unwrap_err().name(), "ValidationException");
        assert_eq!(validate_name("alias/a:b").unwrap_err().name(), "ValidationException");
        assert_eq!(validate_name("alias/aws/s3").unwrap_err().name(), "InvalidAliasNameException");
    }
}
