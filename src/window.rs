//! Analysis windows of INTERFACE.md: `FROM..TO`, each a date (`2026-11-01`, midnight UTC)
//! or an RFC 3339 timestamp, half-open [FROM, TO). Either side may be left empty for an
//! open end (`2026-11-01..` is everything from that day on), which INTERFACE.md does not
//! forbid and schedulers find handy.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("window `{0}` is not FROM..TO (each a date like 2026-11-01 or an RFC 3339 timestamp)")]
    Shape(String),
    #[error("window bound `{0}` is neither a date (2026-11-01) nor an RFC 3339 timestamp")]
    Bound(String),
    #[error("window `{0}` is empty: FROM must be before TO")]
    Empty(String),
}

fn parse_bound(text: &str) -> Result<Option<DateTime<Utc>>, WindowError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Some(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| WindowError::Bound(text.to_string()))
}

impl FromStr for Window {
    type Err = WindowError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (from, to) = text
            .split_once("..")
            .ok_or_else(|| WindowError::Shape(text.to_string()))?;
        let window = Window {
            from: parse_bound(from)?,
            to: parse_bound(to)?,
        };
        if let (Some(from), Some(to)) = (window.from, window.to)
            && from >= to
        {
            return Err(WindowError::Empty(text.to_string()));
        }
        Ok(window)
    }
}

impl Window {
    pub const ALL: Window = Window { from: None, to: None };

    /// A SQL predicate selecting `column` (a UTC timestamp) inside the window, plus a
    /// predicate on the Hive `date` partition when `partition_date` names one, so that the
    /// scan skips whole days.
    pub fn sql_predicate(&self, column: &str, partition_date: Option<&str>) -> String {
        let mut terms = vec!["TRUE".to_string()];
        if let Some(from) = self.from {
            terms.push(format!("{column} >= {}", timestamp_literal(from)));
            if let Some(date) = partition_date {
                terms.push(format!("{date} >= DATE '{}'", from.date_naive()));
            }
        }
        if let Some(to) = self.to {
            terms.push(format!("{column} < {}", timestamp_literal(to)));
            if let Some(date) = partition_date {
                terms.push(format!("{date} <= DATE '{}'", to.date_naive()));
            }
        }
        terms.join(" AND ")
    }

    /// The window in UTC microseconds, half-open as [`Window::sql_predicate`]'s time terms
    /// select (an open end is the end of the representable range), for loops over
    /// millions of rows that should not convert the bounds per row.
    pub fn micros(&self) -> std::ops::Range<i64> {
        self.from.map_or(i64::MIN, |t| t.timestamp_micros())..self.to.map_or(i64::MAX, |t| t.timestamp_micros())
    }

    /// Whether a Hive `date` partition of `day` can hold rows of the window: the days
    /// [`Window::sql_predicate`]'s partition terms keep (the end's day included, for a
    /// window that ends after its midnight).
    pub fn may_hold_day(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| day >= from.date_naive()) && self.to.is_none_or(|to| day <= to.date_naive())
    }

    #[cfg(test)]
    fn contains(&self, at: DateTime<Utc>) -> bool {
        self.micros().contains(&at.timestamp_micros())
    }
}

fn timestamp_literal(at: DateTime<Utc>) -> String {
    format!(
        "arrow_cast('{}', 'Timestamp(Microsecond, Some(\"UTC\"))')",
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        write!(
            f,
            "{}..{}",
            side(self.from).unwrap_or_default(),
            side(self.to).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_parse_half_open() {
        let w: Window = "2026-11-01..2026-11-02T12:00:00+02:00".parse().unwrap();
        assert_eq!(w.to_string(), "2026-11-01T00:00:00Z..2026-11-02T10:00:00Z");
        assert!(w.contains("2026-11-01T00:00:00Z".parse().unwrap()));
        assert!(!w.contains("2026-11-02T10:00:00Z".parse().unwrap()));
        let open: Window = "2026-11-01..".parse().unwrap();
        assert!(open.to.is_none() && open.contains("2030-01-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn malformed_windows_say_why() {
        assert!(matches!("2026-11-01".parse::<Window>(), Err(WindowError::Shape(_))));
        assert!(matches!("2026-13-01..".parse::<Window>(), Err(WindowError::Bound(_))));
        assert!(matches!(
            "2026-11-02..2026-11-01".parse::<Window>(),
            Err(WindowError::Empty(_))
        ));
    }
}
