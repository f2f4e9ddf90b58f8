//! `/jambonz/call`, `/jambonz/gather`, `/jambonz/dial`, `/jambonz/status`, `/jambonz/sms`: the
//! commune's own SIP trunk through jambonz. The call and its turns go through the generic
//! [`super::voice`] handler; the transfer's outcome, the call's end and inbound SMS are here.
//!
//! Every hook is checked with the configured Basic credentials and/or `Jambonz-Signature`
//! ([`guichet_connectors::jambonz::WebhookVerifier`]) before its body is read.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use guichet_connectors::jambonz::{
    self, CallHook, CallStatus, DialResult, DialStatus, GatherResult, IncomingMessage, Recognizer,
    Synthesizer, VerbOptions, verbs,
};

use guichet_store::DialOutcome;

use super::sms::{IncomingText, sms_turn};
use super::voice::{self, Hook, VoiceProvider, VoiceTurn, Webhook, commune_for, count_rejected};
use super::{UNKNOWN_NUMBER_MESSAGE, requested_now, with_trace_headers};
use crate::serve::config::Provider;
use crate::serve::conversation::{self, Step, TurnOutcome};
use crate::serve::error::ServeError;
use crate::serve::state::{AppState, CommuneRuntime};
use crate::serve::transfer::{self, AfterDial, DialReport};

pub struct Jambonz;

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// How this service's jambonz calls speak, listen and transfer (`[jambonz]`, the commune's
/// voice), with the next turn's `seq` and the transfer's ticket.
fn verb_options(
    state: &AppState,
    commune: Option<&CommuneRuntime>,
    next_seq: u32,
    ticket: Option<i64>,
) -> VerbOptions {
    let settings = &state.settings.jambonz;
    VerbOptions {
        language: state.settings.voice.language.clone(),
        synthesizer: Synthesizer {
            vendor: settings.synthesizer_vendor.clone(),
            voice: commune
                .and_then(|c| c.jambonz_voice.clone())
                .or_else(|| settings.voice.clone()),
        },
        recognizer: Recognizer {
            vendor: settings.recognizer_vendor.clone(),
            hints_boost: settings.hints_boost,
        },
        gather_url: state.public_url(&format!("/jambonz/gather?seq={next_seq}")),
        dial_url: Some(state.public_url("/jambonz/dial")),
        caller_id: settings.transfer_caller_id.clone(),
        ticket_id: ticket.map(|id| id.to_string()),
        hints: Vec::new(),
        listen_timeout_seconds: settings.listen_timeout_seconds,
        ring_timeout_seconds: settings.ring_timeout_seconds,
    }
}

impl VoiceProvider for Jambonz {
    const PROVIDER: Provider = Provider::Jambonz;

    fn verify(state: &AppState, webhook: &Webhook) -> Result<(), ServeError> {
        // Routed only when configured; without a verifier, fail closed all the same.
        let Some(verifier) = &state.jambonz else {
            return Err(ServeError::Forbidden(
                "jambonz webhooks are not configured: refused".into(),
            ));
        };
        let text = |name: &str| {
            webhook
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        verifier
            .verify(
                text(header::AUTHORIZATION.as_str()),
                text(jambonz::SIGNATURE_HEADER),
                webhook.body,
                // The wall clock, not the service's: jambonz signed at its real time.
                chrono::Utc::now().timestamp(),
            )
            .map_err(ServeError::from)
    }

    fn parse(hook: Hook, webhook: &Webhook) -> Result<VoiceTurn, ServeError> {
        let (call, inbound) = match hook {
            Hook::Start => {
                let start = CallHook::parse(webhook.body)?;
                let inbound = start.inbound("");
                (start.call, inbound)
            }
            Hook::Turn => {
                let gather = GatherResult::parse(webhook.body)?;
                let inbound = gather.inbound("");
                (gather.call, inbound)
            }
        };
        Ok(VoiceTurn {
            to: call.to,
            tenant: None,
            call_id: call.call_sid,
            inbound,
            seq: webhook.query("seq").and_then(|seq| seq.parse().ok()),
        })
    }

    fn render(
        state: &AppState,
        commune: &CommuneRuntime,
        _turn: &VoiceTurn,
        outcome: &TurnOutcome,
    ) -> Response {
        let options = verb_options(
            state,
            Some(commune),
            outcome.seq + 1,
            outcome.tickets.first().copied(),
        );
        json(verbs::render(&outcome.reply, &options))
    }

    fn unknown_number(state: &AppState) -> Response {
        let options = verb_options(state, None, 1, None);
        json(verbs::render_say_and_hang_up(
            UNKNOWN_NUMBER_MESSAGE,
            &options,
        ))
    }
}

type AppRef = State<Arc<AppState>>;

/// Runs `work` (not started yet) once the webhook is verified; any error is the response.
async fn verified(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    work: impl Future<Output = Result<Response, ServeError>>,
) -> Response {
    let webhook = Webhook { uri, headers, body };
    let result = match voice::verify::<Jambonz>(state, &webhook) {
        Ok(()) => work.await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A parse error, counted as a malformed webhook.
fn parsed<T>(
    state: &AppState,
    result: Result<T, guichet_connectors::WebhookError>,
) -> Result<T, ServeError> {
    result
        .map_err(ServeError::from)
        .inspect_err(|error| count_rejected(state, Provider::Jambonz, error))
}

/// The `dial` actionHook: how the transfer to the standard ended, recorded and answered by
/// [`transfer::dial_ended`].
pub async fn dial(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    verified(
        &state,
        &uri,
        &headers,
        &body,
        dial_outcome(&state, &headers, &body),
    )
    .await
}

async fn dial_outcome(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ServeError> {
    let result = parsed(state, DialResult::parse(body))?;
    let Some(commune) = commune_for(state, Provider::Jambonz, &result.call.to)?.cloned() else {
        return Ok(Jambonz::unknown_number(state));
    };
    tracing::info!(
        tenant = %commune.id,
        call = %result.call.call_sid,
        status = ?result.status,
        sip_status = ?result.sip_status,
        "transfer outcome"
    );
    let report = match result.status {
        DialStatus::Completed => DialReport::Ended(DialOutcome::Answered),
        DialStatus::InProgress => DialReport::Pending,
        DialStatus::Busy | DialStatus::NoAnswer | DialStatus::Failed => {
            DialReport::Ended(DialOutcome::Unanswered)
        }
    };
    let now = requested_now(state, headers).unwrap_or_else(|| state.now());
    let after = transfer::dial_ended(
        state,
        &commune,
        &result.call.call_sid,
        &result.call.from,
        report,
        now,
    )
    .await?;
    Ok(json(match after {
        AfterDial::Nothing => verbs::render_empty(),
        AfterDial::HangUp => verbs::render_hang_up(),
        AfterDial::SayAndHangUp(text) => {
            let options = verb_options(state, Some(&commune), 1, None);
            verbs::render_say_and_hang_up(text, &options)
        }
    }))
}

/// The call status webhook: the caller's leg ended (a hang-up mid-call closes the conversation).
pub async fn status(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    verified(&state, &uri, &headers, &body, call_ended(&state, &body)).await
}

async fn call_ended(state: &AppState, body: &[u8]) -> Result<Response, ServeError> {
    let event = parsed(state, CallStatus::parse(body))?;
    if event.ends_conversation()
        && let Some(commune) = commune_for(state, Provider::Jambonz, &event.call.to)?
    {
        let closed =
            conversation::close(state, &commune.id, &event.call.call_sid, "hangup").await?;
        if closed {
            tracing::info!(tenant = %commune.id, call = %event.call.call_sid, status = %event.status, "caller hung up mid-conversation");
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The messaging webhook: an SMS through the account's SMPP carrier. The reply goes through the
/// outbox (REST API, retries, the SMS guard) in the turn's transaction; the webhook's answer
/// holds no verb.
pub async fn sms(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    verified(
        &state,
        &uri,
        &headers,
        &body,
        message(&state, &headers, &body, started),
    )
    .await
}

async fn message(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    started: Instant,
) -> Result<Response, ServeError> {
    let message = parsed(state, IncomingMessage::parse(body))?;
    let Some(commune) = commune_for(state, Provider::Jambonz, &message.to)?.cloned() else {
        return Ok(json(verbs::render_empty()));
    };
    let step = Step {
        reply_by_sms: true,
        now: requested_now(state, headers),
        ..Step::default()
    };
    let text_in = IncomingText {
        from: &message.from,
        message_id: &message.message_sid,
    };
    let inbound = |conversation_id: &str| message.inbound(&commune.id, conversation_id);
    let outcome = sms_turn(
        state,
        Provider::Jambonz,
        &commune,
        text_in,
        inbound,
        step,
        started,
    )
    .await?;
    Ok(with_trace_headers(
        json(verbs::render_empty()),
        &outcome.reply,
        headers,
    ))
}
