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
//! - [`ReferenceProfile`] (built by [`ProfileBuilder`]): a reference window frozen into a
//!   versioned, serialisable artefact that later windows are compared against.
//! - [`text`], [`embedding`]: the domain classifier of METRICS §5 ([`classifier`]) on message
//!   texts and on embeddings, with the separating words and the centroid distance.
//! - [`intents`]: surging or new intents and the out-of-scope rate.
//! - [`detectors`], [`kpi`]: Page-Hinkley and ADWIN change detectors run over KPI series.
//! - [`DriftReport`]: everything above for one comparison, as the CLI prints it.
//!
//! No I/O: the lake readers and reports feed values in and print what comes out.

pub mod bins;
pub mod categorical;
pub mod classifier;
pub mod compare;
pub mod detectors;
mod distinct;
pub mod embedding;
pub mod error;
pub mod histogram;
pub mod intents;
pub mod kpi;
pub mod policy;
pub mod profile;
pub mod reference_profile;
pub mod report;
pub mod sample;
pub mod stats;
mod sum;
pub mod text;
pub mod window;

pub use categorical::CategoricalCounts;
pub use classifier::{ClassifierParams, roc_auc};
pub use compare::{
    FeatureDrift, KindStatistics, compare_categorical, compare_categorical_counts, compare_numeric,
    compare_numeric_profiles, frozen_histograms,
};
pub use embedding::{EmbeddingDrift, EmbeddingSample, embedding_drift};
pub use error::DriftError;
pub use histogram::NumericHistogram;
pub use intents::{IntentSurge, OosParams, OosShift, SurgeParams, intent_surges, oos_shift};
pub use kpi::{DetectorKind, SeriesAlarm, SeriesDetectors, series_alarms};
pub use policy::{DriftPolicy, FeatureKind, Method, Verdict};
pub use profile::NumericProfile;
pub use reference_profile::{FeatureProfile, PROFILE_FORMAT, ProfileBuilder, ReferenceProfile};
pub use report::DriftReport;
pub use sample::{EmpiricalSample, WeightedValue};
pub use text::{SeparatingToken, TextDrift, TextDriftParams, TextSample, text_drift};
pub use window::Window;
