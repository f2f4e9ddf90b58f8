//! guichet-store: sessions, transcripts, tickets (the handoff queue), the SMS outbox, ticket
//! notifications (e-mail, webhook), staff accounts, audit log and evaluation runs, behind one
//! small trait per domain ([`SessionStore`], [`TicketStore`]…; [`Store`] is all of them) with
//! two backends: SQLite (embedded default, a file under `data/`, WAL) and PostgreSQL (shared by
//! several stateless `guichet serve` nodes). Both pass the same test suite (`tests/it/suite`).
//! The records they keep (`Ticket`, `SessionRecord`, `OutboxMessage`…) are `guichet-model`'s,
//! re-exported here.
//!
//! Each domain's statements are written once, in the file named for it (`tickets.rs`,
//! `outbox.rs`, `sessions.rs`…), generic over a small `Dialect` (`dialect.rs`) implemented by
//! each store (`sqlite.rs`, `postgres.rs`, their encodings in `sqlite_dialect.rs` and
//! `postgres_dialect.rs`); the writes on the citizens' path are lists of statements
//! (`writes.rs`) that each backend runs its way. The store's methods are listed once, by
//! domain, in `methods.rs` ([`store_methods!`]). `docs/architecture.md` tells the whole story.
//!
//! Callers hold an [`AnyStore`] (cheap to clone: it wraps connection pools) and bring into
//! scope the traits of the domains they use (or take `S: TicketStore + AuditStore`…):
//!
//! ```no_run
//! # async fn demo() -> Result<(), guichet_store::StoreError> {
//! use guichet_store::{AnyStore, SessionStore};
//! let store = AnyStore::connect("sqlite://data/guichet.db?mode=rwc").await?;
//! store.ping().await?;
//! # Ok(()) }
//! ```
//!
//! Conventions:
//! - All instants are `DateTime<Utc>` supplied by the caller (the store never reads the clock),
//!   so behaviour is reproducible in tests.
//! - Phone numbers are in clear only on tickets and in not-yet-purged outbox rows (needed to
//!   send); elsewhere (sessions' `caller`) they are [`pseudonymise`]d by the caller. Every one
//!   is written in E.164 ([`guichet_phone::stored_number`], applied by the store and by
//!   [`pseudonymise`]), so that one citizen is one number whatever the spelling it came in.
//! - Staff-facing ticket operations take the viewer's `communes` and never touch another
//!   commune's rows (they answer [`Transition::NotFound`] / `None`).
//! - Malformed rows give [`StoreError::Corrupt`], never a panic.

mod any_store;
mod api_keys;
mod audit;
mod dialect;
mod error;
mod eval_runs;
mod events;
mod methods;
mod notifications;
mod outbox;
mod postgres;
mod postgres_dialect;
mod privacy;
mod queue;
mod sessions;
mod sqlite;
mod sqlite_dialect;
mod sqlite_writer;
mod staff;
#[cfg(feature = "testkit")]
pub mod testkit;
mod tickets;
mod writes;

use std::future::Future;

use chrono::{DateTime, Utc};
use methods::declare_store;

pub use any_store::AnyStore;
pub use error::{Result, StoreError};
pub use events::{FeedStatus, TicketChange, TicketFeed};
pub use guichet_model::*;

/// The records, under the name the domain files use.
use guichet_model as model;
pub use guichet_phone::{pseudonymise, redact_numbers};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The default embedded database URL (relative to the working directory).
pub const DEFAULT_SQLITE_URL: &str = "sqlite://data/guichet.db?mode=rwc";

store_methods!(declare_store);
