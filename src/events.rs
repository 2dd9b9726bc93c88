//! EventBridge-style events (`source: "aws.kms"`): automatic rotation, end
//! of a deletion window, and the alarm on use of a key pending deletion.
//! The core queues them; the JS layer delivers them to `kms.on` handlers.

use crate::ids::{KeyId, Partition};
use crate::time::{iso8601, Timestamp};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// One event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// `detail-type`, e.g. `KMS CMK Rotation`.
    pub detail_type: &'static str,
    /// The rendered EventBridge envelope.
    pub body: Value,
}

impl Event {
    /// An event about one key.
    pub fn new(detail_type: &'static str, at: Timestamp, p: &Partition, key: KeyId, detail: Value) -> Event {
        let body = json!({
            "version": "0",
            "id": new_id(),
            "detail-type": detail_type,
            "source": "aws.kms",
            "account": p.account_id,
            "time": iso8601(at),
            "region": p.region,
            "resources": [p.key_arn(key)],
            "detail": detail,
        });
        Event { detail_type, body }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The next id number: unique in this process, cheap (no CSPRNG call).
pub fn next_id() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// An id number in UUID form: a random per-process prefix and the number.
pub fn id_string(n: u64) -> String {
    static PREFIX: OnceLock<[u8; 8]> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| crate::crypto::random_array().unwrap_or([0x6b; 8]));
    let mut bytes = [0u8; 16];
    let (a, b) = bytes.split_at_mut(8);
    a.copy_from_slice(prefix);
    b.copy_from_slice(&n.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}

/// A fresh unique id in UUID form.
pub fn new_id() -> String {
    id_string(next_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_uuids() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn events_have_the_eventbridge_shape() {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let e = Event::new("KMS CMK Rotation", Timestamp(0), &p, KeyId([1; 16]), json!({"key-id": "k"}));
        assert_eq!(e.body["source"], "aws.kms");
        assert_eq!(e.body["detail-type"], "KMS CMK Rotation");
        assert_eq!(e.body["resources"][0], p.key_arn(KeyId([1; 16])));
        assert_eq!(e.body["time"], "1970-01-01T00:00:00Z");
    }
}
