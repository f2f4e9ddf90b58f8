//! Outbound SMS through the jambonz REST API: `POST {base}/v1/Accounts/{account_sid}/Messages`,
//! JSON `{from, to, text}`, `Authorization: Bearer <API key>`
//! (<https://docs.jambonz.org/reference/introduction>; the `createMessage` operation of
//! jambonz-api-server's `lib/swagger/swagger.yaml`). jambonz sends it through the account's SMPP
//! carrier and answers with the message's `sid`.
//!
//! Failures are classified by the crate's rule ([`SendError::from_status`]), plus jambonz's own
//! 480: « temporary failure » (no feature server available, or the carrier's SMPP error). An
//! SMPP error that retrying cannot fix (invalid address or length, refused credentials, rejected
//! message) is permanent.
//!
//! Numbers go as SMPP carriers take them: international digits without `+` (the docs' examples,
//! and what the SMPP gateway passes on unchanged); an alphanumeric sender is kept. The message
//! verb's validator refuses unknown properties, so only `from`, `to`, `text` and `carrier` are
//! sent (the swagger's `provider` is not one it knows).

use std::time::Duration;

use guichet_phone::provider_digits;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::sms::{Accepted, OutboundSms, SendError, SendFuture, SmsSender, send_request};

/// The hosted platform's REST API; a self-hosted jambonz has its own (`http://<api-server>:3000`).
pub const DEFAULT_BASE_URL: &str = "https://api.jambonz.cloud";

/// SMPP `command_status` codes (as jambonz's SMPP gateway writes them, `0x0000000B`) that no
/// retry can fix: invalid message length, source or destination address (or their TON/NPI),
/// refused password or system id, and the receiver's permanent and reject errors.
const PERMANENT_SMPP_ERRORS: &[u32] = &[
    0x01, 0x0A, 0x0B, 0x0E, 0x0F, 0x48, 0x49, 0x50, 0x51, 0x65, 0x66,
];

/// Why a client could not be built from its settings.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("invalid jambonz REST base URL {0:?}")]
    BaseUrl(String),
    #[error("invalid jambonz account sid {0:?}")]
    AccountSid(String),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

#[derive(Clone)]
pub struct JambonzClient {
    http: reqwest::Client,
    messages_url: Url,
    api_key: String,
    carrier: Option<String>,
}

impl std::fmt::Debug for JambonzClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JambonzClient")
            .field("messages_url", &self.messages_url.as_str())
            .field("api_key", &"<redacted>")
            .field("carrier", &self.carrier)
            .finish()
    }
}

/// The JSON body of an outbound SMS.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageRequest {
    pub from: String,
    pub to: String,
    pub text: String,
    /// The SMPP carrier to use, when the account has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
}

#[derive(Deserialize)]
struct MessageCreated {
    sid: String,
}

#[derive(Deserialize)]
struct TemporaryFailure {
    #[serde(default)]
    smpp_err_code: Option<String>,
}

impl JambonzClient {
    /// `base_url`: [`DEFAULT_BASE_URL`] on the hosted platform, the API server of a self-hosted
    /// jambonz, a fake in tests; `api_key`: an account-level API key; `carrier`: the SMPP carrier
    /// by its jambonz name when the account has several.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        api_key: &str,
        carrier: Option<String>,
        timeout: Duration,
    ) -> Result<JambonzClient, ClientError> {
        let sid = account_sid.trim();
        if sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ClientError::AccountSid(account_sid.to_string()));
        }
        let mut messages_url = Url::parse(base_url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| ClientError::BaseUrl(base_url.to_string()))?;
        messages_url
            .path_segments_mut()
            .map_err(|()| ClientError::BaseUrl(base_url.to_string()))?
            .pop_if_empty()
            .extend(["v1", "Accounts", sid, "Messages"]);
        Ok(JambonzClient {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            messages_url,
            api_key: api_key.to_string(),
            carrier: carrier.filter(|c| !c.trim().is_empty()),
        })
    }

    pub async fn send(&self, sms: &OutboundSms) -> Result<Accepted, SendError> {
        let request = MessageRequest {
            from: provider_digits(&sms.from),
            to: provider_digits(&sms.to),
            text: sms.text.clone(),
            carrier: self.carrier.clone(),
        };
        let request = self
            .http
            .post(self.messages_url.clone())
            .bearer_auth(&self.api_key)
            .json(&request);
        let body = send_request(request, classify).await?;
        let created: MessageCreated =
            serde_json::from_str(&body).map_err(|e| SendError::Permanent {
                reason: format!("unexpected jambonz answer: {e}"),
            })?;
        Ok(Accepted {
            provider_id: created.sid,
        })
    }
}

/// The crate's rule, with jambonz's 480 « temporary failure » transient unless its SMPP error
/// is one of [`PERMANENT_SMPP_ERRORS`].
fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> SendError {
    match SendError::from_status(status, body, retry_after) {
        SendError::Permanent { reason } if status == 480 && !final_smpp_error(body) => {
            SendError::Transient {
                reason,
                retry_after,
            }
        }
        other => other,
    }
}

fn final_smpp_error(body: &str) -> bool {
    serde_json::from_str::<TemporaryFailure>(body)
        .ok()
        .and_then(|failure| failure.smpp_err_code)
        .and_then(|code| u32::from_str_radix(code.trim().trim_start_matches("0x"), 16).ok())
        .is_some_and(|code| PERMANENT_SMPP_ERRORS.contains(&code))
}

impl SmsSender for JambonzClient {
    fn provider(&self) -> &'static str {
        "jambonz"
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> SendFuture<'a> {
        Box::pin(JambonzClient::send(self, sms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_messages_url_is_built_once_and_encoded() {
        let client = |base: &str| {
            JambonzClient::new(
                base,
                "9d26a637-1679-471f-8da8-7150266e1254",
                "key",
                None,
                Duration::from_secs(1),
            )
        };
        for base in ["https://api.jambonz.cloud", "https://api.jambonz.cloud/"] {
            assert_eq!(
                client(base).unwrap().messages_url.as_str(),
                "https://api.jambonz.cloud/v1/Accounts/9d26a637-1679-471f-8da8-7150266e1254/Messages"
            );
        }
        // The hosted platform's other documented base (`/api` in front of `/v1`).
        assert_eq!(
            client("https://jambonz.cloud/api")
                .unwrap()
                .messages_url
                .path(),
            "/api/v1/Accounts/9d26a637-1679-471f-8da8-7150266e1254/Messages"
        );
        assert!(matches!(client("ftp://x"), Err(ClientError::BaseUrl(_))));
        assert!(matches!(client("not a url"), Err(ClientError::BaseUrl(_))));
        for sid in ["", "../Calls", "a/b", "a b"] {
            assert!(matches!(
                JambonzClient::new("http://127.0.0.1:1", sid, "k", None, Duration::from_secs(1)),
                Err(ClientError::AccountSid(_))
            ));
        }
    }

    #[test]
    fn a_480_is_temporary_unless_the_smpp_error_is_final() {
        assert!(
            classify(
                480,
                r#"{"msg":"no available feature servers at this time"}"#,
                None
            )
            .is_transient()
        );
        assert!(classify(480, r#"{"message":"Throttling error (0x00000058)","smpp_err_code":"0x00000058","sid":"s"}"#, None).is_transient());
        assert!(
            classify(
                480,
                r#"{"message":"System Error (0x00000008)","smpp_err_code":"0x00000008"}"#,
                None
            )
            .is_transient()
        );
        assert!(
            !classify(
                480,
                r#"{"message":"Invalid Dest Addr (0x0000000B)","smpp_err_code":"0x0000000B"}"#,
                None
            )
            .is_transient()
        );
        assert!(!classify(480, r#"{"smpp_err_code":"0x0000000E"}"#, None).is_transient());
        assert!(classify(480, "not json", None).is_transient());
        // Everything else is the crate's rule.
        assert!(classify(500, "", None).is_transient());
        assert!(classify(429, "", Some(Duration::from_secs(4))).is_transient());
        assert!(!classify(400, r#"{"msg":"missing to property"}"#, None).is_transient());
        assert!(!classify(401, "", None).is_transient());
        assert!(!classify(404, "", None).is_transient());
    }
}
