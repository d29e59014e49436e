//! The file format as serde sees it: every key, its type and its documentation, before any
//! validation.
//!
//! These types are the single description of which keys exist. [`super::json_schema`] is
//! generated from them, and the compiler checks the keys of each YAML mapping against the
//! type that describes it ([`keys_of`]), so the schema editors see and the keys
//! `convolens validate` accepts cannot drift apart. The compiler itself reads a positioned
//! node tree rather than these structs, so it can report every error at once with its line.
//!
//! Values that may come from `${VAR}` interpolation but are not strings (durations, sizes,
//! counts, flags) have their own types whose schema also admits a string containing `${`.
//!
//! Adding a section: a struct here, a field for it in [`RawPipeline`], and a compile
//! function in `compile.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A `pipelines.yaml` file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "convolens pipelines.yaml")]
pub struct RawFile {
    /// Version of this file format; must be `1`.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The pipelines, keyed by name (lowercase letters, digits, `_` and `-`). They run in
    /// file order.
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z0-9_-]+$" }, "minProperties" = 1))]
    pub pipelines: BTreeMap<String, RawPipeline>,
}

/// One pipeline: where events come from, how they are processed, and the lake they land in.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    /// Where events come from: exactly one of `kafka` or `files`.
    pub source: RawSource,
    /// Lake root directory (created if missing).
    pub lake: String,
    /// Event-time windows of sessionisation and de-duplication.
    pub sessionization: Option<RawSessionization>,
    /// Limits on input records.
    pub limits: Option<RawLimits>,
    /// PII redaction of free text before it lands.
    pub redaction: Option<RawRedaction>,
    /// When a lake file is rolled (closed and renamed into place).
    pub lake_files: Option<RawLakeFiles>,
    /// How often offsets and lake files are committed in streaming mode. Default `10s`.
    pub commit_interval: Option<RawDuration>,
    /// Kafka topic that also receives dead letters (invalid records with their reason).
    /// Default: none; dead letters always land in the lake's dead-letter table.
    pub dead_letter_topic: Option<String>,
}

/// Where events come from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawSource {
    /// Consume Kafka topics.
    Kafka(RawKafka),
    /// Replay NDJSON files (`.gz` and `.zst` accepted).
    Files(RawFiles),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// Bootstrap brokers (`host:port`): a list, or a comma-separated string; each list item
    /// may itself be comma-separated, so `["${BROKERS}"]` works with `BROKERS=a:9092,b:9092`.
    pub brokers: RawBrokers,
    /// Topics to consume (at least one).
    #[schemars(length(min = 1))]
    pub topics: Vec<String>,
    /// Consumer group id.
    pub group: String,
    /// Where a group with no committed offset starts. Default `earliest`.
    pub start_from: Option<RawStartFrom>,
    /// Extra librdkafka properties passed as is: `security.protocol`, `sasl.*`, `ssl.*`, ….
    /// `bootstrap.servers`, `group.id` and `auto.offset.reset` are set from `brokers`,
    /// `group` and `start_from` instead.
    #[schemars(extend("additionalProperties" = { "type": ["string", "number", "boolean"] }))]
    pub properties: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawBrokers {
    List(Vec<String>),
    CommaSeparated(String),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawStartFrom {
    /// The oldest retained offset.
    Earliest,
    /// Only events produced after the group first starts.
    Latest,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFiles {
    /// NDJSON files to replay, in order (`-` is stdin).
    #[schemars(length(min = 1))]
    pub paths: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSessionization {
    /// A conversation with no event for this long (event time) is closed. Default `30m`.
    pub idle_timeout: Option<RawDuration>,
    /// How far the watermark trails the highest event time seen; later events are
    /// dead-lettered as too late. Default `15m`.
    pub allowed_lateness: Option<RawDuration>,
    /// How long event ids and closed conversations are remembered after the watermark
    /// passes them. At least `idle_timeout` + `allowed_lateness`. Default `24h`.
    pub dedup_horizon: Option<RawDuration>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Larger input records are dead-lettered. Default `1MiB`.
    pub max_event_bytes: Option<RawSize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRedaction {
    /// Redact email addresses. Default `true`.
    pub emails: Option<RawFlag>,
    /// Redact phone numbers. Default `true`.
    pub phones: Option<RawFlag>,
    /// Redact digit runs that pass the Luhn check (payment card numbers). Default `true`.
    pub payment_cards: Option<RawFlag>,
    /// Extra patterns to redact, each with a unique name.
    pub patterns: Option<Vec<RawPattern>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPattern {
    /// Lowercase letters and `_`, unique within the pipeline; upper-cased, it is the tag
    /// that replaces a match (`account_number` → `[ACCOUNT_NUMBER]`).
    #[schemars(regex(pattern = r"^[a-z_]+$"))]
    pub name: String,
    /// A Rust `regex` crate regular expression. Single-quote it in YAML so `\` stays as is.
    pub regex: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLakeFiles {
    /// Roll a file after this many rows. Default `1000000`.
    pub max_rows: Option<RawCount>,
    /// Roll a file once it is about this large. Default `128MiB`.
    pub max_bytes: Option<RawSize>,
    /// Roll a file this long after its first row. Default `1m`.
    pub max_age: Option<RawDuration>,
}

/// A duration: whole numbers with units, largest first (`500ms`, `10s`, `30m`, `1h30m`, `2d`).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RawDuration(pub String);

impl JsonSchema for RawDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Whole numbers with units d, h, m, s, ms, largest first: `500ms`, `10s`, `30m`, `1h30m`, `2d`.",
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["30m", "1h30m", "500ms"]
        })
    }
}

/// A byte size: a number of bytes, or a whole number with a binary unit (`512KiB`, `1MiB`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawSize {
    Bytes(u64),
    WithUnit(String),
}

impl JsonSchema for RawSize {
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of bytes, or a whole number with a unit B, KiB, MiB, GiB, TiB: `512KiB`, `1MiB`.",
            "anyOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "string", "pattern": SIZE_PATTERN }
            ],
            "examples": ["1MiB", "128MiB"]
        })
    }
}

/// A whole number, at least 1.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawCount {
    Number(u64),
    Interpolated(String),
}

impl JsonSchema for RawCount {
    fn schema_name() -> Cow<'static, str> {
        "Count".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [{ "type": "integer", "minimum": 1 }, { "type": "string", "pattern": INTERPOLATION_PATTERN }]
        })
    }
}

/// `true` or `false`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawFlag {
    Bool(bool),
    Interpolated(String),
}

impl JsonSchema for RawFlag {
    fn schema_name() -> Cow<'static, str> {
        "Flag".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [{ "type": "boolean" }, { "type": "string", "pattern": INTERPOLATION_PATTERN }]
        })
    }
}

/// A string an editor cannot check because it is filled in from the environment.
const INTERPOLATION_PATTERN: &str = r"\$\{";
const DURATION_PATTERN: &str = r"^(0|([0-9]+(d|h|m|s|ms))+)$|\$\{";
const SIZE_PATTERN: &str = r"^[0-9]+(B|KiB|MiB|GiB|TiB)?$|\$\{";

/// The keys a YAML mapping described by `T` may have: the properties of its schema (for an
/// enum like [`RawSource`], of every variant).
pub fn keys_of<T: JsonSchema>() -> Vec<String> {
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    let variants = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|keyword| schema.get(*keyword).and_then(|v| v.as_array()))
        .flatten();
    std::iter::once(schema.as_value())
        .chain(variants)
        .filter_map(|s| s.get("properties").and_then(|p| p.as_object()))
        .flat_map(|properties| properties.keys().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::units::{parse_duration, parse_size};

    #[test]
    fn keys_of_a_struct_are_its_fields_and_of_an_enum_its_variants() {
        let mut session_keys = keys_of::<RawSessionization>();
        session_keys.sort();
        assert_eq!(session_keys, ["allowed_lateness", "dedup_horizon", "idle_timeout"]);
        let mut source_keys = keys_of::<RawSource>();
        source_keys.sort();
        assert_eq!(source_keys, ["files", "kafka"]);
    }

    #[test]
    fn schema_patterns_agree_with_the_parsers_on_examples() {
        let duration = regex::Regex::new(DURATION_PATTERN).expect("pattern compiles");
        for text in [
            "30m",
            "10s",
            "1h30m",
            "500ms",
            "2d",
            "0",
            "30",
            "abc",
            "1.5h",
            "30min",
            "${IDLE:-30m}",
        ] {
            let interpolated = text.contains("${");
            assert_eq!(
                duration.is_match(text),
                interpolated || parse_duration(text).is_ok(),
                "{text}"
            );
        }
        let size = regex::Regex::new(SIZE_PATTERN).expect("pattern compiles");
        for text in [
            "1MiB",
            "128MiB",
            "512KiB",
            "1GiB",
            "1048576",
            "1MB",
            "1.5GiB",
            "x",
            "${MAX:-1MiB}",
        ] {
            let interpolated = text.contains("${");
            assert_eq!(size.is_match(text), interpolated || parse_size(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn the_shipped_file_has_the_shape_these_types_describe() {
        let file: RawFile =
            serde_saphyr::from_str(include_str!("../../../pipelines.yaml")).expect("pipelines.yaml deserializes");
        let support = file.pipelines.get("support").expect("support pipeline");
        assert!(matches!(support.source, RawSource::Kafka(_)));
    }
}
