//! The console's shared state.

use std::collections::BTreeMap;
use std::sync::Arc;

use guichet_store::AnyStore;
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::config::{ConsoleCommune, ConsoleConfig};
use crate::notify::Notifier;
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
    pub notifier: Notifier,
}

impl ConsoleState {
    /// Builds the state. `notifier` holds the notification routes and their delivery status
    /// (use [`Notifier::disabled`] when none is configured); the same notifier is given to
    /// [`crate::notify::run_notifications`].
    pub fn new(
        store: AnyStore,
        config: ConsoleConfig,
        communes: Vec<ConsoleCommune>,
        clock: Clock,
        notifier: Notifier,
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
                notifier,
            }),
        }
    }

    /// Signals that tickets changed (e.g. the service just saved a turn with a ticket): every
    /// open live queue refreshes at once instead of at its next poll. Node-local.
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

    /// The notifier (delivery status of ticket notifications).
    pub fn notifier(&self) -> &Notifier {
        &self.inner.notifier
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.inner.clock)()
    }
}
