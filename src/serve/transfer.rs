//! How a live transfer to the standard ended, the same for every provider: the providers parse
//! their dial report into a [`DialReport`] and render the [`AfterDial`] this module decides.
//!
//! Answered: the transfer's ticket leaves the queue (`termine`, its wait frozen) and the call is
//! over. Not answered (busy, no answer, failed, the caller gave up while it rang): the ticket
//! becomes a callback ticket and the caller hears that the mairie will call back, or, number
//! withheld, to call again. A report repeated (a retried webhook) changes nothing and gets the
//! answer of the first one.

use chrono::{DateTime, Utc};
use guichet_store::{DialOutcome, TicketStore};

use super::conversation;
use super::error::ServeError;
use super::state::{AppState, CommuneRuntime};

/// What a caller hears when the standard did not take the transfer and a number is known to
/// call back (the transfer's ticket holds it).
pub const TRANSFER_UNANSWERED: &str = "Le standard de la mairie n'a pas pu prendre votre appel. \
Votre demande est enregistrée : un agent vous rappellera dès que possible. Au revoir.";

/// The same, when the caller's number is withheld: nobody can call back.
pub const TRANSFER_UNANSWERED_WITHHELD: &str = "Le standard de la mairie n'a pas pu prendre \
votre appel. Merci de rappeler pendant les heures d'ouverture. Au revoir.";

/// What a provider reported of the dial to the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialReport {
    /// Still trying, ringing or in progress: nothing is decided yet.
    Pending,
    /// The dial ended: answered or not.
    Ended(DialOutcome),
}

/// What the provider does with the caller after the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterDial {
    /// Nothing yet (the dial goes on).
    Nothing,
    /// The caller spoke with the standard: the call ends.
    HangUp,
    /// Say this, then hang up.
    SayAndHangUp(&'static str),
}

/// Records the report on the transfer's ticket of the call `call_id` and says what the caller
/// hears. `from` is the caller's number as the report gives it, used only when the call has no
/// transfer ticket (a transfer decided while the store was unreachable).
pub async fn dial_ended(
    state: &AppState,
    commune: &CommuneRuntime,
    call_id: &str,
    from: &str,
    report: DialReport,
    now: DateTime<Utc>,
) -> Result<AfterDial, ServeError> {
    let DialReport::Ended(reported) = report else {
        return Ok(AfterDial::Nothing);
    };
    let recorded = state
        .store
        .record_dial_outcome(&commune.id, call_id, reported, now)
        .await?;
    state.sessions.remove(&commune.id, call_id);
    let (outcome, caller_known) = match recorded {
        Some(recorded) => {
            if recorded.changed {
                state.console.notify_tickets_changed();
                tracing::info!(tenant = %commune.id, call = %call_id, ticket = recorded.ticket_id, outcome = %recorded.outcome, "transfer outcome recorded");
            }
            (recorded.outcome, recorded.caller_known)
        }
        None => {
            tracing::warn!(tenant = %commune.id, call = %call_id, outcome = %reported, "transfer outcome for a call without transfer ticket");
            conversation::close(state, &commune.id, call_id, reported.end_reason()).await?;
            (reported, !guichet_phone::is_withheld(from))
        }
    };
    Ok(match outcome {
        DialOutcome::Answered => AfterDial::HangUp,
        DialOutcome::Unanswered if caller_known => AfterDial::SayAndHangUp(TRANSFER_UNANSWERED),
        DialOutcome::Unanswered => AfterDial::SayAndHangUp(TRANSFER_UNANSWERED_WITHHELD),
    })
}
