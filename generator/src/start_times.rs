//! When conversations start: a non-homogeneous Poisson-like process with a weekly cycle,
//! produced in increasing order in O(1) memory.
//!
//! n start times are n independent draws from the traffic density over the span, sorted.
//! Sorting would need them all in memory, so instead the order statistics are drawn
//! directly in ascending order (the minimum of k uniforms on (u, 1) is
//! u + (1 − u)(1 − V^{1/k})), then mapped through the inverse of the cumulative traffic.

use crate::rng::SimRng;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const HOURS_PER_WEEK: usize = 168;
/// 1970-01-05T00:00:00Z, the first Monday: hour 0 of the weekly table.
const FIRST_MONDAY_MICROS: i64 = 4 * 24 * MICROS_PER_HOUR;

/// Relative contact volume by UTC hour on a weekday: quiet at night, busy 09–17.
const WEEKDAY_PROFILE: [f64; 24] = [
    0.25, 0.18, 0.14, 0.13, 0.16, 0.25, 0.45, 0.80, 1.30, 2.10, 2.50, 2.60, 2.45, 2.40, 2.50, 2.35, 2.15, 1.60, 1.25,
    1.05, 0.90, 0.70, 0.50, 0.35,
];
/// Weekends see fewer contacts, spread more evenly.
const WEEKEND_FACTOR: f64 = 0.55;

pub(crate) struct StartTimes {
    /// Traffic weight of each hour of the week, starting Monday 00:00 UTC.
    weights: [f64; HOURS_PER_WEEK],
    /// cumulative[h] = Σ weights[..h]; cumulative[168] = a week's mass.
    cumulative: [f64; HOURS_PER_WEEK + 1],
    start_micros: i64,
    end_micros: i64,
    mass_start: f64,
    mass_span: f64,
    remaining: u64,
    /// The previous order statistic in [0, 1).
    previous: f64,
    rng: SimRng,
}

impl StartTimes {
    pub(crate) fn new(start_micros: i64, span_micros: i64, count: u64, seed: u64) -> Self {
        let mut weights = [0.0; HOURS_PER_WEEK];
        for (hour, weight) in weights.iter_mut().enumerate() {
            let day = hour / 24;
            let factor = if day >= 5 { WEEKEND_FACTOR } else { 1.0 };
            *weight = WEEKDAY_PROFILE[hour % 24] * factor;
        }
        let mut cumulative = [0.0; HOURS_PER_WEEK + 1];
        for hour in 0..HOURS_PER_WEEK {
            cumulative[hour + 1] = cumulative[hour] + weights[hour];
        }
        let mut times = StartTimes {
            weights,
            cumulative,
            start_micros,
            end_micros: start_micros.saturating_add(span_micros.max(0)),
            mass_start: 0.0,
            mass_span: 0.0,
            remaining: count,
            previous: 0.0,
            rng: SimRng::new(seed),
        };
        times.mass_start = times.mass_at(start_micros);
        times.mass_span = times.mass_at(times.end_micros) - times.mass_start;
        times
    }

    /// Cumulative traffic from the first Monday to `micros`, in weight-hours.
    fn mass_at(&self, micros: i64) -> f64 {
        let relative = micros - FIRST_MONDAY_MICROS;
        let week_micros = HOURS_PER_WEEK as i64 * MICROS_PER_HOUR;
        let weeks = relative.div_euclid(week_micros);
        let within = relative.rem_euclid(week_micros);
        let hour = (within / MICROS_PER_HOUR) as usize;
        let fraction = (within % MICROS_PER_HOUR) as f64 / MICROS_PER_HOUR as f64;
        weeks as f64 * self.cumulative[HOURS_PER_WEEK] + self.cumulative[hour] + self.weights[hour] * fraction
    }

    /// The instant at which the cumulative traffic reaches `mass` (inverse of `mass_at`).
    fn micros_at(&self, mass: f64) -> i64 {
        let week_mass = self.cumulative[HOURS_PER_WEEK];
        let weeks = (mass / week_mass).floor();
        let rest = mass - weeks * week_mass;
        // The first hour whose cumulative end exceeds `rest`.
        let hour = self.cumulative[1..]
            .partition_point(|&end| end <= rest)
            .min(HOURS_PER_WEEK - 1);
        let fraction = ((rest - self.cumulative[hour]) / self.weights[hour]).clamp(0.0, 1.0);
        let week_micros = HOURS_PER_WEEK as i64 * MICROS_PER_HOUR;
        FIRST_MONDAY_MICROS
            + weeks as i64 * week_micros
            + hour as i64 * MICROS_PER_HOUR
            + (fraction * MICROS_PER_HOUR as f64) as i64
    }
}

impl Iterator for StartTimes {
    /// Start time in epoch milliseconds, non-decreasing.
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.remaining == 0 {
            return None;
        }
        let k = self.remaining as f64;
        self.remaining -= 1;
        let v = 1.0 - self.rng.unit(); // (0, 1]
        // 1 − V^{1/k} computed as −expm1(ln V / k) to keep precision for large k.
        let step = -(v.ln() / k).exp_m1();
        self.previous += (1.0 - self.previous) * step;
        let micros = self.micros_at(self.mass_start + self.previous * self.mass_span);
        // Rounding inside micros_at can never move a start outside the span or backwards.
        let micros = micros.clamp(self.start_micros, self.end_micros);
        Some(micros.div_euclid(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MICROS: i64 = 24 * MICROS_PER_HOUR;
    /// 2026-11-02T00:00:00Z, a Monday.
    const MONDAY: i64 = 20_759 * DAY_MICROS;

    #[test]
    fn mass_and_instant_are_inverse() {
        let times = StartTimes::new(MONDAY, 7 * DAY_MICROS, 0, 1);
        for offset in [0, 1, 3_599_999_999, 9 * MICROS_PER_HOUR + 123_456, 6 * DAY_MICROS + 5] {
            let micros = MONDAY + offset;
            let back = times.micros_at(times.mass_at(micros));
            assert!((back - micros).abs() <= 2, "{micros} -> {back}");
        }
    }

    #[test]
    fn starts_are_sorted_inside_the_span_and_count_is_exact() {
        let span = 3 * DAY_MICROS;
        let starts: Vec<i64> = StartTimes::new(MONDAY + 17, span, 5_000, 9).collect();
        assert_eq!(starts.len(), 5_000);
        assert!(starts.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            starts
                .iter()
                .all(|&ms| ms * 1000 >= MONDAY && ms * 1000 <= MONDAY + 17 + span)
        );
    }

    #[test]
    fn business_hours_are_busier_as_the_profile_says() {
        // Over whole weekdays, the share starting 09–17 UTC must match the profile's share.
        let starts: Vec<i64> = StartTimes::new(MONDAY, 5 * DAY_MICROS, 100_000, 3).collect();
        let business = starts
            .iter()
            .filter(|&&ms| (9..17).contains(&((ms * 1000 - MONDAY) % DAY_MICROS / MICROS_PER_HOUR)))
            .count();
        let expected = WEEKDAY_PROFILE[9..17].iter().sum::<f64>() / WEEKDAY_PROFILE.iter().sum::<f64>();
        let observed = business as f64 / starts.len() as f64;
        assert!(
            (observed - expected).abs() < 0.01,
            "observed {observed}, expected {expected}"
        );
        assert!(expected > 0.5);
    }

    #[test]
    fn empty_span_puts_every_start_at_the_start() {
        let starts: Vec<i64> = StartTimes::new(MONDAY, 0, 10, 3).collect();
        assert_eq!(starts, vec![MONDAY / 1000; 10]);
    }
}
