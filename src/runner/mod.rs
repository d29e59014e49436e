//! Pipeline runners: wire sources, the pure transforms and the lake sink together.
//!
//! - [`file`]: NDJSON replay (`convolens ingest`), multi-threaded, bounded memory.
//! - [`stages`]: the per-record work shared by every runner (decode, redact, route).

pub mod file;
pub mod kafka;
mod kafka_drift;
mod kafka_flow;
mod partition;
pub mod stages;
