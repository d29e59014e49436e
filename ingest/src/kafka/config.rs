//! librdkafka client configuration for the consumer and the producers.
//!
//! Offsets are never committed by librdkafka on its own: the lake's commit log is the
//! source of truth for where each partition resumes (exactly once), and the group's
//! committed offsets are only a hint for lag dashboards. The keys that would break that are
//! therefore not accepted from the user's `properties`.

use std::collections::BTreeMap;

use convolens_core::spec::{KafkaSource as KafkaSourceSpec, StartFrom};
use rdkafka::config::ClientConfig;

use crate::IngestError;

/// Where and how to consume. `properties` go to librdkafka verbatim (`security.protocol`,
/// `sasl.*`, `ssl.*`, tuning), after convolens' own defaults, so they can override those.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaSettings {
    /// `host:port` list, comma-separated.
    pub brokers: String,
    pub topics: Vec<String>,
    pub group: String,
    /// Where a partition without a committed position starts.
    pub start_from: StartFrom,
    pub properties: BTreeMap<String, String>,
}

/// Keys convolens owns: set by dedicated settings, or fixed because exactly-once depends
/// on them.
const RESERVED_KEYS: [(&str, &str); 5] = [
    ("bootstrap.servers", "use the brokers setting"),
    ("group.id", "use the group setting"),
    ("auto.offset.reset", "use start_from"),
    (
        "enable.auto.commit",
        "offsets are committed with the lake, never automatically",
    ),
    (
        "enable.auto.offset.store",
        "offsets are committed with the lake, never automatically",
    ),
];

impl KafkaSettings {
    pub fn from_spec(spec: &KafkaSourceSpec) -> Self {
        KafkaSettings {
            brokers: spec.brokers.join(","),
            topics: spec.topics.clone(),
            group: spec.group.clone(),
            start_from: spec.start_from,
            properties: spec.properties.clone(),
        }
    }

    /// The consumer's configuration; fails on settings that cannot work.
    pub fn consumer_config(&self) -> Result<ClientConfig, IngestError> {
        let invalid = |detail: String| Err(IngestError::KafkaConfig { detail });
        if self.brokers.trim().is_empty() {
            return invalid("no brokers given".into());
        }
        if self.group.trim().is_empty() {
            return invalid("the consumer group is empty".into());
        }
        if self.topics.is_empty() {
            return invalid("no topics given".into());
        }
        for topic in &self.topics {
            check_topic_name(topic)?;
        }
        for (key, reason) in RESERVED_KEYS {
            if self.properties.contains_key(key) {
                return invalid(format!("property `{key}` cannot be set: {reason}"));
            }
        }
        let auto_offset_reset = match self.start_from {
            StartFrom::Earliest => "earliest",
            StartFrom::Latest => "latest",
        };
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group)
            .set("client.id", "convolens")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", auto_offset_reset)
            // Incremental rebalancing: adding a consumer moves only the partitions it takes
            // over, so the others keep their in-memory sessionisation state.
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", "30000")
            .set("heartbeat.interval.ms", "3000")
            // Revoking partitions commits Parquet files; allow a slow disk or object store
            // minutes before the group considers this consumer dead.
            .set("max.poll.interval.ms", "300000")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "false")
            // Keep fetching while the pipeline drains what was fetched: librdkafka otherwise
            // backs a partition's fetches off for up to a second once its queue is full.
            .set("fetch.queue.backoff.ms", "10")
            .set("fetch.wait.max.ms", "100");
        apply_properties(&mut config, &self.properties)?;
        Ok(config)
    }
}

/// Configuration of a producer that must not lose or reorder messages: acks from all
/// in-sync replicas, idempotence, and a short linger so batches fill up.
pub fn producer_config(brokers: &str, properties: &BTreeMap<String, String>) -> Result<ClientConfig, IngestError> {
    if brokers.trim().is_empty() {
        return Err(IngestError::KafkaConfig {
            detail: "no brokers given".into(),
        });
    }
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("client.id", "convolens")
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000");
    apply_properties(&mut config, properties)?;
    Ok(config)
}

fn apply_properties(config: &mut ClientConfig, properties: &BTreeMap<String, String>) -> Result<(), IngestError> {
    for (key, value) in properties {
        // librdkafka takes C strings; a NUL byte would be rejected late with a vague error.
        if key.contains('\0') || value.contains('\0') {
            return Err(IngestError::KafkaConfig {
                detail: format!("property `{}` contains a NUL byte", key.escape_debug()),
            });
        }
        config.set(key, value);
    }
    Ok(())
}

/// rdkafka panics on topic names with a NUL byte, so every name from outside is checked.
pub(crate) fn check_topic_name(topic: &str) -> Result<(), IngestError> {
    if topic.is_empty() || topic.contains('\0') {
        return Err(IngestError::KafkaConfig {
            detail: format!("invalid topic name {topic:?}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> KafkaSettings {
        KafkaSettings {
            brokers: "a:9092,b:9092".into(),
            topics: vec!["events".into()],
            group: "convolens".into(),
            start_from: StartFrom::Latest,
            properties: BTreeMap::from([
                ("security.protocol".to_string(), "SASL_SSL".to_string()),
                ("session.timeout.ms".to_string(), "45000".to_string()),
            ]),
        }
    }

    #[test]
    fn consumer_never_commits_on_its_own_and_passes_properties_through() {
        let config = settings().consumer_config().expect("valid settings");
        assert_eq!(config.get("bootstrap.servers"), Some("a:9092,b:9092"));
        assert_eq!(config.get("group.id"), Some("convolens"));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        assert_eq!(config.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(config.get("auto.offset.reset"), Some("latest"));
        assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(
            config.get("session.timeout.ms"),
            Some("45000"),
            "user properties override defaults"
        );
        assert_eq!(config.get("partition.assignment.strategy"), Some("cooperative-sticky"));
    }

    #[test]
    fn earliest_maps_to_auto_offset_reset_earliest() {
        let config = KafkaSettings {
            start_from: StartFrom::Earliest,
            ..settings()
        }
        .consumer_config()
        .expect("valid");
        assert_eq!(config.get("auto.offset.reset"), Some("earliest"));
    }

    #[test]
    fn reserved_and_malformed_settings_are_rejected() {
        let with_property = |key: &str, value: &str| {
            let mut s = settings();
            s.properties.insert(key.into(), value.into());
            s.consumer_config()
        };
        for key in [
            "enable.auto.commit",
            "enable.auto.offset.store",
            "group.id",
            "auto.offset.reset",
        ] {
            assert!(
                matches!(with_property(key, "true"), Err(IngestError::KafkaConfig { .. })),
                "{key} must be rejected"
            );
        }
        assert!(matches!(
            with_property("ssl.ca.location", "a\0b"),
            Err(IngestError::KafkaConfig { .. })
        ));
        let nul_topic = KafkaSettings {
            topics: vec!["ev\0ents".into()],
            ..settings()
        };
        assert!(matches!(
            nul_topic.consumer_config(),
            Err(IngestError::KafkaConfig { .. })
        ));
        let no_topics = KafkaSettings {
            topics: vec![],
            ..settings()
        };
        assert!(matches!(
            no_topics.consumer_config(),
            Err(IngestError::KafkaConfig { .. })
        ));
        let no_group = KafkaSettings {
            group: " ".into(),
            ..settings()
        };
        assert!(matches!(
            no_group.consumer_config(),
            Err(IngestError::KafkaConfig { .. })
        ));
    }

    #[test]
    fn spec_brokers_are_joined() {
        let spec = KafkaSourceSpec {
            brokers: vec!["x:1".into(), "y:2".into()],
            topics: vec!["t".into()],
            group: "g".into(),
            start_from: StartFrom::Earliest,
            properties: BTreeMap::new(),
        };
        let settings = KafkaSettings::from_spec(&spec);
        assert_eq!(settings.brokers, "x:1,y:2");
        assert_eq!(settings.topics, vec!["t".to_string()]);
    }
}
