//! Uploads a video and makes a video Pin of it:
//! `cargo run -p pinterest-examples --bin video_upload -- [FILE]`.
//!
//! The file is streamed to storage (never read into memory whole), with a
//! progress line and a timeout of its own. Without a file it uploads a few
//! bytes made up here, which the emulator accepts as a video.

use std::time::Duration;

use pinterest_examples::{Result, Target};
use pinterest_sdk::media::VideoSource;
use pinterest_sdk::models;
use pinterest_sdk::oauth::Scope;

#[tokio::main]
async fn main() -> Result<()> {
    let target = Target::from_env().await?;
    let client = target
        .client(&[Scope::UserAccountsRead, Scope::BoardsRead, Scope::BoardsWrite, Scope::PinsRead, Scope::PinsWrite])
        .await?;
    let (_tmp, path) = match std::env::args().nth(1) {
        Some(p) => (None, std::path::PathBuf::from(p)),
        None => {
            let dir = std::env::temp_dir().join(format!("pinterest-example-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("clip.mp4");
            std::fs::write(&path, vec![0u8; 256 * 1024])?;
            (Some(TempDir(dir)), path)
        }
    };
    let media = client
        .media()
        .upload_video(VideoSource::path(&path))
        .on_progress(|sent, total| match total {
            Some(total) => eprintln!("uploaded {sent} of {total} bytes"),
            None => eprintln!("uploaded {sent} bytes"),
        })
        .upload_timeout(Duration::from_secs(30 * 60))
        .processing_timeout(Duration::from_secs(10 * 60))
        .poll_interval(Duration::from_millis(200))
        .send()
        .await?;
    println!("media {} is {}", media.media_id, media.status);
    let board = client.boards().create(models::BoardCreate::new("Videos")).send().await?;
    let pin = client
        .pins()
        .create(models::PinCreate::new(&board.id, models::PinMediaSource::video_id(&media.media_id)).title("A clip"))
        .send()
        .await?;
    println!("video Pin {} on board {}", pin.id, board.id);
    Ok(())
}

/// Removes the made-up file's directory at the end.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
