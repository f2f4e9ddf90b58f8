//! Every kind of notification destination, in one place: the field that names it in a route,
//! its stored key (its kind, then its address; never a secret), how people read that key, the
//! check of its configuration at start, and its sending.
//!
//! Adding a kind of destination is a field of [`RouteDestinations`] and a variant of
//! [`Destination`], both here; the store keeps only the key, whatever the kind.

use guichet_store::Ticket;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use super::send::{Transport, email_body, payload, subject};

/// Where a route's tickets go (flattened into `[[notifications.routes]]`); at least one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteDestinations {
    /// Send an e-mail to this address.
    #[serde(default)]
    pub email: Option<String>,
    /// POST the ticket as JSON to this URL.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Sent as `Authorization: Bearer …` with the webhook (secret: never logged).
    #[serde(default, skip_serializing)]
    pub webhook_token: Option<String>,
}

impl RouteDestinations {
    /// The destinations named, in a stable order.
    pub(crate) fn list(&self) -> Vec<Destination> {
        let email = self.email.clone().map(Destination::Email);
        let webhook = self.webhook_url.clone().map(|url| Destination::Webhook {
            url,
            token: self.webhook_token.clone(),
        });
        email.into_iter().chain(webhook).collect()
    }

    /// Checks, at start, that the route names a destination and that each one is usable
    /// (`smtp`: an SMTP server is configured).
    pub(crate) fn check(&self, smtp: bool) -> Result<(), Unusable> {
        let destinations = self.list();
        if destinations.is_empty() {
            return Err(Unusable::Address(
                "no destination (email, webhook_url)".into(),
            ));
        }
        destinations
            .iter()
            .try_for_each(|destination| destination.check(smtp))
    }
}

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Email(String),
    Webhook { url: String, token: Option<String> },
}

/// Why a destination cannot be used, found at start.
pub(crate) enum Unusable {
    /// The address itself is wrong, or there is none.
    Address(String),
    /// It needs an SMTP server and `[smtp]` is missing.
    NoSmtp,
}

impl Destination {
    /// The stable key stored with the notification: `email:…` or `webhook:…`.
    pub(crate) fn key(&self) -> String {
        match self {
            Destination::Email(to) => format!("email:{to}"),
            Destination::Webhook { url, .. } => format!("webhook:{url}"),
        }
    }

    /// Checks the address, and what the sending needs (`smtp`: an SMTP server is configured).
    fn check(&self, smtp: bool) -> Result<(), Unusable> {
        match self {
            Destination::Email(to) => {
                to.parse::<Mailbox>()
                    .map_err(|e| Unusable::Address(format!("bad e-mail {to:?}: {e}")))?;
                if smtp { Ok(()) } else { Err(Unusable::NoSmtp) }
            }
            Destination::Webhook { url, .. } => reqwest::Url::parse(url)
                .map(|_| ())
                .map_err(|_| Unusable::Address(format!("bad webhook URL {url:?}"))),
        }
    }

    /// Sends `ticket` here; the error is French, for the console and the logs.
    pub(crate) async fn deliver(
        &self,
        transport: &Transport,
        ticket: &Ticket,
    ) -> Result<(), String> {
        match self {
            Destination::Webhook { url, token } => {
                transport
                    .post_json(url, token.as_deref(), &payload(ticket))
                    .await
            }
            Destination::Email(to) => {
                transport
                    .send_mail(to, subject(ticket), email_body(ticket))
                    .await
            }
        }
    }
}

/// A stored destination key as people read it (console, audit log): `e-mail …`, `webhook …`.
pub fn describe_destination(key: &str) -> String {
    match key.split_once(':') {
        Some(("email", to)) => format!("e-mail {to}"),
        Some(("webhook", url)) => format!("webhook {url}"),
        _ => key.to_string(),
    }
}
