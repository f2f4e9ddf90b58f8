//! What a notification says (the webhook's JSON, the e-mail's French text) and the HTTP client
//! and SMTP transport that carry it.

use std::time::Duration;

use guichet_store::{Ticket, TicketKind};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::NotifyError;
use super::smtp::{SmtpConfig, build_mailer};

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

    /// POSTs `body` as JSON to `url`, with `token` as a bearer token.
    pub(crate) async fn post_json(
        &self,
        url: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<(), String> {
        let mut request = self.http.post(url).json(body);
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

    /// Sends an e-mail to `to` through the SMTP server.
    pub(crate) async fn send_mail(
        &self,
        to: &str,
        subject: String,
        body: String,
    ) -> Result<(), String> {
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
            .subject(subject)
            .body(body)
            .map_err(|e| format!("message invalide : {e}"))?;
        mailer
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("envoi SMTP impossible : {e}"))
    }
}

/// The webhook's JSON body.
pub(crate) fn payload(ticket: &Ticket) -> serde_json::Value {
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

pub(crate) fn subject(ticket: &Ticket) -> String {
    match ticket.kind {
        TicketKind::Report => format!(
            "[Guichet] Signalement {} : {}",
            ticket.reference.as_deref().unwrap_or(""),
            ticket.topic
        ),
        _ => format!("[Guichet] Rappel demandé : {}", ticket.topic),
    }
}

pub(crate) fn email_body(ticket: &Ticket) -> String {
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
