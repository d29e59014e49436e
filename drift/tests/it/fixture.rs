//! `drift/reference/expected.json`, written by `drift/reference/make_reference.py`.

use std::sync::OnceLock;

use convolens_drift::detectors::{AdwinParams, Direction, PageHinkleyParams};
use serde::Deserialize;

/// Relative tolerance against numpy/scipy: summation order and libm may differ in the last
/// bits, and serde_json may parse a 17-digit decimal to the neighbouring double.
pub const RELATIVE_TOLERANCE: f64 = 1e-12;

#[derive(Debug, Deserialize)]
pub struct Expected {
    pub quantile_edges: Vec<EdgeCase>,
    pub shares: Vec<ShareCase>,
    pub kolmogorov_sf: Vec<KolmogorovCase>,
    pub numeric_features: Vec<NumericCase>,
    pub categorical_features: Vec<CategoricalCase>,
    pub page_hinkley: Vec<DetectorCase<PageHinkleyParams>>,
    pub adwin: Vec<DetectorCase<AdwinParams>>,
    pub roc_auc: Vec<AucCase>,
    pub erfc: Vec<ErfcCase>,
    pub oos: Vec<OosCase>,
}

/// sklearn's `roc_auc_score`.
#[derive(Debug, Deserialize)]
pub struct AucCase {
    pub name: String,
    pub scores: Vec<f64>,
    pub labels: Vec<bool>,
    pub auc: f64,
}

/// `scipy.special.erfc`.
#[derive(Debug, Deserialize)]
pub struct ErfcCase {
    pub x: f64,
    pub erfc: f64,
}

/// The pooled two-proportion z-test with scipy's normal tail.
#[derive(Debug, Deserialize)]
pub struct OosCase {
    pub ref_oos: u64,
    pub ref_total: u64,
    pub cur_oos: u64,
    pub cur_total: u64,
    pub z: f64,
    pub p_value: f64,
    pub flagged: bool,
}

#[derive(Debug, Deserialize)]
pub struct EdgeCase {
    pub name: String,
    pub values: Vec<f64>,
    pub bins: usize,
    /// The edges' IEEE-754 bits: exact, whatever the JSON float parser rounds.
    pub edges_bits: Vec<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ShareCase {
    pub name: String,
    pub r: Vec<f64>,
    pub c: Vec<f64>,
    pub psi: f64,
    pub js: f64,
}

#[derive(Debug, Deserialize)]
pub struct KolmogorovCase {
    pub lambda: f64,
    pub sf: f64,
}

#[derive(Debug, Deserialize)]
pub struct NumericCase {
    pub name: String,
    pub bins: usize,
    pub reference: Vec<Option<f64>>,
    pub current: Vec<Option<f64>>,
    pub approx_cap: Option<usize>,
    pub expected: NumericExpected,
}

#[derive(Debug, Deserialize)]
pub struct NumericExpected {
    pub n_ref: u64,
    pub n_cur: u64,
    pub null_share_ref: Option<f64>,
    pub null_share_cur: Option<f64>,
    pub edges_bits: Vec<u64>,
    pub counts_ref: Option<Vec<u64>>,
    pub counts_cur: Option<Vec<u64>>,
    pub psi: Option<f64>,
    pub js: Option<f64>,
    pub ks: Option<f64>,
    pub ks_p: Option<f64>,
    pub wasserstein: Option<f64>,
    pub std_ref: Option<f64>,
    pub mean_ref: Option<f64>,
    pub median_ref: Option<f64>,
    pub min_ref: Option<f64>,
    pub max_ref: Option<f64>,
    pub wasserstein_norm: Option<f64>,
    pub verdict: String,
}

#[derive(Debug, Deserialize)]
pub struct CategoricalCase {
    pub name: String,
    pub reference: Vec<Option<String>>,
    pub current: Vec<Option<String>>,
    pub expected: CategoricalExpected,
}

#[derive(Debug, Deserialize)]
pub struct CategoricalExpected {
    pub n_ref: u64,
    pub n_cur: u64,
    pub null_share_ref: Option<f64>,
    pub null_share_cur: Option<f64>,
    /// Category names in bin order, `None` for the null bin.
    pub bins: Vec<Option<String>>,
    pub unseen: Vec<String>,
    pub counts_ref: Option<Vec<u64>>,
    pub counts_cur: Option<Vec<u64>>,
    pub psi: Option<f64>,
    pub js: Option<f64>,
    pub verdict: String,
}

#[derive(Debug, Deserialize)]
pub struct DetectorCase<P> {
    pub name: String,
    pub params: P,
    pub series: Vec<f64>,
    pub change_at: Option<u64>,
    pub alarms: Vec<ExpectedAlarm>,
    /// Page-Hinkley only: where river's implementation fired, when river was installed.
    pub river_alarms_at: Option<Vec<u64>>,
}

#[derive(Debug, Deserialize)]
pub struct ExpectedAlarm {
    pub at: u64,
    pub change_at: Option<u64>,
    pub direction: Direction,
    pub statistic: f64,
    /// ADWIN only: ε_cut of the cut (Page-Hinkley's threshold is its λ).
    pub threshold: Option<f64>,
}

pub fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

pub fn expected() -> &'static Expected {
    static EXPECTED: OnceLock<Expected> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/reference/expected.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
    })
}

/// Collects mismatches instead of stopping at the first, so one run shows every case off.
#[derive(Default)]
pub struct Mismatches(Vec<String>);

impl Mismatches {
    /// `actual` within [`RELATIVE_TOLERANCE`] of `expected` (exactly, when expected is 0).
    pub fn close(&mut self, what: &str, actual: Option<f64>, expected: Option<f64>) {
        self.within(what, actual, expected, RELATIVE_TOLERANCE, 0.0);
    }

    /// |actual − expected| ≤ relative·|expected| + absolute.
    pub fn within(&mut self, what: &str, actual: Option<f64>, expected: Option<f64>, relative: f64, absolute: f64) {
        let ok = match (actual, expected) {
            (None, None) => true,
            (Some(a), Some(e)) => (a - e).abs() <= relative * e.abs() + absolute,
            _ => false,
        };
        if !ok {
            self.0.push(format!("{what}: got {actual:?}, expected {expected:?}"));
        }
    }

    pub fn equal<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, actual: T, expected: T) {
        if actual != expected {
            self.0.push(format!("{what}: got {actual:?}, expected {expected:?}"));
        }
    }

    pub fn check(&mut self, what: &str, condition: bool) {
        if !condition {
            self.0.push(what.to_owned());
        }
    }

    pub fn assert_none(self) {
        assert!(self.0.is_empty(), "{} mismatches:\n{}", self.0.len(), self.0.join("\n"));
    }
}
