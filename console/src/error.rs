//! Errors of the console, answered as short French pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

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
        // The console's error layer ([`crate::error_pages::error_pages`]) renders it in the console's layout.
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// What an error response should tell its reader (set by [`ConsoleError`], read by
/// [`crate::error_pages::error_pages`]).
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    pub(crate) message: String,
}

/// The French title of an error status.
pub(crate) fn title(status: StatusCode) -> &'static str {
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

/// The page of last resort (the templates failed): still French, still escaped.
pub(crate) fn bare_page(status: StatusCode, message: &str) -> String {
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
