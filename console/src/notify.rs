//! Notifications of callback and report tickets by e-mail (SMTP) or webhook (JSON POST),
//! configured per commune and per partner.
//!
//! Delivery state lives in the store (table `notifications`), shared by every node: each pass
//! of the worker queues one notification per recent ticket and configured destination
//! (idempotent: `(ticket, destination)` is unique), then leases the due ones
//! ([`Store::claim_due_notifications`]), so that two nodes never send the same notification,
//! delivers them and records the outcome with the outbox's retry rule ([`RetryPolicy`]).
//! Failures are retried with backoff, shown on the console's Notifications page, logged, and
//! audited when given up (`notification.failed`); deliveries are audited as
//! `notification.sent` (`ticket=<id> dest=<destination>`): never silent.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{
    AuditEntry, Clock, FailureKind, NewNotification, Notification, NotificationChannel,
    RetryOutcome, RetryPolicy, Store, StoreError, Ticket, TicketFilter, TicketKind,
};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

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
    /// Tickets older than this (hours) are never notified (e.g. the backlog at first start).
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

/// The instant `lookback_hours` before `now`: older tickets are not notified.
fn window_start(config: &NotificationConfig, now: DateTime<Utc>) -> DateTime<Utc> {
    chrono::Duration::try_hours(config.lookback_hours.max(0))
        .and_then(|lookback| now.checked_sub_signed(lookback))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl NotificationConfig {
    /// The partners of `commune` whose reports a route delivers (the robot tells the caller it
    /// transmits a report only to those).
    pub fn report_partners(&self, commune: &str) -> Vec<String> {
        let mut partners: Vec<String> = self
            .routes
            .iter()
            .filter(|route| route.commune == commune)
            .filter_map(|route| route.partner.clone())
            .collect();
        partners.sort();
        partners.dedup();
        partners
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(self.retry_base_seconds),
            max_delay: Duration::from_secs(self.retry_max_seconds),
            max_attempts: self.max_attempts,
        }
    }
}

/// Notifications leased per claim; they are delivered concurrently.
const BATCH: i64 = 10;
/// Tickets looked at per pass (newest first).
const TICKETS_PER_PASS: i64 = 1000;

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    Email(String),
    Webhook { url: String, token: Option<String> },
}

impl Destination {
    /// The stable key stored with the notification (no secret): `email:…` or `webhook:…`.
    fn key(&self) -> String {
        match self {
            Destination::Email(to) => format!("email:{to}"),
            Destination::Webhook { url, .. } => format!("webhook:{url}"),
        }
    }

    fn channel(&self) -> NotificationChannel {
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

struct NotifierInner {
    config: NotificationConfig,
    /// Tickets created before this instant are never notified (start − lookback).
    not_before: DateTime<Utc>,
    http: reqwest::Client,
    mailer: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// Tickets whose notifications this node has already queued: spares the store one
    /// idempotent insert per ticket and pass. Only a cache; the store's unique key is what
    /// makes a notification exist once.
    queued: Mutex<HashSet<i64>>,
}

/// Queues and sends ticket notifications through the store; cheap to clone.
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
        // Without routes nothing is ever enqueued: the start instant is never read.
        match Notifier::new(NotificationConfig::default(), DateTime::UNIX_EPOCH) {
            Ok(notifier) => notifier,
            // Without routes nothing can fail to validate; fall back to a bare client.
            Err(_) => Notifier {
                inner: Arc::new(NotifierInner {
                    config: NotificationConfig::default(),
                    not_before: DateTime::UNIX_EPOCH,
                    http: reqwest::Client::new(),
                    mailer: None,
                    queued: Mutex::new(HashSet::new()),
                }),
            },
        }
    }

    /// Checks the configuration and builds the notifier. Tickets created more than
    /// `lookback_hours` before `now` (the start) are not notified.
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
        Ok(Notifier {
            inner: Arc::new(NotifierInner {
                not_before: window_start(&config, now),
                config,
                http,
                mailer,
                queued: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// How often [`run_notifications`] looks for work.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.inner.config.poll_seconds.max(1))
    }

    /// How long a claimed batch is leased: every delivery of the batch runs at once, and an
    /// SMTP exchange may use its timeout several times; ample, as a lease that ends too early
    /// lets another node send the same notification.
    fn lease(&self) -> Duration {
        Duration::from_secs(self.inner.config.timeout_seconds.max(1) * 10 + 60)
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

    /// One pass: queues the notifications of recent tickets, then makes the attempts that are
    /// due at `now`. Returns the number of attempts made by this node.
    pub async fn tick<S: Store>(&self, store: &S, now: DateTime<Utc>) -> Result<usize, StoreError> {
        if self.inner.config.routes.is_empty() {
            return Ok(0);
        }
        self.enqueue_new(store, now).await?;
        self.drain(store, now).await
    }

    /// Queues one notification per destination of every recent ticket not queued yet.
    async fn enqueue_new<S: Store>(&self, store: &S, now: DateTime<Utc>) -> Result<(), StoreError> {
        let since = self
            .inner
            .not_before
            .max(window_start(&self.inner.config, now));
        let tickets = store
            .list_tickets(&TicketFilter {
                communes: self.communes(),
                states: Vec::new(),
                since: Some(since),
                limit: Some(TICKETS_PER_PASS),
                ..TicketFilter::default()
            })
            .await?;
        let known = self.queued_snapshot();
        for ticket in tickets.iter().filter(|t| !known.contains(&t.id)) {
            if ticket.anonymised_at.is_none() {
                for route in self
                    .inner
                    .config
                    .routes
                    .iter()
                    .filter(|r| r.matches(ticket))
                {
                    for destination in destinations(route) {
                        store
                            .enqueue_notification(&NewNotification {
                                tenant: ticket.tenant.clone(),
                                ticket_id: ticket.id,
                                destination: destination.key(),
                                channel: destination.channel(),
                                created_at: now,
                            })
                            .await?;
                    }
                }
            }
            self.lock_queued().insert(ticket.id);
        }
        // Forget tickets that left the window.
        let listed: HashSet<i64> = tickets.iter().map(|t| t.id).collect();
        self.lock_queued().retain(|id| listed.contains(id));
        Ok(())
    }

    fn lock_queued(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.inner.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queued_snapshot(&self) -> HashSet<i64> {
        self.lock_queued().clone()
    }

    /// Leases the due notifications batch by batch and delivers them. Returns the attempts.
    async fn drain<S: Store>(&self, store: &S, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let policy = self.inner.config.retry_policy();
        let mut attempts = 0;
        loop {
            let batch = store
                .claim_due_notifications(BATCH, now, self.lease())
                .await?;
            attempts += batch.len();
            let results = futures_util::future::join_all(
                batch
                    .iter()
                    .map(|notification| self.attempt(store, notification, &policy, now)),
            )
            .await;
            results.into_iter().collect::<Result<Vec<()>, _>>()?;
            if (batch.len() as i64) < BATCH {
                return Ok(attempts);
            }
        }
    }

    /// Delivers one leased notification and records how it went.
    async fn attempt<S: Store>(
        &self,
        store: &S,
        notification: &Notification,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ticket = store
            .get_ticket(
                notification.ticket_id,
                std::slice::from_ref(&notification.tenant),
            )
            .await?;
        let result = match (self.destination(&notification.destination), ticket) {
            // Transient: during a rolling change of configuration, another node may know it.
            (None, _) => Err((
                FailureKind::Transient,
                "destination absente de la configuration de ce serveur".to_string(),
            )),
            (_, None) => Err((FailureKind::Permanent, "ticket introuvable".to_string())),
            (_, Some(ticket)) if ticket.anonymised_at.is_some() => Err((
                FailureKind::Permanent,
                "ticket anonymisé entre-temps".to_string(),
            )),
            (Some(destination), Some(ticket)) => self
                .deliver(&destination, &ticket)
                .await
                .map_err(|error| (FailureKind::Transient, error)),
        };
        let described = describe_destination(&notification.destination);
        let ticket_id = notification.ticket_id;
        let (action, detail) = match result {
            Ok(()) => {
                if !store.mark_notification_sent(notification.id, now).await? {
                    // Our lease ended and another worker took it over: it records the outcome.
                    return Ok(());
                }
                (
                    "notification.sent",
                    format!("ticket={ticket_id} dest={described}"),
                )
            }
            Err((kind, error)) => {
                match store
                    .mark_notification_failed(notification.id, &error, kind, policy, now)
                    .await?
                {
                    RetryOutcome::RetryAt(at) => {
                        tracing::warn!(ticket = ticket_id, destination = %described, attempts = notification.attempts, %error, retry_at = %at, "ticket notification failed, will retry");
                        return Ok(());
                    }
                    RetryOutcome::Ignored => return Ok(()),
                    RetryOutcome::Dead => {
                        tracing::error!(ticket = ticket_id, destination = %described, attempts = notification.attempts, %error, "ticket notification given up");
                        (
                            "notification.failed",
                            format!("ticket={ticket_id} dest={described} error={error}"),
                        )
                    }
                }
            }
        };
        store
            .append_audit(&AuditEntry {
                at: now,
                actor: "system".into(),
                commune: Some(notification.tenant.clone()),
                action: action.into(),
                detail,
            })
            .await?;
        Ok(())
    }

    /// The configured destination with this key (webhook token included), if still configured.
    fn destination(&self, key: &str) -> Option<Destination> {
        self.inner
            .config
            .routes
            .iter()
            .flat_map(destinations)
            .find(|d| d.key() == key)
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

/// The notification worker: every `poll_seconds`, sends what is due on `store`, at the
/// instants `clock` gives. Spawn it once per node:
/// `tokio::spawn(guichet_console::notify::run_notifications(notifier, store, clock))`.
/// Runs until the task is aborted.
pub async fn run_notifications<S: Store>(notifier: Notifier, store: S, clock: Clock) {
    if notifier.inner.config.routes.is_empty() {
        return;
    }
    let mut interval = tokio::time::interval(notifier.poll_interval());
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = notifier.tick(&store, clock.now()).await {
            tracing::warn!(%error, "ticket notifications: store unavailable");
        }
    }
}
