//! One integration-test binary (fast to link) for convolens-evaluators.
//!
//! - `reference`: every number against `reference/expected.json` (numpy, scipy, sklearn).
//! - `golden`: the worked example `shared/examples/small.*`, re-derived into
//!   `reference/golden_small.json`.
//! - `bin_edges`: the bin rule on every edge i/B, B = 1…100, and against a slow oracle.
//! - `properties`: proptest invariants (ECE in [0, 1], calibrated data look calibrated, …).
//! - `calibration_map`: fitting and the JSON artefact.

mod bin_edges;
mod calibration_map;
mod golden;
mod properties;
mod reference;
mod support;
