//! The audit log: one CloudTrail-style record per call — allowed or denied,
//! successful or not — plus service events (automatic rotation, deletion).
//! Records form a hash chain: each carries the SHA-256 digest of the
//! previous record, and its own digest over its canonical JSON, so any
//! edited, removed or reordered record is found by [`verify`].
//!
//! Digests are computed lazily, in order, when the log is read, verified or
//! saved: the chain is the same as if each were sealed at once, and calls
//! stay cheap. Records never hold plaintext, data keys or key material:
//! request parameters are built from request shapes whose secret members
//! are never serialized.

use crate::ids::Partition;
use crate::keys::backing::MaterialId;
use crate::time::Timestamp;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// One record, before rendering.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Unique id of the record, formatted as a UUID when rendered.
    pub event_id: u64,
    /// When it happened (the caller's clock).
    pub time: Timestamp,
    /// The operation, or the service event's name (`RotateKey`, `DeleteKey`).
    pub event_name: String,
    /// `true` for service events, which have no caller.
    pub service_event: bool,
    /// The caller's principal ARN (empty for service events).
    pub caller: String,
    /// `kms:ViaService` service, when the call came through one.
    pub via_service: Option<String>,
    /// The VPC endpoint the call came through.
    pub vpc_endpoint_id: Option<String>,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// camelCase request parameters (never secrets).
    pub request_parameters: Value,
    /// camelCase response elements, for operations CloudTrail records them for.
    pub response_elements: Value,
    /// The key material the call used: CloudTrail's `additionalEventData`.
    pub materials: MaterialsUsed,
    /// Key ARNs the call touched.
    pub resources: Vec<String>,
    /// AWS exception name and message, for failed calls.
    pub error: Option<(String, String)>,
    /// Extra details of service events.
    pub service_event_details: Value,
    /// The region it happened in, when not the KMS's home region (the
    /// partition the log is rendered with).
    pub region: Option<String>,
    /// The protocol request's id (`x-amzn-RequestId`), when the call came
    /// with one; otherwise `requestID` is the record's own id.
    pub request_id: Option<String>,
}

/// The key material a call used, kept as ids until the record is rendered
/// (most records of read-only calls never are): none, one, or ReEncrypt's
/// source and destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaterialsUsed([Option<MaterialId>; 2]);

impl MaterialsUsed {
    /// Notes one more material (a call uses at most two).
    pub fn note(&mut self, id: MaterialId) {
        if let Some(slot) = self.0.iter_mut().find(|s| s.is_none()) {
            *slot = Some(id);
        }
    }

    /// The `i`th material noted.
    pub fn get(&self, i: usize) -> Option<&MaterialId> {
        self.0.get(i).and_then(Option::as_ref)
    }

    /// CloudTrail's `additionalEventData`: `keyMaterialId` (its Encrypt,
    /// Decrypt and GenerateDataKey entries), or for ReEncrypt the source and
    /// destination ids as its response names them.
    fn additional_event_data(&self) -> Option<Value> {
        match self.0 {
            [Some(one), None] => Some(json!({ "keyMaterialId": hex::encode(one) })),
            [Some(source), Some(destination)] => Some(json!({
                "sourceKeyMaterialId": hex::encode(source),
                "destinationKeyMaterialId": hex::encode(destination),
            })),
            _ => None,
        }
    }
}

/// The outcome of verifying a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Whether every record is intact and in place.
    pub valid: bool,
    /// The first record that is not, if any.
    pub first_invalid_index: Option<usize>,
}

/// The record's body in CloudTrail's shape, without the chain members.
fn render(r: &Record, p: &Partition) -> Map<String, Value> {
    let account = crate::policy::document::principal_arn_parts(&r.caller).map(|(a, _)| a.to_owned());
    let identity = if r.service_event {
        json!({ "accountId": p.account_id, "invokedBy": "kms.amazonaws.com" })
    } else {
        let kind = match crate::policy::document::principal_arn_parts(&r.caller) {
            Some((_, "root")) => "Root",
            Some((_, rest)) if rest.starts_with("assumed-role/") => "AssumedRole",
            Some((_, rest)) if rest.starts_with("role/") => "AssumedRole",
            Some(_) => "IAMUser",
            None => "AWSService",
        };
        let mut id = json!({ "type": kind, "arn": r.caller });
        if let (Some(a), Some(obj)) = (&account, id.as_object_mut()) {
            obj.insert("accountId".into(), json!(a));
        }
        if let (Some(s), Some(obj)) = (&r.via_service, id.as_object_mut()) {
            obj.insert("invokedBy".into(), json!(format!("{s}.amazonaws.com")));
        }
        id
    };
    let mut m = Map::new();
    m.insert("eventVersion".into(), json!("1.08"));
    m.insert("userIdentity".into(), identity);
    m.insert("eventTime".into(), json!(crate::time::iso8601(r.time)));
    m.insert("eventSource".into(), json!("kms.amazonaws.com"));
    m.insert("eventName".into(), json!(r.event_name));
    m.insert("awsRegion".into(), json!(r.region.as_deref().unwrap_or(&p.region)));
    m.insert(
        "sourceIPAddress".into(),
        json!(r.via_service.as_ref().map_or("kms-wasm".to_owned(), |s| format!("{s}.amazonaws.com"))),
    );
    m.insert("userAgent".into(), json!("kms-wasm"));
    m.insert("requestParameters".into(), r.request_parameters.clone());
    m.insert("responseElements".into(), r.response_elements.clone());
    if let Some(data) = r.materials.additional_event_data() {
        m.insert("additionalEventData".into(), data);
    }
    if let Some((code, message)) = &r.error {
        m.insert("errorCode".into(), json!(code));
        m.insert("errorMessage".into(), json!(message));
    }
    let id = crate::events::id_string(r.event_id);
    m.insert("requestID".into(), json!(r.request_id.as_deref().unwrap_or(&id)));
    m.insert("eventID".into(), json!(id));
    m.insert("readOnly".into(), json!(r.read_only));
    m.insert(
        "resources".into(),
        Value::Array(
            r.resources
                .iter()
                .map(|arn| json!({ "accountId": p.account_id, "type": "AWS::KMS::Key", "ARN": arn }))
                .collect(),
        ),
    );
    m.insert("eventType".into(), json!(if r.service_event { "AwsServiceEvent" } else { "AwsApiCall" }));
    m.insert("managementEvent".into(), json!(true));
    m.insert("recipientAccountId".into(), json!(p.account_id));
    if let Some(v) = &r.vpc_endpoint_id {
        m.insert("vpcEndpointId".into(), json!(v));
    }
    if r.service_event {
        m.insert("serviceEventDetails".into(), r.service_event_details.clone());
    }
    m.insert("eventCategory".into(), json!("Management"));
    m
}

/// Canonical JSON: object keys sorted (serde_json's map is ordered), no
/// whitespace, and integral numbers printed as integers, so a record that
/// went through JavaScript (where every number is a double) hashes alike.
fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => {
            out.push(b'{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(v, out);
            }
            out.push(b']');
        }
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => out.extend_from_slice(i.to_string().as_bytes()),
            #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                out.extend_from_slice((f as i64).to_string().as_bytes())
            }
            _ => out.extend_from_slice(n.to_string().as_bytes()),
        },
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// The digest of a rendered record (its `digest` member left out).
fn digest_of(body: &Map<String, Value>) -> [u8; 32] {
    let mut without = body.clone();
    without.remove("digest");
    let mut bytes = Vec::new();
    canonical(&Value::Object(without), &mut bytes);
    Sha256::digest(&bytes).into()
}

/// Records kept in memory by default. Like CloudTrail's event history, the
/// log in memory is bounded (durable stores keep everything they were
/// given); the oldest records make way, and the chain stays verifiable from
/// the digest of the last record dropped.
pub const DEFAULT_RETENTION: usize = 10_000;

/// One entry: appended cheaply, sealed (rendered once, to its canonical
/// JSON, and chained) when the log is read, verified or persisted, or when
/// it makes way. Entries loaded from a store arrive sealed.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Pending(Box<Record>),
    Sealed(Sealed),
}

/// A sealed record: its canonical JSON without the `digest` member, the
/// digest it claims, and the digest it links to.
#[derive(Clone, Debug, PartialEq)]
struct Sealed {
    time: Timestamp,
    canonical: Box<str>,
    previous: [u8; 32],
    digest: [u8; 32],
    event_name: Box<str>,
    service_event: bool,
    region: Box<str>,
}

impl Sealed {
    fn from_body(time: Timestamp, mut body: Map<String, Value>) -> Sealed {
        let digest = body.remove("digest").and_then(|d| d.as_str().and_then(parse_digest)).unwrap_or(GENESIS);
        let previous = body.get("previousDigest").and_then(Value::as_str).and_then(parse_digest).unwrap_or(GENESIS);
        let event_name = body.get("eventName").and_then(Value::as_str).unwrap_or_default().into();
        let service_event = body.get("eventType").and_then(Value::as_str) == Some("AwsServiceEvent");
        let region = body.get("awsRegion").and_then(Value::as_str).unwrap_or_default().into();
        let mut bytes = Vec::new();
        canonical(&Value::Object(body), &mut bytes);
        let canonical = String::from_utf8(bytes).unwrap_or_default().into_boxed_str();
        Sealed { time, canonical, previous, digest, event_name, service_event, region }
    }

    /// Whether the stored digest is the digest of the stored content.
    fn intact(&self) -> bool {
        crate::crypto::ct_eq(&Sha256::digest(self.canonical.as_bytes()), &self.digest)
    }

    fn to_value(&self) -> Value {
        let mut v: Value = serde_json::from_str(&self.canonical).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("digest".into(), json!(hex::encode(self.digest)));
        }
        v
    }
}

/// The link after record `index` was dropped unread: a digest no record
/// has, that says where the gap is.
fn gap_marker(index: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kms-wasm audit: unread records dropped for retention, up to index ");
    h.update(index.to_be_bytes());
    h.finalize().into()
}

fn parse_digest(h: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(h, &mut out).ok()?;
    Some(out)
}

/// The append-only log with its chain.
#[derive(Debug)]
pub struct AuditLog {
    entries: std::collections::VecDeque<Entry>,
    /// Entries before this index are sealed.
    sealed: usize,
    /// The digest the first retained entry links to (genesis at first).
    anchor: [u8; 32],
    /// When unread records were dropped: the anchor is the gap marker after
    /// this absolute index (hashed only if someone needs it).
    gap: Option<u64>,
    /// Entries dropped for retention so far (absolute index of entry 0).
    dropped: u64,
    /// Most entries kept.
    retention: usize,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog::with_retention(DEFAULT_RETENTION)
    }
}

/// A light view of an entry, for filters and metering.
pub struct EntryView<'a> {
    /// When it happened.
    pub time: Timestamp,
    /// `eventName`.
    pub event_name: &'a str,
    /// Whether it is a service event.
    pub service_event: bool,
    /// Its region (`awsRegion`); `None`: the home region.
    pub region: Option<&'a str>,
}

const GENESIS: [u8; 32] = [0u8; 32];

impl AuditLog {
    /// A log keeping at most `retention` records (at least one).
    pub fn with_retention(retention: usize) -> AuditLog {
        AuditLog {
            entries: Default::default(),
            sealed: 0,
            anchor: GENESIS,
            gap: None,
            dropped: 0,
            retention: retention.max(1),
        }
    }

    /// Drops the oldest entries beyond the retention. A sealed entry
    /// leaves its digest as the new anchor. An entry nobody read or
    /// persisted was never chained, and is not sealed just to be dropped
    /// (that would cost every call a render and a hash in a full log): the
    /// chain restarts after it from a marker naming the gap, so what is
    /// still retained verifies, and what was read or persisted before
    /// stays chained to what came before it.
    fn make_room(&mut self, _p: &Partition) {
        while self.entries.len() >= self.retention {
            match self.entries.pop_front() {
                Some(Entry::Sealed(s)) => {
                    self.anchor = s.digest;
                    self.gap = None;
                    self.sealed = self.sealed.saturating_sub(1);
                }
                Some(Entry::Pending(_)) => self.gap = Some(self.dropped),
                None => break,
            }
            self.dropped += 1;
        }
    }

    /// Appends a record (sealed lazily), dropping the oldest beyond the retention.
    pub fn append(&mut self, record: Record, p: &Partition) {
        self.make_room(p);
        self.entries.push_back(Entry::Pending(Box::new(record)));
    }

    /// Loads records persisted earlier (rendered, with their digests), in
    /// order, before any new record. They are kept as they are: if someone
    /// altered them, verification says where.
    pub fn load(&mut self, records: Vec<Value>, p: &Partition) {
        if self.entries.is_empty() {
            if let Some(first) = records.first() {
                self.anchor =
                    first.get("previousDigest").and_then(Value::as_str).and_then(parse_digest).unwrap_or(GENESIS);
                self.gap = None;
            }
        }
        for body in records {
            let Value::Object(body) = body else { continue };
            let time = body
                .get("eventTime")
                .and_then(Value::as_str)
                .and_then(crate::policy::condition::parse_date)
                .map_or(Timestamp(0), Timestamp);
            self.make_room(p);
            self.entries.push_back(Entry::Sealed(Sealed::from_body(time, body)));
            self.sealed = self.entries.len();
        }
    }

    /// Number of records retained.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Absolute index of the next record (records ever appended or loaded).
    pub fn next_index(&self) -> u64 {
        self.dropped + self.entries.len() as u64
    }

    /// The entries, oldest first, for filters and metering.
    pub fn views(&self) -> impl Iterator<Item = EntryView<'_>> {
        self.entries.iter().map(|e| match e {
            Entry::Pending(r) => EntryView {
                time: r.time,
                event_name: &r.event_name,
                service_event: r.service_event,
                region: r.region.as_deref(),
            },
            Entry::Sealed(s) => EntryView {
                time: s.time,
                event_name: &s.event_name,
                service_event: s.service_event,
                region: Some(&s.region),
            },
        })
    }

    /// The digest the first retained record links to.
    pub fn anchor(&self) -> [u8; 32] {
        self.gap.map_or(self.anchor, gap_marker)
    }

    fn last_digest(&self) -> [u8; 32] {
        match self.sealed.checked_sub(1).and_then(|i| self.entries.get(i)) {
            Some(Entry::Sealed(s)) => s.digest,
            _ => self.anchor(),
        }
    }

    fn seal(&mut self, p: &Partition) {
        while self.sealed < self.entries.len() {
            let previous = self.last_digest();
            let i = self.sealed;
            let Some(entry) = self.entries.get_mut(i) else { break };
            if let Entry::Pending(record) = entry {
                let mut body = render(record, p);
                body.insert("previousDigest".into(), json!(hex::encode(previous)));
                let mut sealed = Sealed::from_body(record.time, body);
                sealed.digest = Sha256::digest(sealed.canonical.as_bytes()).into();
                *entry = Entry::Sealed(sealed);
            }
            self.sealed += 1;
        }
    }

    /// The records in CloudTrail's shape with their chain members
    /// (`previousDigest`, `digest`), oldest first, that `keep` accepts.
    pub fn rendered(&mut self, p: &Partition, keep: impl Fn(Timestamp, &Value) -> bool) -> Vec<Value> {
        self.seal(p);
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Sealed(s) => Some((s.time, s.to_value())),
                Entry::Pending(_) => None,
            })
            .filter(|(t, v)| keep(*t, v))
            .map(|(_, v)| v)
            .collect()
    }

    /// The records from absolute index `from` on (for stores that persist
    /// the log incrementally). Records dropped for retention are gone.
    pub fn since(&mut self, p: &Partition, from: u64) -> Vec<Value> {
        self.seal(p);
        let skip = usize::try_from(from.saturating_sub(self.dropped)).unwrap_or(usize::MAX);
        self.entries
            .iter()
            .skip(skip)
            .filter_map(|e| match e {
                Entry::Sealed(s) => Some(s.to_value()),
                Entry::Pending(_) => None,
            })
            .collect()
    }

    /// `since` as JSON text, built from the stored canonical text without
    /// a round trip through values (what durable stores write). Returns the
    /// text and the number of records in it.
    pub fn since_json(&mut self, p: &Partition, from: u64) -> (String, usize) {
        self.seal(p);
        let skip = usize::try_from(from.saturating_sub(self.dropped)).unwrap_or(usize::MAX);
        let mut out = String::from("[");
        let mut count = 0;
        for e in self.entries.iter().skip(skip) {
            let Entry::Sealed(s) = e else { continue };
            if count > 0 {
                out.push(',');
            }
            // the digest first, then the canonical members: the same object
            out.push_str("{\"digest\":\"");
            out.push_str(&hex::encode(s.digest));
            out.push_str("\",");
            out.push_str(s.canonical.get(1..).unwrap_or("}"));
            count += 1;
        }
        out.push(']');
        (out, count)
    }

    /// Verifies the chain from the anchor through every retained record,
    /// without re-rendering anything.
    pub fn verify(&mut self, p: &Partition) -> Verification {
        self.seal(p);
        let mut previous = self.anchor();
        for (i, e) in self.entries.iter().enumerate() {
            let Entry::Sealed(s) = e else { return Verification { valid: false, first_invalid_index: Some(i) } };
            if s.previous != previous || !s.intact() {
                return Verification { valid: false, first_invalid_index: Some(i) };
            }
            previous = s.digest;
        }
        Verification { valid: true, first_invalid_index: None }
    }
}

/// Verifies a chain of rendered records (the whole log, oldest first): each
/// must link to the digest before it and match its own digest. The first
/// must link to `anchor` (all zeros for a log that never dropped a record).
pub fn verify_from(anchor: [u8; 32], records: &[Value]) -> Verification {
    let mut previous = hex::encode(anchor);
    for (i, r) in records.iter().enumerate() {
        let Some(body) = r.as_object() else {
            return Verification { valid: false, first_invalid_index: Some(i) };
        };
        let linked = body.get("previousDigest").and_then(Value::as_str) == Some(previous.as_str());
        let claimed = body.get("digest").and_then(Value::as_str).unwrap_or_default().to_owned();
        let actual = hex::encode(digest_of(body));
        if !linked || !crate::crypto::ct_eq(claimed.as_bytes(), actual.as_bytes()) {
            return Verification { valid: false, first_invalid_index: Some(i) };
        }
        previous = claimed;
    }
    Verification { valid: true, first_invalid_index: None }
}

/// Verifies an exported copy of a log: the first record's link is taken
/// as given (an exported copy carries no anchor of its own).
pub fn verify(records: &[Value]) -> Verification {
    let anchor = records
        .first()
        .and_then(|r| r.get("previousDigest"))
        .and_then(Value::as_str)
        .and_then(|h| {
            let mut a = [0u8; 32];
            hex::decode_to_slice(h, &mut a).ok().map(|()| a)
        })
        .unwrap_or(GENESIS);
    verify_from(anchor, records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, t: i64) -> Record {
        Record {
            event_id: t as u64,
            time: Timestamp(t),
            event_name: name.into(),
            service_event: false,
            caller: "arn:aws:iam::111122223333:user/alice".into(),
            via_service: None,
            vpc_endpoint_id: None,
            read_only: false,
            request_parameters: json!({ "keyId": "k", "numberOfBytes": 32 }),
            response_elements: Value::Null,
            materials: MaterialsUsed::default(),
            resources: vec!["arn:aws:kms:us-east-1:111122223333:key/k".into()],
            error: None,
            service_event_details: Value::Null,
            region: None,
            request_id: None,
        }
    }

    fn log(n: i64) -> (AuditLog, Partition) {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let mut l = AuditLog::default();
        for t in 0..n {
            l.append(record("Encrypt", t * 1000), &p);
        }
        (l, p)
    }

    #[test]
    fn retention_drops_the_oldest_and_keeps_the_chain_verifiable() {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let mut l = AuditLog::with_retention(3);
        for t in 0..10 {
            l.append(record("Encrypt", t * 1000), &p);
        }
        let r = l.rendered(&p, |_, _| true);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0]["eventTime"], "1970-01-01T00:00:07Z");
        assert!(verify_from(l.anchor(), &r).valid);
        assert!(!verify_from(GENESIS, &r).valid);
        assert!(l.verify(&p).valid);
        // records read (sealed) before they are dropped stay chained
        l.append(record("Encrypt", 10_000), &p);
        let after = l.rendered(&p, |_, _| true);
        assert_eq!(after[0]["previousDigest"], r[0]["digest"]);
        assert!(l.verify(&p).valid);
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (mut l, p) = log(5);
        let r = l.rendered(&p, |_, _| true);
        assert_eq!(verify(&r), Verification { valid: true, first_invalid_index: None });
        assert_eq!(r[0]["eventSource"], "kms.amazonaws.com");
        assert_eq!(r[1]["eventTime"], "1970-01-01T00:00:01Z");
        assert!(verify(&r[..0]).valid);
        assert_eq!(r[2]["userIdentity"]["type"], "IAMUser");
    }

    #[test]
    fn an_edited_record_is_found() {
        let (mut l, p) = log(5);
        let mut r = l.rendered(&p, |_, _| true);
        r[2]["requestParameters"]["keyId"] = json!("other");
        assert_eq!(verify(&r).first_invalid_index, Some(2));
    }

    #[test]
    fn a_removed_or_reordered_record_is_found() {
        let (mut l, p) = log(5);
        let r = l.rendered(&p, |_, _| true);
        let mut removed = r.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).first_invalid_index, Some(1));
        let mut swapped = r;
        swapped.swap(3, 4);
        assert_eq!(verify(&swapped).first_invalid_index, Some(3));
    }

    #[test]
    fn numbers_that_went_through_javascript_hash_alike() {
        let (mut l, p) = log(1);
        let mut r = l.rendered(&p, |_, _| true);
        r[0]["requestParameters"]["numberOfBytes"] = json!(32.0);
        assert!(verify(&r).valid);
    }
}

#[cfg(test)]
mod persistence_tests {
    use super::*;

    fn record(t: i64) -> Record {
        Record {
            event_id: t as u64,
            time: Timestamp(t * 1000),
            event_name: "Encrypt".into(),
            service_event: false,
            caller: "arn:aws:iam::111122223333:user/alice".into(),
            via_service: None,
            vpc_endpoint_id: None,
            read_only: true,
            request_parameters: json!({ "keyId": "k" }),
            response_elements: Value::Null,
            materials: MaterialsUsed::default(),
            resources: vec![],
            error: None,
            service_event_details: Value::Null,
            region: None,
            request_id: None,
        }
    }

    #[test]
    fn a_log_saved_incrementally_and_loaded_back_continues_its_chain() {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let mut a = AuditLog::default();
        for t in 0..3 {
            a.append(record(t), &p);
        }
        let first = a.since(&p, 0);
        a.append(record(3), &p);
        let second = a.since(&p, 3);
        assert_eq!((first.len(), second.len(), a.next_index()), (3, 1, 4));
        let mut b = AuditLog::default();
        b.load(first.into_iter().chain(second).collect(), &p);
        b.append(record(4), &p);
        assert!(b.verify(&p).valid);
        assert_eq!(b.len(), 5);
    }

    #[test]
    fn json_text_export_matches_the_values_and_loads_back() {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let mut a = AuditLog::default();
        for t in 0..3 {
            a.append(record(t), &p);
        }
        let (text, n) = a.since_json(&p, 1);
        let parsed: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!((n, parsed.clone()), (2, a.since(&p, 1)));
        let mut b = AuditLog::default();
        b.load(serde_json::from_str(&a.since_json(&p, 0).0).unwrap(), &p);
        assert!(b.verify(&p).valid);
    }

    #[test]
    fn an_edited_stored_record_is_found_after_loading() {
        let p = Partition::new("111122223333", "us-east-1").unwrap();
        let mut a = AuditLog::default();
        for t in 0..4 {
            a.append(record(t), &p);
        }
        let mut stored = a.since(&p, 0);
        stored[2]["eventName"] = json!("Decrypt");
        let mut b = AuditLog::default();
        b.load(stored, &p);
        assert_eq!(b.verify(&p).first_invalid_index, Some(2));
    }
}
