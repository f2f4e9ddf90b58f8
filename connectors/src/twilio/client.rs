//! The Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, basic auth.

use std::time::Duration;

use serde::Deserialize;

use crate::sms::{Accepted, OutboundSms, SendError, SendFuture, SmsSender, send_request};

pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

#[derive(Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
    status_callback: Option<String>,
}

impl std::fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioClient")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
struct MessageResource {
    sid: String,
}

impl TwilioClient {
    /// `base_url` is `https://api.twilio.com` in production (a fake server in tests);
    /// `status_callback` is the public URL of `/twilio/status`.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &str,
        status_callback: Option<String>,
        timeout: Duration,
    ) -> Result<TwilioClient, reqwest::Error> {
        Ok(TwilioClient {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            status_callback,
        })
    }

    pub async fn send(&self, sms: &OutboundSms) -> Result<Accepted, SendError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url, self.account_sid
        );
        let mut form: Vec<(&str, &str)> =
            vec![("To", &sms.to), ("From", &sms.from), ("Body", &sms.text)];
        if let Some(callback) = &self.status_callback {
            form.push(("StatusCallback", callback));
        }
        let request = self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form);
        let body = send_request(request, SendError::from_status).await?;
        let resource: MessageResource =
            serde_json::from_str(&body).map_err(|e| SendError::Permanent {
                reason: format!("unexpected Twilio answer: {e}"),
            })?;
        Ok(Accepted {
            provider_id: resource.sid,
        })
    }
}

impl SmsSender for TwilioClient {
    fn provider(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> SendFuture<'a> {
        Box::pin(TwilioClient::send(self, sms))
    }
}
