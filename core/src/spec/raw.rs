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
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock, PoisonError};

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
    /// Confidence calibration of the intent model and its recalibration.
    pub calibration: Option<RawCalibration>,
    /// Drift of the current window against a reference: features, text and KPI series.
    pub drift: Option<RawDrift>,
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCalibration {
    /// Equal-width confidence bins of ECE, MCE and ACE. Default `10`.
    pub bins: Option<RawCount>,
    /// Accuracy, in (0, 1], that pairs at or above the recommended handoff threshold must
    /// reach. Default `0.90`.
    #[schemars(extend("exclusiveMinimum" = 0, "maximum" = 1))]
    pub target_accuracy: Option<RawNumber>,
    /// Held-out labelled pairs a predicted intent needs for a handoff threshold of its own;
    /// intents with fewer use the overall threshold. Default `200`.
    pub min_intent_support: Option<RawCount>,
    /// The recalibration map fitted. Default `isotonic`.
    pub method: Option<RawCalibrationMethod>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawCalibrationMethod {
    /// Platt scaling: logistic regression on logit(confidence).
    Platt,
    /// Isotonic regression: a non-decreasing step function.
    Isotonic,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDrift {
    /// What the current window is compared with: exactly one of `profile` or `rolling`.
    /// Default `rolling: 7d`.
    pub reference: Option<RawDriftReference>,
    /// Length of the current window of streaming drift metrics. Default `1h`.
    pub window: Option<RawDuration>,
    /// Values each side needs for a verdict; fewer gives `insufficient_data`. Default `100`.
    pub min_count: Option<RawCount>,
    /// Numeric bins, frozen from the reference's quantiles (at least 2). Default `10`.
    #[schemars(extend("minimum" = 2))]
    pub bins: Option<RawCount>,
    /// Overrides of a feature's verdict rule, keyed by feature name. Default: numeric features
    /// `wasserstein_norm` ≥ 0.1, categorical ones `js` ≥ 0.1.
    #[schemars(extend("propertyNames" = { "enum": [
        "intent", "model_version", "confidence", "tool_latency_ms", "message_length", "channel",
        "handoff_reason", "disposition", "customer_messages", "bot_time_s", "handle_time_s", "kb_miss_rate"
    ] }))]
    pub features: Option<BTreeMap<String, RawDriftFeature>>,
    /// Drift of free text, by a classifier that tells reference texts from current ones.
    pub text: Option<RawTextDrift>,
    /// Change detectors on per-window KPI series.
    pub detectors: Option<RawDetectors>,
}

/// The reference sample of drift comparisons.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawDriftReference {
    /// A reference profile written by `convolens drift profile`; a relative path is relative
    /// to the lake.
    Profile(String),
    /// The window of this length just before the current window, e.g. `7d`.
    Rolling(RawDuration),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDriftFeature {
    /// The statistic that decides the verdict; `ks_p` and `wasserstein_norm` are for numeric
    /// features only. Default `wasserstein_norm` (numeric) or `js` (categorical).
    pub method: Option<RawDriftMethod>,
    /// Drift when the statistic is at least this (for `ks_p`, a p-value in (0, 1): below
    /// this). Default `0.1` (`0.05` for `ks_p`).
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub threshold: Option<RawNumber>,
    /// Whether the feature is computed and reported. Default `true`.
    pub enabled: Option<RawFlag>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawDriftMethod {
    /// Population stability index.
    Psi,
    /// Jensen–Shannon distance, base 2, in [0, 1].
    Js,
    /// Kolmogorov–Smirnov p-value (numeric only).
    KsP,
    /// Wasserstein distance divided by the reference's standard deviation (numeric only).
    WassersteinNorm,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTextDrift {
    /// Whether text drift is computed. Default `true`.
    pub enabled: Option<RawFlag>,
    /// Drift when the classifier's held-out ROC AUC is above this, in (0.5, 1). Default `0.55`.
    #[schemars(extend("exclusiveMinimum" = 0.5, "exclusiveMaximum" = 1))]
    pub auc_threshold: Option<RawNumber>,
    /// Texts sampled per side, every k-th (at least 2). Default `20000`.
    #[schemars(extend("minimum" = 2))]
    pub max_rows: Option<RawCount>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDetectors {
    /// The per-window series watched, each at most once; `[]` watches none. Default: all three.
    pub series: Option<Vec<RawKpiSeries>>,
    /// ADWIN (adaptive windowing) on each series.
    pub adwin: Option<RawAdwin>,
    /// Page-Hinkley test on each series.
    pub page_hinkley: Option<RawPageHinkley>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawKpiSeries {
    ContainmentRate,
    EscalationRate,
    MeanConfidence,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdwin {
    /// Confidence δ in (0, 1): the false-alarm probability bound per step. Default `0.002`.
    #[schemars(extend("exclusiveMinimum" = 0, "exclusiveMaximum" = 1))]
    pub delta: Option<RawNumber>,
    /// Width of the interval the values live in (> 0). Default `1`, for rates and shares.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub value_range: Option<RawNumber>,
    /// Shortest sub-window a cut may leave on either side. Default `5`.
    pub min_window: Option<RawCount>,
    /// Longest window kept, at least 2 × `min_window`. Default `10000`.
    pub max_window: Option<RawCount>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPageHinkley {
    /// Drift of the mean tolerated per value (≥ 0), in the series' units. Default `0.005`.
    #[schemars(extend("minimum" = 0))]
    pub delta: Option<RawNumber>,
    /// Alarm threshold on the cumulative deviation (> 0), in the series' units. Default `0.5`.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub lambda: Option<RawNumber>,
    /// Values needed since the last alarm before the test may fire. Default `30`.
    pub min_instances: Option<RawCount>,
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

/// A decimal number (`0.9`, `50`, `2e-3`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawNumber {
    Number(f64),
    Interpolated(String),
}

impl JsonSchema for RawNumber {
    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [{ "type": "number" }, { "type": "string", "pattern": INTERPOLATION_PATTERN }]
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
    // Generating a schema also generates those of every type below it, and the compiler
    // asks once per mapping it reads, so each type's keys are worked out once per process.
    static KEYS: OnceLock<Mutex<HashMap<Cow<'static, str>, Vec<String>>>> = OnceLock::new();
    let mut keys = KEYS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    keys.entry(T::schema_id()).or_insert_with(schema_keys::<T>).clone()
}

fn schema_keys<T: JsonSchema>() -> Vec<String> {
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
