//! A fake Twilio + Vonage + jambonz SMS API on 127.0.0.1 for tests (feature `testkit`).
//!
//! It enforces the wire formats and authentication of the three Messages APIs (path, basic or
//! bearer auth, content type, field names and values), records every message it accepts, and can
//! be told to answer the next requests with 500s, 429s or to hang (so the client times out).
//! [`jambonz`] also holds a fake jambonz that drives calls against the service's webhooks.

pub mod jambonz;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use tokio::sync::oneshot;

/// What the fake answers to one request instead of accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An error status (500, 503, 400…) with a provider-like JSON body.
    Status(u16),
    /// 429 with a `Retry-After` in seconds.
    TooManyRequests { retry_after_seconds: u64 },
    /// Wait this long, then answer 503 (a client with a shorter timeout sees a timeout).
    Hang(Duration),
}

/// One SMS the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub provider: &'static str,
    /// The id the fake returned (`SM…` or a message uuid).
    pub id: String,
    pub to: String,
    pub from: String,
    pub text: String,
    pub status_callback: Option<String>,
    pub client_ref: Option<String>,
}

/// Credentials the fake accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub twilio_account_sid: String,
    pub twilio_auth_token: String,
    pub vonage_api_key: String,
    pub vonage_api_secret: String,
    pub jambonz_account_sid: String,
    pub jambonz_api_key: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            twilio_account_sid: "AC00000000000000000000000000000001".into(),
            twilio_auth_token: "twilio-test-token".into(),
            vonage_api_key: "vonagekey".into(),
            vonage_api_secret: "vonage-test-secret".into(),
            jambonz_account_sid: jambonz::ACCOUNT_SID.into(),
            jambonz_api_key: "jambonz-test-api-key".into(),
        }
    }
}

#[derive(Default)]
struct Recorder {
    faults: VecDeque<Fault>,
    received: Vec<Received>,
    attempts: usize,
    rejections: Vec<String>,
    next_id: u64,
}

struct Shared {
    credentials: Credentials,
    recorder: Mutex<Recorder>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Recorder> {
        self.recorder
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an accepted message under the next number (`received` builds it from that
    /// number); its provider id.
    fn record(&self, received: impl FnOnce(u64) -> Received) -> String {
        let mut recorder = self.lock();
        recorder.next_id += 1;
        let message = received(recorder.next_id);
        let id = message.id.clone();
        recorder.received.push(message);
        id
    }
}

pub struct FakeProvider {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeProvider {
    pub async fn start(credentials: Credentials) -> std::io::Result<FakeProvider> {
        let shared = Arc::new(Shared {
            credentials,
            recorder: Mutex::new(Recorder::default()),
        });
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(twilio_messages),
            )
            .route("/v1/messages", post(vonage_messages))
            .route(
                "/v1/Accounts/{account}/Messages",
                post(jambonz::rest::messages),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = server.await {
                tracing::warn!(%error, "fake provider stopped");
            }
        });
        Ok(FakeProvider {
            address,
            shared,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:PORT`: the base URL to give a Twilio, Vonage or jambonz client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The next requests get these answers, in order; afterwards requests are accepted again.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().faults.extend(faults);
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Every request seen, accepted or not.
    pub fn attempts(&self) -> usize {
        self.shared.lock().attempts
    }

    /// Why requests that broke the wire format or auth were refused.
    pub fn rejections(&self) -> Vec<String> {
        self.shared.lock().rejections.clone()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

fn basic_auth_matches(headers: &HeaderMap, user: &str, password: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    BASE64.decode(encoded.trim()).ok().as_deref() == Some(format!("{user}:{password}").as_bytes())
}

fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(expected))
        })
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn is_alphanumeric_sender(sender: &str) -> bool {
    (1..=11).contains(&sender.len())
        && sender
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
        && sender.chars().any(|c| c.is_ascii_alphabetic())
}

fn fault_response(fault: Fault, body: serde_json::Value) -> Response {
    match fault {
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(body)).into_response()
        }
        Fault::TooManyRequests {
            retry_after_seconds,
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_seconds.to_string())],
            axum::Json(body),
        )
            .into_response(),
        Fault::Hang(_) => (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response(),
    }
}

/// Count the attempt and take the next fault, waiting first if it is a hang.
async fn next_fault(shared: &Shared) -> Option<Fault> {
    let fault = {
        let mut recorder = shared.lock();
        recorder.attempts += 1;
        recorder.faults.pop_front()
    };
    if let Some(Fault::Hang(duration)) = fault {
        tokio::time::sleep(duration).await;
    }
    fault
}

fn reject(
    shared: &Shared,
    status: StatusCode,
    reason: String,
    body: serde_json::Value,
) -> Response {
    shared.lock().rejections.push(reason);
    (status, axum::Json(body)).into_response()
}

fn twilio_error(code: u32, message: &str, status: u16) -> serde_json::Value {
    json!({ "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status })
}

const TWILIO_FIELDS: &[&str] = &[
    "To",
    "From",
    "Body",
    "StatusCallback",
    "MessagingServiceSid",
    "ValidityPeriod",
];

async fn twilio_messages(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = next_fault(&shared).await {
        return fault_response(fault, twilio_error(20500, "Internal Server Error", 500));
    }
    let credentials = &shared.credentials;
    if account != credentials.twilio_account_sid
        || !basic_auth_matches(
            &headers,
            &credentials.twilio_account_sid,
            &credentials.twilio_auth_token,
        )
    {
        return reject(
            &shared,
            StatusCode::UNAUTHORIZED,
            "twilio: authentication".into(),
            twilio_error(20003, "Authenticate", 401),
        );
    }
    if !content_type_is(&headers, "application/x-www-form-urlencoded") {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "twilio: content type".into(),
            twilio_error(20001, "Invalid content type", 400),
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "twilio: form".into(),
            twilio_error(20001, "Malformed form", 400),
        );
    };
    if let Some((unknown, _)) = form
        .iter()
        .find(|(key, _)| !TWILIO_FIELDS.contains(&key.as_str()))
    {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("twilio: unknown field {unknown}"),
            twilio_error(20001, "Unknown parameter", 400),
        );
    }
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let (Some(to), Some(from), Some(text)) = (field("To"), field("From"), field("Body")) else {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "twilio: missing To, From or Body".into(),
            twilio_error(21604, "A 'To', 'From' and 'Body' are required", 400),
        );
    };
    if !is_e164(&to) {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("twilio: invalid To {to}"),
            twilio_error(21211, "Invalid 'To' Phone Number", 400),
        );
    }
    if !is_e164(&from) && !is_alphanumeric_sender(&from) {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("twilio: invalid From {from}"),
            twilio_error(21212, "Invalid 'From' Phone Number", 400),
        );
    }
    if text.is_empty() || text.chars().count() > 1600 {
        return reject(
            &shared,
            StatusCode::BAD_REQUEST,
            "twilio: body length".into(),
            twilio_error(
                21617,
                "The concatenated message body exceeds the 1600 character limit",
                400,
            ),
        );
    }
    let id = shared.record(|n| Received {
        provider: "twilio",
        id: format!("SM{n:032x}"),
        to: to.clone(),
        from: from.clone(),
        text: text.clone(),
        status_callback: field("StatusCallback"),
        client_ref: None,
    });
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "sid": id, "account_sid": account, "to": to, "from": from, "body": text,
            "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
            "num_segments": "1", "error_code": null, "error_message": null,
        })),
    )
        .into_response()
}

fn vonage_error(title: &str, detail: &str) -> serde_json::Value {
    json!({ "type": "https://developer.vonage.com/api-errors#invalid-params", "title": title, "detail": detail, "instance": "fake" })
}

async fn vonage_messages(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(fault) = next_fault(&shared).await {
        return fault_response(fault, vonage_error("Internal Error", "fault injected"));
    }
    let credentials = &shared.credentials;
    if !basic_auth_matches(
        &headers,
        &credentials.vonage_api_key,
        &credentials.vonage_api_secret,
    ) {
        return reject(
            &shared,
            StatusCode::UNAUTHORIZED,
            "vonage: authentication".into(),
            vonage_error("Unauthorized", "bad credentials"),
        );
    }
    if !content_type_is(&headers, "application/json") {
        return reject(
            &shared,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "vonage: content type".into(),
            vonage_error("Unsupported Media Type", "JSON expected"),
        );
    }
    let Ok(message) = serde_json::from_slice::<crate::vonage::client::MessageRequest>(&body) else {
        return reject(
            &shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            "vonage: JSON shape".into(),
            vonage_error("Invalid params", "bad JSON"),
        );
    };
    let digits_ok = |n: &str| (8..=15).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit());
    let problem = if message.message_type != "text" || message.channel != "sms" {
        Some("message_type must be text and channel sms".to_string())
    } else if !digits_ok(&message.to) {
        Some(format!("invalid to {}", message.to))
    } else if !digits_ok(&message.from) && !is_alphanumeric_sender(&message.from) {
        Some(format!("invalid from {}", message.from))
    } else if message.text.is_empty() || message.text.chars().count() > 1000 {
        Some("text length".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        return reject(
            &shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("vonage: {problem}"),
            vonage_error("Invalid params", &problem),
        );
    }
    let id = shared.record(|n| Received {
        provider: "vonage",
        id: format!("aaaaaaaa-bbbb-cccc-dddd-{n:012x}"),
        to: format!("+{}", message.to),
        from: message.from,
        text: message.text,
        status_callback: None,
        client_ref: message.client_ref,
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "message_uuid": id })),
    )
        .into_response()
}
