//! YAML text → validated [`Config`], collecting every error with its location.
//!
//! [`node::parse`] turns the text into a positioned tree (a syntax error stops there); one
//! compile function per section then reads its mapping through a [`Reader`], which records
//! each problem and carries on. Runtime code only ever sees the compiled types.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::node::{self, Node, Value};
use super::raw::{
    RawAdwin, RawCalibration, RawDetectors, RawDrift, RawDriftFeature, RawDriftReference, RawFile, RawFiles, RawKafka,
    RawLakeFiles, RawLimits, RawPageHinkley, RawPattern, RawPipeline, RawRedaction, RawSessionization, RawSource,
    RawTextDrift,
};
use super::reader::{Bounds, Reader, found, quote};
use super::suggest::closest;
use super::units::format_duration;
use super::{
    AdwinSettings, CalibrationMethod, CalibrationSettings, Config, DRIFT_FEATURES, DetectorSettings, DriftFeature,
    DriftMethod, DriftReference, DriftSettings, KafkaSource, KpiSeries, LakeFileSettings, Limits, NamedPattern,
    PageHinkleySettings, Pipeline, RedactionSettings, SessionSettings, SourceSpec, StartFrom, TextDriftSettings,
};

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// 1-based line and column; 0 when unknown.
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending key, e.g. `pipelines.support.sessionization.idle_timeout`;
    /// `(yaml)` for a syntax error, `(root)` for the file as a whole.
    pub path: String,
    pub message: String,
}

/// Every problem found in a config file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors {
    pub file: String,
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}: {}", self.file, e.line, e.column, e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Parses and validates a `pipelines.yaml` text. `file` names it in errors; `env` looks
/// up `${VAR}` interpolations (injected so tests need not touch the process environment).
pub fn compile_str(yaml: &str, file: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
    let errors = |errors| ConfigErrors {
        file: file.to_owned(),
        errors,
    };
    let root = node::parse(yaml).map_err(|error| errors(vec![error]))?;
    let mut reader = Reader::new(env);
    let config = compile_file(&mut reader, &root);
    let mut found = reader.errors;
    // Sections are compiled one after another, but cross-checks report late; file order
    // reads best. The sort is stable, so errors at one position keep their order.
    found.sort_by_key(|e| (e.line, e.column));
    match config {
        Some(config) if found.is_empty() => Ok(config),
        _ if found.is_empty() => {
            // Every `None` above records its reason; this only guards against a missing one.
            Err(errors(vec![ConfigError {
                line: 1,
                column: 1,
                path: "(root)".to_owned(),
                message: "invalid".to_owned(),
            }]))
        }
        _ => Err(errors(found)),
    }
}

/// JSON Schema of the file format, for editors.
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(RawFile).to_value()
}

const SUPPORTED_VERSION: u64 = 1;

fn compile_file(r: &mut Reader, root: &Node) -> Option<Config> {
    let file = r.fields::<RawFile>(root, "")?;
    let version = r.required(&file, "version").and_then(|node| r.count(node, "version"));
    if let Some(version) = version.filter(|v| *v != SUPPORTED_VERSION) {
        let message = format!("unsupported version {version}; this convolens reads version {SUPPORTED_VERSION}");
        r.error(file.pos_of("version"), "version", message);
    }
    let node = r.required(&file, "pipelines")?;
    let entries = r.entries(node, "pipelines")?;
    if entries.is_empty() {
        r.error(
            node.pos,
            "pipelines",
            "no pipelines: add at least one, keyed by its name",
        );
    }
    let mut pipelines = Vec::with_capacity(entries.len());
    for (name, node) in entries {
        let path = format!("pipelines.{}", name.text);
        if name.text.is_empty()
            || !name
                .text
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
        {
            let message = format!("pipeline name {} may only use a-z, 0-9, `_` and `-`", quote(&name.text));
            r.error(name.pos, &path, message);
        }
        pipelines.push(compile_pipeline(r, &name.text, node, &path));
    }
    let pipelines = pipelines.into_iter().collect::<Option<Vec<_>>>()?;
    (version == Some(SUPPORTED_VERSION)).then_some(Config { pipelines })
}

fn compile_pipeline(r: &mut Reader, name: &str, node: &Node, path: &str) -> Option<Pipeline> {
    let f = r.fields::<RawPipeline>(node, path)?;
    let source = r
        .required(&f, "source")
        .and_then(|node| compile_source(r, node, &f.path("source")));
    let lake = r.required(&f, "lake").and_then(|node| r.string(node, &f.path("lake")));
    let sessionization = r.optional(&f, "sessionization", SessionSettings::default(), compile_sessionization);
    let limits = r.optional(&f, "limits", Limits::default(), compile_limits);
    let redaction = r.optional(&f, "redaction", RedactionSettings::default(), compile_redaction);
    let lake_files = r.optional(&f, "lake_files", LakeFileSettings::default(), compile_lake_files);
    let commit_interval = r.optional(
        &f,
        "commit_interval",
        Duration::from_secs(10),
        Reader::positive_duration,
    );
    let dead_letter_topic = r.optional(&f, "dead_letter_topic", None, |r, node, path| {
        topic(r, node, path).map(Some)
    });
    let calibration = r.optional(&f, "calibration", CalibrationSettings::default(), compile_calibration);
    let drift = r.optional(&f, "drift", DriftSettings::default(), compile_drift);
    Some(Pipeline {
        name: name.to_owned(),
        source: source?,
        lake: PathBuf::from(lake?),
        sessionization: sessionization?,
        limits: limits?,
        redaction: redaction?,
        lake_files: lake_files?,
        commit_interval: commit_interval?,
        dead_letter_topic: dead_letter_topic?,
        calibration: calibration?,
        drift: drift?,
    })
}

fn compile_source(r: &mut Reader, node: &Node, path: &str) -> Option<SourceSpec> {
    let f = r.fields::<RawSource>(node, path)?;
    match (f.has("kafka"), f.has("files")) {
        (true, false) => {
            let kafka = r.required(&f, "kafka")?;
            compile_kafka(r, kafka, &f.path("kafka")).map(SourceSpec::Kafka)
        }
        (false, true) => {
            let files = r.required(&f, "files")?;
            compile_files(r, files, &f.path("files"))
        }
        (true, true) => {
            r.error(node.pos, path, "give exactly one of `kafka` or `files`, not both");
            None
        }
        (false, false) => {
            if !f.misspelt("kafka") && !f.misspelt("files") {
                let message = "missing `kafka` or `files`: a pipeline needs exactly one source";
                r.error(node.pos, path, message);
            }
            None
        }
    }
}

fn compile_kafka(r: &mut Reader, node: &Node, path: &str) -> Option<KafkaSource> {
    let f = r.fields::<RawKafka>(node, path)?;
    let brokers = r
        .required(&f, "brokers")
        .and_then(|node| brokers(r, node, &f.path("brokers")));
    let topics = r
        .required(&f, "topics")
        .and_then(|node| topics(r, node, &f.path("topics")));
    let group = r
        .required(&f, "group")
        .and_then(|node| r.string(node, &f.path("group")));
    let choices = [("earliest", StartFrom::Earliest), ("latest", StartFrom::Latest)];
    let start_from = r.optional(&f, "start_from", StartFrom::default(), |r, node, path| {
        r.choice(node, path, &choices)
    });
    let properties = r.optional(&f, "properties", BTreeMap::new(), kafka_properties);
    Some(KafkaSource {
        brokers: brokers?,
        topics: topics?,
        group: group?,
        start_from: start_from?,
        properties: properties?,
    })
}

/// A list or a comma-separated string; list items may be comma-separated too, so
/// `["${BROKERS}"]` takes a whole broker list from one variable.
fn brokers(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<String>> {
    let items: Vec<(&Node, String)> = match &node.value {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, format!("{path}[{i}]")))
            .collect(),
        Value::Scalar { .. } => vec![(node, path.to_owned())],
        Value::Null | Value::Map(_) => {
            let message = format!(
                "expected a list of brokers or a comma-separated string, found {}",
                found(node)
            );
            r.error(node.pos, path, message);
            return None;
        }
    };
    let mut brokers = Vec::new();
    let mut valid = true;
    for (item, item_path) in items {
        let Some(text) = r.text(item, &item_path) else {
            valid = false;
            continue;
        };
        // A whole value left empty, e.g. by `${BROKERS:-}`, adds no broker; an empty entry
        // between commas is a typo.
        if text.value.trim().is_empty() {
            continue;
        }
        for broker in text.value.split(',').map(str::trim) {
            if broker.is_empty() || broker.contains(char::is_whitespace) {
                r.error(
                    item.pos,
                    &item_path,
                    text.explain(&format!("{} is not a broker address", quote(broker))),
                );
                valid = false;
            } else {
                brokers.push(broker.to_owned());
            }
        }
    }
    if valid && brokers.is_empty() {
        r.error(node.pos, path, "empty broker list: give at least one `host:port`");
        return None;
    }
    valid.then_some(brokers)
}

fn topics(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<String>> {
    let items = r.list(node, path)?;
    if items.is_empty() {
        r.error(node.pos, path, "no topics: give at least one");
        return None;
    }
    let topics: Vec<Option<String>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| topic(r, item, &format!("{path}[{i}]")))
        .collect();
    topics.into_iter().collect()
}

/// A Kafka topic name, checked here because the broker's rejection would come much later.
fn topic(r: &mut Reader, node: &Node, path: &str) -> Option<String> {
    let text = r.text(node, path)?;
    let name = &text.value;
    let legal = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if name.is_empty() || name.len() > 249 || !legal || name == "." || name == ".." {
        let message = format!(
            "{} is not a Kafka topic name (1-249 of a-z, A-Z, 0-9, `.`, `_`, `-`)",
            quote(name)
        );
        r.error(node.pos, path, text.explain(&message));
        return None;
    }
    Some(text.value)
}

/// librdkafka settings that convolens derives from other keys; setting them twice would
/// leave one silently ignored.
const DERIVED_KAFKA_PROPERTIES: [(&str, &str); 3] = [
    ("bootstrap.servers", "brokers"),
    ("group.id", "group"),
    ("auto.offset.reset", "start_from"),
];

fn kafka_properties(r: &mut Reader, node: &Node, path: &str) -> Option<BTreeMap<String, String>> {
    let mut properties = BTreeMap::new();
    let mut valid = true;
    for (key, value) in r.entries(node, path)? {
        let key_path = format!("{path}.{}", key.text);
        if let Some((_, instead)) = DERIVED_KAFKA_PROPERTIES.iter().find(|(name, _)| *name == key.text) {
            r.error(
                key.pos,
                &key_path,
                format!("set `{instead}` instead; convolens derives `{}` from it", key.text),
            );
            valid = false;
        }
        match r.text(value, &key_path) {
            Some(text) => {
                properties.insert(key.text.clone(), text.value);
            }
            None => valid = false,
        }
    }
    valid.then_some(properties)
}

fn compile_files(r: &mut Reader, node: &Node, path: &str) -> Option<SourceSpec> {
    let f = r.fields::<RawFiles>(node, path)?;
    let paths_path = f.path("paths");
    let list_node = r.required(&f, "paths")?;
    let items = r.list(list_node, &paths_path)?;
    if items.is_empty() {
        r.error(list_node.pos, &paths_path, "no paths: give at least one file");
        return None;
    }
    let paths: Vec<Option<PathBuf>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| r.string(item, &format!("{paths_path}[{i}]")).map(PathBuf::from))
        .collect();
    Some(SourceSpec::Files {
        paths: paths.into_iter().collect::<Option<_>>()?,
    })
}

fn compile_sessionization(r: &mut Reader, node: &Node, path: &str) -> Option<SessionSettings> {
    let f = r.fields::<RawSessionization>(node, path)?;
    let defaults = SessionSettings::default();
    let idle_timeout = r.optional(&f, "idle_timeout", defaults.idle_timeout, Reader::positive_duration);
    let allowed_lateness = r.optional(&f, "allowed_lateness", defaults.allowed_lateness, Reader::duration);
    let dedup_horizon = r.optional(&f, "dedup_horizon", defaults.dedup_horizon, Reader::positive_duration);
    let (idle_timeout, allowed_lateness, dedup_horizon) = (idle_timeout?, allowed_lateness?, dedup_horizon?);
    // A duplicate or a late event for a conversation already forgotten would reopen it as a
    // new one, so ids must outlive the longest time a conversation can stay open.
    let needed = idle_timeout.checked_add(allowed_lateness);
    if needed.is_none_or(|needed| dedup_horizon < needed) {
        let message = format!(
            "dedup_horizon ({}) must be at least idle_timeout + allowed_lateness ({} + {})",
            format_duration(dedup_horizon),
            format_duration(idle_timeout),
            format_duration(allowed_lateness),
        );
        r.error(f.pos_of("dedup_horizon"), &f.path("dedup_horizon"), message);
        return None;
    }
    Some(SessionSettings {
        idle_timeout,
        allowed_lateness,
        dedup_horizon,
    })
}

fn compile_limits(r: &mut Reader, node: &Node, path: &str) -> Option<Limits> {
    let f = r.fields::<RawLimits>(node, path)?;
    let default = Limits::default().max_event_bytes;
    let max_event_bytes = r.optional(&f, "max_event_bytes", default, |r, node, path| {
        let bytes = r.size(node, path)?;
        let fits = usize::try_from(bytes).ok();
        if fits.is_none() {
            r.error(node.pos, path, "too large for this machine's memory");
        }
        fits
    });
    Some(Limits {
        max_event_bytes: max_event_bytes?,
    })
}

fn compile_redaction(r: &mut Reader, node: &Node, path: &str) -> Option<RedactionSettings> {
    let f = r.fields::<RawRedaction>(node, path)?;
    let defaults = RedactionSettings::default();
    let emails = r.optional(&f, "emails", defaults.emails, Reader::flag);
    let phones = r.optional(&f, "phones", defaults.phones, Reader::flag);
    let payment_cards = r.optional(&f, "payment_cards", defaults.payment_cards, Reader::flag);
    let patterns = r.optional(&f, "patterns", Vec::new(), redaction_patterns);
    Some(RedactionSettings {
        emails: emails?,
        phones: phones?,
        payment_cards: payment_cards?,
        patterns: patterns?,
    })
}

fn redaction_patterns(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<NamedPattern>> {
    let mut patterns = Vec::new();
    let mut valid = true;
    // Names with the index of the pattern that first used them, also for invalid patterns.
    let mut names: Vec<(String, usize)> = Vec::new();
    for (i, item) in r.list(node, path)?.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let Some(f) = r.fields::<RawPattern>(item, &item_path) else {
            valid = false;
            continue;
        };
        let name = r
            .required(&f, "name")
            .and_then(|node| pattern_name(r, node, &f.path("name")));
        let regex = r
            .required(&f, "regex")
            .and_then(|node| r.string(node, &f.path("regex")));
        let name = name.filter(|name| match names.iter().find(|(seen, _)| seen == name) {
            Some((_, first)) => {
                let message = format!("duplicate pattern name {} (also {path}[{first}])", quote(name));
                r.error(f.pos_of("name"), &f.path("name"), message);
                false
            }
            None => {
                names.push((name.clone(), i));
                true
            }
        });
        let regex = regex.filter(|regex| match regex::Regex::new(regex) {
            Ok(_) => true,
            Err(error) => {
                let message = format!("regex does not compile: {}", regex_reason(&error));
                r.error(f.pos_of("regex"), &f.path("regex"), message);
                false
            }
        });
        match (name, regex) {
            (Some(name), Some(regex)) => patterns.push(NamedPattern { name, regex }),
            _ => valid = false,
        }
    }
    valid.then_some(patterns)
}

/// Upper-cased, the name becomes the redaction tag (`[ACCOUNT_NUMBER]`), so it is kept to
/// characters that read well there and that no redaction pass matches.
fn pattern_name(r: &mut Reader, node: &Node, path: &str) -> Option<String> {
    let text = r.text(node, path)?;
    let name = &text.value;
    if name.is_empty() || !name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'_')) {
        let message = format!("pattern name {} may only use a-z and `_`", quote(name));
        r.error(node.pos, path, text.explain(&message));
        return None;
    }
    Some(text.value)
}

/// The one-line reason of a regex error, whose full text draws a multi-line caret diagram.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("error: "))
        .map_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "), str::to_owned)
}

fn compile_lake_files(r: &mut Reader, node: &Node, path: &str) -> Option<LakeFileSettings> {
    let f = r.fields::<RawLakeFiles>(node, path)?;
    let defaults = LakeFileSettings::default();
    let max_rows = r.optional(&f, "max_rows", defaults.max_rows, |r, node, path| {
        r.count_in_memory(node, path, 1)
    });
    let max_bytes = r.optional(&f, "max_bytes", defaults.max_bytes, Reader::size);
    let max_age = r.optional(&f, "max_age", defaults.max_age, Reader::positive_duration);
    Some(LakeFileSettings {
        max_rows: max_rows?,
        max_bytes: max_bytes?,
        max_age: max_age?,
    })
}

fn compile_calibration(r: &mut Reader, node: &Node, path: &str) -> Option<CalibrationSettings> {
    let f = r.fields::<RawCalibration>(node, path)?;
    let defaults = CalibrationSettings::default();
    let bins = r.optional(&f, "bins", defaults.bins, |r, node, path| {
        r.count_in_memory(node, path, 1)
    });
    let target_accuracy = r.optional(&f, "target_accuracy", defaults.target_accuracy, |r, node, path| {
        r.number(node, path, Bounds::above_up_to(0.0, 1.0))
    });
    let min_intent_support = r.optional(
        &f,
        "min_intent_support",
        defaults.min_intent_support,
        |r, node, path| r.count_in_memory(node, path, 1),
    );
    let choices = [
        ("platt", CalibrationMethod::Platt),
        ("isotonic", CalibrationMethod::Isotonic),
    ];
    let method = r.optional(&f, "method", defaults.method, |r, node, path| {
        r.choice(node, path, &choices)
    });
    Some(CalibrationSettings {
        bins: bins?,
        target_accuracy: target_accuracy?,
        min_intent_support: min_intent_support?,
        method: method?,
    })
}

fn compile_drift(r: &mut Reader, node: &Node, path: &str) -> Option<DriftSettings> {
    let f = r.fields::<RawDrift>(node, path)?;
    let defaults = DriftSettings::default();
    let reference = r.optional(&f, "reference", defaults.reference, compile_drift_reference);
    let window = r.optional(&f, "window", defaults.window, Reader::positive_duration);
    let min_count = r.optional(&f, "min_count", defaults.min_count, Reader::count);
    let bins = r.optional(&f, "bins", defaults.bins, |r, node, path| {
        r.count_in_memory(node, path, 2)
    });
    let features = r.optional(&f, "features", defaults.features, drift_features);
    let text = r.optional(&f, "text", defaults.text, compile_text_drift);
    let detectors = r.optional(&f, "detectors", defaults.detectors, compile_detectors);
    Some(DriftSettings {
        reference: reference?,
        window: window?,
        min_count: min_count?,
        bins: bins?,
        features: features?,
        text: text?,
        detectors: detectors?,
    })
}

fn compile_drift_reference(r: &mut Reader, node: &Node, path: &str) -> Option<DriftReference> {
    let f = r.fields::<RawDriftReference>(node, path)?;
    match (f.has("profile"), f.has("rolling")) {
        (true, false) => {
            let profile = r.required(&f, "profile")?;
            let file = r.string(profile, &f.path("profile"))?;
            Some(DriftReference::Profile(PathBuf::from(file)))
        }
        (false, true) => {
            let rolling = r.required(&f, "rolling")?;
            r.positive_duration(rolling, &f.path("rolling"))
                .map(DriftReference::Rolling)
        }
        (true, true) => {
            r.error(node.pos, path, "give exactly one of `profile` or `rolling`, not both");
            None
        }
        (false, false) => {
            if !f.misspelt("profile") && !f.misspelt("rolling") {
                let message = "missing `profile` or `rolling`: the reference is a profile file or a rolling window";
                r.error(node.pos, path, message);
            }
            None
        }
    }
}

const DRIFT_METHODS: [(&str, DriftMethod); 4] = [
    ("psi", DriftMethod::Psi),
    ("js", DriftMethod::Js),
    ("ks_p", DriftMethod::KsP),
    ("wasserstein_norm", DriftMethod::WassersteinNorm),
];

/// Every default feature in [`DRIFT_FEATURES`] order, with the overrides of the
/// `features` mapping applied.
fn drift_features(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<DriftFeature>> {
    let mut features: Vec<DriftFeature> = DRIFT_FEATURES
        .iter()
        .map(|(name, kind)| DriftFeature::default_for(name, *kind))
        .collect();
    let mut valid = true;
    for (key, value) in r.entries(node, path)? {
        let key_path = format!("{path}.{}", key.text);
        let Some(feature) = features.iter_mut().find(|f| f.name == key.text) else {
            let names = DRIFT_FEATURES.iter().map(|(name, _)| *name);
            let message = match closest(&key.text, names.clone()) {
                Some(suggestion) => format!("unknown feature {}; did you mean `{suggestion}`?", quote(&key.text)),
                None => format!(
                    "unknown feature {}; expected one of: {}",
                    quote(&key.text),
                    names.collect::<Vec<_>>().join(", ")
                ),
            };
            r.error(key.pos, &key_path, message);
            valid = false;
            continue;
        };
        // `confidence:` with nothing after it keeps the defaults, as an empty section does.
        if value.value == Value::Null {
            continue;
        }
        match drift_feature(r, value, &key_path, feature) {
            Some(overridden) => *feature = overridden,
            None => valid = false,
        }
    }
    valid.then_some(features)
}

fn drift_feature(r: &mut Reader, node: &Node, path: &str, default: &DriftFeature) -> Option<DriftFeature> {
    let f = r.fields::<RawDriftFeature>(node, path)?;
    let kind = default.kind;
    let method = r.optional(&f, "method", default.method, |r, node, path| {
        let method = r.choice(node, path, &DRIFT_METHODS)?;
        if !method.applies_to(kind) {
            let others: Vec<&str> = DRIFT_METHODS
                .iter()
                .filter(|(_, m)| m.applies_to(kind))
                .map(|(word, _)| *word)
                .collect();
            let message = format!(
                "`{}` applies to numeric features only; `{}` is {} (use {})",
                method.name(),
                default.name,
                kind.name(),
                others.join(" or ")
            );
            r.error(node.pos, path, message);
            return None;
        }
        Some(method)
    });
    // A threshold left out follows the method: changing `method` alone must not keep a
    // threshold meant for another statistic.
    let default_threshold = method.map_or(default.threshold, DriftMethod::default_threshold);
    let threshold = r.optional(&f, "threshold", default_threshold, |r, node, path| {
        let threshold = r.number(node, path, Bounds::above(0.0))?;
        let (bounds, why) = match method? {
            DriftMethod::KsP => (Bounds::between(0.0, 1.0), "a `ks_p` threshold is a p-value"),
            DriftMethod::Js => (
                Bounds::above_up_to(0.0, 1.0),
                "`js` is at most 1, so a threshold above 1 never fires",
            ),
            DriftMethod::Psi | DriftMethod::WassersteinNorm => return Some(threshold),
        };
        if !bounds.contains(threshold) {
            r.error(node.pos, path, format!("{why}: must be {bounds}, found `{threshold}`"));
            return None;
        }
        Some(threshold)
    });
    let enabled = r.optional(&f, "enabled", default.enabled, Reader::flag);
    Some(DriftFeature {
        name: default.name.clone(),
        kind,
        method: method?,
        threshold: threshold?,
        enabled: enabled?,
    })
}

fn compile_text_drift(r: &mut Reader, node: &Node, path: &str) -> Option<TextDriftSettings> {
    let f = r.fields::<RawTextDrift>(node, path)?;
    let defaults = TextDriftSettings::default();
    let enabled = r.optional(&f, "enabled", defaults.enabled, Reader::flag);
    let auc_threshold = r.optional(&f, "auc_threshold", defaults.auc_threshold, |r, node, path| {
        r.number(node, path, Bounds::between(0.5, 1.0))
    });
    // The classifier holds some of each side out to score itself, so one text is too few.
    let max_rows = r.optional(&f, "max_rows", defaults.max_rows, |r, node, path| {
        r.count_in_memory(node, path, 2)
    });
    Some(TextDriftSettings {
        enabled: enabled?,
        auc_threshold: auc_threshold?,
        max_rows: max_rows?,
    })
}

fn compile_detectors(r: &mut Reader, node: &Node, path: &str) -> Option<DetectorSettings> {
    let f = r.fields::<RawDetectors>(node, path)?;
    let defaults = DetectorSettings::default();
    let series = r.optional(&f, "series", defaults.series, kpi_series);
    let adwin = r.optional(&f, "adwin", defaults.adwin, compile_adwin);
    let page_hinkley = r.optional(&f, "page_hinkley", defaults.page_hinkley, compile_page_hinkley);
    Some(DetectorSettings {
        series: series?,
        adwin: adwin?,
        page_hinkley: page_hinkley?,
    })
}

fn kpi_series(r: &mut Reader, node: &Node, path: &str) -> Option<Vec<KpiSeries>> {
    let choices = KpiSeries::ALL.map(|series| (series.name(), series));
    let mut series = Vec::new();
    let mut valid = true;
    for (i, item) in r.list(node, path)?.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match r.choice(item, &item_path, &choices) {
            Some(one) if series.contains(&one) => {
                r.error(item.pos, &item_path, format!("`{}` is listed twice", one.name()));
                valid = false;
            }
            Some(one) => series.push(one),
            None => valid = false,
        }
    }
    valid.then_some(series)
}

fn compile_adwin(r: &mut Reader, node: &Node, path: &str) -> Option<AdwinSettings> {
    let f = r.fields::<RawAdwin>(node, path)?;
    let defaults = AdwinSettings::default();
    let delta = r.optional(&f, "delta", defaults.delta, |r, node, path| {
        r.number(node, path, Bounds::between(0.0, 1.0))
    });
    let value_range = r.optional(&f, "value_range", defaults.value_range, |r, node, path| {
        r.number(node, path, Bounds::above(0.0))
    });
    let min_window = r.optional(&f, "min_window", defaults.min_window, |r, node, path| {
        r.count_in_memory(node, path, 1)
    });
    let max_window = r.optional(&f, "max_window", defaults.max_window, |r, node, path| {
        r.count_in_memory(node, path, 1)
    });
    let (min_window, max_window) = (min_window?, max_window?);
    // A window shorter than two sub-windows could never be cut.
    if max_window < min_window.saturating_mul(2) {
        let message = format!("max_window ({max_window}) must be at least 2 × min_window (2 × {min_window})");
        r.error(f.pos_of("max_window"), &f.path("max_window"), message);
        return None;
    }
    Some(AdwinSettings {
        delta: delta?,
        value_range: value_range?,
        min_window,
        max_window,
    })
}

fn compile_page_hinkley(r: &mut Reader, node: &Node, path: &str) -> Option<PageHinkleySettings> {
    let f = r.fields::<RawPageHinkley>(node, path)?;
    let defaults = PageHinkleySettings::default();
    let delta = r.optional(&f, "delta", defaults.delta, |r, node, path| {
        r.number(node, path, Bounds::at_least(0.0))
    });
    let lambda = r.optional(&f, "lambda", defaults.lambda, |r, node, path| {
        r.number(node, path, Bounds::above(0.0))
    });
    let min_instances = r.optional(&f, "min_instances", defaults.min_instances, Reader::count);
    Some(PageHinkleySettings {
        delta: delta?,
        lambda: lambda?,
        min_instances: min_instances?,
    })
}
