//! Live ticket changes across nodes. On PostgreSQL a trigger (`0003_ticket_events.sql`) sends
//! `NOTIFY guichet_tickets` whenever a ticket is created or changes; a [`TicketFeed`] listens on
//! a dedicated connection and rebroadcasts "the tickets of commune X changed" to whoever
//! subscribes in this process (the console's live queues). SQLite has no feed: it serves a
//! single node, whose own signals suffice.
//!
//! The listener reconnects with exponential backoff when its connection drops; notifications
//! sent meanwhile are lost, so after a reconnection it sends [`TicketChange::Resync`].

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// The notification channel the migration's trigger sends on.
pub const TICKETS_CHANNEL: &str = "guichet_tickets";

/// `application_name` of the listener's connection (visible in `pg_stat_activity`).
pub const FEED_APPLICATION_NAME: &str = "guichet-ticket-feed";

/// First wait before reconnecting; doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long to wait for the listener's connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Changes kept for a slow subscriber before it is told it lagged.
const CAPACITY: usize = 256;

/// Something changed in the tickets, as a subscriber of a [`TicketFeed`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketChange {
    /// A ticket of this commune was created or changed (by any node).
    Commune(String),
    /// Changes may have been missed (the listener was reconnected): any commune may have changed.
    Resync,
}

impl TicketChange {
    /// Whether someone watching `communes` should look again.
    pub fn concerns(&self, communes: &[String]) -> bool {
        match self {
            TicketChange::Commune(tenant) => communes.iter().any(|c| c == tenant),
            TicketChange::Resync => true,
        }
    }
}

/// The state of a feed's listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedStatus {
    /// Not (or no longer) listening: (re)connecting, or waiting before the next attempt.
    Connecting,
    /// Listening on a connection served by this backend process (`pg_backend_pid()`).
    Listening { backend_pid: i32 },
    /// The store was closed: the feed sends nothing more.
    Stopped,
}

/// Ticket changes made by every node sharing the database. Cheap to clone; the listener runs
/// while a clone exists and the store is open.
#[derive(Clone)]
pub struct TicketFeed {
    changes: broadcast::Sender<TicketChange>,
    status: watch::Receiver<FeedStatus>,
    _listener: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for TicketFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketFeed")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl TicketFeed {
    /// Starts listening with a dedicated connection opened with the options of `store_pool`
    /// (same server, same `search_path`). Stops when `store_pool` is closed or the last clone
    /// of the feed is dropped. Must be called inside a tokio runtime.
    pub(crate) fn listen(store_pool: &PgPool) -> TicketFeed {
        let (changes, _) = broadcast::channel(CAPACITY);
        let (status_tx, status) = watch::channel(FeedStatus::Connecting);
        let task = tokio::spawn(run(store_pool.clone(), changes.clone(), status_tx));
        TicketFeed {
            changes,
            status,
            _listener: Arc::new(AbortOnDrop(task)),
        }
    }

    /// Receives the changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TicketChange> {
        self.changes.subscribe()
    }

    /// The listener's state, to read now or to wait on (`wait_for`).
    pub fn status(&self) -> watch::Receiver<FeedStatus> {
        self.status.clone()
    }
}

/// Aborts the listener task when the last feed is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The trigger's payload.
#[derive(Deserialize)]
struct Payload {
    schema: String,
    tenant: String,
}

async fn run(
    store_pool: PgPool,
    changes: broadcast::Sender<TicketChange>,
    status: watch::Sender<FeedStatus>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut first_attempt = true;
    loop {
        // Whether the store was closed (stop), or the connection was lost or failed (reconnect).
        let store_closed = tokio::select! {
            _ = store_pool.close_event() => true,
            connected = connect(&store_pool) => match connected {
                Ok(Connected { mut listener, pool, schema, backend_pid }) => {
                    backoff = FIRST_BACKOFF;
                    status.send_replace(FeedStatus::Listening { backend_pid });
                    if !first_attempt {
                        // Whatever changed while nobody listened is unknown.
                        let _ = changes.send(TicketChange::Resync);
                    }
                    tracing::debug!(%schema, backend_pid, "ticket feed listening");
                    let store_closed = tokio::select! {
                        _ = store_pool.close_event() => true,
                        () = forward(&mut listener, &schema, &changes) => false,
                    };
                    status.send_replace(FeedStatus::Connecting);
                    drop(listener);
                    close_in_background(pool);
                    store_closed
                }
                Err(error) => {
                    tracing::warn!(%error, "ticket feed: cannot listen to PostgreSQL");
                    false
                }
            },
        };
        first_attempt = false;
        if store_closed {
            break;
        }
        tracing::warn!(
            retry_in_ms = backoff.as_millis() as u64,
            "ticket feed: not listening, retrying"
        );
        tokio::select! {
            _ = store_pool.close_event() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    status.send_replace(FeedStatus::Stopped);
}

/// A listening connection.
struct Connected {
    listener: PgListener,
    /// The listener's own pool (one connection), closed when the session ends.
    pool: PgPool,
    schema: String,
    backend_pid: i32,
}

/// Opens the dedicated connection, reads its schema and backend pid, and listens.
async fn connect(store_pool: &PgPool) -> sqlx::Result<Connected> {
    let options = (*store_pool.connect_options())
        .clone()
        .application_name(FEED_APPLICATION_NAME);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await?;
    match listen(&pool).await {
        Ok((listener, schema, backend_pid)) => Ok(Connected {
            listener,
            pool,
            schema,
            backend_pid,
        }),
        Err(error) => {
            close_in_background(pool);
            Err(error)
        }
    }
}

async fn listen(pool: &PgPool) -> sqlx::Result<(PgListener, String, i32)> {
    let mut listener = PgListener::connect_with(pool).await?;
    // The pool is the listener's own: `run` watches the store's pool and closes this one.
    listener.ignore_pool_close_event(true);
    // `run` reconnects itself (with backoff, announcing a resync).
    listener.eager_reconnect(false);
    let (schema, pid): (Option<String>, i32) =
        sqlx::query_as("SELECT current_schema()::text, pg_backend_pid()")
            .fetch_one(&mut listener)
            .await?;
    let schema = schema
        .ok_or_else(|| sqlx::Error::Configuration("no schema of the search_path exists".into()))?;
    listener.listen(TICKETS_CHANNEL).await?;
    Ok((listener, schema, pid))
}

/// Closes a listener's pool once its connection is back (a dead connection may take a while
/// to be given back: nobody waits for it).
fn close_in_background(pool: PgPool) {
    tokio::spawn(async move { pool.close().await });
}

/// Forwards this schema's notifications until the connection ends.
async fn forward(
    listener: &mut PgListener,
    schema: &str,
    changes: &broadcast::Sender<TicketChange>,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                match serde_json::from_str::<Payload>(notification.payload()) {
                    Ok(payload) if payload.schema == schema => {
                        // No subscriber (no open live queue) is not an error.
                        let _ = changes.send(TicketChange::Commune(payload.tenant));
                    }
                    Ok(_) => {} // another schema sharing the database
                    Err(error) => {
                        tracing::warn!(%error, "ticket feed: unexpected notification payload");
                    }
                }
            }
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "ticket feed: listener failed");
                return;
            }
        }
    }
}
