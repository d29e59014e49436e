//! Command-line surface (INTERFACE.md "Command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::query::OutputFormat;

#[derive(Debug, Parser)]
#[command(
    name = "convolens",
    version,
    about = "Streaming analytics for AI customer support: conversation events to an exact Parquet lake with KPI SQL"
)]
pub struct Cli {
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `convolens=debug`.
    #[arg(long, global = true, env = "CONVOLENS_LOG", default_value = "warn")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The embedded default: start an in-process Kafka cluster, produce a generated day of
    /// support traffic into it, run the pipeline until caught up, print the KPI table and
    /// where the lake is.
    Demo(DemoArgs),
    /// Run the pipelines of a config file.
    Run(RunArgs),
    /// Replay NDJSON files (`-` = stdin, .gz/.zst accepted) into a lake, then exit.
    Ingest(IngestArgs),
    /// Run read-only SQL over a lake.
    Query(QueryArgs),
    /// Check a pipeline file and list every error with its location.
    Validate(ValidateArgs),
    /// Generate realistic support traffic as NDJSON (seeded).
    Generate(GenerateArgs),
    /// Confidence calibration per model version (ECE, MCE, ACE, Brier, reliability bins);
    /// `--fit` writes recalibration maps with handoff thresholds for the serving path.
    Calibrate(CalibrateArgs),
    /// What drives CSAT: correlation of each conversation fact with satisfaction.
    CsatDrivers(CsatDriversArgs),
    /// Drift of the current traffic against a reference window or profile; `drift profile`
    /// freezes a reference, `drift report` writes an HTML report, `drift update` fills the
    /// `drift_metrics` table.
    Drift(DriftArgs),
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Pipeline file.
    #[arg(long, default_value = "pipelines.yaml")]
    pub config: PathBuf,
    /// Pipeline to use (default: the first in the file).
    #[arg(long)]
    pub pipeline: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo lake (replaced if it exists and holds a previous demo).
    #[arg(long, default_value = "demo-lake")]
    pub lake: PathBuf,
    /// Conversations in the generated day.
    #[arg(long, default_value_t = 5000)]
    pub conversations: u64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Stop once the sources are drained and everything is committed.
    #[arg(long)]
    pub until_idle: bool,
    /// Kafka bootstrap servers, overriding the config (HOST:PORT,…).
    #[arg(long)]
    pub brokers: Option<String>,
    /// Kafka topic, overriding the config.
    #[arg(long)]
    pub topic: Option<String>,
    /// Consumer group, overriding the config.
    #[arg(long)]
    pub group: Option<String>,
    /// Lake directory, overriding the config.
    #[arg(long)]
    pub lake: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// NDJSON input files, in order (`-` = stdin; `.gz` and `.zst` are decompressed).
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<String>,
    /// Lake directory (created if missing).
    #[arg(long)]
    pub lake: PathBuf,
    /// Pipeline file for sessionisation, limits and redaction settings; built-in defaults
    /// when the default file does not exist.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pipeline whose settings to use (default: the first in the file).
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Decoder threads (default: the number of CPUs).
    #[arg(long)]
    pub workers: Option<usize>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// The SQL statement (`-` reads it from stdin).
    pub sql: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Pipeline file.
    #[arg(long, default_value = "pipelines.yaml")]
    pub config: PathBuf,
    /// Print the JSON Schema of the file format instead (for editors).
    #[arg(long)]
    pub schema: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output file (`-` = stdout; `.gz`/`.zst` compress).
    #[arg(long, short, default_value = "-")]
    pub output: String,
    /// Number of conversations.
    #[arg(long, default_value_t = 1000)]
    pub conversations: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day of traffic (UTC date).
    #[arg(long, default_value = "2026-11-02")]
    pub start: String,
    /// Days the conversation starts are spread over.
    #[arg(long, default_value_t = 1.0)]
    pub days: f64,
    /// Tenants, comma-separated.
    #[arg(long, default_value = "acme,globex", value_delimiter = ',')]
    pub tenants: Vec<String>,
    /// Share of lines delivered twice.
    #[arg(long, default_value_t = 0.02)]
    pub duplicate_rate: f64,
    /// Share of extra invalid lines.
    #[arg(long, default_value_t = 0.01)]
    pub invalid_rate: f64,
    /// Largest arrival delay behind event time, in seconds.
    #[arg(long, default_value_t = 120)]
    pub max_disorder_s: u64,
    /// Add embedding vectors to intent predictions.
    #[arg(long)]
    pub embeddings: bool,
    /// Inject drift from this fraction of the span on (0..1).
    #[arg(long)]
    pub drift_from: Option<f64>,
}

/// Output of the evaluator commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    /// Window of prediction time, FROM..TO (dates or RFC 3339, half-open, UTC; either side
    /// may be empty). Default: everything.
    #[arg(long, default_value = "..")]
    pub window: crate::window::Window,
    /// Equal-width reliability bins (default: the pipeline's `calibration.bins`, 10).
    #[arg(long)]
    pub bins: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Also write a self-contained HTML report (reliability diagrams) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Fit recalibration maps (one per model version) and write them to `--output`.
    #[arg(long)]
    pub fit: bool,
    /// Recalibration method for `--fit` (default: the pipeline's, isotonic).
    #[arg(long, value_enum)]
    pub method: Option<FitMethod>,
    /// Held-out window for `--fit`, after the training window (`--window`). Default: the
    /// chronologically last 20 % of each model version's pairs in `--window`.
    #[arg(long)]
    pub held_out: Option<crate::window::Window>,
    /// Accuracy the recommended handoff threshold must reach (default: the pipeline's, 0.90).
    #[arg(long)]
    pub target_accuracy: Option<f64>,
    /// Held-out pairs a predicted intent needs for its own threshold (default: the
    /// pipeline's, 200).
    #[arg(long)]
    pub min_intent_support: Option<usize>,
    /// Where `--fit` writes the calibration maps (a JSON array, one map per model version).
    #[arg(long, default_value = "calibration-map.json")]
    pub output: PathBuf,
    /// Pipeline file whose `calibration:` section gives the defaults above (used when the
    /// default file exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pipeline whose settings to use (default: the first in the file).
    #[arg(long)]
    pub pipeline: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitMethod {
    Platt,
    Isotonic,
}

#[derive(Debug, Args)]
pub struct CsatDriversArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    /// Window of close time, FROM..TO (dates or RFC 3339, half-open, UTC). Default: everything.
    #[arg(long, default_value = "..")]
    pub window: crate::window::Window,
    /// One result per driver and `first_intent` (JSON objects gain a `first_intent` field).
    #[arg(long)]
    pub by_intent: bool,
    /// Add the multivariate view: standardised OLS coefficients of CSAT on all drivers, R²
    /// and n (JSON output becomes an object `{drivers, multivariate}`).
    #[arg(long)]
    pub multivariate: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Also write a self-contained HTML report (drivers chart) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DriftArgs {
    #[command(subcommand)]
    pub action: Option<DriftAction>,
    #[command(flatten)]
    pub compare: DriftCompareArgs,
}

#[derive(Debug, Subcommand)]
pub enum DriftAction {
    /// Freeze a reference window into a versioned profile file in the lake.
    Profile(DriftProfileArgs),
    /// Write a self-contained HTML report (and its JSON) of current against reference.
    Report(DriftReportArgs),
    /// Compute drift for every complete window not yet in the `drift_metrics` table.
    Update(DriftUpdateArgs),
}

/// Settings for drift: methods, thresholds and detectors of a pipeline file.
#[derive(Debug, Args, Clone)]
pub struct DriftSettingsArgs {
    /// Pipeline file whose `drift:` section sets methods, thresholds and detectors
    /// (built-in METRICS defaults when the default file does not exist).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Pipeline whose settings to use (default: the first in the file).
    #[arg(long)]
    pub pipeline: Option<String>,
}

#[derive(Debug, Args)]
pub struct DriftCompareArgs {
    /// Lake directory.
    #[arg(long, required = true)]
    pub lake: Option<PathBuf>,
    /// The reference: a window FROM..TO, or a profile (a file path, or a name written by
    /// `drift profile` under LAKE/drift_profiles/).
    #[arg(long, required = true)]
    pub reference: Option<String>,
    /// The current window FROM..TO (dates or RFC 3339, half-open, UTC).
    #[arg(long, required = true)]
    pub current: Option<crate::window::Window>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    #[command(flatten)]
    pub settings: DriftSettingsArgs,
}

#[derive(Debug, Args)]
pub struct DriftProfileArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    /// Start of the reference window (date or RFC 3339, inclusive).
    #[arg(long)]
    pub from: String,
    /// End of the reference window (exclusive).
    #[arg(long)]
    pub to: String,
    /// Profile name (default: derived from the window); written to LAKE/drift_profiles/NAME.json.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub settings: DriftSettingsArgs,
}

#[derive(Debug, Args)]
pub struct DriftReportArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    /// A window FROM..TO, or a profile (file path, or name under LAKE/drift_profiles/).
    #[arg(long)]
    pub reference: String,
    /// The current window FROM..TO.
    #[arg(long)]
    pub current: crate::window::Window,
    /// The HTML file to write; the same content goes to the same path with `.json`.
    #[arg(long, default_value = "drift-report.html")]
    pub output: PathBuf,
    #[command(flatten)]
    pub settings: DriftSettingsArgs,
}

#[derive(Debug, Args)]
pub struct DriftUpdateArgs {
    /// Lake directory.
    #[arg(long)]
    pub lake: PathBuf,
    #[command(flatten)]
    pub settings: DriftSettingsArgs,
}
