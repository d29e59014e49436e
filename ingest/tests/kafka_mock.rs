//! The Kafka source and producers against librdkafka's in-process mock cluster, and with
//! `--ignored` against a real broker (see the end of the file).
//!
//! Every test uses its own topic and group, so they run in parallel; every wait has a
//! deadline, and each test body runs under a watchdog so a hung broker call fails the test
//! instead of hanging the run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use convolens_core::spec::StartFrom;
use convolens_core::{DeadLetter, InvalidReason, ManualClock, SourcePosition, Timestamp};
use convolens_ingest::IngestError;
use convolens_ingest::kafka::{
    DeadLetterProducer, EmbeddedCluster, KafkaRecord, KafkaSettings, KafkaSource, PartitionHandler, PartitionId,
    dead_letter_headers, produce_lines,
};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

const TEST_TIMEOUT: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(45);
const POLL: Duration = Duration::from_millis(100);

/// Runs `body` on its own thread and fails if it does not finish within `TEST_TIMEOUT`.
fn within_deadline(body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(TEST_TIMEOUT) {
        Ok(()) => worker.join().expect("test body"),
        // The body panicked: join to re-raise its panic message.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => worker.join().expect("test body"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("test did not finish within {TEST_TIMEOUT:?}"),
    }
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The mock cluster, or a real broker named by `CONVOLENS_TEST_BROKERS` (the `#[ignore]`d
/// tests at the end, e.g. against `scripts/tansu.sh start`).
enum TestCluster {
    Embedded(EmbeddedCluster),
    External(String),
}

impl TestCluster {
    fn embedded() -> Self {
        TestCluster::Embedded(EmbeddedCluster::start().expect("cluster"))
    }

    fn external() -> Self {
        let brokers = std::env::var("CONVOLENS_TEST_BROKERS").expect("set CONVOLENS_TEST_BROKERS=HOST:PORT");
        TestCluster::External(brokers)
    }

    fn brokers(&self) -> &str {
        match self {
            TestCluster::Embedded(cluster) => cluster.bootstrap_servers(),
            TestCluster::External(brokers) => brokers,
        }
    }

    /// Creates the topic, through the CreateTopics admin request on a real broker.
    fn create_topic(&self, name: &str, partitions: i32) {
        match self {
            TestCluster::Embedded(cluster) => cluster.create_topic(name, partitions).expect("topic"),
            TestCluster::External(brokers) => {
                let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                    .set("bootstrap.servers", brokers)
                    .create()
                    .expect("admin client");
                let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
                let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let results = runtime
                    .block_on(admin.create_topics([&topic], &options))
                    .expect("create topics");
                assert_eq!(results, vec![Ok(name.to_string())]);
            }
        }
    }
}

/// Records the rebalance calls; answers `on_assign` with a fixed start offset if set.
#[derive(Default)]
struct RecordingHandler {
    start_at: Option<i64>,
    assigned: Mutex<Vec<PartitionId>>,
    revoked: Mutex<Vec<PartitionId>>,
}

impl PartitionHandler for RecordingHandler {
    fn on_assign(&self, partitions: &[PartitionId]) -> Vec<Option<i64>> {
        self.assigned.lock().expect("lock").extend_from_slice(partitions);
        vec![self.start_at; partitions.len()]
    }

    fn on_revoke(&self, partitions: &[PartitionId]) {
        self.revoked.lock().expect("lock").extend_from_slice(partitions);
    }
}

fn settings(brokers: &str, topic: &str, group: &str) -> KafkaSettings {
    KafkaSettings {
        brokers: brokers.to_string(),
        topics: vec![topic.to_string()],
        group: group.to_string(),
        start_from: StartFrom::Earliest,
        properties: BTreeMap::new(),
    }
}

fn source(brokers: &str, topic: &str, group: &str, handler: Arc<RecordingHandler>) -> KafkaSource {
    KafkaSource::new(&quick_settings(brokers, topic, group), handler, test_clock()).expect("consumer")
}

fn test_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)))
}

fn quick_settings(brokers: &str, topic: &str, group: &str) -> KafkaSettings {
    let mut settings = settings(brokers, topic, group);
    // The mock coordinator waits up to a session timeout for members to rejoin a
    // rebalance; a short one keeps the group tests quick. (Also shows that properties
    // override convolens' defaults.)
    settings.properties.insert("session.timeout.ms".into(), "6000".into());
    settings.properties.insert("heartbeat.interval.ms".into(), "500".into());
    settings
}

/// Offsets consumed per partition.
fn offsets_by_partition(records: &[KafkaRecord]) -> BTreeMap<i32, Vec<i64>> {
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for record in records {
        let (_, partition, offset) = position(record);
        offsets.entry(partition).or_default().push(offset);
    }
    offsets
}

fn position(record: &KafkaRecord) -> (String, i32, i64) {
    match &record.record.position {
        SourcePosition::Kafka {
            topic,
            partition,
            offset,
        } => (topic.to_string(), *partition, *offset),
        other => panic!("expected a Kafka position, got {other}"),
    }
}

/// Polls until `count` records arrived or `WAIT` passed.
fn consume(source: &KafkaSource, count: usize) -> Vec<KafkaRecord> {
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while records.len() < count && Instant::now() < deadline {
        if let Some(record) = source.poll(POLL).expect("poll") {
            records.push(record);
        }
    }
    records
}

/// Polls until `drained()` is true or `WAIT` passed; returns what arrived meanwhile.
fn consume_until_drained(source: &KafkaSource) -> (Vec<KafkaRecord>, bool) {
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while Instant::now() < deadline {
        match source.poll(POLL).expect("poll") {
            Some(record) => records.push(record),
            None => {
                if source.drained().expect("drained") {
                    return (records, true);
                }
            }
        }
    }
    (records, false)
}

/// High watermark per partition, asked by a separate plain consumer.
fn high_watermarks(brokers: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("probe consumer");
    (0..partitions)
        .map(|p| {
            probe
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .expect("watermarks")
                .1
        })
        .collect()
}

#[test]
fn keyed_lines_are_consumed_once_each_with_their_positions_and_the_source_drains() {
    within_deadline(|| consume_keyed_lines(&TestCluster::embedded()));
}

fn consume_keyed_lines(cluster: &TestCluster) {
    let topic = unique("lines");
    cluster.create_topic(&topic, 4);
    let conversations = 13;
    let lines: Vec<(Option<Vec<u8>>, Vec<u8>)> = (0..300)
        .map(|i| {
            (
                Some(format!("conv-{}", i % conversations).into_bytes()),
                format!("{i}").into_bytes(),
            )
        })
        .chain(std::iter::once((None, Vec::new())))
        .collect();
    let produced = produce_lines(cluster.brokers(), &topic, lines.clone(), &BTreeMap::new()).expect("produce");
    assert_eq!(produced, 301);

    let handler = Arc::new(RecordingHandler::default());
    let source = source(cluster.brokers(), &topic, &unique("group"), Arc::clone(&handler));
    assert!(
        !source.drained().expect("drained"),
        "nothing assigned yet, so not drained"
    );
    let (records, drained) = consume_until_drained(&source);
    assert!(drained, "drained() never became true; {} records read", records.len());

    // Each produced line exactly once.
    let mut seen: Vec<(Option<Vec<u8>>, Vec<u8>)> = records
        .iter()
        .map(|r| (r.key.clone(), r.record.bytes.clone()))
        .collect();
    let mut expected = lines;
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);

    // Positions: per partition the offsets 0..high without gaps, and the watermarks
    // (asked independently) add up to what was produced.
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for record in &records {
        let (record_topic, partition, offset) = position(record);
        assert_eq!(record_topic, topic);
        offsets.entry(partition).or_default().push(offset);
    }
    let highs = high_watermarks(cluster.brokers(), &topic, 4);
    assert_eq!(highs.iter().sum::<i64>(), 301);
    for (partition, high) in highs.iter().enumerate() {
        let got = offsets.remove(&(partition as i32)).unwrap_or_default();
        assert_eq!(got, (0..*high).collect::<Vec<_>>(), "partition {partition}");
    }
    assert!(
        offsets.is_empty(),
        "records from partitions that do not exist: {offsets:?}"
    );

    // One conversation lives in one partition, in production order.
    let mut by_key: HashMap<Vec<u8>, Vec<(i32, u64)>> = HashMap::new();
    for record in &records {
        if let Some(key) = &record.key {
            let seq: u64 = String::from_utf8_lossy(&record.record.bytes)
                .parse()
                .expect("sequence number");
            by_key.entry(key.clone()).or_default().push((position(record).1, seq));
        }
    }
    assert_eq!(by_key.len(), conversations);
    for (key, arrivals) in by_key {
        let partitions: BTreeSet<i32> = arrivals.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            partitions.len(),
            1,
            "{} spread over {partitions:?}",
            String::from_utf8_lossy(&key)
        );
        assert!(
            arrivals.windows(2).all(|w| w[0].1 < w[1].1),
            "out of order: {arrivals:?}"
        );
    }

    let assigned: BTreeSet<PartitionId> = handler.assigned.lock().expect("lock").iter().cloned().collect();
    let all: BTreeSet<PartitionId> = (0..4).map(|p| PartitionId::new(topic.as_str(), p)).collect();
    assert_eq!(assigned, all);
    assert_eq!(
        source
            .assignment()
            .expect("assignment")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        all
    );
    assert_eq!(source.unreachable_for(), None, "brokers answered");
    source.check_reachable(Duration::ZERO).expect("reachable");
}

#[test]
fn start_offsets_from_on_assign_are_honoured_before_anything_is_fetched() {
    within_deadline(|| start_from_handler_offsets(&TestCluster::embedded()));
}

fn start_from_handler_offsets(cluster: &TestCluster) {
    let topic = unique("start");
    cluster.create_topic(&topic, 2);
    let lines = (0..120).map(|i| (Some(format!("k{i}").into_bytes()), format!("{i}").into_bytes()));
    produce_lines(cluster.brokers(), &topic, lines, &BTreeMap::new()).expect("produce");
    let highs = high_watermarks(cluster.brokers(), &topic, 2);

    let start = 7;
    let handler = Arc::new(RecordingHandler {
        start_at: Some(start),
        ..Default::default()
    });
    let source = source(cluster.brokers(), &topic, &unique("group"), handler);
    let (records, drained) = consume_until_drained(&source);
    assert!(drained);
    for (partition, high) in highs.iter().enumerate() {
        let got: Vec<i64> = records
            .iter()
            .map(position)
            .filter(|(_, p, _)| *p == partition as i32)
            .map(|(_, _, offset)| offset)
            .collect();
        let expected: Vec<i64> = (start.min(*high)..*high).collect();
        assert_eq!(got, expected, "partition {partition} (high watermark {high})");
    }
}

#[test]
fn without_a_handler_offset_a_partition_starts_at_the_groups_offset_else_where_start_from_says() {
    within_deadline(|| start_from_group_or_setting(&TestCluster::embedded()));
}

fn start_from_group_or_setting(cluster: &TestCluster) {
    let topic = unique("fallback");
    let group = unique("group");
    cluster.create_topic(&topic, 2);
    let lines = (0..60).map(|i| (Some(format!("k{i}").into_bytes()), b"x".to_vec()));
    produce_lines(cluster.brokers(), &topic, lines, &BTreeMap::new()).expect("produce");
    let highs = high_watermarks(cluster.brokers(), &topic, 2);
    assert!(
        highs.iter().all(|&high| high > 5),
        "both partitions hold lines: {highs:?}"
    );

    // The group has a committed offset for partition 0 only.
    {
        let member = source(cluster.brokers(), &topic, &group, Arc::new(RecordingHandler::default()));
        assert_eq!(consume(&member, 60).len(), 60);
        member.commit_hint(&[(PartitionId::new(topic.as_str(), 0), 5)]);
        let deadline = Instant::now() + WAIT;
        while group_offsets(cluster.brokers(), &group, &topic, 2)[0] != Offset::Offset(5) && Instant::now() < deadline {
            let _ = member.poll(POLL).expect("poll");
        }
        assert_eq!(
            group_offsets(cluster.brokers(), &group, &topic, 2)[0],
            Offset::Offset(5)
        );
    }

    // Earliest: partition 0 resumes at the group's offset, partition 1 starts at 0.
    let handler = Arc::new(RecordingHandler::default());
    let earliest = source(cluster.brokers(), &topic, &group, handler);
    let (records, drained) = consume_until_drained(&earliest);
    assert!(drained);
    let offsets = offsets_by_partition(&records);
    assert_eq!(
        offsets.get(&0).cloned().unwrap_or_default(),
        (5..highs[0]).collect::<Vec<_>>()
    );
    assert_eq!(
        offsets.get(&1).cloned().unwrap_or_default(),
        (0..highs[1]).collect::<Vec<_>>()
    );
    drop(earliest);

    // Latest, in a group without offsets: nothing produced before the assignment arrives,
    // everything produced after it does.
    let mut settings = quick_settings(cluster.brokers(), &topic, &unique("group"));
    settings.start_from = StartFrom::Latest;
    let latest = KafkaSource::new(&settings, Arc::new(RecordingHandler::default()), test_clock()).expect("consumer");
    let (mut before, drained) = consume_until_drained(&latest);
    assert!(drained);
    // Polled a while longer, so that the end offsets are resolved before more is produced.
    let settle = Instant::now() + Duration::from_millis(500);
    while Instant::now() < settle {
        before.extend(latest.poll(POLL).expect("poll"));
    }
    assert!(
        before.is_empty(),
        "read {} records produced before the assignment",
        before.len()
    );
    let more = (60..80).map(|i| (Some(format!("k{i}").into_bytes()), b"y".to_vec()));
    produce_lines(cluster.brokers(), &topic, more, &BTreeMap::new()).expect("produce");
    let after = consume(&latest, 20);
    assert_eq!(after.len(), 20);
    let new_highs = high_watermarks(cluster.brokers(), &topic, 2);
    let offsets = offsets_by_partition(&after);
    for partition in 0..2 {
        let expected: Vec<i64> = (highs[partition]..new_highs[partition]).collect();
        let got = offsets.get(&(partition as i32)).cloned().unwrap_or_default();
        assert_eq!(got, expected, "partition {partition}");
    }
}

/// The consumer group's committed offsets, asked by a separate plain consumer.
fn group_offsets(brokers: &str, group: &str, topic: &str, partitions: i32) -> Vec<Offset> {
    let observer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("observer");
    let mut query = TopicPartitionList::new();
    for partition in 0..partitions {
        query.add_partition(topic, partition);
    }
    let answer = observer
        .committed_offsets(query, Duration::from_secs(5))
        .expect("committed");
    answer.elements().iter().map(|e| e.offset()).collect()
}

#[test]
fn an_until_idle_source_says_when_every_partition_reached_its_end() {
    within_deadline(|| caught_up_at_partition_ends(&TestCluster::embedded()));
}

fn caught_up_at_partition_ends(cluster: &TestCluster) {
    let topic = unique("ends");
    // Four partitions, one line: three partitions stay empty, and still count as at their end.
    cluster.create_topic(&topic, 4);
    produce_lines(
        cluster.brokers(),
        &topic,
        [(Some(b"k".to_vec()), b"1".to_vec())],
        &BTreeMap::new(),
    )
    .expect("produce");
    let settings = quick_settings(cluster.brokers(), &topic, &unique("group"));
    let source =
        KafkaSource::until_idle(&settings, Arc::new(RecordingHandler::default()), test_clock()).expect("consumer");
    let deadline = Instant::now() + WAIT;
    let mut records = Vec::new();
    while !source.take_caught_up() && Instant::now() < deadline {
        records.extend(source.poll(POLL).expect("poll"));
    }
    assert_eq!(records.len(), 1, "caught up only after the one line");
    assert!(source.drained().expect("drained"), "caught up means drained");
    assert!(!source.take_caught_up(), "reported once");

    // More lines: not caught up until they are consumed, then caught up again.
    let more = (0..30).map(|i| (Some(format!("k{i}").into_bytes()), b"2".to_vec()));
    produce_lines(cluster.brokers(), &topic, more, &BTreeMap::new()).expect("produce");
    // A fetch that raced the producer may end a partition part-way through the new lines
    // (it was the end then), so the check is: never before one of them arrived, and at
    // the end once all of them have.
    let deadline = Instant::now() + WAIT;
    let mut caught_up_at = Vec::new();
    while Instant::now() < deadline && caught_up_at.last() != Some(&31) {
        records.extend(source.poll(POLL).expect("poll"));
        if source.take_caught_up() {
            caught_up_at.push(records.len());
        }
    }
    assert!(
        caught_up_at.iter().all(|&n| n > 1),
        "caught up before new lines: {caught_up_at:?}"
    );
    assert_eq!(
        caught_up_at.last(),
        Some(&31),
        "caught up again right after the last line"
    );

    // A plain consumer whose properties ask for partition ends is not disturbed by them.
    let mut settings = quick_settings(cluster.brokers(), &topic, &unique("group"));
    settings.properties.insert("enable.partition.eof".into(), "true".into());
    let plain = KafkaSource::new(&settings, Arc::new(RecordingHandler::default()), test_clock()).expect("consumer");
    let (records, drained) = consume_until_drained(&plain);
    assert!(drained);
    assert_eq!(records.len(), 31);
}

#[test]
fn a_second_member_takes_over_partitions_and_the_first_is_told_before_giving_them_up() {
    within_deadline(|| split_between_two_members(&TestCluster::embedded()));
}

fn split_between_two_members(cluster: &TestCluster) {
    let topic = unique("split");
    let group = unique("group");
    cluster.create_topic(&topic, 4);
    let lines = (0..40).map(|i| (Some(format!("k{i}").into_bytes()), b"x".to_vec()));
    produce_lines(cluster.brokers(), &topic, lines, &BTreeMap::new()).expect("produce");

    let first_handler = Arc::new(RecordingHandler::default());
    let first = source(cluster.brokers(), &topic, &group, Arc::clone(&first_handler));
    let deadline = Instant::now() + WAIT;
    while first.assignment().expect("assignment").len() < 4 && Instant::now() < deadline {
        let _ = first.poll(POLL).expect("poll");
    }
    assert_eq!(
        first.assignment().expect("assignment").len(),
        4,
        "the only member gets every partition"
    );
    assert!(first_handler.revoked.lock().expect("lock").is_empty());

    let second_handler = Arc::new(RecordingHandler::default());
    let second = source(cluster.brokers(), &topic, &group, Arc::clone(&second_handler));
    let deadline = Instant::now() + WAIT;
    let split = |a: &KafkaSource, b: &KafkaSource| {
        let (a, b) = (a.assignment().expect("assignment"), b.assignment().expect("assignment"));
        !a.is_empty() && !b.is_empty() && a.len() + b.len() == 4
    };
    while !split(&first, &second) && Instant::now() < deadline {
        let _ = first.poll(POLL).expect("poll first");
        let _ = second.poll(POLL).expect("poll second");
    }
    let first_now: BTreeSet<PartitionId> = first.assignment().expect("assignment").into_iter().collect();
    let second_now: BTreeSet<PartitionId> = second.assignment().expect("assignment").into_iter().collect();
    assert!(
        !first_now.is_empty() && !second_now.is_empty(),
        "not split: {first_now:?} / {second_now:?}"
    );
    assert!(first_now.is_disjoint(&second_now));
    assert_eq!(first_now.len() + second_now.len(), 4);

    let revoked: BTreeSet<PartitionId> = first_handler.revoked.lock().expect("lock").iter().cloned().collect();
    assert!(
        second_now.is_subset(&revoked),
        "every partition the second member owns was first revoked from the first: revoked {revoked:?}, second {second_now:?}"
    );
    let second_assigned: BTreeSet<PartitionId> =
        second_handler.assigned.lock().expect("lock").iter().cloned().collect();
    assert_eq!(second_assigned, second_now);
}

#[test]
fn dead_letter_headers_round_trip() {
    within_deadline(|| dead_letters_round_trip(&TestCluster::embedded()));
}

fn dead_letters_round_trip(cluster: &TestCluster) {
    let topic = unique("dead");
    cluster.create_topic(&topic, 1);
    let producer = DeadLetterProducer::new(cluster.brokers(), &topic, &BTreeMap::new()).expect("producer");
    let from_kafka = DeadLetter {
        raw: b"{\"broken\":".to_vec(),
        reason: InvalidReason::NotJson {
            detail: "EOF while parsing".into(),
        },
        position: SourcePosition::Kafka {
            topic: Arc::from("events"),
            partition: 3,
            offset: 41,
        },
        received_at: Timestamp::from_millis(1_700_000_000_123),
    };
    let from_file = DeadLetter {
        raw: vec![0xff, 0xfe],
        reason: InvalidReason::NotUtf8 { valid_up_to: 0 },
        position: SourcePosition::File {
            path: Arc::from("in.ndjson"),
            line: 9,
        },
        received_at: Timestamp::from_millis(1_700_000_000_456),
    };
    producer.send(&from_kafka, Some(b"conv-1")).expect("send");
    producer.send(&from_file, None).expect("send");
    assert_eq!(producer.flush(Duration::from_secs(30)).expect("flush"), 2);

    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.brokers())
        .set("group.id", unique("reader"))
        .create()
        .expect("reader");
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&topic, 0, Offset::Beginning)
        .expect("partition");
    reader.assign(&assignment).expect("assign");
    let deadline = Instant::now() + WAIT;
    let mut messages = Vec::new();
    while messages.len() < 2 && Instant::now() < deadline {
        if let Some(message) = reader.poll(POLL) {
            let message = message.expect("message");
            let headers: Vec<(String, String)> = message
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            (
                                h.key.to_string(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            messages.push((
                message.key().map(<[u8]>::to_vec),
                message.payload().map(<[u8]>::to_vec),
                message.timestamp().to_millis(),
                headers,
            ));
        }
    }
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].0.as_deref(), Some(&b"conv-1"[..]));
    assert_eq!(messages[0].1.as_deref(), Some(&b"{\"broken\":"[..]));
    assert_eq!(messages[0].2, Some(1_700_000_000_123));
    assert_eq!(
        messages[0].3,
        pairs(&[
            (dead_letter_headers::REASON, "not_json"),
            (dead_letter_headers::DETAIL, "not JSON: EOF while parsing"),
            (dead_letter_headers::SOURCE_TOPIC, "events"),
            (dead_letter_headers::SOURCE_PARTITION, "3"),
            (dead_letter_headers::SOURCE_OFFSET, "41"),
            (dead_letter_headers::SOURCE, "events/3@41"),
        ])
    );
    assert_eq!(messages[1].0, None);
    assert_eq!(messages[1].1.as_deref(), Some(&[0xff, 0xfe][..]));
    assert_eq!(
        messages[1].3,
        pairs(&[
            (dead_letter_headers::REASON, "not_utf8"),
            (
                dead_letter_headers::DETAIL,
                "not UTF-8 (invalid byte after 0 valid bytes)"
            ),
            (dead_letter_headers::SOURCE, "in.ndjson:9"),
        ])
    );
}

#[test]
fn offset_hints_reach_the_consumer_group() {
    within_deadline(|| offset_hints_reach_the_group(&TestCluster::embedded()));
}

fn offset_hints_reach_the_group(cluster: &TestCluster) {
    let topic = unique("hint");
    let group = unique("group");
    cluster.create_topic(&topic, 2);
    let lines = (0..20).map(|i| (Some(format!("k{i}").into_bytes()), b"x".to_vec()));
    produce_lines(cluster.brokers(), &topic, lines, &BTreeMap::new()).expect("produce");
    let source = source(cluster.brokers(), &topic, &group, Arc::new(RecordingHandler::default()));
    let records = consume(&source, 20);
    assert_eq!(records.len(), 20);

    let hints = [
        (PartitionId::new(topic.as_str(), 0), 3),
        (PartitionId::new(topic.as_str(), 1), 5),
    ];
    source.commit_hint(&hints);
    // An invalid hint is skipped, not a panic.
    source.commit_hint(&[
        (PartitionId::new("bad\0topic", 0), 1),
        (PartitionId::new(topic.as_str(), 0), -4),
    ]);

    let observer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", cluster.brokers())
        .set("group.id", &group)
        .create()
        .expect("observer");
    let mut query = TopicPartitionList::new();
    query.add_partition(&topic, 0);
    query.add_partition(&topic, 1);
    let deadline = Instant::now() + WAIT;
    let mut committed = Vec::new();
    while Instant::now() < deadline {
        // The commit is asynchronous: keep the source polled while waiting for it.
        let _ = source.poll(POLL).expect("poll");
        let answer = observer
            .committed_offsets(query.clone(), Duration::from_secs(5))
            .expect("committed");
        committed = answer
            .elements()
            .iter()
            .map(|e| (e.partition(), e.offset()))
            .collect::<Vec<_>>();
        if committed == vec![(0, Offset::Offset(3)), (1, Offset::Offset(5))] {
            break;
        }
    }
    assert_eq!(committed, vec![(0, Offset::Offset(3)), (1, Offset::Offset(5))]);
}

#[test]
fn an_unreachable_cluster_is_reported_after_the_budget() {
    within_deadline(|| {
        // Port 1 on loopback: nothing listens, connections are refused at once.
        let handler = Arc::new(RecordingHandler::default());
        let source = source("127.0.0.1:1", &unique("nowhere"), &unique("group"), handler);
        for _ in 0..5 {
            if let Err(error) = source.poll(POLL) {
                assert_eq!(error.class(), convolens_core::ErrorClass::Retry, "{error}");
            }
        }
        assert!(source.unreachable_for().is_some());
        source
            .check_reachable(Duration::from_secs(3600))
            .expect("within budget");
        match source.check_reachable(Duration::ZERO) {
            Err(error @ IngestError::BrokerUnreachable { .. }) => {
                assert!(error.is_environment());
                assert!(error.to_string().contains("127.0.0.1:1"), "{error}");
            }
            other => panic!("expected BrokerUnreachable, got {other:?}"),
        }
    });
}

// The same checks against a real broker, e.g. tansu:
//   read -r port pid < <(scripts/tansu.sh start "$(mktemp -d)")
//   CONVOLENS_TEST_BROKERS=127.0.0.1:$port cargo test -p convolens-ingest --test kafka_mock -- --ignored
//   scripts/tansu.sh stop "$pid"

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_keyed_lines_are_consumed_once_each() {
    within_deadline(|| consume_keyed_lines(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_a_second_member_takes_over_partitions() {
    within_deadline(|| split_between_two_members(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_start_offsets_from_on_assign_are_honoured() {
    within_deadline(|| start_from_handler_offsets(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_start_from_the_groups_offset_or_the_setting() {
    within_deadline(|| start_from_group_or_setting(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_an_until_idle_source_says_when_every_partition_reached_its_end() {
    within_deadline(|| caught_up_at_partition_ends(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_dead_letter_headers_round_trip() {
    within_deadline(|| dead_letters_round_trip(&TestCluster::external()));
}

#[test]
#[ignore = "needs a real broker in CONVOLENS_TEST_BROKERS"]
fn real_broker_offset_hints_reach_the_consumer_group() {
    within_deadline(|| offset_hints_reach_the_group(&TestCluster::external()));
}
