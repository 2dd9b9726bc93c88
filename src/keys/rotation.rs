//! The automatic-rotation schedule of one key, driven by the caller's clock.

use crate::error::{Result, Violations};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// AWS's default rotation period.
pub const DEFAULT_PERIOD_DAYS: u32 = 365;
/// Shortest period AWS accepts.
pub const MIN_PERIOD_DAYS: u32 = 90;
/// Longest period AWS accepts.
pub const MAX_PERIOD_DAYS: u32 = 2560;
/// On-demand rotations AWS allows per key.
pub const MAX_ON_DEMAND_ROTATIONS: u32 = 25;
/// Most automatic rotations one clock jump performs one by one. A fake clock
/// could jump centuries ahead; beyond this many, only the latest due
/// rotation is made, so a clock cannot make the store grow without bound.
pub const MAX_CATCH_UP_ROTATIONS: u32 = 100;

/// Automatic rotation settings and on-demand usage of one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationSchedule {
    /// Whether automatic rotation is on.
    pub enabled: bool,
    /// The period, kept while rotation is off so it can be reported again.
    pub period_days: u32,
    /// When the next automatic rotation is due (only while enabled).
    pub next: Option<Timestamp>,
    /// On-demand rotations made so far.
    pub on_demand_count: u32,
}

impl Default for RotationSchedule {
    fn default() -> Self {
        RotationSchedule { enabled: false, period_days: DEFAULT_PERIOD_DAYS, next: None, on_demand_count: 0 }
    }
}

/// The model constraint of `RotationPeriodInDays`: 90..2560 days.
pub(crate) fn period_constraints(v: &mut Violations, days: Option<i64>) {
    v.range("rotationPeriodInDays", days, i64::from(MIN_PERIOD_DAYS), i64::from(MAX_PERIOD_DAYS));
}

/// Validates `RotationPeriodInDays` (absent means the default).
pub fn validate_period(days: Option<i64>) -> Result<u32> {
    let mut v = Violations::new();
    period_constraints(&mut v, days);
    v.check()?;
    Ok(days.and_then(|d| u32::try_from(d).ok()).unwrap_or(DEFAULT_PERIOD_DAYS))
}

impl RotationSchedule {
    /// Turns automatic rotation on (or changes its period). The first
    /// rotation is one period after `anchor`: the enabling date, or the
    /// date of the last rotation when only the period changes.
    pub fn enable(&mut self, period_days: u32, anchor: Timestamp) {
        self.enabled = true;
        self.period_days = period_days;
        self.next = Some(anchor.plus_days(period_days));
    }

    /// Turns automatic rotation off; the period is remembered.
    pub fn disable(&mut self) {
        self.enabled = false;
        self.next = None;
    }

    /// The dates of the automatic rotations due by `now`, oldest first,
    /// advancing the schedule past them. At most `MAX_CATCH_UP_ROTATIONS`
    /// dates come back; when more were due only the latest is returned.
    pub fn take_due(&mut self, now: Timestamp) -> Vec<Timestamp> {
        let mut due = Vec::new();
        let Some(mut next) = self.next.filter(|_| self.enabled) else { return due };
        let mut skipped = false;
        while next <= now {
            if due.len() >= MAX_CATCH_UP_ROTATIONS as usize {
                due.clear();
                skipped = true;
            }
            due.push(next);
            let after = next.plus_days(self.period_days);
            if after == next {
                break; // saturated at the end of time
            }
            next = after;
        }
        if skipped {
            due.drain(..due.len().saturating_sub(1));
        }
        self.next = Some(next);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DAY_MS;

    #[test]
    fn first_rotation_is_one_period_after_enabling() {
        let mut s = RotationSchedule::default();
        s.enable(90, Timestamp(0));
        assert_eq!(s.next, Some(Timestamp(90 * DAY_MS)));
        assert!(s.take_due(Timestamp(90 * DAY_MS - 1)).is_empty());
        assert_eq!(s.take_due(Timestamp(90 * DAY_MS)), vec![Timestamp(90 * DAY_MS)]);
        assert_eq!(s.next, Some(Timestamp(180 * DAY_MS)));
    }

    #[test]
    fn a_clock_jump_performs_each_missed_rotation_at_its_date() {
        let mut s = RotationSchedule::default();
        s.enable(100, Timestamp(0));
        let due = s.take_due(Timestamp(350 * DAY_MS));
        assert_eq!(due, vec![Timestamp(100 * DAY_MS), Timestamp(200 * DAY_MS), Timestamp(300 * DAY_MS)]);
        assert_eq!(s.next, Some(Timestamp(400 * DAY_MS)));
    }

    #[test]
    fn a_huge_clock_jump_is_bounded() {
        let mut s = RotationSchedule::default();
        s.enable(90, Timestamp(0));
        let due = s.take_due(Timestamp(90 * DAY_MS * 10_000));
        assert_eq!(due, vec![Timestamp(90 * DAY_MS * 10_000)]);
    }

    #[test]
    fn disabled_schedules_have_nothing_due() {
        let mut s = RotationSchedule::default();
        assert!(s.take_due(Timestamp(i64::MAX)).is_empty());
    }

    #[test]
    fn periods_outside_aws_bounds_are_rejected() {
        assert_eq!(validate_period(None).unwrap(), 365);
        assert_eq!(validate_period(Some(90)).unwrap(), 90);
        assert_eq!(validate_period(Some(2560)).unwrap(), 2560);
        for bad in [89, 2561, -1, i64::MAX] {
            assert_eq!(validate_period(Some(bad)).unwrap_err().name(), "ValidationException");
        }
    }
}
