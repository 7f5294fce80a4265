//! The OAuth server: consent page, token endpoint, revocation. As strict as
//! Pinterest: registered apps and exact redirect URIs, single-use expiring
//! codes, PKCE, rotating refresh tokens whose reuse revokes the family.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use sha2::Digest as _;

use crate::server::{Note, Shared, lock};
use crate::state::{AccessRec, CodeRec, ConsentRec, RefreshRec, now};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/", get(consent).post(decide))
        .route("/oauth", get(consent).post(decide))
        .route("/v5/oauth/token", post(token))
        .route("/v5/oauth/token/revoke", post(revoke))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut r = Response::new(Body::from(html));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

fn redirect(to: &str, params: &[(&str, &str)]) -> Response<Body> {
    let mut url = match url::Url::parse(to) {
        Ok(u) => u,
        Err(_) => {
            return page(StatusCode::BAD_REQUEST, "Invalid redirect URI", "<p>The redirect URI is not a URL.</p>");
        }
    };
    url.query_pairs_mut().extend_pairs(params.iter().filter(|(_, v)| !v.is_empty()));
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        r.headers_mut().insert("location", v);
    }
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

/// GET `/oauth/`: checks the request, then shows the consent page (or, in
/// auto-approve mode, redirects with a code at once).
async fn consent(State(s): State<Arc<Shared>>, Query(q): Query<BTreeMap<String, String>>) -> Response<Body> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    // Pinterest's own quickstart names the app `consumer_id`.
    let client_id = match (q.get("client_id"), q.get("consumer_id")) {
        (Some(a), Some(b)) if a != b => {
            return page(
                StatusCode::BAD_REQUEST,
                "Conflicting app ids",
                "<p>client_id and consumer_id name different apps. Nothing was redirected.</p>",
            );
        }
        (Some(id), _) | (None, Some(id)) => id.as_str(),
        (None, None) => "",
    };
    let (redirect_uri, state) = (get("redirect_uri"), get("state"));
    let mut d = s.data();
    let Some(app) = d.app(client_id).cloned() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown app",
            "<p>No app has this client_id. Nothing was redirected.</p>",
        );
    };
    if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            "Redirect URI not registered",
            "<p>This redirect URI is not registered for the app. Nothing was redirected.</p>",
        );
    }
    if get("response_type") != "code" {
        return redirect(redirect_uri, &[("error", "unsupported_response_type"), ("state", state)]);
    }
    let scopes: Vec<String> =
        get("scope").split([',', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect();
    let known = |x: &String| pinterest_sdk::oauth::Scope::ALL.iter().any(|k| k.as_str() == x);
    if scopes.is_empty() || !scopes.iter().all(known) {
        return redirect(redirect_uri, &[("error", "invalid_scope"), ("state", state)]);
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method").map(String::as_str)) {
        (Some(c), Some("S256")) => Some(c.clone()),
        (Some(_), _) => return redirect(redirect_uri, &[("error", "invalid_request"), ("state", state)]),
        (None, _) => None,
    };
    let rec = ConsentRec {
        app: app.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: q.get("state").cloned(),
        challenge,
    };
    if s.settings.auto_approve {
        let code = issue_code(&s, &mut d, &rec);
        return redirect(&rec.redirect_uri, &[("code", &code), ("state", rec.state.as_deref().unwrap_or(""))]);
    }
    let consent_id = d.token("");
    let scope_items: String = rec.scopes.iter().map(|x| format!("<li>{}</li>", escape(x))).collect();
    d.tokens.consents.insert(consent_id.clone(), rec);
    let body = format!(
        "<p><strong>{app}</strong> asks to access your Pinterest account:</p><ul id=\"scopes\">{scope_items}</ul>\
         <form method=\"post\" action=\"/oauth/\">\
         <input type=\"hidden\" name=\"consent_id\" value=\"{consent_id}\">\
         <button id=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
         <button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        app = escape(&app.name)
    );
    page(StatusCode::OK, "Allow access?", &body)
}

fn issue_code(s: &Shared, d: &mut crate::state::Data, rec: &ConsentRec) -> String {
    let code = d.token("");
    d.tokens.codes.insert(
        code.clone(),
        CodeRec {
            app: rec.app.clone(),
            redirect_uri: rec.redirect_uri.clone(),
            scopes: rec.scopes.clone(),
            expires_at: now() + s.settings.code_ttl.as_secs(),
            challenge: rec.challenge.clone(),
            used: false,
            family: None,
        },
    );
    code
}

/// POST `/oauth/`: Allow or Deny.
async fn decide(State(s): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut d = s.data();
    let Some(rec) = form.get("consent_id").and_then(|id| d.tokens.consents.remove(id)) else {
        return page(StatusCode::BAD_REQUEST, "Expired", "<p>This consent page is no longer valid.</p>");
    };
    let state = rec.state.clone().unwrap_or_default();
    match form.get("decision").map(String::as_str) {
        Some("allow") => {
            let code = issue_code(&s, &mut d, &rec);
            redirect(&rec.redirect_uri, &[("code", &code), ("state", &state)])
        }
        _ => redirect(&rec.redirect_uri, &[("error", "access_denied"), ("state", &state)]),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    let body = serde_json::json!({
        "error": error,
        "error_description": description,
        "code": if status == StatusCode::UNAUTHORIZED { 2 } else { 1 },
        "message": format!("{error}: {description}"),
    });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

/// The app that authenticated with HTTP Basic, if the secret matches.
fn basic_app(s: &Shared, headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let d = s.data();
    let app = d.app(id)?;
    (app.client_secret.as_bytes() == secret.as_bytes()).then(|| id.to_owned())
}

fn token_response(
    s: &Shared,
    d: &mut crate::state::Data,
    app: &str,
    scopes: &[String],
    family: Option<u64>,
    response_type: &str,
) -> serde_json::Value {
    let access = d.token("pina_");
    let access_ttl = s.settings.access_token_ttl.as_secs();
    d.tokens.access.insert(
        access.clone(),
        AccessRec { app: app.into(), scopes: scopes.to_vec(), expires_at: now() + access_ttl, family },
    );
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": access_ttl,
        "scope": scopes.join(" "),
        "response_type": response_type,
    });
    if let Some(family) = family {
        let refresh = d.token("pinr_");
        let ttl = s.settings.refresh_token_ttl.as_secs();
        d.tokens.refresh.insert(
            refresh.clone(),
            RefreshRec { app: app.into(), scopes: scopes.to_vec(), expires_at: now() + ttl, family, spent: false },
        );
        body["refresh_token"] = refresh.into();
        body["refresh_token_expires_in"] = ttl.into();
        body["refresh_token_expires_at"] = (now() + ttl).into();
    }
    body
}

fn json(body: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

/// POST `/v5/oauth/token`.
async fn token(
    State(s): State<Arc<Shared>>,
    Extension(note): Extension<Note>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    *lock(&note.0) = Some(grant.clone());
    s.count_token_request(&grant);
    let form_encoded = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let Some(app) = basic_app(&s, &headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
    };
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let mut d = s.data();
    match grant.as_str() {
        "authorization_code" => {
            let code = get("code");
            let Some(rec) = d.tokens.codes.get(code).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown authorization code");
            };
            if rec.used {
                // A replayed code: revoke what it was exchanged for.
                if let Some(f) = rec.family {
                    d.tokens.revoke_family(f);
                }
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the authorization code was already used",
                );
            }
            if rec.app != app {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code belongs to another app");
            }
            if now() >= rec.expires_at {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the authorization code expired");
            }
            if form.get("redirect_uri").map(String::as_str) != Some(rec.redirect_uri.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri does not match the authorization request",
                );
            }
            // PKCE both ways (RFC 9700 §2.1.1): a verifier for a code issued
            // without a challenge is a downgrade, as is the reverse.
            match (&rec.challenge, form.get("code_verifier")) {
                (Some(challenge), Some(verifier)) => {
                    let digest = sha2::Sha256::digest(verifier.as_bytes());
                    if base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) != *challenge {
                        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code_verifier does not match");
                    }
                }
                (Some(_), None) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "code_verifier is required: the authorization request had a code_challenge",
                    );
                }
                (None, Some(_)) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "code_verifier given, but the authorization request had no code_challenge",
                    );
                }
                (None, None) => {}
            }
            let family = d.tokens.next_family;
            d.tokens.next_family += 1;
            if let Some(c) = d.tokens.codes.get_mut(code) {
                c.used = true;
                c.family = Some(family);
            }
            json(token_response(&s, &mut d, &app, &rec.scopes, Some(family), "authorization_code"))
        }
        "refresh_token" => {
            let refresh = get("refresh_token");
            let Some(rec) = d.tokens.refresh.get(refresh).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown refresh token");
            };
            if rec.app != app {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token belongs to another app",
                );
            }
            if rec.spent {
                // Reuse of a rotated-out token: someone else has it. Revoke all.
                d.tokens.revoke_family(rec.family);
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token was already used; the grant is revoked",
                );
            }
            if now() >= rec.expires_at {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the refresh token expired");
            }
            let scopes = match form.get("scope") {
                Some(requested) => {
                    let wanted: Vec<String> =
                        requested.split([',', ' ']).filter(|x| !x.is_empty()).map(str::to_owned).collect();
                    if !wanted.iter().all(|w| rec.scopes.contains(w)) {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_scope",
                            "a refresh can only narrow the scopes",
                        );
                    }
                    wanted
                }
                None => rec.scopes.clone(),
            };
            if let Some(r) = d.tokens.refresh.get_mut(refresh) {
                r.spent = true;
            }
            json(token_response(&s, &mut d, &app, &scopes, Some(rec.family), "refresh_token"))
        }
        "client_credentials" => {
            let scopes: Vec<String> =
                get("scope").split([',', ' ']).filter(|x| !x.is_empty()).map(str::to_owned).collect();
            if scopes.is_empty() {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "scope is required");
            }
            json(token_response(&s, &mut d, &app, &scopes, None, "client_credentials"))
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant_type is not supported"),
    }
}

/// POST `/v5/oauth/token/revoke`.
async fn revoke(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let Some(app) = basic_app(&s, &headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
    };
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let Some(token) = form.get("token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is required");
    };
    let mut d = s.data();
    if d.tokens.access.get(token).is_some_and(|a| a.app == app) {
        d.tokens.access.remove(token);
    }
    if let Some(r) = d.tokens.refresh.get(token).cloned().filter(|r| r.app == app) {
        d.tokens.revoke_family(r.family);
    }
    // RFC 7009: success whether or not the token was known.
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::OK;
    r
}
