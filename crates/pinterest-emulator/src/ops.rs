//! The stateful operations: user account, boards, board sections, Pins,
//! media and search. `None` means "not stateful here": the sample answers.

use axum::body::Body;
use base64::Engine as _;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::api::{Call, bad_request, forbidden, json, not_found};
use crate::state::{Data, MediaRec, UploadSignature};

const DEFAULT_PAGE_SIZE: usize = 25;

/// Bookmarks are opaque: base64 of `o:<offset>:<list>`, tied to the list
/// they page so that one cannot be replayed on another.
fn bookmark(offset: usize, list: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}:{list}"))
}

fn read_bookmark(raw: &str, list: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("o:")?;
    let (offset, which) = rest.split_once(':')?;
    (which == list).then(|| offset.parse().ok()).flatten()
}

/// One page of `items`, Pinterest-style: `{items, bookmark}` with a null
/// bookmark on the last page.
pub(crate) fn page(call: &Call<'_>, items: Vec<Value>, list: &str) -> Response<Body> {
    let size = call.param("page_size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(DEFAULT_PAGE_SIZE);
    let start = match call.param("bookmark") {
        None => 0,
        Some(b) => match read_bookmark(b, list) {
            Some(o) => o,
            None => return bad_request("Invalid bookmark."),
        },
    };
    // A bookmark is the client's to send back, so its offset may be anything.
    let start = start.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    let slice: Vec<Value> = items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    let next = (end < items.len()).then(|| bookmark(end, list));
    json(StatusCode::OK, &json!({"items": slice, "bookmark": next}))
}

fn no_content() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn can_read_board(call: &Call<'_>, d: &Data, board_id: &str) -> bool {
    !d.board_is_secret(board_id) || call.has_scope("boards:read_secret")
}

fn can_read_pin(call: &Call<'_>, d: &Data, pin: &Value) -> bool {
    let board = pin["board_id"].as_str().unwrap_or_default();
    !d.board_is_secret(board) || call.has_scope("pins:read_secret")
}

/// Copies the fields of `patch` present in `allowed` onto `target` (an
/// explicit null clears a field).
fn apply_patch(target: &mut Value, patch: &Value, allowed: &[&str]) {
    if let (Some(t), Some(p)) = (target.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            if allowed.contains(&k.as_str()) {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

pub fn handle(call: &Call<'_>) -> Option<Response<Body>> {
    let mut d = call.shared.data();
    let body = call.body.clone().unwrap_or(Value::Null);
    let response = match call.op.id {
        "user_account/get" => json(StatusCode::OK, &d.user_account()),
        "followers/list" => page(call, d.followers.clone(), "followers"),
        "user_following/get" => page(call, d.following.clone(), "following"),
        "user_websites/get" => page(call, d.websites.clone(), "websites"),
        "boards/list" => {
            let privacy = call.param("privacy").unwrap_or("PUBLIC_AND_SECRET");
            let items: Vec<Value> = d
                .boards
                .values()
                .filter(|b| {
                    let secret = b["privacy"] == "SECRET";
                    (!secret || call.has_scope("boards:read_secret"))
                        && match privacy {
                            "SECRET" => secret,
                            "PUBLIC" => b["privacy"] == "PUBLIC",
                            "PROTECTED" => b["privacy"] == "PROTECTED",
                            _ => true,
                        }
                })
                .cloned()
                .collect();
            page(call, items, "boards")
        }
        "boards/create" => {
            let privacy = body["privacy"].as_str().unwrap_or("PUBLIC").to_owned();
            if privacy == "SECRET" && !call.has_scope("boards:write_secret") {
                return Some(forbidden("Creating a secret board needs the boards:write_secret scope."));
            }
            let name = body["name"].as_str().unwrap_or_default().to_owned();
            if name.trim().is_empty() {
                return Some(bad_request("A board needs a name."));
            }
            let description = body["description"].as_str().unwrap_or_default().to_owned();
            let id = d.add_board(&name, &description, &privacy);
            json(StatusCode::CREATED, &d.boards[&id])
        }
        "boards/get" => {
            let id = call.path_param("board_id");
            match d.boards.get(id) {
                Some(b) if can_read_board(call, &d, id) => json(StatusCode::OK, b),
                _ => not_found("Board"),
            }
        }
        "boards/update" => {
            let id = call.path_param("board_id").to_owned();
            if !d.boards.contains_key(&id) || !can_read_board(call, &d, &id) {
                return Some(not_found("Board"));
            }
            let to_secret = body["privacy"] == "SECRET";
            if (d.board_is_secret(&id) || to_secret) && !call.has_scope("boards:write_secret") {
                return Some(forbidden("Changing a secret board needs the boards:write_secret scope."));
            }
            if let Some(b) = d.boards.get_mut(&id) {
                // A null name or privacy is not given; a null description clears it.
                let given: Vec<&str> =
                    ["name", "privacy"].into_iter().filter(|k| !body[*k].is_null()).chain(["description"]).collect();
                apply_patch(b, &body, &given);
            }
            json(StatusCode::OK, &d.boards[&id])
        }
        "boards/delete" => {
            let id = call.path_param("board_id").to_owned();
            if !d.boards.contains_key(&id) || !can_read_board(call, &d, &id) {
                return Some(not_found("Board"));
            }
            if d.board_is_secret(&id) && !call.has_scope("boards:write_secret") {
                return Some(forbidden("Deleting a secret board needs the boards:write_secret scope."));
            }
            d.boards.remove(&id);
            d.sections.retain(|_, s| s["board_id"] != id.as_str());
            d.pins.retain(|_, p| p["board_id"] != id.as_str());
            d.recount();
            no_content()
        }
        "boards/list_pins" => {
            let id = call.path_param("board_id").to_owned();
            if !d.boards.contains_key(&id) || !can_read_board(call, &d, &id) {
                return Some(not_found("Board"));
            }
            let items: Vec<Value> = d.pins.values().filter(|p| p["board_id"] == id.as_str()).cloned().collect();
            page(call, items, &format!("board-{id}"))
        }
        "board_sections/list" => {
            let id = call.path_param("board_id").to_owned();
            if !d.boards.contains_key(&id) || !can_read_board(call, &d, &id) {
                return Some(not_found("Board"));
            }
            let items: Vec<Value> = d
                .sections
                .values()
                .filter(|s| s["board_id"] == id.as_str())
                .map(|s| json!({"id": s["id"], "name": s["name"]}))
                .collect();
            page(call, items, &format!("sections-{id}"))
        }
        "board_sections/create" => {
            let id = call.path_param("board_id").to_owned();
            if !d.boards.contains_key(&id) {
                return Some(not_found("Board"));
            }
            let name = body["name"].as_str().unwrap_or_default().to_owned();
            let sid = d.add_section(&id, &name);
            json(StatusCode::CREATED, &json!({"id": sid, "name": name}))
        }
        "board_sections/update" | "board_sections/delete" | "board_sections/list_pins" => {
            let (bid, sid) = (call.path_param("board_id").to_owned(), call.path_param("section_id").to_owned());
            let belongs = d.sections.get(&sid).is_some_and(|s| s["board_id"] == bid.as_str());
            if !belongs || !can_read_board(call, &d, &bid) {
                return Some(not_found("Board section"));
            }
            match call.op.id {
                "board_sections/update" => {
                    if let Some(s) = d.sections.get_mut(&sid) {
                        apply_patch(s, &body, &["name"]);
                    }
                    let s = &d.sections[&sid];
                    json(StatusCode::OK, &json!({"id": s["id"], "name": s["name"]}))
                }
                "board_sections/delete" => {
                    d.sections.remove(&sid);
                    for p in d.pins.values_mut().filter(|p| p["board_section_id"] == sid.as_str()) {
                        p["board_section_id"] = Value::Null;
                    }
                    no_content()
                }
                _ => {
                    let items: Vec<Value> =
                        d.pins.values().filter(|p| p["board_section_id"] == sid.as_str()).cloned().collect();
                    page(call, items, &format!("section-{sid}"))
                }
            }
        }
        "pins/list" => {
            let items: Vec<Value> = d.pins.values().filter(|p| can_read_pin(call, &d, p)).cloned().collect();
            page(call, items, "pins")
        }
        "pins/get" => {
            let id = call.path_param("pin_id");
            match d.pins.get(id) {
                Some(p) if can_read_pin(call, &d, p) => json(StatusCode::OK, p),
                _ => not_found("Pin"),
            }
        }
        "pins/create" => return Some(create_pin(call, &mut d, &body)),
        "pins/update" => {
            let id = call.path_param("pin_id").to_owned();
            let Some(pin) = d.pins.get(&id).cloned() else { return Some(not_found("Pin")) };
            if !can_read_pin(call, &d, &pin) {
                return Some(not_found("Pin"));
            }
            let board = body["board_id"].as_str().unwrap_or(pin["board_id"].as_str().unwrap_or_default()).to_owned();
            if !d.boards.contains_key(&board) {
                return Some(bad_request("board_id names no board of yours."));
            }
            if d.board_is_secret(&board) && !call.has_scope("pins:write_secret") {
                return Some(forbidden("Changing a Pin on a secret board needs the pins:write_secret scope."));
            }
            if let Some(section) = body["board_section_id"].as_str()
                && !d.sections.get(section).is_some_and(|s| s["board_id"] == board.as_str())
            {
                return Some(bad_request("board_section_id is not a section of that board."));
            }
            if let Some(p) = d.pins.get_mut(&id) {
                apply_patch(
                    p,
                    &body,
                    &["title", "description", "link", "alt_text", "board_id", "board_section_id", "note"],
                );
            }
            d.recount();
            json(StatusCode::OK, &d.pins[&id])
        }
        "pins/delete" => {
            let id = call.path_param("pin_id").to_owned();
            match d.pins.get(&id).cloned() {
                Some(p) if can_read_pin(call, &d, &p) => {
                    let board = p["board_id"].as_str().unwrap_or_default().to_owned();
                    if d.board_is_secret(&board) && !call.has_scope("pins:write_secret") {
                        return Some(forbidden("Deleting a Pin on a secret board needs the pins:write_secret scope."));
                    }
                    d.pins.remove(&id);
                    d.recount();
                    no_content()
                }
                _ => not_found("Pin"),
            }
        }
        "pins/save" => {
            let id = call.path_param("pin_id").to_owned();
            let Some(original) = d.pins.get(&id).cloned().filter(|p| can_read_pin(call, &d, p)) else {
                return Some(not_found("Pin"));
            };
            let board =
                body["board_id"].as_str().unwrap_or(original["board_id"].as_str().unwrap_or_default()).to_owned();
            if !d.boards.contains_key(&board) {
                return Some(bad_request("board_id names no board of yours."));
            }
            if let Some(section) = body["board_section_id"].as_str()
                && !d.sections.get(section).is_some_and(|s| s["board_id"] == board.as_str())
            {
                return Some(bad_request("board_section_id is not a section of that board."));
            }
            let new_id = d.id();
            let mut copy = original.clone();
            copy["id"] = json!(new_id);
            copy["board_id"] = json!(board);
            copy["board_section_id"] = body.get("board_section_id").cloned().unwrap_or(Value::Null);
            copy["parent_pin_id"] = json!(id);
            copy["created_at"] = json!(d.timestamp());
            d.pins.insert(new_id.clone(), copy);
            d.recount();
            json(StatusCode::CREATED, &d.pins[&new_id])
        }
        "media/create" => {
            let id = d.id();
            // The upload target takes an upload only with this signature.
            let signature = UploadSignature::new(d.token("sig_"));
            let signed = signature.expose().to_owned();
            d.media.insert(
                id.clone(),
                MediaRec {
                    media_type: "video".into(),
                    status: "registered".into(),
                    polls: 0,
                    uploaded: false,
                    upload_signature: Some(signature),
                },
            );
            let upload_url = format!("{}/_emulator/upload/{id}", call.shared.base_url());
            let parameters = json!({
                "x-amz-date": "20250101T000000Z",
                "x-amz-signature": signed,
                "x-amz-security-token": "emulator-token",
                "x-amz-algorithm": "AWS4-HMAC-SHA256",
                "key": format!("uploads/{id}"),
                "policy": "emulator-policy",
                "x-amz-credential": "emulator/20250101/us-east-1/s3/aws4_request",
                "Content-Type": "multipart/form-data",
            });
            json(
                StatusCode::CREATED,
                &json!({"media_id": id, "media_type": "video", "upload_url": upload_url, "upload_parameters": parameters}),
            )
        }
        "media/get" => {
            let id = call.path_param("media_id").to_owned();
            let polls_to_finish = call.shared.settings.media_processing_polls;
            let Some(m) = d.media.get_mut(&id) else { return Some(not_found("Media")) };
            if m.uploaded && m.status == "processing" {
                m.polls += 1;
                if m.polls > polls_to_finish {
                    m.status = "succeeded".into();
                }
            }
            json(StatusCode::OK, &json!({"media_id": id, "media_type": m.media_type, "status": m.status}))
        }
        "media/list" => {
            let items: Vec<Value> = d
                .media
                .iter()
                .map(|(id, m)| json!({"media_id": id, "media_type": m.media_type, "status": m.status}))
                .collect();
            page(call, items, "media")
        }
        "search_user_pins/list" => {
            let q = call.param("query").unwrap_or_default().to_lowercase();
            let items: Vec<Value> = d
                .pins
                .values()
                .filter(|p| can_read_pin(call, &d, p))
                .filter(|p| {
                    [&p["title"], &p["description"]]
                        .iter()
                        .any(|f| f.as_str().is_some_and(|s| s.to_lowercase().contains(&q)))
                })
                .cloned()
                .collect();
            page(call, items, &format!("search-pins-{q}"))
        }
        "search_user_boards/get" => {
            let q = call.param("query").unwrap_or_default().to_lowercase();
            let items: Vec<Value> = d
                .boards
                .iter()
                .filter(|(id, _)| can_read_board(call, &d, id))
                .filter(|(_, b)| b["name"].as_str().is_some_and(|n| n.to_lowercase().contains(&q)))
                .map(|(_, b)| b.clone())
                .collect();
            page(call, items, &format!("search-boards-{q}"))
        }
        "terms_related/list" => {
            // The first term is the answer's `id`, as Pinterest's clients expect.
            let terms: Vec<&str> =
                call.param("terms").unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
            let lists: Vec<Value> = terms
                .iter()
                .map(|t| json!({"term": t, "related_terms": [format!("{t} ideas"), format!("easy {t}"), format!("{t} recipes")]}))
                .collect();
            json(
                StatusCode::OK,
                &json!({"id": terms.first().copied().unwrap_or_default(), "related_term_count": lists.len() * 3, "related_terms_list": lists}),
            )
        }
        "oauth/conversion_token" => {
            // Good for the Conversions API only: it carries no scope, and
            // `events/create` is the one operation that takes a token
            // without one.
            let token = d.token("pina_conv_");
            // Long-lived, as Pinterest's are: a year.
            let expires_at = crate::state::now().saturating_add(365 * 24 * 3600);
            d.tokens.access.insert(
                token.clone(),
                crate::state::AccessRec {
                    app: crate::DEMO_CLIENT_ID.into(),
                    scopes: vec!["conversion_token".into()],
                    expires_at,
                    family: None,
                },
            );
            json(StatusCode::OK, &json!({"access_token": token, "token_type": "bearer"}))
        }
        _ => return None,
    };
    Some(response)
}

fn create_pin(call: &Call<'_>, d: &mut Data, body: &Value) -> Response<Body> {
    let Some(board) = body["board_id"].as_str().map(str::to_owned) else {
        return bad_request("board_id is required.");
    };
    if !d.boards.contains_key(&board) {
        return bad_request("board_id names no board of yours.");
    }
    if d.board_is_secret(&board) && !call.has_scope("pins:write_secret") {
        return forbidden("Creating a Pin on a secret board needs the pins:write_secret scope.");
    }
    if let Some(section) = body["board_section_id"].as_str()
        && !d.sections.get(section).is_some_and(|s| s["board_id"] == board.as_str())
    {
        return bad_request("board_section_id is not a section of that board.");
    }
    let source = &body["media_source"];
    let media = match source["source_type"].as_str() {
        Some("image_url") => {
            let Some(url) = source["url"].as_str() else { return bad_request("media_source.url is required.") };
            json!({"media_type": "image", "images": {
                "150x150": {"width": 150, "height": 150, "url": url},
                "600x": {"width": 600, "height": 900, "url": url},
            }})
        }
        Some("video_id") => {
            let id = source["media_id"].as_str().unwrap_or_default();
            match d.media.get(id) {
                Some(m) if m.status == "succeeded" => json!({
                    "media_type": "video",
                    "cover_image_url": source["cover_image_url"].as_str().map_or_else(
                        || format!("https://i.pinimg.com/emulator/{id}-cover.jpg"),
                        str::to_owned
                    ),
                    "video_url": format!("https://v.pinimg.com/emulator/{id}.mp4"),
                    "images": {
                        "150x150": {"width": 150, "height": 150, "url": format!("https://i.pinimg.com/emulator/{id}-cover.jpg")},
                        "600x": {"width": 600, "height": 900, "url": format!("https://i.pinimg.com/emulator/{id}-cover.jpg")},
                    },
                    "duration": 12000,
                    "height": 1280,
                    "width": 720,
                }),
                Some(m) => return bad_request(&format!("media {id} is {}, not succeeded.", m.status)),
                None => return bad_request("media_source.media_id names no upload."),
            }
        }
        Some("image_base64" | "multiple_image_base64" | "multiple_image_urls" | "pin_url") => {
            let url = format!("https://i.pinimg.com/emulator/upload-{}.jpg", d.counter + 1);
            json!({"media_type": "image", "images": {
                "150x150": {"width": 150, "height": 150, "url": url},
                "600x": {"width": 600, "height": 900, "url": url},
            }})
        }
        _ => return bad_request("media_source.source_type is required."),
    };
    let id = d.add_pin(&board, body["board_section_id"].as_str(), "", "");
    if let Some(p) = d.pins.get_mut(&id) {
        apply_patch(p, body, &["title", "description", "link", "alt_text", "note", "dominant_color"]);
        p["media"] = media;
    }
    json(StatusCode::CREATED, &d.pins[&id])
}
