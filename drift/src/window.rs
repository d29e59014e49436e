//! A time window as the CLI writes it, `FROM..TO` (INTERFACE.md: each side a date or an RFC 3339
//! timestamp, half-open, UTC). This crate never interprets the two sides: the lake reader does;
//! here they are labels carried into profiles and reports, serialised in the same `FROM..TO`
//! form the user typed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DriftError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: String,
    pub to: String,
}

impl Window {
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }

    /// Parses `FROM..TO`. Neither a date nor an RFC 3339 timestamp contains `..`, so the one
    /// separator is unambiguous; both sides must be non-empty.
    pub fn parse(text: &str) -> Result<Self, DriftError> {
        match text.split_once("..") {
            Some((from, to)) if !from.is_empty() && !to.is_empty() && !to.contains("..") => Ok(Self::new(from, to)),
            _ => Err(DriftError::InvalidInput {
                reason: format!("window `{text}` is not FROM..TO"),
            }),
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Window::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps_and_prints_them_back() {
        let window = Window::parse("2026-11-01..2026-11-08").expect("two dates");
        assert_eq!(window, Window::new("2026-11-01", "2026-11-08"));
        let stamps = "2026-11-01T00:00:00.5Z..2026-11-01T12:00:00+01:00";
        assert_eq!(Window::parse(stamps).expect("two timestamps").to_string(), stamps);
        assert_eq!(
            serde_json::to_string(&window).expect("serialisable"),
            r#""2026-11-01..2026-11-08""#
        );
        let back: Window = serde_json::from_str(r#""a..b""#).expect("parses");
        assert_eq!(back, Window::new("a", "b"));
    }

    #[test]
    fn rejects_what_is_not_from_to() {
        for bad in ["2026-11-01", "..2026-11-08", "2026-11-01..", "a..b..c", ""] {
            assert!(Window::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Window>(r#""a.b""#).is_err());
    }
}
