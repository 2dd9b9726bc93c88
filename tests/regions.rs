//! Regions: one KMS holds every region of its account. Keys, aliases,
//! grants and audit records are per region; stores and snapshots keep
//! every region; a call in a region AWS does not have is refused and
//! changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Fixture, ACCOUNT, REGION};
use kms_wasm::ops::aliases::{AliasRequest, ListAliasesRequest};
use kms_wasm::ops::extensions::AuditFilter;
use kms_wasm::ops::lifecycle::{CreateKeyRequest, ListRequest, ScheduleKeyDeletionRequest};
use kms_wasm::{CallContext, Kms, Partition};

const EU: &str = "eu-west-1";

fn in_region(f: &Fixture, region: &str) -> CallContext {
    CallContext { region: Some(region.to_owned()), ..f.ctx() }
}

fn create_in(f: &mut Fixture, region: &str) -> String {
    let ctx = in_region(f, region);
    f.kms.create_key(&ctx, CreateKeyRequest::default()).unwrap().key_metadata.arn
}

fn key_arns(f: &mut Fixture, region: Option<&str>) -> Vec<String> {
    let ctx = CallContext { region: region.map(str::to_owned), ..f.ctx() };
    f.kms.list_keys(&ctx, ListRequest::default()).unwrap().keys.into_iter().map(|k| k.key_arn).collect()
}

fn snap(kms: &Kms) -> Vec<u8> {
    kms.snapshot().unwrap().expose().to_vec()
}

#[test]
fn each_region_has_its_own_keys_aliases_and_arns() {
    let mut f = Fixture::new();
    let home = f.key();
    let eu = create_in(&mut f, EU);
    assert!(home.starts_with(&format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/")));
    assert!(eu.starts_with(&format!("arn:aws:kms:{EU}:{ACCOUNT}:key/")));
    assert_eq!(key_arns(&mut f, None), vec![home.clone()]);
    assert_eq!(key_arns(&mut f, Some(EU)), vec![eu.clone()]);
    // The home region named explicitly is the home region.
    assert_eq!(key_arns(&mut f, Some(REGION)), vec![home.clone()]);

    // A key is not found from another region, by id or by ARN.
    let eu_id = eu.rsplit('/').next().unwrap().to_owned();
    let ctx = f.ctx();
    let e = f.kms.describe_key(&ctx, Fixture::key_id_req(&eu_id)).unwrap_err();
    assert_eq!(e.name(), "NotFoundException");
    let e = f.kms.describe_key(&ctx, Fixture::key_id_req(&eu)).unwrap_err();
    assert_eq!(e.name(), "NotFoundException");
    let ctx = in_region(&f, EU);
    assert_eq!(f.kms.describe_key(&ctx, Fixture::key_id_req(&eu_id)).unwrap().key_metadata.arn, eu);

    // The same alias name in two regions names two keys.
    for (region, target) in [(REGION, &home), (EU, &eu)] {
        let ctx = in_region(&f, region);
        let req = AliasRequest { alias_name: "alias/app".into(), target_key_id: target.clone() };
        f.kms.create_alias(&ctx, req).unwrap();
    }
    for (region, target) in [(REGION, &home), (EU, &eu)] {
        let ctx = in_region(&f, region);
        let arn = f.kms.describe_key(&ctx, Fixture::key_id_req("alias/app")).unwrap().key_metadata.arn;
        assert_eq!(&arn, target);
        let listed = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap().aliases;
        let app = listed.iter().find(|a| a.alias_name == "alias/app").unwrap();
        assert_eq!(app.alias_arn, format!("arn:aws:kms:{region}:{ACCOUNT}:alias/app"));
    }
}

#[test]
fn a_ciphertext_decrypts_only_in_its_region() {
    let mut f = Fixture::new();
    let eu = create_in(&mut f, EU);
    let ctx = in_region(&f, EU);
    let req = kms_wasm::ops::crypto::EncryptRequest {
        key_id: eu.clone(),
        plaintext: kms_wasm::crypto::SecretBytes::new(b"hello".to_vec()),
        ..Default::default()
    };
    let blob = f.kms.encrypt(&ctx, req).unwrap().ciphertext_blob;
    let decrypt = |kms: &mut Kms, ctx: &CallContext| {
        let req = kms_wasm::ops::crypto::DecryptRequest { ciphertext_blob: blob.clone(), ..Default::default() };
        kms.decrypt(ctx, req).map(|r| r.plaintext.expose().to_vec())
    };
    assert_eq!(decrypt(&mut f.kms, &ctx).unwrap(), b"hello");
    let home = f.ctx();
    let e = decrypt(&mut f.kms, &home).unwrap_err();
    assert!(matches!(e.name(), "NotFoundException" | "InvalidCiphertextException"), "{e:?}");
}

#[test]
fn a_region_aws_does_not_have_is_refused_and_changes_nothing() {
    let mut f = Fixture::new();
    f.key();
    let before = snap(&f.kms);
    let generation = f.kms.generation();
    for bad in ["mars-north-1", "EU-WEST-1", "", "us-east-1 "] {
        let ctx = in_region(&f, bad);
        let e = f.kms.create_key(&ctx, CreateKeyRequest::default()).unwrap_err();
        assert_eq!(e.name(), "ValidationException", "{bad:?}");
        assert!(e.message().contains("is not an AWS region"), "{}", e.message());
    }
    assert_eq!(snap(&f.kms), before);
    assert_eq!(f.kms.generation(), generation);
    // The refusals are audited, in the home region.
    let records = f.kms.audit_log(AuditFilter::default()).unwrap();
    let refused = records.iter().filter(|r| r["errorCode"] == "ValidationException").count();
    assert_eq!(refused, 4);
}

#[test]
fn audit_records_name_their_region_and_request_id() {
    let mut f = Fixture::new();
    f.key();
    let ctx = CallContext { request_id: Some("req-1234".into()), ..in_region(&f, EU) };
    f.kms.create_key(&ctx, CreateKeyRequest::default()).unwrap();
    let home = f.kms.audit_log(AuditFilter::default()).unwrap();
    let eu = f.kms.audit_log_in(AuditFilter::default(), Some(EU)).unwrap();
    assert_eq!(home.len(), 1);
    assert_eq!(eu.len(), 1);
    assert_eq!(home[0]["awsRegion"], REGION);
    assert_eq!(eu[0]["awsRegion"], EU);
    assert_eq!(eu[0]["requestID"], "req-1234");
    assert_ne!(home[0]["requestID"], "req-1234");
    assert!(eu[0]["resources"][0]["ARN"].as_str().unwrap().starts_with(&format!("arn:aws:kms:{EU}:")));
    // One chain across regions.
    assert!(f.kms.verify_audit_log().valid);
    let e = f.kms.audit_log_in(AuditFilter::default(), Some("nowhere-1")).unwrap_err();
    assert_eq!(e.name(), "ValidationException");
}

#[test]
fn the_clock_runs_in_every_region() {
    let mut f = Fixture::new();
    let eu = create_in(&mut f, EU);
    let ctx = in_region(&f, EU);
    let req = ScheduleKeyDeletionRequest { key_id: eu.clone(), pending_window_in_days: Some(7) };
    f.kms.schedule_key_deletion(&ctx, req).unwrap();
    f.advance_days(8);
    // A call at home ends the window in eu-west-1.
    f.key();
    let ctx = in_region(&f, EU);
    let e = f.kms.describe_key(&ctx, Fixture::key_id_req(&eu)).unwrap_err();
    assert_eq!(e.name(), "NotFoundException");
    let eu_records = f.kms.audit_log_in(AuditFilter::default(), Some(EU)).unwrap();
    let deleted = eu_records.iter().find(|r| r["eventName"] == "DeleteKey").unwrap();
    assert_eq!(deleted["awsRegion"], EU);
}

#[test]
fn snapshots_and_records_keep_every_region() {
    let mut f = Fixture::new();
    let home = f.key();
    let eu = create_in(&mut f, EU);
    let west = create_in(&mut f, "us-west-2");

    // Snapshot round trip.
    let mut back = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), &snap(&f.kms)).unwrap();
    let mut g = Fixture { kms: back, now: f.now };
    assert_eq!(key_arns(&mut g, None), vec![home.clone()]);
    assert_eq!(key_arns(&mut g, Some(EU)), vec![eu.clone()]);
    assert_eq!(key_arns(&mut g, Some("us-west-2")), vec![west.clone()]);

    // A snapshot read with another home region keeps each key in its region.
    back = Kms::restore(Partition::new(ACCOUNT, EU).unwrap(), &snap(&f.kms)).unwrap();
    let mut g = Fixture { kms: back, now: f.now };
    assert_eq!(key_arns(&mut g, None), vec![eu.clone()]);
    assert_eq!(key_arns(&mut g, Some(REGION)), vec![home.clone()]);

    // Records: a full body, then changes in two regions, rebuild the same state.
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    replica.apply_records(None, f.kms.all_records(None, 1).unwrap().expose()).unwrap();
    let eu2 = create_in(&mut f, EU);
    let ctx = in_region(&f, "us-west-2");
    let req = ScheduleKeyDeletionRequest { key_id: west.clone(), pending_window_in_days: Some(7) };
    f.kms.schedule_key_deletion(&ctx, req).unwrap();
    let body = f.kms.take_changes(None, 2).unwrap();
    replica.apply_records(None, body.expose()).unwrap();
    assert_eq!(snap(&replica), snap(&f.kms));
    let mut g = Fixture { kms: replica, now: f.now };
    let mut eu_keys = key_arns(&mut g, Some(EU));
    eu_keys.sort();
    let mut want = vec![eu, eu2];
    want.sort();
    assert_eq!(eu_keys, want);

    // Sealed records too.
    let root = [7u8; 32];
    let mut sealed = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    sealed.apply_records(Some(&root), f.kms.all_records(Some(&root), 3).unwrap().expose()).unwrap();
    assert_eq!(snap(&sealed), snap(&f.kms));
}

/// A body of the format before regions (ids without `REGION@`), as
/// kms-wasm wrote it: its records are the header region's, and the next
/// body written is a full one.
#[test]
fn records_written_before_regions_are_the_header_regions_and_are_rewritten_whole() {
    let mut f = Fixture::new();
    let home = f.key();
    let body = f.kms.all_records(None, 1).unwrap().expose().to_vec();
    let legacy = strip_regions(&body);
    assert!(legacy.len() < body.len());

    let mut g = Fixture { kms: Kms::new(Partition::new(ACCOUNT, REGION).unwrap()), now: f.now };
    g.kms.apply_records(None, &legacy).unwrap();
    assert_eq!(key_arns(&mut g, None), vec![home]);
    assert!(g.kms.wants_full_records(), "the next write must be a full body");
    g.key();
    let full = g.kms.all_records(None, 2).unwrap();
    assert!(!g.kms.wants_full_records());
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    replica.apply_records(None, full.expose()).unwrap();
    assert!(!replica.wants_full_records(), "a body with regions asks for nothing");
    assert_eq!(snap(&replica), snap(&g.kms));
}

/// Rewrites a plain body's record ids without their `REGION@` prefix.
fn strip_regions(body: &[u8]) -> Vec<u8> {
    let account_len = usize::from(body[14]);
    let region_at = 15 + account_len;
    let region_len = usize::from(body[region_at]);
    let count_at = region_at + 1 + region_len;
    let count = u32::from_be_bytes(body[count_at..count_at + 4].try_into().unwrap());
    let mut out = body[..count_at + 4].to_vec();
    let mut at = count_at + 4;
    for _ in 0..count {
        let kind = body[at];
        let id_len = usize::from(u16::from_be_bytes([body[at + 1], body[at + 2]]));
        let id = std::str::from_utf8(&body[at + 3..at + 3 + id_len]).unwrap();
        let local = id.split_once('@').unwrap().1;
        out.push(kind);
        out.extend_from_slice(&u16::try_from(local.len()).unwrap().to_be_bytes());
        out.extend_from_slice(local.as_bytes());
        let rest = at + 3 + id_len;
        let len = u32::from_be_bytes(body[rest + 1..rest + 5].try_into().unwrap()) as usize;
        out.extend_from_slice(&body[rest..rest + 5 + len]);
        at = rest + 5 + len;
    }
    out
}
