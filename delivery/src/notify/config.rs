//! What `[notifications]` configures: the SMTP server ([`super::smtp`]), the routes (which
//! tickets go to which destinations, [`super::destination`]) and the pace of deliveries and
//! retries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet_store::{RetryPolicy, Ticket, TicketKind};
use serde::{Deserialize, Serialize};

use super::destination::RouteDestinations;
use super::smtp::SmtpConfig;

/// Which tickets go where: a commune's callbacks (no `partner`), or the reports forwarded to
/// one partner (`partner` = the key in `commune.toml`'s `[partners.*]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRoute {
    /// Tenant id of the commune.
    pub commune: String,
    /// The partner whose reports this route carries; `None`: the commune's callbacks.
    #[serde(default)]
    pub partner: Option<String>,
    /// Where its tickets go.
    #[serde(flatten)]
    pub to: RouteDestinations,
}

impl NotificationRoute {
    pub(crate) fn matches(&self, ticket: &Ticket) -> bool {
        self.commune == ticket.tenant
            && match (ticket.kind, &self.partner) {
                (TicketKind::Callback, None) => true,
                (TicketKind::Report, Some(partner)) => ticket.partner.as_deref() == Some(partner),
                _ => false,
            }
    }
}

/// Notification settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationConfig {
    /// SMTP server (needed by routes with an e-mail).
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// Routes.
    #[serde(default)]
    pub routes: Vec<NotificationRoute>,
    /// How often new tickets are looked for, in seconds.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    /// Tickets older than this (hours) are never notified (e.g. the backlog at first start).
    #[serde(default = "default_lookback_hours")]
    pub lookback_hours: i64,
    /// Delay after the first failure, in seconds (doubles each time).
    #[serde(default = "default_retry_base")]
    pub retry_base_seconds: u64,
    /// Longest delay between attempts, in seconds.
    #[serde(default = "default_retry_max")]
    pub retry_max_seconds: u64,
    /// Attempts before giving up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// Timeout of one delivery, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_poll_seconds() -> u64 {
    5
}
fn default_lookback_hours() -> i64 {
    48
}
fn default_retry_base() -> u64 {
    30
}
fn default_retry_max() -> u64 {
    3600
}
fn default_max_attempts() -> i32 {
    10
}
fn default_timeout() -> u64 {
    10
}

impl Default for NotificationConfig {
    fn default() -> Self {
        NotificationConfig {
            smtp: None,
            routes: Vec::new(),
            poll_seconds: default_poll_seconds(),
            lookback_hours: default_lookback_hours(),
            retry_base_seconds: default_retry_base(),
            retry_max_seconds: default_retry_max(),
            max_attempts: default_max_attempts(),
            timeout_seconds: default_timeout(),
        }
    }
}

/// The instant `lookback_hours` before `now`: older tickets are not notified.
pub(crate) fn window_start(config: &NotificationConfig, now: DateTime<Utc>) -> DateTime<Utc> {
    chrono::Duration::try_hours(config.lookback_hours.max(0))
        .and_then(|lookback| now.checked_sub_signed(lookback))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl NotificationConfig {
    /// The partners of `commune` whose reports a route delivers (the robot tells the caller it
    /// transmits a report only to those).
    pub fn report_partners(&self, commune: &str) -> Vec<String> {
        let mut partners: Vec<String> = self
            .routes
            .iter()
            .filter(|route| route.commune == commune)
            .filter_map(|route| route.partner.clone())
            .collect();
        partners.sort();
        partners.dedup();
        partners
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(self.retry_base_seconds),
            max_delay: Duration::from_secs(self.retry_max_seconds),
            max_attempts: self.max_attempts,
        }
    }
}
