//! Change detectors for per-window KPI series (hundreds to thousands of points): each takes
//! one value at a time and says when the series' mean has moved. Parameters and state are
//! serde types, so a detector can be configured in `pipelines.yaml` and checkpointed.

mod adwin;
mod page_hinkley;

pub use adwin::{Adwin, AdwinParams};
pub use page_hinkley::{PageHinkley, PageHinkleyParams, Watch};

use serde::{Deserialize, Serialize};

/// Which way the mean moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

/// A detected change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// 0-based position, in everything the detector was fed, of the value that raised it.
    pub at: u64,
    /// Estimated position of the first value after the change.
    pub change_at: u64,
    pub direction: Direction,
    /// The detector's test statistic when it fired, and the bound it crossed.
    pub statistic: f64,
    pub threshold: f64,
}
