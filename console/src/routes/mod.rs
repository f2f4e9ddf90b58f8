//! The console's HTTP routes (all relative to the mount point, `/console`).

mod accounts;
mod drafts;
mod evaluation;
mod login;
mod notifications;
mod password;
mod queue;
mod statistics;
mod suggestions;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use guichet_store::{AuditEntry, AuditStore, Role};
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::Result;
use crate::state::ConsoleState;

/// The console's router, with its routes already under [`crate::ConsoleConfig::base_path`]
/// (default `/console`): merge it into the service's router,
/// `app.merge(guichet_console::router(console_state))`.
pub fn router(state: ConsoleState) -> Router {
    let base = state
        .inner
        .config
        .base_path
        .trim_end_matches('/')
        .to_string();
    let at = |path: &str| format!("{base}{path}");
    Router::new()
        .route(&at(""), get(home))
        .route(&at("/"), get(home))
        .route(&at("/connexion"), get(login::form).post(login::submit))
        .route(&at("/deconnexion"), post(login::logout))
        .route(
            &at("/mot-de-passe"),
            get(password::form).post(password::submit),
        )
        .route(&at("/file"), get(queue::page))
        .route(&at("/file/flux"), get(queue::stream))
        .route(&at("/tickets/{id}"), get(queue::ticket))
        // The standardistes' desk (routes/queue).
        .route(&at("/historique"), get(queue::history))
        .route(&at("/tickets/{id}/prendre"), post(queue::actions::claim))
        .route(&at("/tickets/{id}/terminer"), post(queue::actions::close))
        .route(
            &at("/tickets/{id}/injoignable"),
            post(queue::actions::unreachable),
        )
        .route(&at("/tickets/{id}/note"), post(queue::actions::note))
        .route(&at("/tickets/{id}/remettre"), post(queue::actions::release))
        .route(
            &at("/tickets/{id}/reattribuer"),
            post(queue::actions::reassign),
        )
        .route(&at("/statistiques"), get(statistics::page))
        .route(&at("/statistiques/suggestion"), post(statistics::suggest))
        .route(
            &at("/statistiques/dialogue"),
            post(statistics::export_dialogue_route),
        )
        .route(&at("/suggestions"), get(suggestions::page))
        .route(&at("/suggestions/accepter"), post(suggestions::accept))
        .route(&at("/suggestions/rejeter"), post(suggestions::reject))
        .route(&at("/brouillons"), get(drafts::page))
        .route(&at("/brouillons/decider"), post(drafts::decide))
        .route(&at("/brouillons/enregistrer"), post(drafts::save))
        .route(&at("/brouillons/{commune}/{fiche}"), get(drafts::edit))
        .route(&at("/fiches/{commune}/{fiche}"), get(drafts::fiche_page))
        .route(&at("/fiches/enregistrer"), post(drafts::fiche_submit))
        .route(&at("/evaluation"), get(evaluation::page))
        .route(&at("/evaluation/{id}/rapport"), get(evaluation::report))
        .route(&at("/comptes"), get(accounts::page).post(accounts::create))
        .route(&at("/comptes/{id}/desactiver"), post(accounts::disable))
        .route(&at("/comptes/{id}/reactiver"), post(accounts::enable))
        .route(&at("/comptes/{id}/reinitialiser"), post(accounts::reset))
        .route(&at("/notifications"), get(notifications::page))
        .route(&at("/static/console.css"), get(stylesheet))
        .route(&at("/static/console.js"), get(script))
        // desk-office: the console's own French 404 and error pages.
        .route(
            &at("/{*unknown}"),
            axum::routing::any(crate::error::not_found),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::error_pages::error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::headers::security_headers,
        ))
        .with_state(state)
}

/// French label of a role.
pub(crate) fn role_label(role: Role) -> &'static str {
    match role {
        Role::Standardiste => "Standardiste",
        Role::Editeur => "Éditeur",
        Role::Operateur => "Opérateur",
        Role::Admin => "Administrateur",
    }
}

/// The context every page shares: mount point, signed-in account, CSRF token, menu.
pub(crate) fn base_context(state: &ConsoleState, user: Option<&CurrentUser>) -> Value {
    let base = &state.inner.config.base_path;
    match user {
        Some(user) => {
            let role = user.staff.role;
            let is = |roles: &[Role]| user.require(roles).is_ok();
            json!({
                "base": base,
                "user": {
                    "email": user.staff.email,
                    "role": role_label(role),
                    "communes": user.staff.communes.join(", "),
                },
                "csrf": user.session.csrf_token,
                "nav": {
                    "queue": is(&[Role::Standardiste]),
                    "stats": is(&[Role::Operateur]),
                    "eval": is(&[Role::Operateur]),
                    "suggestions": is(&[Role::Editeur]),
                    "drafts": is(&[Role::Editeur]),
                    "suggestions_count": suggestions::nav_count(state, user),
                    "accounts": is(&[]),
                    "notifications": is(&[Role::Standardiste, Role::Operateur]),
                },
            })
        }
        None => json!({ "base": base }),
    }
}

/// Renders a page: the shared context merged with the page's own.
pub(crate) fn page(
    state: &ConsoleState,
    user: Option<&CurrentUser>,
    template: &str,
    extra: Value,
) -> Result<Response> {
    let mut context = base_context(state, user);
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    let html = state.inner.templates.render(template, context)?;
    Ok(([(CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// Appends a staff action to the audit log.
pub(crate) async fn audit(
    state: &ConsoleState,
    actor: &str,
    commune: Option<&str>,
    action: &str,
    detail: String,
) -> Result<()> {
    state
        .inner
        .store
        .append_audit(&AuditEntry {
            at: state.now(),
            actor: actor.to_string(),
            commune: commune.map(str::to_string),
            action: action.to_string(),
            detail,
        })
        .await?;
    Ok(())
}

/// The landing page: the queue for standardistes, statistics for operators, a menu otherwise.
async fn home(state: axum::extract::State<ConsoleState>, user: CurrentUser) -> Result<Response> {
    let base = &state.inner.config.base_path;
    match user.staff.role {
        Role::Standardiste | Role::Admin => {
            Ok(Redirect::to(&format!("{base}/file")).into_response())
        }
        Role::Operateur => Ok(Redirect::to(&format!("{base}/statistiques")).into_response()),
        Role::Editeur => page(&state, Some(&user), "home.html", json!({})),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/console.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/console.js"),
    )
}
