//! Benchmark harness for `scripts/bench_drift.py`: drift of a current sample against a
//! reference sample, both Parquet files with one column per default feature (Float64 for
//! numeric, Utf8 for categorical), through the same drift crate calls `convolens drift`
//! makes (an exact reference profile, then every feature compared). Prints one JSON
//! object: the time of each phase and the per-feature results.
//!
//!     cargo run --release --example drift_files -- REF.parquet CUR.parquet

use std::fs::File;
use std::time::Instant;

use convolens_core::spec::{DRIFT_FEATURES, FeatureKind as SpecKind};
use convolens_drift::{CategoricalCounts, DriftPolicy, FeatureKind, NumericProfile, ProfileBuilder, Window};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The default features (the pipeline spec's list), typed as the drift crate types them.
fn features() -> Vec<(&'static str, FeatureKind)> {
    DRIFT_FEATURES
        .into_iter()
        .map(|(name, kind)| match kind {
            SpecKind::Numeric => (name, FeatureKind::Numeric),
            SpecKind::Categorical => (name, FeatureKind::Categorical),
        })
        .collect()
}

fn read(path: &str) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(65_536).build())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    reader.map(|b| b.expect("batch")).collect()
}

fn numeric(batches: &[RecordBatch], name: &str) -> Vec<Option<f64>> {
    let mut values = Vec::new();
    for batch in batches {
        let column = batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
        let column = datafusion::arrow::compute::cast(column, &DataType::Float64).expect("float column");
        values.extend(column.as_primitive::<Float64Type>().iter());
    }
    values
}

/// Counts of a text column, read in place as `convolens drift` reads the lake
/// (src/analysis/columns.rs): no string is copied per row.
fn category_counts(batches: &[RecordBatch], name: &str) -> CategoricalCounts {
    let mut counts = CategoricalCounts::new();
    for batch in batches {
        let column = batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
        let column = datafusion::arrow::compute::cast(column, &DataType::Utf8).expect("text column");
        counts.merge(&CategoricalCounts::from_names(column.as_string::<i32>().iter()));
    }
    counts
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reference_path, current_path] = args.as_slice() else {
        eprintln!("usage: drift_files REF.parquet CUR.parquet");
        std::process::exit(1);
    };
    let started = Instant::now();
    let (reference, current) = (read(reference_path), read(current_path));
    let read_s = started.elapsed().as_secs_f64();

    // As `convolens drift` does (src/analysis/drift.rs): the numeric reference samples are
    // sorted on both cores, then every feature is compared on both cores.
    let started = Instant::now();
    let features = features();
    let numeric_features: Vec<&str> = features
        .iter()
        .filter(|(_, k)| *k == FeatureKind::Numeric)
        .map(|(n, _)| *n)
        .collect();
    let exact: Vec<NumericProfile> = std::thread::scope(|scope| {
        let handles: Vec<_> = numeric_features
            .chunks(numeric_features.len().div_ceil(2))
            .map(|chunk| {
                let reference = &reference;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|name| NumericProfile::from_values_with_cap(&numeric(reference, name), usize::MAX))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    let mut builder = ProfileBuilder::new(Window::new("reference", "reference"), "bench");
    builder.sample_cap(usize::MAX);
    for &(name, kind) in &features {
        match kind {
            FeatureKind::Numeric => {
                let index = numeric_features.iter().position(|n| *n == name).expect("numeric");
                builder.add_numeric_profile(name, &exact[index])
            }
            FeatureKind::Categorical => builder.add_categorical_counts(name, category_counts(&reference, name)),
        }
        .expect("profile");
    }
    let profile = builder.build();
    let profile_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = features
            .chunks(features.len().div_ceil(2))
            .map(|chunk| {
                let (profile, current) = (&profile, &current);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(name, kind)| {
                            let policy = DriftPolicy::default_for(*kind);
                            match kind {
                                FeatureKind::Numeric => profile.compare_numeric(name, &numeric(current, name), &policy),
                                FeatureKind::Categorical => {
                                    profile.compare_categorical_counts(name, &category_counts(current, name), &policy)
                                }
                            }
                            .expect("compare")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    let compare_s = started.elapsed().as_secs_f64();
    let output = serde_json::json!({
        "read_s": read_s,
        "profile_s": profile_s,
        "compare_s": compare_s,
        "drift_s": profile_s + compare_s,
        "features": results,
    });
    println!("{output}");
}
