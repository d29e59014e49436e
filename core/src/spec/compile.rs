//! Raw spec → validated [`Config`], collecting every error with its location.
//! (Stub: to be completed.)

use std::fmt;

use super::Config;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// 1-based line and column; 0 when unknown.
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending key, e.g. `pipelines.support.sessionization.idle_timeout`.
    pub path: String,
    pub message: String,
}

/// Every problem found in a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors {
    pub file: String,
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}: {}", self.file, e.line, e.column, e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Parses and validates a `pipelines.yaml` text. `file` names it in errors; `env` looks
/// up `${VAR}` interpolations (injected so tests need not touch the process environment).
pub fn compile_str(_yaml: &str, _file: &str, _env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
    todo!("spec compiler")
}

/// JSON Schema of the file format, for editors.
pub fn json_schema() -> serde_json::Value {
    todo!("schema")
}
