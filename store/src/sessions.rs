//! Conversations (sessions) and their transcripts (turns): row mapping shared by both backends.

use crate::dialect::StoredRow;
use crate::error::Result;
use crate::model::{SessionRecord, Turn, TurnRow};

/// The columns of a session row (a macro, for `concat!` in the backends).
macro_rules! session_cols {
    () => {
        "tenant, conversation_id, channel, caller, state, \
     started_at, updated_at, expires_at, closed_at, end_reason"
    };
}
pub(crate) use session_cols;

/// The same, as a constant.
pub(crate) const SESSION_COLUMNS: &str = session_cols!();

/// The columns of a turn row (a macro, for `concat!` in the backends).
macro_rules! turn_cols {
    () => {
        "tenant, conversation_id, seq, at, caller_text, reply_text, decision, action, fiche, \
         confidence, reply, message_id"
    };
}
pub(crate) use turn_cols;

pub(crate) fn session_from_row(row: &impl StoredRow) -> Result<SessionRecord> {
    const T: &str = "sessions";
    Ok(SessionRecord {
        tenant: row.text("tenant")?,
        conversation_id: row.text("conversation_id")?,
        channel: row.parsed(T, "channel")?,
        caller: row.opt_text("caller")?,
        state: row.json(T, "state")?,
        started_at: row.instant(T, "started_at")?,
        updated_at: row.instant(T, "updated_at")?,
        expires_at: row.instant(T, "expires_at")?,
        closed_at: row.opt_instant(T, "closed_at")?,
        end_reason: row.opt_text("end_reason")?,
    })
}

pub(crate) fn turn_from_row(row: &impl StoredRow) -> Result<TurnRow> {
    const T: &str = "turns";
    Ok(TurnRow {
        tenant: row.text("tenant")?,
        conversation_id: row.text("conversation_id")?,
        turn: Turn {
            seq: row.int("seq")?,
            at: row.instant(T, "at")?,
            caller_text: row.text("caller_text")?,
            reply_text: row.text("reply_text")?,
            decision: row.json(T, "decision")?,
            action: row.text("action")?,
            fiche: row.opt_text("fiche")?,
            confidence: row.opt_real("confidence")?,
            reply: row.opt_json(T, "reply")?,
            message_id: row.opt_text("message_id")?,
        },
    })
}
