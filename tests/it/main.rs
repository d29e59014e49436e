//! Integration tests: one binary (fast to link), one module per area. They drive the real
//! `convolens` binary end to end on real files and lakes.

mod cli;
mod golden;
mod kafka;
mod readers;
mod reference;
mod support;
