//! The SMS outbox: row mapping shared by both backends.

use crate::dialect::StoredRow;
use crate::error::Result;
use crate::model::OutboxMessage;

/// The columns of a outbox row (a macro, for `concat!` in the backends).
macro_rules! outbox_cols {
    () => {
        "id, idempotency_key, tenant, conversation_id, \
     recipient, sender, body, state, attempts, next_attempt_at, last_error, \
     provider_message_id, created_at, updated_at, refusal"
    };
}
pub(crate) use outbox_cols;

/// The same, as a constant.
pub(crate) const OUTBOX_COLUMNS: &str = outbox_cols!();

pub(crate) fn outbox_from_row(row: &impl StoredRow) -> Result<OutboxMessage> {
    const T: &str = "outbox";
    Ok(OutboxMessage {
        id: row.int("id")?,
        idempotency_key: row.text("idempotency_key")?,
        tenant: row.text("tenant")?,
        conversation_id: row.opt_text("conversation_id")?,
        to: row.text("recipient")?,
        sender: row.text("sender")?,
        body: row.text("body")?,
        state: row.parsed(T, "state")?,
        attempts: row.small_int("attempts")?,
        next_attempt_at: row.instant(T, "next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        provider_message_id: row.opt_text("provider_message_id")?,
        created_at: row.instant(T, "created_at")?,
        updated_at: row.instant(T, "updated_at")?,
        refusal: row.opt_parsed(T, "refusal")?,
    })
}
