//! Members beyond the AWS operations (api.md): private endpoints, the audit
//! log and its verification, and usage metering. Their shapes are this
//! library's own, in camelCase, except `createEndpoint`, which takes
//! EC2-style members.

use crate::access::{caller_account, check_caller};
use crate::audit::Verification;
use crate::error::{KmsError, Result};
use crate::ids::{AliasForms, KeyRef};
use crate::keys::KeyManager;
use crate::kms::{CallContext, Endpoint, Kms};
use crate::policy::KeyPolicy;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `createEndpoint` request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct CreateEndpointRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub vpc_endpoint_id: String,
    #[serde(deserialize_with = "super::nullable")]
    pub vpc_id: String,
    pub policy: Option<String>,
}

/// `createEndpoint` response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct CreateEndpointResponse {
    pub vpc_endpoint_id: String,
    pub vpc_id: String,
}

/// `auditLog` filter.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct AuditFilter {
    pub key_id: Option<String>,
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
}

/// Prices for `usage` (USD), overridable by the caller.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Prices {
    /// One key version for one month.
    pub key_month: f64,
    /// 10,000 requests.
    pub per_10k_requests: f64,
    /// Requests per month that cost nothing (AWS's free tier).
    pub free_requests: u64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices { key_month: 1.0, per_10k_requests: 0.03, free_requests: 20_000 }
    }
}

/// `usage` request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[allow(missing_docs)]
pub struct UsageRequest {
    pub month: String,
    pub prices: Option<Prices>,
}

/// One key's share of the month's bill.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct KeyUsage {
    pub key_id: String,
    pub key_months: f64,
    /// Average billed versions over the key's time in the month: the
    /// current version plus the first two rotations (later rotations are free).
    pub billed_key_versions: f64,
}

/// `usage` response.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct UsageReport {
    pub month: String,
    pub key_months: f64,
    pub billed_key_version_months: f64,
    pub keys: Vec<KeyUsage>,
    pub requests: BTreeMap<String, u64>,
    pub total_requests: u64,
    pub billable_requests: u64,
    pub estimated_cost: Cost,
    pub prices: Prices,
}

/// The estimate, in USD.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Cost {
    pub keys: f64,
    pub requests: f64,
    pub total: f64,
    pub currency: &'static str,
}

fn month_bounds(month: &str) -> Result<(Timestamp, Timestamp)> {
    let bad = || KmsError::validation("month must be 'YYYY-MM'.");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if month.len() != 7 || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    let start = crate::policy::condition::parse_date(&format!("{y:04}-{m:02}-01")).ok_or_else(bad)?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = crate::policy::condition::parse_date(&format!("{ny:04}-{nm:02}-01")).ok_or_else(bad)?;
    Ok((Timestamp(start), Timestamp(end)))
}

/// Milliseconds of `[a, b)` inside `[start, end)`.
fn overlap(a: Timestamp, b: Timestamp, start: Timestamp, end: Timestamp) -> i64 {
    (b.min(end).0 - a.max(start).0).max(0)
}

/// Version-milliseconds billed for a key alive in `[from, to)` with these
/// rotation dates, within the month.
#[allow(clippy::cast_precision_loss)]
fn version_ms(from: Timestamp, to: Timestamp, rotations: &[Timestamp], start: Timestamp, end: Timestamp) -> f64 {
    let mut edges: Vec<Timestamp> = vec![from];
    edges.extend(rotations.iter().copied().filter(|r| *r >= from && *r < to));
    edges.push(to);
    edges
        .windows(2)
        .enumerate()
        .map(|(i, w)| match w {
            [a, b] => overlap(*a, *b, start, end) as f64 * (1 + i.min(2)) as f64,
            _ => 0.0,
        })
        .sum()
}

impl Kms {
    /// Registers a private endpoint whose policy is checked, with the key
    /// policy, on every call made through it.
    pub fn create_endpoint(&mut self, ctx: &CallContext, req: CreateEndpointRequest) -> Result<CreateEndpointResponse> {
        check_caller(&ctx.caller)?;
        let hexish = |s: &str, prefix: &str| {
            s.strip_prefix(prefix)
                .is_some_and(|h| (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        if !hexish(&req.vpc_endpoint_id, "vpce-") {
            return Err(KmsError::validation("VpcEndpointId must look like vpce-0123456789abcdef0."));
        }
        if !hexish(&req.vpc_id, "vpc-") {
            return Err(KmsError::validation("VpcId must look like vpc-0123456789abcdef0."));
        }
        let policy = req.policy.as_deref().map(KeyPolicy::parse).transpose()?;
        // Only principals of the account own its endpoints.
        if caller_account(&ctx.caller) != Some(self.partition.account_id.as_str()) {
            return Err(KmsError::AccessDeniedException(format!(
                "User: {} is not authorized to create endpoints in account {}.",
                ctx.caller, self.partition.account_id
            )));
        }
        if self.state.endpoints.contains_key(&req.vpc_endpoint_id) {
            return Err(KmsError::AlreadyExistsException(format!(
                "The endpoint {} already exists.",
                req.vpc_endpoint_id
            )));
        }
        self.state.endpoints.insert(req.vpc_endpoint_id.clone(), Endpoint { vpc_id: req.vpc_id.clone(), policy });
        self.bump();
        Ok(CreateEndpointResponse { vpc_endpoint_id: req.vpc_endpoint_id, vpc_id: req.vpc_id })
    }

    /// The audit records, oldest first, optionally of one key and a time range.
    pub fn audit_log(&mut self, filter: AuditFilter) -> Result<Vec<Value>> {
        self.audit_log_in(filter, None)
    }

    /// The records of one region (`None`: the home region), as `audit_log`.
    pub fn audit_log_in(&mut self, filter: AuditFilter, region: Option<&str>) -> Result<Vec<Value>> {
        let key_arn = match filter.key_id.as_deref() {
            None => None,
            Some(k) => Some(self.in_region(region, |kms| {
                Ok(match kms.partition.parse_key_ref(k, AliasForms::Accepted)? {
                    KeyRef::Key(id) => kms.partition.key_arn(id),
                    KeyRef::Alias(_) => kms.partition.key_arn(kms.resolve(k, AliasForms::Accepted)?.0),
                })
            })?),
        };
        if let Some(r) = region {
            self.check_region(r)?;
        }
        let region = region.unwrap_or(&self.home).to_owned();
        let start = filter.start_time.map(Timestamp::from_js_millis).transpose()?;
        let end = filter.end_time.map(Timestamp::from_js_millis).transpose()?;
        // Between calls the partition is the home region's, which renders
        // records that name no region of their own.
        let partition = self.partition.clone();
        Ok(self.audit.rendered(&partition, |time, body| {
            let touches = |arn: &String| {
                body.get("resources")
                    .and_then(Value::as_array)
                    .is_some_and(|rs| rs.iter().any(|r| r.get("ARN").and_then(Value::as_str) == Some(arn.as_str())))
            };
            body.get("awsRegion").and_then(Value::as_str) == Some(region.as_str())
                && key_arn.as_ref().is_none_or(touches)
                && start.is_none_or(|s| time >= s)
                && end.is_none_or(|e| time <= e)
        }))
    }

    /// Verifies the whole audit chain.
    pub fn verify_audit_log(&mut self) -> Verification {
        let partition = self.partition.clone();
        self.audit.verify(&partition)
    }

    /// Usage and an estimated bill for one calendar month (UTC).
    #[allow(clippy::cast_precision_loss)]
    pub fn usage(&self, now: Timestamp, req: UsageRequest) -> Result<UsageReport> {
        let (start, end) = month_bounds(&req.month)?;
        let prices = req.prices.unwrap_or_default();
        if !(prices.key_month.is_finite() && prices.per_10k_requests.is_finite())
            || prices.key_month < 0.0
            || prices.per_10k_requests < 0.0
        {
            return Err(KmsError::validation("Prices must be finite, non-negative numbers."));
        }
        let month_ms = (end.0 - start.0) as f64;
        let now = now.max(self.state.clock.unwrap_or(now));
        let mut keys = Vec::new();
        let live = self.state.keys.values().filter(|k| k.manager == KeyManager::Customer).map(|k| {
            let rotations: Vec<Timestamp> = k.material.rotations().map(|b| b.created).collect();
            (k.id, k.created, now.max(k.created), rotations)
        });
        let gone = self
            .state
            .deleted
            .iter()
            .filter(|(_, d)| d.customer_managed)
            .map(|(id, d)| (*id, d.created, d.deleted, d.rotations.clone()));
        for (id, from, to, rotations) in live.chain(gone) {
            let alive = overlap(from, to, start, end);
            if alive == 0 {
                continue;
            }
            let versions = version_ms(from, to, &rotations, start, end);
            keys.push(KeyUsage {
                key_id: self.partition.key_arn(id),
                key_months: alive as f64 / month_ms,
                billed_key_versions: versions / alive as f64,
            });
        }
        let mut requests: BTreeMap<String, u64> = BTreeMap::new();
        let (home, here) = (self.home.as_str(), self.partition.region.as_str());
        let in_month = |r: &crate::audit::EntryView<'_>| {
            !r.service_event && r.time >= start && r.time < end && r.region.unwrap_or(home) == here
        };
        for r in self.audit.views().filter(in_month) {
            *requests.entry(r.event_name.to_owned()).or_default() += 1;
        }
        let total_requests: u64 = requests.values().sum();
        let billable_requests = total_requests.saturating_sub(prices.free_requests);
        // fold from +0.0: an empty f64 sum is -0.0
        let key_months = keys.iter().fold(0.0, |acc, k| acc + k.key_months);
        let version_months = keys.iter().fold(0.0, |acc, k| acc + k.key_months * k.billed_key_versions);
        let key_cost = version_months * prices.key_month;
        let request_cost = billable_requests as f64 / 10_000.0 * prices.per_10k_requests;
        Ok(UsageReport {
            month: req.month,
            key_months,
            billed_key_version_months: version_months,
            keys,
            requests,
            total_requests,
            billable_requests,
            estimated_cost: Cost {
                keys: key_cost,
                requests: request_cost,
                total: key_cost + request_cost,
                currency: "USD",
            },
            prices,
        })
    }
}
