//! guichet-office: what the back office does to the store, whoever asks — the CLI (`guichet
//! staff`, `guichet privacy`), the console's pages, or the service's background tasks:
//!
//! - [`accounts`]: staff accounts, the first administrator, one-time passwords;
//! - [`password`]: password hashing (Argon2id) and checking, off the async workers;
//! - [`privacy`]: a citizen's access and erasure requests, audited, by number;
//! - [`retention`]: old transcripts deleted and closed tickets anonymised per commune.
//!
//! No HTTP and no pages here: the console renders, this crate acts.

pub mod accounts;
pub mod password;
pub mod privacy;
pub mod retention;

pub use accounts::{AccountError, ensure_first_admin};
pub use password::{generate_password, hash_password, verify_password};
pub use privacy::{DEV_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV, pseudonym_key_from_env};
