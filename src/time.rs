//! Time as the core sees it: milliseconds since the Unix epoch, handed in by
//! the caller on every call. The core never reads a clock itself
//! (`SystemTime::now()` panics on `wasm32-unknown-unknown`), so tests drive
//! rotation, deletion and expiry with a fake clock.

use serde::{Deserialize, Serialize};

/// Milliseconds in one day.
pub const DAY_MS: i64 = 86_400_000;

/// A point in time, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant `days` days after this one (saturating; never panics).
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::from(days).saturating_mul(DAY_MS)))
    }

    /// Milliseconds since the epoch, as a JS `Date` wants them.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Interprets a JS time value (`Date.prototype.getTime()`); non-finite
    /// values and values outside JS's date range are a `ValidationException`.
    pub fn from_js_millis(ms: f64) -> crate::Result<Timestamp> {
        const MAX_JS_DATE_MS: f64 = 8.64e15;
        if !ms.is_finite() || ms.abs() > MAX_JS_DATE_MS {
            return Err(crate::KmsError::validation("The clock returned an invalid date."));
        }
        #[allow(clippy::cast_possible_truncation)] // range checked above
        Ok(Timestamp(ms.trunc() as i64))
    }
}

/// Serializes a timestamp as a JS number of milliseconds, which the JS layer
/// turns into a `Date` (serde cannot produce a `Date` itself).
pub(crate) mod as_millis {
    use super::Timestamp;
    use serde::Serializer;

    #[allow(clippy::cast_precision_loss)] // JS dates are f64 milliseconds
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(t.0 as f64)
    }

    pub mod option {
        use super::Timestamp;
        use serde::Serializer;

        #[allow(clippy::ref_option)] // the signature serde's `with` requires
        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// ISO 8601 / RFC 3339 to the second, as CloudTrail and `aws:CurrentTime`
/// show times. The formatter only covers 1970..=9999 (and panics outside
/// it), so instants outside are clamped: a fake clock may be anywhere.
pub fn iso8601(t: Timestamp) -> String {
    const LAST_SECOND_OF_9999: u64 = 253_402_300_799;
    let secs = u64::try_from(t.0.div_euclid(1000)).unwrap_or(0).min(LAST_SECOND_OF_9999);
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let mut out = String::with_capacity(20);
    match core::fmt::Write::write_fmt(&mut out, format_args!("{}", humantime::format_rfc3339_seconds(when))) {
        Ok(()) => out,
        Err(_) => "1970-01-01T00:00:00Z".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_covers_any_js_date_without_panicking() {
        assert_eq!(iso8601(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(Timestamp(1_767_225_600_000)), "2026-01-01T00:00:00Z");
        assert_eq!(iso8601(Timestamp(-8_640_000_000_000_000)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(Timestamp(8_640_000_000_000_000)), "9999-12-31T23:59:59Z");
    }
}
