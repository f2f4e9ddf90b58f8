//! Suggestions (éditeur): the utterances staff attached to a fiche from the Statistiques page,
//! reviewed and accepted into the fiche's questions, or rejected.

use std::path::Path;

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{audit, page as render};
use crate::auth::{CurrentUser, cookie_value, set_cookie};
use crate::config::ConsoleCommune;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use crate::suggestions::{
    ACCEPTED_DIR, Accepted, PENDING_DIR, PendingSuggestion, REJECTED_DIR, ReviewError,
    accept_suggestion, count_pending, is_suggestion_file_name, pending_suggestions,
    reject_suggestion,
};

/// Cookie carrying the outcome of the last action to the page shown after the redirect.
const FLASH_COOKIE: &str = "guichet_flash";
/// Lifetime of that cookie: long enough for the redirect.
const FLASH_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(120);
/// Largest flash kept (JSON bytes; hex doubles it, cookies hold about 4 kB).
const FLASH_MAX_BYTES: usize = 1800;

/// The outcome of an action, shown once on the next page.
#[derive(Debug, Serialize, Deserialize)]
struct Flash {
    ok: bool,
    message: String,
    #[serde(default)]
    details: Vec<String>,
}

impl Flash {
    fn ok(message: String) -> Self {
        Flash {
            ok: true,
            message,
            details: Vec::new(),
        }
    }

    fn error(message: String, details: Vec<String>) -> Self {
        Flash {
            ok: false,
            message,
            details,
        }
    }

    /// Hex of the JSON, shortened until it fits in a cookie: long lines cut, then the last
    /// details dropped (with a pointer to `guichet kb check`).
    fn encode(mut self) -> String {
        let cut = |text: &str, max: usize| -> String {
            if text.chars().count() <= max {
                text.to_string()
            } else {
                text.chars().take(max).chain(['…']).collect()
            }
        };
        self.message = cut(&self.message, 600);
        self.details = self.details.iter().map(|d| cut(d, 300)).collect();
        let size = |flash: &Flash| serde_json::to_vec(flash).map_or(0, |json| json.len());
        let mut dropped = 0;
        while size(&self) > FLASH_MAX_BYTES - 120 && self.details.pop().is_some() {
            dropped += 1;
        }
        if dropped > 0 {
            self.details.push(format!(
                "… et {dropped} autre(s) : lancez « guichet kb check » pour la liste complète"
            ));
        }
        hex::encode(serde_json::to_vec(&self).unwrap_or_default())
    }

    fn decode(value: &str) -> Option<Flash> {
        serde_json::from_slice(&hex::decode(value).ok()?).ok()
    }
}

/// Number shown beside "Suggestions" in the menu (éditeurs and admins): one directory listing
/// per commune of the viewer.
pub(crate) fn nav_count(state: &ConsoleState, user: &CurrentUser) -> usize {
    if user.require(&[Role::Editeur]).is_err() {
        return 0;
    }
    viewer_communes(state, user)
        .map(|commune| count_pending(&commune.dir))
        .sum()
}

fn viewer_communes<'a>(
    state: &'a ConsoleState,
    user: &'a CurrentUser,
) -> impl Iterator<Item = &'a ConsoleCommune> {
    user.communes()
        .iter()
        .filter_map(|id| state.inner.communes.get(id))
}

/// One commune's section of the page (blocking: reads and checks the knowledge folder).
fn commune_view(commune: &ConsoleCommune) -> std::io::Result<Value> {
    let pending = pending_suggestions(&commune.dir)?;
    if pending.is_empty() {
        return Ok(json!({ "id": commune.id, "name": commune.name, "suggestions": [] }));
    }
    // The folder as it is now (not as the console saw it at start): titles and questions.
    let report = guichet_knowledge::check(&commune.dir);
    let mut fiches: Vec<(String, String, Vec<String>)> = match &report.knowledge {
        Some(knowledge) => knowledge
            .fiches()
            .iter()
            .map(|f| (f.id.clone(), f.title.clone(), f.questions.clone()))
            .collect(),
        None => commune
            .fiches
            .iter()
            .map(|(id, title)| (id.clone(), title.clone(), Vec::new()))
            .collect(),
    };
    fiches.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
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
    let suggestions: Vec<Value> = pending
        .iter()
        .map(|PendingSuggestion { file, suggestion }| match suggestion {
            Ok(s) => {
                let fiche = fiches.iter().find(|(id, _, _)| *id == s.fiche);
                json!({
                    "file": file,
                    "readable": true,
                    "utterance": s.utterance,
                    "fiche": s.fiche,
                    "title": fiche.map(|(_, title, _)| title),
                    "questions": fiche.map(|(_, _, questions)| questions),
                    "by": s.by,
                    "at": crate::french::date_time(&s.at.with_timezone(&commune.timezone)),
                })
            }
            Err(reason) => json!({ "file": file, "readable": false, "reason": reason }),
        })
        .collect();
    let fiches: Vec<Value> = fiches
        .iter()
        .map(|(id, title, _)| json!({ "id": id, "title": title }))
        .collect();
    Ok(json!({
        "id": commune.id,
        "name": commune.name,
        "suggestions": suggestions,
        "fiches": fiches,
        "problems": problems,
    }))
}

async fn blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ConsoleError::Other(e.to_string()))
}

pub(crate) async fn page(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response> {
    user.require(&[Role::Editeur])?;
    let communes: Vec<ConsoleCommune> = viewer_communes(&state, &user).cloned().collect();
    let views = blocking(move || {
        communes
            .iter()
            .map(commune_view)
            .collect::<std::io::Result<Vec<Value>>>()
    })
    .await??;
    let total: usize = views
        .iter()
        .filter_map(|v| v["suggestions"].as_array().map(Vec::len))
        .sum();
    let flash = cookie_value(&headers, FLASH_COOKIE).and_then(|v| Flash::decode(&v));
    let mut response = render(
        &state,
        Some(&user),
        "suggestions.html",
        json!({ "communes": views, "total": total, "flash": flash }),
    )?;
    if flash.is_some()
        && let Some((name, value)) = set_cookie(&state, FLASH_COOKIE, "", None)
    {
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

/// The accept and reject forms.
#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    fichier: String,
    /// Accept only: the fiche chosen (default: the suggested one).
    #[serde(default)]
    fiche: String,
}

/// Checks a form: token, role, commune of the viewer, a suggestion file name.
fn reviewed<'a>(
    state: &'a ConsoleState,
    user: &CurrentUser,
    form: &ReviewForm,
) -> Result<&'a ConsoleCommune> {
    user.check_csrf(&form.csrf)?;
    user.require(&[Role::Editeur])?;
    if !user.has_commune(&form.commune) {
        return Err(ConsoleError::NotFound);
    }
    let commune = state
        .inner
        .communes
        .get(&form.commune)
        .ok_or(ConsoleError::NotFound)?;
    if !is_suggestion_file_name(&form.fichier) {
        return Err(ConsoleError::BadRequest(
            "nom de suggestion invalide".into(),
        ));
    }
    Ok(commune)
}

/// Back to the page, with the outcome in the flash cookie.
fn back(state: &ConsoleState, flash: Flash) -> Response {
    let base = &state.inner.config.base_path;
    let mut response = Redirect::to(&format!("{base}/suggestions")).into_response();
    if let Some((name, value)) =
        set_cookie(state, FLASH_COOKIE, &flash.encode(), Some(FLASH_MAX_AGE))
    {
        response.headers_mut().append(name, value);
    }
    response
}

/// A refused action: a flash for what the éditeur can act on, an error page otherwise.
fn refused(state: &ConsoleState, what: &str, error: ReviewError) -> Result<Response> {
    match error {
        ReviewError::BadName => Err(ConsoleError::BadRequest(error.to_string())),
        ReviewError::Io(io) => Err(ConsoleError::Io(io)),
        ReviewError::Invalid(lines) => Ok(back(
            state,
            Flash::error(
                format!("{what} : {}", ReviewError::Invalid(Vec::new())),
                lines,
            ),
        )),
        other => Ok(back(
            state,
            Flash::error(format!("{what} : {other}"), Vec::new()),
        )),
    }
}

fn accepted_message(accepted: &Accepted) -> String {
    let fiche = format!("« {} » ({})", accepted.title, accepted.fiche_file.display());
    let mut message = if accepted.added {
        format!(
            "Suggestion acceptée : « {} » est ajoutée aux questions de la fiche {fiche}. Elle sera prise en compte dans quelques secondes.",
            accepted.question
        )
    } else {
        format!(
            "Suggestion acceptée : la fiche {fiche} contient déjà cette question, elle n'est pas ajoutée une seconde fois."
        )
    };
    if let Some(first) = &accepted.still_first {
        message.push_str(&format!(
            " Attention : cette demande mène encore d'abord à la fiche « {first} » ; ajoutez des mots-clés propres à la fiche."
        ));
    }
    message
}

/// Checks the form, runs `step` on the commune's directory and the suggestion file off the async
/// runtime, and records the outcome in the audit log under the action and detail `audited`
/// gives. `Err(response)` when the step is refused: back to the page with a `refusal` flash.
async fn review<T: Send + 'static>(
    state: &ConsoleState,
    user: &CurrentUser,
    form: &ReviewForm,
    refusal: &str,
    step: impl FnOnce(&Path, &str) -> std::result::Result<T, ReviewError> + Send + 'static,
    audited: impl FnOnce(&T) -> (&'static str, String),
) -> Result<std::result::Result<T, Response>> {
    let commune = reviewed(state, user, form)?;
    let dir = commune.dir.clone();
    let file = form.fichier.clone();
    let done = match blocking(move || step(&dir, &file)).await? {
        Ok(done) => done,
        Err(error) => return refused(state, refusal, error).map(Err),
    };
    let (action, detail) = audited(&done);
    audit(state, &user.staff.email, Some(&commune.id), action, detail).await?;
    Ok(Ok(done))
}

pub(crate) async fn accept(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<ReviewForm>,
) -> Result<Response> {
    let fiche = form.fiche.clone();
    let accepted = review(
        &state,
        &user,
        &form,
        "Suggestion non acceptée",
        move |dir, file| accept_suggestion(dir, file, Some(fiche.as_str())),
        |accepted: &Accepted| {
            let detail = format!(
                "fiche={} file={} added={} moved_to={PENDING_DIR}/{ACCEPTED_DIR}",
                accepted.fiche, form.fichier, accepted.added
            );
            ("suggestion.accepted", detail)
        },
    )
    .await?;
    Ok(match accepted {
        Ok(accepted) => back(&state, Flash::ok(accepted_message(&accepted))),
        Err(refusal) => refusal,
    })
}

pub(crate) async fn reject(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<ReviewForm>,
) -> Result<Response> {
    let rejected = review(
        &state,
        &user,
        &form,
        "Suggestion non rejetée",
        reject_suggestion,
        |suggestion: &Option<_>| {
            let fiche = suggestion.as_ref().map_or("?", |s| s.fiche.as_str());
            let detail = format!(
                "fiche={fiche} file={} moved_to={PENDING_DIR}/{REJECTED_DIR}",
                form.fichier
            );
            ("suggestion.rejected", detail)
        },
    )
    .await?;
    let message = match rejected {
        Ok(Some(s)) => format!(
            "Suggestion rejetée : « {} » n'est pas ajoutée à la fiche {}.",
            s.utterance, s.fiche
        ),
        Ok(None) => "Suggestion illisible rejetée.".to_string(),
        Err(refusal) => return Ok(refusal),
    };
    Ok(back(&state, Flash::ok(message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_flashes_fit_in_a_cookie() {
        let details = (0..200)
            .map(|i| format!("fiches/f{i}.md:3: {}", "é".repeat(400)))
            .collect();
        let encoded = Flash::error("x".repeat(2000), details).encode();
        assert!(encoded.len() <= 2 * FLASH_MAX_BYTES, "{}", encoded.len());
        let back = Flash::decode(&encoded).expect("decodes");
        assert!(!back.ok);
        assert!(back.message.ends_with('…'));
        assert!(
            back.details
                .last()
                .is_some_and(|d| d.contains("guichet kb check"))
        );
        let short = Flash::ok("Suggestion rejetée.".into()).encode();
        let back = Flash::decode(&short).expect("decodes");
        assert!(back.ok && back.message == "Suggestion rejetée." && back.details.is_empty());
        assert!(Flash::decode("zz").is_none() && Flash::decode("00").is_none());
    }
}
