//! Sends a checkout to Pinterest's Conversions API, with the person's data
//! normalised and hashed by the SDK:
//! `cargo run -p pinterest-examples --bin conversion_event -- [--record]`.
//!
//! The event goes to the first ad account the user can see. It is sent in
//! test mode (`test=true`: Pinterest checks it and answers, but does not
//! record it) unless `--record` is given, so running this against a real ad
//! account with `PINTEREST_ACCESS_TOKEN` adds no made-up sale to it.

use std::time::{SystemTime, UNIX_EPOCH};

use pinterest_examples::{Result, Target};
use pinterest_sdk::conversions::{Gender, UserData};
use pinterest_sdk::error::escape_controls;
use pinterest_sdk::models::{
    ConversionEvents, ConversionEventsDataItem, ConversionEventsDataItemCustomData,
    ConversionEventsDataItemCustomDataContentsItem,
};
use pinterest_sdk::oauth::Scope;

#[tokio::main]
async fn main() -> Result<()> {
    let record = std::env::args().skip(1).any(|a| a == "--record");
    let target = Target::from_env().await?;
    // Listing ad accounts needs `ads:read`; sending events, `ads:write`.
    let client = target.client(&[Scope::AdsRead, Scope::AdsWrite]).await?;

    let accounts = client.ad_accounts().list().send().await?;
    let account = accounts.items.first().ok_or("the user has no ad account to send events to")?;
    println!("ad account {} ({})", account.id, account.name.as_deref().unwrap_or("unnamed"));

    // Raw values go in; each is normalised and hashed here, and only the
    // digests (and the IP address and user agent, which Pinterest takes as
    // they are) are sent.
    let user = UserData::new()
        .email("  John.Doe@Example.COM ")
        .phone("+1 (555) 010-9999")
        .first_name("John")
        .last_name("Doe")
        .gender(Gender::Male)
        .date_of_birth("1990-01-15")
        .city("San Francisco")
        .state("CA")
        .zip("94105-1234")
        .country("US")
        .external_id("customer-42")
        .client_ip_address("203.0.113.7")
        .client_user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    println!("user data: {user:?}");

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let event = ConversionEventsDataItem::builder()
        .event_name("checkout")
        .action_source("web")
        .event_time(i64::try_from(now.as_secs())?)
        // The same id on the tag's event lets Pinterest count the sale once.
        .event_id(format!("order-{}", now.as_millis()))
        .event_source_url("https://www.example.com/checkout")
        .user_data(user.build()?)
        .custom_data(
            ConversionEventsDataItemCustomData::new()
                .value("72.50")
                .currency("USD")
                .order_id("order-1234")
                .num_items(2)
                .contents([ConversionEventsDataItemCustomDataContentsItem::new()
                    .id("sku-1")
                    .item_price("36.25")
                    .quantity(2)]),
        )
        .build()?;

    let answer =
        client.conversion_events().create(&account.id, ConversionEvents::new([event])).test(!record).send().await?;
    println!(
        "{}: {} of {} events processed",
        if record { "recorded" } else { "test mode, nothing recorded" },
        answer.num_events_processed,
        answer.num_events_received
    );
    for (i, event) in answer.events.iter().enumerate() {
        println!("  event {i}: {}", event.status);
        if let Some(error) = &event.error_message {
            println!("    error: {}", escape_controls(error));
        }
        if let Some(warning) = &event.warning_message {
            println!("    warning: {}", escape_controls(warning));
        }
    }
    Ok(())
}
