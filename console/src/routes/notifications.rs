//! Delivery status of ticket notifications (e-mail, webhook): failures are visible here.

use axum::extract::State;
use axum::response::Response;
use guichet_store::Role;
use serde_json::json;

use super::page as render;
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::state::ConsoleState;

pub(crate) async fn page(State(state): State<ConsoleState>, user: CurrentUser) -> Result<Response> {
    user.require(&[Role::Standardiste, Role::Operateur])?;
    let deliveries: Vec<_> = state
        .inner
        .notifier
        .deliveries()
        .into_iter()
        .filter(|d| user.has_commune(&d.commune))
        .map(|d| {
            let tz = state.inner.communes.get(&d.commune).map(|c| c.timezone);
            let when = |at: chrono::DateTime<chrono::Utc>| match tz {
                Some(tz) => at
                    .with_timezone(&tz)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string(),
                None => at.format("%d/%m/%Y %H:%M:%S UTC").to_string(),
            };
            json!({
                "ticket": d.ticket_id,
                "commune": d.commune,
                "destination": d.destination,
                "status": d.status.label(),
                "status_key": d.status.key(),
                "attempts": d.attempts,
                "last_error": d.last_error,
                "next_attempt": d.next_attempt_at.map(when),
                "updated": when(d.updated_at),
            })
        })
        .collect();
    render(
        &state,
        Some(&user),
        "notifications.html",
        json!({ "deliveries": deliveries }),
    )
}
