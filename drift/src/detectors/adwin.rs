//! ADWIN, adaptive windowing (Bifet & Gavaldà 2007), in its exact form: every split of the
//! window is checked after every value.
//!
//! The window W holds the values since the last detected change. A split W = W₀·W₁ (older ·
//! newer, each at least `min_window` long) is a cut when
//! |mean(W₀) − mean(W₁)| ≥ ε_cut = √(2/m · σ²_W · ln(2/δ′)) + 2R/(3m) · ln(2/δ′),
//! with m = 1/(1/n₀ + 1/n₁), σ²_W the window's population variance, δ′ = δ/n (a union bound
//! over the n splits checked) and R the width of the values' range: the paper's Bernstein
//! bound for values in [0, 1] has R = 1, which fits rates and shares; other series should set
//! their range or be rescaled, else the second term makes small-scale series insensitive.
//!
//! On a cut, the paper drops the oldest values one at a time until no cut remains, which in a
//! stream shrinks the window over many steps and fires at each. Here the older part up to the
//! most significant cut (largest gap/ε_cut) goes at once and the check repeats, so one change
//! raises one alarm whose `change_at` is the estimated change point. Exponential histograms
//! (ADWIN2) are not needed: series here are per-window KPIs, and O(n) per value is cheap at
//! those lengths; `max_window` bounds it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Alarm, Direction};
use crate::error::DriftError;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdwinParams {
    /// Confidence δ in (0, 1): the false-alarm probability bound per step.
    #[serde(default = "default_delta")]
    pub delta: f64,
    /// Width R of the interval the values live in (1 for rates and shares).
    #[serde(default = "default_value_range")]
    pub value_range: f64,
    /// Shortest sub-window a cut may leave on either side.
    #[serde(default = "default_min_window")]
    pub min_window: usize,
    /// Longest window kept; the oldest value is forgotten beyond it.
    #[serde(default = "default_max_window")]
    pub max_window: usize,
}

fn default_delta() -> f64 {
    0.002
}

fn default_value_range() -> f64 {
    1.0
}

fn default_min_window() -> usize {
    5
}

fn default_max_window() -> usize {
    10_000
}

impl Default for AdwinParams {
    fn default() -> Self {
        Self {
            delta: default_delta(),
            value_range: default_value_range(),
            min_window: default_min_window(),
            max_window: default_max_window(),
        }
    }
}

/// A value in the window with its position in the whole series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Entry {
    at: u64,
    value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adwin {
    params: AdwinParams,
    window: VecDeque<Entry>,
    /// Values fed so far, non-finite ones included: the position of the next value.
    seen: u64,
}

/// The most significant cut of a window.
struct Cut {
    /// Length of the older part W₀.
    older: usize,
    gap: f64,
    epsilon: f64,
    direction: Direction,
}

impl Adwin {
    pub fn new(params: AdwinParams) -> Result<Self, DriftError> {
        let out_of_range = |name, value, expected| Err(DriftError::InvalidParameter { name, value, expected });
        if !(params.delta > 0.0 && params.delta < 1.0) {
            return out_of_range("delta", params.delta, "in (0, 1)");
        }
        if !(params.value_range.is_finite() && params.value_range > 0.0) {
            return out_of_range("value_range", params.value_range, "a finite number > 0");
        }
        if params.min_window == 0 {
            return out_of_range("min_window", 0.0, "at least 1");
        }
        if params.max_window < params.min_window.saturating_mul(2) {
            return out_of_range("max_window", params.max_window as f64, "at least 2 × min_window");
        }
        Ok(Self {
            params,
            window: VecDeque::new(),
            seen: 0,
        })
    }

    pub fn params(&self) -> &AdwinParams {
        &self.params
    }

    /// Values currently in the window (since the last change, at most `max_window`).
    pub fn width(&self) -> usize {
        self.window.len()
    }

    /// Mean of the window: the current estimate of the series' level.
    pub fn estimate(&self) -> Option<f64> {
        let n = self.window.len();
        (n > 0).then(|| self.window.iter().map(|entry| entry.value).sum::<f64>() / n as f64)
    }

    /// Feeds one value. A non-finite value takes a position but is otherwise ignored.
    pub fn update(&mut self, x: f64) -> Option<Alarm> {
        let at = self.seen;
        self.seen += 1;
        if !x.is_finite() {
            return None;
        }
        self.window.push_back(Entry { at, value: x });
        if self.window.len() > self.params.max_window {
            self.window.pop_front();
        }
        let first = self.most_significant_cut()?;
        let mut cut = Some(first.older);
        while let Some(older) = cut {
            self.window.drain(..older.min(self.window.len()));
            cut = self.most_significant_cut().map(|next| next.older);
        }
        let change_at = self.window.front().map_or(at, |entry| entry.at);
        Some(Alarm {
            at,
            change_at,
            direction: first.direction,
            statistic: first.gap,
            threshold: first.epsilon,
        })
    }

    fn most_significant_cut(&self) -> Option<Cut> {
        let n = self.window.len();
        let min_window = self.params.min_window;
        if n < min_window.saturating_mul(2) {
            return None;
        }
        let count = n as f64;
        let total: f64 = self.window.iter().map(|entry| entry.value).sum();
        let mean = total / count;
        let variance = self
            .window
            .iter()
            .map(|entry| (entry.value - mean).powi(2))
            .sum::<f64>()
            / count;
        let log_term = (2.0 / (self.params.delta / count)).ln();
        let mut best: Option<(f64, Cut)> = None;
        let mut older_sum = 0.0;
        for (index, entry) in self.window.iter().enumerate() {
            older_sum += entry.value;
            let older = index + 1;
            let newer = n - older;
            if older < min_window || newer < min_window {
                continue;
            }
            let older_mean = older_sum / older as f64;
            let newer_mean = (total - older_sum) / newer as f64;
            let m = 1.0 / (1.0 / older as f64 + 1.0 / newer as f64);
            let epsilon = (2.0 / m * variance * log_term).sqrt() + 2.0 * self.params.value_range / (3.0 * m) * log_term;
            let gap = (older_mean - newer_mean).abs();
            let significance = gap / epsilon;
            if gap >= epsilon
                && best
                    .as_ref()
                    .is_none_or(|(best_significance, _)| significance > *best_significance)
            {
                let direction = if newer_mean > older_mean {
                    Direction::Up
                } else {
                    Direction::Down
                };
                best = Some((
                    significance,
                    Cut {
                        older,
                        gap,
                        epsilon,
                        direction,
                    },
                ));
            }
        }
        best.map(|(_, cut)| cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_step_is_cut_at_the_step() {
        let mut detector = Adwin::new(AdwinParams::default()).expect("valid params");
        let series: Vec<f64> = (0..400)
            .map(|i| if i < 200 { 0.2 } else { 0.8 } + 0.01 * f64::from(i % 3))
            .collect();
        let alarms: Vec<Alarm> = series.iter().filter_map(|x| detector.update(*x)).collect();
        assert_eq!(alarms.len(), 1, "{alarms:?}");
        assert_eq!(alarms[0].direction, Direction::Up);
        assert_eq!(alarms[0].change_at, 200);
        // A 0.6 jump against the unit-range term 2/(3m)·ln(2/δ′) needs m ≳ 14, about 20 new values.
        assert!((205..240).contains(&alarms[0].at), "{alarms:?}");
        assert_eq!(detector.width(), 200, "the window restarted at the change");
    }

    #[test]
    fn a_constant_series_never_fires() {
        let mut detector = Adwin::new(AdwinParams::default()).expect("valid params");
        assert!((0..3000).all(|_| detector.update(0.5).is_none()));
        assert_eq!(detector.estimate(), Some(0.5));
    }

    #[test]
    fn the_window_never_exceeds_its_maximum() {
        let mut detector = Adwin::new(AdwinParams {
            max_window: 50,
            ..AdwinParams::default()
        })
        .expect("valid params");
        for i in 0..500 {
            detector.update(f64::from(i % 2));
        }
        assert_eq!(detector.width(), 50);
    }

    #[test]
    fn rejects_out_of_range_parameters() {
        let with = |params: AdwinParams| Adwin::new(params).is_err();
        assert!(with(AdwinParams {
            delta: 0.0,
            ..AdwinParams::default()
        }));
        assert!(with(AdwinParams {
            delta: f64::NAN,
            ..AdwinParams::default()
        }));
        assert!(with(AdwinParams {
            value_range: -1.0,
            ..AdwinParams::default()
        }));
        assert!(with(AdwinParams {
            min_window: 0,
            ..AdwinParams::default()
        }));
        assert!(with(AdwinParams {
            min_window: 10,
            max_window: 19,
            ..AdwinParams::default()
        }));
    }
}
