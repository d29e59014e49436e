//! Drift from the lake (METRICS §5): a reference (a window of the lake, or a frozen
//! profile) against a current window, over the default features of INTERFACE.md, plus
//! text and embedding domain classifiers, intent surges, the out-of-scope rate and change
//! detectors on the per-window KPI series.

use std::path::{Path, PathBuf};

use anyhow::Context;
use convolens_drift::{
    CategoricalCounts, ClassifierParams, DriftPolicy, DriftReport, FeatureKind, FeatureProfile, NumericProfile,
    OosParams, ProfileBuilder, ReferenceProfile, SeriesAlarm, SeriesDetectors, SurgeParams, TextDriftParams,
    embedding_drift, intent_surges, oos_shift, series_alarms, text_drift,
};

use super::columns;
use super::drift_input::{SampleCaps, WindowValues, features, load_window};
use crate::query::LakeSession;
use crate::window::Window;

/// Where `drift profile` writes profiles, under the lake.
pub const PROFILES_DIR: &str = "drift_profiles";

/// The profile's pseudo-feature holding the out-of-scope counts (`true`/`false`/null of
/// `is_oos`); not a drift feature itself, it feeds the out-of-scope comparison.
const OOS_FEATURE: &str = "_is_oos";

/// One feature's decision rule.
#[derive(Debug, Clone)]
pub struct FeatureSetting {
    pub name: &'static str,
    pub kind: FeatureKind,
    pub policy: DriftPolicy,
    pub enabled: bool,
}

/// Everything that decides a drift comparison.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    pub features: Vec<FeatureSetting>,
    /// None: text drift switched off.
    pub text: Option<TextDriftParams>,
    pub embeddings: ClassifierParams,
    pub caps: SampleCaps,
    pub surges: SurgeParams,
    pub oos: OosParams,
    pub detectors: SeriesDetectors,
    /// KPI series watched by the detectors.
    pub series: Vec<String>,
    /// Length of one window of the KPI series and of `drift_metrics`, in seconds.
    pub series_window_s: u64,
    /// The pipeline's reference for `drift update`: a profile (a path, or a name under the
    /// lake's profiles), else the `rolling_reference_s` seconds before each run's first window.
    pub reference_profile: Option<String>,
    pub rolling_reference_s: u64,
}

impl Default for DriftOptions {
    /// METRICS §5 defaults.
    fn default() -> Self {
        DriftOptions {
            features: features()
                .map(|(name, kind)| FeatureSetting {
                    name,
                    kind,
                    policy: DriftPolicy::default_for(kind),
                    enabled: true,
                })
                .collect(),
            text: Some(TextDriftParams::default()),
            embeddings: ClassifierParams::default(),
            caps: SampleCaps {
                texts: 20_000,
                embeddings: 5_000,
            },
            surges: SurgeParams::default(),
            oos: OosParams::default(),
            detectors: SeriesDetectors::default(),
            series: ["containment_rate", "escalation_rate", "mean_confidence"]
                .map(String::from)
                .to_vec(),
            series_window_s: 3600,
            reference_profile: None,
            rolling_reference_s: 7 * 86_400,
        }
    }
}

/// What `--reference` names.
#[derive(Debug, Clone)]
pub enum ReferenceSpec {
    Window(Window),
    Profile(PathBuf),
}

impl ReferenceSpec {
    /// A window if `text` parses as one; otherwise a profile: an existing file path, or a
    /// name under `LAKE/drift_profiles/`.
    pub fn parse(text: &str, lake: &Path) -> anyhow::Result<ReferenceSpec> {
        if text.contains("..") && !Path::new(text).exists() {
            return Ok(ReferenceSpec::Window(text.parse()?));
        }
        let direct = PathBuf::from(text);
        if direct.is_file() {
            return Ok(ReferenceSpec::Profile(direct));
        }
        let named = profile_path(lake, text);
        if named.is_file() {
            return Ok(ReferenceSpec::Profile(named));
        }
        anyhow::bail!(
            "reference `{text}` is neither a window FROM..TO nor a profile (no file {} or {})",
            direct.display(),
            named.display()
        )
    }

    /// How `drift_metrics` rows name the reference: `FROM..TO` or `profile:PATH`.
    pub fn label(&self) -> String {
        match self {
            ReferenceSpec::Window(window) => window.to_string(),
            ReferenceSpec::Profile(path) => format!("profile:{}", path.display()),
        }
    }
}

/// The pipeline's reference profile, if it names one: relative to the lake, as
/// pipelines.yaml documents, else as `--reference` reads it.
pub fn configured_profile(lake: &Path, options: &DriftOptions) -> anyhow::Result<Option<PathBuf>> {
    let Some(profile) = &options.reference_profile else {
        return Ok(None);
    };
    if lake.join(profile).is_file() {
        return Ok(Some(lake.join(profile)));
    }
    match ReferenceSpec::parse(profile, lake)? {
        ReferenceSpec::Profile(path) => Ok(Some(path)),
        ReferenceSpec::Window(_) => anyhow::bail!("drift.reference.profile `{profile}` is not a profile file"),
    }
}

/// The first timestamp column `t` of `sql`'s result (µs since the epoch), if any.
pub async fn scalar_micros(session: &LakeSession, sql: &str) -> anyhow::Result<Option<i64>> {
    let batches = session.query(sql).await?;
    let value = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| columns::timestamps(b, "t"))
        .transpose()?
        .and_then(|v| v.first().copied().flatten());
    Ok(value)
}

/// The first window (start, µs) that `drift_metrics` can hold for data whose first event
/// is `first_event`: windows align to the epoch and the data is taken to begin with the
/// window of its first event; with a `rolling` reference (µs), the first window whose
/// reference lies within the data.
pub fn earliest_window(first_event: i64, width: i64, rolling: Option<i64>) -> i64 {
    let data_start = first_event.div_euclid(width) * width;
    match rolling {
        None => data_start,
        Some(rolling) => (data_start + rolling + width - 1).div_euclid(width) * width,
    }
}

/// The starts (µs) of the windows in `span` that `drift_metrics` holds.
pub async fn written_windows(session: &LakeSession, span: &Window) -> anyhow::Result<std::collections::BTreeSet<i64>> {
    let sql = format!(
        "SELECT DISTINCT window_start AS t FROM drift_metrics WHERE {}",
        span.sql_predicate("window_start", None)
    );
    let mut written = std::collections::BTreeSet::new();
    for batch in session.query(&sql).await? {
        written.extend(columns::timestamps(&batch, "t")?.into_iter().flatten());
    }
    Ok(written)
}

pub fn profile_path(lake: &Path, name: &str) -> PathBuf {
    let file = if name.ends_with(".json") {
        name.to_string()
    } else {
        format!("{name}.json")
    };
    lake.join(PROFILES_DIR).join(file)
}

fn drift_window(window: &Window) -> convolens_drift::Window {
    let text = window.to_string();
    let (from, to) = text.split_once("..").unwrap_or((&text, ""));
    convolens_drift::Window::new(from, to)
}

/// A profile of `values`. `sample_cap` bounds the distinct values kept per numeric feature
/// (usize::MAX keeps them all: KS and Wasserstein then exact).
pub fn build_profile(
    values: &WindowValues,
    window: &Window,
    sample_cap: usize,
    options: &DriftOptions,
) -> anyhow::Result<ReferenceProfile> {
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut builder = ProfileBuilder::new(drift_window(window), created_at);
    let bins = options.features.iter().map(|f| f.policy.bins).max().unwrap_or(10);
    builder
        .bins(bins)
        .sample_cap(sample_cap)
        .text_cap(options.caps.texts)
        .embedding_cap(options.caps.embeddings);
    // Sorting each numeric feature's values is most of the work: done on every core.
    let numeric_names: Vec<&str> = features()
        .filter(|(_, kind)| *kind == FeatureKind::Numeric)
        .map(|(name, _)| name)
        .collect();
    let exact = parallel_map(&numeric_names, |name| {
        NumericProfile::from_values_with_cap(values.numeric.get(name).map_or(&[][..], Vec::as_slice), usize::MAX)
    });
    for (name, kind) in features() {
        match kind {
            FeatureKind::Numeric => {
                let index = numeric_names.iter().position(|n| *n == name).expect("listed above");
                builder.add_numeric_profile(name, &exact[index])?;
            }
            FeatureKind::Categorical => {
                builder.add_categorical_counts(name, values.categorical.get(name).cloned().unwrap_or_default())?;
            }
        }
    }
    builder.add_categorical_counts(OOS_FEATURE, oos_counts(values))?;
    builder.with_texts(&values.texts);
    if !values.embeddings.is_empty() {
        builder.with_embeddings(&values.embeddings)?;
    }
    Ok(builder.build())
}

fn oos_counts(values: &WindowValues) -> CategoricalCounts {
    let mut counts = CategoricalCounts::new();
    counts.add_weighted(Some("true"), values.out_of_scope);
    counts.add_weighted(Some("false"), values.predictions - values.out_of_scope);
    counts
}

pub fn load_profile(path: &Path) -> anyhow::Result<ReferenceProfile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading profile {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("profile {} is not a convolens drift profile", path.display()))
}

/// The reference profile of `spec`: loaded, or built exactly from the lake.
pub async fn reference_profile(
    session: &LakeSession,
    spec: &ReferenceSpec,
    options: &DriftOptions,
) -> anyhow::Result<ReferenceProfile> {
    match spec {
        ReferenceSpec::Profile(path) => load_profile(path),
        ReferenceSpec::Window(window) => {
            let values = load_window(session, window, options.caps).await?;
            build_profile(&values, window, usize::MAX, options)
        }
    }
}

/// Current against the reference profile: every enabled feature, text, embeddings, intent
/// surges and the out-of-scope rate. Detector alarms come from [`alarms`].
pub fn compare(
    profile: &ReferenceProfile,
    current: &WindowValues,
    current_window: &Window,
    options: &DriftOptions,
) -> anyhow::Result<DriftReport> {
    let enabled: Vec<&FeatureSetting> = options.features.iter().filter(|f| f.enabled).collect();
    let no_values = CategoricalCounts::new();
    let features = parallel_map(&enabled, |setting| {
        match setting.kind {
            FeatureKind::Numeric => {
                let values = current.numeric.get(setting.name).map_or(&[][..], Vec::as_slice);
                profile.compare_numeric(setting.name, values, &setting.policy)
            }
            FeatureKind::Categorical => {
                let counts = current.categorical.get(setting.name).unwrap_or(&no_values);
                profile.compare_categorical_counts(setting.name, counts, &setting.policy)
            }
        }
        .with_context(|| format!("drift of feature {}", setting.name))
    })
    .into_iter()
    .collect::<anyhow::Result<Vec<_>>>()?;
    let mut report = DriftReport::new(profile.window.clone(), drift_window(current_window), features);

    if let (Some(params), Some(reference_texts)) = (&options.text, &profile.texts) {
        let current_texts = convolens_drift::TextSample::from_texts(&current.texts, options.caps.texts);
        report.text = Some(text_drift(reference_texts, &current_texts, params)?);
    }
    if let Some(reference_vectors) = &profile.embeddings
        && !current.embeddings.is_empty()
    {
        let current_vectors =
            convolens_drift::EmbeddingSample::from_vectors(&current.embeddings, options.caps.embeddings)?;
        report.embeddings = Some(embedding_drift(
            reference_vectors,
            &current_vectors,
            &options.embeddings,
        )?);
    }
    if let Some(FeatureProfile::Categorical(reference_intents)) = profile.feature("intent") {
        let current_intents = current.categorical.get("intent").unwrap_or(&no_values);
        report.surges = intent_surges(&reference_intents.counts, current_intents, &options.surges);
    }
    if let Some(FeatureProfile::Categorical(reference_oos)) = profile.feature(OOS_FEATURE) {
        let (ref_oos, ref_total) = (
            reference_oos
                .counts
                .count_of(convolens_drift::categorical::CategoryBin::Named("true")),
            reference_oos.counts.total(),
        );
        report.oos = Some(oos_shift(
            ref_oos,
            ref_total,
            current.out_of_scope,
            current.predictions,
            &options.oos,
        )?);
    }
    Ok(report)
}

/// `f` over `items` on every available core (features are independent), results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        done.push((index, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a drift worker panicked"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, r)| r).collect()
}

/// One KPI series: (window label, value) in time order.
pub type Series = Vec<(String, f64)>;

/// KPI series values of one window: containment, escalation, mean confidence (NaN where
/// the window has no conversations, or no predictions).
pub type SeriesPoint = [f64; 3];

/// Series points by window start (µs since the epoch), only for windows with data.
pub type SeriesPoints = std::collections::BTreeMap<i64, SeriesPoint>;

const SERIES_NAMES: [&str; 3] = ["containment_rate", "escalation_rate", "mean_confidence"];

/// The detector series over `window`, one point per `options.series_window_s` of event
/// time (windows without conversations or predictions are NaN: they keep their place).
pub async fn load_series(
    session: &LakeSession,
    window: &Window,
    options: &DriftOptions,
) -> anyhow::Result<Vec<(String, Series)>> {
    Ok(fill_series(
        &load_series_points(session, window, options).await?,
        options,
    ))
}

/// The points of [`load_series`] before gap filling.
pub async fn load_series_points(
    session: &LakeSession,
    window: &Window,
    options: &DriftOptions,
) -> anyhow::Result<SeriesPoints> {
    let width = options.series_window_s.max(1);
    // Whole windows since the epoch (event times are after 1970, so integer division floors).
    let bucket = |column: &str| format!("to_timestamp_seconds(to_unixtime({column}) / {width} * {width})");
    let facts = format!(
        "SELECT {b} AS bucket, AVG(CASE WHEN contained THEN 1.0 ELSE 0.0 END) AS containment_rate, \
                AVG(CASE WHEN handed_off THEN 1.0 ELSE 0.0 END) AS escalation_rate \
         FROM conversation_facts WHERE {w} GROUP BY 1 ORDER BY 1",
        b = bucket("closed_at"),
        w = window.sql_predicate("closed_at", None)
    );
    let predictions = format!(
        "SELECT {b} AS bucket, AVG(confidence) AS mean_confidence FROM events \
         WHERE event_type = 'intent_predicted' AND {w} GROUP BY 1 ORDER BY 1",
        b = bucket("occurred_at"),
        w = window.sql_predicate("occurred_at", Some("date"))
    );
    let mut points = SeriesPoints::new();
    for batch in session.query(&facts).await? {
        let buckets = columns::timestamps(&batch, "bucket")?;
        let containment = columns::floats(&batch, "containment_rate")?;
        let escalation = columns::floats(&batch, "escalation_rate")?;
        for i in 0..batch.num_rows() {
            let Some(at) = buckets[i] else { continue };
            let entry = points.entry(at).or_insert([f64::NAN; 3]);
            entry[0] = containment[i].unwrap_or(f64::NAN);
            entry[1] = escalation[i].unwrap_or(f64::NAN);
        }
    }
    for batch in session.query(&predictions).await? {
        let buckets = columns::timestamps(&batch, "bucket")?;
        let confidence = columns::floats(&batch, "mean_confidence")?;
        for i in 0..batch.num_rows() {
            let Some(at) = buckets[i] else { continue };
            points.entry(at).or_insert([f64::NAN; 3])[2] = confidence[i].unwrap_or(f64::NAN);
        }
    }
    Ok(points)
}

/// The watched series from their first point to their last, gaps filled with NaN so that
/// each position is one window of time.
pub fn fill_series(points: &SeriesPoints, options: &DriftOptions) -> Vec<(String, Series)> {
    let (Some(&first), Some(&last)) = (points.keys().next(), points.keys().next_back()) else {
        return Vec::new();
    };
    let step = options.series_window_s.max(1) as i64 * 1_000_000;
    let mut filled = Vec::new();
    let mut at = first;
    while at <= last {
        filled.push((at, points.get(&at).copied().unwrap_or([f64::NAN; 3])));
        at += step;
    }
    SERIES_NAMES
        .iter()
        .enumerate()
        .filter(|(_, name)| options.series.iter().any(|s| s == *name))
        .map(|(index, name)| {
            let series = filled
                .iter()
                .map(|(at, values)| (series_label(*at), values[index]))
                .collect();
            (name.to_string(), series)
        })
        .collect()
}

/// A window of a KPI series as charts and alarms name it: `MM-DD HH:MM` (UTC), short enough
/// for a chart's axis; the report's header carries the year.
pub fn series_label(micros: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The detectors' alarms over every series, series by series.
pub fn alarms(series: &[(String, Series)], options: &DriftOptions) -> anyhow::Result<Vec<SeriesAlarm>> {
    let mut alarms = Vec::new();
    for (name, points) in series {
        alarms.extend(series_alarms(name, points, &options.detectors)?);
    }
    Ok(alarms)
}

/// How a drift enum (method, verdict) is written in JSON, pipelines.yaml and the lake,
/// e.g. `wasserstein_norm`, `insufficient_data`: its serde name, so every surface agrees.
pub fn wire_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Reference and current shares per bin of one feature, for the report's histograms.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub feature: String,
    /// (bin label, reference share, current share).
    pub bins: Vec<(String, f64, f64)>,
}

/// The bins drift was computed over, with both sides' shares (numeric: the profile's
/// frozen edges, nulls left out; categorical: the union of categories, null included).
pub fn overlays(profile: &ReferenceProfile, current: &WindowValues) -> Vec<Overlay> {
    let share = |count: u64, total: u64| if total == 0 { 0.0 } else { count as f64 / total as f64 };
    let no_values = CategoricalCounts::new();
    let mut result = Vec::new();
    for feature in &profile.features {
        match feature {
            FeatureProfile::Numeric(numeric) => {
                let edges = numeric.histogram.edges().to_vec();
                let Ok(mut histogram) = convolens_drift::NumericHistogram::new(edges.clone()) else {
                    continue;
                };
                for value in current.numeric.get(numeric.name.as_str()).into_iter().flatten() {
                    histogram.add(*value);
                }
                let (ref_total, cur_total) = (numeric.histogram.non_null(), histogram.non_null());
                let label = |index: usize| {
                    let lower = index
                        .checked_sub(1)
                        .map_or("−∞".to_string(), |i| format!("{:.3}", edges[i]));
                    let upper = edges.get(index).map_or("+∞".to_string(), |e| format!("{e:.3}"));
                    format!("({lower}, {upper}]")
                };
                let bins = numeric
                    .histogram
                    .counts()
                    .iter()
                    .zip(histogram.counts())
                    .enumerate()
                    .map(|(i, (r, c))| (label(i), share(*r, ref_total), share(*c, cur_total)))
                    .collect();
                result.push(Overlay {
                    feature: numeric.name.clone(),
                    bins,
                });
            }
            FeatureProfile::Categorical(categorical) if !categorical.name.starts_with('_') => {
                let current_counts = current.categorical.get(categorical.name.as_str()).unwrap_or(&no_values);
                let (ref_total, cur_total) = (categorical.counts.total(), current_counts.total());
                let bins = convolens_drift::categorical::union_bins(&categorical.counts, current_counts)
                    .into_iter()
                    .map(|bin| {
                        let label = match bin {
                            convolens_drift::categorical::CategoryBin::Named(name) => name.to_string(),
                            convolens_drift::categorical::CategoryBin::Null => "(null)".to_string(),
                        };
                        (
                            label,
                            share(categorical.counts.count_of(bin), ref_total),
                            share(current_counts.count_of(bin), cur_total),
                        )
                    })
                    .collect();
                result.push(Overlay {
                    feature: categorical.name.clone(),
                    bins,
                });
            }
            FeatureProfile::Categorical(_) => {}
        }
    }
    result
}
