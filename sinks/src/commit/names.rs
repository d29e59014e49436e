//! Names of the commit log's files and of a partition's staged files, with their parsers.
//!
//! ```text
//! <seq:020>.json                         manifest of commit `seq` (published without replacing)
//! state-<seq:020>-<token>.bin            processor state of commit `seq`
//! <seq:020>.json.<token>.tmp             manifest being written
//! state-<seq:020>-<token>.bin.tmp        state being written
//! ```
//!
//! `token` is unique per [`CommitLog`](super::CommitLog) instance, so two processes that
//! race for the same `seq` never write to the same file before one of them wins.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::SinkError;

/// Zero-padded so that names sort by sequence number.
const SEQ_DIGITS: usize = 20;
const MANIFEST_SUFFIX: &str = ".json";
const STATE_PREFIX: &str = "state-";
const STATE_SUFFIX: &str = ".bin";
const TMP_SUFFIX: &str = ".tmp";

pub(crate) fn manifest_name(seq: u64) -> String {
    format!("{seq:020}{MANIFEST_SUFFIX}")
}

pub(crate) fn manifest_tmp_name(seq: u64, token: &str) -> String {
    format!("{seq:020}{MANIFEST_SUFFIX}.{token}{TMP_SUFFIX}")
}

pub(crate) fn state_name(seq: u64, token: &str) -> String {
    format!("{STATE_PREFIX}{seq:020}-{token}{STATE_SUFFIX}")
}

pub(crate) fn state_tmp_name(seq: u64, token: &str) -> String {
    format!("{}{TMP_SUFFIX}", state_name(seq, token))
}

/// What a file in a partition's commit directory is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFile {
    Manifest(u64),
    State(u64),
    /// A manifest or state file being written for commit `seq`.
    Tmp(u64),
    /// Not ours; left alone.
    Other,
}

pub(crate) fn classify(name: &str) -> LogFile {
    if name.ends_with(TMP_SUFFIX) {
        let body = name.strip_prefix(STATE_PREFIX).unwrap_or(name);
        return leading_seq(body).map_or(LogFile::Other, |(seq, _)| LogFile::Tmp(seq));
    }
    if let Some(body) = name
        .strip_prefix(STATE_PREFIX)
        .and_then(|b| b.strip_suffix(STATE_SUFFIX))
    {
        return match leading_seq(body) {
            Some((seq, rest)) if rest.len() > 1 && rest.starts_with('-') => LogFile::State(seq),
            _ => LogFile::Other,
        };
    }
    match name.strip_suffix(MANIFEST_SUFFIX).and_then(leading_seq) {
        Some((seq, "")) => LogFile::Manifest(seq),
        _ => LogFile::Other,
    }
}

/// The sequence number in the first [`SEQ_DIGITS`] characters, and the rest.
fn leading_seq(text: &str) -> Option<(u64, &str)> {
    let digits = text.get(..SEQ_DIGITS)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &text[SEQ_DIGITS..]))
}

/// Unique per call within this host: process id, a process-wide counter and the time.
pub(crate) fn unique_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{count}-{nanos:x}", std::process::id())
}

/// A name used as one directory level under `_convolens/commits/`.
pub(crate) fn check_path_component(what: &'static str, value: &str) -> Result<(), SinkError> {
    let invalid = |reason| {
        Err(SinkError::InvalidCommitInput {
            what,
            value: value.to_string(),
            reason,
        })
    };
    if value.is_empty() || value == "." || value == ".." {
        return invalid("must be a non-empty name other than `.` and `..`");
    }
    if value.contains(['/', '\\', '\0']) {
        return invalid("must not contain `/`, `\\` or NUL");
    }
    Ok(())
}

/// `true` for the characters a writer's `run` may use: no `.`, so that the partition part of
/// a staged file's prefix is everything before its last `.`.
pub(crate) fn is_run_name(run: &str) -> bool {
    !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A lake-relative path as stored in a manifest: `/`-separated normal components.
pub(crate) fn relative_path_text(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The inverse of [`relative_path_text`]; rejects anything that could leave the lake
/// (absolute paths, `..`), so a damaged manifest cannot make recovery rename outside it.
pub(crate) fn parse_relative_path(text: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for part in text.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains(['\\', '\0']) {
            return None;
        }
        path.push(part);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_classify_back_to_their_sequence_number() {
        let token = unique_token();
        assert_eq!(classify(&manifest_name(42)), LogFile::Manifest(42));
        assert_eq!(classify(&manifest_tmp_name(42, &token)), LogFile::Tmp(42));
        assert_eq!(classify(&state_name(u64::MAX, &token)), LogFile::State(u64::MAX));
        assert_eq!(classify(&state_tmp_name(7, &token)), LogFile::Tmp(7));
        for other in [
            "",
            "x.json",
            "0042.json",
            "state-0000.bin",
            "99999999999999999999.json",
            "README",
        ] {
            assert_eq!(classify(other), LogFile::Other, "{other}");
        }
    }

    #[test]
    fn relative_paths_round_trip_and_reject_escapes() {
        let path = Path::new("events").join("date=2026-11-02").join("a.parquet");
        let text = relative_path_text(&path);
        assert_eq!(text.as_deref(), Some("events/date=2026-11-02/a.parquet"));
        assert_eq!(text.as_deref().and_then(parse_relative_path), Some(path));
        for bad in ["", "/etc/passwd", "events/../../x", "a//b", "./a"] {
            assert_eq!(parse_relative_path(bad), None, "{bad}");
        }
        assert_eq!(relative_path_text(Path::new("/abs")), None);
        assert_eq!(relative_path_text(Path::new("a/../b")), None);
    }

    #[test]
    fn tokens_differ_between_calls() {
        assert_ne!(unique_token(), unique_token());
    }
}
