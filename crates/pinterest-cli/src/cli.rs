//! Command-line arguments.

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use pinterest_sdk::chrono::NaiveDate;
use pinterest_sdk::models;

/// Work with Pinterest from a terminal: log in once, then call any endpoint.
///
/// Exit codes: 0 ok (also when a reader such as `head` closes the pipe),
/// 1 API error, 2 usage, 3 authentication required, 4 network, 130
/// cancelled (Ctrl-C). Output is a table on a terminal and JSON otherwise
/// (or with --json). Set PINTEREST_DEBUG=api (or pass -v) to see every
/// API call on stderr.
#[derive(Debug, Parser)]
#[command(name = "pinterest", version, propagate_version = true)]
pub struct Cli {
    /// Profile to use (each has its own login).
    #[arg(long, global = true, env = "PINTEREST_PROFILE", default_value = "default")]
    pub profile: String,
    /// JSON output, also on a terminal; `--json=id,name` keeps only those
    /// fields (of the object, or of each item of a list).
    #[arg(long, global = true, value_name = "FIELDS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub json: Option<String>,
    /// Filter the JSON output with a jq expression (`--jq '.[].name'`);
    /// strings come out without quotes.
    #[arg(long, global = true, value_name = "EXPR")]
    pub jq: Option<String>,
    /// Use Pinterest's sandbox API.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Print only results: no notes, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No colour (also when NO_COLOR is set or the output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More on stderr: -v every API call (method, path, status, request
    /// id, time), -vv the SDK's debug log, -vvv everything. Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// How many items a list shows: `--limit N` (30 when not given) or `--all`.
#[derive(Debug, Args, Clone, Copy)]
pub struct ListArgs {
    /// Show at most this many items.
    #[arg(short = 'L', long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// Show every item, page after page.
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

impl ListArgs {
    /// At most this many items (`None`: all).
    pub fn max(self) -> Option<usize> {
        (!self.all).then_some(self.limit as usize)
    }

    /// The first `n` items.
    pub fn first(n: u32) -> Self {
        ListArgs { limit: n, all: false }
    }
}

/// Skips the prompt of a destructive command.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ConfirmArgs {
    /// Do it without asking (needed when not on a terminal).
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and out, and inspect the stored login.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Call any endpoint: `pinterest api GET /boards --paginate`.
    Api(ApiArgs),
    /// The logged-in user account.
    Me,
    /// Boards.
    #[command(subcommand)]
    Boards(BoardsCmd),
    /// Board sections.
    #[command(subcommand)]
    Sections(SectionsCmd),
    /// Pins.
    #[command(subcommand)]
    Pins(PinsCmd),
    /// Media uploads.
    #[command(subcommand)]
    Media(MediaCmd),
    /// Search your Pins and boards.
    #[command(subcommand)]
    Search(SearchCmd),
    /// Analytics of the account or of a Pin.
    #[command(subcommand)]
    Analytics(AnalyticsCmd),
    /// Ads: async reports.
    #[command(subcommand)]
    Ads(AdsCmd),
    /// A tour against an embedded emulator: login, reads, writes, upload, refresh.
    Demo(DemoArgs),
    /// Shell completions, with how to install them.
    #[command(after_long_help = COMPLETION_HELP)]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuthCmd {
    /// Log in through the browser (or with --client-credentials / --with-token).
    Login(LoginArgs),
    /// Who is logged in, with which scopes, until when.
    Status,
    /// Refresh the access token now.
    Refresh,
    /// Forget the stored login.
    Logout,
    /// Revoke the stored tokens at Pinterest, then forget them.
    Revoke(ConfirmArgs),
}

#[derive(Debug, Args, Clone)]
pub struct LoginArgs {
    /// Scopes, comma separated (default: user_accounts:read, pins:read, boards:read,
    /// pins:write, boards:write, pins:read_secret, boards:read_secret).
    #[arg(long, value_name = "SCOPES", value_parser = ScopeList)]
    pub scopes: Option<ScopeNames>,
    /// Port of the loopback redirect listener; `http://localhost:<port>/` must be
    /// a redirect URI of the app. The listener takes this port on both 127.0.0.1
    /// and ::1 (a browser may resolve `localhost` to either) and refuses to
    /// start when another program holds it on either. Requests other than the
    /// redirect with this login's `state` are answered 4xx and ignored.
    #[arg(long, default_value_t = 8085)]
    pub port: u16,
    /// Print the URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Get an app token with the client-credentials grant (no browser).
    #[arg(long, conflicts_with_all = ["with_token", "no_browser"])]
    pub client_credentials: bool,
    /// Read an existing access token from stdin; it is checked with
    /// Pinterest before it is stored.
    #[arg(long)]
    pub with_token: bool,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method.
    pub method: String,
    /// Path under /v5, e.g. /boards/123/pins.
    pub path: String,
    /// A string field: a query parameter for GET/DELETE, a JSON body field
    /// otherwise. `key[sub]=v` nests objects and `key[]=v` appends to a list.
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// A typed field: true, false, null and JSON numbers (integers within 64 bits)
    /// are JSON values, anything else (`NaN`, `+5`, a 30-digit id) is the string as
    /// written; `@file` reads a file (`@-` stdin). Keys nest as with -f.
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub typed_fields: Vec<String>,
    /// The JSON request body from a file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub input: Option<String>,
    /// Follow bookmarks and print every item (one JSON value per line;
    /// --jq and --json=FIELDS apply to each item); an answer that is not a
    /// list is printed as it is.
    #[arg(long)]
    pub paginate: bool,
    /// An extra request header.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum BoardsCmd {
    /// Your boards.
    List(ListArgs),
    /// One board.
    Get { board_id: String },
    /// Create a board.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, ignore_case = true, value_parser = PossibleValuesParser::new(models::BoardPrivacy::VALUES))]
        privacy: Option<String>,
    },
    /// Change a board.
    Update {
        board_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, ignore_case = true, value_parser = PossibleValuesParser::new(models::BoardUpdatePrivacy::VALUES))]
        privacy: Option<String>,
    },
    /// Delete a board and its Pins (asks first on a terminal).
    Delete {
        board_id: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SectionsCmd {
    /// Sections of a board.
    List {
        board_id: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Create a section.
    Create { board_id: String, name: String },
    /// Rename a section.
    Update { board_id: String, section_id: String, name: String },
    /// Delete a section (asks first on a terminal).
    Delete {
        board_id: String,
        section_id: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PinsCmd {
    /// Your Pins (or a board's, with --board).
    List {
        #[arg(long)]
        board: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// One Pin.
    Get { pin_id: String },
    /// Create a Pin from an image URL, or from a video uploaded with
    /// `pinterest media upload`.
    Create {
        #[arg(long)]
        board: String,
        /// The image of the Pin.
        #[arg(long, required_unless_present = "media_id", conflicts_with = "media_id")]
        image_url: Option<String>,
        /// An uploaded video (its media id).
        #[arg(long)]
        media_id: Option<String>,
        /// Cover image of a video Pin (default: its first frame).
        #[arg(long, requires = "media_id")]
        cover_image_url: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        link: Option<String>,
    },
    /// Change a Pin.
    Update {
        pin_id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        link: Option<String>,
    },
    /// Delete a Pin (asks first on a terminal).
    Delete {
        pin_id: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Save a Pin to a board.
    Save {
        pin_id: String,
        #[arg(long)]
        board: String,
        #[arg(long)]
        section: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MediaCmd {
    /// Upload a video, wait until processed, and optionally make a Pin of it.
    Upload {
        file: std::path::PathBuf,
        /// Create a Pin on this board once processed (the board is checked
        /// before anything is uploaded).
        #[arg(long)]
        board: Option<String>,
        #[arg(long)]
        title: Option<String>,
        /// Cover image of the video Pin.
        #[arg(long)]
        cover_image_url: Option<String>,
        /// Seconds between status polls (0: poll without waiting).
        #[arg(long, default_value_t = 2)]
        poll: u64,
    },
    /// Status of an upload.
    Get { media_id: String },
}

#[derive(Debug, Subcommand)]
pub enum SearchCmd {
    /// Search your Pins.
    Pins {
        query: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Search your boards.
    Boards {
        query: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AnalyticsCmd {
    /// Account analytics: a row per day and a total.
    User {
        #[command(flatten)]
        range: DateRange,
        /// Metrics, comma separated.
        #[arg(
            long,
            value_delimiter = ',',
            ignore_case = true,
            default_value = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK",
            value_parser = PossibleValuesParser::new(models::UserAccountGetAnalyticsMetricTypesItem::VALUES)
        )]
        metrics: Vec<String>,
    },
    /// Analytics of one Pin: a row per day and a total.
    Pin {
        pin_id: String,
        #[command(flatten)]
        range: DateRange,
        /// Metrics, comma separated.
        #[arg(
            long,
            value_delimiter = ',',
            ignore_case = true,
            default_value = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK",
            value_parser = PossibleValuesParser::new(models::PinsGetAnalyticsMetricTypesItem::VALUES)
        )]
        metrics: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port of the loopback redirect listener for the demo login (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

#[derive(Debug, Subcommand)]
pub enum AdsCmd {
    /// Request an async report, wait while Pinterest builds it and write
    /// the file (CSV or JSON, decompressed) to stdout or --output.
    ///
    /// Progress (a spinner while waiting, a byte count while downloading)
    /// goes to stderr when it is a terminal.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The ad account (default: the first one you own).
    #[arg(long, value_name = "ID")]
    pub ad_account: Option<String>,
    /// What a row is about.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ReportLevel::Campaign)]
    pub level: ReportLevel,
    /// First day of the range (default: six days before --end).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Last day of the range, included (default: yesterday, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub end: Option<NaiveDate>,
    /// One row per entity and ...
    #[arg(long, value_enum, ignore_case = true, default_value_t = ReportGranularity::Day)]
    pub granularity: ReportGranularity,
    /// Columns, comma separated (Pinterest's names: SPEND_IN_DOLLAR, IMPRESSION_1, CLICKTHROUGH_1, CTR, ...).
    #[arg(
        long,
        value_name = "COLUMNS",
        value_delimiter = ',',
        default_value = "SPEND_IN_DOLLAR,IMPRESSION_1,CLICKTHROUGH_1",
        value_parser = parse_column
    )]
    pub columns: Vec<String>,
    /// The file's format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ReportFileFormat::Csv)]
    pub format: ReportFileFormat,
    /// Breakdowns of the *-targeting levels, comma separated (GENDER, AGE_BUCKET, COUNTRY, ...).
    #[arg(
        long,
        value_name = "TYPES",
        value_delimiter = ',',
        ignore_case = true,
        value_parser = PossibleValuesParser::new(models::AdsAnalyticsCreateAsyncRequestTargetingTypesItem::VALUES)
    )]
    pub targeting_types: Vec<String>,
    /// Where to write the file (`-`, the default: stdout). A file is written
    /// beside its final name first, then renamed, so it is whole or absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// First wait between status reads, doubling up to 30 s (500ms, 2s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub poll_interval: std::time::Duration,
    /// How long to wait for the report to be built (90s, 30m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Wait for a report requested earlier (its token, as a timeout prints)
    /// instead of requesting one; what it holds was set when it was
    /// requested, so the options that shape a report do not go with it.
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with_all = ["level", "start", "end", "granularity", "columns", "format", "targeting_types"]
    )]
    pub token: Option<String>,
}

/// Report levels (Pinterest's `MetricsReportingLevel`); `CAMPAIGN_TARGETING`
/// spelling is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportLevel {
    Advertiser,
    #[value(alias = "advertiser_targeting")]
    AdvertiserTargeting,
    Campaign,
    #[value(alias = "campaign_targeting")]
    CampaignTargeting,
    #[value(alias = "ad_group")]
    AdGroup,
    #[value(alias = "ad_group_targeting")]
    AdGroupTargeting,
    #[value(alias = "pin_promotion")]
    PinPromotion,
    #[value(alias = "pin_promotion_targeting")]
    PinPromotionTargeting,
    Keyword,
    #[value(alias = "product_group")]
    ProductGroup,
    #[value(alias = "product_group_targeting")]
    ProductGroupTargeting,
    #[value(alias = "product_item")]
    ProductItem,
    #[value(alias = "product_item_targeting")]
    ProductItemTargeting,
}

/// Report granularities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportGranularity {
    /// One row per entity for the whole range (no DATE).
    Total,
    Day,
    Hour,
    Week,
    Month,
}

/// Report file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFileFormat {
    Csv,
    Json,
}

/// A range of days.
#[derive(Debug, Args, Clone, Copy)]
pub struct DateRange {
    /// First day, as YYYY-MM-DD (default: 29 days before --end).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub start: Option<NaiveDate>,
    /// Last day, included, as YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub end: Option<NaiveDate>,
}

/// How to install completions, shell by shell.
const COMPLETION_HELP: &str = "\
Install:
  bash        pinterest completions bash > ~/.local/share/bash-completion/completions/pinterest
  zsh         pinterest completions zsh > \"${fpath[1]}/_pinterest\"   (then restart zsh)
  fish        pinterest completions fish > ~/.config/fish/completions/pinterest.fish
  elvish      pinterest completions elvish >> ~/.config/elvish/rc.elv
  powershell  pinterest completions powershell >> $PROFILE";

/// The install line for one shell.
pub fn completion_install(shell: clap_complete::Shell) -> Option<&'static str> {
    let name = shell.to_string();
    COMPLETION_HELP.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).map(str::trim)
}

/// The scope names of `--scopes`, checked.
#[derive(Clone, Debug)]
pub struct ScopeNames(pub Vec<String>);

/// `--scopes`: names Pinterest knows, separated by commas or spaces
/// (`"a, b"` works as `a,b` does); offered by completion.
#[derive(Clone, Copy, Debug)]
pub struct ScopeList;

impl clap::builder::TypedValueParser for ScopeList {
    type Value = ScopeNames;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ScopeNames, clap::Error> {
        let text = value.to_str().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        let known = pinterest_sdk::oauth::Scope::ALL;
        let mut out = Vec::new();
        for name in text.split([',', ' ']).map(str::trim).filter(|n| !n.is_empty()) {
            if !known.iter().any(|k| k.as_str() == name) {
                let flag = arg.map(|a| a.get_id().to_string()).unwrap_or_default();
                let names: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                let message = format!(
                    "invalid value '{}' for '--{flag}': the scopes are {}\n",
                    name.escape_debug(),
                    names.join(", ")
                );
                return Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, message).with_cmd(cmd));
            }
            out.push(name.to_owned());
        }
        Ok(ScopeNames(out))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(pinterest_sdk::oauth::Scope::ALL.iter().map(|s| clap::builder::PossibleValue::new(s.as_str()))))
    }
}

/// A report column of the spec (`ReportingColumnAsync`), any case. Too
/// many to list in an error, so the error names a few.
fn parse_column(s: &str) -> Result<String, String> {
    let upper = s.trim().to_ascii_uppercase();
    // An empty name (`--columns a,,b`) is dropped later.
    if upper.is_empty() || models::ReportingColumnAsync::VALUES.contains(&upper.as_str()) {
        return Ok(upper);
    }
    Err(format!(
        "`{}` is not a report column; Pinterest's names are like SPEND_IN_DOLLAR, IMPRESSION_1, CLICKTHROUGH_1, CTR \
         (all {} are in the spec's ReportingColumnAsync)",
        s.escape_debug(),
        models::ReportingColumnAsync::VALUES.len()
    ))
}

/// A date as `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let well_formed = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    match s.parse() {
        Ok(d) if well_formed => Ok(d),
        _ => Err(format!("expected a date as YYYY-MM-DD (e.g. 2025-04-01), not `{}`", s.escape_debug())),
    }
}

/// A duration: a number with `ms`, `s`, `m` or `h` (seconds without a unit).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    number
        .parse::<f64>()
        .ok()
        .map(|n| n * scale)
        .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!("expected a duration above zero such as 500ms, 2s, 5m or 1h, not `{}`", s.escape_debug())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations() {
        assert_eq!(parse_date("2025-04-01"), Ok(NaiveDate::from_ymd_opt(2025, 4, 1).unwrap_or_default()));
        for bad in ["2025-4-1", "2025-02-30", "01/04/2025", "2025-04-01x", "+2025-04-01", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("500ms"), Ok(std::time::Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(std::time::Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(std::time::Duration::from_millis(1500)));
        assert_eq!(parse_duration("30m"), Ok(std::time::Duration::from_secs(1800)));
        for bad in ["", "fast", "-1s", "5 days", "1e9h", "0", "0ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
