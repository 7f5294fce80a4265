//! Logging on stderr, and the HTTP view (`-v` or `PINTEREST_DEBUG=api`):
//! one line per call, `GET /v5/boards → 200 OK in 12 ms (request id …)`,
//! read from the SDK's `pinterest.call` span. The span holds the method,
//! the path (never the query), the status, the request id, the attempts
//! and the time: nothing secret.

use std::fmt::Debug;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::output::eprint_line;

/// What one call's span recorded.
#[derive(Debug, Default)]
struct Call {
    method: String,
    path: String,
    status: Option<u64>,
    request_id: Option<String>,
    attempts: Option<u64>,
    duration_ms: Option<u64>,
}

impl Visit for Call {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "attempts" => self.attempts = Some(value),
            "duration_ms" => self.duration_ms = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, u64::try_from(value).unwrap_or_default());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "path" => value.clone_into(&mut self.path),
            "method" => value.clone_into(&mut self.method),
            "request_id" => self.request_id = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "method" {
            self.method = format!("{value:?}");
        }
    }
}

/// Prints a line when a `pinterest.call` span closes.
struct HttpView {
    color: bool,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for HttpView {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "pinterest.call" {
            return;
        }
        let mut call = Call::default();
        attrs.record(&mut call);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(call);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(call) = span.extensions_mut().get_mut::<Call>()
        {
            values.record(call);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(call) = extensions.get::<Call>() else { return };
        eprint_line(&line(call, self.color));
    }
}

fn line(call: &Call, color: bool) -> String {
    let status = match call.status.and_then(|s| http::StatusCode::from_u16(u16::try_from(s).ok()?).ok()) {
        Some(s) => {
            let text = format!("{} {}", s.as_u16(), s.canonical_reason().unwrap_or(""));
            let style = if s.is_success() {
                anstyle::AnsiColor::Green.on_default()
            } else {
                anstyle::AnsiColor::Red.on_default()
            };
            if color { format!("{style}{}{style:#}", text.trim_end()) } else { text.trim_end().to_owned() }
        }
        None => "no answer".into(),
    };
    let mut text = format!(
        "* {} {} → {status}",
        crate::output::terminal_safe(&call.method),
        crate::output::terminal_safe(&call.path)
    );
    if let Some(ms) = call.duration_ms {
        text.push_str(&format!(" in {ms} ms"));
    }
    let mut extra = Vec::new();
    if let Some(rid) = &call.request_id {
        extra.push(format!("request id {}", crate::output::terminal_safe(rid)));
    }
    if let Some(n) = call.attempts.filter(|n| *n > 1) {
        extra.push(format!("{n} attempts"));
    }
    if !extra.is_empty() {
        text.push_str(&format!(" ({})", extra.join(", ")));
    }
    text
}

/// Sets up stderr logging: `PINTEREST_LOG` (an env-filter) or the level
/// `-v`s give, colour only when `color`; the HTTP view with `-v` or
/// `PINTEREST_DEBUG=api`.
pub fn init(verbose: u8, color: bool) {
    let level = match verbose {
        0 | 1 => "warn",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("PINTEREST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let api_debug =
        std::env::var("PINTEREST_DEBUG").is_ok_and(|v| v.split(',').any(|p| matches!(p.trim(), "api" | "1" | "true")));
    let http = (verbose >= 1 || api_debug)
        .then(|| HttpView { color }.with_filter(Targets::new().with_target("pinterest_sdk", Level::DEBUG)));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(fmt).with(http).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_one_line_without_colour_when_asked() {
        let call = Call {
            method: "GET".into(),
            path: "/v5/boards".into(),
            status: Some(404),
            request_id: Some("emu-7".into()),
            attempts: Some(2),
            duration_ms: Some(12),
        };
        assert_eq!(line(&call, false), "* GET /v5/boards → 404 Not Found in 12 ms (request id emu-7, 2 attempts)");
        assert!(line(&call, true).contains("\u{1b}["));
    }
}
