//! The stream as a whole: determinism, counts, validity, duplicates, disorder, memory.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use convolens_generator::{Generator, GeneratorConfig, InvalidKind, LineKind, write_ndjson};

use crate::{checker, config, events, lines, valid};

#[test]
fn same_config_gives_identical_bytes_and_another_seed_does_not() {
    let mut first = Vec::new();
    let mut second = Vec::new();
    let summary = write_ndjson(&config(300), &mut first).expect("writes");
    write_ndjson(&config(300), &mut second).expect("writes");
    assert!(summary.lines > 1_000);
    assert_eq!(first, second);

    let mut other = Vec::new();
    write_ndjson(&GeneratorConfig { seed: 8, ..config(300) }, &mut other).expect("writes");
    assert_ne!(first, other);

    // The iterator yields the same lines as the writer, in the same order.
    let joined: Vec<u8> = lines(config(300))
        .into_iter()
        .flat_map(|line| line.bytes.into_iter().chain(std::iter::once(b'\n')))
        .collect();
    assert_eq!(joined, first);
}

#[test]
fn summary_counts_what_is_written() {
    let mut out = Vec::new();
    let summary = write_ndjson(&config(800), &mut out).expect("writes");
    let mut lines = 0u64;
    let mut invalid = 0u64;
    let mut duplicates = 0u64;
    let mut first_delivery: HashMap<String, Vec<u8>> = HashMap::new();
    let mut conversations = HashSet::new();
    for line in out.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        let Ok(object) = checker::check(line) else {
            invalid += 1;
            continue;
        };
        let event_id = object["event_id"].as_str().unwrap_or_default().to_string();
        conversations.insert(object["conversation_id"].as_str().unwrap_or_default().to_string());
        match first_delivery.get(&event_id) {
            Some(original) => {
                assert_eq!(
                    original.as_slice(),
                    line,
                    "a repeated event_id must be a byte-identical copy"
                );
                duplicates += 1;
            }
            None => {
                first_delivery.insert(event_id, line.to_vec());
            }
        }
    }
    assert_eq!(out.last(), Some(&b'\n'));
    assert_eq!(summary.lines, lines);
    assert_eq!(summary.invalid, invalid);
    assert_eq!(summary.duplicates, duplicates);
    assert_eq!(summary.events, first_delivery.len() as u64);
    assert_eq!(summary.conversations, conversations.len() as u64);
    assert_eq!(summary.conversations, 800);
    assert_eq!(summary.lines, summary.events + summary.duplicates + summary.invalid);
}

#[test]
fn every_invalid_kind_appears_at_the_configured_share() {
    // About 20 000 lines, with an oversized line every 5 000.
    let config = GeneratorConfig {
        oversized_every: 5_000,
        ..config(1_500)
    };
    let lines = lines(config);
    assert!((18_000..26_000).contains(&lines.len()), "{} lines", lines.len());
    let mut kinds: HashMap<InvalidKind, usize> = HashMap::new();
    for line in &lines {
        if let LineKind::Invalid(kind) = line.kind {
            *kinds.entry(kind).or_default() += 1;
            assert!(checker::check(&line.bytes).is_err(), "{kind:?} accepted");
            assert!(!line.bytes.contains(&b'\n'), "{kind:?} contains a line break");
        }
    }
    for kind in InvalidKind::ALL {
        assert!(kinds.contains_key(&kind), "no {kind:?} line");
    }
    assert_eq!(kinds[&InvalidKind::Oversized], lines.len() / 5_000);
    let oversized_free = lines.len() - kinds[&InvalidKind::Oversized];
    let share = (kinds.values().sum::<usize>() - kinds[&InvalidKind::Oversized]) as f64 / oversized_free as f64;
    assert!((0.0075..0.0125).contains(&share), "invalid share {share}");
    // Every valid line is accepted (valid() panics otherwise).
    assert!(valid(&lines).len() > 17_000);
}

#[test]
fn small_runs_have_no_oversized_lines_and_zero_rates_mean_clean_output() {
    let lines = lines(config(1_500));
    assert!(
        lines
            .iter()
            .all(|line| line.kind != LineKind::Invalid(InvalidKind::Oversized))
    );
    assert!(lines.iter().all(|line| line.bytes.len() < 1 << 20));

    let clean = GeneratorConfig {
        duplicate_rate: 0.0,
        invalid_rate: 0.0,
        oversized_every: 1,
        ..config(200)
    };
    let clean_lines = crate::lines(clean);
    assert!(clean_lines.iter().all(|line| line.kind == LineKind::Event));
}

#[test]
fn duplicates_are_exact_copies_and_ids_are_otherwise_unique() {
    let lines = lines(GeneratorConfig {
        duplicate_rate: 0.05,
        ..config(600)
    });
    let mut originals: HashMap<String, &[u8]> = HashMap::new();
    let mut duplicates = 0;
    for line in &lines {
        let Ok(object) = checker::check(&line.bytes) else {
            continue;
        };
        let id = object["event_id"].as_str().unwrap_or_default().to_string();
        match line.kind {
            LineKind::Event => assert!(originals.insert(id, &line.bytes).is_none(), "event_id reused"),
            LineKind::Duplicate => {
                duplicates += 1;
                assert_eq!(
                    originals.get(&id).copied(),
                    Some(line.bytes.as_slice()),
                    "copy differs or precedes its original"
                );
            }
            LineKind::Invalid(_) => unreachable!("checked valid"),
        }
    }
    let share = f64::from(duplicates) / originals.len() as f64;
    assert!((0.04..0.06).contains(&share), "duplicate share {share}");
}

#[test]
fn arrival_is_never_later_than_max_disorder() {
    for max_disorder in [Duration::from_secs(30), Duration::from_secs(120), Duration::ZERO] {
        let lines = lines(GeneratorConfig {
            max_disorder,
            ..config(700)
        });
        let max_ms = max_disorder.as_millis() as f64;
        assert!(lines.windows(2).all(|w| w[0].arrival <= w[1].arrival), "arrival order");
        let mut watermark = 0;
        let mut late_in_event_time = 0;
        for event in events(&lines) {
            // Event by event: arrival − occurred_at ∈ [0, max_disorder].
            let delay = event.arrival_ms - event.occurred_at_ms as f64;
            assert!((0.0..=max_ms).contains(&delay), "delay {delay} ms over {max_ms}");
            // From the order alone: nothing arrives more than max_disorder behind the
            // newest event time already seen (late surveys and labels included).
            assert!(
                watermark - event.occurred_at_ms <= max_ms as i64,
                "disorder over {max_ms} ms"
            );
            watermark = watermark.max(event.occurred_at_ms);
            if matches!(event.str("event_type"), "csat_submitted" | "intent_labeled") {
                late_in_event_time += 1;
            }
        }
        assert!(late_in_event_time > 100);
        if max_disorder.is_zero() {
            let times: Vec<i64> = events(&lines).iter().map(|e| e.occurred_at_ms).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}

#[test]
fn keys_name_the_conversation_of_the_line() {
    let lines = lines(config(200));
    for line in &lines {
        if let Ok(object) = checker::check(&line.bytes) {
            assert_eq!(line.key.as_deref(), object["conversation_id"].as_str());
        }
    }
    assert!(
        lines.iter().any(|line| line.key.is_none()),
        "garbage lines carry no key"
    );
}

#[test]
fn memory_is_bounded_by_pending_lines_not_by_the_run() {
    // Thirty days of traffic: at any moment only about a week's late labels and the
    // conversations in flight are pending.
    let config = GeneratorConfig {
        span: Duration::from_secs(30 * 86_400),
        ..config(6_000)
    };
    let mut generator = Generator::new(config).expect("valid");
    let mut bytes = Vec::new();
    let mut max_pending = 0;
    while generator.next_into(&mut bytes).is_some() {
        max_pending = max_pending.max(generator.pending());
    }
    let total = generator.summary().lines as usize;
    assert!(total > 70_000);
    assert!(max_pending < total / 8, "max pending {max_pending} of {total}");
}

#[test]
fn no_conversations_means_no_output() {
    let mut out = Vec::new();
    let summary = write_ndjson(&config(0), &mut out).expect("writes");
    assert!(out.is_empty());
    assert_eq!(summary, Default::default());
}

#[test]
fn bad_config_is_an_error_not_a_panic() {
    let config = GeneratorConfig {
        tenants: Vec::new(),
        ..config(10)
    };
    assert!(Generator::new(config.clone()).is_err());
    assert!(write_ndjson(&config, &mut Vec::new()).is_err());
}
