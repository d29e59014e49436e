//! Every number against `reference/expected.json`, written by `reference/make_reference.py`
//! from numpy, scipy and scikit-learn.

use std::sync::LazyLock;

use convolens_evaluators::calibration::{self, BIN_SQL_EXPR, CalibrationReport, Pair};
use convolens_evaluators::drivers::{correlate, ols_standardized};
use convolens_evaluators::recalibrate::{Isotonic, Platt, threshold_for_accuracy};
use convolens_evaluators::special::{regularized_incomplete_beta, student_t_two_sided_p};
use serde::Deserialize;

use crate::support::{assert_close, assert_close_opt, assert_relative, load};

/// Sums over the same numbers in another order (numpy sums pairwise): well below this.
const CALIBRATION_TOL: f64 = 1e-12;
const STATS_TOL: f64 = 1e-9;
/// scikit-learn's lbfgs is run with tol = 1e-12 and cross-checked against Newton there.
const PLATT_TOL: f64 = 1e-6;
const SPECIAL_TOL: f64 = 1e-12;

#[derive(Deserialize)]
struct Expected {
    bin_sql_template: String,
    calibration: Vec<CalibrationCase>,
    correlation: Vec<CorrelationCase>,
    student_t: Vec<StudentTCase>,
    betainc: Vec<BetaCase>,
    ols: Vec<OlsCase>,
    platt: Vec<PlattCase>,
    isotonic: Vec<IsotonicCase>,
    threshold: Vec<ThresholdCase>,
}

#[derive(Deserialize)]
struct CalibrationCase {
    name: String,
    confidence: Vec<f64>,
    correct: Vec<bool>,
    expected: Vec<ReportForBins>,
}

#[derive(Deserialize)]
struct ReportForBins {
    bins: usize,
    report: CalibrationReport,
}

#[derive(Deserialize)]
struct CorrelationCase {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    expected: ExpectedCorrelation,
}

#[derive(Deserialize)]
pub struct ExpectedCorrelation {
    pub n: usize,
    pub r: Option<f64>,
    pub p: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub rho: Option<f64>,
    pub p_rho: Option<f64>,
}

#[derive(Deserialize)]
struct StudentTCase {
    t: f64,
    df: f64,
    two_sided_p: f64,
}

#[derive(Deserialize)]
struct BetaCase {
    a: f64,
    b: f64,
    x: f64,
    value: f64,
}

#[derive(Deserialize)]
struct OlsCase {
    name: String,
    rows: Vec<Vec<f64>>,
    y: Vec<f64>,
    expected: ExpectedOls,
}

#[derive(Deserialize)]
struct ExpectedOls {
    n: usize,
    coefficients: Vec<Option<f64>>,
    r2: f64,
}

#[derive(Deserialize)]
struct PlattCase {
    name: String,
    confidence: Vec<f64>,
    correct: Vec<bool>,
    a: f64,
    b: f64,
    probe: Vec<f64>,
    calibrated: Vec<f64>,
}

#[derive(Deserialize)]
struct IsotonicCase {
    name: String,
    confidence: Vec<f64>,
    correct: Vec<bool>,
    x: Vec<f64>,
    y: Vec<f64>,
    probe: Vec<f64>,
    calibrated: Vec<f64>,
}

#[derive(Deserialize)]
struct ThresholdCase {
    name: String,
    calibrated: Vec<f64>,
    correct: Vec<bool>,
    target: f64,
    expected: Option<f64>,
}

static EXPECTED: LazyLock<Expected> = LazyLock::new(|| load("expected.json"));

fn pairs(confidence: &[f64], correct: &[bool]) -> Vec<Pair> {
    assert_eq!(confidence.len(), correct.len(), "fixture shape");
    confidence.iter().zip(correct).map(|(&c, &y)| Pair::new(c, y)).collect()
}

/// Compares two calibration reports field by field; shared with the golden test.
#[track_caller]
pub fn assert_report(got: &CalibrationReport, want: &CalibrationReport, tol: f64, what: &str) {
    assert_eq!(got.n, want.n, "{what}: n");
    assert_close_opt(got.accuracy, want.accuracy, tol, &format!("{what}: accuracy"));
    assert_close_opt(
        got.mean_confidence,
        want.mean_confidence,
        tol,
        &format!("{what}: mean_confidence"),
    );
    assert_close_opt(got.ece, want.ece, tol, &format!("{what}: ece"));
    assert_close_opt(got.mce, want.mce, tol, &format!("{what}: mce"));
    assert_close_opt(got.ace, want.ace, tol, &format!("{what}: ace"));
    assert_close_opt(got.brier, want.brier, tol, &format!("{what}: brier"));
    let layout = |r: &CalibrationReport| r.bins.iter().map(|b| (b.bin, b.count)).collect::<Vec<_>>();
    assert_eq!(layout(got), layout(want), "{what}: (bin, count)");
    for (g, w) in got.bins.iter().zip(&want.bins) {
        assert_close(
            g.mean_confidence,
            w.mean_confidence,
            tol,
            &format!("{what}: bin {} mean_confidence", w.bin),
        );
        assert_close(g.accuracy, w.accuracy, tol, &format!("{what}: bin {} accuracy", w.bin));
        assert_eq!((g.lower, g.upper), (w.lower, w.upper), "{what}: bin {} edges", w.bin);
    }
}

#[test]
fn sql_template_is_the_one_checked_in_sqlite() {
    assert_eq!(
        BIN_SQL_EXPR, EXPECTED.bin_sql_template,
        "re-run make_reference.py after changing BIN_SQL_EXPR"
    );
}

#[test]
fn calibration_reports_match_numpy_and_sklearn() {
    assert!(EXPECTED.calibration.len() >= 10);
    for case in &EXPECTED.calibration {
        let pairs = pairs(&case.confidence, &case.correct);
        for expected in &case.expected {
            let what = format!("{} (B = {})", case.name, expected.bins);
            let got = calibration::evaluate(&pairs, expected.bins).unwrap();
            assert_report(&got, &expected.report, CALIBRATION_TOL, &what);
        }
    }
}

/// Compares a correlation; when |r| is within 1e-9 of 1 the p-value hangs on the last bits
/// of 1 − r², so there both sides are only required to be vanishingly small.
#[track_caller]
pub fn assert_correlation(got: &convolens_evaluators::Correlation, want: &ExpectedCorrelation, what: &str) {
    assert_eq!(got.n, want.n, "{what}: n");
    assert_close_opt(got.r, want.r, STATS_TOL, &format!("{what}: r"));
    assert_close_opt(got.rho, want.rho, STATS_TOL, &format!("{what}: rho"));
    assert_close_opt(got.ci_low, want.ci_low, STATS_TOL, &format!("{what}: ci_low"));
    assert_close_opt(got.ci_high, want.ci_high, STATS_TOL, &format!("{what}: ci_high"));
    for (name, coefficient, got_p, want_p) in [("p", want.r, got.p, want.p), ("p_rho", want.rho, got.p_rho, want.p_rho)]
    {
        match (coefficient, got_p, want_p) {
            (Some(c), Some(g), Some(w)) if 1.0 - c.abs() < 1e-9 => {
                assert!(g < 1e-100 && w < 1e-100, "{what}: {name} {g:e} vs {w:e} for |r| ≈ 1")
            }
            (_, Some(g), Some(w)) => assert_relative(g, w, STATS_TOL, &format!("{what}: {name}")),
            (_, None, None) => {}
            _ => panic!("{what}: {name} got {got_p:?}, want {want_p:?}"),
        }
    }
}

#[test]
fn correlations_match_scipy() {
    assert!(EXPECTED.correlation.len() >= 10);
    for case in &EXPECTED.correlation {
        let got = correlate(&case.x, &case.y).unwrap();
        assert_correlation(&got, &case.expected, &case.name);
    }
}

#[test]
fn student_t_tail_matches_scipy() {
    assert!(EXPECTED.student_t.len() > 100);
    for case in &EXPECTED.student_t {
        let got = student_t_two_sided_p(case.t, case.df);
        assert_relative(
            got,
            case.two_sided_p,
            SPECIAL_TOL,
            &format!("t = {}, df = {}", case.t, case.df),
        );
    }
}

#[test]
fn incomplete_beta_matches_scipy() {
    assert!(EXPECTED.betainc.len() > 100);
    for case in &EXPECTED.betainc {
        let got = regularized_incomplete_beta(case.a, case.b, case.x, 1.0 - case.x);
        assert_relative(
            got,
            case.value,
            SPECIAL_TOL,
            &format!("I_{}({}, {})", case.x, case.a, case.b),
        );
    }
}

#[test]
fn standardised_ols_matches_numpy_lstsq() {
    for case in &EXPECTED.ols {
        let got = ols_standardized(&case.rows, &case.y).unwrap().expect("a fit");
        assert_eq!(got.n, case.expected.n, "{}: n", case.name);
        assert_eq!(
            got.coefficients.len(),
            case.expected.coefficients.len(),
            "{}: width",
            case.name
        );
        for (j, (g, w)) in got.coefficients.iter().zip(&case.expected.coefficients).enumerate() {
            assert_close_opt(*g, *w, STATS_TOL, &format!("{}: beta {j}", case.name));
        }
        assert_close(got.r2, case.expected.r2, STATS_TOL, &format!("{}: r2", case.name));
        let left_out = case.expected.coefficients.iter().filter(|c| c.is_none()).count();
        assert_eq!(got.notes.len(), left_out, "{}: a note per column left out", case.name);
    }
}

#[test]
fn platt_matches_sklearn_logistic_regression() {
    for case in &EXPECTED.platt {
        let fit = Platt::fit(&pairs(&case.confidence, &case.correct)).unwrap();
        assert_close(fit.a, case.a, PLATT_TOL, &format!("{}: a", case.name));
        assert_close(fit.b, case.b, PLATT_TOL, &format!("{}: b", case.name));
        for (c, want) in case.probe.iter().zip(&case.calibrated) {
            assert_close(fit.apply(*c), *want, PLATT_TOL, &format!("{}: apply({c})", case.name));
        }
    }
}

#[test]
fn isotonic_matches_sklearn_isotonic_regression() {
    for case in &EXPECTED.isotonic {
        let fit = Isotonic::fit(&pairs(&case.confidence, &case.correct)).unwrap();
        assert_eq!(fit.x(), case.x.as_slice(), "{}: breakpoint x", case.name);
        assert_eq!(fit.y().len(), case.y.len(), "{}: breakpoint count", case.name);
        for (i, (g, w)) in fit.y().iter().zip(&case.y).enumerate() {
            assert_close(*g, *w, CALIBRATION_TOL, &format!("{}: breakpoint y[{i}]", case.name));
        }
        for (c, want) in case.probe.iter().zip(&case.calibrated) {
            assert_close(
                fit.apply(*c),
                *want,
                CALIBRATION_TOL,
                &format!("{}: apply({c})", case.name),
            );
        }
    }
}

#[test]
fn threshold_matches_brute_force() {
    for case in &EXPECTED.threshold {
        assert_eq!(case.calibrated.len(), case.correct.len(), "fixture shape");
        let scored: Vec<(f64, bool)> = case
            .calibrated
            .iter()
            .copied()
            .zip(case.correct.iter().copied())
            .collect();
        assert_eq!(
            threshold_for_accuracy(&scored, case.target),
            case.expected,
            "{}",
            case.name
        );
    }
}
