//! The retention job: transcripts older than each commune's `retention_days` are deleted and
//! closed tickets anonymised ([`guichet_store::Store::purge_before`]); expired conversations
//! and login sessions are closed ([`guichet_store::Store::cleanup_expired_sessions`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{AuditEntry, PurgeReport, Store, StoreError};

use crate::config::ConsoleCommune;
use crate::state::ConsoleState;

/// One pass over `communes` at `now`; returns what was purged per commune.
pub async fn retention_pass<S: Store>(
    store: &S,
    communes: &[ConsoleCommune],
    now: DateTime<Utc>,
) -> Result<Vec<(String, PurgeReport)>, StoreError> {
    store.cleanup_expired_sessions(now).await?;
    let mut reports = Vec::new();
    for commune in communes {
        let cutoff = now - chrono::Duration::days(i64::from(commune.retention_days));
        let report = store.purge_before(&commune.id, cutoff).await?;
        if report != PurgeReport::default() {
            store
                .append_audit(&AuditEntry {
                    at: now,
                    actor: "system".into(),
                    commune: Some(commune.id.clone()),
                    action: "retention.purge".into(),
                    detail: serde_json::to_string(&report).unwrap_or_default(),
                })
                .await?;
            tracing::info!(commune = %commune.id, ?report, "retention: old data removed");
        }
        reports.push((commune.id.clone(), report));
    }
    Ok(reports)
}

/// Runs [`retention_pass`] every `every` (e.g. hourly) until the task is aborted:
/// `tokio::spawn(guichet_console::retention::run_retention(state.clone(), Duration::from_secs(3600)))`.
pub async fn run_retention(state: ConsoleState, every: Duration) {
    let communes: Vec<ConsoleCommune> = state.communes().cloned().collect();
    let mut interval = tokio::time::interval(every.max(Duration::from_secs(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = retention_pass(state.store(), &communes, state.now()).await {
            tracing::warn!(%error, "retention pass failed; will retry");
        }
    }
}
