//! Évaluation (opérateur): the recorded eval runs of a commune judged against the CI's gates
//! (`guichet_eval::gates::Gates::CI`), each figure under its French label, and each run's
//! HTML report.
//!
//! The report is drawn from the run's full report kept in the store (the same renderer as
//! `guichet eval --out`): no file path is involved, so nothing outside the store can be read
//! through this page, and every node serves every run.

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use guichet_eval::gates::{Gates, Limit};
use guichet_eval::{Report, history};
use guichet_store::{EvalRun, EvalRunStore, Role};
use serde::Deserialize;
use serde_json::{Value, json};

use super::page as render;
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::french;
use crate::state::ConsoleState;

/// Runs listed.
const RUNS_SHOWN: i64 = 30;

/// The report is a self-contained page with its own inline styles and no script: it may use
/// them, and nothing else (sandboxed, not framable).
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

#[derive(Deserialize)]
pub(crate) struct EvalQuery {
    commune: Option<String>,
}

/// One stored figure, ready to show.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    label: &'static str,
    value: String,
    /// « au moins 95,0 % » / « au plus 1,0 % ».
    threshold: Option<String>,
    /// Whether the gate holds (`None`: no gate on this figure).
    passed: Option<bool>,
}

/// Flattens headline metrics into `(key, value)` (nested objects as `a.b`).
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, rows);
            }
        }
        other => rows.push((prefix.to_string(), other.clone())),
    }
}

/// The figures of a run's headline, judged against `gates`; keys without a French label
/// (another version's) are left out rather than shown as codes.
fn figures(metrics: &Value, gates: &Gates) -> Vec<Figure> {
    let mut rows = Vec::new();
    flatten("", metrics, &mut rows);
    rows.into_iter()
        .filter_map(|(key, value)| {
            let label = history::label(&key)?;
            let rate = value.as_f64();
            let limit = history::limit(&key, gates);
            let shown = match (&value, rate) {
                (Value::Null, _) => "rien de mesuré".to_string(),
                (_, Some(rate)) if history::is_rate(&key) => french::fraction_percent(rate),
                (_, Some(us)) if key.ends_with("_us") => {
                    format!("{} ms", french::decimal(us / 1000.0))
                }
                (Value::Number(n), _) => n
                    .as_u64()
                    .map_or_else(|| n.to_string(), |n| french::integer(n as usize)),
                (Value::String(mode), _) if key == "détails.mode" => mode_label(mode),
                (Value::String(text), _) => text.clone(),
                (Value::Bool(b), _) => if *b { "oui" } else { "non" }.to_string(),
                _ => return None,
            };
            Some(Figure {
                label,
                value: shown,
                threshold: limit.map(|limit| match limit {
                    Limit::AtLeast(floor) => {
                        format!("au moins {}", french::fraction_percent(floor))
                    }
                    Limit::AtMost(ceiling) => {
                        format!("au plus {}", french::fraction_percent(ceiling))
                    }
                }),
                passed: limit.map(|limit| limit.holds(rate)),
            })
        })
        .collect()
}

/// How the run replayed the dialogues, in French.
fn mode_label(mode: &str) -> String {
    if mode == "in-process" {
        "dans le service même".to_string()
    } else {
        format!("par le réseau ({mode})")
    }
}

fn figure_json(figure: &Figure) -> Value {
    json!({
        "label": figure.label,
        "value": figure.value,
        "threshold": figure.threshold,
        "verdict": figure.passed.map(|ok| if ok { "pass" } else { "fail" }),
    })
}

/// The commune asked for, if the viewer may see it (default: the viewer's first).
fn chosen(user: &CurrentUser, asked: Option<String>) -> Result<String> {
    let commune = match asked {
        Some(c) => c,
        None => user
            .communes()
            .first()
            .cloned()
            .ok_or(ConsoleError::NotFound)?,
    };
    if user.has_commune(&commune) {
        Ok(commune)
    } else {
        Err(ConsoleError::NotFound)
    }
}

fn run_json(run: &EvalRun, when: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String) -> Value {
    let all = figures(&run.run.metrics, &Gates::CI);
    let gated: Vec<&Figure> = all.iter().filter(|f| f.passed.is_some()).collect();
    let failed = gated.iter().filter(|f| f.passed == Some(false)).count();
    json!({
        "id": run.id,
        "at": when(run.run.at),
        "gated": gated.iter().map(|f| figure_json(f)).collect::<Vec<_>>(),
        "passed": failed == 0,
        "verdict": match failed {
            0 => "Tous les seuils sont respectés".to_string(),
            1 => "1 seuil n'est pas respecté".to_string(),
            n => format!("{n} seuils ne sont pas respectés"),
        },
        "figures": all.iter().map(figure_json).collect::<Vec<_>>(),
    })
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<EvalQuery>,
) -> Result<Response> {
    user.require(&[Role::Operateur])?;
    let commune = chosen(&user, query.commune)?;
    let runs = state
        .inner
        .store
        .list_eval_runs(&commune, RUNS_SHOWN)
        .await?;
    let when = |at: chrono::DateTime<chrono::Utc>| state.local_time(&commune, at);
    let history: Vec<Value> = runs.iter().map(|run| run_json(run, &when)).collect();
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
        json!({
            "commune": commune,
            "communes": communes,
            "latest": history.first(),
            "history": history,
        }),
    )
}

/// A run's HTML report, drawn from the report the store keeps.
pub(crate) async fn report(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<EvalQuery>,
) -> Result<Response> {
    user.require(&[Role::Operateur])?;
    let commune = chosen(&user, query.commune)?;
    let run = state
        .inner
        .store
        .get_eval_run(&commune, id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let report: Report = serde_json::from_value(run.run.report).map_err(|error| {
        tracing::warn!(run = id, %error, "a stored eval report does not read back");
        ConsoleError::NotFound
    })?;
    let html = guichet_eval::report::html::render(&report, &Gates::CI)?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(REPORT_CSP),
            ),
        ],
        html,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_have_french_labels_thresholds_and_verdicts() {
        let metrics = json!({
            "1_fiches_justes": 0.985,
            "2_fausses_routes": 0.02,
            "3_dialogues_réussis": null,
            "clé_inconnue": 3,
            "détails": { "dialogues": 1319, "fausses_réponses": 0.004, "latence_p95_us": 12345,
                         "mode": "in-process" },
        });
        let figures = figures(&metrics, &Gates::CI);
        let find = |label: &str| {
            figures
                .iter()
                .find(|f| f.label == label)
                .unwrap_or_else(|| panic!("{label} in {figures:?}"))
        };
        let accuracy = find("Précision des fiches");
        assert_eq!(accuracy.value, "98,5\u{a0}%");
        assert_eq!(accuracy.threshold.as_deref(), Some("au moins 95,0\u{a0}%"));
        assert_eq!(accuracy.passed, Some(true));
        let misroute = find("Taux de mauvaise orientation");
        assert_eq!(misroute.threshold.as_deref(), Some("au plus 1,0\u{a0}%"));
        assert_eq!(misroute.passed, Some(false));
        assert_eq!(find("Taux de fausses réponses").passed, Some(true));
        assert_eq!(find("Dialogues réussis").value, "rien de mesuré");
        assert_eq!(find("Dialogues réussis").passed, None);
        assert_eq!(find("Dialogues rejoués").value, "1\u{202f}319");
        assert_eq!(find("Mode de rejeu").value, "dans le service même");
        assert!(
            find("Temps de réponse (95 sur 100 en moins de)")
                .value
                .ends_with(" ms")
        );
        assert_eq!(figures.len(), 7, "the unknown key is left out: {figures:?}");
    }
}
