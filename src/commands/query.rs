//! `convolens query`: read-only SQL over the lake.

use std::io::Read;

use anyhow::Context;

use super::runtime;
use crate::cli::QueryArgs;
use crate::query::{LakeSession, write_batches};

pub fn query(args: QueryArgs) -> anyhow::Result<()> {
    let sql = if args.sql == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading SQL from stdin")?;
        text
    } else {
        args.sql
    };
    let batches = runtime()?.block_on(async {
        let session = LakeSession::open(&args.lake).await?;
        session.query(&sql).await
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_batches(&batches, args.format, &mut out)
}
