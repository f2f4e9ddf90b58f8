//! SQLite backend: one file under `data/`, WAL journal, a single writer connection (all writes
//! are serialised in-process, so they never wait on each other's locks) and a pool of readers.
//! Instants are stored as INTEGER milliseconds since the epoch, JSON as TEXT.

use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_phone::stored_number;
use sqlx::query::Query;
use sqlx::sqlite::{
    Sqlite, SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};

use crate::BackendWrites;
use crate::dialect::{Backend, Dialect, Statement};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::sessions::{session_cols, session_upsert, session_values, turn_cols, turn_values};
use crate::sqlite_dialect::{bind_args, sqlite_query};
use crate::sqlite_writer::{GroupWriter, PreparedWrite};
use crate::tickets::{new_ticket_cols, new_ticket_values};

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections.
const READERS: u32 = 4;

/// The embedded SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    group: GroupWriter,
}

impl SqliteStore {
    /// Opens the database at `url`, e.g. `sqlite://data/guichet.db`, creating it (and its
    /// parent directory) unless the URL says otherwise (`?mode=rw`, `?mode=ro`), and runs the
    /// migrations. `sqlite::memory:` gives a private in-memory database (tests).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?;
        let mode_given = url
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|pair| pair.starts_with("mode=")));
        let options = if mode_given {
            options
        } else {
            options.create_if_missing(true)
        };
        Self::connect_with(options).await
    }

    /// Like [`SqliteStore::connect`] with explicit options (WAL, synchronous=NORMAL, busy
    /// timeout and foreign keys are applied on top).
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<Self> {
        let path = options.get_filename().to_path_buf();
        let name = path.to_string_lossy();
        // `sqlite::memory:` is rewritten by sqlx into a shared-cache `file:sqlx-in-memory-N`.
        let in_memory = name.is_empty()
            || name.contains(":memory:")
            || name.starts_with("file:sqlx-in-memory-");
        if !in_memory && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Invalid(format!("cannot create directory {}: {e}", parent.display()))
            })?;
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = if in_memory {
            // A second pool would open another, empty, in-memory database.
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options.read_only(true))
                .await?
        };
        let group = GroupWriter::start(writer.clone());
        Ok(SqliteStore {
            writer,
            reader,
            group,
        })
    }

    /// The single writer connection's pool (administration and tests).
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// True when the turn stored at a `seq` is the one being saved (same message id, both `NULL`
/// included): its tickets and SMS are written only then. Bound by [`bind_own_turn`].
macro_rules! own_turn {
    () => {
        "EXISTS (SELECT 1 FROM turns
             WHERE tenant = ? AND conversation_id = ? AND seq = ? AND message_id IS ?)"
    };
}

/// Inserts a ticket unless its idempotency key is known, and returns its id as the row
/// `(1, id)`; [`bind_ticket`] gives the values.
const INSERT_TICKET: &str = concat!(
    new_ticket_cols!(),
    "
    VALUES (?, ?, ?, 'nouveau', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (idempotency_key) DO NOTHING;
    SELECT 1 AS k, id FROM tickets WHERE idempotency_key = ?;"
);

/// [`INSERT_TICKET`] within a turn: only if the turn at its `seq` is this one.
const INSERT_TURN_TICKET: &str = concat!(
    new_ticket_cols!(),
    "
    SELECT ?, ?, ?, 'nouveau', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ",
    own_turn!(),
    "
    ON CONFLICT (idempotency_key) DO NOTHING;
    SELECT 1 AS k, id FROM tickets WHERE idempotency_key = ? AND ",
    own_turn!(),
    ";"
);

/// The values of [`INSERT_TICKET`], or of [`INSERT_TURN_TICKET`] with the turn's `own`.
fn bind_ticket(write: &mut PreparedWrite, t: &NewTicket, own: Option<OwnTurn>) -> Result<()> {
    let number = t.caller_number.as_deref().map(stored_number);
    bind_args(write, new_ticket_values(t, number.as_deref()))?;
    bind_own_turn(write, own);
    write.bind(&t.idempotency_key);
    bind_own_turn(write, own);
    Ok(())
}

/// Queues an SMS unless its idempotency key is known, and returns its id as the row
/// `(2, id)`, or `(3 + reason, id)` when the SMS guard refused it ([`REFUSALS`]); `$own` is
/// an extra condition on the insert and on the returned row. [`bind_outbox`] gives the values.
/// The guard's daily counts and the insert are one statement of the single writer: two
/// concurrent SMS never both take the last place.
macro_rules! guarded_outbox {
    ($own:expr) => {
        concat!(
            "
    INSERT INTO outbox (idempotency_key, tenant, conversation_id, recipient, sender, body,
        state, refusal, attempts, next_attempt_at, created_at, updated_at)
    SELECT ?, ?, ?, ?, ?, ?,
        CASE WHEN guard.refusal IS NULL THEN 'pending' ELSE 'refused' END, guard.refusal,
        0, ?, ?, ?
    FROM (SELECT CASE
        WHEN ? IS NOT NULL THEN ?
        WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = ? AND recipient = ?
              AND created_at >= ? AND state <> 'refused' LIMIT COALESCE(?, 0))) >= ?
            THEN 'plafond_destinataire'
        WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = ? AND created_at >= ?
              AND state <> 'refused' LIMIT COALESCE(?, 0))) >= ? THEN 'budget'
        END AS refusal) AS guard
    WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE idempotency_key = ?)",
            $own,
            "
    ON CONFLICT (idempotency_key) DO NOTHING;
    SELECT CASE refusal WHEN 'destination' THEN 3 WHEN 'plafond_destinataire' THEN 4
        WHEN 'budget' THEN 5 ELSE 2 END AS k, id FROM outbox WHERE idempotency_key = ?",
            $own,
            ";"
        )
    };
}

/// A lone SMS (see [`guarded_outbox`]).
const INSERT_OUTBOX: &str = guarded_outbox!("");

/// [`INSERT_OUTBOX`] within a turn: only if the turn at its `seq` is this one.
const INSERT_TURN_OUTBOX: &str = guarded_outbox!(concat!(" AND ", own_turn!()));

/// The reasons of the row kinds 3, 4, 5 of [`INSERT_OUTBOX`].
const REFUSALS: [SmsRefusal; 3] = [
    SmsRefusal::Destination,
    SmsRefusal::RecipientCap,
    SmsRefusal::Budget,
];

/// The row kind saying that a turn's `seq` is another message's.
const CONFLICT: i64 = 9;

/// The values of [`INSERT_OUTBOX`], or of [`INSERT_TURN_OUTBOX`] with the turn's `own`.
fn bind_outbox(write: &mut PreparedWrite, m: &NewOutboxMessage, own: Option<OwnTurn>) {
    let to = stored_number(&m.to);
    let day_start = m.limits.map(|l| ms(l.day_start));
    // Each count stops at its cap (also its LIMIT): what lies beyond changes nothing.
    let per_recipient = m.limits.map(|l| l.per_recipient.max(0));
    let daily_budget = m.limits.map(|l| l.daily_budget.max(0));
    write
        .bind(&m.idempotency_key)
        .bind(&m.tenant)
        .bind(&m.conversation_id)
        .bind(to.clone())
        .bind(&m.sender)
        .bind(&m.body)
        .bind(ms(m.created_at))
        .bind(ms(m.created_at))
        .bind(ms(m.created_at))
        .bind(m.refusal.map(SmsRefusal::as_str))
        .bind(m.refusal.map(SmsRefusal::as_str))
        .bind(&m.tenant)
        .bind(to)
        .bind(day_start)
        .bind(per_recipient)
        .bind(per_recipient)
        .bind(&m.tenant)
        .bind(day_start)
        .bind(daily_budget)
        .bind(daily_budget)
        .bind(&m.idempotency_key);
    bind_own_turn(write, own);
    write.bind(&m.idempotency_key);
    bind_own_turn(write, own);
}

/// The turn whose tickets and SMS are being written (see [`own_turn!`]).
#[derive(Clone, Copy)]
struct OwnTurn<'a> {
    tenant: &'a str,
    conversation_id: &'a str,
    seq: i64,
    message_id: Option<&'a str>,
}

fn bind_own_turn(write: &mut PreparedWrite, own: Option<OwnTurn>) {
    if let Some(own) = own {
        write
            .bind(own.tenant)
            .bind(own.conversation_id)
            .bind(own.seq)
            .bind(own.message_id);
    }
}

/// The id a lone [`INSERT_TICKET`] or [`INSERT_OUTBOX`] returned.
fn inserted_id(rows: &[(i64, i64)]) -> Result<i64> {
    rows.first()
        .map(|&(_, id)| id)
        .ok_or_else(|| StoreError::Invalid("the insert returned no id".into()))
}

/// [`build_save_turn_sql`], built once for the usual counts.
fn save_turn_sql(tickets: usize, messages: usize) -> Arc<str> {
    const USUAL: usize = 4;
    static BUILT: LazyLock<Vec<Arc<str>>> = LazyLock::new(|| {
        (0..USUAL * USUAL)
            .map(|i| Arc::from(build_save_turn_sql(i / USUAL, i % USUAL)))
            .collect()
    });
    if tickets < USUAL && messages < USUAL {
        BUILT[tickets * USUAL + messages].clone()
    } else {
        Arc::from(build_save_turn_sql(tickets, messages))
    }
}

/// The body of [`SessionStore::save_turn`](crate::SessionStore::save_turn) for a number of
/// tickets and SMS (see there); its rows are read by [`saved_from_rows`]. The turn is inserted
/// unless its `seq` or its message id is taken; then a row `(9, 0)` ([`CONFLICT`]) says that
/// the `seq` is another message's (a conflict). The session, the tickets and the SMS follow
/// only a turn that is this one.
fn build_save_turn_sql(tickets: usize, messages: usize) -> String {
    let mut sql = String::from(concat!(
        "INSERT INTO turns (",
        turn_cols!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING 0 AS k, seq AS id;
         SELECT 9 AS k, 0 AS id WHERE changes() = 0
             AND NOT EXISTS (SELECT 1 FROM turns
                 WHERE tenant = ? AND conversation_id = ? AND message_id = ?)
             AND NOT ",
        own_turn!(),
        ";
         INSERT INTO sessions (",
        session_cols!(),
        ") SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1 ",
        session_upsert!(),
        ";"
    ));
    for _ in 0..tickets {
        sql.push_str(INSERT_TURN_TICKET);
    }
    for _ in 0..messages {
        sql.push_str(INSERT_TURN_OUTBOX);
    }
    sql
}

/// What a turn's rows say, in statement order: `(0, seq)` if the turn was new or `(9, 0)` if
/// its `seq` is another message's, then `(1, ticket id)` per ticket and `(2, outbox id)` per
/// SMS.
fn saved_from_rows(rows: &[(i64, i64)]) -> TurnSaved {
    let mut saved = TurnSaved {
        inserted: false,
        conflict: false,
        ticket_ids: Vec::new(),
        outbox_ids: Vec::new(),
        refused: Vec::new(),
    };
    for &(kind, id) in rows {
        match kind {
            0 => saved.inserted = true,
            1 => saved.ticket_ids.push(id),
            CONFLICT => saved.conflict = true,
            _ => {
                saved.outbox_ids.push(id);
                if let Some(&reason) = usize::try_from(kind - 3).ok().and_then(|i| REFUSALS.get(i))
                {
                    saved.refused.push((id, reason));
                }
            }
        }
    }
    saved
}

impl BackendWrites for SqliteStore {
    async fn save_session(&self, session: &SessionRecord) -> Result<()> {
        static UPSERT: LazyLock<Arc<str>> = LazyLock::new(|| {
            Arc::from(concat!(
                "INSERT INTO sessions (",
                session_cols!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ",
                session_upsert!()
            ))
        });
        let mut write = PreparedWrite::new(UPSERT.clone());
        bind_args(&mut write, session_values(session))?;
        self.group.write(write).await?;
        Ok(())
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<TurnSaved> {
        for ticket in &record.tickets {
            ticket.validate()?;
        }
        for message in &record.outbox {
            message.validate()?;
        }
        let s = &record.session;
        let t = &record.turn;
        // The whole turn is one multi-statement query, saved by the writer task in the next
        // group commit (see `sqlite_writer`).
        let mut turn = PreparedWrite::new(save_turn_sql(record.tickets.len(), record.outbox.len()));
        let own = OwnTurn {
            tenant: &s.tenant,
            conversation_id: &s.conversation_id,
            seq: t.seq,
            message_id: t.message_id.as_deref(),
        };
        bind_args(&mut turn, turn_values(s, t))?;
        turn.bind(&s.tenant)
            .bind(&s.conversation_id)
            .bind(&t.message_id);
        bind_own_turn(&mut turn, Some(own));
        bind_args(&mut turn, session_values(s))?;
        for ticket in &record.tickets {
            bind_ticket(&mut turn, ticket, Some(own))?;
        }
        for message in &record.outbox {
            bind_outbox(&mut turn, message, Some(own));
        }
        Ok(saved_from_rows(&self.group.write(turn).await?))
    }

    async fn close_session(&self, end: &SessionEnd<'_>) -> Result<bool> {
        // A hang-up ends every call: it joins the turns' group commit.
        static CLOSE: LazyLock<Arc<str>> = LazyLock::new(|| {
            Arc::from(
                "UPDATE sessions SET closed_at = ?, end_reason = ?, updated_at = MAX(updated_at, ?)
                 WHERE tenant = ? AND conversation_id = ? AND closed_at IS NULL
                 RETURNING 0 AS k, 0 AS id",
            )
        });
        let mut close = PreparedWrite::new(CLOSE.clone());
        close
            .bind(ms(end.at))
            .bind(end.reason)
            .bind(ms(end.at))
            .bind(end.tenant)
            .bind(end.conversation_id);
        Ok(!self.group.write(close).await?.is_empty())
    }

    async fn enqueue_sms(&self, message: &NewOutboxMessage) -> Result<i64> {
        message.validate()?;
        let mut write = PreparedWrite::new(Arc::from(INSERT_OUTBOX));
        bind_outbox(&mut write, message, None);
        inserted_id(&self.group.write(write).await?)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> Result<i64> {
        ticket.validate()?;
        let mut write = PreparedWrite::new(Arc::from(INSERT_TICKET));
        bind_ticket(&mut write, ticket, None)?;
        inserted_id(&self.group.write(write).await?)
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;

    const BACKEND: Backend = Backend::Sqlite;

    fn query(s: Statement<'_>) -> Result<Query<'static, Sqlite, SqliteArguments>> {
        sqlite_query(s)
    }

    /// The pool of read-only connections (the writer's own pool for an in-memory database).
    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}
