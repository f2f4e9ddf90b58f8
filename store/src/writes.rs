//! The writes on the citizens' path — a turn with its session, tickets and SMS, a session, a
//! hang-up, a ticket or an SMS outside a turn — each written once, in its domain, as a
//! [`Write`]: statements with `?` placeholders, run in order, all or nothing. SQLite runs a
//! write as ONE query in its group commit (`sqlite_writer.rs`); PostgreSQL runs its statements
//! one by one in a transaction. Either way the statements that tell what happened return rows
//! `(k, id)`, read here the same way for both.

use std::future::Future;

use crate::dialect::{Arg, Dialect, Statement};
use crate::error::{Result, StoreError};
use crate::model::{SmsRefusal, TurnSaved};

/// A write's statements, with `?` placeholders (PostgreSQL numbers them per statement), in
/// the order they run.
pub(crate) type Write<'a> = Vec<Statement<'a>>;

/// The `(k, id)` rows a write returned, in statement order.
pub(crate) type WriteRows = Vec<(i64, i64)>;

/// How a backend runs a [`Write`]: all its statements or none.
pub(crate) trait RunsWrites: Dialect {
    fn run_write(&self, write: Write<'_>) -> impl Future<Output = Result<WriteRows>> + Send;
}

/// Row kinds: the turn was inserted (`id`: its `seq`).
pub(crate) const TURN_ROW: i64 = 0;
/// A ticket's id.
pub(crate) const TICKET_ROW: i64 = 1;
/// An SMS's id; `SMS_ROW + 1 + i`: an SMS the guard refused for [`REFUSALS`]`[i]`.
pub(crate) const SMS_ROW: i64 = 2;
/// The turn's `seq` is another message's.
pub(crate) const CONFLICT_ROW: i64 = 9;

/// The reasons of the rows `SMS_ROW + 1 …` (the order of the outbox's `k` CASE).
pub(crate) const REFUSALS: [SmsRefusal; 3] = [
    SmsRefusal::Destination,
    SmsRefusal::RecipientCap,
    SmsRefusal::Budget,
];

/// The turn a write's tickets and SMS belong to: they are written, and their ids returned,
/// only if the turn stored at its `seq` is this one (same message id, both `NULL` included),
/// so that a retried or conflicting turn writes nothing of its own.
#[derive(Clone, Copy)]
pub(crate) struct OwnTurn<'a> {
    pub tenant: &'a str,
    pub conversation_id: &'a str,
    pub seq: i64,
    pub message_id: Option<&'a str>,
}

/// The condition of [`OwnTurn`], bound by [`OwnTurn::args`] (a macro, for `concat!`).
macro_rules! own_turn {
    () => {
        "EXISTS (SELECT 1 FROM turns WHERE tenant = ? AND conversation_id = ? AND seq = ?
             AND message_id IS NOT DISTINCT FROM ?)"
    };
}
pub(crate) use own_turn;

impl<'a> OwnTurn<'a> {
    pub fn args(self) -> [Arg<'a>; 4] {
        [
            Arg::Text(self.tenant),
            Arg::Text(self.conversation_id),
            Arg::Int(self.seq),
            Arg::OptText(self.message_id),
        ]
    }
}

/// ` AND ` the condition of [`OwnTurn`] and its arguments for a write within a turn, nothing
/// outside one.
pub(crate) fn and_own_turn<'a>(own: Option<OwnTurn<'a>>) -> (&'static str, Vec<Arg<'a>>) {
    match own {
        Some(own) => (concat!(" AND ", own_turn!()), own.args().into()),
        None => ("", Vec::new()),
    }
}

/// What a turn's rows say (see [`SessionStore::save_turn`](crate::SessionStore::save_turn)).
pub(crate) fn saved_from_rows(rows: &[(i64, i64)]) -> TurnSaved {
    let mut saved = TurnSaved::default();
    for &(kind, id) in rows {
        match kind {
            TURN_ROW => saved.inserted = true,
            TICKET_ROW => saved.ticket_ids.push(id),
            CONFLICT_ROW => saved.conflict = true,
            _ => {
                saved.outbox_ids.push(id);
                let refusal = usize::try_from(kind - SMS_ROW - 1).ok();
                if let Some(&reason) = refusal.and_then(|i| REFUSALS.get(i)) {
                    saved.refused.push((id, reason));
                }
            }
        }
    }
    saved
}

/// The id a lone ticket's or SMS's write returned.
pub(crate) fn inserted_id(rows: &[(i64, i64)]) -> Result<i64> {
    rows.first()
        .map(|&(_, id)| id)
        .ok_or_else(|| StoreError::Invalid("the insert returned no id".into()))
}
