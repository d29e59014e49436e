//! One table's rolling, date-partitioned Parquet files.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use convolens_core::Timestamp;
use convolens_core::spec::LakeFileSettings;
use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::metadata::KeyValue;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;

use super::{TMP_DIR_NAME, Table, partition_dir_name, tmp_dir};
use crate::SinkError;

/// Rows per Parquet row group: small enough to bound the writer's memory per open file.
const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Open files per table; more distinct days at once close the least recently used.
const MAX_OPEN_PARTITIONS: usize = 8;
/// Ending of a file's name under `_tmp/`; see [`tmp_file_name`].
const TMP_SUFFIX: &str = ".parquet.inprogress";

/// What happens to a file when it rolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Publish {
    /// Renamed into its partition at once (the file path: `ingest`).
    #[default]
    Immediate,
    /// Kept complete under `_tmp/` until a commit log publishes it together with the input
    /// offsets it covers (the Kafka path, exactly once).
    Staged,
}

/// A file that has been renamed into the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub table: Table,
    pub path: PathBuf,
    pub epoch_day: i32,
    pub rows: u64,
    pub bytes: u64,
}

/// A complete, synced file kept under `_tmp/` until a commit renames it into its
/// partition. Paths are relative to the lake, so that a manifest stays valid wherever the
/// lake is mounted and whichever spelling of its path the process was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub table: Table,
    /// `_tmp/<table>-<file prefix>-<seq>.parquet.inprogress`
    pub tmp_path: PathBuf,
    /// `<table>/date=YYYY-MM-DD/<file prefix>-<seq>.parquet`
    pub final_path: PathBuf,
    pub epoch_day: i32,
    pub rows: u64,
    pub bytes: u64,
}

/// `<table>-<file prefix>-<seq>.parquet.inprogress`: the name of a file under `_tmp/`.
fn tmp_file_name(table: Table, file_name_stem: &str) -> String {
    format!("{}-{}{}", table.name(), file_name_stem, TMP_SUFFIX)
}

/// The table and the writer's file prefix of a name made by [`tmp_file_name`], or `None`
/// for any other name. The commit log uses it to find its partition's orphaned files.
pub(crate) fn parse_tmp_file_name(name: &str) -> Option<(Table, &str)> {
    let stem = name.strip_suffix(TMP_SUFFIX)?;
    let (table, rest) = Table::ALL.into_iter().find_map(|table| {
        stem.strip_prefix(table.name())
            .and_then(|r| r.strip_prefix('-'))
            .map(|r| (table, r))
    })?;
    let (prefix, seq) = rest.rsplit_once('-')?;
    let is_seq = !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit());
    (is_seq && !prefix.is_empty()).then_some((table, prefix))
}

struct OpenFile {
    writer: ArrowWriter<BufWriter<File>>,
    /// Both relative to the lake.
    tmp_path: PathBuf,
    final_path: PathBuf,
    rows: u64,
    opened_at: Timestamp,
    last_write: u64,
}

pub struct TableWriter {
    table: Table,
    lake: PathBuf,
    settings: LakeFileSettings,
    /// Unique per writer run, so files of different runs never collide.
    file_prefix: String,
    publish: Publish,
    next_seq: u64,
    write_counter: u64,
    open: BTreeMap<i32, OpenFile>,
    written: Vec<WrittenFile>,
    staged: Vec<StagedFile>,
    properties: WriterProperties,
}

impl TableWriter {
    /// A writer that renames each file into the lake when it rolls.
    pub fn new(lake: &Path, table: Table, settings: LakeFileSettings, file_prefix: String) -> Result<Self, SinkError> {
        Self::with_publish(lake, table, settings, file_prefix, Publish::Immediate)
    }

    pub fn with_publish(
        lake: &Path,
        table: Table,
        settings: LakeFileSettings,
        file_prefix: String,
        publish: Publish,
    ) -> Result<Self, SinkError> {
        fs::create_dir_all(tmp_dir(lake)).map_err(SinkError::io(tmp_dir(lake)))?;
        fs::create_dir_all(table.dir(lake)).map_err(SinkError::io(table.dir(lake)))?;
        let plain = table.distinct_valued_columns().iter();
        let properties = plain.fold(WriterProperties::builder(), |builder, column| {
            builder.set_column_dictionary_enabled(ColumnPath::from(*column), false)
        });
        let properties = (table.free_text_columns().iter())
            .fold(properties, |builder, column| {
                builder.set_column_statistics_enabled(ColumnPath::from(*column), EnabledStatistics::None)
            })
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_key_value_metadata(Some(vec![
                KeyValue::new("convolens.table".to_string(), table.name().to_string()),
                KeyValue::new("convolens.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
            ]))
            .build();
        Ok(TableWriter {
            table,
            lake: lake.to_path_buf(),
            settings,
            file_prefix,
            publish,
            next_seq: 0,
            write_counter: 0,
            open: BTreeMap::new(),
            written: Vec::new(),
            staged: Vec::new(),
            properties,
        })
    }

    pub fn table(&self) -> Table {
        self.table
    }

    /// Appends rows of one day; rolls the file when it reaches the row or byte limit.
    pub fn write(&mut self, epoch_day: i32, batch: &RecordBatch, now: Timestamp) -> Result<(), SinkError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.open.contains_key(&epoch_day) {
            if self.open.len() >= MAX_OPEN_PARTITIONS {
                self.close_least_recent()?;
            }
            let file = self.open_file(epoch_day, now)?;
            self.open.insert(epoch_day, file);
        }
        self.write_counter += 1;
        let counter = self.write_counter;
        let max_rows = self.settings.max_rows as u64;
        let max_bytes = self.settings.max_bytes;
        let Some(file) = self.open.get_mut(&epoch_day) else {
            return Ok(());
        };
        file.writer.write(batch).map_err(|source| SinkError::Parquet {
            path: self.lake.join(&file.tmp_path),
            source,
        })?;
        file.rows += batch.num_rows() as u64;
        file.last_write = counter;
        let size = (file.writer.bytes_written() + file.writer.in_progress_size()) as u64;
        if file.rows >= max_rows || size >= max_bytes {
            self.close(epoch_day)?;
        }
        Ok(())
    }

    /// Closes files that have been open longer than `max_age`, so that results become
    /// visible within a bounded time in streaming mode.
    pub fn roll_expired(&mut self, now: Timestamp) -> Result<(), SinkError> {
        let max_age = self.settings.max_age;
        let expired: Vec<i32> = self
            .open
            .iter()
            .filter(|(_, f)| now >= f.opened_at.saturating_add(max_age))
            .map(|(day, _)| *day)
            .collect();
        for day in expired {
            self.close(day)?;
        }
        Ok(())
    }

    /// Closes every open file. Finishing a file encodes its last row group, the bulk of a
    /// flush, and files are independent: with several open (one per day of a backfill) they
    /// are finished on a thread each, then published in day order. On an error the files
    /// that did finish are still published, and the first error is returned.
    pub fn close_all(&mut self) -> Result<(), SinkError> {
        if self.open.len() <= 1 {
            let days: Vec<i32> = self.open.keys().copied().collect();
            return days.into_iter().try_for_each(|day| self.close(day));
        }
        let open = std::mem::take(&mut self.open);
        let lake = self.lake.as_path();
        let finished: Vec<(i32, Result<FinishedFile, SinkError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = open
                .into_iter()
                .map(|(day, file)| (day, scope.spawn(move || finish_file(lake, file))))
                .collect();
            handles
                .into_iter()
                .map(|(day, handle)| {
                    let result = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (day, result)
                })
                .collect()
        });
        let mut first_error = None;
        for (day, result) in finished {
            if let Err(error) = result.and_then(|file| self.publish_finished(day, file)) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Files renamed into the lake since the last call (always empty when staged).
    pub fn take_written(&mut self) -> Vec<WrittenFile> {
        std::mem::take(&mut self.written)
    }

    /// Files closed and kept under `_tmp/` since the last call (always empty when
    /// publishing immediately).
    pub fn take_staged(&mut self) -> Vec<StagedFile> {
        std::mem::take(&mut self.staged)
    }

    pub fn open_files(&self) -> usize {
        self.open.len()
    }

    fn open_file(&mut self, epoch_day: i32, now: Timestamp) -> Result<OpenFile, SinkError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let stem = format!("{}-{:06}", self.file_prefix, seq);
        let tmp_path = Path::new(TMP_DIR_NAME).join(tmp_file_name(self.table, &stem));
        let final_path = Path::new(self.table.name())
            .join(partition_dir_name(epoch_day))
            .join(format!("{stem}.parquet"));
        let absolute_tmp = self.lake.join(&tmp_path);
        let file = File::create(&absolute_tmp).map_err(SinkError::io(&absolute_tmp))?;
        let writer = ArrowWriter::try_new(BufWriter::new(file), self.table.schema(), Some(self.properties.clone()))
            .map_err(|source| SinkError::Parquet {
                path: absolute_tmp.clone(),
                source,
            })?;
        Ok(OpenFile {
            writer,
            tmp_path,
            final_path,
            rows: 0,
            opened_at: now,
            last_write: 0,
        })
    }

    fn close_least_recent(&mut self) -> Result<(), SinkError> {
        let oldest = self.open.iter().min_by_key(|(_, f)| f.last_write).map(|(day, _)| *day);
        match oldest {
            Some(day) => self.close(day),
            None => Ok(()),
        }
    }

    fn close(&mut self, epoch_day: i32) -> Result<(), SinkError> {
        let Some(file) = self.open.remove(&epoch_day) else {
            return Ok(());
        };
        let finished = finish_file(&self.lake, file)?;
        self.publish_finished(epoch_day, finished)
    }

    /// Records a finished file as staged, or renames it into the lake.
    fn publish_finished(&mut self, epoch_day: i32, file: FinishedFile) -> Result<(), SinkError> {
        let FinishedFile {
            tmp_path: relative_tmp,
            final_path: relative_final,
            rows,
            bytes,
        } = file;
        let tmp_path = self.lake.join(&relative_tmp);
        if self.publish == Publish::Staged {
            tracing::debug!(table = self.table.name(), path = %tmp_path.display(), rows, bytes, "lake file staged");
            let table = self.table;
            self.staged.push(StagedFile {
                table,
                tmp_path: relative_tmp,
                final_path: relative_final,
                epoch_day,
                rows,
                bytes,
            });
            return Ok(());
        }
        let final_path = self.lake.join(&relative_final);
        if let Some(parent) = final_path.parent() {
            fs::create_dir_all(parent).map_err(SinkError::io(parent))?;
        }
        fs::rename(&tmp_path, &final_path).map_err(SinkError::io(&final_path))?;
        // Make the rename itself durable; a failure here is not worth failing the write.
        if let Some(parent) = final_path.parent()
            && let Ok(dir) = File::open(parent)
        {
            let _ = dir.sync_all();
        }
        tracing::debug!(table = self.table.name(), path = %final_path.display(), rows, bytes, "lake file committed");
        self.written.push(WrittenFile {
            table: self.table,
            path: final_path,
            epoch_day,
            rows,
            bytes,
        });
        Ok(())
    }
}

/// A file whose Parquet footer is written and whose bytes are on disk under `_tmp/`.
struct FinishedFile {
    /// Both relative to the lake.
    tmp_path: PathBuf,
    final_path: PathBuf,
    rows: u64,
    bytes: u64,
}

/// Encodes what the file still buffers, writes its footer and syncs it: everything of a
/// close but publishing, and independent of every other file.
fn finish_file(lake: &Path, file: OpenFile) -> Result<FinishedFile, SinkError> {
    let OpenFile {
        writer,
        tmp_path,
        final_path,
        rows,
        ..
    } = file;
    let absolute = lake.join(&tmp_path);
    let buffered = writer.into_inner().map_err(|source| SinkError::Parquet {
        path: absolute.clone(),
        source,
    })?;
    let handle = buffered.into_inner().map_err(|e| SinkError::Io {
        path: absolute.clone(),
        source: e.into_error(),
    })?;
    handle.sync_all().map_err(SinkError::io(&absolute))?;
    let bytes = handle.metadata().map_err(SinkError::io(&absolute))?.len();
    Ok(FinishedFile {
        tmp_path,
        final_path,
        rows,
        bytes,
    })
}
