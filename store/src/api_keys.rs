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

/// Stores a new key (validated first); its id.
pub(crate) async fn create_api_key<D: Dialect>(db: &D, key: &NewApiKey) -> Result<i64> {
    key.validate()?;
    let rows = db
        .write_returning(stmt!(
            "INSERT INTO api_keys (tenant, name, kind, token_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &key.tenant,
            key.name.trim(),
            key.kind.as_str(),
            &key.token_hash,
            key.created_at
        ))
        .await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Invalid("API key not inserted".into()))
}

/// The live (not revoked) key with this token hash.
pub(crate) async fn api_key_by_hash<D: Dialect>(
    db: &D,
    token_hash: &str,
) -> Result<Option<ApiKey>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL");
    let row = db.fetch_optional(stmt!(sql, token_hash)).await?;
    row.as_ref().map(api_key_from_row).transpose()
}

/// All keys, of one commune or of all, by id (revoked ones included).
pub(crate) async fn list_api_keys<D: Dialect>(db: &D, tenant: Option<&str>) -> Result<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE $1 IS NULL OR tenant = $1 ORDER BY id");
    let rows = db.fetch_all(stmt!(sql, tenant)).await?;
    rows.iter().map(api_key_from_row).collect()
}

/// Revokes a live key; whether it was live.
pub(crate) async fn revoke_api_key<D: Dialect>(db: &D, id: i64, at: DateTime<Utc>) -> Result<bool> {
    let changed = db
        .execute(stmt!(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            at,
            id
        ))
        .await?;
    Ok(changed == 1)
}

/// How many live keys exist.
pub(crate) async fn count_api_keys<D: Dialect>(db: &D) -> Result<i64> {
    let rows = db
        .fetch_all(stmt!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL",
        ))
        .await?;
    Ok(first_int(&rows, "n")?.unwrap_or(0))
}
