//! Every field name EVENTS.md lists, for the envelope and all event types, as one closed
//! list. Each member of a record is classified once, while it is parsed, so that the
//! decoders find a field by index instead of comparing strings.
//!
//! Listing a name here does not make it known for every type: a member is kept as `extra`
//! unless the decoder of its event's type asks for it (see `Object::take`).

macro_rules! fields {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Field { $($variant),+ }

        impl Field {
            /// How many fields the contract lists.
            pub(super) const COUNT: usize = [$($name),+].len();

            /// A dense index in `0..COUNT`.
            pub(super) fn index(self) -> usize {
                self as usize
            }

            /// The name as written on the wire, and in every [`convolens_core::InvalidReason`].
            pub(super) fn name(self) -> &'static str {
                match self { $(Field::$variant => $name),+ }
            }

            /// The field a member key names, if the contract lists it.
            pub(super) fn of(key: &str) -> Option<Field> {
                match key { $($name => Some(Field::$variant),)+ _ => None }
            }
        }
    };
}

fields! {
    EventId => "event_id",
    EventType => "event_type",
    SchemaVersion => "schema_version",
    ConversationId => "conversation_id",
    OccurredAt => "occurred_at",
    TenantId => "tenant_id",
    CustomerId => "customer_id",
    Channel => "channel",
    Seq => "seq",
    Locale => "locale",
    BotVersion => "bot_version",
    Actor => "actor",
    Text => "text",
    Intent => "intent",
    Confidence => "confidence",
    Model => "model",
    ModelVersion => "model_version",
    IsOos => "is_oos",
    Ranking => "ranking",
    Embedding => "embedding",
    Tool => "tool",
    LatencyMs => "latency_ms",
    Ok => "ok",
    Hit => "hit",
    ArticleId => "article_id",
    Score => "score",
    Query => "query",
    Reason => "reason",
    Queue => "queue",
    AgentId => "agent_id",
    Disposition => "disposition",
    EndedBy => "ended_by",
    Scale => "scale",
    Comment => "comment",
    PredictionEventId => "prediction_event_id",
    TrueIntent => "true_intent",
    Labeler => "labeler",
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn names_and_lookup_agree() {
        for name in ["event_id", "occurred_at", "ok", "prediction_event_id", "labeler"] {
            assert_eq!(Field::of(name).map(Field::name), Some(name));
        }
        for key in ["", "Event_id", "event_id ", "x-trace", "ranking.intent"] {
            assert_eq!(Field::of(key), None, "{key:?}");
        }
        assert_eq!(Field::COUNT, 37);
        assert!(
            Field::COUNT <= u64::BITS as usize,
            "Object tracks requested fields in a u64"
        );
    }
}
