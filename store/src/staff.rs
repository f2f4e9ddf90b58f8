//! Staff accounts (e-mail, password hash, role, communes; one-time passwords) and their console
//! login sessions (sliding expiry).

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, Statement, StoredRow, first_int, stmt};
use crate::error::{Result, StoreError};
use crate::model::{NewStaff, Staff, StaffSession, normalise_email};

const STAFF_COLUMNS: &str =
    "id, email, password_hash, role, communes, created_at, disabled, must_change_password";
const SESSION_COLUMNS: &str = "token_hash, staff_id, csrf_token, created_at, expires_at";

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

pub(crate) async fn create_staff<D: Dialect>(db: &D, staff: &NewStaff) -> Result<i64> {
    let email = normalise_email(&staff.email);
    if email.is_empty() {
        return Err(StoreError::Invalid("empty e-mail".into()));
    }
    let sql = "INSERT INTO staff (email, password_hash, role, communes, created_at, disabled,
             must_change_password)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6)
         ON CONFLICT (email) DO NOTHING RETURNING id";
    let s = stmt!(
        sql,
        &email,
        &staff.password_hash,
        staff.role.as_str(),
        staff.communes.as_slice(),
        staff.created_at,
        staff.must_change_password
    );
    let rows = db.write_returning(s).await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Conflict(format!("staff account {email}")))
}

pub(crate) async fn get_staff<D: Dialect>(db: &D, id: i64) -> Result<Option<Staff>> {
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
    db.fetch_record(stmt!(sql, id), staff_from_row).await
}

pub(crate) async fn get_staff_by_email<D: Dialect>(db: &D, email: &str) -> Result<Option<Staff>> {
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1");
    db.fetch_record(stmt!(sql, &normalise_email(email)), staff_from_row)
        .await
}

pub(crate) async fn list_staff<D: Dialect>(db: &D) -> Result<Vec<Staff>> {
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY email");
    db.fetch_records(stmt!(sql), staff_from_row).await
}

pub(crate) async fn count_staff<D: Dialect>(db: &D) -> Result<i64> {
    db.count(stmt!("SELECT COUNT(*) AS n FROM staff")).await
}

/// Sets a password chosen by its owner (no longer one-time).
pub(crate) async fn set_staff_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    let sql = "UPDATE staff SET password_hash = $1, must_change_password = FALSE,
         one_time_password_used = FALSE WHERE id = $2";
    db.write(stmt!(sql, password_hash, id)).await
}

pub(crate) async fn set_staff_disabled<D: Dialect>(
    db: &D,
    id: i64,
    disabled: bool,
) -> Result<bool> {
    let disable = stmt!("UPDATE staff SET disabled = $1 WHERE id = $2", disabled, id);
    update_staff(db, id, disable, disabled).await
}

/// Runs `update`, a change of account `id`, and ends the account's login sessions if
/// `end_sessions`, in one transaction. Returns whether the account exists.
async fn update_staff<D: Dialect>(
    db: &D,
    id: i64,
    update: Statement<'_>,
    end_sessions: bool,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let changed = tx.execute(update).await?;
    if end_sessions {
        tx.execute(stmt!("DELETE FROM staff_sessions WHERE staff_id = $1", id))
            .await?;
    }
    tx.commit().await?;
    Ok(changed > 0)
}

pub(crate) async fn consume_one_time_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    // One conditional update: the database serialises concurrent logins on the row.
    let sql = "UPDATE staff SET one_time_password_used = TRUE
         WHERE id = $1 AND password_hash = $2 AND must_change_password = TRUE
           AND one_time_password_used = FALSE";
    db.write(stmt!(sql, id, password_hash)).await
}

pub(crate) async fn reset_staff_password<D: Dialect>(
    db: &D,
    id: i64,
    password_hash: &str,
) -> Result<bool> {
    let sql = "UPDATE staff SET password_hash = $1, must_change_password = TRUE,
         one_time_password_used = FALSE WHERE id = $2";
    update_staff(db, id, stmt!(sql, password_hash, id), true).await
}

pub(crate) async fn create_staff_session<D: Dialect>(db: &D, session: &StaffSession) -> Result<()> {
    let sql = format!("INSERT INTO staff_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)");
    let s = stmt!(
        sql,
        &session.token_hash,
        session.staff_id,
        &session.csrf_token,
        session.created_at,
        session.expires_at
    );
    db.write(s).await?;
    Ok(())
}

pub(crate) async fn get_staff_session<D: Dialect>(
    db: &D,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffSession>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2"
    );
    db.fetch_record(stmt!(sql, token_hash, now), staff_session_from_row)
        .await
}

pub(crate) async fn delete_staff_session<D: Dialect>(db: &D, token_hash: &str) -> Result<()> {
    let sql = "DELETE FROM staff_sessions WHERE token_hash = $1";
    db.write(stmt!(sql, token_hash)).await?;
    Ok(())
}

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
    db.write(stmt!(sql, expires_at, token_hash, now)).await
}
