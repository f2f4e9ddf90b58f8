//! Shared helpers of the console's integration tests: a store (a SQLite file in a temp dir, or
//! a fresh PostgreSQL schema), two communes, accounts, a movable clock, and a client driving
//! the router in memory.
//!
//! Tests meant for both backends take a [`Backend`] and are listed in [`on_both_backends!`]:
//! each becomes `sqlite::<name>` and `postgres::<name>`. The PostgreSQL ones read
//! `GUICHET_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); without it
//! they say they are skipped and pass.

#![allow(dead_code)]

pub mod browser;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use guichet_console::{ConsoleCommune, ConsoleConfig, ConsoleState};
use guichet_office::accounts;
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{
    AnyStore, Channel, NewTicket, Role, SessionRecord, SessionStore, StaffStore, TicketKind, Turn,
    TurnRecord,
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        // Monday 9 March 2026, 20:30 in Paris: the mairie is closed.
        let start = Utc
            .with_ymd_and_hms(2026, 3, 9, 19, 30, 0)
            .single()
            .expect("valid date");
        TestClock(Arc::new(Mutex::new(start)))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
    pub fn clock(&self) -> guichet_store::Clock {
        let inner = self.0.clone();
        guichet_store::Clock::from_fn(move || *inner.lock().expect("clock lock"))
    }
}

pub fn commune(id: &str, name: &str, dir: &std::path::Path) -> ConsoleCommune {
    ConsoleCommune {
        id: id.into(),
        name: name.into(),
        dir: dir.join(id),
        timezone: chrono_tz::Europe::Paris,
        retention_days: 90,
        fiches: vec![
            ("etat-civil".into(), "Actes d'état civil".into()),
            ("passeport".into(), "Passeport".into()),
        ],
        sms_sender: "MAIRIE".into(),
        sms_guard: guichet_knowledge::SmsGuard::default(),
    }
}

/// Which store a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in the test's temp dir.
    Sqlite,
    /// A fresh schema on this PostgreSQL server, dropped at the end of the test.
    Postgres { url: String },
}

impl Backend {
    /// PostgreSQL from `GUICHET_TEST_DATABASE_URL`, or `None` (with a notice, once) when unset.
    pub fn postgres() -> Option<Backend> {
        test_database_url().map(|url| Backend::Postgres { url })
    }
}

/// Runs each listed `async fn <name>(backend: Backend)` of the calling test file as two
/// tests: `sqlite::<name>` and `postgres::<name>` (skipped, passing, when
/// `GUICHET_TEST_DATABASE_URL` is unset).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = crate::common::Backend::postgres() {
                        super::$name(backend).await;
                    }
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_backends;

/// Opens a fresh store of `backend`: a SQLite file under `dir`, or a new PostgreSQL schema
/// (with the guard that drops it).
pub async fn open_store(
    backend: &Backend,
    dir: &std::path::Path,
) -> (AnyStore, Option<TestSchema>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
            let store = AnyStore::connect(&url).await.expect("sqlite store");
            (store, None)
        }
        Backend::Postgres { url } => {
            let schema = TestSchema::create(url).await.unwrap_or_else(|e| {
                panic!("test database URL is set but PostgreSQL is unreachable: {e}")
            });
            let store = schema.store(4).await.expect("open PostgreSQL store");
            (AnyStore::Postgres(store), Some(schema))
        }
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: AnyStore,
    pub state: ConsoleState,
    pub clock: TestClock,
    pub app: Router,
    /// Dropped last: the PostgreSQL schema outlives every use of the store.
    pub schema: Option<TestSchema>,
}

/// The console on a SQLite store.
pub async fn harness_with(config: ConsoleConfig) -> Harness {
    harness_on(&Backend::Sqlite, config).await
}

/// The console on a fresh store of `backend`.
pub async fn harness_on(backend: &Backend, config: ConsoleConfig) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, schema) = open_store(backend, dir.path()).await;
    let clock = TestClock::new();
    let communes = vec![
        commune("villebourg", "Villebourg", dir.path()),
        commune("autreville", "Autreville", dir.path()),
    ];
    let state = ConsoleState::new(store.clone(), config, communes, clock.clock());
    let app = Router::new().merge(guichet_console::router(state.clone()));
    Harness {
        dir,
        store,
        state,
        clock,
        app,
        schema,
    }
}

pub async fn harness() -> Harness {
    harness_with(ConsoleConfig::default()).await
}

/// Creates an account; returns its login and one-time password.
pub async fn account(h: &Harness, email: &str, role: Role, communes: &[&str]) -> (String, String) {
    let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
    let created = accounts::add_staff(&h.store, email, role, &communes, h.clock.now())
        .await
        .expect("account created");
    // The tests sign in with it as their own: the first-login change (tested in `security`)
    // is done here behind the console's back.
    let staff = h
        .store
        .get_staff(created.id)
        .await
        .expect("read account")
        .expect("account");
    h.store
        .set_staff_password(created.id, &staff.password_hash)
        .await
        .expect("password kept");
    (created.email, created.password)
}

/// Saves a turn as a closed-hours call creates it: the callback decision with its ticket.
pub async fn closed_hours_call(
    h: &Harness,
    commune: &str,
    conversation: &str,
    number: &str,
    topic: &str,
) -> i64 {
    let now = h.clock.now();
    let record = TurnRecord {
        session: SessionRecord {
            tenant: commune.into(),
            conversation_id: conversation.into(),
            channel: Channel::Voice,
            caller: Some(guichet_store::pseudonymise(number, b"test-key")),
            state: json!({}),
            started_at: now,
            updated_at: now,
            expires_at: now + chrono::Duration::minutes(10),
            closed_at: None,
            end_reason: None,
        },
        turn: Turn {
            seq: 1,
            at: now,
            caller_text: format!("je voudrais parler à quelqu'un pour {topic}"),
            reply_text: "La mairie est fermée. Elle ouvre mardi à 8 heures 30. Un agent vous rappellera à ce numéro.".into(),
            decision: json!({ "action": "callback", "rule": "explicit_human_request" }),
            action: "callback".into(),
            fiche: None,
            confidence: None,
            reply: None,
            message_id: None,
        },
        tickets: vec![NewTicket {
            idempotency_key: format!("{conversation}:1:ticket"),
            tenant: commune.into(),
            kind: TicketKind::Callback,
            channel: Channel::Voice,
            conversation_id: Some(conversation.into()),
            caller_number: Some(number.into()),
            topic: topic.into(),
            fiche: None,
            summary: format!("L'usager demande à être rappelé au sujet de : {topic}."),
            transcript: json!([{ "caller": "je voudrais parler à quelqu'un", "robot": "Un agent vous rappellera." }]),
            partner: None,
            reference: None,
            created_at: now,
            due_at: None,
        }],
        outbox: vec![],
    };
    let saved = h.store.save_turn(&record).await.expect("turn saved");
    saved.ticket_ids[0]
}

/// A new account of `role` on `communes`, and a client signed in as it.
pub async fn signed_in<'a>(
    h: &'a Harness,
    email: &str,
    role: Role,
    communes: &[&str],
) -> Client<'a> {
    let (email, password) = account(h, email, role, communes).await;
    let mut client = Client::new(h);
    let login = client.login(&email, &password).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    client
}

/// A signed-in (or not) browser-like client: keeps the session cookie.
pub struct Client<'a> {
    pub h: &'a Harness,
    pub cookies: Vec<(String, String)>,
    pub ip: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// The value of the first `name="csrf"` hidden field.
    pub fn csrf(&self) -> Option<String> {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }
}

impl<'a> Client<'a> {
    pub fn new(h: &'a Harness) -> Self {
        Client {
            h,
            cookies: Vec::new(),
            ip: "192.0.2.10".into(),
        }
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response: Response<Body> = self
            .h
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_string(), value.to_string()));
                }
            }
        }
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let cookie = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let ip: std::net::SocketAddr = format!("{}:40000", self.ip).parse().expect("address");
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .extension(axum::extract::ConnectInfo(ip));
        if !cookie.is_empty() {
            builder = builder.header(header::COOKIE, cookie);
        }
        builder
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self
            .request("GET", path)
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let request = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Submits the login form as a browser would (GET the form, POST it with its token).
    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/console/connexion").await;
        assert_eq!(form.status, StatusCode::OK);
        let token = form.csrf().expect("login form has a CSRF token");
        self.post(
            "/console/connexion",
            &[("email", email), ("password", password), ("csrf", &token)],
        )
        .await
    }

    /// The CSRF token of the signed-in session (read from a page).
    pub async fn csrf(&mut self, page: &str) -> String {
        self.get(page).await.csrf().expect("page has a CSRF token")
    }
}
