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

pub mod rest;
mod verbs;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

pub use self::verbs::validate as validate_verbs;
use crate::jambonz::SIGNATURE_HEADER;
use crate::jambonz::auth::{self, BasicCredentials};

/// The account and application the fake's payloads name.
pub const ACCOUNT_SID: &str = "9d26a637-1679-471f-8da8-7150266e1254";
pub const APPLICATION_SID: &str = "33b259c1-303d-486a-a8dd-7a1c5e0d9b42";

/// More redirects in a row than this is a loop.
const MAX_REDIRECTS: usize = 10;

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

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// The call information of every hook (`CallInfo.toJSON()`, snake-cased).
pub fn call_info(call_sid: &str, from: &str, to: &str, status: &str) -> Value {
    json!({
        "call_sid": call_sid,
        "direction": "inbound",
        "from": from,
        "to": to,
        "call_id": format!("{call_sid}-sip"),
        "sbc_callid": format!("{call_sid}-sbc"),
        "sip_status": 200,
        "sip_reason": "OK",
        "call_status": status,
        "caller_id": from,
        "account_sid": ACCOUNT_SID,
        "trace_id": "151b12417e6460b82a97188348066439",
        "application_sid": APPLICATION_SID,
        "fs_sip_address": "10.0.0.5:5060",
        "originating_sip_ip": "192.0.2.10",
        "originating_sip_trunk_name": "operateur-fr",
    })
}

/// The call webhook of a new inbound call: the call information, the SIP INVITE (`sip`, sent
/// with a POST call hook) and the application's speech defaults.
pub fn call_webhook(call_sid: &str, from: &str, to: &str) -> Value {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\n";
    merge(
        call_info(call_sid, from, to, "trying"),
        json!({
            "caller_name": "",
            "sip": {
                "headers": {
                    "via": "SIP/2.0/UDP 192.0.2.10;rport=5060;branch=z9hG4bK4K2DX22eNDUcm",
                    "max-forwards": "70",
                    "from": format!("<sip:{from}@192.0.2.10>;tag=1tm903aBy5K8a"),
                    "to": format!("<sip:{to}@10.0.0.4;user=phone>"),
                    "call-id": format!("{call_sid}-sip"),
                    "cseq": "77732787 INVITE",
                    "contact": "<sip:192.0.2.10:5060>",
                    "content-type": "application/sdp",
                    "X-Account-Sid": ACCOUNT_SID,
                    "X-Originating-Carrier": "operateur-fr",
                    "p-asserted-identity": format!("<sip:{from}@192.0.2.10;user=phone>"),
                },
                "raw": format!("INVITE sip:{to}@10.0.0.4 SIP/2.0\r\n…"),
                "body": sdp,
                "method": "INVITE",
                "version": "2.0",
                "uri": format!("sip:{to}@10.0.0.4:5060"),
                "payload": [{"type": "application/sdp", "content": sdp}],
            },
            "service_provider_sid": "2708b1b3-2736-40ea-b502-c53d8396247f",
            "defaults": {
                "synthesizer": {"vendor": "google", "language": "fr-FR", "voice": "fr-FR-Standard-A"},
                "recognizer": {"vendor": "google", "language": "fr-FR"},
            },
        }),
    )
}

/// The messaging webhook of an inbound SMS.
pub fn message_webhook(message_sid: &str, from: &str, to: &str, text: &str) -> Value {
    json!({
        "carrier": "operateur-fr",
        "message_sid": message_sid,
        "account_sid": ACCOUNT_SID,
        "service_provider_sid": "2708b1b3-2736-40ea-b502-c53d8396247f",
        "application_sid": APPLICATION_SID,
        "from": from,
        "to": to,
        "text": text,
    })
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
        let mut call = FakeCall {
            jambonz: self.clone(),
            call_sid: self.sid(),
            from: from.to_string(),
            to: to.to_string(),
            started: Instant::now(),
            turns: Vec::new(),
            statuses: Vec::new(),
            waiting: Waiting::Nothing,
            said: Vec::new(),
            messages: Vec::new(),
            ended_by: None,
        };
        let answer = self
            .post(&self.app.call_hook, call_webhook(&call.call_sid, from, to))
            .await?;
        let verbs = answer.verbs.clone();
        call.turns.push(answer);
        call.status("in-progress", None).await?;
        call.run(verbs).await?;
        Ok(call)
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

/// How a transfer ends, as the dialled leg reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// A standardiste answered (then hung up).
    Answered,
    Busy,
    NoAnswer,
    Failed,
}

#[derive(Debug)]
enum Waiting {
    Nothing,
    Gather {
        hook: String,
        language: String,
    },
    Dial {
        verb: Value,
        hook: Option<String>,
        rest: VecDeque<Value>,
    },
}

/// One call in progress.
#[derive(Debug)]
pub struct FakeCall {
    jambonz: FakeJambonz,
    call_sid: String,
    from: String,
    to: String,
    started: Instant,
    turns: Vec<Exchange>,
    statuses: Vec<Exchange>,
    waiting: Waiting,
    said: Vec<String>,
    messages: Vec<Value>,
    ended_by: Option<&'static str>,
}

fn hook_of(value: &Value) -> String {
    match value {
        Value::Object(hook) => hook.get("url").and_then(Value::as_str),
        other => other.as_str(),
    }
    .unwrap_or_default()
    .to_string()
}

/// What a `say` speaks (a list of texts: jambonz picks one; the fake the first).
fn text_of(say: &Value) -> String {
    match &say["text"] {
        Value::Array(texts) => texts.first().and_then(Value::as_str).unwrap_or_default(),
        text => text.as_str().unwrap_or_default(),
    }
    .to_string()
}

impl FakeCall {
    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    /// The exchanges that gave verbs (call webhook, actionHooks, redirects), in order.
    pub fn turns(&self) -> &[Exchange] {
        &self.turns
    }

    /// The latest of [`FakeCall::turns`].
    pub fn last(&self) -> &Exchange {
        self.turns.last().expect("a call has its call webhook")
    }

    /// The call status webhooks sent, in order.
    pub fn statuses(&self) -> &[Exchange] {
        &self.statuses
    }

    /// Everything said since the caller's last input, `say` and `gather` prompts joined.
    pub fn said(&self) -> String {
        self.said.join(" ")
    }

    /// Whether a `gather` waits for the caller.
    pub fn listening(&self) -> bool {
        matches!(self.waiting, Waiting::Gather { .. })
    }

    /// The `dial` verb of a transfer waiting for its outcome.
    pub fn transfer(&self) -> Option<&Value> {
        match &self.waiting {
            Waiting::Dial { verb, .. } => Some(verb),
            _ => None,
        }
    }

    /// The `message` verbs run during the call.
    pub fn messages(&self) -> &[Value] {
        &self.messages
    }

    /// Whether the call is over, and who ended it (`caller` or `jambonz`).
    pub fn ended(&self) -> bool {
        self.ended_by.is_some()
    }

    pub fn ended_by(&self) -> Option<&'static str> {
        self.ended_by
    }

    fn info(&self, status: &str) -> Value {
        call_info(&self.call_sid, &self.from, &self.to, status)
    }

    async fn status(&mut self, status: &str, extra: Option<Value>) -> Result<(), FakeError> {
        let payload = merge(self.info(status), extra.unwrap_or(Value::Null));
        let hook = self.jambonz.app.status_hook.clone();
        let exchange = self.jambonz.notify(&hook, payload).await?;
        self.statuses.push(exchange);
        Ok(())
    }

    async fn end(&mut self, by: &'static str) -> Result<(), FakeError> {
        self.waiting = Waiting::Nothing;
        self.ended_by = Some(by);
        let duration = self.started.elapsed().as_secs();
        self.status(
            "completed",
            Some(json!({"duration": duration, "call_termination_by": by})),
        )
        .await
    }

    /// Runs verbs until the call waits or ends.
    async fn run(&mut self, verbs: Vec<Value>) -> Result<(), FakeError> {
        let mut queue = VecDeque::from(verbs);
        let mut redirects = 0;
        while let Some(verb) = queue.pop_front() {
            match verb["verb"].as_str().unwrap_or_default() {
                "say" => self.said.push(text_of(&verb)),
                "message" => self.messages.push(verb),
                "gather" => {
                    if let Some(prompt) = verb.get("say") {
                        self.said.push(text_of(prompt));
                    }
                    let language = verb
                        .pointer("/recognizer/language")
                        .and_then(Value::as_str)
                        .unwrap_or("fr-FR")
                        .to_string();
                    self.waiting = Waiting::Gather {
                        hook: hook_of(&verb["actionHook"]),
                        language,
                    };
                    return Ok(());
                }
                "dial" => {
                    let hook = verb.get("actionHook").map(hook_of);
                    self.waiting = Waiting::Dial {
                        verb,
                        hook,
                        rest: queue,
                    };
                    return Ok(());
                }
                "redirect" => {
                    redirects += 1;
                    let hook = hook_of(&verb["actionHook"]);
                    if redirects > MAX_REDIRECTS {
                        return Err(refused(&hook, "redirects loop"));
                    }
                    let answer = self.jambonz.post(&hook, self.info("in-progress")).await?;
                    queue = answer.verbs.clone().into();
                    self.turns.push(answer);
                }
                "hangup" => return self.end("jambonz").await,
                // pause, play, tag: nothing to record.
                _ => {}
            }
        }
        // No verb left: jambonz hangs up.
        self.end("jambonz").await
    }

    async fn gather_result(&mut self, result: Value) -> Result<&Exchange, FakeError> {
        let Waiting::Gather { hook, .. } = std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return Err(refused(
                &self.call_sid,
                "nothing listens: no gather is running",
            ));
        };
        let answer = self
            .jambonz
            .post(&hook, merge(self.info("in-progress"), result))
            .await?;
        self.said.clear();
        let verbs = answer.verbs.clone();
        self.turns.push(answer);
        self.run(verbs).await?;
        Ok(self.last())
    }

    fn language(&self) -> &str {
        match &self.waiting {
            Waiting::Gather { language, .. } => language,
            _ => "fr-FR",
        }
    }

    /// The caller says `transcript` (recognised with confidence 0.92).
    pub async fn say(&mut self, transcript: &str) -> Result<&Exchange, FakeError> {
        self.say_with_confidence(transcript, 0.92).await
    }

    pub async fn say_with_confidence(
        &mut self,
        transcript: &str,
        confidence: f64,
    ) -> Result<&Exchange, FakeError> {
        let speech = json!({
            "reason": "speechDetected",
            "speech": {
                "language_code": self.language(),
                "channel_tag": 1,
                "is_final": true,
                "alternatives": [{"transcript": transcript, "confidence": confidence}],
                "vendor": {"name": "google"},
            },
        });
        self.gather_result(speech).await
    }

    /// The caller presses keys (`"0"`: a human).
    pub async fn press(&mut self, digits: &str) -> Result<&Exchange, FakeError> {
        self.gather_result(json!({"reason": "dtmfDetected", "digits": digits}))
            .await
    }

    /// The caller says nothing until the gather's timeout.
    pub async fn stay_silent(&mut self) -> Result<&Exchange, FakeError> {
        self.gather_result(json!({"reason": "timeout"})).await
    }

    /// The transfer ends: the dial's actionHook hears it (its answer runs next), or without one
    /// the verbs after the `dial` run.
    pub async fn end_transfer(&mut self, outcome: DialOutcome) -> Result<(), FakeError> {
        let Waiting::Dial { verb, hook, rest } =
            std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return Err(refused(&self.call_sid, "no transfer is running"));
        };
        let (status, sip_status) = match outcome {
            DialOutcome::Answered => ("completed", 200),
            DialOutcome::Busy => ("busy", 486),
            DialOutcome::NoAnswer => ("no-answer", 487),
            DialOutcome::Failed => ("failed", 503),
        };
        let dialled = self.jambonz.sid();
        if outcome == DialOutcome::Answered {
            // The standard's leg reports its own end to the status webhook.
            let number = verb
                .pointer("/target/0/number")
                .or_else(|| verb.pointer("/target/0/sipUri"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut leg = call_info(&dialled, &self.from, number, "completed");
            leg["direction"] = json!("outbound");
            leg["parent_call_sid"] = json!(self.call_sid);
            let hook = self.jambonz.app.status_hook.clone();
            let exchange = self.jambonz.notify(&hook, leg).await?;
            self.statuses.push(exchange);
        }
        self.said.clear();
        let verbs = match hook {
            Some(hook) => {
                let result = json!({
                    "dial_call_status": status,
                    "dial_sip_status": sip_status,
                    "dial_call_sid": dialled,
                });
                let answer = self
                    .jambonz
                    .post(&hook, merge(self.info("in-progress"), result))
                    .await?;
                let verbs = answer.verbs.clone();
                self.turns.push(answer);
                // An empty answer lets the verbs after the dial run.
                if verbs.is_empty() { rest.into() } else { verbs }
            }
            None => rest.into(),
        };
        self.run(verbs).await
    }

    /// The caller hangs up now.
    pub async fn hang_up(&mut self) -> Result<(), FakeError> {
        if self.ended() {
            return Err(refused(&self.call_sid, "the call has already ended"));
        }
        self.end("caller").await
    }
}
