//! Faults, each with nothing lost and nothing sent twice:
//! - PostgreSQL stopped in the middle of a call (the service reaches it through a proxy that can
//!   cut every connection and refuse new ones): callers are still answered, the turns, the
//!   ticket and the SMS land in the store when it is back;
//! - neither the store nor the spool can keep a turn: a voice caller is transferred to the
//!   standard instead of being dropped, a chat gets the engine's answer;
//! - the process killed with SIGKILL between a turn and its SMS: the SMS is sent once after the
//!   restart;
//! - a fiche broken while serving: the last good index keeps answering, the error is visible on
//!   `/readyz` until the fiche is fixed;
//! - an SMS given up after the provider failed every attempt is never sent again once the
//!   provider is back. (Retries of 500, 429 and slow answers: `tests/serve_outbox.rs`.)

use crate::support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use guichet::serve::config::SmsProvider;
use guichet_connectors::testkit::{Credentials, FakeProvider, Fault};
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{
    OutboxState, OutboxStore, SessionStore, TicketFilter, TicketKind, TicketStore,
};
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const TENANT: &str = "villebourg";

// ----- helpers -----

/// Polls `check` until it gives a value, at most `within`.
async fn eventually<T>(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A name no other test (of this or another process) uses at the same time.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{nanos:x}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh empty directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("guichet-faults-{name}")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The spooled turns waiting in `dir` (not counting `rejected/`).
fn spooled_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|listing| {
            listing
                .flatten()
                .map(|item| item.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default()
}

/// A Twilio SMS webhook's parameters.
fn twilio_sms(message_sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("ApiVersion", "2010-04-01"),
        ("Body", body),
        ("From", from),
        ("FromCountry", "FR"),
        ("MessageSid", message_sid),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsMessageSid", message_sid),
        ("SmsSid", message_sid),
        ("SmsStatus", "received"),
        ("To", MAIRIE),
        ("ToCountry", "FR"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

fn header_json(response: &reqwest::Response, name: &str) -> serde_json::Value {
    let value = response.headers().get(name).expect(name);
    serde_json::from_slice(value.as_bytes()).unwrap()
}

// ----- a TCP proxy that can play "the server is down" -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards to the upstream server.
    Up,
    /// Cuts every live connection and closes new ones at once (a stopped server).
    Down,
    /// Answers every HTTP request `503 Service Unavailable` (a provider down).
    Http503,
}

struct Proxy {
    address: SocketAddr,
    mode: watch::Sender<Mode>,
    /// Requests answered 503 so far.
    refused: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr, mode: Mode) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, receiver) = watch::channel(mode);
        let refused = Arc::new(AtomicUsize::new(0));
        let counter = refused.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let mut changed = receiver.clone();
                let mode = *changed.borrow_and_update();
                let counter = counter.clone();
                tokio::spawn(async move {
                    match mode {
                        Mode::Down => drop(client),
                        Mode::Http503 => {
                            if answer_503(&mut client).await.is_ok() {
                                counter.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Mode::Up => {
                            let Ok(mut server) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            // Any change of mode cuts the connection (both sockets dropped).
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = changed.changed() => {}
                            }
                        }
                    }
                });
            }
        });
        Proxy {
            address,
            mode: sender,
            refused,
            task,
        }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP request (headers and `Content-Length` body) and answers 503.
async fn answer_503(socket: &mut TcpStream) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let (end, length) = loop {
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buffer.len() < end + length {
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = r#"{"code":20500,"message":"Service Unavailable","status":503}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

// ----- PostgreSQL: a fresh schema per test -----

/// A schema created for one test (dropped when the test ends), reached through a proxy.
struct PgSchema(TestSchema);

impl PgSchema {
    async fn create() -> Option<PgSchema> {
        let url = test_database_url()?;
        let schema = TestSchema::create(&url).await.unwrap_or_else(|e| {
            panic!("test database URL is set but PostgreSQL is unreachable: {e}")
        });
        Some(PgSchema(schema))
    }

    /// The server's address (what the proxy forwards to).
    fn upstream(&self) -> SocketAddr {
        let url = reqwest::Url::parse(self.0.database_url()).expect("valid PostgreSQL URL");
        let host = url.host_str().unwrap_or("127.0.0.1");
        let host = if host == "localhost" {
            "127.0.0.1"
        } else {
            host
        };
        SocketAddr::from_str(&format!("{host}:{}", url.port().unwrap_or(5432)))
            .expect("PostgreSQL on an IP address")
    }

    /// The database URL through `proxy`, in this schema.
    fn url_through(&self, proxy: SocketAddr) -> String {
        let mut url = reqwest::Url::parse(self.0.database_url()).expect("valid PostgreSQL URL");
        url.set_host(Some(&proxy.ip().to_string())).unwrap();
        url.set_port(Some(proxy.port())).unwrap();
        url.query_pairs_mut()
            .append_pair("options[search_path]", self.0.name());
        url.to_string()
    }
}

// ----- the store unreachable -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_call_loses_no_turn_ticket_or_sms() {
    let Some(schema) = PgSchema::create().await else {
        return;
    };
    let proxy = Proxy::start(schema.upstream(), Mode::Up).await;
    let spool = scratch("pg-spool");
    let url = schema.url_through(proxy.address);
    let spool_dir = spool.clone();
    let h = Harness::start_with(SmsProvider::Twilio, closed_hours(), move |s| {
        s.database_url = url;
        s.spool_dir = spool_dir;
        s.store_timeout_ms = 1_000;
    })
    .await;
    let call = "CA00000000000000000000000000fa0001";
    let from = "+33612345678";
    let greeting = h
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(greeting.status(), 200);

    // PostgreSQL "stops": live connections cut, new ones refused.
    proxy.set(Mode::Down);
    let answer = h
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, from, "mon passeport est expiré"),
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(decision(&answer)["fiche"], "passeport-renouvellement");
    let actions = header_json(&answer, "x-guichet-actions");
    assert!(
        actions.to_string().contains("send_sms"),
        "an SMS-sending answer: {actions}"
    );
    let twiml = answer.text().await.unwrap();
    assert!(twiml.contains("<Gather"), "the call goes on: {twiml}");

    let handoff = h
        .twilio(
            "/twilio/voice/turn?seq=2",
            &twilio_speech(call, from, "je voudrais parler à un agent"),
        )
        .await;
    assert_eq!(handoff.status(), 200);
    assert_eq!(
        decision(&handoff)["action"],
        "callback",
        "the mairie is closed"
    );
    let twiml = handoff.text().await.unwrap();
    assert!(twiml.contains("fermée"), "{twiml}");

    // A citizen texting meanwhile: answered, and the second SMS continues the same conversation.
    let texter = "+33611110000";
    for (sid, body) in [
        (
            "SM000000000000000000000000000fa001",
            "quels sont les horaires de la mairie ?",
        ),
        ("SM000000000000000000000000000fa002", "merci au revoir"),
    ] {
        let response = h
            .twilio("/twilio/sms", &twilio_sms(sid, texter, body))
            .await;
        assert_eq!(response.status(), 200);
        let twiml = response.text().await.unwrap();
        assert!(twiml.contains("<Message>"), "{twiml}");
    }
    assert_eq!(
        spooled_files(&spool).len(),
        4,
        "every turn waits in the spool"
    );
    // The probe says so, promptly.
    let asked = Instant::now();
    let ready = h
        .http
        .get(format!("{}/readyz", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["spooled_turns"], 4);
    assert_ne!(ready["store"], "ok");
    assert!(h.fake.received().is_empty());
    // So do the metrics, without waiting for the store.
    let asked = Instant::now();
    let metrics = h.metrics().await;
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(
        metric(&metrics, "guichet_spool_depth", &[]),
        4.0,
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_spooled_turns_total",
            &["outcome=\"spooled\""]
        ),
        4.0
    );
    assert_eq!(
        metric(
            &metrics,
            "guichet_spooled_turns_total",
            &["outcome=\"replayed\""]
        ),
        0.0
    );

    // PostgreSQL is back: everything lands, once.
    proxy.set(Mode::Up);
    let store = &h.service.state.store;
    let turns = eventually(
        "the spooled turns in the store",
        Duration::from_secs(60),
        async || {
            let turns = store.conversation_turns(TENANT, call).await.ok()?;
            (turns.len() == 3 && spooled_files(&spool).is_empty()).then_some(turns)
        },
    )
    .await;
    let seqs: Vec<i64> = turns.iter().map(|turn| turn.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    assert_eq!(turns[1].caller_text, "mon passeport est expiré");
    let session = store.load_session(TENANT, call).await.unwrap().unwrap();
    assert_eq!(session.state["seq"], 2, "the latest session wins");
    let texts = store
        .conversation_turns(TENANT, "sms-SM000000000000000000000000000fa001")
        .await
        .unwrap();
    let texts: Vec<&str> = texts.iter().map(|turn| turn.caller_text.as_str()).collect();
    assert_eq!(
        texts,
        ["quels sont les horaires de la mairie ?", "merci au revoir"]
    );

    let tickets = store
        .list_tickets(&TicketFilter {
            communes: vec![TENANT.into()],
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert_eq!(tickets[0].kind, TicketKind::Callback);
    assert_eq!(tickets[0].conversation_id.as_deref(), Some(call));
    assert_eq!(tickets[0].caller_number.as_deref(), Some(from));

    let received = eventually("the SMS sent", Duration::from_secs(30), async || {
        let received: Vec<_> = h
            .fake
            .received()
            .into_iter()
            .filter(|sms| sms.to == from)
            .collect();
        (!received.is_empty()).then_some(received)
    })
    .await;
    assert!(
        received[0].text.contains("passeport"),
        "{}",
        received[0].text
    );
    eventually("the outbox empty", Duration::from_secs(30), async || {
        (store.outbox_depth().await.ok()? == 0).then_some(())
    })
    .await;
    // A few outbox polls later: every SMS was sent once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = h.fake.received();
    assert_eq!(
        all.iter().filter(|sms| sms.to == from).count(),
        1,
        "no SMS sent twice"
    );
    let mut distinct: Vec<_> = all.iter().map(|sms| (&sms.to, &sms.text)).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), all.len(), "no SMS sent twice: {all:?}");
    assert!(!spool.join("rejected").exists(), "nothing refused");
    assert_eq!(h.service.state.spool.len(), 0);
    // The metrics tell the same story: every spooled turn replayed, none refused, none left.
    let metrics = eventually(
        "the spool empty in the metrics",
        Duration::from_secs(30),
        async || {
            let metrics = h.metrics().await;
            (metric(&metrics, "guichet_spool_depth", &[]) == 0.0).then_some(metrics)
        },
    )
    .await;
    let outcome = |name: &str| {
        metric(
            &metrics,
            "guichet_spooled_turns_total",
            &[&format!("outcome=\"{name}\"")],
        )
    };
    assert!(outcome("spooled") >= 1.0, "{metrics}");
    assert_eq!(outcome("replayed"), outcome("spooled"), "{metrics}");
    assert_eq!(outcome("rejected"), 0.0, "{metrics}");

    h.stop().await;
    drop(proxy);
    drop(schema);
    let _ = std::fs::remove_dir_all(&spool);
}

#[tokio::test]
async fn a_turn_kept_nowhere_transfers_a_voice_caller_and_has_a_message_sent_again() {
    // The spool not writable (a file, not a folder) and the store unreachable (pool closed).
    let scratch = scratch("nowhere");
    let spool = scratch.join("spool-is-a-file");
    std::fs::write(&spool, "not a directory").unwrap();
    let h = Harness::start_with(SmsProvider::None, open_hours(), |s| {
        s.spool_dir = spool;
        s.store_timeout_ms = 1_000;
    })
    .await;
    h.service.state.store.close().await;

    let call = "CA00000000000000000000000000fa0002";
    let from = "+33612345678";
    let start = h
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(start.status(), 200);
    let twiml = start.text().await.unwrap();
    assert!(
        twiml.contains("problème technique") && twiml.contains("<Number>+33130000000</Number>"),
        "transferred to the standard: {twiml}"
    );

    let sms = h
        .twilio(
            "/twilio/sms",
            &twilio_sms(
                "SM000000000000000000000000000fa003",
                from,
                "quels sont les horaires de la mairie ?",
            ),
        )
        .await;
    // An SMS or a chat message kept nowhere is not answered as if it were noted: 503, the
    // provider (or the client) sends it again later. The answer says nothing of the inside.
    assert_eq!(sms.status(), 503);
    let body = sms.text().await.unwrap();
    assert!(!body.contains("<Message>"), "{body}");
    assert!(!body.contains("spool") && !body.contains("pool"), "{body}");

    let created = h
        .http
        .post(format!("{}/api/v1/conversations", h.base))
        .json(&serde_json::json!({
            "to": MAIRIE,
            "from": from,
            "text": "mon passeport est expiré"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 503);
    let created: serde_json::Value = created.json().await.unwrap();
    assert!(
        created["error"]
            .as_str()
            .is_some_and(|e| !e.contains("spool")),
        "{created}"
    );
    h.stop().await;
    let _ = std::fs::remove_dir_all(&scratch);
}

// ----- SIGKILL between a turn and its SMS -----

/// `guichet serve` as a child process; its stdout is drained by a thread.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(config: &Path) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("serve")
            .arg("--config")
            .arg(config)
            .env("GUICHET__TWILIO__AUTH_TOKEN", "twilio-test-token")
            .env_remove("GUICHET__DATABASE__URL")
            .env_remove("GUICHET__DATABASE_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start guichet serve");
        let stdout = child.stdout.take().expect("child stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = sender.send(base.to_string());
                }
            }
        });
        let base = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(error) => {
                let _ = child.kill();
                panic!("guichet serve did not start: {error}");
            }
        };
        Served { child, base }
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_a_turn_and_its_sms_sends_it_exactly_once_after_restart() {
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let upstream = SocketAddr::from_str(fake.base_url().trim_start_matches("http://")).unwrap();
    let provider = Proxy::start(upstream, Mode::Http503).await;
    let dir = scratch("sigkill");
    let config = dir.join("guichet.toml");
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
database_url = "sqlite://{db}?mode=rwc"
spool_dir = "{spool}"
watch_knowledge = false

[communes.villebourg]
dir = "{demo}"
numbers = ["{MAIRIE}"]

[sms]
provider = "twilio"

[twilio]
account_sid = "{sid}"
api_base_url = "http://{provider}"
verify_signatures = false

[outbox]
poll_interval_ms = 50
base_delay_ms = 50
max_delay_seconds = 1
lease_seconds = 2
max_attempts = 1000
request_timeout_ms = 1000

[log]
level = "warn"
"#,
            db = dir.join("guichet.db").display(),
            spool = dir.join("spool").display(),
            demo = demo.display(),
            sid = fake.credentials().twilio_account_sid,
            provider = provider.address,
        ),
    )
    .unwrap();

    let served = Served::start(&config);
    let http = reqwest::Client::new();
    let call = "CA00000000000000000000000000fa0003";
    let from = "+33612345678";
    let post = async |base: &str, path: &str, params: &[(String, String)]| {
        http.post(format!("{base}{path}"))
            .header("x-guichet-trace", "1")
            .form(params)
            .send()
            .await
            .unwrap()
    };
    let start = post(
        &served.base,
        "/twilio/voice",
        &twilio_call(call, from, MAIRIE, "ringing"),
    )
    .await;
    assert_eq!(start.status(), 200);
    let answer = post(
        &served.base,
        "/twilio/voice/turn?seq=1",
        &twilio_speech(call, from, "mon passeport est expiré"),
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert!(
        header_json(&answer, "x-guichet-actions")
            .to_string()
            .contains("send_sms")
    );
    // The turn is committed and the provider refuses the SMS (503): kill the process.
    eventually(
        "two refused attempts",
        Duration::from_secs(30),
        async || (provider.refused() >= 2).then_some(()),
    )
    .await;
    served.kill();
    assert!(fake.received().is_empty());

    // The provider is back; the service restarts on the same database.
    provider.set(Mode::Up);
    let served = Served::start(&config);
    let received = eventually(
        "the SMS sent after the restart",
        Duration::from_secs(30),
        async || {
            let received = fake.received();
            (!received.is_empty()).then_some(received)
        },
    )
    .await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, from);
    // Many outbox polls (50 ms) and more than a lease (2 s) later: still once.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(fake.received().len(), 1, "the SMS is sent exactly once");
    served.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- a fiche broken while serving -----

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fiche_broken_while_serving_keeps_the_last_good_index_and_shows_the_error() {
    let commune = scratch("kb");
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
        &commune,
    );
    let fiche = commune.join("fiches/passeport-renouvellement.md");
    let good = std::fs::read_to_string(&fiche).unwrap();
    let dir = commune.clone();
    let h = Harness::start_with(SmsProvider::None, open_hours(), move |s| {
        s.watch_knowledge = true;
        if let Some(villebourg) = s.communes.get_mut(TENANT) {
            villebourg.dir = dir;
        }
    })
    .await;
    let ready = async || -> serde_json::Value {
        let response = h
            .http
            .get(format!("{}/readyz", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "degraded, but ready");
        response.json().await.unwrap()
    };
    let ask = async |call: &str| -> (serde_json::Value, String) {
        let from = "+33612345678";
        let response = h.ring_and_ask(call, from, "mon passeport est expiré").await;
        assert_eq!(response.status(), 200);
        let decision = decision(&response);
        (decision, response.text().await.unwrap())
    };
    assert!(ready().await["knowledge"][0]["error"].is_null());

    // Staff save a fiche with a broken front matter.
    std::fs::write(
        &fiche,
        "---\nid: passeport-renouvellement\ntitle: [oops\n---\nTexte.\n",
    )
    .unwrap();
    let status = eventually(
        "the error on /readyz",
        Duration::from_secs(30),
        async || {
            let status = ready().await;
            (!status["knowledge"][0]["error"].is_null()).then_some(status)
        },
    )
    .await;
    assert_eq!(status["ready"], true);
    assert_eq!(status["degraded"], true);
    // /readyz is public: it says that the last edit was refused, not what the folder holds.
    let error = status["knowledge"][0]["error"].as_str().unwrap();
    assert!(error.contains("guichet kb check"), "{error}");
    assert!(!error.contains("passeport-renouvellement"), "{error}");
    let (decision, twiml) = ask("CA00000000000000000000000000fa0004").await;
    assert_eq!(
        decision["fiche"], "passeport-renouvellement",
        "the last good index answers"
    );
    assert!(twiml.contains("espace citoyen"), "{twiml}");

    // Fixed (with a new wording): the error clears and the new text is served.
    let fixed = good.replace(
        "Pour refaire votre passeport,",
        "Nouvelle consigne : pour refaire votre passeport,",
    );
    assert_ne!(fixed, good);
    std::fs::write(&fiche, fixed).unwrap();
    eventually("the error cleared", Duration::from_secs(30), async || {
        ready().await["knowledge"][0]["error"]
            .is_null()
            .then_some(())
    })
    .await;
    assert_eq!(ready().await["degraded"], false);
    let (_, twiml) = ask("CA00000000000000000000000000fa0005").await;
    assert!(twiml.contains("Nouvelle consigne"), "{twiml}");
    h.stop().await;
    let _ = std::fs::remove_dir_all(&commune);
}

// ----- an SMS given up stays given up -----

#[tokio::test]
async fn a_dead_sms_is_not_sent_again_when_the_provider_recovers() {
    let h = Harness::start_with(SmsProvider::Twilio, open_hours(), |s| {
        s.outbox.max_attempts = 3;
        s.outbox.request_timeout_ms = HANGING_PROVIDER_TIMEOUT_MS;
    })
    .await;
    h.fake.push_faults([
        Fault::Status(500),
        Fault::TooManyRequests {
            retry_after_seconds: 0,
        },
        Fault::Hang(HANG),
    ]);
    let store = &h.service.state.store;
    let call_with_sms = async |call: &str, from: &str| {
        let response = h.ring_and_ask(call, from, "mon passeport est expiré").await;
        assert_eq!(response.status(), 200);
    };
    call_with_sms("CA00000000000000000000000000fa0006", "+33612345678").await;
    let dead = eventually(
        "the SMS dead-lettered",
        Duration::from_secs(30),
        async || {
            let row = store.get_outbox(1).await.ok()??;
            (row.state == OutboxState::Dead).then_some(row)
        },
    )
    .await;
    assert_eq!(dead.attempts, 3);
    assert!(dead.last_error.is_some());
    assert_eq!(h.fake.attempts(), 3);

    // The provider accepts again: a new SMS goes out once, the dead one never.
    call_with_sms("CA00000000000000000000000000fa0007", "+33687654321").await;
    let received = h.wait_for_sms(1).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, "+33687654321");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.fake.received().len(), 1);
    assert_eq!(h.fake.attempts(), 4);
    let still = store.get_outbox(1).await.unwrap().unwrap();
    assert_eq!(still.state, OutboxState::Dead);
    assert_eq!(still.attempts, 3);
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("guichet_sms_dead_total{provider=\"twilio\"} 1"),
        "{metrics}"
    );
    h.stop().await;
}
