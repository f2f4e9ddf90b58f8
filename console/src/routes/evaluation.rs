//! Évaluation (opérateur): history of the eval runs and the last run's headline metrics.

use axum::extract::{Query, State};
use axum::response::Response;
use guichet_store::{Role, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use super::page as render;
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// Runs listed.
const RUNS_SHOWN: i64 = 30;

#[derive(Deserialize)]
pub(crate) struct EvalQuery {
    commune: Option<String>,
}

/// Flattens headline metrics into `(name, value)` rows (nested objects as `a.b`).
fn metric_rows(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                metric_rows(&name, inner, rows);
            }
        }
        Value::Number(n) => {
            let text = match n.as_f64() {
                Some(f) if n.is_f64() => format!("{f:.3}"),
                _ => n.to_string(),
            };
            rows.push((prefix.to_string(), text));
        }
        Value::String(s) => rows.push((prefix.to_string(), s.clone())),
        Value::Bool(b) => rows.push((prefix.to_string(), if *b { "oui" } else { "non" }.into())),
        Value::Null | Value::Array(_) => {}
    }
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<EvalQuery>,
) -> Result<Response> {
    user.require(&[Role::Operateur])?;
    let commune = match query.commune {
        Some(c) => c,
        None => user
            .communes()
            .first()
            .cloned()
            .ok_or(ConsoleError::NotFound)?,
    };
    if !user.has_commune(&commune) {
        return Err(ConsoleError::NotFound);
    }
    let runs = state
        .inner
        .store
        .list_eval_runs(&commune, RUNS_SHOWN)
        .await?;
    let tz = state.inner.communes.get(&commune).map(|c| c.timezone);
    let when = |at: chrono::DateTime<chrono::Utc>| match tz {
        Some(tz) => at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
        None => at.format("%d/%m/%Y %H:%M UTC").to_string(),
    };
    let history: Vec<Value> = runs
        .iter()
        .map(|run| {
            let mut rows = Vec::new();
            metric_rows("", &run.run.metrics, &mut rows);
            json!({
                "id": run.id,
                "at": when(run.run.at),
                "summary": rows.iter().take(4).map(|(k, v)| format!("{k} : {v}")).collect::<Vec<_>>().join(" · "),
            })
        })
        .collect();
    let latest = runs.first().map(|run| {
        let mut rows = Vec::new();
        metric_rows("", &run.run.metrics, &mut rows);
        json!({
            "at": when(run.run.at),
            "metrics": rows.into_iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
        })
    });
    let communes: Vec<_> = user
        .communes()
        .iter()
        .map(|c| {
            let name = state
                .inner
                .communes
                .get(c)
                .map_or_else(|| c.clone(), |x| x.name.clone());
            json!({ "id": c, "name": name, "selected": *c == commune })
        })
        .collect();
    render(
        &state,
        Some(&user),
        "eval.html",
        json!({ "communes": communes, "latest": latest, "history": history }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_flattened() {
        let mut rows = Vec::new();
        metric_rows(
            "",
            &json!({ "accuracy": 0.9234, "turns": 120, "by_action": { "answer": 0.95 } }),
            &mut rows,
        );
        assert!(rows.contains(&("accuracy".to_string(), "0.923".to_string())));
        assert!(rows.contains(&("turns".to_string(), "120".to_string())));
        assert!(rows.contains(&("by_action.answer".to_string(), "0.950".to_string())));
    }
}
