//! What every request shares: the communes and their knowledge, the store, the engine, metrics,
//! and the staff console's state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context as _;
use guichet_agent::Engine;
use guichet_console::{ConsoleCommune, ConsoleConfig, ConsoleState};
use guichet_delivery::Notifier;
use guichet_knowledge::{Knowledge, LiveKnowledge, WatchGuard};
use guichet_phone::stored_number;
use guichet_store::{AnyStore, TurnRecord, TurnSaved};
use tokio::sync::Notify;

use super::config::{Provider, Secret, Settings};
use super::metered_store::{self, MeteredStore};
use super::metrics::ServiceMetrics;
use super::session_cache::SessionCache;
use super::spool::Spool;

/// One commune in service.
pub struct CommuneRuntime {
    pub id: String,
    pub knowledge: LiveKnowledge,
    /// The Twilio token signing this commune's webhooks (its own, or the global one).
    pub twilio_auth_token: Option<Secret>,
    /// The one provider this commune is reached through (`None`: any configured one).
    pub provider: Option<Provider>,
    /// The voice of its jambonz calls (its own, or `[jambonz] voice`).
    pub jambonz_voice: Option<String>,
    /// The partners whose reports a `[[notifications.routes]]` delivers (see
    /// [`guichet_agent::Context::report_channels`]).
    pub report_channels: Vec<String>,
}

impl CommuneRuntime {
    /// Whether this commune answers `provider`'s webhooks.
    pub fn reached_through(&self, provider: Provider) -> bool {
        self.provider.is_none_or(|own| own == provider)
    }
}

pub struct AppState {
    pub settings: Settings,
    pub public_base: String,
    pub communes: BTreeMap<String, Arc<CommuneRuntime>>,
    by_number: HashMap<String, String>,
    /// The store, its calls timed (`guichet_store_operation_seconds`).
    pub store: MeteredStore,
    pub engine: Engine,
    pub metrics: ServiceMetrics,
    pub pseudonym_key: Vec<u8>,
    /// Woken when a turn queues an SMS.
    pub outbox_wake: Arc<Notify>,
    /// Ticket notifications (e-mail, webhook) of `[notifications]`; checked at start.
    pub notifier: Notifier,
    /// The staff console (mounted at `/console`; told when a turn creates tickets).
    pub console: ConsoleState,
    /// Turns waiting for an unreachable store (see [`super::spool`]).
    pub spool: Spool,
    /// The last session of each conversation handled here, for when the store is unreachable.
    pub sessions: SessionCache,
    /// The public API keys' rate per client address.
    pub api_limiter: super::api_limiter::PublicLimiter,
    /// How jambonz webhooks are checked (`None`: its routes are not served).
    pub jambonz: Option<guichet_connectors::jambonz::WebhookVerifier>,
}

impl AppState {
    /// What follows a turn's save, live or replayed from the spool: the outbox worker wakes
    /// for its SMS, the console's live queues for its new tickets.
    pub fn turn_saved(&self, record: &TurnRecord, saved: &TurnSaved) {
        if !record.outbox.is_empty() {
            self.outbox_wake.notify_one();
        }
        if saved.inserted && !record.tickets.is_empty() {
            self.console.notify_tickets_changed();
        }
    }

    /// Loads every commune's knowledge (watching folders if configured) and connects the store.
    pub async fn build(settings: Settings) -> anyhow::Result<(AppState, Vec<WatchGuard>)> {
        let mut communes = BTreeMap::new();
        let mut by_number = HashMap::new();
        let dirs: Vec<_> = settings
            .communes
            .values()
            .map(|commune| commune.dir.clone())
            .collect();
        let loaded = tokio::task::spawn_blocking(move || Knowledge::load_many(&dirs))
            .await
            .context("loading the communes")?;
        let mut lives = Vec::with_capacity(loaded.len());
        for ((id, commune), knowledge) in settings.communes.iter().zip(loaded) {
            let knowledge =
                LiveKnowledge::new(knowledge.with_context(|| {
                    format!("loading commune {id} from {}", commune.dir.display())
                })?);
            lives.push(knowledge.clone());
            for number in &commune.numbers {
                if let Some(previous) = by_number.insert(stored_number(number), id.clone()) {
                    anyhow::bail!("number {number} belongs to both {previous} and {id}");
                }
            }
            let twilio_auth_token = commune
                .twilio
                .auth_token
                .clone()
                .or_else(|| settings.twilio.auth_token.clone());
            communes.insert(
                id.clone(),
                Arc::new(CommuneRuntime {
                    id: id.clone(),
                    knowledge,
                    twilio_auth_token,
                    provider: commune.provider,
                    jambonz_voice: commune
                        .jambonz
                        .voice
                        .clone()
                        .or_else(|| settings.jambonz.voice.clone()),
                    report_channels: settings
                        .notifications
                        .as_ref()
                        .map(|notifications| notifications.0.report_partners(id))
                        .unwrap_or_default(),
                }),
            );
        }
        tracing::info!(
            communes = communes.len(),
            indexes = guichet_knowledge::indexes_in_use(),
            "knowledge loaded (communes of the same content share one index)"
        );
        let guards = if settings.watch_knowledge {
            vec![LiveKnowledge::watch_all(&lives).context("watching the communes' folders")?]
        } else {
            Vec::new()
        };
        let store = AnyStore::connect(&settings.database_url)
            .await
            .context("connecting the store")?;
        // Same rule as the console's CLI (`pseudonym_key_from_env`): unset or blank means the
        // development key, so that exports and erasures find the service's conversations.
        let pseudonym_key = match &settings.privacy.pseudonym_key {
            Some(key) if !key.expose().trim().is_empty() => key.expose().as_bytes().to_vec(),
            _ => {
                tracing::warn!(
                    "no {}: using the development pseudonym key",
                    guichet_office::PSEUDONYM_KEY_ENV
                );
                guichet_office::DEV_PSEUDONYM_KEY.as_bytes().to_vec()
            }
        };
        let public_base = settings.public_base();
        let console = console_state(&settings, &communes, &store, &public_base)?;
        let notifier = Notifier::new(
            settings
                .notifications
                .as_ref()
                .map(|notifications| notifications.0.clone())
                .unwrap_or_default(),
            settings.clock.now(),
        )
        .context("invalid [notifications]")?;
        let metrics = ServiceMetrics::new(
            communes.keys().map(String::as_str),
            metered_store::OPERATIONS,
        )
        .context("registering metrics")?;
        let spool = Spool::open(
            &settings.spool_dir,
            std::time::Duration::from_millis(settings.store_timeout_ms.max(1)),
            metrics.spool(),
        )
        .with_max_bytes(settings.spool_max_bytes)
        .with_probe(store.clone());
        let state = AppState {
            public_base,
            communes,
            by_number,
            store: MeteredStore::new(store, &metrics),
            engine: Engine::default(),
            metrics,
            pseudonym_key,
            outbox_wake: Arc::new(Notify::new()),
            notifier,
            console,
            spool,
            sessions: SessionCache::with_limits(
                super::session_cache::DEFAULT_CAPACITY,
                settings.session_cache_max_bytes,
            ),
            api_limiter: super::api_limiter::PublicLimiter::new(&settings.api),
            jambonz: settings.jambonz.verifier(),
            settings,
        };
        Ok((state, guards))
    }

    /// The commune answering a called number, or the fallback commune (recorded on the
    /// request's log span).
    pub fn commune_for_number(&self, number: &str) -> Option<&Arc<CommuneRuntime>> {
        let id = self
            .by_number
            .get(&stored_number(number))
            .or(self.settings.fallback_commune.as_ref())?;
        super::telemetry::record_tenant(id);
        self.communes.get(id)
    }

    /// For the JSON API: the commune of a number, else the fallback, else the only one.
    pub fn commune_for_api(&self, to: Option<&str>) -> Option<&Arc<CommuneRuntime>> {
        match to {
            Some(number) => self.commune_for_number(number),
            None => self
                .settings
                .fallback_commune
                .as_ref()
                .and_then(|id| self.communes.get(id))
                .or_else(|| {
                    if self.communes.len() == 1 {
                        self.communes.values().next()
                    } else {
                        None
                    }
                })
                .inspect(|commune| super::telemetry::record_tenant(&commune.id)),
        }
    }

    /// The current instant, from the service's one clock (`Settings::clock`).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.settings.clock.now()
    }

    /// `{public_base}{path}`.
    pub fn public_url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.public_base, path_and_query)
    }
}

/// The console's state over the same store and communes; its clock is the service's (frozen
/// in tests).
fn console_state(
    settings: &Settings,
    communes: &BTreeMap<String, Arc<CommuneRuntime>>,
    store: &AnyStore,
    public_base: &str,
) -> anyhow::Result<ConsoleState> {
    let console_communes = communes
        .values()
        .map(|commune| ConsoleCommune::from_knowledge(&commune.id, &commune.knowledge.load_full()))
        .collect();
    let config = ConsoleConfig {
        public_url: public_base.to_string(),
        trust_forwarded_for: settings.console.trust_forwarded_for,
        queue_poll: std::time::Duration::from_secs(settings.console.queue_poll_seconds.max(1)),
        ..ConsoleConfig::default()
    };
    // On PostgreSQL, the live queues also hear of the tickets other nodes create or change.
    Ok(ConsoleState::new(
        store.clone(),
        config,
        console_communes,
        settings.clock.clone(),
    )
    .with_ticket_feed(store.ticket_change_feed()))
}
