//! `pinterest-emulator`: the Pinterest API and its OAuth server, offline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory as _, Parser};
use pinterest_emulator::{AdminToken, App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, RateLimits, Timestamps};

/// `--timestamps`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TimestampStyle {
    /// `2025-01-01T00:00:00Z`: RFC 3339, as the spec's date-time format wants.
    Rfc3339,
    /// `2025-01-01T00:00:00`: no offset, as Pinterest's live servers have been seen to send.
    Live,
}

/// An offline emulator of the Pinterest REST API v5 and its OAuth server.
#[derive(Debug, Parser)]
#[command(name = "pinterest-emulator", version)]
struct Args {
    /// Address to listen on; loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1:4010")]
    bind: SocketAddr,
    /// Approve consent at once: a GET on /oauth/ redirects with a code.
    #[arg(long)]
    auto_approve: bool,
    /// Deterministic ids, timestamps and tokens.
    #[arg(long)]
    seed: Option<u64>,
    /// Load the state from this JSON file (if it exists) and save it there on exit.
    #[arg(long)]
    state: Option<PathBuf>,
    /// A JSON file with more apps: [{"client_id", "client_secret", "name", "redirect_uris": [...]}].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 30 * 24 * 3600)]
    access_token_ttl: u64,
    /// Seconds a client may take to send a request head (and an idle
    /// connection to send its next one) before the connection is closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout: u64,
    /// Another Host admin requests may name, besides localhost, 127.0.0.1
    /// and [::1]: NAME (any port) or NAME:PORT. Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on the admin routes. Prefer the
    /// environment variable: a flag shows in the process list.
    #[arg(long, env = "PINTEREST_EMULATOR_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    admin_token: Option<AdminToken>,
    /// How API responses write date-time values.
    #[arg(long, value_enum, default_value = "rfc3339")]
    timestamps: TimestampStyle,
    /// Milliseconds an async ads report stays IN_PROGRESS before it is FINISHED.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    report_delay: u64,
    /// Seconds a report's download URL works; each status read signs a new one.
    #[arg(long, default_value_t = 3600, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    report_url_ttl: u64,
    /// Rate limits, off by default: N/WINDOW (100/60s) and CATEGORY=N
    /// (ads_analytics=5). Repeatable.
    ///
    /// N/WINDOW gives every rate-limit category N calls per WINDOW (500ms,
    /// 2s, 60s, 1m, 1h); CATEGORY=N gives one category (ads_analytics,
    /// org_read, ads_write, ...) N calls per window, the window being that
    /// of N/WINDOW or else 60s. Calls are counted per app, user and
    /// category; answers then carry x-ratelimit-limit,
    /// x-ratelimit-remaining and x-ratelimit-reset, and a call over budget
    /// gets 429 with Retry-After.
    #[arg(long = "rate-limit", value_name = "N/WINDOW|CATEGORY=N", value_parser = parse_rate_limit)]
    rate_limits: Vec<RateLimitArg>,
}

/// One `--rate-limit` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RateLimitArg {
    /// `N/WINDOW`: the default limit and the window.
    Default { calls: u32, window: Duration },
    /// `CATEGORY=N`: the limit of one category.
    Category { category: String, calls: u32 },
}

/// Reads `N/WINDOW` or `CATEGORY=N`.
fn parse_rate_limit(value: &str) -> Result<RateLimitArg, String> {
    let calls = |n: &str| {
        n.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{n}` is not a number of calls (a whole number, 0 to {})", u32::MAX))
    };
    if let Some((category, n)) = value.split_once('=') {
        let category = category.trim();
        let known = RateLimits::known_categories();
        if !known.contains(&category) {
            return Err(format!("`{category}` is not a rate-limit category; the categories are {}", known.join(", ")));
        }
        if n.contains('/') {
            return Err(format!(
                "a category takes a number of calls only (`{category}=5`); the window is that of N/WINDOW"
            ));
        }
        return Ok(RateLimitArg::Category { category: category.to_owned(), calls: calls(n)? });
    }
    let Some((n, window)) = value.split_once('/') else {
        return Err("expected N/WINDOW (`100/60s`) or CATEGORY=N (`ads_analytics=5`)".into());
    };
    Ok(RateLimitArg::Default { calls: calls(n)?, window: parse_window(window)? })
}

/// Reads a window: a whole number and a unit, `ms`, `s`, `m` or `h`.
fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (n, unit) = text.split_at(digits);
    let bad = || format!("`{text}` is not a window: write a whole number and a unit, like 500ms, 2s, 60s, 1m or 1h");
    let n: u64 = n.parse().map_err(|_| bad())?;
    let window = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(bad)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    if window.is_zero() {
        return Err(format!("the window `{text}` is empty: it must be longer than zero"));
    }
    Ok(window)
}

/// The limits the `--rate-limit` values make together; `None` without any.
fn rate_limits(args: &[RateLimitArg]) -> Result<Option<RateLimits>, String> {
    if args.is_empty() {
        return Ok(None);
    }
    let mut defaults = args.iter().filter_map(|a| match a {
        RateLimitArg::Default { calls, window } => Some((*calls, *window)),
        RateLimitArg::Category { .. } => None,
    });
    let default = defaults.next();
    if defaults.next().is_some() {
        return Err("--rate-limit N/WINDOW is given more than once: give one default limit and window".into());
    }
    let mut limits = RateLimits::new(default.map_or(Duration::from_secs(60), |(_, window)| window));
    if let Some((calls, _)) = default {
        limits = limits.default_limit(calls);
    }
    let mut seen = Vec::new();
    for arg in args {
        if let RateLimitArg::Category { category, calls } = arg {
            if seen.contains(&category) {
                return Err(format!("--rate-limit gives `{category}` more than one limit"));
            }
            seen.push(category);
            limits = limits.limit(category.clone(), *calls);
        }
    }
    Ok(Some(limits))
}

/// `100 calls per 60s for each category; ads_analytics 5`.
fn describe(args: &[RateLimitArg]) -> String {
    args.iter()
        .map(|a| match a {
            RateLimitArg::Default { calls, window } => format!("{calls} calls per {window:?} for each category"),
            RateLimitArg::Category { category, calls } => format!("{category} {calls}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let limits = match rate_limits(&args.rate_limits) {
        Ok(limits) => limits,
        Err(e) => Args::command().error(clap::error::ErrorKind::ArgumentConflict, e).exit(),
    };
    if !args.bind.ip().is_loopback() {
        eprintln!("warning: listening on {}, not loopback: anyone who can reach it can use it", args.bind);
    }
    let mut builder = Emulator::builder()
        .bind(args.bind)
        .auto_approve(args.auto_approve)
        .access_token_ttl(Duration::from_secs(args.access_token_ttl))
        .header_read_timeout(Duration::from_secs(args.header_read_timeout))
        .report_delay(Duration::from_millis(args.report_delay))
        .report_url_ttl(Duration::from_secs(args.report_url_ttl))
        .timestamps(match args.timestamps {
            TimestampStyle::Rfc3339 => Timestamps::Rfc3339,
            TimestampStyle::Live => Timestamps::Live,
        });
    for host in &args.allow_hosts {
        builder = builder.allow_host(host);
    }
    let admin_token = args.admin_token.is_some();
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(limits) = limits {
        builder = builder.rate_limits(limits);
    }
    if let Some(path) = &args.state {
        builder = builder.state_file(path);
    }
    if let Some(path) = &args.config {
        let apps: Vec<App> = match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: cannot read apps from {}: {e}", path.display());
                std::process::exit(2);
            }
        };
        for app in apps {
            builder = builder.app(app);
        }
    }
    let emulator = match builder.start().await {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("error: cannot start on {}: {e}", args.bind);
            std::process::exit(1);
        }
    };
    println!("Pinterest emulator");
    println!("  API base:      {}   (PINTEREST_API_URI={})", emulator.api_base(), emulator.base_url());
    println!("  OAuth consent: {}/oauth/   (PINTEREST_OAUTH_URI={})", emulator.oauth_base(), emulator.oauth_base());
    println!("  Demo app:      client id {DEMO_CLIENT_ID}, secret {DEMO_CLIENT_SECRET}");
    println!("                 redirect URIs https://localhost/ and http://localhost:8085/");
    if !args.rate_limits.is_empty() {
        println!("  Rate limits:   {}", describe(&args.rate_limits));
    }
    println!("  Admin:         {}/_emulator/ (reset, seed, requests, faults, tokens)", emulator.base_url());
    println!(
        "                 loopback Host only, JSON writes{}",
        if admin_token { ", admin token required" } else { "" }
    );
    if args.auto_approve {
        println!("  Consent is approved at once (--auto-approve).");
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    eprintln!("stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_values_are_read() {
        assert_eq!(
            parse_rate_limit("100/60s"),
            Ok(RateLimitArg::Default { calls: 100, window: Duration::from_secs(60) })
        );
        assert_eq!(parse_rate_limit("5/2s"), Ok(RateLimitArg::Default { calls: 5, window: Duration::from_secs(2) }));
        assert_eq!(
            parse_rate_limit("1000/1m"),
            Ok(RateLimitArg::Default { calls: 1000, window: Duration::from_secs(60) })
        );
        assert_eq!(
            parse_rate_limit("3/500ms"),
            Ok(RateLimitArg::Default { calls: 3, window: Duration::from_millis(500) })
        );
        assert_eq!(
            parse_rate_limit("ads_analytics=5"),
            Ok(RateLimitArg::Category { category: "ads_analytics".into(), calls: 5 })
        );
    }

    #[test]
    fn malformed_rate_limit_values_are_explained() {
        for (value, says) in [
            ("100", "expected N/WINDOW"),
            ("x/60s", "not a number of calls"),
            ("-1/60s", "not a number of calls"),
            ("100/", "not a window"),
            ("100/60", "not a window"),
            ("100/60 sec", "not a window"),
            ("100/1.5s", "not a window"),
            ("100/0s", "longer than zero"),
            ("100/99999999999999999999h", "not a window"),
            ("ads_raed=5", "not a rate-limit category"),
            ("ads_read=", "not a number of calls"),
            ("ads_read=5/2s", "a number of calls only"),
        ] {
            let e = parse_rate_limit(value).unwrap_err();
            assert!(e.contains(says), "{value}: {e}");
        }
    }

    #[test]
    fn rate_limit_values_combine() {
        let args = |values: &[&str]| values.iter().map(|v| parse_rate_limit(v).unwrap()).collect::<Vec<_>>();
        assert_eq!(rate_limits(&[]), Ok(None));
        let limits = rate_limits(&args(&["ads_analytics=5", "100/2s"])).unwrap().unwrap();
        assert_eq!(limits.window(), Duration::from_secs(2));
        assert_eq!((limits.limit_for("ads_analytics"), limits.limit_for("org_read")), (Some(5), Some(100)));
        let only = rate_limits(&args(&["ads_read=1"])).unwrap().unwrap();
        assert_eq!(
            (only.window(), only.limit_for("ads_read"), only.limit_for("org_read")),
            (Duration::from_secs(60), Some(1), None)
        );
        assert!(rate_limits(&args(&["1/1s", "2/2s"])).unwrap_err().contains("more than once"));
        assert!(rate_limits(&args(&["ads_read=1", "ads_read=2"])).unwrap_err().contains("more than one limit"));
    }
}
