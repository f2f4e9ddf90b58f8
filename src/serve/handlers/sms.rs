//! What every provider's SMS webhooks share, whatever their wire format: an incoming SMS is a
//! turn of its number's SMS conversation, and a delivery report settles the outbox message it
//! names.

use std::time::Instant;

use guichet_agent::Inbound;
use guichet_connectors::DeliveryState;
use guichet_store::{DeliveryStatus, OutboxStore};

use crate::serve::config::Provider;
use crate::serve::conversation::{self, Step, TurnOutcome};
use crate::serve::error::ServeError;
use crate::serve::metrics::SmsFailure;
use crate::serve::state::{AppState, CommuneRuntime};

/// One incoming SMS, as a provider's webhook names it.
pub struct IncomingText<'a> {
    /// The sender's number.
    pub from: &'a str,
    /// The provider's id of the message (the turn's idempotency key).
    pub message_id: &'a str,
}

/// Runs an incoming SMS as a turn of `commune`'s conversation with its sender (the one active
/// at the turn's instant, or a new one named after the message; see [`sms_conversation`]),
/// timed as one of `provider`'s SMS turns. `inbound` builds the engine's input for the
/// conversation id found; `step` says how the reply goes back (inline or by the outbox).
pub async fn sms_turn(
    state: &AppState,
    provider: Provider,
    commune: &CommuneRuntime,
    sms: IncomingText<'_>,
    inbound: impl FnOnce(&str) -> Inbound,
    mut step: Step,
    started: Instant,
) -> Result<TurnOutcome, ServeError> {
    let now = step.now.unwrap_or_else(|| state.now());
    let conversation_id = sms_conversation(state, commune, sms.from, sms.message_id, now).await?;
    step.message_id = Some(sms.message_id.to_string());
    let outcome =
        conversation::handle(state, commune, &inbound(&conversation_id), false, step).await?;
    state
        .metrics
        .record_turn(provider.name(), "sms", started.elapsed());
    Ok(outcome)
}

/// The SMS conversation of a number: the one active at `now`, or a new one named after this
/// message.
async fn sms_conversation(
    state: &AppState,
    commune: &CommuneRuntime,
    from: &str,
    message_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ServeError> {
    if let Some(caller) = conversation::caller_pseudonym(state, from)
        && let Some(active) = conversation::active_conversation_for_caller(
            state,
            &commune.id,
            guichet_store::Channel::Sms,
            &caller,
            now,
        )
        .await?
    {
        return Ok(active);
    }
    Ok(format!("sms-{message_id}"))
}

/// A provider's delivery report on one of our SMS (`provider_id`, the id it gave when it took
/// it): a final state settles the outbox message; an undelivered one is counted. "Sent" (on
/// its way) changes nothing.
pub async fn delivery_report(
    state: &AppState,
    provider: Provider,
    provider_id: &str,
    delivery: DeliveryState,
    error_code: Option<&str>,
) -> Result<(), ServeError> {
    let status = match delivery {
        DeliveryState::Delivered => DeliveryStatus::Delivered,
        DeliveryState::Failed => DeliveryStatus::Failed,
        DeliveryState::Sent => return Ok(()),
    };
    if status == DeliveryStatus::Failed {
        state
            .metrics
            .record_sms_failure(provider.name(), SmsFailure::Undelivered);
    }
    state
        .store
        .record_delivery(provider_id, status, error_code, state.now())
        .await?;
    Ok(())
}
