//! Writing a whole run as NDJSON.

use std::io::{BufWriter, Write};

use crate::config::GeneratorConfig;
use crate::error::GeneratorError;
use crate::generator::{GenerateSummary, Generator};

/// Generates `config`'s traffic into `out`, one event per line in arrival order, and
/// returns what was written. Output is buffered here, so `out` may be a bare file.
pub fn write_ndjson(config: &GeneratorConfig, out: &mut impl Write) -> Result<GenerateSummary, GeneratorError> {
    let mut generator = Generator::new(config.clone())?;
    let mut writer = BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::with_capacity(1024);
    while generator.next_into(&mut line).is_some() {
        line.push(b'\n');
        writer.write_all(&line)?;
    }
    writer.flush()?;
    Ok(generator.summary())
}
