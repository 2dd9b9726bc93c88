#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The audit log, events, and usage metering.
mod common;

use common::*;
use kms_wasm::crypto::SecretBytes;
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest};
use kms_wasm::ops::data_keys::GenerateDataKeyRequest;
use kms_wasm::ops::extensions::{AuditFilter, UsageRequest};
use kms_wasm::ops::lifecycle::ScheduleKeyDeletionRequest;
use kms_wasm::ops::rotation::EnableKeyRotationRequest;
use kms_wasm::CallContext;
use serde_json::Value;

fn all(f: &mut Fixture) -> Vec<Value> {
    f.kms.audit_log(AuditFilter::default()).unwrap()
}

#[test]
fn every_call_leaves_one_record_allowed_or_denied_successful_or_not() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"top secret plaintext", &[("tenant", "acme")]).unwrap();
    assert!(f.decrypt(&blob, &[("tenant", "wrong")]).is_err());
    let outsider = CallContext::new("arn:aws:iam::444455556666:root", f.now);
    assert!(f.kms.describe_key(&outsider, Fixture::key_id_req(&key)).is_err());
    let records = all(&mut f);
    let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["CreateKey", "Encrypt", "Decrypt", "DescribeKey"]);
    let encrypt = &records[1];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["userIdentity"]["arn"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(encrypt["requestParameters"]["keyId"], key.as_str());
    assert_eq!(encrypt["requestParameters"]["encryptionContext"]["tenant"], "acme");
    assert_eq!(encrypt["resources"][0]["ARN"], key.as_str());
    assert_eq!(encrypt["resources"][0]["type"], "AWS::KMS::Key");
    assert_eq!(encrypt["readOnly"], true);
    assert!(encrypt.get("errorCode").is_none());
    assert_eq!(records[2]["errorCode"], "InvalidCiphertextException");
    assert_eq!(records[3]["errorCode"], "AccessDeniedException");
    assert_eq!(records[3]["resources"][0]["ARN"], key.as_str(), "a denied call names the key it was denied on");
    assert_eq!(records[0]["responseElements"]["keyMetadata"]["keyId"], key.rsplit('/').next().unwrap());
    assert!(records.iter().all(|r| r["eventID"].as_str().is_some_and(|id| id.len() == 36)));
}

#[test]
fn records_never_hold_plaintext_or_data_keys() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let plaintext = b"do-not-log-this-plaintext";
    let blob = f.encrypt(&key, plaintext, &[]).unwrap();
    f.decrypt(&blob, &[]).unwrap();
    let dk = f
        .kms
        .generate_data_key(
            &ctx,
            GenerateDataKeyRequest { key_id: key.clone(), key_spec: Some("AES_256".into()), ..Default::default() },
        )
        .unwrap();
    let text = serde_json::to_string(&all(&mut f)).unwrap();
    assert!(!text.contains("do-not-log-this-plaintext"));
    for needle in [hex::encode(plaintext), hex::encode(dk.plaintext.expose()), hex::encode(&blob)] {
        assert!(!text.contains(&needle));
    }
    let bytes_as_json = serde_json::to_string(&dk.plaintext.expose()).unwrap();
    assert!(!text.contains(&bytes_as_json[1..bytes_as_json.len() - 1]));
}

#[test]
fn the_chain_verifies_and_finds_an_edited_record() {
    let mut f = Fixture::new();
    let key = f.key();
    for _ in 0..5 {
        f.encrypt(&key, b"x", &[]).unwrap();
    }
    assert!(f.kms.verify_audit_log().valid);
    let mut exported = all(&mut f);
    assert!(kms_wasm::audit::verify(&exported).valid);
    exported[3]["userIdentity"]["arn"] = Value::from("arn:aws:iam::111122223333:user/someone-else");
    let v = kms_wasm::audit::verify(&exported);
    assert_eq!((v.valid, v.first_invalid_index), (false, Some(3)));
}

#[test]
fn audit_log_filters_by_key_and_time() {
    let mut f = Fixture::new();
    let a = f.key();
    f.advance_days(1);
    let b = f.key();
    f.encrypt(&a, b"x", &[]).unwrap();
    f.encrypt(&b, b"x", &[]).unwrap();
    let only_b = f.kms.audit_log(AuditFilter { key_id: Some(b.clone()), ..Default::default() }).unwrap();
    assert_eq!(only_b.len(), 2);
    #[allow(clippy::cast_precision_loss)]
    let since = AuditFilter { start_time: Some(f.now.0 as f64), ..Default::default() };
    assert_eq!(f.kms.audit_log(since).unwrap().len(), 3);
}

#[test]
fn rotation_and_deletion_leave_service_records_and_events() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .enable_key_rotation(&ctx, EnableKeyRotationRequest { key_id: key.clone(), rotation_period_in_days: Some(90) })
        .unwrap();
    f.kms.take_events();
    f.advance_days(90);
    f.key();
    let events = f.kms.take_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body["detail-type"], "KMS CMK Rotation");
    assert_eq!(events[0].body["detail"]["key-id"], key.rsplit('/').next().unwrap());
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    f.advance_days(7);
    f.key();
    let events = f.kms.take_events();
    assert_eq!(events.iter().map(|e| e.detail_type).collect::<Vec<_>>(), ["KMS CMK Deletion"]);
    let records = all(&mut f);
    let service: Vec<&str> = records
        .iter()
        .filter(|r| r["eventType"] == "AwsServiceEvent")
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(service, ["RotateKey", "DeleteKey"]);
    assert!(f.kms.verify_audit_log().valid);
}

#[test]
fn using_a_key_pending_deletion_raises_the_alarm() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(&ctx, ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: None })
        .unwrap();
    f.kms.take_events();
    let err = f.kms.decrypt(&ctx, DecryptRequest { ciphertext_blob: blob, ..Default::default() }).unwrap_err();
    assert_eq!(err.name(), "KMSInvalidStateException");
    let events = f.kms.take_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body["detail-type"], "KMS CMK Pending Deletion Use Attempt");
    assert_eq!(events[0].body["detail"]["event-name"], "Decrypt");
    // management reads raise nothing
    f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert!(f.kms.take_events().is_empty());
}

#[test]
fn usage_counts_key_months_versions_and_requests() {
    let mut f = Fixture::new(); // 2026-01-01
    let key = f.key();
    let ctx = f.ctx();
    for _ in 0..3 {
        f.kms
            .encrypt(
                &ctx,
                EncryptRequest { key_id: key.clone(), plaintext: SecretBytes::new(vec![1]), ..Default::default() },
            )
            .unwrap();
    }
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    f.advance_days(31); // 2026-02-01: the whole of January has passed
    f.kms.list_keys(&f.ctx(), Default::default()).unwrap();
    let report = f.kms.usage(f.now, UsageRequest { month: "2026-01".into(), prices: None }).unwrap();
    let empty = f.kms.usage(f.now, UsageRequest { month: "2025-01".into(), prices: None }).unwrap();
    assert!(
        empty.key_months.is_sign_positive() && empty.estimated_cost.total.is_sign_positive(),
        "no -0 for empty months"
    );
    assert_eq!(report.requests["Encrypt"], 3);
    assert_eq!(report.requests["CreateKey"], 1);
    assert_eq!(report.total_requests, 5);
    assert!((report.key_months - 1.0).abs() < 1e-9, "{}", report.key_months);
    assert!((report.billed_key_version_months - 2.0).abs() < 1e-9, "one rotation at the start bills two versions");
    assert!((report.estimated_cost.total - 2.0).abs() < 1e-9, "requests are within the free tier");
    assert_eq!(
        f.kms.usage(f.now, UsageRequest { month: "2026-13".into(), prices: None }).unwrap_err().name(),
        "ValidationException"
    );
}

/// Secrets a response hands to its caller (a data key, a plaintext, random
/// bytes, a grant token) never reach the audit log: responses are recorded
/// only through their `AuditView`, which names its members.
#[test]
fn audit_records_hold_no_secret_a_response_handed_out() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let grant = f
        .kms
        .create_grant(
            &ctx,
            kms_wasm::ops::grants::CreateGrantRequest {
                key_id: key.clone(),
                grantee_principal: "arn:aws:iam::111122223333:role/reader".into(),
                operations: vec!["Decrypt".into()],
                ..Default::default()
            },
        )
        .unwrap();
    let dk = f
        .kms
        .generate_data_key(
            &ctx,
            GenerateDataKeyRequest { key_id: key.clone(), key_spec: Some("AES_256".into()), ..Default::default() },
        )
        .unwrap();
    let random = f
        .kms
        .generate_random(
            &ctx,
            kms_wasm::ops::data_keys::GenerateRandomRequest { number_of_bytes: Some(32), ..Default::default() },
        )
        .unwrap();
    let plain = f.decrypt(&dk.ciphertext_blob, &[]).unwrap();
    assert_eq!(plain, dk.plaintext.expose());
    let log = f.kms.audit_log(AuditFilter::default()).unwrap();
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(&grant.grant_token), "grant token in the audit log");
    for secret in [dk.plaintext.expose(), random.plaintext.expose()] {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        use base64ct::Encoding as _;
        assert!(!text.contains(&hex) && !text.contains(&base64ct::Base64::encode_string(secret)));
        let bytes = serde_json::to_string(&secret.to_vec()).unwrap();
        assert!(!text.contains(bytes.trim_start_matches('[').trim_end_matches(']')), "secret bytes as numbers");
    }
    let of = |name: &str| log.iter().find(|r| r["eventName"] == name).unwrap().clone();
    assert_eq!(of("CreateGrant")["responseElements"], serde_json::json!({ "grantId": grant.grant_id }));
    for name in ["GenerateDataKey", "GenerateRandom", "Decrypt"] {
        assert_eq!(of(name)["responseElements"], Value::Null, "{name}");
    }
}
