//! Service configuration: a TOML file, then a secrets file, then `GUICHET__…` environment
//! variables (e.g. `GUICHET__TWILIO__AUTH_TOKEN` for `[twilio] auth_token`). Secrets are refused
//! in the main file and never printed (`Secret`'s `Debug` is redacted).
//!
//! The database URL is read from [`DATABASE_URL_ENV`] (`GUICHET__DATABASE__URL`, as the CLI
//! documents it); `GUICHET__DATABASE_URL` (the field's own spelling) is also accepted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

mod providers;

pub use providers::{CommuneJambonz, JambonzSettings, Provider};

/// A secret value: deserialised like a string, never shown.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The names of the keys that hold secrets: refused in the main configuration file.
const SECRET_KEYS: &[&str] = &[
    "auth_token",
    "api_secret",
    "signature_secret",
    "pseudonym_key",
    "password",
    "webhook_token",
    "basic_password",
    "webhook_secret",
];

/// Keys that are secrets in one section only (`[vonage] api_key` is not a secret).
const SECRET_PATHS: &[&str] = &["jambonz.api_key"];

/// The documented environment variable of the database URL (service and CLI).
pub const DATABASE_URL_ENV: &str = "GUICHET__DATABASE__URL";
/// `database_url` under the generic `GUICHET__<KEY>` rule: also accepted.
const DATABASE_URL_FIELD_ENV: &str = "GUICHET__DATABASE_URL";

/// The database URL set in the environment: [`DATABASE_URL_ENV`], else
/// `GUICHET__DATABASE_URL`; empty values count as unset.
pub fn database_url_from_env() -> Option<String> {
    database_url_in(&environment_variables())
}

fn database_url_in(vars: &config::Map<String, String>) -> Option<String> {
    [DATABASE_URL_ENV, DATABASE_URL_FIELD_ENV]
        .iter()
        .filter_map(|name| vars.get(*name))
        .find(|url| !url.trim().is_empty())
        .cloned()
}

/// The process environment (variables that are not valid Unicode are left out).
fn environment_variables() -> config::Map<String, String> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// `vars` as the configuration reads them: both database URL spellings become the one
/// `database_url` key (see [`database_url_from_env`]).
fn configuration_environment(mut vars: config::Map<String, String>) -> config::Map<String, String> {
    let url = database_url_in(&vars);
    vars.remove(DATABASE_URL_ENV);
    vars.remove(DATABASE_URL_FIELD_ENV);
    if let Some(url) = url {
        vars.insert(DATABASE_URL_FIELD_ENV.to_string(), url);
    }
    vars
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    /// SMS stay queued in the outbox (the demo).
    #[default]
    None,
    Twilio,
    Vonage,
    /// jambonz's REST API (the account's SMPP carrier).
    Jambonz,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: SocketAddr,
    /// Public base URL as the providers see it (signatures and callback URLs); behind a TLS
    /// proxy, e.g. `https://guichet.villebourg.fr`. Default: `http://{listen}`.
    pub public_url: Option<String>,
    pub database_url: String,
    pub body_limit_bytes: usize,
    /// Commune answering calls to numbers no commune lists (none: a polite refusal).
    pub fallback_commune: Option<String>,
    pub communes: BTreeMap<String, CommuneSettings>,
    pub voice: VoiceSettings,
    pub sms: SmsSettings,
    pub twilio: TwilioSettings,
    pub vonage: VonageSettings,
    pub jambonz: JambonzSettings,
    pub outbox: OutboxSettings,
    pub api: ApiSettings,
    pub privacy: PrivacySettings,
    /// Ticket notifications (e-mail, webhooks) sent by the console; none: nothing is sent.
    pub notifications: Option<NotificationSettings>,
    pub console: ConsoleSettings,
    pub log: LogSettings,
    /// A TOML file with the secrets (same layout as this file), e.g. `/run/secrets/guichet.toml`.
    pub secrets_file: Option<PathBuf>,
    /// Watch knowledge folders and reload them when staff edit them.
    pub watch_knowledge: bool,
    /// Where turns are kept while the store cannot be reached (one JSON file per turn),
    /// replayed into the store when it is back.
    pub spool_dir: PathBuf,
    /// The most bytes the spool may hold (beyond, turns are not spooled; from 90 %, `/readyz`
    /// answers 503).
    pub spool_max_bytes: u64,
    /// The most bytes of sessions each node keeps in memory (the session cache).
    pub session_cache_max_bytes: usize,
    /// How long a turn waits for the store (loading the session, saving the turn) before it
    /// goes on without it: the session from memory, the turn to the spool.
    pub store_timeout_ms: u64,
    /// Where the service reads the time: the system clock, or a test's (replaying recorded
    /// calls at their instant); never from a file.
    #[serde(skip)]
    pub clock: guichet_store::Clock,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommuneSettings {
    pub dir: PathBuf,
    /// Numbers (E.164) of this commune: the called number selects the commune.
    pub numbers: Vec<String>,
    /// The one provider this commune is reached through; `None`: any configured provider's
    /// webhooks, and SMS through `[sms] provider`.
    pub provider: Option<Provider>,
    pub twilio: CommuneTwilio,
    pub jambonz: CommuneJambonz,
}

/// What a commune may override (its own Twilio account).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommuneTwilio {
    pub auth_token: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceSettings {
    pub language: String,
    /// Twilio `<Say voice>` (e.g. `Polly.Lea-Neural`).
    pub twilio_voice: Option<String>,
    /// Vonage talk `style`.
    pub vonage_style: Option<u32>,
    /// Voice conversations expire after this long without a turn.
    pub session_timeout_minutes: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    pub provider: SmsProvider,
    /// An SMS conversation (keyed by the citizen's number) ends after this inactivity.
    pub conversation_timeout_minutes: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Option<Secret>,
    pub api_base_url: String,
    /// Signatures are checked whenever a token is configured; `false` only for local tests.
    pub verify_signatures: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VonageSettings {
    pub api_key: String,
    pub api_secret: Option<Secret>,
    pub signature_secret: Option<Secret>,
    pub api_base_url: String,
    pub verify_signatures: bool,
    /// Signed webhooks older than this are refused as replays.
    pub max_token_age_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    pub poll_interval_ms: u64,
    pub batch: i64,
    pub lease_seconds: u64,
    pub base_delay_ms: u64,
    pub max_delay_seconds: u64,
    pub max_attempts: i32,
    pub request_timeout_ms: u64,
}

/// `[api]`: the JSON API's keys are in the store (`guichet apikey`); this is the rate of the
/// public ones (a chat widget's key, visible to anyone), per client address.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// Requests per minute a public key may make from one client address.
    pub public_requests_per_minute: u32,
    /// Requests a public key may make at once from one address before the rate applies.
    pub public_burst: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            public_requests_per_minute: 30,
            public_burst: 10,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacySettings {
    /// Key of the phone number pseudonyms (HMAC-SHA256).
    pub pseudonym_key: Option<Secret>,
}

/// `[notifications]`: [`guichet_delivery::NotificationConfig`], whose `Debug`
/// would show the SMTP password and webhook tokens: this wrapper's does not.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct NotificationSettings(pub guichet_delivery::NotificationConfig);

impl std::fmt::Debug for NotificationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationSettings")
            .field("smtp", &self.0.smtp.as_ref().map(|smtp| &smtp.host))
            .field("routes", &self.0.routes.len())
            .finish_non_exhaustive()
    }
}

/// The staff console at `/console/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Behind a reverse proxy: the login limit per IP reads the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// How often old transcripts are deleted and closed tickets anonymised.
    pub retention_interval_minutes: u64,
    /// How often an open live queue re-reads the tickets when nothing signals a change (on
    /// PostgreSQL every node's changes are signalled: this is only a safety net).
    pub queue_poll_seconds: u64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            trust_forwarded_for: false,
            retention_interval_minutes: 60,
            queue_poll_seconds: 2,
        }
    }
}

/// `[log]`: how the service logs (`GUICHET__LOG__FORMAT`, `GUICHET__LOG__LEVEL`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive (`info`, `guichet=debug,info`); `RUST_LOG`, when set, wins.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (a terminal).
    #[default]
    Text,
    /// One JSON object per line (a log collector).
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            database_url: guichet_store::DEFAULT_SQLITE_URL.to_string(),
            body_limit_bytes: 64 * 1024,
            fallback_commune: None,
            communes: BTreeMap::new(),
            voice: VoiceSettings::default(),
            sms: SmsSettings::default(),
            twilio: TwilioSettings::default(),
            vonage: VonageSettings::default(),
            jambonz: JambonzSettings::default(),
            outbox: OutboxSettings::default(),
            api: ApiSettings::default(),
            privacy: PrivacySettings::default(),
            notifications: None,
            console: ConsoleSettings::default(),
            log: LogSettings::default(),
            secrets_file: None,
            watch_knowledge: true,
            spool_dir: PathBuf::from("data/spool"),
            spool_max_bytes: super::spool::DEFAULT_MAX_BYTES,
            session_cache_max_bytes: super::session_cache::DEFAULT_MAX_BYTES,
            store_timeout_ms: 3_000,
            clock: guichet_store::Clock::system(),
        }
    }
}

impl Default for VoiceSettings {
    fn default() -> Self {
        VoiceSettings {
            language: "fr-FR".into(),
            twilio_voice: None,
            vonage_style: None,
            session_timeout_minutes: 120,
        }
    }
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings {
            provider: SmsProvider::None,
            conversation_timeout_minutes: 30,
        }
    }
}

impl Default for TwilioSettings {
    fn default() -> Self {
        TwilioSettings {
            account_sid: String::new(),
            auth_token: None,
            api_base_url: guichet_connectors::twilio::client::DEFAULT_BASE_URL.into(),
            verify_signatures: true,
        }
    }
}

impl Default for VonageSettings {
    fn default() -> Self {
        VonageSettings {
            api_key: String::new(),
            api_secret: None,
            signature_secret: None,
            api_base_url: guichet_connectors::vonage::client::DEFAULT_BASE_URL.into(),
            verify_signatures: true,
            max_token_age_seconds: 300,
        }
    }
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            poll_interval_ms: 500,
            batch: 32,
            lease_seconds: 60,
            base_delay_ms: 5_000,
            max_delay_seconds: 600,
            max_attempts: 8,
            request_timeout_ms: 10_000,
        }
    }
}

impl Settings {
    /// The demo: `communes/demo` answers every number.
    pub fn demo() -> Settings {
        let mut settings = Settings::default();
        settings.communes.insert(
            "demo".into(),
            CommuneSettings {
                dir: PathBuf::from("communes/demo"),
                numbers: Vec::new(),
                ..CommuneSettings::default()
            },
        );
        settings.fallback_commune = Some("demo".into());
        settings
    }

    /// Reads the configuration: the file (if any), the secrets file, then the environment.
    /// Without a file and without communes, the demo.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        if let Some(file) = file {
            refuse_secrets_in(file)?;
        }
        let environment = configuration_environment(environment_variables());
        let layered = |secrets: Option<&Path>| -> anyhow::Result<Settings> {
            let mut builder = Config::builder();
            if let Some(file) = file {
                builder = builder.add_source(File::from(file).format(FileFormat::Toml));
            }
            if let Some(secrets) = secrets {
                builder = builder.add_source(File::from(secrets).format(FileFormat::Toml));
            }
            builder = builder.add_source(
                Environment::with_prefix("GUICHET")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(environment.clone())),
            );
            let config = builder.build().context("reading the configuration")?;
            config
                .try_deserialize::<Settings>()
                .context("invalid configuration")
        };
        let mut settings = layered(None)?;
        if let Some(secrets) = settings.secrets_file.clone() {
            settings = layered(Some(&secrets))
                .with_context(|| format!("reading the secrets file {}", secrets.display()))?;
        }
        if settings.communes.is_empty() {
            let demo = Settings::demo();
            settings.communes = demo.communes;
            settings.fallback_commune = settings.fallback_commune.or(demo.fallback_commune);
        }
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        for id in self.communes.keys() {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                bail!("commune id {id:?}: use lowercase letters, digits, '-' or '_'");
            }
        }
        // An empty secret would sign with an empty key (anyone could forge a webhook): refused.
        let secrets = [
            (
                "GUICHET__TWILIO__AUTH_TOKEN".to_string(),
                &self.twilio.auth_token,
            ),
            (
                "GUICHET__VONAGE__API_SECRET".to_string(),
                &self.vonage.api_secret,
            ),
            (
                "GUICHET__VONAGE__SIGNATURE_SECRET".to_string(),
                &self.vonage.signature_secret,
            ),
            (
                "GUICHET__JAMBONZ__BASIC_PASSWORD".to_string(),
                &self.jambonz.basic_password,
            ),
            (
                "GUICHET__JAMBONZ__WEBHOOK_SECRET".to_string(),
                &self.jambonz.webhook_secret,
            ),
            (
                "GUICHET__JAMBONZ__API_KEY".to_string(),
                &self.jambonz.api_key,
            ),
            (
                "GUICHET__PRIVACY__PSEUDONYM_KEY".to_string(),
                &self.privacy.pseudonym_key,
            ),
        ];
        let communes = self.communes.iter().map(|(id, commune)| {
            let name = format!(
                "GUICHET__COMMUNES__{}__TWILIO__AUTH_TOKEN",
                id.to_uppercase()
            );
            (name, &commune.twilio.auth_token)
        });
        for (name, secret) in secrets.into_iter().chain(communes) {
            if secret
                .as_ref()
                .is_some_and(|s| s.expose().trim().is_empty())
            {
                bail!("{name} is set but empty: give it a value or remove it");
            }
        }
        if let Some(fallback) = &self.fallback_commune
            && !self.communes.contains_key(fallback)
        {
            bail!("fallback_commune {fallback:?} is not one of [communes]");
        }
        // An SMS still being sent when its lease ends is claimed again and sent twice.
        let outbox = &self.outbox;
        if outbox.lease_seconds.saturating_mul(1000) <= outbox.request_timeout_ms {
            bail!(
                "outbox.lease_seconds ({}) must be longer than outbox.request_timeout_ms ({} ms): \
                 an SMS still being sent when its lease ends would be sent twice",
                outbox.lease_seconds,
                outbox.request_timeout_ms
            );
        }
        self.validate_providers()
    }

    /// The public base URL, without a trailing slash.
    pub fn public_base(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }
}

fn refuse_secrets_in(file: &Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let value: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", file.display()))?;
    fn walk(table: &toml::Table, path: &str) -> Option<String> {
        for (key, value) in table {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if SECRET_KEYS.contains(&key.as_str()) || SECRET_PATHS.contains(&here.as_str()) {
                return Some(here);
            }
            // Tables, and the tables of a list (`[[notifications.routes]] webhook_token`).
            let inner: Vec<&toml::Table> = match value {
                toml::Value::Table(inner) => vec![inner],
                toml::Value::Array(items) => items.iter().filter_map(|i| i.as_table()).collect(),
                _ => Vec::new(),
            };
            if let Some(found) = inner.into_iter().find_map(|inner| walk(inner, &here)) {
                return Some(found);
            }
        }
        None
    }
    if let Some(key) = walk(&value, "") {
        let env = format!("GUICHET__{}", key.replace('.', "__").to_uppercase());
        bail!(
            "{}: `{key}` is a secret: set it in the environment ({env}) or in the secrets_file",
            file.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
