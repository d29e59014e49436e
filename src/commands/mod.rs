//! One module per subcommand; each returns `anyhow::Result` and `main` maps errors to
//! exit codes.

mod config;
mod demo;
mod generate;
mod ingest;
mod query;
mod run;
mod validate;

use crate::cli::Command;

pub fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => demo::demo(args),
        Command::Run(args) => run::run(args),
        Command::Ingest(args) => ingest::ingest(args),
        Command::Query(args) => query::query(args),
        Command::Validate(args) => validate::validate(args),
        Command::Generate(args) => generate::generate(args),
    }
}

/// A tokio runtime for the async parts (DataFusion, Kafka).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
