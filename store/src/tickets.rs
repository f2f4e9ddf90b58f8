//! Tickets (the hand-off queue) and their notes: row mapping shared by both backends.

use crate::dialect::StoredRow;
use crate::error::Result;
use crate::model::{Ticket, TicketNote};

/// The columns of a ticket row (a macro, for `concat!` in the backends).
macro_rules! ticket_cols {
    () => {
        "id, idempotency_key, tenant, kind, state, channel, \
     conversation_id, caller_number, topic, fiche, summary, transcript, partner, reference, \
     created_at, claimed_by, claimed_at, closed_by, closed_at, attempts, dial_outcome, \
     anonymised_at, due_at, last_attempt_at"
    };
}
pub(crate) use ticket_cols;

/// The same, as a constant.
pub(crate) const TICKET_COLUMNS: &str = ticket_cols!();

pub(crate) fn ticket_from_row(row: &impl StoredRow) -> Result<Ticket> {
    const T: &str = "tickets";
    Ok(Ticket {
        id: row.int("id")?,
        idempotency_key: row.text("idempotency_key")?,
        tenant: row.text("tenant")?,
        kind: row.parsed(T, "kind")?,
        state: row.parsed(T, "state")?,
        channel: row.parsed(T, "channel")?,
        conversation_id: row.opt_text("conversation_id")?,
        caller_number: row.opt_text("caller_number")?,
        topic: row.text("topic")?,
        fiche: row.opt_text("fiche")?,
        summary: row.text("summary")?,
        transcript: row.json(T, "transcript")?,
        partner: row.opt_text("partner")?,
        reference: row.opt_text("reference")?,
        created_at: row.instant(T, "created_at")?,
        claimed_by: row.opt_int("claimed_by")?,
        claimed_at: row.opt_instant(T, "claimed_at")?,
        closed_by: row.opt_int("closed_by")?,
        closed_at: row.opt_instant(T, "closed_at")?,
        attempts: row.small_int("attempts")?,
        dial_outcome: row.opt_parsed(T, "dial_outcome")?,
        anonymised_at: row.opt_instant(T, "anonymised_at")?,
        due_at: row.opt_instant(T, "due_at")?,
        last_attempt_at: row.opt_instant(T, "last_attempt_at")?,
    })
}

pub(crate) fn note_from_row(row: &impl StoredRow) -> Result<TicketNote> {
    Ok(TicketNote {
        id: row.int("id")?,
        ticket_id: row.int("ticket_id")?,
        at: row.instant("ticket_notes", "at")?,
        author: row.opt_int("author")?,
        body: row.text("body")?,
    })
}
