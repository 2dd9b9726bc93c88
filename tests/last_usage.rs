//! GetKeyLastUsage: each key's last successful cryptographic operation,
//! with the call's request id and audit event id; kept in the state,
//! persisted (records, snapshots) and backed up; failures change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Fixture, ACCOUNT, REGION};
use kms_wasm::last_usage::{GetKeyLastUsageRequest, GetKeyLastUsageResponse};
use kms_wasm::ops::crypto::ReEncryptRequest;
use kms_wasm::ops::extensions::AuditFilter;
use kms_wasm::ops::lifecycle::ScheduleKeyDeletionRequest;
use kms_wasm::{CallContext, Kms, KmsError, Partition};

fn last(f: &mut Fixture, key: &str) -> Result<GetKeyLastUsageResponse, KmsError> {
    let ctx = f.ctx();
    f.kms.get_key_last_usage(&ctx, GetKeyLastUsageRequest { key_id: key.to_owned() })
}

fn snap(kms: &Kms) -> Vec<u8> {
    kms.snapshot().unwrap().expose().to_vec()
}

#[test]
fn a_new_key_has_no_use_and_tracking_starts_at_its_creation() {
    let mut f = Fixture::new();
    let key = f.key();
    let r = last(&mut f, &key).unwrap();
    assert_eq!(r.key_id, key);
    assert_eq!(r.key_creation_date, f.now);
    assert_eq!(r.tracking_start_date, r.key_creation_date);
    assert!(r.key_last_usage.is_none());
    // Reading it is not a use.
    assert!(last(&mut f, &key).unwrap().key_last_usage.is_none());
}

#[test]
fn each_successful_cryptographic_call_is_the_last_use_with_its_audit_ids() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let use_ = last(&mut f, &key).unwrap().key_last_usage.unwrap();
    assert_eq!(use_.operation, "Encrypt");
    assert_eq!(use_.timestamp, f.now);
    let records = f.kms.audit_log(AuditFilter::default()).unwrap();
    let encrypt = records.iter().find(|r| r["eventName"] == "Encrypt").unwrap();
    assert_eq!(use_.cloud_trail_event_id, encrypt["eventID"].as_str().unwrap());
    assert_eq!(use_.kms_request_id, encrypt["requestID"].as_str().unwrap());

    // A protocol request's id is the use's KmsRequestId and the record's requestID.
    f.advance_days(1);
    let ctx = CallContext { request_id: Some("6f1a0c4e-request".into()), ..f.ctx() };
    let req = kms_wasm::ops::crypto::DecryptRequest { ciphertext_blob: blob.clone(), ..Default::default() };
    f.kms.decrypt(&ctx, req).unwrap();
    let use_ = last(&mut f, &key).unwrap().key_last_usage.unwrap();
    assert_eq!((use_.operation.as_str(), use_.kms_request_id.as_str()), ("Decrypt", "6f1a0c4e-request"));
    assert_eq!(use_.timestamp, f.now);

    // ReEncrypt is a use of both keys.
    let other = f.key();
    f.advance_days(1);
    let ctx = f.ctx();
    let req = ReEncryptRequest { ciphertext_blob: blob, destination_key_id: other.clone(), ..Default::default() };
    f.kms.re_encrypt(&ctx, req).unwrap();
    for k in [&key, &other] {
        let use_ = last(&mut f, k).unwrap().key_last_usage.unwrap();
        assert_eq!((use_.operation.as_str(), use_.timestamp), ("ReEncrypt", f.now));
    }
}

#[test]
fn a_failed_call_is_no_use_and_changes_nothing() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[("a", "b")]).unwrap();
    let before = last(&mut f, &key).unwrap();
    let generation = f.kms.generation();
    f.advance_days(1);
    assert_eq!(f.decrypt(&blob, &[("a", "other")]).unwrap_err().name(), "InvalidCiphertextException");
    assert_eq!(last(&mut f, &key).unwrap(), before);
    assert_eq!(f.kms.generation(), generation, "nothing to commit");
}

#[test]
fn its_errors_are_awss_and_change_nothing() {
    let mut f = Fixture::new();
    f.key();
    let state = snap(&f.kms);
    let generation = f.kms.generation();
    assert_eq!(last(&mut f, "").unwrap_err().name(), "ValidationException");
    assert_eq!(last(&mut f, "1234abcd-12ab-34cd-56ef-1234567890ab").unwrap_err().name(), "NotFoundException");
    assert_eq!(last(&mut f, "alias/none").unwrap_err().name(), "NotFoundException");
    let key = f.key();
    let state2 = snap(&f.kms);
    let stranger = CallContext::new("arn:aws:iam::444455556666:user/mallory", f.now);
    let e = f.kms.get_key_last_usage(&stranger, GetKeyLastUsageRequest { key_id: key }).unwrap_err();
    assert_eq!(e.name(), "AccessDeniedException");
    assert_eq!(snap(&f.kms), state2);
    assert_ne!(state, state2);
    assert_eq!(f.kms.generation(), generation + 1);
}

#[test]
fn a_read_only_use_commits_once_an_hour_and_rides_with_any_other_write() {
    let mut f = Fixture::new();
    let key = f.key();
    let g0 = f.kms.generation();
    f.encrypt(&key, b"x", &[]).unwrap();
    let g1 = f.kms.generation();
    assert_eq!(g1, g0 + 1, "the first use asks for a commit");
    f.now = kms_wasm::Timestamp(f.now.0 + 60_000);
    f.encrypt(&key, b"x", &[]).unwrap();
    assert_eq!(f.kms.generation(), g1, "a use a minute later does not");
    // But its record is marked: the next body carries the latest use.
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    replica.apply_records(None, f.kms.all_records(None, 1).unwrap().expose()).unwrap();
    let mut r = Fixture { kms: replica, now: f.now };
    assert_eq!(last(&mut r, &key).unwrap(), last(&mut f, &key).unwrap());
    f.now = kms_wasm::Timestamp(f.now.0 + 3_600_000);
    f.encrypt(&key, b"x", &[]).unwrap();
    assert_eq!(f.kms.generation(), g1 + 1, "an hour later it asks again");
    // A change body carries it too.
    let body = f.kms.take_changes(None, 2).unwrap();
    r.kms.apply_records(None, body.expose()).unwrap();
    assert_eq!(last(&mut r, &key).unwrap().key_last_usage, last(&mut f, &key).unwrap().key_last_usage);
}

#[test]
fn snapshots_and_backups_keep_it_and_a_deleted_key_takes_it_along() {
    let mut f = Fixture::new();
    let key = f.key();
    f.encrypt(&key, b"x", &[]).unwrap();
    let want = last(&mut f, &key).unwrap();
    let back = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), &snap(&f.kms)).unwrap();
    let mut g = Fixture { kms: back, now: f.now };
    assert_eq!(last(&mut g, &key).unwrap(), want);

    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    f.advance_days(8);
    assert_eq!(last(&mut f, &key).unwrap_err().name(), "NotFoundException");
    let all = f.kms.all_records(None, 3).unwrap();
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    replica.apply_records(None, all.expose()).unwrap();
    assert_eq!(snap(&replica), snap(&f.kms));
}
