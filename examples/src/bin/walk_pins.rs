//! Walks every Pin of the account, saving a checkpoint after each one, and
//! resumes from it after a crash:
//! `cargo run -p pinterest-examples --bin walk_pins -- [CHECKPOINT_FILE] [--stop-after N]`.
//!
//! The checkpoint (the bookmark of the page in progress and how many of its
//! Pins were handled) is JSON in `CHECKPOINT_FILE` (default
//! `walk-pins.checkpoint.json`). `--stop-after N` stops after N Pins, as a
//! crash would; run it again and it goes on from where it stopped. The
//! file is removed once the walk is complete.

use futures_util::StreamExt;
use pinterest_examples::{Result, Target};
use pinterest_sdk::oauth::Scope;
use pinterest_sdk::paginate::Checkpoint;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut file = std::path::PathBuf::from("walk-pins.checkpoint.json");
    let mut stop_after: Option<usize> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--stop-after" => stop_after = Some(args.next().ok_or("--stop-after needs a number")?.parse()?),
            other => file = other.into(),
        }
    }
    let target = Target::from_env().await?;
    let client = target.client(&[Scope::UserAccountsRead, Scope::BoardsRead, Scope::PinsRead]).await?;

    let saved: Option<Checkpoint> = match std::fs::read(&file) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let op = client.pins().list().page_size(2);
    let mut pins = match &saved {
        Some(checkpoint) => {
            eprintln!("resuming from {}", file.display());
            op.stream_from(checkpoint)
        }
        None => op.stream(),
    };
    let mut handled = 0;
    while let Some(pin) = pins.next().await {
        let pin = pin?;
        // Handle the Pin (here: print it), then record that it was handled.
        println!("{}\t{}", pin.id, pin.title.as_deref().unwrap_or(""));
        std::fs::write(&file, serde_json::to_vec(&pins.checkpoint())?)?;
        handled += 1;
        if stop_after == Some(handled) {
            eprintln!("stopped after {handled} Pins; run again to go on");
            return Ok(());
        }
    }
    std::fs::remove_file(&file).ok();
    eprintln!("done: {handled} Pins in this run");
    Ok(())
}
