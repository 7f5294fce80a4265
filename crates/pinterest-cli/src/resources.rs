//! The resource commands of the organic API, on the typed SDK.
//!
//! Requests are built by the typed operations; what is printed is the
//! answer as Pinterest sent it (`Client::execute_json`, which checks it
//! against the operation's schema first), so `--json` keeps null fields,
//! as `pinterest api` does. Lists print each page as it arrives.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use pinterest_sdk::media::{MediaEvent, VideoSource};
use pinterest_sdk::operation::Operation;
use pinterest_sdk::paginate::Cursor;
use pinterest_sdk::{Client, Error, models};
use serde_json::Value;

use crate::cli::{AnalyticsCmd, BoardsCmd, DateRange, ListArgs, MediaCmd, PinsCmd, SearchCmd, SectionsCmd};
use crate::output::{CliError, CliResult, Out, terminal_safe};
use crate::table;
use crate::terminal::{ask, must_ask};

const BOARD_COLUMNS: &[&str] = &["id", "name", "privacy", "pin_count", "description"];
const PIN_COLUMNS: &[&str] = &["id", "title", "board_id", "created_at", "link"];
const SECTION_COLUMNS: &[&str] = &["id", "name"];

/// `op` from `bookmark` on, when there is one (each operation has its own
/// `bookmark` setter).
macro_rules! from_bookmark {
    ($op:expr, $bookmark:expr) => {
        match $bookmark {
            Some(b) => $op.bookmark(b),
            None => $op,
        }
    };
}

/// The largest page asked for.
const MAX_PAGE: u32 = 100;

/// Sends `op`; the answer as sent.
async fn json<O>(client: &Client, op: O) -> CliResult<Value>
where
    O: Operation + Sync,
    O::Output: serde::Serialize,
{
    Ok(client.execute_json(&op).await?.into_value())
}

/// Follows the bookmarks of a list: `fetch` gets a page (from its
/// bookmark), `on_page` takes it and says whether to go on. The SDK's
/// cursor stops on a missing bookmark and refuses a repeated one or a run
/// of empty pages. `endpoint` names the list in errors.
pub async fn walk_pages<F, Fut>(
    client: &Client,
    endpoint: &str,
    mut fetch: F,
    mut on_page: impl FnMut(&Value) -> CliResult<bool>,
) -> CliResult
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = CliResult<Value>>,
{
    let mut cursor = Cursor::new().with_limits(client.config().pagination());
    while !cursor.is_finished() {
        if let Some(problem) = cursor.take_problem() {
            let pages = cursor.pages();
            let error = Error::Pagination { operation: "raw", pages, problem };
            return Err(CliError::Call { endpoint: endpoint.to_owned(), error });
        }
        let Some(bookmark) = cursor.next_request() else { break };
        let page = fetch(bookmark.map(str::to_owned)).await?;
        if !on_page(&page)? {
            break;
        }
        let items = page.get("items").and_then(Value::as_array).map_or(0, Vec::len);
        let next = page.get("bookmark").and_then(Value::as_str).filter(|b| !b.is_empty());
        cursor.advance_page(next.map(str::to_owned), items);
    }
    Ok(())
}

/// A list, page after page, printed as the pages come, up to the limit.
/// `make` builds the request of a page from its bookmark and page size.
async fn list<O, F>(
    client: &Client,
    out: &Out,
    columns: &'static [&'static str],
    what: &str,
    args: ListArgs,
    make: F,
) -> CliResult
where
    O: Operation + Sync,
    O::Output: serde::Serialize,
    F: Fn(Option<&str>, i64) -> O,
{
    let max = args.max();
    let page_size = i64::from(max.map_or(MAX_PAGE, |m| u32::try_from(m).unwrap_or(MAX_PAGE).min(MAX_PAGE)));
    let endpoint = crate::output::endpoint_of(O::ID).unwrap_or_else(|| O::ID.to_owned());
    let mut printer = out.list(columns);
    let mut more = false;
    walk_pages(
        client,
        &endpoint,
        |bookmark| json(client, make(bookmark.as_deref(), page_size)),
        |page| {
            let items = page.get("items").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let room = max.map_or(items.len(), |m| m.saturating_sub(printer.count()));
            printer.page(&items[..room.min(items.len())])?;
            let next = page.get("bookmark").and_then(Value::as_str).is_some_and(|b| !b.is_empty());
            if max.is_some_and(|m| printer.count() >= m) {
                more = items.len() > room || next;
                return Ok(false);
            }
            Ok(true)
        },
    )
    .await?;
    let shown = printer.count();
    printer.finish(&format!("No {what}."))?;
    if more && !out.json {
        out.tell(&format!("Showed the first {shown} {what}; --limit N shows more, --all every one."));
    }
    Ok(())
}

/// `names` as the spec spells them (`impression` is `IMPRESSION`): the
/// entry of `values` each matches, ignoring case.
fn canonical<'v>(names: &[String], values: &'v [&'v str]) -> Vec<&'v str> {
    names.iter().filter_map(|n| values.iter().copied().find(|v| v.eq_ignore_ascii_case(n.trim()))).collect()
}

pub async fn me(client: &Client, out: &Out) -> CliResult {
    out.value(&json(client, client.user_account().get()).await?)
}

pub async fn boards(client: &Client, out: &Out, cmd: &BoardsCmd) -> CliResult {
    match cmd {
        BoardsCmd::List(args) => {
            list(client, out, BOARD_COLUMNS, "boards", *args, |bookmark, size| {
                from_bookmark!(client.boards().list().page_size(size), bookmark)
            })
            .await
        }
        BoardsCmd::Get { board_id } => out.value(&json(client, client.boards().get(board_id)).await?),
        BoardsCmd::Create { name, description, privacy } => {
            let mut b = models::BoardCreate::new(name.as_str());
            b.description.clone_from(description);
            b.privacy = privacy.as_deref().map(|p| models::BoardPrivacy::from(p.to_ascii_uppercase()));
            out.value(&json(client, client.boards().create(b)).await?)
        }
        BoardsCmd::Update { board_id, name, description, privacy } => {
            let mut b = models::BoardWithUpdatePrivacyUpdate::new();
            b.name.clone_from(name);
            b.description = description.clone().map(Some);
            b.privacy = privacy.as_deref().map(|p| models::BoardUpdatePrivacy::from(p.to_ascii_uppercase()));
            out.value(&json(client, client.boards().update(board_id, b)).await?)
        }
        BoardsCmd::Delete { board_id, confirm: yes } => {
            if must_ask(*yes, "boards delete")? {
                let board = client.boards().get(board_id).send().await?;
                ask(out, &format!("Delete board {board_id} ({}) and its Pins?", table::cut(&board.name, 60))).await?;
            }
            client.boards().delete(board_id).send().await?;
            out.note(&format!("Deleted board {board_id}."))
        }
    }
}

pub async fn sections(client: &Client, out: &Out, cmd: &SectionsCmd) -> CliResult {
    match cmd {
        SectionsCmd::List { board_id, list: args } => {
            list(client, out, SECTION_COLUMNS, "sections", *args, |bookmark, size| {
                from_bookmark!(client.boards().list_sections(board_id).page_size(size), bookmark)
            })
            .await
        }
        SectionsCmd::Create { board_id, name } => {
            let body = models::BoardSection::new(name.as_str());
            out.value(&json(client, client.boards().create_section(board_id, body)).await?)
        }
        SectionsCmd::Update { board_id, section_id, name } => {
            let body = models::BoardSection::new(name.as_str());
            out.value(&json(client, client.boards().update_section(board_id, section_id, body)).await?)
        }
        SectionsCmd::Delete { board_id, section_id, confirm: yes } => {
            if must_ask(*yes, "sections delete")? {
                ask(out, &format!("Delete section {section_id} of board {board_id}?")).await?;
            }
            client.boards().delete_section(board_id, section_id).send().await?;
            out.note(&format!("Deleted section {section_id}."))
        }
    }
}

pub async fn pins(client: &Client, out: &Out, cmd: &PinsCmd) -> CliResult {
    match cmd {
        PinsCmd::List { board: Some(board), list: args } => {
            list(client, out, PIN_COLUMNS, "Pins", *args, |bookmark, size| {
                from_bookmark!(client.boards().list_pins(board).page_size(size), bookmark)
            })
            .await
        }
        PinsCmd::List { board: None, list: args } => {
            list(client, out, PIN_COLUMNS, "Pins", *args, |bookmark, size| {
                from_bookmark!(client.pins().list().page_size(size), bookmark)
            })
            .await
        }
        PinsCmd::Get { pin_id } => out.value(&json(client, client.pins().get(pin_id)).await?),
        PinsCmd::Create { board, image_url, media_id, cover_image_url, title, description, link } => {
            let source: models::PinMediaSource = match (image_url, media_id) {
                (Some(url), _) => models::PinMediaSource::image_url(url.as_str()),
                (None, Some(id)) => video_source(id, cover_image_url.as_deref()).into(),
                (None, None) => return Err(CliError::Usage("give --image-url or --media-id".into())),
            };
            let mut p = models::PinCreate::new(board.as_str(), source);
            p.title.clone_from(title);
            p.description.clone_from(description);
            p.link.clone_from(link);
            out.value(&json(client, client.pins().create(p)).await?)
        }
        PinsCmd::Update { pin_id, title, description, link } => {
            let mut u = models::PinUpdate::new();
            u.title = title.clone().map(Some);
            u.description = description.clone().map(Some);
            u.link = link.clone().map(Some);
            out.value(&json(client, client.pins().update(pin_id, u)).await?)
        }
        PinsCmd::Delete { pin_id, confirm: yes } => {
            if must_ask(*yes, "pins delete")? {
                let pin = client.pins().get(pin_id).send().await?;
                let title = pin
                    .title
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(|t| format!(" ({})", table::cut(t, 60)))
                    .unwrap_or_default();
                ask(out, &format!("Delete Pin {pin_id}{title}?")).await?;
            }
            client.pins().delete(pin_id).send().await?;
            out.note(&format!("Deleted Pin {pin_id}."))
        }
        PinsCmd::Save { pin_id, board, section } => {
            let mut body = models::PinsSaveBody::new();
            body.board_id = Some(board.clone());
            body.board_section_id.clone_from(section);
            out.value(&json(client, client.pins().save(pin_id, body)).await?)
        }
    }
}

/// The media source of a video Pin: the uploaded video and its cover.
fn video_source(media_id: &str, cover_image_url: Option<&str>) -> models::PinMediaSourceVideoID {
    let source = models::PinMediaSourceVideoID::new(media_id);
    match cover_image_url {
        Some(url) => source.cover_image_url(url),
        None => source.cover_image_key_frame_time(0),
    }
}

/// A shell word: as it is when it is plain, else in single quotes.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@".contains(&b)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub async fn media(client: &Client, out: &Out, cmd: &MediaCmd) -> CliResult {
    match cmd {
        MediaCmd::Get { media_id } => out.value(&json(client, client.media().get(media_id)).await?),
        MediaCmd::Upload { file, board, title, cover_image_url, poll } => {
            // The board is checked before anything is uploaded: a wrong id
            // should not cost an upload and a wait.
            if let Some(board) = board {
                match client.boards().get(board).send().await {
                    Ok(_) => {}
                    Err(e) if e.status() == Some(http::StatusCode::NOT_FOUND) => {
                        return Err(CliError::Usage(format!(
                            "board {} not found; nothing was uploaded",
                            terminal_safe(board)
                        )));
                    }
                    // A login that cannot read boards may still create Pins.
                    Err(e) if e.status() == Some(http::StatusCode::FORBIDDEN) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let bar = ProgressBar::no_length().with_finish(ProgressFinish::AndClear);
            if !out.progress {
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
                        b.set_style(
                            ProgressStyle::with_template("{spinner} {msg}")
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                        );
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
                let source: models::PinMediaSource = video_source(&done.media_id, cover_image_url.as_deref()).into();
                let mut p = models::PinCreate::new(board.as_str(), source);
                p.title.clone_from(title);
                match json(client, client.pins().create(p)).await {
                    Ok(pin) => result["pin"] = pin,
                    Err(e) => {
                        // The upload is done: say how to use it without uploading again.
                        let mut again = format!(
                            "pinterest pins create --board {} --media-id {}",
                            shell_word(board),
                            shell_word(&done.media_id)
                        );
                        if let Some(t) = title {
                            again.push_str(&format!(" --title {}", shell_word(t)));
                        }
                        if let Some(u) = cover_image_url {
                            again.push_str(&format!(" --cover-image-url {}", shell_word(u)));
                        }
                        crate::output::eprint_line(&format!(
                            "Uploaded media {}, but the Pin was not created. To create it without uploading again:\n  {}",
                            terminal_safe(&done.media_id),
                            terminal_safe(&again)
                        ));
                        // Scripts read the media id from stdout.
                        if out.json {
                            out.value(&result)?;
                        }
                        return Err(e);
                    }
                }
            }
            out.value(&result)
        }
    }
}

pub async fn search(client: &Client, out: &Out, cmd: &SearchCmd) -> CliResult {
    match cmd {
        SearchCmd::Pins { query, list: args } => {
            list(client, out, PIN_COLUMNS, "Pins", *args, |bookmark, _| {
                from_bookmark!(client.search().pins(query), bookmark)
            })
            .await
        }
        SearchCmd::Boards { query, list: args } => {
            list(client, out, BOARD_COLUMNS, "boards", *args, |bookmark, size| {
                from_bookmark!(client.search().boards().query(query).page_size(size), bookmark)
            })
            .await
        }
    }
}

/// The range asked for: both ends given, or the 30 days up to today (UTC).
fn days(range: DateRange) -> CliResult<(pinterest_sdk::chrono::NaiveDate, pinterest_sdk::chrono::NaiveDate)> {
    use pinterest_sdk::chrono::{Days, Utc};
    let end = range.end.unwrap_or_else(|| Utc::now().date_naive());
    let start = range.start.unwrap_or_else(|| end.checked_sub_days(Days::new(29)).unwrap_or(end));
    if start > end {
        return Err(CliError::Usage(format!("--start {start} is after --end {end}")));
    }
    Ok((start, end))
}

pub async fn analytics(client: &Client, out: &Out, cmd: &AnalyticsCmd) -> CliResult {
    let (v, metrics) = match cmd {
        AnalyticsCmd::User { range, metrics } => {
            let (start, end) = days(*range)?;
            let names = canonical(metrics, models::UserAccountGetAnalyticsMetricTypesItem::VALUES);
            let op = client
                .user_account()
                .get_analytics()
                .start_date(start)
                .end_date(end)
                .metric_types(names.iter().map(|m| models::UserAccountGetAnalyticsMetricTypesItem::from(*m)));
            (json(client, op).await?, names)
        }
        AnalyticsCmd::Pin { pin_id, range, metrics } => {
            let (start, end) = days(*range)?;
            let names = canonical(metrics, models::PinsGetAnalyticsMetricTypesItem::VALUES);
            let op = client
                .pins()
                .get_analytics(pin_id)
                .start_date(start)
                .end_date(end)
                .metric_types(names.iter().map(|m| models::PinsGetAnalyticsMetricTypesItem::from(*m)));
            (json(client, op).await?, names)
        }
    };
    if out.json {
        return out.value(&v);
    }
    let metrics: Vec<String> = metrics.iter().map(|m| (*m).to_owned()).collect();
    crate::output::write_out(&metrics_table(&v, &metrics, out.width, out.color))
}

/// Analytics as a table: a row per day (`daily_metrics`) and a total row
/// (`summary_metrics`), a column per metric; one table per group of the
/// answer (`all`, or a breakdown).
fn metrics_table(v: &Value, metrics: &[String], width: usize, color: bool) -> String {
    let mut text = String::new();
    let Some(groups) = v.as_object() else { return table::key_paths(v, width, color) };
    for (name, group) in groups {
        let mut headers = vec!["DATE".to_owned()];
        headers.extend(metrics.iter().cloned());
        let number = |m: &Value, key: &str| table::cell(key, m.get(key));
        let mut rows: Vec<Vec<String>> = Vec::new();
        for day in group.get("daily_metrics").and_then(Value::as_array).into_iter().flatten() {
            let date = day.get("date").and_then(Value::as_str).unwrap_or("").to_owned();
            let values = day.get("metrics").cloned().unwrap_or(Value::Null);
            let status = day.get("data_status").and_then(Value::as_str).filter(|s| *s != "READY");
            let mut row = vec![match status {
                Some(s) => format!("{} ({})", terminal_safe(&date), terminal_safe(&s.to_ascii_lowercase())),
                None => terminal_safe(&date).into_owned(),
            }];
            row.extend(metrics.iter().map(|m| number(&values, m)));
            rows.push(row);
        }
        if let Some(summary) = group.get("summary_metrics") {
            let mut row = vec!["TOTAL".to_owned()];
            row.extend(metrics.iter().map(|m| number(summary, m)));
            rows.push(row);
        }
        if groups.len() > 1 {
            text.push_str(&format!("{}\n", table::cut(&terminal_safe(name), width)));
        }
        let widths = table::fit(&headers, &rows, width);
        text.push_str(&table::row(&headers, &widths, color));
        for r in &rows {
            text.push_str(&table::row(r, &widths, false));
        }
    }
    if text.is_empty() { "No analytics.\n".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytics_become_a_table_of_days_and_metrics() {
        let v = serde_json::json!({"all": {
            "daily_metrics": [
                {"date": "2026-11-01", "data_status": "READY", "metrics": {"IMPRESSION": 10, "SAVE": 2}},
                {"date": "2026-11-02", "data_status": "PROCESSING", "metrics": {"IMPRESSION": 5}}
            ],
            "summary_metrics": {"IMPRESSION": 15, "SAVE": 2}
        }});
        let t = metrics_table(&v, &["IMPRESSION".into(), "SAVE".into()], 80, false);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("DATE") && lines[0].contains("IMPRESSION") && lines[0].contains("SAVE"), "{t}");
        assert!(lines[1].starts_with("2026-11-01") && lines[1].contains("10"), "{t}");
        assert!(lines[2].contains("(processing)"), "{t}");
        assert!(lines[3].starts_with("TOTAL") && lines[3].contains("15"), "{t}");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("12345"), "12345");
        assert_eq!(shell_word("A clip"), "'A clip'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
