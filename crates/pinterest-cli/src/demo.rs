//! `pinterest demo`: the CLI's own code paths against an emulator started
//! in this process. The login is the real one (loopback listener, state
//! check, code exchange, token storage); the emulator approves at once and an
//! HTTP client follows its redirect, standing in for the browser. Nothing
//! outside a private temporary directory is touched.

use std::time::Duration;

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator};
use pinterest_sdk::oauth::Scope;
use pinterest_sdk::secret::ClientSecret;
use pinterest_sdk::{AppCredentials, Config};

use crate::auth::{self, Opener};
use crate::cli::{AuthCmd, BoardsCmd, DemoArgs, ListArgs, MediaCmd, PinsCmd};
use crate::login::Loopback;
use crate::output::{CliError, CliResult, Out};
use crate::profile::Profile;
use crate::resources;

fn step(out: &Out, n: u32, what: &str) -> CliResult {
    out.note(&format!("\n== {n}. {what}"))
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn run(out: &Out, args: &DemoArgs) -> CliResult {
    let dir = TempDir(std::env::temp_dir().join(format!("pinterest-demo-{}-{:x}", std::process::id(), rand_suffix())));
    let listener = Loopback::bind(args.port).await.map_err(|e| CliError::Local(format!("{e} (try --port)")))?;
    let emulator = Emulator::builder()
        .auto_approve(true)
        .demo_redirect_uri(listener.redirect_uri())
        .media_processing_polls(2)
        .start()
        .await
        .map_err(|e| CliError::Local(format!("cannot start the emulator: {e}")))?;
    let base = emulator.base_url();
    out.note(&format!("Started an emulator at {base}; this demo keeps its login in {}", dir.0.display()))?;
    let config = Config::builder().api_host(&base).oauth_host(&base).build()?;
    let app = AppCredentials::new(DEMO_CLIENT_ID, ClientSecret::new(DEMO_CLIENT_SECRET));
    let profile = Profile::in_dir("demo", dir.0.clone()).with_config(config).with_app(app.clone());

    step(
        out,
        1,
        "Log in: browser consent (approved by the emulator), loopback redirect, code exchange, stored tokens",
    )?;
    let scopes = [Scope::UserAccountsRead, Scope::BoardsRead, Scope::BoardsWrite, Scope::PinsRead, Scope::PinsWrite];
    let tokens = auth::login_through(&profile, &app, listener, &scopes, Duration::from_secs(30), Opener::Fetch).await?;
    out.note(&format!("   logged in with scopes {}", tokens.scope_string()))?;

    let client = profile.client().await?;
    step(out, 2, "pinterest me")?;
    resources::me(&client, out).await?;
    step(out, 3, "pinterest boards list")?;
    resources::boards(&client, out, &BoardsCmd::List(ListArgs::first(30))).await?;
    step(out, 4, "pinterest pins list --limit 3")?;
    resources::pins(&client, out, &PinsCmd::List { board: None, list: ListArgs::first(3) }).await?;

    step(out, 5, "pinterest boards create \"Demo board\"")?;
    let board = client.boards().create(pinterest_sdk::models::BoardCreate::new("Demo board")).send().await?;
    out.note(&format!("   board {}", board.id))?;
    step(out, 6, "pinterest pins create --board <id> --image-url ...")?;
    resources::pins(
        &client,
        out,
        &PinsCmd::Create {
            board: board.id.clone(),
            image_url: Some("https://www.example.com/cake.jpg".into()),
            media_id: None,
            cover_image_url: None,
            title: Some("Lemon cake".into()),
            description: None,
            link: Some("https://www.example.com/recipes/lemon-cake".into()),
        },
    )
    .await?;

    step(out, 7, "pinterest media upload clip.mp4 --board <id>: register, upload, wait for processing, video Pin")?;
    let clip = dir.0.join("clip.mp4");
    std::fs::write(&clip, b"a few bytes standing in for a video").map_err(|e| CliError::Local(e.to_string()))?;
    resources::media(
        &client,
        out,
        &MediaCmd::Upload {
            file: clip,
            board: Some(board.id.clone()),
            title: Some("A clip".into()),
            cover_image_url: None,
            poll: 0,
        },
    )
    .await?;

    step(out, 8, "pinterest auth refresh: a new access token, and a rotated refresh token stored")?;
    auth::run_with(&profile, out, &AuthCmd::Refresh, Opener::Fetch).await?;
    step(out, 9, "pinterest auth status")?;
    auth::run_with(&profile, out, &AuthCmd::Status, Opener::Fetch).await?;

    emulator.shutdown().await;
    out.note("\nDone. Next: `pinterest auth login` against Pinterest, or `cargo run -p pinterest-emulator -- --auto-approve`.")
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0)
}
