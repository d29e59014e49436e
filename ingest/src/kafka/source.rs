//! The group consumer the runner polls.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use convolens_core::spec::StartFrom;
use convolens_core::{Clock, RawRecord, SourcePosition};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::classify::{KafkaErrorKind, kind_of};
use super::config::check_topic_name;
use super::context::{SourceContext, lock, partitions_of};
use super::{KafkaRecord, KafkaSettings, PartitionHandler, PartitionId};
use crate::IngestError;

const FETCH_WAIT: &str = "fetch.wait.max.ms";
/// How long a fetch of an until-idle consumer waits for data at most (see `create`).
const UNTIL_IDLE_FETCH_WAIT_MS: &str = "10";

/// How long `drained` waits for each answer from a broker.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// A consumer-group member on `BaseConsumer`, polled synchronously from the runner's
/// thread; rebalance callbacks run inside [`KafkaSource::poll`].
///
/// Dropping it leaves the group, which revokes the current assignment through
/// [`PartitionHandler::on_revoke`] on the dropping thread.
pub struct KafkaSource {
    consumer: BaseConsumer<SourceContext>,
    brokers: String,
    start_from: StartFrom,
    /// Shared topic names, so a record's position does not allocate one per message.
    topic_names: Vec<Arc<str>>,
    clock: Arc<dyn Clock>,
    /// Every assigned partition reached its end: see [`KafkaSource::take_caught_up`].
    caught_up: AtomicBool,
}

impl KafkaSource {
    /// Creates the consumer and subscribes to the settings' topics. Nothing is assigned
    /// until `poll` has run the group join.
    pub fn new(
        settings: &KafkaSettings,
        handler: Arc<dyn PartitionHandler>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IngestError> {
        Self::create(settings, handler, clock, false)
    }

    /// A consumer for a run that stops once drained: librdkafka reports reaching the end
    /// of each partition, and [`KafkaSource::take_caught_up`] says when every assigned
    /// partition is there, without waiting for a poll to come back empty.
    pub fn until_idle(
        settings: &KafkaSettings,
        handler: Arc<dyn PartitionHandler>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IngestError> {
        Self::create(settings, handler, clock, true)
    }

    fn create(
        settings: &KafkaSettings,
        handler: Arc<dyn PartitionHandler>,
        clock: Arc<dyn Clock>,
        report_ends: bool,
    ) -> Result<Self, IngestError> {
        let mut config = settings.consumer_config()?;
        if report_ends {
            config.set("enable.partition.eof", "true");
            // A broker answers a connection's requests in order, so the high watermarks
            // that `drained` asks for wait behind a fetch that waits for new data, up to
            // fetch.wait.max.ms (convolens' default 100 ms, measured: 46-92 ms at the end
            // of the demo). At the end of an until-idle run no data is coming.
            if !settings.properties.contains_key(FETCH_WAIT) {
                config.set(FETCH_WAIT, UNTIL_IDLE_FETCH_WAIT_MS);
            }
        }
        let consumer: BaseConsumer<SourceContext> = config
            .create_with_context(SourceContext::new(handler, settings.start_from))
            .map_err(|source| IngestError::Kafka {
                during: "create consumer",
                source,
            })?;
        let topics: Vec<&str> = settings.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics).map_err(|source| IngestError::Kafka {
            during: "subscribe",
            source,
        })?;
        Ok(KafkaSource {
            consumer,
            brokers: settings.brokers.clone(),
            start_from: settings.start_from,
            topic_names: settings.topics.iter().map(|t| Arc::from(t.as_str())).collect(),
            clock,
            caught_up: AtomicBool::new(false),
        })
    }

    /// Waits up to `timeout` for the next message. Ok(None) when none arrived (or a
    /// rebalance was handled instead, or every assigned partition just reached its end).
    /// Broker errors come back as errors whose [`IngestError::class`] says whether to
    /// retry; they are also logged, rate-limited.
    pub fn poll(&self, timeout: Duration) -> Result<Option<KafkaRecord>, IngestError> {
        let deadline = Instant::now() + timeout;
        let poll_error = loop {
            match self.consumer.poll(deadline.saturating_duration_since(Instant::now())) {
                // A message goes out before any error a rebalance callback left behind:
                // once polled, librdkafka has moved past it, so dropping it would lose it.
                Some(Ok(message)) => {
                    self.context().health.record_contact();
                    self.left_end(message.partition());
                    return Ok(Some(self.record_of(&message)));
                }
                // Not an error: the partition is consumed up to its high watermark.
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    if self.reached_end(partition) {
                        break None;
                    }
                    if Instant::now() >= deadline {
                        break None;
                    }
                }
                Some(Err(source)) => {
                    self.context().note_error(&source, "poll");
                    break Some(source);
                }
                None => break None,
            }
        };
        if let Some(error) = self.context().take_deferred_error() {
            return Err(error);
        }
        match poll_error {
            Some(source) => Err(IngestError::Kafka { during: "poll", source }),
            None => Ok(None),
        }
    }

    /// True once after every assigned partition has reached its end (as librdkafka saw
    /// the high watermarks in its last fetches) with no message since: the time to ask
    /// [`KafkaSource::drained`]. Only a consumer made with [`KafkaSource::until_idle`] (or
    /// whose properties set `enable.partition.eof`) hears of partition ends.
    ///
    /// librdkafka names no topic in a partition's end, so with several topics partition 0
    /// of one may stand for partition 0 of another: a hint to check, never a verdict.
    pub fn take_caught_up(&self) -> bool {
        self.caught_up.swap(false, Ordering::Relaxed)
    }

    fn left_end(&self, partition: i32) {
        let mut at_end = lock(&self.context().at_end);
        if !at_end.is_empty() {
            at_end.remove(&partition);
            self.caught_up.store(false, Ordering::Relaxed);
        }
    }

    /// Records a partition's end; true when that completes the assignment.
    fn reached_end(&self, partition: i32) -> bool {
        let mut at_end = lock(&self.context().at_end);
        at_end.insert(partition);
        let every = match self.consumer.assignment() {
            Ok(assigned) => assigned.count() > 0 && assigned.elements().iter().all(|e| at_end.contains(&e.partition())),
            Err(_) => false,
        };
        if every {
            self.caught_up.store(true, Ordering::Relaxed);
        }
        every
    }

    fn record_of(&self, message: &BorrowedMessage<'_>) -> KafkaRecord {
        let topic = message.topic();
        let topic = match self.topic_names.iter().find(|known| known.as_ref() == topic) {
            Some(known) => Arc::clone(known),
            None => Arc::from(topic),
        };
        KafkaRecord {
            key: message.key().map(<[u8]>::to_vec),
            record: RawRecord {
                bytes: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                position: SourcePosition::Kafka {
                    topic,
                    partition: message.partition(),
                    offset: message.offset(),
                },
                received_at: self.clock.now(),
            },
        }
    }

    /// The partitions assigned to this member now.
    pub fn assignment(&self) -> Result<Vec<PartitionId>, IngestError> {
        let tpl = self.consumer.assignment().map_err(|source| IngestError::Kafka {
            during: "read assignment",
            source,
        })?;
        Ok(partitions_of(&tpl))
    }

    /// True when this member is assigned every partition of the subscribed topics, as the
    /// brokers' metadata lists them now: it then sees the whole stream.
    pub fn holds_every_partition(&self) -> Result<bool, IngestError> {
        let assigned: std::collections::HashSet<PartitionId> = self.assignment()?.into_iter().collect();
        if assigned.is_empty() {
            return Ok(false);
        }
        for topic in &self.topic_names {
            let metadata = self
                .consumer
                .fetch_metadata(Some(topic), QUERY_TIMEOUT)
                .map_err(|source| IngestError::Kafka {
                    during: "read topic metadata",
                    source,
                })?;
            for listed in metadata.topics() {
                if listed.partitions().is_empty() {
                    return Ok(false);
                }
                for partition in listed.partitions() {
                    if !assigned.contains(&PartitionId::new(listed.name(), partition.id())) {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// True when every assigned partition has been consumed up to its high watermark, as
    /// of now (used by `--until-idle`). False while nothing is assigned, because right
    /// after start that means the group join has not finished.
    ///
    /// A partition from which nothing was consumed yet is where its start offset says:
    /// the one `on_assign` returned, else the group's committed offset, else the start
    /// of the partition (`start_from: earliest`) or its end (`latest`).
    pub fn drained(&self) -> Result<bool, IngestError> {
        let positions = self.consumer.position().map_err(|source| IngestError::Kafka {
            during: "read positions",
            source,
        })?;
        let mut unknown = TopicPartitionList::new();
        let mut next_offsets: Vec<(PartitionId, Option<i64>)> = Vec::new();
        for element in positions.elements() {
            let partition = PartitionId::new(element.topic(), element.partition());
            let consumed_up_to = match element.offset() {
                Offset::Offset(next) => Some(next),
                _ => self.context().start_offset(&partition),
            };
            if consumed_up_to.is_none() {
                unknown.add_partition(&partition.topic, partition.partition);
            }
            next_offsets.push((partition, consumed_up_to));
        }
        if next_offsets.is_empty() {
            return Ok(false);
        }
        let committed = self.committed_offsets(unknown)?;
        let ends = self.end_offsets()?;
        for (partition, consumed_up_to) in next_offsets {
            let high = match ends.get(&partition) {
                Some(&high) => high,
                None => self.watermarks(&partition)?.1,
            };
            let next = match consumed_up_to.or_else(|| committed.get(&partition).copied()) {
                Some(next) => next,
                None => match self.start_from {
                    StartFrom::Earliest => self.watermarks(&partition)?.0,
                    StartFrom::Latest => high,
                },
            };
            if next < high {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The high watermark of every assigned partition, in one request (a query per
    /// partition took seconds at forty partitions). Partitions the answer lacks are left
    /// out, for the caller to ask one by one.
    fn end_offsets(&self) -> Result<HashMap<PartitionId, i64>, IngestError> {
        let assignment = self.consumer.assignment().map_err(|source| IngestError::Kafka {
            during: "read assignment",
            source,
        })?;
        let mut latest = TopicPartitionList::new();
        for element in assignment.elements() {
            // As a timestamp, `End` (-1) asks for the latest offset: the high watermark.
            latest
                .add_partition_offset(element.topic(), element.partition(), Offset::End)
                .map_err(|source| IngestError::Kafka {
                    during: "list end offsets",
                    source,
                })?;
        }
        let ends = self
            .consumer
            .offsets_for_times(latest, QUERY_TIMEOUT)
            .map_err(|source| self.query_failed("fetch end offsets", source))?;
        self.context().health.record_contact();
        Ok(ends
            .elements()
            .iter()
            .filter_map(|e| match (e.offset(), e.error()) {
                (Offset::Offset(end), Ok(())) => Some((PartitionId::new(e.topic(), e.partition()), end)),
                _ => None,
            })
            .collect())
    }

    fn committed_offsets(&self, partitions: TopicPartitionList) -> Result<HashMap<PartitionId, i64>, IngestError> {
        if partitions.count() == 0 {
            return Ok(HashMap::new());
        }
        let committed = self
            .consumer
            .committed_offsets(partitions, QUERY_TIMEOUT)
            .map_err(|source| self.query_failed("read committed offsets", source))?;
        self.context().health.record_contact();
        Ok(committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(next) => Some((PartitionId::new(e.topic(), e.partition()), next)),
                _ => None,
            })
            .collect())
    }

    fn watermarks(&self, partition: &PartitionId) -> Result<(i64, i64), IngestError> {
        let marks = self
            .consumer
            .fetch_watermarks(&partition.topic, partition.partition, QUERY_TIMEOUT)
            .map_err(|source| self.query_failed("fetch watermarks", source))?;
        self.context().health.record_contact();
        Ok(marks)
    }

    fn query_failed(&self, during: &'static str, source: KafkaError) -> IngestError {
        // A request that timed out is as good a sign of an unreachable cluster as a
        // refused connection.
        if matches!(kind_of(&source), KafkaErrorKind::Transport)
            || source.rdkafka_error_code() == Some(rdkafka::error::RDKafkaErrorCode::OperationTimedOut)
        {
            self.context().health.record_transport_error(Instant::now());
        }
        self.context().note_error(&source, during);
        IngestError::Kafka { during, source }
    }

    /// Commits `offsets` (next offset to read, per partition) to the consumer group,
    /// asynchronously. Only a hint for lag dashboards and other tools: where this source
    /// resumes is decided by [`PartitionHandler::on_assign`]. Failures are logged.
    pub fn commit_hint(&self, offsets: &[(PartitionId, i64)]) {
        let mut tpl = TopicPartitionList::with_capacity(offsets.len());
        for (partition, next) in offsets {
            if check_topic_name(&partition.topic).is_err() || *next < 0 {
                tracing::warn!(%partition, next, "offset hint skipped: invalid partition or offset");
                continue;
            }
            if let Err(error) = tpl.add_partition_offset(&partition.topic, partition.partition, Offset::Offset(*next)) {
                tracing::warn!(%partition, %error, "offset hint skipped");
            }
        }
        if tpl.count() == 0 {
            return;
        }
        if let Err(error) = self.consumer.commit(&tpl, CommitMode::Async) {
            tracing::debug!(%error, "offset hint not committed to the group");
        }
    }

    /// How long no broker has been reachable, or None while the last broker interaction
    /// succeeded. Cheap; see [`KafkaSource::check_reachable`] for the decision.
    pub fn unreachable_for(&self) -> Option<Duration> {
        self.context().health.unreachable_for(Instant::now())
    }

    /// Err([`IngestError::BrokerUnreachable`]) if no broker has been reachable for longer
    /// than `budget`. Before giving up, it asks the cluster for metadata once (waiting at
    /// most `QUERY_TIMEOUT`): librdkafka reports failures but never recoveries, so an idle
    /// consumer would otherwise stay "unreachable" after the brokers came back.
    pub fn check_reachable(&self, budget: Duration) -> Result<(), IngestError> {
        let Some(unreachable_for) = self.unreachable_for() else {
            return Ok(());
        };
        if unreachable_for <= budget {
            return Ok(());
        }
        let topic = self.topic_names.first().map(|t| t.as_ref());
        match self
            .consumer
            .fetch_metadata(topic, QUERY_TIMEOUT.min(budget.max(Duration::from_millis(100))))
        {
            Ok(_) => {
                self.context().health.record_contact();
                Ok(())
            }
            Err(error) => {
                tracing::debug!(%error, "metadata probe failed");
                Err(IngestError::BrokerUnreachable {
                    brokers: self.brokers.clone(),
                    unreachable_for: self.unreachable_for().unwrap_or(unreachable_for),
                })
            }
        }
    }

    fn context(&self) -> &SourceContext {
        self.consumer.context()
    }
}
