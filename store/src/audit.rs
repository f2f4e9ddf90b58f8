//! The audit log: who did what, where, when (append-only; read by commune scope).

use crate::dialect::{Dialect, StoredRow, first_int, stmt};
use crate::error::{Result, StoreError};
use crate::model::{AuditEntry, AuditRow};

fn audit_from_row(row: &impl StoredRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: row.int("id")?,
        entry: AuditEntry {
            at: row.instant("audit", "at")?,
            actor: row.text("actor")?,
            commune: row.opt_text("commune")?,
            action: row.text("action")?,
            detail: row.text("detail")?,
        },
    })
}

pub(crate) async fn append_audit<D: Dialect>(db: &D, entry: &AuditEntry) -> Result<i64> {
    let sql = "INSERT INTO audit (at, actor, commune, action, detail)
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let s = stmt!(
        sql,
        entry.at,
        &entry.actor,
        entry.commune.as_deref(),
        &entry.action,
        &entry.detail
    );
    let rows = db.write_returning(s).await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Invalid("audit entry not inserted".into()))
}

pub(crate) async fn list_audit<D: Dialect>(
    db: &D,
    communes: &[String],
    action_prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let sql = format!(
        "SELECT id, at, actor, commune, action, detail FROM audit
         WHERE {}
           AND ($2 IS NULL OR substr(action, 1, length($2)) = $2)
         ORDER BY at DESC, id DESC LIMIT $3",
        D::in_scope("commune", 1)
    );
    let s = stmt!(sql, communes, action_prefix, limit.max(0));
    db.fetch_records(s, audit_from_row).await
}
