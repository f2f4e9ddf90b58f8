//! Attacks on the inside of a served instance (issue 13, items 5-7), black-box over HTTP: the
//! console (login burst, CSRF, another commune's ticket, XSS, headers, the first administrator's
//! password) and the races of one conversation's messages, on SQLite and, when
//! `GUICHET_TEST_DATABASE_URL` is set, on PostgreSQL with two nodes taking turns.

use crate::support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use guichet::serve::config::{CommuneSettings, SmsProvider};
use guichet_store::testkit::{TestSchema, test_database_url};
use guichet_store::{Channel, NewTicket, Role, SessionStore, TicketKind, TicketStore};
use reqwest::StatusCode;
use support::browser::{Browser, location};
use support::*;

const COMMUNE: &str = "villebourg";
const OTHER: &str = "autreville";

/// An account of `role` on `communes` (created as `guichet staff add` does), signed in with the
/// one-time password and its first-login change done: the browser, and the chosen password.
async fn staff_browser(
    h: &Harness,
    email: &str,
    role: Role,
    communes: &[&str],
) -> (Browser, String) {
    let communes: Vec<String> = communes.iter().map(|c| c.to_string()).collect();
    let created = guichet_office::accounts::add_staff(
        h.service.state.store.inner(),
        email,
        role,
        &communes,
        chrono::Utc::now(),
    )
    .await
    .expect("account");
    let mut browser = Browser::new(&h.base);
    let login = browser.log_in(email, &created.password).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert!(location(&login).ends_with("/console/mot-de-passe"));
    let chosen = "un mot de passe choisi, assez long";
    browser.change_password(&created.password, chosen).await;
    (browser, chosen.to_string())
}

/// The service with a second commune (`autreville`, on another number).
async fn two_communes(now: chrono::DateTime<chrono::Utc>) -> Harness {
    Harness::start_with(SmsProvider::Twilio, now, |settings| {
        settings.communes.insert(
            OTHER.into(),
            CommuneSettings {
                dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
                numbers: vec!["+33130000002".into()],
                ..CommuneSettings::default()
            },
        );
    })
    .await
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

// ----- the console -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_burst_of_50_leaves_the_webhooks_p99_under_100_ms() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let (_, _) = staff_browser(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &[COMMUNE],
    )
    .await;
    // Warm up the call path.
    h.ring_and_ask(
        "CA00000000000000000000000000b0000",
        "+33612340000",
        "bonjour",
    )
    .await;

    // 50 guesses at once, each with its login form's token, as a script would send them.
    let mut guesses = Vec::new();
    for n in 0..50 {
        let mut browser = Browser::new(&h.base);
        let (_, csrf) = browser.page("/console/connexion").await;
        guesses.push(tokio::spawn(async move {
            let email = format!("agent{}@villebourg.example", n % 10);
            browser
                .post(
                    "/console/connexion",
                    &[
                        ("email", email.as_str()),
                        ("password", &format!("essai-{n}")),
                        ("csrf", &csrf),
                    ],
                )
                .await
                .status()
        }));
    }
    // Meanwhile, calls keep coming.
    let mut latencies = Vec::new();
    for n in 0..60 {
        let call = format!("CA00000000000000000000000000b{n:04}");
        let from = format!("+336123{n:05}");
        let started = Instant::now();
        let response = h
            .twilio(
                "/twilio/voice/turn?seq=1",
                &twilio_speech(&call, &from, "quels sont les horaires de la mairie"),
            )
            .await;
        latencies.push(started.elapsed());
        assert_eq!(response.status(), StatusCode::OK);
    }
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "the burst is throttled: {statuses:?}"
    );
    let p99 = percentile(latencies, 0.99);
    assert!(p99 < Duration::from_millis(100), "webhook p99 {p99:?}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_their_csrf_token_are_refused() {
    let h = Harness::start(SmsProvider::Twilio, closed_hours()).await;
    // A login without the form's token (a cross-site form) is refused before any check.
    let mut stranger = Browser::new(&h.base);
    let login = stranger
        .post(
            "/console/connexion",
            &[("email", "agent@villebourg.example"), ("password", "x")],
        )
        .await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);

    let (mut agent, _) = staff_browser(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &[COMMUNE],
    )
    .await;
    h.ring_and_ask(
        "CA00000000000000000000000000c0001",
        "+33612345678",
        "je voudrais parler à un agent",
    )
    .await;
    let tickets = h
        .service
        .state
        .store
        .list_open_tickets(&[COMMUNE.to_string()])
        .await
        .unwrap();
    let id = tickets[0].id;
    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let claim = agent
            .post(&format!("/console/tickets/{id}/prendre"), &fields)
            .await;
        assert_eq!(claim.status(), StatusCode::FORBIDDEN);
    }
    let ticket = h
        .service
        .state
        .store
        .get_ticket(id, &[COMMUNE.to_string()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.claimed_by, None, "nothing changed");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_communes_ticket_is_not_found() {
    let h = two_communes(closed_hours()).await;
    let (mut agent, _) = staff_browser(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &[COMMUNE],
    )
    .await;
    let theirs = h
        .service
        .state
        .store
        .create_ticket(&NewTicket {
            idempotency_key: "autreville:1".into(),
            tenant: OTHER.into(),
            kind: TicketKind::Callback,
            channel: Channel::Voice,
            conversation_id: None,
            caller_number: Some("+33698765432".into()),
            topic: "État civil".into(),
            fiche: None,
            summary: "Rappel demandé".into(),
            transcript: serde_json::json!([]),
            partner: None,
            reference: None,
            created_at: closed_hours(),
            due_at: None,
        })
        .await
        .unwrap();
    let (_, csrf) = agent.page("/console/file").await;
    let page = agent.get(&format!("/console/tickets/{theirs}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(!page.text().await.unwrap().contains("98765432"));
    for action in ["prendre", "terminer", "injoignable"] {
        let answer = agent
            .post(
                &format!("/console/tickets/{theirs}/{action}"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let (queue, _) = agent.page("/console/file").await;
    assert!(!queue.contains("98765432"));
    let ticket = h
        .service
        .state
        .store
        .get_ticket(theirs, &[OTHER.to_string()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.claimed_by, None);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_speech_is_shown_as_text_in_the_queue_its_stream_and_the_ticket() {
    let h = Harness::start(SmsProvider::Twilio, closed_hours()).await;
    let (mut agent, _) = staff_browser(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &[COMMUNE],
    )
    .await;
    let payload = "<script>alert('xss')</script><img src=x onerror=alert(1)>";
    let answer = h
        .ring_and_ask(
            "CA00000000000000000000000000d0001",
            "+33612345678",
            &format!("je voudrais parler à un agent {payload}"),
        )
        .await;
    assert_eq!(decision(&answer)["action"], "callback");
    // The markup that would run; its escaped text (`&lt;img src=x onerror=…`) is harmless.
    let raw = ["<script>alert", "<img src=x"];

    let (queue, _) = agent.page("/console/file").await;
    for bad in raw {
        assert!(!queue.contains(bad), "{bad} in the queue");
    }
    // The live queue's stream.
    let mut stream = agent.event_stream("/console/file/flux").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let mut events = String::new();
    while !events.contains("data-ticket") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream goes on");
        events.push_str(&String::from_utf8_lossy(&chunk));
    }
    for bad in raw {
        assert!(!events.contains(bad), "{bad} in the stream");
    }
    drop(stream);

    // The ticket page quotes the caller, escaped.
    let id = h
        .service
        .state
        .store
        .list_open_tickets(&[COMMUNE.to_string()])
        .await
        .unwrap()[0]
        .id;
    let (ticket, _) = agent.page(&format!("/console/tickets/{id}")).await;
    assert!(ticket.contains("&lt;script&gt;"), "the words are shown");
    for bad in raw {
        assert!(!ticket.contains(bad), "{bad} on the ticket page");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_answer_carries_the_security_headers() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    let (mut agent, _) = staff_browser(
        &h,
        "agent@villebourg.example",
        Role::Standardiste,
        &[COMMUNE],
    )
    .await;
    let mut anonymous = Browser::new(&h.base);
    let answers = [
        anonymous.get("/console/connexion").await,
        anonymous.get("/console/file").await,
        agent.get("/console/file").await,
        agent.get("/console/tickets/999999").await,
        agent.get("/console/static/console.js").await,
    ];
    for answer in &answers {
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "same-origin");
        // The test service's public URL is https.
        assert!(header("strict-transport-security").starts_with("max-age="));
    }
    // No inline script on the pages: every script is a file of the console.
    let (queue, _) = agent.page("/console/file").await;
    for script in queue.split("<script").skip(1) {
        assert!(
            script.trim_start().starts_with("src="),
            "inline script: {script}"
        );
    }
    assert!(!queue.contains(" style=\"") && !queue.contains("javascript:"));
    // The live queue refuses a stream without session with a 401 (its script retries), not a
    // redirect to a page the EventSource cannot read.
    let refused = anonymous.event_stream("/console/file/flux").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    h.stop().await;
}

/// `guichet serve` as deployed, its stdout and stderr in `log`.
struct Served {
    child: std::process::Child,
    base: String,
    log: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrators_password_is_in_a_private_file_not_in_the_logs() {
    let scratch = std::env::temp_dir().join(format!("guichet-first-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let config = scratch.join("guichet.toml");
    std::fs::write(
        &config,
        format!(
            "watch_knowledge = false\n\n[communes.{COMMUNE}]\ndir = {:?}\nnumbers = [\"{MAIRIE}\"]\n",
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("communes/demo")
                .display()
                .to_string()
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let log = scratch.join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GUICHET__") {
            command.env_remove(key);
        }
    }
    let child = command
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug,sqlx=warn")
        .env("GUICHET__TWILIO__AUTH_TOKEN", "twilio-token-for-tests")
        .current_dir(&scratch)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start guichet serve");
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = http.get(format!("{}/readyz", served.base)).send().await
            && response.status() == StatusCode::OK
        {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let file = scratch.join("data/premier-administrateur.txt");
    let text = std::fs::read_to_string(&file).expect("the first administrator's file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the service's user only");
    }
    let password = text
        .lines()
        .find_map(|line| line.strip_prefix("Mot de passe à usage unique : "))
        .expect("the password line")
        .trim()
        .to_string();
    assert!(password.len() >= 16);
    let logged = std::fs::read_to_string(&served.log).unwrap();
    assert!(logged.contains("premier-administrateur.txt"), "{logged}");
    assert!(!logged.contains(&password), "the password is in the logs");

    // The password works once: the console asks for another before anything else.
    let mut admin = Browser::new(&served.base);
    let login = admin.log_in("admin@guichet.local", &password).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert!(location(&login).ends_with("/console/mot-de-passe"));
    let queue = admin.get("/console/file").await;
    assert_eq!(queue.status(), StatusCode::SEE_OTHER);
    assert!(location(&queue).ends_with("/console/mot-de-passe"));
    admin
        .change_password(&password, "la mairie de Villebourg, 2026")
        .await;
    assert_eq!(admin.get("/console/file").await.status(), StatusCode::OK);
    // The one-time password no longer opens the console.
    let again = Browser::new(&served.base)
        .log_in("admin@guichet.local", &password)
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    drop(served);
    let _ = std::fs::remove_dir_all(&scratch);
}

// ----- two messages of one conversation at once -----

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

fn sid(n: usize) -> String {
    format!("SM{n:032}")
}

/// Sends the first SMS of a number, then `pairs` times two at the same instant, each pair's
/// messages to `nodes[0]` and `nodes[1]` (the same node twice on one node). Every message must
/// be stored as its own turn and answered with a message of its own.
async fn simultaneous_sms(nodes: [&Harness; 2], pairs: usize) {
    let from = "+33611223344";
    let first = nodes[0]
        .twilio("/twilio/sms", &twilio_sms(&sid(0), from, "bonjour"))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let conversation = format!("sms-{}", sid(0));
    let questions = [
        "quels sont les horaires de la mairie",
        "comment refaire mon passeport",
        "où déposer mes encombrants",
        "je voudrais une carte d'identité",
    ];
    for pair in 0..pairs {
        let (a, b) = (sid(1 + 2 * pair), sid(2 + 2 * pair));
        let ask_a = twilio_sms(&a, from, questions[pair % questions.len()]);
        let ask_b = twilio_sms(&b, from, questions[(pair + 1) % questions.len()]);
        let (answer_a, answer_b) = tokio::join!(
            nodes[0].twilio("/twilio/sms", &ask_a),
            nodes[1].twilio("/twilio/sms", &ask_b),
        );
        for answer in [answer_a, answer_b] {
            assert_eq!(answer.status(), StatusCode::OK);
            let body = answer.text().await.unwrap();
            assert!(
                body.contains("<Message>"),
                "each message is answered: {body}"
            );
        }
    }
    let turns = nodes[0]
        .service
        .state
        .store
        .conversation_turns(COMMUNE, &conversation)
        .await
        .unwrap();
    let seqs: Vec<i64> = turns.iter().map(|t| t.seq).collect();
    assert_eq!(
        seqs,
        (1..=(1 + 2 * pairs) as i64).collect::<Vec<_>>(),
        "one turn per message, none swallowed"
    );
    let ids: HashSet<_> = turns.iter().filter_map(|t| t.message_id.clone()).collect();
    assert_eq!(ids.len(), 1 + 2 * pairs);

    // A provider retrying one of them gets the same answer, and no turn is added.
    let retried = nodes[1]
        .twilio("/twilio/sms", &twilio_sms(&sid(1), from, questions[0]))
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    let again = nodes[0]
        .service
        .state
        .store
        .conversation_turns(COMMUNE, &conversation)
        .await
        .unwrap();
    assert_eq!(again.len(), turns.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sms_of_one_conversation_at_the_same_instant_are_both_kept_on_sqlite() {
    let h = Harness::start(SmsProvider::Twilio, open_hours()).await;
    simultaneous_sms([&h, &h], 6).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sms_of_one_conversation_on_two_nodes_are_both_kept_on_postgresql() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = TestSchema::create(&url).await.expect("test schema");
    let database = schema.url();
    let node = |database: String| {
        Harness::start_with(SmsProvider::Twilio, open_hours(), move |settings| {
            settings.database_url = database;
        })
    };
    let a = node(database.clone()).await;
    let b = node(database).await;
    simultaneous_sms([&a, &b], 6).await;
    a.stop().await;
    b.stop().await;
    drop(schema);
}

// ----- data -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_url_asking_for_verified_tls_never_falls_back_to_clear_text() {
    let Some(url) = test_database_url() else {
        return;
    };
    // The test server speaks no TLS (or not with a certificate for this name and authority):
    // `verify-full` must refuse it, not connect in clear.
    let separator = if url.contains('?') { '&' } else { '?' };
    let strict = format!("{url}{separator}sslmode=verify-full");
    let refused = guichet_store::AnyStore::connect(&strict).await;
    assert!(refused.is_err(), "connected without a verified TLS session");
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        !message.contains("postgres@"),
        "no credentials in: {message}"
    );
}
