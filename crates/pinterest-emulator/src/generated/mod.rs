//! Written by `cargo xtask codegen` (`samples.rs`); this file is not.
#![allow(dead_code)]

pub mod samples;
