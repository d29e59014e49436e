//! convolens-transforms: the pure stages between a raw record and the lake.
//!
//! - [`decode`]: bytes → validated [`convolens_core::Event`] or an
//!   [`convolens_core::InvalidReason`] (EVENTS.md, "Invalid input").
//! - [`redact`]: PII redaction of free text ([`redact::Redactor`]).
//! - [`dedup`]: de-duplication by `event_id` with bounded memory ([`dedup::Deduplicator`]).
//! - [`session`]: event-time sessionisation into conversation facts (METRICS §1).
//! - [`processor`]: de-duplication and sessionisation wired together, the one stateful
//!   object the runners drive ([`processor::Processor`]).
//!
//! Nothing here does I/O or reads the wall clock: time comes from the events themselves.

pub mod decode;
pub mod dedup;
pub mod error;
pub mod processor;
pub mod redact;
pub mod session;

pub use error::TransformError;
