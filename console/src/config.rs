//! What the service tells the console: communes, public URL, session and login limits.

use std::path::PathBuf;
use std::time::Duration;

use guichet_knowledge::Knowledge;

/// One commune the console serves.
#[derive(Debug, Clone)]
pub struct ConsoleCommune {
    /// Tenant id (the name of the commune's folder, e.g. `demo`): what tickets and staff carry.
    pub id: String,
    /// Display name (`commune.toml` `name`).
    pub name: String,
    /// The knowledge folder (suggestions are written to `<dir>/suggestions/`).
    pub dir: PathBuf,
    /// Timezone for days and hours in the statistics.
    pub timezone: chrono_tz::Tz,
    /// Transcripts older than this are deleted, closed tickets anonymised.
    pub retention_days: u32,
    /// Fiches `(id, title)`, by title, for the "attach to a fiche" form.
    pub fiches: Vec<(String, String)>,
    /// Sender of the commune's SMS (`commune.toml`'s `sms_sender`): the SMS after a failed
    /// callback attempt goes out under it.
    pub sms_sender: String,
    /// The commune's SMS limits (`[sms]`), put on that SMS like on every other.
    pub sms_guard: guichet_knowledge::SmsGuard,
}

impl ConsoleCommune {
    /// Describes a loaded knowledge folder under the tenant id `id`.
    pub fn from_knowledge(id: &str, knowledge: &Knowledge) -> Self {
        let commune = knowledge.commune();
        let mut fiches: Vec<(String, String)> = knowledge
            .fiches()
            .iter()
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect();
        fiches.sort_by(|a, b| a.1.cmp(&b.1));
        ConsoleCommune {
            id: id.to_string(),
            name: commune.name.clone(),
            dir: knowledge.dir().to_path_buf(),
            timezone: commune.timezone,
            retention_days: commune.retention_days,
            fiches,
            sms_sender: commune.sms_sender.clone(),
            sms_guard: commune.sms_guard,
        }
    }

    /// Loads the knowledge folder `dir` and describes it under the tenant id `id`.
    pub fn load(id: &str, dir: &std::path::Path) -> Result<Self, guichet_knowledge::LoadError> {
        Ok(Self::from_knowledge(id, &Knowledge::load(dir)?))
    }
}

/// Login throttling (see `throttle`): at most `max_failures` attempts at one account from one
/// address in `window`, four times that from one address, and four times that at one account
/// from addresses it never signed in from; beyond that the login form answers 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    /// Failures allowed in the window.
    pub max_failures: usize,
    /// Sliding window.
    pub window: Duration,
}

impl Default for LoginLimit {
    /// 5 failures per 15 minutes.
    fn default() -> Self {
        LoginLimit {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Console settings.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The public base URL of the service (e.g. `https://guichet.mairie.example`): cookies
    /// are `Secure` when it is https.
    pub public_url: String,
    /// Path the router is mounted at (links and the cookie path), default `/console`.
    pub base_path: String,
    /// A login session ends after this much inactivity.
    pub session_idle: Duration,
    /// A login session ends this long after login, active or not.
    pub session_max: Duration,
    /// Login throttling.
    pub login_limit: LoginLimit,
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// Unanswered callback attempts before a ticket becomes `injoignable`.
    pub callback_max_attempts: i32,
    /// How often the live queue is refreshed when no change is signalled.
    pub queue_poll: Duration,
    /// Minimum time between two unanswered callback attempts of one ticket (a double click
    /// on « Injoignable » spends one attempt); also when the next one is due.
    pub callback_min_gap: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            public_url: "http://127.0.0.1:8080".into(),
            base_path: "/console".into(),
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
            login_limit: LoginLimit::default(),
            trust_forwarded_for: false,
            callback_max_attempts: 3,
            queue_poll: Duration::from_secs(2),
            callback_min_gap: Duration::from_secs(10 * 60),
        }
    }
}

impl ConsoleConfig {
    /// Whether cookies must carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .trim()
            .to_ascii_lowercase()
            .starts_with("https://")
    }
}
