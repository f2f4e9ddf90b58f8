//! The generic JSON API: `POST /api/v1/conversations`, `POST /api/v1/conversations/{id}/turns`,
//! `GET /api/v1/openapi.json`.

use std::sync::Arc;
use std::time::Instant;

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_agent::{Channel, Inbound};
use guichet_connectors::api::{self, CreateConversation, TurnRequest};

use super::{DECISION_HEADER, header_value};
use crate::serve::api_auth::{self, ApiCaller};
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

fn respond(
    status: StatusCode,
    outcome: &conversation::TurnOutcome,
    conversation_id: &str,
) -> Response {
    let body = api::render(&outcome.reply, conversation_id, outcome.seq);
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        DECISION_HEADER,
        header_value(&super::decision_header(&outcome.reply)),
    );
    response
}

/// The socket peer (absent only when the router is driven without a listener: then nothing
/// counts as local).
fn peer(extensions: &Extensions) -> SocketAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// What a caller may do in a turn: a public key never causes an SMS.
fn step_for(caller: &ApiCaller) -> Step {
    Step {
        no_sms: caller.is_public(),
        // An API client sends the number once, when it creates the conversation.
        keep_caller: true,
        ..Step::default()
    }
}

pub async fn create(
    State(state): AppRef,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let caller = api_auth::authenticate(&state, &headers, peer(&extensions)).await?;
        require_json(&headers)?;
        let mut request = CreateConversation::parse(&body)?;
        if caller.is_public() {
            // A chat widget: its key is public, so it may not choose whom to text or call.
            request.from = None;
            request.channel = Some(Channel::Chat);
        }
        let not_found = || ServeError::NotFound("no commune answers this number".into());
        let commune = match (request.to.as_deref(), caller.commune()) {
            (None, Some(own)) => state.communes.get(own).cloned(),
            (to, _) => state.commune_for_api(to).cloned(),
        }
        .filter(|commune| caller.may_use(&commune.id))
        .ok_or_else(not_found)?;
        let conversation_id = format!("{}.{}", commune.id, uuid::Uuid::new_v4());
        let inbound = request.inbound(&commune.id, &conversation_id);
        let mut outcome =
            conversation::handle(&state, &commune, &inbound, true, step_for(&caller)).await?;
        if let Some(text) = request.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let message = Inbound {
                text: text.trim().to_string(),
                ..inbound
            };
            outcome =
                conversation::handle(&state, &commune, &message, false, step_for(&caller)).await?;
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
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let caller = api_auth::authenticate(&state, &headers, peer(&extensions)).await?;
        require_json(&headers)?;
        let request = TurnRequest::parse(&body)?;
        let not_found = || ServeError::NotFound(format!("no conversation {id:?}"));
        let (tenant, _) = id.split_once('.').ok_or_else(not_found)?;
        // Another commune's conversation is answered as if it did not exist.
        if !caller.may_use(tenant) {
            return Err(not_found());
        }
        let commune = state.communes.get(tenant).cloned().ok_or_else(not_found)?;
        let (_, envelope) = conversation::load_envelope(&state, &commune.id, &id)
            .await?
            .ok_or_else(not_found)?;
        let inbound = Inbound {
            tenant: commune.id.clone(),
            channel: envelope.engine.channel,
            conversation_id: id.clone(),
            from: envelope.caller.clone().unwrap_or_default(),
            text: request.text.trim().to_string(),
            asr_confidence: None,
            dtmf: request.dtmf.clone().filter(|d| !d.is_empty()),
        };
        // A public key's conversation is a chat whatever it was started as; a server key
        // continuing it keeps its channel.
        let outcome =
            conversation::handle(&state, &commune, &inbound, false, step_for(&caller)).await?;
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
