//! One turn through the whole stack: session from the store, the engine, then the turn, its
//! tickets and its SMS saved in ONE store transaction before the webhook answers.
//!
//! Idempotency: every turn has a sequence number (0 = call start). Providers retrying a webhook
//! send the same sequence (it is in our callback URLs) or the same message id: the stored reply is
//! returned again, and the store's idempotency keys make sure no second SMS or ticket is queued.
//!
//! Concurrency: two messages of one conversation may be handled at once (two SMS sent in a row,
//! nodes taking turns on PostgreSQL). Both read the session at `seq` N and work out turn N+1;
//! the store saves the first and answers the second with a conflict (compare-and-swap on the
//! sequence, [`guichet_store::TurnSaved::conflict`]), and the second is worked out again from
//! the session as the first left it, as turn N+2. Neither is lost, each gets its own answer. An
//! SMS turn is keyed on the provider's message id: the same id again is the same turn.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use guichet_agent::{
    Action, Context, Decision, Inbound, LineType, Reply, Session, TicketDraft, Utterance,
};
use guichet_connectors::gsm7;
use guichet_store::{NewOutboxMessage, NewTicket, SessionRecord, Store, Turn, TurnRecord};
use serde::{Deserialize, Serialize};

use super::error::ServeError;
use super::session_cache::Cached;
use super::spool::{self, StoreFailure};
use super::state::{AppState, CommuneRuntime};

/// How many times a turn is worked out again when concurrent turns of its conversation keep
/// taking its sequence number, before the provider is asked to retry (503).
const MAX_ATTEMPTS: usize = 8;

/// What we keep in the store's session `state`: the engine's session and which turn came last
/// (its reply is kept with the turn, see [`LastReply::reply`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub engine: Session,
    /// Sequence of the last turn handled (0 = the start).
    pub seq: u32,
    pub last: Option<LastReply>,
    /// The caller's number, kept only for a conversation whose later messages do not carry it
    /// (the API's, see [`Step::keep_caller`]): voice and SMS providers repeat it with every
    /// message, and the engine's session never holds it. Erased with the session (retention,
    /// privacy erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastReply {
    pub seq: u32,
    /// The provider's message id of that turn (SMS), for retried webhooks.
    pub message_id: Option<String>,
    /// The reply itself, in this node's memory only. The store keeps it with the turn
    /// ([`Turn::reply`], see [`KeptReply`]): the session row, rewritten on every turn, stays
    /// small.
    #[serde(skip)]
    pub reply: Option<Reply>,
}

/// What a turn's row keeps of its reply ([`Turn::reply`]) to answer a retried webhook the same:
/// the utterances and the actions, less what [`KeptReply::restore`] puts back. The decision is
/// the turn's own.
#[derive(Debug, Serialize, Deserialize)]
struct KeptReply {
    say: Vec<Utterance>,
    actions: Vec<Action>,
}

impl KeptReply {
    /// Leaves out the greeting's recogniser hints (the commune's whole keyword list) and the
    /// caller's number (kept in clear only on tickets and SMS).
    fn of(reply: &Reply, seq: u32) -> KeptReply {
        let actions = reply.actions.iter().map(|action| match action {
            Action::Listen { .. } if seq == 0 => action.without_hints(),
            Action::SendSms { text, .. } => Action::SendSms {
                to: String::new(),
                text: text.clone(),
            },
            Action::CreateTicket(draft) => Action::CreateTicket(TicketDraft {
                caller: String::new(),
                ..draft.clone()
            }),
            other => other.clone(),
        });
        KeptReply {
            say: reply.say.clone(),
            actions: actions.collect(),
        }
    }

    /// The reply as it was sent: `greeting_hints` are the commune's keywords, `from` the
    /// caller's number as the retried webhook gives it (every one carries it again).
    fn restore(
        self,
        trace: Decision,
        seq: u32,
        greeting_hints: &Arc<[String]>,
        from: &str,
    ) -> Reply {
        let mut actions = self.actions;
        for action in &mut actions {
            match action {
                Action::Listen { hints } if seq == 0 => *hints = greeting_hints.clone(),
                Action::SendSms { to, .. } => *to = from.to_string(),
                Action::CreateTicket(draft) => draft.caller = from.to_string(),
                _ => {}
            }
        }
        Reply {
            say: self.say,
            actions,
            trace,
        }
    }
}

/// Which step of the conversation a webhook is.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// The sequence the provider says this turn is (from our callback URL), if known.
    pub seq: Option<u32>,
    /// The provider's id of the inbound message (SMS), if any.
    pub message_id: Option<String>,
    /// Also send the reply text by SMS (providers that cannot answer an SMS webhook inline).
    pub reply_by_sms: bool,
    /// The instant of the turn when a test sets it (see [`super::handlers::requested_now`]);
    /// `None`: the service's clock.
    pub now: Option<DateTime<Utc>>,
    /// The turn may not send any SMS (a public API key: a chat widget anyone can drive).
    pub no_sms: bool,
    /// Keep the caller's number with the session ([`Envelope::caller`]): later messages of the
    /// conversation do not repeat it.
    pub keep_caller: bool,
}

pub struct Outcome {
    pub reply: Reply,
    pub seq: u32,
    /// True when this is the stored answer to a retried webhook.
    pub replayed: bool,
    /// The ids of the turn's tickets, when the store gave them (empty for a turn replayed
    /// from the session or kept in the spool): a transfer passes its ticket id to the standard.
    pub tickets: Vec<i64>,
}

impl Outcome {
    pub fn ended(&self) -> bool {
        self.reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Hangup | Action::Transfer { .. }))
    }
}

fn store_channel(channel: guichet_agent::Channel) -> guichet_store::Channel {
    match channel {
        guichet_agent::Channel::Voice => guichet_store::Channel::Voice,
        guichet_agent::Channel::Sms => guichet_store::Channel::Sms,
        guichet_agent::Channel::Chat => guichet_store::Channel::Chat,
    }
}

fn store_ticket_kind(kind: guichet_agent::TicketKind) -> guichet_store::TicketKind {
    match kind {
        guichet_agent::TicketKind::Callback => guichet_store::TicketKind::Callback,
        guichet_agent::TicketKind::Report => guichet_store::TicketKind::Report,
        guichet_agent::TicketKind::Transfer => guichet_store::TicketKind::Transfer,
    }
}

/// The pseudonym of a caller's number (`None` when withheld).
pub fn caller_pseudonym(state: &AppState, from: &str) -> Option<String> {
    if guichet_agent::is_withheld(from) {
        None
    } else {
        Some(guichet_store::pseudonymise(from, &state.pseudonym_key))
    }
}

/// What a turn needs to know of the caller's number.
struct CallerFacts {
    line: LineType,
    pseudonym: Option<String>,
}

/// The previous turn's facts when the number is the same (parsing a number and hashing it cost
/// more than the rest of a turn's bookkeeping); worked out afresh otherwise.
fn caller_facts(state: &AppState, inbound: &Inbound, previous: &Previous) -> CallerFacts {
    match previous {
        Previous::Found {
            envelope, caller, ..
        } if envelope.engine.from == inbound.from => CallerFacts {
            line: envelope.engine.line,
            pseudonym: caller.clone(),
        },
        _ => CallerFacts {
            line: LineType::of(&inbound.from),
            pseudonym: caller_pseudonym(state, &inbound.from),
        },
    }
}

fn timeout_for(state: &AppState, channel: guichet_agent::Channel) -> Duration {
    match channel {
        guichet_agent::Channel::Sms => {
            Duration::minutes(state.settings.sms.conversation_timeout_minutes)
        }
        guichet_agent::Channel::Voice | guichet_agent::Channel::Chat => {
            Duration::minutes(state.settings.voice.session_timeout_minutes)
        }
    }
}

/// The session of a conversation, if it is stored and readable.
pub async fn load_envelope(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
) -> Result<Option<(SessionRecord, Envelope)>, ServeError> {
    Ok(read_envelope(state, tenant, conversation_id).await?)
}

/// Start a conversation (`start = true`) or handle one message of it.
///
/// When the store cannot be reached the caller is still answered: the session comes from this
/// node's [`super::session_cache`], the turn goes to the [`super::spool`]; a voice turn that can
/// be kept nowhere ends with a transfer to the commune's standard (see [`keep_turn`]).
///
/// The turn's future is boxed: it holds the whole turn's state, and the HTTP layers above the
/// handler would otherwise copy it each time they move their own.
pub fn handle<'a>(
    state: &'a AppState,
    commune: &'a CommuneRuntime,
    inbound: &'a Inbound,
    start: bool,
    step: Step,
) -> Pin<Box<dyn Future<Output = Result<Outcome, ServeError>> + Send + 'a>> {
    Box::pin(handle_turn(state, commune, inbound, start, step))
}

async fn handle_turn(
    state: &AppState,
    commune: &CommuneRuntime,
    inbound: &Inbound,
    start: bool,
    step: Step,
) -> Result<Outcome, ServeError> {
    let started = Instant::now();
    let now = step.now.unwrap_or_else(|| state.now());
    let knowledge = commune.knowledge.load_full();
    // `fresh`: the session is read from the store, not from this node's copy (another turn of
    // the conversation was saved meanwhile, see [`TurnSaved::conflict`]).
    let mut fresh = false;
    for _ in 0..MAX_ATTEMPTS {
        let previous =
            previous_session(state, &commune.id, &inbound.conversation_id, now, fresh).await?;
        let caller = caller_facts(state, inbound, &previous);
        let ctx = Context {
            now,
            line: caller.line,
            knowledge: &knowledge,
            report_channels: &commune.report_channels,
        };

        let (previous, started_at, known) = match previous {
            Previous::Found {
                envelope,
                started_at,
                ..
            } => {
                let replayed = tokio::time::timeout(
                    store_timeout(state),
                    replay(state, commune, inbound, &envelope, start, &step),
                )
                .await
                .map_err(|_| ServeError::Unavailable("store: no answer".into()))??;
                if let Some(outcome) = replayed {
                    return Ok(outcome);
                }
                (Some(envelope), started_at, true)
            }
            Previous::New => (None, now, true),
            Previous::Unknown => (None, now, false),
        };
        let (engine_session, reply, seq) = match (previous, start) {
            (None, true) => {
                let (session, reply) = state.engine.start(inbound, &ctx);
                (session, reply, 0)
            }
            (None, false) => {
                // A message without a stored start (SMS, chat, or a lost start): start silently.
                // Unknown because the store is unreachable: the provider's sequence, if it says it.
                let (session, _greeting) = state.engine.start(inbound, &ctx);
                let (session, reply) = state.engine.turn(&session, inbound, &ctx);
                let seq = if known {
                    1
                } else {
                    step.seq.unwrap_or(1).max(1)
                };
                (session, reply, seq)
            }
            (Some(envelope), _) => {
                let (session, reply) = state.engine.turn(&envelope.engine, inbound, &ctx);
                (session, reply, envelope.seq + 1)
            }
        };
        let (record, envelope) = turn_record(
            state,
            commune,
            inbound,
            caller.pseudonym,
            engine_session,
            &reply,
            seq,
            &step,
            now,
            started_at,
        );
        // `counted`: a new turn for the decision metrics; `replayed`: the store already had it.
        let mut tickets = Vec::new();
        let (counted, replayed) = match keep_turn(state, &record).await {
            Kept::Saved(saved) if saved.conflict => {
                // Another message of the conversation took this turn's `seq` (two SMS at once,
                // or another node): work this one out again after it.
                tracing::debug!(
                    tenant = %commune.id,
                    conversation = %inbound.conversation_id,
                    seq,
                    "concurrent turn: worked out again"
                );
                fresh = true;
                continue;
            }
            Kept::Saved(saved) if !saved.inserted => {
                // This very turn is already stored (a retried webhook raced its original, or a
                // message seen several turns ago): the answer it got then.
                if let Some(mut outcome) =
                    stored_outcome(state, commune, inbound, &record.turn).await?
                {
                    outcome.tickets = saved.ticket_ids;
                    return Ok(outcome);
                }
                (false, true)
            }
            Kept::Saved(saved) => {
                if !record.outbox.is_empty() {
                    state.outbox_wake.notify_one();
                    super::sms_guard::after_save(
                        state,
                        &commune.id,
                        &knowledge,
                        &saved,
                        record.outbox.len(),
                        now,
                    )
                    .await;
                }
                if !record.tickets.is_empty() {
                    state.console.notify_tickets_changed();
                }
                remember(state, inbound, &record, envelope);
                tickets = saved.ticket_ids;
                (saved.inserted, false)
            }
            Kept::Spooled => {
                remember(state, inbound, &record, envelope);
                (true, false)
            }
            Kept::Lost(error) => {
                tracing::error!(
                    tenant = %commune.id,
                    conversation = %inbound.conversation_id,
                    seq,
                    error = %guichet_store::redact_numbers(&error),
                    "turn neither saved nor spooled"
                );
                if inbound.channel == guichet_agent::Channel::Voice {
                    let reply = standard_reply(&knowledge, &reply.trace.understood);
                    return Ok(Outcome {
                        reply,
                        seq,
                        replayed: false,
                        tickets: Vec::new(),
                    });
                }
                // A message answered but kept nowhere would be a promise nobody keeps (a
                // ticket, an SMS): the provider retries it later instead.
                return Err(ServeError::Unavailable("the turn could not be kept".into()));
            }
        };
        if counted {
            let action = serde_json::to_value(reply.trace.action).ok();
            let action = action
                .as_ref()
                .and_then(|a| a.as_str())
                .unwrap_or("unknown");
            state
                .metrics
                .decisions
                .with_label_values(&[commune.id.as_str(), action])
                .inc();
            if matches!(action, "transfer" | "callback") {
                state
                    .metrics
                    .handoffs
                    .with_label_values(&[commune.id.as_str(), action])
                    .inc();
            }
        }
        tracing::debug!(
            tenant = %commune.id,
            conversation = %inbound.conversation_id,
            seq,
            action = ?reply.trace.action,
            fiche = ?reply.trace.fiche,
            elapsed_us = started.elapsed().as_micros() as u64,
            "turn"
        );
        return Ok(Outcome {
            reply,
            seq,
            replayed,
            tickets,
        });
    }
    tracing::warn!(
        tenant = %commune.id,
        conversation = %inbound.conversation_id,
        "turn still in conflict with concurrent turns: the provider will retry"
    );
    Err(ServeError::Unavailable(
        "conversation busy: too many concurrent turns".into(),
    ))
}

/// A retried webhook gets the reply it already got.
async fn replay(
    state: &AppState,
    commune: &CommuneRuntime,
    inbound: &Inbound,
    envelope: &Envelope,
    start: bool,
    step: &Step,
) -> Result<Option<Outcome>, ServeError> {
    let wanted = if start {
        Some(0)
    } else if let (Some(id), Some(last)) = (&step.message_id, &envelope.last)
        && last.message_id.as_deref() == Some(id.as_str())
    {
        Some(last.seq)
    } else {
        step.seq.filter(|seq| *seq <= envelope.seq)
    };
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let outcome = |reply| {
        Some(Outcome {
            reply,
            seq: wanted,
            replayed: true,
            tickets: Vec::new(),
        })
    };
    if let Some(reply) = envelope
        .last
        .as_ref()
        .filter(|last| last.seq == wanted)
        .and_then(|last| last.reply.clone())
    {
        return Ok(outcome(reply));
    }
    let turns = state
        .store
        .conversation_turns(&commune.id, &envelope.engine.conversation_id)
        .await?;
    let Some(turn) = turns.into_iter().find(|turn| turn.seq == i64::from(wanted)) else {
        return Ok(None);
    };
    Ok(restore(commune, inbound, turn, envelope.engine.ended)
        .map(|reply| reply.0)
        .and_then(outcome))
}

/// The stored outcome of a turn that was already saved when `turn` (the same message, worked
/// out again) came to be saved: found by its message id, else by its `seq`.
async fn stored_outcome(
    state: &AppState,
    commune: &CommuneRuntime,
    inbound: &Inbound,
    turn: &Turn,
) -> Result<Option<Outcome>, ServeError> {
    let turns = state
        .store
        .conversation_turns(&commune.id, &inbound.conversation_id)
        .await?;
    let stored = match &turn.message_id {
        Some(id) => turns
            .into_iter()
            .find(|stored| stored.message_id.as_ref() == Some(id)),
        None => turns.into_iter().find(|stored| stored.seq == turn.seq),
    };
    Ok(stored
        .and_then(|stored| restore(commune, inbound, stored, false))
        .map(|(reply, seq)| Outcome {
            reply,
            seq,
            replayed: true,
            tickets: Vec::new(),
        }))
}

/// The reply a stored turn gave, and its `seq`; `ended`: the conversation ended since (a turn
/// saved before replies were kept is rebuilt from its transcript line, ending the call then).
fn restore(
    commune: &CommuneRuntime,
    inbound: &Inbound,
    turn: Turn,
    ended: bool,
) -> Option<(Reply, u32)> {
    let seq = u32::try_from(turn.seq).ok()?;
    let trace = serde_json::from_value(turn.decision).ok()?;
    if let Some(kept) = turn
        .reply
        .and_then(|kept| serde_json::from_value::<KeptReply>(kept).ok())
    {
        let hints = commune.knowledge.load_full().hints().clone();
        return Some((kept.restore(trace, seq, &hints, &inbound.from), seq));
    }
    // A turn saved before replies were kept: rebuilt from the transcript (nothing is sent again).
    let actions = if ended {
        vec![Action::Hangup]
    } else {
        vec![Action::Listen {
            hints: Arc::default(),
        }]
    };
    let reply = Reply {
        say: vec![Utterance {
            text: turn.reply_text,
        }],
        actions,
        trace,
    };
    Some((reply, seq))
}

/// The turn to save, and the session after it (what the store's session `state` holds).
#[allow(clippy::too_many_arguments)]
fn turn_record(
    state: &AppState,
    commune: &CommuneRuntime,
    inbound: &Inbound,
    caller: Option<String>,
    session: Session,
    reply: &Reply,
    seq: u32,
    step: &Step,
    now: DateTime<Utc>,
    started_at: DateTime<Utc>,
) -> (TurnRecord, Envelope) {
    let tenant = commune.id.as_str();
    let conversation = inbound.conversation_id.as_str();
    let knowledge = commune.knowledge.load_full();
    let sender = knowledge.commune().sms_sender.clone();
    let reply_text = reply
        .say
        .iter()
        .map(|u| u.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let transcript = serde_json::to_value(&session.history).unwrap_or(serde_json::Value::Null);

    let mut tickets = Vec::new();
    let mut outbox = Vec::new();
    // Every SMS goes through the commune's guard (destination, daily limits).
    let sms = |index: usize, to: &str, text: &str| {
        let mut message = NewOutboxMessage {
            idempotency_key: format!("{tenant}:{conversation}:{seq}:sms:{index}"),
            tenant: tenant.to_string(),
            conversation_id: Some(conversation.to_string()),
            to: to.to_string(),
            sender: sender.clone(),
            body: gsm7::fit(text).text,
            created_at: now,
            refusal: None,
            limits: None,
        };
        super::sms_guard::guard(&mut message, &knowledge, now);
        message
    };
    for action in &reply.actions {
        match action {
            Action::SendSms { .. } if step.no_sms => {}
            Action::SendSms { to, text } => outbox.push(sms(outbox.len(), to, text)),
            Action::CreateTicket(draft) => {
                let mut new = ticket(
                    tenant,
                    conversation,
                    seq,
                    tickets.len(),
                    draft,
                    &transcript,
                    now,
                );
                // « Rappel dès l'ouverture »: a callback left while the mairie is closed is
                // due at its next opening.
                if draft.kind == guichet_agent::TicketKind::Callback {
                    new.due_at =
                        guichet_console::callback::callback_due(knowledge.opening_hours(), now);
                }
                tickets.push(new);
            }
            Action::Transfer { .. } | Action::Hangup | Action::Listen { .. } => {}
        }
    }
    if step.reply_by_sms
        && !step.no_sms
        && !reply_text.trim().is_empty()
        && !guichet_agent::is_withheld(&inbound.from)
    {
        outbox.push(sms(outbox.len(), &inbound.from, &reply_text));
    }
    let ended = session.ended
        || reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Hangup | Action::Transfer { .. }));
    let end_reason = reply.actions.iter().find_map(|a| match a {
        Action::Transfer { .. } => Some("transfer"),
        Action::Hangup => Some("goodbye"),
        _ => None,
    });
    let caller_number =
        (step.keep_caller && !inbound.from.is_empty()).then(|| inbound.from.clone());
    let envelope = Envelope {
        caller: caller_number,
        engine: session,
        seq,
        last: Some(LastReply {
            seq,
            message_id: step.message_id.clone(),
            reply: Some(reply.clone()),
        }),
    };
    let record = TurnRecord {
        session: SessionRecord {
            tenant: tenant.to_string(),
            conversation_id: conversation.to_string(),
            channel: store_channel(inbound.channel),
            caller,
            state: serde_json::to_value(&envelope).unwrap_or(serde_json::Value::Null),
            started_at,
            updated_at: now,
            expires_at: now + timeout_for(state, inbound.channel),
            closed_at: ended.then_some(now),
            end_reason: if ended {
                Some(end_reason.unwrap_or("ended").to_string())
            } else {
                None
            },
        },
        turn: Turn {
            seq: i64::from(seq),
            at: now,
            caller_text: match (&inbound.dtmf, inbound.text.is_empty()) {
                (Some(keys), true) => format!("[touche {keys}]"),
                _ => inbound.text.clone(),
            },
            reply_text,
            decision: serde_json::to_value(&reply.trace).unwrap_or(serde_json::Value::Null),
            action: serde_json::to_value(reply.trace.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            fiche: reply.trace.fiche.clone(),
            confidence: reply.trace.confidence.map(f64::from),
            reply: serde_json::to_value(KeptReply::of(reply, seq)).ok(),
            message_id: step.message_id.clone(),
        },
        tickets,
        outbox,
    };
    (record, envelope)
}

fn ticket(
    tenant: &str,
    conversation: &str,
    seq: u32,
    index: usize,
    draft: &TicketDraft,
    transcript: &serde_json::Value,
    now: DateTime<Utc>,
) -> NewTicket {
    // A callback is offered only to a number a standardiste may call: a premium-rate, short or
    // foreign number is flagged in the summary (masked) instead.
    let withheld = guichet_agent::is_withheld(&draft.caller);
    let warning = match draft.kind {
        guichet_agent::TicketKind::Callback if !withheld => {
            guichet_agent::callback(&draft.caller).warning()
        }
        _ => None,
    };
    let (caller_number, summary) = match warning {
        Some(warning) => (
            None,
            format!(
                "⚠ {} ({}). {}",
                warning,
                guichet_store::mask_number(&draft.caller),
                draft.summary
            ),
        ),
        None => (
            (!withheld).then(|| draft.caller.clone()),
            draft.summary.clone(),
        ),
    };
    NewTicket {
        idempotency_key: format!("{tenant}:{conversation}:{seq}:ticket:{index}"),
        tenant: tenant.to_string(),
        kind: store_ticket_kind(draft.kind),
        channel: store_channel(draft.channel),
        conversation_id: Some(conversation.to_string()),
        caller_number,
        topic: draft.topic.clone(),
        fiche: draft.fiche.clone(),
        summary,
        transcript: transcript.clone(),
        partner: draft.partner.clone(),
        reference: draft.reference.clone(),
        created_at: now,
        due_at: None,
    }
}

/// A call or conversation ended on the provider's side (hang-up, cancelled…).
pub async fn close(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
    reason: &str,
) -> Result<bool, ServeError> {
    state.sessions.remove(tenant, conversation_id);
    Ok(state
        .store
        .close_session(tenant, conversation_id, reason, state.now())
        .await?)
}

/// The JSON of a decision with every non-ASCII character escaped, fit for an HTTP header.
pub fn decision_header(reply: &Reply) -> String {
    ascii_json(&reply.trace)
}

/// The JSON of a reply's actions, fit for an HTTP header (read by `guichet eval --url`).
/// `Listen` keeps no speech-recognition hints: they are for the recogniser, and the whole
/// keyword list of the commune would make the header huge.
pub fn actions_header(reply: &Reply) -> String {
    let actions: Vec<Action> = reply.actions.iter().map(Action::without_hints).collect();
    ascii_json(&actions)
}

/// JSON with every non-ASCII or control character escaped as `\uXXXX`.
fn ascii_json<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

// ----- when the store cannot be reached -----

/// The session a turn continues.
enum Previous {
    Found {
        envelope: Arc<Envelope>,
        started_at: DateTime<Utc>,
        /// The caller's pseudonym, as stored with the session.
        caller: Option<String>,
    },
    /// No session: a new conversation.
    New,
    /// The store is unreachable and this node has not seen the conversation.
    Unknown,
}

/// How long a turn waits for the store.
fn store_timeout(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_millis(state.settings.store_timeout_ms.max(1))
}

/// The stored session of a conversation, as [`load_envelope`] reads it, with the store's own
/// error (to tell an unreachable store from a refusal).
async fn read_envelope(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
) -> Result<Option<(SessionRecord, Envelope)>, guichet_store::StoreError> {
    let Some(record) = state.store.load_session(tenant, conversation_id).await? else {
        return Ok(None);
    };
    match serde_json::from_value::<Envelope>(record.state.clone()) {
        Ok(envelope) => Ok(Some((record, envelope))),
        Err(error) => {
            tracing::warn!(tenant, conversation_id, %error, "unreadable session state: starting over");
            Ok(None)
        }
    }
}

/// The session before this turn: the store's; this node's copy when the store is unreachable,
/// or when turns of this conversation still wait in the spool (the store is behind on it).
/// On a store no other node writes (the embedded SQLite), this node's copy is the store's, and
/// is read first, unless `fresh` (a concurrent turn was saved since it was read).
async fn previous_session(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
    now: DateTime<Utc>,
    fresh: bool,
) -> Result<Previous, ServeError> {
    if !fresh
        && !state.store.inner().is_shared()
        && let Some(cached) = state.sessions.get(tenant, conversation_id)
        && cached.expires_at > now
    {
        return Ok(Previous::Found {
            envelope: cached.envelope,
            started_at: cached.started_at,
            caller: cached.caller,
        });
    }
    let spool = &state.spool;
    if !spool.store_down() && spool.has_pending(tenant, conversation_id) {
        spool::drain(state).await;
    }
    if spool.store_down() || spool.has_pending(tenant, conversation_id) {
        return Ok(cached_session(state, tenant, conversation_id));
    }
    match spool
        .store_call(read_envelope(state, tenant, conversation_id))
        .await
    {
        Ok(Some((record, envelope))) => Ok(Previous::Found {
            envelope: Arc::new(envelope),
            started_at: record.started_at,
            caller: record.caller,
        }),
        Ok(None) => Ok(Previous::New),
        Err(StoreFailure::Unavailable(reason)) => {
            tracing::warn!(
                tenant,
                conversation = conversation_id,
                reason = %guichet_store::redact_numbers(&reason),
                "store unreachable: the conversation goes on from this node's memory"
            );
            Ok(cached_session(state, tenant, conversation_id))
        }
        Err(StoreFailure::Failed(error)) => Err(error.into()),
    }
}

fn cached_session(state: &AppState, tenant: &str, conversation_id: &str) -> Previous {
    match state.sessions.get(tenant, conversation_id) {
        Some(Cached {
            envelope,
            started_at,
            caller,
            ..
        }) => Previous::Found {
            envelope,
            started_at,
            caller,
        },
        None => Previous::Unknown,
    }
}

/// Where a turn was kept.
enum Kept {
    Saved(guichet_store::TurnSaved),
    /// In the spool, for the store when it is back.
    Spooled,
    /// Nowhere (the store refused it, or it was unreachable and the spool not writable).
    Lost(String),
}

/// Saves a turn, or spools it when the store is unreachable. A conversation with turns already
/// in the spool spools this one too, so that the store gets them in order.
async fn keep_turn(state: &AppState, record: &TurnRecord) -> Kept {
    let spool = &state.spool;
    let session = &record.session;
    if !spool.store_down() && !spool.has_pending(&session.tenant, &session.conversation_id) {
        match spool.store_call(state.store.save_turn(record)).await {
            Ok(saved) => return Kept::Saved(saved),
            Err(StoreFailure::Failed(error)) => return Kept::Lost(error.to_string()),
            Err(StoreFailure::Unavailable(_)) => {}
        }
    }
    match spool.write(record).await {
        Ok(()) => {
            tracing::warn!(
                tenant = %session.tenant,
                conversation = %session.conversation_id,
                seq = record.turn.seq,
                "store unreachable: turn spooled"
            );
            Kept::Spooled
        }
        Err(error) => Kept::Lost(format!(
            "store unreachable and spool {} not writable: {error}",
            spool.dir().display()
        )),
    }
}

/// Remembers the session after a turn in this node's cache.
fn remember(state: &AppState, inbound: &Inbound, record: &TurnRecord, envelope: Envelope) {
    let keep_for = timeout_for(state, inbound.channel)
        .to_std()
        .unwrap_or(std::time::Duration::ZERO);
    state.sessions.put(
        &record.session.tenant,
        &record.session.conversation_id,
        Cached {
            envelope: Arc::new(envelope),
            started_at: record.session.started_at,
            expires_at: record.session.expires_at,
            channel: record.session.channel,
            caller: record.session.caller.clone(),
            closed: record.session.closed_at.is_some(),
        },
        keep_for,
    );
}

/// The active conversation of a caller pseudonym on a channel (how an SMS conversation is found
/// again): the store's; the one this node remembers when the store is unreachable, or when its
/// turns still wait in the spool (the store does not know it yet).
pub async fn active_conversation_for_caller(
    state: &AppState,
    tenant: &str,
    channel: guichet_store::Channel,
    caller: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServeError> {
    let remembered = || state.sessions.active_for_caller(tenant, channel, caller);
    if state.spool.store_down() {
        return Ok(remembered());
    }
    match state
        .spool
        .store_call(
            state
                .store
                .active_session_for_caller(tenant, channel, caller, now),
        )
        .await
    {
        Ok(Some(active)) => Ok(Some(active.conversation_id)),
        Ok(None) => Ok(remembered().filter(|id| state.spool.has_pending(tenant, id))),
        Err(StoreFailure::Unavailable(reason)) => {
            tracing::warn!(
                tenant,
                reason = %guichet_store::redact_numbers(&reason),
                "store unreachable: the caller's conversation is taken from this node's memory"
            );
            Ok(remembered())
        }
        Err(StoreFailure::Failed(error)) => Err(error.into()),
    }
}

/// What a caller hears when the turn could be kept nowhere: an apology, then the commune's
/// standard (or, without a standard number, an invitation to call back).
fn standard_reply(knowledge: &guichet_knowledge::Knowledge, understood: &str) -> Reply {
    let number = knowledge.commune().transfer_number.trim().to_string();
    let (text, action, decision) = if number.is_empty() {
        (
            "Veuillez nous excuser, notre service rencontre un problème technique. Merci de rappeler la mairie un peu plus tard. Au revoir.",
            Action::Hangup,
            guichet_agent::DecisionAction::Goodbye,
        )
    } else {
        (
            "Veuillez nous excuser, notre service rencontre un problème technique. Je vous mets en relation avec le standard de la mairie. Ne quittez pas.",
            Action::Transfer { number },
            guichet_agent::DecisionAction::Transfer,
        )
    };
    Reply {
        say: vec![Utterance {
            text: text.to_string(),
        }],
        actions: vec![action],
        trace: guichet_agent::Decision {
            action: decision,
            rule: "store_unavailable".into(),
            fiche: None,
            confidence: None,
            margin: None,
            understood: understood.to_string(),
            satisfaction: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use guichet_agent::{Decision, DecisionAction};

    use super::*;

    fn trace() -> Decision {
        Decision {
            action: DecisionAction::Answer,
            rule: "fiche".into(),
            fiche: Some("passeport".into()),
            confidence: Some(0.5),
            margin: None,
            understood: "passeport expiré 😀".into(),
            satisfaction: None,
        }
    }

    #[test]
    fn a_kept_reply_holds_no_number_nor_keywords_and_comes_back_whole() {
        let number = "+33612345678";
        let keywords: Arc<[String]> = Arc::from(vec!["passeport".to_string(), "crèche".into()]);
        let ticket = TicketDraft {
            kind: guichet_agent::TicketKind::Callback,
            caller: number.into(),
            channel: guichet_agent::Channel::Voice,
            fiche: Some("passeport".into()),
            topic: "Passeport".into(),
            summary: "rappel demandé".into(),
            partner: None,
            reference: None,
        };
        let reply = |actions: Vec<Action>| Reply {
            say: vec![
                Utterance {
                    text: "Bonjour.".into(),
                },
                Utterance {
                    text: "Je vous envoie le lien par SMS.".into(),
                },
            ],
            actions,
            trace: trace(),
        };
        let sent = reply(vec![
            Action::SendSms {
                to: number.into(),
                text: "le lien".into(),
            },
            Action::CreateTicket(ticket),
            Action::Listen {
                hints: keywords.clone(),
            },
        ]);
        let kept = serde_json::to_string(&KeptReply::of(&sent, 0)).unwrap();
        assert!(!kept.contains(number), "{kept}");
        assert!(!kept.contains("crèche"), "{kept}");
        let back: KeptReply = serde_json::from_str(&kept).unwrap();
        assert_eq!(back.restore(trace(), 0, &keywords, number), sent);

        // After the greeting, a turn's own hints are kept as they were.
        let later = reply(vec![Action::Listen {
            hints: Arc::from(vec!["oui".to_string(), "non".into()]),
        }]);
        let kept = serde_json::to_value(KeptReply::of(&later, 3)).unwrap();
        let back: KeptReply = serde_json::from_value(kept).unwrap();
        assert_eq!(back.restore(trace(), 3, &keywords, number), later);
    }

    #[test]
    fn a_session_saved_with_its_last_reply_still_loads() {
        // Sessions saved before replies were kept with their turn held the whole last reply.
        let old = Envelope {
            engine: Session::new("CA1", guichet_agent::Channel::Voice, "+33612345678"),
            seq: 1,
            last: None,
            caller: None,
        };
        let mut state = serde_json::to_value(&old).unwrap();
        state["last"] = serde_json::json!({
            "seq": 1,
            "message_id": null,
            "reply": {"say": [{"text": "Bonjour."}], "actions": [], "trace": trace()},
        });
        let loaded: Envelope = serde_json::from_value(state).unwrap();
        let last = loaded.last.unwrap();
        assert_eq!((last.seq, last.reply), (1, None));
    }

    #[test]
    fn decision_header_is_ascii_json() {
        let reply = Reply {
            say: Vec::new(),
            actions: Vec::new(),
            trace: trace(),
        };
        let header = decision_header(&reply);
        assert!(header.is_ascii());
        let back: Decision = serde_json::from_str(&header).unwrap();
        assert_eq!(back, reply.trace);
    }
}
