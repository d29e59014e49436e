//! Text drift (METRICS §5): a domain classifier on message texts, and the words that most
//! separate current from reference.
//!
//! Features: lowercase words (runs of Unicode alphanumerics), unigrams and bigrams, each
//! hashed with xxh3 into 2^`hash_bits` columns (default 2^12 = 4 096: the classifier's dense
//! matrix bounds the width, and collisions at that size blur a few words without hiding a
//! shift of vocabulary), present/absent per text, each row L2-normalised so long and short
//! messages weigh alike. The classifier is [`crate::classifier`]'s.
//!
//! The separating words are real strings: document frequencies of every unigram and bigram on
//! both sides, ranked by the smoothed log-odds ratio
//! ln((c + ½)/(n_C − c + ½)) − ln((r + ½)/(n_R − r + ½)), c and r the texts containing the term,
//! among terms in at least `min_token_docs` texts of the side they lean to (so that a word seen
//! twice does not outrank one that moved by thousands).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::classifier::{ClassifierParams, Rows, SparseRow, domain_auc, every_kth};
use crate::error::DriftError;
use crate::policy::Verdict;

/// Texts a reference profile keeps (every k-th of the window).
pub const DEFAULT_TEXT_SAMPLE_CAP: usize = 20_000;

/// Seed of the term hash: fixed, so a column means the same term in every run.
const TERM_HASH_SEED: u64 = 0x636f_6e76_6f6c_656e;

/// Texts of one side: every k-th of `total`, at most a cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSample {
    /// Texts the sample was drawn from.
    pub total: u64,
    pub texts: Vec<String>,
}

impl TextSample {
    /// Every k-th text, k = ⌈n / cap⌉, so the sample spans the whole window in its order.
    pub fn from_texts<S: AsRef<str>>(texts: &[S], cap: usize) -> Self {
        Self {
            total: texts.len() as u64,
            texts: every_kth(texts.len(), cap)
                .map(|i| texts[i].as_ref().to_owned())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextDriftParams {
    pub classifier: ClassifierParams,
    /// Hashed columns = 2^hash_bits, from 4 to 20.
    pub hash_bits: u32,
    /// Terms listed in each direction.
    pub top_tokens: usize,
    /// Texts a term needs on the side it leans to before it is listed.
    pub min_token_docs: u64,
}

impl Default for TextDriftParams {
    fn default() -> Self {
        Self {
            classifier: ClassifierParams::default(),
            hash_bits: 12,
            top_tokens: 20,
            min_token_docs: 5,
        }
    }
}

/// A term and how strongly it leans to one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeparatingToken {
    /// A word or two words joined by a space.
    pub token: String,
    /// Texts containing it on each side.
    pub ref_docs: u64,
    pub cur_docs: u64,
    /// Smoothed log-odds ratio, current over reference (positive: more frequent in current).
    pub log_odds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextDrift {
    /// Texts compared per side (the samples' rows, not the windows' totals).
    pub n_ref: u64,
    pub n_cur: u64,
    /// Held-out texts the AUC was computed on (both sides).
    pub n_heldout: u64,
    /// Held-out ROC AUC of the domain classifier; `None` when `insufficient_data`.
    pub auc: Option<f64>,
    pub threshold: f64,
    pub verdict: Verdict,
    pub top_current_tokens: Vec<SeparatingToken>,
    pub top_reference_tokens: Vec<SeparatingToken>,
}

/// Lowercase runs of Unicode alphanumerics: "Où est ma CB?" → ["où", "est", "ma", "cb"].
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The distinct unigrams and bigrams ("w1 w2") of a text, sorted.
pub fn terms(text: &str) -> Vec<String> {
    let words = words(text);
    let bigrams = words.windows(2).map(|pair| format!("{} {}", pair[0], pair[1]));
    let mut terms: Vec<String> = bigrams.collect();
    terms.extend(words);
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// Compares two text samples: classifier AUC, verdict, and the most separating terms.
pub fn text_drift(
    reference: &TextSample,
    current: &TextSample,
    params: &TextDriftParams,
) -> Result<TextDrift, DriftError> {
    if !(4..=20).contains(&params.hash_bits) {
        return Err(DriftError::InvalidParameter {
            name: "hash_bits",
            value: f64::from(params.hash_bits),
            expected: "from 4 to 20",
        });
    }
    let reference_terms: Vec<Vec<String>> = reference.texts.iter().map(|t| terms(t)).collect();
    let current_terms: Vec<Vec<String>> = current.texts.iter().map(|t| terms(t)).collect();
    let mask = (1_u64 << params.hash_bits) - 1;
    let reference_rows: Vec<SparseRow> = reference_terms.iter().map(|t| hashed_row(t, mask)).collect();
    let current_rows: Vec<SparseRow> = current_terms.iter().map(|t| hashed_row(t, mask)).collect();
    let score = domain_auc(
        Rows::Sparse(&reference_rows),
        Rows::Sparse(&current_rows),
        &params.classifier,
    )?;
    let (n_ref, n_cur) = (reference_rows.len() as u64, current_rows.len() as u64);
    let (top_current_tokens, top_reference_tokens) = separating_terms(&reference_terms, &current_terms, params);
    Ok(TextDrift {
        n_ref,
        n_cur,
        n_heldout: score.heldout,
        auc: score.auc,
        threshold: params.classifier.threshold,
        verdict: params.classifier.verdict(n_ref, n_cur, score.auc),
        top_current_tokens,
        top_reference_tokens,
    })
}

/// Presence of each term's hashed column, L2-normalised (1/√k for k distinct columns).
fn hashed_row(terms: &[String], mask: u64) -> SparseRow {
    let mut columns: Vec<u32> = terms
        .iter()
        // mask < 2^20, so the column fits in u32.
        .map(|term| (xxh3_64_with_seed(term.as_bytes(), TERM_HASH_SEED) & mask) as u32)
        .collect();
    columns.sort_unstable();
    columns.dedup();
    let value = 1.0 / (columns.len() as f32).sqrt();
    columns.into_iter().map(|column| (column, value)).collect()
}

/// The top terms leaning to current and to reference, strongest first.
fn separating_terms(
    reference: &[Vec<String>],
    current: &[Vec<String>],
    params: &TextDriftParams,
) -> (Vec<SeparatingToken>, Vec<SeparatingToken>) {
    let mut docs: HashMap<&str, [u64; 2]> = HashMap::new();
    for (side, texts) in [reference, current].into_iter().enumerate() {
        for term in texts.iter().flatten() {
            docs.entry(term.as_str()).or_default()[side] += 1;
        }
    }
    let (n_ref, n_cur) = (reference.len() as f64, current.len() as f64);
    let scored: Vec<SeparatingToken> = docs
        .into_iter()
        .map(|(token, [ref_docs, cur_docs])| {
            let odds = |k: u64, n: f64| (k as f64 + 0.5) / (n - k as f64 + 0.5);
            SeparatingToken {
                token: token.to_owned(),
                ref_docs,
                cur_docs,
                log_odds: odds(cur_docs, n_cur).ln() - odds(ref_docs, n_ref).ln(),
            }
        })
        .collect();
    let top = |leans: &dyn Fn(&SeparatingToken) -> bool, strength: fn(&SeparatingToken) -> (f64, u64)| {
        let mut chosen: Vec<SeparatingToken> = scored.iter().filter(|t| leans(t)).cloned().collect();
        // Strongest first; ties by the supporting count, then alphabetically, for a stable list.
        chosen.sort_by(|a, b| {
            let (sa, ca) = strength(a);
            let (sb, cb) = strength(b);
            sb.total_cmp(&sa).then(cb.cmp(&ca)).then_with(|| a.token.cmp(&b.token))
        });
        chosen.truncate(params.top_tokens);
        chosen
    };
    let min = params.min_token_docs;
    let to_current = top(&|t| t.log_odds > 0.0 && t.cur_docs >= min, |t| (t.log_odds, t.cur_docs));
    let to_reference = top(&|t| t.log_odds < 0.0 && t.ref_docs >= min, |t| {
        (-t.log_odds, t.ref_docs)
    });
    (to_current, to_reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_alphanumeric_runs() {
        assert_eq!(
            words("Où est ma CB?? n°42-B"),
            ["où", "est", "ma", "cb", "n", "42", "b"]
        );
        assert_eq!(words("  ...  "), Vec::<String>::new());
        assert_eq!(words("ÄRGER"), ["ärger"]);
    }

    #[test]
    fn terms_are_distinct_unigrams_and_bigrams() {
        assert_eq!(
            terms("to be or not to be"),
            ["be", "be or", "not", "not to", "or", "or not", "to", "to be"]
        );
    }

    #[test]
    fn rows_are_l2_normalised_presence() {
        let row = hashed_row(&terms("a b a"), (1 << 12) - 1);
        // Terms a, b, "a b", "b a": four columns unless two collide.
        let norm: f32 = row.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-6);
        assert!(row.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(hashed_row(&[], 15).is_empty());
    }

    #[test]
    fn samples_are_every_kth_text() {
        let texts: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let sample = TextSample::from_texts(&texts, 4);
        assert_eq!(
            (sample.total, sample.texts),
            (10, vec!["0".into(), "3".into(), "6".into(), "9".into()])
        );
    }

    #[test]
    fn log_odds_follow_the_formula() {
        // "x" in 30 of 100 current texts and 10 of 200 reference texts.
        let side = |n: usize, with: usize| -> Vec<Vec<String>> {
            (0..n)
                .map(|i| {
                    if i < with {
                        vec!["x".to_owned()]
                    } else {
                        vec!["y".to_owned()]
                    }
                })
                .collect()
        };
        let (to_current, _) = separating_terms(&side(200, 10), &side(100, 30), &TextDriftParams::default());
        let x = to_current.iter().find(|t| t.token == "x").expect("x leans to current");
        let expected = (30.5_f64 / 70.5).ln() - (10.5_f64 / 190.5).ln();
        assert!((x.log_odds - expected).abs() < 1e-12, "{}", x.log_odds);
        assert_eq!((x.ref_docs, x.cur_docs), (10, 30));
    }
}
