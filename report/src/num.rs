//! Fixed-precision number formatting, so the same input always gives the same bytes.

/// A coordinate: at most two decimals, trailing zeros dropped, never `-0`.
pub(crate) fn coord(v: f64) -> String {
    fixed_trimmed(v, 2)
}

/// `v` with exactly `decimals` decimals, never `-0.00`.
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `v` with at most `decimals` decimals, trailing zeros dropped.
pub(crate) fn fixed_trimmed(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value for a label: three significant decimals for small magnitudes, fewer for large
/// ones, thousands as `12,345`.
pub(crate) fn value(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 || (a > 0.0 && a < 1e-3) {
        scientific(v)
    } else if a >= 10_000.0 {
        let rounded = fixed(v, 0);
        group_thousands(&rounded)
    } else if a >= 100.0 {
        fixed(v, 1)
    } else if a >= 1.0 {
        fixed(v, 2)
    } else {
        fixed(v, 3)
    }
}

/// `v` as `1.23e-7`: for magnitudes whose fixed form would be too long or all zeros.
pub(crate) fn scientific(v: f64) -> String {
    let s = format!("{v:.2e}");
    if s.starts_with("-0.00e") { s[1..].to_string() } else { s }
}

/// A signed value such as a correlation: `+0.420` / `−0.130` (with a real minus sign).
pub(crate) fn signed(v: f64) -> String {
    let s = value(v);
    if let Some(rest) = s.strip_prefix('-') {
        format!("\u{2212}{rest}")
    } else if s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

/// A share in [0, 1] as a percentage with one decimal.
pub(crate) fn percent(v: f64) -> String {
    format!("{}%", fixed(v * 100.0, 1))
}

/// An integer count with thousands separators.
pub(crate) fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// A count for a tick label: `950`, `1.5k`, `12k`, `3.4M`.
pub(crate) fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", fixed_trimmed(v / 1e6, 1))
    } else if a >= 1e3 {
        format!("{}k", fixed_trimmed(v / 1e3, 1))
    } else {
        fixed_trimmed(v, 1)
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_trimmed_and_never_negative_zero() {
        assert_eq!(coord(150.0), "150");
        assert_eq!(coord(12.345), "12.35");
        assert_eq!(coord(-0.001), "0");
        assert_eq!(coord(0.5), "0.5");
    }

    #[test]
    fn values_and_counts() {
        assert_eq!(value(0.12345), "0.123");
        assert_eq!(value(1.23456), "1.23");
        assert_eq!(value(123456.7), "123,457");
        assert_eq!(value(0.0), "0.000");
        assert_eq!(value(0.00012), "1.20e-4");
        assert_eq!(value(-3.5e12), "-3.50e12");
        assert_eq!(signed(-0.25), "\u{2212}0.250");
        assert_eq!(signed(0.25), "+0.250");
        assert_eq!(signed(0.0), "0.000");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(compact(1500.0), "1.5k");
        assert_eq!(compact(12000.0), "12k");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(3_400_000.0), "3.4M");
    }
}
