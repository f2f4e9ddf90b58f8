//! `guichet loadtest`: signed calls against a running server (loopback), measured, through the
//! webhooks of Twilio, Vonage or jambonz (`--provider`, see [`webhooks`]).

mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use guichet_connectors::jambonz::BasicCredentials;
use serde::Deserialize;
use tokio::sync::Mutex;
use webhooks::{Body, Call, LoadProvider, Request, Secrets};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the server (loopback only)
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Number of calls to simulate
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// Calls in progress at once
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Stop after this many seconds even if calls remain
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Whose webhooks the calls go through
    #[arg(long, value_enum, default_value = "twilio")]
    provider: LoadProvider,
    /// Twilio auth token to sign the webhooks with (the server's GUICHET__TWILIO__AUTH_TOKEN)
    #[arg(long, env = "GUICHET_LOADTEST_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// Vonage signature secret (the server's GUICHET__VONAGE__SIGNATURE_SECRET)
    #[arg(long, env = "GUICHET_LOADTEST_VONAGE_SECRET", hide_env_values = true)]
    vonage_secret: Option<String>,
    /// jambonz webhook secret (the server's GUICHET__JAMBONZ__WEBHOOK_SECRET)
    #[arg(long, env = "GUICHET_LOADTEST_JAMBONZ_SECRET", hide_env_values = true)]
    jambonz_secret: Option<String>,
    /// jambonz Basic credentials, `user:password` (the server's [jambonz] basic_username and
    /// GUICHET__JAMBONZ__BASIC_PASSWORD)
    #[arg(long, env = "GUICHET_LOADTEST_JAMBONZ_BASIC", hide_env_values = true)]
    jambonz_basic: Option<String>,
    /// Public URL the server signs against (default: --url)
    #[arg(long)]
    public_url: Option<String>,
    /// The called number (selects the commune)
    #[arg(long, default_value = "+33130000001")]
    to: String,
    /// Recorded dialogues whose caller phrasings are replayed
    #[arg(long, default_value = "communes/demo/dialogues")]
    dialogues: PathBuf,
    /// At most this many turns per call after the greeting
    #[arg(long, default_value_t = 4)]
    turns_per_call: usize,
    /// The server's process id: its CPU time is then read from /proc (10 ms resolution)
    /// rather than from /metrics (whole seconds)
    #[arg(long)]
    server_pid: Option<u32>,
    /// Turns per second in all (call starts and caller turns), each timed from its scheduled
    /// instant: the latency at that load. Without it every call goes as fast as the server
    /// answers, and the figures are those of saturation
    #[arg(long)]
    rate: Option<f64>,
}

/// Hands out the instants of an open-loop schedule: turn `k` is due at `start + k / rate`.
struct Pacer {
    start: Instant,
    interval: Duration,
    next: AtomicU64,
}

impl Pacer {
    /// Waits for the next free instant of the schedule and returns it. A turn is timed from
    /// there, so a server that falls behind is charged for the wait (no coordinated omission).
    async fn slot(&self) -> Instant {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let due = self.start + self.interval.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        due
    }
}

#[derive(Deserialize)]
struct Dialogue {
    #[serde(default)]
    channel: Option<String>,
    turns: Vec<DialogueTurn>,
}

#[derive(Deserialize)]
struct DialogueTurn {
    caller: String,
}

const BUILT_IN: &[&[&str]] = &[
    &[
        "je voudrais refaire mon passeport",
        "il est expiré",
        "non merci",
        "oui",
    ],
    &[
        "quels sont les horaires de la mairie",
        "non c'est tout",
        "oui",
    ],
    &["j'ai perdu ma carte d'identité", "non merci", "non"],
    &[
        "il y a un dépôt sauvage devant chez moi",
        "oui s'il vous plaît",
        "non merci",
        "oui",
    ],
    &[
        "je voudrais inscrire mon fils à la cantine",
        "non merci",
        "oui",
    ],
];

fn phrasings(dir: &std::path::Path, max_turns: usize) -> Vec<Vec<String>> {
    let mut calls = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(dialogue) = serde_yaml_ng::from_str::<Dialogue>(&text) else {
                continue;
            };
            if dialogue.channel.as_deref().is_some_and(|c| c != "voice")
                || dialogue.turns.is_empty()
            {
                continue;
            }
            calls.push(
                dialogue
                    .turns
                    .into_iter()
                    .take(max_turns)
                    .map(|t| t.caller)
                    .collect(),
            );
        }
    }
    if calls.is_empty() {
        calls = BUILT_IN
            .iter()
            .map(|turns| turns.iter().map(|t| t.to_string()).collect())
            .collect();
    }
    calls
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    calls_done: usize,
}

struct Plan {
    client: reqwest::Client,
    url: String,
    provider: LoadProvider,
    secrets: Secrets,
    to: String,
    dialogues: Vec<Vec<String>>,
    deadline: Instant,
    next_call: AtomicUsize,
    calls: usize,
    run_id: u64,
    pacer: Option<Pacer>,
}

impl Plan {
    /// When the next turn starts: its slot of the schedule, or now.
    async fn turn_start(&self) -> Instant {
        match &self.pacer {
            Some(pacer) => pacer.slot().await,
            None => Instant::now(),
        }
    }

    async fn post(&self, request: Request) -> Result<String, String> {
        let mut builder = self.client.post(format!("{}{}", self.url, request.path));
        builder = match request.body {
            Body::Form(params) => builder.form(&params),
            Body::Json(bytes) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
        };
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("HTTP {status}: {}", body.trim()))
        }
    }

    async fn call(&self, index: usize, tally: &Mutex<Tally>) {
        let id = self.provider.call_id(self.run_id, index);
        let from = format!("+3361{:07}", index % 10_000_000);
        let call = Call {
            id: &id,
            from: &from,
            to: &self.to,
        };
        let dialogue = &self.dialogues[index % self.dialogues.len()];
        let mut latencies = Vec::with_capacity(dialogue.len() + 1);
        let mut error = None;
        let started = self.turn_start().await;
        match self.post(self.provider.start(&self.secrets, &call)).await {
            Ok(_) => latencies.push(started.elapsed()),
            Err(e) => error = Some(e),
        }
        if error.is_none() {
            for (seq, phrase) in dialogue.iter().enumerate() {
                let request = self.provider.turn(&self.secrets, &call, seq + 1, phrase);
                let started = self.turn_start().await;
                match self.post(request).await {
                    Ok(answer) => {
                        latencies.push(started.elapsed());
                        if self.provider.ends_call(&answer) {
                            break;
                        }
                    }
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        let _ = self.post(self.provider.end(&self.secrets, &call)).await;
        let mut tally = tally.lock().await;
        tally.latencies.extend(latencies);
        tally.calls_done += 1;
        if let Some(e) = error {
            tally.errors += 1;
            tally.first_error.get_or_insert(e);
        }
    }
}

async fn scrape(client: &reqwest::Client, url: &str) -> Option<(f64, f64)> {
    let text = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some((
        value("process_cpu_seconds_total")?,
        value("process_resident_memory_bytes").unwrap_or(0.0),
    ))
}

/// CPU seconds (user + system) of a local process, from `/proc/<pid>/stat`.
fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux architecture we run on.
    Some(ticks / 100.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args.url.trim_end_matches('/').to_string();
    let host = reqwest::Url::parse(&url)
        .context("--url")?
        .host_str()
        .unwrap_or_default()
        .to_string();
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1") {
        bail!("the load tool only targets this machine (127.0.0.1, localhost, [::1]), not {host}");
    }
    if args.concurrency == 0 || args.calls == 0 {
        bail!("--calls and --concurrency must be at least 1");
    }
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        bail!("--rate must be a positive number of turns per second");
    }
    let jambonz_basic = match &args.jambonz_basic {
        None => None,
        Some(pair) => {
            let Some((username, password)) = pair.split_once(':') else {
                bail!("--jambonz-basic: expected user:password");
            };
            Some(BasicCredentials {
                username: username.to_string(),
                password: password.to_string(),
            })
        }
    };
    // One thread: the tool shares the machine with the server it measures, and a single-threaded
    // client takes less of it (no hand-offs between worker threads) than a pool would.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency)
            .timeout(Duration::from_secs(10))
            .build()?;
        let before = scrape(&client, &url).await;
        let cpu_before = args.server_pid.and_then(process_cpu_seconds);
        if before.is_none() {
            eprintln!("warning: could not read {url}/metrics: no server CPU figures");
        }
        let plan = Arc::new(Plan {
            client: client.clone(),
            provider: args.provider,
            secrets: Secrets {
                twilio_token: args.auth_token.clone(),
                public_url: args
                    .public_url
                    .clone()
                    .unwrap_or_else(|| url.clone())
                    .trim_end_matches('/')
                    .to_string(),
                vonage_secret: args.vonage_secret.clone(),
                jambonz_secret: args.jambonz_secret.clone(),
                jambonz_basic,
            },
            url: url.clone(),
            to: args.to.clone(),
            dialogues: phrasings(&args.dialogues, args.turns_per_call.max(1)),
            deadline: Instant::now() + Duration::from_secs(args.duration),
            next_call: AtomicUsize::new(0),
            calls: args.calls,
            run_id: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            pacer: args.rate.map(|rate| Pacer {
                start: Instant::now(),
                interval: Duration::from_secs_f64(1.0 / rate),
                next: AtomicU64::new(0),
            }),
        });
        let tally = Arc::new(Mutex::new(Tally::default()));
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..args.concurrency.min(args.calls) {
            let plan = plan.clone();
            let tally = tally.clone();
            workers.spawn(async move {
                loop {
                    let index = plan.next_call.fetch_add(1, Ordering::Relaxed);
                    if index >= plan.calls || Instant::now() >= plan.deadline {
                        break;
                    }
                    plan.call(index, &tally).await;
                }
            });
        }
        while workers.join_next().await.is_some() {}
        let elapsed = started.elapsed();
        let after = scrape(&client, &url).await;
        let cpu_after = args.server_pid.and_then(process_cpu_seconds);
        let mut tally = tally.lock().await;
        tally.latencies.sort();
        let turns = tally.latencies.len();
        let pace = args
            .rate
            .map_or_else(String::new, |rate| format!(", paced at {rate:.0} turns/s"));
        println!(
            "guichet loadtest ({}): {} calls, {} turns in {:.2} s ({} concurrent{pace})",
            args.provider.name(),
            tally.calls_done,
            turns,
            elapsed.as_secs_f64(),
            args.concurrency
        );
        println!(
            "  throughput: {:.0} turns/s",
            turns as f64 / elapsed.as_secs_f64().max(1e-9)
        );
        println!(
            "  latency: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&tally.latencies, 50.0).as_secs_f64() * 1e3,
            percentile(&tally.latencies, 95.0).as_secs_f64() * 1e3,
            percentile(&tally.latencies, 99.0).as_secs_f64() * 1e3,
            tally
                .latencies
                .last()
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3,
        );
        println!("  errors: {} calls", tally.errors);
        if let Some(error) = &tally.first_error {
            println!("  first error: {error}");
        }
        let rss = after.map_or(0.0, |(_, rss)| rss);
        let cpu = match (cpu_before, cpu_after, before, after) {
            (Some(start), Some(end), _, _) => Some((end - start, "/proc")),
            (_, _, Some((start, _)), Some((end, _))) => Some((end - start, "/metrics, whole seconds")),
            _ => None,
        };
        if let Some((seconds, source)) = cpu {
            println!(
                "  server CPU: {:.0} µs per turn ({seconds:.2} s in all, from {source}); server RSS {:.1} MB",
                seconds / turns.max(1) as f64 * 1e6,
                rss / 1e6
            );
        }
        Ok::<_, anyhow::Error>(if tally.errors == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}
