//! API keys: hashed bearer tokens of a commune's integrations, revocable.

use chrono::{DateTime, Utc};

use crate::dialect::{Dialect, StoredRow, first_int, stmt};
use crate::error::{Result, StoreError};
use crate::model::{ApiKey, NewApiKey};

const COLUMNS: &str = "id, tenant, name, kind, created_at, revoked_at";

fn api_key_from_row(row: &impl StoredRow) -> Result<ApiKey> {
    const T: &str = "api_keys";
    Ok(ApiKey {
        id: row.int("id")?,
        tenant: row.text("tenant")?,
        name: row.text("name")?,
        kind: row.parsed(T, "kind")?,
        created_at: row.instant(T, "created_at")?,
        revoked_at: row.opt_instant(T, "revoked_at")?,
    })
}

pub(crate) async fn create_api_key<D: Dialect>(db: &D, key: &NewApiKey) -> Result<i64> {
    key.validate()?;
    let sql = "INSERT INTO api_keys (tenant, name, kind, token_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let s = stmt!(
        sql,
        &key.tenant,
        key.name.trim(),
        key.kind.as_str(),
        &key.token_hash,
        key.created_at
    );
    let rows = db.write_returning(s).await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Invalid("API key not inserted".into()))
}

pub(crate) async fn api_key_by_hash<D: Dialect>(
    db: &D,
    token_hash: &str,
) -> Result<Option<ApiKey>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL");
    db.fetch_record(stmt!(sql, token_hash), api_key_from_row)
        .await
}

pub(crate) async fn list_api_keys<D: Dialect>(db: &D, tenant: Option<&str>) -> Result<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE $1 IS NULL OR tenant = $1 ORDER BY id");
    db.fetch_records(stmt!(sql, tenant), api_key_from_row).await
}

pub(crate) async fn revoke_api_key<D: Dialect>(db: &D, id: i64, at: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    db.write(stmt!(sql, at, id)).await
}

pub(crate) async fn count_api_keys<D: Dialect>(db: &D) -> Result<i64> {
    let sql = "SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL";
    db.count(stmt!(sql)).await
}
