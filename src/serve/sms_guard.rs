//! The SMS guard, applied to every SMS the service queues (a turn's link, an SMS conversation's
//! reply, whatever asked for it): only French mobiles, at most `per_recipient_daily` SMS per
//! recipient and `daily_budget` per commune per local day (`commune.toml`'s `[sms]`). The
//! destination is checked here; the daily counts by the store, in the insert itself (atomic).
//! A refused SMS is kept in the outbox as `refused` with its reason, counted in
//! `guichet_sms_refused_total{tenant,reason}`; crossing `alert_percent` of the budget, then the
//! whole budget, opens an alert ticket that the commune's notification routes deliver.

use chrono::{DateTime, Utc};
use guichet_knowledge::Knowledge;
use guichet_store::{
    Channel, NewOutboxMessage, NewTicket, OutboxStore, SmsRefusal, TicketStore, TurnSaved,
};

use super::state::AppState;

/// Start of the commune's local day containing `now`, in UTC (one rule with the desk's:
/// [`guichet_console::callback::day_start`]).
pub fn day_start(knowledge: &Knowledge, now: DateTime<Utc>) -> DateTime<Utc> {
    guichet_console::callback::day_start(knowledge.commune().timezone, now)
}

/// Puts the guard on an SMS about to be queued: its destination decided here, the commune's
/// daily limits for the store to check (one rule with the desk's SMS after a failed callback:
/// [`guichet_console::callback::guard`]).
pub fn guard(message: &mut NewOutboxMessage, knowledge: &Knowledge, now: DateTime<Utc>) {
    let commune = knowledge.commune();
    guichet_console::callback::guard(message, commune.sms_guard, commune.timezone, now);
}

/// After a turn's SMS were saved: counts the refusals (a new turn only: a retried webhook's
/// refusals were counted the first time) and checks the budget's alert thresholds.
pub async fn after_save(
    state: &AppState,
    tenant: &str,
    knowledge: &Knowledge,
    saved: &TurnSaved,
    queued: usize,
    now: DateTime<Utc>,
) {
    if saved.inserted {
        for (id, reason) in &saved.refused {
            state
                .metrics
                .sms_refused
                .with_label_values(&[tenant, reason.as_str()])
                .inc();
            tracing::warn!(
                tenant,
                outbox = id,
                reason = reason.as_str(),
                "SMS refused by the guard"
            );
        }
    }
    if queued > saved.refused.len() || saved.refused.iter().any(|(_, r)| *r == SmsRefusal::Budget) {
        check_budget(state, tenant, knowledge, now).await;
    }
}

/// Opens the day's alert ticket when the commune's SMS reach `alert_percent` of the budget, and
/// another when the budget is spent (each once a day: the ticket's key carries the date).
async fn check_budget(state: &AppState, tenant: &str, knowledge: &Knowledge, now: DateTime<Utc>) {
    let policy = knowledge.commune().sms_guard;
    let budget = i64::from(policy.daily_budget);
    let since = day_start(knowledge, now);
    let used = match state.store.sms_count_since(tenant, since).await {
        Ok(used) => used,
        Err(error) => {
            tracing::warn!(tenant, %error, "counting the day's SMS");
            return;
        }
    };
    state
        .metrics
        .sms_budget_used
        .with_label_values(&[tenant])
        .set(used);
    let alert_at = ((budget * i64::from(policy.alert_percent) + 99) / 100).max(1);
    // Every threshold reached gets its ticket (each once a day): concurrent turns may jump
    // from below the alert straight to the whole budget.
    let date = since
        .with_timezone(&knowledge.commune().timezone)
        .format("%Y-%m-%d")
        .to_string();
    let mut levels = Vec::new();
    if used >= alert_at {
        levels.push(i64::from(policy.alert_percent));
    }
    if used >= budget && policy.alert_percent < 100 {
        levels.push(100);
    }
    for level in levels {
        let summary = if level >= 100 {
            format!(
                "Budget quotidien de SMS épuisé ({used} / {budget}) : plus aucun SMS ne part \
                 aujourd'hui (refus visibles dans « Notifications »). Vérifiez qu'il ne s'agit \
                 pas d'un abus ; le plafond se règle dans commune.toml, [sms] daily_budget."
            )
        } else {
            format!(
                "{level} % du budget quotidien de SMS atteint ({used} / {budget}). Au-delà de \
                 {budget}, les SMS sont refusés jusqu'à minuit."
            )
        };
        let ticket = NewTicket {
            idempotency_key: format!("{tenant}:sms-budget:{date}:{level}"),
            tenant: tenant.to_string(),
            kind: guichet_store::TicketKind::Callback,
            channel: Channel::Sms,
            conversation_id: None,
            caller_number: None,
            topic: format!("Alerte : budget SMS à {level} %"),
            fiche: None,
            summary,
            transcript: serde_json::Value::Null,
            partner: None,
            reference: None,
            created_at: now,
            due_at: None,
        };
        match state.store.create_ticket(&ticket).await {
            Ok(_) => state.console.notify_tickets_changed(),
            Err(error) => tracing::warn!(tenant, %error, "opening the SMS budget alert"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Knowledge {
        Knowledge::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/communes/demo"
        )))
        .unwrap()
    }

    fn message(to: &str) -> NewOutboxMessage {
        NewOutboxMessage {
            idempotency_key: "k".into(),
            tenant: "demo".into(),
            conversation_id: None,
            to: to.into(),
            sender: "VILLEBOURG".into(),
            body: "x".into(),
            created_at: Utc::now(),
            refusal: None,
            limits: None,
        }
    }

    #[test]
    fn the_day_starts_at_local_midnight() {
        let knowledge = demo();
        // 23:30 UTC on 9 March is 00:30 on 10 March in Paris.
        let now = DateTime::parse_from_rfc3339("2026-03-09T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            day_start(&knowledge, now).to_rfc3339(),
            "2026-03-09T23:00:00+00:00"
        );
    }

    #[test]
    fn foreign_and_premium_destinations_are_refused_before_the_store() {
        let knowledge = demo();
        let now = Utc::now();
        for (to, refused) in [
            ("+33612345678", false),
            ("+262692123456", false),
            ("+447700900124", true),
            ("+33899123456", true),
            ("+33130000001", true),
        ] {
            let mut sms = message(to);
            guard(&mut sms, &knowledge, now);
            assert_eq!(sms.refusal.is_some(), refused, "{to}");
            let limits = sms.limits.unwrap();
            assert_eq!((limits.per_recipient, limits.daily_budget), (5, 300));
        }
    }
}
