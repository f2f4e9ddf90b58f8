//! The router: every route of the service, and the staff console under `/console`.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::handlers::{api, ops, twilio, vonage};
use super::state::AppState;

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.settings.body_limit_bytes;
    // The console's routes already carry `/console`: merged, not nested.
    let console = guichet_console::router(state.console.clone());
    let router = Router::new()
        .route("/twilio/voice", post(twilio::voice))
        .route("/twilio/voice/turn", post(twilio::turn))
        .route("/twilio/sms", post(twilio::sms))
        .route("/twilio/status", post(twilio::status))
        .route(
            "/vonage/answer",
            get(vonage::answer_get).post(vonage::answer_post),
        )
        .route("/vonage/event", post(vonage::event))
        .route("/vonage/input", post(vonage::input))
        .route("/vonage/sms", post(vonage::sms))
        .route("/vonage/status", post(vonage::status))
        .route("/api/v1/conversations", post(api::create))
        .route("/api/v1/conversations/{id}/turns", post(api::turn))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state.clone())
        .merge(console);
    super::telemetry::instrument(router, state.metrics.http_requests.clone())
}
