//! Integration tests of convolens-generator: the output is parsed back and checked
//! against EVENTS.md by an independent checker, and its statistics are recomputed here.

mod checker;
mod drift;
mod realism;
mod stream;

use std::time::Duration;

use convolens_core::Timestamp;
use convolens_generator::{Generator, GeneratorConfig, Line, LineKind};
use serde_json::{Map, Value};

/// 2026-11-02T00:00:00Z, a Monday.
pub const MONDAY_MS: i64 = 1_793_577_600_000;

pub fn config(conversations: u64) -> GeneratorConfig {
    GeneratorConfig {
        seed: 7,
        conversations,
        start: Timestamp::from_millis(MONDAY_MS),
        span: Duration::from_secs(86_400),
        ..GeneratorConfig::default()
    }
}

pub fn lines(config: GeneratorConfig) -> Vec<Line> {
    Generator::new(config).expect("valid config").collect()
}

/// A valid line, parsed.
pub struct Parsed {
    pub kind: LineKind,
    pub object: Map<String, Value>,
    pub occurred_at_ms: i64,
    pub arrival_ms: f64,
}

impl Parsed {
    pub fn str(&self, field: &str) -> &str {
        self.object.get(field).and_then(Value::as_str).unwrap_or("")
    }

    pub fn f64(&self, field: &str) -> Option<f64> {
        self.object.get(field).and_then(Value::as_f64)
    }
}

/// The valid lines (first deliveries and duplicates), parsed; panics on a line whose
/// validity disagrees with its kind.
pub fn valid(lines: &[Line]) -> Vec<Parsed> {
    lines
        .iter()
        .filter_map(|line| match (line.kind, checker::check(&line.bytes)) {
            (LineKind::Invalid(_), Ok(_)) => panic!("invalid line accepted: {}", String::from_utf8_lossy(&line.bytes)),
            (LineKind::Invalid(_), Err(_)) => None,
            (_, Err(reason)) => panic!(
                "valid line rejected ({reason}): {}",
                String::from_utf8_lossy(&line.bytes)
            ),
            (kind, Ok(object)) => {
                let occurred_at_ms = checker::occurred_at(object.get("occurred_at")).expect("checked");
                Some(Parsed {
                    kind,
                    object,
                    occurred_at_ms,
                    arrival_ms: line.arrival.micros() as f64 / 1000.0,
                })
            }
        })
        .collect()
}

/// First deliveries only.
pub fn events(lines: &[Line]) -> Vec<Parsed> {
    valid(lines).into_iter().filter(|p| p.kind == LineKind::Event).collect()
}
