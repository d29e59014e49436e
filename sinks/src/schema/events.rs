//! `events`: one row per valid, de-duplicated event, every envelope and type field as a
//! typed column (null where the type does not have it), plus its source position.

use std::sync::{Arc, LazyLock};

use convolens_core::{Event, Payload, SourcePosition, Timestamp};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float32Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, RecordBatch,
    StringBuilder, StructBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};

use super::source::{SourceColumns, source_fields};
use super::timestamp_type;
use crate::SinkError;

/// A valid event with where it came from: one row of `events`.
#[derive(Debug, Clone, PartialEq)]
pub struct LandedEvent {
    pub event: Event,
    pub position: SourcePosition,
    pub received_at: Timestamp,
}

fn ranking_fields() -> Fields {
    Fields::from(vec![
        Field::new("intent", DataType::Utf8, true),
        Field::new("confidence", DataType::Float64, true),
    ])
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let mut fields = vec![
        utf8("event_id", false),
        utf8("event_type", false),
        Field::new("schema_version", DataType::Int64, false),
        utf8("tenant_id", false),
        utf8("conversation_id", false),
        Field::new("occurred_at", timestamp_type(), false),
        utf8("customer_id", true),
        utf8("channel", true),
        Field::new("seq", DataType::Int64, true),
        // conversation_started
        utf8("locale", true),
        utf8("bot_version", true),
        // message
        utf8("actor", true),
        utf8("text", true),
        // intent_predicted
        utf8("intent", true),
        Field::new("confidence", DataType::Float64, true),
        utf8("model", true),
        utf8("model_version", true),
        Field::new("is_oos", DataType::Boolean, true),
        Field::new(
            "ranking",
            DataType::List(Arc::new(Field::new("item", DataType::Struct(ranking_fields()), true))),
            true,
        ),
        Field::new(
            "embedding",
            DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
            true,
        ),
        // tool_call
        utf8("tool", true),
        Field::new("latency_ms", DataType::Float64, true),
        Field::new("ok", DataType::Boolean, true),
        // kb_lookup
        Field::new("hit", DataType::Boolean, true),
        utf8("article_id", true),
        // `score` is the CSAT score below; the retrieval score gets its own name.
        Field::new("kb_score", DataType::Float64, true),
        utf8("query", true),
        // handoff_requested
        utf8("reason", true),
        utf8("queue", true),
        // agent events
        utf8("agent_id", true),
        // conversation_ended
        utf8("disposition", true),
        utf8("ended_by", true),
        // csat_submitted
        Field::new("score", DataType::Int32, true),
        Field::new("scale", DataType::Int32, true),
        utf8("comment", true),
        // intent_labeled
        utf8("prediction_event_id", true),
        utf8("true_intent", true),
        utf8("labeler", true),
        // Fields the contract does not list, as a JSON object.
        utf8("extra", true),
        Field::new("redactions", DataType::Int32, false),
    ];
    fields.extend(source_fields());
    Arc::new(Schema::new(fields))
});

pub fn events_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

struct EventColumns {
    event_id: StringBuilder,
    event_type: StringBuilder,
    schema_version: Int64Builder,
    tenant_id: StringBuilder,
    conversation_id: StringBuilder,
    occurred_at: TimestampMicrosecondBuilder,
    customer_id: StringBuilder,
    channel: StringBuilder,
    seq: Int64Builder,
    locale: StringBuilder,
    bot_version: StringBuilder,
    actor: StringBuilder,
    text: StringBuilder,
    intent: StringBuilder,
    confidence: Float64Builder,
    model: StringBuilder,
    model_version: StringBuilder,
    is_oos: BooleanBuilder,
    ranking: ListBuilder<StructBuilder>,
    embedding: ListBuilder<Float32Builder>,
    tool: StringBuilder,
    latency_ms: Float64Builder,
    ok: BooleanBuilder,
    hit: BooleanBuilder,
    article_id: StringBuilder,
    kb_score: Float64Builder,
    query: StringBuilder,
    reason: StringBuilder,
    queue: StringBuilder,
    agent_id: StringBuilder,
    disposition: StringBuilder,
    ended_by: StringBuilder,
    score: Int32Builder,
    scale: Int32Builder,
    comment: StringBuilder,
    prediction_event_id: StringBuilder,
    true_intent: StringBuilder,
    labeler: StringBuilder,
    extra: StringBuilder,
    redactions: Int32Builder,
    source: SourceColumns,
}

impl EventColumns {
    /// Builders sized for `rows` rows, so that appending never regrows (and copies) a
    /// column: dense text columns get an estimate of their bytes per row, sparse ones a
    /// little, and grow if the estimate is short.
    fn with_capacity(rows: usize) -> Self {
        let text = |rows: usize, bytes_per_row: usize| StringBuilder::with_capacity(rows, rows * bytes_per_row);
        let ranking_struct = StructBuilder::from_fields(ranking_fields(), 0);
        EventColumns {
            event_id: text(rows, 40),
            event_type: text(rows, 16),
            schema_version: Int64Builder::with_capacity(rows),
            tenant_id: text(rows, 16),
            conversation_id: text(rows, 40),
            occurred_at: TimestampMicrosecondBuilder::with_capacity(rows),
            customer_id: text(rows, 16),
            channel: text(rows, 8),
            seq: Int64Builder::with_capacity(rows),
            locale: text(rows, 8),
            bot_version: text(rows, 8),
            actor: text(rows, 8),
            text: text(rows, 24),
            intent: text(rows, 2),
            confidence: Float64Builder::with_capacity(rows),
            model: text(rows, 2),
            model_version: text(rows, 2),
            is_oos: BooleanBuilder::with_capacity(rows),
            ranking: ListBuilder::with_capacity(ranking_struct, rows).with_field(Arc::new(Field::new(
                "item",
                DataType::Struct(ranking_fields()),
                true,
            ))),
            embedding: ListBuilder::with_capacity(Float32Builder::new(), rows).with_field(Arc::new(Field::new(
                "item",
                DataType::Float32,
                true,
            ))),
            tool: text(rows, 2),
            latency_ms: Float64Builder::with_capacity(rows),
            ok: BooleanBuilder::with_capacity(rows),
            hit: BooleanBuilder::with_capacity(rows),
            article_id: text(rows, 2),
            kb_score: Float64Builder::with_capacity(rows),
            query: text(rows, 2),
            reason: text(rows, 2),
            queue: text(rows, 2),
            agent_id: text(rows, 2),
            disposition: text(rows, 2),
            ended_by: text(rows, 2),
            score: Int32Builder::with_capacity(rows),
            scale: Int32Builder::with_capacity(rows),
            comment: text(rows, 2),
            prediction_event_id: text(rows, 2),
            true_intent: text(rows, 2),
            labeler: text(rows, 2),
            extra: text(rows, 2),
            redactions: Int32Builder::with_capacity(rows),
            source: SourceColumns::with_capacity(rows),
        }
    }

    fn append(&mut self, row: &LandedEvent) {
        let e = &row.event;
        self.event_id.append_value(&e.event_id);
        self.event_type.append_value(&e.event_type);
        self.schema_version.append_value(e.schema_version);
        self.tenant_id.append_value(&e.tenant_id);
        self.conversation_id.append_value(&e.conversation_id);
        self.occurred_at.append_value(e.occurred_at.micros());
        self.customer_id.append_option(e.customer_id.as_deref());
        self.channel.append_option(e.channel.map(|c| c.as_str()));
        self.seq
            .append_option(e.seq.map(|s| i64::try_from(s).unwrap_or(i64::MAX)));
        self.append_payload(&e.payload);
        self.extra.append_option(e.extra.as_deref());
        self.redactions
            .append_value(i32::try_from(e.redactions).unwrap_or(i32::MAX));
        self.source.append(&row.position, row.received_at);
    }

    /// Appends exactly one value (or null) to every type-specific column.
    fn append_payload(&mut self, payload: &Payload) {
        let mut row = PayloadRow::default();
        match payload {
            Payload::ConversationStarted { locale, bot_version } => {
                row.locale = locale.as_deref();
                row.bot_version = bot_version.as_deref();
            }
            Payload::Message { actor, text } => {
                row.actor = Some(actor.as_str());
                row.text = text.as_deref();
            }
            Payload::IntentPredicted {
                intent,
                confidence,
                model,
                model_version,
                is_oos,
                ranking,
                embedding,
            } => {
                row.intent = Some(intent);
                row.confidence = Some(*confidence);
                row.model = Some(model);
                row.model_version = model_version.as_deref();
                row.is_oos = *is_oos;
                row.ranking = ranking.as_deref();
                row.embedding = embedding.as_deref();
            }
            Payload::ToolCall { tool, latency_ms, ok } => {
                row.tool = Some(tool);
                row.latency_ms = *latency_ms;
                row.ok = *ok;
            }
            Payload::KbLookup {
                hit,
                article_id,
                score,
                query,
            } => {
                row.hit = Some(*hit);
                row.article_id = article_id.as_deref();
                row.kb_score = *score;
                row.query = query.as_deref();
            }
            Payload::HandoffRequested { reason, queue } => {
                row.reason = Some(reason.as_str());
                row.queue = queue.as_deref();
            }
            Payload::AgentAssigned { agent_id } => row.agent_id = Some(agent_id),
            Payload::HoldStarted { agent_id }
            | Payload::HoldEnded { agent_id }
            | Payload::AgentReleased { agent_id }
            | Payload::WrapupCompleted { agent_id } => row.agent_id = agent_id.as_deref(),
            Payload::QueueAbandoned | Payload::Unknown => {}
            Payload::ConversationEnded { disposition, ended_by } => {
                row.disposition = Some(disposition.as_str());
                row.ended_by = ended_by.map(|e| e.as_str());
            }
            Payload::CsatSubmitted { score, scale, comment } => {
                row.score = Some(i32::from(*score));
                row.scale = Some(i32::from(*scale));
                row.comment = comment.as_deref();
            }
            Payload::IntentLabeled {
                prediction_event_id,
                true_intent,
                labeler,
            } => {
                row.prediction_event_id = Some(prediction_event_id);
                row.true_intent = Some(true_intent);
                row.labeler = labeler.as_deref();
            }
        }
        self.locale.append_option(row.locale);
        self.bot_version.append_option(row.bot_version);
        self.actor.append_option(row.actor);
        self.text.append_option(row.text);
        self.intent.append_option(row.intent);
        self.confidence.append_option(row.confidence);
        self.model.append_option(row.model);
        self.model_version.append_option(row.model_version);
        self.is_oos.append_option(row.is_oos);
        match row.ranking {
            Some(ranking) => {
                let entries = self.ranking.values();
                for ranked in ranking {
                    field_builder::<StringBuilder>(entries, 0).append_value(&ranked.intent);
                    field_builder::<Float64Builder>(entries, 1).append_value(ranked.confidence);
                    entries.append(true);
                }
                self.ranking.append(true);
            }
            None => self.ranking.append(false),
        }
        match row.embedding {
            Some(values) => {
                self.embedding.values().append_slice(values);
                self.embedding.append(true);
            }
            None => self.embedding.append(false),
        }
        self.tool.append_option(row.tool);
        self.latency_ms.append_option(row.latency_ms);
        self.ok.append_option(row.ok);
        self.hit.append_option(row.hit);
        self.article_id.append_option(row.article_id);
        self.kb_score.append_option(row.kb_score);
        self.query.append_option(row.query);
        self.reason.append_option(row.reason);
        self.queue.append_option(row.queue);
        self.agent_id.append_option(row.agent_id);
        self.disposition.append_option(row.disposition);
        self.ended_by.append_option(row.ended_by);
        self.score.append_option(row.score);
        self.scale.append_option(row.scale);
        self.comment.append_option(row.comment);
        self.prediction_event_id.append_option(row.prediction_event_id);
        self.true_intent.append_option(row.true_intent);
        self.labeler.append_option(row.labeler);
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.schema_version.finish()),
            Arc::new(self.tenant_id.finish()),
            Arc::new(self.conversation_id.finish()),
            Arc::new(self.occurred_at.finish().with_timezone("UTC")),
            Arc::new(self.customer_id.finish()),
            Arc::new(self.channel.finish()),
            Arc::new(self.seq.finish()),
            Arc::new(self.locale.finish()),
            Arc::new(self.bot_version.finish()),
            Arc::new(self.actor.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.intent.finish()),
            Arc::new(self.confidence.finish()),
            Arc::new(self.model.finish()),
            Arc::new(self.model_version.finish()),
            Arc::new(self.is_oos.finish()),
            Arc::new(self.ranking.finish()),
            Arc::new(self.embedding.finish()),
            Arc::new(self.tool.finish()),
            Arc::new(self.latency_ms.finish()),
            Arc::new(self.ok.finish()),
            Arc::new(self.hit.finish()),
            Arc::new(self.article_id.finish()),
            Arc::new(self.kb_score.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.queue.finish()),
            Arc::new(self.agent_id.finish()),
            Arc::new(self.disposition.finish()),
            Arc::new(self.ended_by.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.scale.finish()),
            Arc::new(self.comment.finish()),
            Arc::new(self.prediction_event_id.finish()),
            Arc::new(self.true_intent.finish()),
            Arc::new(self.labeler.finish()),
            Arc::new(self.extra.finish()),
            Arc::new(self.redactions.finish()),
        ];
        columns.extend(self.source.finish());
        columns
    }
}

/// The type-specific values of one row; every field not set stays null.
#[derive(Default)]
struct PayloadRow<'a> {
    locale: Option<&'a str>,
    bot_version: Option<&'a str>,
    actor: Option<&'a str>,
    text: Option<&'a str>,
    intent: Option<&'a str>,
    confidence: Option<f64>,
    model: Option<&'a str>,
    model_version: Option<&'a str>,
    is_oos: Option<bool>,
    ranking: Option<&'a [convolens_core::RankedIntent]>,
    embedding: Option<&'a [f32]>,
    tool: Option<&'a str>,
    latency_ms: Option<f64>,
    ok: Option<bool>,
    hit: Option<bool>,
    article_id: Option<&'a str>,
    kb_score: Option<f64>,
    query: Option<&'a str>,
    reason: Option<&'a str>,
    queue: Option<&'a str>,
    agent_id: Option<&'a str>,
    disposition: Option<&'a str>,
    ended_by: Option<&'a str>,
    score: Option<i32>,
    scale: Option<i32>,
    comment: Option<&'a str>,
    prediction_event_id: Option<&'a str>,
    true_intent: Option<&'a str>,
    labeler: Option<&'a str>,
}

fn field_builder<T: datafusion::arrow::array::ArrayBuilder>(builder: &mut StructBuilder, index: usize) -> &mut T {
    // The struct layout is fixed by ranking_fields() above, so the downcast cannot fail.
    builder.field_builder::<T>(index).expect("ranking struct field type")
}

pub fn events_batch<'a>(
    rows: impl IntoIterator<Item = &'a LandedEvent, IntoIter: ExactSizeIterator>,
) -> Result<RecordBatch, SinkError> {
    let rows = rows.into_iter();
    let mut columns = EventColumns::with_capacity(rows.len());
    for row in rows {
        columns.append(row);
    }
    RecordBatch::try_new(events_schema(), columns.finish()).map_err(|source| SinkError::Arrow {
        table: "events",
        source,
    })
}
