#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Key lifecycle operations: success, every error, nothing changed on failure.
mod common;

use common::*;
use kms_wasm::keys::tags::Tag;
use kms_wasm::keys::KeyState;
use kms_wasm::ops::lifecycle::*;
use kms_wasm::ops::paging::Limits;

#[test]
fn create_key_returns_aws_metadata_for_a_symmetric_key() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let m = f
        .kms
        .create_key(&ctx, CreateKeyRequest { description: Some("app key".into()), ..Default::default() })
        .unwrap()
        .key_metadata;
    assert_eq!(m.aws_account_id, ACCOUNT);
    assert_eq!(m.arn, format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{}", m.key_id));
    assert_eq!(m.description, "app key");
    assert_eq!((m.key_state, m.enabled), (KeyState::Enabled, true));
    assert_eq!(
        (m.key_usage, m.key_spec, m.customer_master_key_spec),
        ("ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT")
    );
    assert_eq!(m.encryption_algorithms, ["SYMMETRIC_DEFAULT"]);
    assert_eq!(m.creation_date, f.now);
    assert!(!m.multi_region);
    assert_eq!(m.deletion_date, None);
}

#[test]
fn create_key_metadata_serializes_with_aws_member_names() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let m = f.kms.create_key(&ctx, CreateKeyRequest::default()).unwrap();
    let json = serde_json::to_value(&m).unwrap();
    let md = &json["KeyMetadata"];
    for member in [
        "AWSAccountId",
        "KeyId",
        "Arn",
        "CreationDate",
        "Enabled",
        "Description",
        "KeyUsage",
        "KeyState",
        "Origin",
        "KeyManager",
        "KeySpec",
        "CustomerMasterKeySpec",
        "EncryptionAlgorithms",
        "MultiRegion",
    ] {
        assert!(md.get(member).is_some(), "missing {member}");
    }
    assert_eq!(md["Origin"], "AWS_KMS");
    assert_eq!(md["KeyManager"], "CUSTOMER");
    assert_eq!(md["KeyState"], "Enabled");
    assert!(md.get("DeletionDate").is_none());
}

#[test]
fn create_key_rejects_what_it_cannot_honour() {
    let mut f = Fixture::new();
    let cases: Vec<(&str, CreateKeyRequest)> = vec![
        ("ValidationException", CreateKeyRequest { description: Some("d".repeat(8193)), ..Default::default() }),
        ("ValidationException", CreateKeyRequest { key_usage: Some("ENCRYPT".into()), ..Default::default() }),
        (
            "UnsupportedOperationException",
            CreateKeyRequest { key_usage: Some("SIGN_VERIFY".into()), ..Default::default() },
        ),
        ("UnsupportedOperationException", CreateKeyRequest { key_spec: Some("RSA_2048".into()), ..Default::default() }),
        ("ValidationException", CreateKeyRequest { key_spec: Some("AES".into()), ..Default::default() }),
        (
            "UnsupportedOperationException",
            CreateKeyRequest {
                multi_region: Some(true),
                origin: Some("EXTERNAL_KEY_STORE".into()),
                custom_key_store_id: Some("cks-0123456789abcdef0".into()),
                xks_key_id: Some("external-key".into()),
                ..Default::default()
            },
        ),
        (
            "UnsupportedOperationException",
            CreateKeyRequest { origin: Some("AWS_CLOUDHSM".into()), ..Default::default() },
        ),
        ("ValidationException", CreateKeyRequest { origin: Some("MOON".into()), ..Default::default() }),
        ("MalformedPolicyDocumentException", CreateKeyRequest { policy: Some("{}".into()), ..Default::default() }),
        (
            "TagException",
            CreateKeyRequest {
                tags: Some(vec![Tag { tag_key: "aws:x".into(), tag_value: "v".into() }]),
                ..Default::default()
            },
        ),
        (
            "LimitExceededException",
            CreateKeyRequest {
                tags: Some((0..51).map(|i| Tag { tag_key: format!("k{i}"), tag_value: String::new() }).collect()),
                ..Default::default()
            },
        ),
    ];
    for (name, req) in cases {
        f.fails_unchanged(name, |kms, ctx| kms.create_key(ctx, req));
    }
}

#[test]
fn create_key_accepts_a_description_of_exactly_8192_characters_and_tags() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let req = CreateKeyRequest {
        description: Some("d".repeat(8192)),
        tags: Some(vec![Tag { tag_key: "team".into(), tag_value: "blue".into() }]),
        key_spec: Some("SYMMETRIC_DEFAULT".into()),
        key_usage: Some("ENCRYPT_DECRYPT".into()),
        origin: Some("AWS_KMS".into()),
        ..Default::default()
    };
    assert_eq!(f.kms.create_key(&ctx, req).unwrap().key_metadata.description.len(), 8192);
}

#[test]
fn describe_key_accepts_all_four_key_forms() {
    let mut f = Fixture::new();
    let arn = f.key();
    let id = arn.rsplit('/').next().unwrap().to_owned();
    let ctx = f.ctx();
    f.kms
        .create_alias(
            &ctx,
            kms_wasm::ops::aliases::AliasRequest { alias_name: "alias/app".into(), target_key_id: id.clone() },
        )
        .unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app");
    for form in [id.as_str(), arn.as_str(), "alias/app", alias_arn.as_str()] {
        let m = f.kms.describe_key(&ctx, Fixture::key_id_req(form)).unwrap().key_metadata;
        assert_eq!(m.arn, arn, "{form}");
    }
}

#[test]
fn describe_key_errors() {
    let mut f = Fixture::new();
    f.key();
    let other_account = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    for (name, key) in [
        ("NotFoundException", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("NotFoundException", "not-a-key"),
        ("NotFoundException", "alias/missing"),
        ("NotFoundException", other_account),
        ("ValidationException", ""),
    ] {
        f.fails_unchanged(name, |kms, ctx| kms.describe_key(ctx, Fixture::key_id_req(key)));
    }
    let too_many = KeyIdRequest { key_id: f.key(), grant_tokens: vec!["t".into(); 11] };
    f.fails_unchanged("ValidationException", |kms, ctx| kms.describe_key(ctx, too_many));
}

#[test]
fn list_keys_pages_through_every_key_once() {
    let mut f = Fixture::new();
    let mut created: Vec<String> = (0..5).map(|_| f.key()).collect();
    created.sort();
    let ctx = f.ctx();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = f.kms.list_keys(&ctx, ListRequest { limit: Some(2), marker }).unwrap();
        assert!(page.keys.len() <= 2);
        seen.extend(page.keys.into_iter().map(|k| k.key_arn));
        if !page.truncated {
            assert!(page.next_marker.is_none());
            break;
        }
        marker = page.next_marker;
    }
    seen.sort();
    assert_eq!(seen, created);
}

#[test]
fn list_keys_errors() {
    let mut f = Fixture::new();
    f.key();
    let _ = Limits { default: 100, max: 1000 };
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_keys(ctx, ListRequest { limit: Some(0), marker: None })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_keys(ctx, ListRequest { limit: Some(1001), marker: None })
    });
    f.fails_unchanged("InvalidMarkerException", |kms, ctx| {
        kms.list_keys(ctx, ListRequest { limit: None, marker: Some("bogus".into()) })
    });
}

#[test]
fn update_key_description_changes_only_the_description() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .update_key_description(
            &ctx,
            UpdateKeyDescriptionRequest { key_id: key.clone(), description: Some("new".into()) },
        )
        .unwrap();
    assert_eq!(f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata.description, "new");
    let k = key.clone();
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.update_key_description(ctx, UpdateKeyDescriptionRequest { key_id: k, description: Some("x".repeat(8193)) })
    });
    let k = key.clone();
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.update_key_description(ctx, UpdateKeyDescriptionRequest { key_id: k, description: None })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.update_key_description(
            ctx,
            UpdateKeyDescriptionRequest { key_id: "alias/x".into(), description: Some("d".into()) },
        )
    });
}

#[test]
fn disable_then_enable_round_trips_the_state() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert_eq!(f.state_of(&key), "Disabled");
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert!(!m.enabled);
    f.kms.enable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert_eq!(f.state_of(&key), "Enabled");
    // both are idempotent, as in AWS
    f.kms.enable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    f.fails_unchanged("NotFoundException", |kms, ctx| kms.enable_key(ctx, Fixture::key_id_req("alias/nope")));
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.disable_key(ctx, Fixture::key_id_req("1234abcd-12ab-34cd-56ef-1234567890ab"))
    });
}

#[test]
fn schedule_key_deletion_defaults_to_thirty_days() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let r = f
        .kms
        .schedule_key_deletion(&ctx, ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: None })
        .unwrap();
    assert_eq!(r.key_id, key);
    assert_eq!(r.pending_window_in_days, 30);
    assert_eq!(r.key_state, KeyState::PendingDeletion);
    assert_eq!(r.deletion_date, Some(f.now.plus_days(30)));
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert_eq!((m.deletion_date, m.pending_deletion_window_in_days), (Some(f.now.plus_days(30)), Some(30)));
}

#[test]
fn pending_window_in_days_must_be_between_7_and_30() {
    let mut f = Fixture::new();
    let key = f.key();
    for bad in [6, 31, 0, -7] {
        let k = key.clone();
        f.fails_unchanged("ValidationException", |kms, ctx| {
            kms.schedule_key_deletion(ctx, ScheduleKeyDeletionRequest { key_id: k, pending_window_in_days: Some(bad) })
        });
    }
    for good in [7, 30] {
        let k = f.key();
        let ctx = f.ctx();
        f.kms
            .schedule_key_deletion(&ctx, ScheduleKeyDeletionRequest { key_id: k, pending_window_in_days: Some(good) })
            .unwrap();
    }
}

#[test]
fn cancel_key_deletion_leaves_the_key_disabled() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    assert_eq!(f.kms.cancel_key_deletion(&ctx, Fixture::key_id_req(&key)).unwrap().key_id, key);
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert_eq!((m.key_state, m.deletion_date), (KeyState::Disabled, None));
}

#[test]
fn cancel_key_deletion_on_a_key_not_pending_deletion_is_invalid_state() {
    let mut f = Fixture::new();
    let key = f.key();
    let k = key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.cancel_key_deletion(ctx, Fixture::key_id_req(&k)));
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.cancel_key_deletion(ctx, Fixture::key_id_req(&key)));
}

#[test]
fn management_of_a_key_pending_deletion_is_invalid_state() {
    use kms_wasm::ops::aliases::AliasRequest;
    use kms_wasm::ops::tags::TagResourceRequest;
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(&ctx, ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: None })
        .unwrap();
    let k = || key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.enable_key(ctx, Fixture::key_id_req(&k())));
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.disable_key(ctx, Fixture::key_id_req(&k())));
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.schedule_key_deletion(ctx, ScheduleKeyDeletionRequest { key_id: k(), pending_window_in_days: None })
    });
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.update_key_description(ctx, UpdateKeyDescriptionRequest { key_id: k(), description: Some("x".into()) })
    });
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.tag_resource(
            ctx,
            TagResourceRequest { key_id: k(), tags: vec![Tag { tag_key: "a".into(), tag_value: "b".into() }] },
        )
    });
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.create_alias(ctx, AliasRequest { alias_name: "alias/late".into(), target_key_id: k() })
    });
    // reads still work
    assert_eq!(f.state_of(&key), "PendingDeletion");
}

#[test]
fn a_key_is_gone_with_its_aliases_when_the_clock_passes_its_deletion_date() {
    use kms_wasm::ops::aliases::{AliasRequest, ListAliasesRequest};
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"data", &[]).unwrap();
    let ctx = f.ctx();
    f.kms.create_alias(&ctx, AliasRequest { alias_name: "alias/doomed".into(), target_key_id: key.clone() }).unwrap();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    f.advance_days(7);
    f.now = kms_wasm::Timestamp(f.now.0 - 1);
    assert_eq!(f.state_of(&key), "PendingDeletion", "one millisecond before the date the key is still there");
    f.now = kms_wasm::Timestamp(f.now.0 + 1);
    let ctx = f.ctx();
    assert_eq!(f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap_err().name(), "NotFoundException");
    assert_eq!(f.kms.describe_key(&ctx, Fixture::key_id_req("alias/doomed")).unwrap_err().name(), "NotFoundException");
    let aliases = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap().aliases;
    assert!(aliases.iter().all(|a| a.target_key_id.is_none()), "only the predefined aliases are left: {aliases:?}");
    assert!(f.kms.list_keys(&ctx, ListRequest::default()).unwrap().keys.is_empty());
    let e = f.decrypt(&blob, &[]).unwrap_err();
    assert_eq!(e.to_string(), format!("NotFoundException: Key '{key}' does not exist"));
}

#[test]
fn a_cancelled_deletion_does_not_happen() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    f.kms.cancel_key_deletion(&ctx, Fixture::key_id_req(&key)).unwrap();
    f.advance_days(60);
    assert_eq!(f.state_of(&key), "Disabled");
}
