//! convolens-core: the vocabulary every other crate speaks.
//!
//! - [`event`]: the decoded, validated conversation event of `EVENTS.md` ([`Event`], [`Payload`]).
//! - [`position`]: where a raw record came from ([`SourcePosition`], [`RawRecord`]).
//! - [`dead_letter`]: why an input was rejected ([`DeadLetter`], [`InvalidReason`]).
//! - [`facts`]: one version of a conversation's facts (METRICS §1, [`ConversationFacts`]).
//! - [`time`]: UTC microsecond [`Timestamp`]s and the injected [`Clock`].
//! - [`spec`]: `pipelines.yaml`, parsed then compiled into a validated [`spec::Config`].
//!
//! This crate has no I/O beyond reading a config string and no heavy dependencies, so
//! changing it never rebuilds the query or Kafka stack more than necessary.

pub mod dead_letter;
pub mod error;
pub mod event;
pub mod facts;
pub mod position;
pub mod spec;
pub mod time;

pub use dead_letter::{DeadLetter, InvalidReason};
pub use error::{CoreError, ErrorClass};
pub use event::{Actor, Channel, Disposition, EndedBy, Event, HandoffReason, Payload, RankedIntent};
pub use facts::ConversationFacts;
pub use position::{RawRecord, SourcePosition};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
