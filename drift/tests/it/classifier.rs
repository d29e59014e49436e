//! The domain classifier and its neighbours: ROC AUC against sklearn, the normal tail and the
//! out-of-scope z-test against scipy, and text and embedding drift on synthetic windows whose
//! truth is known (same law: AUC near ½, no drift; a shifted vocabulary or mean: drift).

use convolens_drift::classifier::ClassifierParams;
use convolens_drift::stats::erfc;
use convolens_drift::{
    EmbeddingSample, OosParams, TextDriftParams, TextSample, Verdict, embedding_drift, oos_shift, roc_auc, text_drift,
};

use crate::fixture::{Mismatches, expected};

#[test]
fn roc_auc_matches_sklearn() {
    let mut mismatches = Mismatches::default();
    for case in &expected().roc_auc {
        mismatches.close(&case.name, roc_auc(&case.scores, &case.labels), Some(case.auc));
    }
    mismatches.assert_none();
}

#[test]
fn erfc_matches_scipy() {
    let mut mismatches = Mismatches::default();
    for case in &expected().erfc {
        // 2e-15 relative is the documented accuracy; 1e-14 leaves room for libm's exp.
        mismatches.within(
            &format!("erfc({})", case.x),
            Some(erfc(case.x)),
            Some(case.erfc),
            1e-14,
            0.0,
        );
    }
    mismatches.assert_none();
}

#[test]
fn oos_z_test_matches_scipy() {
    let mut mismatches = Mismatches::default();
    for case in &expected().oos {
        let what = format!(
            "{}/{} vs {}/{}",
            case.ref_oos, case.ref_total, case.cur_oos, case.cur_total
        );
        let Ok(shift) = oos_shift(
            case.ref_oos,
            case.ref_total,
            case.cur_oos,
            case.cur_total,
            &OosParams::default(),
        ) else {
            mismatches.check(&format!("{what}: refused"), false);
            continue;
        };
        mismatches.within(&format!("{what} z"), shift.z, Some(case.z), 1e-12, 0.0);
        mismatches.within(&format!("{what} p"), shift.p_value, Some(case.p_value), 1e-12, 0.0);
        mismatches.equal(&format!("{what} flagged"), shift.flagged, case.flagged);
    }
    mismatches.assert_none();
}

/// xorshift64*: a seeded generator inline, so the synthetic windows never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller; 1 − u keeps the logarithm finite.
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Support messages of 4–12 words from a skewed vocabulary of 80; `injected` words each join
/// a message with probability 0.3.
fn messages(rng: &mut Rng, n: usize, injected: &[&str]) -> Vec<String> {
    (0..n)
        .map(|_| {
            let length = 4 + (rng.next() % 9) as usize;
            let mut words: Vec<String> = (0..length)
                .map(|_| format!("w{}", (80.0 * rng.uniform().powi(2)) as usize))
                .collect();
            for word in injected {
                if rng.uniform() < 0.3 {
                    let at = (rng.next() % (words.len() as u64 + 1)) as usize;
                    words.insert(at, (*word).to_owned());
                }
            }
            words.join(" ")
        })
        .collect()
}

/// Small enough for a debug build: 600 texts a side, 2^10 hashed columns.
fn text_params() -> TextDriftParams {
    TextDriftParams {
        hash_bits: 10,
        ..TextDriftParams::default()
    }
}

#[test]
fn text_from_one_law_is_not_drift() {
    let mut rng = Rng(11);
    let reference = TextSample::from_texts(&messages(&mut rng, 600, &[]), 20_000);
    let current = TextSample::from_texts(&messages(&mut rng, 600, &[]), 20_000);
    let drift = text_drift(&reference, &current, &text_params()).expect("valid params");
    let auc = drift.auc.expect("enough rows");
    assert!((auc - 0.5).abs() < 0.06, "AUC {auc}");
    assert_eq!(drift.verdict, Verdict::NoDrift);
    assert_eq!((drift.n_ref, drift.n_cur, drift.threshold), (600, 600, 0.55));
    // About 30% of 1 200 held out.
    assert!((300..420).contains(&drift.n_heldout), "{}", drift.n_heldout);
}

#[test]
fn a_shifted_vocabulary_is_drift_with_the_new_words_on_top() {
    let mut rng = Rng(12);
    let reference = TextSample::from_texts(&messages(&mut rng, 600, &[]), 20_000);
    let current = TextSample::from_texts(&messages(&mut rng, 600, &["bitcoin", "wallet"]), 20_000);
    let drift = text_drift(&reference, &current, &text_params()).expect("valid params");
    let auc = drift.auc.expect("enough rows");
    // Each of 60% of current messages (minus overlap) carries a word the reference never has.
    assert!(auc > 0.7, "AUC {auc}");
    assert_eq!(drift.verdict, Verdict::Drift);
    let top: Vec<&str> = drift
        .top_current_tokens
        .iter()
        .take(2)
        .map(|t| t.token.as_str())
        .collect();
    assert!(top.contains(&"bitcoin") && top.contains(&"wallet"), "{top:?}");
    let bitcoin = &drift.top_current_tokens[top.iter().position(|t| *t == "bitcoin").unwrap_or(0)];
    assert_eq!(bitcoin.ref_docs, 0);
    assert!((150..210).contains(&bitcoin.cur_docs), "{bitcoin:?}");
    assert!(drift.top_current_tokens.len() <= 20 && drift.top_reference_tokens.len() <= 20);
    assert!(drift.top_reference_tokens.iter().all(|t| t.log_odds < 0.0));
}

#[test]
fn few_texts_are_insufficient_and_unfitted() {
    let mut rng = Rng(13);
    let reference = TextSample::from_texts(&messages(&mut rng, 99, &[]), 20_000);
    let current = TextSample::from_texts(&messages(&mut rng, 500, &["bitcoin"]), 20_000);
    let drift = text_drift(&reference, &current, &text_params()).expect("valid params");
    assert_eq!((drift.auc, drift.verdict), (None, Verdict::InsufficientData));
}

#[test]
fn texts_without_words_cannot_be_told_apart() {
    let punctuation = TextSample::from_texts(&vec!["?!"; 150], 20_000);
    let empty = TextSample::from_texts(&vec![""; 150], 20_000);
    let drift = text_drift(&punctuation, &empty, &text_params()).expect("valid params");
    assert_eq!((drift.auc, drift.verdict), (Some(0.5), Verdict::NoDrift));
    assert!(drift.top_current_tokens.is_empty() && drift.top_reference_tokens.is_empty());
}

/// Embeddings around a common non-zero direction (as real ones are), unit noise per component;
/// `shift` is added to the first four components.
fn embeddings(rng: &mut Rng, n: usize, shift: f64) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| {
            (0..32)
                .map(|j| {
                    let offset = if j < 4 { shift } else { 0.0 };
                    (2.0 + offset + rng.normal()) as f32
                })
                .collect()
        })
        .collect()
}

#[test]
fn embeddings_from_one_law_are_not_drift() {
    let mut rng = Rng(21);
    let reference = EmbeddingSample::from_vectors(&embeddings(&mut rng, 800, 0.0), 5_000).expect("one dimension");
    let current = EmbeddingSample::from_vectors(&embeddings(&mut rng, 800, 0.0), 5_000).expect("one dimension");
    let drift = embedding_drift(&reference, &current, &ClassifierParams::default()).expect("valid params");
    let auc = drift.auc.expect("enough rows");
    assert!((auc - 0.5).abs() < 0.06, "AUC {auc}");
    assert_eq!(drift.verdict, Verdict::NoDrift);
    // Centroids of 800 draws differ by about 1/√800 per component against a norm of 2·√32.
    let distance = drift.centroid_distance.expect("non-zero centroids");
    assert!(distance < 1e-3, "{distance}");
}

#[test]
fn a_shifted_mean_is_drift() {
    let mut rng = Rng(22);
    let reference = EmbeddingSample::from_vectors(&embeddings(&mut rng, 800, 0.0), 5_000).expect("one dimension");
    let current = EmbeddingSample::from_vectors(&embeddings(&mut rng, 800, 0.5), 5_000).expect("one dimension");
    let drift = embedding_drift(&reference, &current, &ClassifierParams::default()).expect("valid params");
    // A 0.5σ shift in 4 of 32 unit-variance components moves the mean by ‖δ‖ = 1: the best
    // linear rule reaches AUC = Φ(‖δ‖/√2) ≈ 0.76; a rule learnt from 1 100 rows comes close.
    let auc = drift.auc.expect("enough rows");
    assert!(auc > 0.68, "AUC {auc}");
    assert_eq!(drift.verdict, Verdict::Drift);
    // The population centroids are (2, …, 2) and (2.5 ×4, 2 ×28); sampling noise adds about
    // 3e-4 to their distance of 2.6e-3.
    let (a, b) = (
        vec![2.0_f64; 32],
        (0..32).map(|j| if j < 4 { 2.5 } else { 2.0 }).collect::<Vec<f64>>(),
    );
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let expected_distance = 1.0 - dot / (norm(&a) * norm(&b));
    let distance = drift.centroid_distance.expect("non-zero centroids");
    assert!(
        (distance - expected_distance).abs() < 0.4 * expected_distance,
        "{distance} vs {expected_distance}"
    );
}

#[test]
fn embeddings_of_different_dimensions_are_refused() {
    let narrow = EmbeddingSample::from_vectors(&[vec![1.0, 2.0]], 10).expect("one dimension");
    let wide = EmbeddingSample::from_vectors(&[vec![1.0, 2.0, 3.0]], 10).expect("one dimension");
    assert!(embedding_drift(&narrow, &wide, &ClassifierParams::default()).is_err());
}
