//! guichet-console: the web console of the standardistes, staff and operators, at `/console/`.
//!
//! Server-rendered French pages (minijinja templates embedded at build time, one CSS file, a
//! few lines of JavaScript for the live queue), backed by the store: each page brings into
//! scope the store's domains it shows (`TicketStore`, `StaffStore`…), no more.
//!
//! The service mounts [`router`] under `/console`. Ticket notifications (e-mail, webhook) are
//! `guichet-delivery`'s; the Notifications page shows their state. Accounts, passwords, privacy
//! requests and retention are `guichet-office`'s: the pages call it, as the CLI does.

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
mod render;
mod routes;
mod state;
pub mod stats;
pub mod suggestions;
mod throttle;

pub use config::{ConsoleCommune, ConsoleConfig, LoginLimit};
pub use error::ConsoleError;
pub use error_pages::error_pages;
pub use routes::router;
pub use state::ConsoleState;
