//! The stream's window bookkeeping with an injected event time: when windows settle, where
//! facts versions count, what arrives too late, and the gaps of the KPI series.

use std::time::Duration;

use convolens_core::spec::SessionSettings;
use convolens_core::{Actor, Channel, ConversationFacts, Disposition, Event, Payload, Timestamp};
use convolens_sinks::DriftMetricRow;

use super::{StreamStart, StreamingDrift};
use crate::analysis::drift::{DriftOptions, SeriesPoints, build_profile};
use crate::analysis::drift_input::WindowValues;
use crate::window::Window;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

fn options() -> DriftOptions {
    DriftOptions {
        text: None,
        series_window_s: 3600,
        ..DriftOptions::default()
    }
}

fn stream() -> StreamingDrift {
    let mut reference = WindowValues::default();
    reference
        .numeric
        .insert("confidence", (0..200).map(|i| Some(f64::from(i) / 200.0)).collect());
    let profile = build_profile(&reference, &Window::ALL, usize::MAX, &options()).expect("profile");
    StreamingDrift::new(
        StreamStart {
            profile,
            reference_label: "test".into(),
            first_window: i64::MIN,
            history: SeriesPoints::new(),
        },
        options(),
        &SessionSettings {
            allowed_lateness: Duration::from_secs(15 * 60),
            idle_timeout: Duration::from_secs(30 * 60),
            dedup_horizon: Duration::from_secs(24 * 3600),
        },
    )
}

fn event(id: &str, at: i64, payload: Payload) -> Event {
    Event {
        event_id: id.into(),
        event_type: "x".into(),
        schema_version: 1,
        tenant_id: "t".into(),
        conversation_id: "c".into(),
        occurred_at: Timestamp::from_micros(at),
        customer_id: None,
        channel: None,
        seq: None,
        payload,
        extra: None,
        redactions: 0,
    }
}

fn prediction(id: &str, at: i64, confidence: f64) -> Event {
    event(
        id,
        at,
        Payload::IntentPredicted {
            intent: "card_lost".into(),
            confidence,
            model: "router".into(),
            model_version: Some("v1".into()),
            is_oos: None,
            ranking: None,
            embedding: None,
        },
    )
}

fn facts(conversation: &str, version: u32, closed_at: i64, customer_messages: u32) -> ConversationFacts {
    ConversationFacts {
        tenant_id: "t".into(),
        conversation_id: conversation.into(),
        version,
        event_count: 3,
        started_at: Timestamp::from_micros(closed_at - MINUTE),
        ended_at: None,
        closed_at: Timestamp::from_micros(closed_at),
        closed_by_inactivity: true,
        disposition: Disposition::Resolved,
        channel: Channel::Chat,
        customer_id: None,
        handed_off: false,
        handoff_reason: None,
        agent_handled: false,
        queue_abandoned: false,
        bot_time_s: 60.0,
        queue_wait_s: None,
        talk_hold_s: None,
        hold_s: None,
        acw_s: None,
        talk_s: None,
        handle_time_s: None,
        customer_messages,
        bot_messages: 1,
        agent_messages: 0,
        first_intent: None,
        mean_confidence: None,
        min_confidence: None,
        kb_lookups: 0,
        kb_misses: 0,
        contained_gross: true,
        contained: true,
        resolved_by_bot: true,
    }
}

fn row<'a>(rows: &'a [DriftMetricRow], window_start: i64, feature: &str) -> &'a DriftMetricRow {
    rows.iter()
        .find(|r| r.window_start == window_start && r.feature == feature)
        .unwrap_or_else(|| panic!("no {feature} row for window {window_start}"))
}

#[test]
fn a_window_settles_once_events_are_lateness_plus_idle_timeout_past_its_end() {
    let mut drift = stream();
    for i in 0..150 {
        drift.observe_event(&prediction(&format!("p{i}"), i * 20_000_000, 0.9));
    }
    drift.observe_event(&prediction("later", HOUR + 44 * MINUTE, 0.5));
    assert!(
        drift.settled_rows(0).unwrap().is_empty(),
        "44 min past the end: not settled"
    );
    drift.observe_event(&prediction("settling", HOUR + 45 * MINUTE, 0.5));
    let rows = drift.settled_rows(7).unwrap();
    let confidence = row(&rows, 0, "confidence");
    assert_eq!((confidence.n_cur, confidence.computed_at), (Some(150), 7));
    assert_eq!(confidence.verdict, "drift", "all at 0.9 against a uniform reference");
    let mean = row(&rows, 0, "mean_confidence");
    assert!((mean.value.unwrap() - 0.9).abs() < 1e-12);
    assert!(
        rows.iter().all(|r| r.window_start == 0),
        "only the first window settled"
    );
    assert_eq!(drift.counts().windows, 1);
}

#[test]
fn a_new_facts_version_counts_in_the_window_it_now_closes_in() {
    let mut drift = stream();
    drift.observe_facts(&facts("a", 1, 50 * MINUTE, 2));
    drift.observe_facts(&facts("b", 1, 55 * MINUTE, 2));
    // A late event made `a` close in the next window.
    drift.observe_facts(&facts("a", 2, HOUR + 5 * MINUTE, 4));
    drift.observe_event(&prediction("p", 2 * HOUR, 0.5));
    let rows = drift.finish_rows(0).unwrap();
    assert_eq!(row(&rows, 0, "customer_messages").n_cur, Some(1));
    assert_eq!(row(&rows, HOUR, "customer_messages").n_cur, Some(1));
    assert_eq!(row(&rows, 0, "containment_rate").value, Some(1.0));
}

#[test]
fn an_event_for_a_settled_window_is_counted_and_changes_nothing() {
    let mut drift = stream();
    drift.observe_event(&prediction("p0", 10 * MINUTE, 0.5));
    drift.observe_event(&prediction("p1", 2 * HOUR, 0.5));
    let first = drift.settled_rows(0).unwrap();
    assert_eq!(row(&first, 0, "confidence").n_cur, Some(1));
    drift.observe_event(&prediction("straggler", 20 * MINUTE, 0.5));
    assert_eq!(drift.counts().past_settled, 1);
    let rest = drift.finish_rows(0).unwrap();
    assert!(
        rest.iter().all(|r| r.window_start == HOUR),
        "window 0 is not computed twice"
    );
}

#[test]
fn a_conversation_that_moves_on_revises_the_window_it_left() {
    let mut drift = stream();
    drift.observe_facts(&facts("a", 1, 20 * MINUTE, 2));
    drift.observe_facts(&facts("b", 1, 30 * MINUTE, 2));
    drift.observe_event(&prediction("p1", 2 * HOUR, 0.5));
    let settled = drift.settled_rows(1).unwrap();
    assert_eq!(row(&settled, 0, "customer_messages").n_cur, Some(2));
    // `a` resumes after its idle timeout: a new version closes two hours later.
    drift.observe_facts(&facts("a", 2, 2 * HOUR + 10 * MINUTE, 5));
    drift.observe_event(&prediction("p2", 4 * HOUR, 0.5));
    let revised = drift.settled_rows(2).unwrap();
    let again = row(&revised, 0, "customer_messages");
    assert_eq!((again.n_cur, again.computed_at), (Some(1), 2), "window 0 lost `a`");
    assert_eq!(row(&revised, 0, "containment_rate").value, Some(1.0));
    assert!(
        revised.iter().all(|r| r.window_start != 0 || r.feature != "confidence"),
        "event-level rows of window 0 are final"
    );
    assert_eq!(
        row(&revised, 2 * HOUR, "customer_messages").n_cur,
        Some(1),
        "`a` counts where it closes now"
    );
    assert_eq!(drift.counts().past_settled, 0);
}

#[test]
fn a_call_settles_at_most_the_windows_it_is_allowed() {
    let mut drift = stream();
    for hour in 0..5 {
        drift.observe_event(&prediction(&format!("p{hour}"), hour * HOUR, 0.5));
    }
    let windows = |rows: &[DriftMetricRow]| {
        rows.iter()
            .map(|r| r.window_start)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let first = drift.settled_rows_at(5 * HOUR, 0, 2).unwrap();
    assert_eq!(windows(&first), [0, HOUR].into());
    let rest = drift.settled_rows_at(5 * HOUR, 0, 2).unwrap();
    assert_eq!(
        windows(&rest),
        [2 * HOUR, 3 * HOUR].into(),
        "the next call goes on where it stopped"
    );
}

#[test]
fn the_end_of_input_settles_windows_up_to_the_newest_events_window() {
    let mut drift = stream();
    drift.observe_event(&prediction("p0", 10 * MINUTE, 0.5));
    drift.observe_event(&prediction("p1", 2 * HOUR + 10 * MINUTE, 0.5));
    let rows = drift.finish_rows(0).unwrap();
    let windows: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.window_start).collect();
    assert_eq!(windows, [0, HOUR].into(), "the newest event's window is not complete");
}

#[test]
fn an_empty_window_between_points_gets_its_series_rows_once_a_later_point_comes() {
    let mut drift = stream();
    drift.observe_event(&prediction("p0", 10 * MINUTE, 0.5));
    drift.observe_event(&event(
        "m",
        HOUR + 10 * MINUTE,
        Payload::Message {
            actor: Actor::Agent,
            text: None,
        },
    ));
    drift.observe_event(&prediction("p2", 2 * HOUR + 10 * MINUTE, 0.5));
    drift.observe_event(&prediction("p3", 3 * HOUR + 10 * MINUTE, 0.5));
    let rows = drift.finish_rows(0).unwrap();
    let gap = row(&rows, HOUR, "mean_confidence");
    assert_eq!((gap.value, gap.verdict.as_str()), (None, "no_alarm"));
    assert_eq!(row(&rows, 2 * HOUR, "mean_confidence").value, Some(0.5));
    assert_eq!(
        rows.iter().filter(|r| r.feature == "mean_confidence").count(),
        3,
        "one series row per window from the first point to the last"
    );
}

#[test]
fn shares_absorbed_in_commit_order_give_the_rows_of_one_stream() {
    // Two "partitions": conversation `a` re-versioned in a later share, predictions split.
    let observed = |drift: &mut StreamingDrift| {
        drift.observe_facts(&facts("a", 1, 50 * MINUTE, 2));
        drift.observe_facts(&facts("b", 1, 20 * MINUTE, 3));
        for i in 0..120 {
            drift.observe_event(&prediction(
                &format!("p{i}"),
                i * 25_000_000,
                0.3 + f64::from(i as u32) / 400.0,
            ));
        }
        drift.observe_facts(&facts("a", 2, HOUR + 10 * MINUTE, 5));
        drift.observe_event(&prediction("end", 3 * HOUR, 0.5));
    };
    let mut direct = stream();
    observed(&mut direct);

    let mut merged = stream();
    let mut first = merged.empty_share();
    let mut second = merged.empty_share();
    first.observe_facts(&facts("a", 1, 50 * MINUTE, 2));
    second.observe_facts(&facts("b", 1, 20 * MINUTE, 3));
    for i in 0..120 {
        let share = if i % 2 == 0 { &mut first } else { &mut second };
        share.observe_event(&prediction(
            &format!("p{i}"),
            i * 25_000_000,
            0.3 + f64::from(i as u32) / 400.0,
        ));
    }
    merged.absorb(first);
    merged.absorb(second);
    let mut later = merged.empty_share();
    later.observe_facts(&facts("a", 2, HOUR + 10 * MINUTE, 5));
    later.observe_event(&prediction("end", 3 * HOUR, 0.5));
    merged.absorb(later);

    let (want, got) = (direct.finish_rows(0).unwrap(), merged.finish_rows(0).unwrap());
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(
            (w.window_start, &w.feature, w.n_cur),
            (g.window_start, &g.feature, g.n_cur)
        );
        assert_eq!(
            (w.psi, w.ks, w.verdict.as_str()),
            (g.psi, g.ks, g.verdict.as_str()),
            "{}",
            w.feature
        );
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-12,
            (a, b) => a == b,
        };
        assert!(close(w.value, g.value), "{}: {:?} {:?}", w.feature, w.value, g.value);
    }
    assert_eq!(
        row(&got, HOUR, "customer_messages").n_cur,
        Some(1),
        "`a` moved to its new window"
    );
}
