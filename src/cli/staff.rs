//! `guichet staff …`: console accounts from the command line.

use std::process::ExitCode;

use guichet_store::{AuditStore, Role, StaffStore};

use super::with_store;

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
                    guichet_office::accounts::add_staff(&store, &email, role, &communes, now)
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
