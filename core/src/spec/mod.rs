//! `pipelines.yaml`: YAML text → a tree of nodes that remember their line and column →
//! the validated [`Config`] that runtime code uses ([`compile_str`]). Compilation reports
//! every error at once, each with its line and column ([`ConfigErrors`]).
//!
//! The file format itself (keys, types, documentation) is described once, by the serde
//! types of [`raw`]; [`json_schema`] is generated from them and the compiler checks each
//! mapping's keys against them. `docs/pipelines.md` is the reference for users.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

mod compile;
mod interpolate;
mod node;
pub mod raw;
mod reader;
mod suggest;
#[cfg(test)]
mod tests;
mod units;

pub use compile::{ConfigError, ConfigErrors, compile_str, json_schema};

/// A validated configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// In file order.
    pub pipelines: Vec<Pipeline>,
}

impl Config {
    pub fn pipeline(&self, name: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.name == name)
    }
}

/// One pipeline: a source, the transforms' settings, and a lake.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub name: String,
    pub source: SourceSpec,
    /// Lake root directory.
    pub lake: PathBuf,
    pub sessionization: SessionSettings,
    pub limits: Limits,
    pub redaction: RedactionSettings,
    pub lake_files: LakeFileSettings,
    /// How often offsets and files are committed in streaming mode (default 10 s).
    pub commit_interval: Duration,
    /// Kafka topic that also receives dead letters, if set.
    pub dead_letter_topic: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Kafka(KafkaSource),
    Files { paths: Vec<PathBuf> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct KafkaSource {
    pub brokers: Vec<String>,
    pub topics: Vec<String>,
    pub group: String,
    pub start_from: StartFrom,
    /// Passed to librdkafka as is: `security.protocol`, `sasl.*`, `ssl.*`, ….
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    #[default]
    Earliest,
    Latest,
}

/// Event-time settings of sessionisation and de-duplication.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    /// A conversation with no event for this long (event time) is closed (default 30m).
    pub idle_timeout: Duration,
    /// How far behind the highest event time seen the watermark trails (default 15m).
    pub allowed_lateness: Duration,
    /// How long after the watermark passes them event ids, and closed conversations,
    /// are remembered (default 24h). Must be at least idle_timeout + allowed_lateness.
    pub dedup_horizon: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout: Duration::from_secs(30 * 60),
            allowed_lateness: Duration::from_secs(15 * 60),
            dedup_horizon: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Larger records are dead-lettered (default 1 MiB).
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_event_bytes: 1024 * 1024,
        }
    }
}

/// PII redaction of free text before it lands.
#[derive(Debug, Clone, PartialEq)]
pub struct RedactionSettings {
    pub emails: bool,
    pub phones: bool,
    /// Digit runs that pass the Luhn check.
    pub payment_cards: bool,
    /// Extra patterns: (name, regex), each already checked to compile.
    pub patterns: Vec<NamedPattern>,
}

impl Default for RedactionSettings {
    fn default() -> Self {
        RedactionSettings {
            emails: true,
            phones: true,
            payment_cards: true,
            patterns: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedPattern {
    pub name: String,
    pub regex: String,
}

/// When a lake file is rolled (closed, renamed into place).
#[derive(Debug, Clone, PartialEq)]
pub struct LakeFileSettings {
    pub max_rows: usize,
    pub max_bytes: u64,
    pub max_age: Duration,
}

impl Default for LakeFileSettings {
    fn default() -> Self {
        LakeFileSettings {
            max_rows: 1_000_000,
            max_bytes: 128 * 1024 * 1024,
            max_age: Duration::from_secs(60),
        }
    }
}
