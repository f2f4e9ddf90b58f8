//! Tickets (the hand-off queue): created (with a turn or alone, a write: see `writes.rs`), and
//! seen by staff: listing, search, claim, close, call-back attempts, transfer outcomes,
//! hand-over and notes, within the viewer's communes.

use chrono::{DateTime, Duration, Utc};
use guichet_phone::stored_number;

use crate::dialect::{Arg, Dialect, Statement, StoredRow, stmt};
use crate::error::{Result, StoreError};
use crate::model::{
    AttemptRule, DialOutcome, DialRecorded, HandOver, NewTicket, Ticket, TicketFilter, TicketNote,
    TicketSearch, Transition,
};
use crate::writes::{OwnTurn, RunsWrites, TICKET_ROW, and_own_turn, inserted_id};

/// The columns of a ticket row, in [`ticket_from_row`]'s terms.
pub(crate) const TICKET_COLUMNS: &str = "id, idempotency_key, tenant, kind, state, channel, \
     conversation_id, caller_number, topic, fiche, summary, transcript, partner, reference, \
     created_at, claimed_by, claimed_at, closed_by, closed_at, attempts, dial_outcome, \
     anonymised_at, due_at, last_attempt_at";

/// The values of a new ticket's row, in the order of [`ticket_insert`]'s columns (its state,
/// `'nouveau'`, after the kind); `caller_number` as stored.
fn new_ticket_values<'a>(t: &'a NewTicket, caller_number: Option<&'a str>) -> [Arg<'a>; 14] {
    [
        Arg::Text(&t.idempotency_key),
        Arg::Text(&t.tenant),
        Arg::Text(t.kind.as_str()),
        Arg::Text(t.channel.as_str()),
        Arg::OptText(t.conversation_id.as_deref()),
        Arg::OptText(caller_number),
        Arg::Text(&t.topic),
        Arg::OptText(t.fiche.as_deref()),
        Arg::Text(&t.summary),
        Arg::Json(&t.transcript),
        Arg::OptText(t.partner.as_deref()),
        Arg::OptText(t.reference.as_deref()),
        Arg::Instant(t.created_at),
        Arg::OptInstant(t.due_at),
    ]
}

/// A new ticket's write: inserted unless its idempotency key is known (within a turn, only if
/// the turn is this one), then the id of the row holding the key as `(TICKET_ROW, id)`.
pub(crate) fn ticket_insert<'a>(
    t: &'a NewTicket,
    caller_number: Option<&'a str>,
    own: Option<OwnTurn<'a>>,
) -> [Statement<'a>; 2] {
    let (and_own, own_args) = and_own_turn(own);
    let values = [&new_ticket_values(t, caller_number)[..], &own_args].concat();
    let key = [&[Arg::Text(&t.idempotency_key)][..], &own_args].concat();
    let insert = format!(
        "INSERT INTO tickets (idempotency_key, tenant, kind, state, channel, conversation_id,
             caller_number, topic, fiche, summary, transcript, partner, reference, created_at,
             due_at)
         SELECT ?, ?, ?, 'nouveau', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE TRUE{and_own}
         ON CONFLICT (idempotency_key) DO NOTHING"
    );
    let id =
        format!("SELECT {TICKET_ROW} AS k, id FROM tickets WHERE idempotency_key = ?{and_own}");
    [Statement::new(insert, values), Statement::new(id, key)]
}

pub(crate) async fn create_ticket<D: RunsWrites>(db: &D, ticket: &NewTicket) -> Result<i64> {
    ticket.validate()?;
    let number = ticket.caller_number.as_deref().map(stored_number);
    let write = ticket_insert(ticket, number.as_deref(), None);
    inserted_id(&db.run_write(write.into()).await?)
}

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

fn note_from_row(row: &impl StoredRow) -> Result<TicketNote> {
    Ok(TicketNote {
        id: row.int("id")?,
        ticket_id: row.int("ticket_id")?,
        at: row.instant("ticket_notes", "at")?,
        author: row.opt_int("author")?,
        body: row.text("body")?,
    })
}

/// `Applied` if the change was made; otherwise whether the ticket exists within the scope
/// (`Refused`: not in a state that allows it) or not (`NotFound`).
async fn transition<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    changed: bool,
) -> Result<Transition> {
    if changed {
        return Ok(Transition::Applied);
    }
    let sql = format!(
        "SELECT 1 AS one FROM tickets WHERE id = $1 AND {}",
        D::in_scope("tenant", 2)
    );
    // On the writer: it has seen the write that just failed.
    let found = db.write_returning(stmt!(sql, id, communes)).await?;
    Ok(if found.is_empty() {
        Transition::NotFound
    } else {
        Transition::Refused
    })
}

pub(crate) async fn get_ticket<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
) -> Result<Option<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1 AND {}",
        D::in_scope("tenant", 2)
    );
    db.fetch_record(stmt!(sql, id, communes), ticket_from_row)
        .await
}

pub(crate) async fn list_open_tickets<D: Dialect>(
    db: &D,
    communes: &[String],
) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
         WHERE {} AND state IN ('nouveau', 'pris_en_charge')
         ORDER BY CASE kind WHEN 'callback' THEN 0 ELSE 1 END, created_at, id",
        D::in_scope("tenant", 1)
    );
    db.fetch_records(stmt!(sql, communes), ticket_from_row)
        .await
}

pub(crate) async fn list_tickets<D: Dialect>(db: &D, filter: &TicketFilter) -> Result<Vec<Ticket>> {
    let states: Vec<String> = filter.states.iter().map(ToString::to_string).collect();
    let kinds: Vec<String> = filter.kinds.iter().map(ToString::to_string).collect();
    let search = filter.search.as_ref();
    let search_number = search.and_then(TicketSearch::number_e164);
    let search_words = search.and_then(TicketSearch::like_pattern);
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
         WHERE {}
           AND ($2 = 0 OR {})
           AND ($4 = 0 OR {})
           AND ($6 IS NULL OR created_at >= $6)
           AND ($7 IS NULL OR topic = $7)
           AND (CAST($8 AS BIGINT) IS NULL OR claimed_by = $8)
           AND ($9 = 0 OR id = $10 OR caller_number = $11
                OR lower(topic) LIKE $12 ESCAPE '\\' OR lower(summary) LIKE $12 ESCAPE '\\'
                OR lower(CAST(transcript AS TEXT)) LIKE $12 ESCAPE '\\')
         ORDER BY CASE WHEN $13 THEN closed_at END DESC NULLS LAST, created_at DESC, id DESC
         {} OFFSET $15",
        D::in_scope("tenant", 1),
        D::in_scope("state", 3),
        D::in_scope("kind", 5),
        D::limit(14),
    );
    let s = stmt!(
        sql,
        &filter.communes[..],
        i64::from(!states.is_empty()),
        &states[..],
        i64::from(!kinds.is_empty()),
        &kinds[..],
        filter.since,
        filter.topic.as_deref(),
        filter.claimed_by,
        i64::from(search.is_some()),
        search.and_then(|s| s.id),
        search_number.as_deref(),
        search_words.as_deref(),
        filter.by_closing,
        filter.limit,
        filter.offset.unwrap_or(0).max(0)
    );
    db.fetch_records(s, ticket_from_row).await
}

pub(crate) async fn claim_ticket<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    staff_id: i64,
    at: DateTime<Utc>,
) -> Result<Transition> {
    let sql = format!(
        "UPDATE tickets SET state = 'pris_en_charge', claimed_by = $1, claimed_at = $2
         WHERE id = $3 AND state = 'nouveau' AND {}",
        D::in_scope("tenant", 4)
    );
    let changed = db.write(stmt!(sql, staff_id, at, id, communes)).await?;
    transition(db, id, communes, changed).await
}

pub(crate) async fn close_ticket<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    staff_id: i64,
    at: DateTime<Utc>,
) -> Result<Transition> {
    let sql = format!(
        "UPDATE tickets SET state = 'termine', closed_by = $1, closed_at = $2,
             claimed_by = COALESCE(claimed_by, $1), claimed_at = COALESCE(claimed_at, $2)
         WHERE id = $3 AND {}
           AND (state = 'nouveau' OR (state = 'pris_en_charge' AND claimed_by = $1))",
        D::in_scope("tenant", 4)
    );
    let changed = db.write(stmt!(sql, staff_id, at, id, communes)).await?;
    transition(db, id, communes, changed).await
}

pub(crate) async fn ticket_unreachable<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    staff_id: i64,
    at: DateTime<Utc>,
    rule: AttemptRule,
) -> Result<Transition> {
    let sql = format!(
        "UPDATE tickets SET
             attempts = attempts + 1,
             last_attempt_at = $3,
             due_at = $3 + $6,
             state = CASE WHEN attempts + 1 >= $1 THEN 'injoignable' ELSE 'nouveau' END,
             claimed_by = CASE WHEN attempts + 1 >= $1 THEN COALESCE(claimed_by, $2) END,
             claimed_at = CASE WHEN attempts + 1 >= $1 THEN COALESCE(claimed_at, $3) END,
             closed_by = CASE WHEN attempts + 1 >= $1 THEN $2 END,
             closed_at = CASE WHEN attempts + 1 >= $1 THEN $3 END
         WHERE id = $4 AND {}
           AND (state = 'nouveau' OR (state = 'pris_en_charge' AND claimed_by = $2))
           AND (last_attempt_at IS NULL OR last_attempt_at <= $3 - $6)",
        D::in_scope("tenant", 5)
    );
    let max = i64::from(rule.max_attempts);
    let gap = rule.min_gap.max(Duration::zero());
    let s = stmt!(sql, max, staff_id, at, id, communes, gap);
    let changed = db.write(s).await?;
    transition(db, id, communes, changed).await
}

pub(crate) async fn record_dial_outcome<D: Dialect>(
    db: &D,
    tenant: &str,
    conversation_id: &str,
    outcome: DialOutcome,
    at: DateTime<Utc>,
) -> Result<Option<DialRecorded>> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "SELECT id, dial_outcome, caller_number IS NOT NULL AS caller_known FROM tickets
         WHERE tenant = $1 AND conversation_id = $2
           AND (kind = 'transfer' OR dial_outcome IS NOT NULL)
         ORDER BY id DESC LIMIT 1{}",
        D::FOR_UPDATE
    );
    let found = tx.fetch_all(stmt!(sql, tenant, conversation_id)).await?;
    let Some(row) = found.first() else {
        return Ok(None);
    };
    let ticket_id = row.int("id")?;
    let caller_known = row.bool("caller_known")?;
    let recorded = |outcome, changed| DialRecorded {
        ticket_id,
        outcome,
        changed,
        caller_known,
    };
    if let Some(first) = row.opt_parsed("tickets", "dial_outcome")? {
        return Ok(Some(recorded(first, false)));
    }
    let sql = "UPDATE tickets SET dial_outcome = $1,
             kind = CASE WHEN $1 = 'unanswered' THEN 'callback' ELSE kind END,
             due_at = CASE WHEN $1 = 'unanswered' THEN $2 ELSE due_at END,
             closed_at = CASE WHEN $1 = 'answered' AND state IN ('nouveau', 'pris_en_charge')
                              THEN $2 ELSE closed_at END,
             state = CASE WHEN $1 = 'answered' AND state IN ('nouveau', 'pris_en_charge')
                          THEN 'termine' ELSE state END
         WHERE id = $3";
    tx.execute(stmt!(sql, outcome.as_str(), at, ticket_id))
        .await?;
    let sql = format!(
        "UPDATE sessions SET end_reason = $1, closed_at = COALESCE(closed_at, $2),
             updated_at = {}(updated_at, $2)
         WHERE tenant = $3 AND conversation_id = $4",
        D::GREATEST
    );
    let close = stmt!(sql, outcome.end_reason(), at, tenant, conversation_id);
    tx.execute(close).await?;
    tx.commit().await?;
    Ok(Some(recorded(outcome, true)))
}

pub(crate) async fn hand_over_ticket<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    change: &HandOver,
) -> Result<Transition> {
    if change.note.trim().is_empty() {
        return Err(StoreError::Invalid("hand-over without a note".into()));
    }
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE tickets SET
             state = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN 'nouveau' ELSE 'pris_en_charge' END,
             claimed_by = $1,
             claimed_at = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN NULL ELSE $2 END
         WHERE id = $3 AND state = 'pris_en_charge' AND (claimed_by = $4 OR $5)
           AND {}",
        D::in_scope("tenant", 6)
    );
    let s = stmt!(
        sql,
        change.to,
        change.at,
        id,
        change.actor,
        change.admin,
        communes
    );
    let changed = tx.execute(s).await? == 1;
    if changed {
        let sql = "INSERT INTO ticket_notes (ticket_id, at, author, body) VALUES ($1, $2, $3, $4)";
        tx.execute(stmt!(sql, id, change.at, change.actor, &change.note))
            .await?;
    }
    tx.commit().await?;
    transition(db, id, communes, changed).await
}

pub(crate) async fn add_ticket_note<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
    staff_id: i64,
    at: DateTime<Utc>,
    body: &str,
) -> Result<Transition> {
    if body.trim().is_empty() {
        return Err(StoreError::Invalid("empty note".into()));
    }
    let sql = format!(
        "INSERT INTO ticket_notes (ticket_id, at, author, body)
         SELECT id, $1, $2, $3 FROM tickets WHERE id = $4 AND {}",
        D::in_scope("tenant", 5)
    );
    let s = stmt!(sql, at, staff_id, body, id, communes);
    Ok(if db.write(s).await? {
        Transition::Applied
    } else {
        Transition::NotFound
    })
}

pub(crate) async fn ticket_notes<D: Dialect>(
    db: &D,
    id: i64,
    communes: &[String],
) -> Result<Vec<TicketNote>> {
    let sql = format!(
        "SELECT n.id, n.ticket_id, n.at, n.author, n.body
         FROM ticket_notes n JOIN tickets t ON t.id = n.ticket_id
         WHERE n.ticket_id = $1 AND {}
         ORDER BY n.at, n.id",
        D::in_scope("t.tenant", 2)
    );
    db.fetch_records(stmt!(sql, id, communes), note_from_row)
        .await
}
