//! An async ads report, from request to typed rows:
//! `cargo run -p pinterest-examples --bin ads_report`.
//!
//! Asks Pinterest for a CSV report of the campaigns of the first ad account
//! the user owns over the last seven days, waits while it is built (status
//! reads with backoff), downloads the file from the signed link (without
//! the Pinterest token) and prints a row per campaign and day.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pinterest_examples::{Result, Target};
use pinterest_sdk::chrono::{DateTime, Days, NaiveDate};
use pinterest_sdk::models::{
    AdAccount, AdsAnalyticsCreateAsyncRequest, BusinessAccessRole, DataOutputFormat, Granularity, MetricsReportingLevel,
};
use pinterest_sdk::oauth::Scope;
use pinterest_sdk::reports::ReportEvent;

/// A row of the report, as this program wants it. Ids come as text, dates
/// as dates; an empty cell is a `None`.
#[derive(Debug, serde::Deserialize)]
struct CampaignDay {
    #[serde(rename = "CAMPAIGN_ID")]
    campaign_id: String,
    #[serde(rename = "DATE")]
    date: NaiveDate,
    #[serde(rename = "IMPRESSION_1")]
    impressions: Option<u64>,
    #[serde(rename = "SPEND_IN_DOLLAR")]
    spend: Option<f64>,
}

/// Today in UTC.
fn today() -> NaiveDate {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0).map(|d| d.date_naive()).unwrap_or_default()
}

fn owns(a: &AdAccount) -> bool {
    a.permissions.as_ref().is_some_and(|p| p.contains(&BusinessAccessRole::Owner))
}

#[tokio::main]
async fn main() -> Result<()> {
    let target = Target::from_env().await?;
    // Listing ad accounts and reading their reports needs `ads:read`.
    let client = target.client(&[Scope::AdsRead]).await?;

    let accounts = client.ad_accounts().list().send().await?.items;
    let account = accounts.iter().find(|a| owns(a)).ok_or("the user owns no ad account")?;
    println!("ad account {} ({})", account.id, account.name.as_deref().unwrap_or("unnamed"));

    // The last seven full days.
    let end = today().checked_sub_days(Days::new(1)).ok_or("no yesterday")?;
    let start = end.checked_sub_days(Days::new(6)).ok_or("no week before")?;
    let request = AdsAnalyticsCreateAsyncRequest::builder()
        .level(MetricsReportingLevel::Campaign)
        .start_date(start.to_string())
        .end_date(end.to_string())
        .granularity(Granularity::Day)
        .columns(["IMPRESSION_1", "SPEND_IN_DOLLAR", "CLICKTHROUGH_1"])
        .report_format(DataOutputFormat::Csv)
        .build()?;

    let report = client
        .ad_accounts()
        .report(&account.id, request)
        .poll_interval(Duration::from_millis(500))
        .max_poll_interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(10 * 60))
        .on_event(|e| match e {
            ReportEvent::Requested { token } => eprintln!("requested report {token}"),
            ReportEvent::Waiting { status, next_poll_in, .. } => {
                eprintln!("{status}; next check in {} ms", next_poll_in.as_millis());
            }
            ReportEvent::Downloaded { bytes } => eprintln!("downloaded {bytes} bytes"),
            _ => {}
        })
        .send()
        .await?;

    let mut rows: Vec<CampaignDay> = report.deserialize()?;
    rows.sort_by(|a, b| (&a.campaign_id, a.date).cmp(&(&b.campaign_id, b.date)));
    println!("{:<20} {:<10} {:>12} {:>12}", "campaign", "date", "impressions", "spend");
    for r in &rows {
        println!(
            "{:<20} {:<10} {:>12} {:>12.2}",
            r.campaign_id,
            r.date,
            r.impressions.unwrap_or(0),
            r.spend.unwrap_or(0.0)
        );
    }
    let impressions: u64 = rows.iter().filter_map(|r| r.impressions).sum();
    let spend: f64 = rows.iter().filter_map(|r| r.spend).sum();
    println!("{} rows from {start} to {end}: {impressions} impressions, ${spend:.2} spent", rows.len());
    Ok(())
}
