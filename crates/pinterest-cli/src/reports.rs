//! `pinterest ads report`: an async ads report, from request to file, on
//! the SDK's report helper (`pinterest_sdk::reports`).
//!
//! The file goes to stdout or `--output` as downloaded (decompressed);
//! notes and progress go to stderr, the spinner and the byte bar only when
//! stderr is a terminal.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pinterest_sdk::chrono::{DateTime, Days, NaiveDate};
use pinterest_sdk::models::{
    self, AdsAnalyticsCreateAsyncRequest, DataOutputFormat, Granularity, MetricsReportingLevel,
};
use pinterest_sdk::reports::{ReportEvent, ReportFormat, SavedReport};
use pinterest_sdk::{Client, Error};
use tokio::io::AsyncWriteExt as _;

use crate::cli::{AdsCmd, ReportArgs, ReportFileFormat, ReportGranularity, ReportLevel};
use crate::output::{CliError, CliResult, Out, terminal_safe};

pub async fn run(client: &Client, out: &Out, cmd: &AdsCmd) -> CliResult {
    match cmd {
        AdsCmd::Report(args) => report(client, out, args).await,
    }
}

impl ReportLevel {
    fn model(self) -> MetricsReportingLevel {
        use MetricsReportingLevel as L;
        match self {
            ReportLevel::Advertiser => L::Advertiser,
            ReportLevel::AdvertiserTargeting => L::AdvertiserTargeting,
            ReportLevel::Campaign => L::Campaign,
            ReportLevel::CampaignTargeting => L::CampaignTargeting,
            ReportLevel::AdGroup => L::AdGroup,
            ReportLevel::AdGroupTargeting => L::AdGroupTargeting,
            ReportLevel::PinPromotion => L::PinPromotion,
            ReportLevel::PinPromotionTargeting => L::PinPromotionTargeting,
            ReportLevel::Keyword => L::Keyword,
            ReportLevel::ProductGroup => L::ProductGroup,
            ReportLevel::ProductGroupTargeting => L::ProductGroupTargeting,
            ReportLevel::ProductItem => L::ProductItem,
            ReportLevel::ProductItemTargeting => L::ProductItemTargeting,
        }
    }
}

impl ReportGranularity {
    fn model(self) -> Granularity {
        match self {
            ReportGranularity::Total => Granularity::Total,
            ReportGranularity::Day => Granularity::Day,
            ReportGranularity::Hour => Granularity::Hour,
            ReportGranularity::Week => Granularity::Week,
            ReportGranularity::Month => Granularity::Month,
        }
    }
}

impl ReportFileFormat {
    fn model(self) -> ReportFormat {
        match self {
            ReportFileFormat::Csv => ReportFormat::Csv,
            ReportFileFormat::Json => ReportFormat::Json,
        }
    }
}

/// Pinterest's limit on the breakdowns of one report.
const MAX_TARGETING_TYPES: usize = 5;

/// Today in UTC.
fn today() -> NaiveDate {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0).map(|d| d.date_naive()).unwrap_or_default()
}

/// The range: both given, or the week up to yesterday.
fn range(args: &ReportArgs) -> CliResult<(NaiveDate, NaiveDate)> {
    let end = match args.end {
        Some(end) => end,
        None => today().checked_sub_days(Days::new(1)).unwrap_or_default(),
    };
    let start = match args.start {
        Some(start) => start,
        None => end.checked_sub_days(Days::new(6)).unwrap_or(end),
    };
    if start > end {
        return Err(CliError::Usage(format!("--start {start} is after --end {end}")));
    }
    Ok((start, end))
}

/// Names as Pinterest spells them: upper case, letters, digits and `_`
/// (the values are checked against the spec's when the command is parsed).
fn names(list: &[String], what: &str) -> CliResult<Vec<String>> {
    let names: Vec<String> = list.iter().map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    if let Some(bad) = names.iter().find(|c| !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')) {
        return Err(CliError::Usage(format!("`{}` is not a {what} name", terminal_safe(bad))));
    }
    Ok(names)
}

/// The first ad account the user owns (else the first they can use), said
/// on stderr.
async fn default_account(client: &Client, out: &Out) -> CliResult<String> {
    let accounts: Vec<models::AdAccount> = client.ad_accounts().list().page_size(100).stream().try_collect().await?;
    let owns =
        |a: &&models::AdAccount| a.permissions.as_ref().is_some_and(|p| p.contains(&models::BusinessAccessRole::Owner));
    let (account, how) = match accounts.iter().find(owns) {
        Some(a) => (a, "the first you own"),
        None => match accounts.first() {
            Some(a) => (a, "the first you can use"),
            None => return Err(CliError::Local("this login sees no ad account; pass --ad-account ID".into())),
        },
    };
    let name = account.name.as_deref().map(|n| format!(" ({})", terminal_safe(n))).unwrap_or_default();
    out.tell(&format!(
        "Using ad account {}{name}, {how}; choose another with --ad-account.",
        terminal_safe(&account.id)
    ));
    Ok(account.id.clone())
}

/// The spinner while Pinterest builds the report, then a byte bar; drawn
/// on stderr only when it is a terminal (and not with --quiet); cleared
/// when dropped (a Ctrl-C).
fn progress(out: &Out) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        .with_finish(indicatif::ProgressFinish::AndClear);
    if out.progress {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} Waiting for report… {msg}, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("requesting");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn on_event(bar: &ProgressBar, e: &ReportEvent) {
    match e {
        ReportEvent::Requested { .. } => bar.set_message("requested"),
        // Server text: escaped before it reaches the terminal.
        ReportEvent::Waiting { status, .. } => bar.set_message(terminal_safe(status.as_str()).into_owned()),
        ReportEvent::Ready { size } => {
            let template = match size {
                Some(size) => {
                    bar.set_length(*size);
                    "{spinner} Downloading [{bar:30}] {bytes}/{total_bytes}"
                }
                None => "{spinner} Downloading {bytes}",
            };
            bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
            bar.set_position(0);
        }
        ReportEvent::Downloading { received, .. } => bar.set_position(*received),
        _ => {}
    }
}

async fn report(client: &Client, out: &Out, args: &ReportArgs) -> CliResult {
    let (start, end) = range(args)?;
    let columns = names(&args.columns, "column")?;
    if columns.is_empty() {
        return Err(CliError::Usage("--columns needs at least one column".into()));
    }
    let targeting = names(&args.targeting_types, "targeting type")?;
    let level = args.level.model();
    if !targeting.is_empty() && !level.as_str().ends_with("_TARGETING") {
        return Err(CliError::Usage(format!(
            "--targeting-types breaks down the *-targeting levels only, not {}",
            level.as_str().to_ascii_lowercase().replace('_', "-")
        )));
    }
    if targeting.len() > MAX_TARGETING_TYPES {
        return Err(CliError::Usage(format!("--targeting-types takes at most {MAX_TARGETING_TYPES} types")));
    }
    let output = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let account = match &args.ad_account {
        Some(id) => id.clone(),
        None => default_account(client, out).await?,
    };
    let job = match &args.token {
        // A report requested earlier: its format is sniffed from the file.
        Some(token) => client.ad_accounts().resume_report(&account, token),
        None => {
            let mut request = AdsAnalyticsCreateAsyncRequest::builder()
                .level(level)
                .start_date(start.to_string())
                .end_date(end.to_string())
                .granularity(args.granularity.model())
                .columns(columns)
                .report_format(DataOutputFormat::from(args.format.model()));
            if !targeting.is_empty() {
                request = request.targeting_types(targeting);
            }
            client.ad_accounts().report(&account, request.build().map_err(Error::from)?)
        }
    };
    let bar = progress(out);
    let b = bar.clone();
    let job = job.poll_interval(args.poll_interval).timeout(args.timeout).on_event(move |e| on_event(&b, e));
    let saved = match output {
        None => match stdout() {
            Ok(mut stdout) => job.download_to(&mut stdout).await,
            Err(e) => Err(Error::ReportFile { reason: "cannot write to stdout".into(), source: Some(Box::new(e)) }),
        },
        // Wait first: a Ctrl-C while Pinterest builds the report leaves no
        // file behind.
        Some(path) => match job.wait().await {
            Ok(finished) => {
                let b = bar.clone();
                let download = client.ad_accounts().download_report(finished).on_event(move |e| on_event(&b, e));
                save(path, download).await
            }
            Err(e) => Err(e),
        },
    };
    bar.finish_and_clear();
    let saved = match saved {
        Ok(saved) => saved,
        // A timeout says how to keep waiting.
        Err(Error::ReportTimeout { token, status, waited, .. }) => {
            return Err(CliError::Local(format!(
                "report {token} was still {status} after {} s; keep waiting with \
                 `pinterest ads report --ad-account {account} --token {token} -o FILE`",
                waited.as_secs()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(path) = output {
        out.tell(&format!(
            "Wrote {} ({} bytes) to {}.",
            saved.format,
            saved.bytes,
            terminal_safe(&path.display().to_string())
        ));
    }
    Ok(())
}

/// Stdout as an async file (its writes run on tokio's blocking pool).
fn stdout() -> std::io::Result<tokio::fs::File> {
    #[cfg(unix)]
    let handle = std::os::fd::AsFd::as_fd(&std::io::stdout()).try_clone_to_owned()?;
    #[cfg(windows)]
    let handle = std::os::windows::io::AsHandle::as_handle(&std::io::stdout()).try_clone_to_owned()?;
    Ok(tokio::fs::File::from_std(std::fs::File::from(handle)))
}

/// A temporary file beside `path`, renamed over it once the download is
/// whole; removed when it is not.
async fn save(path: &Path, job: pinterest_sdk::reports::ReportDownload<&Client>) -> pinterest_sdk::Result<SavedReport> {
    let io = |what: &str, e: std::io::Error| Error::ReportFile { reason: what.to_owned(), source: Some(Box::new(e)) };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(".{name}.{}.{nanos}.part", std::process::id()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .await
        .map_err(|e| io(&format!("cannot create a file in {}", dir.display()), e))?;
    // Removes the partial file however this ends, a Ctrl-C included (the
    // future is then dropped mid-download).
    let mut guard = PartFile(Some(temp.clone()));
    let written = async {
        let saved = job.download_to(&mut file).await?;
        file.flush().await.map_err(|e| io("cannot write the report", e))?;
        file.sync_all().await.map_err(|e| io("cannot write the report", e))?;
        drop(file);
        tokio::fs::rename(&temp, path).await.map_err(|e| io(&format!("cannot rename it to {}", path.display()), e))?;
        // The rename itself, on disk (best effort: not every system syncs directories).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(saved)
    }
    .await;
    if written.is_ok() {
        guard.0 = None;
    }
    written
}

/// A partial file, removed when dropped unless it was renamed into place.
struct PartFile(Option<PathBuf>);

impl Drop for PartFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_upper_cased_and_checked() {
        let list = vec![" spend_in_dollar".to_owned(), "IMPRESSION_1".to_owned(), String::new()];
        assert_eq!(names(&list, "column").unwrap(), ["SPEND_IN_DOLLAR", "IMPRESSION_1"]);
        assert!(names(&["SPEND;DROP".to_owned()], "column").is_err());
    }

    #[test]
    fn every_level_maps_to_pinterest_s() {
        use clap::ValueEnum as _;
        let ours: Vec<String> = ReportLevel::value_variants().iter().map(|l| l.model().to_string()).collect();
        assert_eq!(ours, MetricsReportingLevel::VALUES);
    }
}
