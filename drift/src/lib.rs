//! convolens-drift: the pure statistics of METRICS §5, reference against current.
//!
//! - [`bins`]: numeric bin edges frozen from the reference's quantiles (numpy's linear rule).
//! - [`NumericHistogram`], [`CategoricalCounts`]: mergeable counts per bin, for streaming windows.
//! - [`EmpiricalSample`], [`NumericProfile`]: one side of a numeric feature as sorted distinct
//!   values with counts, exact up to a cap of distinct values and a deterministic compaction
//!   beyond it (KS and Wasserstein then approximate, see [`sample`]).
//! - [`stats`]: PSI, Jensen–Shannon distance, Kolmogorov–Smirnov with Kolmogorov's asymptotic
//!   p-value, 1-Wasserstein, each checked against numpy/scipy in `reference/`.
//! - [`compare_numeric`], [`compare_categorical`] (and their `_profiles`/`_counts` forms): the
//!   [`FeatureDrift`] record `convolens drift` prints, with its [`Verdict`] under a
//!   [`DriftPolicy`].
//! - [`detectors`]: Page-Hinkley and ADWIN change detectors for per-window KPI series.
//!
//! No I/O: the lake readers and reports feed values in and print what comes out.

pub mod bins;
pub mod categorical;
pub mod compare;
pub mod detectors;
pub mod error;
pub mod histogram;
pub mod policy;
pub mod profile;
pub mod sample;
pub mod stats;
mod sum;

pub use categorical::CategoricalCounts;
pub use compare::{
    FeatureDrift, KindStatistics, compare_categorical, compare_categorical_counts, compare_numeric,
    compare_numeric_profiles, frozen_histograms,
};
pub use error::DriftError;
pub use histogram::NumericHistogram;
pub use policy::{DriftPolicy, FeatureKind, Method, Verdict};
pub use profile::NumericProfile;
pub use sample::{EmpiricalSample, WeightedValue};
