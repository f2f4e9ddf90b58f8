//! `guichet staff …`: console accounts from the command line.

use std::process::ExitCode;

use anyhow::Context as _;
use guichet_store::{AnyStore, Role, Store};

/// Where the store is: `--database`, else `GUICHET__DATABASE__URL` (or the service's
/// `GUICHET__DATABASE_URL`), else the embedded SQLite file.
pub(crate) fn database_url(flag: Option<String>) -> String {
    flag.or_else(|| std::env::var("GUICHET__DATABASE__URL").ok())
        .or_else(|| std::env::var("GUICHET__DATABASE_URL").ok())
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| guichet_store::DEFAULT_SQLITE_URL.to_string())
}

/// Connects to the store on a fresh runtime and runs `work`.
pub(crate) fn with_store<T>(
    database: Option<String>,
    work: impl AsyncFnOnce(AnyStore) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let url = database_url(database);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let store = AnyStore::connect(&url)
            .await
            .context("connecting the store")?;
        let result = work(store.clone()).await;
        store.close().await;
        result
    })
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create an account and print its one-time password
    Add {
        /// Commune (tenant id, e.g. `demo`); repeat for several
        #[arg(long = "commune", required = true)]
        communes: Vec<String>,
        /// standardiste, editeur, operateur or admin
        #[arg(long)]
        role: String,
        /// Login e-mail
        #[arg(long)]
        email: String,
        /// Database URL (default: GUICHET__DATABASE__URL, else the embedded SQLite file)
        #[arg(long)]
        database: Option<String>,
    },
    /// List the accounts
    List {
        /// Database URL
        #[arg(long)]
        database: Option<String>,
    },
    /// Disable an account (its sessions end at once)
    Disable {
        /// Login e-mail
        #[arg(long)]
        email: String,
        /// Database URL
        #[arg(long)]
        database: Option<String>,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Add {
            communes,
            role,
            email,
            database,
        } => {
            let role: Role = role.parse().map_err(|_| {
                anyhow::anyhow!(
                    "unknown role {role:?}: expected standardiste, editeur, operateur or admin"
                )
            })?;
            let created = with_store(database, async |store| {
                let now = chrono::Utc::now();
                let created =
                    guichet_console::accounts::add_staff(&store, &email, role, &communes, now)
                        .await?;
                store
                    .append_audit(&guichet_store::AuditEntry {
                        at: now,
                        actor: "cli".into(),
                        commune: communes.first().cloned(),
                        action: "staff.create".into(),
                        detail: format!(
                            "account={} role={} communes={}",
                            created.email,
                            role,
                            communes.join(",")
                        ),
                    })
                    .await?;
                Ok(created)
            })?;
            println!(
                "Compte créé : {} ({role}, {})",
                created.email,
                communes.join(", ")
            );
            println!(
                "Mot de passe à usage unique (affiché une seule fois) : {}",
                created.password
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::List { database } => {
            let staff = with_store(database, async |store| Ok(store.list_staff().await?))?;
            for account in staff {
                println!(
                    "{}\t{}\t{}\t{}",
                    account.email,
                    account.role,
                    account.communes.join(","),
                    if account.disabled {
                        "désactivé"
                    } else {
                        "actif"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Disable { email, database } => {
            let done = with_store(database, async |store| {
                let Some(account) = store.get_staff_by_email(&email).await? else {
                    return Ok(false);
                };
                store.set_staff_disabled(account.id, true).await?;
                store
                    .append_audit(&guichet_store::AuditEntry {
                        at: chrono::Utc::now(),
                        actor: "cli".into(),
                        commune: account.communes.first().cloned(),
                        action: "staff.disable".into(),
                        detail: format!("account={}", account.email),
                    })
                    .await?;
                Ok(true)
            })?;
            if done {
                println!("Compte désactivé : {email}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("Aucun compte avec l'adresse {email}.");
                Ok(ExitCode::from(1))
            }
        }
    }
}
