//! One node serving many communes (issue 15, "scale"): generates `GUICHET_BENCH_COMMUNES`
//! communes (1,000 by default) from directory records, each with the shipped starter pack
//! imported and published, starts the real `guichet serve` binary on all of them and reports
//! the node's start time, its resident memory, and the latency of API turns spread over the
//! communes.
//!
//! `cargo bench --bench communes` (target on this machine: RSS ≤ 2 GB, start ≤ 60 s).
//! `GUICHET_BENCH_KEEP=1` keeps the generated folders and prints where they are.
//!
//! Each commune is made as a town hall would make it: `init_folder` from its own directory
//! records (the fixture's Plaisir records under a new INSEE code, name and phone), the starter
//! pack imported from the committed `vosdroits` fixtures, every draft published.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guichet_knowledge::FicheStatus;
use guichet_opendata::{StarterPack, import_service_public, init_folder, review};

const DEFAULT_COMMUNES: usize = 1_000;
const TURNS: usize = 2_000;
/// What callers of every commune ask (in scope and out of scope).
const QUESTIONS: &[&str] = &[
    "je voudrais refaire ma carte d'identité",
    "comment obtenir un acte de naissance",
    "inscription sur les listes électorales",
    "il y a des déchets abandonnés devant chez moi",
    "j'ai perdu ma carte vitale",
    "quels sont les horaires de la mairie",
    "je veux déposer un permis de construire",
    "recensement citoyen de mon fils",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("opendata/tests/fixtures")
}

fn insee(n: usize) -> String {
    format!("9{n:04}")
}

/// The fixture's directory records with Plaisir (78490) turned into commune `n`.
fn directory_of(template: &str, n: usize) -> String {
    template
        .replace("78490", &insee(n))
        .replace("Plaisir", &format!("Bourg-{n}"))
        .replace(
            "01 30 79 63 00",
            &format!("01 30 {:02} {:02} 00", n / 100, n % 100),
        )
}

/// Writes the communes and the node's configuration; returns the file and the address it listens on.
fn generate(root: &Path, count: usize) -> (PathBuf, String) {
    let listen = free_address();
    let template = std::fs::read_to_string(fixtures().join("annuaire-extrait.json")).unwrap();
    let pack = StarterPack::shipped();
    let vosdroits = fixtures().join("vosdroits");
    let mut config = String::new();
    let _ = writeln!(
        config,
        "listen = \"{}\"\ndatabase_url = \"sqlite://{}/guichet.db?mode=rwc\"\nspool_dir = \"{}/spool\"\n",
        listen,
        root.display(),
        root.display()
    );
    for n in 0..count {
        let directory = root.join("annuaire.json");
        std::fs::write(&directory, directory_of(&template, n)).unwrap();
        let out = root.join("communes").join(insee(n));
        init_folder(&directory, &insee(n), &out).unwrap();
        let report = import_service_public(&vosdroits, &out, &pack).unwrap();
        for id in &report.written {
            review::set_status(&out, id, FicheStatus::Publiee).unwrap();
        }
        let _ = writeln!(
            config,
            "[communes.c{n}]\ndir = \"{}\"\nnumbers = [\"{}\"]\n",
            out.display(),
            number(n)
        );
    }
    let file = root.join("guichet.toml");
    std::fs::write(&file, config).unwrap();
    (file, listen)
}

fn number(n: usize) -> String {
    format!("+331900{n:05}")
}

fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Resident and peak resident memory of `pid`, in MiB (from `/proc`).
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let count = std::env::var("GUICHET_BENCH_COMMUNES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_COMMUNES);
    let work = tempfile::tempdir().unwrap();
    let root = work.path();

    let started = Instant::now();
    let (config, listen) = generate(root, count);
    println!(
        "generated {count} communes (init + starter pack + publish) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let base = format!("http://{listen}");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["serve", "--config"])
        .arg(&config)
        .current_dir(root)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let node = Node(child);
    let pid = node.0.id();
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the node did not become ready in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start = started.elapsed();
    let (rss_ready, _) = memory(pid);

    let mut latencies = Vec::with_capacity(TURNS);
    for turn in 0..TURNS {
        let commune = (turn * 7919) % count;
        let body = serde_json::json!({
            "to": number(commune),
            "channel": "chat",
            "text": QUESTIONS[turn % QUESTIONS.len()],
        });
        let sent = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/conversations"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let reply: serde_json::Value = response.json().await.unwrap();
        latencies.push(sent.elapsed());
        assert!(status.is_success(), "{status}: {reply}");
        assert!(
            reply["text"].as_str().is_some_and(|text| !text.is_empty()),
            "{reply}"
        );
    }
    latencies.sort();
    let (rss_after, hwm) = memory(pid);
    println!("communes:            {count}");
    println!("start (to /readyz):  {:.1} s", start.as_secs_f64());
    println!("RSS when ready:      {rss_ready:.0} MiB");
    println!("RSS after {TURNS} turns: {rss_after:.0} MiB (peak {hwm:.0} MiB)");
    println!(
        "API turn latency:    p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    drop(node);
    if std::env::var_os("GUICHET_BENCH_KEEP").is_some() {
        println!("kept in {}", work.keep().display());
    }
}
