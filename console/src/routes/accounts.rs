//! Comptes (admin): list, create with a one-time password, disable and re-enable, reset a
//! password (a new one-time password, shown once).

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_store::{Role, Staff, StaffStore};
use serde_json::json;

use super::login::CsrfForm;
use super::{audit, page as render, role_label};
use crate::auth::CurrentUser;
use crate::error::{ConsoleError, Result};
use crate::state::ConsoleState;
use guichet_office::accounts::{AccountError, add_staff, reset_password};

/// An admin manages an account when all its communes are the admin's, and it is not
/// the admin's own.
fn can_manage(user: &CurrentUser, staff: &Staff) -> bool {
    staff.id != user.staff.id && staff.communes.iter().all(|c| user.has_commune(c))
}

/// Whether the admin sees the account at all (it shares a commune).
fn visible(user: &CurrentUser, staff: &Staff) -> bool {
    staff.communes.iter().any(|c| user.has_commune(c))
}

pub(crate) async fn page(State(state): State<ConsoleState>, user: CurrentUser) -> Result<Response> {
    user.require(&[])?;
    accounts_page(&state, &user, None).await
}

async fn accounts_page(
    state: &ConsoleState,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response> {
    let staff = state.inner.store.list_staff().await?;
    let rows: Vec<_> = staff
        .iter()
        .filter(|s| visible(user, s))
        .map(|s| {
            json!({
                "id": s.id,
                "email": s.email,
                "role": role_label(s.role),
                "communes": s.communes.join(", "),
                "disabled": s.disabled,
                "manageable": can_manage(user, s),
            })
        })
        .collect();
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| json!({ "key": r.as_str(), "label": role_label(*r) }))
        .collect();
    let communes: Vec<_> = user
        .communes()
        .iter()
        .map(|c| {
            let name = state
                .inner
                .communes
                .get(c)
                .map_or_else(|| c.clone(), |x| x.name.clone());
            json!({ "id": c, "name": name })
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let mut response = render(
        state,
        Some(user),
        "accounts.html",
        json!({ "accounts": rows, "roles": roles, "communes": communes, "error": error }),
    )?;
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn create(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    user.check_csrf(field("csrf"))?;
    user.require(&[])?;
    let role: Role = field("role")
        .parse()
        .map_err(|_| ConsoleError::BadRequest("rôle inconnu".into()))?;
    let communes: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "commune")
        .map(|(_, v)| v.clone())
        .collect();
    if communes.is_empty() {
        return accounts_page(
            &state,
            &user,
            Some("Choisissez au moins une commune.".into()),
        )
        .await;
    }
    if let Some(other) = communes.iter().find(|c| !user.has_commune(c)) {
        tracing::warn!(commune = %other, "account creation for a commune outside the admin's");
        return Err(ConsoleError::NotFound);
    }
    let created = match add_staff(
        &state.inner.store,
        field("email"),
        role,
        &communes,
        state.now(),
    )
    .await
    {
        Ok(created) => created,
        Err(AccountError::Store(e)) => return Err(e.into()),
        Err(AccountError::InvalidEmail(_)) => {
            return accounts_page(&state, &user, Some("Adresse e-mail invalide.".into())).await;
        }
        Err(AccountError::Exists(_)) => {
            return accounts_page(
                &state,
                &user,
                Some("Un compte existe déjà avec cette adresse.".into()),
            )
            .await;
        }
        Err(other) => return Err(ConsoleError::Other(other.to_string())),
    };
    for commune in &communes {
        audit(
            &state,
            &user.staff.email,
            Some(commune),
            "staff.create",
            format!("account={} role={}", created.email, role.as_str()),
        )
        .await?;
    }
    render(
        &state,
        Some(&user),
        "account_created.html",
        json!({
            "email": created.email,
            "password": created.password,
            "role": role_label(role),
            "communes": communes.join(", "),
        }),
    )
}

/// The account an admin acts upon: visible (else 404) and manageable (else 403).
async fn managed(state: &ConsoleState, user: &CurrentUser, id: i64) -> Result<Staff> {
    let staff = state
        .inner
        .store
        .get_staff(id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    if !visible(user, &staff) {
        return Err(ConsoleError::NotFound);
    }
    if !can_manage(user, &staff) {
        return Err(ConsoleError::Forbidden);
    }
    Ok(staff)
}

/// Audits an action on `staff` in each of its communes.
async fn audit_each(
    state: &ConsoleState,
    user: &CurrentUser,
    staff: &Staff,
    action: &str,
) -> Result<()> {
    for commune in &staff.communes {
        audit(
            state,
            &user.staff.email,
            Some(commune),
            action,
            format!("account={}", staff.email),
        )
        .await?;
    }
    Ok(())
}

fn back_to_accounts(state: &ConsoleState) -> Response {
    let base = &state.inner.config.base_path;
    Redirect::to(&format!("{base}/comptes")).into_response()
}

pub(crate) async fn disable(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    set_disabled(&state, &user, id, &form, true).await
}

pub(crate) async fn enable(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    set_disabled(&state, &user, id, &form, false).await
}

async fn set_disabled(
    state: &ConsoleState,
    user: &CurrentUser,
    id: i64,
    form: &CsrfForm,
    disabled: bool,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[])?;
    let staff = managed(state, user, id).await?;
    state.inner.store.set_staff_disabled(id, disabled).await?;
    let action = if disabled {
        "staff.disable"
    } else {
        "staff.enable"
    };
    audit_each(state, user, &staff, action).await?;
    Ok(back_to_accounts(state))
}

/// An admin resets an account's password: a new one-time password, shown once; the
/// account's sessions end.
pub(crate) async fn reset(
    State(state): State<ConsoleState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response> {
    user.check_csrf(&form.csrf)?;
    user.require(&[])?;
    let staff = managed(&state, &user, id).await?;
    let password = match reset_password(&state.inner.store, id).await {
        Ok(Some(password)) => password,
        Ok(None) => return Err(ConsoleError::NotFound),
        Err(AccountError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(ConsoleError::Other(other.to_string())),
    };
    audit_each(&state, &user, &staff, "staff.password_reset").await?;
    render(
        &state,
        Some(&user),
        "account_created.html",
        json!({
            "reset": true,
            "email": staff.email,
            "password": password,
            "role": role_label(staff.role),
            "communes": staff.communes.join(", "),
            "disabled": staff.disabled,
        }),
    )
}
