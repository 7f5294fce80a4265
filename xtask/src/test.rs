//! `cargo xtask test`: the whole test suite, on a fresh machine too.
//!
//! Installs what the tests need and is not a Rust dependency, then runs
//! `cargo test --workspace --all-features` with any extra arguments.

use std::process::Command;

use anyhow::{Result, bail};

use crate::codegen::repo_root;

pub fn run(extra: &[String]) -> Result<()> {
    let root = repo_root();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args(["test", "--workspace", "--all-features"])
        .args(extra)
        .status()?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
