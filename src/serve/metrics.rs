//! Prometheus metrics served at `/metrics` (with the process collector: CPU seconds, RSS).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub turns: IntCounterVec,
    pub decisions: IntCounterVec,
    pub handoffs: IntCounterVec,
    pub turn_seconds: HistogramVec,
    pub outbox_depth: IntGauge,
    pub sms_sent: IntCounterVec,
    pub sms_failures: IntCounterVec,
    pub rejected: IntCounterVec,
    pub unknown_numbers: IntCounterVec,
}

impl Metrics {
    /// Counts one handled turn and observes how long it took.
    pub fn record_turn(&self, provider: &str, channel: &str, elapsed: std::time::Duration) {
        self.turns.with_label_values(&[provider, channel]).inc();
        self.turn_seconds
            .with_label_values(&[provider])
            .observe(elapsed.as_secs_f64());
    }

    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
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
        let turn_seconds = HistogramVec::new(
            HistogramOpts::new(
                "guichet_turn_duration_seconds",
                "Time to answer a webhook turn",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["provider"],
        )?;
        let outbox_depth = IntGauge::new(
            "guichet_outbox_depth",
            "SMS waiting to be sent (pending + sending)",
        )?;
        let sms_sent = IntCounterVec::new(
            Opts::new("guichet_sms_sent_total", "SMS accepted by the provider"),
            &["provider"],
        )?;
        let sms_failures = IntCounterVec::new(
            Opts::new(
                "guichet_sms_failures_total",
                "SMS send attempts that failed",
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
        registry.register(Box::new(turns.clone()))?;
        registry.register(Box::new(decisions.clone()))?;
        registry.register(Box::new(handoffs.clone()))?;
        registry.register(Box::new(turn_seconds.clone()))?;
        registry.register(Box::new(outbox_depth.clone()))?;
        registry.register(Box::new(sms_sent.clone()))?;
        registry.register(Box::new(sms_failures.clone()))?;
        registry.register(Box::new(rejected.clone()))?;
        registry.register(Box::new(unknown_numbers.clone()))?;
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            registry,
            turns,
            decisions,
            handoffs,
            turn_seconds,
            outbox_depth,
            sms_sent,
            sms_failures,
            rejected,
            unknown_numbers,
        })
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
