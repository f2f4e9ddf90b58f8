//! Delivery status of ticket notifications (e-mail, webhook), read from the store so that every
//! node shows the same thing: failures are visible here, with their last error and next attempt.
//! Below them, « SMS non remis »: the citizens' SMS of the viewer's communes that the outbox gave
//! up on (dead) or that the provider reported undelivered (failed), numbers masked.

use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use guichet_delivery::describe_destination;
use guichet_phone::mask_number;
use guichet_store::{
    NotificationFilter, NotificationState, NotificationStore, OutboxFilter, OutboxMessage,
    OutboxState, OutboxStore, Role, redact_numbers,
};
use serde::Deserialize;
use serde_json::json;

use super::page as render;
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// Rows shown at most (newest first).
const PAGE_LIMIT: i64 = 200;
/// Undelivered SMS shown at most (latest change first).
const SMS_LIMIT: i64 = 100;
/// Characters of an SMS text shown.
const SMS_EXCERPT_CHARS: usize = 60;

#[derive(Debug, Deserialize)]
pub(crate) struct NotificationsQuery {
    /// Only this state (`pending`, `sending`, `sent`, `failed`, `dead`).
    etat: Option<String>,
}

/// French label of a notification state.
fn label(state: NotificationState) -> &'static str {
    match state {
        NotificationState::Pending => "En attente",
        NotificationState::Sending => "Envoi en cours",
        NotificationState::Sent => "Envoyée",
        NotificationState::Failed => "Échec, nouvel essai prévu",
        NotificationState::Dead => "Abandonnée après plusieurs échecs",
    }
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<NotificationsQuery>,
) -> Result<Response> {
    user.require(&[Role::Standardiste, Role::Operateur])?;
    let selected = match query.etat.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<NotificationState>().map_err(|_| {
            ConsoleError::BadRequest(format!("état de notification inconnu « {text} »"))
        })?),
    };
    let store = &state.inner.store;
    let notifications = store
        .list_notifications(&NotificationFilter {
            communes: user.communes().to_vec(),
            states: selected.into_iter().collect(),
            limit: Some(PAGE_LIMIT),
        })
        .await?;
    let counts = store.notification_counts(user.communes()).await?;
    let undelivered = store
        .list_outbox(&OutboxFilter {
            communes: user.communes().to_vec(),
            states: vec![OutboxState::Dead, OutboxState::Failed, OutboxState::Refused],
            limit: Some(SMS_LIMIT),
        })
        .await?;
    let when = |commune: &str, at: DateTime<Utc>| state.local_time(commune, at);
    let rows: Vec<_> = notifications
        .iter()
        .map(|n| {
            json!({
                "ticket": n.ticket_id,
                "commune": n.tenant,
                "destination": describe_destination(&n.destination),
                "status": label(n.state),
                "status_key": n.state.as_str(),
                "attempts": n.attempts,
                "last_error": n.last_error,
                "next_attempt": n.next_attempt_at.filter(|_| !n.state.is_final()).map(|at| when(&n.tenant, at)),
                "updated": when(&n.tenant, n.updated_at),
            })
        })
        .collect();
    let filters: Vec<_> = counts
        .iter()
        .map(|(s, count)| {
            json!({
                "key": s.as_str(),
                "label": label(*s),
                "count": count,
                "selected": selected == Some(*s),
            })
        })
        .collect();
    render(
        &state,
        Some(&user),
        "notifications.html",
        json!({
            "deliveries": rows,
            "filters": filters,
            "total": counts.iter().map(|(_, n)| n).sum::<i64>(),
            "all_selected": selected.is_none(),
            "limit": PAGE_LIMIT,
            "undelivered_sms": undelivered.iter().map(|m| sms_row(&state, m)).collect::<Vec<_>>(),
            "sms_limit": SMS_LIMIT,
        }),
    )
}

/// French label of an undelivered SMS's state.
fn sms_label(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Dead => "Abandonné après refus ou échecs répétés",
        OutboxState::Failed => "Non distribué (rapport du fournisseur)",
        OutboxState::Pending => "En attente",
        OutboxState::Sending => "Envoi en cours",
        OutboxState::Sent => "Envoyé",
        OutboxState::Delivered => "Distribué",
        OutboxState::Refused => "Refusé par la garde SMS (jamais envoyé)",
    }
}

/// One line of « SMS non remis »: the recipient masked and numbers in the error masked (the one
/// redaction rule of the project), the text cut short.
fn sms_row(state: &ConsoleState, m: &OutboxMessage) -> serde_json::Value {
    let mut excerpt: String = m.body.chars().take(SMS_EXCERPT_CHARS).collect();
    if m.body.chars().nth(SMS_EXCERPT_CHARS).is_some() {
        excerpt.push('…');
    }
    json!({
        "at": state.local_time(&m.tenant, m.updated_at),
        "commune": m.tenant,
        "to": mask_number(&m.to),
        "excerpt": excerpt,
        "attempts": m.attempts,
        "last_error": m
            .refusal
            .map(|reason| reason.message().to_string())
            .or_else(|| m.last_error.as_deref().map(|e| redact_numbers(e).into_owned())),
        "status": sms_label(m.state),
        "status_key": m.state.as_str(),
    })
}
