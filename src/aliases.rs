//! Aliases: friendly names (`alias/NAME`) that point at one key each.

use crate::error::{quoted, KmsError, Result, Violations};
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

/// The aliases AWS predefines in every account and region for the AWS
/// managed keys of services, in name order. Until a service uses its key,
/// ListAliases lists them without a `TargetKeyId`; the service view of a
/// client gives one its key (`alias/aws/SERVICE`) on first use.
pub const PREDEFINED: [&str; 14] = [
    "alias/aws/acm",
    "alias/aws/dynamodb",
    "alias/aws/ebs",
    "alias/aws/elasticfilesystem",
    "alias/aws/es",
    "alias/aws/glue",
    "alias/aws/kinesisvideo",
    "alias/aws/lambda",
    "alias/aws/rds",
    "alias/aws/redshift",
    "alias/aws/s3",
    "alias/aws/secretsmanager",
    "alias/aws/ssm",
    "alias/aws/xray",
];

/// AWS's pattern of an `AliasName` member, as its messages quote it.
pub const NAME_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

/// Most characters of an alias name.
pub const MAX_NAME_CHARS: usize = 256;

/// AWS's answer to an alias name without the `alias/` prefix.
const PREFIX_MESSAGE: &str =
    "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";

/// The model constraints of a name member of 1..256 characters of
/// `^[a-zA-Z0-9:/_-]+$` (`aliasName`, and a grant's `name`), checked with
/// the request's other members.
pub(crate) fn name_constraints(v: &mut Violations, member: &str, name: Option<&str>) {
    let allowed = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b));
    v.pattern(member, name, NAME_PATTERN, allowed).length(member, name, 1, MAX_NAME_CHARS);
}

/// After the model constraints: the name begins with `alias/`
/// (`ValidationException`, in AWS's words).
pub(crate) fn check_prefix(name: &str) -> Result<()> {
    if name.starts_with("alias/") {
        Ok(())
    } else {
        Err(KmsError::validation(PREFIX_MESSAGE))
    }
}

/// Names in the `alias/aws/` namespace belong to AWS managed keys.
pub(crate) fn check_not_reserved(name: &str) -> Result<()> {
    if name.starts_with("alias/aws/") {
        return Err(KmsError::InvalidAliasNameException(
            "Alias names beginning with 'alias/aws/' are reserved for AWS managed keys.".into(),
        ));
    }
    Ok(())
}

/// Validates an alias name for creating or updating, after its model
/// constraints: `alias/` followed by letters, digits, `/`, `_` and `-`,
/// and not in the `alias/aws/` namespace that AWS reserves for its managed
/// keys.
pub fn validate_name(name: &str) -> Result<()> {
    check_prefix(name)?;
    // The model's pattern allows ':', which alias names may not hold.
    if name.contains(':') {
        return Err(KmsError::validation(format!("{} contains invalid characters for an alias", quoted(name))));
    }
    if name == "alias/" {
        return Err(KmsError::validation("Alias must have a name after the prefix \"alias/\"."));
    }
    check_not_reserved(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of the `ValidationException` a name's model constraints or rules give.
    fn refusal(name: &str) -> (String, String) {
        let mut v = Violations::new();
        name_constraints(&mut v, "aliasName", Some(name));
        let e = v.check().and_then(|()| validate_name(name)).unwrap_err();
        (e.name().to_owned(), e.message().to_owned())
    }

    #[test]
    fn alias_names_follow_aws_rules() {
        for ok in ["alias/my-app/prod_1", &format!("alias/{}", "a".repeat(250))] {
            let mut v = Violations::new();
            name_constraints(&mut v, "aliasName", Some(ok));
            assert!(v.check().is_ok() && validate_name(ok).is_ok(), "{ok}");
        }
        let long = format!("alias/{}", "a".repeat(251));
        assert_eq!(
            refusal(&long).1,
            format!("1 validation error detected: Value '{long}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256")
        );
        assert_eq!(
            refusal("").1,
            "2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert_eq!(
            refusal("alias/has space").1,
            "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        );
        assert_eq!(
            refusal("my-app"),
            ("ValidationException".into(), "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into())
        );
        assert_eq!(
            refusal("alias/a:b"),
            ("ValidationException".into(), "alias/a:b contains invalid characters for an alias".into())
        );
        assert_eq!(refusal("alias/").0, "ValidationException");
        assert_eq!(refusal("alias/aws/s3").0, "InvalidAliasNameException");
    }

    #[test]
    fn predefined_aliases_are_in_name_order() {
        assert!(PREDEFINED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn refused_names_are_quoted_on_one_line() {
        let m = refusal("alias/a\nb").1;
        assert!(m.contains("'alias/a\\nb'") && !m.contains('\n'), "{m}");
    }
}
