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
    RawFile, RawFiles, RawKafka, RawLakeFiles, RawLimits, RawPattern, RawPipeline, RawRedaction, RawSessionization,
    RawSource,
};
use super::reader::{Reader, found, quote};
use super::units::format_duration;
use super::{
    Config, KafkaSource, LakeFileSettings, Limits, NamedPattern, Pipeline, RedactionSettings, SessionSettings,
    SourceSpec, StartFrom,
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
        let rows = r.count(node, path)?;
        let fits = usize::try_from(rows).ok();
        if fits.is_none() {
            r.error(node.pos, path, "too large for this machine");
        }
        fits
    });
    let max_bytes = r.optional(&f, "max_bytes", defaults.max_bytes, Reader::size);
    let max_age = r.optional(&f, "max_age", defaults.max_age, Reader::positive_duration);
    Some(LakeFileSettings {
        max_rows: max_rows?,
        max_bytes: max_bytes?,
        max_age: max_age?,
    })
}
