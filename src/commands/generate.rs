//! `convolens generate`: seeded, realistic traffic as NDJSON.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use convolens_core::Timestamp;
use convolens_generator::{DriftInjection, GenerateSummary, GeneratorConfig, write_ndjson};

use crate::cli::GenerateArgs;

pub fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let config = config_from_args(&args)?;
    let summary = write_to(&config, &args.output)?;
    eprintln!(
        "generated {} lines: {} conversations, {} events, {} duplicates, {} invalid",
        summary.lines, summary.conversations, summary.events, summary.duplicates, summary.invalid
    );
    Ok(())
}

pub fn config_from_args(args: &GenerateArgs) -> anyhow::Result<GeneratorConfig> {
    let start_day = NaiveDate::parse_from_str(&args.start, "%Y-%m-%d")
        .with_context(|| format!("--start {:?} is not a date like 2026-11-02", args.start))?;
    let start = Timestamp::from(start_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    if !(args.days.is_finite() && args.days > 0.0 && args.days <= 3650.0) {
        bail!("--days must be in (0, 3650], got {}", args.days);
    }
    let span = Duration::from_secs_f64(args.days * 86_400.0);
    let drift = match args.drift_from {
        Some(fraction) if (0.0..=1.0).contains(&fraction) => Some(DriftInjection::starting_at(
            start.saturating_add(span.mul_f64(fraction)),
        )),
        Some(fraction) => bail!("--drift-from must be in [0, 1], got {fraction}"),
        None => None,
    };
    let config = GeneratorConfig {
        seed: args.seed,
        conversations: args.conversations,
        start,
        span,
        tenants: args.tenants.clone(),
        duplicate_rate: args.duplicate_rate,
        invalid_rate: args.invalid_rate,
        max_disorder: Duration::from_secs(args.max_disorder_s),
        embeddings: args.embeddings,
        drift,
        ..GeneratorConfig::default()
    };
    config.validate()?;
    Ok(config)
}

/// Writes the traffic to `path` (`-` = stdout; `.gz` / `.zst` are compressed).
pub fn write_to(config: &GeneratorConfig, path: &str) -> anyhow::Result<GenerateSummary> {
    if path == "-" {
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let summary = write_ndjson(config, &mut out)?;
        out.flush()?;
        return Ok(summary);
    }
    let file = File::create(path).with_context(|| format!("cannot create {path}"))?;
    let summary = if path.ends_with(".gz") {
        let mut out = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
        let summary = write_ndjson(config, &mut out)?;
        out.finish()?.flush()?;
        summary
    } else if path.ends_with(".zst") {
        let mut out = zstd::stream::write::Encoder::new(BufWriter::new(file), 3)?;
        let summary = write_ndjson(config, &mut out)?;
        out.finish()?.flush()?;
        summary
    } else {
        let mut out = BufWriter::new(file);
        let summary = write_ndjson(config, &mut out)?;
        out.flush()?;
        summary
    };
    Ok(summary)
}
