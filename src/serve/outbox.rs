//! The SMS outbox's courier: each commune's SMS client, and the SMS side of the one delivery
//! loop (`guichet_delivery::worker`): claim due SMS, send them, record the outcome, feed the
//! metrics. Backoff and dead-lettering are the store's `RetryPolicy`; which failures are worth
//! retrying is the connectors' rule.
//!
//! An SMS goes out at least once. Neither Twilio nor Vonage recognises a repeated send, so a
//! provider that accepts an SMS but answers after `outbox.request_timeout_ms` gets it again on
//! the retry: the timeout is the window of such a duplicate, and the lease, which must outlast
//! it (checked at start-up), keeps another worker from sending a row still being sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_connectors::{OutboundSms, SendError, SmsClient};
use guichet_delivery::{Courier, Failure, Pace, Settled};
use guichet_store::{
    FailureKind, OutboxMessage, OutboxStore, RetryOutcome, RetryPolicy, StoreError,
};
use tokio::sync::watch;

use super::config::{OutboxSettings, Settings, SmsProvider};
use super::metrics::SmsFailure;
use super::state::AppState;

/// The SMS client of each commune, by the provider its SMS go out through (its own
/// `provider`, else `[sms] provider`); one client per provider, shared.
#[derive(Debug, Clone, Default)]
pub struct SmsClients {
    by_tenant: HashMap<String, SmsClient>,
}

impl SmsClients {
    pub fn of(settings: &Settings) -> anyhow::Result<SmsClients> {
        let mut by_provider: HashMap<SmsProvider, Option<SmsClient>> = HashMap::new();
        let mut by_tenant = HashMap::new();
        for (id, commune) in &settings.communes {
            let provider = settings.sms_provider_of(commune);
            let client = match by_provider.get(&provider) {
                Some(client) => client.clone(),
                None => {
                    let client = client(settings, provider)?;
                    by_provider.insert(provider, client.clone());
                    client
                }
            };
            if let Some(client) = client {
                by_tenant.insert(id.clone(), client);
            }
        }
        Ok(SmsClients { by_tenant })
    }

    /// The client sending `tenant`'s SMS (`None`: its SMS stay queued).
    pub fn for_tenant(&self, tenant: &str) -> Option<&SmsClient> {
        self.by_tenant.get(tenant)
    }

    /// Whether any commune sends SMS (else no worker runs: SMS stay queued).
    pub fn is_empty(&self) -> bool {
        self.by_tenant.is_empty()
    }

    /// The providers in use, for the start-up log (`jambonz,twilio`).
    pub fn names(&self) -> String {
        let mut names: Vec<&str> = self.by_tenant.values().map(SmsClient::provider).collect();
        names.sort_unstable();
        names.dedup();
        names.join(",")
    }
}

/// The SMS client of `provider` (`None`: SMS stay queued).
fn client(settings: &Settings, provider: SmsProvider) -> anyhow::Result<Option<SmsClient>> {
    let timeout = Duration::from_millis(settings.outbox.request_timeout_ms);
    Ok(match provider {
        SmsProvider::None => None,
        SmsProvider::Twilio => {
            let twilio = &settings.twilio;
            let token = twilio
                .auth_token
                .as_ref()
                .map(|t| t.expose())
                .unwrap_or_default();
            let callback = Some(format!("{}/twilio/status", settings.public_base()));
            Some(SmsClient::new(
                guichet_connectors::twilio::TwilioClient::new(
                    &twilio.api_base_url,
                    &twilio.account_sid,
                    token,
                    callback,
                    timeout,
                )?,
            ))
        }
        SmsProvider::Vonage => {
            let vonage = &settings.vonage;
            let secret = vonage
                .api_secret
                .as_ref()
                .map(|t| t.expose())
                .unwrap_or_default();
            Some(SmsClient::new(
                guichet_connectors::vonage::VonageClient::new(
                    &vonage.api_base_url,
                    &vonage.api_key,
                    secret,
                    timeout,
                )?,
            ))
        }
        SmsProvider::Jambonz => {
            let jambonz = &settings.jambonz;
            let key = jambonz
                .api_key
                .as_ref()
                .map(|k| k.expose())
                .unwrap_or_default();
            Some(SmsClient::new(
                guichet_connectors::jambonz::JambonzClient::new(
                    &jambonz.api_base_url,
                    &jambonz.account_sid,
                    key,
                    jambonz.sms_carrier.clone(),
                    timeout,
                )?,
            ))
        }
    })
}

pub fn retry_policy(settings: &OutboxSettings) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(settings.base_delay_ms),
        max_delay: Duration::from_secs(settings.max_delay_seconds),
        max_attempts: settings.max_attempts,
    }
}

/// The outbox worker: the one delivery loop over the SMS courier, woken when a turn queues an
/// SMS, until `shutdown` turns true; what is not sent stays in the outbox for the next start
/// (or another node).
pub async fn run(state: Arc<AppState>, clients: SmsClients, shutdown: watch::Receiver<bool>) {
    let settings = &state.settings.outbox;
    let pace = Pace {
        poll: Duration::from_millis(settings.poll_interval_ms),
        wake: state.outbox_wake.clone(),
    };
    tracing::info!(providers = %clients.names(), "SMS providers");
    let courier = SmsCourier {
        policy: retry_policy(settings),
        lease: Duration::from_secs(settings.lease_seconds),
        batch: settings.batch,
        clients,
        state: state.clone(),
        claimed: AtomicBool::new(false),
    };
    guichet_delivery::run(courier, state.settings.clock.clone(), pace, shutdown).await;
}

/// The SMS outbox as a courier of the one delivery loop: sends through each commune's
/// provider, feeds the SMS metrics.
struct SmsCourier {
    state: Arc<AppState>,
    clients: SmsClients,
    policy: RetryPolicy,
    lease: Duration,
    batch: i64,
    /// Whether the pass claimed anything: the depth gauges are read again after such a pass,
    /// and after an idle one while they still show a backlog.
    claimed: AtomicBool,
}

impl SmsCourier {
    fn provider(&self, message: &OutboxMessage) -> &'static str {
        self.clients
            .for_tenant(&message.tenant)
            .map_or("none", SmsClient::provider)
    }
}

impl Courier for SmsCourier {
    type Item = OutboxMessage;

    fn name(&self) -> &'static str {
        "sms"
    }

    fn batch(&self) -> usize {
        usize::try_from(self.batch).unwrap_or(0)
    }

    async fn claim(&self, now: DateTime<Utc>) -> Result<Vec<OutboxMessage>, StoreError> {
        let claimed = self
            .state
            .store
            .claim_due_outbox(self.batch, now, self.lease)
            .await?;
        if !claimed.is_empty() {
            self.claimed.store(true, Ordering::Relaxed);
            self.state
                .metrics
                .outbox_oldest_pending_seconds
                .set(oldest_age_seconds(&claimed, now));
        }
        Ok(claimed)
    }

    async fn send(&self, message: &OutboxMessage) -> Result<String, Failure> {
        // A commune without an SMS provider beside communes with one: its SMS cannot leave (a
        // configuration to fix), retried then dead-lettered like any failure, never lost silently.
        let Some(client) = self.clients.for_tenant(&message.tenant) else {
            return Err(Failure::transient(format!(
                "no SMS provider for commune {}",
                message.tenant
            )));
        };
        let sms = OutboundSms {
            reference: message.idempotency_key.clone(),
            to: message.to.clone(),
            from: message.sender.clone(),
            text: message.body.clone(),
        };
        match client.send(&sms).await {
            Ok(accepted) => Ok(accepted.provider_id),
            Err(error @ SendError::Transient { .. }) => Err(Failure::transient(error.to_string())),
            Err(error @ SendError::Permanent { .. }) => Err(Failure::permanent(error.to_string())),
        }
    }

    async fn mark_sent(
        &self,
        message: &OutboxMessage,
        provider_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.state
            .store
            .mark_outbox_sent(message.id, provider_id, now)
            .await
    }

    async fn mark_failed(
        &self,
        message: &OutboxMessage,
        failure: &Failure,
        now: DateTime<Utc>,
    ) -> Result<RetryOutcome, StoreError> {
        self.state
            .store
            .mark_outbox_failed(message.id, &failure.error, failure.kind, &self.policy, now)
            .await
    }

    async fn settled(
        &self,
        message: &OutboxMessage,
        settled: Settled<'_>,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let provider = self.provider(message);
        let metrics = &self.state.metrics;
        let failed = |failure: &Failure| {
            let kind = match failure.kind {
                FailureKind::Transient => SmsFailure::Retry,
                FailureKind::Permanent => SmsFailure::Permanent,
            };
            metrics.record_sms_failure(provider, kind);
        };
        match settled {
            Settled::Sent => metrics.sms_sent.with_label_values(&[provider]).inc(),
            Settled::Retry { failure, .. } => failed(failure),
            Settled::Dead { failure } => {
                failed(failure);
                metrics.sms_dead.with_label_values(&[provider]).inc();
            }
        }
        Ok(())
    }

    async fn after_pass(&self) {
        let claimed = self.claimed.swap(false, Ordering::Relaxed);
        if claimed || self.state.metrics.outbox_oldest_pending_seconds.get() > 0.0 {
            refresh_depth(&self.state).await;
        }
    }

    fn describe(&self, message: &OutboxMessage) -> String {
        format!("id={}", message.id)
    }

    fn attempts(&self, message: &OutboxMessage) -> i32 {
        message.attempts
    }
}

/// Updates `guichet_outbox_depth`; an empty outbox has no oldest SMS.
async fn refresh_depth(state: &AppState) {
    if let Ok(depth) = state.store.outbox_depth().await {
        state.metrics.outbox_depth.set(depth);
        if depth == 0 {
            state.metrics.outbox_oldest_pending_seconds.set(0.0);
        }
    }
}

/// How long the oldest of `messages` has been waiting at `now` (seconds, never negative).
fn oldest_age_seconds(messages: &[OutboxMessage], now: DateTime<Utc>) -> f64 {
    messages
        .iter()
        .map(|message| (now - message.created_at).num_milliseconds().max(0) as f64 / 1000.0)
        .fold(0.0, f64::max)
}
