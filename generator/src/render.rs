//! A planned event → one NDJSON line (without the newline).

use crate::event::{Body, Conversation, PlannedEvent, Prediction, Text};
use crate::invalid::{InvalidContext, render_invalid};
use crate::json::{ObjectWriter, push_escaped, push_fixed, push_padded};
use crate::pii::push_pii;
use crate::rng::SimRng;
use crate::timefmt::push_occurred_at;
use crate::world::{EMBEDDING_DIMS, World};

/// Appends the line for `event` of `conversation` to `out`.
pub(crate) fn render(out: &mut Vec<u8>, world: &World, conversation: &Conversation, event: &PlannedEvent) {
    if let Body::Invalid { kind, number, seed } = event.body {
        let context = InvalidContext {
            world,
            conversation,
            at_ms: event.at_ms,
            number,
        };
        render_invalid(out, kind, seed, &context);
        return;
    }
    let mut w = ObjectWriter::open(out);
    {
        let id = w.key("event_id");
        id.push(b'"');
        world.push_event_id(id, conversation.index, event.ordinal);
        id.push(b'"');
    }
    w.raw_str("event_type", event.body.event_type());
    if conversation.sends_schema_version {
        w.u64("schema_version", 1);
    }
    {
        let id = w.key("conversation_id");
        id.push(b'"');
        world.push_conversation_id(id, conversation.index);
        id.push(b'"');
    }
    w.raw_str("tenant_id", world.tenant(conversation.tenant));
    if let Some(customer) = conversation.customer
        && (event.carries_customer || conversation.repeats_customer)
    {
        let out = w.key("customer_id");
        out.extend_from_slice(b"\"cust-");
        push_padded(out, u64::from(customer), 6);
        out.push(b'"');
    }
    if event.carries_channel {
        w.raw_str("channel", conversation.channel.as_str());
    }
    if conversation.sends_seq {
        w.u64("seq", u64::from(event.ordinal));
    }
    render_body(&mut w, world, conversation, &event.body);
    push_occurred_at(w.key("occurred_at"), event.at_ms, event.format);
    w.close();
}

fn render_body(w: &mut ObjectWriter<'_>, world: &World, conversation: &Conversation, body: &Body) {
    let corpus = world.corpus;
    match *body {
        Body::Started {
            locale,
            bot_version,
            platform,
        } => {
            w.raw_str("locale", locale);
            w.raw_str("bot_version", bot_version);
            if let Some(platform) = platform {
                // Not in the contract: producers add their own fields, which must be kept.
                w.raw_str("platform", platform);
            }
        }
        Body::Message { actor, text } => {
            w.raw_str("actor", actor.as_str());
            let out = w.key("text");
            out.push(b'"');
            match text {
                Text::Utterance { index, pii } => {
                    out.extend_from_slice(corpus.utterance(index).as_bytes());
                    if let Some((kind, seed)) = pii {
                        push_pii(out, kind, seed);
                    }
                }
                Text::Phrase(phrase) => push_escaped(out, phrase),
                Text::About {
                    template: (prefix, suffix),
                    intent,
                } => {
                    push_escaped(out, prefix);
                    out.extend_from_slice(corpus.intent(intent).display.as_bytes());
                    push_escaped(out, suffix);
                }
            }
            out.push(b'"');
        }
        Body::IntentPredicted(prediction) => render_prediction(w, world, &prediction),
        Body::ToolCall { tool, latency_ms, ok } => {
            w.raw_str("tool", tool);
            w.fixed("latency_ms", f64::from(latency_ms), 1);
            w.bool("ok", ok);
        }
        Body::KbLookup {
            hit,
            article,
            score,
            query,
        } => {
            w.bool("hit", hit);
            if let Some(article) = article {
                let out = w.key("article_id");
                out.extend_from_slice(b"\"kb-");
                out.extend_from_slice(corpus.intent(article).name.as_bytes());
                out.push(b'"');
            }
            w.fixed("score", f64::from(score), 4);
            if let Some(query) = query {
                w.raw_str("query", corpus.utterance(query));
            }
        }
        Body::HandoffRequested { reason, queue } => {
            w.raw_str("reason", reason.as_str());
            w.raw_str("queue", queue);
        }
        Body::AgentAssigned { agent }
        | Body::HoldStarted { agent }
        | Body::HoldEnded { agent }
        | Body::AgentReleased { agent }
        | Body::WrapupCompleted { agent } => {
            let out = w.key("agent_id");
            out.extend_from_slice(b"\"agent-");
            push_padded(out, u64::from(agent), 3);
            out.push(b'"');
        }
        Body::QueueAbandoned => {}
        Body::Ended { disposition, ended_by } => {
            w.raw_str("disposition", disposition.as_str());
            w.raw_str("ended_by", ended_by.as_str());
        }
        Body::Csat {
            score,
            scale,
            scale_explicit,
            comment,
        } => {
            w.u64("score", u64::from(score));
            if scale_explicit {
                w.u64("scale", u64::from(scale));
            }
            if let Some(comment) = comment {
                w.str("comment", comment);
            }
        }
        Body::IntentLabeled {
            prediction_ordinal,
            true_intent,
            labeler,
        } => {
            let out = w.key("prediction_event_id");
            out.push(b'"');
            world.push_event_id(out, conversation.index, prediction_ordinal);
            out.push(b'"');
            w.raw_str("true_intent", &corpus.intent(true_intent).name);
            w.raw_str("labeler", labeler);
        }
        Body::Unknown { event_type, value } => match event_type {
            "sentiment_scored" => w.fixed("sentiment", f64::from(value), 3),
            "summary_generated" => w.u64("summary_tokens", f64::from(value).max(0.0) as u64),
            _ => {}
        },
        Body::Invalid { .. } => {}
    }
}

fn render_prediction(w: &mut ObjectWriter<'_>, world: &World, prediction: &Prediction) {
    let corpus = world.corpus;
    w.raw_str("intent", &corpus.intent(prediction.intent).name);
    w.fixed("confidence", f64::from(prediction.confidence), 4);
    w.raw_str("model", "router");
    w.raw_str("model_version", prediction.model_version);
    if let Some(is_oos) = prediction.is_oos {
        w.bool("is_oos", is_oos);
    }
    if let Some(runners_up) = prediction.runners_up {
        let out = w.key("ranking");
        out.push(b'[');
        let top = (prediction.intent, prediction.confidence);
        for (position, (intent, confidence)) in std::iter::once(top).chain(runners_up).enumerate() {
            if position > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"intent\":\"");
            out.extend_from_slice(corpus.intent(intent).name.as_bytes());
            out.extend_from_slice(b"\",\"confidence\":");
            push_fixed(out, f64::from(confidence), 4);
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(embedding) = prediction.embedding {
        let mut noise = SimRng::new(u64::from(embedding.seed));
        let out = w.key("embedding");
        out.push(b'[');
        for dim in 0..EMBEDDING_DIMS {
            if dim > 0 {
                out.push(b',');
            }
            let shift = if embedding.drifted && dim < 4 { 0.35 } else { 0.0 };
            let value = 0.8 * World::centroid(prediction.true_intent, dim) + 0.3 * noise.normal() + shift;
            push_fixed(out, value, 3);
        }
        out.push(b']');
    }
}
