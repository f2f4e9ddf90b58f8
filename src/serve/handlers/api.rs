//! The generic JSON API: `POST /api/v1/conversations`, `POST /api/v1/conversations/{id}/turns`,
//! `GET /api/v1/openapi.json`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_agent::{Channel, Inbound};
use guichet_connectors::api::{self, CreateConversation, TurnRequest};

use super::{DECISION_HEADER, header_value};
use crate::serve::conversation::{self, Step};
use crate::serve::error::ServeError;
use crate::serve::state::AppState;

type AppRef = State<Arc<AppState>>;

fn require_json(headers: &HeaderMap) -> Result<(), ServeError> {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => Ok(()),
        Some(value)
            if value
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")) =>
        {
            Ok(())
        }
        Some(other) => Err(ServeError::UnsupportedMediaType(format!(
            "Content-Type {other:?}: application/json expected"
        ))),
    }
}

fn respond(status: StatusCode, outcome: &conversation::Outcome, conversation_id: &str) -> Response {
    let body = api::render(&outcome.reply, conversation_id, outcome.seq);
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        DECISION_HEADER,
        header_value(&conversation::decision_header(&outcome.reply)),
    );
    response
}

pub async fn create(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let result = async {
        require_json(&headers)?;
        let request = CreateConversation::parse(&body)?;
        let commune = state
            .commune_for_api(request.to.as_deref())
            .cloned()
            .ok_or_else(|| ServeError::NotFound("no commune answers this number".into()))?;
        let conversation_id = format!("{}.{}", commune.id, uuid::Uuid::new_v4());
        let inbound = request.inbound(&commune.id, &conversation_id);
        let mut outcome =
            conversation::handle(&state, &commune, &inbound, true, Step::default()).await?;
        if let Some(text) = request.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let message = Inbound {
                text: text.trim().to_string(),
                ..inbound
            };
            outcome =
                conversation::handle(&state, &commune, &message, false, Step::default()).await?;
        }
        let channel = format!("{:?}", request.channel.unwrap_or(Channel::Chat)).to_lowercase();
        state
            .metrics
            .record_turn("api", channel.as_str(), started.elapsed());
        Ok::<_, ServeError>(respond(StatusCode::CREATED, &outcome, &conversation_id))
    };
    result.await.unwrap_or_else(ServeError::into_json)
}

pub async fn turn(
    State(state): AppRef,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        require_json(&headers)?;
        let request = TurnRequest::parse(&body)?;
        let not_found = || ServeError::NotFound(format!("no conversation {id:?}"));
        let (tenant, _) = id.split_once('.').ok_or_else(not_found)?;
        let commune = state.communes.get(tenant).cloned().ok_or_else(not_found)?;
        let (_, envelope) = conversation::load_envelope(&state, &commune.id, &id)
            .await?
            .ok_or_else(not_found)?;
        let inbound = Inbound {
            tenant: commune.id.clone(),
            channel: envelope.engine.channel,
            conversation_id: id.clone(),
            from: envelope.engine.from.clone(),
            text: request.text.trim().to_string(),
            asr_confidence: None,
            dtmf: request.dtmf.clone().filter(|d| !d.is_empty()),
        };
        let outcome =
            conversation::handle(&state, &commune, &inbound, false, Step::default()).await?;
        let channel = format!("{:?}", envelope.engine.channel).to_lowercase();
        state
            .metrics
            .record_turn("api", channel.as_str(), started.elapsed());
        Ok::<_, ServeError>(respond(StatusCode::OK, &outcome, &id))
    };
    result.await.unwrap_or_else(ServeError::into_json)
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], api::OPENAPI).into_response()
}
