//! Condition operators of the IAM policy language, as AWS KMS documents
//! them: String*, Numeric*, Date*, Bool, Arn*, Null, with the
//! `ForAnyValue:` / `ForAllValues:` set qualifiers and the `IfExists` suffix.

use super::wildcard;

/// The request's values for condition keys (key names in lower case).
pub trait Facts {
    /// All values of a key, or `None` when the request does not have it.
    fn get(&self, key: &str) -> Option<Vec<String>>;
}

/// The comparison an operator makes, in its positive form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Case-sensitive equality.
    StringEquals,
    /// Case-insensitive equality.
    StringEqualsIgnoreCase,
    /// `*` / `?` wildcards, case-sensitive.
    StringLike,
    /// Numbers equal.
    NumericEquals,
    /// Request value < policy value.
    NumericLessThan,
    /// Request value <= policy value.
    NumericLessThanEquals,
    /// Request value > policy value.
    NumericGreaterThan,
    /// Request value >= policy value.
    NumericGreaterThanEquals,
    /// Instants equal.
    DateEquals,
    /// Request instant before policy instant.
    DateLessThan,
    /// Request instant at or before policy instant.
    DateLessThanEquals,
    /// Request instant after policy instant.
    DateGreaterThan,
    /// Request instant at or after policy instant.
    DateGreaterThanEquals,
    /// `true` / `false`, case-insensitive.
    Bool,
    /// ARN with wildcards (ArnEquals and ArnLike behave alike).
    ArnLike,
    /// Whether the key is absent (`true`) or present (`false`).
    Null,
}

/// How a multi-valued request key is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    /// No qualifier: any request value may match.
    None,
    /// `ForAnyValue:` — at least one request value matches.
    ForAnyValue,
    /// `ForAllValues:` — every request value matches (true when there are none).
    ForAllValues,
}

/// One condition: operator, key and the policy's values for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The positive comparison.
    pub comparison: Comparison,
    /// `...Not...` operators invert the comparison per value.
    pub negated: bool,
    /// Set qualifier.
    pub qualifier: Qualifier,
    /// `...IfExists`: an absent key satisfies the condition.
    pub if_exists: bool,
    /// The condition key, lower-cased (condition key names are case-insensitive).
    pub key: String,
    /// The policy's values (any of them may match).
    pub values: Vec<String>,
}

/// Parses an operator name such as `ForAnyValue:StringNotLikeIfExists`.
/// Returns `(comparison, negated, qualifier, if_exists)`.
pub fn parse_operator(name: &str) -> Option<(Comparison, bool, Qualifier, bool)> {
    let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Qualifier::ForAnyValue, r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Qualifier::ForAllValues, r)
    } else {
        (Qualifier::None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    use Comparison as C;
    let (comparison, negated) = match base {
        "StringEquals" => (C::StringEquals, false),
        "StringNotEquals" => (C::StringEquals, true),
        "StringEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (C::StringEqualsIgnoreCase, true),
        "StringLike" => (C::StringLike, false),
        "StringNotLike" => (C::StringLike, true),
        "NumericEquals" => (C::NumericEquals, false),
        "NumericNotEquals" => (C::NumericEquals, true),
        "NumericLessThan" => (C::NumericLessThan, false),
        "NumericLessThanEquals" => (C::NumericLessThanEquals, false),
        "NumericGreaterThan" => (C::NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (C::NumericGreaterThanEquals, false),
        "DateEquals" => (C::DateEquals, false),
        "DateNotEquals" => (C::DateEquals, true),
        "DateLessThan" => (C::DateLessThan, false),
        "DateLessThanEquals" => (C::DateLessThanEquals, false),
        "DateGreaterThan" => (C::DateGreaterThan, false),
        "DateGreaterThanEquals" => (C::DateGreaterThanEquals, false),
        "Bool" => (C::Bool, false),
        "ArnEquals" | "ArnLike" => (C::ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (C::ArnLike, true),
        "Null" if qualifier == Qualifier::None && !if_exists => (C::Null, false),
        _ => return None,
    };
    Some((comparison, negated, qualifier, if_exists))
}

/// Parses a date as IAM does: RFC 3339 (`2026-01-01T00:00:00Z`), a bare
/// date, or seconds since the epoch. Returns milliseconds since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    if let Ok(secs) = s.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    let full;
    let text = if s.len() == 10 {
        full = format!("{s}T00:00:00Z");
        full.as_str()
    } else {
        s
    };
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// Checks that every value fits the operator (numbers parse, dates parse,
/// Bool and Null take `true`/`false`). Returns the first bad value.
pub fn check_values(comparison: Comparison, values: &[String]) -> Result<(), String> {
    for v in values {
        let ok = match comparison {
            Comparison::NumericEquals
            | Comparison::NumericLessThan
            | Comparison::NumericLessThanEquals
            | Comparison::NumericGreaterThan
            | Comparison::NumericGreaterThanEquals => v.parse::<f64>().is_ok_and(f64::is_finite),
            Comparison::DateEquals
            | Comparison::DateLessThan
            | Comparison::DateLessThanEquals
            | Comparison::DateGreaterThan
            | Comparison::DateGreaterThanEquals => parse_date(v).is_some(),
            Comparison::Bool | Comparison::Null => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
            _ => true,
        };
        if !ok {
            return Err(v.clone());
        }
    }
    Ok(())
}

fn compare(c: Comparison, policy: &str, request: &str) -> bool {
    use core::cmp::Ordering::{Equal, Greater, Less};
    let num = || request.parse::<f64>().ok()?.partial_cmp(&policy.parse::<f64>().ok()?);
    let date = || Some(parse_date(request)?.cmp(&parse_date(policy)?));
    match c {
        Comparison::StringEquals => policy == request,
        Comparison::StringEqualsIgnoreCase => policy.to_lowercase() == request.to_lowercase(),
        Comparison::StringLike | Comparison::ArnLike => wildcard::matches(policy, request),
        Comparison::NumericEquals => num() == Some(Equal),
        Comparison::NumericLessThan => num() == Some(Less),
        Comparison::NumericLessThanEquals => matches!(num(), Some(Less | Equal)),
        Comparison::NumericGreaterThan => num() == Some(Greater),
        Comparison::NumericGreaterThanEquals => matches!(num(), Some(Greater | Equal)),
        Comparison::DateEquals => date() == Some(Equal),
        Comparison::DateLessThan => date() == Some(Less),
        Comparison::DateLessThanEquals => matches!(date(), Some(Less | Equal)),
        Comparison::DateGreaterThan => date() == Some(Greater),
        Comparison::DateGreaterThanEquals => matches!(date(), Some(Greater | Equal)),
        Comparison::Bool => policy.eq_ignore_ascii_case(request),
        Comparison::Null => false, // handled by presence, never per value
    }
}

impl Condition {
    /// Whether one request value satisfies the operator against the
    /// policy's values (any policy value may match; negated operators
    /// require that none does).
    fn value_holds(&self, request_value: &str) -> bool {
        let any = self.values.iter().any(|p| compare(self.comparison, p, request_value));
        any != self.negated
    }

    /// Whether the request satisfies this condition.
    pub fn holds(&self, facts: &dyn Facts) -> bool {
        let values = facts.get(&self.key);
        if self.comparison == Comparison::Null {
            let absent = values.as_ref().is_none_or(Vec::is_empty);
            return self.values.iter().any(|v| v.eq_ignore_ascii_case("true") == absent);
        }
        match self.qualifier {
            Qualifier::ForAllValues => values.unwrap_or_default().iter().all(|v| self.value_holds(v)),
            Qualifier::ForAnyValue => match values {
                None => self.if_exists,
                Some(vs) => vs.iter().any(|v| self.value_holds(v)),
            },
            Qualifier::None => match values {
                // An absent key fails a positive condition and satisfies a
                // negated one; IfExists makes it satisfy either.
                None => self.if_exists || self.negated,
                Some(vs) if vs.is_empty() => self.if_exists || self.negated,
                Some(vs) => {
                    if self.negated {
                        vs.iter().all(|v| self.value_holds(v))
                    } else {
                        vs.iter().any(|v| self.value_holds(v))
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct F(BTreeMap<&'static str, Vec<&'static str>>);
    impl Facts for F {
        fn get(&self, key: &str) -> Option<Vec<String>> {
            self.0.get(key).map(|v| v.iter().map(|s| (*s).to_owned()).collect())
        }
    }

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let (comparison, negated, qualifier, if_exists) = parse_operator(op).unwrap();
        Condition {
            comparison,
            negated,
            qualifier,
            if_exists,
            key: key.to_lowercase(),
            values: values.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn facts(pairs: &[(&'static str, &[&'static str])]) -> F {
        F(pairs.iter().map(|(k, v)| (*k, v.to_vec())).collect())
    }

    #[test]
    fn string_operators() {
        let f = facts(&[("kms:encryptioncontext:tenant", &["acme"])]);
        assert!(cond("StringEquals", "kms:EncryptionContext:tenant", &["acme", "x"]).holds(&f));
        assert!(!cond("StringEquals", "kms:EncryptionContext:tenant", &["ACME"]).holds(&f));
        assert!(cond("StringEqualsIgnoreCase", "kms:EncryptionContext:tenant", &["ACME"]).holds(&f));
        assert!(cond("StringNotEquals", "kms:EncryptionContext:tenant", &["other"]).holds(&f));
        assert!(!cond("StringNotEquals", "kms:EncryptionContext:tenant", &["acme"]).holds(&f));
        assert!(cond("StringLike", "kms:EncryptionContext:tenant", &["ac*"]).holds(&f));
        assert!(cond("StringNotLike", "kms:EncryptionContext:tenant", &["b*"]).holds(&f));
    }

    #[test]
    fn absent_keys_fail_positive_and_satisfy_negated_or_if_exists() {
        let f = facts(&[]);
        assert!(!cond("StringEquals", "kms:ViaService", &["s3.us-east-1.amazonaws.com"]).holds(&f));
        assert!(cond("StringEqualsIfExists", "kms:ViaService", &["s3.us-east-1.amazonaws.com"]).holds(&f));
        assert!(cond("StringNotEquals", "kms:ViaService", &["s3.us-east-1.amazonaws.com"]).holds(&f));
    }

    #[test]
    fn set_qualifiers() {
        let f = facts(&[("kms:encryptioncontextkeys", &["tenant", "purpose"])]);
        assert!(cond("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", &["tenant"]).holds(&f));
        assert!(!cond("ForAllValues:StringEquals", "kms:EncryptionContextKeys", &["tenant"]).holds(&f));
        assert!(cond("ForAllValues:StringEquals", "kms:EncryptionContextKeys", &["tenant", "purpose", "x"]).holds(&f));
        let none = facts(&[]);
        assert!(cond("ForAllValues:StringEquals", "kms:EncryptionContextKeys", &["tenant"]).holds(&none));
        assert!(!cond("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", &["tenant"]).holds(&none));
    }

    #[test]
    fn null_numeric_date_bool_arn() {
        let f = facts(&[
            ("kms:rotationperiodindays", &["180"]),
            ("aws:currenttime", &["2026-06-01T00:00:00Z"]),
            ("kms:bypasspolicylockoutsafetycheck", &["false"]),
            ("aws:principalarn", &["arn:aws:iam::111122223333:role/app"]),
        ]);
        assert!(cond("Null", "kms:EncryptionContextKeys", &["true"]).holds(&f));
        assert!(cond("Null", "kms:RotationPeriodInDays", &["false"]).holds(&f));
        assert!(cond("NumericLessThanEquals", "kms:RotationPeriodInDays", &["180"]).holds(&f));
        assert!(!cond("NumericLessThan", "kms:RotationPeriodInDays", &["180"]).holds(&f));
        assert!(cond("NumericGreaterThan", "kms:RotationPeriodInDays", &["90"]).holds(&f));
        assert!(cond("DateLessThan", "aws:CurrentTime", &["2027-01-01T00:00:00Z"]).holds(&f));
        assert!(cond("DateGreaterThan", "aws:CurrentTime", &["2026-01-01"]).holds(&f));
        assert!(cond("Bool", "kms:BypassPolicyLockoutSafetyCheck", &["False"]).holds(&f));
        assert!(cond("ArnLike", "aws:PrincipalArn", &["arn:aws:iam::111122223333:role/*"]).holds(&f));
        assert!(cond("ArnNotLike", "aws:PrincipalArn", &["arn:aws:iam::*:user/*"]).holds(&f));
    }

    #[test]
    fn operator_names_parse_or_are_refused() {
        assert!(parse_operator("ForAnyValue:StringNotLikeIfExists").is_some());
        assert!(parse_operator("StringEqualz").is_none());
        assert!(parse_operator("ForAnyValue:Null").is_none());
        assert!(check_values(Comparison::NumericEquals, &["x".into()]).is_err());
        assert!(check_values(Comparison::DateEquals, &["yesterday".into()]).is_err());
        assert!(check_values(Comparison::Bool, &["yes".into()]).is_err());
    }
}
