//! Two `guichet serve` processes on one PostgreSQL database, as behind a load balancer: a call
//! whose turns alternate between the nodes keeps its conversation, each SMS is sent once
//! whichever node's outbox worker takes it, and the standardistes' console is one across nodes
//! (live queue over `LISTEN/NOTIFY`, claims refused to the second taker).
//!
//! Reads `GUICHET_TEST_DATABASE_URL`; without it the test reports itself skipped and passes.
//! The nodes run in a schema of their own (dropped at the end, even on failure) and serve a
//! copy of the demo commune whose mairie is always closed (the processes have no frozen clock:
//! a call asking for a human must get a callback ticket whatever the hour).

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guichet_connectors::testkit::{Credentials, FakeProvider};
use guichet_connectors::twilio::{SIGNATURE_HEADER, signature};
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{
    AnyStore, OutboxState, OutboxStore, SessionStore, StaffStore, TicketKind, TicketStore,
};
use reqwest::StatusCode;
use support::browser::{Browser, location};
use support::{MAIRIE, PUBLIC_URL, decision, scrape_metrics, twilio_call, twilio_speech};

/// Patience for anything that should take well under a second on an idle machine.
const PATIENCE: Duration = Duration::from_secs(20);
/// A node's start: loading and indexing the commune, migrations.
const START: Duration = Duration::from_secs(90);
/// Longest acceptable delay for a ticket change to reach the other node's live queue. The
/// queues' own polling is set to a minute: only the database's notification is that fast.
const LIVE_UPDATE: Duration = Duration::from_secs(5);
const COMMUNE: &str = "villebourg";

/// A scratch folder removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "guichet-two-nodes-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).expect("create scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo commune, its mairie never open.
fn closed_demo_commune(scratch: &Path) -> PathBuf {
    let dir = scratch.join("commune");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
        &dir,
    );
    let file = dir.join("commune.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("opening_hours"))
        .expect("the demo commune has opening hours");
    std::fs::write(&file, text.replace(line, "opening_hours = \"off\"")).unwrap();
    dir
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

/// The nodes' configuration file (secrets and the database URL come from the environment).
fn config_file(scratch: &Path, commune: &Path, fake: &FakeProvider) -> PathBuf {
    let text = format!(
        r#"public_url = {public}
watch_knowledge = false

[communes.{COMMUNE}]
dir = {dir}
numbers = [{mairie}]

[sms]
provider = "twilio"

[twilio]
account_sid = {sid}
api_base_url = {api}

[outbox]
poll_interval_ms = 20
base_delay_ms = 30
max_delay_seconds = 1
request_timeout_ms = 5000

[console]
queue_poll_seconds = 60
"#,
        public = toml_string(PUBLIC_URL),
        dir = toml_string(&commune.display().to_string()),
        mairie = toml_string(MAIRIE),
        sid = toml_string(&fake.credentials().twilio_account_sid),
        api = toml_string(&fake.base_url()),
    );
    let file = scratch.join("guichet.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// A command of the binary under test, without the caller's `GUICHET__…` settings.
fn guichet() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GUICHET__") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "info,sqlx=warn");
    command
}

/// `guichet staff add`: a standardiste of the commune; returns the one-time password.
fn add_standardiste(database: &str, email: &str) -> String {
    let output = guichet()
        .args([
            "staff",
            "add",
            "--commune",
            COMMUNE,
            "--role",
            "standardiste",
        ])
        .args(["--email", email, "--database", database])
        .output()
        .expect("run guichet staff add");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "guichet staff add failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with("Mot de passe"))
        .and_then(|l| l.rsplit(": ").next())
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no password in: {stdout}"))
}

/// One `guichet serve` process, killed when dropped (its log is shown if the test failed).
struct Node {
    name: &'static str,
    child: Child,
    base: String,
    log: PathBuf,
    http: reqwest::Client,
    token: String,
}

impl Node {
    fn spawn(
        name: &'static str,
        scratch: &Path,
        config: &Path,
        database: &str,
        token: &str,
    ) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = scratch.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = guichet()
            .args(["serve", "--config"])
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("GUICHET__DATABASE__URL", database)
            .env("GUICHET__TWILIO__AUTH_TOKEN", token)
            .current_dir(scratch)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start guichet serve");
        Node {
            name,
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            http: reqwest::Client::new(),
            token: token.to_string(),
        }
    }

    /// Waits for `/readyz` (store reachable, commune loaded).
    async fn ready(&mut self) {
        let deadline = Instant::now() + START;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("node {} exited ({status}) before being ready", self.name);
            }
            if let Ok(response) = self.http.get(format!("{}/readyz", self.base)).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            assert!(Instant::now() < deadline, "node {} not ready", self.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A Twilio webhook, signed for the public URL both nodes share.
    async fn twilio(&self, path_and_query: &str, params: &[(String, String)]) -> reqwest::Response {
        let signed = signature::sign(
            &self.token,
            &format!("{PUBLIC_URL}{path_and_query}"),
            params,
        );
        self.http
            .post(format!("{}{path_and_query}", self.base))
            .header(SIGNATURE_HEADER, signed)
            .header("x-guichet-trace", "1")
            .form(params)
            .send()
            .await
            .unwrap()
    }

    /// `guichet_sms_sent_total` of this node.
    async fn sms_sent(&self) -> u64 {
        let metrics = scrape_metrics(&self.http, &self.base).await;
        metrics
            .lines()
            .filter(|l| l.starts_with("guichet_sms_sent_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of node {} ---", self.name);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// What a standardiste does on a node's console.
impl Browser {
    /// Signs in as `email`, replacing a one-time password first when the console asks.
    async fn sign_in(&mut self, email: &str, password: &str) {
        let response = self.log_in(email, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        assert!(
            self.has_cookie("guichet_session"),
            "no session cookie for {email}"
        );
        // A one-time password: the console asks for a new one first.
        if location(&response).ends_with("/mot-de-passe") {
            self.change_password(password, &format!("{password}-choisi"))
                .await;
        }
    }

    /// `POST /console/tickets/{id}/prendre` with the ticket page's CSRF token.
    async fn claim(&mut self, id: i64, csrf: &str) -> reqwest::Response {
        self.post(&format!("/console/tickets/{id}/prendre"), &[("csrf", csrf)])
            .await
    }

    /// The live queue (`/console/file/flux`).
    async fn live_queue(&mut self) -> LiveQueue {
        let response = self.event_stream("/console/file/flux").await;
        assert_eq!(response.status(), StatusCode::OK);
        LiveQueue {
            response,
            buffer: String::new(),
        }
    }
}

/// A Server-Sent Events stream of `file` events (the queue's rows).
struct LiveQueue {
    response: reqwest::Response,
    buffer: String,
}

impl LiveQueue {
    /// The next `file` event's data.
    async fn next_rows(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let mut name = "";
                let mut data = Vec::new();
                for line in event.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value));
                    }
                }
                if name == "file" {
                    return data.join("\n");
                }
                continue;
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("read the live queue")
                .expect("the live queue stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Waits (at most `within`) for rows satisfying `wanted`; returns them and the wait.
    async fn wait_for(&mut self, within: Duration, wanted: impl Fn(&str) -> bool) -> Duration {
        let started = Instant::now();
        tokio::time::timeout(within, async {
            loop {
                if wanted(&self.next_rows().await) {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the live queue did not update within {within:?}"));
        started.elapsed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_calls_outbox_and_console() {
    let Some(url) = test_database_url() else {
        return;
    };
    // Declared first: dropped last, after the nodes are killed.
    let schema = TestSchema::create(&url).await.expect("create test schema");
    let scratch = Scratch::create();
    let fake = FakeProvider::start(Credentials::default()).await.unwrap();
    let token = fake.credentials().twilio_auth_token.clone();
    let database = schema.url();

    // The schema is migrated once here; staff exist before the nodes start (no first admin).
    let store = AnyStore::Postgres(schema.store(2).await.expect("open PostgreSQL store"));
    let alice = "alice@villebourg.example";
    let bob = "bob@villebourg.example";
    let alice_password = add_standardiste(&database, alice);
    let bob_password = add_standardiste(&database, bob);

    let commune = closed_demo_commune(&scratch.0);
    let config = config_file(&scratch.0, &commune, &fake);
    let mut a = Node::spawn("A", &scratch.0, &config, &database, &token);
    let mut b = Node::spawn("B", &scratch.0, &config, &database, &token);
    a.ready().await;
    b.ready().await;

    // ----- 1. One call, its turns alternating between the nodes -----
    let call = "CA00000000000000000000000000002n01";
    let from = "+33612345001";
    let ring = a
        .twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
        .await;
    assert_eq!(ring.status(), StatusCode::OK);
    assert_eq!(decision(&ring)["action"], "greet");
    let clarify = b
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(
                call,
                from,
                "oui je voudrais refaire mon passeport s'il vous plaît",
            ),
        )
        .await;
    let trace = decision(&clarify);
    assert_eq!(trace["action"], "clarify", "{trace}");
    assert_eq!(trace["fiche"], "passeport", "{trace}");
    // The clarification asked by B is answered on A: A knows what the question was.
    let answer = a
        .twilio(
            "/twilio/voice/turn?seq=2",
            &twilio_speech(call, from, "il est expiré"),
        )
        .await;
    let trace = decision(&answer);
    assert_eq!(trace["action"], "answer", "{trace}");
    assert_eq!(trace["fiche"], "passeport-renouvellement", "{trace}");
    let twiml = answer.text().await.unwrap();
    assert!(twiml.contains("seq=3"), "{twiml}");
    assert!(
        twiml.contains("Puis-je vous aider pour autre chose ?"),
        "{twiml}"
    );
    let bye = b
        .twilio(
            "/twilio/voice/turn?seq=3",
            &twilio_speech(call, from, "non merci"),
        )
        .await;
    assert_eq!(decision(&bye)["action"], "goodbye");
    let satisfied = a
        .twilio(
            "/twilio/voice/turn?seq=4",
            &twilio_speech(call, from, "oui"),
        )
        .await;
    assert_eq!(decision(&satisfied)["satisfaction"], true);
    assert!(
        satisfied
            .text()
            .await
            .unwrap()
            .ends_with("<Hangup/></Response>")
    );
    let turns = store.conversation_turns(COMMUNE, call).await.unwrap();
    let seqs: Vec<i64> = turns.iter().map(|t| t.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4], "one conversation, every turn kept");
    let actions: Vec<&str> = turns.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(actions[..4], ["greet", "clarify", "answer", "goodbye"]);

    // ----- 2. Each SMS sent once, with both nodes' outbox workers running -----
    let mut recipients = BTreeSet::from([from.to_string()]);
    for i in 2..=7 {
        let node = if i % 2 == 0 { &a } else { &b };
        let other = if i % 2 == 0 { &b } else { &a };
        let call = format!("CA00000000000000000000000000002s{i:02}");
        let from = format!("+336123450{i:02}");
        node.twilio(
            "/twilio/voice",
            &twilio_call(&call, &from, MAIRIE, "ringing"),
        )
        .await;
        let answer = other
            .twilio(
                "/twilio/voice/turn?seq=1",
                &twilio_speech(&call, &from, "mon passeport est expiré"),
            )
            .await;
        let trace = decision(&answer);
        assert_eq!(trace["fiche"], "passeport-renouvellement", "{trace}");
        if i == 2 {
            // The provider retries the turn on the other node: it is answered from the store,
            // word for word, and the SMS is not queued again (counted below).
            let first = answer.text().await.unwrap();
            let retried = node
                .twilio(
                    "/twilio/voice/turn?seq=1",
                    &twilio_speech(&call, &from, "mon passeport est expiré"),
                )
                .await;
            assert_eq!(decision(&retried), trace);
            assert_eq!(retried.text().await.unwrap(), first);
            // The reply is kept with the turn; the session keeps no copy, and neither keeps
            // the caller's number.
            let session = store.load_session(COMMUNE, &call).await.unwrap().unwrap();
            let state = session.state.to_string();
            assert!(!state.contains(&from) && !state.contains("say"), "{state}");
            let turns = store.conversation_turns(COMMUNE, &call).await.unwrap();
            let kept = turns[1].reply.as_ref().expect("reply kept").to_string();
            assert!(kept.contains("send_sms") && !kept.contains(&from), "{kept}");
        }
        recipients.insert(from);
    }
    let deadline = Instant::now() + PATIENCE;
    while fake.received().len() < recipients.len() || store.outbox_depth().await.unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "SMS still queued: {} sent of {}",
            fake.received().len(),
            recipients.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = fake.received();
    let sent_to: Vec<&str> = received.iter().map(|r| r.to.as_str()).collect();
    assert_eq!(
        received.len(),
        recipients.len(),
        "one message per SMS: {sent_to:?}"
    );
    assert_eq!(
        sent_to
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        recipients
    );
    let mut rows = Vec::new();
    for id in 1..=50 {
        if let Some(row) = store.get_outbox(id).await.unwrap() {
            rows.push(row);
        }
    }
    assert_eq!(rows.len(), recipients.len());
    for row in &rows {
        assert_eq!(row.state, OutboxState::Sent, "{row:?}");
        assert_eq!(row.attempts, 1, "claimed by one worker only: {row:?}");
    }
    let (sent_by_a, sent_by_b) = (a.sms_sent().await, b.sms_sent().await);
    assert_eq!(sent_by_a + sent_by_b, recipients.len() as u64);
    eprintln!("SMS sent: node A {sent_by_a}, node B {sent_by_b}");

    // ----- 3. One console across the nodes -----
    let mut alice_on_a = Browser::new(&a.base);
    alice_on_a.sign_in(alice, &alice_password).await;
    let mut bob_on_b = Browser::new(&b.base);
    bob_on_b.sign_in(bob, &bob_password).await;
    let mut queue_on_b = bob_on_b.live_queue().await;
    let rows = queue_on_b.next_rows().await;
    assert!(rows.contains("Aucun ticket en attente."), "{rows}");
    let mut queue_on_a = alice_on_a.live_queue().await;
    queue_on_a.next_rows().await;

    // A closed-hours call on A leaves a callback ticket; B's live queue shows it.
    let call = "CA00000000000000000000000000002c01";
    let caller = "+33612345099";
    a.twilio(
        "/twilio/voice",
        &twilio_call(call, caller, MAIRIE, "ringing"),
    )
    .await;
    let human = a
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, caller, "un agent s'il vous plaît"),
        )
        .await;
    assert_eq!(decision(&human)["action"], "callback");
    let tickets = store
        .list_open_tickets(&[COMMUNE.to_string()])
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].kind, TicketKind::Callback);
    let id = tickets[0].id;
    let row = format!("data-ticket=\"{id}\"");
    let waited = queue_on_b
        .wait_for(LIVE_UPDATE, |rows| {
            rows.contains(&row) && rows.contains(caller)
        })
        .await;
    eprintln!("ticket created on A seen by B's live queue after {waited:?}");

    // Bob claims it through B: Alice's queue on A and her ticket page show it taken by Bob.
    let (_, bob_csrf) = bob_on_b.page(&format!("/console/tickets/{id}")).await;
    let (page, alice_csrf) = alice_on_a.page(&format!("/console/tickets/{id}")).await;
    assert!(page.contains("id=\"claim\""), "{page}");
    let claimed = bob_on_b.claim(id, &bob_csrf).await;
    assert_eq!(claimed.status(), StatusCode::SEE_OTHER);
    let waited = queue_on_a
        .wait_for(LIVE_UPDATE, |rows| {
            rows.contains(&row) && rows.contains("state-pris_en_charge") && rows.contains(bob)
        })
        .await;
    eprintln!("claim on B seen by A's live queue after {waited:?}");
    let (page, _) = alice_on_a.page(&format!("/console/tickets/{id}")).await;
    assert!(
        page.contains(&format!("Pris en charge par {bob}")),
        "{page}"
    );
    assert!(!page.contains("id=\"claim\""), "{page}");
    // Alice's claim, from the page she loaded before Bob's, is refused by A.
    let refused = alice_on_a.claim(id, &alice_csrf).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("pris en charge par un collègue"),
        "a French explanation"
    );

    // Two claims at the same instant through both nodes: exactly one wins.
    let call = "CA00000000000000000000000000002c02";
    let caller = "+33612345098";
    b.twilio(
        "/twilio/voice",
        &twilio_call(call, caller, MAIRIE, "ringing"),
    )
    .await;
    let human = b
        .twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, caller, "je veux parler à quelqu'un"),
        )
        .await;
    assert_eq!(decision(&human)["action"], "callback");
    let second = store
        .list_open_tickets(&[COMMUNE.to_string()])
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.caller_number.as_deref() == Some(caller))
        .expect("the second callback ticket");
    let (_, alice_csrf) = alice_on_a
        .page(&format!("/console/tickets/{}", second.id))
        .await;
    let (_, bob_csrf) = bob_on_b
        .page(&format!("/console/tickets/{}", second.id))
        .await;
    let (by_alice, by_bob) = tokio::join!(
        alice_on_a.claim(second.id, &alice_csrf),
        bob_on_b.claim(second.id, &bob_csrf)
    );
    let mut statuses = [by_alice.status(), by_bob.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let holder = store
        .get_ticket(second.id, &[COMMUNE.to_string()])
        .await
        .unwrap()
        .and_then(|t| t.claimed_by)
        .expect("claimed");
    let winner = if by_alice.status() == StatusCode::SEE_OTHER {
        alice
    } else {
        bob
    };
    assert_eq!(
        store
            .get_staff(holder)
            .await
            .unwrap()
            .map(|s| s.email)
            .as_deref(),
        Some(winner)
    );

    store.close().await;
    drop(a);
    drop(b);
    drop(schema);
}
