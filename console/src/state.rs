//! The console's shared state.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use guichet_store::{AnyStore, Clock, TicketChange, TicketFeed};
use tokio::sync::broadcast;

use crate::config::{ConsoleCommune, ConsoleConfig};
use crate::render::Templates;
use crate::throttle::Throttle;

/// Everything the console's handlers share; cheap to clone.
#[derive(Clone)]
pub struct ConsoleState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: AnyStore,
    pub config: ConsoleConfig,
    pub communes: BTreeMap<String, ConsoleCommune>,
    pub clock: Clock,
    pub templates: Templates,
    pub throttle: Throttle,
    pub tickets_changed: broadcast::Sender<()>,
    /// Every node's ticket changes (PostgreSQL), set by [`ConsoleState::with_ticket_feed`].
    pub ticket_feed: OnceLock<TicketFeed>,
}

impl ConsoleState {
    /// Builds the state.
    pub fn new(
        store: AnyStore,
        config: ConsoleConfig,
        communes: Vec<ConsoleCommune>,
        clock: Clock,
    ) -> Self {
        let (tickets_changed, _) = broadcast::channel(64);
        ConsoleState {
            inner: Arc::new(Inner {
                store,
                throttle: Throttle::new(config.login_limit),
                config,
                communes: communes.into_iter().map(|c| (c.id.clone(), c)).collect(),
                clock,
                templates: Templates::new(),
                tickets_changed,
                ticket_feed: OnceLock::new(),
            }),
        }
    }

    /// Makes live queues also follow ticket changes made by the other nodes sharing the
    /// database (`AnyStore::ticket_change_feed`; `None`: this node's own signals only).
    /// A feed is set once: later ones are ignored.
    pub fn with_ticket_feed(self, feed: Option<TicketFeed>) -> Self {
        if let Some(feed) = feed
            && self.inner.ticket_feed.set(feed).is_err()
        {
            tracing::warn!("console: a ticket feed is already set; the new one is ignored");
        }
        self
    }

    /// What wakes a live queue of `communes`: this node's signals, and the other nodes'
    /// changes to those communes' tickets.
    pub(crate) fn ticket_changes(&self, communes: &[String]) -> TicketChanges {
        TicketChanges {
            local: self.inner.tickets_changed.subscribe(),
            remote: self.inner.ticket_feed.get().map(TicketFeed::subscribe),
            communes: communes.to_vec(),
        }
    }

    /// Signals that tickets changed (e.g. the service just saved a turn with a ticket): every
    /// open live queue of this node refreshes at once instead of at its next poll (the other
    /// nodes hear of it through the ticket feed, see [`ConsoleState::with_ticket_feed`]).
    pub fn notify_tickets_changed(&self) {
        // No receiver (nobody watching the queue) is not an error.
        let _ = self.inner.tickets_changed.send(());
    }

    /// A sender the service can keep to signal ticket changes (same as
    /// [`ConsoleState::notify_tickets_changed`]).
    pub fn tickets_changed_sender(&self) -> broadcast::Sender<()> {
        self.inner.tickets_changed.clone()
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.inner.store
    }

    /// The communes served.
    pub fn communes(&self) -> impl Iterator<Item = &ConsoleCommune> {
        self.inner.communes.values()
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// An instant as staff read it, in the commune's own time: « 3 décembre 2026 à 14 h 05 »
    /// (« … (UTC) » for a commune this console does not know).
    pub(crate) fn local_time(&self, commune: &str, at: chrono::DateTime<chrono::Utc>) -> String {
        match self.inner.communes.get(commune) {
            Some(c) => crate::french::date_time(&at.with_timezone(&c.timezone)),
            None => format!("{} (UTC)", crate::french::date_time(&at)),
        }
    }
}

/// How long a woken live queue waits for the echoes of the same change before re-reading
/// the tickets: a change made on this node is signalled locally, then comes back through the
/// database's feed a moment later; both wake the queue once.
const SETTLE: Duration = Duration::from_millis(150);

/// The changes one live queue follows (see [`ConsoleState::ticket_changes`]).
pub(crate) struct TicketChanges {
    local: broadcast::Receiver<()>,
    remote: Option<broadcast::Receiver<TicketChange>>,
    communes: Vec<String>,
}

impl TicketChanges {
    /// Waits until the viewer's tickets may have changed, then lets the echoes of that change
    /// arrive and swallows them: one wake per change, not one per source.
    pub(crate) async fn changed(&mut self) {
        self.next_relevant().await;
        tokio::time::sleep(SETTLE).await;
        self.drain();
    }

    async fn next_relevant(&mut self) {
        use broadcast::error::RecvError;
        loop {
            let remote = async {
                match self.remote.as_mut() {
                    Some(remote) => remote.recv().await,
                    None => std::future::pending().await,
                }
            };
            // Some(relevant), or None when the feed is gone (it lives as long as the state).
            let woken = tokio::select! {
                local = self.local.recv() => match local {
                    Ok(()) | Err(RecvError::Lagged(_)) => Some(true),
                    // The sender lives in the state: cannot happen while the queue is open.
                    Err(RecvError::Closed) => std::future::pending().await,
                },
                remote = remote => match remote {
                    Ok(change) => Some(change.concerns(&self.communes)),
                    Err(RecvError::Lagged(_)) => Some(true),
                    Err(RecvError::Closed) => None,
                },
            };
            match woken {
                Some(true) => return,
                Some(false) => {}
                None => self.remote = None,
            }
        }
    }

    /// Drops the signals already received.
    fn drain(&mut self) {
        use broadcast::error::TryRecvError;
        while matches!(self.local.try_recv(), Ok(()) | Err(TryRecvError::Lagged(_))) {}
        if let Some(remote) = self.remote.as_mut() {
            while matches!(remote.try_recv(), Ok(_) | Err(TryRecvError::Lagged(_))) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live queue of Villebourg, fed by a local sender and a stand-in for the feed.
    fn queue() -> (
        broadcast::Sender<()>,
        broadcast::Sender<TicketChange>,
        TicketChanges,
    ) {
        let (local, _) = broadcast::channel(8);
        let (remote, _) = broadcast::channel(8);
        let changes = TicketChanges {
            local: local.subscribe(),
            remote: Some(remote.subscribe()),
            communes: vec!["villebourg".to_string()],
        };
        (local, remote, changes)
    }

    /// Whether the queue wakes within `within`.
    async fn wakes(changes: &mut TicketChanges, within: Duration) -> bool {
        tokio::time::timeout(within, changes.changed())
            .await
            .is_ok()
    }

    const SOON: Duration = Duration::from_secs(5);
    /// Long enough for a wake that should not come (twice the settling time).
    const QUIET: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn a_local_change_and_its_echo_from_the_database_wake_once() {
        let (local, remote, mut changes) = queue();
        local.send(()).unwrap();
        {
            let mut woken = std::pin::pin!(changes.changed());
            // One poll: it takes the local signal and starts settling.
            assert!(
                tokio::time::timeout(Duration::ZERO, woken.as_mut())
                    .await
                    .is_err()
            );
            // The same change comes back through the database meanwhile.
            remote
                .send(TicketChange::Commune("villebourg".into()))
                .unwrap();
            tokio::time::timeout(SOON, woken)
                .await
                .expect("the local signal wakes the queue");
        }
        assert!(!wakes(&mut changes, QUIET).await, "the echo woke it again");
    }

    #[tokio::test]
    async fn only_the_viewers_communes_or_a_resync_wake_it() {
        let (_local, remote, mut changes) = queue();
        remote
            .send(TicketChange::Commune("ailleurs".into()))
            .unwrap();
        assert!(!wakes(&mut changes, QUIET).await);
        remote
            .send(TicketChange::Commune("villebourg".into()))
            .unwrap();
        assert!(wakes(&mut changes, SOON).await);
        remote.send(TicketChange::Resync).unwrap();
        assert!(wakes(&mut changes, SOON).await);
    }

    #[tokio::test]
    async fn local_signals_still_wake_it_when_the_feed_is_gone() {
        let (local, remote, mut changes) = queue();
        drop(remote);
        assert!(!wakes(&mut changes, QUIET).await);
        local.send(()).unwrap();
        assert!(wakes(&mut changes, SOON).await);
    }
}
