//! Exactly-once commits for the Kafka path: the lake's own commit log.
//!
//! Each assigned input partition has its own pipeline: a processor, a staged
//! [`LakeWriter`](crate::lake::LakeWriter::create_staged) whose rolled files stay under
//! `LAKE/_tmp/`, and a [`CommitLog`] in
//! `LAKE/_convolens/commits/<pipeline>/<topic>/<partition>/`. A commit makes the staged
//! files, the offset after the input they cover and the processor state at that offset
//! visible together ([`CommitLog::commit`], one [`CommitStep`] after the other):
//!
//! 1. the state bytes go to `state-<seq>-<token>.bin` (temporary name, fsync, rename);
//! 2. the manifest (`<seq:020>.json`: offset, state file with length and xxh3, files with
//!    their `_tmp/` and final paths, rows, bytes) is written under a temporary name and
//!    synced, then **published without replacing** (`hard_link`): the commit point. If the
//!    name exists another process committed that `seq` first: [`SinkError::CommitConflict`];
//! 3. the staged files are renamed into their partitions and the directories synced;
//! 4. manifests and state files older than the last K commits are deleted.
//!
//! [`CommitLog::recover`] (at assignment) takes the newest manifest, verifies its state,
//! finishes its renames, deletes this partition's staged files that it does not list (the
//! remains of a crash before a commit point) and returns the offset and state to resume
//! from. A crash anywhere therefore leaves either the previous commit (nothing of the new
//! one is visible; its files are deleted) or the new one (completed at recovery).
//!
//! Staged files are recognised by their name: the writer's file prefix is
//! `<pipeline>.<topic>.<partition>.<run>` ([`CommitLog::staged_file_prefix`]).
//!
//! [`SinkError::CommitConflict`]: crate::SinkError::CommitConflict

mod durable;
mod log;
mod manifest;
mod names;
mod steps;

pub use self::log::{CommitLog, DEFAULT_KEEP_COMMITS};
pub use self::steps::{CommitInProgress, CommitStep};

use crate::lake::WrittenFile;

/// The latest commit of a partition, as recovered: resume reading at `next_offset` with the
/// processor state `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub seq: u64,
    pub next_offset: i64,
    pub state: Vec<u8>,
}

/// A finished commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    pub seq: u64,
    pub next_offset: i64,
    /// The committed files, now in the lake.
    pub published: Vec<WrittenFile>,
}
