//! The manifest of one commit: which staged files it publishes, the offset after them and
//! the processor state that goes with that offset. JSON, so that an operator can read it.
//!
//! ```json
//! { "format_version": 1, "seq": 7, "pipeline": "support", "topic": "events", "partition": 3,
//!   "next_offset": 120345,
//!   "state": { "file": "state-00000000000000000007-….bin", "len": 5120, "xxh3_64": "9f…" },
//!   "files": [ { "table": "events", "tmp_path": "_tmp/events-….parquet.inprogress",
//!                "final_path": "events/date=2026-11-02/….parquet",
//!                "epoch_day": 20759, "rows": 4096, "bytes": 181234 } ],
//!   "created_at": "2026-11-02T10:00:00.000000Z" }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::names::{LogFile, classify, parse_relative_path, relative_path_text};
use crate::SinkError;
use crate::lake::{StagedFile, Table};

/// Bumped on any change a reader of an older version would misread.
pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format_version: u32,
    pub seq: u64,
    pub pipeline: String,
    pub topic: String,
    pub partition: i32,
    /// The first input offset not covered by this and earlier commits.
    pub next_offset: i64,
    pub state: StateRef,
    pub files: Vec<ManifestFile>,
    /// Processing time of the commit, RFC 3339; for people, never read back.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateRef {
    /// File name in the same directory as the manifest.
    pub file: String,
    pub len: u64,
    /// xxh3 (64 bit) of the state bytes, 16 lowercase hex digits.
    pub xxh3_64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ManifestFile {
    pub table: String,
    /// Relative to the lake, `/`-separated.
    pub tmp_path: String,
    pub final_path: String,
    pub epoch_day: i32,
    pub rows: u64,
    pub bytes: u64,
}

/// Which partition's log a manifest must belong to.
pub(crate) struct Identity<'a> {
    pub pipeline: &'a str,
    pub topic: &'a str,
    pub partition: i32,
}

pub(crate) fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

impl ManifestFile {
    pub(crate) fn from_staged(file: &StagedFile) -> Option<Self> {
        Some(ManifestFile {
            table: file.table.name().to_string(),
            tmp_path: relative_path_text(&file.tmp_path)?,
            final_path: relative_path_text(&file.final_path)?,
            epoch_day: file.epoch_day,
            rows: file.rows,
            bytes: file.bytes,
        })
    }

    fn to_staged(&self) -> Option<StagedFile> {
        let table = Table::ALL.into_iter().find(|t| t.name() == self.table)?;
        Some(StagedFile {
            table,
            tmp_path: parse_relative_path(&self.tmp_path)?,
            final_path: parse_relative_path(&self.final_path)?,
            epoch_day: self.epoch_day,
            rows: self.rows,
            bytes: self.bytes,
        })
    }
}

impl Manifest {
    pub(crate) fn encode(&self, path: &Path) -> Result<Vec<u8>, SinkError> {
        serde_json::to_vec_pretty(self).map_err(|e| corrupt(path, format!("cannot encode manifest: {e}")))
    }

    /// Parses and checks a manifest read from `path` (named for commit `seq`); returns it
    /// with its files as [`StagedFile`]s.
    pub(crate) fn decode(
        bytes: &[u8],
        path: &Path,
        seq: u64,
        identity: &Identity<'_>,
    ) -> Result<(Manifest, Vec<StagedFile>), SinkError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("unparsable manifest: {e}")))?;
        if manifest.format_version != FORMAT_VERSION {
            let reason = format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                manifest.format_version
            );
            return Err(corrupt(path, reason));
        }
        let belongs = manifest.seq == seq
            && manifest.pipeline == identity.pipeline
            && manifest.topic == identity.topic
            && manifest.partition == identity.partition;
        if !belongs {
            let reason = format!(
                "manifest is for commit {} of {}/{}/{}",
                manifest.seq, manifest.pipeline, manifest.topic, manifest.partition
            );
            return Err(corrupt(path, reason));
        }
        if classify(&manifest.state.file) != LogFile::State(seq) {
            return Err(corrupt(path, format!("state file name {:?}", manifest.state.file)));
        }
        let files = manifest
            .files
            .iter()
            .map(|f| f.to_staged().ok_or_else(|| corrupt(path, format!("file entry {f:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((manifest, files))
    }
}

pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: String) -> SinkError {
    SinkError::CommitLogCorrupt {
        path: path.into(),
        reason,
    }
}
