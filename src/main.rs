//! The `convolens` binary: CLI, pipeline runners and the query service.

mod analysis;
mod cli;
mod commands;
mod exit;
mod query;
mod reports;
mod runner;
mod window;

use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of glibc's malloc: records are allocated on the decoder threads and
/// freed on the router and writer threads, and glibc's malloc and free spent about a fifth
/// of the ingest path's CPU on that traffic (perf, BENCHMARKS.md). mimalloc was as fast
/// but kept `calibrate`'s peak above 1 GiB (1.08 GiB against jemalloc's 0.87 GiB).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(&cli.log);
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let kind = exit::classify(&error);
            eprintln!("convolens: {}", exit::one_line(&error));
            ExitCode::from(kind as u8)
        }
    }
}

fn init_tracing(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
