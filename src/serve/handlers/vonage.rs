//! `/vonage/answer`, `/vonage/input` (the generic [`super::voice`] handler over [`Vonage`]),
//! `/vonage/event`, `/vonage/dial`, `/vonage/sms`, `/vonage/status`.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_connectors::vonage::{
    AnswerRequest, CallEvent, IncomingSms, InputEvent, MessageStatus, NccoOptions, ncco, signature,
};
use guichet_phone::stored_number;
use guichet_store::DialOutcome;

use super::sms::{IncomingText, delivery_report, sms_turn};
use super::voice::{Hook, VoiceProvider, VoiceTurn, Webhook, commune_for, count_rejected};
use super::{DECISION_HEADER, UNKNOWN_NUMBER_MESSAGE, header_value, requested_now};
use crate::serve::config::Provider;
use crate::serve::conversation::{self, Step, TurnOutcome};
use crate::serve::error::ServeError;
use crate::serve::state::{AppState, CommuneRuntime};
use crate::serve::transfer::{self, AfterDial, DialReport};

type AppRef = State<Arc<AppState>>;

pub struct Vonage;

/// Checks the signed JWT of a webhook against its body.
fn check(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ServeError> {
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
        // The wall clock, not the service's: the provider signed at its real time.
        chrono::Utc::now().timestamp(),
        settings.max_token_age_seconds,
    )
    .map(|_| ())
    .map_err(ServeError::from)
}

/// [`check`], refusals counted.
fn authenticate(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ServeError> {
    check(state, headers, body).inspect_err(|error| count_rejected(state, Provider::Vonage, error))
}

impl VoiceProvider for Vonage {
    const PROVIDER: Provider = Provider::Vonage;

    fn verify(state: &AppState, webhook: &Webhook) -> Result<(), ServeError> {
        check(state, webhook.headers, webhook.body)
    }

    /// The answer webhook comes as a GET (its query) or a POST (JSON); input events as JSON,
    /// possibly without the number called: our `eventUrl` names the commune (`tenant`).
    fn parse(hook: Hook, webhook: &Webhook) -> Result<VoiceTurn, ServeError> {
        let seq = webhook.query("seq").and_then(|seq| seq.parse().ok());
        let tenant = webhook.query("tenant").map(str::to_string);
        Ok(match hook {
            Hook::Start => {
                let request = if webhook.body.is_empty() {
                    AnswerRequest::from_query(webhook.uri.query().unwrap_or(""))?
                } else {
                    AnswerRequest::from_json(webhook.body)?
                };
                VoiceTurn {
                    inbound: request.inbound(""),
                    to: request.to,
                    tenant,
                    call_id: request.uuid,
                    seq,
                }
            }
            Hook::Turn => {
                let event = InputEvent::parse(webhook.body)?;
                VoiceTurn {
                    inbound: event.inbound(""),
                    to: event.to,
                    tenant,
                    call_id: event.uuid,
                    seq,
                }
            }
        })
    }

    /// The NCCO, and the decision header on every answer (Vonage ignores it).
    fn render(
        state: &AppState,
        commune: &CommuneRuntime,
        turn: &VoiceTurn,
        outcome: &TurnOutcome,
    ) -> Response {
        let mut options = ncco_options(
            state,
            commune,
            &turn.call_id,
            outcome.seq + 1,
            super::voice::presented_number(turn, false),
        );
        options.whisper_url = super::voice::whisper_url(state, "/vonage/whisper", commune, outcome);
        let body = ncco::render(&outcome.reply, &turn.call_id, &options);
        let mut response = Json(body).into_response();
        response.headers_mut().insert(
            DECISION_HEADER,
            header_value(&super::decision_header(&outcome.reply)),
        );
        response
    }

    fn unknown_number(state: &AppState) -> Response {
        let options = NccoOptions {
            language: state.settings.voice.language.clone(),
            ..NccoOptions::french(String::new())
        };
        Json(ncco::render_say(UNKNOWN_NUMBER_MESSAGE, &options)).into_response()
    }
}

fn ncco_options(
    state: &AppState,
    commune: &CommuneRuntime,
    call_uuid: &str,
    next_seq: u32,
    caller_id: Option<String>,
) -> NccoOptions {
    NccoOptions {
        language: state.settings.voice.language.clone(),
        style: state.settings.voice.vonage_style,
        input_url: state.public_url(&format!(
            "/vonage/input?tenant={}&seq={next_seq}",
            commune.id
        )),
        // Who the standard sees calling: Vonage presents only its own numbers.
        caller_id,
        whisper_url: None,
        // Vonage's call ids are UUIDs: one that is not URL-safe gets no dial report.
        dial_url: call_uuid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            .then(|| {
                state.public_url(&format!(
                    "/vonage/dial?tenant={}&call={call_uuid}",
                    commune.id
                ))
            }),
        hints: Vec::new(),
    }
}

/// How a `connect` event's status reads: `started`, `ringing` go on; `answered` (then
/// `completed`) is the standard on the line; the rest is a dial nobody took.
fn dial_report(status: Option<&str>) -> DialReport {
    match status {
        Some("answered" | "completed") => DialReport::Ended(DialOutcome::Answered),
        Some("timeout" | "busy" | "failed" | "rejected" | "unanswered" | "cancelled") => {
            DialReport::Ended(DialOutcome::Unanswered)
        }
        _ => DialReport::Pending,
    }
}

/// `/vonage/whisper`: the NCCO the standard hears when it picks up a transfer, before the
/// caller is connected (the phone endpoint's `onAnswer`): the request and the ticket's number,
/// so that no transfer is blind. Signed like every Vonage webhook; the ticket is looked up in
/// the commune our own URL names, and an unknown one still gets the announcement.
pub async fn whisper(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authenticate(&state, &headers, &body)?;
        let webhook = Webhook {
            uri: &uri,
            headers: &headers,
            body: &body,
        };
        let Some(commune) = webhook
            .query("tenant")
            .and_then(|tenant| state.communes.get(tenant))
            .cloned()
        else {
            return Err(ServeError::BadRequest("whisper without a commune".into()));
        };
        super::voice::reached(&state, Provider::Vonage, &commune)?;
        let text = super::voice::whisper_text(&state, &commune, &webhook).await?;
        let options = ncco_options(&state, &commune, "", 1, None);
        Ok::<_, ServeError>(Json(ncco::render_say(&text, &options)).into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// `/vonage/dial?tenant=…&call=…`: the transfer's `connect` events (synchronous), recorded and
/// answered by [`transfer::dial_ended`]. The events are about the dialled leg: our URL names
/// the commune and the caller's call. A dial nobody took is answered with the NCCO that
/// replaces the rest of the call's.
pub async fn dial(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        authenticate(&state, &headers, &body)?;
        let event = CallEvent::parse(&body)
            .map_err(ServeError::from)
            .inspect_err(|error| count_rejected(&state, Provider::Vonage, error))?;
        let webhook = Webhook {
            uri: &uri,
            headers: &headers,
            body: &body,
        };
        let (Some(tenant), Some(call)) = (webhook.query("tenant"), webhook.query("call")) else {
            let error = ServeError::BadRequest("dial event without tenant or call".into());
            count_rejected(&state, Provider::Vonage, &error);
            return Err(error);
        };
        let Some(commune) = state.communes.get(tenant).cloned() else {
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        super::voice::reached(&state, Provider::Vonage, &commune)?;
        let now = requested_now(&state, &headers).unwrap_or_else(|| state.now());
        let after = transfer::dial_ended(
            &state,
            &commune,
            call,
            "",
            dial_report(event.status.as_deref()),
            now,
        )
        .await?;
        Ok::<_, ServeError>(match after {
            AfterDial::Nothing | AfterDial::HangUp => StatusCode::NO_CONTENT.into_response(),
            AfterDial::SayAndHangUp(text) => {
                let options = NccoOptions {
                    language: state.settings.voice.language.clone(),
                    ..NccoOptions::french(String::new())
                };
                Json(ncco::render_say(text, &options)).into_response()
            }
        })
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
        let Some(commune) = commune_for(&state, Provider::Vonage, &sms.to)?.cloned() else {
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        let from = stored_number(&sms.from);
        let text_in = IncomingText {
            from: &from,
            message_id: &sms.message_uuid,
        };
        // Vonage cannot answer an SMS inline: the reply goes through the outbox, in the turn's transaction.
        let step = Step {
            reply_by_sms: true,
            ..Step::default()
        };
        let inbound = |conversation_id: &str| sms.inbound(&commune.id, conversation_id);
        sms_turn(
            &state,
            Provider::Vonage,
            &commune,
            text_in,
            inbound,
            step,
            started,
        )
        .await?;
        Ok::<_, ServeError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn status(State(state): AppRef, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        authenticate(&state, &headers, &body)?;
        let message = MessageStatus::parse(&body)?;
        delivery_report(
            &state,
            Provider::Vonage,
            &message.message_uuid,
            message.delivery(),
            None,
        )
        .await?;
        Ok::<_, ServeError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
