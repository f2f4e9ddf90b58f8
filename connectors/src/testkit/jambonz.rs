//! A fake jambonz (feature `testkit`): it plays the feature server against the service's
//! webhooks, the way jambonz-feature-server does it, so that tests drive whole calls.
//!
//! - It sends the documented payloads (`lib/session/call-info.js`, `lib/middleware.js`,
//!   `lib/tasks/gather.js` and `dial.js` of jambonz-feature-server; the callback schemas of
//!   @jambonz/schema): JSON in snake_case, `Content-Type: application/json`, the application's
//!   Basic credentials and the `Jambonz-Signature` of the account's webhook secret when set.
//! - It takes an answer only as jambonz does: status 200, 202 or 204, no redirect followed, a JSON
//!   body (`application/json`) holding an array of valid verbs ([`validate_verbs`]).
//! - It runs the verbs: `say` is heard ([`FakeCall::said`]), `gather` waits for the test to speak,
//!   press keys or stay silent, `dial` waits for the transfer's outcome, `redirect` fetches the
//!   next verbs, `message` is an SMS sent, `hangup` or the end of the verbs ends the call; the
//!   call status webhook hears `in-progress` when the call is answered and `completed` at its end,
//!   and the standard's leg reports its own status after an answered transfer.
//!
//! The REST API's Messages endpoint is part of [`super::FakeProvider`] ([`rest`]).

mod call;
mod payloads;
pub mod rest;
mod verbs;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::Value;

pub use self::call::{DialOutcome, FakeCall};
pub use self::payloads::{ACCOUNT_SID, APPLICATION_SID, call_info, call_webhook, message_webhook};
pub use self::verbs::validate as validate_verbs;
use crate::jambonz::SIGNATURE_HEADER;
use crate::jambonz::auth::{self, BasicCredentials};

/// The jambonz application as configured for the service: where its webhooks go and how they
/// authenticate.
#[derive(Debug, Clone)]
pub struct Application {
    /// Where requests go: the service's address, `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The service's `public_url`: hooks it writes with this prefix are sent to `base_url`.
    pub public_url: Option<String>,
    /// The call webhook, the call status webhook and the messaging webhook (paths or URLs).
    pub call_hook: String,
    pub status_hook: String,
    pub messaging_hook: String,
    /// Basic credentials set on the application's webhooks.
    pub basic: Option<BasicCredentials>,
    /// The account's webhook secret: requests carry a `Jambonz-Signature`.
    pub webhook_secret: Option<String>,
    /// More headers on every request (`x-guichet-trace`, `x-guichet-now` in tests).
    pub headers: Vec<(String, String)>,
}

impl Application {
    /// The service's jambonz routes as the deployment guide names them, no authentication.
    pub fn new(base_url: impl Into<String>) -> Application {
        Application {
            base_url: base_url.into(),
            public_url: None,
            call_hook: "/jambonz/call".into(),
            status_hook: "/jambonz/status".into(),
            messaging_hook: "/jambonz/sms".into(),
            basic: None,
            webhook_secret: None,
            headers: Vec::new(),
        }
    }
}

/// One webhook the fake sent and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The hook as the application or a verb gave it.
    pub hook: String,
    pub payload: Value,
    pub status: u16,
    pub headers: HeaderMap,
    /// The answer's verbs, checked (none for status webhooks, whose answer jambonz ignores).
    pub verbs: Vec<Value>,
}

/// Why a call could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FakeError {
    #[error("transport: {0}")]
    Transport(String),
    /// An answer status jambonz does not take (it takes 200, 202 and 204).
    #[error("{hook} answered HTTP {status}: {body}")]
    Status {
        hook: String,
        status: u16,
        body: String,
    },
    /// An answer jambonz would not run, or a step the call cannot take now.
    #[error("{hook}: {reason}")]
    Refused { hook: String, reason: String },
}

fn refused(hook: &str, reason: impl Into<String>) -> FakeError {
    FakeError::Refused {
        hook: hook.to_string(),
        reason: reason.into(),
    }
}

/// Drives calls and SMS against one application.
#[derive(Debug, Clone)]
pub struct FakeJambonz {
    app: Arc<Application>,
    http: reqwest::Client,
    next_sid: Arc<AtomicU64>,
    clock_offset: i64,
}

impl FakeJambonz {
    pub fn new(app: Application) -> FakeJambonz {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        FakeJambonz {
            app: Arc::new(app),
            http,
            next_sid: Arc::new(AtomicU64::new(1)),
            clock_offset: 0,
        }
    }

    pub fn application(&self) -> &Application {
        &self.app
    }

    /// Signs as a jambonz whose clock is `seconds` off (a replay, a late request).
    pub fn with_clock_offset(mut self, seconds: i64) -> FakeJambonz {
        self.clock_offset = seconds;
        self
    }

    fn sid(&self) -> String {
        let n = self.next_sid.fetch_add(1, Ordering::Relaxed);
        format!("b3c1e6a2-0000-4000-8000-{n:012x}")
    }

    fn url(&self, hook: &str) -> String {
        let base = self.app.base_url.trim_end_matches('/');
        if let Some(public) = self.app.public_url.as_deref()
            && let Some(path) = hook.strip_prefix(public.trim_end_matches('/'))
        {
            return format!("{base}{path}");
        }
        if hook.starts_with('/') {
            format!("{base}{hook}")
        } else {
            hook.to_string()
        }
    }

    /// POSTs `body` to `hook` as jambonz does (content type, Basic credentials, signature):
    /// the answer's status, headers and body. For attacks and odd bodies.
    pub async fn post_bytes(
        &self,
        hook: &str,
        body: Vec<u8>,
    ) -> Result<(u16, HeaderMap, String), FakeError> {
        let mut request = self
            .http
            .post(self.url(hook))
            .header(CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.app.webhook_secret {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            request = request.header(
                SIGNATURE_HEADER,
                auth::sign(secret, &body, now + self.clock_offset),
            );
        }
        if let Some(basic) = &self.app.basic {
            request = request.header(AUTHORIZATION, auth::basic_authorization(basic));
        }
        for (name, value) in &self.app.headers {
            request = request.header(name, value);
        }
        let transport = |e: reqwest::Error| FakeError::Transport(format!("{hook}: {e}"));
        let response = request.body(body).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(transport)?;
        Ok((status, headers, text))
    }

    async fn exchange(
        &self,
        hook: &str,
        payload: Value,
        verbs: bool,
    ) -> Result<Exchange, FakeError> {
        let body = serde_json::to_vec(&payload).map_err(|e| refused(hook, e.to_string()))?;
        let (status, headers, text) = self.post_bytes(hook, body).await?;
        if ![200, 202, 204].contains(&status) {
            return Err(FakeError::Status {
                hook: hook.to_string(),
                status,
                body: text,
            });
        }
        let verbs = if verbs {
            let json = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/json"));
            if !json {
                return Err(refused(
                    hook,
                    "the answer is not application/json: jambonz ignores its body",
                ));
            }
            let answer: Value = serde_json::from_str(&text)
                .map_err(|e| refused(hook, format!("the answer is not JSON: {e}")))?;
            validate_verbs(&answer).map_err(|reason| refused(hook, reason))?
        } else {
            Vec::new()
        };
        Ok(Exchange {
            hook: hook.to_string(),
            payload,
            status,
            headers,
            verbs,
        })
    }

    /// A webhook whose answer holds the next verbs (call webhook, actionHooks, redirects).
    pub async fn post(&self, hook: &str, payload: Value) -> Result<Exchange, FakeError> {
        self.exchange(hook, payload, true).await
    }

    /// A webhook whose answer jambonz ignores (call status).
    pub async fn notify(&self, hook: &str, payload: Value) -> Result<Exchange, FakeError> {
        self.exchange(hook, payload, false).await
    }

    /// A call from `from` to `to`: the call webhook, then its verbs run until the call waits for
    /// the caller (a `gather`), for a transfer's outcome (a `dial`), or ends.
    pub async fn call(&self, from: &str, to: &str) -> Result<FakeCall, FakeError> {
        FakeCall::start(self, from, to).await
    }

    /// An SMS from `from` to `to`: the messaging webhook; its answer may only hold `message`
    /// verbs (jambonz drops any other for an SMS).
    pub async fn message(&self, from: &str, to: &str, text: &str) -> Result<Exchange, FakeError> {
        let hook = &self.app.messaging_hook;
        let answer = self
            .post(hook, message_webhook(&self.sid(), from, to, text))
            .await?;
        if let Some(other) = answer.verbs.iter().find(|v| v["verb"] != "message") {
            return Err(refused(
                hook,
                format!("only message verbs run for an SMS, not {}", other["verb"]),
            ));
        }
        Ok(answer)
    }
}
