//! Per-record work shared by the file and Kafka runners: decode and redact on worker
//! threads, then de-duplicate and sessionise in arrival order on one thread.

use convolens_core::{DeadLetter, InvalidReason, RawRecord, SourcePosition, Timestamp};
use convolens_sinks::LandedEvent;
use convolens_transforms::decode::{DecodeLimits, decode};
use convolens_transforms::processor::{Admission, Processor};
use convolens_transforms::redact::Redactor;

/// A record after decoding: a redacted event (with its raw bytes, kept in case it turns
/// out to be too late and must be dead-lettered) or a dead letter.
// Valid records are the common case and move through channels in chunks; boxing them
// would add an allocation per record for no gain.
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    Valid { event: LandedEvent, raw: Vec<u8> },
    Invalid(DeadLetter),
}

/// Decoding and redaction: pure, so it runs on any number of worker threads.
pub struct DecodeStage {
    limits: DecodeLimits,
    redactor: Redactor,
}

impl DecodeStage {
    pub fn new(limits: DecodeLimits, redactor: Redactor) -> Self {
        DecodeStage { limits, redactor }
    }

    pub fn decode(&self, record: RawRecord) -> Decoded {
        let RawRecord {
            bytes,
            position,
            received_at,
        } = record;
        match decode(&bytes, &self.limits) {
            Ok(mut event) => {
                self.redactor.redact_event(&mut event);
                Decoded::Valid {
                    event: LandedEvent {
                        event,
                        position,
                        received_at,
                    },
                    raw: bytes,
                }
            }
            Err(reason) => Decoded::Invalid(DeadLetter {
                raw: bytes,
                reason,
                position,
                received_at,
            }),
        }
    }
}

/// Counters of the ordered stage, reported in the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteCounts {
    pub records: u64,
    pub events: u64,
    pub duplicates: u64,
    pub dead_letters: u64,
    pub too_late: u64,
    pub unknown_types: u64,
}

/// What one ordered step produced for the sink.
#[derive(Default)]
pub struct Routed {
    pub events: Vec<LandedEvent>,
    pub dead_letters: Vec<DeadLetter>,
}

/// De-duplication and sessionisation, in arrival order.
pub struct RouteStage {
    pub processor: Processor,
    pub counts: RouteCounts,
}

impl RouteStage {
    pub fn new(processor: Processor) -> Self {
        RouteStage {
            processor,
            counts: RouteCounts::default(),
        }
    }

    pub fn route(&mut self, decoded: Decoded, out: &mut Routed) {
        self.counts.records += 1;
        match decoded {
            Decoded::Invalid(dead) => {
                self.counts.dead_letters += 1;
                out.dead_letters.push(dead);
            }
            Decoded::Valid { event: landed, raw } => match self.processor.admit(&landed.event) {
                Admission::Accepted => {
                    self.counts.events += 1;
                    if matches!(landed.event.payload, convolens_core::Payload::Unknown) {
                        self.counts.unknown_types += 1;
                    }
                    out.events.push(landed);
                }
                Admission::Duplicate => self.counts.duplicates += 1,
                Admission::TooLate => {
                    self.counts.too_late += 1;
                    self.counts.dead_letters += 1;
                    let watermark = self.processor.watermark().unwrap_or(Timestamp::MIN);
                    let LandedEvent {
                        event,
                        position,
                        received_at,
                    } = landed;
                    out.dead_letters
                        .push(too_late(raw, event.occurred_at, watermark, position, received_at));
                }
            },
        }
    }
}

fn too_late(
    raw: Vec<u8>,
    occurred_at: Timestamp,
    watermark: Timestamp,
    position: SourcePosition,
    received_at: Timestamp,
) -> DeadLetter {
    DeadLetter {
        raw,
        reason: InvalidReason::TooLate { occurred_at, watermark },
        position,
        received_at,
    }
}
