//! Event time and processing time, both as UTC microseconds.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

/// Microseconds since the Unix epoch, UTC. The lake's timestamp unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

pub const MICROS_PER_SECOND: i64 = 1_000_000;

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    pub fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub fn from_millis(millis: i64) -> Self {
        Timestamp(millis.saturating_mul(1000))
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Seconds from `earlier` to `self`, as METRICS durations are (float64 seconds).
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / MICROS_PER_SECOND as f64
    }

    pub fn saturating_add(self, duration: std::time::Duration) -> Self {
        Timestamp(self.0.saturating_add(duration.as_micros().min(i64::MAX as u128) as i64))
    }

    pub fn saturating_sub(self, duration: std::time::Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration.as_micros().min(i64::MAX as u128) as i64))
    }

    /// Days since the epoch (floor), the lake's `date` partition key.
    pub fn epoch_day(self) -> i32 {
        self.0.div_euclid(86_400 * MICROS_PER_SECOND) as i32
    }

    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self.0)
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-11-20T10:00:00.123000Z`.
    pub fn to_rfc3339(self) -> String {
        match self.to_datetime() {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Micros, true),
            None => format!("{}us", self.0),
        }
    }

    /// `YYYY-MM-DD` of the UTC day.
    pub fn date_string(self) -> String {
        match self.to_datetime() {
            Some(dt) => dt.format("%Y-%m-%d").to_string(),
            None => "invalid-date".to_string(),
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_micros())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Processing time, injected so that tests control it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(Utc::now())
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start.0))
    }

    pub fn set(&self, to: Timestamp) {
        self.0.store(to.0, Ordering::SeqCst);
    }

    pub fn advance(&self, by: std::time::Duration) {
        self.0.fetch_add(by.as_micros() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_day_floors_before_1970() {
        assert_eq!(Timestamp(0).epoch_day(), 0);
        assert_eq!(Timestamp(-1).epoch_day(), -1);
        assert_eq!(Timestamp(86_400 * MICROS_PER_SECOND).epoch_day(), 1);
    }

    #[test]
    fn rfc3339_is_utc_with_micros() {
        assert_eq!(
            Timestamp::from_millis(1_763_632_800_123).to_rfc3339(),
            "2025-11-20T10:00:00.123000Z"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp(5));
        assert_eq!(clock.now(), Timestamp(5));
        clock.advance(std::time::Duration::from_micros(10));
        assert_eq!(clock.now(), Timestamp(15));
    }
}
