//! Logs and request ids.
//!
//! - Logs: `[log] format = "text"` (default, for a terminal) or `"json"` (one JSON object per
//!   line: `timestamp`, `level`, `target`, `fields` with the `message`, `span` with the current
//!   span's fields and `spans` with every enclosing span). `[log] level` (default `info`) is an
//!   `EnvFilter` directive; `RUST_LOG`, when set, wins.
//! - Request ids: every HTTP request runs inside a `request` span carrying `request_id`,
//!   `method`, `route` (the route template, never the URI: a query may hold a number) and
//!   `tenant` (recorded once the commune is known, [`record_tenant`]), so every line of the turn,
//!   the engine's and the store's included, carries them. A sane incoming `X-Request-Id`
//!   ([`is_sane_request_id`]) is kept, otherwise a UUID is made; the id is returned in the
//!   response's `X-Request-Id`.
//! - Phone numbers never go into a log line or a span in full: log `guichet_phone::mask_number`
//!   of a number, and `guichet_store::redact_numbers` of free text from outside.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::Response;
use prometheus::IntCounterVec;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Dispatch, Level, Span};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

use super::config::{LogFormat, LogSettings};

/// The request and response header of the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id accepted from a client.
const MAX_REQUEST_ID_LEN: usize = 64;

/// The route label of requests no route matched (404s).
const UNMATCHED_ROUTE: &str = "unmatched";

/// The log filter: `RUST_LOG` if set, else `[log] level`.
pub fn filter(settings: &LogSettings) -> anyhow::Result<EnvFilter> {
    match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("invalid RUST_LOG {directives:?}")),
        _ => EnvFilter::try_new(&settings.level)
            .with_context(|| format!("invalid [log] level {:?}", settings.level)),
    }
}

/// A subscriber writing `format` lines to `writer`, for a test
/// (`tracing::subscriber::set_default`) or the process ([`init`]).
pub fn dispatch<W>(format: LogFormat, filter: EnvFilter, writer: W) -> Dispatch
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    build(format, filter, writer, false)
}

fn build<W>(format: LogFormat, filter: EnvFilter, writer: W, ansi: bool) -> Dispatch
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    match format {
        LogFormat::Text => Dispatch::new(registry.with(layer.with_ansi(ansi))),
        LogFormat::Json => {
            Dispatch::new(registry.with(layer.json().with_current_span(true).with_span_list(true)))
        }
    }
}

/// Installs the process's logs on standard output (colours only on a terminal).
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let ansi = settings.format == LogFormat::Text && std::io::stdout().is_terminal();
    let dispatch = build(settings.format, filter(settings)?, std::io::stdout, ansi);
    tracing::dispatcher::set_global_default(dispatch).context("installing the logger")
}

/// A request id a client may choose: 1 to 64 characters of `[A-Za-z0-9._-]`.
pub fn is_sane_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Records the commune a request is for on its `request` span (no-op outside a request).
pub fn record_tenant(tenant: &str) {
    Span::current().record("tenant", tenant);
}

/// Wraps every route of `router` (the console's too): request id, `request` span, one
/// `INFO` line per response (status, latency), and `guichet_http_requests_total`.
pub fn instrument(router: Router, http_requests: IntCounterVec) -> Router {
    // Layers run outermost last-added: screen the id, make one, echo it, then the span.
    router
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .layer(middleware::from_fn(move |request, next| {
            screen_and_count(http_requests.clone(), request, next)
        }))
}

/// The route template a request matched (`/api/v1/conversations/{id}/turns`), never its URI.
fn route_of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
}

/// Drops an incoming request id that is not sane (one is made instead), and counts the answer.
async fn screen_and_count(
    http_requests: IntCounterVec,
    mut request: Request,
    next: Next,
) -> Response {
    if request
        .headers()
        .get(REQUEST_ID_HEADER)
        .is_some_and(|id| !is_sane_request_id(id.as_bytes()))
    {
        request.headers_mut().remove(REQUEST_ID_HEADER);
    }
    let route = route_of(&request).to_string();
    let response = next.run(request).await;
    http_requests
        .with_label_values(&[route.as_str(), response.status().as_str()])
        .inc();
    response
}

/// The span of one request. At `ERROR` level so that it is on whenever any line is: a warning
/// under `level = "warn"` still carries its request id.
fn request_span<B>(request: &axum::http::Request<B>) -> Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    let route = route_of(request);
    tracing::error_span!(
        "request",
        request_id,
        method = %request.method(),
        route,
        tenant = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_sane_request_id(b"abc-123_X.y"));
        assert!(is_sane_request_id(&[b'a'; 64]));
        assert!(!is_sane_request_id(&[b'a'; 65]));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"a b"));
        assert!(!is_sane_request_id(b"+33612345678\n"));
        assert!(!is_sane_request_id("é".as_bytes()));
    }
}
