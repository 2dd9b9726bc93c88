#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Aliases and tags.
mod common;

use common::*;
use kms_wasm::keys::tags::Tag;
use kms_wasm::ops::aliases::*;
use kms_wasm::ops::tags::*;

fn alias(f: &mut Fixture, name: &str, key: &str) {
    let ctx = f.ctx();
    f.kms.create_alias(&ctx, AliasRequest { alias_name: name.into(), target_key_id: key.into() }).unwrap();
}

fn tag(k: &str, v: &str) -> Tag {
    Tag { tag_key: k.into(), tag_value: v.into() }
}

#[test]
fn create_alias_then_list_shows_aws_shape() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/app", &key);
    let ctx = f.ctx();
    let list = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap();
    assert_eq!(list.aliases.len(), 1);
    let a = &list.aliases[0];
    assert_eq!(a.alias_name, "alias/app");
    assert_eq!(a.alias_arn, format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"));
    assert_eq!(a.target_key_id, key.rsplit('/').next().unwrap());
    assert_eq!((a.creation_date, a.last_updated_date), (f.now, f.now));
}

#[test]
fn create_alias_errors() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/taken", &key);
    let cases = [
        ("AlreadyExistsException", "alias/taken", key.clone()),
        ("InvalidAliasNameException", "alias/aws/s3", key.clone()),
        ("InvalidAliasNameException", "no-prefix", key.clone()),
        ("ValidationException", "alias/bad name", key.clone()),
        ("NotFoundException", "alias/new", "1234abcd-12ab-34cd-56ef-1234567890ab".into()),
        ("NotFoundException", "alias/new", "alias/taken".into()),
    ];
    for (name, alias_name, target) in cases {
        f.fails_unchanged(name, |kms, ctx| {
            kms.create_alias(ctx, AliasRequest { alias_name: alias_name.into(), target_key_id: target })
        });
    }
}

#[test]
fn a_key_has_at_most_50_aliases() {
    let mut f = Fixture::new();
    let key = f.key();
    for i in 0..50 {
        alias(&mut f, &format!("alias/a{i}"), &key);
    }
    f.fails_unchanged("LimitExceededException", |kms, ctx| {
        kms.create_alias(ctx, AliasRequest { alias_name: "alias/one-more".into(), target_key_id: key })
    });
}

#[test]
fn update_alias_repoints_and_keeps_the_creation_date() {
    let mut f = Fixture::new();
    let a = f.key();
    let b = f.key();
    alias(&mut f, "alias/current", &a);
    let created = f.now;
    f.advance_days(1);
    let ctx = f.ctx();
    f.kms.update_alias(&ctx, AliasRequest { alias_name: "alias/current".into(), target_key_id: b.clone() }).unwrap();
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req("alias/current")).unwrap().key_metadata;
    assert_eq!(m.arn, b);
    let e = &f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap().aliases[0];
    assert_eq!((e.creation_date, e.last_updated_date), (created, f.now));
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.update_alias(ctx, AliasRequest { alias_name: "alias/missing".into(), target_key_id: b.clone() })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.update_alias(ctx, AliasRequest { alias_name: "alias/current".into(), target_key_id: "nope".into() })
    });
}

#[test]
fn delete_alias_removes_only_the_alias() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/x", &key);
    let ctx = f.ctx();
    f.kms.delete_alias(&ctx, DeleteAliasRequest { alias_name: "alias/x".into() }).unwrap();
    assert_eq!(f.kms.describe_key(&ctx, Fixture::key_id_req("alias/x")).unwrap_err().name(), "NotFoundException");
    assert_eq!(f.state_of(&key), "Enabled");
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.delete_alias(ctx, DeleteAliasRequest { alias_name: "alias/x".into() })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.delete_alias(ctx, DeleteAliasRequest { alias_name: String::new() })
    });
}

#[test]
fn list_aliases_filters_by_key_and_pages() {
    let mut f = Fixture::new();
    let a = f.key();
    let b = f.key();
    for i in 0..3 {
        alias(&mut f, &format!("alias/a{i}"), &a);
    }
    alias(&mut f, "alias/b", &b);
    let ctx = f.ctx();
    let only_b =
        f.kms.list_aliases(&ctx, ListAliasesRequest { key_id: Some(b.clone()), ..Default::default() }).unwrap();
    assert_eq!(only_b.aliases.iter().map(|a| a.alias_name.as_str()).collect::<Vec<_>>(), ["alias/b"]);
    let p1 = f.kms.list_aliases(&ctx, ListAliasesRequest { limit: Some(3), ..Default::default() }).unwrap();
    assert!(p1.truncated);
    let p2 = f
        .kms
        .list_aliases(&ctx, ListAliasesRequest { limit: Some(3), marker: p1.next_marker, ..Default::default() })
        .unwrap();
    assert_eq!(p1.aliases.len() + p2.aliases.len(), 4);
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_aliases(ctx, ListAliasesRequest { limit: Some(101), ..Default::default() })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.list_aliases(
            ctx,
            ListAliasesRequest { key_id: Some("1234abcd-12ab-34cd-56ef-1234567890ab".into()), ..Default::default() },
        )
    });
}

#[test]
fn tags_are_added_overwritten_listed_and_removed() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .tag_resource(&ctx, TagResourceRequest { key_id: key.clone(), tags: vec![tag("b", "2"), tag("a", "1")] })
        .unwrap();
    f.kms.tag_resource(&ctx, TagResourceRequest { key_id: key.clone(), tags: vec![tag("a", "one")] }).unwrap();
    let list =
        f.kms.list_resource_tags(&ctx, ListResourceTagsRequest { key_id: key.clone(), ..Default::default() }).unwrap();
    assert_eq!(list.tags, vec![tag("a", "one"), tag("b", "2")]);
    assert!(!list.truncated);
    f.kms
        .untag_resource(&ctx, UntagResourceRequest { key_id: key.clone(), tag_keys: vec!["a".into(), "absent".into()] })
        .unwrap();
    let list =
        f.kms.list_resource_tags(&ctx, ListResourceTagsRequest { key_id: key.clone(), ..Default::default() }).unwrap();
    assert_eq!(list.tags, vec![tag("b", "2")]);
}

#[test]
fn tag_errors() {
    let mut f = Fixture::new();
    let key = f.key();
    let k = || key.clone();
    f.fails_unchanged("TagException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("", "v")] })
    });
    f.fails_unchanged("TagException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("aws:owner", "v")] })
    });
    f.fails_unchanged("TagException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("ok", &"v".repeat(257))] })
    });
    f.fails_unchanged("TagException", |kms, ctx| {
        kms.untag_resource(ctx, UntagResourceRequest { key_id: k(), tag_keys: vec![String::new()] })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: "alias/x".into(), tags: vec![tag("a", "b")] })
    });
    let ctx = f.ctx();
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    f.kms.tag_resource(&ctx, TagResourceRequest { key_id: k(), tags: fifty }).unwrap();
    f.fails_unchanged("LimitExceededException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("k50", "v")] })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_resource_tags(ctx, ListResourceTagsRequest { key_id: k(), limit: Some(51), marker: None })
    });
    let p =
        f.kms.list_resource_tags(&ctx, ListResourceTagsRequest { key_id: k(), limit: Some(20), marker: None }).unwrap();
    assert_eq!((p.tags.len(), p.truncated), (20, true));
}
