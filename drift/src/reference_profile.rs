//! The reference profile artefact: everything drift needs from a reference window, frozen
//! once so that later comparisons neither re-read that window nor depend on how much of it is
//! still in the lake.
//!
//! Per numeric feature it keeps the METRICS §5 bin edges with the reference's exact counts in
//! them (so PSI and JS never depend on the sample's compaction), the reference as an
//! [`EmpiricalSample`] for KS and Wasserstein (exact up to its cap of distinct values, default
//! [`DEFAULT_PROFILE_SAMPLE_CAP`]), the null count and summary statistics. Per categorical
//! feature, the counts including nulls. Optionally a capped sample of message texts and of
//! embeddings for the domain classifiers.
//!
//! While a feature's sample is exact, comparing against the profile gives exactly the numbers
//! of comparing against the raw reference: edges, counts and the standard deviation are computed
//! from the exact sample by the same functions `compare_numeric` uses.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bins::DEFAULT_BINS;
use crate::categorical::CategoricalCounts;
use crate::compare::{FeatureDrift, compare_categorical_counts, numeric_drift};
use crate::embedding::{DEFAULT_EMBEDDING_SAMPLE_CAP, EmbeddingSample};
use crate::error::DriftError;
use crate::histogram::NumericHistogram;
use crate::policy::{DriftPolicy, FeatureKind};
use crate::profile::NumericProfile;
use crate::sample::EmpiricalSample;
use crate::text::{DEFAULT_TEXT_SAMPLE_CAP, TextSample};
use crate::window::Window;

/// The `format` of the profiles this build writes and reads. A reader of another version
/// refuses the file instead of guessing at its fields.
pub const PROFILE_FORMAT: &str = "convolens.drift-profile/1";

/// Distinct values a stored numeric sample keeps exactly. Smaller than the in-memory default
/// (200 000) because the profile is a file: 50 000 `[value, weight]` pairs are about 1.5 MB of
/// JSON per feature, and beyond the cap KS moves by at most about 4/cap = 8e-5 (see `sample`).
pub const DEFAULT_PROFILE_SAMPLE_CAP: usize = 50_000;

/// The format tag: serialises as [`PROFILE_FORMAT`] and deserialises from nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileFormat;

impl Serialize for ProfileFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(PROFILE_FORMAT)
    }
}

impl<'de> Deserialize<'de> for ProfileFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = String::deserialize(deserializer)?;
        if found == PROFILE_FORMAT {
            Ok(ProfileFormat)
        } else {
            Err(serde::de::Error::custom(format!(
                "profile format `{found}` is not supported; this build reads `{PROFILE_FORMAT}`"
            )))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceProfile {
    pub format: ProfileFormat,
    /// The reference window, `FROM..TO`.
    pub window: Window,
    /// When the profile was built, as the caller wrote it (this crate has no clock).
    pub created_at: String,
    pub features: Vec<FeatureProfile>,
    #[serde(default)]
    pub texts: Option<TextSample>,
    #[serde(default)]
    pub embeddings: Option<EmbeddingSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureProfile {
    Numeric(NumericFeatureProfile),
    Categorical(CategoricalFeatureProfile),
}

impl FeatureProfile {
    pub fn name(&self) -> &str {
        match self {
            FeatureProfile::Numeric(feature) => &feature.name,
            FeatureProfile::Categorical(feature) => &feature.name,
        }
    }
}

/// One numeric feature of the reference. Deserialisation checks that the histogram and the
/// sample count the same values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NumericFields")]
pub struct NumericFeatureProfile {
    pub name: String,
    /// B the edges were frozen for (fewer edges than B − 1 when quantiles tied and merged).
    pub bins: usize,
    /// The frozen edges, the reference's exact counts in their bins, and its null count.
    pub histogram: NumericHistogram,
    pub sample: EmpiricalSample,
    /// `None` when the reference had no non-null value.
    pub summary: Option<NumericSummary>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumericFields {
    name: String,
    bins: usize,
    histogram: NumericHistogram,
    sample: EmpiricalSample,
    summary: Option<NumericSummary>,
}

impl TryFrom<NumericFields> for NumericFeatureProfile {
    type Error = DriftError;

    fn try_from(fields: NumericFields) -> Result<Self, Self::Error> {
        let (binned, sampled) = (fields.histogram.non_null(), fields.sample.len());
        let summarised = fields.summary.as_ref().map_or(0, |summary| summary.n);
        if binned != sampled || summarised != sampled {
            return Err(DriftError::Profile {
                reason: format!(
                    "feature `{}`: histogram counts {binned} values, sample {sampled}, summary {summarised}",
                    fields.name
                ),
            });
        }
        Ok(Self {
            name: fields.name,
            bins: fields.bins,
            histogram: fields.histogram,
            sample: fields.sample,
            summary: fields.summary,
        })
    }
}

/// Summary of the non-null reference values, computed before any compaction (exact).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericSummary {
    pub n: u64,
    pub mean: f64,
    /// Population standard deviation (ddof = 0): the `wasserstein_norm` denominator.
    pub std_pop: f64,
    pub min: f64,
    /// numpy's median (linear quantile at ½).
    pub median: f64,
    pub max: f64,
}

impl NumericSummary {
    fn of(sample: &EmpiricalSample) -> Option<Self> {
        Some(Self {
            n: sample.len(),
            mean: sample.mean()?,
            std_pop: sample.std_pop()?,
            min: sample.min()?,
            median: sample.quantile(0.5)?,
            max: sample.max()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoricalFeatureProfile {
    pub name: String,
    pub counts: CategoricalCounts,
}

impl ReferenceProfile {
    pub fn feature(&self, name: &str) -> Option<&FeatureProfile> {
        self.features.iter().find(|feature| feature.name() == name)
    }

    /// Compares current values of numeric feature `name` against the profile.
    pub fn compare_numeric(
        &self,
        name: &str,
        current: &[Option<f64>],
        policy: &DriftPolicy,
    ) -> Result<FeatureDrift, DriftError> {
        self.compare_numeric_profile(name, &NumericProfile::from_values(current), policy)
    }

    /// As [`Self::compare_numeric`], for a current window accumulated as a profile.
    pub fn compare_numeric_profile(
        &self,
        name: &str,
        current: &NumericProfile,
        policy: &DriftPolicy,
    ) -> Result<FeatureDrift, DriftError> {
        let reference = match self.feature(name) {
            Some(FeatureProfile::Numeric(reference)) => reference,
            other => return Err(missing(name, FeatureKind::Numeric, other)),
        };
        // The edges are frozen: a policy asking for other bins needs a new profile, and silently
        // using the stored ones would report numbers the configuration did not ask for.
        if policy.bins != reference.bins {
            return Err(DriftError::Profile {
                reason: format!(
                    "feature `{name}` was profiled with {} bins but the policy asks for {}; rebuild the profile",
                    reference.bins, policy.bins
                ),
            });
        }
        let std = reference.summary.map(|summary| summary.std_pop);
        numeric_drift(name, &reference.histogram, &reference.sample, std, current, policy)
    }

    /// Compares current values of categorical feature `name` against the profile.
    pub fn compare_categorical<S: AsRef<str>>(
        &self,
        name: &str,
        current: &[Option<S>],
        policy: &DriftPolicy,
    ) -> Result<FeatureDrift, DriftError> {
        self.compare_categorical_counts(name, &CategoricalCounts::from_values(current), policy)
    }

    pub fn compare_categorical_counts(
        &self,
        name: &str,
        current: &CategoricalCounts,
        policy: &DriftPolicy,
    ) -> Result<FeatureDrift, DriftError> {
        match self.feature(name) {
            Some(FeatureProfile::Categorical(reference)) => {
                compare_categorical_counts(name, &reference.counts, current, policy)
            }
            other => Err(missing(name, FeatureKind::Categorical, other)),
        }
    }
}

fn missing(name: &str, wanted: FeatureKind, found: Option<&FeatureProfile>) -> DriftError {
    let reason = match found {
        None => format!("no feature `{name}` in the profile"),
        Some(_) => format!("feature `{name}` is not {} in the profile", wanted.name()),
    };
    DriftError::Profile { reason }
}

/// Builds a [`ReferenceProfile`] from the reference window's values.
#[derive(Debug, Clone)]
pub struct ProfileBuilder {
    window: Window,
    created_at: String,
    bins: usize,
    sample_cap: usize,
    text_cap: usize,
    embedding_cap: usize,
    features: Vec<FeatureProfile>,
    texts: Option<TextSample>,
    embeddings: Option<EmbeddingSample>,
}

impl ProfileBuilder {
    pub fn new(window: Window, created_at: impl Into<String>) -> Self {
        Self {
            window,
            created_at: created_at.into(),
            bins: DEFAULT_BINS,
            sample_cap: DEFAULT_PROFILE_SAMPLE_CAP,
            text_cap: DEFAULT_TEXT_SAMPLE_CAP,
            embedding_cap: DEFAULT_EMBEDDING_SAMPLE_CAP,
            features: Vec::new(),
            texts: None,
            embeddings: None,
        }
    }

    /// Bins of the numeric features added after this call (METRICS §5 default 10). The
    /// comparison's policy must ask for the same number.
    pub fn bins(&mut self, bins: usize) -> &mut Self {
        self.bins = bins;
        self
    }

    /// Distinct values each numeric sample keeps exactly (features added after this call).
    pub fn sample_cap(&mut self, cap: usize) -> &mut Self {
        self.sample_cap = cap;
        self
    }

    pub fn text_cap(&mut self, cap: usize) -> &mut Self {
        self.text_cap = cap;
        self
    }

    pub fn embedding_cap(&mut self, cap: usize) -> &mut Self {
        self.embedding_cap = cap;
        self
    }

    /// A numeric feature from all its reference values (`None` and non-finite are nulls).
    pub fn add_numeric(&mut self, name: &str, values: &[Option<f64>]) -> Result<&mut Self, DriftError> {
        // Uncapped first, so edges, counts and summary are exact whatever the stored cap.
        let exact = NumericProfile::from_values_with_cap(values, usize::MAX);
        self.add_numeric_profile(name, &exact)
    }

    /// A numeric feature from a profile accumulated window by window. The stored numbers are
    /// exact as long as that profile's sample is.
    pub fn add_numeric_profile(&mut self, name: &str, reference: &NumericProfile) -> Result<&mut Self, DriftError> {
        if self.bins < 2 {
            return Err(DriftError::InvalidParameter {
                name: "bins",
                value: self.bins as f64,
                expected: "at least 2",
            });
        }
        let exact = reference.sample();
        let mut histogram = exact.histogram(exact.quantile_edges(self.bins))?;
        histogram.add_weighted(None, reference.nulls());
        let feature = NumericFeatureProfile {
            name: name.to_owned(),
            bins: self.bins,
            histogram,
            sample: exact.with_cap(self.sample_cap),
            summary: NumericSummary::of(exact),
        };
        self.push(FeatureProfile::Numeric(feature))
    }

    pub fn add_categorical<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: &[Option<S>],
    ) -> Result<&mut Self, DriftError> {
        self.add_categorical_counts(name, CategoricalCounts::from_values(values))
    }

    pub fn add_categorical_counts(&mut self, name: &str, counts: CategoricalCounts) -> Result<&mut Self, DriftError> {
        self.push(FeatureProfile::Categorical(CategoricalFeatureProfile {
            name: name.to_owned(),
            counts,
        }))
    }

    /// Keeps every k-th text, at most the text cap (default 20 000), for text drift.
    pub fn with_texts<S: AsRef<str>>(&mut self, texts: &[S]) -> &mut Self {
        self.texts = Some(TextSample::from_texts(texts, self.text_cap));
        self
    }

    /// Keeps the centroid of all vectors and every k-th vector, at most the embedding cap
    /// (default 5 000). Fails on mixed or unsupported dimensions.
    pub fn with_embeddings(&mut self, vectors: &[Vec<f32>]) -> Result<&mut Self, DriftError> {
        self.embeddings = Some(EmbeddingSample::from_vectors(vectors, self.embedding_cap)?);
        Ok(self)
    }

    pub fn build(self) -> ReferenceProfile {
        ReferenceProfile {
            format: ProfileFormat,
            window: self.window,
            created_at: self.created_at,
            features: self.features,
            texts: self.texts,
            embeddings: self.embeddings,
        }
    }

    fn push(&mut self, feature: FeatureProfile) -> Result<&mut Self, DriftError> {
        if self.features.iter().any(|known| known.name() == feature.name()) {
            return Err(DriftError::Profile {
                reason: format!("feature `{}` added twice", feature.name()),
            });
        }
        self.features.push(feature);
        Ok(self)
    }
}
