#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Access control: key policies, grants, endpoints, AWS-managed keys.
mod common;

use common::*;
use kms_wasm::crypto::SecretBytes;
use kms_wasm::grants::Constraints;
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest};
use kms_wasm::ops::extensions::CreateEndpointRequest;
use kms_wasm::ops::grants::*;
use kms_wasm::ops::lifecycle::{CreateKeyRequest, ScheduleKeyDeletionRequest};
use kms_wasm::ops::policy::*;
use kms_wasm::{CallContext, KmsError};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const MALLORY: &str = "arn:aws:iam::111122223333:user/mallory";
const OUTSIDER: &str = "arn:aws:iam::444455556666:root";
const ROOT: &str = "arn:aws:iam::111122223333:root";

fn as_(f: &Fixture, who: &str) -> CallContext {
    CallContext::new(who, f.now)
}

fn enc(key: &str, context: &[(&str, &str)]) -> EncryptRequest {
    EncryptRequest {
        key_id: key.into(),
        plaintext: SecretBytes::new(b"secret".to_vec()),
        encryption_context: Some(map(context)),
        ..Default::default()
    }
}

fn dec(blob: &[u8], context: &[(&str, &str)]) -> DecryptRequest {
    DecryptRequest { ciphertext_blob: blob.to_vec(), encryption_context: Some(map(context)), ..Default::default() }
}

fn put_policy(f: &mut Fixture, key: &str, policy: &str) -> Result<(), KmsError> {
    let ctx = f.ctx();
    f.kms
        .put_key_policy(
            &ctx,
            PutKeyPolicyRequest { key_id: key.into(), policy: Some(policy.into()), ..Default::default() },
        )
        .map(|_| ())
}

/// Account root may do everything; `extra` statements follow.
fn policy_with(extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
          {{"Sid":"admin","Effect":"Allow","Principal":{{"AWS":"{ROOT}"}},"Action":"kms:*","Resource":"*"}}{extra}]}}"#
    )
}

#[test]
fn the_default_policy_lets_the_account_in_and_keeps_other_accounts_out() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = as_(&f, ALICE);
    assert!(f.kms.encrypt(&ctx, enc(&key, &[])).is_ok());
    let k = key.clone();
    let err = f.fails_unchanged_as(OUTSIDER, "AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&k, &[])));
    assert_eq!(
        err.message(),
        format!("User: {OUTSIDER} is not authorized to perform: kms:Encrypt on resource: {key} because no resource-based policy allows the kms:Encrypt action.")
    );
    f.fails_unchanged_as(OUTSIDER, "AccessDeniedException", |kms, ctx| {
        kms.create_key(ctx, CreateKeyRequest::default())
    });
    let ctx = f.ctx();
    let p = f.kms.get_key_policy(&ctx, GetKeyPolicyRequest { key_id: key.clone(), policy_name: None }).unwrap();
    assert!(p.policy.contains(&format!("\"arn:aws:iam::{ACCOUNT}:root\"")) && p.policy.contains("\"kms:*\""));
    assert_eq!(p.policy_name, "default");
    let names =
        f.kms.list_key_policies(&ctx, ListKeyPoliciesRequest { key_id: key.clone(), ..Default::default() }).unwrap();
    assert_eq!(names.policy_names, ["default"]);
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.get_key_policy(ctx, GetKeyPolicyRequest { key_id: key, policy_name: Some("other".into()) })
    });
}

#[test]
fn a_deny_on_decrypt_for_one_principal_wins_over_the_account_allow() {
    let mut f = Fixture::new();
    let key = f.key();
    put_policy(
        &mut f,
        &key,
        &policy_with(&format!(
            r#",{{"Effect":"Deny","Principal":{{"AWS":"{MALLORY}"}},"Action":"kms:Decrypt","Resource":"*"}}"#
        )),
    )
    .unwrap();
    let blob = f.kms.encrypt(&as_(&f, MALLORY), enc(&key, &[])).unwrap().ciphertext_blob;
    let b = blob.clone();
    let err = f.fails_unchanged_as(MALLORY, "AccessDeniedException", |kms, ctx| kms.decrypt(ctx, dec(&b, &[])));
    assert!(err.message().contains("with an explicit deny in a resource-based policy"));
    assert_eq!(f.kms.decrypt(&as_(&f, ALICE), dec(&blob, &[])).unwrap().plaintext.expose(), b"secret");
}

#[test]
fn a_condition_on_the_tenant_in_the_encryption_context() {
    let mut f = Fixture::new();
    let key = f.key();
    put_policy(
        &mut f,
        &key,
        &format!(
            r#"{{"Statement":[
          {{"Effect":"Allow","Principal":{{"AWS":"{ROOT}"}},"NotAction":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}},
          {{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
            "Condition":{{"StringEquals":{{"kms:EncryptionContext:tenant":"acme"}}}}}}]}}"#
        ),
    )
    .unwrap();
    let ctx = as_(&f, ALICE);
    let blob = f.kms.encrypt(&ctx, enc(&key, &[("tenant", "acme")])).unwrap().ciphertext_blob;
    assert!(f.kms.decrypt(&ctx, dec(&blob, &[("tenant", "acme")])).is_ok());
    let k = key.clone();
    f.fails_unchanged_as(ALICE, "AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&k, &[("tenant", "other")])));
    f.fails_unchanged_as(ALICE, "AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&key, &[])));
}

#[test]
fn put_key_policy_refuses_malformed_oversized_and_lockout_policies() {
    let mut f = Fixture::new();
    let key = f.key();
    let put = |key: &str, policy: String, bypass: Option<bool>| PutKeyPolicyRequest {
        key_id: key.into(),
        policy: Some(policy),
        bypass_policy_lockout_safety_check: bypass,
        ..Default::default()
    };
    let k = key.clone();
    let err = f.fails_unchanged("MalformedPolicyDocumentException", |kms, ctx| {
        kms.put_key_policy(ctx, put(&k, "{\"Statement\":5}".into(), None))
    });
    assert!(err.message().contains("Statement"));
    let big = format!(r#"{{"Id":"{}","Statement":[]}}"#, "x".repeat(40_000));
    let k = key.clone();
    f.fails_unchanged("LimitExceededException", |kms, ctx| kms.put_key_policy(ctx, put(&k, big, None)));
    let lockout = format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:Encrypt","Resource":"*"}}}}"#
    );
    let k = key.clone();
    let l = lockout.clone();
    let err =
        f.fails_unchanged("MalformedPolicyDocumentException", |kms, ctx| kms.put_key_policy(ctx, put(&k, l, None)));
    assert!(err.message().contains("will not allow you to update the key policy"));
    let ctx = f.ctx();
    f.kms.put_key_policy(&ctx, put(&key, lockout.clone(), Some(true))).unwrap();
    // the bypassed policy is in force: alice may encrypt, and the root is
    // locked out of the key, as it asked to be
    assert!(f.kms.encrypt(&as_(&f, ALICE), enc(&key, &[])).is_ok());
    let k = key.clone();
    f.fails_unchanged("AccessDeniedException", |kms, ctx| {
        kms.get_key_policy(ctx, GetKeyPolicyRequest { key_id: k, policy_name: None })
    });
    f.fails_unchanged("AccessDeniedException", |kms, ctx| kms.put_key_policy(ctx, put(&key, policy_with(""), None)));
}

#[test]
fn create_key_with_a_policy_applies_it_and_checks_lockout() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let policy = policy_with(&format!(
        r#",{{"Effect":"Deny","Principal":{{"AWS":"{MALLORY}"}},"Action":"kms:*","Resource":"*"}}"#
    ));
    let key = f
        .kms
        .create_key(&ctx, CreateKeyRequest { policy: Some(policy), ..Default::default() })
        .unwrap()
        .key_metadata
        .arn;
    f.fails_unchanged_as(MALLORY, "AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&key, &[])));
    let lockout = format!(
        r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:*","Resource":"*"}}}}"#
    );
    f.fails_unchanged("MalformedPolicyDocumentException", |kms, ctx| {
        kms.create_key(ctx, CreateKeyRequest { policy: Some(lockout), ..Default::default() })
    });
}

fn decrypt_grant(f: &mut Fixture, key: &str, constraints: Option<Constraints>) -> CreateGrantResponse {
    let ctx = f.ctx();
    f.kms
        .create_grant(
            &ctx,
            CreateGrantRequest {
                key_id: key.into(),
                grantee_principal: "arn:aws:iam::444455556666:role/partner".into(),
                retiring_principal: Some(ALICE.into()),
                operations: vec!["Decrypt".into()],
                constraints,
                ..Default::default()
            },
        )
        .unwrap()
}

const PARTNER: &str = "arn:aws:iam::444455556666:role/partner";

#[test]
fn a_decrypt_grant_with_a_subset_constraint_then_retired() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let good = f.kms.encrypt(&ctx, enc(&key, &[("tenant", "acme"), ("file", "a")])).unwrap().ciphertext_blob;
    let other = f.kms.encrypt(&ctx, enc(&key, &[("tenant", "zeta")])).unwrap().ciphertext_blob;
    let b = good.clone();
    f.fails_unchanged_as(PARTNER, "AccessDeniedException", |kms, ctx| {
        kms.decrypt(ctx, dec(&b, &[("tenant", "acme"), ("file", "a")]))
    });
    let subset = Constraints { encryption_context_subset: Some(map(&[("tenant", "acme")])), ..Default::default() };
    let g = decrypt_grant(&mut f, &key, Some(subset));
    assert_eq!(g.grant_id.len(), 64);
    let partner = as_(&f, PARTNER);
    assert_eq!(
        f.kms.decrypt(&partner, dec(&good, &[("tenant", "acme"), ("file", "a")])).unwrap().plaintext.expose(),
        b"secret"
    );
    let o = other.clone();
    f.fails_unchanged_as(PARTNER, "AccessDeniedException", |kms, ctx| kms.decrypt(ctx, dec(&o, &[("tenant", "zeta")])));
    let k = key.clone();
    f.fails_unchanged_as(PARTNER, "AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&k, &[("tenant", "acme")])));
    // listed, then retired by its retiring principal
    let ctx = f.ctx();
    let listed = f.kms.list_grants(&ctx, ListGrantsRequest { key_id: key.clone(), ..Default::default() }).unwrap();
    assert_eq!(listed.grants.len(), 1);
    assert_eq!(listed.grants[0].grantee_principal, PARTNER);
    assert_eq!(listed.grants[0].operations, ["Decrypt"]);
    assert_eq!(listed.grants[0].issuing_account, ROOT);
    let retirable = f
        .kms
        .list_retirable_grants(
            &ctx,
            ListRetirableGrantsRequest { retiring_principal: ALICE.into(), ..Default::default() },
        )
        .unwrap();
    assert_eq!(retirable.grants.len(), 1);
    // neither retiring principal, nor grantee with RetireGrant, nor allowed
    // by the key policy
    let token = g.grant_token.clone();
    f.fails_unchanged_as("arn:aws:iam::444455556666:user/eve", "AccessDeniedException", |kms, ctx| {
        kms.retire_grant(ctx, RetireGrantRequest { grant_token: Some(token), ..Default::default() })
    });
    let alice = as_(&f, ALICE);
    f.kms.retire_grant(&alice, RetireGrantRequest { grant_token: Some(g.grant_token), ..Default::default() }).unwrap();
    f.fails_unchanged_as(PARTNER, "AccessDeniedException", |kms, ctx| {
        kms.decrypt(ctx, dec(&good, &[("tenant", "acme"), ("file", "a")]))
    });
    assert!(f
        .kms
        .list_grants(&ctx, ListGrantsRequest { key_id: key, ..Default::default() })
        .unwrap()
        .grants
        .is_empty());
}

#[test]
fn a_new_grant_needs_its_token_until_it_has_propagated() {
    let mut f = Fixture::new();
    f.kms = kms_wasm::Kms::with_settings(
        kms_wasm::Partition::new(ACCOUNT, REGION).unwrap(),
        kms_wasm::kms::Settings { grant_propagation_ms: 5 * 60 * 1000 },
    );
    let key = f.key();
    let blob = f.kms.encrypt(&f.ctx(), enc(&key, &[])).unwrap().ciphertext_blob;
    let g = decrypt_grant(&mut f, &key, None);
    let b = blob.clone();
    f.fails_unchanged_as(PARTNER, "AccessDeniedException", |kms, ctx| kms.decrypt(ctx, dec(&b, &[])));
    let with_token = DecryptRequest { grant_tokens: vec![g.grant_token.clone()], ..dec(&blob, &[]) };
    assert!(f.kms.decrypt(&as_(&f, PARTNER), with_token).is_ok());
    let b = blob.clone();
    f.fails_unchanged_as(PARTNER, "InvalidGrantTokenException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { grant_tokens: vec!["not-a-token".into()], ..dec(&b, &[]) })
    });
    f.now = kms_wasm::Timestamp(f.now.0 + 5 * 60 * 1000);
    assert!(f.kms.decrypt(&as_(&f, PARTNER), dec(&blob, &[])).is_ok(), "usable without its token once propagated");
}

#[test]
fn create_grant_validation_and_idempotent_names() {
    let mut f = Fixture::new();
    let key = f.key();
    let base = || CreateGrantRequest {
        key_id: key.clone(),
        grantee_principal: PARTNER.into(),
        operations: vec!["Decrypt".into()],
        ..Default::default()
    };
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { operations: vec![], ..base() })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { operations: vec!["Fly".into()], ..base() })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { operations: vec!["Sign".into()], ..base() })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { grantee_principal: "bob".into(), ..base() })
    });
    let both = Constraints {
        encryption_context_equals: Some(map(&[("a", "1")])),
        encryption_context_subset: Some(map(&[("a", "1")])),
    };
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { constraints: Some(both), ..base() })
    });
    f.fails_unchanged("DryRunOperationException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { dry_run: Some(true), ..base() })
    });
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.create_grant(ctx, CreateGrantRequest { key_id: "alias/none".into(), ..base() })
    });
    let ctx = f.ctx();
    let a = f.kms.create_grant(&ctx, CreateGrantRequest { name: Some("retry-me".into()), ..base() }).unwrap();
    let b = f.kms.create_grant(&ctx, CreateGrantRequest { name: Some("retry-me".into()), ..base() }).unwrap();
    assert_eq!(a.grant_id, b.grant_id, "a retry with the same name and parameters is the same grant");
    let c = f
        .kms
        .create_grant(
            &ctx,
            CreateGrantRequest { name: Some("retry-me".into()), operations: vec!["Encrypt".into()], ..base() },
        )
        .unwrap();
    assert_ne!(a.grant_id, c.grant_id);
}

#[test]
fn revoke_grant_and_grant_id_errors() {
    let mut f = Fixture::new();
    let key = f.key();
    let g = decrypt_grant(&mut f, &key, None);
    let k = key.clone();
    f.fails_unchanged("InvalidGrantIdException", |kms, ctx| {
        kms.revoke_grant(ctx, RevokeGrantRequest { key_id: k, grant_id: "nope".into(), dry_run: None })
    });
    let k = key.clone();
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.revoke_grant(ctx, RevokeGrantRequest { key_id: k, grant_id: "ab".repeat(32), dry_run: None })
    });
    let (k, id) = (key.clone(), g.grant_id.clone());
    f.fails_unchanged_as(OUTSIDER, "AccessDeniedException", |kms, ctx| {
        kms.revoke_grant(ctx, RevokeGrantRequest { key_id: k, grant_id: id, dry_run: None })
    });
    let ctx = f.ctx();
    f.kms
        .revoke_grant(&ctx, RevokeGrantRequest { key_id: key.clone(), grant_id: g.grant_id.clone(), dry_run: None })
        .unwrap();
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.retire_grant(
            ctx,
            RetireGrantRequest { key_id: Some(key), grant_id: Some(g.grant_id), ..Default::default() },
        )
    });
    f.fails_unchanged("ValidationException", |kms, ctx| kms.retire_grant(ctx, RetireGrantRequest::default()));
}

#[test]
fn a_key_usable_only_through_one_endpoint() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    f.kms
        .create_endpoint(
            &ctx,
            CreateEndpointRequest {
                vpc_endpoint_id: "vpce-0a1b2c3d4e5f60718".into(),
                vpc_id: "vpc-0a1b2c3d".into(),
                policy: None,
            },
        )
        .unwrap();
    let key = f.key();
    put_policy(
        &mut f,
        &key,
        &format!(
            r#"{{"Statement":[
          {{"Effect":"Allow","Principal":{{"AWS":"{ROOT}"}},"Action":"kms:*","Resource":"*"}},
          {{"Effect":"Deny","Principal":"*","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
            "Condition":{{"StringNotEquals":{{"aws:SourceVpce":"vpce-0a1b2c3d4e5f60718"}}}}}}]}}"#
        ),
    )
    .unwrap();
    let k = key.clone();
    f.fails_unchanged("AccessDeniedException", |kms, ctx| kms.encrypt(ctx, enc(&k, &[])));
    let via = CallContext { endpoint: Some("vpce-0a1b2c3d4e5f60718".into()), ..f.ctx() };
    let blob = f.kms.encrypt(&via, enc(&key, &[])).unwrap().ciphertext_blob;
    assert!(f.kms.decrypt(&via, dec(&blob, &[])).is_ok());
    // an endpoint whose own policy denies: refused even where the key policy allows
    f.kms
        .create_endpoint(
            &f.ctx(),
            CreateEndpointRequest {
                vpc_endpoint_id: "vpce-00000000ffffffff0".into(),
                vpc_id: "vpc-0a1b2c3d".into(),
                policy: Some(
                    r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}}"#.into(),
                ),
            },
        )
        .unwrap();
    let other = f.key();
    let blob = f.kms.encrypt(&f.ctx(), enc(&other, &[])).unwrap().ciphertext_blob;
    let strict = CallContext { endpoint: Some("vpce-00000000ffffffff0".into()), ..f.ctx() };
    let err = f.kms.decrypt(&strict, dec(&blob, &[])).unwrap_err();
    assert_eq!(err.name(), "AccessDeniedException");
    assert!(err.message().contains("VPC endpoint policy"));
    let unknown = CallContext { endpoint: Some("vpce-1111111111111111".into()), ..f.ctx() };
    assert_eq!(f.kms.encrypt(&unknown, enc(&other, &[])).unwrap_err().name(), "NotFoundException");
    let dup = CreateEndpointRequest {
        vpc_endpoint_id: "vpce-00000000ffffffff0".into(),
        vpc_id: "vpc-0a1b2c3d".into(),
        policy: None,
    };
    assert_eq!(f.kms.create_endpoint(&f.ctx(), dup).unwrap_err().name(), "AlreadyExistsException");
    let bad =
        CreateEndpointRequest { vpc_endpoint_id: "endpoint-1".into(), vpc_id: "vpc-0a1b2c3d".into(), policy: None };
    assert_eq!(f.kms.create_endpoint(&f.ctx(), bad).unwrap_err().name(), "ValidationException");
}

#[test]
fn an_aws_managed_key_appears_on_first_use_and_cannot_be_managed_or_used_directly() {
    let mut f = Fixture::new();
    let s3 = CallContext { service: Some("s3".into()), ..as_(&f, ALICE) };
    let blob = f.kms.encrypt(&s3, enc("alias/aws/s3", &[("bucket", "b")])).unwrap().ciphertext_blob;
    assert!(f.kms.decrypt(&s3, dec(&blob, &[("bucket", "b")])).is_ok());
    let ctx = f.ctx();
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req("alias/aws/s3")).unwrap().key_metadata;
    assert_eq!(m.key_manager, kms_wasm::keys::KeyManager::Aws);
    let arn = m.arn.clone();
    let b = blob.clone();
    f.fails_unchanged_as(ALICE, "AccessDeniedException", |kms, ctx| kms.decrypt(ctx, dec(&b, &[("bucket", "b")])));
    let a = arn.clone();
    f.fails_unchanged("AccessDeniedException", |kms, ctx| kms.disable_key(ctx, Fixture::key_id_req(&a)));
    let a = arn.clone();
    f.fails_unchanged("AccessDeniedException", |kms, ctx| {
        kms.schedule_key_deletion(ctx, ScheduleKeyDeletionRequest { key_id: a, pending_window_in_days: None })
    });
    let a = arn.clone();
    f.fails_unchanged("AccessDeniedException", |kms, ctx| {
        kms.put_key_policy(ctx, PutKeyPolicyRequest { key_id: a, policy: Some(policy_with("")), ..Default::default() })
    });
    f.fails_unchanged("InvalidAliasNameException", |kms, ctx| {
        kms.delete_alias(ctx, kms_wasm::ops::aliases::DeleteAliasRequest { alias_name: "alias/aws/s3".into() })
    });
    let status = f.kms.get_key_rotation_status(&ctx, Fixture::key_id_req(&arn)).unwrap();
    assert!(status.key_rotation_enabled, "AWS managed keys rotate yearly");
    assert_eq!(status.rotation_period_in_days, Some(365));
    assert!(f
        .kms
        .get_key_policy(&ctx, GetKeyPolicyRequest { key_id: arn, policy_name: None })
        .unwrap()
        .policy
        .contains("kms:ViaService"));
}

#[test]
fn callers_must_be_principals() {
    let mut f = Fixture::new();
    let key = f.key();
    f.fails_unchanged_as("bob", "ValidationException", |kms, ctx| kms.encrypt(ctx, enc(&key, &[])));
}

trait AsCaller {
    fn fails_unchanged_as<T: std::fmt::Debug>(
        &mut self,
        who: &str,
        name: &str,
        call: impl FnOnce(&mut kms_wasm::Kms, &CallContext) -> Result<T, KmsError>,
    ) -> KmsError;
}

impl AsCaller for Fixture {
    fn fails_unchanged_as<T: std::fmt::Debug>(
        &mut self,
        who: &str,
        name: &str,
        call: impl FnOnce(&mut kms_wasm::Kms, &CallContext) -> Result<T, KmsError>,
    ) -> KmsError {
        let who = who.to_owned();
        self.fails_unchanged(name, move |kms, ctx| call(kms, &CallContext { caller: who, ..ctx.clone() }))
    }
}
