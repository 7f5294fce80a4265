//! `pinterest ads report` against an emulator in this process: CSV to
//! stdout, JSON to a file written whole, every level, bad arguments (exit
//! 2), reports that fail or outlast the timeout (exit 1, with what to do),
//! and no progress drawing when stderr is not a terminal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::process::Output;
use std::time::Duration;

use pinterest_emulator::{Emulator, EmulatorHandle};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pinterest");

struct Env {
    rt: tokio::runtime::Runtime,
    emulator: Option<EmulatorHandle>,
    dir: tempfile::TempDir,
    token: String,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            self.rt.block_on(e.shutdown());
        }
    }
}

fn env_with(report_delay: Duration) -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let emulator = rt.block_on(Emulator::builder().seed(5).report_delay(report_delay).start()).unwrap();
    let token = emulator.issue_token(&["ads:read"]);
    Env { rt, emulator: Some(emulator), dir: tempfile::tempdir().unwrap(), token }
}

fn env() -> Env {
    env_with(Duration::from_millis(100))
}

impl Env {
    fn emu(&self) -> &EmulatorHandle {
        self.emulator.as_ref().unwrap()
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(BIN);
        c.env("PINTEREST_CONFIG_DIR", self.dir.path())
            .env("PINTEREST_API_URI", self.emu().base_url())
            .env("PINTEREST_OAUTH_URI", self.emu().base_url())
            .env("PINTEREST_ACCESS_TOKEN", &self.token)
            .env_remove("PINTEREST_PROFILE")
            .env_remove("PINTEREST_LOG")
            .timeout(Duration::from_secs(60));
        c
    }

    /// `pinterest ads report` with a fixed range and fast polling, then `args`.
    fn report(&self, args: &[&str]) -> Output {
        // A report picked up by its token was shaped when it was requested.
        let range: &[&str] =
            if args.contains(&"--token") { &[] } else { &["--start", "2025-04-01", "--end", "2025-04-03"] };
        self.cmd().args(["ads", "report", "--poll-interval", "20ms"]).args(range).args(args).output().unwrap()
    }

    /// The ad account the user owns.
    fn owned_account(&self) -> String {
        let out = self.cmd().args(["api", "GET", "/ad_accounts"]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = v["items"].as_array().unwrap();
        let owned = items.iter().find(|a| a["permissions"] == serde_json::json!(["OWNER"])).unwrap();
        owned["id"].as_str().unwrap().to_owned()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Nothing a progress display draws: spinner and bar text, carriage
/// returns, escape sequences.
fn assert_no_progress(stderr: &str) {
    for drawn in ["Waiting for report", "Downloading", "\r", "\u{1b}"] {
        assert!(!stderr.contains(drawn), "progress on a stderr that is not a terminal: {stderr:?}");
    }
}

#[test]
fn csv_to_stdout_with_the_owned_account_by_default() {
    let env = env();
    let owned = env.owned_account();
    let out = env.report(&[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let mut lines = stdout.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("CAMPAIGN_ID,DATE,"), "{header}");
    for c in ["SPEND_IN_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1"] {
        assert!(header.split(',').any(|h| h == c), "the default columns: {header}");
    }
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty(), "{stdout}");
    assert!(rows.iter().all(|r| r.split(',').nth(1).is_some_and(|d| d.starts_with("2025-04-0"))), "{stdout}");
    // Which account was picked, said on stderr; nothing drawn there.
    assert!(stderr.contains(&format!("Using ad account {owned}")) && stderr.contains("the first you own"), "{stderr}");
    assert_no_progress(&stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn json_to_a_file_written_whole() {
    let env = env();
    let owned = env.owned_account();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, "an older report").unwrap();
    let out = env.report(&[
        "--ad-account",
        &owned,
        "--format",
        "json",
        "--level",
        "AD_GROUP",
        "--granularity",
        "total",
        "--columns",
        "impression_1, spend_in_micro_dollar",
        "--output",
        path.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "the file went to --output: {}", text(&out.stdout));
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let groups = v.as_object().unwrap();
    assert!(!groups.is_empty(), "{v}");
    for (id, rows) in groups {
        for row in rows.as_array().unwrap() {
            assert_eq!(row["AD_GROUP_ID"].to_string(), *id, "{row}");
            assert!(row.get("DATE").is_none() && row["IMPRESSION_1"].is_u64(), "a total: {row}");
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(stderr.contains(&format!("Wrote JSON ({size} bytes) to ")), "{stderr}");
    assert!(!stderr.contains("Using ad account"), "--ad-account given: {stderr}");
    assert_no_progress(&stderr);
    // Nothing left beside it.
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["report.json"]);

    // `-` is stdout.
    let out = env.report(&["--ad-account", &owned, "--format", "json", "--output", "-"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(serde_json::from_slice::<Value>(&out.stdout).unwrap().is_object());
}

#[test]
fn every_level_once() {
    let env = env();
    let owned = env.owned_account();
    let levels = [
        "advertiser",
        "advertiser-targeting",
        "campaign",
        "campaign-targeting",
        "ad-group",
        "ad-group-targeting",
        "pin-promotion",
        "PIN_PROMOTION_TARGETING",
        "keyword",
        "product-group",
        "product-group-targeting",
        "product-item",
        "Product_Item_Targeting",
    ];
    for level in levels {
        let targeting = level.to_ascii_lowercase().ends_with("targeting");
        let mut args =
            vec!["--ad-account", &owned, "--level", level, "--granularity", "total", "--columns", "IMPRESSION_1"];
        if targeting {
            args.extend(["--targeting-types", "gender"]);
        }
        let out = env.report(&args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{level}: {stderr}");
        let mut lines = stdout.lines();
        let header = lines.next().unwrap_or_default();
        assert!(header.contains("_ID,") && header.ends_with("IMPRESSION_1"), "{level}: {header}");
        assert_eq!(header.contains("TARGETING_TYPE"), targeting, "{level}");
        assert!(lines.count() > 0, "{level}: {stdout}");
        assert_no_progress(&stderr);
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let env = env();
    for (args, want) in [
        (&["--start", "2025-02-30"][..], "YYYY-MM-DD"),
        (&["--end", "04/03/2025"], "YYYY-MM-DD"),
        (&["--start", "2025-04-05", "--end", "2025-04-01"], "after --end"),
        (&["--level", "nope"], "possible values"),
        (&["--format", "xml"], "possible values"),
        (&["--poll-interval", "soon"], "duration"),
        (&["--columns", "SPEND;DROP"], "not a report column"),
        (&["--columns", "SPEND_IN_DOLARS"], "not a report column"),
        (&["--targeting-types", "SHOE_SIZE"], "possible values"),
        (&["--columns", ","], "at least one column"),
        (&["--level", "campaign", "--targeting-types", "GENDER"], "*-targeting levels only"),
        (
            &["--level", "campaign-targeting", "--targeting-types", "GENDER,AGE_BUCKET,COUNTRY,REGION,GEO,LOCATION"],
            "at most 5",
        ),
        (&["--token", "abc", "--level", "ad-group"], "cannot be used with"),
    ] {
        let out = env.cmd().args(["ads", "report", "--ad-account", "1"]).args(args).output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    // The help names the date format.
    let help = env.cmd().args(["ads", "report", "--help"]).output().unwrap();
    let help = text(&help.stdout);
    assert!(help.contains("--start <YYYY-MM-DD>") && help.contains("--end <YYYY-MM-DD>"), "{help}");
}

#[test]
fn failing_reports_exit_1_with_a_clear_message() {
    let env = env();
    let owned = env.owned_account();
    // Pinterest refuses the request: too long a range for product items.
    let out = env
        .cmd()
        .args(["ads", "report", "--ad-account", &owned, "--level", "product-item"])
        .args(["--start", "2025-01-01", "--end", "2025-03-01"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains("at most 31 days"), "{stderr}");
    assert!(out.stdout.is_empty());
    // A report that does not exist.
    let out = env.report(&["--ad-account", &owned, "--token", "no-such-report"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no-such-report") && stderr.contains("DOES_NOT_EXIST"), "{stderr}");
    // A file that is not written stays absent, and no temporary file is left.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.csv");
    let out = env.report(&["--ad-account", &owned, "--token", "no-such-report", "-o", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // Still building when the timeout runs out: how to keep waiting.
    let slow = env_with(Duration::from_secs(3600));
    let out = slow.report(&["--ad-account", &slow.owned_account(), "--timeout", "300ms"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("still IN_PROGRESS") && stderr.contains("--token "), "{stderr}");
    assert_no_progress(&stderr);
}
