//! `guichet privacy …`: a citizen's access and erasure requests (RGPD), by phone number.
//!
//! Conversations are found by the keyed pseudonym of the number: the key comes from
//! `GUICHET__PRIVACY__PSEUDONYM_KEY` and must be the service's; without it the development key
//! is used (and a warning printed), which only finds conversations of a service that also ran
//! without a key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use guichet_office::privacy;

use super::with_store;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print (or write) as JSON everything held about a number
    Export {
        /// The citizen's number, e.g. +33612345678 or 06 12 34 56 78
        #[arg(long)]
        number: String,
        /// Write the JSON to this file instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
        /// Database URL (default: GUICHET__DATABASE__URL, else the embedded SQLite file)
        #[arg(long)]
        database: Option<String>,
    },
    /// Erase the number's conversations and SMS, anonymise its tickets
    Erase {
        /// The citizen's number
        #[arg(long)]
        number: String,
        /// Database URL
        #[arg(long)]
        database: Option<String>,
    },
}

fn key() -> privacy::PseudonymKey {
    let key = privacy::pseudonym_key_from_env();
    if key.is_dev_default {
        eprintln!(
            "warning: {} is not set: using the development pseudonymisation key",
            privacy::PSEUDONYM_KEY_ENV
        );
    }
    key
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Export {
            number,
            output,
            database,
        } => {
            let key = key();
            let export = with_store(database, async |store| {
                Ok(privacy::export(&store, &number, &key, "cli", chrono::Utc::now()).await?)
            })?;
            let json = serde_json::to_string_pretty(&export)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, json)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("Export écrit dans {}", path.display());
                }
                None => println!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Erase { number, database } => {
            let key = key();
            let report = with_store(database, async |store| {
                Ok(privacy::erase(&store, &number, &key, "cli", chrono::Utc::now()).await?)
            })?;
            println!(
                "Effacement de {} : {} conversation(s), {} échange(s), {} SMS supprimés ; {} ticket(s) anonymisé(s).",
                privacy::normalise_number(&number)?.masked(),
                report.sessions_deleted,
                report.turns_deleted,
                report.outbox_deleted,
                report.tickets_anonymised
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
