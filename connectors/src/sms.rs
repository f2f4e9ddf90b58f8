//! Outbound SMS, common to every provider: what to send, what came back, how to classify failures,
//! and [`SmsSender`], the one trait every provider's client implements. This module names no
//! provider: the outbox sends through an [`SmsClient`] whatever is behind it.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One SMS to send. `reference` is our own id (the outbox row), echoed in logs and callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundSms {
    pub reference: String,
    /// E.164, with `+`.
    pub to: String,
    /// Alphanumeric sender ("VILLEBOURG") or an E.164 number.
    pub from: String,
    pub text: String,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's message id (Twilio `SM…` sid, Vonage `message_uuid`).
    pub provider_id: String,
}

/// Why a send failed, and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// Timeouts, connection failures, 408, 429 and 5xx: retry with backoff.
    #[error("temporary failure: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Any other 4xx (bad number, bad credentials, refused content): do not retry.
    #[error("permanent failure: {reason}")]
    Permanent { reason: String },
}

impl SendError {
    /// The one rule deciding whether an HTTP status from a provider is worth retrying.
    pub fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> SendError {
        let reason = format!("HTTP {status}: {}", truncate(body, 300));
        if status == 408 || status == 425 || status == 429 || status >= 500 {
            SendError::Transient {
                reason,
                retry_after,
            }
        } else {
            SendError::Permanent { reason }
        }
    }

    /// Network-level failures (timeouts, refused connections) are transient; building errors are not.
    pub fn from_transport(error: &reqwest::Error) -> SendError {
        if error.is_builder() {
            SendError::Permanent {
                reason: error.to_string(),
            }
        } else {
            let kind = if error.is_timeout() {
                "timeout"
            } else {
                "transport error"
            };
            SendError::Transient {
                reason: format!("{kind}: {error}"),
                retry_after: None,
            }
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// Sends a provider's request and reads its answer: the body of a 2xx, else the failure as
/// `classify` reads the status, the body and `Retry-After` (usually [`SendError::from_status`]).
pub(crate) async fn send_request(
    request: reqwest::RequestBuilder,
    classify: impl FnOnce(u16, &str, Option<Duration>) -> SendError,
) -> Result<String, SendError> {
    let response = request
        .send()
        .await
        .map_err(|e| SendError::from_transport(&e))?;
    let status = response.status().as_u16();
    let wait = retry_after(response.headers());
    let body = response
        .text()
        .await
        .map_err(|e| SendError::from_transport(&e))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(classify(status, &body, wait))
    }
}

/// Parse a `Retry-After` header given in seconds.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// What a delivery status callback says about a message we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Accepted or handed to the carrier; not final.
    Sent,
    Delivered,
    Failed,
}

/// What a provider's [`SmsSender::send`] returns: boxed, so that senders can sit behind `dyn`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Accepted, SendError>> + Send + 'a>>;

/// A provider's Messages API: what the outbox needs of it. Each client classifies its failures
/// with [`SendError::from_status`] and [`SendError::from_transport`], so the outbox's retries,
/// `Retry-After`, permanent failures and dead-lettering apply to every provider alike.
pub trait SmsSender: Debug + Send + Sync {
    /// The provider's name in metrics and logs (`twilio`, `vonage`, `jambonz`).
    fn provider(&self) -> &'static str;

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> SendFuture<'a>;
}

/// The configured SMS provider: any [`SmsSender`], cheap to clone.
#[derive(Debug, Clone)]
pub struct SmsClient {
    sender: Arc<dyn SmsSender>,
}

impl SmsClient {
    pub fn new(sender: impl SmsSender + 'static) -> SmsClient {
        SmsClient {
            sender: Arc::new(sender),
        }
    }

    pub async fn send(&self, sms: &OutboundSms) -> Result<Accepted, SendError> {
        self.sender.send(sms).await
    }

    pub fn provider(&self) -> &'static str {
        self.sender.provider()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_once() {
        assert!(SendError::from_status(500, "", None).is_transient());
        assert!(SendError::from_status(503, "", None).is_transient());
        assert!(SendError::from_status(429, "", Some(Duration::from_secs(2))).is_transient());
        assert!(SendError::from_status(408, "", None).is_transient());
        assert!(!SendError::from_status(400, "{\"code\":21211}", None).is_transient());
        assert!(!SendError::from_status(401, "", None).is_transient());
        assert!(!SendError::from_status(404, "", None).is_transient());
    }

    #[test]
    fn long_bodies_are_truncated_in_reasons() {
        let error = SendError::from_status(400, &"x".repeat(1000), None);
        assert!(error.to_string().len() < 400);
    }
}
