//! One module per subcommand; each owns its arguments and its `run`.

pub mod chat;
pub mod dialogues;
pub mod eval;
pub mod kb;
pub mod loadtest;
pub mod privacy;
pub mod serve;
pub mod staff;

use std::process::ExitCode;

/// What a subcommand owned by a later issue prints until it lands.
pub fn not_yet_available(what: &str) -> anyhow::Result<ExitCode> {
    eprintln!("`guichet {what}` is not yet available in this version.");
    Ok(ExitCode::from(2))
}
