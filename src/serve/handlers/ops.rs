//! `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_store::Store;
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
            let error = c.knowledge.last_error().map(|error| error.to_string());
            json!({ "id": c.id, "fiches": c.knowledge.load_full().fiches().len(), "error": error })
        })
        .collect();
    let knowledge_ok = state
        .communes
        .values()
        .all(|c| !c.knowledge.load_full().fiches().is_empty());
    // Bounded by the store timeout: an unreachable database must not hang the probe.
    let store = state.spool.store_call(state.store.ping()).await;
    let ready = knowledge_ok && store.is_ok();
    let body = json!({
        "ready": ready,
        "knowledge": communes,
        "store": match &store { Ok(()) => "ok".to_string(), Err(error) => error.to_string() },
        "degraded": state.communes.values().any(|c| c.knowledge.last_error().is_some()),
        "spooled_turns": state.spool.len(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(depth) = state.store.outbox_depth().await {
        state.metrics.outbox_depth.set(depth);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
