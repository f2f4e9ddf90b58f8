//! One turn through the whole stack: the conversation it continues from the turn log, the
//! engine, then the turn, its tickets and its SMS kept in ONE store transaction before the
//! webhook answers.
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

use guichet_agent::{Action, Context, Inbound, LineType, Reply, Utterance};
use guichet_store::Turn;

use super::envelope::{Envelope, KeptReply};
use super::log::{self, Kept, Previous};
use super::record::{caller_pseudonym, turn_record};
use super::step::Step;
use crate::serve::error::ServeError;
use crate::serve::state::{AppState, CommuneRuntime};

/// How many times a turn is worked out again when concurrent turns of its conversation keep
/// taking its sequence number, before the provider is asked to retry (503).
const MAX_ATTEMPTS: usize = 8;

pub struct TurnOutcome {
    pub reply: Reply,
    pub seq: u32,
    /// True when this is the stored answer to a retried webhook.
    pub replayed: bool,
    /// The ids of the turn's tickets, when the store gave them (empty for a turn replayed
    /// from the session or kept in the spool): a transfer passes its ticket id to the standard.
    pub tickets: Vec<i64>,
}

impl TurnOutcome {
    pub fn ended(&self) -> bool {
        self.reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Hangup | Action::Transfer { .. }))
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

/// Start a conversation (`start = true`) or handle one message of it.
///
/// When the store cannot be reached the caller is still answered: the session comes from this
/// node's [`crate::serve::session_cache`], the turn goes to the [`crate::serve::spool`]; a voice turn that can
/// be kept nowhere ends with a transfer to the commune's standard (see [`log::keep`]).
///
/// The turn's future is boxed: it holds the whole turn's state, and the HTTP layers above the
/// handler would otherwise copy it each time they move their own.
pub fn handle<'a>(
    state: &'a AppState,
    commune: &'a CommuneRuntime,
    inbound: &'a Inbound,
    start: bool,
    step: Step,
) -> Pin<Box<dyn Future<Output = Result<TurnOutcome, ServeError>> + Send + 'a>> {
    Box::pin(handle_turn(state, commune, inbound, start, step))
}

async fn handle_turn(
    state: &AppState,
    commune: &CommuneRuntime,
    inbound: &Inbound,
    start: bool,
    step: Step,
) -> Result<TurnOutcome, ServeError> {
    let started = Instant::now();
    let now = step.now.unwrap_or_else(|| state.now());
    let knowledge = commune.knowledge.load_full();
    // `fresh`: the session is read from the store, not from this node's copy (another turn of
    // the conversation was saved meanwhile, see [`guichet_store::TurnSaved::conflict`]).
    let mut fresh = false;
    for _ in 0..MAX_ATTEMPTS {
        let previous =
            log::previous(state, &commune.id, &inbound.conversation_id, now, fresh).await?;
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
                    log::store_timeout(state),
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
        let (counted, replayed) = match log::keep(state, &record).await {
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
                state.turn_saved(&record, &saved);
                if !record.outbox.is_empty() {
                    crate::serve::sms_guard::after_save(
                        state,
                        &commune.id,
                        &knowledge,
                        &saved,
                        record.outbox.len(),
                        now,
                    )
                    .await;
                }
                log::remember(state, &record, envelope);
                tickets = saved.ticket_ids;
                (saved.inserted, false)
            }
            Kept::Spooled => {
                log::remember(state, &record, envelope);
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
                    let reply =
                        guichet_agent::technical_problem(&knowledge, &reply.trace.understood);
                    return Ok(TurnOutcome {
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
        return Ok(TurnOutcome {
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
) -> Result<Option<TurnOutcome>, ServeError> {
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
        Some(TurnOutcome {
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
    let turns = log::turns(state, &commune.id, &envelope.engine.conversation_id).await?;
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
) -> Result<Option<TurnOutcome>, ServeError> {
    let turns = log::turns(state, &commune.id, &inbound.conversation_id).await?;
    let stored = match &turn.message_id {
        Some(id) => turns
            .into_iter()
            .find(|stored| stored.message_id.as_ref() == Some(id)),
        None => turns.into_iter().find(|stored| stored.seq == turn.seq),
    };
    Ok(stored
        .and_then(|stored| restore(commune, inbound, stored, false))
        .map(|(reply, seq)| TurnOutcome {
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
