//! `/_emulator/*`: control of the emulator, and the storage endpoint that
//! media uploads go to.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::api::json;
use crate::server::{Fault, Shared, json_error};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/seed", post(seed))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
        .route("/_emulator/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/_emulator/tokens", post(mint))
        .route("/_emulator/state", get(state))
        .route("/_emulator/upload/{media_id}", post(upload))
}

async fn reset(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.reset(None);
    json(StatusCode::OK, &json!({"reset": true}))
}

#[derive(Deserialize, Default)]
struct SeedBody {
    seed: Option<u64>,
}

async fn seed(State(s): State<Arc<Shared>>, body: Option<Json<SeedBody>>) -> Response<Body> {
    let seed = body.map(|Json(b)| b).unwrap_or_default().seed.unwrap_or(0);
    s.reset(Some(seed));
    json(StatusCode::OK, &json!({"seeded": seed}))
}

async fn requests(State(s): State<Arc<Shared>>) -> Response<Body> {
    json(StatusCode::OK, &json!(s.requests()))
}

async fn clear_requests(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.clear_requests();
    json(StatusCode::OK, &json!({"cleared": true}))
}

async fn faults(State(s): State<Arc<Shared>>) -> Response<Body> {
    json(StatusCode::OK, &json!(s.faults()))
}

async fn add_fault(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response<Body> {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            s.add_fault(f);
            json(StatusCode::CREATED, &json!({"faults": s.faults().len()}))
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, 1, &format!("not a fault: {e}")),
    }
}

async fn clear_faults(State(s): State<Arc<Shared>>) -> Response<Body> {
    s.clear_faults();
    json(StatusCode::OK, &json!({"faults": 0}))
}

#[derive(Deserialize)]
struct MintBody {
    scopes: Vec<String>,
}

/// Mints an access token for the demo app without the OAuth dance.
async fn mint(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> Response<Body> {
    match serde_json::from_slice::<MintBody>(&body) {
        Ok(b) => {
            let scopes: Vec<&str> = b.scopes.iter().map(String::as_str).collect();
            json(StatusCode::CREATED, &json!({"access_token": s.issue_token(&scopes), "token_type": "bearer"}))
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, 1, &format!("expected {{\"scopes\": [...]}}: {e}")),
    }
}

async fn state(State(s): State<Arc<Shared>>) -> Response<Body> {
    let d = s.snapshot();
    json(
        StatusCode::OK,
        &json!({"boards": d.boards.len(), "sections": d.sections.len(), "pins": d.pins.len(), "media": d.media.len(), "user": d.user}),
    )
}

/// The storage endpoint of a media upload: a `multipart/form-data` POST of
/// the signed fields and then `file`, answered 204 like S3.
async fn upload(State(s): State<Arc<Shared>>, Path(media_id): Path<String>, mut form: Multipart) -> Response<Body> {
    let mut key = None;
    let mut file_name = None;
    let mut size = 0usize;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let fname = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "key" => key = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        "file" => {
                            file_name = Some(fname.unwrap_or_default());
                            size = bytes.len();
                        }
                        _ => {}
                    },
                    Err(e) => return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", &e.to_string()),
                }
            }
            Ok(None) => break,
            Err(e) => return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", &e.to_string()),
        }
    }
    let mut d = s.data();
    let Some(media) = d.media.get_mut(&media_id) else {
        return xml_error(StatusCode::NOT_FOUND, "NoSuchUpload", "unknown upload");
    };
    if key.as_deref() != Some(format!("uploads/{media_id}").as_str()) {
        return xml_error(StatusCode::FORBIDDEN, "AccessDenied", "the key does not match the upload");
    }
    let Some(file_name) = file_name else {
        return xml_error(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", "the file field is missing");
    };
    media.uploaded = true;
    // A file named like "...fail..." (or an empty one) fails processing, for tests.
    media.status = if file_name.contains("fail") || size == 0 { "failed".into() } else { "processing".into() };
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>")));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", http::HeaderValue::from_static("application/xml"));
    r
}
