//! Integration tests: one binary (fast to link), one module per area. They drive the real
//! `convolens` binary end to end on real files and lakes.

mod broker;
mod browser;
mod cli;
mod drift;
mod drift_stream;
mod evaluate;
mod golden;
mod kafka;
mod readers;
mod reference;
mod support;
mod tansu;
