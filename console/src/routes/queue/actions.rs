//! What a standardiste does with a ticket: take it, close it, record an unanswered callback
//! attempt (and tell the citizen by SMS), write a note, put it back in the queue or give it
//! to a colleague.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::{
    AttemptRule, HandOver, NewOutboxMessage, OutboxStore, Role, StaffStore, Ticket, TicketKind,
    TicketState, TicketStore, Transition,
};
use serde::{Deserialize, Serialize};

use super::super::audit;
use super::super::login::CsrfForm;
use crate::auth::CurrentUser;
use crate::callback;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// The actions a ticket page offers its viewer.
#[derive(Debug, Serialize)]
pub(crate) struct Actions {
    pub claim: bool,
    pub close: bool,
    pub unreachable: bool,
    pub note: bool,
    /// Release or reassign: the holder, or an administrator.
    pub hand_over: bool,
}

/// Whether `user` holds `ticket` or may act for its holder (an administrator).
fn may_hand_over(user: &CurrentUser, ticket: &Ticket) -> bool {
    ticket.state == TicketState::PrisEnCharge
        && (ticket.claimed_by == Some(user.staff.id) || user.staff.role == Role::Admin)
}

pub(crate) fn available(_state: &ConsoleState, user: &CurrentUser, ticket: &Ticket) -> Actions {
    let mine = ticket.claimed_by == Some(user.staff.id);
    let finishable =
        ticket.state == TicketState::Nouveau || (ticket.state == TicketState::PrisEnCharge && mine);
    Actions {
        claim: ticket.state == TicketState::Nouveau,
        close: finishable,
        unreachable: ticket.kind == TicketKind::Callback && finishable,
        note: ticket.anonymised_at.is_none(),
        hand_over: may_hand_over(user, ticket),
    }
}

fn the_queue(state: &ConsoleState) -> Response {
    Redirect::to(&format!("{}/file", state.inner.config.base_path)).into_response()
}

fn the_ticket(state: &ConsoleState, id: i64) -> Response {
    Redirect::to(&format!("{}/tickets/{id}", state.inner.config.base_path)).into_response()
}

fn changed_meanwhile() -> ConsoleError {
    ConsoleError::Conflict(
        "Action impossible : ce ticket a changé d'état (peut-être pris en charge par un collègue). Rechargez la page."
            .into(),
    )
}

/// The ticket, in the viewer's communes.
async fn ticket_of(state: &ConsoleState, user: &CurrentUser, id: i64) -> Result<Ticket> {
    state
        .inner
        .store
        .get_ticket(id, user.communes())
        .await?
        .ok_or(ConsoleError::NotFound)
}

/// What a ticket action did, turned into a response: audited and signalled when applied.
async fn after_transition(
    state: &ConsoleState,
    user: &CurrentUser,
    id: i64,
    transition: Transition,
    action: &str,
    back_to_queue: bool,
) -> Result<Response> {
    match transition {
        Transition::Applied => {
            let commune = ticket_of(state, user, id).await?.tenant;
            audit(
                state,
                &user.staff.email,
                Some(&commune),
                action,
                format!("ticket={id}"),
            )
            .await?;
            state.notify_tickets_changed();
            Ok(if back_to_queue {
                the_queue(state)
            } else {
                the_ticket(state, id)
            })
        }
        Transition::Refused => Err(changed_meanwhile()),
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
    after_transition(&state, &user, id, transition, "ticket.claim", false).await
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
    after_transition(&state, &user, id, transition, "ticket.close", true).await
}

/// `POST /tickets/{id}/injoignable`: a callback attempt got no answer. One attempt per
/// `callback_min_gap` (the store checks it atomically: a double click spends one attempt and
/// simply comes back to the queue); the citizen gets an SMS saying so when the number is a
/// French mobile (through the outbox and its guard), written in the ticket's notes.
pub(crate) async fn unreachable(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let config = &state.inner.config;
    let min_gap = chrono::Duration::from_std(config.callback_min_gap)
        .unwrap_or(chrono::Duration::minutes(10));
    let rule = AttemptRule {
        max_attempts: config.callback_max_attempts,
        min_gap,
    };
    let now = state.now();
    let transition = state
        .inner
        .store
        .ticket_unreachable(id, user.communes(), user.staff.id, now, rule)
        .await?;
    match transition {
        Transition::Applied => {}
        Transition::NotFound => return Err(ConsoleError::NotFound),
        Transition::Refused => {
            let ticket = ticket_of(&state, &user, id).await?;
            // The same attempt, recorded a moment ago (a double click, a colleague's click).
            let just_recorded = ticket
                .last_attempt_at
                .is_some_and(|last| now.signed_duration_since(last) < min_gap);
            return if just_recorded {
                Ok(the_queue(&state))
            } else {
                Err(changed_meanwhile())
            };
        }
    }
    let ticket = ticket_of(&state, &user, id).await?;
    audit(
        &state,
        &user.staff.email,
        Some(&ticket.tenant),
        "ticket.unreachable",
        format!("ticket={id} attempt={}", ticket.attempts),
    )
    .await?;
    tell_citizen(&state, &user, &ticket).await?;
    state.notify_tickets_changed();
    Ok(the_queue(&state))
}

/// The SMS after an unanswered attempt, and its note on the ticket.
async fn tell_citizen(state: &ConsoleState, user: &CurrentUser, ticket: &Ticket) -> Result<()> {
    let store = &state.inner.store;
    let Some(number) = ticket.caller_number.as_deref() else {
        return Ok(());
    };
    let Some(commune) = state.inner.communes.get(&ticket.tenant) else {
        return Ok(());
    };
    let now = state.now();
    let note = if callback::may_get_sms(number) {
        let left = state.inner.config.callback_max_attempts - ticket.attempts;
        let mut message = NewOutboxMessage {
            idempotency_key: format!(
                "{}:ticket:{}:attempt:{}:sms",
                ticket.tenant, ticket.id, ticket.attempts
            ),
            tenant: ticket.tenant.clone(),
            conversation_id: ticket.conversation_id.clone(),
            to: number.to_string(),
            sender: commune.sms_sender.clone(),
            body: callback::attempt_failed_sms(&commune.name, left),
            created_at: now,
            refusal: None,
            limits: None,
        };
        callback::guard(&mut message, commune.sms_guard, commune.timezone, now);
        let outbox = store.enqueue_sms(&message).await?;
        let refused = store
            .get_outbox(outbox)
            .await?
            .and_then(|m| m.refusal)
            .is_some();
        audit(
            state,
            &user.staff.email,
            Some(&ticket.tenant),
            "ticket.sms",
            format!("ticket={} outbox={outbox} refused={refused}", ticket.id),
        )
        .await?;
        if refused {
            "SMS à l'usager non envoyé : limite quotidienne de SMS atteinte.".to_string()
        } else {
            format!("SMS envoyé à l'usager : « {} »", message.body)
        }
    } else {
        "Pas de SMS à l'usager : son numéro n'est pas un mobile français.".to_string()
    };
    let note = format!("Tentative {} sans réponse. {note}", ticket.attempts);
    store
        .add_ticket_note(ticket.id, user.communes(), user.staff.id, now, &note)
        .await?;
    Ok(())
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
    after_transition(&state, &user, id, transition, "ticket.note", false).await
}

/// The reassignment form: the colleague's account id.
#[derive(Deserialize)]
pub(crate) struct ReassignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    staff: String,
}

/// Checks that `user` may hand `ticket` over: 403 for anyone but its holder or an admin.
fn check_hand_over(user: &CurrentUser, ticket: &Ticket) -> Result<()> {
    if ticket.state != TicketState::PrisEnCharge {
        return Err(changed_meanwhile());
    }
    if !may_hand_over(user, ticket) {
        return Err(ConsoleError::Forbidden);
    }
    Ok(())
}

async fn hand_over(
    state: &ConsoleState,
    user: &CurrentUser,
    ticket: &Ticket,
    to: Option<i64>,
    note: String,
    action: &str,
) -> Result<Response> {
    let change = HandOver {
        actor: user.staff.id,
        admin: user.staff.role == Role::Admin,
        to,
        at: state.now(),
        note,
    };
    match state
        .inner
        .store
        .hand_over_ticket(ticket.id, user.communes(), &change)
        .await?
    {
        Transition::Applied => {
            audit(
                state,
                &user.staff.email,
                Some(&ticket.tenant),
                action,
                format!(
                    "ticket={} to={}",
                    ticket.id,
                    to.map_or("file".into(), |id| id.to_string())
                ),
            )
            .await?;
            state.notify_tickets_changed();
            Ok(the_queue(state))
        }
        Transition::Refused => Err(changed_meanwhile()),
        Transition::NotFound => Err(ConsoleError::NotFound),
    }
}

/// `POST /tickets/{id}/remettre`: « Remettre dans la file ».
pub(crate) async fn release(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let ticket = ticket_of(&state, &user, id).await?;
    check_hand_over(&user, &ticket)?;
    let note = format!("Remis dans la file par {}.", user.staff.email);
    hand_over(&state, &user, &ticket, None, note, "ticket.release").await
}

/// `POST /tickets/{id}/reattribuer`: gives a held ticket to a colleague of its commune.
pub(crate) async fn reassign(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ReassignForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Standardiste])?;
    let ticket = ticket_of(&state, &user, id).await?;
    check_hand_over(&user, &ticket)?;
    let to = form
        .staff
        .trim()
        .parse::<i64>()
        .map_err(|_| ConsoleError::BadRequest("choisissez un collègue".into()))?;
    let colleague = state
        .inner
        .store
        .get_staff(to)
        .await?
        .filter(|s| {
            !s.disabled
                && Some(s.id) != ticket.claimed_by
                && (s.role == Role::Admin
                    || (s.role == Role::Standardiste && s.communes.contains(&ticket.tenant)))
        })
        .ok_or_else(|| {
            ConsoleError::BadRequest("ce collègue ne peut pas prendre ce ticket".into())
        })?;
    let note = format!("Réattribué à {} par {}.", colleague.email, user.staff.email);
    hand_over(
        &state,
        &user,
        &ticket,
        Some(colleague.id),
        note,
        "ticket.reassign",
    )
    .await
}
