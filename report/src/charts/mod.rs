//! The chart kinds. Each is a pure function from plain structs to an [`crate::Svg`].

mod overlay;
mod reliability;
mod rows;
mod timeline;

#[cfg(test)]
mod tests;

pub use overlay::{MAX_OVERLAY_BINS, OverlayBin, histogram_overlay};
pub use reliability::{ReliabilityBin, reliability_diagram};
pub use rows::{IntervalBar, MAX_ROWS, bar_list, horizontal_bars_with_intervals};
pub use timeline::{SeriesPoint, timeline};
