//! Prometheus metrics served at `/metrics`. Every name below is part of the service's interface
//! (dashboards and alerts use them): renaming one is a breaking change.
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `guichet_build_info` | gauge (always 1) | `version` | the running version |
//! | `guichet_http_requests_total` | counter | `route`, `status` | HTTP requests answered, by route template (`/twilio/voice`, `/api/v1/conversations/{id}/turns`; `unmatched` for 404s) and status code |
//! | `guichet_turns_total` | counter | `provider`, `channel` | turns handled (`provider`: twilio, vonage, jambonz, api) |
//! | `guichet_turn_duration_seconds` | histogram | `provider` | time to answer a webhook turn |
//! | `guichet_decisions_total` | counter | `tenant`, `action` | the engine's decisions (appears with the first turn) |
//! | `guichet_handoffs_total` | counter | `tenant`, `kind` | handoffs to humans (`kind`: transfer, callback) |
//! | `guichet_webhooks_rejected_total` | counter | `provider`, `reason` | webhooks refused (`reason`: signature, malformed) |
//! | `guichet_unknown_numbers_total` | counter | `provider` | calls or SMS to a number no commune has |
//! | `guichet_store_operation_seconds` | histogram | `operation` | time of each store call made by the service (`operation`: the `Store` method, e.g. `save_turn`) |
//! | `guichet_store_errors_total` | counter | `operation` | store calls that failed |
//! | `guichet_outbox_depth` | gauge | — | SMS waiting to be sent (pending + sending) |
//! | `guichet_outbox_oldest_pending_seconds` | gauge | — | age of the oldest SMS in the latest batch the outbox worker tried to send; 0 once the outbox is empty |
//! | `guichet_sms_sent_total` | counter | `provider` | SMS accepted by the provider |
//! | `guichet_sms_failed_total` | counter | `provider`, `reason` | failed SMS: `retry` (temporary failure, tried again later), `permanent` (refused, not retried), `undelivered` (the provider's delivery report) |
//! | `guichet_sms_dead_total` | counter | `provider` | SMS given up (permanent failure, or every attempt used) |
//! | `guichet_sms_failures_total` | counter | `provider`, `kind` | older name of the failures (`kind`: transient, permanent, undelivered), kept for existing dashboards |
//! | `guichet_sms_refused_total` | counter | `tenant`, `reason` | SMS refused by the SMS guard and kept as `refused` (`reason`: destination, plafond_destinataire, budget) |
//! | `guichet_sms_budget_used` | gauge | `tenant` | SMS the commune queued today (local day), as last counted against its daily budget |
//! | `guichet_api_rejected_total` | counter | `reason` | JSON API requests refused: `unauthorized` (no or wrong key), `rate_limited` (a public key over its rate) |
//! | `guichet_spool_depth` | gauge | — | turns waiting in this node's spool for the store to come back |
//! | `guichet_spooled_turns_total` | counter | `outcome` | turns through this node's spool: `spooled` (written there, the store unreachable), `replayed` (saved into the store afterwards, also those a previous run left), `rejected` (unreadable or refused by the store: moved to `rejected/`) |
//! | `guichet_notifications` | gauge | `state` | ticket notifications (e-mail, webhook) of this node's communes in each state (`pending`, `sending`, `sent`, `failed`, `dead`), read from the store at each scrape |
//!
//! Plus the process collector's `process_*` (CPU seconds, resident memory, open files).
//! Label sets known in advance (providers, reasons, store operations, communes' handoff kinds)
//! are exposed at 0 from the start, so that rates and alerts work before the first event.

use guichet_store::NotificationState;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Providers that send SMS and sign webhooks.
const PROVIDERS: [&str; 3] = ["twilio", "vonage", "jambonz"];

/// The latency buckets of turns and store calls (seconds).
const SECONDS_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A latency histogram over [`SECONDS_BUCKETS`], by one label.
fn seconds_histogram(name: &str, help: &str, label: &str) -> prometheus::Result<HistogramVec> {
    HistogramVec::new(
        HistogramOpts::new(name, help).buckets(SECONDS_BUCKETS.to_vec()),
        &[label],
    )
}

pub struct ServiceMetrics {
    registry: Registry,
    pub build_info: IntGaugeVec,
    pub http_requests: IntCounterVec,
    pub turns: IntCounterVec,
    pub decisions: IntCounterVec,
    pub handoffs: IntCounterVec,
    pub turn_seconds: HistogramVec,
    pub store_seconds: HistogramVec,
    pub store_errors: IntCounterVec,
    pub outbox_depth: IntGauge,
    pub outbox_oldest_pending_seconds: Gauge,
    pub sms_sent: IntCounterVec,
    pub sms_failed: IntCounterVec,
    pub sms_dead: IntCounterVec,
    pub sms_failures: IntCounterVec,
    pub rejected: IntCounterVec,
    pub unknown_numbers: IntCounterVec,
    pub spool_depth: IntGauge,
    pub spooled_turns: IntCounterVec,
    pub notifications: IntGaugeVec,
    pub sms_refused: IntCounterVec,
    pub sms_budget_used: IntGaugeVec,
    pub api_rejected: IntCounterVec,
}

/// Why an SMS failed, as `guichet_sms_failed_total{reason}` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsFailure {
    /// A temporary failure: the outbox tries again later.
    Retry,
    /// The provider refused the message: not retried.
    Permanent,
    /// The provider's delivery report says it never arrived.
    Undelivered,
}

impl SmsFailure {
    fn reason(self) -> &'static str {
        match self {
            SmsFailure::Retry => "retry",
            SmsFailure::Permanent => "permanent",
            SmsFailure::Undelivered => "undelivered",
        }
    }

    /// The `kind` of the older `guichet_sms_failures_total`.
    fn kind(self) -> &'static str {
        match self {
            SmsFailure::Retry => "transient",
            SmsFailure::Permanent => "permanent",
            SmsFailure::Undelivered => "undelivered",
        }
    }
}

/// What became of a turn in the spool, as `guichet_spooled_turns_total{outcome}` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolOutcome {
    /// Written to the spool: the store was unreachable.
    Spooled,
    /// Saved into the store from the spool.
    Replayed,
    /// Unreadable, or refused by the store: moved to `rejected/`.
    Rejected,
}

impl SpoolOutcome {
    const ALL: [SpoolOutcome; 3] = [
        SpoolOutcome::Spooled,
        SpoolOutcome::Replayed,
        SpoolOutcome::Rejected,
    ];

    fn label(self) -> &'static str {
        match self {
            SpoolOutcome::Spooled => "spooled",
            SpoolOutcome::Replayed => "replayed",
            SpoolOutcome::Rejected => "rejected",
        }
    }
}

/// The spool's handles on `guichet_spool_depth` and `guichet_spooled_turns_total` (the spool
/// is opened beside the registry, and records without the rest of the service's state).
#[derive(Clone)]
pub struct SpoolMetrics {
    depth: IntGauge,
    turns: IntCounterVec,
}

impl SpoolMetrics {
    /// Sets how many turns wait in the spool.
    pub fn set_depth(&self, turns: usize) {
        self.depth.set(i64::try_from(turns).unwrap_or(i64::MAX));
    }

    /// Counts one turn through the spool.
    pub fn record(&self, outcome: SpoolOutcome) {
        self.turns.with_label_values(&[outcome.label()]).inc();
    }
}

impl ServiceMetrics {
    /// The spool's metrics.
    pub fn spool(&self) -> SpoolMetrics {
        SpoolMetrics {
            depth: self.spool_depth.clone(),
            turns: self.spooled_turns.clone(),
        }
    }

    /// Sets `guichet_notifications{state}` from the store's counts.
    pub fn record_notification_counts(&self, counts: &[(NotificationState, i64)]) {
        for (state, count) in counts {
            self.notifications
                .with_label_values(&[state.as_str()])
                .set(*count);
        }
    }

    /// Counts one handled turn and observes how long it took.
    pub fn record_turn(&self, provider: &str, channel: &str, elapsed: std::time::Duration) {
        self.turns.with_label_values(&[provider, channel]).inc();
        self.turn_seconds
            .with_label_values(&[provider])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one failed SMS (both failure counters).
    pub fn record_sms_failure(&self, provider: &str, failure: SmsFailure) {
        self.sms_failed
            .with_label_values(&[provider, failure.reason()])
            .inc();
        self.sms_failures
            .with_label_values(&[provider, failure.kind()])
            .inc();
    }

    /// Counts one answered HTTP request.
    pub fn record_http(&self, route: &str, status: u16) {
        self.http_requests
            .with_label_values(&[route, &status.to_string()])
            .inc();
    }

    /// Registers every metric; `communes` are the tenants whose handoff series start at 0 and
    /// `store_operations` the operations whose store series do.
    pub fn new<'a>(
        communes: impl IntoIterator<Item = &'a str>,
        store_operations: &[&str],
    ) -> Result<ServiceMetrics, prometheus::Error> {
        let registry = Registry::new();
        let build_info = IntGaugeVec::new(
            Opts::new("guichet_build_info", "The running version (always 1)"),
            &["version"],
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "guichet_http_requests_total",
                "HTTP requests answered, by route template and status",
            ),
            &["route", "status"],
        )?;
        let turns = IntCounterVec::new(
            Opts::new("guichet_turns_total", "Turns handled"),
            &["provider", "channel"],
        )?;
        let decisions = IntCounterVec::new(
            Opts::new("guichet_decisions_total", "Decisions by action"),
            &["tenant", "action"],
        )?;
        let handoffs = IntCounterVec::new(
            Opts::new(
                "guichet_handoffs_total",
                "Handoffs to humans (transfer or callback)",
            ),
            &["tenant", "kind"],
        )?;
        let turn_seconds = seconds_histogram(
            "guichet_turn_duration_seconds",
            "Time to answer a webhook turn",
            "provider",
        )?;
        let store_seconds = seconds_histogram(
            "guichet_store_operation_seconds",
            "Time of a store call made by the service",
            "operation",
        )?;
        let store_errors = IntCounterVec::new(
            Opts::new("guichet_store_errors_total", "Store calls that failed"),
            &["operation"],
        )?;
        let outbox_depth = IntGauge::new(
            "guichet_outbox_depth",
            "SMS waiting to be sent (pending + sending)",
        )?;
        let outbox_oldest_pending_seconds = Gauge::new(
            "guichet_outbox_oldest_pending_seconds",
            "Age of the oldest SMS in the outbox worker's latest batch (0: outbox empty)",
        )?;
        let sms_sent = IntCounterVec::new(
            Opts::new("guichet_sms_sent_total", "SMS accepted by the provider"),
            &["provider"],
        )?;
        let sms_failed = IntCounterVec::new(
            Opts::new(
                "guichet_sms_failed_total",
                "Failed SMS: retry, permanent or undelivered",
            ),
            &["provider", "reason"],
        )?;
        let sms_dead = IntCounterVec::new(
            Opts::new("guichet_sms_dead_total", "SMS given up"),
            &["provider"],
        )?;
        let sms_failures = IntCounterVec::new(
            Opts::new(
                "guichet_sms_failures_total",
                "SMS send attempts that failed (older name of guichet_sms_failed_total)",
            ),
            &["provider", "kind"],
        )?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "guichet_webhooks_rejected_total",
                "Webhooks refused (signature, malformed)",
            ),
            &["provider", "reason"],
        )?;
        let unknown_numbers = IntCounterVec::new(
            Opts::new(
                "guichet_unknown_numbers_total",
                "Calls or SMS to a number no commune has",
            ),
            &["provider"],
        )?;
        let spool_depth = IntGauge::new(
            "guichet_spool_depth",
            "Turns waiting in this node's spool for the store",
        )?;
        let spooled_turns = IntCounterVec::new(
            Opts::new(
                "guichet_spooled_turns_total",
                "Turns through the spool: spooled, replayed or rejected",
            ),
            &["outcome"],
        )?;
        let notifications = IntGaugeVec::new(
            Opts::new(
                "guichet_notifications",
                "Ticket notifications of this node's communes, by state",
            ),
            &["state"],
        )?;
        let sms_refused = IntCounterVec::new(
            Opts::new(
                "guichet_sms_refused_total",
                "SMS refused by the SMS guard (destination, plafond_destinataire, budget)",
            ),
            &["tenant", "reason"],
        )?;
        let sms_budget_used = IntGaugeVec::new(
            Opts::new(
                "guichet_sms_budget_used",
                "SMS the commune queued today, against its daily budget",
            ),
            &["tenant"],
        )?;
        let api_rejected = IntCounterVec::new(
            Opts::new(
                "guichet_api_rejected_total",
                "JSON API requests refused (unauthorized, rate_limited)",
            ),
            &["reason"],
        )?;
        let metrics = ServiceMetrics {
            registry,
            build_info,
            http_requests,
            turns,
            decisions,
            handoffs,
            turn_seconds,
            store_seconds,
            store_errors,
            outbox_depth,
            outbox_oldest_pending_seconds,
            sms_sent,
            sms_failed,
            sms_dead,
            sms_failures,
            rejected,
            unknown_numbers,
            spool_depth,
            spooled_turns,
            notifications,
            sms_refused,
            sms_budget_used,
            api_rejected,
        };
        metrics.register()?;
        metrics.start_at_zero(communes, store_operations);
        Ok(metrics)
    }

    fn register(&self) -> Result<(), prometheus::Error> {
        let registry = &self.registry;
        registry.register(Box::new(self.build_info.clone()))?;
        registry.register(Box::new(self.http_requests.clone()))?;
        registry.register(Box::new(self.turns.clone()))?;
        registry.register(Box::new(self.decisions.clone()))?;
        registry.register(Box::new(self.handoffs.clone()))?;
        registry.register(Box::new(self.turn_seconds.clone()))?;
        registry.register(Box::new(self.store_seconds.clone()))?;
        registry.register(Box::new(self.store_errors.clone()))?;
        registry.register(Box::new(self.outbox_depth.clone()))?;
        registry.register(Box::new(self.outbox_oldest_pending_seconds.clone()))?;
        registry.register(Box::new(self.sms_sent.clone()))?;
        registry.register(Box::new(self.sms_failed.clone()))?;
        registry.register(Box::new(self.sms_dead.clone()))?;
        registry.register(Box::new(self.sms_failures.clone()))?;
        registry.register(Box::new(self.rejected.clone()))?;
        registry.register(Box::new(self.unknown_numbers.clone()))?;
        registry.register(Box::new(self.spool_depth.clone()))?;
        registry.register(Box::new(self.spooled_turns.clone()))?;
        registry.register(Box::new(self.notifications.clone()))?;
        registry.register(Box::new(self.sms_refused.clone()))?;
        registry.register(Box::new(self.sms_budget_used.clone()))?;
        registry.register(Box::new(self.api_rejected.clone()))?;
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
    }

    /// Creates the series whose labels are known in advance, at 0.
    fn start_at_zero<'a>(
        &self,
        communes: impl IntoIterator<Item = &'a str>,
        store_operations: &[&str],
    ) {
        self.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for commune in communes {
            for kind in ["transfer", "callback"] {
                self.handoffs.with_label_values(&[commune, kind]);
            }
            for reason in guichet_store::SmsRefusal::ALL {
                self.sms_refused
                    .with_label_values(&[commune, reason.as_str()]);
            }
            self.sms_budget_used.with_label_values(&[commune]);
        }
        for reason in ["unauthorized", "rate_limited"] {
            self.api_rejected.with_label_values(&[reason]);
        }
        for operation in store_operations {
            self.store_errors.with_label_values(&[operation]);
        }
        for provider in PROVIDERS {
            self.sms_sent.with_label_values(&[provider]);
            self.sms_dead.with_label_values(&[provider]);
            for failure in [
                SmsFailure::Retry,
                SmsFailure::Permanent,
                SmsFailure::Undelivered,
            ] {
                self.sms_failed
                    .with_label_values(&[provider, failure.reason()]);
                self.sms_failures
                    .with_label_values(&[provider, failure.kind()]);
            }
            self.rejected.with_label_values(&[provider, "signature"]);
            self.unknown_numbers.with_label_values(&[provider]);
        }
        self.rejected.with_label_values(&["twilio", "malformed"]);
        for outcome in SpoolOutcome::ALL {
            self.spooled_turns.with_label_values(&[outcome.label()]);
        }
        for state in NotificationState::ALL {
            self.notifications.with_label_values(&[state.as_str()]);
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%error, "encoding metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name of the table at the top of this file, read from the doc comment itself.
    fn documented_names() -> Vec<String> {
        include_str!("metrics.rs")
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .filter_map(|line| line.strip_prefix("//! | `"))
            .filter_map(|rest| rest.split('`').next())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_documented_metric_is_exposed_from_the_start_but_decisions_and_turns() {
        let metrics = ServiceMetrics::new(["villebourg"], &["save_turn"]).unwrap();
        let text = metrics.render();
        let names = documented_names();
        assert_eq!(names.len(), 22, "{names:?}");
        for name in &names {
            let appears_later = [
                "guichet_http_requests_total",
                "guichet_turns_total",
                "guichet_turn_duration_seconds",
                "guichet_decisions_total",
                "guichet_store_operation_seconds",
            ];
            if !appears_later.contains(&name.as_str()) {
                assert!(text.contains(&format!("# TYPE {name} ")), "{name}\n{text}");
            }
        }
        assert!(text.contains(&format!(
            "guichet_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(text.contains("guichet_handoffs_total{kind=\"callback\",tenant=\"villebourg\"} 0"));
        assert!(text.contains("guichet_store_errors_total{operation=\"save_turn\"} 0"));
        assert!(text.contains("guichet_spool_depth 0"));
        for outcome in ["spooled", "replayed", "rejected"] {
            assert!(
                text.contains(&format!(
                    "guichet_spooled_turns_total{{outcome=\"{outcome}\"}} 0"
                )),
                "{text}"
            );
        }
        assert!(text.contains("guichet_notifications{state=\"dead\"} 0"));
    }

    #[test]
    fn notification_counts_and_spool_outcomes_are_recorded() {
        let metrics = ServiceMetrics::new([], &[]).unwrap();
        metrics.record_notification_counts(&[
            (NotificationState::Pending, 3),
            (NotificationState::Dead, 1),
        ]);
        metrics.record_notification_counts(&[(NotificationState::Pending, 2)]);
        let spool = metrics.spool();
        spool.record(SpoolOutcome::Spooled);
        spool.record(SpoolOutcome::Spooled);
        spool.record(SpoolOutcome::Replayed);
        spool.set_depth(1);
        let text = metrics.render();
        assert!(text.contains("guichet_notifications{state=\"pending\"} 2"));
        assert!(text.contains("guichet_notifications{state=\"dead\"} 1"));
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"spooled\"} 2"));
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"replayed\"} 1"));
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"rejected\"} 0"));
        assert!(text.contains("guichet_spool_depth 1"));
    }

    #[test]
    fn a_failure_counts_under_both_names() {
        let metrics = ServiceMetrics::new([], &[]).unwrap();
        metrics.record_sms_failure("twilio", SmsFailure::Retry);
        metrics.record_sms_failure("twilio", SmsFailure::Retry);
        let text = metrics.render();
        assert!(text.contains("guichet_sms_failed_total{provider=\"twilio\",reason=\"retry\"} 2"));
        assert!(
            text.contains("guichet_sms_failures_total{kind=\"transient\",provider=\"twilio\"} 2")
        );
    }
}
