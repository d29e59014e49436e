//! One commit as a sequence of steps, each durable when it returns, so that a crash
//! between any two of them is recoverable and tests can stop between any two of them.

use std::fs;
use std::io::ErrorKind;

use super::CommitOutcome;
use super::durable::{create_dir_synced, exists, remove_if_exists, sync_dir, write_synced};
use super::log::{CommitLog, publish_file, sync_published_dirs};
use super::manifest::Manifest;
use super::names::{manifest_name, manifest_tmp_name, state_tmp_name};
use crate::SinkError;
use crate::lake::{StagedFile, WrittenFile, tmp_dir};

/// The steps of a commit, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStep {
    /// Write the state file (temporary name, fsync, rename) and make the staged files'
    /// directory entries durable.
    WriteState,
    /// Write the manifest under a temporary name and fsync it; refuse if a commit with this
    /// or a later sequence number exists.
    StageManifest,
    /// Publish the manifest under its final name without replacing: the commit point.
    Publish,
    /// Rename the staged file with this index into its partition.
    Rename(usize),
    /// Make the renames durable.
    SyncDirs,
    /// Delete manifests and state files older than the last K commits.
    Prune,
}

/// A commit under way; see [`CommitLog::begin`].
pub struct CommitInProgress<'a> {
    log: &'a mut CommitLog,
    manifest: Manifest,
    files: Vec<StagedFile>,
    state: &'a [u8],
    next: Option<CommitStep>,
}

impl<'a> CommitInProgress<'a> {
    pub(super) fn new(log: &'a mut CommitLog, manifest: Manifest, files: Vec<StagedFile>, state: &'a [u8]) -> Self {
        CommitInProgress {
            log,
            manifest,
            files,
            state,
            next: Some(CommitStep::WriteState),
        }
    }

    pub fn seq(&self) -> u64 {
        self.manifest.seq
    }

    /// The step [`CommitInProgress::step`] will take next; `None` when the commit is done.
    pub fn next_step(&self) -> Option<CommitStep> {
        self.next
    }

    /// Takes the next step and returns it (`None`: nothing left to do).
    pub fn step(&mut self) -> Result<Option<CommitStep>, SinkError> {
        let Some(step) = self.next else { return Ok(None) };
        match step {
            CommitStep::WriteState => self.write_state()?,
            CommitStep::StageManifest => self.stage_manifest()?,
            CommitStep::Publish => self.publish()?,
            CommitStep::Rename(index) => self.rename(index)?,
            CommitStep::SyncDirs => sync_published_dirs(&self.log.lake, &self.files)?,
            CommitStep::Prune => self.prune(),
        }
        self.next = self.after(step);
        if self.next.is_none() {
            self.log.unfinished = false;
        }
        Ok(Some(step))
    }

    /// Takes the remaining steps.
    pub fn finish(mut self) -> Result<CommitOutcome, SinkError> {
        while self.step()?.is_some() {}
        let lake = &self.log.lake;
        let published = self
            .files
            .iter()
            .map(|f| WrittenFile {
                table: f.table,
                path: lake.join(&f.final_path),
                epoch_day: f.epoch_day,
                rows: f.rows,
                bytes: f.bytes,
            })
            .collect();
        Ok(CommitOutcome {
            seq: self.manifest.seq,
            next_offset: self.manifest.next_offset,
            published,
        })
    }

    fn after(&self, step: CommitStep) -> Option<CommitStep> {
        let first_rename = if self.files.is_empty() {
            CommitStep::SyncDirs
        } else {
            CommitStep::Rename(0)
        };
        match step {
            CommitStep::WriteState => Some(CommitStep::StageManifest),
            CommitStep::StageManifest => Some(CommitStep::Publish),
            CommitStep::Publish => Some(first_rename),
            CommitStep::Rename(index) if index + 1 < self.files.len() => Some(CommitStep::Rename(index + 1)),
            CommitStep::Rename(_) => Some(CommitStep::SyncDirs),
            CommitStep::SyncDirs => Some(CommitStep::Prune),
            CommitStep::Prune => None,
        }
    }

    fn write_state(&self) -> Result<(), SinkError> {
        let dir = &self.log.dir;
        create_dir_synced(dir, &self.log.lake)?;
        let tmp = dir.join(state_tmp_name(self.manifest.seq, &self.log.token));
        let path = dir.join(&self.manifest.state.file);
        write_synced(&tmp, self.state)?;
        fs::rename(&tmp, &path).map_err(SinkError::io(&path))?;
        sync_dir(dir)?;
        if !self.files.is_empty() {
            // The staged files were synced when they closed; their names in `_tmp/` must be
            // durable too before a manifest may point at them.
            sync_dir(&tmp_dir(&self.log.lake))?;
        }
        Ok(())
    }

    fn stage_manifest(&mut self) -> Result<(), SinkError> {
        let tmp = self.log.dir.join(manifest_tmp_name(self.manifest.seq, &self.log.token));
        write_synced(&tmp, &self.manifest.encode(&tmp)?)?;
        // Manifests older than the newest are pruned away, so the link alone cannot notice
        // a process that is several commits ahead (this one being a zombie). Checked here,
        // not at the link, so that the link's own refusal is what settles a close race.
        if self
            .log
            .newest_manifest()?
            .is_some_and(|newest| newest >= self.manifest.seq)
        {
            return Err(self.lose_race());
        }
        Ok(())
    }

    /// The commit point. `hard_link` fails when the name exists, which `rename` would
    /// silently replace: of two processes committing the same `seq`, exactly one wins.
    fn publish(&mut self) -> Result<(), SinkError> {
        let lake = &self.log.lake;
        for file in &self.files {
            let tmp = lake.join(&file.tmp_path);
            if !exists(&tmp)? {
                return Err(SinkError::StagedFileMissing { path: tmp });
            }
            let fin = lake.join(&file.final_path);
            if exists(&fin)? {
                return Err(SinkError::FinalFileExists { path: fin });
            }
        }
        let seq = self.manifest.seq;
        let tmp = self.log.dir.join(manifest_tmp_name(seq, &self.log.token));
        let path = self.log.dir.join(manifest_name(seq));
        self.log.unfinished = true;
        match fs::hard_link(&tmp, &path) {
            Ok(()) => {}
            // NotFound: another process pruned our temporary manifest, so it is past `seq`.
            Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::NotFound) => {
                return Err(self.lose_race());
            }
            Err(e) => {
                // A failed link changed nothing; the commit may simply be retried.
                self.log.unfinished = false;
                return Err(SinkError::Io { path, source: e });
            }
        }
        if let Err(e) = remove_if_exists(&tmp) {
            tracing::warn!(error = %e, "temporary manifest left behind; pruning deletes it");
        }
        sync_dir(&self.log.dir)?;
        if self.log.newest_manifest()?.is_some_and(|newest| newest > seq) {
            // Published below a newer commit (our `seq` had been pruned): recovery would never
            // use it, and renaming its files would duplicate rows. Withdraw it.
            remove_if_exists(&path)?;
            return Err(self.lose_race());
        }
        self.log.last_seq = seq;
        Ok(())
    }

    /// Cleans up this commit's own files after another process won `seq` and returns the
    /// conflict. The staged data files are left for the caller to abort.
    fn lose_race(&mut self) -> SinkError {
        self.log.unfinished = true;
        let seq = self.manifest.seq;
        let own = [
            manifest_tmp_name(seq, &self.log.token),
            self.manifest.state.file.clone(),
        ];
        for name in own {
            if let Err(e) = remove_if_exists(&self.log.dir.join(name)) {
                tracing::warn!(error = %e, "could not clean up after a commit conflict");
            }
        }
        tracing::warn!(log = %self.log.dir.display(), seq, "commit conflict: another process committed first");
        SinkError::CommitConflict {
            log: self.log.dir.clone(),
            seq,
        }
    }

    fn rename(&self, index: usize) -> Result<(), SinkError> {
        let Some(file) = self.files.get(index) else {
            return Ok(());
        };
        let tmp = self.log.lake.join(&file.tmp_path);
        let fin = self.log.lake.join(&file.final_path);
        if !exists(&tmp)? && exists(&fin)? {
            return Ok(());
        }
        publish_file(&tmp, &fin)
    }

    /// Pruning is housekeeping after a durable commit; failing the commit for it would make
    /// the runner redo work that is already done.
    fn prune(&self) {
        if let Err(e) = self.log.prune(self.manifest.seq) {
            tracing::warn!(log = %self.log.dir.display(), error = %e, "pruning old commits failed");
        }
    }
}
