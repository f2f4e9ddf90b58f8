//! Notifications of callback and report tickets by e-mail (SMTP) or webhook (JSON POST),
//! configured per commune and per partner. Failed deliveries are retried with backoff
//! ([`guichet_store::RetryPolicy`]), shown on the console's Notifications page, logged and
//! audited when given up: never silent.
//!
//! Delivery status is kept in memory (node-local); successes are written to the audit log
//! (`notification.sent`, `ticket=<id> dest=<destination>`), which is read back at start so that
//! a restart does not send the same notification again.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{AuditEntry, RetryPolicy, Store, Ticket, TicketFilter, TicketKind};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::state::ConsoleState;

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

/// Which tickets go where: a commune's callbacks (no `partner`), or the reports forwarded to
/// one partner (`partner` = the key in `commune.toml`'s `[partners.*]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRoute {
    /// Tenant id of the commune.
    pub commune: String,
    /// The partner whose reports this route carries; `None`: the commune's callbacks.
    #[serde(default)]
    pub partner: Option<String>,
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

impl NotificationRoute {
    fn matches(&self, ticket: &Ticket) -> bool {
        self.commune == ticket.tenant
            && match (ticket.kind, &self.partner) {
                (TicketKind::Callback, None) => true,
                (TicketKind::Report, Some(partner)) => ticket.partner.as_deref() == Some(partner),
                _ => false,
            }
    }
}

/// Notification settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationConfig {
    /// SMTP server (needed by routes with an e-mail).
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// Routes.
    #[serde(default)]
    pub routes: Vec<NotificationRoute>,
    /// How often new tickets are looked for, in seconds.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    /// Tickets older than this (hours) when the service starts are not notified.
    #[serde(default = "default_lookback_hours")]
    pub lookback_hours: i64,
    /// Delay after the first failure, in seconds (doubles each time).
    #[serde(default = "default_retry_base")]
    pub retry_base_seconds: u64,
    /// Longest delay between attempts, in seconds.
    #[serde(default = "default_retry_max")]
    pub retry_max_seconds: u64,
    /// Attempts before giving up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// Timeout of one delivery, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_poll_seconds() -> u64 {
    5
}
fn default_lookback_hours() -> i64 {
    48
}
fn default_retry_base() -> u64 {
    30
}
fn default_retry_max() -> u64 {
    3600
}
fn default_max_attempts() -> i32 {
    10
}
fn default_timeout() -> u64 {
    10
}

impl Default for NotificationConfig {
    fn default() -> Self {
        NotificationConfig {
            smtp: None,
            routes: Vec::new(),
            poll_seconds: default_poll_seconds(),
            lookback_hours: default_lookback_hours(),
            retry_base_seconds: default_retry_base(),
            retry_max_seconds: default_retry_max(),
            max_attempts: default_max_attempts(),
            timeout_seconds: default_timeout(),
        }
    }
}

impl NotificationConfig {
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(self.retry_base_seconds),
            max_delay: Duration::from_secs(self.retry_max_seconds),
            max_attempts: self.max_attempts,
        }
    }
}

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Destination {
    Email(String),
    Webhook { url: String, token: Option<String> },
}

impl Destination {
    /// Shown in the console and the audit log (no secret).
    fn describe(&self) -> String {
        match self {
            Destination::Email(to) => format!("e-mail {to}"),
            Destination::Webhook { url, .. } => format!("webhook {url}"),
        }
    }
}

/// State of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeliveryStatus {
    /// Not tried yet.
    Pending,
    /// Failed, will be retried at `next_attempt_at`.
    Retrying,
    /// Delivered.
    Sent,
    /// Given up after too many failures.
    Failed,
}

impl DeliveryStatus {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "En attente",
            DeliveryStatus::Retrying => "Échec, nouvel essai prévu",
            DeliveryStatus::Sent => "Envoyée",
            DeliveryStatus::Failed => "Abandonnée après plusieurs échecs",
        }
    }

    /// Stable key (CSS class).
    pub fn key(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One notification of one ticket to one destination.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The ticket.
    pub ticket_id: i64,
    /// Its commune.
    pub commune: String,
    /// Where (e-mail address or webhook URL).
    pub destination: String,
    /// Status.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// Last error.
    pub last_error: Option<String>,
    /// When the next attempt is due (retrying).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

struct NotifierInner {
    config: NotificationConfig,
    started_at: DateTime<Utc>,
    http: reqwest::Client,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    deliveries: Mutex<BTreeMap<(i64, Destination), Delivery>>,
    seeded: Mutex<bool>,
}

/// Sends ticket notifications and remembers how each delivery went; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<NotifierInner>,
}

/// Why a notifier could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// A route sends e-mail but no SMTP server is configured, or the SMTP settings are wrong.
    #[error("notification SMTP settings: {0}")]
    Smtp(String),
    /// The HTTP client could not be built.
    #[error("notification HTTP client: {0}")]
    Http(String),
    /// A route has neither e-mail nor webhook, or a bad address.
    #[error("notification route for {commune}: {message}")]
    Route {
        /// Commune of the route.
        commune: String,
        /// What is wrong.
        message: String,
    },
}

impl Notifier {
    /// A notifier with no routes (nothing is ever sent).
    pub fn disabled() -> Self {
        match Notifier::new(NotificationConfig::default(), Utc::now()) {
            Ok(notifier) => notifier,
            // Without routes nothing can fail to validate; fall back to a bare client.
            Err(_) => Notifier {
                inner: Arc::new(NotifierInner {
                    config: NotificationConfig::default(),
                    started_at: Utc::now(),
                    http: reqwest::Client::new(),
                    mailer: None,
                    deliveries: Mutex::new(BTreeMap::new()),
                    seeded: Mutex::new(true),
                }),
            },
        }
    }

    /// Checks the configuration and builds the notifier. Tickets created more than
    /// `lookback_hours` before `now` are not notified.
    pub fn new(config: NotificationConfig, now: DateTime<Utc>) -> Result<Self, NotifyError> {
        for route in &config.routes {
            let error = |message: &str| NotifyError::Route {
                commune: route.commune.clone(),
                message: message.to_string(),
            };
            if route.email.is_none() && route.webhook_url.is_none() {
                return Err(error("neither email nor webhook_url"));
            }
            if let Some(email) = &route.email {
                email
                    .parse::<Mailbox>()
                    .map_err(|e| error(&format!("bad e-mail {email:?}: {e}")))?;
                if config.smtp.is_none() {
                    return Err(NotifyError::Smtp(
                        "a route sends e-mail but [smtp] is missing".into(),
                    ));
                }
            }
            if let Some(url) = &route.webhook_url
                && reqwest::Url::parse(url).is_err()
            {
                return Err(error(&format!("bad webhook URL {url:?}")));
            }
        }
        let timeout = Duration::from_secs(config.timeout_seconds.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| NotifyError::Http(e.to_string()))?;
        let mailer = match &config.smtp {
            Some(smtp) => Some(build_mailer(smtp, timeout)?),
            None => None,
        };
        let lookback = chrono::Duration::hours(config.lookback_hours.max(0));
        Ok(Notifier {
            inner: Arc::new(NotifierInner {
                started_at: now - lookback,
                config,
                http,
                mailer,
                deliveries: Mutex::new(BTreeMap::new()),
                seeded: Mutex::new(false),
            }),
        })
    }

    /// The deliveries known to this node, newest tickets first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let deliveries = self
            .inner
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<Delivery> = deliveries.values().cloned().collect();
        list.sort_by(|a, b| {
            b.ticket_id
                .cmp(&a.ticket_id)
                .then(a.destination.cmp(&b.destination))
        });
        list
    }

    /// How often [`run_notifications`] looks for work.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.inner.config.poll_seconds.max(1))
    }

    fn communes(&self) -> Vec<String> {
        let mut communes: Vec<String> = self
            .inner
            .config
            .routes
            .iter()
            .map(|r| r.commune.clone())
            .collect();
        communes.sort();
        communes.dedup();
        communes
    }

    /// Reads back which notifications were already sent (audit log), once.
    async fn seed<S: Store>(
        &self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<(), guichet_store::StoreError> {
        if *self.inner.seeded.lock().unwrap_or_else(|e| e.into_inner()) {
            return Ok(());
        }
        let rows = store.list_audit(&self.communes(), 10_000).await?;
        let sent: HashSet<(i64, String)> = rows
            .iter()
            .filter(|row| row.entry.action == "notification.sent")
            .filter_map(|row| {
                let (ticket, dest) = row
                    .entry
                    .detail
                    .strip_prefix("ticket=")?
                    .split_once(" dest=")?;
                Some((ticket.parse().ok()?, dest.to_string()))
            })
            .collect();
        let mut deliveries = self
            .inner
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for route in &self.inner.config.routes {
            for destination in destinations(route) {
                for (ticket_id, dest) in &sent {
                    if *dest == destination.describe() {
                        deliveries
                            .entry((*ticket_id, destination.clone()))
                            .or_insert(Delivery {
                                ticket_id: *ticket_id,
                                commune: route.commune.clone(),
                                destination: dest.clone(),
                                status: DeliveryStatus::Sent,
                                attempts: 1,
                                last_error: None,
                                next_attempt_at: None,
                                updated_at: now,
                            });
                    }
                }
            }
        }
        *self.inner.seeded.lock().unwrap_or_else(|e| e.into_inner()) = true;
        Ok(())
    }

    /// One pass: finds the tickets to notify and makes the attempts that are due at `now`.
    /// Returns the number of attempts made.
    pub async fn tick<S: Store>(
        &self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<usize, guichet_store::StoreError> {
        if self.inner.config.routes.is_empty() {
            return Ok(0);
        }
        self.seed(store, now).await?;
        let tickets = store
            .list_tickets(&TicketFilter {
                communes: self.communes(),
                states: Vec::new(),
                since: Some(self.inner.started_at),
                limit: Some(1000),
            })
            .await?;
        let policy = self.inner.config.retry_policy();
        let mut attempts = 0;
        for ticket in &tickets {
            if ticket.anonymised_at.is_some() {
                continue;
            }
            for route in self
                .inner
                .config
                .routes
                .iter()
                .filter(|r| r.matches(ticket))
            {
                for destination in destinations(route) {
                    let key = (ticket.id, destination.clone());
                    let due = {
                        let mut deliveries = self
                            .inner
                            .deliveries
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        let delivery = deliveries.entry(key.clone()).or_insert_with(|| Delivery {
                            ticket_id: ticket.id,
                            commune: ticket.tenant.clone(),
                            destination: destination.describe(),
                            status: DeliveryStatus::Pending,
                            attempts: 0,
                            last_error: None,
                            next_attempt_at: Some(now),
                            updated_at: now,
                        });
                        matches!(
                            delivery.status,
                            DeliveryStatus::Pending | DeliveryStatus::Retrying
                        ) && delivery.next_attempt_at.is_none_or(|at| at <= now)
                    };
                    if !due {
                        continue;
                    }
                    attempts += 1;
                    let result = self.deliver(&destination, ticket).await;
                    self.record(store, key, ticket, &destination, result, &policy, now)
                        .await?;
                }
            }
        }
        Ok(attempts)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record<S: Store>(
        &self,
        store: &S,
        key: (i64, Destination),
        ticket: &Ticket,
        destination: &Destination,
        result: Result<(), String>,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), guichet_store::StoreError> {
        let (status, audit) = {
            let mut deliveries = self
                .inner
                .deliveries
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let Some(delivery) = deliveries.get_mut(&key) else {
                return Ok(());
            };
            delivery.attempts += 1;
            delivery.updated_at = now;
            match result {
                Ok(()) => {
                    delivery.status = DeliveryStatus::Sent;
                    delivery.next_attempt_at = None;
                    delivery.last_error = None;
                    (
                        DeliveryStatus::Sent,
                        Some(("notification.sent", String::new())),
                    )
                }
                Err(error) => {
                    delivery.last_error = Some(error.clone());
                    if policy.exhausted(delivery.attempts) {
                        delivery.status = DeliveryStatus::Failed;
                        delivery.next_attempt_at = None;
                        (DeliveryStatus::Failed, Some(("notification.failed", error)))
                    } else {
                        delivery.status = DeliveryStatus::Retrying;
                        let delay =
                            chrono::Duration::from_std(policy.delay_after(delivery.attempts))
                                .unwrap_or(chrono::Duration::MAX);
                        delivery.next_attempt_at = now.checked_add_signed(delay);
                        tracing::warn!(ticket = ticket.id, destination = %destination.describe(), attempts = delivery.attempts, %error, "ticket notification failed, will retry");
                        (DeliveryStatus::Retrying, None)
                    }
                }
            }
        };
        if status == DeliveryStatus::Failed {
            tracing::error!(ticket = ticket.id, destination = %destination.describe(), "ticket notification given up");
        }
        if let Some((action, error)) = audit {
            let mut detail = format!("ticket={} dest={}", ticket.id, destination.describe());
            if !error.is_empty() {
                detail.push_str(&format!(" error={error}"));
            }
            store
                .append_audit(&AuditEntry {
                    at: now,
                    actor: "system".into(),
                    commune: Some(ticket.tenant.clone()),
                    action: action.into(),
                    detail,
                })
                .await?;
        }
        Ok(())
    }

    async fn deliver(&self, destination: &Destination, ticket: &Ticket) -> Result<(), String> {
        match destination {
            Destination::Webhook { url, token } => {
                let mut request = self.inner.http.post(url).json(&payload(ticket));
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
                let (Some(mailer), Some(smtp)) = (&self.inner.mailer, &self.inner.config.smtp)
                else {
                    return Err("aucun serveur SMTP configuré".into());
                };
                let from: Mailbox = smtp
                    .from
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

fn destinations(route: &NotificationRoute) -> Vec<Destination> {
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

/// The notification worker: every `poll_seconds`, sends what is due. Spawn it once per node:
/// `tokio::spawn(guichet_console::notify::run_notifications(console_state.clone()))`.
/// Runs until the task is aborted.
pub async fn run_notifications(state: ConsoleState) {
    let notifier = state.inner.notifier.clone();
    if notifier.inner.config.routes.is_empty() {
        return;
    }
    let mut interval = tokio::time::interval(notifier.poll_interval());
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = notifier.tick(&state.inner.store, state.now()).await {
            tracing::warn!(%error, "ticket notifications: store unavailable");
        }
    }
}
