//! The policy document model and its parser. Parsing validates everything
//! evaluation relies on, and says what is wrong in AWS's words, so a
//! document that parses can always be evaluated.

use super::condition::{check_values, parse_operator, Condition};
use serde_json::Value;

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Refuses the actions, whatever else allows them.
    Deny,
}

/// The principals a statement names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub anyone: bool,
    /// AWS principals: account ids (from `ACCOUNT` or `arn:aws:iam::ACCOUNT:root`).
    pub accounts: Vec<String>,
    /// AWS principals: exact principal ARNs.
    pub arns: Vec<String>,
    /// Service principals, e.g. `cloudtrail.amazonaws.com`.
    pub services: Vec<String>,
}

/// A list of patterns a value must (or, for `Not…`, must not) match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match<T> {
    /// `Principal` / `Action` / `Resource`.
    Is(T),
    /// `NotPrincipal` / `NotAction` / `NotResource`.
    Not(T),
}

/// One statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`.
    pub principal: Match<Principals>,
    /// `Action` or `NotAction`, lower-cased patterns.
    pub action: Match<Vec<String>>,
    /// `Resource` or `NotResource` patterns.
    pub resource: Match<Vec<String>>,
    /// Every condition must hold.
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

type Reason = String;

fn strings(v: &Value, what: &str) -> Result<Vec<String>, Reason> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| format!("{what} must be a string or a list of strings"))
            })
            .collect(),
        _ => Err(format!("{what} must be a string or a non-empty list of strings")),
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:aws:iam::ACCOUNT:rest` or `arn:aws:sts::ACCOUNT:rest` → (account, rest).
pub fn principal_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::").or_else(|| arn.strip_prefix("arn:aws:sts::"))?;
    let (account, resource) = rest.split_once(':')?;
    (is_account(account) && !resource.is_empty()).then_some((account, resource))
}

fn principals(v: &Value) -> Result<Principals, Reason> {
    let invalid = || "Policy contains a statement with one or more invalid principals".to_owned();
    let mut p = Principals::default();
    match v {
        Value::String(s) if s == "*" => p.anyone = true,
        Value::Object(map) if !map.is_empty() => {
            for (kind, values) in map {
                let values = strings(values, "Principal").map_err(|_| invalid())?;
                match kind.as_str() {
                    "AWS" => {
                        for a in values {
                            if a == "*" {
                                p.anyone = true;
                            } else if is_account(&a) {
                                p.accounts.push(a);
                            } else if let Some((account, resource)) = principal_arn_parts(&a) {
                                if resource == "root" {
                                    p.accounts.push(account.to_owned());
                                } else {
                                    p.arns.push(a);
                                }
                            } else {
                                return Err(invalid());
                            }
                        }
                    }
                    "Service" => {
                        if values.iter().any(|s| s.is_empty() || s.contains(char::is_whitespace)) {
                            return Err(invalid());
                        }
                        p.services.extend(values);
                    }
                    "Federated" | "CanonicalUser" => {
                        return Err(format!("Principal type {kind} is not supported in kms-wasm key policies"))
                    }
                    _ => return Err(invalid()),
                }
            }
        }
        _ => return Err(invalid()),
    }
    Ok(p)
}

fn actions(v: &Value) -> Result<Vec<String>, Reason> {
    let list = strings(v, "Action")?;
    for a in &list {
        let ok = a == "*"
            || a.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("kms:"))
                && a.len() > 4
                && a.chars().skip(4).all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
        if !ok {
            return Err(format!("Policy contains a statement with an invalid action: {a}"));
        }
    }
    Ok(list.into_iter().map(|a| a.to_ascii_lowercase()).collect())
}

fn resources(v: &Value) -> Result<Vec<String>, Reason> {
    let list = strings(v, "Resource")?;
    if let Some(bad) = list.iter().find(|r| *r != "*" && !r.starts_with("arn:aws:kms:")) {
        return Err(format!("Policy contains a statement with an invalid resource: {bad}"));
    }
    Ok(list)
}

fn conditions(v: &Value) -> Result<Vec<Condition>, Reason> {
    let Value::Object(ops) = v else { return Err("Condition must be an object".into()) };
    let mut out = Vec::new();
    for (op, keys) in ops {
        let (comparison, negated, qualifier, if_exists) =
            parse_operator(op).ok_or_else(|| format!("Policy contains an unknown condition operator: {op}"))?;
        let Value::Object(keys) = keys else { return Err(format!("Condition operator {op} must map keys to values")) };
        for (key, values) in keys {
            let values: Vec<String> = match values {
                Value::String(s) => vec![s.clone()],
                Value::Bool(b) => vec![b.to_string()],
                Value::Number(n) => vec![n.to_string()],
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        Value::Bool(b) => Ok(b.to_string()),
                        Value::Number(n) => Ok(n.to_string()),
                        _ => Err(format!("Condition values for {key} must be strings, numbers or booleans")),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("Condition values for {key} must be strings, numbers or booleans")),
            };
            if key.is_empty() {
                return Err("Condition keys must not be empty".into());
            }
            check_values(comparison, &values)
                .map_err(|bad| format!("Condition {op} cannot take the value '{bad}' for {key}"))?;
            out.push(Condition { comparison, negated, qualifier, if_exists, key: key.to_lowercase(), values });
        }
    }
    Ok(out)
}

fn exactly_one<'a>(
    stmt: &'a serde_json::Map<String, Value>,
    positive: &str,
    negative: &str,
) -> Result<Match<&'a Value>, Reason> {
    match (stmt.get(positive), stmt.get(negative)) {
        (Some(v), None) => Ok(Match::Is(v)),
        (None, Some(v)) => Ok(Match::Not(v)),
        (Some(_), Some(_)) => Err(format!("A statement must not have both {positive} and {negative}")),
        (None, None) => Err(format!("A statement must have {positive} or {negative}")),
    }
}

fn statement(v: &Value) -> Result<Statement, Reason> {
    let Value::Object(s) = v else { return Err("Each statement must be an object".into()) };
    const KNOWN: [&str; 9] =
        ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
    if let Some(unknown) = s.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("A statement has an unknown element: {unknown}"));
    }
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(_) => return Err("Sid must be a string".into()),
    };
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err("Effect must be \"Allow\" or \"Deny\"".into()),
    };
    let principal = match exactly_one(s, "Principal", "NotPrincipal")? {
        Match::Is(v) => Match::Is(principals(v)?),
        Match::Not(v) => Match::Not(principals(v)?),
    };
    let action = match exactly_one(s, "Action", "NotAction")? {
        Match::Is(v) => Match::Is(actions(v)?),
        Match::Not(v) => Match::Not(actions(v)?),
    };
    let resource = match exactly_one(s, "Resource", "NotResource")? {
        Match::Is(v) => Match::Is(resources(v)?),
        Match::Not(v) => Match::Not(resources(v)?),
    };
    let conditions = s.get("Condition").map(conditions).transpose()?.unwrap_or_default();
    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

/// Parses and validates a policy document.
pub fn parse(text: &str) -> Result<Document, Reason> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("The policy is not valid JSON ({e})"))?;
    let Value::Object(top) = v else { return Err("The policy must be a JSON object".into()) };
    if let Some(unknown) = top.keys().find(|k| !["Version", "Id", "Statement"].contains(&k.as_str())) {
        return Err(format!("The policy has an unknown element: {unknown}"));
    }
    match top.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(_) => return Err("Version must be \"2012-10-17\" or \"2008-10-17\"".into()),
    }
    if top.get("Id").is_some_and(|id| !id.is_string()) {
        return Err("Id must be a string".into());
    }
    let statements = match top.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().map(statement).collect::<Result<_, _>>()?,
        Some(one @ Value::Object(_)) => vec![statement(one)?],
        _ => return Err("The policy must have a Statement (an object or a non-empty list)".into()),
    };
    Ok(Document { statements })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_statement_parses() {
        let d = parse(
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"s","Effect":"Deny",
               "Principal":{"AWS":["arn:aws:iam::111122223333:role/app","444455556666","arn:aws:iam::777788889999:root"]},
               "Action":["kms:Decrypt","kms:Generate*"],"Resource":"*",
               "Condition":{"StringEquals":{"kms:EncryptionContext:tenant":"acme"},"Bool":{"aws:SecureTransport":true}}}}"#,
        )
        .unwrap();
        let s = &d.statements[0];
        assert_eq!(s.effect, Effect::Deny);
        let Match::Is(p) = &s.principal else { panic!() };
        assert_eq!(p.arns, ["arn:aws:iam::111122223333:role/app"]);
        assert_eq!(p.accounts, ["444455556666", "777788889999"]);
        assert_eq!(s.action, Match::Is(vec!["kms:decrypt".into(), "kms:generate*".into()]));
        assert_eq!(s.conditions.len(), 2);
        assert!(s.conditions.iter().any(|c| c.key == "kms:encryptioncontext:tenant"));
    }

    #[test]
    fn malformed_documents_say_why() {
        let cases = [
            ("not json", "not valid JSON"),
            ("[]", "JSON object"),
            (r#"{"Statement":[]}"#, "Statement"),
            (r#"{"Version":"2020","Statement":{}}"#, "Version"),
            (r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}}"#, "Effect"),
            (r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#, "Principal"),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*","Resource":"*"}}"#,
                "invalid principals",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#,
                "invalid action",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:s3:::b"}}"#,
                "invalid resource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}"#,
                "unknown condition operator",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NumericEquals":{"a":"b"}}}}"#,
                "cannot take the value",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:x","Resource":"*"}}"#,
                "both",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Extra":1}}"#,
                "unknown element",
            ),
        ];
        for (doc, why) in cases {
            let err = parse(doc).unwrap_err();
            assert!(err.contains(why), "{doc}: {err}");
        }
    }
}
