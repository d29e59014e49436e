//! Producers that know what was delivered: bulk lines for the demo, tests and benchmarks,
//! and dead letters for a pipeline's `dead_letter_topic`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use convolens_core::{DeadLetter, SourcePosition};
use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders, ToBytes};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};

use super::config::{check_topic_name, producer_config};
use super::forward_log;
use crate::IngestError;

/// How long `produce_lines` waits for the last acknowledgements. librdkafka fails each
/// message after `message.timeout.ms` (5 min by default), so this is only a backstop.
const FINAL_FLUSH_TIMEOUT: Duration = Duration::from_secs(330);
/// How long a send waits for room when librdkafka's queue is full before trying again.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(50);
/// Delivery reports are served every this many sends, keeping the report queue short.
const POLL_EVERY: u64 = 1024;

/// Counts delivery reports; the first failure's message is kept for the error.
#[derive(Default)]
struct DeliveryTally {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl DeliveryTally {
    /// Returns (delivered, failed, first error) since the last call and resets them.
    fn take(&self) -> (u64, u64, Option<String>) {
        let first_error = self
            .first_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        (
            self.delivered.swap(0, Ordering::Relaxed),
            self.failed.swap(0, Ordering::Relaxed),
            first_error,
        )
    }
}

impl ClientContext for DeliveryTally {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        forward_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(%error, reason, "Kafka producer error");
    }
}

impl ProducerContext for DeliveryTally {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                first.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

type TallyProducer = BaseProducer<DeliveryTally>;

fn create_producer(brokers: &str, properties: &BTreeMap<String, String>) -> Result<TallyProducer, IngestError> {
    producer_config(brokers, properties)?
        .create_with_context(DeliveryTally::default())
        .map_err(|source| IngestError::Kafka {
            during: "create producer",
            source,
        })
}

/// Enqueues one record, waiting for room while librdkafka's queue is full.
fn send_waiting<K, P>(producer: &TallyProducer, mut record: BaseRecord<'_, K, P>) -> Result<(), IngestError>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                // Serving delivery reports is what frees room in the queue.
                producer.poll(QUEUE_FULL_WAIT);
                record = returned;
            }
            Err((source, _)) => {
                return Err(IngestError::Kafka {
                    during: "produce",
                    source,
                });
            }
        }
    }
}

/// Flushes, then turns failed deliveries since the last flush into an error.
fn flush_and_tally(producer: &TallyProducer, topic: &str, timeout: Duration) -> Result<u64, IngestError> {
    let flushed = producer.flush(timeout);
    let (delivered, failed, first_error) = producer.context().take();
    if failed > 0 {
        return Err(IngestError::Undelivered {
            topic: topic.to_string(),
            failed,
            first_error: first_error.unwrap_or_else(|| "unknown error".into()),
        });
    }
    flushed.map_err(|source| IngestError::Kafka {
        during: "flush",
        source,
    })?;
    Ok(delivered)
}

/// Produces `(key, value)` records to `topic` and waits until every one is acknowledged;
/// returns how many were. Records with the same key (the conversation id, by convention)
/// land in the same partition in order. `properties` go to librdkafka after the defaults
/// of [`super::producer_config`].
pub fn produce_lines(
    brokers: &str,
    topic: &str,
    lines: impl IntoIterator<Item = (Option<Vec<u8>>, Vec<u8>)>,
    properties: &BTreeMap<String, String>,
) -> Result<u64, IngestError> {
    check_topic_name(topic)?;
    let producer = create_producer(brokers, properties)?;
    let mut sent = 0u64;
    for (key, value) in lines {
        let record = BaseRecord::<[u8], [u8]>::to(topic).payload(value.as_slice());
        let record = match &key {
            Some(key) => record.key(key.as_slice()),
            None => record,
        };
        send_waiting(&producer, record)?;
        sent += 1;
        if sent.is_multiple_of(POLL_EVERY) {
            producer.poll(Duration::ZERO);
        }
    }
    let delivered = flush_and_tally(&producer, topic, FINAL_FLUSH_TIMEOUT)?;
    if delivered != sent {
        return Err(IngestError::Undelivered {
            topic: topic.to_string(),
            failed: sent.saturating_sub(delivered),
            first_error: format!("{delivered} of {sent} acknowledged"),
        });
    }
    Ok(delivered)
}

/// Sends dead letters to a topic: the raw bytes as the value, why and where in headers.
/// At least once: a letter counts as delivered only once [`DeadLetterProducer::flush`]
/// returned Ok, so the runner flushes before committing the offsets that produced them.
pub struct DeadLetterProducer {
    producer: TallyProducer,
    topic: String,
}

/// Header names; stable, documented for consumers of the dead-letter topic.
pub mod headers {
    /// `InvalidReason::code()`, e.g. `not_json`.
    pub const REASON: &str = "convolens.reason";
    /// Human-readable reason with specifics.
    pub const DETAIL: &str = "convolens.detail";
    /// Source topic, partition and offset; only for records that came from Kafka.
    pub const SOURCE_TOPIC: &str = "convolens.source.topic";
    pub const SOURCE_PARTITION: &str = "convolens.source.partition";
    pub const SOURCE_OFFSET: &str = "convolens.source.offset";
    /// The source position as displayed: `topic/partition@offset` or `path:line`.
    pub const SOURCE: &str = "convolens.source";
}

impl DeadLetterProducer {
    pub fn new(brokers: &str, topic: &str, properties: &BTreeMap<String, String>) -> Result<Self, IngestError> {
        check_topic_name(topic)?;
        Ok(DeadLetterProducer {
            producer: create_producer(brokers, properties)?,
            topic: topic.to_string(),
        })
    }

    /// Enqueues one dead letter; `key` is the original message's key, if any, so letters
    /// of one conversation stay in order.
    pub fn send(&self, letter: &DeadLetter, key: Option<&[u8]>) -> Result<(), IngestError> {
        let detail = letter.reason.to_string();
        let source = letter.position.to_string();
        let mut fields = OwnedHeaders::new_with_capacity(6)
            .insert(Header {
                key: headers::REASON,
                value: Some(letter.reason.code()),
            })
            .insert(Header {
                key: headers::DETAIL,
                value: Some(detail.as_str()),
            });
        if let SourcePosition::Kafka {
            topic,
            partition,
            offset,
        } = &letter.position
        {
            let (partition, offset) = (partition.to_string(), offset.to_string());
            fields = fields
                .insert(Header {
                    key: headers::SOURCE_TOPIC,
                    value: Some(topic.as_ref()),
                })
                .insert(Header {
                    key: headers::SOURCE_PARTITION,
                    value: Some(partition.as_str()),
                })
                .insert(Header {
                    key: headers::SOURCE_OFFSET,
                    value: Some(offset.as_str()),
                });
        }
        fields = fields.insert(Header {
            key: headers::SOURCE,
            value: Some(source.as_str()),
        });
        let record = BaseRecord::<[u8], [u8]>::to(&self.topic)
            .payload(letter.raw.as_slice())
            .timestamp(letter.received_at.micros().div_euclid(1000))
            .headers(fields);
        let record = match key {
            Some(key) => record.key(key),
            None => record,
        };
        send_waiting(&self.producer, record)?;
        // Cheap, and keeps delivery reports from piling up between flushes.
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    /// Waits up to `timeout` until every letter sent so far is acknowledged; returns how
    /// many were since the last flush. Err if any was not delivered (class Retry: do not
    /// commit, replay from the last commit).
    pub fn flush(&self, timeout: Duration) -> Result<u64, IngestError> {
        flush_and_tally(&self.producer, &self.topic, timeout)
    }
}
