//! Authorization: may this caller do this to this key? The endpoint policy
//! (for calls through a VPC endpoint) must allow, the key policy must not
//! explicitly deny, and the key policy or a grant must allow. Operations
//! without a key (CreateKey, ListKeys, ...) are governed by IAM in AWS;
//! with no IAM here, every principal of the account may call them.

use crate::context::EncryptionContext;
use crate::error::{KmsError, Result};
use crate::grants::GrantToken;
use crate::keys::{Key, Origin};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation;
use crate::policy::document::principal_arn_parts;
use crate::policy::{Decision, Facts, KeyPolicy, Request};

/// What a call asks to do, with the request's facts for conditions.
pub struct Access<'a> {
    /// The operation.
    pub op: Operation,
    /// The IAM action on this key (ReEncrypt has two).
    pub action: &'static str,
    /// The request's encryption context, for conditions and grant constraints.
    pub context: Option<&'a EncryptionContext>,
    /// Grant tokens presented with the request.
    pub tokens: &'a [GrantToken],
    /// Operation-specific condition keys (lower-case names).
    pub extra: Vec<(&'static str, Vec<String>)>,
}

impl<'a> Access<'a> {
    /// The operation's own action, no context, no tokens.
    pub fn new(op: Operation) -> Access<'a> {
        Access { op, action: op.action(), context: None, tokens: &[], extra: Vec::new() }
    }

    /// With the request's encryption context.
    pub fn context(mut self, context: &'a EncryptionContext) -> Self {
        self.context = Some(context);
        self
    }

    /// With the request's grant tokens.
    pub fn tokens(mut self, tokens: &'a [GrantToken]) -> Self {
        self.tokens = tokens;
        self
    }

    /// With another action (ReEncrypt's `kms:ReEncryptTo`).
    pub fn action(mut self, action: &'static str) -> Self {
        self.action = action;
        self
    }

    /// With an operation-specific condition key.
    pub fn fact(mut self, key: &'static str, values: Vec<String>) -> Self {
        self.extra.push((key, values));
        self
    }

    /// The name a grant uses for this access, if grants may allow it.
    fn grant_operation(&self) -> Option<&'static str> {
        match self.action {
            "kms:ReEncryptFrom" => Some("ReEncryptFrom"),
            "kms:ReEncryptTo" => Some("ReEncryptTo"),
            _ => match self.op {
                Operation::Encrypt
                | Operation::Decrypt
                | Operation::GenerateDataKey
                | Operation::GenerateDataKeyWithoutPlaintext
                | Operation::DescribeKey
                | Operation::CreateGrant
                | Operation::RetireGrant => Some(self.op.name()),
                _ => None,
            },
        }
    }
}

/// The caller's account, when the principal is an IAM/STS ARN.
pub fn caller_account(caller: &str) -> Option<&str> {
    principal_arn_parts(caller).map(|(a, _)| a)
}

/// A caller must be an IAM or STS principal ARN, or a service principal.
pub fn check_caller(caller: &str) -> Result<()> {
    let service = caller.ends_with(".amazonaws.com") && caller.len() > 14 && !caller.contains(char::is_whitespace);
    if caller_account(caller).is_none() && !service {
        return Err(KmsError::validation(format!(
            "The caller '{caller}' is not an IAM principal ARN (arn:aws:iam::ACCOUNT:...) or a service principal."
        )));
    }
    Ok(())
}

/// The request's condition keys, computed on demand.
struct CallFacts<'a> {
    kms: &'a Kms,
    ctx: &'a CallContext,
    key: Option<&'a Key>,
    access: &'a Access<'a>,
    request_alias: Option<&'a str>,
}

impl Facts for CallFacts<'_> {
    fn get(&self, key: &str) -> Option<Vec<String>> {
        let one = |s: &str| Some(vec![s.to_owned()]);
        let p = &self.kms.partition;
        match key {
            "kms:calleraccount" | "aws:principalaccount" => caller_account(&self.ctx.caller).and_then(one),
            "aws:principalarn" => one(&self.ctx.caller),
            "kms:viaservice" => self.ctx.service.as_ref().map(|s| vec![format!("{s}.{}.amazonaws.com", p.region)]),
            "aws:sourcevpce" => self.ctx.endpoint.as_deref().and_then(one),
            "aws:sourcevpc" => {
                self.ctx.endpoint.as_ref().and_then(|e| self.kms.state.endpoints.get(e)).map(|e| vec![e.vpc_id.clone()])
            }
            "aws:currenttime" => Some(vec![crate::time::iso8601(self.ctx.now)]),
            "aws:epochtime" => Some(vec![self.ctx.now.0.div_euclid(1000).to_string()]),
            "kms:encryptioncontextkeys" => self.access.context.map(|c| c.pairs().keys().cloned().collect()),
            "kms:requestalias" => self.request_alias.and_then(one),
            "kms:resourcealiases" => self.key.map(|k| {
                self.kms.state.aliases.iter().filter(|(_, a)| a.target == k.id).map(|(n, _)| n.clone()).collect()
            }),
            "kms:keyorigin" => self.key.map(|k| {
                vec![match k.origin {
                    Origin::AwsKms => "AWS_KMS",
                    Origin::External => "EXTERNAL",
                    Origin::ExternalKeyStore => "EXTERNAL_KEY_STORE",
                }
                .to_owned()]
            }),
            "kms:keyspec" | "kms:customermasterkeyspec" => self.key.map(|_| vec!["SYMMETRIC_DEFAULT".to_owned()]),
            "kms:keyusage" | "kms:customermasterkeyusage" => self.key.map(|_| vec!["ENCRYPT_DECRYPT".to_owned()]),
            "kms:multiregion" => self.key.map(|_| vec!["false".to_owned()]),
            k => {
                if let Some(name) = k.strip_prefix("kms:encryptioncontext:") {
                    // the key part of this condition key is case-insensitive
                    let ctx = self.access.context?;
                    let same = |ck: &str| {
                        if ck.is_ascii() {
                            ck.eq_ignore_ascii_case(name)
                        } else {
                            ck.to_lowercase() == name
                        }
                    };
                    return ctx.pairs().iter().find(|(ck, _)| same(ck)).map(|(_, v)| vec![v.clone()]);
                }
                self.access.extra.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
            }
        }
    }
}

fn denied(caller: &str, action: &str, resource: &str, why: &str) -> KmsError {
    KmsError::AccessDeniedException(format!(
        "User: {caller} is not authorized to perform: {action} on resource: {resource} {why}."
    ))
}

impl Kms {
    fn endpoint_allows(&self, ctx: &CallContext, facts: &dyn Facts, action: &str, resource: &str) -> Result<()> {
        let Some(id) = &ctx.endpoint else { return Ok(()) };
        let endpoint = self
            .state
            .endpoints
            .get(id)
            .ok_or_else(|| KmsError::NotFoundException(format!("The VPC endpoint {id} does not exist.")))?;
        let Some(policy) = &endpoint.policy else { return Ok(()) }; // the default endpoint policy allows all
        let req =
            Request { principal: &ctx.caller, principal_account: caller_account(&ctx.caller), action, resource, facts };
        match policy.evaluate(&req) {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny => {
                Err(denied(&ctx.caller, action, resource, "with an explicit deny in a VPC endpoint policy"))
            }
            Decision::ImplicitDeny => Err(denied(
                &ctx.caller,
                action,
                resource,
                &format!("because no VPC endpoint policy allows the {action} action"),
            )),
        }
    }

    /// Evaluates `policy` (the key's own, or one about to replace it) for
    /// the caller and `access` on `key`, with the request's condition keys.
    fn policy_decision(
        &self,
        ctx: &CallContext,
        key: &Key,
        policy: &KeyPolicy,
        access: &Access<'_>,
        request_alias: Option<&str>,
        arn: &str,
    ) -> Decision {
        let facts = CallFacts { kms: self, ctx, key: Some(key), access, request_alias };
        let req = Request {
            principal: &ctx.caller,
            principal_account: caller_account(&ctx.caller),
            action: access.action,
            resource: arn,
            facts: &facts,
        };
        policy.evaluate(&req)
    }

    /// Whether the key policy alone allows `access` (no grants, no endpoint).
    pub(crate) fn key_policy_allows(&self, ctx: &CallContext, key: &Key, access: &Access<'_>) -> bool {
        let arn = self.partition.key_arn(key.id);
        self.policy_decision(ctx, key, &key.policy, access, None, &arn) == Decision::Allow
    }

    /// Authorizes `access` on `key`.
    pub(crate) fn authorize(
        &self,
        ctx: &CallContext,
        key: &Key,
        access: &Access<'_>,
        request_alias: Option<&str>,
    ) -> Result<()> {
        let facts = CallFacts { kms: self, ctx, key: Some(key), access, request_alias };
        let arn = self.partition.key_arn(key.id);
        self.endpoint_allows(ctx, &facts, access.action, &arn)?;
        match self.policy_decision(ctx, key, &key.policy, access, request_alias, &arn) {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny => {
                Err(denied(&ctx.caller, access.action, &arn, "with an explicit deny in a resource-based policy"))
            }
            Decision::ImplicitDeny => {
                let granted = access.grant_operation().is_some_and(|op| {
                    key.grants.iter().any(|g| g.allows(key.id, &ctx.caller, op, access.context, ctx.now, access.tokens))
                });
                if granted {
                    Ok(())
                } else {
                    Err(denied(
                        &ctx.caller,
                        access.action,
                        &arn,
                        &format!("because no resource-based policy allows the {} action", access.action),
                    ))
                }
            }
        }
    }

    /// Authorizes an operation that names no key: the caller must belong to
    /// this KMS's account, and an endpoint policy must allow it.
    pub(crate) fn authorize_account(&self, ctx: &CallContext, access: &Access<'_>) -> Result<()> {
        let facts = CallFacts { kms: self, ctx, key: None, access, request_alias: None };
        let resource = format!("arn:aws:kms:{}:{}:*", self.partition.region, self.partition.account_id);
        self.endpoint_allows(ctx, &facts, access.action, &resource)?;
        if caller_account(&ctx.caller) != Some(self.partition.account_id.as_str()) {
            return Err(denied(
                &ctx.caller,
                access.action,
                &resource,
                "because the caller does not belong to this account and no identity-based policy allows it",
            ));
        }
        Ok(())
    }

    /// The lockout safety check: would `policy` still let the caller change
    /// the key policy? Refuses otherwise, unless bypassed.
    pub(crate) fn check_lockout(&self, ctx: &CallContext, key: &Key, policy: &KeyPolicy, bypass: bool) -> Result<()> {
        if bypass {
            return Ok(());
        }
        let access =
            Access::new(Operation::PutKeyPolicy).fact("kms:bypasspolicylockoutsafetycheck", vec!["false".into()]);
        let arn = self.partition.key_arn(key.id);
        if self.policy_decision(ctx, key, policy, &access, None, &arn) != Decision::Allow {
            return Err(KmsError::MalformedPolicyDocumentException(
                "The new key policy will not allow you to update the key policy in the future.".into(),
            ));
        }
        Ok(())
    }
}
