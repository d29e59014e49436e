//! Broker reachability and rate-limited warnings.
//!
//! librdkafka reconnects on its own and only tells the application that something went
//! wrong, never that it recovered. So reachability is tracked as "failing since the first
//! transport error after the last proof of contact" (a message, a rebalance, an answered
//! metadata or watermark request). A client starts out unproven: a broker that never
//! answers counts as unreachable from the start.
//!
//! Every method takes `now` so the logic is tested without sleeping.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct BrokerHealth {
    /// Since when no broker has been proven reachable; None while healthy.
    failing_since: Mutex<Option<Instant>>,
}

impl BrokerHealth {
    pub(crate) fn new(now: Instant) -> Self {
        BrokerHealth {
            failing_since: Mutex::new(Some(now)),
        }
    }

    pub(crate) fn record_contact(&self) {
        *self.failing_since() = None;
    }

    pub(crate) fn record_transport_error(&self, now: Instant) {
        self.failing_since().get_or_insert(now);
    }

    /// How long no broker has been reachable, or None if the last word was a success.
    pub(crate) fn unreachable_for(&self, now: Instant) -> Option<Duration> {
        self.failing_since().map(|since| now.saturating_duration_since(since))
    }

    fn failing_since(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // A poisoned lock only means another thread panicked while setting a plain value;
        // the value is still meaningful.
        self.failing_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Lets one warning through per interval and counts the ones held back, so an outage
/// yields a log line every few seconds instead of thousands.
#[derive(Debug)]
pub(crate) struct WarnLimiter {
    interval: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    last_emitted: Option<Instant>,
    suppressed: u64,
}

impl WarnLimiter {
    pub(crate) fn new(interval: Duration) -> Self {
        WarnLimiter {
            interval,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// Some(number of warnings suppressed since the last one) if this one may be emitted.
    pub(crate) fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = state
            .last_emitted
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due {
            state.last_emitted = Some(now);
            Some(std::mem::take(&mut state.suppressed))
        } else {
            state.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unproven_client_counts_as_unreachable_from_creation() {
        let t0 = Instant::now();
        let health = BrokerHealth::new(t0);
        assert_eq!(
            health.unreachable_for(t0 + Duration::from_secs(7)),
            Some(Duration::from_secs(7))
        );
        health.record_contact();
        assert_eq!(health.unreachable_for(t0 + Duration::from_secs(8)), None);
    }

    #[test]
    fn outage_is_measured_from_the_first_error_after_contact() {
        let t0 = Instant::now();
        let health = BrokerHealth::new(t0);
        health.record_contact();
        health.record_transport_error(t0 + Duration::from_secs(10));
        health.record_transport_error(t0 + Duration::from_secs(20));
        assert_eq!(
            health.unreachable_for(t0 + Duration::from_secs(25)),
            Some(Duration::from_secs(15))
        );
        health.record_contact();
        assert_eq!(health.unreachable_for(t0 + Duration::from_secs(30)), None);
    }

    #[test]
    fn limiter_admits_one_warning_per_interval_and_counts_the_rest() {
        let t0 = Instant::now();
        let limiter = WarnLimiter::new(Duration::from_secs(10));
        assert_eq!(limiter.admit(t0), Some(0));
        assert_eq!(limiter.admit(t0 + Duration::from_secs(1)), None);
        assert_eq!(limiter.admit(t0 + Duration::from_secs(9)), None);
        assert_eq!(limiter.admit(t0 + Duration::from_secs(10)), Some(2));
        assert_eq!(limiter.admit(t0 + Duration::from_secs(11)), None);
    }
}
