//! The consumer's librdkafka context: rebalances call the runner's [`PartitionHandler`],
//! errors feed broker health and rate-limited warnings.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use convolens_core::spec::StartFrom;

use super::classify::{KafkaErrorKind, kind_of};
use super::health::{BrokerHealth, WarnLimiter};
use super::{PartitionHandler, PartitionId, forward_log};
use crate::IngestError;

/// How often a transient broker error is logged at most.
const WARN_INTERVAL: Duration = Duration::from_secs(10);

/// How long an assignment waits for the group's committed offsets of partitions the
/// handler has no start for; past it, librdkafka looks them up itself.
const COMMITTED_TIMEOUT: Duration = Duration::from_secs(2);

pub struct SourceContext {
    handler: Arc<dyn PartitionHandler>,
    pub(crate) health: BrokerHealth,
    warnings: WarnLimiter,
    /// Start offsets the handler chose for the partitions assigned now: where a partition
    /// is before its first message has been consumed.
    starts: Mutex<HashMap<PartitionId, i64>>,
    /// Where a partition without a start offset or a committed group offset begins.
    start_from: StartFrom,
    /// Partitions (by number: librdkafka's end-of-partition event names no topic) whose
    /// end was reached since their last message; cleared by every rebalance.
    pub(crate) at_end: Mutex<BTreeSet<i32>>,
    /// An error raised inside a rebalance callback, which cannot return one; the next
    /// `poll` reports it.
    deferred: Mutex<Option<IngestError>>,
}

impl SourceContext {
    pub(crate) fn new(handler: Arc<dyn PartitionHandler>, start_from: StartFrom) -> Self {
        SourceContext {
            handler,
            health: BrokerHealth::new(Instant::now()),
            warnings: WarnLimiter::new(WARN_INTERVAL),
            starts: Mutex::new(HashMap::new()),
            start_from,
            at_end: Mutex::new(BTreeSet::new()),
            deferred: Mutex::new(None),
        }
    }

    pub(crate) fn start_offset(&self, partition: &PartitionId) -> Option<i64> {
        lock(&self.starts).get(partition).copied()
    }

    pub(crate) fn take_deferred_error(&self) -> Option<IngestError> {
        lock(&self.deferred).take()
    }

    /// Records a broker error in the health state and logs it, at most every few seconds.
    pub(crate) fn note_error(&self, error: &KafkaError, during: &str) {
        // A partition's end (asked for by until-idle consumers) is news, not trouble;
        // librdkafka also reports it through the client's error callback.
        if is_partition_end(error) {
            return;
        }
        let now = Instant::now();
        let kind = kind_of(error);
        if kind == KafkaErrorKind::Transport {
            self.health.record_transport_error(now);
        }
        if kind == KafkaErrorKind::Fatal {
            tracing::error!(during, %error, "Kafka error");
        } else if let Some(suppressed) = self.warnings.admit(now) {
            tracing::warn!(during, %error, suppressed, "Kafka broker trouble, retrying");
        }
    }

    fn defer(&self, error: IngestError) {
        tracing::error!(%error, "rebalance failed");
        lock(&self.deferred).get_or_insert(error);
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList, cooperative: bool) {
        let partitions = partitions_of(tpl);
        lock(&self.at_end).clear();
        let starts = self.handler.on_assign(&partitions);
        if starts.len() != partitions.len() {
            tracing::warn!(
                expected = partitions.len(),
                got = starts.len(),
                "PartitionHandler::on_assign returned the wrong number of offsets; missing ones use the group's"
            );
        }
        let mut without_start = TopicPartitionList::new();
        let mut known = lock(&self.starts);
        for (partition, start) in partitions.iter().zip(starts.into_iter().chain(std::iter::repeat(None))) {
            match start {
                Some(offset) if offset >= 0 => {
                    // Setting the offset in the list handed to assign (rather than seeking
                    // later) means librdkafka never fetches from anywhere else.
                    self.set_start(tpl, partition, Offset::Offset(offset));
                    known.insert(partition.clone(), offset);
                }
                negative_or_none => {
                    if let Some(offset) = negative_or_none {
                        tracing::warn!(%partition, offset, "negative start offset ignored");
                    }
                    without_start.add_partition(&partition.topic, partition.partition);
                }
            }
        }
        drop(known);
        self.start_without_handler_offset(consumer, tpl, without_start);
        let assigned = if cooperative {
            consumer.incremental_assign(tpl)
        } else {
            consumer.assign(tpl)
        };
        if let Err(source) = assigned {
            self.defer(IngestError::Kafka {
                during: "assign",
                source,
            });
        }
        tracing::info!(partitions = %list(&partitions), "partitions assigned");
    }

    fn set_start(&self, tpl: &mut TopicPartitionList, partition: &PartitionId, offset: Offset) {
        if let Err(source) = tpl.set_partition_offset(&partition.topic, partition.partition, offset) {
            self.defer(IngestError::Kafka {
                during: "set start offset",
                source,
            });
        }
    }

    /// Partitions the handler has no offset for start at the group's committed offset,
    /// else at `start_from`, as librdkafka would choose. Choosing here saves time: when
    /// librdkafka finds no committed offset, it waits 100 ms before it asks for the
    /// partition's first or last offset (`rd_kafka_offset_reset` after `__NO_OFFSET`), on
    /// every first assignment of a fresh topic. If the group cannot answer quickly,
    /// librdkafka looks the offsets up itself.
    fn start_without_handler_offset(
        &self,
        consumer: &BaseConsumer<Self>,
        tpl: &mut TopicPartitionList,
        partitions: TopicPartitionList,
    ) {
        if partitions.count() == 0 {
            return;
        }
        let committed = match consumer.committed_offsets(partitions, COMMITTED_TIMEOUT) {
            Ok(committed) => committed,
            Err(error) => {
                tracing::debug!(%error, "committed offsets not read at assignment; librdkafka looks them up");
                return;
            }
        };
        let mut known = lock(&self.starts);
        for element in committed.elements() {
            let partition = PartitionId::new(element.topic(), element.partition());
            match element.offset() {
                Offset::Offset(offset) if offset >= 0 => {
                    self.set_start(tpl, &partition, Offset::Offset(offset));
                    known.insert(partition, offset);
                }
                _ => {
                    let start = match self.start_from {
                        StartFrom::Earliest => Offset::Beginning,
                        StartFrom::Latest => Offset::End,
                    };
                    self.set_start(tpl, &partition, start);
                }
            }
        }
    }

    fn revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList, cooperative: bool) {
        let partitions = partitions_of(tpl);
        let lost = consumer.assignment_lost();
        if lost {
            self.handler.on_lost(&partitions);
        } else {
            self.handler.on_revoke(&partitions);
        }
        let mut known = lock(&self.starts);
        for partition in &partitions {
            known.remove(partition);
        }
        drop(known);
        lock(&self.at_end).clear();
        let unassigned = if cooperative {
            consumer.incremental_unassign(tpl)
        } else {
            consumer.unassign()
        };
        if let Err(source) = unassigned {
            self.defer(IngestError::Kafka {
                during: "unassign",
                source,
            });
        }
        tracing::info!(partitions = %list(&partitions), lost, "partitions revoked");
    }

    /// A failed rebalance leaves the assignment undefined: treat every partition as lost
    /// and let the group assign afresh.
    fn abandon_assignment(&self, consumer: &BaseConsumer<Self>, error: RDKafkaRespErr, cooperative: bool) {
        let error = KafkaError::Rebalance(error.into());
        tracing::warn!(%error, "rebalance error; dropping the current assignment");
        let current = match consumer.assignment() {
            Ok(tpl) => tpl,
            Err(source) => {
                self.defer(IngestError::Kafka {
                    during: "read assignment",
                    source,
                });
                TopicPartitionList::new()
            }
        };
        let partitions = partitions_of(&current);
        if !partitions.is_empty() {
            self.handler.on_lost(&partitions);
        }
        lock(&self.starts).clear();
        lock(&self.at_end).clear();
        let unassigned = if cooperative {
            consumer.incremental_unassign(&current)
        } else {
            consumer.unassign()
        };
        if let Err(source) = unassigned {
            self.defer(IngestError::Kafka {
                during: "unassign",
                source,
            });
        }
    }
}

impl ClientContext for SourceContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        forward_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.note_error(&error, reason);
    }
}

impl ConsumerContext for SourceContext {
    /// Replaces rdkafka's default so the start offsets go into the very list that is
    /// assigned, and the runner commits before partitions are given up.
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, tpl: &mut TopicPartitionList) {
        // The group coordinator answered: the brokers are reachable.
        self.health.record_contact();
        let cooperative = matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative);
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(consumer, tpl, cooperative),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.revoke(consumer, tpl, cooperative),
            other => self.abandon_assignment(consumer, other, cooperative),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            Ok(()) => self.health.record_contact(),
            // Group offsets are only a hint for dashboards; a failed commit costs nothing.
            Err(error) => tracing::debug!(%error, "offset hint not committed to the group"),
        }
    }
}

fn is_partition_end(error: &KafkaError) -> bool {
    matches!(
        error,
        KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
    )
}

pub(crate) fn partitions_of(tpl: &TopicPartitionList) -> Vec<PartitionId> {
    tpl.elements()
        .iter()
        .map(|e| PartitionId::new(e.topic(), e.partition()))
        .collect()
}

fn list(partitions: &[PartitionId]) -> String {
    partitions.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values are plain maps and sets updated in one step; a panic elsewhere
    // cannot leave them half-written.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use rdkafka::error::RDKafkaErrorCode;

    use super::*;

    struct NoPartitions;

    impl PartitionHandler for NoPartitions {
        fn on_assign(&self, partitions: &[PartitionId]) -> Vec<Option<i64>> {
            vec![None; partitions.len()]
        }
        fn on_revoke(&self, _partitions: &[PartitionId]) {}
    }

    #[test]
    fn partition_ends_are_not_reported_as_broker_trouble() {
        let context = SourceContext::new(Arc::new(NoPartitions), StartFrom::Earliest);
        context.note_error(&KafkaError::PartitionEOF(3), "poll");
        context.note_error(&KafkaError::Global(RDKafkaErrorCode::PartitionEOF), "fetch");
        // Had either been logged, the limiter would hold the next warning back.
        assert_eq!(context.warnings.admit(Instant::now()), Some(0));

        context.note_error(&KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure), "fetch");
        assert_eq!(
            context.warnings.admit(Instant::now()),
            None,
            "a real broker error is logged, and the limiter then holds the next one back"
        );
    }
}
