//! `conversations`: one row per emitted version of a conversation's facts (METRICS §1
//! minus the late-joined CSAT and recontact, which the SQL views join in).

use std::sync::{Arc, LazyLock};

use convolens_core::{ConversationFacts, Timestamp};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::timestamp_type;
use crate::SinkError;

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let ts = |name: &str, nullable: bool| Field::new(name, timestamp_type(), nullable);
    let f64f = |name: &str, nullable: bool| Field::new(name, DataType::Float64, nullable);
    let int = |name: &str| Field::new(name, DataType::Int32, false);
    let boolean = |name: &str| Field::new(name, DataType::Boolean, false);
    Arc::new(Schema::new(vec![
        utf8("tenant_id", false),
        utf8("conversation_id", false),
        int("version"),
        // Processing time of this version; breaks ties between versions of separate runs.
        ts("emitted_at", false),
        int("event_count"),
        ts("started_at", false),
        ts("ended_at", true),
        ts("closed_at", false),
        boolean("closed_by_inactivity"),
        utf8("disposition", false),
        utf8("channel", false),
        utf8("customer_id", true),
        boolean("handed_off"),
        utf8("handoff_reason", true),
        boolean("agent_handled"),
        boolean("queue_abandoned"),
        f64f("bot_time_s", false),
        f64f("queue_wait_s", true),
        f64f("talk_hold_s", true),
        f64f("hold_s", true),
        f64f("acw_s", true),
        f64f("talk_s", true),
        f64f("handle_time_s", true),
        int("customer_messages"),
        int("bot_messages"),
        int("agent_messages"),
        utf8("first_intent", true),
        f64f("mean_confidence", true),
        f64f("min_confidence", true),
        int("kb_lookups"),
        int("kb_misses"),
        boolean("contained_gross"),
        boolean("contained"),
        boolean("resolved_by_bot"),
    ]))
});

pub fn conversations_schema() -> SchemaRef {
    Arc::clone(&SCHEMA)
}

fn count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

pub fn conversations_batch<'a>(
    rows: impl IntoIterator<Item = &'a ConversationFacts>,
    emitted_at: Timestamp,
) -> Result<RecordBatch, SinkError> {
    let mut tenant_id = StringBuilder::new();
    let mut conversation_id = StringBuilder::new();
    let mut version = Int32Builder::new();
    let mut emitted = TimestampMicrosecondBuilder::new();
    let mut event_count = Int32Builder::new();
    let mut started_at = TimestampMicrosecondBuilder::new();
    let mut ended_at = TimestampMicrosecondBuilder::new();
    let mut closed_at = TimestampMicrosecondBuilder::new();
    let mut closed_by_inactivity = BooleanBuilder::new();
    let mut disposition = StringBuilder::new();
    let mut channel = StringBuilder::new();
    let mut customer_id = StringBuilder::new();
    let mut handed_off = BooleanBuilder::new();
    let mut handoff_reason = StringBuilder::new();
    let mut agent_handled = BooleanBuilder::new();
    let mut queue_abandoned = BooleanBuilder::new();
    let mut bot_time_s = Float64Builder::new();
    let mut queue_wait_s = Float64Builder::new();
    let mut talk_hold_s = Float64Builder::new();
    let mut hold_s = Float64Builder::new();
    let mut acw_s = Float64Builder::new();
    let mut talk_s = Float64Builder::new();
    let mut handle_time_s = Float64Builder::new();
    let mut customer_messages = Int32Builder::new();
    let mut bot_messages = Int32Builder::new();
    let mut agent_messages = Int32Builder::new();
    let mut first_intent = StringBuilder::new();
    let mut mean_confidence = Float64Builder::new();
    let mut min_confidence = Float64Builder::new();
    let mut kb_lookups = Int32Builder::new();
    let mut kb_misses = Int32Builder::new();
    let mut contained_gross = BooleanBuilder::new();
    let mut contained = BooleanBuilder::new();
    let mut resolved_by_bot = BooleanBuilder::new();
    for f in rows {
        tenant_id.append_value(&f.tenant_id);
        conversation_id.append_value(&f.conversation_id);
        version.append_value(count(f.version));
        emitted.append_value(emitted_at.micros());
        event_count.append_value(count(f.event_count));
        started_at.append_value(f.started_at.micros());
        ended_at.append_option(f.ended_at.map(Timestamp::micros));
        closed_at.append_value(f.closed_at.micros());
        closed_by_inactivity.append_value(f.closed_by_inactivity);
        disposition.append_value(f.disposition.as_str());
        channel.append_value(f.channel.as_str());
        customer_id.append_option(f.customer_id.as_deref());
        handed_off.append_value(f.handed_off);
        handoff_reason.append_option(f.handoff_reason.map(|r| r.as_str()));
        agent_handled.append_value(f.agent_handled);
        queue_abandoned.append_value(f.queue_abandoned);
        bot_time_s.append_value(f.bot_time_s);
        queue_wait_s.append_option(f.queue_wait_s);
        talk_hold_s.append_option(f.talk_hold_s);
        hold_s.append_option(f.hold_s);
        acw_s.append_option(f.acw_s);
        talk_s.append_option(f.talk_s);
        handle_time_s.append_option(f.handle_time_s);
        customer_messages.append_value(count(f.customer_messages));
        bot_messages.append_value(count(f.bot_messages));
        agent_messages.append_value(count(f.agent_messages));
        first_intent.append_option(f.first_intent.as_deref());
        mean_confidence.append_option(f.mean_confidence);
        min_confidence.append_option(f.min_confidence);
        kb_lookups.append_value(count(f.kb_lookups));
        kb_misses.append_value(count(f.kb_misses));
        contained_gross.append_value(f.contained_gross);
        contained.append_value(f.contained);
        resolved_by_bot.append_value(f.resolved_by_bot);
    }
    let utc = |mut b: TimestampMicrosecondBuilder| Arc::new(b.finish().with_timezone("UTC")) as ArrayRef;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(tenant_id.finish()),
        Arc::new(conversation_id.finish()),
        Arc::new(version.finish()),
        utc(emitted),
        Arc::new(event_count.finish()),
        utc(started_at),
        utc(ended_at),
        utc(closed_at),
        Arc::new(closed_by_inactivity.finish()),
        Arc::new(disposition.finish()),
        Arc::new(channel.finish()),
        Arc::new(customer_id.finish()),
        Arc::new(handed_off.finish()),
        Arc::new(handoff_reason.finish()),
        Arc::new(agent_handled.finish()),
        Arc::new(queue_abandoned.finish()),
        Arc::new(bot_time_s.finish()),
        Arc::new(queue_wait_s.finish()),
        Arc::new(talk_hold_s.finish()),
        Arc::new(hold_s.finish()),
        Arc::new(acw_s.finish()),
        Arc::new(talk_s.finish()),
        Arc::new(handle_time_s.finish()),
        Arc::new(customer_messages.finish()),
        Arc::new(bot_messages.finish()),
        Arc::new(agent_messages.finish()),
        Arc::new(first_intent.finish()),
        Arc::new(mean_confidence.finish()),
        Arc::new(min_confidence.finish()),
        Arc::new(kb_lookups.finish()),
        Arc::new(kb_misses.finish()),
        Arc::new(contained_gross.finish()),
        Arc::new(contained.finish()),
        Arc::new(resolved_by_bot.finish()),
    ];
    RecordBatch::try_new(conversations_schema(), columns).map_err(|source| SinkError::Arrow {
        table: "conversations",
        source,
    })
}
