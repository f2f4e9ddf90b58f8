//! The drainer: replays the spooled turns into the store when it is back, with the same
//! `save_turn` as a normal turn, then does what a saved turn does (wake the outbox, tell the
//! console). The files themselves are [`super::Spool`]'s.

use std::sync::Arc;
use std::time::Duration;

use guichet_store::{SessionStore, TurnRecord, TurnSaved, redact_numbers};
use tokio::sync::watch;

use super::{REJECTED_DIR, StoreFailure, read_record, reject};
use crate::serve::metrics::SpoolOutcome;
use crate::serve::retention;
use crate::serve::state::AppState;

/// How often the drainer looks at the spool when nothing wakes it.
const IDLE_INTERVAL: Duration = Duration::from_secs(1);
/// The longest wait between two attempts while the store is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What one drain did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub saved: usize,
    pub rejected: usize,
    /// Still spooled (the store became unreachable again).
    pub left: usize,
}

/// Replays the spooled turns into the store, oldest first, until the spool is empty or the
/// store is unreachable again.
pub async fn drain(state: &AppState) -> Drained {
    let spool = &state.spool;
    let _draining = spool.draining.lock().await;
    let mut drained = Drained::default();
    let names: Vec<String> = spool.lock().keys().cloned().collect();
    for (index, name) in names.iter().enumerate() {
        let path = spool.dir.join(name);
        let record = match read_record(&path) {
            Ok(record) => record,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                spool.forget(name, None);
                continue;
            }
            Err(error) => {
                tracing::error!(file = %name, %error, "unreadable spooled turn");
                reject(&spool.dir, name, &error);
                spool.forget(name, Some(SpoolOutcome::Rejected));
                drained.rejected += 1;
                continue;
            }
        };
        match save_spooled(state, &record).await {
            Ok(saved) => {
                if let Err(error) = std::fs::remove_file(&path) {
                    tracing::error!(file = %name, %error, "removing a replayed spooled turn");
                }
                spool.forget(name, Some(SpoolOutcome::Replayed));
                drained.saved += 1;
                state.turn_saved(&record, &saved);
            }
            Err(StoreFailure::Unavailable(reason)) => {
                drained.left = names.len() - index;
                tracing::warn!(
                    left = drained.left,
                    reason = %redact_numbers(&reason),
                    "store still unreachable: spooled turns kept"
                );
                return drained;
            }
            Err(StoreFailure::Failed(error)) => {
                let error = error.to_string();
                tracing::error!(
                    file = %name,
                    error = %redact_numbers(&error),
                    "the store refused a spooled turn: moved to {REJECTED_DIR}/"
                );
                reject(&spool.dir, name, &error);
                spool.forget(name, Some(SpoolOutcome::Rejected));
                drained.rejected += 1;
            }
        }
    }
    if drained.saved > 0 || drained.rejected > 0 {
        tracing::info!(
            saved = drained.saved,
            rejected = drained.rejected,
            "spooled turns replayed into the store"
        );
    }
    drained
}

/// Saves a spooled turn. Its `seq` may have been taken meanwhile by a turn another node saved
/// (the conversation went on there): it is then saved after the conversation's last turn, so
/// that it is not lost.
async fn save_spooled(state: &AppState, record: &TurnRecord) -> Result<TurnSaved, StoreFailure> {
    let spool = &state.spool;
    let mut saved = spool.store_call(state.store.save_turn(record)).await?;
    for _ in 0..3 {
        if !saved.conflict {
            break;
        }
        let session = &record.session;
        let turns = spool
            .store_call(
                state
                    .store
                    .conversation_turns(&session.tenant, &session.conversation_id),
            )
            .await?;
        let next = turns.last().map_or(1, |turn| turn.seq + 1);
        tracing::warn!(
            tenant = %session.tenant,
            conversation = %session.conversation_id,
            spooled = record.turn.seq,
            seq = next,
            "a spooled turn's sequence was taken by another node: saved after it"
        );
        saved = spool
            .store_call(state.store.save_turn(&renumbered(record, next)))
            .await?;
    }
    Ok(saved)
}

/// `record` as turn `seq`: its session says so, its tickets' and SMS' idempotency keys are its
/// own (the ones it had are the other turn's).
fn renumbered(record: &TurnRecord, seq: i64) -> TurnRecord {
    let mut record = record.clone();
    record.turn.seq = seq;
    let state = &mut record.session.state;
    if state.get("seq").is_some() {
        state["seq"] = seq.into();
    }
    if state
        .get("last")
        .is_some_and(|last| last.get("seq").is_some())
    {
        state["last"]["seq"] = seq.into();
    }
    for ticket in &mut record.tickets {
        ticket.idempotency_key = format!("{}#{seq}", ticket.idempotency_key);
    }
    for message in &mut record.outbox {
        message.idempotency_key = format!("{}#{seq}", message.idempotency_key);
    }
    record
}

/// The drainer: replays the spool when a turn is spooled and every second; while the store is
/// unreachable, tries again with a growing delay (up to [`MAX_BACKOFF`]). Stops when `shutdown`
/// turns true (the graceful shutdown drains once more, see [`crate::serve::Running::shutdown`]).
pub async fn run(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = IDLE_INTERVAL;
    let mut next_purge = std::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let spool = &state.spool;
        if std::time::Instant::now() >= next_purge {
            next_purge += retention::REJECTED_PURGE_INTERVAL;
            retention::purge_rejected_spool(&state);
        }
        let reachable = if !spool.is_empty() {
            drain(&state).await.left == 0
        } else if spool.store_down() {
            spool.store_call(state.store.ping()).await.is_ok()
        } else {
            true
        };
        if reachable {
            backoff = IDLE_INTERVAL;
            tokio::select! {
                _ = spool.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}
