//! `cargo xtask bench`: the side-by-side benchmarks, end to end.
//!
//! 1. builds the fixture server and the Rust contenders (release);
//! 2. creates one virtualenv per Python SDK under `target/bench-venvs/` and
//!    installs python-pinterest 0.2.0 and pinterest-api-sdk 0.2.7 from PyPI
//!    (they cannot share one: both install a package named `pinterest`);
//! 3. starts the fixture server on loopback and measures it with `wrk`
//!    (installed from Debian's packages when missing) to show it is not
//!    the limit;
//! 4. runs every contender on every workload at every concurrency it
//!    supports, `--repeat` times, interleaved, and keeps the median and the
//!    spread of each figure;
//! 5. streams 10k and 100k Pins through the SDK for peak RSS;
//! 6. runs the criterion micro-benchmarks;
//! 7. writes `BENCHMARKS.md`, keeping the fleet section and the notes.
//!
//! `cargo xtask bench --fleet` runs only the fleet figures (`bench/src/bin/fleet_bench.rs`:
//! worker processes sharing tokens and rate budgets through Redis) and
//! replaces the fleet section of `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::codegen::repo_root;

/// Where the hand-written part of BENCHMARKS.md starts.
const NOTES_MARKER: &str = "## Reading the figures";

/// The fleet section of BENCHMARKS.md lies between these two lines.
const FLEET_START: &str = "<!-- fleet:start -->";
const FLEET_END: &str = "<!-- fleet:end -->";

const PYTHON_SDKS: &[(&str, &str, &str)] = &[
    ("official", "pinterest-api-sdk==0.2.7", "official"),
    ("python-pinterest", "python-pinterest==0.2.0", "python-pinterest"),
];

struct Options {
    repeat: usize,
    quick: bool,
    build_times: bool,
    fleet: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options { repeat: 5, quick: false, build_times: false, fleet: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--repeat" => o.repeat = it.next().context("--repeat needs a number")?.parse()?,
            "--quick" => o.quick = true,
            "--build-times" => o.build_times = true,
            "--fleet" => o.fleet = true,
            other => bail!("unknown bench argument {other} (--repeat N, --quick, --build-times, --fleet)"),
        }
    }
    Ok(o)
}

use crate::test::cargo;

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The virtualenv `dir` with `package` installed, under `target/` like
/// every other build product (never in the tree, so never in git).
fn venv(root: &Path, dir: &str, package: &str) -> Result<PathBuf> {
    let path = root.join("target/bench-venvs").join(dir);
    let python = path.join("bin/python");
    let stamp = path.join(".installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(package) {
        return Ok(python);
    }
    eprintln!("bench: creating {} with {package}", path.display());
    run(Command::new("python3").args(["-m", "venv"]).arg(&path))?;
    run(Command::new(&python).args(["-m", "pip", "install", "-q", "--disable-pip-version-check", package]))?;
    std::fs::write(stamp, package)?;
    Ok(python)
}

fn ensure_wrk() -> Option<String> {
    ensure_program("wrk", "wrk")
}

/// `program` when it runs, else installed from Debian's `package` first.
fn ensure_program(program: &str, package: &str) -> Option<String> {
    if Command::new(program).arg("--version").output().is_ok() {
        return Some(program.into());
    }
    eprintln!("bench: installing {package} from Debian's packages");
    let ok = Command::new("apt-get")
        .args(["install", "-y", "-q", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
    }
    Command::new(program).arg("--version").output().ok().map(|_| program.into())
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(bin: &Path) -> Result<Server> {
    let mut child = Command::new(bin).args(["--total-pins", "10000"]).stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line.trim().strip_prefix("listening on ").context("the fixture server did not start")?.to_owned();
    Ok(Server { child, base })
}

/// One measured cell: contender × workload × concurrency.
#[derive(Clone)]
struct Cell {
    contender: &'static str,
    workload: &'static str,
    concurrency: usize,
}

fn units(cell: &Cell, quick: bool) -> usize {
    let python = matches!(cell.contender, "official" | "python-pinterest");
    let base = match (cell.workload, python) {
        ("walk10k", true) => 3,
        ("walk10k", false) => 30,
        ("page", true) => 30,
        ("page", false) => 600,
        ("create", true) => 150,
        (_, true) => 400,
        (_, false) if cell.concurrency > 1 => 30_000,
        (_, false) => 5_000,
    };
    if quick { (base / 5).max(2) } else { base }
}

fn measure(
    root: &Path,
    bins: &Path,
    pythons: &BTreeMap<&str, PathBuf>,
    base: &str,
    cell: &Cell,
    quick: bool,
) -> Result<Value> {
    let n = units(cell, quick).to_string();
    let c = cell.concurrency.to_string();
    let warmup = if matches!(cell.workload, "walk10k" | "page") { "3" } else { "100" };
    let out = match cell.contender {
        "official" | "python-pinterest" => {
            let python = pythons.get(cell.contender).context("no virtualenv")?;
            run(Command::new(python).arg(root.join("bench/python/run.py")).args([
                "--sdk",
                cell.contender,
                "--workload",
                cell.workload,
                "--base",
                base,
                "--units",
                &n,
                "--concurrency",
                &c,
                "--warmup",
                warmup,
            ]))?
        }
        rust => run(Command::new(bins.join("bench-client")).args([
            "--contender",
            rust,
            "--workload",
            cell.workload,
            "--base",
            base,
            "--units",
            &n,
            "--concurrency",
            &c,
            "--warmup",
            warmup,
        ]))?,
    };
    let line = out.lines().last().context("no output")?;
    Ok(serde_json::from_str(line)?)
}

/// Median and spread of one figure over the repeats.
#[derive(Clone, Copy, Default)]
struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

fn stat(values: &[f64]) -> Stat {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return Stat::default();
    }
    Stat { median: v[v.len() / 2], min: v[0], max: v[v.len() - 1] }
}

fn fmt_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn cell_text(s: Stat) -> String {
    format!("{} ({}–{})", fmt_num(s.median), fmt_num(s.min), fmt_num(s.max))
}

pub fn run_bench(args: &[String]) -> Result<()> {
    let opts = parse(args)?;
    let root = repo_root();
    if opts.fleet {
        return fleet(&root);
    }
    eprintln!("bench: building the release binaries");
    let status = cargo()
        .current_dir(&root)
        .args(["build", "--release", "-q", "-p", "pinterest-bench", "--bins", "-p", "pinterest-emulator"])
        .status()?;
    if !status.success() {
        bail!("build failed");
    }
    let bins = root.join("target/release");
    let mut pythons = BTreeMap::new();
    for (name, package, dir) in PYTHON_SDKS {
        pythons.insert(*name, venv(&root, dir, package)?);
    }
    let server = start_server(&bins.join("bench-server"))?;
    let base = server.base.clone();
    eprintln!("bench: fixture server at {base}");

    let mut report = String::new();
    let _ = writeln!(report, "# Benchmarks\n");
    let _ = writeln!(
        report,
        "Written by `cargo xtask bench` on {} ({} cores); every figure is the median of {} interleaved runs, \
         with the lowest and highest in brackets. Timings come from benchmarks, never from tests.\n",
        run(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default().trim(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        opts.repeat
    );

    // The server's own capacity.
    if let Some(wrk) = ensure_wrk() {
        let out = run(Command::new(&wrk).args(["-t2", "-c64", "-d5s"]).arg(format!("{base}/v5/user_account")))?;
        let rps =
            out.lines().find_map(|l| l.strip_prefix("Requests/sec:")).map(|s| s.trim().to_owned()).unwrap_or_default();
        let _ = writeln!(
            report,
            "## The fixture server\n\nOne server for all contenders serves precomputed bytes over HTTP/1.1 keep-alive on \
             loopback (`bench/src/bin/bench-server.rs`). `wrk -t2 -c64 -d5s` against `GET /v5/user_account`: \
             **{rps} requests/s**, above every contender below, so the server is not the limit.\n"
        );
    }

    let contenders_c1: &[&'static str] = &[
        "raw",
        "floor",
        "async",
        "blocking",
        "raw-blocking",
        "sdk-reqwest",
        "reqwest",
        "reqwest-blocking",
        "official",
        "python-pinterest",
    ];
    // The same but the official SDK, which has no async client.
    let contenders_cn: Vec<&'static str> = contenders_c1.iter().copied().filter(|c| *c != "official").collect();
    let workloads: &[&'static str] = &["me", "pin", "page", "walk10k", "create"];
    let mut cells = Vec::new();
    for w in workloads {
        for c in contenders_c1 {
            if (matches!(*c, "reqwest" | "reqwest-blocking") && matches!(*w, "walk10k" | "create"))
                || (matches!(*c, "floor" | "raw-blocking") && *w == "walk10k")
            {
                continue;
            }
            cells.push(Cell { contender: c, workload: w, concurrency: 1 });
        }
        if matches!(*w, "me" | "pin" | "create") {
            for conc in [16, 64] {
                for c in &contenders_cn {
                    if matches!(*c, "reqwest" | "reqwest-blocking") && *w == "create" {
                        continue;
                    }
                    cells.push(Cell { contender: c, workload: w, concurrency: conc });
                }
            }
        }
    }
    let mut results: BTreeMap<(String, usize, String), Vec<Value>> = BTreeMap::new();
    for rep in 0..opts.repeat {
        for cell in &cells {
            eprintln!(
                "bench: run {}/{} {} {} c={}",
                rep + 1,
                opts.repeat,
                cell.contender,
                cell.workload,
                cell.concurrency
            );
            match measure(&root, &bins, &pythons, &base, cell, opts.quick) {
                Ok(v) => results
                    .entry((cell.workload.to_owned(), cell.concurrency, cell.contender.to_owned()))
                    .or_default()
                    .push(v),
                Err(e) => eprintln!("bench: {} {} failed: {e}", cell.contender, cell.workload),
            }
        }
    }
    let figure = |runs: &[Value], key: &str| stat(&runs.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>());
    let _ = writeln!(
        report,
        "## Side by side\n\nContenders: `raw` is hyper's client sending the same requests and reading the bytes \
         without decoding (the wire limit); `floor` is `raw` plus serde_json decoding the bytes into the SDK's own \
         model type (the least a typed call can cost); `async` and `blocking` are pinterest-sdk with its default \
         transport (`HyperTransport`: hyper + rustls, proxies from the environment); `sdk-reqwest` is \
         pinterest-sdk over `ReqwestTransport` (feature `reqwest`), the default before hyper; `reqwest` is \
         reqwest alone, reading the bytes; `raw-blocking` is one OS thread per concurrent call, each writing and \
         reading bytes on its own blocking socket (the floor of any blocking client); `reqwest-blocking` is \
         reqwest's blocking client, reading the bytes; `official` is pinterest-api-sdk 0.2.7; `python-pinterest` is \
         python-pinterest 0.2.0 (its async client for concurrency above 1). `CPU vs raw`, `vs floor` and \
         `vs async` divide a row's median CPU per unit by that contender's.\n\n\
         Workloads: `me` GET /v5/user_account; `pin` GET /v5/pins/{{id}}; `page` one page of 250 Pins \
         (GET /v5/boards/{{id}}/pins, the listing both Python SDKs have); `walk10k` every page of 10,000 Pins; \
         `create` POST /v5/pins with a JSON body. A unit is one call, or one whole walk for `walk10k`.\n"
    );
    type Rows = Vec<(String, Vec<Value>)>;
    let mut by_group: BTreeMap<(String, usize), Rows> = BTreeMap::new();
    for ((w, c, who), runs) in &results {
        by_group.entry((w.clone(), *c)).or_default().push((who.clone(), runs.clone()));
    }
    for w in workloads {
        for conc in [1usize, 16, 64] {
            let Some(rows) = by_group.get(&(w.to_string(), conc)) else { continue };
            let median_of =
                |who: &str, key: &str| rows.iter().find(|(n, _)| n == who).map(|(_, r)| figure(r, key).median);
            let raw_cpu = median_of("raw", "cpu_per_unit_us");
            let floor_cpu = median_of("floor", "cpu_per_unit_us");
            let async_cpu = median_of("async", "cpu_per_unit_us");
            let raw_rate = median_of("raw", "units_per_s");
            let _ = writeln!(report, "### `{w}`, concurrency {conc}\n");
            let _ = writeln!(
                report,
                "| contender | units/s | p50 µs | p99 µs | CPU µs/unit | peak RSS MiB | CPU vs raw | vs floor | vs async | units/s vs official | units/s vs python-pinterest |\n|---|---|---|---|---|---|---|---|---|---|---|"
            );
            let mut order: Vec<&(String, Vec<Value>)> = rows.iter().collect();
            let rank = |n: &str| contenders_c1.iter().position(|c| *c == n).unwrap_or(99);
            order.sort_by_key(|(n, _)| rank(n));
            for (who, runs) in order {
                let rate = figure(runs, "units_per_s");
                let cpu = figure(runs, "cpu_per_unit_us");
                let ratio = |other: Option<f64>, mine: f64| match other {
                    Some(o) if o > 0.0 => format!("{:.2}×", mine / o),
                    _ => "–".into(),
                };
                let rss = stat(
                    &runs.iter().filter_map(|r| r["max_rss_kib"].as_f64().map(|k| k / 1024.0)).collect::<Vec<_>>(),
                );
                let _ = writeln!(
                    report,
                    "| {who} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    cell_text(rate),
                    cell_text(figure(runs, "p50_us")),
                    cell_text(figure(runs, "p99_us")),
                    cell_text(cpu),
                    fmt_num(rss.median),
                    ratio(raw_cpu, cpu.median),
                    ratio(floor_cpu, cpu.median),
                    ratio(async_cpu, cpu.median),
                    ratio(median_of("official", "units_per_s"), rate.median),
                    ratio(median_of("python-pinterest", "units_per_s"), rate.median),
                );
                let _ = raw_rate;
            }
            report.push('\n');
        }
    }

    // Memory: streaming Pins through the SDK.
    let _ = writeln!(
        report,
        "## Memory: streaming Pins\n\nPeak RSS of the process that walks N Pins item by item (`.stream()` on the async client, `.iter()` on the blocking one), pages of 250.\n\n| contender | 10,000 Pins | 100,000 Pins | growth |\n|---|---|---|---|"
    );
    for who in ["async", "blocking"] {
        let mut rss = Vec::new();
        for pins in ["10000", "100000"] {
            let mut vals = Vec::new();
            for _ in 0..opts.repeat {
                let out = run(Command::new(bins.join("bench-client")).args([
                    "--contender",
                    who,
                    "--workload",
                    "stream",
                    "--base",
                    &base,
                    "--units",
                    "1",
                    "--warmup",
                    "0",
                    "--pins",
                    pins,
                ]))?;
                let v: Value = serde_json::from_str(out.lines().last().unwrap_or("{}"))?;
                vals.push(v["max_rss_kib"].as_f64().unwrap_or(0.0) / 1024.0);
            }
            rss.push(stat(&vals));
        }
        let growth = if rss[0].median > 0.0 { (rss[1].median / rss[0].median - 1.0) * 100.0 } else { 0.0 };
        let _ = writeln!(report, "| {who} | {} MiB | {} MiB | {growth:+.1}% |", cell_text(rss[0]), cell_text(rss[1]));
    }
    report.push('\n');
    drop(server);

    refresh_storm(&mut report, &bins, opts.repeat)?;
    if let Some(wrk) = ensure_wrk() {
        emulator_throughput(&mut report, &bins, &wrk)?;
    }

    // Micro-benchmarks.
    eprintln!("bench: criterion micro-benchmarks");
    let status = cargo()
        .current_dir(&root)
        .args([
            "bench",
            "-q",
            "-p",
            "pinterest-bench",
            "--bench",
            "micro",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            if opts.quick { "2" } else { "5" },
        ])
        .stdout(Stdio::null())
        .status()?;
    if status.success() {
        let _ = writeln!(report, "## Micro-benchmarks (criterion)\n\n| benchmark | mean |\n|---|---|");
        let mut means = BTreeMap::new();
        let mut bytes = 0u64;
        collect_estimates(&root.join("target/criterion"), &mut means, &mut bytes);
        for (name, ns) in &means {
            let _ = writeln!(report, "| {name} | {} µs |", fmt_num(ns / 1000.0));
        }
        let typed = means.iter().find(|(k, _)| k.contains("typed")).map(|(_, v)| *v);
        let value = means.iter().find(|(k, _)| k.contains("Value")).map(|(_, v)| *v);
        let floor = means.iter().find(|(k, _)| k.contains("floor")).map(|(_, v)| *v);
        if let (Some(t), Some(f)) = (typed, floor) {
            let _ = writeln!(
                report,
                "\nThe SDK's own decode of that page is {:.2}× serde_json decoding the same bytes into the same type ({} against {} µs).",
                t / f,
                fmt_num(t / 1000.0),
                fmt_num(f / 1000.0)
            );
        }
        if let (Some(t), Some(v)) = (typed, value) {
            let _ = writeln!(
                report,
                "\nA 250-Pin page ({} KiB) decodes into the typed model in {} µs ({:.0} MB/s), into `serde_json::Value` in {} µs ({:.0} MB/s): typed is **{:.2}×** faster.\n",
                bytes / 1024,
                fmt_num(t / 1000.0),
                bytes as f64 / (t / 1e9) / 1e6,
                fmt_num(v / 1000.0),
                bytes as f64 / (v / 1e9) / 1e6,
                v / t
            );
        }
    }

    if opts.build_times {
        let _ = writeln!(
            report,
            "## Build times\n\nDebug build of the SDK crate alone, its dependencies already built (`cargo clean -p pinterest-sdk`, then `cargo build -p pinterest-sdk`), median of 3 after an untimed build.\n\n| features | seconds |\n|---|---|"
        );
        for features in [None, Some("full")] {
            let mut secs = Vec::new();
            // An untimed build first, so that the dependencies (with these
            // features) are built and only the SDK crate is timed.
            for run in 0..4 {
                let _ = cargo().current_dir(&root).args(["clean", "-q", "-p", "pinterest-sdk"]).status();
                let start = std::time::Instant::now();
                let mut cmd = cargo();
                cmd.current_dir(&root).args(["build", "-q", "-p", "pinterest-sdk"]);
                if let Some(f) = features {
                    cmd.args(["--features", f]);
                }
                cmd.status()?;
                if run > 0 {
                    secs.push(start.elapsed().as_secs_f64());
                }
            }
            let s = stat(&secs);
            let _ = writeln!(report, "| {} | {} |", features.unwrap_or("default"), cell_text(s));
        }
        report.push('\n');
    }

    // The hand-written reading of the figures (profiles, targets) survives
    // a new run; it is kept from the marker on. So does the fleet section,
    // which only `--fleet` rewrites.
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    report.push_str(&kept_sections(&old));
    std::fs::write(path, &report)?;
    eprintln!("bench: wrote BENCHMARKS.md");
    Ok(())
}

/// What a full run keeps of the old BENCHMARKS.md: the fleet section (when
/// it is not already within the notes) and the notes.
fn kept_sections(old: &str) -> String {
    let notes_at = old.find(NOTES_MARKER);
    let mut kept = String::new();
    if let Some((start, end)) = fleet_span(old)
        && notes_at.is_none_or(|n| start < n)
    {
        kept.push_str(&old[start..end]);
        kept.push_str("\n\n");
    }
    if let Some(n) = notes_at {
        kept.push_str(&old[n..]);
    }
    kept
}

/// Where the fleet section is in `text`, both markers included.
fn fleet_span(text: &str) -> Option<(usize, usize)> {
    let start = text.find(FLEET_START)?;
    let end = start + text[start..].find(FLEET_END)? + FLEET_END.len();
    Some((start, end))
}

/// `text` with its fleet section replaced by `block`, or `block` put just
/// before the notes (at the end when there are none).
fn with_fleet_section(text: &str, block: &str) -> String {
    if let Some((start, end)) = fleet_span(text) {
        return format!("{}{block}{}", &text[..start], &text[end..]);
    }
    match text.find(NOTES_MARKER) {
        Some(n) => format!("{}{block}\n\n{}", &text[..n], &text[n..]),
        None if text.trim().is_empty() => format!("{block}\n"),
        None => format!("{}\n\n{block}\n", text.trim_end()),
    }
}

/// The fleet section holding the two lines `fleet` printed.
fn fleet_section(lines: &str) -> String {
    format!(
        "{FLEET_START}\n## Fleet: many workers on Redis\n\n\
         Written by `cargo xtask bench --fleet` on {}: four worker processes (`bench/src/bin/fleet_bench.rs`) \
         against the emulator in-process and one redis-server on a unix socket (append-only, fsync always).\n\n\
         ```text\n{}\n```\n\n\
         `fleet refresh`: the stored token set has expired, and each worker starts 250 calls at once through \
         `fleet::Clients` with a `RedisTokenStore`; `calls` is how many succeeded and `token_requests` how many \
         refresh requests reached the emulator. That must be one for the whole fleet: the Redis lease lets one \
         worker refresh while the others wait, then read the rotated set. \
         `fleet budget`: each worker runs 16 loops of `GET /v5/user_account` for 70 s with a `RedisRateLimiter`, \
         all on one token against a limit of 600 calls per 60-s window, and retries turned off so any 429 shows; \
         `calls` counts the calls that succeeded and `429s` the rejections in the emulator's request log. \
         `budget_use` is those calls over 600 times the windows the emulator opened during the run: 100% means \
         the shared limiter spent every window in full without one call over the limit.\n{FLEET_END}",
        run(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default().trim(),
        lines.trim_end()
    )
}

/// `cargo xtask bench --fleet`: builds and runs `fleet`, prints its two
/// lines and puts them in BENCHMARKS.md.
fn fleet(root: &Path) -> Result<()> {
    eprintln!("bench: building the fleet benchmark (release)");
    let status = cargo()
        .current_dir(root)
        .args(["build", "--release", "-p", "pinterest-bench", "--bin", "fleet_bench"])
        .status()?;
    if !status.success() {
        bail!("build failed");
    }
    if ensure_program("redis-server", "redis-server").is_none() {
        bail!("the fleet figures need redis-server (Debian's package redis-server), and it could not be installed");
    }
    eprintln!("bench: fleet figures (a little over a minute)");
    let bin = root.join("target/release/fleet_bench");
    let out = Command::new(&bin)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!("{} failed ({})", bin.display(), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != 2 || !lines[0].starts_with("fleet refresh: ") || !lines[1].starts_with("fleet budget: ") {
        bail!("fleet printed {text:?}, not its two lines");
    }
    let lines = lines.join("\n");
    println!("{lines}");
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, with_fleet_section(&old, &fleet_section(&lines)))?;
    eprintln!("bench: wrote the fleet section of BENCHMARKS.md");
    Ok(())
}

/// 1,000 concurrent calls on an expired token against the emulator.
fn refresh_storm(report: &mut String, bins: &Path, repeat: usize) -> Result<()> {
    eprintln!("bench: refresh storm");
    let mut runs = Vec::new();
    for _ in 0..repeat {
        let out = run(&mut Command::new(bins.join("bench-storm")))?;
        runs.push(serde_json::from_str::<Value>(out.lines().last().context("bench-storm printed nothing")?)?);
    }
    let f = |key: &str| stat(&runs.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>());
    let tokens: Vec<u64> = runs.iter().filter_map(|r| r["token_requests"].as_u64()).collect();
    let _ = writeln!(
        report,
        "## Refresh storm\n\n1,000 calls started at once on a client whose access token expired a moment ago, \
         against the emulator in-process (`bench/src/bin/bench-storm.rs`), next to the same 1,000 calls on a fresh \
         token, both on connections opened by a warm-up burst.\n\n| figure | storm | fresh token |\n|---|---|---|\n\
         | token requests received by the emulator | {} | 0 |\n\
         | p50 latency ms | {} | {} |\n| p99 latency ms | {} | {} |\n\
         | whole burst ms | {} | – |\n",
        tokens.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
        cell_text(f("storm_p50_ms")),
        cell_text(f("baseline_p50_ms")),
        cell_text(f("storm_p99_ms")),
        cell_text(f("baseline_p99_ms")),
        cell_text(f("storm_total_ms")),
    );
    Ok(())
}

/// The emulator's own capacity, so users know what it can stand in for.
fn emulator_throughput(report: &mut String, bins: &Path, wrk: &str) -> Result<()> {
    eprintln!("bench: emulator throughput");
    let mut child = Command::new(bins.join("pinterest-emulator"))
        .args(["--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("emulator stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut base = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        if let Some(rest) = line.split("PINTEREST_API_URI=").nth(1) {
            base = Some(rest.trim().trim_end_matches(')').to_owned());
            break;
        }
    }
    let result = (|| -> Result<String> {
        let base = base.context("the emulator did not print its base URL")?;
        let token = mint_token(&base)?;
        let out = run(Command::new(wrk)
            .args(["-t2", "-c64", "-d5s", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("{base}/v5/user_account")))?;
        let non_2xx = out.lines().find(|l| l.contains("Non-2xx")).map(str::trim).unwrap_or("");
        if !non_2xx.is_empty() {
            bail!("the emulator answered errors under load: {non_2xx}");
        }
        Ok(out.lines().find_map(|l| l.strip_prefix("Requests/sec:")).map(|s| s.trim().to_owned()).unwrap_or_default())
    })();
    let _ = child.kill();
    let _ = child.wait();
    let rps = result?;
    let _ = writeln!(
        report,
        "## The emulator\n\n`pinterest-emulator` (release) with a token minted through `/_emulator/tokens`, \
         `wrk -t2 -c64 -d5s` against `GET /v5/user_account` (token check, scope check, request log, JSON \
         rendering): **{rps} requests/s**.\n"
    );
    Ok(())
}

/// Mints an access token on the emulator's admin endpoint with a bare
/// HTTP/1.1 request (xtask carries no HTTP client).
fn mint_token(base: &str) -> Result<String> {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").context("the emulator's base is not http://")?;
    let body = r#"{"scopes":["user_accounts:read"]}"#;
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "POST /_emulator/tokens HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let json = answer.split("\r\n\r\n").nth(1).context("no body in the emulator's answer")?;
    let v: Value = serde_json::from_str(json).context("the emulator's answer is not JSON")?;
    Ok(v["access_token"].as_str().context("no access_token in the emulator's answer")?.to_owned())
}

/// Criterion's mean estimates by benchmark id, and the byte throughput of the
/// decode group.
fn collect_estimates(dir: &Path, out: &mut BTreeMap<String, f64>, bytes: &mut u64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.ends_with("new") {
            let mean = std::fs::read_to_string(p.join("estimates.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .and_then(|v| v.pointer("/mean/point_estimate").and_then(Value::as_f64));
            let bench = std::fs::read_to_string(p.join("benchmark.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            if let (Some(mean), Some(b)) = (mean, bench) {
                if let Some(id) = b["full_id"].as_str() {
                    out.insert(id.to_owned(), mean);
                }
                if let Some(n) = b.pointer("/throughput/Bytes").and_then(Value::as_u64) {
                    *bytes = n;
                }
            }
        } else if p.is_dir() {
            collect_estimates(&p, out, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "<!-- fleet:start -->\n## Fleet\n\nnew\n<!-- fleet:end -->";

    #[test]
    fn the_fleet_section_goes_before_the_notes_then_is_replaced_in_place() {
        let old = "# Benchmarks\n\n## Build times\n\nx\n\n## Reading the figures\n\nnotes\n";
        let once = with_fleet_section(old, BLOCK);
        assert_eq!(
            once,
            "# Benchmarks\n\n## Build times\n\nx\n\n<!-- fleet:start -->\n## Fleet\n\nnew\n<!-- fleet:end -->\n\n\
             ## Reading the figures\n\nnotes\n"
        );
        let twice = with_fleet_section(&once, &BLOCK.replace("new", "newer"));
        assert_eq!(twice, once.replace("new\n", "newer\n"));
        assert_eq!(with_fleet_section("# B\n", BLOCK), format!("# B\n\n{BLOCK}\n"));
    }

    #[test]
    fn a_full_run_keeps_the_fleet_section_and_the_notes() {
        let old = with_fleet_section("# Benchmarks\n\nold figures\n\n## Reading the figures\n\nnotes\n", BLOCK);
        assert_eq!(kept_sections(&old), format!("{BLOCK}\n\n## Reading the figures\n\nnotes\n"));
        // Inside the notes, it is kept once, with them.
        let inside = format!("# B\n\n## Reading the figures\n\n{BLOCK}\n");
        assert_eq!(kept_sections(&inside), format!("## Reading the figures\n\n{BLOCK}\n"));
        assert_eq!(kept_sections("# B\n"), "");
    }
}
