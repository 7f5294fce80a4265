//! The flow of python-pinterest's authorization page, with the SDK:
//! `cargo run -p pinterest-examples --bin quickstart`.
//!
//! Walks the flow of python-pinterest's authorization page with the SDK,
//! step by step: the authorization URL, the consent, the redirect, the
//! tokens, then the user account, boards and Pins, a new board and Pin,
//! paging, and a token refresh.
//!
//! With no configuration it starts the emulator in this process (consent is
//! approved at once, standing in for the person). With `PINTEREST_API_URI`
//! (and `PINTEREST_OAUTH_URI`) set, it walks the same steps against that
//! server instead, e.g. a `pinterest-emulator --auto-approve` you started.
//! App credentials come from `PINTEREST_APP_ID` / `PINTEREST_APP_SECRET`,
//! else the emulator's demo app.

use futures_util::TryStreamExt;
use pinterest_sdk::oauth::{OAuth, Scope};
use pinterest_sdk::{Client, models};

use pinterest_examples::Result;

/// Replaces the value of `key` in a URL's query with `[redacted]` for printing.
fn redact(url: &str, keys: &[&str]) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return "[unprintable URL]".into() };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if keys.contains(&k.as_ref()) { "[redacted]".to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string().replace("%5Bredacted%5D", "[redacted]")
}

fn step(n: u32, what: &str) {
    println!("\n{n}. {what}");
}

#[tokio::main]
async fn main() -> Result<()> {
    // 0. A server: the one named in the environment, or an emulator here
    // (see `pinterest_examples::Target`), and the app's id and secret.
    let target = pinterest_examples::Target::from_env().await?;
    let (config, app_id, app_secret) = (target.config.clone(), target.app_id.clone(), target.app_secret.clone());

    step(1, "Initialise the API with the app id and secret (redirect https://localhost/)");
    let scopes = [Scope::UserAccountsRead, Scope::PinsRead, Scope::BoardsRead, Scope::PinsWrite, Scope::BoardsWrite];
    let oauth = OAuth::builder(app_id, app_secret).config(config.clone()).scopes(scopes.clone()).build()?;
    println!("   app {}, scopes {}", oauth.client_id(), Scope::join(&scopes));

    step(2, "Get the authorization URL (a fresh random state, kept in the pending login)");
    let (url, pending) = oauth.authorization_url();
    println!("   {}", redact(url.as_str(), &["state"]));

    step(3, "The person allows access; Pinterest redirects the browser");
    // Stand in for the browser: the emulator approves at once and redirects.
    let redirect = pinterest_examples::approve(&url).await?;
    println!("   landed on {}", redact(&redirect, &["code", "state"]));

    step(4, "Generate the access token from the redirect URL");
    let tokens = oauth.exchange_redirect(&pending, &redirect).await?;
    println!(
        "   token type {}, expires in {} s, scopes {}, refresh token: {}",
        tokens.token_type,
        tokens.expires_in(std::time::SystemTime::now()).map(|d| d.as_secs()).unwrap_or(0),
        tokens.scope_string(),
        if tokens.refresh_token.is_some() { "yes" } else { "no" }
    );

    step(5, "Read the user account, boards and Pins");
    let client = Client::builder().config(config.clone()).access_token(tokens.access_token.clone()).build()?;
    let me = client.user_account().get().send().await?;
    println!("   user {}", me.username.as_deref().unwrap_or("?"));
    let boards = client.boards().list().send().await?;
    println!("   {} boards on the first page", boards.items.len());
    let pins = client.pins().list().send().await?;
    println!("   {} Pins on the first page", pins.items.len());

    step(6, "Create a board and a Pin on it");
    let board = models::BoardCreate::new("Quickstart").description("Made by pinterest-rs's quickstart");
    let board = client.boards().create(board).send().await?;
    println!("   board {} ({})", board.id, board.name);
    let pin = models::PinCreate::new(&board.id, models::PinMediaSource::image_url("https://www.example.com/cake.jpg"))
        .title("Lemon cake")
        .link("https://www.example.com/recipes/lemon-cake");
    let pin = client.pins().create(pin).send().await?;
    println!("   Pin {}", pin.id);

    step(7, "Page through the Pins (pages of 2, following bookmarks)");
    let mut pages = client.pins().list().page_size(2).pages();
    let mut total = 0;
    while let Some(page) = pages.try_next().await? {
        total += page.items.len();
        println!("   a page of {} (more: {})", page.items.len(), page.bookmark.is_some());
    }
    println!("   {total} Pins in all");

    step(8, "Refresh the access token (the refresh token rotates)");
    let refreshed = oauth.refresh(&tokens).await?;
    let rotated = match (&tokens.refresh_token, &refreshed.refresh_token) {
        (Some(old), Some(new)) => !old.ct_eq(new),
        _ => false,
    };
    println!("   new access token received; refresh token rotated: {rotated}");
    let client = Client::builder().config(config).access_token(refreshed.access_token.clone()).build()?;
    let me = client.user_account().get().send().await?;
    println!("   still {}", me.username.as_deref().unwrap_or("?"));

    println!("\nDone.");
    Ok(())
}
