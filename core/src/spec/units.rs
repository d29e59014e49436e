//! Durations (`30m`) and sizes (`1MiB`).
