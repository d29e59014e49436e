//! `occurred_at`: an RFC 3339 timestamp with an offset, or integer epoch milliseconds.
//!
//! Parsed by hand rather than with chrono because the accepted forms are narrower and
//! wider at once: the offset is mandatory, `T`, `t` or a space may separate date and time,
//! and the fraction may have any number of digits (truncated to microseconds, the lake's
//! unit). Every event goes through here, so it also avoids chrono's general format machinery.

use convolens_core::{InvalidReason, Timestamp};

use super::json::JsonValue;

const FIELD: &str = "occurred_at";

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// First instant that is too late: 2201-01-01T00:00:00Z (EVENTS.md: "outside 1970–2200").
pub(super) const END_MICROS: i64 = days_from_civil(2201, 1, 1) * SECONDS_PER_DAY * MICROS_PER_SECOND;
/// The same bound in epoch milliseconds.
const END_MILLIS: i64 = END_MICROS / 1000;

const EXPECTED: &str = "an RFC 3339 string with an offset or integer epoch milliseconds";

/// Decodes `occurred_at` (already taken from the object; `None` = absent or null).
pub(super) fn occurred_at(value: Option<JsonValue<'_>>) -> Result<Timestamp, InvalidReason> {
    let micros = match value {
        None => return Err(InvalidReason::MissingField { field: FIELD }),
        Some(JsonValue::Str(text)) => parse_rfc3339_micros(&text).map_err(|detail| InvalidReason::BadTimestamp {
            field: FIELD,
            detail: detail.to_owned(),
        })?,
        Some(JsonValue::UInt(millis)) => match i64::try_from(millis) {
            Ok(millis) if millis < END_MILLIS => millis * 1000,
            _ => return Err(InvalidReason::TimestampOutOfRange { field: FIELD }),
        },
        Some(JsonValue::NegInt(_)) => return Err(InvalidReason::TimestampOutOfRange { field: FIELD }),
        Some(_) => {
            return Err(InvalidReason::WrongType {
                field: FIELD,
                expected: EXPECTED,
            });
        }
    };
    if !(0..END_MICROS).contains(&micros) {
        return Err(InvalidReason::TimestampOutOfRange { field: FIELD });
    }
    Ok(Timestamp::from_micros(micros))
}

/// `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)` → microseconds since the epoch, UTC.
///
/// A leap second (`:60`) is accepted, as RFC 3339 allows, and lands on the first instant
/// of the next minute, as Unix time has no room for it. The error is a short description.
pub(super) fn parse_rfc3339_micros(text: &str) -> Result<i64, &'static str> {
    const SHAPE: &str = "expected YYYY-MM-DDTHH:MM:SS[.fraction] followed by Z or ±HH:MM";
    let b = text.as_bytes();
    let year = digits(b, 0, 4).ok_or(SHAPE)?;
    let month = digits(b, 5, 2).ok_or(SHAPE)?;
    let day = digits(b, 8, 2).ok_or(SHAPE)?;
    let hour = digits(b, 11, 2).ok_or(SHAPE)?;
    let minute = digits(b, 14, 2).ok_or(SHAPE)?;
    let second = digits(b, 17, 2).ok_or(SHAPE)?;
    let separators_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !separators_ok {
        return Err(SHAPE);
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("no such date");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("no such time of day");
    }

    let mut at = 19;
    let mut fraction_micros = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                fraction_micros = fraction_micros * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err("a fraction needs at least one digit");
        }
        for _ in (at - start)..6 {
            fraction_micros *= 10;
        }
    }

    let offset_seconds = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 && b.get(at + 3) == Some(&b':') => {
            let (hours, minutes) = (digits(b, at + 1, 2).ok_or(SHAPE)?, digits(b, at + 4, 2).ok_or(SHAPE)?);
            if hours > 23 || minutes > 59 {
                return Err("no such UTC offset");
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        None => return Err("missing UTC offset (Z or ±HH:MM)"),
        Some(_) => return Err(SHAPE),
    };

    let seconds =
        days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    Ok(seconds * MICROS_PER_SECOND + fraction_micros)
}

/// `len` ASCII digits at `start`, or `None`.
fn digits(b: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = b.get(start..start.checked_add(len)?)?;
    slice.iter().try_fold(0i64, |acc, byte| {
        byte.is_ascii_digit().then(|| acc * 10 + i64::from(byte - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn chrono_micros(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn days_from_civil_agrees_with_chrono_over_centuries() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut date = NaiveDate::from_ymd_opt(1600, 1, 1).unwrap_or_default();
        let end = NaiveDate::from_ymd_opt(2500, 1, 1).unwrap_or_default();
        while date < end {
            use chrono::Datelike;
            let expected = (date - epoch).num_days();
            assert_eq!(
                days_from_civil(i64::from(date.year()), i64::from(date.month()), i64::from(date.day())),
                expected
            );
            date = date.succ_opt().unwrap_or(end);
        }
    }

    #[test]
    fn end_bound_is_2201_01_01() {
        assert_eq!(END_MICROS, chrono_micros(2201, 1, 1, 0, 0, 0));
    }

    #[test]
    fn parses_offsets_fractions_and_separators() {
        let base = chrono_micros(2026, 11, 20, 10, 0, 0);
        assert_eq!(parse_rfc3339_micros("2026-11-20T10:00:00Z"), Ok(base));
        assert_eq!(parse_rfc3339_micros("2026-11-20t10:00:00z"), Ok(base));
        assert_eq!(parse_rfc3339_micros("2026-11-20 12:00:00+02:00"), Ok(base));
        assert_eq!(parse_rfc3339_micros("2026-11-20T05:30:00-04:30"), Ok(base));
        assert_eq!(parse_rfc3339_micros("2026-11-20T10:00:00.1Z"), Ok(base + 100_000));
        assert_eq!(parse_rfc3339_micros("2026-11-20T10:00:00.123Z"), Ok(base + 123_000));
        assert_eq!(
            parse_rfc3339_micros("2026-11-20T10:00:00.123456789123Z"),
            Ok(base + 123_456)
        );
        assert_eq!(parse_rfc3339_micros("2026-11-20T10:00:00-00:00"), Ok(base));
        assert_eq!(
            parse_rfc3339_micros("2026-12-31T23:59:60Z"),
            Ok(chrono_micros(2027, 1, 1, 0, 0, 0))
        );
        assert_eq!(
            parse_rfc3339_micros("2024-02-29T00:00:00Z"),
            Ok(chrono_micros(2024, 2, 29, 0, 0, 0))
        );
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "",
            "2026-11-20",
            "2026-11-20T10:00:00",
            "2026-11-20T10:00:00.Z",
            "2026-11-20T10:00:00+0200",
            "2026-11-20T10:00:00+02",
            "2026-11-20T10:00:00Zjunk",
            "2026-11-20T10:00Z",
            "2026-13-20T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "2026-11-31T10:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T10:00:00+24:00",
            "2026/11/20T10:00:00Z",
            "+2026-11-20T10:00:00Z",
            "２０２６-11-20T10:00:00Z",
            "yesterday afternoon",
        ] {
            assert!(parse_rfc3339_micros(text).is_err(), "{text:?} should not parse");
        }
    }
}
