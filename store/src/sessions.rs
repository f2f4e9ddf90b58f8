//! Conversations (sessions) and their transcripts (turns): saving a turn with its session,
//! tickets and SMS, a session, a hang-up (writes, see `writes.rs`), and finding, reading and
//! expiring them.

use chrono::{DateTime, Utc};
use guichet_phone::stored_number;

use crate::dialect::{Arg, Dialect, Statement, StoredRow, stmt};
use crate::error::Result;
use crate::model::{Channel, SessionEnd, SessionRecord, Turn, TurnRecord, TurnRow, TurnSaved};
use crate::outbox::sms_insert;
use crate::tickets::ticket_insert;
use crate::writes::{CONFLICT_ROW, OwnTurn, RunsWrites, TURN_ROW, own_turn, saved_from_rows};

/// The columns of a session row.
pub(crate) const SESSION_COLUMNS: &str = "tenant, conversation_id, channel, caller, state, \
     started_at, updated_at, expires_at, closed_at, end_reason";

/// The columns of a turn row.
pub(crate) const TURN_COLUMNS: &str = "tenant, conversation_id, seq, at, caller_text, reply_text, \
     decision, action, fiche, confidence, reply, message_id";

/// What saving a session changes of a stored one: its channel, caller and start are kept from
/// the first save, a close is never undone.
const SESSION_UPSERT: &str = "ON CONFLICT (tenant, conversation_id) DO UPDATE SET
     state = EXCLUDED.state,
     updated_at = EXCLUDED.updated_at,
     expires_at = EXCLUDED.expires_at,
     closed_at = COALESCE(sessions.closed_at, EXCLUDED.closed_at),
     end_reason = COALESCE(sessions.end_reason, EXCLUDED.end_reason)";

/// The values of a session's row, in the order of [`SESSION_COLUMNS`].
fn session_values(s: &SessionRecord) -> [Arg<'_>; 10] {
    [
        Arg::Text(&s.tenant),
        Arg::Text(&s.conversation_id),
        Arg::Text(s.channel.as_str()),
        Arg::OptText(s.caller.as_deref()),
        Arg::Json(&s.state),
        Arg::Instant(s.started_at),
        Arg::Instant(s.updated_at),
        Arg::Instant(s.expires_at),
        Arg::OptInstant(s.closed_at),
        Arg::OptText(s.end_reason.as_deref()),
    ]
}

/// The values of a turn's row of session `s`, in the order of [`TURN_COLUMNS`].
fn turn_values<'a>(s: &'a SessionRecord, t: &'a Turn) -> [Arg<'a>; 12] {
    [
        Arg::Text(&s.tenant),
        Arg::Text(&s.conversation_id),
        Arg::Int(t.seq),
        Arg::Instant(t.at),
        Arg::Text(&t.caller_text),
        Arg::Text(&t.reply_text),
        Arg::Json(&t.decision),
        Arg::Text(&t.action),
        Arg::OptText(t.fiche.as_deref()),
        Arg::OptReal(t.confidence),
        Arg::OptJson(t.reply.as_ref()),
        Arg::OptText(t.message_id.as_deref()),
    ]
}

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

pub(crate) async fn save_session<D: RunsWrites>(db: &D, session: &SessionRecord) -> Result<()> {
    let sql = format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         {SESSION_UPSERT}"
    );
    let upsert = Statement::new(sql, session_values(session).into());
    db.run_write(vec![upsert]).await?;
    Ok(())
}

/// The turn is inserted unless its `seq` or its message id is taken; then a row
/// [`CONFLICT_ROW`] says that the `seq` is another message's. The session follows only a turn
/// this write inserted ([`Dialect::INSERTED_NOW`]); the tickets and SMS only a turn that is
/// this one ([`OwnTurn`]).
pub(crate) async fn save_turn<D: RunsWrites>(db: &D, record: &TurnRecord) -> Result<TurnSaved> {
    for ticket in &record.tickets {
        ticket.validate()?;
    }
    for message in &record.outbox {
        message.validate()?;
    }
    let (s, t) = (&record.session, &record.turn);
    let own = OwnTurn {
        tenant: &s.tenant,
        conversation_id: &s.conversation_id,
        seq: t.seq,
        message_id: t.message_id.as_deref(),
    };
    let insert_turn = format!(
        "INSERT INTO turns ({TURN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING {TURN_ROW} AS k, seq AS id"
    );
    let conflict = format!(
        "SELECT {CONFLICT_ROW} AS k, CAST(0 AS BIGINT) AS id
         WHERE NOT EXISTS (SELECT 1 FROM turns
             WHERE tenant = ? AND conversation_id = ? AND message_id = ?)
           AND NOT {}",
        own_turn!()
    );
    let [tenant, conversation_id, seq, message_id] = own.args();
    let mut conflict_args = vec![tenant, conversation_id, message_id];
    conflict_args.extend(own.args());
    let upsert = format!(
        "INSERT INTO sessions ({SESSION_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM turns
             WHERE tenant = ? AND conversation_id = ? AND seq = ? AND {})
         {SESSION_UPSERT}",
        D::INSERTED_NOW
    );
    let mut upsert_args: Vec<Arg> = session_values(s).into();
    upsert_args.extend([tenant, conversation_id, seq]);
    let mut write = vec![
        Statement::new(insert_turn, turn_values(s, t).into()),
        Statement::new(conflict, conflict_args),
        Statement::new(upsert, upsert_args),
    ];
    // The numbers as stored, borrowed by the write.
    let callers: Vec<Option<String>> = (record.tickets.iter())
        .map(|ticket| ticket.caller_number.as_deref().map(stored_number))
        .collect();
    let recipients: Vec<String> = (record.outbox.iter())
        .map(|message| stored_number(&message.to))
        .collect();
    for (ticket, caller) in record.tickets.iter().zip(&callers) {
        write.extend(ticket_insert(ticket, caller.as_deref(), Some(own)));
    }
    for (message, to) in record.outbox.iter().zip(&recipients) {
        write.extend(sms_insert::<D>(message, to, Some(own)));
    }
    Ok(saved_from_rows(&db.run_write(write).await?))
}

pub(crate) async fn close_session<D: RunsWrites>(db: &D, end: &SessionEnd<'_>) -> Result<bool> {
    let sql = format!(
        "UPDATE sessions SET closed_at = ?, end_reason = ?, updated_at = {}(updated_at, ?)
         WHERE tenant = ? AND conversation_id = ? AND closed_at IS NULL
         RETURNING {TURN_ROW} AS k, CAST(0 AS BIGINT) AS id",
        D::GREATEST
    );
    let close = stmt!(
        sql,
        end.at,
        end.reason,
        end.at,
        end.tenant,
        end.conversation_id
    );
    Ok(!db.run_write(vec![close]).await?.is_empty())
}

pub(crate) async fn ping<D: Dialect>(db: &D) -> Result<()> {
    db.fetch_all(stmt!("SELECT 1 AS one")).await?;
    Ok(())
}

pub(crate) async fn load_session<D: Dialect>(
    db: &D,
    tenant: &str,
    conversation_id: &str,
) -> Result<Option<SessionRecord>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE tenant = $1 AND conversation_id = $2"
    );
    let s = stmt!(sql, tenant, conversation_id);
    db.fetch_record(s, session_from_row).await
}

pub(crate) async fn active_session_for_caller<D: Dialect>(
    db: &D,
    tenant: &str,
    channel: Channel,
    caller: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRecord>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant = $1 AND channel = $2 AND caller = $3 AND closed_at IS NULL
           AND expires_at > $4
         ORDER BY updated_at DESC LIMIT 1"
    );
    let s = stmt!(sql, tenant, channel.as_str(), caller, now);
    db.fetch_record(s, session_from_row).await
}

pub(crate) async fn cleanup_expired_sessions<D: Dialect>(
    db: &D,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut tx = db.begin().await?;
    let sql = "UPDATE sessions SET closed_at = expires_at, end_reason = 'expired', state = 'null'
         WHERE closed_at IS NULL AND expires_at < $1";
    let closed = tx.execute(stmt!(sql, now)).await?;
    let logins = stmt!("DELETE FROM staff_sessions WHERE expires_at <= $1", now);
    tx.execute(logins).await?;
    tx.commit().await?;
    Ok(closed)
}

pub(crate) async fn conversation_turns<D: Dialect>(
    db: &D,
    tenant: &str,
    conversation_id: &str,
) -> Result<Vec<Turn>> {
    let sql = format!(
        "SELECT {TURN_COLUMNS} FROM turns WHERE tenant = $1 AND conversation_id = $2 ORDER BY seq"
    );
    let rows = db.fetch_records(stmt!(sql, tenant, conversation_id), turn_from_row);
    Ok(rows.await?.into_iter().map(|row| row.turn).collect())
}

pub(crate) async fn sessions_between<D: Dialect>(
    db: &D,
    tenant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SessionRecord>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant = $1 AND started_at >= $2 AND started_at < $3
         ORDER BY started_at, conversation_id"
    );
    db.fetch_records(stmt!(sql, tenant, from, to), session_from_row)
        .await
}

pub(crate) async fn turns_between<D: Dialect>(
    db: &D,
    tenant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TurnRow>> {
    let sql = format!(
        "SELECT {TURN_COLUMNS} FROM turns WHERE tenant = $1 AND at >= $2 AND at < $3
         ORDER BY at, conversation_id, seq"
    );
    db.fetch_records(stmt!(sql, tenant, from, to), turn_from_row)
        .await
}
