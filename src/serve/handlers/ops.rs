//! `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_store::{NotificationStore, OutboxStore, SessionStore};
use serde_json::json;

use crate::serve::state::AppState;

/// The process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Every commune's knowledge is loaded and the store answers.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let communes: Vec<_> = state
        .communes
        .values()
        .map(|c| {
            // A broken edit keeps the last good index in service (ready, but degraded).
            // Public: it says that the last edit was refused, the logs and `kb check` say why.
            let error = c
                .knowledge
                .last_error()
                .map(|_| "last edit refused: see the service's logs or `guichet kb check`");
            json!({ "id": c.id, "fiches": c.knowledge.load_full().fiches().len(), "error": error })
        })
        .collect();
    let knowledge_ok = state
        .communes
        .values()
        .all(|c| !c.knowledge.load_full().fiches().is_empty());
    // Bounded by the store timeout: an unreachable database must not hang the probe.
    let store = state.spool.store_call(state.store.ping()).await;
    // A spool near full: this node is about to lose turns if the store stays away.
    let spool_near_full = state.spool.near_full();
    let ready = knowledge_ok && store.is_ok() && !spool_near_full;
    let body = json!({
        "ready": ready,
        "knowledge": communes,
        "store": match &store {
            Ok(()) => "ok",
            Err(error) => {
                tracing::warn!(error = %guichet_store::redact_numbers(&error.to_string()), "readiness: store check failed");
                "unavailable"
            }
        },
        "degraded": state.communes.values().any(|c| c.knowledge.last_error().is_some()),
        "spooled_turns": state.spool.len(),
        "spool": {
            "bytes": state.spool.bytes(),
            "max_bytes": state.spool.max_bytes(),
            "near_full": spool_near_full,
        },
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    refresh_store_gauges(&state).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The gauges read from the store at each scrape: `guichet_outbox_depth` and
/// `guichet_notifications` (this node's communes), each call bounded by the store timeout. While
/// the store is known to be unreachable they are not asked for (the last values stay), so that a
/// scrape during an outage answers at once with the spool's metrics.
async fn refresh_store_gauges(state: &AppState) {
    if state.spool.store_down() {
        return;
    }
    let communes: Vec<String> = state.communes.keys().cloned().collect();
    let (depth, notifications) = tokio::join!(
        state.spool.store_call(state.store.outbox_depth()),
        state
            .spool
            .store_call(state.store.notification_counts(&communes)),
    );
    if let Ok(depth) = depth {
        state.metrics.outbox_depth.set(depth);
    }
    if let Ok(counts) = notifications {
        state.metrics.record_notification_counts(&counts);
    }
}
