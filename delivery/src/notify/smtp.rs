//! The SMTP server notifications are sent through: its settings (`[notifications.smtp]`) and
//! the mailer built from them.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::NotifyError;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (default).
    #[default]
    Starttls,
    /// TLS from the start (port 465).
    Tls,
    /// No encryption: only for a relay on the same host, and tests.
    None,
}

/// The SMTP server notifications are sent through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmtpConfig {
    /// Host name.
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS, 25 for a local relay).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// Connection security.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// Login, if the server asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password (from the environment or a secrets file, never logged).
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    /// Sender address, e.g. `Guichet Villebourg <guichet@villebourg.example>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

/// The mailer of `smtp`, each exchange bounded by `timeout`; checks the sender's address.
pub(crate) fn build_mailer(
    smtp: &SmtpConfig,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, NotifyError> {
    let builder = match smtp.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| NotifyError::Smtp(e.to_string()))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .map_err(|e| NotifyError::Smtp(e.to_string()))?,
    };
    let mut builder = builder.port(smtp.port).timeout(Some(timeout));
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    smtp.from
        .parse::<Mailbox>()
        .map_err(|e| NotifyError::Smtp(format!("bad sender {:?}: {e}", smtp.from)))?;
    Ok(builder.build())
}
