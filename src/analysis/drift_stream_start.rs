//! Where a run's streaming drift starts, read from the lake once at start-up: the
//! reference, the first window not yet in `drift_metrics`, what the lake already holds of
//! that window and the later ones (so a restarted run resumes them exactly), and the KPI
//! series so far.

use std::path::Path;

use convolens_core::spec::SessionSettings;
use convolens_core::{Channel, Disposition, HandoffReason};
use datafusion::arrow::array::{Array, AsArray};

use super::columns;
use super::drift::{self, DriftOptions, ReferenceSpec, SeriesPoints};
use super::drift_input::embedding_at;
use super::drift_stream::{ConversationFeatures, LandedValue, StreamStart, StreamingDrift, kb_miss_rate};
use crate::query::LakeSession;
use crate::window::Window;

const MICROS: i64 = 1_000_000;

/// At most this many windows before the newest landed one are resumed from the lake at
/// start-up; older windows missing from `drift_metrics` are left to `drift update`, so a
/// start-up never reads more than a bounded span of the lake.
const RESUMED_WINDOWS: i64 = 48;

/// Whether this run computes drift as it goes.
pub enum StreamPlan {
    On(Box<StreamingDrift>),
    /// Why not; the run leaves `drift_metrics` to `convolens drift update`.
    Off(String),
}

/// `7d`, `12h`, `90s`: as pipelines.yaml writes durations.
fn span(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{s}s"),
    }
}

fn at(micros: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_micros(micros)
}

/// A frozen profile (`drift.reference.profile`) always works. A rolling reference is built
/// once from the lake, so the lake must already hold it whole: the `rolling` period before
/// the first window the run computes. Otherwise the run computes no drift, and
/// `drift update` fills those windows once the history is there.
pub async fn open(lake: &Path, options: &DriftOptions, sessionization: &SessionSettings) -> anyhow::Result<StreamPlan> {
    let width = options.series_window_s.max(1) as i64 * MICROS;
    let profile_path = match drift::configured_profile(lake, options) {
        Ok(path) => path,
        // Not written yet (`convolens drift profile` writes it): nothing to compare with.
        Err(error) => return Ok(StreamPlan::Off(format!("{error:#}"))),
    };
    let stream = |start| StreamingDrift::new(start, options.clone(), sessionization);
    let landed = if lake.join("events").is_dir() {
        let session = LakeSession::open(lake).await?;
        landed_span(&session).await?.map(|span| (session, span))
    } else {
        None
    };
    let Some((session, landed)) = landed else {
        return Ok(match profile_path {
            Some(path) => StreamPlan::On(Box::new(stream(StreamStart {
                profile: drift::load_profile(&path)?,
                reference_label: ReferenceSpec::Profile(path).label(),
                first_window: i64::MIN,
                history: SeriesPoints::new(),
            }))),
            None => StreamPlan::Off(format!(
                "the rolling reference ({}) is not in the lake yet",
                span(options.rolling_reference_s)
            )),
        });
    };

    let rolling = options.rolling_reference_s as i64 * MICROS;
    let data_start = landed.first_event.div_euclid(width) * width;
    let newest_window = landed.newest_value.div_euclid(width) * width;
    // As `drift update` starts: the window after the last one written, or the first whose
    // reference lies within the data.
    let earliest = drift::earliest_window(landed.first_event, width, profile_path.is_none().then_some(rolling));
    let first_window = landed
        .written_until
        .unwrap_or(earliest)
        .max(earliest)
        .max(newest_window - RESUMED_WINDOWS * width);
    let reference = match profile_path {
        Some(path) => ReferenceSpec::Profile(path),
        // Built from the lake, so all of it must have landed.
        None if first_window > newest_window => {
            return Ok(StreamPlan::Off(format!(
                "the lake holds less than the rolling reference ({}) before the next window",
                span(options.rolling_reference_s)
            )));
        }
        None => ReferenceSpec::Window(Window {
            from: at(first_window - rolling),
            to: at(first_window),
        }),
    };
    let profile = drift::reference_profile(&session, &reference, options).await?;
    let series_span = Window {
        from: at(first_window - rolling.max(width)),
        to: at(first_window),
    };
    let mut drift = stream(StreamStart {
        profile,
        reference_label: reference.label(),
        first_window,
        history: drift::load_series_points(&session, &series_span, options).await?,
    });
    let resumed = Window {
        from: at(first_window),
        to: None,
    };
    resume_events(&session, &resumed, &mut drift).await?;
    // Windows written within the conversations' horizon before the first one may still
    // change: their facts are retained too.
    let horizon = i64::try_from(sessionization.dedup_horizon.as_micros()).unwrap_or(i64::MAX);
    let retained_from = first_window.saturating_sub(horizon).saturating_sub(width);
    let written_span = Window {
        from: at(retained_from),
        to: at(first_window),
    };
    let written = drift::written_windows(&session, &written_span).await?;
    let facts_span = Window {
        from: at(retained_from.max(data_start)),
        to: None,
    };
    resume_conversations(&session, &facts_span, first_window, &written, &mut drift).await?;
    drift.resumed(landed.last_event);
    Ok(StreamPlan::On(Box::new(drift)))
}

/// What the lake holds, in event time (µs).
struct LandedSpan {
    first_event: i64,
    last_event: Option<i64>,
    /// The newest value a drift window holds: of the event types with drift features, and
    /// of facts by close (later surveys and labels change no window).
    newest_value: i64,
    /// The end of the last window in `drift_metrics`.
    written_until: Option<i64>,
}

async fn landed_span(session: &LakeSession) -> anyhow::Result<Option<LandedSpan>> {
    let Some(first_event) = drift::scalar_micros(session, "SELECT MIN(occurred_at) AS t FROM events").await? else {
        return Ok(None);
    };
    let newest_feature = drift::scalar_micros(
        session,
        "SELECT MAX(occurred_at) AS t FROM events \
         WHERE event_type IN ('intent_predicted', 'tool_call', 'message')",
    )
    .await?;
    let newest_close = drift::scalar_micros(session, "SELECT MAX(closed_at) AS t FROM conversations").await?;
    Ok(Some(LandedSpan {
        first_event,
        last_event: drift::scalar_micros(session, "SELECT MAX(occurred_at) AS t FROM events").await?,
        newest_value: newest_feature.max(newest_close).unwrap_or(first_event),
        written_until: drift::scalar_micros(session, "SELECT MAX(window_end) AS t FROM drift_metrics").await?,
    }))
}

/// The landed events of the resumed windows, as the stream would have seen them.
async fn resume_events(session: &LakeSession, span: &Window, drift: &mut StreamingDrift) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT event_id, event_type, occurred_at, intent, model_version, confidence, is_oos, embedding, \
                latency_ms, text \
         FROM events WHERE (event_type IN ('intent_predicted', 'tool_call') \
                            OR (event_type = 'message' AND actor = 'customer')) AND {}",
        span.sql_predicate("occurred_at", Some("date"))
    );
    for batch in session.query(&sql).await? {
        let ids = columns::strings(&batch, "event_id")?;
        let types = columns::strings(&batch, "event_type")?;
        let times = columns::timestamps(&batch, "occurred_at")?;
        let intents = columns::strings(&batch, "intent")?;
        let versions = columns::strings(&batch, "model_version")?;
        let confidences = columns::floats(&batch, "confidence")?;
        let oos = columns::booleans(&batch, "is_oos")?;
        let latencies = columns::floats(&batch, "latency_ms")?;
        let texts = columns::strings(&batch, "text")?;
        let embeddings = batch.column_by_name("embedding").map(|c| c.as_list::<i32>());
        for i in 0..batch.num_rows() {
            let (Some(at), Some(id)) = (times[i], ids[i].as_deref()) else {
                continue;
            };
            let embedding = embeddings
                .filter(|list| !list.is_null(i))
                .map(|list| embedding_at(list, i));
            let value = match types[i].as_deref() {
                Some("intent_predicted") => LandedValue::Prediction {
                    id,
                    intent: intents[i].as_deref(),
                    model_version: versions[i].as_deref(),
                    confidence: confidences[i],
                    is_oos: oos[i],
                    embedding: embedding.as_deref(),
                },
                Some("tool_call") => LandedValue::ToolCall {
                    latency_ms: latencies[i],
                },
                _ => LandedValue::CustomerMessage {
                    id,
                    text: texts[i].as_deref(),
                },
            };
            drift.observe_value(at, value);
        }
    }
    Ok(())
}

/// The latest facts of conversations closed in `span`: of the resumed windows (from
/// `first_window` on) as values, of `retained` earlier windows as retained facts.
async fn resume_conversations(
    session: &LakeSession,
    span: &Window,
    first_window: i64,
    retained: &std::collections::BTreeSet<i64>,
    drift: &mut StreamingDrift,
) -> anyhow::Result<()> {
    let sql = format!(
        "SELECT tenant_id, conversation_id, closed_at, channel, handoff_reason, disposition, \
                CAST(customer_messages AS DOUBLE) AS customer_messages, bot_time_s, handle_time_s, \
                CAST(kb_lookups AS DOUBLE) AS kb_lookups, CAST(kb_misses AS DOUBLE) AS kb_misses, \
                contained, handed_off \
         FROM conversation_facts WHERE {}",
        span.sql_predicate("closed_at", None)
    );
    for batch in session.query(&sql).await? {
        let tenants = columns::strings(&batch, "tenant_id")?;
        let conversations = columns::strings(&batch, "conversation_id")?;
        let closed = columns::timestamps(&batch, "closed_at")?;
        let channels = columns::strings(&batch, "channel")?;
        let reasons = columns::strings(&batch, "handoff_reason")?;
        let dispositions = columns::strings(&batch, "disposition")?;
        let customer_messages = columns::floats(&batch, "customer_messages")?;
        let bot_time = columns::floats(&batch, "bot_time_s")?;
        let handle_time = columns::floats(&batch, "handle_time_s")?;
        let lookups = columns::floats(&batch, "kb_lookups")?;
        let misses = columns::floats(&batch, "kb_misses")?;
        let contained = columns::booleans(&batch, "contained")?;
        let handed_off = columns::booleans(&batch, "handed_off")?;
        for i in 0..batch.num_rows() {
            let (Some(tenant), Some(conversation), Some(closed_at)) =
                (tenants[i].clone(), conversations[i].clone(), closed[i])
            else {
                continue;
            };
            let channel = known(&channels[i], "channel", Channel::parse, Channel::as_str)?;
            let reason = known(
                &reasons[i],
                "handoff_reason",
                HandoffReason::parse,
                HandoffReason::as_str,
            )?;
            let disposition = known(&dispositions[i], "disposition", Disposition::parse, Disposition::as_str)?;
            let count = |column: &[Option<f64>]| column[i].map_or(0, |v| v as u32);
            let features = ConversationFeatures {
                channel,
                handoff_reason: reason,
                disposition,
                customer_messages: customer_messages[i],
                bot_time_s: bot_time[i],
                handle_time_s: handle_time[i],
                kb_miss_rate: kb_miss_rate(count(&lookups), count(&misses)),
                contained: contained[i] == Some(true),
                handed_off: handed_off[i] == Some(true),
            };
            let window = drift.window_of(closed_at);
            if window >= first_window {
                drift.observe_conversation((tenant, conversation), closed_at, features);
            } else if retained.contains(&window) {
                drift.retain(window, (tenant, conversation), features);
            }
        }
    }
    Ok(())
}

/// A value of one of the contract's enums as written in the lake, as its `&'static` name;
/// anything else in the lake is an error, not a silent null.
fn known<E>(
    value: &Option<String>,
    what: &str,
    parse: fn(&str) -> Option<E>,
    name: fn(E) -> &'static str,
) -> anyhow::Result<Option<&'static str>> {
    match value.as_deref() {
        None => Ok(None),
        Some(text) => parse(text)
            .map(|e| Some(name(e)))
            .ok_or_else(|| anyhow::anyhow!("conversation_facts has an unknown {what} `{text}`")),
    }
}
