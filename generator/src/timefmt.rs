//! The `occurred_at` spellings producers use, formatted without allocation.
//!
//! EVENTS.md accepts RFC 3339 with any offset or integer epoch milliseconds; real
//! producers mix them (a chat widget sends `Z`, a contact-centre in Paris sends `+02:00`,
//! a survey tool sends epoch ms), so the generator does too, always for the same instant.

use crate::json::{push_i64, push_padded};

/// How one event spells its `occurred_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeFormat {
    /// `2026-11-20T10:00:00.123Z`
    UtcMillis,
    /// `2026-11-20T12:00:00.123+02:00`: local wall time with its offset in minutes.
    Offset(i16),
    /// `1795168800123`
    EpochMillis,
}

/// Offsets seen in the wild, in minutes east of UTC.
pub(crate) const OFFSETS_MINUTES: [i16; 5] = [120, -300, 60, 330, -480];

pub(crate) const MILLIS_PER_DAY: i64 = 86_400_000;

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day count since 1970-01-01 of a civil date (inverse of [`civil_from_days`]).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Appends `at_ms` (epoch milliseconds) as a JSON value in the given format.
pub(crate) fn push_occurred_at(out: &mut Vec<u8>, at_ms: i64, format: TimeFormat) {
    match format {
        TimeFormat::EpochMillis => push_i64(out, at_ms),
        TimeFormat::UtcMillis => {
            out.push(b'"');
            push_wall_time(out, at_ms);
            out.extend_from_slice(b"Z\"");
        }
        TimeFormat::Offset(minutes) => {
            out.push(b'"');
            push_wall_time(out, at_ms + i64::from(minutes) * 60_000);
            out.push(if minutes < 0 { b'-' } else { b'+' });
            let abs = u64::from(minutes.unsigned_abs());
            push_padded(out, abs / 60, 2);
            out.push(b':');
            push_padded(out, abs % 60, 2);
            out.push(b'"');
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` of a wall-clock instant given as epoch milliseconds.
pub(crate) fn push_wall_time(out: &mut Vec<u8>, wall_ms: i64) {
    let days = wall_ms.div_euclid(MILLIS_PER_DAY);
    let in_day = wall_ms.rem_euclid(MILLIS_PER_DAY) as u64;
    let (year, month, day) = civil_from_days(days);
    push_padded(out, year.max(0) as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(month), 2);
    out.push(b'-');
    push_padded(out, u64::from(day), 2);
    out.push(b'T');
    push_padded(out, in_day / 3_600_000, 2);
    out.push(b':');
    push_padded(out, in_day / 60_000 % 60, 2);
    out.push(b':');
    push_padded(out, in_day / 1000 % 60, 2);
    out.push(b'.');
    push_padded(out, in_day % 1000, 3);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(at_ms: i64, format: TimeFormat) -> String {
        let mut out = Vec::new();
        push_occurred_at(&mut out, at_ms, format);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn civil_round_trips_over_the_supported_range() {
        // 1970-01-01 to 2200-12-31, every 7th day plus leap-day edges.
        for days in (0..84_000).step_by(7).chain([59, 60, 11_016, 11_017]) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(2026, 11, 20), 20_777);
    }

    #[test]
    fn formats_the_same_instant_three_ways() {
        // 2026-11-20T10:00:00.123Z; 20777 days after the epoch.
        let at = 20_777 * MILLIS_PER_DAY + 10 * 3_600_000 + 123;
        assert_eq!(render(at, TimeFormat::UtcMillis), "\"2026-11-20T10:00:00.123Z\"");
        assert_eq!(render(at, TimeFormat::Offset(120)), "\"2026-11-20T12:00:00.123+02:00\"");
        assert_eq!(
            render(at, TimeFormat::Offset(-300)),
            "\"2026-11-20T05:00:00.123-05:00\""
        );
        assert_eq!(render(at, TimeFormat::Offset(330)), "\"2026-11-20T15:30:00.123+05:30\"");
        assert_eq!(render(at, TimeFormat::EpochMillis), at.to_string());
    }

    #[test]
    fn offset_crosses_midnight_and_year() {
        // 2027-01-01T01:00:00.000Z seen from -05:00 is still 2026.
        let at = days_from_civil(2027, 1, 1) * MILLIS_PER_DAY + 3_600_000;
        assert_eq!(
            render(at, TimeFormat::Offset(-300)),
            "\"2026-12-31T20:00:00.000-05:00\""
        );
    }
}
