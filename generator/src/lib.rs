//! convolens-generator: seeded, realistic AI customer-support traffic as NDJSON events
//! of `EVENTS.md`, for `convolens generate`, `convolens demo`, benchmarks and load tests.
//!
//! # The model
//!
//! - **When.** Conversation starts are spread over [`GeneratorConfig::span`] with a weekly
//!   cycle (weekdays busiest 09–17 UTC, nights and weekends quiet), drawn as sorted order
//!   statistics so they come out in start order without being held in memory.
//! - **Who.** A tenant (the first listed gets the most traffic), a channel (chat,
//!   messaging, voice, e-mail, social, each with its own pace: seconds for voice, hours for
//!   e-mail), and usually a customer from a pool; a customer whose last conversation went
//!   badly often comes back within 24 hours, so recontact and FCR have something to find.
//! - **What.** Customers write real Banking77 utterances; an utterance's category is its
//!   true intent. The intent mix is Zipf-like. Some messages carry synthetic e-mail
//!   addresses, phone numbers or Luhn-valid card numbers, for redaction.
//! - **The bot.** After each customer message the router (`model` `router`, `v1`→`v2`
//!   rollout over the span) predicts an intent with a beta-distributed confidence; the
//!   prediction is right with probability ≈ confidence (v2 calibrated, v1 overconfident),
//!   wrong guesses are usually a similar intent, and there is a top-3 ranking and an
//!   `is_oos` flag. The bot may look up the knowledge base (hits depend on being right)
//!   and call a tool (log-normal latency, occasional failure), then replies.
//! - **How it ends.** Resolved by the bot; unresolved; abandoned, with or without a
//!   `conversation_ended`; or a handoff (reason `low_confidence` after unsure predictions,
//!   `error` after failed tools, else `customer_request`/`policy`/`other`) to a queue the
//!   customer may abandon, else agent segments with holds, sometimes a transfer, and
//!   wrap-up that may come after the end (modules `scenario`, `agent`).
//! - **Later.** About 30 % answer a survey (score follows the outcome, scale 5 or 10,
//!   minutes to a day later); about 30 % of predictions get a QA label hours to days later.
//! - **On the wire.** Ids are unique; `occurred_at` is mostly UTC with milliseconds, some
//!   with offsets, some epoch ms; some producers send `seq`, `schema_version` or extra
//!   fields; 1 event in 2 000 has an unknown `event_type`. Lines arrive up to
//!   [`GeneratorConfig::max_disorder`] late, some twice ([`LineKind::Duplicate`]), and a
//!   share is invalid in every way EVENTS.md lists ([`InvalidKind`]).
//! - **Drift.** [`DriftInjection`] changes conversations starting from an instant: an
//!   incident's intents, intents the router never saw, lower confidence, more handoffs.
//!
//! # Use
//!
//! [`Generator`] is an iterator of [`Line`]s in arrival order (each with its Kafka key);
//! [`write_ndjson`] writes a whole run. Same config, same bytes. Memory is bounded by the
//! lines pending in the arrival heap (mostly surveys and labels due later), not by the run.

mod agent;
mod config;
mod corpus;
mod customers;
mod error;
mod event;
mod generator;
mod invalid;
mod json;
mod late;
mod ndjson;
mod pii;
mod render;
mod rng;
mod scenario;
mod start_times;
mod timefmt;
mod world;

pub use config::{DriftInjection, GeneratorConfig};
pub use error::GeneratorError;
pub use generator::{GenerateSummary, Generator, Line, LineInfo, LineKind};
pub use invalid::InvalidKind;
pub use ndjson::write_ndjson;
