//! Citizens' RGPD requests: access (export) and erasure, by phone number.
//!
//! Numbers are kept in clear only on tickets and queued SMS; conversations and transcripts
//! hold a keyed pseudonym ([`guichet_store::pseudonymise`]). The key comes from the
//! environment variable [`PSEUDONYM_KEY_ENV`]; without it a fixed development key
//! ([`DEV_PSEUDONYM_KEY`]) is used and a warning is printed: fine on a laptop, never in
//! production (anyone knowing the default key can test numbers against the pseudonyms).
//! The service and the CLI must use the same key, or exports and erasures miss conversations.

use chrono::{DateTime, Utc};
use guichet_phone::PhoneNumber;
use guichet_store::{
    AuditEntry, AuditStore, CallerRecords, ErasureReport, PrivacyStore, StoreError, pseudonymise,
};
use serde::Serialize;

/// Environment variable holding the pseudonymisation key (`[privacy] pseudonym_key`).
pub const PSEUDONYM_KEY_ENV: &str = "GUICHET__PRIVACY__PSEUDONYM_KEY";
/// The development key used when [`PSEUDONYM_KEY_ENV`] is unset or empty.
pub const DEV_PSEUDONYM_KEY: &str = "guichet-development-pseudonym-key";

/// The pseudonymisation key and where it came from.
#[derive(Clone)]
pub struct PseudonymKey {
    /// Key bytes.
    pub bytes: Vec<u8>,
    /// True when the development default is used.
    pub is_dev_default: bool,
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PseudonymKey")
            .field("bytes", &"<secret>")
            .field("is_dev_default", &self.is_dev_default)
            .finish()
    }
}

/// Reads [`PSEUDONYM_KEY_ENV`], falling back to [`DEV_PSEUDONYM_KEY`].
pub fn pseudonym_key_from_env() -> PseudonymKey {
    match std::env::var(PSEUDONYM_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => PseudonymKey {
            bytes: key.into_bytes(),
            is_dev_default: false,
        },
        _ => PseudonymKey {
            bytes: DEV_PSEUDONYM_KEY.as_bytes().to_vec(),
            is_dev_default: true,
        },
    }
}

/// What went wrong with a privacy request.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The number is not a phone number.
    #[error("invalid phone number {0:?}: expected +33… (E.164) or a French 0… number")]
    InvalidNumber(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The number of a request as the service stores it ([`PhoneNumber::parse`], the one rule);
/// anything that is not a phone number is refused.
pub fn normalise_number(input: &str) -> Result<PhoneNumber, PrivacyError> {
    PhoneNumber::parse(input).ok_or_else(|| PrivacyError::InvalidNumber(input.to_string()))
}

/// The answer to an access request.
#[derive(Debug, Clone, Serialize)]
pub struct AccessExport {
    /// The number asked about (E.164).
    pub number: String,
    /// When the export was made.
    pub generated_at: DateTime<Utc>,
    /// Everything held.
    #[serde(flatten)]
    pub records: CallerRecords,
}

/// Everything held about `number` (access request). Audited, without the number in clear.
pub async fn export<S: PrivacyStore + AuditStore>(
    store: &S,
    number: &str,
    key: &PseudonymKey,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<AccessExport, PrivacyError> {
    let number = normalise_number(number)?;
    let records = store
        .caller_records(number.as_str(), &pseudonymise(number.as_str(), &key.bytes))
        .await?;
    audit(
        store,
        actor,
        "privacy.export",
        format!("number={}", number.masked()),
        now,
    )
    .await?;
    Ok(AccessExport {
        number: number.into(),
        generated_at: now,
        records,
    })
}

/// Erases what is held about `number` (erasure request). Audited, without the number in clear.
pub async fn erase<S: PrivacyStore + AuditStore>(
    store: &S,
    number: &str,
    key: &PseudonymKey,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ErasureReport, PrivacyError> {
    let number = normalise_number(number)?;
    let report = store
        .erase_caller(
            number.as_str(),
            &pseudonymise(number.as_str(), &key.bytes),
            now,
        )
        .await?;
    let detail = format!(
        "number={} {}",
        number.masked(),
        serde_json::to_string(&report).unwrap_or_default()
    );
    audit(store, actor, "privacy.erase", detail, now).await?;
    Ok(report)
}

/// Records a caller's request in the audit log (all communes: a number is not one commune's).
async fn audit<S: AuditStore>(
    store: &S,
    actor: &str,
    action: &str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<(), PrivacyError> {
    store
        .append_audit(&AuditEntry {
            at: now,
            actor: actor.to_string(),
            commune: None,
            action: action.into(),
            detail,
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised() {
        assert_eq!(
            normalise_number("+33 6 12 34 56 78")
                .ok()
                .map(String::from)
                .as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalise_number("06.12.34.56.78")
                .ok()
                .map(String::from)
                .as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalise_number("0033612345678")
                .ok()
                .map(String::from)
                .as_deref(),
            Some("+33612345678")
        );
        assert!(normalise_number("bonjour").is_err());
        assert!(normalise_number("+33").is_err());
        assert!(normalise_number("612345678").is_err());
    }
}
