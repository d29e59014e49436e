//! `convolens validate`: every error of a pipeline file with its location.

use anyhow::Context;
use convolens_core::spec::{compile_str, json_schema};

use crate::cli::ValidateArgs;
use crate::exit::{Classified, ExitKind};

pub fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    if args.schema {
        println!("{}", serde_json::to_string_pretty(&json_schema())?);
        return Ok(());
    }
    let path = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("cannot read config {path}"))?;
    match compile_str(&text, &path, &|name| std::env::var(name).ok()) {
        Ok(config) => {
            let names: Vec<&str> = config.pipelines.iter().map(|p| p.name.as_str()).collect();
            println!(
                "{path}: ok ({} pipeline{}: {})",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            );
            Ok(())
        }
        Err(errors) => {
            for line in errors.to_string().lines() {
                eprintln!("{line}");
            }
            let count = errors.errors.len();
            Err(anyhow::Error::new(Classified {
                kind: ExitKind::UserError,
                message: format!("{path}: {count} error{}", if count == 1 { "" } else { "s" }),
            }))
        }
    }
}
