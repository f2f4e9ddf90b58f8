//! `guichet apikey …`: keys of the JSON API. The token is printed once; the store keeps only its
//! SHA-256.

use std::process::ExitCode;

use guichet::serve::api_auth::{generate_token, hash_token};
use guichet_store::{ApiKeyKind, ApiKeyStore, AuditEntry, AuditStore, NewApiKey};

use super::with_store;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a key and print its token (once)
    Create {
        /// Commune (tenant id, e.g. `demo`)
        #[arg(long)]
        commune: String,
        /// What uses it, e.g. `site-web`
        #[arg(long)]
        name: String,
        /// `server` (a commune's server: may give the caller's number) or `public` (a chat
        /// widget whose key anyone can read: chat only, never an SMS, rate-limited)
        #[arg(long, default_value = "server")]
        kind: String,
        /// Database URL (default: GUICHET__DATABASE__URL, else the embedded SQLite file)
        #[arg(long)]
        database: Option<String>,
    },
    /// List the keys (never their tokens)
    List {
        /// Only this commune's
        #[arg(long)]
        commune: Option<String>,
        /// Database URL
        #[arg(long)]
        database: Option<String>,
    },
    /// Revoke a key: it is refused at once (every node)
    Revoke {
        /// The key's number, as `apikey list` shows it
        #[arg(long)]
        id: i64,
        /// Database URL
        #[arg(long)]
        database: Option<String>,
    },
}

fn audit(commune: Option<String>, action: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: chrono::Utc::now(),
        actor: "cli".into(),
        commune,
        action: action.into(),
        detail,
    }
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Create {
            commune,
            name,
            kind,
            database,
        } => {
            let kind: ApiKeyKind = kind
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown kind {kind:?}: expected server or public"))?;
            let token = generate_token();
            let key = NewApiKey {
                tenant: commune.clone(),
                name: name.clone(),
                kind,
                token_hash: hash_token(&token),
                created_at: chrono::Utc::now(),
            };
            let id = with_store(database, async |store| {
                let id = store.create_api_key(&key).await?;
                store
                    .append_audit(&audit(
                        Some(commune.clone()),
                        "apikey.create",
                        format!("id={id} name={name} kind={kind}"),
                    ))
                    .await?;
                Ok(id)
            })?;
            println!("Clé d'API n° {id} créée : {name} ({kind}, commune {commune})");
            println!("Jeton (affiché une seule fois, à conserver comme un mot de passe) :");
            println!("{token}");
            println!("Utilisation : Authorization: Bearer {token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::List { commune, database } => {
            let keys = with_store(database, async |store| {
                Ok(store.list_api_keys(commune.as_deref()).await?)
            })?;
            if keys.is_empty() {
                println!("Aucune clé d'API.");
            }
            for key in keys {
                println!(
                    "{}\t{}\t{}\t{}\tcréée le {}\t{}",
                    key.id,
                    key.tenant,
                    key.name,
                    key.kind,
                    key.created_at.format("%Y-%m-%d %H:%M UTC"),
                    match key.revoked_at {
                        Some(at) => format!("révoquée le {}", at.format("%Y-%m-%d %H:%M UTC")),
                        None => "active".into(),
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Revoke { id, database } => {
            let done = with_store(database, async |store| {
                let done = store.revoke_api_key(id, chrono::Utc::now()).await?;
                if done {
                    store
                        .append_audit(&audit(None, "apikey.revoke", format!("id={id}")))
                        .await?;
                }
                Ok(done)
            })?;
            if done {
                println!("Clé d'API n° {id} révoquée.");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("Aucune clé d'API active n° {id}.");
                Ok(ExitCode::from(1))
            }
        }
    }
}
