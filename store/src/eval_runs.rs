//! Evaluation runs: the headline metrics and full report of each `guichet eval` of a commune.

use crate::dialect::{Dialect, StoredRow, first_int, stmt};
use crate::error::{Result, StoreError};
use crate::model::{EvalRun, NewEvalRun};

const COLUMNS: &str = "id, at, commune, metrics, report";

fn eval_run_from_row(row: &impl StoredRow) -> Result<EvalRun> {
    const T: &str = "eval_runs";
    Ok(EvalRun {
        id: row.int("id")?,
        run: NewEvalRun {
            at: row.instant(T, "at")?,
            commune: row.text("commune")?,
            metrics: row.json(T, "metrics")?,
            report: row.json(T, "report")?,
        },
    })
}

pub(crate) async fn insert_eval_run<D: Dialect>(db: &D, run: &NewEvalRun) -> Result<i64> {
    let sql = "INSERT INTO eval_runs (at, commune, metrics, report) VALUES ($1, $2, $3, $4)
         RETURNING id";
    let s = stmt!(sql, run.at, &run.commune, &run.metrics, &run.report);
    let rows = db.write_returning(s).await?;
    first_int(&rows, "id")?.ok_or_else(|| StoreError::Invalid("evaluation run not inserted".into()))
}

pub(crate) async fn list_eval_runs<D: Dialect>(
    db: &D,
    commune: &str,
    limit: i64,
) -> Result<Vec<EvalRun>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM eval_runs WHERE commune = $1 ORDER BY at DESC, id DESC LIMIT $2"
    );
    let s = stmt!(sql, commune, limit.max(0));
    db.fetch_records(s, eval_run_from_row).await
}

pub(crate) async fn get_eval_run<D: Dialect>(
    db: &D,
    commune: &str,
    id: i64,
) -> Result<Option<EvalRun>> {
    let sql = format!("SELECT {COLUMNS} FROM eval_runs WHERE commune = $1 AND id = $2");
    db.fetch_record(stmt!(sql, commune, id), eval_run_from_row)
        .await
}
