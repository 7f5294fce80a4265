//! Development tasks: `cargo xtask <task>`.

mod bench;
mod codegen;
mod spec_diff;
mod test;

use std::path::PathBuf;

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  codegen [--check] [--spec PATH]   regenerate the SDK from the OpenAPI description
                                    (--check: fail if the committed code differs)
  test [ARGS...]                    install what the tests need, then run the whole
                                    test suite (cargo test --workspace --all-features ARGS)
  bench [--repeat N] [--quick] [--build-times] [--fleet]
                                    the side-by-side benchmarks; writes BENCHMARKS.md
  spec-diff [--json] [--fail-on-breaking] OLD.json NEW.json
                                    what changed between two OpenAPI descriptions,
                                    each change BREAKING or compatible (--fail-on-breaking:
                                    exit 1 when one is breaking)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => {
            let mut check = false;
            let mut spec = codegen::default_spec_path();
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--check" => check = true,
                    "--spec" => match it.next() {
                        Some(p) => spec = PathBuf::from(p),
                        None => bail!("--spec needs a path"),
                    },
                    other => bail!("unknown argument {other}\n{USAGE}"),
                }
            }
            codegen::run(&spec, check)
        }
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("spec-diff") => std::process::exit(spec_diff::run(&args[1..])),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other}\n{USAGE}"),
    }
}
