//! All three tables of one lake, fed with typed rows.

use std::collections::BTreeMap;
use std::path::Path;

use convolens_core::spec::LakeFileSettings;
use convolens_core::{ConversationFacts, DeadLetter, Timestamp};

use super::{Publish, StagedFile, Table, TableWriter, WrittenFile};
use crate::SinkError;
use crate::schema::{LandedEvent, conversations_batch, dead_letters_batch, events_batch};

/// Counts of rows handed to the writer, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LakeWriterStats {
    pub events: u64,
    pub conversations: u64,
    pub dead_letters: u64,
    pub files: u64,
}

pub struct LakeWriter {
    events: TableWriter,
    conversations: TableWriter,
    dead_letters: TableWriter,
    stats: LakeWriterStats,
    written: Vec<WrittenFile>,
    staged: Vec<StagedFile>,
}

impl LakeWriter {
    /// A writer whose files are renamed into the lake as they roll.
    ///
    /// `file_prefix` must be unique per writer (for example run start time and process id).
    pub fn create(lake: &Path, settings: &LakeFileSettings, file_prefix: &str) -> Result<Self, SinkError> {
        Self::create_with(lake, settings, file_prefix, Publish::Immediate)
    }

    /// A writer whose rolled files stay under `_tmp/` until a
    /// [`CommitLog`](crate::commit::CommitLog) publishes them with the offsets they cover;
    /// collect them with [`LakeWriter::take_staged`].
    ///
    /// `file_prefix` must be unique per writer and name the input partition, because
    /// recovery finds a partition's orphaned files by it: build it with
    /// [`CommitLog::staged_file_prefix`](crate::commit::CommitLog::staged_file_prefix).
    pub fn create_staged(lake: &Path, settings: &LakeFileSettings, file_prefix: &str) -> Result<Self, SinkError> {
        Self::create_with(lake, settings, file_prefix, Publish::Staged)
    }

    fn create_with(
        lake: &Path,
        settings: &LakeFileSettings,
        file_prefix: &str,
        publish: Publish,
    ) -> Result<Self, SinkError> {
        let table = |t: Table| TableWriter::with_publish(lake, t, settings.clone(), file_prefix.to_string(), publish);
        Ok(LakeWriter {
            events: table(Table::Events)?,
            conversations: table(Table::Conversations)?,
            dead_letters: table(Table::DeadLetters)?,
            stats: LakeWriterStats::default(),
            written: Vec::new(),
            staged: Vec::new(),
        })
    }

    pub fn write_events(&mut self, rows: &[LandedEvent], now: Timestamp) -> Result<(), SinkError> {
        for (day, day_rows) in group_by_day(rows, |r| r.event.occurred_at) {
            let batch = events_batch(day_rows)?;
            self.events.write(day, &batch, now)?;
        }
        self.stats.events += rows.len() as u64;
        self.collect();
        Ok(())
    }

    pub fn write_facts(&mut self, rows: &[ConversationFacts], now: Timestamp) -> Result<(), SinkError> {
        for (day, day_rows) in group_by_day(rows, |f| f.closed_at) {
            let batch = conversations_batch(day_rows, now)?;
            self.conversations.write(day, &batch, now)?;
        }
        self.stats.conversations += rows.len() as u64;
        self.collect();
        Ok(())
    }

    pub fn write_dead_letters(&mut self, rows: &[DeadLetter], now: Timestamp) -> Result<(), SinkError> {
        for (day, day_rows) in group_by_day(rows, |d| d.received_at) {
            let batch = dead_letters_batch(day_rows)?;
            self.dead_letters.write(day, &batch, now)?;
        }
        self.stats.dead_letters += rows.len() as u64;
        self.collect();
        Ok(())
    }

    /// Rolls files older than the configured age.
    pub fn roll_expired(&mut self, now: Timestamp) -> Result<(), SinkError> {
        self.events.roll_expired(now)?;
        self.conversations.roll_expired(now)?;
        self.dead_letters.roll_expired(now)?;
        self.collect();
        Ok(())
    }

    /// Closes every open file; afterwards everything handed over is in the lake (or, for a
    /// staged writer, in the files returned by [`LakeWriter::take_staged`]).
    ///
    /// The three tables close at once: a close ends with an fsync, and waiting for them one
    /// after another made up much of a final flush.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        let (events, conversations) = (&mut self.events, &mut self.conversations);
        let results = std::thread::scope(|scope| {
            let closing = [
                scope.spawn(|| events.close_all()),
                scope.spawn(|| conversations.close_all()),
            ];
            let dead_letters = self.dead_letters.close_all();
            let mut results: Vec<Result<(), SinkError>> = closing
                .into_iter()
                .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect();
            results.push(dead_letters);
            results
        });
        // What did close is published either way.
        self.collect();
        results.into_iter().collect()
    }

    pub fn stats(&self) -> LakeWriterStats {
        self.stats
    }

    /// Files committed since the last call.
    pub fn take_written(&mut self) -> Vec<WrittenFile> {
        std::mem::take(&mut self.written)
    }

    /// Staged files closed since the last call, in the order they were closed.
    pub fn take_staged(&mut self) -> Vec<StagedFile> {
        std::mem::take(&mut self.staged)
    }

    fn collect(&mut self) {
        for writer in [&mut self.events, &mut self.conversations, &mut self.dead_letters] {
            let files = writer.take_written();
            let staged = writer.take_staged();
            self.stats.files += (files.len() + staged.len()) as u64;
            self.written.extend(files);
            self.staged.extend(staged);
        }
    }
}

/// Splits rows by the UTC day of a timestamp, keeping their order within a day.
fn group_by_day<T>(rows: &[T], time: impl Fn(&T) -> Timestamp) -> BTreeMap<i32, Vec<&T>> {
    let mut days: BTreeMap<i32, Vec<&T>> = BTreeMap::new();
    for row in rows {
        days.entry(time(row).epoch_day()).or_default().push(row);
    }
    days
}
