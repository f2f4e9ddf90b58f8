//! The outbox worker: claims due SMS, sends them, records the outcome. Backoff and dead-lettering
//! are the store's `RetryPolicy`; which failures are worth retrying is the connectors' rule.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use guichet_connectors::{OutboundSms, SendError, SmsClient};
use guichet_store::{FailureKind, OutboxMessage, RetryOutcome, RetryPolicy, Store, redact_numbers};
use tokio::sync::watch;
use tokio::task::JoinSet;

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
            Some(SmsClient::Twilio(
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
            Some(SmsClient::Vonage(
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

/// Runs until `shutdown` turns true; the batch in flight is finished first, and anything not
/// sent stays persisted in the outbox for the next start (or another node).
pub async fn run(state: Arc<AppState>, clients: SmsClients, mut shutdown: watch::Receiver<bool>) {
    let settings = state.settings.outbox.clone();
    let policy = retry_policy(&settings);
    let lease = Duration::from_secs(settings.lease_seconds);
    let poll = Duration::from_millis(settings.poll_interval_ms);
    tracing::info!(providers = %clients.names(), "outbox worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        let claimed = match state
            .store
            .claim_due_outbox(settings.batch, state.now(), lease)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "claiming the outbox");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            if state.metrics.outbox_oldest_pending_seconds.get() > 0.0 {
                refresh_depth(&state).await;
            }
            tokio::select! {
                _ = state.outbox_wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        state
            .metrics
            .outbox_oldest_pending_seconds
            .set(oldest_age_seconds(&claimed, state.now()));
        let mut sends = JoinSet::new();
        for message in claimed {
            let state = state.clone();
            let client = clients.for_tenant(&message.tenant).cloned();
            sends.spawn(async move { send_one(&state, client, message, &policy).await });
        }
        while sends.join_next().await.is_some() {}
        refresh_depth(&state).await;
    }
    tracing::info!("outbox worker stopped");
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
fn oldest_age_seconds(messages: &[OutboxMessage], now: chrono::DateTime<Utc>) -> f64 {
    messages
        .iter()
        .map(|message| (now - message.created_at).num_milliseconds().max(0) as f64 / 1000.0)
        .fold(0.0, f64::max)
}

async fn send_one(
    state: &AppState,
    client: Option<SmsClient>,
    message: OutboxMessage,
    policy: &RetryPolicy,
) {
    let sms = OutboundSms {
        reference: message.idempotency_key.clone(),
        to: message.to.clone(),
        from: message.sender.clone(),
        text: message.body.clone(),
    };
    let provider = client.as_ref().map_or("none", SmsClient::provider);
    let now = || state.now();
    // A commune without an SMS provider beside communes with one: its SMS cannot leave (a
    // configuration to fix), retried then dead-lettered like any failure, never lost silently.
    let sent = match &client {
        Some(client) => client.send(&sms).await,
        None => Err(SendError::Transient {
            reason: format!("no SMS provider for commune {}", message.tenant),
            retry_after: None,
        }),
    };
    let result = match sent {
        Ok(accepted) => {
            state.metrics.sms_sent.with_label_values(&[provider]).inc();
            state
                .store
                .mark_outbox_sent(message.id, &accepted.provider_id, now())
                .await
                .map(|_| ())
        }
        Err(error) => {
            let kind = match error {
                SendError::Transient { .. } => FailureKind::Transient,
                SendError::Permanent { .. } => FailureKind::Permanent,
            };
            let failure = if kind == FailureKind::Transient {
                SmsFailure::Retry
            } else {
                SmsFailure::Permanent
            };
            state.metrics.record_sms_failure(provider, failure);
            let error = error.to_string();
            // For the logs: a provider's error may quote the recipient's number.
            let logged = redact_numbers(&error);
            match state
                .store
                .mark_outbox_failed(message.id, &error, kind, policy, now())
                .await
            {
                Ok(RetryOutcome::RetryAt(at)) => {
                    tracing::warn!(id = message.id, attempts = message.attempts, error = %logged, retry_at = %at, "SMS not sent, will retry");
                    Ok(())
                }
                Ok(RetryOutcome::Dead) => {
                    state.metrics.sms_dead.with_label_values(&[provider]).inc();
                    tracing::error!(id = message.id, attempts = message.attempts, error = %logged, "SMS given up (dead)");
                    Ok(())
                }
                Ok(RetryOutcome::Ignored) => Ok(()),
                Err(error) => Err(error),
            }
        }
    };
    if let Err(error) = result {
        tracing::error!(id = message.id, %error, "recording an SMS outcome");
    }
}
