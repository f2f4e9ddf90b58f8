//! `guichet dialogues export`: stored conversations become recorded dialogue files, so that real
//! calls become tomorrow's regression tests. The conversion is the eval crate's
//! ([`guichet_eval::export`]); this module reads the store and writes the files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use guichet_agent::LineType;
use guichet_eval::export::{self, StoredConversation, StoredTurn};
use guichet_store::{SessionRecord, SessionStore, Turn};
use serde::Deserialize as _;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Write stored conversations as recorded dialogue files (one file per conversation; a
    /// conversation already exported is left as it is)
    Export(ExportArgs),
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Conversations started on or after this date: YYYY-MM-DD (midnight UTC) or RFC 3339
    #[arg(long, value_parser = parse_since)]
    since: DateTime<Utc>,
    /// Commune (tenant id)
    #[arg(long, default_value = "demo")]
    commune: String,
    /// Store to read [default: env GUICHET__DATABASE_URL, else the embedded SQLite file]
    #[arg(long)]
    database: Option<String>,
    /// Folder to write the files into (created if needed); review them, then move them into
    /// the commune's dialogues/ folder
    #[arg(long, default_value = "exported-dialogues")]
    out: PathBuf,
}

fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| format!("expected a date YYYY-MM-DD or an RFC 3339 instant, got {text:?}"))
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Export(args) => {
            let conversations = super::with_store(args.database.clone(), async |store| {
                read_conversations(&store, &args.commune, args.since, Utc::now()).await
            })?;
            let written = write_dialogues(&conversations, &args.out)?;
            eprintln!(
                "{} conversation(s) depuis le {} : {} fichier(s) écrit(s) dans {}, {} déjà exporté(s), {} sans parole de l'appelant",
                conversations.len(),
                args.since.format("%d/%m/%Y %H:%M UTC"),
                written.written.len(),
                args.out.display(),
                written.existing,
                written.empty,
            );
            for path in &written.written {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The conversations of a commune started in `[since, until)`, with their turns.
async fn read_conversations(
    store: &impl SessionStore,
    tenant: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<StoredConversation>> {
    let sessions = store
        .sessions_between(tenant, since, until)
        .await
        .context("reading the conversations")?;
    let mut conversations = Vec::with_capacity(sessions.len());
    for session in sessions {
        let turns = store
            .conversation_turns(tenant, &session.conversation_id)
            .await
            .with_context(|| format!("reading conversation {}", session.conversation_id))?;
        conversations.push(stored_conversation(session, turns));
    }
    Ok(conversations)
}

fn stored_conversation(session: SessionRecord, turns: Vec<Turn>) -> StoredConversation {
    // The service keeps the engine's session in the state: its line type, never the number.
    // An expired session's state is null: unknown line.
    let line = session
        .state
        .pointer("/engine/line")
        .and_then(|line| LineType::deserialize(line).ok())
        .unwrap_or_default();
    StoredConversation {
        tenant: session.tenant,
        conversation_id: session.conversation_id,
        channel: session.channel,
        line,
        started_at: session.started_at.fixed_offset(),
        turns: turns
            .into_iter()
            .map(|turn| StoredTurn {
                seq: turn.seq,
                caller_text: turn.caller_text,
                action: turn.action,
                fiche: turn.fiche,
            })
            .collect(),
    }
}

#[derive(Debug, Default)]
struct Written {
    written: Vec<PathBuf>,
    /// Files already there (exported before): left untouched, staff may have corrected them.
    existing: usize,
    /// Conversations where the caller said nothing.
    empty: usize,
}

fn write_dialogues(conversations: &[StoredConversation], out: &Path) -> anyhow::Result<Written> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Written::default();
    for conversation in conversations {
        let Some(dialogue) = export::to_dialogue(conversation) else {
            written.empty += 1;
            continue;
        };
        let path = out.join(export::file_name(conversation));
        let yaml = export::to_yaml(&dialogue)
            .with_context(|| format!("conversation {}", conversation.conversation_id))?;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, yaml.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                written.written.push(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                written.existing += 1;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("creating {}", path.display()));
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use guichet_store::{AnyStore, Channel, TurnRecord};
    use serde_json::json;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn turn(seq: i64, caller: &str, action: &str, fiche: Option<&str>) -> Turn {
        Turn {
            seq,
            at: at("2026-03-10T09:15:00Z"),
            caller_text: caller.into(),
            reply_text: "…".into(),
            decision: json!({}),
            action: action.into(),
            fiche: fiche.map(Into::into),
            confidence: None,
            reply: None,
            message_id: None,
        }
    }

    async fn save(store: &AnyStore, conversation: &str, from: &str, turns: Vec<Turn>) {
        let started = at("2026-03-10T09:15:00Z");
        for turn in turns {
            let session = SessionRecord {
                tenant: "demo".into(),
                conversation_id: conversation.into(),
                channel: Channel::Voice,
                caller: Some("pseudonym".into()),
                state: json!({ "engine": { "line": LineType::of(from) }, "seq": turn.seq }),
                started_at: started,
                updated_at: started,
                expires_at: at("2026-03-10T10:15:00Z"),
                closed_at: None,
                end_reason: None,
            };
            let record = TurnRecord {
                session,
                turn,
                tickets: Vec::new(),
                outbox: Vec::new(),
            };
            store.save_turn(&record).await.expect("save turn");
        }
    }

    #[test]
    fn dates_and_instants_are_accepted() {
        assert_eq!(parse_since("2026-03-10"), Ok(at("2026-03-10T00:00:00Z")));
        assert_eq!(
            parse_since("2026-03-10T10:15:00+01:00"),
            Ok(at("2026-03-10T09:15:00Z"))
        );
        assert!(parse_since("hier").is_err());
    }

    #[tokio::test]
    async fn stored_conversations_load_back_as_dialogues_once() {
        let dir = std::env::temp_dir().join(format!("guichet-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/guichet.db?mode=rwc", dir.display());
        let store = AnyStore::connect(&url).await.expect("store");
        save(
            &store,
            "CA01",
            "+33612345678",
            vec![
                turn(0, "", "greet", None),
                turn(
                    1,
                    "mon passeport est expiré",
                    "answer",
                    Some("passeport-renouvellement"),
                ),
                turn(2, "[touche 0]", "transfer", None),
            ],
        )
        .await;
        save(
            &store,
            "CA02",
            "+33130000099",
            vec![turn(0, "", "greet", None)],
        )
        .await;
        let conversations = read_conversations(
            &store,
            "demo",
            at("2026-03-10T00:00:00Z"),
            at("2026-03-11T00:00:00Z"),
        )
        .await
        .expect("read");
        store.close().await;
        assert_eq!(conversations.len(), 2);

        let out = dir.join("out");
        let first = write_dialogues(&conversations, &out).expect("export");
        assert_eq!(first.written.len(), 1);
        assert_eq!(first.empty, 1);
        let again = write_dialogues(&conversations, &out).expect("export again");
        assert!(again.written.is_empty());
        assert_eq!(again.existing, 1);

        let known: BTreeSet<String> = ["passeport-renouvellement".to_string()].into();
        let dialogues = guichet_eval::dialogue::load(std::slice::from_ref(&out), &known)
            .expect("the exported file loads");
        let text = std::fs::read_to_string(&first.written[0]).expect("read file");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(dialogues.len(), 1);
        let dialogue = &dialogues[0];
        assert!(!text.contains("612345678"), "{text}");
        assert_eq!(dialogue.from, guichet_eval::export::PLACEHOLDER_MOBILE);
        assert_eq!(dialogue.at.to_utc(), at("2026-03-10T09:15:00Z"));
        assert_eq!(dialogue.turns.len(), 2);
        assert_eq!(dialogue.turns[0].caller, "mon passeport est expiré");
        let expect = dialogue.turns[0].expect.as_ref().expect("expect");
        assert_eq!(expect.fiches(), ["passeport-renouvellement"]);
        assert_eq!(dialogue.turns[1].dtmf.as_deref(), Some("0"));
    }
}
