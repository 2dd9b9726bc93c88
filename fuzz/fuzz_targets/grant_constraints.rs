//! Any JSON as a grant's constraints, operations, a request's encryption
//! context and grant tokens. Parsing and validation answer Ok or an AWS
//! error, never a panic; and a grant, once made, decides exactly as its
//! constraints say: a grantee whose only access is the grant may Encrypt
//! and Decrypt under a context if and only if the grant allows the
//! operation and `Constraints::satisfied_by(context)`.
//!
//! Input: `{"Constraints":{...},"Operations":[...],"Context":{...},"Tokens":[...]}`
//! (every member optional).
#![no_main]
use kms_wasm::context::EncryptionContext;
use kms_wasm::crypto::SecretBytes;
use kms_wasm::grants::{parse_tokens, Constraints};
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest};
use kms_wasm::ops::grants::{CreateGrantRequest, RevokeGrantRequest};
use kms_wasm::ops::lifecycle::CreateKeyRequest;
use kms_wasm::{CallContext, Kms, Partition, Timestamp};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;

const ADMIN: &str = "arn:aws:iam::111122223333:user/admin";
const GRANTEE: &str = "arn:aws:iam::111122223333:role/grantee";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(default)]
    constraints: Option<Constraints>,
    #[serde(default)]
    operations: Vec<String>,
    #[serde(default)]
    context: Option<BTreeMap<String, String>>,
    #[serde(default)]
    tokens: Vec<String>,
}

struct State {
    kms: Kms,
    key: String,
    grants: usize,
}

fn fresh() -> State {
    let mut kms = Kms::new(Partition::new("111122223333", "us-east-1").unwrap());
    // Only the admin is in the key policy (not the account), so the
    // grantee's only access is through grants.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ADMIN}"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let req =
        CreateKeyRequest { policy: Some(policy), bypass_policy_lockout_safety_check: Some(true), ..Default::default() };
    let key = kms.create_key(&CallContext::new(ADMIN, Timestamp(0)), req).unwrap().key_metadata.arn;
    State { kms, key, grants: 0 }
}

// libFuzzer calls the target on one thread; a thread-local needs no `Send`.
thread_local! {
    static STATE: RefCell<State> = RefCell::new(fresh());
}

fn access_denied<T>(r: &kms_wasm::Result<T>) -> bool {
    matches!(r, Err(e) if e.name() == "AccessDeniedException")
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<Input>(data) else { return };
    let _ = parse_tokens(&input.tokens);
    let context = EncryptionContext::new(input.context.clone());

    if let Some(c) = &input.constraints {
        if c.validate(&input.operations).is_ok() {
            // a constraint is satisfied by the context it names
            if let Some(eq) = &c.encryption_context_equals {
                assert!(c.satisfied_by(&EncryptionContext::new(Some(eq.clone())).unwrap()));
            }
            if let Some(sub) = &c.encryption_context_subset {
                assert!(c.satisfied_by(&EncryptionContext::new(Some(sub.clone())).unwrap()));
            }
        }
        if let Ok(ctx) = &context {
            let _ = c.satisfied_by(ctx);
        }
    }

    STATE.with_borrow_mut(|state| through_a_grant(state, &input, &context));
});

/// Makes the grant as the admin, uses it as the grantee, revokes it.
fn through_a_grant(state: &mut State, input: &Input, context: &kms_wasm::Result<EncryptionContext>) {
    if state.grants > 10_000 {
        *state = fresh();
    }
    let State { kms, key, grants } = state;
    let admin = CallContext::new(ADMIN, Timestamp(0));
    let grantee = CallContext::new(GRANTEE, Timestamp(0));

    let request = CreateGrantRequest {
        key_id: key.clone(),
        grantee_principal: GRANTEE.to_owned(),
        operations: input.operations.clone(),
        constraints: input.constraints.clone(),
        ..Default::default()
    };
    let Ok(grant) = kms.create_grant(&admin, request) else { return };
    *grants += 1;
    // a grant is only made from constraints that validate
    if let Some(c) = &input.constraints {
        assert!(c.validate(&input.operations).is_ok(), "a grant was made with invalid constraints");
    }

    if let Ok(ctx) = context {
        let satisfied = input.constraints.as_ref().is_none_or(|c| c.satisfied_by(ctx));
        let tokens = vec![grant.grant_token.clone()];
        let allows = |op: &str| input.operations.iter().any(|o| o == op) && satisfied;

        let r = kms.encrypt(
            &grantee,
            EncryptRequest {
                key_id: key.clone(),
                plaintext: SecretBytes::new(b"grant".to_vec()),
                encryption_context: input.context.clone(),
                grant_tokens: tokens.clone(),
                ..Default::default()
            },
        );
        if allows("Encrypt") {
            assert!(r.is_ok(), "the grant allows Encrypt under this context but it was refused: {:?}", r.err());
        } else {
            assert!(access_denied(&r), "the grant does not allow Encrypt under this context: {:?}", r.as_ref().err());
        }

        let sealed = kms.encrypt(
            &admin,
            EncryptRequest {
                key_id: key.clone(),
                plaintext: SecretBytes::new(b"grant".to_vec()),
                encryption_context: input.context.clone(),
                ..Default::default()
            },
        );
        if let Ok(sealed) = sealed {
            let r = kms.decrypt(
                &grantee,
                DecryptRequest {
                    ciphertext_blob: sealed.ciphertext_blob,
                    encryption_context: input.context.clone(),
                    grant_tokens: tokens,
                    ..Default::default()
                },
            );
            if allows("Decrypt") {
                assert!(r.is_ok_and(|r| r.plaintext.expose() == b"grant"), "Decrypt allowed by the grant failed");
            } else {
                assert!(access_denied(&r), "the grant does not allow Decrypt under this context");
            }
        }
    }

    let revoke = RevokeGrantRequest { key_id: key.clone(), grant_id: grant.grant_id, ..Default::default() };
    assert!(kms.revoke_grant(&admin, revoke).is_ok());
    *grants -= 1;
}
