//! Console accounts, their sessions, and the JSON API's keys.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;

text_enum! {
    /// What an API key may do.
    ApiKeyKind {
        /// A server of the commune: may give the caller's number and the channel.
        Server => "server",
        /// A chat widget, its key visible to anyone: chat only, no number, never an SMS.
        Public => "public",
    }
}

/// An API key to store (only the hash of its token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub tenant: String,
    pub name: String,
    pub kind: ApiKeyKind,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A stored API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub tenant: String,
    pub name: String,
    pub kind: ApiKeyKind,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

text_enum! {
    /// What a staff account may do in the console.
    Role {
        /// Takes tickets from the queue.
        Standardiste => "standardiste",
        /// Edits the knowledge folder.
        Editeur => "editeur",
        /// Reads statistics and evaluations.
        Operateur => "operateur",
        /// Manages accounts.
        Admin => "admin",
    }
}

/// A staff account to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewStaff {
    /// Login e-mail; stored lower-cased and trimmed, unique.
    pub email: String,
    /// Password hash (argon2id PHC string) computed by the caller.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Communes the account belongs to.
    pub communes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The password is a one-time password, to be changed at the first login.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// Account id.
    pub id: i64,
    /// Login e-mail (lower case).
    pub email: String,
    /// Password hash (argon2id PHC string).
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Communes the account belongs to.
    pub communes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// The password is a one-time password: the console asks for a new one before anything
    /// else. Cleared by `StaffStore::set_staff_password`.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A console login session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffSession {
    /// Hash of the cookie token (never store the token itself).
    pub token_hash: String,
    /// The account.
    pub staff_id: i64,
    /// CSRF token bound to the session.
    pub csrf_token: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// Normalises a staff e-mail: trimmed, lower-cased. The one rule for e-mail comparison.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl NewApiKey {
    /// Refuses a key without commune, name or hash.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.tenant.trim().is_empty() || self.name.trim().is_empty() {
            return Err(Invalid("API key without commune or name".into()));
        }
        if self.token_hash.len() != 64 || !self.token_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Invalid(
                "API key hash: 64 hex digits (SHA-256) expected".into(),
            ));
        }
        Ok(())
    }
}
