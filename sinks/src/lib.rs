//! convolens-sinks: the Parquet lake.
//!
//! - [`schema`]: the Arrow schemas of the lake tables (`events`, `conversations`,
//!   `dead_letters`) and the builders that turn typed rows into record batches.
//! - [`lake`]: Hive-partitioned (`date=YYYY-MM-DD`), zstd-compressed Parquet files, each
//!   written under `_tmp/` and renamed into place when rolled, so a reader never sees a
//!   partial file ([`lake::TableWriter`], [`lake::LakeWriter`]).
//! - [`commit`]: the Kafka path's exactly-once commit log ([`commit::CommitLog`]): staged
//!   files, the input offset after them and the processor state become visible together.
//!
//! Arrow and Parquet come through DataFusion's re-exports so that the versions agree with
//! the query engine that reads the lake back.

pub mod commit;
pub mod error;
pub mod lake;
pub mod schema;

pub use commit::{CommitLog, CommitOutcome, CommitStep, Committed};
pub use error::SinkError;
pub use lake::{LakeWriter, Publish, StagedFile, Table, TableWriter, WrittenFile};
pub use schema::{DriftMetricRow, LandedEvent, drift_metrics_batch};
