//! Integration tests of convolens-drift, one binary: numbers against the numpy/scipy/river
//! reference in `drift/reference/expected.json`, properties of the statistics, and the change
//! detectors on fixed-seed KPI series, the reference profile artefact, and the domain
//! classifier (sklearn's AUC, synthetic text and embedding windows).

mod classifier;
mod detectors;
mod fixture;
mod profile;
mod properties;
mod reference;
