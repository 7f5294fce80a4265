//! `cargo xtask test`: the whole test suite, on a fresh machine too.
//!
//! Installs what the tests need and is not a Rust dependency (Chromium and
//! chromedriver for the CLI's real-browser test, from Debian's packages),
//! then runs `cargo test --workspace --all-features` with any extra
//! arguments.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

use crate::codegen::repo_root;

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Debian's chromium and chromium-driver, when missing (the browser test
/// skips with a message if this is not possible).
fn ensure_browser() {
    if which("chromium").is_some() && which("chromedriver").is_some() {
        return;
    }
    if which("apt-get").is_none() {
        eprintln!("xtask test: no apt-get here; install Chromium and chromedriver for the browser test");
        return;
    }
    let prefix: Vec<&str> = if is_root() {
        Vec::new()
    } else if which("sudo").is_some() {
        vec!["sudo", "-n"]
    } else {
        eprintln!("xtask test: not root and no sudo; the browser test will skip");
        return;
    };
    eprintln!("xtask test: installing chromium and chromium-driver from Debian's packages");
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.args(&prefix[1..]).arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive").status().map(|s| s.success()).unwrap_or(false)
    };
    let packages = ["install", "-y", "-q", "chromium", "chromium-driver"];
    let installed = apt(&packages) || (apt(&["update", "-q"]) && apt(&packages));
    if !installed {
        eprintln!("xtask test: could not install Chromium; the browser test will skip");
    }
}

pub fn run(extra: &[String]) -> Result<()> {
    ensure_browser();
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
