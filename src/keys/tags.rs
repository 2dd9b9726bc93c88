//! Tag validation, with AWS's limits and exception names.

use crate::error::{KmsError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most tags one key may carry.
pub const MAX_TAGS_PER_KEY: usize = 50;

/// AWS's `Tag` shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// 1 to 128 characters, not starting with `aws:`.
    pub tag_key: String,
    /// 0 to 256 characters.
    pub tag_value: String,
}

/// Checks one tag key: 1..128 characters, and not in the reserved `aws:`
/// namespace.
pub fn validate_key(key: &str) -> Result<()> {
    let chars = key.chars().count();
    if !(1..=128).contains(&chars) {
        return Err(KmsError::TagException("TagKey must be between 1 and 128 characters long.".into()));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(KmsError::TagException("TagKey must not begin with the reserved prefix 'aws:'.".into()));
    }
    Ok(())
}

/// Validates `tags` and returns them as a map (a later duplicate key wins,
/// as in AWS).
pub fn validate(tags: &[Tag]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for t in tags {
        validate_key(&t.tag_key)?;
        if t.tag_value.chars().count() > 256 {
            return Err(KmsError::TagException("TagValue must be at most 256 characters long.".into()));
        }
        out.insert(t.tag_key.clone(), t.tag_value.clone());
    }
    Ok(out)
}

/// Merges `new` into `existing`, refusing to exceed the per-key limit.
pub fn merged(existing: &BTreeMap<String, String>, new: BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    let mut all = existing.clone();
    all.extend(new);
    // A key carries at most MAX_TAGS_PER_KEY tags.
    if all.len() > MAX_TAGS_PER_KEY {
        return Err(KmsError::LimitExceededException(format!("A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag { tag_key: k.into(), tag_value: v.into() }
    }

    #[test]
    fn tag_limits_follow_aws() {
        assert!(validate(&[tag(&"k".repeat(128), &"v".repeat(256)), tag("e", "")]).is_ok());
        assert_eq!(validate(&[tag("", "v")]).unwrap_err().name(), "TagException");
        assert_eq!(validate(&[tag(&"k".repeat(129), "v")]).unwrap_err().name(), "TagException");
        assert_eq!(validate(&[tag("k", &"v".repeat(257))]).unwrap_err().name(), "TagException");
        assert_eq!(validate(&[tag("aws:x", "v")]).unwrap_err().name(), "TagException");
        assert_eq!(validate(&[tag("AWS:x", "v")]).unwrap_err().name(), "TagException");
    }

    #[test]
    fn at_most_fifty_tags_per_key() {
        let fifty: BTreeMap<_, _> = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(merged(&BTreeMap::new(), fifty.clone()).is_ok());
        let one = BTreeMap::from([("extra".to_owned(), String::new())]);
        assert_eq!(merged(&fifty, one).unwrap_err().name(), "LimitExceededException");
        // overwriting an existing key does not count twice
        let same = BTreeMap::from([("k0".to_owned(), "new".to_owned())]);
        assert!(merged(&fifty, same).is_ok());
    }
}
