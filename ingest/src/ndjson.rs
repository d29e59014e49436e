//! NDJSON input: one record per line.
//!
//! Lines are framed with a hard cap on memory: a line longer than the record limit is not
//! buffered whole; its first `limit` bytes are kept for the dead letter and the rest is
//! skipped, so one giant line cannot exhaust memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use convolens_core::{Clock, DeadLetter, InvalidReason, RawRecord, SourcePosition};

use crate::IngestError;

/// One framed line.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadItem {
    Record(RawRecord),
    /// Longer than the record limit; `raw` holds its first `limit` bytes.
    Oversized(DeadLetter),
}

/// Counts the bytes read from the underlying (possibly compressed) file, for progress.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub struct NdjsonReader {
    label: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    max_record_bytes: usize,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
    blank_lines: u64,
    clock: Arc<dyn Clock>,
}

impl NdjsonReader {
    /// Opens `path` (`-` for standard input); `.gz` and `.zst` are decompressed.
    pub fn open(path: &str, max_record_bytes: usize, clock: Arc<dyn Clock>) -> Result<Self, IngestError> {
        let bytes_read = Arc::new(AtomicU64::new(0));
        let open_error = |source| IngestError::Open {
            path: path.to_string(),
            source,
        };
        let (raw, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
            (Box::new(io::stdin()), None)
        } else {
            let file = File::open(path).map_err(open_error)?;
            let len = file.metadata().ok().map(|m| m.len());
            (Box::new(file), len)
        };
        let counted = BufReader::with_capacity(
            256 * 1024,
            CountingReader {
                inner: raw,
                count: Arc::clone(&bytes_read),
            },
        );
        let reader: Box<dyn BufRead + Send> = if path.ends_with(".gz") {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                flate2::bufread::MultiGzDecoder::new(counted),
            ))
        } else if path.ends_with(".zst") {
            let decoder = zstd::stream::read::Decoder::with_buffer(counted).map_err(open_error)?;
            Box::new(BufReader::with_capacity(256 * 1024, decoder))
        } else {
            Box::new(counted)
        };
        Ok(NdjsonReader {
            label: Arc::from(path),
            reader,
            line: 0,
            max_record_bytes,
            bytes_read,
            total_bytes,
            blank_lines: 0,
            clock,
        })
    }

    /// Size of the input file on disk, when known (not for stdin).
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// Bytes consumed from the file on disk so far (compressed bytes for `.gz`/`.zst`).
    pub fn progress_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bytes_read)
    }

    /// Lines that were empty or only white space; they are skipped, not dead-lettered.
    pub fn blank_lines(&self) -> u64 {
        self.blank_lines
    }

    /// Reads up to `max` non-blank lines into `out`; returns how many were added
    /// (0 at end of input).
    pub fn read_batch(&mut self, max: usize, out: &mut Vec<ReadItem>) -> Result<usize, IngestError> {
        let mut added = 0;
        let mut buf = Vec::new();
        while added < max {
            buf.clear();
            let Some(full_len) = self.read_line(&mut buf)? else {
                break;
            };
            self.line += 1;
            if buf.iter().all(u8::is_ascii_whitespace) && full_len == buf.len() {
                self.blank_lines += 1;
                continue;
            }
            let position = SourcePosition::file(&self.label, self.line);
            let received_at = self.clock.now();
            if full_len > self.max_record_bytes {
                out.push(ReadItem::Oversized(DeadLetter {
                    raw: std::mem::take(&mut buf),
                    reason: InvalidReason::TooLarge {
                        bytes: full_len,
                        limit: self.max_record_bytes,
                    },
                    position,
                    received_at,
                }));
            } else {
                out.push(ReadItem::Record(RawRecord {
                    // `read_line` sized it to the line: taken, not copied again.
                    bytes: std::mem::take(&mut buf),
                    position,
                    received_at,
                }));
            }
            added += 1;
        }
        Ok(added)
    }

    /// Reads one line without its terminator into `buf`, keeping at most
    /// `max_record_bytes` of it. Returns the line's full length, or None at end of input.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> Result<Option<usize>, IngestError> {
        let mut full_len = 0usize;
        let mut saw_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(IngestError::Read {
                        path: self.label.to_string(),
                        line: self.line + 1,
                        source,
                    });
                }
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            let room = self.max_record_bytes.saturating_sub(buf.len());
            let kept = &chunk[..chunk.len().min(room)];
            if buf.is_empty() && done.is_some() {
                // The whole line is buffered: one allocation of its exact size, which the
                // record keeps.
                buf.reserve_exact(kept.len());
            }
            buf.extend_from_slice(kept);
            full_len += chunk.len();
            let consumed = done.unwrap_or(chunk.len());
            self.reader.consume(consumed);
            if done.is_some() {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        if buf.last() == Some(&b'\r') && full_len == buf.len() {
            buf.pop();
            full_len -= 1;
        }
        Ok(Some(full_len))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use convolens_core::{ManualClock, Timestamp};

    use super::*;

    fn clock() -> Arc<dyn Clock> {
        Arc::new(ManualClock::new(Timestamp(1)))
    }

    fn read_all(path: &str, limit: usize) -> Vec<ReadItem> {
        let mut reader = NdjsonReader::open(path, limit, clock()).expect("open");
        let mut out = Vec::new();
        while reader.read_batch(3, &mut out).expect("read") > 0 {}
        out
    }

    fn lines_of(items: &[ReadItem]) -> Vec<(u64, Vec<u8>)> {
        items
            .iter()
            .map(|item| match item {
                ReadItem::Record(r) => match &r.position {
                    SourcePosition::File { line, .. } => (*line, r.bytes.clone()),
                    SourcePosition::Kafka { .. } => unreachable!("file source"),
                },
                ReadItem::Oversized(d) => (0, d.raw.clone()),
            })
            .collect()
    }

    #[test]
    fn frames_lines_with_positions_skipping_blank_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.ndjson");
        std::fs::write(&path, b"{\"a\":1}\r\n\n   \n{\"b\":2}\n{\"c\":3}").expect("write");
        let items = read_all(path.to_str().expect("utf8 path"), 1024);
        assert_eq!(
            lines_of(&items),
            vec![
                (1, b"{\"a\":1}".to_vec()),
                (4, b"{\"b\":2}".to_vec()),
                (5, b"{\"c\":3}".to_vec())
            ]
        );
    }

    #[test]
    fn lines_across_read_buffer_boundaries_arrive_whole_and_exact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("long.ndjson");
        // Lines of 1 byte to 700 KiB: some end exactly at, some span, some exceed the 256 KiB
        // read buffer; CRLF on every other one.
        let lengths = [1usize, 100_000, 262_143, 262_144, 300_000, 5, 700_000, 17];
        let lines: Vec<Vec<u8>> = lengths
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| b'a' + ((i + j) % 26) as u8).collect())
            .collect();
        let mut file = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            file.extend_from_slice(line);
            file.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
        }
        std::fs::write(&path, &file).expect("write");
        let items = read_all(path.to_str().expect("utf8 path"), 1 << 20);
        let expected: Vec<(u64, Vec<u8>)> = lines.into_iter().enumerate().map(|(i, l)| (i as u64 + 1, l)).collect();
        assert_eq!(lines_of(&items), expected);
    }

    #[test]
    fn oversized_lines_are_cut_at_the_limit_and_reported_with_their_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.ndjson");
        let big = "x".repeat(10_000);
        std::fs::write(&path, format!("{big}\n{{}}\n")).expect("write");
        let items = read_all(path.to_str().expect("utf8 path"), 100);
        assert_eq!(items.len(), 2);
        match &items[0] {
            ReadItem::Oversized(d) => {
                assert_eq!(d.raw.len(), 100);
                assert_eq!(
                    d.reason,
                    InvalidReason::TooLarge {
                        bytes: 10_000,
                        limit: 100
                    }
                );
            }
            other => panic!("expected oversized, got {other:?}"),
        }
        assert!(matches!(&items[1], ReadItem::Record(r) if r.bytes == b"{}"));
    }

    #[test]
    fn reads_gzip_and_zstd() {
        let dir = tempfile::tempdir().expect("tempdir");
        let body = b"{\"a\":1}\n{\"b\":2}\n";
        let gz = dir.path().join("in.ndjson.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).expect("create"), flate2::Compression::fast());
        enc.write_all(body).expect("gz write");
        enc.finish().expect("gz finish");
        let zst = dir.path().join("in.ndjson.zst");
        std::fs::write(&zst, zstd::encode_all(&body[..], 3).expect("zstd")).expect("write");
        for path in [gz, zst] {
            let items = read_all(path.to_str().expect("utf8 path"), 1024);
            assert_eq!(
                lines_of(&items),
                vec![(1, b"{\"a\":1}".to_vec()), (2, b"{\"b\":2}".to_vec())]
            );
        }
    }

    #[test]
    fn missing_file_is_an_open_error() {
        let result = NdjsonReader::open("/nonexistent/convolens.ndjson", 10, clock());
        assert!(matches!(result, Err(IngestError::Open { .. })));
    }
}
