#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Rotation: automatic by the clock, on demand, and decrypt across rotations.
mod common;

use common::*;
use kms_wasm::ops::lifecycle::KeyIdRequest;
use kms_wasm::ops::rotation::*;

fn enable(f: &mut Fixture, key: &str, days: Option<i64>) {
    let ctx = f.ctx();
    f.kms
        .enable_key_rotation(&ctx, EnableKeyRotationRequest { key_id: key.into(), rotation_period_in_days: days })
        .unwrap();
}

fn rotations(f: &mut Fixture, key: &str) -> Vec<(kms_wasm::Timestamp, &'static str)> {
    let ctx = f.ctx();
    f.kms
        .list_key_rotations(&ctx, ListKeyRotationsRequest { key_id: key.into(), ..Default::default() })
        .unwrap()
        .rotations
        .into_iter()
        .map(|r| (r.rotation_date.unwrap(), r.rotation_type.unwrap()))
        .collect()
}

fn status(f: &mut Fixture, key: &str) -> KeyRotationStatus {
    let ctx = f.ctx();
    f.kms.get_key_rotation_status(&ctx, Fixture::key_id_req(key)).unwrap()
}

#[test]
fn rotation_status_reports_period_and_next_date_only_while_enabled() {
    let mut f = Fixture::new();
    let key = f.key();
    let s = status(&mut f, &key);
    assert_eq!((s.key_rotation_enabled, s.rotation_period_in_days, s.next_rotation_date), (false, None, None));
    assert_eq!(s.key_id, key);
    enable(&mut f, &key, None);
    let s = status(&mut f, &key);
    assert_eq!((s.key_rotation_enabled, s.rotation_period_in_days), (true, Some(365)));
    assert_eq!(s.next_rotation_date, Some(f.now.plus_days(365)));
    let ctx = f.ctx();
    f.kms.disable_key_rotation(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert!(!status(&mut f, &key).key_rotation_enabled);
}

#[test]
fn rotation_period_must_be_between_90_and_2560_days() {
    let mut f = Fixture::new();
    let key = f.key();
    for bad in [89, 2561, 0] {
        let k = key.clone();
        f.fails_unchanged("ValidationException", |kms, ctx| {
            kms.enable_key_rotation(ctx, EnableKeyRotationRequest { key_id: k, rotation_period_in_days: Some(bad) })
        });
    }
    enable(&mut f, &key, Some(90));
    enable(&mut f, &key, Some(2560));
}

#[test]
fn automatic_rotation_happens_one_period_after_enabling_then_every_period() {
    let mut f = Fixture::new();
    let key = f.key();
    let start = f.now;
    enable(&mut f, &key, Some(90));
    f.advance_days(89);
    assert!(rotations(&mut f, &key).is_empty());
    f.advance_days(1);
    assert_eq!(rotations(&mut f, &key), vec![(start.plus_days(90), "AUTOMATIC")]);
    f.advance_days(200); // day 290: rotations due at 180 and 270
    assert_eq!(
        rotations(&mut f, &key),
        vec![
            (start.plus_days(90), "AUTOMATIC"),
            (start.plus_days(180), "AUTOMATIC"),
            (start.plus_days(270), "AUTOMATIC")
        ]
    );
    assert_eq!(status(&mut f, &key).next_rotation_date, Some(start.plus_days(360)));
}

#[test]
fn every_ciphertext_decrypts_after_any_number_of_rotations() {
    let mut f = Fixture::new();
    let key = f.key();
    enable(&mut f, &key, Some(90));
    let mut blobs = Vec::new();
    for i in 0..12u8 {
        blobs.push((i, f.encrypt(&key, &[i; 10], &[("i", &i.to_string())]).unwrap()));
        if i % 2 == 0 {
            let ctx = f.ctx();
            f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
        } else {
            f.advance_days(90);
        }
    }
    assert_eq!(rotations(&mut f, &key).len(), 12);
    for (i, blob) in blobs {
        assert_eq!(f.decrypt(&blob, &[("i", &i.to_string())]).unwrap(), vec![i; 10]);
    }
}

#[test]
fn encryption_uses_the_newest_backing_key() {
    let mut f = Fixture::new();
    let key = f.key();
    let before = f.encrypt(&key, b"x", &[]).unwrap();
    let ctx = f.ctx();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    let after = f.encrypt(&key, b"x", &[]).unwrap();
    // bytes 17..49 of a blob name the backing key
    assert_ne!(before[17..49], after[17..49]);
    let again = f.encrypt(&key, b"x", &[]).unwrap();
    assert_eq!(after[17..49], again[17..49]);
}

#[test]
fn on_demand_rotation_does_not_move_the_automatic_schedule() {
    let mut f = Fixture::new();
    let key = f.key();
    enable(&mut f, &key, Some(100));
    let next = status(&mut f, &key).next_rotation_date;
    f.advance_days(10);
    let ctx = f.ctx();
    assert_eq!(f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap().key_id, key);
    assert_eq!(status(&mut f, &key).next_rotation_date, next);
    assert_eq!(rotations(&mut f, &key), vec![(f.now, "ON_DEMAND")]);
}

#[test]
fn on_demand_rotation_is_limited_to_25_per_key() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    for _ in 0..25 {
        f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    }
    f.fails_unchanged("LimitExceededException", |kms, ctx| kms.rotate_key_on_demand(ctx, Fixture::key_id_req(&key)));
}

#[test]
fn a_disabled_key_does_not_rotate_and_an_overdue_key_rotates_when_re_enabled() {
    let mut f = Fixture::new();
    let key = f.key();
    enable(&mut f, &key, Some(90));
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    f.advance_days(300);
    assert!(rotations(&mut f, &key).is_empty(), "a disabled key does not rotate");
    let ctx = f.ctx();
    f.kms.enable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert_eq!(rotations(&mut f, &key), vec![(f.now, "AUTOMATIC")], "one rotation, at once");
    assert_eq!(status(&mut f, &key).next_rotation_date, Some(f.now.plus_days(90)));
}

#[test]
fn a_key_pending_deletion_does_not_rotate() {
    let mut f = Fixture::new();
    let key = f.key();
    enable(&mut f, &key, Some(90));
    f.advance_days(85);
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            kms_wasm::ops::lifecycle::ScheduleKeyDeletionRequest {
                key_id: key.clone(),
                pending_window_in_days: Some(30),
            },
        )
        .unwrap();
    f.advance_days(10);
    assert!(rotations(&mut f, &key).is_empty());
}

#[test]
fn rotation_operations_on_a_disabled_key_are_disabled_exception() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    let k = || key.clone();
    f.fails_unchanged("DisabledException", |kms, ctx| {
        kms.enable_key_rotation(ctx, EnableKeyRotationRequest { key_id: k(), rotation_period_in_days: None })
    });
    f.fails_unchanged("DisabledException", |kms, ctx| kms.disable_key_rotation(ctx, Fixture::key_id_req(&k())));
    f.fails_unchanged("DisabledException", |kms, ctx| kms.rotate_key_on_demand(ctx, Fixture::key_id_req(&k())));
    // reading the status still works
    assert!(!status(&mut f, &key).key_rotation_enabled);
}

#[test]
fn rotation_operations_refuse_aliases_and_unknown_keys() {
    let mut f = Fixture::new();
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.enable_key_rotation(
            ctx,
            EnableKeyRotationRequest { key_id: "alias/x".into(), rotation_period_in_days: None },
        )
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.get_key_rotation_status(ctx, KeyIdRequest { key_id: "nope".into(), ..Default::default() })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.list_key_rotations(ctx, ListKeyRotationsRequest { key_id: "alias/x".into(), ..Default::default() })
    });
}

#[test]
fn list_key_rotations_pages() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    for _ in 0..5 {
        f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    }
    let p1 = f
        .kms
        .list_key_rotations(&ctx, ListKeyRotationsRequest { key_id: key.clone(), limit: Some(3), ..Default::default() })
        .unwrap();
    assert_eq!((p1.rotations.len(), p1.truncated), (3, true));
    let p2 = f
        .kms
        .list_key_rotations(
            &ctx,
            ListKeyRotationsRequest {
                key_id: key.clone(),
                limit: Some(3),
                marker: p1.next_marker,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((p2.rotations.len(), p2.truncated), (2, false));
    assert!(p1.rotations.iter().chain(&p2.rotations).all(|r| r.key_id == key && r.key_material_id.len() == 64));
    let k = key.clone();
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_key_rotations(ctx, ListKeyRotationsRequest { key_id: k, limit: Some(1001), ..Default::default() })
    });
}

#[test]
fn changing_the_period_counts_from_the_last_rotation() {
    let mut f = Fixture::new();
    let key = f.key();
    let start = f.now;
    enable(&mut f, &key, Some(365));
    f.advance_days(100);
    enable(&mut f, &key, Some(180));
    assert_eq!(status(&mut f, &key).next_rotation_date, Some(start.plus_days(180)));
}
