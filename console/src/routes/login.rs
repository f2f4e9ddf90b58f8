//! Login form, login, logout.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::{StaffSession, StaffStore, normalise_email};
use serde::Deserialize;
use serde_json::json;

use super::{audit, page};
use crate::auth::{
    CurrentUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie_value, random_token, session_expiry,
    set_cookie, token_hash, tokens_match,
};
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use guichet_office::password::{hash_password_off_workers, verify_password_off_workers};

/// The login form's fields.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// A form holding only the CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// How long the login form's CSRF cookie lives.
const LOGIN_FORM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

pub(crate) async fn form(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
) -> Result<Response> {
    login_page(&state, &headers, StatusCode::OK, None, "")
}

/// Renders the login form, reusing the form's CSRF cookie or setting a new one.
fn login_page(
    state: &ConsoleState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Result<Response> {
    let token = cookie_value(headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(random_token);
    let mut response = page(
        state,
        None,
        "login.html",
        json!({ "login_csrf": token, "error": error, "email": email }),
    )?;
    *response.status_mut() = status;
    if let Some((name, value)) =
        set_cookie(state, LOGIN_CSRF_COOKIE, &token, Some(LOGIN_FORM_LIFETIME))
    {
        response.headers_mut().append(name, value);
    }
    Ok(response)
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop when configured.
fn client_address(state: &ConsoleState, headers: &HeaderMap, extensions: &Extensions) -> String {
    if state.inner.config.trust_forwarded_for
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return forwarded.to_string();
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "inconnue".to_string())
}

/// A hash to verify against when the e-mail is unknown, so that timing does not tell
/// whether an account exists (computed once, off the async workers).
async fn decoy_hash() -> &'static str {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            hash_password_off_workers(random_token())
                .await
                .unwrap_or_default()
        })
        .await
}

pub(crate) async fn submit(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let cookie_token = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !tokens_match(&form.csrf, &cookie_token) {
        return Err(ConsoleError::Csrf);
    }
    let now = state.now();
    let email = normalise_email(&form.email);
    let address = client_address(&state, &headers, &extensions);
    let throttle = &state.inner.throttle;
    // The attempt counts before its password is checked (see `throttle`).
    let Some(attempt) = throttle.begin(&email, &address, now) else {
        tracing::warn!(ip = %address, "console login throttled");
        audit(
            &state,
            &email,
            None,
            "login.throttled",
            format!("ip={address}"),
        )
        .await?;
        let mut response = login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Trop de tentatives de connexion. Réessayez dans quelques minutes."),
            &email,
        )?;
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("900"));
        return Ok(response);
    };
    let store = &state.inner.store;
    let staff = store.get_staff_by_email(&email).await?;
    let hash = match &staff {
        Some(staff) => staff.password_hash.clone(),
        None => decoy_hash().await.to_string(),
    };
    let password_ok = verify_password_off_workers(form.password, hash).await && staff.is_some();
    let staff = match staff {
        Some(staff) if password_ok && !staff.disabled => staff,
        _ => {
            audit(
                &state,
                &email,
                None,
                "login.failure",
                format!("ip={address}"),
            )
            .await?;
            return login_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                Some("Adresse e-mail ou mot de passe incorrect."),
                &email,
            );
        }
    };
    // A one-time password opens one session only: this login spends it (atomically: of two
    // logins at once, one is refused), and the account must choose its own in that session.
    if staff.must_change_password
        && !store
            .consume_one_time_password(staff.id, &staff.password_hash)
            .await?
    {
        audit(
            &state,
            &email,
            None,
            "login.one_time_spent",
            format!("ip={address}"),
        )
        .await?;
        return login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(
                "Ce mot de passe à usage unique a déjà servi. Demandez à un administrateur de \
                 le réinitialiser.",
            ),
            &email,
        );
    }
    throttle.succeeded(attempt, now);
    let token = random_token();
    let session = StaffSession {
        token_hash: token_hash(&token),
        staff_id: staff.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: session_expiry(&state, now, now),
    };
    store.create_staff_session(&session).await?;
    audit(&state, &staff.email, None, "login", format!("ip={address}")).await?;
    let base = &state.inner.config.base_path;
    let target = if staff.must_change_password {
        format!("{base}/mot-de-passe")
    } else {
        format!("{base}/")
    };
    let mut response = Redirect::to(&target).into_response();
    let lifetime = state.inner.config.session_max;
    for cookie in [
        set_cookie(&state, SESSION_COOKIE, &token, Some(lifetime)),
        set_cookie(&state, LOGIN_CSRF_COOKIE, "", None),
    ]
    .into_iter()
    .flatten()
    {
        response.headers_mut().append(cookie.0, cookie.1);
    }
    Ok(response)
}

pub(crate) async fn logout(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    state
        .inner
        .store
        .delete_staff_session(&user.session.token_hash)
        .await?;
    audit(&state, &user.staff.email, None, "logout", String::new()).await?;
    let base = &state.inner.config.base_path;
    let mut response = Redirect::to(&format!("{base}/connexion")).into_response();
    if let Some((name, value)) = set_cookie(&state, SESSION_COOKIE, "", None) {
        response.headers_mut().append(name, value);
    }
    Ok(response)
}
