//! Tag validation, with AWS's limits and exception names.

use crate::error::{KmsError, Result, Violations};
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

/// Longest tag key, in characters.
const MAX_KEY_CHARS: usize = 128;
/// Longest tag value, in characters.
const MAX_VALUE_CHARS: usize = 256;

/// The model constraints of a `Tags` member: each key 1..128 characters,
/// each value at most 256, named as AWS names list members
/// (`tags.1.member.tagKey`).
pub(crate) fn constraints(v: &mut Violations, tags: &[Tag]) {
    for (i, t) in tags.iter().enumerate() {
        v.length(&format!("tags.{}.member.tagKey", i + 1), Some(&t.tag_key), 1, MAX_KEY_CHARS).length(
            &format!("tags.{}.member.tagValue", i + 1),
            Some(&t.tag_value),
            0,
            MAX_VALUE_CHARS,
        );
    }
}

/// The model constraints of a `TagKeys` member: each key 1..128 characters.
pub(crate) fn key_constraints(v: &mut Violations, keys: &[String]) {
    v.each_length("tagKeys", keys, 1, MAX_KEY_CHARS, true);
}

/// After the model constraints, a tag key must not be in the reserved
/// `aws:` namespace.
pub fn validate_key(key: &str) -> Result<()> {
    let mut v = Violations::new();
    key_constraints(&mut v, &[key.to_owned()]);
    v.check()?;
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(KmsError::TagException("TagKey must not begin with the reserved prefix 'aws:'.".into()));
    }
    Ok(())
}

/// Validates `tags` and returns them as a map (a later duplicate key wins,
/// as in AWS).
pub fn validate(tags: &[Tag]) -> Result<BTreeMap<String, String>> {
    let mut v = Violations::new();
    constraints(&mut v, tags);
    v.check()?;
    let mut out = BTreeMap::new();
    for t in tags {
        validate_key(&t.tag_key)?;
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
        let e = validate(&[tag("ok", "v"), tag("", "v")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ValidationException: 1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let long = "k".repeat(129);
        let e = validate(&[tag(&long, &"v".repeat(257))]).unwrap_err();
        assert_eq!(
            e.message(),
            format!(
                "2 validation errors detected: Value '{long}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128; Value '{}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256",
                "v".repeat(257)
            )
        );
        assert_eq!(
            validate_key("").unwrap_err().message(),
            "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
        );
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
