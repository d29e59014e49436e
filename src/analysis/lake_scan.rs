//! A lake table's files read on every core at once, for commands that fold tens of
//! millions of rows into their own state (`calibrate`'s labelled pairs, `csat-drivers`'
//! answered conversations).
//!
//! A DataFusion stream decodes on its worker threads but hands every batch to the one
//! thread that consumes it, and at ten million predictions that consumer (hashing ids,
//! probing the label table) was the slowest stage. Here each core takes whole row groups
//! in turn and folds the batches it decoded itself, while they are still in its cache.
//! Columns with few distinct values can be read as dictionaries, so a fold maps each
//! distinct value once per batch instead of each row; a column that a row group's
//! statistics show to be entirely null is not read at all (Kafka positions in a lake
//! filled from files, and the reverse), and the fold sees it as missing, i.e. null.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, PrimitiveArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float64Type, Int32Type, Int64Type, Schema, TimeUnit, TimestampMicrosecondType,
};
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use datafusion::parquet::errors::ParquetError;

use crate::window::Window;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("listing {path}: {source}")]
    List { path: PathBuf, source: std::io::Error },
    #[error("reading {path}: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("reading {path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
    #[error("events column `{column}` is {found}, not text")]
    NotText { column: String, found: DataType },
    #[error("column `{column}` cannot be read as {wanted}: {source}")]
    Cast {
        column: &'static str,
        wanted: &'static str,
        source: datafusion::arrow::error::ArrowError,
    },
    #[error("a scan worker panicked")]
    Worker,
}

/// The columns a scan reads; `dictionary` ones (a subset) come as `Dictionary(Int32, Utf8)`.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub read: &'a [&'a str],
    pub dictionary: &'a [&'a str],
}

struct ScanFile {
    path: PathBuf,
    metadata: ArrowReaderMetadata,
}

/// The files of a lake table's `date=` partitions that a window's days can be in, opened
/// (footers read) and ready to be read by row group.
pub struct LakeScan {
    files: Vec<ScanFile>,
    columns: Vec<String>,
    /// (file index, row group index), in file order.
    units: Vec<(usize, usize)>,
    batch_size: usize,
}

/// The `date=YYYY-MM-DD` directories under `table_dir` whose day can hold rows of
/// `window` (the same days the SQL views' partition predicate keeps), in date order.
fn day_dirs(table_dir: &Path, window: &Window) -> Result<Vec<PathBuf>, ScanError> {
    let list_error = |source| ScanError::List {
        path: table_dir.to_path_buf(),
        source,
    };
    let mut days = Vec::new();
    let entries = match std::fs::read_dir(table_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(list_error(e)),
    };
    for entry in entries {
        let entry = entry.map_err(list_error)?;
        let name = entry.file_name();
        let Some(day) = name
            .to_str()
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        if window.may_hold_day(day) && entry.path().is_dir() {
            days.push((day, entry.path()));
        }
    }
    days.sort();
    Ok(days.into_iter().map(|(_, path)| path).collect())
}

fn parquet_files(day: &Path) -> Result<Vec<PathBuf>, ScanError> {
    let entries = std::fs::read_dir(day).map_err(|source| ScanError::List {
        path: day.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| ScanError::List {
                path: day.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "parquet") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The file's own schema with the `dictionary` text columns read as dictionaries.
fn with_dictionaries(schema: &Schema, dictionary: &[&str]) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| {
            let wanted = dictionary.contains(&field.name().as_str());
            if wanted
                && matches!(
                    field.data_type(),
                    DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
                )
            {
                field.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                field.as_ref().clone()
            }
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

impl LakeScan {
    pub fn open(table_dir: &Path, window: &Window, columns: Columns<'_>) -> Result<Self, ScanError> {
        let mut files = Vec::new();
        let mut units = Vec::new();
        for day in day_dirs(table_dir, window)? {
            for path in parquet_files(&day)? {
                let file = File::open(&path).map_err(|source| ScanError::Open {
                    path: path.clone(),
                    source,
                })?;
                let parquet_error = |source| ScanError::Parquet {
                    path: path.clone(),
                    source,
                };
                let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(parquet_error)?;
                let schema = with_dictionaries(plain.schema(), columns.dictionary);
                let options = ArrowReaderOptions::new().with_schema(Arc::new(schema));
                let metadata =
                    ArrowReaderMetadata::try_new(plain.metadata().clone(), options).map_err(parquet_error)?;
                let index = files.len();
                units.extend((0..metadata.metadata().num_row_groups()).map(|group| (index, group)));
                files.push(ScanFile { path, metadata });
            }
        }
        Ok(LakeScan {
            files,
            columns: columns.read.iter().map(|c| c.to_string()).collect(),
            units,
            batch_size: 8192,
        })
    }

    /// Reads every row group on all cores; each worker folds the batches it read into its
    /// own state, made by `init`. Returns the states in worker order.
    pub fn fold<S, E>(
        &self,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, &RecordBatch) -> Result<(), E> + Sync,
    ) -> Result<Vec<S>, E>
    where
        S: Send,
        E: From<ScanError> + Send,
    {
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(self.units.len().max(1));
        let next = AtomicUsize::new(0);
        let work = || -> Result<S, E> {
            let mut state = init();
            loop {
                let unit = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(file, group)) = self.units.get(unit) else {
                    return Ok(state);
                };
                let folded = self
                    .read(file, group)
                    .map_err(E::from)
                    .and_then(|mut batches| batches.try_for_each(|batch| fold(&mut state, &batch?)));
                if let Err(e) = folded {
                    // The others stop at their next row group instead of reading the rest.
                    next.store(self.units.len(), Ordering::Relaxed);
                    return Err(e);
                }
            }
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            let mut states = vec![work()?];
            for handle in handles {
                states.push(handle.join().map_err(|_| E::from(ScanError::Worker))??);
            }
            Ok(states)
        })
    }

    /// A reader of one row group's columns that hold a value (the others are absent from
    /// the batches).
    fn read(
        &self,
        file: usize,
        group: usize,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, ScanError>> + use<'_>, ScanError> {
        let scan_file = &self.files[file];
        let path = &scan_file.path;
        let descriptor = scan_file.metadata.parquet_schema();
        let row_group = scan_file.metadata.metadata().row_group(group);
        let all_null = |leaf: usize| {
            row_group.column(leaf).statistics().and_then(|s| s.null_count_opt()) == Some(row_group.num_rows() as u64)
        };
        let leaves: Vec<usize> = (0..descriptor.num_columns())
            .filter(|&leaf| self.columns.contains(&descriptor.column(leaf).path().string()) && !all_null(leaf))
            .collect();
        let input = File::open(path).map_err(|source| ScanError::Open {
            path: path.clone(),
            source,
        })?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(input, scan_file.metadata.clone())
            .with_row_groups(vec![group])
            .with_projection(ProjectionMask::leaves(descriptor, leaves))
            .with_batch_size(self.batch_size)
            .build()
            .map_err(|source| ScanError::Parquet {
                path: path.clone(),
                source,
            })?;
        Ok(reader.map(move |batch| {
            batch.map_err(|e| ScanError::Parquet {
                path: path.clone(),
                source: e.into(),
            })
        }))
    }
}

/// A primitive column of `batch` cast to `to` (of Arrow type `T`), or `None` when the row
/// group had none (missing or all null). The lake's own types come back without a copy.
fn primitive<T: ArrowPrimitiveType>(
    batch: &RecordBatch,
    name: &'static str,
    to: &DataType,
    wanted: &'static str,
) -> Result<Option<PrimitiveArray<T>>, ScanError> {
    let Some(array) = batch.column_by_name(name) else {
        return Ok(None);
    };
    let array = cast(array, to).map_err(|source| ScanError::Cast {
        column: name,
        wanted,
        source,
    })?;
    Ok(Some(array.as_primitive::<T>().clone()))
}

/// A timestamp column as UTC microseconds.
pub fn timestamps(batch: &RecordBatch, name: &'static str) -> Result<Option<TimestampMicrosecondArray>, ScanError> {
    let utc_micros = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    primitive::<TimestampMicrosecondType>(batch, name, &utc_micros, "a timestamp")
}

pub fn integers(batch: &RecordBatch, name: &'static str) -> Result<Option<Int64Array>, ScanError> {
    primitive::<Int64Type>(batch, name, &DataType::Int64, "an integer")
}

pub fn floats(batch: &RecordBatch, name: &'static str) -> Result<Option<Float64Array>, ScanError> {
    primitive::<Float64Type>(batch, name, &DataType::Float64, "a number")
}

pub fn booleans(batch: &RecordBatch, name: &'static str) -> Result<Option<BooleanArray>, ScanError> {
    let Some(array) = batch.column_by_name(name) else {
        return Ok(None);
    };
    let array = cast(array, &DataType::Boolean).map_err(|source| ScanError::Cast {
        column: name,
        wanted: "a boolean",
        source,
    })?;
    Ok(Some(array.as_boolean().clone()))
}

/// Row `i` of an optional column; `None` where null or missing.
pub fn value_at<T: ArrowPrimitiveType>(column: &Option<PrimitiveArray<T>>, i: usize) -> Option<T::Native> {
    column.as_ref().filter(|c| c.is_valid(i)).map(|c| c.value(i))
}

/// A text column read as a dictionary: per-row keys into a small array of values.
pub struct DictionaryText<'a> {
    pub keys: &'a Int32Array,
    pub values: &'a StringArray,
}

/// A text column of a batch as whatever the reader produced, or `None` when the row group
/// had none (missing or all null).
pub enum Text<'a> {
    Dictionary(DictionaryText<'a>),
    Utf8(&'a StringArray),
    View(&'a datafusion::arrow::array::StringViewArray),
}

impl<'a> Text<'a> {
    pub fn of(batch: &'a RecordBatch, name: &str) -> Result<Option<Self>, ScanError> {
        let Some(array) = batch.column_by_name(name) else {
            return Ok(None);
        };
        let text = match array.data_type() {
            DataType::Utf8 => Text::Utf8(array.as_string::<i32>()),
            DataType::Utf8View => Text::View(array.as_string_view()),
            DataType::Dictionary(key, value) if **key == DataType::Int32 && **value == DataType::Utf8 => {
                let dictionary = array.as_dictionary::<Int32Type>();
                Text::Dictionary(DictionaryText {
                    keys: dictionary.keys(),
                    values: dictionary.values().as_string::<i32>(),
                })
            }
            other => {
                return Err(ScanError::NotText {
                    column: name.to_string(),
                    found: other.clone(),
                });
            }
        };
        Ok(Some(text))
    }

    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(array) => array.is_valid(i).then(|| array.value(i)),
            Text::View(array) => array.is_valid(i).then(|| array.value(i)),
            Text::Dictionary(d) => d.keys.is_valid(i).then(|| d.values.value(d.keys.value(i) as usize)),
        }
    }
}

impl DictionaryText<'_> {
    /// Each dictionary value mapped once (`map` sees `None` for a null value).
    pub fn map_values<T>(&self, mut map: impl FnMut(Option<&str>) -> T) -> Vec<T> {
        (0..self.values.len())
            .map(|v| map(self.values.is_valid(v).then(|| self.values.value(v))))
            .collect()
    }

    /// The row's key, `None` when the row is null.
    pub fn key(&self, i: usize) -> Option<usize> {
        self.keys.is_valid(i).then(|| self.keys.value(i) as usize)
    }
}

/// Strings to dense indices (intents, model names, file names: few distinct values), with
/// xxh3 rather than std's slower SipHash.
#[derive(Default, Clone)]
pub struct Interner {
    index: hashbrown::HashTable<u32>,
    pub values: Vec<String>,
}

impl Interner {
    pub fn intern(&mut self, value: &str) -> u32 {
        let hash = xxhash_rust::xxh3::xxh3_64(value.as_bytes());
        let values = &mut self.values;
        if let Some(&id) = self.index.find(hash, |&id| values[id as usize] == value) {
            return id;
        }
        let id = values.len() as u32;
        values.push(value.to_string());
        self.index.insert_unique(hash, id, |&id| {
            xxhash_rust::xxh3::xxh3_64(values[id as usize].as_bytes())
        });
        id
    }
}

/// The interned id of each row's value of `text` (`None` for nulls), taking the shared
/// interner's lock once per batch; a dictionary column costs one lookup per distinct value.
pub fn intern_rows(text: Option<&Text<'_>>, rows: usize, interner: &std::sync::Mutex<Interner>) -> Vec<Option<u32>> {
    let Some(text) = text else {
        return vec![None; rows];
    };
    let mut interner = interner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match text {
        Text::Dictionary(d) => {
            let ids = d.map_values(|v| v.map(|s| interner.intern(s)));
            (0..rows).map(|i| d.key(i).and_then(|k| ids[k])).collect()
        }
        plain => (0..rows).map(|i| plain.get(i).map(|s| interner.intern(s))).collect(),
    }
}

/// A hasher for keys that are already uniform digests (xxh3-128 of ids): their low 64
/// bits are the hash, instead of SipHashing them again for every probe.
#[derive(Default, Clone, Copy)]
pub struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys are meant; anything else still hashes, just less well.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, digest: u128) {
        self.0 = digest as u64;
    }
}

/// A map keyed by a 128-bit digest.
pub type DigestMap<V> = std::collections::HashMap<u128, V, std::hash::BuildHasherDefault<DigestHasher>>;

/// Each row's value of `text` hashed with xxh3-64 (0 for nulls), once per distinct value
/// of a dictionary column: a seed that makes a second column's hash a hash of the pair.
pub fn row_seeds(text: &Text<'_>, rows: usize) -> Vec<u64> {
    let hash = |v: Option<&str>| v.map_or(0, |s| xxhash_rust::xxh3::xxh3_64(s.as_bytes()));
    match text {
        Text::Dictionary(d) => {
            let seeds = d.map_values(hash);
            (0..rows).map(|i| d.key(i).map_or(0, |k| seeds[k])).collect()
        }
        plain => (0..rows).map(|i| hash(plain.get(i))).collect(),
    }
}

/// Whether each row's value of `text` is `wanted` (false for nulls and a missing column).
pub fn rows_equal(text: Option<&Text<'_>>, rows: usize, wanted: &str) -> Vec<bool> {
    match text {
        None => vec![false; rows],
        Some(Text::Dictionary(d)) => {
            let equal = d.map_values(|v| v == Some(wanted));
            (0..rows).map(|i| d.key(i).is_some_and(|k| equal[k])).collect()
        }
        Some(plain) => (0..rows).map(|i| plain.get(i) == Some(wanted)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::ArrayRef;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;

    /// Two row groups: offsets all null in the first, set in the second.
    fn write_day(lake: &Path, day: &str, types: [&str; 4], offsets: [Option<i64>; 4]) {
        let dir = lake.join(format!("date={day}"));
        std::fs::create_dir_all(&dir).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("event_type", DataType::Utf8, false),
            Field::new("source_offset", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(types.to_vec())) as ArrayRef,
                Arc::new(Int64Array::from(offsets.to_vec())),
            ],
        )
        .unwrap();
        let file = File::create(dir.join("a.parquet")).unwrap();
        let properties = WriterProperties::builder().set_max_row_group_row_count(Some(2)).build();
        let mut writer = ArrowWriter::try_new(file, schema, Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn reads_the_window_days_with_dictionaries_and_skips_all_null_row_groups() {
        let lake = tempfile::tempdir().unwrap();
        let types = ["a", "b", "a", "a"];
        write_day(lake.path(), "2026-11-01", types, [None, None, Some(7), None]);
        write_day(lake.path(), "2026-11-02", types, [Some(1), Some(2), Some(3), Some(4)]);
        std::fs::create_dir_all(lake.path().join("_tmp")).unwrap();
        let columns = Columns {
            read: &["event_type", "source_offset"],
            dictionary: &["event_type"],
        };
        let window: Window = "2026-11-01..2026-11-02".parse().unwrap();
        let scan = LakeScan::open(lake.path(), &window, columns).unwrap();
        // Per row: (is type "a", offset), and whether the offset column was read at all.
        let states = scan
            .fold(Vec::new, |seen: &mut Vec<(bool, Option<i64>, bool)>, batch| {
                let text = Text::of(batch, "event_type")?;
                assert!(matches!(text, Some(Text::Dictionary(_))));
                let is_a = rows_equal(text.as_ref(), batch.num_rows(), "a");
                let offsets = batch.column_by_name("source_offset");
                for (i, a) in is_a.into_iter().enumerate() {
                    let offset = offsets.and_then(|o| {
                        let o = o.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                        o.is_valid(i).then(|| o.value(i))
                    });
                    seen.push((a, offset, offsets.is_some()));
                }
                Ok::<_, ScanError>(())
            })
            .unwrap();
        let mut rows: Vec<_> = states.into_iter().flatten().collect();
        rows.sort_by_key(|&(a, offset, read)| (offset, a, read));
        // Both days are in the window (its end day is kept, as the SQL partition
        // predicate keeps it); the all-null row group is not read.
        let mut expected = vec![
            (true, None, false),
            (false, None, false),
            (true, None, true),
            (true, Some(1), true),
            (false, Some(2), true),
            (true, Some(3), true),
            (true, Some(4), true),
            (true, Some(7), true),
        ];
        expected.sort_by_key(|&(a, offset, read)| (offset, a, read));
        assert_eq!(rows, expected);

        let later: Window = "2026-11-02T06:00:00Z..".parse().unwrap();
        let scan = LakeScan::open(lake.path(), &later, columns).unwrap();
        let counts = scan
            .fold(
                || 0usize,
                |n: &mut usize, batch| {
                    *n += batch.num_rows();
                    Ok::<_, ScanError>(())
                },
            )
            .unwrap();
        assert_eq!(counts.iter().sum::<usize>(), 4, "only the second day is read");
    }
}
