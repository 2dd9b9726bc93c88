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

/// The names of a listing.
fn names(list: &ListAliasesResponse) -> Vec<&str> {
    list.aliases.iter().map(|a| a.alias_name.as_str()).collect()
}

/// The aliases of a listing that point at a key.
fn targeted(list: &ListAliasesResponse) -> Vec<&AliasListEntry> {
    list.aliases.iter().filter(|a| a.target_key_id.is_some()).collect()
}

#[test]
fn create_alias_then_list_shows_aws_shape() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/app", &key);
    let ctx = f.ctx();
    let list = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap();
    let ours = targeted(&list);
    assert_eq!(ours.len(), 1, "one alias of ours: {list:?}");
    let a = ours[0];
    assert_eq!(a.alias_name, "alias/app");
    assert_eq!(a.alias_arn, format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"));
    assert_eq!(a.target_key_id.as_deref(), key.rsplit('/').next());
    assert_eq!((a.creation_date, a.last_updated_date), (Some(f.now), Some(f.now)));
}

#[test]
fn create_alias_errors() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/taken", &key);
    let cases = [
        ("AlreadyExistsException", "alias/taken", key.clone()),
        ("InvalidAliasNameException", "alias/aws/s3", key.clone()),
        ("ValidationException", "no-prefix", key.clone()),
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
fn alias_refusals_are_in_aws_words() {
    let mut f = Fixture::new();
    let key = f.key();
    alias(&mut f, "alias/taken", &key);
    let create = |name: &str, target: &str| {
        let request = AliasRequest { alias_name: name.into(), target_key_id: target.into() };
        move |kms: &mut kms_wasm::Kms, ctx: &kms_wasm::CallContext| kms.create_alias(ctx, request)
    };
    let prefix = "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";
    let e = f.fails_unchanged("ValidationException", create("my-alias", &key));
    assert_eq!(e.message(), prefix);
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.delete_alias(ctx, DeleteAliasRequest { alias_name: "my-alias".into() })
    });
    assert_eq!(e.message(), prefix);
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.update_alias(ctx, AliasRequest { alias_name: "my-alias".into(), target_key_id: key.clone() })
    });
    assert_eq!(e.message(), prefix);
    let e = f.fails_unchanged("ValidationException", create("alias/my-alias!", &key));
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'alias/my-alias!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    );
    let e = f.fails_unchanged("ValidationException", create("alias/my:alias", &key));
    assert_eq!(e.message(), "alias/my:alias contains invalid characters for an alias");
    // every broken constraint of the request at once, members in AWS's order
    let e = f.fails_unchanged("ValidationException", create("alias/a b", ""));
    assert_eq!(
        e.message(),
        "2 validation errors detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; Value '' at 'targetKeyId' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let taken = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/taken");
    let e = f.fails_unchanged("AlreadyExistsException", create("alias/taken", &key));
    assert_eq!(e.message(), format!("An alias with the name {taken} already exists"));
    let e = f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.delete_alias(ctx, DeleteAliasRequest { alias_name: "alias/unknown-alias".into() })
    });
    assert_eq!(e.message(), format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/unknown-alias is not found."));
    let e = f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.update_alias(ctx, AliasRequest { alias_name: "alias/missing".into(), target_key_id: key.clone() })
    });
    assert_eq!(e.message(), format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing is not found."));
    let e = f.fails_unchanged("NotFoundException", |kms, ctx| kms.describe_key(ctx, Fixture::key_id_req("alias/nope")));
    assert_eq!(e.message(), format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/nope is not found."));
    // a target named by alias is not a key id
    let e = f.fails_unchanged("NotFoundException", create("alias/new", "alias/taken"));
    assert_eq!(e.message(), "Invalid keyId 'alias/taken'");
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
    let list = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap();
    let e = targeted(&list)[0];
    assert_eq!((e.creation_date, e.last_updated_date), (Some(created), Some(f.now)));
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
    assert_eq!(names(&only_b), ["alias/b"]);
    let p1 = f.kms.list_aliases(&ctx, ListAliasesRequest { limit: Some(3), ..Default::default() }).unwrap();
    assert!(p1.truncated);
    assert_eq!(names(&p1), ["alias/a0", "alias/a1", "alias/a2"]);
    let p2 = f
        .kms
        .list_aliases(&ctx, ListAliasesRequest { limit: Some(3), marker: p1.next_marker, ..Default::default() })
        .unwrap();
    assert_eq!(names(&p2), ["alias/aws/acm", "alias/aws/dynamodb", "alias/aws/ebs"]);
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_aliases(ctx, ListAliasesRequest { limit: Some(101), ..Default::default() })
    });
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"
    );
    let e = f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.list_aliases(
            ctx,
            ListAliasesRequest { key_id: Some("1234abcd-12ab-34cd-56ef-1234567890ab".into()), ..Default::default() },
        )
    });
    assert_eq!(
        e.message(),
        format!("Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist")
    );
}

/// Every page of a listing, walked with `limit`.
fn all_pages(f: &mut Fixture, key_id: Option<&str>, limit: i64) -> Vec<AliasListEntry> {
    let ctx = f.ctx();
    let (mut out, mut marker) = (Vec::new(), None);
    loop {
        let request = ListAliasesRequest { key_id: key_id.map(str::to_owned), limit: Some(limit), marker };
        let page = f.kms.list_aliases(&ctx, request).unwrap();
        assert_eq!(page.truncated, page.next_marker.is_some());
        assert!(page.aliases.len() <= limit as usize);
        out.extend(page.aliases);
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => return out,
        }
    }
}

#[test]
fn a_fresh_account_lists_the_predefined_aliases_without_target() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let list = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap();
    assert_eq!(names(&list), kms_wasm::aliases::PREDEFINED);
    assert!(!list.truncated);
    for a in &list.aliases {
        assert_eq!(a.alias_arn, format!("arn:aws:kms:{REGION}:{ACCOUNT}:{}", a.alias_name));
        assert_eq!((&a.target_key_id, a.creation_date, a.last_updated_date), (&None, None, None));
    }
    // as AWS writes them: name and ARN only
    let json = serde_json::to_value(&list.aliases[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "AliasName": "alias/aws/acm", "AliasArn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/acm") })
    );
}

#[test]
fn predefined_aliases_page_in_name_order_with_ours() {
    let mut f = Fixture::new();
    let a = f.key();
    for name in ["alias/a", "alias/aws-mine", "alias/aws0", "alias/m", "alias/z"] {
        alias(&mut f, name, &a);
    }
    let mut expected: Vec<String> = kms_wasm::aliases::PREDEFINED.iter().map(|n| (*n).to_owned()).collect();
    expected.extend(["alias/a", "alias/aws-mine", "alias/aws0", "alias/m", "alias/z"].map(str::to_owned));
    expected.sort();
    for limit in [1, 2, 3, 5, 7, 19, 100] {
        let got: Vec<String> = all_pages(&mut f, None, limit).into_iter().map(|a| a.alias_name).collect();
        assert_eq!(got, expected, "Limit {limit}");
    }
    // a page that ends on a predefined alias goes on after it ('-' sorts before '/')
    let ctx = f.ctx();
    let p1 = f.kms.list_aliases(&ctx, ListAliasesRequest { limit: Some(3), ..Default::default() }).unwrap();
    assert_eq!(names(&p1), ["alias/a", "alias/aws-mine", "alias/aws/acm"]);
    let p2 = f
        .kms
        .list_aliases(&ctx, ListAliasesRequest { limit: Some(1), marker: p1.next_marker, ..Default::default() })
        .unwrap();
    assert_eq!(names(&p2), ["alias/aws/dynamodb"]);
}

#[test]
fn with_key_id_only_that_keys_aliases_are_listed() {
    let mut f = Fixture::new();
    let a = f.key();
    let ctx = f.ctx();
    let none = f.kms.list_aliases(&ctx, ListAliasesRequest { key_id: Some(a.clone()), ..Default::default() }).unwrap();
    assert!(none.aliases.is_empty() && !none.truncated, "no predefined alias belongs to a key: {none:?}");
    alias(&mut f, "alias/b", &a);
    alias(&mut f, "alias/a", &a);
    let names_of_a: Vec<String> = all_pages(&mut f, Some(&a), 1).into_iter().map(|a| a.alias_name).collect();
    assert_eq!(names_of_a, ["alias/a", "alias/b"]);
}

#[test]
fn a_predefined_alias_a_service_used_shows_its_managed_key() {
    let mut f = Fixture::new();
    let ctx = kms_wasm::CallContext { service: Some("s3".into()), ..f.ctx() };
    let blob = f
        .kms
        .encrypt(
            &ctx,
            kms_wasm::ops::crypto::EncryptRequest {
                key_id: "alias/aws/s3".into(),
                plaintext: kms_wasm::crypto::SecretBytes::new(b"object".to_vec()),
                ..Default::default()
            },
        )
        .unwrap();
    let managed = blob.key_id.rsplit('/').next().unwrap().to_owned();
    let ctx = f.ctx();
    let list = f.kms.list_aliases(&ctx, ListAliasesRequest::default()).unwrap();
    assert_eq!(names(&list), kms_wasm::aliases::PREDEFINED, "listed once, in its place");
    let s3 = list.aliases.iter().find(|a| a.alias_name == "alias/aws/s3").unwrap();
    assert_eq!(s3.target_key_id.as_deref(), Some(managed.as_str()));
    assert_eq!(targeted(&list).len(), 1);
    let of_managed = all_pages(&mut f, Some(&managed), 10);
    assert_eq!(of_managed.iter().map(|a| a.alias_name.as_str()).collect::<Vec<_>>(), ["alias/aws/s3"]);
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
    // lengths are model constraints: ValidationException, in AWS's words
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("", "v")] })
    });
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    f.fails_unchanged("TagException", |kms, ctx| {
        kms.tag_resource(ctx, TagResourceRequest { key_id: k(), tags: vec![tag("aws:owner", "v")] })
    });
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.tag_resource(
            ctx,
            TagResourceRequest { key_id: k(), tags: vec![tag("ok", "v"), tag("ok", &"v".repeat(257))] },
        )
    });
    assert!(e.message().contains("at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"), "{e}");
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.untag_resource(ctx, UntagResourceRequest { key_id: k(), tag_keys: vec!["a".into(), String::new()] })
    });
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '[a, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
    );
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
