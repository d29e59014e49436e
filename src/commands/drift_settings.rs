//! The `drift:` section of `pipelines.yaml` as the drift crate's parameters.

use convolens_core::spec::{DriftMethod, DriftReference, DriftSettings, KpiSeries};
use convolens_drift::detectors::{AdwinParams, PageHinkleyParams};
use convolens_drift::{DriftPolicy, Method, SeriesDetectors};

use super::config;
use crate::analysis::drift::{DriftOptions, FeatureSetting};
use crate::analysis::drift_input::features;
use crate::cli::DriftSettingsArgs;

/// Options from the named (or default) pipeline file, or METRICS defaults without one.
pub fn options(args: &DriftSettingsArgs) -> anyhow::Result<DriftOptions> {
    let pipeline = config::optional_pipeline(args.config.as_deref(), args.pipeline.as_deref())?;
    Ok(pipeline.map_or_else(DriftOptions::default, |p| from_settings(&p.drift)))
}

fn method(method: DriftMethod) -> Method {
    match method {
        DriftMethod::Psi => Method::Psi,
        DriftMethod::Js => Method::Js,
        DriftMethod::KsP => Method::KsP,
        DriftMethod::WassersteinNorm => Method::WassersteinNorm,
    }
}

pub fn from_settings(settings: &DriftSettings) -> DriftOptions {
    let features = features()
        .map(|(name, kind)| {
            let configured = settings.feature(name);
            let mut policy = DriftPolicy::default_for(kind);
            policy.min_count = settings.min_count;
            policy.bins = settings.bins;
            if let Some(feature) = configured {
                policy.method = method(feature.method);
                policy.threshold = feature.threshold;
            }
            FeatureSetting {
                name,
                kind,
                policy,
                enabled: configured.is_none_or(|f| f.enabled),
            }
        })
        .collect();
    let mut options = DriftOptions {
        features,
        ..DriftOptions::default()
    };
    if settings.text.enabled {
        if let Some(text) = options.text.as_mut() {
            text.classifier.threshold = settings.text.auc_threshold;
            text.classifier.max_rows_per_side = settings.text.max_rows;
            text.classifier.min_rows = settings.min_count;
        }
        options.caps.texts = settings.text.max_rows;
    } else {
        options.text = None;
    }
    options.embeddings.threshold = settings.text.auc_threshold;
    options.embeddings.min_rows = settings.min_count;
    let detectors = &settings.detectors;
    options.detectors = SeriesDetectors {
        adwin: Some(AdwinParams {
            delta: detectors.adwin.delta,
            value_range: detectors.adwin.value_range,
            min_window: detectors.adwin.min_window,
            max_window: detectors.adwin.max_window,
        }),
        page_hinkley: Some(PageHinkleyParams {
            delta: detectors.page_hinkley.delta,
            lambda: detectors.page_hinkley.lambda,
            min_instances: detectors.page_hinkley.min_instances,
            ..PageHinkleyParams::default()
        }),
    };
    options.series = detectors
        .series
        .iter()
        .map(|s: &KpiSeries| s.name().to_string())
        .collect();
    options.series_window_s = settings.window.as_secs().max(1);
    match &settings.reference {
        DriftReference::Profile(path) => options.reference_profile = Some(path.display().to_string()),
        DriftReference::Rolling(length) => options.rolling_reference_s = length.as_secs().max(1),
    }
    options
}
