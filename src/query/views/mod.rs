//! The SQL views of INTERFACE.md, defined once and registered on every SQL surface.

mod calibration;
mod drift;
mod drivers;
mod kpi;

pub use drift::DRIFT_METRICS_REVISIONS;
pub use drivers::DRIVERS;

/// The UTC day of a conversation's close: conversation-level results are dated by it.
const CLOSED_DAY: &str = "CAST(date_trunc('day', closed_at) AS DATE)";

/// Every view, in dependency order.
pub fn all() -> Vec<(&'static str, String)> {
    let mut views = kpi::all();
    views.extend(calibration::all());
    views.extend(drivers::all());
    views.push(drift::drift_metrics());
    views
}
