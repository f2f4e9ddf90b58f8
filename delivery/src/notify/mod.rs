//! Notifications of callback and report tickets by e-mail (SMTP) or webhook (JSON POST),
//! configured per commune and per partner ([`config`]).
//!
//! Delivery state lives in the store (table `notifications`), shared by every node: each pass
//! queues one notification per recent ticket and configured destination (idempotent:
//! `(ticket, destination)` is unique), then the one delivery loop ([`crate::worker`]) leases
//! the due ones, so that two nodes never send the same notification, delivers them
//! ([`send`]) and records the outcome with the outbox's retry rule. Failures are retried with
//! backoff, shown on the console's Notifications page, logged, and audited when given up
//! (`notification.failed`); deliveries are audited as `notification.sent`
//! (`ticket=<id> dest=<destination>`): never silent.

pub mod config;
mod destination;
mod send;
mod smtp;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{
    AuditEntry, AuditStore, Clock, NewNotification, Notification, NotificationStore, RetryOutcome,
    RetryPolicy, StoreError, TicketFilter, TicketStore,
};

pub use config::{NotificationConfig, NotificationRoute};
pub use destination::{RouteDestinations, describe_destination};
pub use smtp::{SmtpConfig, SmtpSecurity};

use crate::courier::{Courier, Failure, Settled};
use crate::worker::{Pace, deliver_due};
use config::window_start;
use destination::{Destination, Unusable};
use send::Transport;

/// Notifications leased per claim; they are delivered concurrently.
const BATCH: usize = 10;
/// Tickets looked at per pass (newest first).
const TICKETS_PER_PASS: i64 = 1000;

struct NotifierInner {
    config: NotificationConfig,
    /// Tickets created before this instant are never notified (start − lookback).
    not_before: DateTime<Utc>,
    transport: Transport,
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
    /// A route has no destination, or a bad address.
    #[error("notification route for {commune}: {message}")]
    Route {
        /// Commune of the route.
        commune: String,
        /// What is wrong.
        message: String,
    },
}

impl Notifier {
    /// Checks the configuration and builds the notifier. Tickets created more than
    /// `lookback_hours` before `now` (the start) are not notified.
    pub fn new(config: NotificationConfig, now: DateTime<Utc>) -> Result<Self, NotifyError> {
        for route in &config.routes {
            match route.to.check(config.smtp.is_some()) {
                Ok(()) => {}
                Err(Unusable::Address(message)) => {
                    return Err(NotifyError::Route {
                        commune: route.commune.clone(),
                        message,
                    });
                }
                Err(Unusable::NoSmtp) => {
                    return Err(NotifyError::Smtp(
                        "a route sends e-mail but [smtp] is missing".into(),
                    ));
                }
            }
        }
        let timeout = Duration::from_secs(config.timeout_seconds.max(1));
        let transport = Transport::new(config.smtp.as_ref(), timeout)?;
        Ok(Notifier {
            inner: Arc::new(NotifierInner {
                not_before: window_start(&config, now),
                config,
                transport,
                queued: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// Whether any route is configured (else nothing is ever sent and no worker runs).
    pub fn is_enabled(&self) -> bool {
        !self.inner.config.routes.is_empty()
    }

    /// How often the worker looks for work.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.inner.config.poll_seconds.max(1))
    }

    /// The courier delivering this notifier's notifications through `store`.
    pub fn courier<S: NotificationStore + TicketStore + AuditStore>(
        &self,
        store: S,
    ) -> NotificationCourier<S> {
        NotificationCourier {
            notifier: self.clone(),
            policy: self.inner.config.retry_policy(),
            store,
        }
    }

    /// One pass at the fixed instant `now`: queues the notifications of recent tickets, then
    /// makes the attempts that are due. Returns the number of attempts made by this node.
    pub async fn tick<S: NotificationStore + TicketStore + AuditStore + Clone>(
        &self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if !self.is_enabled() {
            return Ok(0);
        }
        deliver_due(&self.courier(store.clone()), &Clock::from_fn(move || now)).await
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

    /// Queues one notification per destination of every recent ticket not queued yet.
    async fn enqueue_new<S: NotificationStore + TicketStore>(
        &self,
        store: &S,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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
                    for destination in route.to.list() {
                        store
                            .enqueue_notification(&NewNotification {
                                tenant: ticket.tenant.clone(),
                                ticket_id: ticket.id,
                                destination: destination.key(),
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

    /// The configured destination with this key (webhook token included), if still configured.
    fn destination(&self, key: &str) -> Option<Destination> {
        self.inner
            .config
            .routes
            .iter()
            .flat_map(|route| route.to.list())
            .find(|d| d.key() == key)
    }
}

/// Ticket notifications as a [`Courier`] of the one delivery loop.
pub struct NotificationCourier<S> {
    notifier: Notifier,
    policy: RetryPolicy,
    store: S,
}

impl<S: NotificationStore + TicketStore + AuditStore> Courier for NotificationCourier<S> {
    type Item = Notification;

    fn name(&self) -> &'static str {
        "notifications"
    }

    fn batch(&self) -> usize {
        BATCH
    }

    async fn prepare(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.notifier.enqueue_new(&self.store, now).await
    }

    async fn claim(&self, now: DateTime<Utc>) -> Result<Vec<Notification>, StoreError> {
        self.store
            .claim_due_notifications(BATCH as i64, now, self.notifier.lease())
            .await
    }

    async fn send(&self, notification: &Notification) -> Result<String, Failure> {
        let ticket = self
            .store
            .get_ticket(
                notification.ticket_id,
                std::slice::from_ref(&notification.tenant),
            )
            .await
            .map_err(|error| Failure::transient(format!("base indisponible : {error}")))?;
        // Transient: during a rolling change of configuration, another node may know it.
        let destination = self
            .notifier
            .destination(&notification.destination)
            .ok_or_else(|| {
                Failure::transient("destination absente de la configuration de ce serveur")
            })?;
        let ticket = ticket.ok_or_else(|| Failure::permanent("ticket introuvable"))?;
        if ticket.anonymised_at.is_some() {
            return Err(Failure::permanent("ticket anonymisé entre-temps"));
        }
        destination
            .deliver(&self.notifier.inner.transport, &ticket)
            .await
            .map(|()| String::new())
            .map_err(Failure::transient)
    }

    async fn mark_sent(
        &self,
        notification: &Notification,
        _receipt: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.store
            .mark_notification_sent(notification.id, now)
            .await
    }

    async fn mark_failed(
        &self,
        notification: &Notification,
        failure: &Failure,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome, StoreError> {
        self.store
            .mark_notification_failed(
                notification.id,
                &failure.error,
                failure.kind,
                &self.policy,
                now,
            )
            .await
    }

    /// Audits what was delivered and what was given up (retries are only logged).
    async fn settled(
        &self,
        notification: &Notification,
        settled: Settled<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let described = self.describe(notification);
        let (action, detail) = match settled {
            Settled::Sent => ("notification.sent", described),
            Settled::Retry { .. } => return Ok(()),
            Settled::Dead { failure } => (
                "notification.failed",
                format!("{described} error={}", failure.error),
            ),
        };
        self.store
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

    fn describe(&self, notification: &Notification) -> String {
        format!(
            "ticket={} dest={}",
            notification.ticket_id,
            describe_destination(&notification.destination)
        )
    }

    fn attempts(&self, notification: &Notification) -> i32 {
        notification.attempts
    }
}

/// The notification worker of one node: every `poll_seconds`, delivers what is due on
/// `store` at the instants `clock` gives, until `shutdown` turns true. Returns at once when
/// no route is configured.
pub async fn run_notifications<S: NotificationStore + TicketStore + AuditStore + 'static>(
    notifier: Notifier,
    store: S,
    clock: Clock,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    if !notifier.is_enabled() {
        return;
    }
    let pace = Pace::every(notifier.poll_interval());
    crate::worker::run(notifier.courier(store), clock, pace, shutdown).await;
}
