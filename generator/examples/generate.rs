//! Writes generated traffic to stdout and its summary and speed to stderr:
//! `cargo run --release -p convolens-generator --example generate -- CONVERSATIONS [SEED]`.

use std::io::Write;
use std::time::Instant;

use convolens_generator::{GeneratorConfig, write_ndjson};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let conversations = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let seed = args.next().map(|a| a.parse()).transpose()?.unwrap_or(42);
    let config = GeneratorConfig {
        conversations,
        seed,
        ..GeneratorConfig::default()
    };
    let started = Instant::now();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let summary = write_ndjson(&config, &mut out)?;
    out.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{summary:?}");
    eprintln!("{:.0} lines/s ({seconds:.2} s)", summary.lines as f64 / seconds);
    Ok(())
}
