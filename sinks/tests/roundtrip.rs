//! Parquet write then read is lossless: arbitrary rows of every table go through the lake
//! writer (rolling, renaming) and read back with the Parquet reader equal to what was
//! built.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use convolens_core::spec::LakeFileSettings;
use convolens_core::{
    Actor, Channel, ConversationFacts, DeadLetter, Disposition, EndedBy, Event, HandoffReason, InvalidReason, Payload,
    RankedIntent, SourcePosition, Timestamp,
};
use convolens_sinks::schema::{conversations_batch, dead_letters_batch, events_batch};
use convolens_sinks::{LakeWriter, LandedEvent, Table};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

fn opt<T: std::fmt::Debug + Clone + 'static>(inner: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::of(inner)
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 éß漢@.+-]{0,24}"
}

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9-]{1,16}"
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // 1970 .. 2200, microseconds.
    (0i64..7_258_118_400_000_000).prop_map(Timestamp)
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (opt(text()), opt(text()))
            .prop_map(|(locale, bot_version)| Payload::ConversationStarted { locale, bot_version }),
        (
            prop::sample::select(vec![Actor::Customer, Actor::Bot, Actor::Agent]),
            opt(text())
        )
            .prop_map(|(actor, text)| Payload::Message { actor, text }),
        (
            id(),
            0.0f64..=1.0,
            id(),
            opt(id()),
            opt(any::<bool>()),
            opt(prop::collection::vec((id(), 0.0f64..=1.0), 0..4)),
            opt(prop::collection::vec(-10.0f32..10.0, 0..6)),
        )
            .prop_map(
                |(intent, confidence, model, model_version, is_oos, ranking, embedding)| {
                    Payload::IntentPredicted {
                        intent,
                        confidence,
                        model,
                        model_version,
                        is_oos,
                        ranking: ranking.map(|r| {
                            r.into_iter()
                                .map(|(intent, confidence)| RankedIntent { intent, confidence })
                                .collect()
                        }),
                        embedding,
                    }
                }
            ),
        (id(), opt(0.0f64..1e6), opt(any::<bool>())).prop_map(|(tool, latency_ms, ok)| Payload::ToolCall {
            tool,
            latency_ms,
            ok
        }),
        (any::<bool>(), opt(id()), opt(-1.0f64..1.0), opt(text())).prop_map(|(hit, article_id, score, query)| {
            Payload::KbLookup {
                hit,
                article_id,
                score,
                query,
            }
        }),
        (
            prop::sample::select(vec![HandoffReason::LowConfidence, HandoffReason::Policy]),
            opt(id())
        )
            .prop_map(|(reason, queue)| Payload::HandoffRequested { reason, queue }),
        id().prop_map(|agent_id| Payload::AgentAssigned { agent_id }),
        opt(id()).prop_map(|agent_id| Payload::HoldStarted { agent_id }),
        opt(id()).prop_map(|agent_id| Payload::WrapupCompleted { agent_id }),
        Just(Payload::QueueAbandoned),
        (
            prop::sample::select(vec![Disposition::Resolved, Disposition::Abandoned]),
            opt(prop::sample::select(vec![EndedBy::Customer, EndedBy::System]))
        )
            .prop_map(|(disposition, ended_by)| Payload::ConversationEnded { disposition, ended_by }),
        (1u8..=5, opt(text())).prop_map(|(score, comment)| Payload::CsatSubmitted {
            score,
            scale: 5,
            comment
        }),
        (id(), id(), opt(id())).prop_map(|(prediction_event_id, true_intent, labeler)| Payload::IntentLabeled {
            prediction_event_id,
            true_intent,
            labeler
        }),
        Just(Payload::Unknown),
    ]
}

fn position() -> impl Strategy<Value = SourcePosition> {
    prop_oneof![
        (id(), 1u64..1_000_000).prop_map(|(path, line)| SourcePosition::File {
            path: Arc::from(path),
            line
        }),
        (id(), 0i32..64, 0i64..i64::MAX).prop_map(|(topic, partition, offset)| SourcePosition::Kafka {
            topic: Arc::from(topic),
            partition,
            offset
        }),
    ]
}

fn landed_event() -> impl Strategy<Value = LandedEvent> {
    (
        (
            id(),
            id(),
            id(),
            id(),
            timestamp(),
            opt(id()),
            opt(prop::sample::select(vec![Channel::Chat, Channel::Voice])),
        ),
        (
            opt(0u64..1_000_000),
            payload(),
            opt(Just("{\"x\":1}".to_string())),
            0u32..5,
            position(),
            timestamp(),
        ),
    )
        .prop_map(
            |(
                (event_id, event_type, tenant_id, conversation_id, occurred_at, customer_id, channel),
                (seq, payload, extra, redactions, position, received_at),
            )| LandedEvent {
                event: Event {
                    event_id,
                    event_type,
                    schema_version: 1,
                    tenant_id,
                    conversation_id,
                    occurred_at,
                    customer_id,
                    channel,
                    seq,
                    payload,
                    extra,
                    redactions,
                },
                position,
                received_at,
            },
        )
}

fn facts() -> impl Strategy<Value = ConversationFacts> {
    (
        (
            id(),
            id(),
            1u32..5,
            timestamp(),
            opt(timestamp()),
            timestamp(),
            any::<bool>(),
        ),
        (
            opt(id()),
            any::<bool>(),
            any::<bool>(),
            -1e5f64..1e5,
            opt(0.0f64..1e4),
            opt(0.0f64..1e4),
        ),
        (0u32..50, opt(id()), opt(0.0f64..=1.0), 0u32..9, any::<bool>()),
    )
        .prop_map(
            |(
                (tenant_id, conversation_id, version, started_at, ended_at, closed_at, inactive),
                (customer_id, handed_off, agent_handled, bot_time_s, queue_wait_s, talk),
                (messages, first_intent, confidence, kb, contained),
            )| ConversationFacts {
                tenant_id,
                conversation_id,
                version,
                event_count: messages + 1,
                started_at,
                ended_at,
                closed_at,
                closed_by_inactivity: inactive,
                disposition: if inactive {
                    Disposition::Abandoned
                } else {
                    Disposition::Resolved
                },
                channel: Channel::Messaging,
                customer_id,
                handed_off,
                handoff_reason: handed_off.then_some(HandoffReason::CustomerRequest),
                agent_handled,
                queue_abandoned: handed_off && !agent_handled,
                bot_time_s,
                queue_wait_s,
                talk_hold_s: talk,
                hold_s: talk.map(|t| t / 3.0),
                acw_s: talk.map(|t| t / 7.0),
                talk_s: talk.map(|t| t - t / 3.0),
                handle_time_s: talk.map(|t| t + t / 7.0),
                customer_messages: messages,
                bot_messages: messages / 2,
                agent_messages: messages / 3,
                first_intent,
                mean_confidence: confidence,
                min_confidence: confidence.map(|c| c / 2.0),
                kb_lookups: kb,
                kb_misses: kb / 2,
                contained_gross: !handed_off,
                contained,
                resolved_by_bot: contained && !inactive,
            },
        )
}

fn dead_letter() -> impl Strategy<Value = DeadLetter> {
    (prop::collection::vec(any::<u8>(), 0..64), position(), timestamp()).prop_map(|(raw, position, received_at)| {
        DeadLetter {
            raw,
            reason: InvalidReason::MissingField { field: "event_id" },
            position,
            received_at,
        }
    })
}

/// Reads every file of a table back, in file-name order, as one batch.
fn read_table(lake: &Path, table: Table) -> Option<RecordBatch> {
    let mut files: Vec<_> = walk(&table.dir(lake));
    files.sort();
    let mut batches = Vec::new();
    for path in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).ok()?)
            .ok()?
            .build()
            .ok()?;
        for batch in reader {
            batches.push(batch.ok()?);
        }
    }
    if batches.is_empty() {
        return None;
    }
    concat_batches(&table.schema(), &batches).ok()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out
}

/// Rows sorted by day (the writer partitions by day, keeping order within a day).
fn by_day<T: Clone>(rows: &[T], time: impl Fn(&T) -> Timestamp) -> Vec<T> {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| time(r).epoch_day());
    sorted
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_lossless(
        events in prop::collection::vec(landed_event(), 1..40),
        conversations in prop::collection::vec(facts(), 1..20),
        dead in prop::collection::vec(dead_letter(), 1..10),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        // Small files, so that rolling by rows is exercised too.
        let settings = LakeFileSettings { max_rows: 7, ..LakeFileSettings::default() };
        let mut writer = LakeWriter::create(dir.path(), &settings, "test").expect("writer");
        let now = Timestamp(1_700_000_000_000_000);
        writer.write_events(&events, now).expect("events");
        writer.write_facts(&conversations, now).expect("facts");
        writer.write_dead_letters(&dead, now).expect("dead letters");
        writer.flush().expect("flush");
        prop_assert!(std::fs::read_dir(dir.path().join("_tmp")).expect("tmp").next().is_none(), "no file left in _tmp");

        // Files of one day are named in write order, and days sort in directory order, so
        // reading in path order gives the rows grouped by day, in order within a day.
        let events = by_day(&events, |e| e.event.occurred_at);
        let expected = events_batch(events.iter()).expect("batch");
        prop_assert_eq!(read_table(dir.path(), Table::Events), Some(expected));
        let conversations = by_day(&conversations, |f| f.closed_at);
        let expected = conversations_batch(conversations.iter(), now).expect("batch");
        prop_assert_eq!(read_table(dir.path(), Table::Conversations), Some(expected));
        let dead = by_day(&dead, |d| d.received_at);
        let expected = dead_letters_batch(dead.iter()).expect("batch");
        prop_assert_eq!(read_table(dir.path(), Table::DeadLetters), Some(expected));
    }
}

/// Columns whose values are all distinct are written plain; the others keep Parquet's
/// dictionary encoding (which is what makes low-cardinality text small). Free-text
/// columns carry no min/max statistics; the others do.
#[test]
fn tuned_columns_are_written_as_configured() {
    use datafusion::parquet::basic::Encoding;
    use datafusion::parquet::file::metadata::ColumnChunkMetaData;
    use proptest::strategy::ValueTree;

    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let events: Vec<LandedEvent> = (0..200)
        .map(|_| landed_event().new_tree(&mut runner).expect("event").current())
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut writer = LakeWriter::create(dir.path(), &LakeFileSettings::default(), "encodings").expect("writer");
    writer
        .write_events(&events, Timestamp(1_700_000_000_000_000))
        .expect("events");
    writer.flush().expect("flush");

    let files = walk(&Table::Events.dir(dir.path()));
    assert!(!files.is_empty());
    for path in files {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).expect("file")).expect("parquet");
        for row_group in builder.metadata().row_groups() {
            let column = |name: &str| -> &ColumnChunkMetaData {
                row_group
                    .columns()
                    .iter()
                    .find(|c| c.column_path().string() == name)
                    .unwrap_or_else(|| panic!("no column {name}"))
            };
            let dictionary_encoded = |name: &str| column(name).encodings().any(|e| e == Encoding::RLE_DICTIONARY);
            for name in Table::Events.distinct_valued_columns() {
                assert!(!dictionary_encoded(name), "{name} in {}", path.display());
            }
            assert!(dictionary_encoded("event_type"), "event_type in {}", path.display());
            let has_min_max = |name: &str| column(name).statistics().is_some_and(|s| s.min_bytes_opt().is_some());
            for name in Table::Events.free_text_columns() {
                assert!(!has_min_max(name), "{name} in {}", path.display());
            }
            for name in ["event_type", "occurred_at", "conversation_id"] {
                assert!(has_min_max(name), "{name} in {}", path.display());
            }
        }
    }
}
