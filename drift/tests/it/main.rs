//! Integration tests of convolens-drift, one binary: numbers against the numpy/scipy/river
//! reference in `drift/reference/expected.json`, properties of the statistics, and the change
//! detectors on fixed-seed KPI series.

mod detectors;
mod fixture;
mod properties;
mod reference;
