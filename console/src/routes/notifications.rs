//! Delivery status of ticket notifications (e-mail, webhook), read from the store so that every
//! node shows the same thing: failures are visible here, with their last error and next attempt.

use axum::extract::{Query, State};
use axum::response::Response;
use guichet_store::{NotificationFilter, NotificationState, Role, Store};
use serde::Deserialize;
use serde_json::json;

use super::page as render;
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::notify::describe_destination;
use crate::state::ConsoleState;

/// Rows shown at most (newest first).
const PAGE_LIMIT: i64 = 200;

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
    let when = |commune: &str, at: chrono::DateTime<chrono::Utc>| match state
        .inner
        .communes
        .get(commune)
    {
        Some(c) => at
            .with_timezone(&c.timezone)
            .format("%d/%m/%Y %H:%M:%S")
            .to_string(),
        None => at.format("%d/%m/%Y %H:%M:%S UTC").to_string(),
    };
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
        }),
    )
}
