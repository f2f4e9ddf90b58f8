//! The axum service behind `guichet serve`: provider webhooks, the JSON API, health and metrics,
//! the staff console (`/console/`, with its notification and retention tasks) and the SMS
//! outbox worker. Wiring only: decisions are the engine's, formats the connectors', pages the
//! console's.

pub mod api_auth;
pub mod api_limiter;
pub mod app;
pub mod config;
pub mod conversation;
pub mod error;
pub mod exposure;
pub mod handlers;
pub mod metered_store;
pub mod metrics;
pub mod outbox;
pub mod retention;
pub mod session_cache;
pub mod sms_guard;
pub mod spool;
pub mod state;
pub mod telemetry;
pub mod transfer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use guichet_office::retention::Retention;
use guichet_store::ApiKeyStore as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Settings;
pub use state::AppState;

/// A running service (tests and `guichet serve`).
pub struct Running {
    pub address: SocketAddr,
    pub state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    worker: Option<JoinHandle<()>>,
    /// Replays spooled turns into the store.
    drainer: JoinHandle<()>,
    /// The console's notification and retention tasks: loops, aborted at shutdown.
    background: Vec<JoinHandle<()>>,
    _guards: Vec<guichet_knowledge::WatchGuard>,
}

impl Running {
    /// Stops accepting connections, lets in-flight requests finish, stops the outbox worker
    /// after its current batch (unsent SMS stay in the outbox), stops the console's background
    /// tasks (a notification not yet sent is retried at the next start), replays the spool
    /// once more (what the store does not take stays on disk) and closes the store.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        for task in &self.background {
            task.abort();
        }
        self.server
            .await
            .context("server task")?
            .context("server")?;
        if let Some(worker) = self.worker {
            worker.await.context("outbox worker task")?;
        }
        self.drainer.await.context("spool drainer task")?;
        // No turn comes in any more: one last try to put spooled turns in the store (what is
        // left stays on disk for the next start).
        if !self.state.spool.is_empty() {
            let drained = spool::drain::drain(&self.state).await;
            if drained.left > 0 {
                tracing::warn!(left = drained.left, dir = %self.state.spool.dir().display(), "turns left in the spool for the next start");
            }
        }
        for task in self.background {
            // Aborted above: a cancellation is the expected outcome.
            if let Err(error) = task.await
                && !error.is_cancelled()
            {
                tracing::warn!(%error, "console background task failed");
            }
        }
        self.state.store.close().await;
        Ok(())
    }

    /// Waits until `signal` resolves, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down: finishing in-flight requests");
        self.shutdown().await
    }
}

/// Loads the communes, connects the store, binds `settings.listen` and serves.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    let sms_clients = outbox::SmsClients::of(&settings)?;
    let listen = settings.listen;
    let providers = exposure::Providers::of(&settings);
    if !settings.twilio.verify_signatures || !settings.vonage.verify_signatures {
        tracing::warn!("signature checks disabled by configuration (loopback only)");
    }
    let (state, guards) = AppState::build(settings).await?;
    let api_keys = state
        .store
        .count_api_keys()
        .await
        .context("counting the API keys")?;
    exposure::check_bind(&state.settings, api_keys)?;
    tracing::info!(
        providers = %providers.names(),
        api_keys,
        "webhooks served for these providers only (the others answer 404)"
    );
    let state = Arc::new(state);
    let commune_ids: Vec<String> = state.communes.keys().cloned().collect();
    if let Some(admin) = guichet_office::ensure_first_admin(&state.store, &commune_ids, state.now())
        .await
        .context("creating the first console administrator")?
    {
        // The password goes to a file only the service's user can read, never to the logs.
        let data_dir = state
            .settings
            .spool_dir
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let path = guichet_office::accounts::write_first_admin_file(data_dir, &admin)
            .with_context(|| {
                format!(
                    "writing the first administrator's password in {}",
                    data_dir.display()
                )
            })?;
        println!(
            "Premier administrateur de la console : {} — mot de passe à usage unique dans {} \
             (lisible par ce seul compte système), à changer à la première connexion",
            admin.email,
            path.display()
        );
        tracing::info!(account = %admin.email, file = %path.display(), "first console administrator created");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr()?;
    let (shutdown, stopped) = watch::channel(false);
    let app = app::router(state.clone());
    let mut server_stop = stopped.clone();
    let server = tokio::spawn(async move {
        // The peer address feeds the console's per-IP login limit.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        })
        .await
    });
    let drainer = tokio::spawn(spool::drain::run(state.clone(), stopped.clone()));
    let worker = (!sms_clients.is_empty())
        .then(|| tokio::spawn(outbox::run(state.clone(), sms_clients, stopped.clone())));
    let retention_every =
        Duration::from_secs(state.settings.console.retention_interval_minutes.max(1) * 60);
    let background = vec![
        tokio::spawn(guichet_delivery::run_notifications(
            state.notifier.clone(),
            state.console.store().clone(),
            state.settings.clock.clone(),
            stopped.clone(),
        )),
        tokio::spawn(guichet_office::retention::run_retention(
            state.console.store().clone(),
            state
                .console
                .communes()
                .map(|commune| Retention {
                    commune: commune.id.clone(),
                    days: commune.retention_days,
                })
                .collect(),
            state.settings.clock.clone(),
            retention_every,
        )),
    ];
    Ok(Running {
        address,
        state,
        shutdown,
        server,
        worker,
        drainer,
        background,
        _guards: guards,
    })
}
