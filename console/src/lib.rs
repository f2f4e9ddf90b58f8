//! guichet-console: the web console of the standardistes, staff and operators, at `/console/`.
//!
//! Server-rendered French pages (minijinja templates embedded at build time, one CSS file, a
//! few lines of JavaScript for the live queue), backed by the [`guichet_store::Store`].
//!
//! The service mounts [`router`] under `/console` and spawns the background tasks
//! [`notify::run_notifications`] and [`retention::run_retention`]; the CLI uses [`accounts`]
//! and [`privacy`].

pub mod accounts;
mod auth;
pub mod callback;
mod chart;
mod config;
mod error;
mod error_pages;
pub mod fiche_edit;
mod fiche_file;
pub mod french;
mod headers;
pub mod notify;
mod password;
pub mod privacy;
mod render;
pub mod retention;
mod routes;
mod state;
pub mod stats;
pub mod suggestions;
mod throttle;

pub use accounts::{AccountError, ensure_first_admin};
pub use config::{ConsoleCommune, ConsoleConfig, LoginLimit};
pub use error::ConsoleError;
pub use error_pages::error_pages;
pub use notify::{NotificationConfig, NotificationRoute, Notifier, SmtpConfig};
pub use password::{generate_password, hash_password, verify_password};
pub use privacy::{DEV_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV, pseudonym_key_from_env};
pub use routes::router;
pub use state::ConsoleState;
