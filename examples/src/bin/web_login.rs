//! A web app with "Connect Pinterest": `cargo run -p pinterest-examples --bin web_login`,
//! then open <http://127.0.0.1:3000/>.
//!
//! With nothing configured it starts the emulator in this process, with
//! its consent page (press Allow) and this app's callback registered for
//! the demo app. `PORT` changes the port. See `pinterest_examples::web_login`
//! for how the login survives between requests.

use std::sync::Arc;

use pinterest_emulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator};
use pinterest_examples::Result;
use pinterest_examples::web_login::WebApp;
use pinterest_sdk::Config;
use pinterest_sdk::auth::MemoryTokenStore;
use pinterest_sdk::oauth::{MemoryPendingLogins, OAuth, Scope};

#[tokio::main]
async fn main() -> Result<()> {
    pinterest_sdk::internal::install_crypto_provider();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let here = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let callback = format!("{here}/callback");
    let emulator = Emulator::builder().demo_redirect_uri(callback.as_str()).start().await?;
    let base = emulator.base_url();
    let config = Config::builder().api_host(&base).oauth_host(&base).build()?;
    let oauth = OAuth::builder(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        .config(config.clone())
        .redirect_uri(callback.as_str())
        .scopes([Scope::UserAccountsRead, Scope::BoardsRead, Scope::PinsRead])
        .pkce(true)
        .build()?;
    let app =
        Arc::new(WebApp::new(oauth, config, Arc::new(MemoryPendingLogins::new()), Arc::new(MemoryTokenStore::new())));
    println!("Open {here}/ (the emulator's consent page is at {base}/oauth/)");
    axum::serve(listener, app.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
