//! From the engine's reply to what the store keeps of a turn: the session row, the turn's
//! transcript line, its tickets and its SMS, each with the idempotency key that makes a retried
//! webhook queue nothing twice (`{tenant}:{conversation}:{seq}:sms|ticket:{index}`).

use chrono::{DateTime, Duration, Utc};
use guichet_agent::{Action, Inbound, Reply, Session, TicketDraft};
use guichet_connectors::gsm7;
use guichet_store::{NewOutboxMessage, NewTicket, SessionRecord, Turn, TurnRecord};

use super::envelope::{Envelope, KeptReply, LastReply};
use super::step::Step;
use crate::serve::state::{AppState, CommuneRuntime};

/// The pseudonym of a caller's number (`None` when withheld).
pub fn caller_pseudonym(state: &AppState, from: &str) -> Option<String> {
    if guichet_phone::is_withheld(from) {
        None
    } else {
        Some(guichet_store::pseudonymise(from, &state.pseudonym_key))
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

/// The turn to save, and the session after it (what the store's session `state` holds).
#[allow(clippy::too_many_arguments)]
pub(super) fn turn_record(
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
        crate::serve::sms_guard::guard(&mut message, &knowledge, now);
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
        && !guichet_phone::is_withheld(&inbound.from)
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
            channel: inbound.channel,
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
    let withheld = guichet_phone::is_withheld(&draft.caller);
    let warning = match draft.kind {
        guichet_agent::TicketKind::Callback if !withheld => {
            guichet_phone::callback(&draft.caller).warning()
        }
        _ => None,
    };
    let (caller_number, summary) = match warning {
        Some(warning) => (
            None,
            format!(
                "⚠ {} ({}). {}",
                warning,
                guichet_phone::mask_number(&draft.caller),
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
        kind: draft.kind,
        channel: draft.channel,
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
