//! Sending one notification: where it goes ([`Destination`]), the webhook's JSON and the
//! e-mail's French text, and the HTTP client and SMTP transport that carry them.

use std::time::Duration;

use guichet_store::{NotificationChannel, Ticket, TicketKind};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::NotifyError;
use super::config::{NotificationRoute, SmtpConfig, SmtpSecurity};

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Email(String),
    Webhook { url: String, token: Option<String> },
}

impl Destination {
    /// The stable key stored with the notification (no secret): `email:…` or `webhook:…`.
    pub(crate) fn key(&self) -> String {
        match self {
            Destination::Email(to) => format!("email:{to}"),
            Destination::Webhook { url, .. } => format!("webhook:{url}"),
        }
    }

    pub(crate) fn channel(&self) -> NotificationChannel {
        match self {
            Destination::Email(_) => NotificationChannel::Email,
            Destination::Webhook { .. } => NotificationChannel::Webhook,
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

/// The HTTP client and the SMTP transport of a notifier.
pub(crate) struct Transport {
    http: reqwest::Client,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// The `From:` of e-mails (`[smtp] from`).
    sender: Option<String>,
}

impl Transport {
    /// Builds the clients, each delivery bounded by `timeout`.
    pub(crate) fn new(smtp: Option<&SmtpConfig>, timeout: Duration) -> Result<Self, NotifyError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| NotifyError::Http(e.to_string()))?;
        let mailer = smtp.map(|smtp| build_mailer(smtp, timeout)).transpose()?;
        Ok(Transport {
            http,
            mailer,
            sender: smtp.map(|smtp| smtp.from.clone()),
        })
    }

    /// Sends `ticket` to `destination`; the error is French, for the console and the logs.
    pub(crate) async fn deliver(
        &self,
        destination: &Destination,
        ticket: &Ticket,
    ) -> Result<(), String> {
        match destination {
            Destination::Webhook { url, token } => {
                let mut request = self.http.post(url).json(&payload(ticket));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| format!("envoi impossible : {e}"))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!(
                        "le service a répondu HTTP {}",
                        response.status().as_u16()
                    ))
                }
            }
            Destination::Email(to) => {
                let (Some(mailer), Some(sender)) = (&self.mailer, &self.sender) else {
                    return Err("aucun serveur SMTP configuré".into());
                };
                let from: Mailbox = sender
                    .parse()
                    .map_err(|e| format!("expéditeur invalide : {e}"))?;
                let to: Mailbox = to
                    .parse()
                    .map_err(|e| format!("destinataire invalide : {e}"))?;
                let message = Message::builder()
                    .from(from)
                    .to(to)
                    .subject(subject(ticket))
                    .body(email_body(ticket))
                    .map_err(|e| format!("message invalide : {e}"))?;
                mailer
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("envoi SMTP impossible : {e}"))
            }
        }
    }
}

pub(crate) fn destinations(route: &NotificationRoute) -> Vec<Destination> {
    let mut list = Vec::new();
    if let Some(email) = &route.email {
        list.push(Destination::Email(email.clone()));
    }
    if let Some(url) = &route.webhook_url {
        list.push(Destination::Webhook {
            url: url.clone(),
            token: route.webhook_token.clone(),
        });
    }
    list
}

fn build_mailer(
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

/// The webhook's JSON body.
fn payload(ticket: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "ticket": ticket.id,
        "commune": ticket.tenant,
        "kind": ticket.kind.as_str(),
        "channel": ticket.channel.as_str(),
        "caller_number": ticket.caller_number,
        "topic": ticket.topic,
        "fiche": ticket.fiche,
        "summary": ticket.summary,
        "partner": ticket.partner,
        "reference": ticket.reference,
        "created_at": ticket.created_at,
    })
}

fn subject(ticket: &Ticket) -> String {
    match ticket.kind {
        TicketKind::Report => format!(
            "[Guichet] Signalement {} : {}",
            ticket.reference.as_deref().unwrap_or(""),
            ticket.topic
        ),
        _ => format!("[Guichet] Rappel demandé : {}", ticket.topic),
    }
}

fn email_body(ticket: &Ticket) -> String {
    let number = ticket.caller_number.as_deref().unwrap_or("numéro masqué");
    let mut body = String::new();
    match ticket.kind {
        TicketKind::Report => {
            body.push_str("Un usager a demandé la transmission de ce signalement.\n\n")
        }
        _ => body.push_str("Un usager demande à être rappelé.\n\n"),
    }
    body.push_str(&format!(
        "Ticket n° {}\nCommune : {}\n",
        ticket.id, ticket.tenant
    ));
    if let Some(reference) = &ticket.reference {
        body.push_str(&format!("Référence : {reference}\n"));
    }
    body.push_str(&format!(
        "Numéro : {number}\nSujet : {}\nReçu le : {}\n\nRésumé :\n{}\n",
        ticket.topic,
        ticket.created_at.format("%d/%m/%Y %H:%M UTC"),
        ticket.summary
    ));
    body
}
