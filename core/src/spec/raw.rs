//! The raw, serde-shaped spec.
