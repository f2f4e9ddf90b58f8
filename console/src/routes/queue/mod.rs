//! File d'attente: the live queue, the ticket page and the ticket actions.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Form, Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use guichet_store::{DialOutcome, Role, Store, Ticket, TicketKind, TicketState, Transition};
use serde::Deserialize;
use serde_json::{Value, json};

use super::login::CsrfForm;
use super::{audit, page as render};
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// French label of a ticket kind.
pub(crate) fn kind_label(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Transfer => "Transfert",
        TicketKind::Callback => "Rappel",
        TicketKind::Report => "Signalement",
    }
}

/// French label of a ticket state.
pub(crate) fn state_label(state: TicketState) -> &'static str {
    match state {
        TicketState::Nouveau => "Nouveau",
        TicketState::PrisEnCharge => "Pris en charge",
        TicketState::Termine => "Terminé",
        TicketState::Injoignable => "Injoignable",
    }
}

/// French label of how a live transfer's dial ended.
pub(crate) fn dial_label(outcome: DialOutcome) -> &'static str {
    match outcome {
        DialOutcome::Answered => "transféré, décroché",
        DialOutcome::Unanswered => "transfert sans réponse du standard : à rappeler",
    }
}

/// "4 min", "2 h 05", "3 j 4 h": how long something has waited.
pub(crate) fn waiting_time(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = now.signed_duration_since(since).num_minutes().max(0);
    match minutes {
        0 => "moins d'une minute".to_string(),
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {:02}", m / 60, m % 60),
        m => format!("{} j {} h", m / (24 * 60), (m % (24 * 60)) / 60),
    }
}

/// An instant in the commune's local time, "29/11/2026 14:05".
fn local_time(state: &ConsoleState, commune: &str, at: DateTime<Utc>) -> String {
    match state.inner.communes.get(commune) {
        Some(c) => at
            .with_timezone(&c.timezone)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        None => at.format("%d/%m/%Y %H:%M UTC").to_string(),
    }
}

fn commune_name(state: &ConsoleState, commune: &str) -> String {
    state
        .inner
        .communes
        .get(commune)
        .map_or_else(|| commune.to_string(), |c| c.name.clone())
}

/// E-mails of staff ids, for "pris en charge par …".
async fn staff_names(state: &ConsoleState, ids: Vec<i64>) -> Result<BTreeMap<i64, String>> {
    let mut names = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(entry) = names.entry(id)
            && let Some(staff) = state.inner.store.get_staff(id).await?
        {
            entry.insert(staff.email);
        }
    }
    Ok(names)
}

/// A ticket as the templates see it.
fn ticket_view(
    state: &ConsoleState,
    ticket: &Ticket,
    names: &BTreeMap<i64, String>,
    now: DateTime<Utc>,
) -> Value {
    json!({
        "id": ticket.id,
        "kind": kind_label(ticket.kind),
        "kind_key": ticket.kind.as_str(),
        "state": state_label(ticket.state),
        "state_key": ticket.state.as_str(),
        "commune": commune_name(state, &ticket.tenant),
        "channel": match ticket.channel {
            guichet_store::Channel::Voice => "Appel",
            guichet_store::Channel::Sms => "SMS",
            guichet_store::Channel::Chat => "Discussion en ligne",
        },
        "caller": ticket.caller_number.clone().unwrap_or_else(|| "numéro masqué".into()),
        "topic": ticket.topic,
        "fiche": ticket.fiche,
        "summary": ticket.summary,
        "partner": ticket.partner,
        "reference": ticket.reference,
        "created": local_time(state, &ticket.tenant, ticket.created_at),
        "waiting": waiting_time(ticket.created_at, now),
        "attempts": ticket.attempts,
        "claimed_by": ticket.claimed_by.and_then(|id| names.get(&id).cloned()),
        "claimed_at": ticket.claimed_at.map(|at| local_time(state, &ticket.tenant, at)),
        "closed_by": ticket.closed_by.and_then(|id| names.get(&id).cloned()),
        "closed_at": ticket.closed_at.map(|at| local_time(state, &ticket.tenant, at)),
        "anonymised": ticket.anonymised_at.is_some(),
        "dial": ticket.dial_outcome.map(dial_label),
    })
}

/// The rows of the queue of `communes`, rendered (shared by the page and the live stream).
async fn queue_rows(state: &ConsoleState, communes: &[String]) -> Result<(String, usize)> {
    let now = state.now();
    let tickets = state.inner.store.list_open_tickets(communes).await?;
    let ids: Vec<i64> = tickets.iter().filter_map(|t| t.claimed_by).collect();
    let names = staff_names(state, ids).await?;
    let rows: Vec<Value> = tickets
        .iter()
        .map(|t| ticket_view(state, t, &names, now))
        .collect();
    let html = state.inner.templates.render(
        "queue_rows.html",
        json!({ "base": state.inner.config.base_path, "tickets": rows }),
    )?;
    Ok((html, tickets.len()))
}

pub(crate) async fn page_handler(state: &ConsoleState, user: &CurrentUser) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let (rows, count) = queue_rows(state, user.communes()).await?;
    render(
        state,
        Some(user),
        "queue.html",
        json!({ "rows": rows, "count": count }),
    )
}

pub(crate) async fn page(State(state): State<ConsoleState>, user: CurrentUser) -> Result<Response> {
    page_handler(&state, &user).await
}

/// `GET /file/flux`: Server-Sent Events, one `file` event with the queue's rows whenever they
/// change (checked when a ticket change is signalled, by this node or through the database's
/// feed by another, and every `queue_poll`). Ends when the login session ends.
pub(crate) async fn stream(
    State(state): State<ConsoleState>,
    user: CurrentUser,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let changes = state.ticket_changes(user.communes());
    let poll = state.inner.config.queue_poll;
    let initial = (state, user, changes, String::new(), true);
    let events = futures_util::stream::unfold(
        initial,
        move |(state, user, mut changes, last, first)| async move {
            let mut first = first;
            loop {
                if !first {
                    tokio::select! {
                        _ = changes.changed() => {}
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
                first = false;
                match state
                    .inner
                    .store
                    .get_staff_session(&user.session.token_hash, state.now())
                    .await
                {
                    Ok(Some(_)) => {}
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "live queue: session check failed");
                        continue;
                    }
                }
                match queue_rows(&state, user.communes()).await {
                    Ok((html, _)) if html != last => {
                        let event = Event::default().event("file").data(html.clone());
                        return Some((
                            Ok::<Event, Infallible>(event),
                            (state, user, changes, html, false),
                        ));
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "live queue: refresh failed"),
                }
            }
        },
    );
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// One line of a transcript, for the ticket page.
fn transcript_lines(turns: &[guichet_store::Turn], fallback: &Value) -> Vec<Value> {
    if !turns.is_empty() {
        return turns
            .iter()
            .map(|t| json!({ "caller": t.caller_text, "robot": t.reply_text, "action": t.action }))
            .collect();
    }
    match fallback {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let text = |keys: &[&str]| {
                    keys.iter()
                        .find_map(|k| item.get(*k).and_then(Value::as_str))
                        .unwrap_or_default()
                        .to_string()
                };
                json!({
                    "caller": text(&["caller", "caller_text", "citizen"]),
                    "robot": text(&["robot", "reply", "reply_text", "say"]),
                    "action": text(&["action"]),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) async fn ticket(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    user.require(&[Role::Standardiste])?;
    let store = &state.inner.store;
    let ticket = store
        .get_ticket(id, user.communes())
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let turns = match &ticket.conversation_id {
        Some(conversation) if ticket.anonymised_at.is_none() => {
            store
                .conversation_turns(&ticket.tenant, conversation)
                .await?
        }
        _ => Vec::new(),
    };
    let notes = store.ticket_notes(id, user.communes()).await?;
    let ids: Vec<i64> = [ticket.claimed_by, ticket.closed_by]
        .into_iter()
        .flatten()
        .chain(notes.iter().filter_map(|n| n.author))
        .collect();
    let names = staff_names(&state, ids).await?;
    let now = state.now();
    let notes: Vec<Value> = notes
        .iter()
        .map(|n| {
            json!({
                "at": local_time(&state, &ticket.tenant, n.at),
                "author": n.author.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "—".into()),
                "body": n.body,
            })
        })
        .collect();
    let mine = ticket.claimed_by == Some(user.staff.id);
    let actions = json!({
        "claim": ticket.state == TicketState::Nouveau,
        "close": ticket.state == TicketState::Nouveau || (ticket.state == TicketState::PrisEnCharge && mine),
        "unreachable": ticket.kind == TicketKind::Callback
            && (ticket.state == TicketState::Nouveau || (ticket.state == TicketState::PrisEnCharge && mine)),
        "note": ticket.anonymised_at.is_none(),
    });
    audit(
        &state,
        &user.staff.email,
        Some(&ticket.tenant),
        "ticket.view",
        format!("ticket={id}"),
    )
    .await?;
    render(
        &state,
        Some(&user),
        "ticket.html",
        json!({
            "ticket": ticket_view(&state, &ticket, &names, now),
            "transcript": transcript_lines(&turns, &ticket.transcript),
            "notes": notes,
            "actions": actions,
            "max_attempts": state.inner.config.callback_max_attempts,
        }),
    )
}

/// What a ticket action did, turned into a response.
async fn after_transition(
    state: &ConsoleState,
    user: &CurrentUser,
    id: i64,
    transition: Transition,
    action: &str,
    detail: String,
    back_to_queue: bool,
) -> Result<Response> {
    match transition {
        Transition::Applied => {
            // The ticket is in the viewer's communes (the transition found it): audit with it.
            let commune = state
                .inner
                .store
                .get_ticket(id, user.communes())
                .await?
                .map(|t| t.tenant);
            audit(state, &user.staff.email, commune.as_deref(), action, detail).await?;
            state.notify_tickets_changed();
            let base = &state.inner.config.base_path;
            let to = if back_to_queue {
                format!("{base}/file")
            } else {
                format!("{base}/tickets/{id}")
            };
            Ok(Redirect::to(&to).into_response())
        }
        Transition::Refused => Err(ConsoleError::Conflict(
            "Action impossible : ce ticket a changé d'état (peut-être pris en charge par un collègue). Rechargez la page."
                .into(),
        )),
        Transition::NotFound => Err(ConsoleError::NotFound),
    }
}

pub(crate) async fn claim(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let transition = state
        .inner
        .store
        .claim_ticket(id, user.communes(), user.staff.id, state.now())
        .await?;
    after_transition(
        &state,
        &user,
        id,
        transition,
        "ticket.claim",
        format!("ticket={id}"),
        false,
    )
    .await
}

pub(crate) async fn close(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let transition = state
        .inner
        .store
        .close_ticket(id, user.communes(), user.staff.id, state.now())
        .await?;
    after_transition(
        &state,
        &user,
        id,
        transition,
        "ticket.close",
        format!("ticket={id}"),
        true,
    )
    .await
}

pub(crate) async fn unreachable(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let max = state.inner.config.callback_max_attempts;
    let transition = state
        .inner
        .store
        .ticket_unreachable(id, user.communes(), user.staff.id, state.now(), max)
        .await?;
    after_transition(
        &state,
        &user,
        id,
        transition,
        "ticket.unreachable",
        format!("ticket={id}"),
        true,
    )
    .await
}

/// The note form.
#[derive(Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// Longest note accepted.
const MAX_NOTE_CHARS: usize = 4000;

pub(crate) async fn note(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let body = form.body.trim();
    if body.is_empty() {
        return Err(ConsoleError::BadRequest("la note est vide".into()));
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(ConsoleError::BadRequest(format!(
            "la note dépasse {MAX_NOTE_CHARS} caractères"
        )));
    }
    let transition = state
        .inner
        .store
        .add_ticket_note(id, user.communes(), user.staff.id, state.now(), body)
        .await?;
    after_transition(
        &state,
        &user,
        id,
        transition,
        "ticket.note",
        format!("ticket={id}"),
        false,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_times_read_naturally() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let at = |minutes: i64| t0 + chrono::Duration::minutes(minutes);
        assert_eq!(waiting_time(t0, t0), "moins d'une minute");
        assert_eq!(waiting_time(t0, at(4)), "4 min");
        assert_eq!(waiting_time(t0, at(125)), "2 h 05");
        assert_eq!(waiting_time(t0, at(3 * 1440 + 4 * 60 + 10)), "3 j 4 h");
        assert_eq!(waiting_time(at(10), t0), "moins d'une minute");
    }
}
