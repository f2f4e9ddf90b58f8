//! Ticket notifications (e-mail, webhook) and their delivery state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;

text_enum! {
    /// Life cycle of a ticket notification: pending → sending → sent, or → failed (retried
    /// at `next_attempt_at`) → … → dead.
    NotificationState {
        /// Never tried yet; due at `next_attempt_at`.
        Pending => "pending",
        /// Leased by a worker until `lease_until`; due again once the lease ends (a crashed
        /// worker).
        Sending => "sending",
        /// Delivered (final).
        Sent => "sent",
        /// The last attempt failed; retried at `next_attempt_at`.
        Failed => "failed",
        /// Given up: a permanent error or too many attempts (final).
        Dead => "dead",
    }
}

impl NotificationState {
    /// Whether the notification is finished (sent or dead).
    pub fn is_final(self) -> bool {
        matches!(self, NotificationState::Sent | NotificationState::Dead)
    }
}

/// A notification to queue: one ticket to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    /// The commune of the ticket.
    pub tenant: String,
    /// The ticket.
    pub ticket_id: i64,
    /// Stable key of the destination, without any secret, e.g. `email:mairie@villebourg.fr`
    /// or `webhook:https://agglo.example/hook`: its kind, then its address (the kinds are
    /// the delivery crate's, which alone reads them). `(ticket_id, destination)` is unique: queueing
    /// the same notification twice (two nodes, a restart) is a no-op.
    pub destination: String,
    /// Creation time; the notification is due immediately.
    pub created_at: DateTime<Utc>,
}

impl NewNotification {
    /// Refuses a notification without destination.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.destination.trim().is_empty() {
            return Err(Invalid("notification without destination".into()));
        }
        Ok(())
    }
}

/// A stored ticket notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Row id.
    pub id: i64,
    /// The commune.
    pub tenant: String,
    /// The ticket.
    pub ticket_id: i64,
    /// Stable key of the destination (see [`NewNotification::destination`]).
    pub destination: String,
    /// State.
    pub state: NotificationState,
    /// Attempts started so far (incremented by each claim).
    pub attempts: i32,
    /// Pending or failed: when to try (again). `None` once sending or final.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Sending: when the worker's lease ends.
    pub lease_until: Option<DateTime<Utc>>,
    /// Last error reported by a worker.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Which notifications to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationFilter {
    /// Communes the viewer may see; an empty list matches nothing.
    pub communes: Vec<String>,
    /// States to include; empty means all states.
    pub states: Vec<NotificationState>,
    /// At most this many (newest first).
    pub limit: Option<i64>,
}
