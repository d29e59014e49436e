//! Page-Hinkley test (Page 1954), two-sided, with an optional fading factor.
//!
//! With x̄_t the running mean since the last alarm, it accumulates
//! U_t = α·U_{t−1} + (x_t − x̄_t) − δ and L_t = α·L_{t−1} + (x_t − x̄_t) + δ, and fires when
//! U_t − min U > λ (the mean went up) or max L − L_t > λ (it went down), once at least
//! `min_instances` values were seen since the last alarm. After an alarm it starts afresh.
//! This is the formulation of river's `drift.PageHinkley`; the reference script checks the
//! two agree alarm for alarm.

use serde::{Deserialize, Serialize};

use super::{Alarm, Direction};
use crate::error::DriftError;

/// Which changes of the mean to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Watch {
    Up,
    Down,
    #[default]
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageHinkleyParams {
    /// Drift of the mean tolerated per value (δ), in the series' units; about half the
    /// smallest change worth an alarm.
    #[serde(default = "default_delta")]
    pub delta: f64,
    /// Alarm threshold (λ) on the cumulative deviation, in the series' units.
    #[serde(default = "default_lambda")]
    pub lambda: f64,
    /// Fading factor α in (0, 1] applied to the cumulative sums each step; none means 1 (the
    /// classical test, which never forgets).
    #[serde(default)]
    pub alpha: Option<f64>,
    /// Values needed since the last alarm before the test may fire.
    #[serde(default = "default_min_instances")]
    pub min_instances: u64,
    #[serde(default)]
    pub watch: Watch,
}

fn default_delta() -> f64 {
    0.005
}

fn default_lambda() -> f64 {
    50.0
}

fn default_min_instances() -> u64 {
    30
}

impl Default for PageHinkleyParams {
    /// river's defaults without fading: δ = 0.005, λ = 50, 30 values.
    fn default() -> Self {
        Self {
            delta: default_delta(),
            lambda: default_lambda(),
            alpha: None,
            min_instances: default_min_instances(),
            watch: Watch::Both,
        }
    }
}

/// A smallest or largest cumulative sum so far and where it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Extremum {
    value: f64,
    at: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageHinkley {
    params: PageHinkleyParams,
    /// Values fed so far, non-finite ones included: the position of the next value.
    seen: u64,
    since_reset: u64,
    mean: f64,
    up_sum: f64,
    down_sum: f64,
    up_min: Option<Extremum>,
    down_max: Option<Extremum>,
}

impl PageHinkley {
    pub fn new(params: PageHinkleyParams) -> Result<Self, DriftError> {
        let out_of_range = |name, value, expected| Err(DriftError::InvalidParameter { name, value, expected });
        if !(params.delta.is_finite() && params.delta >= 0.0) {
            return out_of_range("delta", params.delta, "a finite number ≥ 0");
        }
        if !(params.lambda.is_finite() && params.lambda > 0.0) {
            return out_of_range("lambda", params.lambda, "a finite number > 0");
        }
        if let Some(alpha) = params.alpha.filter(|alpha| !(*alpha > 0.0 && *alpha <= 1.0)) {
            return out_of_range("alpha", alpha, "in (0, 1]");
        }
        Ok(Self {
            params,
            seen: 0,
            since_reset: 0,
            mean: 0.0,
            up_sum: 0.0,
            down_sum: 0.0,
            up_min: None,
            down_max: None,
        })
    }

    pub fn params(&self) -> &PageHinkleyParams {
        &self.params
    }

    /// Feeds one value. A non-finite value takes a position but is otherwise ignored.
    pub fn update(&mut self, x: f64) -> Option<Alarm> {
        let at = self.seen;
        self.seen += 1;
        if !x.is_finite() {
            return None;
        }
        self.since_reset += 1;
        self.mean += (1.0 / self.since_reset as f64) * (x - self.mean);
        let deviation = x - self.mean;
        let alpha = self.params.alpha.unwrap_or(1.0);
        self.up_sum = alpha * self.up_sum + deviation - self.params.delta;
        self.down_sum = alpha * self.down_sum + deviation + self.params.delta;
        if self.up_min.is_none_or(|min| self.up_sum < min.value) {
            self.up_min = Some(Extremum { value: self.up_sum, at });
        }
        if self.down_max.is_none_or(|max| self.down_sum > max.value) {
            self.down_max = Some(Extremum {
                value: self.down_sum,
                at,
            });
        }
        if self.since_reset < self.params.min_instances {
            return None;
        }
        let alarm = self.test(at)?;
        self.restart();
        Some(alarm)
    }

    fn test(&self, at: u64) -> Option<Alarm> {
        let lambda = self.params.lambda;
        let watch_up = matches!(self.params.watch, Watch::Up | Watch::Both);
        let watch_down = matches!(self.params.watch, Watch::Down | Watch::Both);
        let rise = self.up_min.map(|min| (self.up_sum - min.value, min.at));
        let fall = self.down_max.map(|max| (max.value - self.down_sum, max.at));
        let (direction, (statistic, extremum_at)) = match (rise, fall) {
            (Some(rise), _) if watch_up && rise.0 > lambda => (Direction::Up, rise),
            (_, Some(fall)) if watch_down && fall.0 > lambda => (Direction::Down, fall),
            _ => return None,
        };
        // The cumulative sum turned at its extremum: the change starts right after it.
        let change_at = (extremum_at + 1).min(at);
        Some(Alarm {
            at,
            change_at,
            direction,
            statistic,
            threshold: lambda,
        })
    }

    fn restart(&mut self) {
        self.since_reset = 0;
        self.mean = 0.0;
        self.up_sum = 0.0;
        self.down_sum = 0.0;
        self.up_min = None;
        self.down_max = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(delta: f64, lambda: f64) -> PageHinkleyParams {
        PageHinkleyParams {
            delta,
            lambda,
            min_instances: 5,
            ..PageHinkleyParams::default()
        }
    }

    #[test]
    fn a_jump_in_a_constant_series_fires_up_then_down() {
        let mut detector = PageHinkley::new(params(0.1, 5.0)).expect("valid params");
        let series: Vec<f64> = [vec![1.0; 50], vec![3.0; 50], vec![1.0; 50]].concat();
        let alarms: Vec<Alarm> = series.iter().filter_map(|x| detector.update(*x)).collect();
        assert_eq!(alarms.len(), 2, "{alarms:?}");
        assert_eq!(
            (alarms[0].direction, alarms[1].direction),
            (Direction::Up, Direction::Down)
        );
        assert!(
            (50..60).contains(&alarms[0].at) && alarms[0].change_at == 50,
            "{alarms:?}"
        );
        assert!((100..110).contains(&alarms[1].at), "{alarms:?}");
    }

    #[test]
    fn watching_one_side_ignores_the_other() {
        let mut detector = PageHinkley::new(PageHinkleyParams {
            watch: Watch::Up,
            ..params(0.1, 5.0)
        })
        .expect("valid");
        let falling: Vec<f64> = [vec![3.0; 50], vec![1.0; 50]].concat();
        assert!(falling.iter().all(|x| detector.update(*x).is_none()));
    }

    #[test]
    fn non_finite_values_take_a_position_only() {
        let mut detector = PageHinkley::new(params(0.1, 5.0)).expect("valid params");
        let mut series: Vec<f64> = [vec![1.0; 50], vec![3.0; 50]].concat();
        series.insert(10, f64::NAN);
        let alarm = series.iter().find_map(|x| detector.update(*x)).expect("fires");
        assert_eq!(alarm.change_at, 51, "the NaN shifted the change by one position");
    }

    #[test]
    fn rejects_out_of_range_parameters() {
        assert!(PageHinkley::new(params(-1.0, 5.0)).is_err());
        assert!(PageHinkley::new(params(0.1, 0.0)).is_err());
        assert!(
            PageHinkley::new(PageHinkleyParams {
                alpha: Some(1.5),
                ..params(0.1, 5.0)
            })
            .is_err()
        );
        assert!(
            PageHinkley::new(PageHinkleyParams {
                alpha: Some(f64::NAN),
                ..params(0.1, 5.0)
            })
            .is_err()
        );
    }

    #[test]
    fn state_survives_a_checkpoint() {
        let mut detector = PageHinkley::new(params(0.1, 5.0)).expect("valid params");
        let series: Vec<f64> = [vec![1.0; 50], vec![3.0; 50]].concat();
        let (first, rest) = series.split_at(52);
        first.iter().for_each(|x| {
            detector.update(*x);
        });
        let text = serde_json::to_string(&detector).expect("serialisable");
        let mut restored: PageHinkley = serde_json::from_str(&text).expect("parses back");
        // JSON may round the last bit of a float, so compare where and which way it fired.
        let summary = |alarm: Alarm| (alarm.at, alarm.change_at, alarm.direction);
        let original: Vec<_> = rest.iter().filter_map(|x| detector.update(*x)).map(summary).collect();
        let resumed: Vec<_> = rest.iter().filter_map(|x| restored.update(*x)).map(summary).collect();
        assert_eq!(original, resumed);
        assert!(!original.is_empty());
    }
}
