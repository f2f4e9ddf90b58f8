//! Hot reload: the knowledge in service, swapped atomically when the folder changes.
//!
//! One `notify` watcher, for every folder of the node, feeds one background thread (a node
//! serving a thousand communes holds one inotify instance and one thread, not a thousand).
//! The thread notes which folders changed, lets the burst of saves settle ([`DEBOUNCE`]
//! without a new event), then validates and rebuilds each changed folder off the request path. A valid folder replaces the one in service in one atomic swap
//! (`arc-swap`): requests in flight keep the `Arc` they hold. An invalid folder never replaces
//! it: the errors are logged and kept for [`LiveKnowledge::last_error`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::knowledge::Knowledge;
use crate::problem::LoadError;

/// Quiet time after the last change before the folder is rebuilt.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("surveillance du dossier impossible : {0}")]
    Notify(#[from] notify::Error),
    #[error("démarrage du fil de rechargement impossible : {0}")]
    Thread(#[from] std::io::Error),
}

struct Shared {
    dir: PathBuf,
    current: ArcSwap<Knowledge>,
    last_error: Mutex<Option<LoadError>>,
    generation: AtomicU64,
}

/// The knowledge in service; cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct LiveKnowledge {
    shared: Arc<Shared>,
}

/// Keeps the folder watched; dropping it stops the watcher and its thread.
pub struct WatchGuard {
    watcher: Option<notify::RecommendedWatcher>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        // Dropping the watcher closes the channel, which ends the thread.
        drop(self.watcher.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl LiveKnowledge {
    /// Knowledge in service that never reloads by itself (tests, one-shot tools).
    pub fn new(knowledge: Knowledge) -> Self {
        let dir = knowledge.dir().to_path_buf();
        Self {
            shared: Arc::new(Shared {
                dir,
                current: ArcSwap::from_pointee(knowledge),
                last_error: Mutex::new(None),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// Loads a folder and watches it (see [`LiveKnowledge::watch_all`]).
    pub fn watch(dir: &Path) -> Result<(LiveKnowledge, WatchGuard), WatchError> {
        let live = Self::new(Knowledge::load(dir)?);
        let guard = Self::watch_all(std::slice::from_ref(&live))?;
        Ok((live, guard))
    }

    /// Watches the folders of `lives` with one watcher and one reload thread: a change in a
    /// folder reloads that folder only, once its burst of saves has settled. Dropping the
    /// guard stops watching.
    pub fn watch_all(lives: &[LiveKnowledge]) -> Result<WatchGuard, WatchError> {
        let (sender, receiver) = mpsc::channel::<Vec<PathBuf>>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                match event {
                    Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
                    Ok(event) => {
                        let _ = sender.send(event.paths);
                    }
                    // The watcher lost track (queue overflow…): check every folder.
                    Err(_) => {
                        let _ = sender.send(Vec::new());
                    }
                }
            })?;
        for live in lives {
            watcher.watch(&live.shared.dir, RecursiveMode::Recursive)?;
        }
        let lives = lives.to_vec();
        let thread = std::thread::Builder::new()
            .name("guichet-kb-reload".to_owned())
            .spawn(move || reload_on_change(&lives, &receiver))?;
        Ok(WatchGuard {
            watcher: Some(watcher),
            thread: Some(thread),
        })
    }

    /// The knowledge in service now (keep the `Arc` for the whole turn).
    pub fn load_full(&self) -> Arc<Knowledge> {
        self.shared.current.load_full()
    }

    /// Validates and rebuilds the folder now; swaps it in if valid.
    pub fn reload(&self) -> Result<(), LoadError> {
        let dir = &self.shared.dir;
        match Knowledge::load(dir) {
            Ok(knowledge) => {
                let fiches = knowledge.fiches().len();
                self.shared.current.store(Arc::new(knowledge));
                *self.lock_error() = None;
                let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
                tracing::info!(dir = %dir.display(), fiches, generation, "knowledge reloaded");
                Ok(())
            }
            Err(error) => {
                tracing::error!(
                    dir = %dir.display(),
                    problems = %error,
                    "knowledge folder invalid: keeping the previous version in service"
                );
                *self.lock_error() = Some(error.clone());
                Err(error)
            }
        }
    }

    /// The problems of the last failed reload, if the last reload failed.
    pub fn last_error(&self) -> Option<LoadError> {
        self.lock_error().clone()
    }

    /// How many times a new version was swapped in.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::SeqCst)
    }

    fn lock_error(&self) -> std::sync::MutexGuard<'_, Option<LoadError>> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The reload thread: collects the folders touched by each burst of events, then reloads
/// them. An event without paths means "anything may have changed". Returns when the watcher
/// is dropped.
fn reload_on_change(lives: &[LiveKnowledge], events: &mpsc::Receiver<Vec<PathBuf>>) {
    let owner = |path: &Path| {
        lives
            .iter()
            .position(|live| path.starts_with(&live.shared.dir))
    };
    while let Ok(paths) = events.recv() {
        let mut changed = vec![false; lives.len()];
        let mut mark = |paths: Vec<PathBuf>| {
            if paths.is_empty() {
                changed.iter_mut().for_each(|changed| *changed = true);
            }
            for index in paths.iter().filter_map(|path| owner(path)) {
                changed[index] = true;
            }
        };
        mark(paths);
        loop {
            match events.recv_timeout(DEBOUNCE) {
                Ok(paths) => mark(paths),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        for (live, _) in lives.iter().zip(changed).filter(|(_, changed)| *changed) {
            let _ = live.reload();
        }
    }
}
