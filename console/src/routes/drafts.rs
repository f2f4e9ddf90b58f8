//! Brouillons (éditeur): the draft fiches of the viewer's communes (imported from
//! service-public.fr by `guichet kb import service-public`, or written by staff), each spoken
//! answer beside the source text it was drawn from; the éditeur edits the answer, publishes or
//! rejects one draft or a batch. The published fiches whose source changed since (flagged by a
//! re-import) are listed too. Every change is checked with the knowledge loader and undone when
//! the folder would no longer load; the running server picks the folder up by itself.

use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_knowledge::{FicheStatus, check};
use guichet_opendata::review;
use guichet_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{audit, page as render};
use crate::auth::CurrentUser;
use crate::config::ConsoleCommune;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// Largest form accepted (a batch of ids, or one edited answer).
const MAX_FORM_BYTES: usize = 64 * 1024;
/// Most fiches in one batch.
const MAX_BATCH: usize = 500;

/// The outcome shown after the redirect (numbers and an id only: nothing free-form in the URL).
#[derive(Deserialize, Default)]
pub(crate) struct Outcome {
    publiees: Option<usize>,
    rejetees: Option<usize>,
    enregistree: Option<String>,
    refus: Option<String>,
}

async fn blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ConsoleError::Other(e.to_string()))
}

/// One commune's section: its drafts and its flagged published fiches.
fn commune_view(commune: &ConsoleCommune) -> Value {
    let report = check(&commune.dir);
    let problems: Vec<String> = report
        .errors()
        .take(20)
        .map(|problem| {
            let mut shown = problem.clone();
            if let Ok(relative) = problem.path.strip_prefix(&commune.dir) {
                shown.path = relative.to_path_buf();
            }
            shown.to_string()
        })
        .collect();
    let Some(knowledge) = report.knowledge else {
        return json!({ "id": commune.id, "name": commune.name, "drafts": [], "flagged": [], "problems": problems });
    };
    let fiche_view = |fiche: &guichet_knowledge::Fiche| fiche_view(&commune.dir, fiche);
    let drafts: Vec<Value> = knowledge
        .unpublished()
        .iter()
        .filter(|fiche| fiche.status == FicheStatus::Brouillon)
        .map(fiche_view)
        .collect();
    let flagged: Vec<Value> = knowledge
        .fiches()
        .iter()
        .filter(|fiche| review::review_note(&commune.dir, &fiche.id).is_some())
        .map(fiche_view)
        .collect();
    json!({
        "id": commune.id,
        "name": commune.name,
        "drafts": drafts,
        "flagged": flagged,
        "published": knowledge.fiches().len(),
        "own": crate::fiche_edit::own_fiches(&commune.dir)
            .into_iter()
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect::<Vec<_>>(),
        "problems": problems,
    })
}

fn fiche_view(dir: &Path, fiche: &guichet_knowledge::Fiche) -> Value {
    {
        let source = fiche.source.as_ref();
        let source_id = source.and_then(|s| s.id.clone());
        json!({
            "id": fiche.id,
            "title": fiche.title,
            "competence": format!("{:?}", fiche.competence).to_lowercase(),
            "partner": fiche.partner,
            "answer": fiche.answer,
            "clarify": fiche.clarify.as_ref().map(|c| c.question.clone()),
            "questions": fiche.questions,
            "sms": fiche.sms_text(),
            "source_id": source_id,
            "source_date": source.and_then(|s| s.date).map(|d| crate::french::date(&d)),
            "source_url": source.and_then(|s| s.url.clone()),
            "source_paragraphs": source_id
                .as_deref()
                .and_then(|id| review::source_text(dir, id))
                .map(|text| text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect::<Vec<_>>()),
            "review": review::review_note(dir, &fiche.id),
        })
    }
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Query(outcome): Query<Outcome>,
) -> Result<Response> {
    user.require(&[Role::Editeur])?;
    let communes: Vec<ConsoleCommune> = user
        .communes()
        .iter()
        .filter_map(|id| state.inner.communes.get(id).cloned())
        .collect();
    let views = blocking(move || communes.iter().map(commune_view).collect::<Vec<_>>()).await?;
    let total: usize = views
        .iter()
        .filter_map(|v| v["drafts"].as_array().map(Vec::len))
        .sum();
    let refusal = outcome.refus.as_deref().map(|code| match code {
        "invalide" => "Modification annulée : le dossier de connaissances ne se chargerait plus (lancez « guichet kb check » pour le détail).",
        "vide" => "Aucune fiche choisie.",
        _ => "Action refusée.",
    });
    let enregistree = outcome.enregistree.filter(|id| {
        id.len() <= 100
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    render(
        &state,
        Some(&user),
        "drafts.html",
        json!({
            "communes": views,
            "total": total,
            "publiees": outcome.publiees,
            "rejetees": outcome.rejetees,
            "enregistree": enregistree,
            "refus": refusal,
        }),
    )
}

/// A posted form: `application/x-www-form-urlencoded`, repeated keys kept.
struct PostedForm(Vec<(String, String)>);

impl PostedForm {
    fn parse(body: &[u8]) -> Result<Self> {
        if body.len() > MAX_FORM_BYTES {
            return Err(ConsoleError::BadRequest(
                "formulaire trop volumineux".into(),
            ));
        }
        Ok(PostedForm(
            form_urlencoded::parse(body)
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        ))
    }

    fn one(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Token, role, commune of the viewer.
fn checked<'a>(
    state: &'a ConsoleState,
    user: &CurrentUser,
    form: &PostedForm,
) -> Result<&'a ConsoleCommune> {
    user.check_csrf(form.one("csrf"))?;
    user.require(&[Role::Editeur])?;
    let commune = form.one("commune");
    if !user.has_commune(commune) {
        return Err(ConsoleError::NotFound);
    }
    state
        .inner
        .communes
        .get(commune)
        .ok_or(ConsoleError::NotFound)
}

fn back(state: &ConsoleState, query: &str) -> Response {
    let base = &state.inner.config.base_path;
    Redirect::to(&format!("{base}/brouillons?{query}")).into_response()
}

/// Runs `change` on the folder; undoes it (restores the fiche files) when the folder no longer
/// loads. `Ok(false)`: undone.
fn guarded(
    dir: &Path,
    ids: &[String],
    change: impl FnOnce() -> std::result::Result<(), review::ReviewError>,
) -> std::result::Result<bool, review::ReviewError> {
    let mut saved = Vec::new();
    for id in ids {
        let path = review::fiche_path(dir, id)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|_| review::ReviewError::NotFound(id.clone()))?;
        saved.push((path, text));
    }
    change()?;
    if check(dir).knowledge.is_some() {
        return Ok(true);
    }
    for (path, text) in saved {
        guichet_opendata::import::write_atomic(&path, &text)?;
    }
    Ok(false)
}

/// Publish or reject: the ticked drafts, or the one whose own button was pressed.
pub(crate) async fn decide(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response> {
    let form = PostedForm::parse(&body)?;
    let commune = checked(&state, &user, &form)?;
    // "publier:<id>" / "rejeter:<id>" from a draft's own button, else the batch buttons.
    let (action, ids) = match form.one("une").split_once(':') {
        Some((action, id)) => (action.to_owned(), vec![id.to_owned()]),
        None => (form.one("action").to_owned(), form.all("fiche")),
    };
    let status = match action.as_str() {
        "publier" => FicheStatus::Publiee,
        "rejeter" => FicheStatus::Rejetee,
        _ => return Err(ConsoleError::BadRequest("action inconnue".into())),
    };
    if ids.is_empty() {
        return Ok(back(&state, "refus=vide"));
    }
    if ids.len() > MAX_BATCH {
        return Err(ConsoleError::BadRequest("trop de fiches à la fois".into()));
    }
    let dir = commune.dir.clone();
    let batch = ids.clone();
    let done = blocking(move || {
        guarded(&dir, &batch, || {
            for id in &batch {
                review::set_status(&dir, id, status)?;
            }
            Ok(())
        })
    })
    .await?;
    let applied = match done {
        Ok(applied) => applied,
        Err(review::ReviewError::BadId(_) | review::ReviewError::NotFound(_)) => {
            return Err(ConsoleError::NotFound);
        }
        Err(error) => return Err(ConsoleError::Other(error.to_string())),
    };
    if !applied {
        return Ok(back(&state, "refus=invalide"));
    }
    let (audit_action, key) = match status {
        FicheStatus::Publiee => ("draft.published", "publiees"),
        _ => ("draft.rejected", "rejetees"),
    };
    audit(
        &state,
        &user.staff.email,
        Some(&commune.id),
        audit_action,
        format!("fiches={}", ids.join(",")),
    )
    .await?;
    Ok(back(&state, &format!("{key}={}", ids.len())))
}

/// Saves the edited spoken answer of one draft.
pub(crate) async fn save(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response> {
    let form = PostedForm::parse(&body)?;
    let commune = checked(&state, &user, &form)?;
    let id = form.one("fiche").to_owned();
    let answer = form.one("reponse").to_owned();
    if answer.trim().is_empty() {
        return Err(ConsoleError::BadRequest("réponse vide".into()));
    }
    let dir = commune.dir.clone();
    let edited = id.clone();
    let done = blocking(move || {
        guarded(&dir, std::slice::from_ref(&edited), || {
            review::set_answer(&dir, &edited, &answer)
        })
    })
    .await?;
    match done {
        Ok(true) => {}
        Ok(false) => return Ok(back(&state, "refus=invalide")),
        Err(review::ReviewError::BadId(_) | review::ReviewError::NotFound(_)) => {
            return Err(ConsoleError::NotFound);
        }
        Err(review::ReviewError::TooLong(n)) => {
            return Err(ConsoleError::BadRequest(format!(
                "réponse trop longue ({n} caractères)"
            )));
        }
        Err(error) => return Err(ConsoleError::Other(error.to_string())),
    }
    audit(
        &state,
        &user.staff.email,
        Some(&commune.id),
        "draft.answer_edited",
        format!("fiche={id}"),
    )
    .await?;
    Ok(back(&state, &format!("enregistree={id}")))
}

/// The edit page of one draft: its spoken answer beside the source text.
pub(crate) async fn edit(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    axum::extract::Path((commune_id, id)): axum::extract::Path<(String, String)>,
) -> Result<Response> {
    user.require(&[Role::Editeur])?;
    if !user.has_commune(&commune_id) {
        return Err(ConsoleError::NotFound);
    }
    let commune = state
        .inner
        .communes
        .get(&commune_id)
        .ok_or(ConsoleError::NotFound)?
        .clone();
    let fiche = blocking(move || {
        review::fiche_path(&commune.dir, &id).ok()?;
        let knowledge = check(&commune.dir).knowledge?;
        let fiche = knowledge
            .unpublished()
            .iter()
            .find(|fiche| fiche.id == id && fiche.status == FicheStatus::Brouillon)?;
        Some(fiche_view(&commune.dir, fiche))
    })
    .await?
    .ok_or(ConsoleError::NotFound)?;
    render(
        &state,
        Some(&user),
        "draft_edit.html",
        json!({ "commune": commune_id, "fiche": fiche }),
    )
}

// ----- The fiche editor: any fiche of the commune's folder, previewed and checked -----

/// The editor's page: the fiche's text, and after a preview or a refused save, the fiche as
/// the robot would read it or the list of what is wrong.
struct Edited<'a> {
    id: &'a str,
    text: &'a str,
    digest: &'a str,
}

fn fiche_editor(
    state: &ConsoleState,
    user: &CurrentUser,
    commune: &ConsoleCommune,
    Edited { id, text, digest }: Edited<'_>,
    outcome: Value,
    status: axum::http::StatusCode,
) -> Result<Response> {
    let mut response = render(
        state,
        Some(user),
        "fiche_edit.html",
        json!({
            "commune": { "id": commune.id, "name": commune.name },
            "id": id,
            "text": text,
            "digest": digest,
            "max": crate::fiche_edit::MAX_FICHE_BYTES,
            "outcome": outcome,
        }),
    )?;
    *response.status_mut() = status;
    Ok(response)
}

/// What the éditeur sees of a fiche that checks: what the robot says and sends.
fn preview(fiche: &guichet_knowledge::Fiche) -> Value {
    json!({
        "title": fiche.title,
        "answer": fiche.answer,
        "clarify": fiche.clarify.as_ref().map(|c| c.question.clone()),
        "questions": fiche.questions,
        "sms": fiche.sms_text(),
        "published": fiche.status == FicheStatus::Publiee,
    })
}

/// The commune of the viewer named `id`, for an éditeur.
fn editor_commune<'a>(
    state: &'a ConsoleState,
    user: &CurrentUser,
    id: &str,
) -> Result<&'a ConsoleCommune> {
    user.require(&[Role::Editeur])?;
    if !user.has_commune(id) {
        return Err(ConsoleError::NotFound);
    }
    state.inner.communes.get(id).ok_or(ConsoleError::NotFound)
}

fn edit_refusal(error: crate::fiche_edit::FicheEditError) -> Result<Value> {
    use crate::fiche_edit::FicheEditError;
    match error {
        FicheEditError::NotFound => Err(ConsoleError::NotFound),
        FicheEditError::Io(error) => Err(ConsoleError::Io(error)),
        FicheEditError::Invalid(lines) => Ok(json!({
            "error": FicheEditError::Invalid(Vec::new()).to_string(),
            "problems": lines,
        })),
        other => Ok(json!({ "error": other.to_string(), "problems": [] })),
    }
}

pub(crate) async fn fiche_page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    axum::extract::Path((commune_id, id)): axum::extract::Path<(String, String)>,
) -> Result<Response> {
    let commune = editor_commune(&state, &user, &commune_id)?;
    let dir = commune.dir.clone();
    let wanted = id.clone();
    let source = match blocking(move || crate::fiche_edit::open_fiche(&dir, &wanted)).await? {
        Ok(source) => source,
        Err(crate::fiche_edit::FicheEditError::NotFound) => return Err(ConsoleError::NotFound),
        Err(error) => return Err(ConsoleError::Other(error.to_string())),
    };
    fiche_editor(
        &state,
        &user,
        commune,
        Edited {
            id: &id,
            text: &source.text,
            digest: &source.digest,
        },
        Value::Null,
        axum::http::StatusCode::OK,
    )
}

/// « Prévisualiser » (check, show) or « Enregistrer » (check, save, audit).
pub(crate) async fn fiche_submit(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response> {
    let form = PostedForm::parse(&body)?;
    user.check_csrf(form.one("csrf"))?;
    let commune = editor_commune(&state, &user, form.one("commune"))?;
    let id = form.one("fiche").to_owned();
    let text = form.one("texte").replace("\r\n", "\n");
    let digest = form.one("empreinte").to_owned();
    let saving = form.one("action") == "enregistrer";
    let dir = commune.dir.clone();
    let (checked_id, checked_text, expected) = (id.clone(), text.clone(), digest.clone());
    let result = blocking(move || {
        if saving {
            crate::fiche_edit::save_fiche(&dir, &checked_id, &checked_text, &expected)
        } else {
            crate::fiche_edit::check_fiche(&dir, &checked_id, &checked_text)
        }
    })
    .await?;
    let (outcome, status) = match result {
        Ok(fiche) => {
            if saving {
                audit(
                    &state,
                    &user.staff.email,
                    Some(&commune.id),
                    "fiche.edited",
                    format!("fiche={id}"),
                )
                .await?;
            }
            let message = if saving {
                "Fiche enregistrée : le service la prend en compte dans quelques secondes."
            } else {
                "La fiche est valide. Voici ce que l'assistant dira ; rien n'est encore enregistré."
            };
            (
                json!({ "ok": message, "preview": preview(&fiche), "saved": saving }),
                axum::http::StatusCode::OK,
            )
        }
        Err(error) => (
            edit_refusal(error)?,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    // After a save, the page carries the new text's digest (further saves build on it).
    let digest = if saving && status.is_success() {
        let dir = commune.dir.clone();
        let wanted = id.clone();
        blocking(move || crate::fiche_edit::open_fiche(&dir, &wanted))
            .await?
            .map(|source| source.digest)
            .unwrap_or(digest)
    } else {
        digest
    };
    let edited = Edited {
        id: &id,
        text: &text,
        digest: &digest,
    };
    fiche_editor(&state, &user, commune, edited, outcome, status)
}
