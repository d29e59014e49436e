//! Invalid input: kept whole, with the reason, never dropped silently.

use std::fmt;

use crate::position::SourcePosition;
use crate::time::Timestamp;

/// Why an input was dead-lettered. `code()` is the stable machine-readable reason that
/// lands in the `dead_letters.reason` column; `Display` adds the specifics.
#[derive(Debug, Clone, PartialEq)]
pub enum InvalidReason {
    NotUtf8 {
        valid_up_to: usize,
    },
    NotJson {
        detail: String,
    },
    NotAnObject {
        found: &'static str,
    },
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    MissingField {
        field: &'static str,
    },
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    EmptyField {
        field: &'static str,
    },
    TooLong {
        field: &'static str,
        limit: usize,
    },
    BadTimestamp {
        field: &'static str,
        detail: String,
    },
    TimestampOutOfRange {
        field: &'static str,
    },
    ConfidenceOutOfRange,
    ScoreOutOfRange {
        score: i64,
        scale: i64,
    },
    OutOfRange {
        field: &'static str,
        detail: String,
    },
    UnknownEnumValue {
        field: &'static str,
        value: String,
        allowed: &'static [&'static str],
    },
    UnsupportedSchemaVersion {
        version: i64,
        supported: i64,
    },
    /// Older than the de-duplication horizon behind the watermark: uniqueness can no
    /// longer be checked, so it is kept here instead of risking a double count.
    TooLate {
        occurred_at: Timestamp,
        watermark: Timestamp,
    },
}

impl InvalidReason {
    pub fn code(&self) -> &'static str {
        match self {
            InvalidReason::NotUtf8 { .. } => "not_utf8",
            InvalidReason::NotJson { .. } => "not_json",
            InvalidReason::NotAnObject { .. } => "not_an_object",
            InvalidReason::TooLarge { .. } => "too_large",
            InvalidReason::MissingField { .. } => "missing_field",
            InvalidReason::WrongType { .. } => "wrong_type",
            InvalidReason::EmptyField { .. } => "empty_field",
            InvalidReason::TooLong { .. } => "too_long",
            InvalidReason::BadTimestamp { .. } => "bad_timestamp",
            InvalidReason::TimestampOutOfRange { .. } => "timestamp_out_of_range",
            InvalidReason::ConfidenceOutOfRange => "confidence_out_of_range",
            InvalidReason::ScoreOutOfRange { .. } => "score_out_of_range",
            InvalidReason::OutOfRange { .. } => "out_of_range",
            InvalidReason::UnknownEnumValue { .. } => "unknown_enum_value",
            InvalidReason::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            InvalidReason::TooLate { .. } => "too_late",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidReason::NotUtf8 { valid_up_to } => {
                write!(f, "not UTF-8 (invalid byte after {valid_up_to} valid bytes)")
            }
            InvalidReason::NotJson { detail } => write!(f, "not JSON: {detail}"),
            InvalidReason::NotAnObject { found } => write!(f, "JSON is {found}, not an object"),
            InvalidReason::TooLarge { bytes, limit } => {
                write!(f, "record of {bytes} bytes exceeds the limit of {limit}")
            }
            InvalidReason::MissingField { field } => write!(f, "required field `{field}` is missing"),
            InvalidReason::WrongType { field, expected } => write!(f, "field `{field}` must be {expected}"),
            InvalidReason::EmptyField { field } => write!(f, "field `{field}` is empty"),
            InvalidReason::TooLong { field, limit } => write!(f, "field `{field}` is longer than {limit}"),
            InvalidReason::BadTimestamp { field, detail } => write!(
                f,
                "field `{field}` is not RFC 3339 with an offset or epoch milliseconds: {detail}"
            ),
            InvalidReason::TimestampOutOfRange { field } => write!(f, "field `{field}` is outside 1970-2200"),
            InvalidReason::ConfidenceOutOfRange => write!(f, "field `confidence` must be a finite number in [0, 1]"),
            InvalidReason::ScoreOutOfRange { score, scale } => write!(f, "field `score` {score} is not in 1..={scale}"),
            InvalidReason::OutOfRange { field, detail } => write!(f, "field `{field}` {detail}"),
            InvalidReason::UnknownEnumValue { field, value, allowed } => {
                write!(f, "field `{field}` is {value:?}, not one of {}", allowed.join("|"))
            }
            InvalidReason::UnsupportedSchemaVersion { version, supported } => {
                write!(
                    f,
                    "schema_version {version} is newer than this build supports ({supported})"
                )
            }
            InvalidReason::TooLate { occurred_at, watermark } => write!(
                f,
                "occurred_at {occurred_at} is older than the de-duplication horizon behind the watermark {watermark}"
            ),
        }
    }
}

/// One rejected input record.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub raw: Vec<u8>,
    pub reason: InvalidReason,
    pub position: SourcePosition,
    pub received_at: Timestamp,
}
