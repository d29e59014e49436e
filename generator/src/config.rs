//! What to generate: [`GeneratorConfig`] and the optional [`DriftInjection`].

use std::time::Duration;

use convolens_core::Timestamp;

use crate::error::GeneratorError;
use crate::timefmt::{MILLIS_PER_DAY, days_from_civil};

/// Everything that shapes a generated stream. The same config (seed included) always
/// yields byte-identical output.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Seeds every random choice.
    pub seed: u64,
    /// How many conversations to generate.
    pub conversations: u64,
    /// Conversation starts are spread over [`start`, `start + span`], busier on weekdays
    /// 09–17 UTC; a conversation's later events, surveys and labels may fall after it.
    pub start: Timestamp,
    pub span: Duration,
    /// Tenants, in decreasing share of traffic (default `["acme", "globex"]`).
    pub tenants: Vec<String>,
    /// Share of valid events delivered twice (default 0.02). The copy is byte-identical
    /// and arrives a few seconds or, for a third of them, minutes after the original.
    pub duplicate_rate: f64,
    /// Share of all lines that are invalid (default 0.01), cycling through every kind of
    /// EVENTS.md "Invalid input" (see [`InvalidKind`](crate::InvalidKind)). At most 0.5.
    pub invalid_rate: f64,
    /// One oversized (> 1 MiB) invalid line after every this many lines; 0 never. The
    /// default 100 000 keeps them out of small runs; they count as invalid lines.
    pub oversized_every: u64,
    /// How late an event may arrive relative to its `occurred_at` (default 2 min). Late
    /// surveys and labels are late in event time, not in arrival, so they obey it too;
    /// only a duplicate copy may come later (it repeats an event already delivered).
    pub max_disorder: Duration,
    /// Add a small `embedding` vector to every `intent_predicted` (default false).
    pub embeddings: bool,
    /// From a point in time on, the traffic changes (default none).
    pub drift: Option<DriftInjection>,
}

/// A change in the traffic from `from` on, as when an incident or a product launch
/// brings different customers: conversations starting at or after `from` follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftInjection {
    pub from: Timestamp,
    /// Share of drifted conversations about an incident's intents (card fraud) instead of
    /// the usual mix (default 0.35).
    pub intent_shift: f64,
    /// How much lower the router's mean confidence runs, in [0, 0.6] (default 0.15).
    pub confidence_drop: f64,
    /// Share of drifted conversations about intents the router has never seen
    /// (`crypto_buy_sell`, `buy_now_pay_later`, …; default 0.08).
    pub unseen_intent_rate: f64,
    /// Extra probability that a drifted conversation is handed to a human (default 0.10).
    pub extra_handoff_rate: f64,
}

impl DriftInjection {
    /// Drift with the default strengths, from `from` on.
    pub fn starting_at(from: Timestamp) -> Self {
        DriftInjection {
            from,
            intent_shift: 0.35,
            confidence_drop: 0.15,
            unseen_intent_rate: 0.08,
            extra_handoff_rate: 0.10,
        }
    }
}

/// 2026-11-02T00:00:00Z, a Monday; a fixed default so that default output never depends
/// on the wall clock.
const DEFAULT_START_MS: i64 = 20_759 * MILLIS_PER_DAY;

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 42,
            conversations: 1_000,
            start: Timestamp::from_millis(DEFAULT_START_MS),
            span: Duration::from_secs(86_400),
            tenants: vec!["acme".to_string(), "globex".to_string()],
            duplicate_rate: 0.02,
            invalid_rate: 0.01,
            oversized_every: 100_000,
            max_disorder: Duration::from_secs(120),
            embeddings: false,
            drift: None,
        }
    }
}

/// The longest a conversation plus its late survey or label can reach past its start;
/// the generator's delays are clamped to stay under it.
pub(crate) const LONGEST_TAIL_MS: i64 = 30 * MILLIS_PER_DAY;

impl GeneratorConfig {
    /// Checks that every field is usable; the generator relies on it afterwards.
    pub fn validate(&self) -> Result<(), GeneratorError> {
        let start_ms = self.start.micros().div_euclid(1000);
        let span_ms = i64::try_from(self.span.as_millis()).unwrap_or(i64::MAX);
        // EVENTS.md rejects times outside 1970–2200; keep every generated event inside.
        let end_of_2199 = days_from_civil(2200, 1, 1) * MILLIS_PER_DAY;
        if start_ms < 0 {
            return Err(GeneratorError::config("start", "must not be before 1970-01-01"));
        }
        if start_ms.saturating_add(span_ms).saturating_add(LONGEST_TAIL_MS) >= end_of_2199 {
            return Err(GeneratorError::config(
                "span",
                "start + span must end at least 30 days before 2200",
            ));
        }
        if self.tenants.is_empty() {
            return Err(GeneratorError::config("tenants", "must name at least one tenant"));
        }
        if self.tenants.len() > usize::from(u16::MAX) {
            return Err(GeneratorError::config("tenants", "at most 65535 tenants"));
        }
        if let Some(bad) = self.tenants.iter().find(|t| t.is_empty() || t.chars().count() > 64) {
            return Err(GeneratorError::config(
                "tenants",
                format!("{bad:?} must be 1–64 characters"),
            ));
        }
        check_share("duplicate_rate", self.duplicate_rate, 1.0)?;
        check_share("invalid_rate", self.invalid_rate, 0.5)?;
        if self.max_disorder > Duration::from_secs(86_400) {
            return Err(GeneratorError::config("max_disorder", "must be at most 1 day"));
        }
        if let Some(drift) = &self.drift {
            check_share("drift.intent_shift", drift.intent_shift, 1.0)?;
            check_share("drift.confidence_drop", drift.confidence_drop, 0.6)?;
            check_share("drift.unseen_intent_rate", drift.unseen_intent_rate, 1.0)?;
            check_share("drift.extra_handoff_rate", drift.extra_handoff_rate, 1.0)?;
            if drift.intent_shift + drift.unseen_intent_rate > 1.0 {
                return Err(GeneratorError::config(
                    "drift.intent_shift",
                    "plus drift.unseen_intent_rate must be at most 1",
                ));
            }
        }
        Ok(())
    }
}

fn check_share(field: &'static str, value: f64, max: f64) -> Result<(), GeneratorError> {
    if value.is_finite() && (0.0..=max).contains(&value) {
        Ok(())
    } else {
        Err(GeneratorError::config(
            field,
            format!("must be a number in [0, {max}], got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_starts_on_a_monday() {
        let config = GeneratorConfig::default();
        assert!(config.validate().is_ok());
        // 1970-01-01 was a Thursday: day 20759 ≡ 4 (mod 7) means Monday.
        assert_eq!((config.start.micros() / 86_400_000_000) % 7, 4);
    }

    #[test]
    fn rejects_each_bad_field() {
        let cases: Vec<(&str, GeneratorConfig)> = vec![
            (
                "start",
                GeneratorConfig {
                    start: Timestamp::from_millis(-1),
                    ..Default::default()
                },
            ),
            (
                "span",
                GeneratorConfig {
                    span: Duration::from_secs(300 * 365 * 86_400),
                    ..Default::default()
                },
            ),
            (
                "tenants",
                GeneratorConfig {
                    tenants: vec![],
                    ..Default::default()
                },
            ),
            (
                "tenants",
                GeneratorConfig {
                    tenants: vec![String::new()],
                    ..Default::default()
                },
            ),
            (
                "duplicate_rate",
                GeneratorConfig {
                    duplicate_rate: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "invalid_rate",
                GeneratorConfig {
                    invalid_rate: 0.6,
                    ..Default::default()
                },
            ),
            (
                "max_disorder",
                GeneratorConfig {
                    max_disorder: Duration::from_secs(90_000),
                    ..Default::default()
                },
            ),
            (
                "drift.confidence_drop",
                GeneratorConfig {
                    drift: Some(DriftInjection {
                        confidence_drop: 0.9,
                        ..DriftInjection::starting_at(Timestamp(0))
                    }),
                    ..Default::default()
                },
            ),
        ];
        for (field, config) in cases {
            match config.validate() {
                Err(GeneratorError::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: expected InvalidConfig, got {other:?}"),
            }
        }
    }
}
