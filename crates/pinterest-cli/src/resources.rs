//! The resource commands of the organic API, on the typed SDK.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use pinterest_sdk::media::{MediaEvent, VideoSource};
use pinterest_sdk::{Client, models};
use serde_json::Value;

use crate::cli::{AnalyticsCmd, BoardsCmd, MediaCmd, PinsCmd, SearchCmd, SectionsCmd};
use crate::output::{CliError, CliResult, Out, terminal_safe, to_json};

const BOARD_COLUMNS: &[&str] = &["id", "name", "privacy", "pin_count", "description"];
const PIN_COLUMNS: &[&str] = &["id", "title", "board_id", "link", "created_at"];
const SECTION_COLUMNS: &[&str] = &["id", "name"];

async fn collect<T: serde::Serialize>(
    stream: pinterest_sdk::paginate::ItemStream<'_, T>,
    limit: Option<usize>,
) -> CliResult<Value> {
    let items: Vec<T> = match limit {
        Some(n) => stream.take(n).try_collect().await?,
        None => stream.try_collect().await?,
    };
    to_json(&items)
}

pub async fn me(client: &Client, out: Out) -> CliResult {
    let me = client.user_account().get().send().await?;
    out.value(&to_json(&me)?, &[])
}

pub async fn boards(client: &Client, out: Out, cmd: &BoardsCmd) -> CliResult {
    match cmd {
        BoardsCmd::List { limit } => {
            let v = collect(client.boards().list().page_size(100).stream(), *limit).await?;
            out.value(&v, BOARD_COLUMNS)
        }
        BoardsCmd::Get { board_id } => out.value(&to_json(&client.boards().get(board_id).send().await?)?, &[]),
        BoardsCmd::Create { name, description, privacy } => {
            let mut b = models::BoardCreate::new(name.as_str());
            b.description.clone_from(description);
            b.privacy = privacy.as_deref().map(models::BoardPrivacy::from);
            out.value(&to_json(&client.boards().create(b).send().await?)?, &[])
        }
        BoardsCmd::Update { board_id, name, description, privacy } => {
            let mut b = models::BoardWithUpdatePrivacyUpdate::new();
            b.name.clone_from(name);
            b.description = description.clone().map(Some);
            b.privacy = privacy.as_deref().map(models::BoardUpdatePrivacy::from);
            out.value(&to_json(&client.boards().update(board_id, b).send().await?)?, &[])
        }
        BoardsCmd::Delete { board_id } => {
            client.boards().delete(board_id).send().await?;
            out.note(&format!("Deleted board {board_id}."));
            Ok(())
        }
    }
}

pub async fn sections(client: &Client, out: Out, cmd: &SectionsCmd) -> CliResult {
    match cmd {
        SectionsCmd::List { board_id } => {
            let v = collect(client.boards().list_sections(board_id).page_size(100).stream(), None).await?;
            out.value(&v, SECTION_COLUMNS)
        }
        SectionsCmd::Create { board_id, name } => {
            let s = client.boards().create_section(board_id, models::BoardSection::new(name.as_str())).send().await?;
            out.value(&to_json(&s)?, &[])
        }
        SectionsCmd::Update { board_id, section_id, name } => {
            let s = client
                .boards()
                .update_section(board_id, section_id, models::BoardSection::new(name.as_str()))
                .send()
                .await?;
            out.value(&to_json(&s)?, &[])
        }
        SectionsCmd::Delete { board_id, section_id } => {
            client.boards().delete_section(board_id, section_id).send().await?;
            out.note(&format!("Deleted section {section_id}."));
            Ok(())
        }
    }
}

pub async fn pins(client: &Client, out: Out, cmd: &PinsCmd) -> CliResult {
    match cmd {
        PinsCmd::List { board: Some(board), limit } => {
            let v = collect(client.boards().list_pins(board).page_size(100).stream(), *limit).await?;
            out.value(&v, PIN_COLUMNS)
        }
        PinsCmd::List { board: None, limit } => {
            let v = collect(client.pins().list().page_size(100).stream(), *limit).await?;
            out.value(&v, PIN_COLUMNS)
        }
        PinsCmd::Get { pin_id } => out.value(&to_json(&client.pins().get(pin_id).send().await?)?, &[]),
        PinsCmd::Create { board, image_url, title, description, link } => {
            let mut p = models::PinCreate::new(board.as_str(), models::PinMediaSource::image_url(image_url.as_str()));
            p.title.clone_from(title);
            p.description.clone_from(description);
            p.link.clone_from(link);
            out.value(&to_json(&client.pins().create(p).send().await?)?, &[])
        }
        PinsCmd::Update { pin_id, title, description, link } => {
            let mut u = models::PinUpdate::new();
            u.title = title.clone().map(Some);
            u.description = description.clone().map(Some);
            u.link = link.clone().map(Some);
            out.value(&to_json(&client.pins().update(pin_id, u).send().await?)?, &[])
        }
        PinsCmd::Delete { pin_id } => {
            client.pins().delete(pin_id).send().await?;
            out.note(&format!("Deleted Pin {pin_id}."));
            Ok(())
        }
        PinsCmd::Save { pin_id, board, section } => {
            let mut body = models::PinsSaveBody::new();
            body.board_id = Some(board.clone());
            body.board_section_id.clone_from(section);
            out.value(&to_json(&client.pins().save(pin_id, body).send().await?)?, &[])
        }
    }
}

pub async fn media(client: &Client, out: Out, cmd: &MediaCmd) -> CliResult {
    match cmd {
        MediaCmd::Get { media_id } => out.value(&to_json(&client.media().get(media_id).send().await?)?, &[]),
        MediaCmd::Upload { file, board, title, cover_image_url, poll } => {
            let bar = ProgressBar::no_length();
            if out.json {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {bytes}/{total_bytes} [{bar:30}]")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let b = bar.clone();
            let done = client
                .media()
                .upload_video(VideoSource::path(file))
                .poll_interval(Duration::from_secs(*poll))
                .on_event(move |e| match e {
                    // Server text: escaped before it reaches the terminal.
                    MediaEvent::Registered { media_id } => {
                        b.set_message(format!("uploading media {}", terminal_safe(media_id)));
                    }
                    MediaEvent::Uploading { sent, total } => {
                        if let Some(total) = total {
                            b.set_length(*total);
                        }
                        b.set_position(*sent);
                    }
                    MediaEvent::Uploaded => {
                        b.set_message("processing");
                        b.enable_steady_tick(Duration::from_millis(120));
                    }
                    MediaEvent::Status(s) => b.set_message(format!("processing: {}", terminal_safe(&s.to_string()))),
                    _ => {}
                })
                .send()
                .await;
            bar.finish_and_clear();
            if let Err(pinterest_sdk::Error::MediaSource { path, source }) = &done {
                return Err(CliError::Usage(format!("cannot read {path}: {source}")));
            }
            let done = done?;
            let mut result = serde_json::json!({"media_id": done.media_id, "status": done.status.as_str()});
            if let Some(board) = board {
                let source = models::PinMediaSourceVideoID::new(done.media_id.as_str());
                let source = match cover_image_url {
                    Some(url) => source.cover_image_url(url.as_str()),
                    None => source.cover_image_key_frame_time(0),
                };
                let mut p = models::PinCreate::new(board.as_str(), source);
                p.title.clone_from(title);
                let pin = client.pins().create(p).send().await?;
                result["pin"] = to_json(&pin)?;
            }
            out.value(&result, &[])
        }
    }
}

pub async fn search(client: &Client, out: Out, cmd: &SearchCmd) -> CliResult {
    match cmd {
        SearchCmd::Pins { query } => {
            let v = collect(client.search().pins(query).stream(), None).await?;
            out.value(&v, PIN_COLUMNS)
        }
        SearchCmd::Boards { query } => {
            let v = collect(client.search().boards().query(query).stream(), None).await?;
            out.value(&v, BOARD_COLUMNS)
        }
    }
}

pub async fn analytics(client: &Client, out: Out, cmd: &AnalyticsCmd) -> CliResult {
    match cmd {
        AnalyticsCmd::User { start, end } => out.value(
            &to_json(&client.user_account().get_analytics().start_date(*start).end_date(*end).send().await?)?,
            &[],
        ),
        AnalyticsCmd::Pin { pin_id, start, end, metrics } => {
            let metrics: Vec<String> =
                metrics.split(',').map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect();
            let v = client
                .pins()
                .get_analytics(pin_id)
                .start_date(*start)
                .end_date(*end)
                .metric_types(metrics)
                .send()
                .await?;
            out.value(&to_json(&v)?, &[])
        }
    }
}
