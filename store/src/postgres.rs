//! PostgreSQL backend: shared by several stateless `guichet serve` nodes. Instants are
//! TIMESTAMPTZ, JSON is JSONB, commune scopes are `TEXT[]` parameters (`tenant = ANY($n)`).

use std::str::FromStr;

use guichet_phone::stored_number;
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres,
};
use sqlx::query::Query;

use crate::BackendWrites;
use crate::dialect::{Backend, Dialect, Statement, StoredRow, parse_stored};
use crate::error::Result;
use crate::model::*;
use crate::postgres_dialect::pg_query;
use crate::sessions::{session_cols, session_upsert, session_values, turn_cols, turn_values};
use crate::tickets::{new_ticket_cols, new_ticket_values};

/// Default number of pooled connections per node.
const POOL_SIZE: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://…` and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options, PgPoolOptions::new().max_connections(POOL_SIZE)).await
    }

    /// Connects with explicit options (e.g. a `search_path` for an isolated test schema) and
    /// runs the migrations.
    pub async fn connect_with(options: PgConnectOptions, pool: PgPoolOptions) -> Result<Self> {
        let pool = pool.connect_with(options).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The underlying pool (tests, administration).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn upsert_session(conn: &mut PgConnection, s: &SessionRecord) -> Result<()> {
    let upsert = Statement {
        sql: concat!(
            "INSERT INTO sessions (",
            session_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ",
            session_upsert!()
        )
        .into(),
        args: session_values(s).into(),
    };
    pg_query(upsert).execute(&mut *conn).await?;
    Ok(())
}

async fn insert_ticket(conn: &mut PgConnection, t: &NewTicket) -> Result<i64> {
    t.validate()?;
    let number = t.caller_number.as_deref().map(stored_number);
    let insert = Statement {
        sql: concat!(
            new_ticket_cols!(),
            " VALUES ($1, $2, $3, 'nouveau', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id"
        )
        .into(),
        args: new_ticket_values(t, number.as_deref()).into(),
    };
    let inserted = pg_query(insert)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.int("id"))
        .transpose()?;
    match inserted {
        Some(id) => Ok(id),
        None => Ok(
            sqlx::query_scalar("SELECT id FROM tickets WHERE idempotency_key = $1")
                .bind(&t.idempotency_key)
                .fetch_one(&mut *conn)
                .await?,
        ),
    }
}

/// Queues an SMS unless its idempotency key is known; returns its id and, when the SMS guard
/// refused it, the reason. With limits, the commune's SMS are serialised by a transaction-level
/// advisory lock: the daily counts and the insert cannot interleave with another node's.
async fn insert_outbox(
    conn: &mut PgConnection,
    m: &NewOutboxMessage,
) -> Result<(i64, Option<SmsRefusal>)> {
    m.validate()?;
    let to = stored_number(&m.to);
    let mut refusal = m.refusal;
    if refusal.is_none()
        && let Some(limits) = m.limits
    {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('guichet-sms:' || $1))")
            .bind(&m.tenant)
            .execute(&mut *conn)
            .await?;
        // Each count stops at its cap: what lies beyond changes nothing, and a busy day (or a
        // flood of refused SMS) does not make the next SMS slower.
        let (recipient, commune): (i64, i64) = sqlx::query_as(
            "SELECT
                 (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = $1 AND recipient = $2
                      AND created_at >= $3 AND state <> 'refused' LIMIT $4) AS r),
                 (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE tenant = $1
                      AND created_at >= $3 AND state <> 'refused' LIMIT $5) AS c)",
        )
        .bind(&m.tenant)
        .bind(&to)
        .bind(limits.day_start)
        .bind(limits.per_recipient.max(0))
        .bind(limits.daily_budget.max(0))
        .fetch_one(&mut *conn)
        .await?;
        if recipient >= limits.per_recipient {
            refusal = Some(SmsRefusal::RecipientCap);
        } else if commune >= limits.daily_budget {
            refusal = Some(SmsRefusal::Budget);
        }
    }
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (idempotency_key, tenant, conversation_id, recipient, sender, body,
             state, refusal, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $8, $9, 0, $7, $7, $7)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(&m.idempotency_key)
    .bind(&m.tenant)
    .bind(&m.conversation_id)
    .bind(&to)
    .bind(&m.sender)
    .bind(&m.body)
    .bind(m.created_at)
    .bind(if refusal.is_some() {
        "refused"
    } else {
        "pending"
    })
    .bind(refusal.map(SmsRefusal::as_str))
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok((id, refusal)),
        None => {
            let (id, refusal): (i64, Option<String>) =
                sqlx::query_as("SELECT id, refusal FROM outbox WHERE idempotency_key = $1")
                    .bind(&m.idempotency_key)
                    .fetch_one(&mut *conn)
                    .await?;
            let refusal = refusal
                .map(|text| parse_stored(&text, "outbox", "refusal"))
                .transpose()?;
            Ok((id, refusal))
        }
    }
}

impl BackendWrites for PgStore {
    async fn save_session(&self, session: &SessionRecord) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        upsert_session(&mut conn, session).await
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<TurnSaved> {
        let s = &record.session;
        let t = &record.turn;
        let mut tx = self.pool.begin().await?;
        // No conflict target: neither the `seq` nor the message id may be taken. A concurrent
        // transaction inserting the same key makes this one wait for its outcome.
        let insert = Statement {
            sql: concat!(
                "INSERT INTO turns (",
                turn_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT DO NOTHING"
            )
            .into(),
            args: turn_values(s, t).into(),
        };
        let inserted = pg_query(insert).execute(&mut *tx).await?.rows_affected() == 1;
        let mut saved = TurnSaved {
            inserted,
            conflict: false,
            ticket_ids: Vec::with_capacity(record.tickets.len()),
            outbox_ids: Vec::with_capacity(record.outbox.len()),
            refused: Vec::new(),
        };
        if inserted {
            upsert_session(&mut tx, s).await?;
        } else {
            // Whose is the `seq`, and is this message already saved (at any `seq`)?
            let (own, known): (bool, bool) = sqlx::query_as(
                "SELECT
                     EXISTS (SELECT 1 FROM turns WHERE tenant = $1 AND conversation_id = $2
                             AND seq = $3 AND message_id IS NOT DISTINCT FROM $4),
                     EXISTS (SELECT 1 FROM turns WHERE tenant = $1 AND conversation_id = $2
                             AND message_id = $4)",
            )
            .bind(&s.tenant)
            .bind(&s.conversation_id)
            .bind(t.seq)
            .bind(&t.message_id)
            .fetch_one(&mut *tx)
            .await?;
            if !own {
                saved.conflict = !known;
                tx.commit().await?;
                return Ok(saved);
            }
        }
        for ticket in &record.tickets {
            saved.ticket_ids.push(insert_ticket(&mut tx, ticket).await?);
        }
        for message in &record.outbox {
            let (id, refusal) = insert_outbox(&mut tx, message).await?;
            saved.outbox_ids.push(id);
            saved.refused.extend(refusal.map(|reason| (id, reason)));
        }
        tx.commit().await?;
        Ok(saved)
    }

    async fn close_session(&self, end: &SessionEnd<'_>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET closed_at = $1, end_reason = $2,
                 updated_at = GREATEST(updated_at, $1)
             WHERE tenant = $3 AND conversation_id = $4 AND closed_at IS NULL",
        )
        .bind(end.at)
        .bind(end.reason)
        .bind(end.tenant)
        .bind(end.conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn enqueue_sms(&self, message: &NewOutboxMessage) -> Result<i64> {
        // A transaction: the guard's advisory lock lasts until the insert is committed.
        let mut tx = self.pool.begin().await?;
        let (id, _) = insert_outbox(&mut tx, message).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        insert_ticket(&mut conn, ticket).await
    }
}

impl Dialect for PgStore {
    type Db = Postgres;

    const BACKEND: Backend = Backend::Postgres;

    fn query(s: Statement<'_>) -> Result<Query<'static, Postgres, PgArguments>> {
        Ok(pg_query(s))
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }
}
