//! [`CommitLog`]: one input partition's commits, their recovery and their pruning.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use convolens_core::Timestamp;

use super::durable::{exists, file_names, remove_if_exists, sync_dir};
use super::manifest::{FORMAT_VERSION, Identity, Manifest, ManifestFile, StateRef, checksum, corrupt};
use super::names::{LogFile, check_path_component, classify, is_run_name, manifest_name, state_name};
use super::steps::CommitInProgress;
use super::{CommitOutcome, Committed};
use crate::SinkError;
use crate::lake::{StagedFile, TMP_DIR_NAME, Table, parse_tmp_file_name, tmp_dir};

/// Commits kept by default: the latest is the only one recovery needs; the others are for
/// people inspecting what happened.
pub const DEFAULT_KEEP_COMMITS: usize = 5;

/// The commit log of one (pipeline, topic, partition), in
/// `LAKE/_convolens/commits/<pipeline>/<topic>/<partition>/`. See the [module
/// docs](super) for the protocol.
#[derive(Debug)]
pub struct CommitLog {
    pub(super) lake: PathBuf,
    pub(super) dir: PathBuf,
    pipeline: String,
    topic: String,
    partition: i32,
    keep: usize,
    /// Unique per instance: names this instance's temporary and state files.
    pub(super) token: String,
    /// The newest commit this instance knows of (0: none).
    pub(super) last_seq: u64,
    /// A commit passed (or may have passed) its commit point without finishing; only
    /// [`CommitLog::recover`] may continue.
    pub(super) unfinished: bool,
}

impl CommitLog {
    /// A handle on the log; touches nothing on disk. `pipeline` may not contain `.` (pipeline
    /// names never do), so that staged file prefixes stay unambiguous.
    pub fn new(lake: &Path, pipeline: &str, topic: &str, partition: i32) -> Result<Self, SinkError> {
        check_path_component("pipeline", pipeline)?;
        if pipeline.contains('.') {
            let value = pipeline.to_string();
            return Err(SinkError::InvalidCommitInput {
                what: "pipeline",
                value,
                reason: "must not contain `.`",
            });
        }
        check_path_component("topic", topic)?;
        if partition < 0 {
            let value = partition.to_string();
            return Err(SinkError::InvalidCommitInput {
                what: "partition",
                value,
                reason: "must not be negative",
            });
        }
        let dir = lake
            .join("_convolens")
            .join("commits")
            .join(pipeline)
            .join(topic)
            .join(partition.to_string());
        Ok(CommitLog {
            lake: lake.to_path_buf(),
            dir,
            pipeline: pipeline.to_string(),
            topic: topic.to_string(),
            partition,
            keep: DEFAULT_KEEP_COMMITS,
            token: super::names::unique_token(),
            last_seq: 0,
            unfinished: false,
        })
    }

    /// Keeps the manifests (and state files) of the last `commits` commits, at least one.
    pub fn keep_last(mut self, commits: usize) -> Self {
        self.keep = commits.max(1);
        self
    }

    /// The partition's commit directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sequence number of the newest commit known to this instance (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The `file_prefix` for this partition's [`LakeWriter::create_staged`]:
    /// `<pipeline>.<topic>.<partition>.<run>`.
    ///
    /// `run` (`A-Z a-z 0-9 _ -`, no `.`) must be unique per writer: a new writer after a
    /// restart or a re-initialisation of the partition needs a new `run`, or its files
    /// would take names already in the lake (the commit refuses with
    /// [`SinkError::FinalFileExists`]). Recovery deletes `_tmp/` files with this
    /// partition's prefix that no manifest references, so no other writer may use it.
    ///
    /// [`LakeWriter::create_staged`]: crate::lake::LakeWriter::create_staged
    pub fn staged_file_prefix(&self, run: &str) -> Result<String, SinkError> {
        if !is_run_name(run) {
            let value = run.to_string();
            return Err(SinkError::InvalidCommitInput {
                what: "run",
                value,
                reason: "must be 1+ of A-Z a-z 0-9 _ -",
            });
        }
        Ok(format!("{}.{run}", self.partition_prefix()))
    }

    /// `true` when `file` is a staged file of this partition, with well-formed paths.
    pub fn owns(&self, file: &StagedFile) -> bool {
        let mut tmp = file.tmp_path.components();
        let tmp_name = match (tmp.next(), tmp.next(), tmp.next()) {
            (Some(dir), Some(name), None) if dir.as_os_str() == TMP_DIR_NAME => name.as_os_str().to_str(),
            _ => None,
        };
        let mut fin = file.final_path.components();
        let final_ok = match (fin.next(), fin.next(), fin.next(), fin.next()) {
            (Some(table), Some(_partition), Some(name), None) => {
                table.as_os_str() == file.table.name()
                    && name.as_os_str().to_str().is_some_and(|n| n.ends_with(".parquet"))
            }
            _ => false,
        };
        final_ok && tmp_name.and_then(|name| self.owned_tmp_table(name)) == Some(file.table)
    }

    /// Recovers the partition at assignment, before its writer is created: completes the
    /// latest commit, deletes this partition's staged files that no commit references
    /// (left by a crash before a commit point), prunes old commits, and returns the latest
    /// commit's offset and state (`None`: nothing committed yet, start from the beginning
    /// or the consumer group's hint).
    pub fn recover(&mut self) -> Result<Option<Committed>, SinkError> {
        let latest = self.newest_manifest()?;
        let Some(seq) = latest else {
            self.delete_orphans(&[])?;
            self.last_seq = 0;
            self.unfinished = false;
            return Ok(None);
        };
        let (manifest, files) = self.read_manifest(seq)?;
        let state = self.read_state(&manifest)?;
        self.complete_renames(&files)?;
        // Only the latest manifest can have files still under `_tmp/`: a commit starts only
        // after the previous one finished or was completed here.
        self.delete_orphans(&files)?;
        self.prune(seq)?;
        self.last_seq = seq;
        self.unfinished = false;
        tracing::info!(log = %self.dir.display(), seq, next_offset = manifest.next_offset, "commit log recovered");
        Ok(Some(Committed {
            seq,
            next_offset: manifest.next_offset,
            state,
        }))
    }

    /// Commits `staged` (files of this partition's staged writer, closed), the offset after
    /// the input they cover and the processor state at that offset, atomically. On
    /// [`SinkError::CommitConflict`] the staged files are left for [`CommitLog::abort`].
    pub fn commit(
        &mut self,
        staged: &[StagedFile],
        next_offset: i64,
        state: &[u8],
        now: Timestamp,
    ) -> Result<CommitOutcome, SinkError> {
        self.begin(staged, next_offset, state, now)?.finish()
    }

    /// [`CommitLog::commit`] one step at a time, for callers (and crash tests) that need to
    /// stop between steps. Dropping the result part-way is what a crash does: the next
    /// [`CommitLog::recover`] completes or forgets the commit.
    pub fn begin<'a>(
        &'a mut self,
        staged: &[StagedFile],
        next_offset: i64,
        state: &'a [u8],
        now: Timestamp,
    ) -> Result<CommitInProgress<'a>, SinkError> {
        if self.unfinished {
            return Err(SinkError::CommitUnfinished { log: self.dir.clone() });
        }
        if next_offset < 0 {
            let value = next_offset.to_string();
            return Err(SinkError::InvalidCommitInput {
                what: "next_offset",
                value,
                reason: "must not be negative",
            });
        }
        let Some(seq) = self.last_seq.checked_add(1) else {
            return Err(corrupt(&self.dir, "commit sequence numbers exhausted".to_string()));
        };
        let mut tmp_paths = HashSet::new();
        let mut final_paths = HashSet::new();
        let mut files = Vec::with_capacity(staged.len());
        for file in staged {
            let entry = ManifestFile::from_staged(file).filter(|_| self.owns(file));
            let Some(entry) = entry else {
                let value = file.tmp_path.display().to_string();
                let reason = "not a staged file of this partition (see CommitLog::staged_file_prefix)";
                return Err(SinkError::InvalidCommitInput {
                    what: "staged file",
                    value,
                    reason,
                });
            };
            if !tmp_paths.insert(&file.tmp_path) || !final_paths.insert(&file.final_path) {
                let value = file.tmp_path.display().to_string();
                return Err(SinkError::InvalidCommitInput {
                    what: "staged file",
                    value,
                    reason: "listed twice",
                });
            }
            files.push(entry);
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            seq,
            pipeline: self.pipeline.clone(),
            topic: self.topic.clone(),
            partition: self.partition,
            next_offset,
            state: StateRef {
                file: state_name(seq, &self.token),
                len: state.len() as u64,
                xxh3_64: checksum(state),
            },
            files,
            created_at: now.to_rfc3339(),
        };
        Ok(CommitInProgress::new(self, manifest, staged.to_vec(), state))
    }

    /// Deletes staged files that will not be committed (after a conflict, or on revoke when
    /// the runner gives the partition up without committing).
    pub fn abort(&self, files: &[StagedFile]) -> Result<(), SinkError> {
        for file in files {
            if !self.owns(file) {
                let value = file.tmp_path.display().to_string();
                let reason = "not a staged file of this partition";
                return Err(SinkError::InvalidCommitInput {
                    what: "staged file",
                    value,
                    reason,
                });
            }
            remove_if_exists(&self.lake.join(&file.tmp_path))?;
        }
        Ok(())
    }

    fn partition_prefix(&self) -> String {
        format!("{}.{}.{}", self.pipeline, self.topic, self.partition)
    }

    /// The table of a `_tmp/` file name that belongs to this partition's writers.
    fn owned_tmp_table(&self, name: &str) -> Option<Table> {
        let (table, prefix) = parse_tmp_file_name(name)?;
        let (partition, run) = prefix.rsplit_once('.')?;
        (partition == self.partition_prefix() && is_run_name(run)).then_some(table)
    }

    pub(super) fn newest_manifest(&self) -> Result<Option<u64>, SinkError> {
        let names = file_names(&self.dir)?;
        Ok(names
            .iter()
            .filter_map(|name| match classify(name) {
                LogFile::Manifest(seq) => Some(seq),
                _ => None,
            })
            .max())
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            pipeline: &self.pipeline,
            topic: &self.topic,
            partition: self.partition,
        }
    }

    fn read_manifest(&self, seq: u64) -> Result<(Manifest, Vec<StagedFile>), SinkError> {
        let path = self.dir.join(manifest_name(seq));
        let bytes = fs::read(&path).map_err(SinkError::io(&path))?;
        Manifest::decode(&bytes, &path, seq, &self.identity())
    }

    /// The state bytes of a manifest, verified. A mismatch is a hard error: the state was
    /// synced before the manifest was published, so it can only be damage.
    fn read_state(&self, manifest: &Manifest) -> Result<Vec<u8>, SinkError> {
        let path = self.dir.join(&manifest.state.file);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(corrupt(path, "state file of the latest commit is missing".to_string()));
            }
            Err(e) => return Err(SinkError::Io { path, source: e }),
        };
        if bytes.len() as u64 != manifest.state.len {
            let reason = format!("state has {} bytes, manifest says {}", bytes.len(), manifest.state.len);
            return Err(corrupt(path, reason));
        }
        let actual = checksum(&bytes);
        if actual != manifest.state.xxh3_64 {
            let reason = format!("state checksum {actual}, manifest says {}", manifest.state.xxh3_64);
            return Err(corrupt(path, reason));
        }
        Ok(bytes)
    }

    /// Renames whatever of a committed manifest's files is still staged; idempotent.
    fn complete_renames(&self, files: &[StagedFile]) -> Result<(), SinkError> {
        let mut renamed = 0usize;
        for file in files {
            let tmp = self.lake.join(&file.tmp_path);
            let fin = self.lake.join(&file.final_path);
            match (exists(&tmp)?, exists(&fin)?) {
                (true, false) => {
                    publish_file(&tmp, &fin)?;
                    renamed += 1;
                }
                (false, true) => {}
                (true, true) => {
                    let reason = format!("{} is both staged and published", file.final_path.display());
                    return Err(corrupt(&self.dir, reason));
                }
                (false, false) => {
                    let reason = format!(
                        "committed file {} exists neither staged nor published",
                        file.final_path.display()
                    );
                    return Err(corrupt(&self.dir, reason));
                }
            }
        }
        if renamed > 0 {
            sync_published_dirs(&self.lake, files)?;
            tracing::info!(log = %self.dir.display(), renamed, "completed an interrupted commit");
        }
        Ok(())
    }

    /// Deletes `_tmp/` files of this partition that `committed` does not list.
    fn delete_orphans(&self, committed: &[StagedFile]) -> Result<(), SinkError> {
        let tmp = tmp_dir(&self.lake);
        let keep: HashSet<&Path> = committed.iter().map(|f| f.tmp_path.as_path()).collect();
        let mut deleted = 0usize;
        for name in file_names(&tmp)? {
            let relative = Path::new(TMP_DIR_NAME).join(&name);
            if self.owned_tmp_table(&name).is_some() && !keep.contains(relative.as_path()) {
                deleted += usize::from(remove_if_exists(&tmp.join(&name))?);
            }
        }
        if deleted > 0 {
            tracing::info!(log = %self.dir.display(), deleted, "deleted uncommitted staged files");
        }
        Ok(())
    }

    /// Keeps the last `keep` manifests up to `latest` and the state files they reference;
    /// deletes older manifests, unreferenced state files and temporary files up to
    /// `latest`. Files of later sequence numbers belong to a commit that may be in flight in
    /// another process and are left alone.
    pub(super) fn prune(&self, latest: u64) -> Result<(), SinkError> {
        let names = file_names(&self.dir)?;
        let mut manifests: Vec<u64> = names
            .iter()
            .filter_map(|name| match classify(name) {
                LogFile::Manifest(seq) if seq <= latest => Some(seq),
                _ => None,
            })
            .collect();
        manifests.sort_unstable();
        let kept = manifests.split_off(manifests.len().saturating_sub(self.keep));
        let mut referenced = HashSet::new();
        // A kept manifest that cannot be read protects every state file of its seq.
        let mut unreadable = HashSet::new();
        for &seq in &kept {
            match self.read_manifest(seq) {
                Ok((manifest, _)) => referenced.insert(manifest.state.file),
                Err(_) => unreadable.insert(seq),
            };
        }
        for seq in manifests {
            remove_if_exists(&self.dir.join(manifest_name(seq)))?;
        }
        for name in &names {
            let obsolete = match classify(name) {
                LogFile::State(seq) => seq <= latest && !unreadable.contains(&seq) && !referenced.contains(name),
                LogFile::Tmp(seq) => seq <= latest,
                LogFile::Manifest(_) | LogFile::Other => false,
            };
            if obsolete {
                remove_if_exists(&self.dir.join(name))?;
            }
        }
        Ok(())
    }
}

/// Renames a staged file into its partition directory, creating it if needed.
pub(super) fn publish_file(tmp: &Path, fin: &Path) -> Result<(), SinkError> {
    if let Some(parent) = fin.parent() {
        fs::create_dir_all(parent).map_err(SinkError::io(parent))?;
    }
    fs::rename(tmp, fin).map_err(SinkError::io(fin))
}

/// Makes the renames of `files` durable: their partition directories, the table
/// directories that may have gained a partition, and `_tmp/`.
pub(super) fn sync_published_dirs(lake: &Path, files: &[StagedFile]) -> Result<(), SinkError> {
    if files.is_empty() {
        return Ok(());
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for file in files {
        let partition = file.final_path.parent().map(|p| lake.join(p));
        let table = file.final_path.parent().and_then(Path::parent).map(|p| lake.join(p));
        for dir in [partition, table].into_iter().flatten() {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs.push(tmp_dir(lake));
    for dir in dirs {
        sync_dir(&dir)?;
    }
    Ok(())
}
