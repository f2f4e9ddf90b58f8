//! The console's error layer: every error answer of a console route becomes a French page in
//! the console's layout (the error itself and its page of last resort are in `error.rs`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ErrorPage, bare_page, title};
use crate::state::ConsoleState;

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
