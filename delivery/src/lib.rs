//! guichet-delivery: what guichet sends on its own, after a turn or a ticket, through one
//! claim → send → record loop ([`worker`]) shared by every kind of delivery:
//!
//! - [`courier`]: what a kind of delivery supplies to the loop (claim its due items under a
//!   lease, send one, record the outcome, then metrics or audit);
//! - [`worker`]: the loop itself: batches sent concurrently, the store's retry rule, logs,
//!   wake-ups, the poll interval and a graceful shutdown;
//! - [`notify`]: ticket notifications by e-mail and webhook (config, routes, the messages).
//!
//! The SMS outbox's courier is the service's (`src/serve/outbox.rs`): it sends through the
//! provider connectors and feeds the service's metrics, over the same loop.
//!
//! Adding a kind of delivery is one [`courier::Courier`] implementation. Adding a kind of
//! notification destination is one place: `notify/destination.rs` (the route field that names
//! it, its stored key, its check and its sending).

pub mod courier;
pub mod notify;
pub mod worker;

pub use courier::{Courier, Failure, Settled};
pub use notify::{
    NotificationConfig, NotificationRoute, Notifier, NotifyError, RouteDestinations, SmtpConfig,
    SmtpSecurity, describe_destination, run_notifications,
};
pub use worker::{Pace, deliver_due, run};
