//! Fixture loading and tolerant comparisons whose failure message says what and where.

use std::path::PathBuf;

use serde::de::DeserializeOwned;

pub fn load<T: DeserializeOwned>(file: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// |got − want| ≤ tol · max(1, |want|): absolute near zero, relative for large values.
#[track_caller]
pub fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    let scale = want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol * scale || (got.is_nan() && want.is_nan()),
        "{what}: got {got:?}, want {want:?} (diff {:e}, tol {tol:e})",
        (got - want).abs()
    );
}

/// Relative comparison for quantities that span many orders of magnitude (p-values).
#[track_caller]
pub fn assert_relative(got: f64, want: f64, tol: f64, what: &str) {
    let ok = if want == 0.0 {
        got == 0.0
    } else {
        ((got - want) / want).abs() <= tol
    };
    assert!(
        ok,
        "{what}: got {got:e}, want {want:e} (rel diff {:e}, tol {tol:e})",
        ((got - want) / want).abs()
    );
}

#[track_caller]
pub fn assert_close_opt(got: Option<f64>, want: Option<f64>, tol: f64, what: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert_close(g, w, tol, what),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

/// SplitMix64: a tiny seeded generator so property tests need no `rand` dependency.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}
