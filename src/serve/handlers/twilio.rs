//! `/twilio/voice`, `/twilio/voice/turn` (the generic [`super::voice`] handler over [`Twilio`]),
//! `/twilio/voice/dial`, `/twilio/sms`, `/twilio/status`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use guichet_connectors::twilio::webhook::StatusCallback;
use guichet_connectors::twilio::{
    self, DialCallStatus, DialResult, Form, GatherResult, IncomingCall, IncomingSms, VoiceOptions,
    signature, twiml,
};
use guichet_store::DialOutcome;

use super::sms::{IncomingText, delivery_report, sms_turn};
use super::voice::{Hook, VoiceProvider, VoiceTurn, Webhook, count_rejected, reached, unknown};
use super::{UNKNOWN_NUMBER_MESSAGE, requested_now, with_trace_headers};
use crate::serve::config::Provider;
use crate::serve::conversation::{self, Step, TurnOutcome};
use crate::serve::error::ServeError;
use crate::serve::state::{AppState, CommuneRuntime};
use crate::serve::transfer::{self, AfterDial, DialReport};

type AppRef = State<Arc<AppState>>;

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

pub struct Twilio;

/// Parse the form and check its signature with the token of the commune it is for.
fn check(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Form, Option<Arc<CommuneRuntime>>), ServeError> {
    let form = Form::parse(body)?;
    // The number called names the commune; a request of a call leg we placed (the whisper to
    // the standard, whose `To` is the standard) names it in our own URL.
    let commune = form
        .optional("To")
        .and_then(|to| state.commune_for_number(to))
        .or_else(|| {
            let webhook = Webhook { uri, headers, body };
            webhook
                .query("tenant")
                .and_then(|tenant| state.communes.get(tenant))
        })
        .cloned();
    let token = match &commune {
        Some(commune) => commune.twilio_auth_token.as_ref(),
        None => state.settings.twilio.auth_token.as_ref(),
    };
    // Routed only when some token exists; a commune without one fails closed.
    let Some(token) = token else {
        return Err(ServeError::Forbidden(
            "no Twilio auth token for this number: webhook refused".into(),
        ));
    };
    if state.settings.twilio.verify_signatures {
        let path = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(uri.path());
        let url = state.public_url(path);
        let given = headers
            .get(twilio::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        signature::verify(token.expose(), &url, form.params(), given)?;
    }
    Ok((form, commune))
}

/// [`check`], refusals counted, for a commune reached through Twilio.
fn authenticate(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Form, Option<Arc<CommuneRuntime>>), ServeError> {
    let (form, commune) = check(state, uri, headers, body)
        .inspect_err(|error| count_rejected(state, Provider::Twilio, error))?;
    if let Some(commune) = &commune {
        reached(state, Provider::Twilio, commune)?;
    }
    Ok((form, commune))
}

impl VoiceProvider for Twilio {
    const PROVIDER: Provider = Provider::Twilio;

    fn verify(state: &AppState, webhook: &Webhook) -> Result<(), ServeError> {
        check(state, webhook.uri, webhook.headers, webhook.body).map(|_| ())
    }

    fn parse(hook: Hook, webhook: &Webhook) -> Result<VoiceTurn, ServeError> {
        let form = Form::parse(webhook.body)?;
        let (call, inbound) = match hook {
            Hook::Start => {
                let call = IncomingCall::parse(&form)?;
                let inbound = call.inbound("");
                (call, inbound)
            }
            Hook::Turn => {
                let gather = GatherResult::parse(&form)?;
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
        turn: &VoiceTurn,
        outcome: &TurnOutcome,
    ) -> Response {
        let mut options = voice_options(state, outcome.seq + 1);
        if outcome.ended() {
            options.caller_id = super::voice::presented_number(turn, true);
            options.whisper_url =
                super::voice::whisper_url(state, "/twilio/voice/whisper", commune, outcome);
        }
        xml(twiml::render_voice(&outcome.reply, &options))
    }

    fn unknown_number(state: &AppState) -> Response {
        let options = VoiceOptions {
            language: state.settings.voice.language.clone(),
            voice: state.settings.voice.twilio_voice.clone(),
            ..VoiceOptions::french(String::new())
        };
        xml(twiml::render_say_and_hang_up(
            UNKNOWN_NUMBER_MESSAGE,
            &options,
        ))
    }
}

fn voice_options(state: &AppState, next_seq: u32) -> VoiceOptions {
    VoiceOptions {
        language: state.settings.voice.language.clone(),
        voice: state.settings.voice.twilio_voice.clone(),
        turn_url: state.public_url(&format!("/twilio/voice/turn?seq={next_seq}")),
        caller_id: None,
        whisper_url: None,
        dial_url: Some(state.public_url("/twilio/voice/dial")),
        hints: Vec::new(),
    }
}

/// `/twilio/voice/dial`: the `<Dial action>`, how the transfer to the standard ended; recorded
/// and answered by [`transfer::dial_ended`].
pub async fn dial(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (form, commune) = authenticate(&state, &uri, &headers, &body)?;
        let result = DialResult::parse(&form)
            .map_err(ServeError::from)
            .inspect_err(|error| count_rejected(&state, Provider::Twilio, error))?;
        let Some(commune) = commune else {
            return Ok(Twilio::unknown_number(&state));
        };
        let outcome = match result.status {
            DialCallStatus::Answered => DialOutcome::Answered,
            DialCallStatus::NotAnswered => DialOutcome::Unanswered,
        };
        let now = requested_now(&state, &headers).unwrap_or_else(|| state.now());
        let after = transfer::dial_ended(
            &state,
            &commune,
            &result.call.call_sid,
            &result.call.from,
            DialReport::Ended(outcome),
            now,
        )
        .await?;
        Ok::<_, ServeError>(xml(match after {
            AfterDial::Nothing => twiml::render_empty(),
            AfterDial::HangUp => twiml::render_hang_up(),
            AfterDial::SayAndHangUp(text) => {
                twiml::render_say_and_hang_up(text, &voice_options(&state, 1))
            }
        }))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// `/twilio/voice/whisper`: what the standard hears when it picks up a transfer, before the
/// caller is connected (the `<Number url>` of the dial): the request and the ticket's number,
/// so that no transfer is blind. Signed like every Twilio webhook; the ticket is looked up in
/// the commune our own URL names, and an unknown one still gets the announcement.
pub async fn whisper(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (_, commune) = authenticate(&state, &uri, &headers, &body)?;
        let Some(commune) = commune else {
            return Err(ServeError::BadRequest("whisper without a commune".into()));
        };
        let webhook = Webhook {
            uri: &uri,
            headers: &headers,
            body: &body,
        };
        let text = super::voice::whisper_text(&state, &commune, &webhook).await?;
        Ok::<_, ServeError>(xml(twiml::render_whisper(&text, &voice_options(&state, 1))))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn sms(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let (form, commune) = authenticate(&state, &uri, &headers, &body)?;
        let sms = IncomingSms::parse(&form)?;
        let Some(commune) = commune else {
            unknown(&state, Provider::Twilio, &sms.to);
            return Ok(xml(twiml::render_empty()));
        };
        let step = Step {
            now: requested_now(&state, &headers),
            ..Step::default()
        };
        let text_in = IncomingText {
            from: &sms.from,
            message_id: &sms.message_sid,
        };
        let inbound = |conversation_id: &str| sms.inbound(&commune.id, conversation_id);
        let outcome = sms_turn(
            &state,
            Provider::Twilio,
            &commune,
            text_in,
            inbound,
            step,
            started,
        )
        .await?;
        let text = outcome
            .reply
            .say
            .iter()
            .map(|u| u.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let body = twiml::render_message(&guichet_connectors::gsm7::fit(&text).text);
        Ok::<_, ServeError>(with_trace_headers(xml(body), &outcome.reply, &headers))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn status(
    State(state): AppRef,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (form, commune) = authenticate(&state, &uri, &headers, &body)?;
        match StatusCallback::parse(&form)? {
            StatusCallback::Call(call) if call.is_final() => {
                if let Some(commune) = commune {
                    let closed =
                        conversation::close(&state, &commune.id, &call.call_sid, "hangup").await?;
                    if closed {
                        tracing::info!(tenant = %commune.id, call = %call.call_sid, status = %call.status, "caller hung up mid-conversation");
                    }
                }
            }
            StatusCallback::Call(_) => {}
            StatusCallback::Message(message) => {
                delivery_report(
                    &state,
                    Provider::Twilio,
                    &message.message_sid,
                    message.delivery(),
                    message.error_code.as_deref(),
                )
                .await?;
            }
        }
        Ok::<_, ServeError>(xml(twiml::render_empty()))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
