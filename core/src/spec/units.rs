//! Durations (`30m`, `1h30m`, `500ms`), byte sizes (`1MiB`, `512KiB`, `1048576`) and
//! decimal numbers (`0.9`, `2e-3`).
//!
//! All are strict: a bare `30` could mean seconds or minutes, and `1MB` could mean 10⁶ or
//! 2²⁰ bytes, so neither is guessed; `.inf`, `nan` and `1_000` are not numbers here. Errors
//! are messages for [`super::ConfigError`].

use std::time::Duration;

/// The duration units, largest first; a duration lists them in this order, each at most once.
const DURATION_UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

pub const DURATION_FORM: &str = "a duration like `30s`, `15m`, `1h30m`, `500ms` or `2d` (units: d, h, m, s, ms)";

/// Parses `2d`, `1h30m`, `10s`, `500ms`, or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err(format!("empty value; expected {DURATION_FORM}"));
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` has no unit; expected {DURATION_FORM}"));
    }
    let mut rest = text;
    let mut millis: u64 = 0;
    // Index into DURATION_UNITS of the next unit allowed, so `30m1h` and `1m1m` are rejected.
    let mut next_allowed_unit = 0;
    while !rest.is_empty() {
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_end = rest[digits_end..]
            .find(|c: char| c.is_ascii_digit())
            .map_or(rest.len(), |i| digits_end + i);
        let (digits, unit) = (&rest[..digits_end], &rest[digits_end..unit_end]);
        if digits.is_empty() || unit.is_empty() {
            return Err(format!("`{text}` is not {DURATION_FORM}"));
        }
        let Some(index) = DURATION_UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!("unknown unit `{unit}` in `{text}`; expected {DURATION_FORM}"));
        };
        if index < next_allowed_unit {
            return Err(format!(
                "`{text}`: units must go from largest to smallest, each at most once"
            ));
        }
        next_allowed_unit = index + 1;
        let too_large = || format!("`{text}` is too large");
        let count: u64 = digits.parse().map_err(|_| too_large())?;
        let part = count.checked_mul(DURATION_UNITS[index].1).ok_or_else(too_large)?;
        millis = millis.checked_add(part).ok_or_else(too_large)?;
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_millis(millis))
}

/// Writes a duration the way [`parse_duration`] reads it, for messages (`1h30m`, `0`).
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in DURATION_UNITS {
        let size = u128::from(size);
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

const SIZE_UNITS: [(&str, u64); 5] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

pub const SIZE_FORM: &str =
    "a size like `512KiB`, `1MiB` or `1GiB` (units: B, KiB, MiB, GiB, TiB), or a number of bytes";

/// Parses `1048576`, `512KiB`, `1MiB`, `1GiB`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!("`{text}` is not {SIZE_FORM}"));
    }
    let multiplier = if unit.is_empty() {
        1
    } else if let Some((_, multiplier)) = SIZE_UNITS.iter().find(|(name, _)| *name == unit) {
        *multiplier
    } else if let Some((binary, _)) = SIZE_UNITS
        .iter()
        .find(|(name, _)| name.contains('i') && name.replace('i', "").eq_ignore_ascii_case(unit))
    {
        return Err(format!(
            "`{text}` is ambiguous (powers of 1000 or 1024?); write `{digits}{binary}` or a number of bytes"
        ));
    } else {
        return Err(format!("unknown unit `{unit}` in `{text}`; expected {SIZE_FORM}"));
    };
    let too_large = || format!("`{text}` is too large");
    let count: u64 = digits.parse().map_err(|_| too_large())?;
    count.checked_mul(multiplier).ok_or_else(too_large)
}

pub const NUMBER_FORM: &str = "a number like `0.9`, `50` or `2e-3`";

/// Parses a finite decimal number: an optional sign, digits with an optional decimal point,
/// and an optional exponent (`0.9`, `.5`, `50`, `-1`, `2e-3`).
pub fn parse_number(text: &str) -> Result<f64, String> {
    // `f64::from_str` also reads `inf`, `NaN` and `infinity`, which no setting means.
    let decimal = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    match text.parse::<f64>() {
        Ok(number) if decimal && number.is_finite() => Ok(number),
        Ok(_) if decimal => Err(format!("`{text}` is too large")),
        _ => Err(format!("expected {NUMBER_FORM}, found `{text}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn durations_in_each_unit_and_combined() {
        assert_eq!(parse_duration("30m"), Ok(secs(30 * 60)));
        assert_eq!(parse_duration("10s"), Ok(secs(10)));
        assert_eq!(parse_duration("1h30m"), Ok(secs(3600 + 30 * 60)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2d"), Ok(secs(2 * 86_400)));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(Duration::from_millis(((86_400 + 2 * 3600 + 3 * 60 + 4) * 1000) + 5))
        );
        assert_eq!(parse_duration("90s"), Ok(secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_without_a_unit_or_malformed_are_rejected_with_the_expected_form() {
        for bad in [
            "30", "abc", "", "m", "1.5h", "30 m", "-5m", "30min", "1h 30m", "1H", "s30",
        ] {
            let message = parse_duration(bad).expect_err(bad);
            assert!(
                message.contains("`30s`") || message.contains("units"),
                "{bad}: {message}"
            );
        }
        assert!(parse_duration("30").unwrap_err().contains("has no unit"));
        assert!(parse_duration("30min").unwrap_err().contains("unknown unit `min`"));
    }

    #[test]
    fn duration_units_must_descend_and_not_repeat() {
        assert!(parse_duration("30m1h").unwrap_err().contains("largest to smallest"));
        assert!(parse_duration("1m1m").unwrap_err().contains("largest to smallest"));
        assert!(parse_duration("1s1ms").is_ok());
    }

    #[test]
    fn duration_overflow_is_an_error_not_a_wrap() {
        // u64::MAX milliseconds fit; one day more does not.
        assert_eq!(
            parse_duration(&format!("{}ms", u64::MAX)),
            Ok(Duration::from_millis(u64::MAX))
        );
        assert!(
            parse_duration(&format!("{}d", u64::MAX / 86_400_000 + 1))
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_duration("99999999999999999999999s")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_duration(&format!("{}d1ms", u64::MAX / 86_400_000)).is_ok());
        assert!(
            parse_duration(&format!("{}d{}ms", u64::MAX / 86_400_000, u64::MAX))
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn formatted_durations_read_back() {
        for millis in [0, 1, 999, 1000, 61_000, 3_600_000 + 1, 86_400_000 * 3 + 5, u64::MAX] {
            let duration = Duration::from_millis(millis);
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration), "{millis}");
        }
        assert_eq!(format_duration(secs(3600 + 15 * 60)), "1h15m");
    }

    #[test]
    fn numbers_are_finite_decimals() {
        assert_eq!(parse_number("0.9"), Ok(0.9));
        assert_eq!(parse_number("0.90"), Ok(0.9));
        assert_eq!(parse_number(".5"), Ok(0.5));
        assert_eq!(parse_number("50"), Ok(50.0));
        assert_eq!(parse_number("-1"), Ok(-1.0));
        assert_eq!(parse_number("+1.5"), Ok(1.5));
        assert_eq!(parse_number("2e-3"), Ok(0.002));
        assert_eq!(parse_number("1E2"), Ok(100.0));
        for bad in [
            "", "inf", ".inf", "NaN", "infinity", "1_000", "0,5", "1.2.3", "e", "-", "1e", "0x10", " 1",
        ] {
            let message = parse_number(bad).expect_err(bad);
            assert!(message.starts_with("expected a number like"), "{bad}: {message}");
        }
        assert_eq!(parse_number("1e400"), Err("`1e400` is too large".to_owned()));
    }

    #[test]
    fn sizes_in_binary_units_and_plain_bytes() {
        assert_eq!(parse_size("1MiB"), Ok(1024 * 1024));
        assert_eq!(parse_size("128MiB"), Ok(128 * 1024 * 1024));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_size("2TiB"), Ok(2 * 1024u64.pow(4)));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("0"), Ok(0));
    }

    #[test]
    fn decimal_and_unknown_size_units_are_rejected() {
        assert!(parse_size("1MB").unwrap_err().contains("write `1MiB`"));
        assert!(parse_size("5kb").unwrap_err().contains("write `5KiB`"));
        assert!(parse_size("1mib").unwrap_err().contains("unknown unit"));
        for bad in ["", "MiB", "1.5MiB", "1 MiB", "-1", "abc", "1MiBs"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn size_overflow_is_an_error_not_a_wrap() {
        assert_eq!(parse_size(&u64::MAX.to_string()), Ok(u64::MAX));
        assert!(parse_size("18446744073709551616").unwrap_err().contains("too large"));
        assert_eq!(parse_size("16777215TiB"), Ok(16_777_215 * (1 << 40)));
        assert!(parse_size("16777216TiB").unwrap_err().contains("too large"));
    }
}
