//! Login sessions: the cookie, the signed-in account, CSRF tokens and roles.

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use guichet_store::{Role, Staff, StaffSession, StaffStore};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;

/// Name of the login session cookie.
pub(crate) const SESSION_COOKIE: &str = "guichet_session";
/// Name of the login form's CSRF cookie (double submit, before any session exists).
pub(crate) const LOGIN_CSRF_COOKIE: &str = "guichet_login_csrf";

/// A random token (256 bits), hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a cookie token: its SHA-256 (the token itself is never stored).
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two tokens.
pub(crate) fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of a cookie in the request headers.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|cookie| cookie.ok())
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// A `Set-Cookie` header for the console (HttpOnly, SameSite=Strict, Secure behind https).
pub(crate) fn set_cookie(
    state: &ConsoleState,
    name: &str,
    value: &str,
    max_age: Option<std::time::Duration>,
) -> Option<(axum::http::HeaderName, HeaderValue)> {
    let config = &state.inner.config;
    let mut builder = Cookie::build((name.to_string(), value.to_string()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.secure_cookies())
        .path(config.base_path.clone());
    builder = match max_age {
        Some(age) => builder.max_age(cookie::time::Duration::seconds(
            i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
        )),
        None => builder.max_age(cookie::time::Duration::ZERO),
    };
    HeaderValue::from_str(&builder.build().to_string())
        .ok()
        .map(|value| (SET_COOKIE, value))
}

/// The session expiry for a session created at `created_at`, seen active at `now`:
/// idle timeout, capped by the maximum session length.
pub(crate) fn session_expiry(
    state: &ConsoleState,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let config = &state.inner.config;
    let idle = chrono::Duration::from_std(config.session_idle).unwrap_or(chrono::Duration::MAX);
    let max = chrono::Duration::from_std(config.session_max).unwrap_or(chrono::Duration::MAX);
    let by_idle = now
        .checked_add_signed(idle)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let by_max = created_at
        .checked_add_signed(max)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    by_idle.min(by_max)
}

/// The signed-in account of a request.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser {
    pub staff: Staff,
    pub session: StaffSession,
}

impl CurrentUser {
    /// Allows the request if the account has one of `roles` (admins may do everything).
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        if self.staff.role == Role::Admin || roles.contains(&self.staff.role) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    /// Checks a form's CSRF token against the session's.
    pub fn check_csrf(&self, token: &str) -> Result<()> {
        if tokens_match(token, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }

    /// The communes this account may see.
    pub fn communes(&self) -> &[String] {
        &self.staff.communes
    }

    /// Whether the account may see `commune`.
    pub fn has_commune(&self, commune: &str) -> bool {
        self.staff.communes.iter().any(|c| c == commune)
    }
}

/// Not signed in (or the session expired): back to the login form; a live queue's stream
/// (which cannot follow a redirect to a page) gets a plain 401, and its script tries again.
pub(crate) struct LoginRequired {
    login_url: String,
    event_stream: bool,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.event_stream {
            StatusCode::UNAUTHORIZED.into_response()
        } else {
            Redirect::to(&self.login_url).into_response()
        }
    }
}

/// Whether a request is an `EventSource`'s (it asks for `text/event-stream`).
fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// The pages an account with a one-time password may reach: the password change, and leaving.
fn allowed_before_password_change(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest == "/mot-de-passe" || rest == "/deconnexion")
}

impl FromRequestParts<ConsoleState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let base = &state.inner.config.base_path;
        let login = LoginRequired {
            login_url: format!("{base}/connexion"),
            event_stream: wants_event_stream(&parts.headers),
        };
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else {
            return Err(login.into_response());
        };
        let now = state.now();
        let store = &state.inner.store;
        let hash = token_hash(&token);
        let session = match store.get_staff_session(&hash, now).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(login.into_response()),
            Err(error) => return Err(ConsoleError::from(error).into_response()),
        };
        let staff = match store.get_staff(session.staff_id).await {
            Ok(Some(staff)) if !staff.disabled => staff,
            Ok(_) => return Err(login.into_response()),
            Err(error) => return Err(ConsoleError::from(error).into_response()),
        };
        let session = match extend_session(state, session, now).await {
            Ok(session) => session,
            Err(error) => return Err(error.into_response()),
        };
        if staff.must_change_password && !allowed_before_password_change(parts.uri.path(), base) {
            return Err(if login.event_stream {
                StatusCode::UNAUTHORIZED.into_response()
            } else {
                Redirect::to(&format!("{base}/mot-de-passe")).into_response()
            });
        }
        Ok(CurrentUser { staff, session })
    }
}

/// Slides the idle timeout forward ([`StaffStore::touch_staff_session`]), at most about once per
/// quarter of the idle timeout to keep writes rare.
async fn extend_session(
    state: &ConsoleState,
    session: StaffSession,
    now: DateTime<Utc>,
) -> Result<StaffSession> {
    let wanted = session_expiry(state, session.created_at, now);
    let quarter = chrono::Duration::from_std(state.inner.config.session_idle / 4)
        .unwrap_or(chrono::Duration::MAX);
    if wanted.signed_duration_since(session.expires_at) < quarter {
        return Ok(session);
    }
    state
        .inner
        .store
        .touch_staff_session(&session.token_hash, wanted, now)
        .await?;
    Ok(StaffSession {
        expires_at: wanted,
        ..session
    })
}
