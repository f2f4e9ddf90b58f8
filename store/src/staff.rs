//! Staff accounts (e-mail, password hash, role, communes; one-time passwords) and their console
//! login sessions (sliding expiry).

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, Statement, StoredRow, Tx, first_int, stmt};
use crate::error::{Result, StoreError};
use crate::model::{NewStaff, Staff, StaffSession, normalise_email};

const STAFF_COLUMNS: &str =
    "id, email, password_hash, role, communes, created_at, disabled, must_change_password";

fn staff_from_row(row: &impl StoredRow) -> Result<Staff> {
    const T: &str = "staff";
    Ok(Staff {
        id: row.int("id")?,
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        role: row.parsed(T, "role")?,
        communes: row.communes(T, "communes")?,
        created_at: row.instant(T, "created_at")?,
        disabled: row.bool("disabled")?,
        must_change_password: row.bool("must_change_password")?,
    })
}

fn staff_session_from_row(row: &impl StoredRow) -> Result<StaffSession> {
    const T: &str = "staff_sessions";
    Ok(StaffSession {
        token_hash: row.text("token_hash")?,
        staff_id: row.int("staff_id")?,
        csrf_token: row.text("csrf_token")?,
        created_at: row.instant(T, "created_at")?,
        expires_at: row.instant(T, "expires_at")?,
    })
}

/// Creates an account; `Conflict` if its (normalised) e-mail is taken.
pub(crate) async fn create_staff<D: Dialect>(db: &D, staff: &NewStaff) -> Result<i64> {
    let email = normalise_email(&staff.email);
    if email.is_empty() {
        return Err(StoreError::Invalid("empty e-mail".into()));
    }
    let rows = db
        .write_returning(stmt!(
            "INSERT INTO staff (email, password_hash, role, communes, created_at, disabled,
                     must_change_password)
                 VALUES ($1, $2, $3, $4, $5, FALSE, $6)
                 ON CONFLICT (email) DO NOTHING RETURNING id",
            &email,
            &staff.password_hash,
            staff.role.as_str(),
            staff.communes.as_slice(),
            staff.created_at,
            staff.must_change_password
        ))
        .await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Conflict(format!("staff account {email}")))
}

async fn staff_where<D: Dialect>(
    db: &D,
    filter: &'static str,
    s: Statement<'_>,
) -> Result<Vec<Staff>> {
    let rows = db
        .fetch_all(Statement {
            sql: format!("SELECT {STAFF_COLUMNS} FROM staff {filter}").into(),
            args: s.args,
        })
        .await?;
    rows.iter().map(staff_from_row).collect()
}

/// An account by id.
pub(crate) async fn get_staff<D: Dialect>(db: &D, id: i64) -> Result<Option<Staff>> {
    let found = staff_where(db, "WHERE id = $1", stmt!("", id)).await?;
    Ok(found.into_iter().next())
}

/// An account by e-mail (normalised).
pub(crate) async fn get_staff_by_email<D: Dialect>(db: &D, email: &str) -> Result<Option<Staff>> {
    let email = normalise_email(email);
    let found = staff_where(db, "WHERE email = $1", stmt!("", &email)).await?;
    Ok(found.into_iter().next())
}

/// All accounts, by e-mail.
pub(crate) async fn list_staff<D: Dialect>(db: &D) -> Result<Vec<Staff>> {
    staff_where(db, "ORDER BY email", stmt!("")).await
}

/// How many accounts exist.
pub(crate) async fn count_staff<D: Dialect>(db: &D) -> Result<i64> {
    let rows = db
        .fetch_all(stmt!("SELECT COUNT(*) AS n FROM staff"))
        .await?;
    Ok(first_int(&rows, "n")?.unwrap_or(0))
}

/// Sets a password chosen by its owner (no longer one-time).
pub(crate) async fn set_staff_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    let changed = db
        .execute(stmt!(
            "UPDATE staff SET password_hash = $1, must_change_password = FALSE,
                     one_time_password_used = FALSE WHERE id = $2",
            password_hash,
            id
        ))
        .await?;
    Ok(changed > 0)
}

/// Disables or enables an account; disabling ends its login sessions.
pub(crate) async fn set_staff_disabled<D: Dialect>(
    db: &D,
    id: i64,
    disabled: bool,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let changed = D::tx_execute(
        &mut tx,
        stmt!("UPDATE staff SET disabled = $1 WHERE id = $2", disabled, id),
    )
    .await?;
    if disabled {
        end_sessions_of::<D>(&mut tx, id).await?;
    }
    D::commit(tx).await?;
    Ok(changed > 0)
}

async fn end_sessions_of<D: Dialect>(tx: &mut Tx<D>, staff_id: i64) -> Result<u64> {
    D::tx_execute(
        tx,
        stmt!("DELETE FROM staff_sessions WHERE staff_id = $1", staff_id),
    )
    .await
}

/// Marks a one-time password used, once: true only for the login that consumed it.
pub(crate) async fn consume_one_time_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    // One conditional update: the database serialises concurrent logins on the row.
    let changed = db
        .execute(stmt!(
            "UPDATE staff SET one_time_password_used = TRUE
                 WHERE id = $1 AND password_hash = $2 AND must_change_password = TRUE
                   AND one_time_password_used = FALSE",
            id,
            password_hash
        ))
        .await?;
    Ok(changed == 1)
}

/// Replaces a password by a new one-time password and ends the account's sessions.
pub(crate) async fn reset_staff_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let changed = D::tx_execute(
        &mut tx,
        stmt!(
            "UPDATE staff SET password_hash = $1, must_change_password = TRUE,
                 one_time_password_used = FALSE WHERE id = $2",
            password_hash,
            id
        ),
    )
    .await?;
    end_sessions_of::<D>(&mut tx, id).await?;
    D::commit(tx).await?;
    Ok(changed > 0)
}

/// Stores a console login session.
pub(crate) async fn create_staff_session<D: Dialect>(db: &D, session: &StaffSession) -> Result<()> {
    db.execute(stmt!(
        "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        &session.token_hash,
        session.staff_id,
        &session.csrf_token,
        session.created_at,
        session.expires_at
    ))
    .await?;
    Ok(())
}

/// A login session not expired at `now`.
pub(crate) async fn get_staff_session<D: Dialect>(
    db: &D,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffSession>> {
    let row = db
        .fetch_optional(stmt!(
            "SELECT token_hash, staff_id, csrf_token, created_at, expires_at
                 FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2",
            token_hash,
            now
        ))
        .await?;
    row.as_ref().map(staff_session_from_row).transpose()
}

/// Ends a login session (logout).
pub(crate) async fn delete_staff_session<D: Dialect>(db: &D, token_hash: &str) -> Result<()> {
    db.execute(stmt!(
        "DELETE FROM staff_sessions WHERE token_hash = $1",
        token_hash
    ))
    .await?;
    Ok(())
}

/// Pushes a live session's expiry to `expires_at` (never earlier); whether it was live at `now`.
pub(crate) async fn touch_staff_session<D: Dialect>(
    db: &D,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = format!(
        "UPDATE staff_sessions SET expires_at = {}(expires_at, $1)
         WHERE token_hash = $2 AND expires_at > $3",
        D::GREATEST
    );
    let changed = db.execute(stmt!(sql, expires_at, token_hash, now)).await?;
    Ok(changed > 0)
}
