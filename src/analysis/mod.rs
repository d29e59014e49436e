//! Evaluations over the lake: read with SQL, compute with the pure crates
//! (`convolens_evaluators`, `convolens_drift`), hand plain results to the commands.

pub mod calibration;
pub mod columns;
pub mod drift;
pub mod drift_input;
pub mod drift_rows;
pub mod drift_stream;
pub mod drift_stream_start;
pub mod drift_windows;
pub mod driver_rows;
pub mod drivers;
pub mod label_table;
pub mod lake_scan;
pub mod latest;
pub mod pair_labels;
pub mod pairs;
