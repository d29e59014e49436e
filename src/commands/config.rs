//! Loading `pipelines.yaml` for the commands that use it.

use std::path::Path;

use anyhow::{Context, bail};
use convolens_core::spec::{Config, Pipeline, compile_str};

/// Reads and compiles a config file, with `${VAR}` taken from the process environment.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
    let config = compile_str(&text, &path.display().to_string(), &|name| std::env::var(name).ok())?;
    Ok(config)
}

/// The pipeline that settings-reading commands use: from `config` when given, else from
/// `pipelines.yaml` in the working directory when it exists; None means built-in defaults.
pub fn optional_pipeline(config: Option<&Path>, name: Option<&str>) -> anyhow::Result<Option<Pipeline>> {
    let default_config = Path::new("pipelines.yaml");
    let Some(path) = config.or(default_config.exists().then_some(default_config)) else {
        return Ok(None);
    };
    let loaded = load(path)?;
    Ok(Some(pick(&loaded, name, path)?.clone()))
}

/// The named pipeline, or the first one.
pub fn pick<'a>(config: &'a Config, name: Option<&str>, path: &Path) -> anyhow::Result<&'a Pipeline> {
    match name {
        Some(name) => match config.pipeline(name) {
            Some(pipeline) => Ok(pipeline),
            None => {
                let known: Vec<&str> = config.pipelines.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "no pipeline `{name}` in {} (it has: {})",
                    path.display(),
                    known.join(", ")
                )
            }
        },
        None => match config.pipelines.first() {
            Some(pipeline) => Ok(pipeline),
            None => bail!("{} defines no pipeline", path.display()),
        },
    }
}
