//! The retention job: transcripts older than each commune's `retention_days` are deleted and
//! closed tickets anonymised ([`guichet_store::PrivacyStore::purge_before`]); expired conversations
//! and login sessions are closed ([`guichet_store::SessionStore::cleanup_expired_sessions`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{
    AuditEntry, AuditStore, Clock, PrivacyStore, PurgeReport, SessionStore, StoreError,
};

/// How long a commune keeps its transcripts (`retention_days` of its `commune.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// The commune's id.
    pub commune: String,
    /// Days a transcript is kept.
    pub days: u32,
}

/// One pass over `communes` at `now`; returns what was purged per commune.
pub async fn retention_pass<S: SessionStore + PrivacyStore + AuditStore>(
    store: &S,
    communes: &[Retention],
    now: DateTime<Utc>,
) -> Result<Vec<(String, PurgeReport)>, StoreError> {
    store.cleanup_expired_sessions(now).await?;
    let mut reports = Vec::new();
    for commune in communes {
        let cutoff = now - chrono::Duration::days(i64::from(commune.days));
        let report = store.purge_before(&commune.commune, cutoff).await?;
        if report != PurgeReport::default() {
            store
                .append_audit(&AuditEntry {
                    at: now,
                    actor: "system".into(),
                    commune: Some(commune.commune.clone()),
                    action: "retention.purge".into(),
                    detail: serde_json::to_string(&report).unwrap_or_default(),
                })
                .await?;
            tracing::info!(commune = %commune.commune, ?report, "retention: old data removed");
        }
        reports.push((commune.commune.clone(), report));
    }
    Ok(reports)
}

/// Runs [`retention_pass`] on `store` every `every` (e.g. hourly), at the instants `clock`
/// gives, until the task is aborted.
pub async fn run_retention<S: SessionStore + PrivacyStore + AuditStore>(
    store: S,
    communes: Vec<Retention>,
    clock: Clock,
    every: Duration,
) {
    let mut interval = tokio::time::interval(every.max(Duration::from_secs(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = retention_pass(&store, &communes, clock.now()).await {
            tracing::warn!(%error, "retention pass failed; will retry");
        }
    }
}
