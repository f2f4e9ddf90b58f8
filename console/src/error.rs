//! Errors of the console, answered as short French pages.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::state::ConsoleState;

/// What can go wrong while serving a console page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] guichet_store::StoreError),
    /// Not found, or not in the viewer's communes (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// The viewer's role does not allow this page.
    #[error("forbidden")]
    Forbidden,
    /// A form arrived without the session's CSRF token.
    #[error("bad CSRF token")]
    Csrf,
    /// Too many failed logins.
    #[error("too many login attempts")]
    TooManyAttempts,
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The ticket's state forbids the action (someone else holds it…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// Writing a file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Something else.
    #[error("{0}")]
    Other(String),
}

impl ConsoleError {
    fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            ConsoleError::NotFound => (StatusCode::NOT_FOUND, "Page ou ticket introuvable.".into()),
            ConsoleError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Votre rôle ne vous donne pas accès à cette page.".into(),
            ),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulaire expiré ou invalide (jeton de sécurité manquant). Rechargez la page et recommencez."
                    .into(),
            ),
            ConsoleError::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de tentatives de connexion. Réessayez dans quelques minutes.".into(),
            ),
            ConsoleError::BadRequest(message) => {
                (StatusCode::BAD_REQUEST, format!("Requête invalide : {message}"))
            }
            ConsoleError::Conflict(message) => (StatusCode::CONFLICT, message.clone()),
            ConsoleError::Store(_)
            | ConsoleError::Template(_)
            | ConsoleError::Io(_)
            | ConsoleError::Other(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Une erreur interne est survenue. Réessayez ; si elle persiste, prévenez l'administrateur."
                    .into(),
            ),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, message) = self.status_and_message();
        if status.is_server_error() {
            tracing::error!(error = %self, "console error");
        }
        let mut response = (status, Html(bare_page(status, &message))).into_response();
        // The console's error layer ([`error_pages`]) renders it in the console's layout.
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// What an error response should tell its reader (set by [`ConsoleError`], read by
/// [`error_pages`]).
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    message: String,
}

/// The French title of an error status.
fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 415 | 422 => "Requête invalide",
        401 => "Connexion requise",
        403 => "Accès refusé",
        404 => "Page introuvable",
        405 | 409 => "Action impossible",
        413 => "Envoi trop volumineux",
        429 => "Trop de demandes",
        _ => "Erreur interne",
    }
}

/// What to say of an error no handler described (the framework's own refusals: an unknown
/// method, a body over the size limit, a malformed form…), in French.
fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "Le formulaire envoyé est incomplet ou mal formé.",
        401 => "Votre session a expiré : reconnectez-vous.",
        403 => "Votre rôle ne vous donne pas accès à cette page.",
        404 => "Page ou ticket introuvable.",
        405 => "Cette action n'est pas possible à cette adresse.",
        409 => "L'état du ticket ne permet plus cette action : rechargez la page.",
        413 => "Le contenu envoyé dépasse la taille admise.",
        415 => "Le formulaire n'a pas été envoyé sous la forme attendue.",
        429 => "Trop de demandes en peu de temps. Réessayez dans quelques minutes.",
        _ => {
            "Une erreur interne est survenue. Réessayez ; si elle persiste, prévenez l'administrateur."
        }
    }
}

/// The console's error layer: every error answer of a console route (a handler's
/// [`ConsoleError`], or the framework's plain-text refusals) becomes a French page in the
/// console's layout and stylesheet, with no technical detail. Pages a handler rendered itself
/// (a form shown again with its error) pass unchanged, and so does the live queue's 401.
///
/// The console's router applies it to its routes. A service that refuses requests before they
/// reach the router (a body-size limit in front of everything) may also wrap its whole app
/// with it, `axum::middleware::from_fn_with_state(console_state, error_pages)`: it only
/// touches answers to paths under the console's mount point.
pub async fn error_pages(
    State(state): State<ConsoleState>,
    request: Request,
    next: Next,
) -> Response {
    let base = state.inner.config.base_path.trim_end_matches('/');
    let path = request.uri().path();
    let under_console = path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'));
    if !under_console {
        return next.run(request).await;
    }
    let event_stream = request
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || event_stream {
        return response;
    }
    let message = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.message.clone(),
        None if is_html(&response) => return response,
        None => default_message(status).to_string(),
    };
    let context = serde_json::json!({
        "base": state.inner.config.base_path,
        "status": status.as_u16(),
        "title": title(status),
        "message": message,
    });
    let html = match state.inner.templates.render("error.html", context) {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(%error, "console error page does not render");
            bare_page(status, &message)
        }
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(html))
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The page of last resort (the templates failed): still French, still escaped.
fn bare_page(status: StatusCode, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Guichet — {}</title></head>\
         <body><main><h1>{}</h1><p>{}</p><p>Revenez à la page précédente avec le bouton « Retour » du navigateur.</p></main></body></html>",
        title(status),
        title(status),
        escape(message)
    )
}

/// Unknown console addresses: the console's own 404 page (not the service's).
pub(crate) async fn not_found() -> ConsoleError {
    ConsoleError::NotFound
}

/// Result alias of the handlers.
pub type Result<T, E = ConsoleError> = std::result::Result<T, E>;

/// Minimal HTML escaping for the page of last resort (templates escape on their own).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
