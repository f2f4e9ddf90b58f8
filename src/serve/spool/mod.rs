//! The spool: turns that could not reach the store, kept on disk until it is back.
//!
//! When the store does not answer (connection refused or reset, pool timed out, no answer within
//! `store_timeout_ms`), a turn's [`TurnRecord`] — session, transcript line, tickets, SMS — is
//! written as one JSON file in `spool_dir` (temporary file, fsync, rename), and the caller is
//! answered as usual. A drainer task replays the files into the store in the order they were
//! written, with the same `save_turn` as a normal turn (idempotent on its keys, so a replay after
//! a crash never doubles a ticket or an SMS), then wakes the outbox worker. A record the store
//! refuses for good goes to `spool_dir/rejected/` with an error log; nothing is deleted unsaved.
//!
//! The spool also remembers whether the store was reachable the last time this node tried
//! ([`Spool::store_down`]): while it is not, turns go straight to the session cache and the
//! spool instead of waiting for the store's timeout on every turn; the drainer checks the store
//! again every few seconds.
//!
//! One spool directory belongs to one node (files are named and indexed by this process).
//!
//! Bounded: at most `spool_max_bytes` of files; beyond, a turn is not spooled (it is lost, as
//! when the disk is full, and logged), and from [`NEAR_FULL_PERCENT`] `/readyz` says the spool is
//! near full and the node not ready.
//!
//! Metrics: `guichet_spool_depth` (turns waiting) and `guichet_spooled_turns_total{outcome}`
//! (`spooled`, `replayed`, `rejected`), see [`super::metrics`].

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use guichet_store::{AnyStore, SessionStore, StoreError, TurnRecord};
use tokio::sync::Notify;

use super::metrics::{SpoolMetrics, SpoolOutcome};

pub mod drain;

/// From this share of `spool_max_bytes`, the spool is near full (`/readyz` answers 503).
pub const NEAR_FULL_PERCENT: u64 = 90;

/// The default bound of the spool (256 MiB: some 100,000 turns).
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Where refused records are moved, inside the spool directory.
pub const REJECTED_DIR: &str = "rejected";

/// Why a store call did not give its result.
#[derive(Debug)]
pub enum StoreFailure {
    /// Unreachable or too slow: the same call may succeed later.
    Unavailable(String),
    /// The store answered with an error: retrying will not help.
    Failed(StoreError),
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreFailure::Unavailable(reason) => write!(f, "store unavailable: {reason}"),
            StoreFailure::Failed(error) => write!(f, "store error: {error}"),
        }
    }
}

/// A spooled turn: its file name (the order of replay) and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    tenant: String,
    conversation_id: String,
    /// The file's size.
    bytes: u64,
}

pub struct Spool {
    dir: PathBuf,
    timeout: Duration,
    /// Spooled files not yet in the store, by file name (= replay order).
    files: Mutex<BTreeMap<String, Entry>>,
    /// One drain at a time (the drainer task, or a turn catching its conversation up).
    draining: tokio::sync::Mutex<()>,
    /// Woken when a turn is spooled.
    wake: Notify,
    store_down: AtomicBool,
    /// The last time stamp given to a file name (strictly increasing).
    last_stamp: AtomicU64,
    metrics: SpoolMetrics,
    /// The most bytes of files the spool holds.
    max_bytes: u64,
    /// Pinged after a call fails with an error that does not say the store is unreachable:
    /// the failure is the store's refusal only if the store answers (see [`Spool::store_call`]).
    probe: Option<AnyStore>,
}

impl Spool {
    /// The spool in `dir`, with the files a previous run left there (drained first). A missing
    /// directory is created at the first write; an unreadable one is reported and skipped.
    pub fn open(dir: &Path, store_timeout: Duration, metrics: SpoolMetrics) -> Spool {
        let mut files = BTreeMap::new();
        match std::fs::read_dir(dir) {
            Ok(listing) => {
                for item in listing.flatten() {
                    let name = item.file_name().to_string_lossy().into_owned();
                    if !is_spool_file(&name) {
                        continue;
                    }
                    match read_record(&item.path()) {
                        Ok(record) => {
                            let bytes = item.metadata().map(|m| m.len()).unwrap_or(0);
                            files.insert(name, entry_of(&record, bytes));
                        }
                        Err(error) => {
                            tracing::error!(file = %name, %error, "unreadable spooled turn");
                            reject(dir, &name, &error);
                            metrics.record(SpoolOutcome::Rejected);
                        }
                    }
                }
                if !files.is_empty() {
                    tracing::warn!(
                        dir = %dir.display(),
                        turns = files.len(),
                        "turns spooled by a previous run: replaying them into the store"
                    );
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::error!(dir = %dir.display(), %error, "spool directory unreadable");
            }
        }
        metrics.set_depth(files.len());
        Spool {
            dir: dir.to_path_buf(),
            timeout: store_timeout,
            files: Mutex::new(files),
            draining: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
            store_down: AtomicBool::new(false),
            last_stamp: AtomicU64::new(0),
            metrics,
            max_bytes: DEFAULT_MAX_BYTES,
            probe: None,
        }
    }

    /// The same spool confirming a store's refusal by pinging `store` (see [`Spool::store_call`]).
    pub fn with_probe(mut self, store: AnyStore) -> Spool {
        self.probe = Some(store);
        self
    }

    /// The same spool bounded to `max_bytes` of files.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Spool {
        self.max_bytes = max_bytes.max(1);
        self
    }

    /// Bytes of files waiting in the spool.
    pub fn bytes(&self) -> u64 {
        self.lock().values().map(|entry| entry.bytes).sum()
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Whether the spool holds [`NEAR_FULL_PERCENT`] of its bound or more.
    pub fn near_full(&self) -> bool {
        self.bytes().saturating_mul(100) >= self.max_bytes.saturating_mul(NEAR_FULL_PERCENT)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many turns wait in the spool.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Whether turns of this conversation wait in the spool (the store is behind on it).
    pub fn has_pending(&self, tenant: &str, conversation_id: &str) -> bool {
        self.lock()
            .values()
            .any(|entry| entry.tenant == tenant && entry.conversation_id == conversation_id)
    }

    /// Whether the last store call of this node found the store unreachable.
    pub fn store_down(&self) -> bool {
        self.store_down.load(Ordering::SeqCst)
    }

    fn set_store_down(&self, down: bool) {
        let was = self.store_down.swap(down, Ordering::SeqCst);
        if was && !down {
            tracing::info!("store reachable again");
        } else if down && !was {
            tracing::warn!("store unreachable: turns go on from memory and the spool");
        }
    }

    /// Whether the store answers a ping now (true without a probe). A connection cut while it
    /// is being opened can surface as a protocol error rather than an I/O one (a proxy in front
    /// of a stopped PostgreSQL accepts, then closes before answering the TLS request): such a
    /// failure must not count as the store refusing a turn, which would reject it for good.
    async fn store_answers(&self) -> bool {
        match &self.probe {
            None => true,
            Some(store) => matches!(
                tokio::time::timeout(self.timeout, store.ping()).await,
                Ok(Ok(()))
            ),
        }
    }

    /// Runs a store call with the store timeout, and notes whether the store answered. A
    /// failure is [`StoreFailure::Failed`] (permanent) only when the store still answers a ping
    /// afterwards; otherwise it is [`StoreFailure::Unavailable`].
    pub async fn store_call<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreFailure> {
        let result = match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(StoreFailure::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
            Ok(Err(error)) if error.is_unavailable() => {
                Err(StoreFailure::Unavailable(error.to_string()))
            }
            Ok(Err(error)) if !self.store_answers().await => {
                Err(StoreFailure::Unavailable(error.to_string()))
            }
            Ok(Err(error)) => Err(StoreFailure::Failed(error)),
            Ok(Ok(value)) => Ok(value),
        };
        self.set_store_down(matches!(result, Err(StoreFailure::Unavailable(_))));
        result
    }

    /// Writes a turn to the spool (durably: temporary file, fsync, rename) and wakes the drainer.
    pub async fn write(&self, record: &TurnRecord) -> std::io::Result<()> {
        let name = self.file_name(record);
        let json = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        let bytes = json.len() as u64;
        if self.bytes() + bytes > self.max_bytes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!("spool full ({} bytes at most)", self.max_bytes),
            ));
        }
        let dir = self.dir.clone();
        let file = name.clone();
        tokio::task::spawn_blocking(move || write_durably(&dir, &file, &json))
            .await
            .map_err(std::io::Error::other)??;
        {
            let mut files = self.lock();
            files.insert(name, entry_of(record, bytes));
            self.metrics.set_depth(files.len());
        }
        self.metrics.record(SpoolOutcome::Spooled);
        self.wake.notify_one();
        Ok(())
    }

    /// Forgets a file that left the spool (replayed, rejected or gone), counting `outcome`.
    fn forget(&self, name: &str, outcome: Option<SpoolOutcome>) {
        {
            let mut files = self.lock();
            files.remove(name);
            self.metrics.set_depth(files.len());
        }
        if let Some(outcome) = outcome {
            self.metrics.record(outcome);
        }
    }

    /// `{time}-{tenant}-{conversation}-{seq}.json`: sorted by time, then conversation and seq.
    fn file_name(&self, record: &TurnRecord) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let stamp = self
            .last_stamp
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .map(|last| now.max(last + 1))
            .unwrap_or(now);
        format!(
            "{stamp:020}-{}-{}-{:010}.json",
            file_safe(&record.session.tenant),
            file_safe(&record.session.conversation_id),
            record.turn.seq.max(0)
        )
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn entry_of(record: &TurnRecord, bytes: u64) -> Entry {
    Entry {
        tenant: record.session.tenant.clone(),
        conversation_id: record.session.conversation_id.clone(),
        bytes,
    }
}

fn is_spool_file(name: &str) -> bool {
    name.ends_with(".json") && !name.starts_with('.')
}

/// A name part made of `[A-Za-z0-9_.]` only (at most 64 characters).
fn file_safe(text: &str) -> String {
    text.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn read_record(path: &Path) -> std::io::Result<TurnRecord> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
}

/// Writes `dir/name` so that it exists whole or not at all, even after a crash.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        // Tickets and SMS hold phone numbers: readable by the service only.
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, dir.join(name))?;
    // The rename itself must survive a crash.
    std::fs::File::open(dir)?.sync_all()
}

/// Moves a spooled file the store will never take to `rejected/`, with the reason beside it.
fn reject(dir: &Path, name: &str, reason: &dyn std::fmt::Display) {
    let rejected = dir.join(REJECTED_DIR);
    let moved = std::fs::create_dir_all(&rejected)
        .and_then(|()| std::fs::rename(dir.join(name), rejected.join(name)))
        .and_then(|()| {
            std::fs::write(
                rejected.join(format!("{name}.error.txt")),
                format!("{reason}\n"),
            )
        });
    if let Err(error) = moved {
        tracing::error!(file = %name, %error, "could not move a spooled turn to {REJECTED_DIR}/");
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use guichet_store::{Channel, SessionRecord, Turn};

    use super::*;
    use crate::serve::metrics::ServiceMetrics;

    fn metrics() -> ServiceMetrics {
        ServiceMetrics::new([], &[]).unwrap()
    }

    fn record(conversation_id: &str, seq: i64) -> TurnRecord {
        let now = Utc::now();
        TurnRecord {
            session: SessionRecord {
                tenant: "villebourg".into(),
                conversation_id: conversation_id.into(),
                channel: Channel::Voice,
                caller: None,
                state: serde_json::json!({ "seq": seq }),
                started_at: now,
                updated_at: now,
                expires_at: now,
                closed_at: None,
                end_reason: None,
            },
            turn: Turn {
                seq,
                at: now,
                caller_text: "bonjour".into(),
                reply_text: "Bonjour.".into(),
                decision: serde_json::Value::Null,
                action: "answer".into(),
                fiche: None,
                confidence: None,
                reply: None,
                message_id: None,
            },
            tickets: Vec::new(),
            outbox: Vec::new(),
        }
    }

    #[tokio::test]
    async fn spooled_turns_survive_a_restart_in_the_order_they_were_written() {
        let dir = std::env::temp_dir().join(format!("guichet-spool-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first_run = metrics();
        let spool = Spool::open(&dir, Duration::from_secs(1), first_run.spool());
        assert!(spool.is_empty());
        let written = [record("CA2", 1), record("CA1", 1), record("CA2", 2)];
        for turn in &written {
            spool.write(turn).await.unwrap();
        }
        assert!(spool.has_pending("villebourg", "CA1"));
        assert!(!spool.has_pending("villebourg", "CA3"));
        assert!(!spool.has_pending("autre", "CA1"));
        let text = first_run.render();
        assert!(text.contains("guichet_spool_depth 3"), "{text}");
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"spooled\"} 3"));

        // A new process finds them, and reads them back in the order they were written.
        let second_run = metrics();
        let reopened = Spool::open(&dir, Duration::from_secs(1), second_run.spool());
        assert_eq!(reopened.len(), 3);
        let text = second_run.render();
        assert!(text.contains("guichet_spool_depth 3"), "{text}");
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"spooled\"} 0"));
        let names: Vec<String> = reopened.lock().keys().cloned().collect();
        let read: Vec<TurnRecord> = names
            .iter()
            .map(|name| read_record(&dir.join(name)).unwrap())
            .collect();
        assert_eq!(read, written);
        assert!(
            names[0].contains("-villebourg-CA2-0000000001.json"),
            "{names:?}"
        );
        // No temporary file is left behind.
        let all = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(all, 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unreadable_files_are_moved_aside_at_start() {
        let dir = std::env::temp_dir().join(format!("guichet-spool-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("00000000000000000001-x-y-0000000001.json"),
            "{not json",
        )
        .unwrap();
        let metrics = metrics();
        let spool = Spool::open(&dir, Duration::from_secs(1), metrics.spool());
        assert!(spool.is_empty());
        let text = metrics.render();
        assert!(text.contains("guichet_spool_depth 0"), "{text}");
        assert!(text.contains("guichet_spooled_turns_total{outcome=\"rejected\"} 1"));
        let rejected = dir.join(REJECTED_DIR);
        assert!(
            rejected
                .join("00000000000000000001-x-y-0000000001.json")
                .exists()
        );
        assert!(
            rejected
                .join("00000000000000000001-x-y-0000000001.json.error.txt")
                .exists()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_names_are_safe_and_sorted_by_time() {
        assert_eq!(file_safe("villebourg"), "villebourg");
        assert_eq!(file_safe("sms-SM12/../x y"), "sms_SM12_.._x_y");
        assert!(is_spool_file("00001-a-b-0000000001.json"));
        assert!(!is_spool_file(".00001-a-b-0000000001.json.tmp"));
        assert!(!is_spool_file("x.json.error.txt"));
    }
}
