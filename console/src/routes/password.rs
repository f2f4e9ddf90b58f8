//! The password-change page of every account; the only page an account with a one-time
//! password may see until it has chosen its own (see `auth::CurrentUser`).

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::StaffStore;
use serde::Deserialize;
use serde_json::json;

use super::{audit, page};
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use guichet_office::password::{hash_password_off_workers, verify_password_off_workers};

/// The shortest password one may choose.
pub(crate) const MIN_LENGTH: usize = 12;
/// The longest (argon2 hashes anything, but a form field has no reason to be a novel).
const MAX_LENGTH: usize = 256;

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

fn password_page(
    state: &ConsoleState,
    user: &CurrentUser,
    status: StatusCode,
    error: Option<&str>,
    done: bool,
) -> Result<Response> {
    let mut response = page(
        state,
        Some(user),
        "password.html",
        json!({
            "forced": user.staff.must_change_password,
            "error": error,
            "done": done,
            "min_length": MIN_LENGTH,
        }),
    )?;
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn form(State(state): State<ConsoleState>, user: CurrentUser) -> Result<Response> {
    password_page(&state, &user, StatusCode::OK, None, false)
}

/// What is wrong with a new password, in French, if anything.
fn refusal(form: &PasswordForm) -> Option<String> {
    let length = form.new.chars().count();
    if length < MIN_LENGTH {
        Some(format!(
            "Le nouveau mot de passe doit compter au moins {MIN_LENGTH} caractères."
        ))
    } else if length > MAX_LENGTH {
        Some(format!(
            "Le nouveau mot de passe ne peut dépasser {MAX_LENGTH} caractères."
        ))
    } else if form.new != form.confirm {
        Some("Les deux saisies du nouveau mot de passe diffèrent.".into())
    } else if form.new == form.current {
        Some("Le nouveau mot de passe doit différer de l'actuel.".into())
    } else {
        None
    }
}

pub(crate) async fn submit(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    if let Some(message) = refusal(&form) {
        return password_page(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            Some(&message),
            false,
        );
    }
    let current_ok =
        verify_password_off_workers(form.current.clone(), user.staff.password_hash.clone()).await;
    if !current_ok {
        audit(
            &state,
            &user.staff.email,
            None,
            "password.failure",
            String::new(),
        )
        .await?;
        return password_page(
            &state,
            &user,
            StatusCode::UNAUTHORIZED,
            Some("Le mot de passe actuel est incorrect."),
            false,
        );
    }
    let hash = hash_password_off_workers(form.new)
        .await
        .map_err(ConsoleError::Other)?;
    if !state
        .inner
        .store
        .set_staff_password(user.staff.id, &hash)
        .await?
    {
        return Err(ConsoleError::NotFound);
    }
    audit(
        &state,
        &user.staff.email,
        None,
        "password.change",
        String::new(),
    )
    .await?;
    let base = &state.inner.config.base_path;
    Ok(Redirect::to(&format!("{base}/")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(current: &str, new: &str, confirm: &str) -> PasswordForm {
        PasswordForm {
            csrf: String::new(),
            current: current.into(),
            new: new.into(),
            confirm: confirm.into(),
        }
    }

    #[test]
    fn weak_or_mistyped_passwords_are_refused() {
        assert!(refusal(&form("a", "court", "court")).is_some());
        assert!(refusal(&form("a", "un long mot de passe", "un long mot de passf")).is_some());
        assert!(
            refusal(&form(
                "un long mot de passe",
                "un long mot de passe",
                "un long mot de passe"
            ))
            .is_some()
        );
        assert!(refusal(&form("a", &"x".repeat(300), &"x".repeat(300))).is_some());
        assert_eq!(
            refusal(&form("a", "un long mot de passe", "un long mot de passe")),
            None
        );
    }
}
