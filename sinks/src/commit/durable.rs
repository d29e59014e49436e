//! File-system primitives whose effects survive a crash or power loss once they return.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::Path;

use crate::SinkError;

/// Writes `bytes` to `path` (created or truncated) and syncs the file's data.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let mut file = File::create(path).map_err(SinkError::io(path))?;
    file.write_all(bytes).map_err(SinkError::io(path))?;
    file.sync_all().map_err(SinkError::io(path))
}

/// Makes the entries of `dir` (creations, renames, links) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), SinkError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(SinkError::io(dir))
}

/// Creates `dir` and its missing parents; when any was created, syncs each directory from
/// `dir` up to and including `root`, so that the new entries survive a power loss.
pub(crate) fn create_dir_synced(dir: &Path, root: &Path) -> Result<(), SinkError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(SinkError::io(dir))?;
    let mut current = Some(dir);
    while let Some(level) = current {
        sync_dir(level)?;
        if level == root {
            break;
        }
        current = level.parent();
    }
    Ok(())
}

/// Whether `path` exists, telling "absent" apart from "cannot tell" (an I/O error).
pub(crate) fn exists(path: &Path) -> Result<bool, SinkError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(SinkError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Deletes a file; `Ok(false)` when it was already gone.
pub(crate) fn remove_if_exists(path: &Path) -> Result<bool, SinkError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(SinkError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Names of the entries of `dir`; an absent directory has none. Names that are not UTF-8
/// are skipped: the commit log and the lake writer only make UTF-8 names.
pub(crate) fn file_names(dir: &Path) -> Result<Vec<String>, SinkError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(SinkError::Io {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(SinkError::io(dir))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}
