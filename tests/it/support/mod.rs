//! Shared helpers of the service tests: a service on 127.0.0.1 wired to the fake provider,
//! Twilio/Vonage webhooks in their real formats, signed as the providers sign them.

#![allow(dead_code)]

pub mod browser;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use guichet::serve::config::{CommuneSettings, Secret, SmsProvider};
use guichet::serve::{self, Running, Settings};
use guichet_connectors::jambonz::BasicCredentials;
use guichet_connectors::testkit::jambonz::{Application, FakeJambonz};
use guichet_connectors::testkit::{Credentials, FakeProvider};
use guichet_connectors::twilio::{SIGNATURE_HEADER, signature};
use guichet_connectors::vonage;

pub const PUBLIC_URL: &str = "https://guichet.villebourg.test";
pub const MAIRIE: &str = "+33130000001";
pub const VONAGE_SIGNATURE_SECRET: &str = "vonage-signature-secret-for-tests";
/// The Basic credentials set on the jambonz application's webhooks, and the account's secret.
pub const JAMBONZ_USER: &str = "guichet";
pub const JAMBONZ_PASSWORD: &str = "jambonz-basic-password-for-tests";
pub const JAMBONZ_WEBHOOK_SECRET: &str = "jambonz-webhook-secret-for-tests";

/// Tuesday 10 March 2026, 10:15 in Paris: the mairie is open.
pub fn open_hours() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-10T10:15:00+01:00")
        .map(|d| d.with_timezone(&Utc))
        .unwrap()
}

/// Monday 9 March 2026, 09:30 in Paris: still closed.
pub fn closed_hours() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-09T09:30:00+01:00")
        .map(|d| d.with_timezone(&Utc))
        .unwrap()
}

fn scratch_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guichet-serve-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Harness {
    pub service: Running,
    pub fake: FakeProvider,
    pub http: reqwest::Client,
    pub base: String,
    pub dir: PathBuf,
}

/// Settings for tests: the demo commune answers `MAIRIE`, SMS go to `fake` through `provider`.
pub fn settings(
    fake: &FakeProvider,
    provider: SmsProvider,
    now: DateTime<Utc>,
    dir: &std::path::Path,
) -> Settings {
    let credentials = fake.credentials().clone();
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: Some(PUBLIC_URL.into()),
        database_url: format!("sqlite://{}/guichet.db?mode=rwc", dir.display()),
        spool_dir: dir.join("spool"),
        watch_knowledge: false,
        clock: guichet_store::Clock::starting_at(now),
        ..Settings::default()
    };
    settings.communes.insert(
        "villebourg".into(),
        CommuneSettings {
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("communes/demo"),
            numbers: vec![MAIRIE.into()],
            ..CommuneSettings::default()
        },
    );
    settings.sms.provider = provider;
    settings.twilio.account_sid = credentials.twilio_account_sid.clone();
    settings.twilio.auth_token = Some(Secret::new(credentials.twilio_auth_token.clone()));
    settings.twilio.api_base_url = fake.base_url();
    settings.vonage.api_key = credentials.vonage_api_key.clone();
    settings.vonage.api_secret = Some(Secret::new(credentials.vonage_api_secret.clone()));
    settings.vonage.signature_secret = Some(Secret::new(VONAGE_SIGNATURE_SECRET));
    settings.vonage.api_base_url = fake.base_url();
    settings.jambonz.basic_user = JAMBONZ_USER.into();
    settings.jambonz.basic_password = Some(Secret::new(JAMBONZ_PASSWORD));
    settings.jambonz.webhook_secret = Some(Secret::new(JAMBONZ_WEBHOOK_SECRET));
    settings.jambonz.account_sid = credentials.jambonz_account_sid.clone();
    settings.jambonz.api_key = Some(Secret::new(credentials.jambonz_api_key.clone()));
    settings.jambonz.api_base_url = fake.base_url();
    settings.outbox.poll_interval_ms = 20;
    settings.outbox.base_delay_ms = 30;
    settings.outbox.max_delay_seconds = 1;
    // Long enough for a burst of sends on a loaded machine: a provider that accepts an SMS but
    // answers after the timeout gets it again on retry. The tests of a hanging provider
    // shorten it (`HANGING_PROVIDER_TIMEOUT_MS`).
    settings.outbox.request_timeout_ms = 5_000;
    settings
}

/// The SMS request timeout of the tests of a provider that hangs (`Fault::Hang(HANG)`): the
/// outbox gives up on a hanging request and retries it.
pub const HANGING_PROVIDER_TIMEOUT_MS: u64 = 300;
/// How long such a provider hangs: twice the timeout.
pub const HANG: Duration = Duration::from_millis(2 * HANGING_PROVIDER_TIMEOUT_MS);

impl Harness {
    pub async fn start(provider: SmsProvider, now: DateTime<Utc>) -> Harness {
        Harness::start_with(provider, now, |_| {}).await
    }

    pub async fn start_with(
        provider: SmsProvider,
        now: DateTime<Utc>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Harness {
        let fake = FakeProvider::start(Credentials::default()).await.unwrap();
        let dir = scratch_dir();
        let mut settings = settings(&fake, provider, now, &dir);
        adjust(&mut settings);
        let service = serve::start(settings).await.unwrap();
        let base = format!("http://{}", service.address);
        Harness {
            service,
            fake,
            http: reqwest::Client::new(),
            base,
            dir,
        }
    }

    pub fn token(&self) -> String {
        self.fake.credentials().twilio_auth_token.clone()
    }

    /// POST a Twilio webhook, signed like Twilio signs it (full public URL + sorted params).
    pub async fn twilio(
        &self,
        path_and_query: &str,
        params: &[(String, String)],
    ) -> reqwest::Response {
        let signed = signature::sign(
            &self.token(),
            &format!("{PUBLIC_URL}{path_and_query}"),
            params,
        );
        self.twilio_with_signature(path_and_query, params, Some(&signed))
            .await
    }

    pub async fn twilio_with_signature(
        &self,
        path_and_query: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path_and_query}", self.base))
            .header("x-guichet-trace", "1")
            .form(params);
        if let Some(signature) = signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        request.send().await.unwrap()
    }

    /// POST a Vonage JSON webhook with a signed JWT (HS256, payload_hash).
    pub async fn vonage(
        &self,
        path_and_query: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        let authorization = vonage::signature::sign(
            VONAGE_SIGNATURE_SECRET,
            &bytes,
            Utc::now().timestamp(),
            "jti-test",
        );
        self.http
            .post(format!("{}{path_and_query}", self.base))
            .header("Content-Type", "application/json")
            .header("Authorization", authorization)
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// A fake jambonz whose application points at this service, with its Basic credentials and
    /// webhook secret, asking for the trace headers.
    pub fn jambonz(&self) -> FakeJambonz {
        let mut app = Application::new(self.base.clone());
        app.public_url = Some(PUBLIC_URL.into());
        app.basic = Some(BasicCredentials {
            username: JAMBONZ_USER.into(),
            password: JAMBONZ_PASSWORD.into(),
        });
        app.webhook_secret = Some(JAMBONZ_WEBHOOK_SECRET.into());
        app.headers = vec![("x-guichet-trace".into(), "1".into())];
        FakeJambonz::new(app)
    }

    /// Waits until the fake provider has accepted `count` SMS (or 10 s pass).
    pub async fn wait_for_sms(&self, count: usize) -> Vec<guichet_connectors::testkit::Received> {
        for _ in 0..500 {
            let received = self.fake.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.fake.received()
    }

    /// Rings as `from` on `call`, then says `speech` (the first turn); the turn's response.
    pub async fn ring_and_ask(&self, call: &str, from: &str, speech: &str) -> reqwest::Response {
        self.twilio("/twilio/voice", &twilio_call(call, from, MAIRIE, "ringing"))
            .await;
        self.twilio(
            "/twilio/voice/turn?seq=1",
            &twilio_speech(call, from, speech),
        )
        .await
    }

    /// The tickets of the demo commune (`villebourg`), newest first.
    pub async fn tickets(&self) -> Vec<guichet_store::Ticket> {
        use guichet_store::TicketStore;
        self.service
            .state
            .store
            .list_tickets(&guichet_store::TicketFilter {
                communes: vec!["villebourg".into()],
                ..guichet_store::TicketFilter::default()
            })
            .await
            .unwrap()
    }

    /// This service's `/metrics` exposition.
    pub async fn metrics(&self) -> String {
        scrape_metrics(&self.http, &self.base).await
    }

    pub async fn stop(self) {
        self.service.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `/metrics` exposition of the service at `base`.
pub async fn scrape_metrics(http: &reqwest::Client, base: &str) -> String {
    http.get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A Twilio Voice webhook's parameters, as Twilio sends them for an inbound call.
pub fn twilio_call(call_sid: &str, from: &str, to: &str, status: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Called", to),
        ("CalledCountry", "FR"),
        ("Caller", from),
        ("CallerCountry", "FR"),
        ("Direction", "inbound"),
        ("From", from),
        ("FromCountry", "FR"),
        ("To", to),
        ("ToCountry", "FR"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A `<Gather>` result: the call's parameters plus `SpeechResult` and `Confidence`.
pub fn twilio_speech(call_sid: &str, from: &str, speech: &str) -> Vec<(String, String)> {
    let mut params = twilio_call(call_sid, from, MAIRIE, "in-progress");
    if !speech.is_empty() {
        params.push(("SpeechResult".into(), speech.into()));
        params.push(("Confidence".into(), "0.9216".into()));
    }
    params
}

pub fn decision(response: &reqwest::Response) -> serde_json::Value {
    decision_in(response.headers())
}

/// The decision header among response headers.
pub fn decision_in(headers: &reqwest::header::HeaderMap) -> serde_json::Value {
    let header = headers.get("x-guichet-decision").expect("decision header");
    serde_json::from_slice(header.as_bytes()).unwrap()
}

/// `name{labels} value` of a Prometheus exposition (`/metrics`), summed over the series whose
/// labels contain all of `labels` (e.g. `provider="twilio"`).
pub fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| series == &name || series.starts_with(&format!("{name}{{")))
        .filter(|(series, _)| labels.iter().all(|label| series.contains(label)))
        .map(|(_, value)| value.parse::<f64>().unwrap())
        .sum()
}
