//! `pipelines.yaml`: YAML text → a tree of nodes that remember their line and column →
//! the validated [`Config`] that runtime code uses ([`compile_str`]). Compilation reports
//! every error at once, each with its line and column ([`ConfigErrors`]).
//!
//! The file format itself (keys, types, documentation) is described once, by the serde
//! types of [`raw`]; [`json_schema`] is generated from them and the compiler checks each
//! mapping's keys against them. `docs/pipelines.md` is the reference for users.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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
    /// Confidence calibration of the intent model (defaults when the section is absent).
    pub calibration: CalibrationSettings,
    /// Drift of the current window against a reference (defaults when the section is absent).
    pub drift: DriftSettings,
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

/// Confidence calibration of the intent model and its recalibration (METRICS §4).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationSettings {
    /// Equal-width confidence bins of ECE, MCE and ACE, at least 1 (default 10).
    pub bins: usize,
    /// Accuracy, in (0, 1], that pairs at or above the recommended handoff threshold must
    /// reach (default 0.90).
    pub target_accuracy: f64,
    /// Held-out labelled pairs a predicted intent needs for a handoff threshold of its own,
    /// at least 1 (default 200); intents with fewer use the overall threshold.
    pub min_intent_support: usize,
    /// The recalibration map fitted (default isotonic).
    pub method: CalibrationMethod,
}

impl Default for CalibrationSettings {
    fn default() -> Self {
        CalibrationSettings {
            bins: 10,
            target_accuracy: 0.90,
            min_intent_support: 200,
            method: CalibrationMethod::Isotonic,
        }
    }
}

/// Which recalibration map to fit: c → P(correct).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CalibrationMethod {
    /// Logistic regression on logit(c).
    Platt,
    /// Non-decreasing step function.
    #[default]
    Isotonic,
}

/// Drift of a current window against a reference (METRICS §5).
#[derive(Debug, Clone, PartialEq)]
pub struct DriftSettings {
    /// What the current window is compared with (default: the 7 days before it).
    pub reference: DriftReference,
    /// Length of the current window of streaming drift metrics (default 1h).
    pub window: Duration,
    /// Values each side needs for a verdict; fewer gives `insufficient_data` (default 100).
    pub min_count: u64,
    /// Numeric bins frozen from the reference's quantiles, at least 2 (default 10).
    pub bins: usize,
    /// Every feature of [`DRIFT_FEATURES`], in that order, with the file's overrides applied.
    pub features: Vec<DriftFeature>,
    pub text: TextDriftSettings,
    pub detectors: DetectorSettings,
}

impl DriftSettings {
    pub fn feature(&self, name: &str) -> Option<&DriftFeature> {
        self.features.iter().find(|f| f.name == name)
    }
}

impl Default for DriftSettings {
    fn default() -> Self {
        DriftSettings {
            reference: DriftReference::default(),
            window: Duration::from_secs(3600),
            min_count: 100,
            bins: 10,
            features: DRIFT_FEATURES
                .iter()
                .map(|(name, kind)| DriftFeature::default_for(name, *kind))
                .collect(),
            text: TextDriftSettings::default(),
            detectors: DetectorSettings::default(),
        }
    }
}

/// The reference sample of drift comparisons.
#[derive(Debug, Clone, PartialEq)]
pub enum DriftReference {
    /// A reference profile written by `convolens drift profile`, as written in the file: a
    /// relative path is relative to the lake ([`DriftReference::profile_path`]).
    Profile(PathBuf),
    /// The window of this length that ends where the current window starts.
    Rolling(Duration),
}

impl Default for DriftReference {
    fn default() -> Self {
        DriftReference::Rolling(Duration::from_secs(7 * 86_400))
    }
}

impl DriftReference {
    /// The profile file, resolved against `lake`; `None` for a rolling reference. Resolved
    /// here rather than at compile time because `--lake` may move the lake.
    pub fn profile_path(&self, lake: &Path) -> Option<PathBuf> {
        match self {
            DriftReference::Profile(path) => Some(lake.join(path)),
            DriftReference::Rolling(_) => None,
        }
    }
}

/// The default drift features and their kinds, in the order of INTERFACE.md.
pub const DRIFT_FEATURES: [(&str, FeatureKind); 12] = [
    ("intent", FeatureKind::Categorical),
    ("model_version", FeatureKind::Categorical),
    ("confidence", FeatureKind::Numeric),
    ("tool_latency_ms", FeatureKind::Numeric),
    ("message_length", FeatureKind::Numeric),
    ("channel", FeatureKind::Categorical),
    ("handoff_reason", FeatureKind::Categorical),
    ("disposition", FeatureKind::Categorical),
    ("customer_messages", FeatureKind::Numeric),
    ("bot_time_s", FeatureKind::Numeric),
    ("handle_time_s", FeatureKind::Numeric),
    ("kb_miss_rate", FeatureKind::Numeric),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

impl FeatureKind {
    pub fn name(self) -> &'static str {
        match self {
            FeatureKind::Numeric => "numeric",
            FeatureKind::Categorical => "categorical",
        }
    }
}

/// One drift feature and the rule that turns its statistics into a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftFeature {
    pub name: String,
    pub kind: FeatureKind,
    pub method: DriftMethod,
    /// Drift when the method's statistic is ≥ this (for `ks_p`: < this).
    pub threshold: f64,
    /// A disabled feature is not computed or reported.
    pub enabled: bool,
}

impl DriftFeature {
    /// METRICS §5: `wasserstein_norm` ≥ 0.1 for a numeric feature, `js` ≥ 0.1 for a
    /// categorical one.
    pub fn default_for(name: &str, kind: FeatureKind) -> DriftFeature {
        let method = match kind {
            FeatureKind::Numeric => DriftMethod::WassersteinNorm,
            FeatureKind::Categorical => DriftMethod::Js,
        };
        DriftFeature {
            name: name.to_owned(),
            kind,
            method,
            threshold: method.default_threshold(),
            enabled: true,
        }
    }
}

/// The statistic that decides a feature's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftMethod {
    /// Population stability index; drift when ≥ the threshold.
    Psi,
    /// Jensen–Shannon distance, base 2, in [0, 1]; drift when ≥ the threshold.
    Js,
    /// Kolmogorov–Smirnov p-value, numeric only; drift when < the threshold.
    KsP,
    /// Wasserstein distance / std of the reference, numeric only; drift when ≥ the threshold.
    WassersteinNorm,
}

impl DriftMethod {
    pub fn name(self) -> &'static str {
        match self {
            DriftMethod::Psi => "psi",
            DriftMethod::Js => "js",
            DriftMethod::KsP => "ks_p",
            DriftMethod::WassersteinNorm => "wasserstein_norm",
        }
    }

    pub fn applies_to(self, kind: FeatureKind) -> bool {
        match self {
            DriftMethod::Psi | DriftMethod::Js => true,
            DriftMethod::KsP | DriftMethod::WassersteinNorm => kind == FeatureKind::Numeric,
        }
    }

    /// The threshold used when a feature names this method but no threshold: METRICS §5's
    /// 0.1, and for a p-value the conventional 0.05.
    pub fn default_threshold(self) -> f64 {
        match self {
            DriftMethod::KsP => 0.05,
            DriftMethod::Psi | DriftMethod::Js | DriftMethod::WassersteinNorm => 0.1,
        }
    }
}

/// Drift of free text: a classifier that tells reference texts from current ones.
#[derive(Debug, Clone, PartialEq)]
pub struct TextDriftSettings {
    pub enabled: bool,
    /// Drift when the held-out ROC AUC is above this, in (0.5, 1) (default 0.55).
    pub auc_threshold: f64,
    /// Texts sampled per side (every k-th), at least 2 (default 20000).
    pub max_rows: usize,
}

impl Default for TextDriftSettings {
    fn default() -> Self {
        TextDriftSettings {
            enabled: true,
            auc_threshold: 0.55,
            max_rows: 20_000,
        }
    }
}

/// Change detectors run on per-window KPI series.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorSettings {
    /// The series watched, each at most once (default: all three).
    pub series: Vec<KpiSeries>,
    pub adwin: AdwinSettings,
    pub page_hinkley: PageHinkleySettings,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        DetectorSettings {
            series: KpiSeries::ALL.to_vec(),
            adwin: AdwinSettings::default(),
            page_hinkley: PageHinkleySettings::default(),
        }
    }
}

/// A per-window series a change detector can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiSeries {
    ContainmentRate,
    EscalationRate,
    MeanConfidence,
}

impl KpiSeries {
    pub const ALL: [KpiSeries; 3] = [
        KpiSeries::ContainmentRate,
        KpiSeries::EscalationRate,
        KpiSeries::MeanConfidence,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KpiSeries::ContainmentRate => "containment_rate",
            KpiSeries::EscalationRate => "escalation_rate",
            KpiSeries::MeanConfidence => "mean_confidence",
        }
    }
}

/// ADWIN parameters, named and defaulted as the drift crate's `AdwinParams`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdwinSettings {
    /// Confidence δ in (0, 1): the false-alarm probability bound per step (default 0.002).
    pub delta: f64,
    /// Width of the interval the values live in, > 0 (default 1, for rates and shares).
    pub value_range: f64,
    /// Shortest sub-window a cut may leave on either side, at least 1 (default 5).
    pub min_window: usize,
    /// Longest window kept, at least 2 × `min_window` (default 10000).
    pub max_window: usize,
}

impl Default for AdwinSettings {
    fn default() -> Self {
        AdwinSettings {
            delta: 0.002,
            value_range: 1.0,
            min_window: 5,
            max_window: 10_000,
        }
    }
}

/// Page-Hinkley parameters, named and defaulted as the drift crate's `PageHinkleyParams`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageHinkleySettings {
    /// Drift of the mean tolerated per value, ≥ 0, in the series' units (default 0.005).
    pub delta: f64,
    /// Alarm threshold on the cumulative deviation, > 0, in the series' units (default 0.5:
    /// the watched series are rates and means in [0, 1], one value per window, so a lasting
    /// shift of 0.1 alarms within about five windows).
    pub lambda: f64,
    /// Values needed since the last alarm before the test may fire, at least 1 (default 6:
    /// six windows of history before the first alarm).
    pub min_instances: u64,
}

impl Default for PageHinkleySettings {
    fn default() -> Self {
        PageHinkleySettings {
            delta: 0.005,
            lambda: 0.5,
            min_instances: 6,
        }
    }
}
