//! `cargo xtask test`: the whole test suite, on a fresh machine too.
//!
//! Installs what the tests need and is not a Rust dependency, from Debian's
//! packages (Chromium and chromedriver for the CLI's real-browser test;
//! zsh, fish and elvish to parse the completion scripts; redis-server for
//! the fleet's token and rate-budget tests) and from PyPI
//! (Pinterest's official Python SDK and schemathesis, each in a virtualenv
//! under `target/py/`), then runs
//! `cargo test --workspace --all-features` with any extra arguments, and
//! ends with the list of tests that skipped for lack of something (empty on
//! a complete machine).
//!
//! Each skip is appended to `target/test-skips.log` through
//! `PINTEREST_SKIP_LOG` (see `crates/test-support`). Under `CI=true` a skip
//! fails its test unless `PINTEREST_ALLOW_SKIP` names its kind; when that
//! variable is unset this task allows `powershell` alone, since Debian does
//! not package PowerShell.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::codegen::repo_root;

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Debian packages the tests use, each with the program that shows it is there.
const PACKAGES: &[(&str, &str)] = &[
    ("chromium", "chromium"),
    ("chromium-driver", "chromedriver"),
    ("zsh", "zsh"),
    ("fish", "fish"),
    ("elvish", "elvish"),
    ("redis-server", "redis-server"),
];

/// Installs the missing ones with apt-get (as root, or through `sudo -n`).
/// What cannot be installed makes its tests skip, loudly.
fn ensure_packages() {
    let missing: Vec<&str> = PACKAGES.iter().filter(|(_, program)| which(program).is_none()).map(|(p, _)| *p).collect();
    if missing.is_empty() {
        return;
    }
    if which("apt-get").is_none() {
        eprintln!("xtask test: no apt-get here; install {} for the tests that use them", missing.join(", "));
        return;
    }
    let prefix: Vec<&str> = if is_root() {
        Vec::new()
    } else if which("sudo").is_some() {
        vec!["sudo", "-n"]
    } else {
        eprintln!("xtask test: not root and no sudo; cannot install {}", missing.join(", "));
        return;
    };
    eprintln!("xtask test: installing {} from Debian's packages", missing.join(", "));
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.args(&prefix[1..]).arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive").status().map(|s| s.success()).unwrap_or(false)
    };
    let mut install = vec!["install", "-y", "-q"];
    install.extend(&missing);
    if !(apt(&install) || (apt(&["update", "-q"]) && apt(&install))) {
        eprintln!("xtask test: could not install {}", missing.join(", "));
    }
}

/// A `cargo` command without the variables `cargo run` set for xtask
/// itself. Left in place, `CARGO_MANIFEST_DIR`, `CARGO_PKG_*` and the like
/// differ from a plain `cargo test`, so build scripts that watch them
/// (ring's) rerun and each switch between the two rebuilt ring, rustls,
/// reqwest and the project's crates.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if is_cargo_run_variable(name) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// What `cargo run` sets for the program it runs, and a user does not.
fn is_cargo_run_variable(name: &str) -> bool {
    name == "CARGO_MANIFEST_DIR"
        || name == "CARGO_MANIFEST_PATH"
        || name == "CARGO_CRATE_NAME"
        || name == "CARGO_BIN_NAME"
        || name == "CARGO_PRIMARY_PACKAGE"
        || name.starts_with("CARGO_PKG_")
        || name == "OUT_DIR"
}

/// Creates the virtualenvs the tests run Python in
/// (`pinterest_test_support::PYTHON_ENVS`), each under `<target>/py/<name>`,
/// installing its pinned package from PyPI. One already marked as holding
/// its requirement is left alone. What fails to install makes its tests
/// skip, loudly.
fn ensure_python_envs(py: &Path) {
    let Some(python) = which("python3") else {
        eprintln!("xtask test: no python3 here; the Python tests will skip");
        return;
    };
    for (name, requirement) in pinterest_test_support::PYTHON_ENVS {
        let dir = py.join(name);
        let marker = pinterest_test_support::python_env_marker(&dir, requirement);
        if marker.is_file() {
            continue;
        }
        eprintln!("xtask test: installing {requirement} into {}", dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        let ok = Command::new(&python).args(["-m", "venv"]).arg(&dir).status().is_ok_and(|s| s.success())
            && Command::new(dir.join("bin/python"))
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", requirement])
                .status()
                .is_ok_and(|s| s.success());
        if !ok || std::fs::write(&marker, requirement).is_err() {
            eprintln!("xtask test: could not install {requirement}; its tests will skip");
        }
    }
}

pub fn run(extra: &[String]) -> Result<()> {
    ensure_packages();
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    std::fs::create_dir_all(&target).with_context(|| format!("create {}", target.display()))?;
    let py = target.join("py");
    ensure_python_envs(&py);
    let log = target.join("test-skips.log");
    match std::fs::remove_file(&log) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("remove {}", log.display())),
    }
    let mut cmd = cargo();
    cmd.current_dir(&root)
        .args(["test", "--workspace", "--all-features"])
        .args(extra)
        .env("PINTEREST_SKIP_LOG", &log)
        .env("PINTEREST_PY_ENVS", &py);
    if std::env::var_os("PINTEREST_ALLOW_SKIP").is_none() {
        cmd.env("PINTEREST_ALLOW_SKIP", "powershell");
    }
    let status = cmd.status()?;
    print_skips(&log)?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}

/// The summary: every test that skipped, with its reason.
fn print_skips(log: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("read {}", log.display())),
    };
    let skips: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    println!();
    if skips.is_empty() {
        println!("xtask test: no test skipped.");
    } else {
        println!("xtask test: {} skip(s), each a check that did not run:", skips.len());
        for s in skips {
            println!("  {s}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_variables_of_cargo_run_are_cleared() {
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION_MAJOR", "CARGO_CRATE_NAME", "OUT_DIR"] {
            assert!(is_cargo_run_variable(name), "{name}");
        }
        for name in ["CARGO", "CARGO_HOME", "CARGO_TARGET_DIR", "CARGO_TERM_COLOR", "CARGO_BUILD_JOBS", "PATH"] {
            assert!(!is_cargo_run_variable(name), "{name} is the user's");
        }
    }
}
