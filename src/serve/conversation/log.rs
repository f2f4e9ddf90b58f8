//! The durable turn log: where a turn finds the conversation it continues ([`previous`]) and
//! where it is kept ([`keep`]). Behind these two, the store, this node's session cache and the
//! spool: when the store cannot be reached a conversation goes on from this node's memory and
//! its turns wait in the spool, in order, until the store is back.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use guichet_store::{SessionEnd, SessionRecord, SessionStore, Turn, TurnRecord};

use super::envelope::Envelope;
use crate::serve::error::ServeError;
use crate::serve::session_cache::Cached;
use crate::serve::spool::{self, StoreFailure};
use crate::serve::state::AppState;

/// The session a turn continues.
pub(super) enum Previous {
    Found {
        envelope: Arc<Envelope>,
        started_at: DateTime<Utc>,
        /// The caller's pseudonym, as stored with the session.
        caller: Option<String>,
    },
    /// No session: a new conversation.
    New,
    /// The store is unreachable and this node has not seen the conversation.
    Unknown,
}

/// How long a turn waits for the store.
pub(super) fn store_timeout(state: &AppState) -> std::time::Duration {
    std::time::Duration::from_millis(state.settings.store_timeout_ms.max(1))
}

/// The session of a conversation, if it is stored and readable.
pub async fn load_envelope(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
) -> Result<Option<(SessionRecord, Envelope)>, ServeError> {
    Ok(read_envelope(state, tenant, conversation_id).await?)
}

/// The stored session of a conversation, as [`load_envelope`] reads it, with the store's own
/// error (to tell an unreachable store from a refusal).
async fn read_envelope(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
) -> Result<Option<(SessionRecord, Envelope)>, guichet_store::StoreError> {
    let Some(record) = state.store.load_session(tenant, conversation_id).await? else {
        return Ok(None);
    };
    match serde_json::from_value::<Envelope>(record.state.clone()) {
        Ok(envelope) => Ok(Some((record, envelope))),
        Err(error) => {
            tracing::warn!(tenant, conversation_id, %error, "unreadable session state: starting over");
            Ok(None)
        }
    }
}

/// The session before this turn: the store's; this node's copy when the store is unreachable,
/// or when turns of this conversation still wait in the spool (the store is behind on it).
/// On a store no other node writes (the embedded SQLite), this node's copy is the store's, and
/// is read first, unless `fresh` (a concurrent turn was saved since it was read).
pub(super) async fn previous(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
    now: DateTime<Utc>,
    fresh: bool,
) -> Result<Previous, ServeError> {
    if !fresh
        && !state.store.inner().is_shared()
        && let Some(cached) = state.sessions.get(tenant, conversation_id)
        && cached.expires_at > now
    {
        return Ok(Previous::Found {
            envelope: cached.envelope,
            started_at: cached.started_at,
            caller: cached.caller,
        });
    }
    let spool = &state.spool;
    if !spool.store_down() && spool.has_pending(tenant, conversation_id) {
        spool::drain::drain(state).await;
    }
    if spool.store_down() || spool.has_pending(tenant, conversation_id) {
        return Ok(cached_session(state, tenant, conversation_id));
    }
    match spool
        .store_call(read_envelope(state, tenant, conversation_id))
        .await
    {
        Ok(Some((record, envelope))) => Ok(Previous::Found {
            envelope: Arc::new(envelope),
            started_at: record.started_at,
            caller: record.caller,
        }),
        Ok(None) => Ok(Previous::New),
        Err(StoreFailure::Unavailable(reason)) => {
            tracing::warn!(
                tenant,
                conversation = conversation_id,
                reason = %guichet_store::redact_numbers(&reason),
                "store unreachable: the conversation goes on from this node's memory"
            );
            Ok(cached_session(state, tenant, conversation_id))
        }
        Err(StoreFailure::Failed(error)) => Err(error.into()),
    }
}

fn cached_session(state: &AppState, tenant: &str, conversation_id: &str) -> Previous {
    match state.sessions.get(tenant, conversation_id) {
        Some(Cached {
            envelope,
            started_at,
            caller,
            ..
        }) => Previous::Found {
            envelope,
            started_at,
            caller,
        },
        None => Previous::Unknown,
    }
}

/// Where a turn was kept.
pub(super) enum Kept {
    Saved(guichet_store::TurnSaved),
    /// In the spool, for the store when it is back.
    Spooled,
    /// Nowhere (the store refused it, or it was unreachable and the spool not writable).
    Lost(String),
}

/// Keeps a turn: saves it, or spools it when the store is unreachable. A conversation with turns already
/// in the spool spools this one too, so that the store gets them in order.
pub(super) async fn keep(state: &AppState, record: &TurnRecord) -> Kept {
    let spool = &state.spool;
    let session = &record.session;
    if !spool.store_down() && !spool.has_pending(&session.tenant, &session.conversation_id) {
        match spool.store_call(state.store.save_turn(record)).await {
            Ok(saved) => return Kept::Saved(saved),
            Err(StoreFailure::Failed(error)) => return Kept::Lost(error.to_string()),
            Err(StoreFailure::Unavailable(_)) => {}
        }
    }
    match spool.write(record).await {
        Ok(()) => {
            tracing::warn!(
                tenant = %session.tenant,
                conversation = %session.conversation_id,
                seq = record.turn.seq,
                "store unreachable: turn spooled"
            );
            Kept::Spooled
        }
        Err(error) => Kept::Lost(format!(
            "store unreachable and spool {} not writable: {error}",
            spool.dir().display()
        )),
    }
}

/// Remembers the session after a turn in this node's cache.
pub(super) fn remember(state: &AppState, record: &TurnRecord, envelope: Envelope) {
    // As long as the session lives without a new turn.
    let keep_for = (record.session.expires_at - record.session.updated_at)
        .to_std()
        .unwrap_or(std::time::Duration::ZERO);
    state.sessions.put(
        &record.session.tenant,
        &record.session.conversation_id,
        Cached {
            envelope: Arc::new(envelope),
            started_at: record.session.started_at,
            expires_at: record.session.expires_at,
            channel: record.session.channel,
            caller: record.session.caller.clone(),
            closed: record.session.closed_at.is_some(),
        },
        keep_for,
    );
}

/// The stored turns of a conversation (to answer a retried webhook the same). The pipeline
/// bounds the wait where it replays ([`store_timeout`]).
pub(super) async fn turns(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
) -> Result<Vec<Turn>, ServeError> {
    Ok(state
        .store
        .conversation_turns(tenant, conversation_id)
        .await?)
}

/// The active conversation of a caller pseudonym on a channel (how an SMS conversation is found
/// again): the store's; the one this node remembers when the store is unreachable, or when its
/// turns still wait in the spool (the store does not know it yet).
pub async fn active_conversation_for_caller(
    state: &AppState,
    tenant: &str,
    channel: guichet_store::Channel,
    caller: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServeError> {
    let remembered = || state.sessions.active_for_caller(tenant, channel, caller);
    if state.spool.store_down() {
        return Ok(remembered());
    }
    match state
        .spool
        .store_call(
            state
                .store
                .active_session_for_caller(tenant, channel, caller, now),
        )
        .await
    {
        Ok(Some(active)) => Ok(Some(active.conversation_id)),
        Ok(None) => Ok(remembered().filter(|id| state.spool.has_pending(tenant, id))),
        Err(StoreFailure::Unavailable(reason)) => {
            tracing::warn!(
                tenant,
                reason = %guichet_store::redact_numbers(&reason),
                "store unreachable: the caller's conversation is taken from this node's memory"
            );
            Ok(remembered())
        }
        Err(StoreFailure::Failed(error)) => Err(error.into()),
    }
}

/// A call or conversation ended on the provider's side (hang-up, cancelled…).
pub async fn close(
    state: &AppState,
    tenant: &str,
    conversation_id: &str,
    reason: &str,
) -> Result<bool, ServeError> {
    state.sessions.remove(tenant, conversation_id);
    Ok(state
        .store
        .close_session(&SessionEnd::new(
            tenant,
            conversation_id,
            reason,
            state.now(),
        ))
        .await?)
}
