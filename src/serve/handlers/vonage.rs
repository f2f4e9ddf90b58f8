//! `/vonage/answer`, `/vonage/event`, `/vonage/input`, `/vonage/sms`, `/vonage/status`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_connectors::DeliveryState;
use guichet_connectors::vonage::{
    AnswerRequest, CallEvent, IncomingSms, InputEvent, MessageStatus, NccoOptions, ncco, signature,
};
use guichet_store::{DeliveryStatus, Store, mask_number};

use super::{DECISION_HEADER, UNKNOWN_NUMBER_MESSAGE, header_value};
use crate::serve::config::Provider;
use crate::serve::conversation::{self, Outcome, Step};
use crate::serve::error::ServeError;
use crate::serve::metrics::SmsFailure;
use crate::serve::state::{AppState, CommuneRuntime};

type AppRef = State<Arc<AppState>>;

fn authenticate(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ServeError> {
    let settings = &state.settings.vonage;
    // Routed only with a secret; without one, fail closed all the same.
    let Some(secret) = settings.signature_secret.as_ref() else {
        return Err(ServeError::Forbidden(
            "no Vonage signature secret: webhook refused".into(),
        ));
    };
    if !settings.verify_signatures {
        return Ok(());
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    signature::verify(
        secret.expose(),
        authorization,
        body,
        chrono::Utc::now().timestamp(),
        settings.max_token_age_seconds,
    )
    .map(|_| ())
    .map_err(|error| {
        state
            .metrics
            .rejected
            .with_label_values(&["vonage", "signature"])
            .inc();
        error.into()
    })
}

/// A commune set on another provider answers no Vonage webhook.
fn reached_through_vonage(state: &AppState, commune: &CommuneRuntime) -> Result<(), ServeError> {
    if commune.reached_through(Provider::Vonage) {
        return Ok(());
    }
    state
        .metrics
        .rejected
        .with_label_values(&[Provider::Vonage.name(), "provider"])
        .inc();
    Err(ServeError::Forbidden(format!(
        "commune {} is not reached through vonage",
        commune.id
    )))
}

fn query_param<'a>(uri: &'a axum::http::Uri, name: &str) -> Option<&'a str> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn ncco_options(state: &AppState, commune: &CommuneRuntime, next_seq: u32) -> NccoOptions {
    let knowledge = commune.knowledge.load_full();
    NccoOptions {
        language: state.settings.voice.language.clone(),
        style: state.settings.voice.vonage_style,
        input_url: state.public_url(&format!(
            "/vonage/input?tenant={}&seq={next_seq}",
            commune.id
        )),
        caller_id: Some(knowledge.commune().transfer_number.clone()).filter(|n| !n.is_empty()),
        hints: Vec::new(),
    }
}

fn voice_response(
    state: &AppState,
    commune: &CommuneRuntime,
    call_uuid: &str,
    outcome: &Outcome,
    started: Instant,
) -> Response {
    let body = ncco::render(
        &outcome.reply,
        call_uuid,
        &ncco_options(state, commune, outcome.seq + 1),
    );
    state
        .metrics
        .record_turn("vonage", "voice", started.elapsed());
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        DECISION_HEADER,
        header_value(&conversation::decision_header(&outcome.reply)),
    );
    response
}

fn unknown_number(state: &AppState, to: &str) -> Response {
    tracing::warn!(to = %mask_number(to), "call to a number of no commune");
    state
        .metrics
        .unknown_numbers
        .with_label_values(&["vonage"])
        .inc();
    let options = NccoOptions {
        language: state.settings.voice.language.clone(),
        ..NccoOptions::french(String::new())
    };
    Json(ncco::render_say(UNKNOWN_NUMBER_MESSAGE, &options)).into_response()
}

async fn answer(
    state: &AppState,
    request: AnswerRequest,
    started: Instant,
) -> Result<Response, ServeError> {
    let Some(commune) = state.commune_for_number(&request.to).cloned() else {
        return Ok(unknown_number(state, &request.to));
    };
    reached_through_vonage(state, &commune)?;
    let outcome = conversation::handle(
        state,
        &commune,
        &request.inbound(&commune.id),
        true,
        Step::default(),
    )
    .await?;
    Ok(voice_response(
        state,
        &commune,
        &request.uuid,
        &outcome,
        started,
    ))
}

pub async fn answer_get(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let result = async {
        authenticate(&state, &headers, b"")?;
        let request = AnswerRequest::from_query(uri.query().unwrap_or(""))?;
        answer(&state, request, started).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn answer_post(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let result = async {
        authenticate(&state, &headers, &body)?;
        let request = AnswerRequest::from_json(&body)?;
        answer(&state, request, started).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn input(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        authenticate(&state, &headers, &body)?;
        let event = InputEvent::parse(&body)?;
        let commune = match (event.to.is_empty(), query_param(&uri, "tenant")) {
            (false, _) => state.commune_for_number(&event.to).cloned(),
            (true, Some(tenant)) => state.communes.get(tenant).cloned(),
            (true, None) => None,
        };
        let Some(commune) = commune else {
            return Ok(unknown_number(&state, &event.to));
        };
        reached_through_vonage(&state, &commune)?;
        let mut inbound = event.inbound(&commune.id);
        if inbound.from.is_empty()
            && let Some((_, envelope)) =
                conversation::load_envelope(&state, &commune.id, &event.uuid).await?
        {
            inbound.from = envelope.engine.from;
        }
        let step = Step {
            seq: query_param(&uri, "seq").and_then(|s| s.parse().ok()),
            ..Step::default()
        };
        let outcome = conversation::handle(&state, &commune, &inbound, false, step).await?;
        Ok::<_, ServeError>(voice_response(
            &state,
            &commune,
            &event.uuid,
            &outcome,
            started,
        ))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn event(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        authenticate(&state, &headers, &body)?;
        let event = CallEvent::parse(&body)?;
        if event.is_final()
            && let Some(uuid) = &event.uuid
        {
            let communes: Vec<Arc<CommuneRuntime>> = match event
                .to
                .as_deref()
                .and_then(|to| state.commune_for_number(to))
            {
                Some(commune) => vec![commune.clone()],
                None => state.communes.values().cloned().collect(),
            };
            for commune in communes {
                if conversation::close(&state, &commune.id, uuid, "hangup").await? {
                    tracing::info!(tenant = %commune.id, call = %uuid, status = ?event.status, "caller hung up mid-conversation");
                }
            }
        }
        Ok::<_, ServeError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn sms(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let result = async {
        authenticate(&state, &headers, &body)?;
        let sms = IncomingSms::parse(&body)?;
        let Some(commune) = state.commune_for_number(&sms.to).cloned() else {
            tracing::warn!(to = %mask_number(&sms.to), "SMS to a number of no commune");
            state
                .metrics
                .unknown_numbers
                .with_label_values(&["vonage"])
                .inc();
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        reached_through_vonage(&state, &commune)?;
        let from = guichet_connectors::phone::to_e164(&sms.from);
        let conversation_id = super::twilio::sms_conversation(
            &state,
            &commune,
            &from,
            &sms.message_uuid,
            state.now(),
        )
        .await?;
        // Vonage cannot answer an SMS inline: the reply goes through the outbox, in the turn's transaction.
        let step = Step {
            message_id: Some(sms.message_uuid.clone()),
            reply_by_sms: true,
            ..Step::default()
        };
        conversation::handle(
            &state,
            &commune,
            &sms.inbound(&commune.id, &conversation_id),
            false,
            step,
        )
        .await?;
        state
            .metrics
            .record_turn("vonage", "sms", started.elapsed());
        Ok::<_, ServeError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn status(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        authenticate(&state, &headers, &body)?;
        let message = MessageStatus::parse(&body)?;
        let status = match message.delivery() {
            DeliveryState::Delivered => Some(DeliveryStatus::Delivered),
            DeliveryState::Failed => Some(DeliveryStatus::Failed),
            DeliveryState::Sent => None,
        };
        if let Some(status) = status {
            if status == DeliveryStatus::Failed {
                state
                    .metrics
                    .record_sms_failure("vonage", SmsFailure::Undelivered);
            }
            state
                .store
                .record_delivery(&message.message_uuid, status, None, chrono::Utc::now())
                .await?;
        }
        Ok::<_, ServeError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
