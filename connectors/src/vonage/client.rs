//! Messages API: `POST /v1/messages`, JSON, basic auth with the API key and secret.

use std::time::Duration;

use guichet_phone::provider_digits;
use serde::{Deserialize, Serialize};

use crate::sms::{Accepted, OutboundSms, SendError, SendFuture, SmsSender, send_request};

pub const DEFAULT_BASE_URL: &str = "https://api.nexmo.com";

#[derive(Clone)]
pub struct VonageClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    api_secret: String,
}

impl std::fmt::Debug for VonageClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VonageClient")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

/// The JSON body of an outbound SMS.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageRequest {
    pub message_type: String,
    pub channel: String,
    pub to: String,
    pub from: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ref: Option<String>,
}

#[derive(Deserialize)]
struct MessageAccepted {
    message_uuid: String,
}

impl VonageClient {
    pub fn new(
        base_url: &str,
        api_key: &str,
        api_secret: &str,
        timeout: Duration,
    ) -> Result<VonageClient, reqwest::Error> {
        Ok(VonageClient {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            api_secret: api_secret.to_string(),
        })
    }

    pub async fn send(&self, sms: &OutboundSms) -> Result<Accepted, SendError> {
        let request = MessageRequest {
            message_type: "text".into(),
            channel: "sms".into(),
            to: provider_digits(&sms.to),
            from: provider_digits(&sms.from),
            text: sms.text.clone(),
            client_ref: Some(sms.reference.chars().take(100).collect()),
        };
        let request = self
            .http
            .post(format!("{}/v1/messages", self.base_url))
            .basic_auth(&self.api_key, Some(&self.api_secret))
            .json(&request);
        let body = send_request(request, SendError::from_status).await?;
        let accepted: MessageAccepted =
            serde_json::from_str(&body).map_err(|e| SendError::Permanent {
                reason: format!("unexpected Vonage answer: {e}"),
            })?;
        Ok(Accepted {
            provider_id: accepted.message_uuid,
        })
    }
}

impl SmsSender for VonageClient {
    fn provider(&self) -> &'static str {
        "vonage"
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> SendFuture<'a> {
        Box::pin(VonageClient::send(self, sms))
    }
}
