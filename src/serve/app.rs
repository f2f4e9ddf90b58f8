//! The router: every route of the service, and the staff console under `/console`.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;

use super::exposure::Providers;
use super::handlers::jambonz::{self, Jambonz};
use super::handlers::twilio::Twilio;
use super::handlers::vonage::Vonage;
use super::handlers::{api, ops, twilio, voice, vonage};
use super::state::AppState;

/// Every route; a provider's webhooks only when its secret is configured (else 404, see
/// [`super::exposure`]). Every request body, the console's included, is bounded by
/// `body_limit_bytes` (413 beyond).
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.settings.body_limit_bytes;
    let providers = Providers::of(&state.settings);
    // The console's routes already carry `/console`: merged, not nested.
    let console = guichet_console::router(state.console.clone());
    let mut router = Router::new();
    if providers.twilio {
        router = router
            .route("/twilio/voice", post(voice::start::<Twilio>))
            .route("/twilio/voice/turn", post(voice::turn::<Twilio>))
            .route("/twilio/voice/dial", post(twilio::dial))
            .route("/twilio/voice/whisper", post(twilio::whisper))
            .route("/twilio/sms", post(twilio::sms))
            .route("/twilio/status", post(twilio::status));
    }
    if providers.vonage {
        router = router
            .route(
                "/vonage/answer",
                get(voice::start::<Vonage>).post(voice::start::<Vonage>),
            )
            .route("/vonage/event", post(vonage::event))
            .route("/vonage/dial", post(vonage::dial))
            .route(
                "/vonage/whisper",
                get(vonage::whisper).post(vonage::whisper),
            )
            .route("/vonage/input", post(voice::turn::<Vonage>))
            .route("/vonage/sms", post(vonage::sms))
            .route("/vonage/status", post(vonage::status));
    }
    if providers.jambonz {
        router = router
            .route("/jambonz/call", post(voice::start::<Jambonz>))
            .route("/jambonz/gather", post(voice::turn::<Jambonz>))
            .route("/jambonz/dial", post(jambonz::dial))
            .route("/jambonz/status", post(jambonz::status))
            .route("/jambonz/sms", post(jambonz::sms));
    }
    let router = router
        .route("/api/v1/conversations", post(api::create))
        .route("/api/v1/conversations/{id}/turns", post(api::turn))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state.clone())
        .merge(console)
        .layer(RequestBodyLimitLayer::new(limit))
        // Outside the body limit, so that its 413 under `/console` is a French page too (the
        // layer leaves every other path alone).
        .layer(axum::middleware::from_fn_with_state(
            state.console.clone(),
            guichet_console::error_pages,
        ));
    super::telemetry::instrument(router, state.metrics.http_requests.clone())
}
