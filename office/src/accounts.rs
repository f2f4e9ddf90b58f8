//! Staff accounts: creation with a one-time password, its reset by an administrator, and the
//! first administrator.

use chrono::{DateTime, Utc};
use guichet_store::{AuditStore, NewStaff, Role, StaffStore, StoreError, normalise_email};

use crate::password::{generate_password, hash_password_off_workers};

/// Login of the administrator created at first start.
pub const FIRST_ADMIN_EMAIL: &str = "admin@guichet.local";

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The e-mail is not an address.
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// No commune given, or an unknown one.
    #[error("invalid communes: {0}")]
    InvalidCommunes(String),
    /// An account with this e-mail exists.
    #[error("an account with e-mail {0} already exists")]
    Exists(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

/// A created account and its one-time password (shown once, never stored in clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedAccount {
    /// Account id.
    pub id: i64,
    /// Normalised e-mail (the login).
    pub email: String,
    /// The one-time password.
    pub password: String,
}

/// Checks the shape of an e-mail address (one `@`, something on both sides, no spaces).
fn valid_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    ) && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Creates an account with a generated one-time password, to be changed at its first login.
pub async fn add_staff<S: StaffStore>(
    store: &S,
    email: &str,
    role: Role,
    communes: &[String],
    now: DateTime<Utc>,
) -> Result<CreatedAccount, AccountError> {
    let email = normalise_email(email);
    if !valid_email(&email) {
        return Err(AccountError::InvalidEmail(email));
    }
    let mut communes: Vec<String> = communes
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    communes.sort();
    communes.dedup();
    if communes.is_empty() {
        return Err(AccountError::InvalidCommunes(
            "at least one commune is needed".into(),
        ));
    }
    if let Some(bad) = communes.iter().find(|c| {
        !c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    }) {
        return Err(AccountError::InvalidCommunes(format!(
            "{bad:?} is not a commune id"
        )));
    }
    let password = generate_password();
    let password_hash = hash_password_off_workers(password.clone())
        .await
        .map_err(AccountError::Hash)?;
    let id = store
        .create_staff(&NewStaff {
            email: email.clone(),
            password_hash,
            role,
            communes,
            created_at: now,
            must_change_password: true,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AccountError::Exists(email.clone()),
            other => AccountError::Store(other),
        })?;
    Ok(CreatedAccount {
        id,
        email,
        password,
    })
}

/// An administrator's reset of an account's password: a new generated one-time password
/// replaces it (to be changed at the next login) and the account's sessions end. Returns the
/// password to show once, or `None` when the account does not exist.
pub async fn reset_password<S: StaffStore>(
    store: &S,
    id: i64,
) -> Result<Option<String>, AccountError> {
    let password = generate_password();
    let hash = hash_password_off_workers(password.clone())
        .await
        .map_err(AccountError::Hash)?;
    let found = store
        .reset_staff_password(id, &hash)
        .await
        .map_err(AccountError::Store)?;
    Ok(found.then_some(password))
}

/// First start: when the store holds no account, creates the administrator
/// [`FIRST_ADMIN_EMAIL`] of `communes` and returns it with its one-time password, to print
/// once. Returns `None` when accounts exist (or another node created it at the same time).
pub async fn ensure_first_admin<S: StaffStore + AuditStore>(
    store: &S,
    communes: &[String],
    now: DateTime<Utc>,
) -> Result<Option<CreatedAccount>, AccountError> {
    if store.count_staff().await.map_err(AccountError::Store)? > 0 {
        return Ok(None);
    }
    match add_staff(store, FIRST_ADMIN_EMAIL, Role::Admin, communes, now).await {
        Ok(created) => {
            // Audit failure must not hide the password: log it and go on.
            if let Err(error) = store
                .append_audit(&guichet_store::AuditEntry {
                    at: now,
                    actor: "system".into(),
                    commune: None,
                    action: "staff.create".into(),
                    detail: format!("first administrator {}", created.email),
                })
                .await
            {
                tracing::warn!(%error, "could not audit the first administrator's creation");
            }
            Ok(Some(created))
        }
        Err(AccountError::Exists(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The file, in the data folder, that holds the first administrator's one-time password.
pub const FIRST_ADMIN_FILE: &str = "premier-administrateur.txt";

/// Writes the first administrator's login and one-time password to [`FIRST_ADMIN_FILE`] in
/// `dir` (created if needed), readable by the service's user only (mode 0600): the password
/// never goes to the logs, which are often collected and kept elsewhere. Returns the path.
pub fn write_first_admin_file(
    dir: &std::path::Path,
    admin: &CreatedAccount,
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(FIRST_ADMIN_FILE);
    // A file left by an earlier database goes: a new one is created with its mode at once.
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    writeln!(
        file,
        "Console Guichet — premier administrateur\n\
         Identifiant : {}\n\
         Mot de passe à usage unique : {}\n\
         À la première connexion, la console demande d'en choisir un autre ; ce fichier peut \
         alors être supprimé.",
        admin.email, admin.password
    )?;
    file.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(valid_email("agent@mairie.example"));
        assert!(!valid_email("agent"));
        assert!(!valid_email("a@b@c"));
        assert!(!valid_email("@mairie.example"));
        assert!(!valid_email("a b@mairie.example"));
    }

    #[test]
    fn the_first_admin_file_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let admin = CreatedAccount {
            id: 1,
            email: FIRST_ADMIN_EMAIL.into(),
            password: "k7Pq2mXv9RtY4wZa".into(),
        };
        let path = write_first_admin_file(&dir.path().join("data"), &admin).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("k7Pq2mXv9RtY4wZa") && text.contains(FIRST_ADMIN_EMAIL));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second start with a fresh database replaces it.
        let again = CreatedAccount {
            password: "another".into(),
            ..admin
        };
        write_first_admin_file(&dir.path().join("data"), &again).expect("rewritten");
        assert!(
            std::fs::read_to_string(&path)
                .expect("read")
                .contains("another")
        );
    }
}
