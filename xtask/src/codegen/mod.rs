//! `cargo xtask codegen`: the SDK's generated code from Pinterest's OpenAPI
//! description.
//!
//! Reads the spec (default `../shared/pinterest-api/v5/openapi.json` beside
//! the repository), builds a model of its types and operations ([`ir`]),
//! writes Rust ([`emit`]), formats it with rustfmt and writes only what
//! changed. `--check` writes nothing and fails when the committed code
//! differs from what the spec gives.

pub mod emit;
pub mod examples;
pub mod ir;
pub mod names;
pub mod naming;
pub mod samples;
pub mod secrets;
pub mod shapes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

const FEATURES_BEGIN: &str = "# BEGIN GENERATED FEATURES (cargo xtask codegen)\n";
const FEATURES_END: &str = "# END GENERATED FEATURES\n";

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Where the spec is: `$PINTEREST_OPENAPI_SPEC`, else `../shared/...` from the root.
pub fn default_spec_path() -> PathBuf {
    match std::env::var_os("PINTEREST_OPENAPI_SPEC") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("../shared/pinterest-api/v5/openapi.json"),
    }
}

/// Reads and parses a spec.
pub fn load_spec(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the spec at {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Generates every file (formatted) from `spec`, by path from the root.
pub fn generate(spec: &serde_json::Value, root: &Path) -> Result<BTreeMap<String, String>> {
    let model = ir::build(spec)?;
    let stale = naming::stale_entries(model.ops.iter().map(|o| o.id.as_str()));
    if !stale.is_empty() {
        bail!("xtask/src/codegen/naming.rs names operations the spec does not have: {}", stale.join(", "));
    }
    let stale = ir::stale_required_overrides(&model);
    if !stale.is_empty() {
        bail!(
            "REQUIRED_OVERRIDES in xtask/src/codegen/ir.rs names fields the spec does not have: {}",
            stale.join(", ")
        );
    }
    secrets::check_lists(&model)?;
    for w in &model.warnings {
        eprintln!("codegen warning: {w}");
    }
    eprintln!(
        "codegen: {} operations, {} tags, {} types, {} example locations, {} warnings",
        model.ops.len(),
        model.tags.len(),
        model.defs.len(),
        model.examples.len(),
        model.warnings.len()
    );
    let mut files = emit::emit(&model);
    files.insert(
        format!("{}/samples.rs", samples::EMULATOR_GEN),
        samples::emit_samples(&model, &emit::header(&model.version)),
    );
    files.insert(
        format!("{}/examples.rs", samples::EMULATOR_GEN),
        examples::emit_examples(&model, spec, &emit::header(&model.version))?,
    );
    for (path, text) in files.iter_mut() {
        *text = rustfmt(text, root).with_context(|| format!("rustfmt failed on {path}"))?;
    }
    let cargo_path = format!("{}/Cargo.toml", emit::SDK);
    let cargo = std::fs::read_to_string(root.join(&cargo_path)).with_context(|| format!("cannot read {cargo_path}"))?;
    files.insert(cargo_path, splice_features(&cargo, &emit::features(&model))?);
    Ok(files)
}

fn splice_features(cargo: &str, features: &str) -> Result<String> {
    let (Some(b), Some(e)) = (cargo.find(FEATURES_BEGIN), cargo.find(FEATURES_END)) else {
        bail!("the SDK's Cargo.toml lacks the generated-features markers");
    };
    Ok(format!("{}{FEATURES_BEGIN}{features}{}", &cargo[..b], &cargo[e..]))
}

/// Formats Rust source with the repository's rustfmt settings.
pub fn rustfmt(source: &str, root: &Path) -> Result<String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(root.join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt")?;
    child.stdin.take().context("rustfmt stdin")?.write_all(source.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let first_lines: String = String::from_utf8_lossy(&out.stderr).lines().take(30).collect::<Vec<_>>().join("\n");
        bail!("{first_lines}");
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Directories whose every file is generated (stale files are removed).
/// The emulator's `generated/mod.rs` is hand-written, so only `samples.rs`
/// and `examples.rs` there are checked.
const GENERATED_DIRS: &[&str] = &["crates/pinterest-sdk/src/generated", "crates/pinterest-sdk/tests/generated"];

fn existing_generated(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = GENERATED_DIRS.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Runs the generator: writes changed files, or with `check` only compares.
pub fn run(spec_path: &Path, check: bool) -> Result<()> {
    let root = repo_root();
    let spec = load_spec(spec_path)?;
    let files = generate(&spec, &root)?;
    let mut differ = Vec::new();
    for (path, text) in &files {
        let on_disk = std::fs::read_to_string(root.join(path)).ok();
        if on_disk.as_deref() != Some(text.as_str()) {
            differ.push(path.clone());
            if !check {
                let full = root.join(path);
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&full, text)?;
            }
        }
    }
    let stale: Vec<String> = existing_generated(&root).into_iter().filter(|p| !files.contains_key(p)).collect();
    if !check {
        for p in &stale {
            std::fs::remove_file(root.join(p))?;
        }
    }
    if check {
        if !differ.is_empty() || !stale.is_empty() {
            for p in &differ {
                eprintln!("differs from the spec: {p}");
            }
            for p in &stale {
                eprintln!("not generated any more: {p}");
            }
            bail!("generated code is out of date: run `cargo xtask codegen`");
        }
        println!("generated code is up to date ({} files)", files.len());
    } else {
        println!("wrote {} of {} files, removed {}", differ.len(), files.len(), stale.len());
    }
    Ok(())
}
