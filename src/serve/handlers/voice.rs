//! One voice handler for every provider: a [`VoiceProvider`] says how its webhooks are verified,
//! parsed into the engine's [`Inbound`] and answered; the handler does the rest the same way for
//! all (the commune of the called number, the caller's number from the session when a turn does
//! not repeat it, the turn through [`conversation::handle`], metrics, the trace headers of
//! `guichet eval --url`). Adding a provider is one `impl VoiceProvider` and its routes.
//!
//! The order is the rule of every webhook: verify first (403, counted, nothing read or stored),
//! then parse (400 on a malformed body), then the commune (a polite refusal for a number of no
//! commune; 403 for a commune reached through another provider).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use guichet_agent::Inbound;
use guichet_phone::{PhoneNumber, mask_number};
use guichet_store::TicketStore;

use super::{requested_now, with_trace_headers};
use crate::serve::config::Provider;
use crate::serve::conversation::{self, Step, TurnOutcome};
use crate::serve::error::ServeError;
use crate::serve::state::{AppState, CommuneRuntime};

/// One webhook as it came.
pub struct Webhook<'a> {
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Webhook<'_> {
    /// A query parameter of the webhook's URL (our own callback URLs carry `seq`).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.uri
            .query()?
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }
}

/// Which webhook of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// The call starts: the greeting.
    Start,
    /// The caller said something, typed keys, or stayed silent.
    Turn,
}

/// A voice webhook, parsed.
pub struct VoiceTurn {
    /// The number called: selects the commune (may be empty when `tenant` says it).
    pub to: String,
    /// The commune named by our own callback URL, for a provider whose turns may come without
    /// the number called (Vonage's input events).
    pub tenant: Option<String>,
    /// The provider's id of the call.
    pub call_id: String,
    /// The turn for the engine; its `tenant` is set once the commune is known.
    pub inbound: Inbound,
    /// The sequence the provider says this turn is (from our callback URL).
    pub seq: Option<u32>,
}

/// The number the standard sees calling when the robot transfers a call, the same rule for
/// every provider: the caller's own number where the provider may present it (`caller_allowed`:
/// Twilio accepts the calling number as `callerId`), so the standardiste knows who is on the
/// line and can call back; else, or when the caller's number is withheld, the number the caller
/// dialled — the commune's own line at the provider, the one caller ID every provider accepts
/// (Vonage presents only its own numbers). `None` when neither is a phone number.
pub fn presented_number(turn: &VoiceTurn, caller_allowed: bool) -> Option<String> {
    caller_allowed
        .then(|| PhoneNumber::parse(&turn.inbound.from))
        .flatten()
        .or_else(|| PhoneNumber::parse(&turn.to))
        .map(String::from)
}

/// The URL of a provider's whisper webhook (`route`) for the turn's first ticket — the
/// transfer's — naming the commune and the ticket; `None` for a turn without a ticket.
pub fn whisper_url(
    state: &AppState,
    route: &str,
    commune: &CommuneRuntime,
    outcome: &TurnOutcome,
) -> Option<String> {
    let ticket = outcome.tickets.first()?;
    Some(state.public_url(&format!("{route}?tenant={}&ticket={ticket}", commune.id)))
}

/// What the standard hears when it picks up a transfer (the providers' whisper webhooks): the
/// ticket our URL names (`ticket`), read only within `commune`; an unknown one still gets the
/// announcement, never another commune's request.
pub async fn whisper_text(
    state: &AppState,
    commune: &CommuneRuntime,
    webhook: &Webhook<'_>,
) -> Result<String, ServeError> {
    let ticket = match webhook
        .query("ticket")
        .and_then(|id| id.parse::<i64>().ok())
    {
        Some(id) => {
            let scope = [commune.id.clone()];
            state.store.get_ticket(id, &scope).await?
        }
        None => None,
    };
    Ok(guichet_agent::whisper_to_standard(
        ticket
            .as_ref()
            .map(|ticket| (ticket.id, ticket.topic.as_str())),
    ))
}

/// What the voice handler needs of a provider.
pub trait VoiceProvider: Send + Sync + 'static {
    /// Its configuration entry, and its name in metrics and logs.
    const PROVIDER: Provider;

    /// Checks that the webhook comes from the provider: a missing or wrong credential is
    /// [`ServeError::Forbidden`].
    fn verify(state: &AppState, webhook: &Webhook) -> Result<(), ServeError>;

    /// Parses a call's start or one of its turns.
    fn parse(hook: Hook, webhook: &Webhook) -> Result<VoiceTurn, ServeError>;

    /// The provider's answer to a turn.
    fn render(
        state: &AppState,
        commune: &CommuneRuntime,
        turn: &VoiceTurn,
        outcome: &TurnOutcome,
    ) -> Response;

    /// The answer to a call to a number of no commune: a polite refusal, then hang up.
    fn unknown_number(state: &AppState) -> Response;
}

/// Counts a refused webhook (`guichet_webhooks_rejected_total{provider,reason}`).
pub fn count_rejected(state: &AppState, provider: Provider, error: &ServeError) {
    let reason = match error {
        ServeError::Forbidden(_) => "signature",
        ServeError::BadRequest(_) => "malformed",
        _ => return,
    };
    state
        .metrics
        .rejected
        .with_label_values(&[provider.name(), reason])
        .inc();
}

/// Verifies a webhook of `P`, counting a refusal.
pub fn verify<P: VoiceProvider>(state: &AppState, webhook: &Webhook) -> Result<(), ServeError> {
    P::verify(state, webhook).inspect_err(|error| count_rejected(state, P::PROVIDER, error))
}

/// The commune a number selects, if it is reached through `provider`: `Ok(None)` for a number
/// of no commune (counted), 403 for a commune on another provider.
pub fn commune_for<'a>(
    state: &'a AppState,
    provider: Provider,
    to: &str,
) -> Result<Option<&'a Arc<CommuneRuntime>>, ServeError> {
    match state.commune_for_number(to) {
        Some(commune) => reached(state, provider, commune).map(Some),
        None => Ok(unknown(state, provider, to)),
    }
}

/// A webhook for no commune: logged and counted (`guichet_unknown_numbers_total`).
pub fn unknown<'a>(
    state: &AppState,
    provider: Provider,
    to: &str,
) -> Option<&'a Arc<CommuneRuntime>> {
    tracing::warn!(to = %mask_number(to), provider = provider.name(), "webhook for a number of no commune");
    state
        .metrics
        .unknown_numbers
        .with_label_values(&[provider.name()])
        .inc();
    None
}

/// `commune`, if it is reached through `provider` (else 403, counted).
pub fn reached<'a>(
    state: &AppState,
    provider: Provider,
    commune: &'a Arc<CommuneRuntime>,
) -> Result<&'a Arc<CommuneRuntime>, ServeError> {
    if commune.reached_through(provider) {
        return Ok(commune);
    }
    state
        .metrics
        .rejected
        .with_label_values(&[provider.name(), "provider"])
        .inc();
    Err(ServeError::Forbidden(format!(
        "commune {} is not reached through {}",
        commune.id,
        provider.name()
    )))
}

async fn voice<P: VoiceProvider>(
    hook: Hook,
    state: &AppState,
    webhook: &Webhook<'_>,
    started: Instant,
) -> Result<Response, ServeError> {
    verify::<P>(state, webhook)?;
    let mut turn =
        P::parse(hook, webhook).inspect_err(|error| count_rejected(state, P::PROVIDER, error))?;
    let commune = match (turn.to.is_empty(), &turn.tenant) {
        (true, Some(tenant)) => match state.communes.get(tenant) {
            Some(commune) => Some(reached(state, P::PROVIDER, commune)?),
            None => unknown(state, P::PROVIDER, tenant),
        },
        (true, None) => unknown(state, P::PROVIDER, ""),
        (false, _) => commune_for(state, P::PROVIDER, &turn.to)?,
    };
    let Some(commune) = commune.cloned() else {
        return Ok(P::unknown_number(state));
    };
    turn.inbound.tenant.clone_from(&commune.id);
    // A turn that does not repeat the caller's number: the one its call started with.
    if turn.inbound.from.is_empty()
        && hook == Hook::Turn
        && let Some((_, envelope)) =
            conversation::load_envelope(state, &commune.id, &turn.call_id).await?
    {
        turn.inbound.from = envelope.engine.from;
    }
    let step = Step {
        seq: turn.seq,
        now: requested_now(state, webhook.headers),
        ..Step::default()
    };
    let outcome =
        conversation::handle(state, &commune, &turn.inbound, hook == Hook::Start, step).await?;
    state
        .metrics
        .record_turn(P::PROVIDER.name(), "voice", started.elapsed());
    let response = P::render(state, &commune, &turn, &outcome);
    Ok(with_trace_headers(
        response,
        &outcome.reply,
        webhook.headers,
    ))
}

async fn handle<P: VoiceProvider>(
    hook: Hook,
    state: Arc<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let webhook = Webhook {
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    voice::<P>(hook, &state, &webhook, started)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The webhook of a call's start.
pub async fn start<P: VoiceProvider>(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle::<P>(Hook::Start, state, uri, headers, body).await
}

/// The webhook of one turn of a call.
pub async fn turn<P: VoiceProvider>(
    State(state): State<Arc<AppState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle::<P>(Hook::Turn, state, uri, headers, body).await
}
