//! Writes a sample report with every chart kind and block, for eyeballing and the browser
//! check: `cargo run -p convolens-report --example sample -- /tmp/sample-report.html`.

use convolens_report::{
    Block, Cell, IntervalBar, OverlayBin, Page, ReliabilityBin, Section, SeriesPoint, Severity, bar_list,
    histogram_overlay, horizontal_bars_with_intervals, reliability_diagram, timeline,
};

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/sample-report.html".to_string());
    std::fs::write(&path, sample_page().render())?;
    println!("wrote {path}");
    Ok(())
}

fn sample_page() -> Page {
    Page::new("convolens report — intent model v7")
        .subtitle("Production traffic, 2026-02-22 to 2026-02-28, against the reference week 2026-01-05")
        .generated_at("2026-03-01 06:00 UTC")
        .section(calibration())
        .section(drivers())
        .section(drift())
}

fn calibration() -> Section {
    // An overconfident model: accuracy trails confidence above 0.6.
    let counts = [12u64, 30, 85, 160, 420, 910, 1800, 3200, 5400, 9100];
    let bins: Vec<ReliabilityBin> = (0..10)
        .map(|i| {
            let lower = i as f64 / 10.0;
            let mean_confidence = lower + 0.06;
            let accuracy = (mean_confidence - if mean_confidence > 0.6 { 0.09 } else { -0.03 }).clamp(0.0, 1.0);
            ReliabilityBin {
                lower,
                upper: lower + 0.1,
                count: counts[i],
                mean_confidence,
                accuracy,
            }
        })
        .collect();
    Section::new("calibration", "Calibration")
        .block(Block::Paragraph(
            "The intent model is overconfident above 0.6 confidence: predictions at 0.9 are right about 81 % of \
             the time. A recalibration map (isotonic) is recommended."
                .into(),
        ))
        .block(Block::key_values([
            ("predictions", "21,117"),
            ("accuracy", "0.842"),
            ("ECE", "0.071"),
            ("MCE", "0.093"),
            ("Brier", "0.118"),
        ]))
        .block(Block::Chart(reliability_diagram(
            &bins,
            "Reliability diagram (10 equal-width bins)",
        )))
        .block(Block::Note(
            "Bins are (lower, upper]; bin 1 also holds confidence 0. ECE weights each bin's gap by its share of \
             predictions."
                .into(),
        ))
}

fn drivers() -> Section {
    let d = |label: &str, value: f64, half: f64| IntervalBar {
        label: label.into(),
        value,
        low: Some((value - half).max(-1.0)),
        high: Some((value + half).min(1.0)),
    };
    let items = vec![
        d("resolved", 0.48, 0.05),
        d("escalated_to_human", -0.31, 0.06),
        d("first_response_seconds", -0.22, 0.07),
        d("turns", -0.12, 0.06),
        d("kb_articles_shown", 0.05, 0.08),
        d("intent = card_payment_not_recognised", -0.41, 0.15),
        IntervalBar {
            label: "recontact_within_7_days".into(),
            value: -0.18,
            low: None,
            high: None,
        },
    ];
    let rows = vec![
        vec![
            Cell::new("resolved"),
            Cell::num("4,210"),
            Cell::num("+0.480"),
            Cell::num("<0.001"),
            Cell::new("strong").severity(Severity::Ok),
        ],
        vec![
            Cell::new("escalated_to_human"),
            Cell::num("4,210"),
            Cell::num("−0.310"),
            Cell::num("<0.001"),
            Cell::new("moderate").severity(Severity::Warn),
        ],
        vec![
            Cell::new("kb_articles_shown"),
            Cell::num("4,210"),
            Cell::num("+0.050"),
            Cell::num("0.210"),
            Cell::new("not significant").severity(Severity::Muted),
        ],
        vec![
            Cell::new("intent = card_payment_not_recognised"),
            Cell::num("162"),
            Cell::num("−0.410"),
            Cell::num("<0.001"),
            Cell::new("investigate").severity(Severity::Alert),
        ],
    ];
    Section::new("csat-drivers", "CSAT drivers")
        .block(Block::Paragraph(
            "Pearson correlation of each driver with the CSAT score, with 95 % Fisher confidence intervals. \
             Resolution is the strongest positive driver; escalation and slow first responses hurt."
                .into(),
        ))
        .block(Block::Chart(horizontal_bars_with_intervals(
            &items,
            "Correlation with CSAT (r, 95 % CI)",
            None,
        )))
        .block(Block::table(["driver", "n", "r", "p", "verdict"], rows))
}

fn drift() -> Section {
    let numeric: Vec<OverlayBin> = (0..10)
        .map(|i| {
            let lower = i as f64 / 10.0;
            let reference = [0.02, 0.03, 0.05, 0.07, 0.09, 0.11, 0.13, 0.15, 0.17, 0.18][i];
            let current = [0.04, 0.06, 0.08, 0.10, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12][i];
            OverlayBin {
                label: format!("({lower:.1}, {:.1}]", lower + 0.1),
                reference_share: reference,
                current_share: current,
            }
        })
        .collect();
    let intents = [
        "card_arrival",
        "card_linking",
        "exchange_rate",
        "card_payment_wrong_exchange_rate",
        "extra_charge_on_statement",
        "pending_cash_withdrawal",
        "fiat_currency_support",
        "card_delivery_estimate",
        "automatic_top_up",
        "card_payment_fee_charged",
        "verify_source_of_funds",
        "lost_or_stolen_card",
        "balance_not_updated_after_bank_transfer",
        "beneficiary_not_allowed",
        "transfer_timing",
        "declined_card_payment",
        "pending_top_up",
        "age_limit",
        "apple_pay_or_google_pay",
        "atm_support",
        "<script>alert('intent')</script>",
        "change_pin",
        "compromised_card",
        "contactless_not_working",
        "country_support",
        "direct_debit_payment_not_recognised",
        "disposable_card_limits",
        "edit_personal_details",
        "exchange_charge",
        "get_physical_card",
        "getting_spare_card",
        "lost_or_stolen_phone",
        "order_physical_card",
        "passcode_forgotten",
        "pin_blocked",
        "reverted_card_payment?",
        "top_up_failed",
    ];
    let total: f64 = (1..=intents.len()).map(|i| 1.0 / i as f64).sum();
    let categorical: Vec<OverlayBin> = intents
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let reference = 1.0 / (i + 1) as f64 / total;
            let current = if i == 3 { reference * 2.5 } else { reference * 0.93 };
            OverlayBin {
                label: (*name).to_string(),
                reference_share: reference,
                current_share: current,
            }
        })
        .collect();
    let psi: Vec<SeriesPoint> = (0..28)
        .map(|day| SeriesPoint {
            label: format!("2026-02-{:02}", day + 1),
            value: if day == 9 || day == 10 {
                None
            } else {
                Some(0.04 + 0.01 * ((day * 7 % 5) as f64) + if day >= 20 { 0.015 * (day - 19) as f64 } else { 0.0 })
            },
        })
        .collect();
    let tokens = [
        ("refund", 0.0412),
        ("chargeback", 0.0307),
        ("apple pay", 0.0214),
        ("<img src=x>", 0.0151),
        ("wrong exchange rate", 0.0123),
        ("blocked", 0.0098),
        ("crypto", -0.0081),
        ("pin", -0.0064),
    ];
    let rows = vec![
        vec![
            Cell::new("confidence"),
            Cell::new("numeric"),
            Cell::num("0.142"),
            Cell::num("0.10"),
            Cell::new("warn").severity(Severity::Warn),
        ],
        vec![
            Cell::new("intent"),
            Cell::new("categorical"),
            Cell::num("0.263"),
            Cell::num("0.20"),
            Cell::new("alert").severity(Severity::Alert),
        ],
        vec![
            Cell::new("turns"),
            Cell::new("numeric"),
            Cell::num("0.018"),
            Cell::num("0.10"),
            Cell::new("ok").severity(Severity::Ok),
        ],
        vec![
            Cell::new("language"),
            Cell::new("categorical"),
            Cell::num("—"),
            Cell::num("0.20"),
            Cell::new("no data").severity(Severity::Muted),
        ],
    ];
    Section::new("drift", "Drift")
        .block(Block::table(["feature", "kind", "PSI", "threshold", "verdict"], rows))
        .block(Block::Chart(histogram_overlay(
            &numeric,
            "confidence: reference vs current",
        )))
        .block(Block::Chart(histogram_overlay(
            &categorical,
            "intent: reference vs current (top 29 + other)",
        )))
        .block(Block::Chart(timeline(
            &psi,
            &[21, 24, 27],
            "Daily PSI of confidence (Page-Hinkley alarms)",
        )))
        .block(Block::Chart(bar_list(&tokens, "Text drift: change in token share")))
        .block(Block::Chart(bar_list::<&str>(&[], "Language drift")))
        .block(Block::Note(
            "Days 10 and 11 have no value: the ingest was paused for maintenance.".into(),
        ))
}
