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
