//! Identifiers: key ids (UUIDs), key ARNs, alias names and alias ARNs, and the
//! parsing of the `KeyId` member, which AWS accepts in up to four forms.

use crate::error::{KmsError, Result};
use core::fmt;
use serde::{Deserialize, Serialize};

/// A key's id, kept as 16 bytes so it fits in a ciphertext blob: a random
/// (version 4) UUID, or for a multi-Region key `mrk-` and 32 hex digits.
/// The two never meet: a UUID's variant bits (byte 8) are `10`, and
/// kms-wasm makes the ids of multi-Region keys with `11` there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId(pub [u8; 16]);

const MRK_PREFIX: &str = "mrk-";
const MRK_BITS: u8 = 0xC0;

impl KeyId {
    /// A new random key id.
    pub fn random() -> Result<KeyId> {
        let bytes = crate::crypto::random_array::<16>()?;
        Ok(KeyId(*uuid::Builder::from_random_bytes(bytes).as_uuid().as_bytes()))
    }

    /// A new random id of a multi-Region key (`mrk-` + 32 hex digits).
    pub fn random_multi_region() -> Result<KeyId> {
        let mut bytes = crate::crypto::random_array::<16>()?;
        if let Some(b) = bytes.get_mut(8) {
            *b |= MRK_BITS;
        }
        Ok(KeyId(bytes))
    }

    /// Whether this is the id of a multi-Region key.
    pub fn is_multi_region(&self) -> bool {
        self.0.get(8).is_some_and(|b| b & MRK_BITS == MRK_BITS)
    }

    /// Parses the canonical hyphenated form (`1234abcd-12ab-34cd-56ef-1234567890ab`)
    /// or a multi-Region key's (`mrk-1234abcd12ab34cd56ef1234567890ab`).
    pub fn parse(s: &str) -> Option<KeyId> {
        if let Some(hex_part) = s.strip_prefix(MRK_PREFIX) {
            let mut bytes = [0u8; 16];
            let lower = hex_part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            hex::decode_to_slice(hex_part, &mut bytes).ok().filter(|()| lower)?;
            return Some(KeyId(bytes)).filter(KeyId::is_multi_region);
        }
        if s.len() != 36 {
            return None;
        }
        uuid::Uuid::try_parse(s).ok().map(|u| KeyId(*u.as_bytes())).filter(|id| !id.is_multi_region())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_multi_region() {
            return write!(f, "{MRK_PREFIX}{}", hex::encode(self.0));
        }
        fmt::Display::fmt(&uuid::Uuid::from_bytes(self.0).hyphenated(), f)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Where keys live: the account and region that appear in every ARN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// The 12-digit AWS account id.
    pub account_id: String,
    /// The region name, e.g. `us-east-1`.
    pub region: String,
}

impl Partition {
    /// Validates an account id (12 digits) and a region (lower-case letters,
    /// digits and hyphens).
    pub fn new(account_id: &str, region: &str) -> Result<Partition> {
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KmsError::validation("accountId must be a 12-digit AWS account id."));
        }
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(KmsError::validation("region must be an AWS region name such as us-east-1."));
        }
        Ok(Partition { account_id: account_id.to_owned(), region: region.to_owned() })
    }

    /// `arn:aws:kms:REGION:ACCOUNT:` followed by `resource`, built in one
    /// allocation (ARNs are made on every call, so this is a hot path).
    fn arn(&self, resource: &str, id: Option<KeyId>) -> String {
        let mut out = String::with_capacity(13 + self.region.len() + self.account_id.len() + resource.len() + 36);
        out.push_str("arn:aws:kms:");
        out.push_str(&self.region);
        out.push(':');
        out.push_str(&self.account_id);
        out.push(':');
        out.push_str(resource);
        if let Some(id) = id {
            if id.is_multi_region() {
                out.push_str(MRK_PREFIX);
                out.push_str(&hex::encode(id.0));
            } else {
                let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
                out.push_str(uuid::Uuid::from_bytes(id.0).hyphenated().encode_lower(&mut buf));
            }
        }
        out
    }

    /// `arn:aws:kms:REGION:ACCOUNT:key/UUID`
    pub fn key_arn(&self, id: KeyId) -> String {
        self.arn("key/", Some(id))
    }

    /// The ARN of key `id` in another region of this account.
    pub fn key_arn_in(&self, region: &str, id: KeyId) -> String {
        format!("arn:aws:kms:{region}:{}:key/{id}", self.account_id)
    }

    /// `arn:aws:kms:REGION:ACCOUNT:alias/NAME` for an alias name `alias/NAME`.
    pub fn alias_arn(&self, alias_name: &str) -> String {
        self.arn(alias_name, None)
    }

    /// The part of `arn` after `arn:aws:kms:REGION:ACCOUNT:`, if it is an
    /// ARN of this account and region.
    fn local_part<'a>(&self, arn: &'a str) -> Option<&'a str> {
        arn.strip_prefix("arn:aws:kms:")?
            .strip_prefix(self.region.as_str())?
            .strip_prefix(':')?
            .strip_prefix(self.account_id.as_str())?
            .strip_prefix(':')
    }

    /// Why an ARN of another account or region names no key we have: for a
    /// key ARN of another region AWS answers `Invalid arn <region>`; any
    /// other foreign ARN is a key that does not exist.
    fn foreign_arn(&self, arn: &str) -> KmsError {
        let mut parts = arn.splitn(6, ':');
        let (region, account, resource) = (parts.nth(3), parts.next(), parts.next());
        match (region, account, resource) {
            (Some(region), Some(account), Some(resource))
                if account == self.account_id && region != self.region && resource.starts_with("key/") =>
            {
                KmsError::NotFoundException(format!("Invalid arn {}", crate::error::quoted(region)))
            }
            _ => KmsError::NotFoundException(format!("Key '{}' does not exist", crate::error::quoted(arn))),
        }
    }

    /// The root principal of the account, the default caller.
    pub fn root_principal(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account_id)
    }

    /// Parses a `KeyId` request member. `aliases` says whether the operation
    /// accepts alias names and alias ARNs (AWS accepts them only for
    /// cryptographic operations and `DescribeKey`).
    pub fn parse_key_ref(&self, input: &str, aliases: AliasForms) -> Result<KeyRef> {
        crate::error::Violations::new().length("keyId", Some(input), 1, MAX_KEY_ID_CHARS).check()?;
        let not_found = || KmsError::NotFoundException(format!("Invalid keyId '{}'", crate::error::quoted(input)));
        let local = match input.strip_prefix("arn:") {
            Some(_) => self.local_part(input).ok_or_else(|| self.foreign_arn(input))?,
            None => input,
        };
        if let Some(uuid) = local.strip_prefix("key/") {
            if input.starts_with("arn:") {
                return KeyId::parse(uuid).map(KeyRef::Key).ok_or_else(not_found);
            }
            return Err(not_found());
        }
        if local.starts_with("alias/") {
            return match aliases {
                AliasForms::Accepted => Ok(KeyRef::Alias(local.to_owned())),
                AliasForms::Rejected => Err(not_found()),
            };
        }
        if input.starts_with("arn:") {
            return Err(not_found());
        }
        KeyId::parse(local).map(KeyRef::Key).ok_or_else(not_found)
    }
}

/// Most characters of a `KeyId` member (AWS's `KeyIdType`).
pub const MAX_KEY_ID_CHARS: usize = 2048;

/// Whether an operation's `KeyId` may name an alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasForms {
    /// Key id, key ARN, alias name or alias ARN.
    Accepted,
    /// Key id or key ARN only.
    Rejected,
}

/// A parsed `KeyId` member, before it is resolved against the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    /// A key id or key ARN.
    Key(KeyId),
    /// An alias name (`alias/NAME`), also when given as an alias ARN.
    Alias(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition() -> Partition {
        Partition::new("111122223333", "us-east-1").unwrap()
    }

    #[test]
    fn key_id_round_trips_through_text() {
        let id = KeyId::random().unwrap();
        assert_eq!(KeyId::parse(&id.to_string()), Some(id));
        assert_eq!(id.to_string().len(), 36);
    }

    #[test]
    fn all_four_key_forms_parse() {
        let p = partition();
        let id = KeyId::random().unwrap();
        assert_eq!(p.parse_key_ref(&id.to_string(), AliasForms::Accepted).unwrap(), KeyRef::Key(id));
        assert_eq!(p.parse_key_ref(&p.key_arn(id), AliasForms::Accepted).unwrap(), KeyRef::Key(id));
        assert_eq!(p.parse_key_ref("alias/app", AliasForms::Accepted).unwrap(), KeyRef::Alias("alias/app".into()));
        assert_eq!(
            p.parse_key_ref(&p.alias_arn("alias/app"), AliasForms::Accepted).unwrap(),
            KeyRef::Alias("alias/app".into())
        );
    }

    #[test]
    fn aliases_are_refused_where_aws_refuses_them() {
        let err = partition().parse_key_ref("alias/app", AliasForms::Rejected).unwrap_err();
        assert_eq!(err.name(), "NotFoundException");
    }

    #[test]
    fn arns_of_other_accounts_or_regions_name_no_key() {
        let p = partition();
        let id = KeyId::random().unwrap();
        let other = Partition::new("444455556666", "us-east-1").unwrap().key_arn(id);
        assert_eq!(p.parse_key_ref(&other, AliasForms::Accepted).unwrap_err().name(), "NotFoundException");
        let other = Partition::new("111122223333", "eu-west-1").unwrap().key_arn(id);
        assert_eq!(p.parse_key_ref(&other, AliasForms::Accepted).unwrap_err().name(), "NotFoundException");
    }

    #[test]
    fn malformed_ids_are_not_found_and_empty_ids_are_invalid() {
        let p = partition();
        for bad in ["nope", "key/abc", "arn:aws:kms:us-east-1:111122223333:key/zz", "1234"] {
            assert_eq!(p.parse_key_ref(bad, AliasForms::Accepted).unwrap_err().name(), "NotFoundException", "{bad}");
        }
        assert_eq!(p.parse_key_ref("", AliasForms::Accepted).unwrap_err().name(), "ValidationException");
    }

    #[test]
    fn refusals_are_in_aws_words() {
        let p = partition();
        let message = |input: &str| p.parse_key_ref(input, AliasForms::Rejected).unwrap_err().to_string();
        assert_eq!(message("fake-key-id"), "NotFoundException: Invalid keyId 'fake-key-id'");
        assert_eq!(message("alias/app"), "NotFoundException: Invalid keyId 'alias/app'");
        assert_eq!(message("a\nb"), "NotFoundException: Invalid keyId 'a\\nb'");
        let id = KeyId::random().unwrap();
        let elsewhere = Partition::new("111122223333", "ap-southeast-1").unwrap().key_arn(id);
        assert_eq!(message(&elsewhere), "NotFoundException: Invalid arn ap-southeast-1");
        let other_account = Partition::new("444455556666", "us-east-1").unwrap().key_arn(id);
        assert_eq!(message(&other_account), format!("NotFoundException: Key '{other_account}' does not exist"));
        assert_eq!(
            message(""),
            "ValidationException: 1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        let long = "k".repeat(2049);
        assert_eq!(
            message(&long),
            format!("ValidationException: 1 validation error detected: Value '{long}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048")
        );
    }

    #[test]
    fn partition_rejects_bad_account_and_region() {
        assert!(Partition::new("12", "us-east-1").is_err());
        assert!(Partition::new("111122223333", "US EAST").is_err());
    }
}
