//! Statistiques (opérateur): figures of the period, misunderstood utterances, and the
//! "attach to a fiche" / "export as a dialogue" actions.

use axum::extract::{Form, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::{Role, SessionStore, TicketFilter, TicketStore};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{audit, page as render};
use crate::auth::CurrentUser;
use crate::config::ConsoleCommune;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use crate::suggestions::{Suggestion, export_dialogue, write_suggestion};
use crate::{chart, french, stats};

/// Longest period shown.
const MAX_DAYS: i64 = 366;

#[derive(Deserialize)]
pub(crate) struct StatsQuery {
    commune: Option<String>,
    jours: Option<i64>,
    ok: Option<String>,
}

/// The commune asked for, if the viewer may see it (default: the viewer's first).
fn chosen_commune<'a>(
    state: &'a ConsoleState,
    user: &CurrentUser,
    asked: Option<&str>,
) -> Result<&'a ConsoleCommune> {
    let id = match asked {
        Some(id) => id,
        None => user
            .communes()
            .iter()
            .find(|c| state.inner.communes.contains_key(*c))
            .map(String::as_str)
            .ok_or(ConsoleError::NotFound)?,
    };
    if !user.has_commune(id) {
        return Err(ConsoleError::NotFound);
    }
    state.inner.communes.get(id).ok_or(ConsoleError::NotFound)
}

/// Most tickets read for the handling times of one period.
const MAX_TICKETS: i64 = 20_000;
/// Misunderstood requests listed (groups).
const MISUNDERSTOOD_SHOWN: usize = 100;

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> Result<Response> {
    user.require(&[Role::Operateur])?;
    let commune = chosen_commune(&state, &user, query.commune.as_deref())?;
    let days = query.jours.unwrap_or(7).clamp(1, MAX_DAYS);
    let now = state.now();
    let from = now - chrono::Duration::days(days);
    let store = &state.inner.store;
    let sessions = store.sessions_between(&commune.id, from, now).await?;
    let turns = store.turns_between(&commune.id, from, now).await?;
    let tickets = store
        .list_tickets(&TicketFilter {
            communes: vec![commune.id.clone()],
            states: Vec::new(),
            since: Some(from),
            limit: Some(MAX_TICKETS),
            ..TicketFilter::default()
        })
        .await?;
    let figures = stats::compute(&sessions, &turns, &tickets, commune.timezone, now);
    let tz = commune.timezone;
    let max_hour = figures.per_hour.iter().copied().max().unwrap_or(0).max(1);
    let hours: Vec<_> = figures
        .per_hour
        .iter()
        .enumerate()
        .map(|(hour, count)| json!({ "hour": hour, "count": count, "width": count * 100 / max_hour }))
        .collect();
    let by_day: Vec<(String, stats::Tally)> = figures
        .per_day
        .iter()
        .map(|(day, tally)| (french::short_date(day), *tally))
        .collect();
    let by_week: Vec<(String, stats::Tally)> = figures
        .per_week
        .iter()
        .map(|(monday, tally)| (french::short_date(monday), *tally))
        .collect();
    let period_rows = |rows: &[(String, stats::Tally)]| -> Vec<Value> {
        rows.iter()
            .map(|(label, t)| {
                json!({
                    "label": label,
                    "calls": french::integer(t.calls),
                    "robot": french::percent(t.percent(t.settled_by_robot)),
                    "transfers": french::percent(t.percent(t.transfers)),
                    "callbacks": french::percent(t.percent(t.callbacks)),
                    "lost": french::percent(t.percent(t.lost)),
                    "open": french::integer(t.in_progress),
                })
            })
            .collect()
    };
    let title_of = |id: &str| {
        commune
            .fiches
            .iter()
            .find(|(fiche, _)| fiche == id)
            .map_or_else(|| id.to_string(), |(_, title)| title.clone())
    };
    let topics: Vec<_> = figures
        .top_topics
        .iter()
        .map(|(fiche, count)| json!({ "title": title_of(fiche), "count": french::integer(*count) }))
        .collect();
    let misunderstood: Vec<_> = figures
        .misunderstood_groups()
        .into_iter()
        .take(MISUNDERSTOOD_SHOWN)
        .map(|group| {
            let m = group.latest;
            let why = match (m.action.as_str(), m.confidence) {
                ("fallback", _) | (_, None) => stats::decision_label(&m.action)
                    .unwrap_or("Demande non comprise")
                    .to_string(),
                (_, Some(confidence)) => format!(
                    "Réponse peu sûre (confiance {})",
                    french::fraction_percent(confidence)
                ),
            };
            json!({
                "conversation_id": m.conversation_id,
                "seq": m.seq,
                "at": french::date_time(&m.at.with_timezone(&tz)),
                "text": m.text,
                "count": group.count,
                "why": why,
                "guess": m.fiche.as_deref().map(title_of),
            })
        })
        .collect();
    let fiches: Vec<_> = commune
        .fiches
        .iter()
        .map(|(id, title)| json!({ "id": id, "title": title }))
        .collect();
    let communes: Vec<_> = user
        .communes()
        .iter()
        .filter_map(|c| state.inner.communes.get(c))
        .map(|c| json!({ "id": c.id, "name": c.name, "selected": c.id == commune.id }))
        .collect();
    let total = figures.total;
    let share = |n: usize| json!({ "count": french::integer(n), "pct": french::percent(figures.percent(n)) });
    let spread = |s: Option<stats::Spread>| {
        s.map(|s| {
            json!({
                "count": french::integer(s.count),
                "median": french::duration(s.median),
                "p90": french::duration(s.p90),
            })
        })
    };
    let legend: Vec<_> = chart::SERIES
        .iter()
        .map(|(class, label)| json!({ "class": class, "label": label }))
        .collect();
    render(
        &state,
        Some(&user),
        "stats.html",
        json!({
            "commune": { "id": commune.id, "name": commune.name },
            "communes": communes,
            "days": days,
            "from": french::date_time(&from.with_timezone(&tz)),
            "to": french::date_time(&now.with_timezone(&tz)),
            "calls": french::integer(total.calls),
            "calls_label": if total.calls > 1 { "appels et messages" } else { "appel ou message" },
            "open": share(total.in_progress),
            "robot": share(total.settled_by_robot),
            "transfers": share(total.transfers),
            "callbacks": share(total.callbacks),
            "callbacks_open": french::counted(figures.callbacks_open, "rappel", "rappels"),
            "tickets_open": french::integer(figures.tickets_open),
            "tickets_open_label": if figures.tickets_open > 1 {
                "tickets de la période encore ouverts"
            } else {
                "ticket de la période encore ouvert"
            },
            "unanswered": french::counted(
                figures.unanswered_transfers,
                "transfert sans réponse du standard compté",
                "transferts sans réponse du standard comptés",
            ),
            "lost": share(total.lost),
            "satisfied": french::integer(figures.satisfied),
            "answered_satisfaction": french::integer(figures.satisfied + figures.unsatisfied),
            "waiting": spread(figures.waiting),
            "handling": spread(figures.handling),
            "legend": legend,
            "day_chart": chart::stacked(&by_day),
            "week_chart": chart::stacked(&by_week),
            "per_day": period_rows(&by_day),
            "per_week": period_rows(&by_week),
            "per_hour": hours,
            "topics": topics,
            "misunderstood": misunderstood,
            "fiches": fiches,
            "ok": query.ok,
        }),
    )
}

/// The "attach to a fiche" form (also used by "export as a dialogue").
#[derive(Deserialize)]
pub(crate) struct AttachForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    conversation_id: String,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    fiche: String,
}

/// Checks the form and finds the conversation's turns (the utterance is read from the store,
/// never taken from the form).
async fn attached<'a>(
    state: &'a ConsoleState,
    user: &CurrentUser,
    form: &AttachForm,
) -> Result<(&'a ConsoleCommune, Vec<guichet_store::Turn>, String)> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Operateur])?;
    let commune = chosen_commune(state, user, Some(&form.commune))?;
    if !commune.fiches.iter().any(|(id, _)| *id == form.fiche) {
        return Err(ConsoleError::BadRequest("fiche inconnue".into()));
    }
    let turns = state
        .inner
        .store
        .conversation_turns(&commune.id, &form.conversation_id)
        .await?;
    let utterance = turns
        .iter()
        .find(|t| t.seq == form.seq)
        .map(|t| t.caller_text.clone())
        .filter(|text| !text.trim().is_empty())
        .ok_or(ConsoleError::NotFound)?;
    Ok((commune, turns, utterance))
}

pub(crate) async fn suggest(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<AttachForm>,
) -> Result<Response> {
    let (commune, _, utterance) = attached(&state, &user, &form).await?;
    let suggestion = Suggestion {
        fiche: form.fiche.clone(),
        utterance,
        by: user.staff.email.clone(),
        at: state.now(),
    };
    let dir = commune.dir.clone();
    let path = tokio::task::spawn_blocking(move || write_suggestion(&dir, &suggestion))
        .await
        .map_err(|e| ConsoleError::Other(e.to_string()))??;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    audit(
        &state,
        &user.staff.email,
        Some(&commune.id),
        "suggestion.create",
        format!("fiche={} file={file}", form.fiche),
    )
    .await?;
    let base = &state.inner.config.base_path;
    Ok(Redirect::to(&format!(
        "{base}/statistiques?commune={}&ok=suggestion",
        commune.id
    ))
    .into_response())
}

pub(crate) async fn export_dialogue_handler(
    state: &ConsoleState,
    user: &CurrentUser,
    form: &AttachForm,
) -> Result<Response> {
    let (commune, turns, _) = attached(state, user, form).await?;
    let session = state
        .inner
        .store
        .load_session(&commune.id, &form.conversation_id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let name = format!("Énoncé mal compris, attendu : {}", form.fiche);
    let yaml = export_dialogue(
        &name,
        session.channel,
        session.started_at,
        commune.timezone,
        &turns,
        form.seq,
        &form.fiche,
    )
    .map_err(|e| ConsoleError::Other(e.to_string()))?;
    audit(
        state,
        &user.staff.email,
        Some(&commune.id),
        "dialogue.export",
        format!("fiche={} seq={}", form.fiche, form.seq),
    )
    .await?;
    let file = format!(
        "attachment; filename=\"{}-{}.yaml\"",
        state.now().format("%Y%m%dT%H%M%SZ"),
        form.fiche
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    );
    Ok((
        [
            (CONTENT_TYPE, "application/yaml; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, file),
        ],
        yaml,
    )
        .into_response())
}

pub(crate) async fn export_dialogue_route(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<AttachForm>,
) -> Result<Response> {
    export_dialogue_handler(&state, &user, &form).await
}
