//! convolens-report: self-contained HTML reports with inline SVG charts, for the calibration,
//! CSAT-driver and drift sections that ML engineers and support leads read.
//!
//! - [`Page`] → [`Section`] → [`Block`]: one HTML5 document with inline CSS, a header, a
//!   table of contents and the sections. No script, no font, no request: it opens offline,
//!   prints cleanly and can be attached to a ticket.
//! - Charts, each a pure function returning an [`Svg`]: [`reliability_diagram`],
//!   [`histogram_overlay`], [`horizontal_bars_with_intervals`], [`timeline`], [`bar_list`].
//!
//! Inputs are plain structs of this crate ([`ReliabilityBin`], [`OverlayBin`],
//! [`IntervalBar`], [`SeriesPoint`]); the binary converts evaluator and drift results into
//! them, so this crate depends on nothing. Every caller string is escaped, any input renders
//! (empty input as a "No data" chart, non-finite values skipped), and output is
//! deterministic: numbers are written with fixed precision and no clock is read.

mod charts;
mod escape;
mod num;
mod page;
mod svg;

#[cfg(test)]
mod xml_check;

pub use charts::{
    IntervalBar, MAX_OVERLAY_BINS, MAX_ROWS, OverlayBin, ReliabilityBin, SeriesPoint, bar_list, histogram_overlay,
    horizontal_bars_with_intervals, reliability_diagram, timeline,
};
pub use escape::escape;
pub use page::{Block, Cell, Page, Section, Severity};
pub use svg::Svg;
