//! `guichet chat`: a conversation with the dialogue engine in the terminal, to try a fiche
//! before publishing it. After each reply: the decision (action, fiche, confidence) and the
//! actions the service would take (SMS, ticket, transfer). `--json` prints one JSON object per
//! turn, for scripts (lines are read from stdin when it is not a terminal).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use guichet_agent::{Action, Channel, Context, Engine, Inbound, LineType, Reply, Session};
use guichet_knowledge::Knowledge;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ChannelArg {
    Voice,
    Sms,
    Chat,
}

impl From<ChannelArg> for Channel {
    fn from(channel: ChannelArg) -> Self {
        match channel {
            ChannelArg::Voice => Channel::Voice,
            ChannelArg::Sms => Channel::Sms,
            ChannelArg::Chat => Channel::Chat,
        }
    }
}

/// Talk to the engine in the terminal (type "#0" to press 0, an empty line for silence,
/// "/quit" to leave).
#[derive(clap::Args)]
pub struct Args {
    /// The commune's knowledge folder.
    #[arg(long, default_value = "communes/demo")]
    pub commune: PathBuf,
    /// The caller's number (decides mobile / landline).
    #[arg(long, default_value = "+33612345678")]
    pub from: String,
    /// The instant of the call, in the commune's local time ("2026-03-10T09:30") or with an
    /// offset; default: now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum, default_value = "voice")]
    pub channel: ChannelArg,
    /// One JSON object per turn instead of the readable transcript.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let knowledge = Knowledge::load(&args.commune).with_context(|| {
        format!(
            "cannot load the knowledge folder {}",
            args.commune.display()
        )
    })?;
    let now = match &args.at {
        Some(at) => parse_at(at, &knowledge)?,
        None => Utc::now(),
    };
    let channel = Channel::from(args.channel);
    let engine = Engine::default();
    // The chat stands for a service that delivers every report the commune declares.
    let report_channels = knowledge.reporting_partners();
    let ctx = Context {
        now,
        line: LineType::of(&args.from),
        knowledge: &knowledge,
        report_channels: &report_channels,
    };
    let conversation_id = format!("chat-{}", now.timestamp());
    let message = |text: &str, dtmf: Option<String>| Inbound {
        tenant: "chat".into(),
        channel,
        conversation_id: conversation_id.clone(),
        from: args.from.clone(),
        text: text.to_owned(),
        asr_confidence: None,
        dtmf,
    };
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "Commune : {} · appelant {} ({:?}) · canal {:?} · {}",
            knowledge.commune().name,
            args.from,
            ctx.line,
            channel,
            now.with_timezone(&knowledge.commune().timezone)
                .format("%Y-%m-%d %H:%M %Z")
        )?;
        writeln!(
            out,
            "(ligne vide = silence, « #0 » = touche 0, « /quit » pour quitter)\n"
        )?;
    }
    let (mut session, reply) = engine.start(&message("", None), &ctx);
    show(&mut out, args.json, 0, "", &reply, &session)?;
    let mut input = Input::new()?;
    let mut turn = 0;
    while !session.is_ended() {
        let Some(line) = input.next_line()? else {
            break;
        };
        let line = line.trim().to_owned();
        if line == "/quit" {
            break;
        }
        let (text, dtmf) = match line.strip_prefix('#') {
            Some(keys) => (String::new(), Some(keys.trim().to_owned())),
            None => (line.clone(), None),
        };
        turn += 1;
        let (next, reply) = engine.turn(&session, &message(&text, dtmf), &ctx);
        session = next;
        show(&mut out, args.json, turn, &line, &reply, &session)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// "2026-03-10T09:30" (commune time) or an RFC 3339 instant.
fn parse_at(at: &str, knowledge: &Knowledge) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(at) {
        return Ok(instant.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(at, format).ok());
    let Some(naive) = naive else {
        bail!("--at {at:?}: expected 2026-03-10T09:30 (commune time) or an RFC 3339 instant");
    };
    match knowledge
        .commune()
        .timezone
        .from_local_datetime(&naive)
        .earliest()
    {
        Some(local) => Ok(local.with_timezone(&Utc)),
        None => bail!(
            "--at {at:?} does not exist in {}",
            knowledge.commune().timezone
        ),
    }
}

/// Lines from a terminal (with line editing and history) or from a pipe.
enum Input {
    Terminal(Box<rustyline::DefaultEditor>),
    Pipe(std::io::StdinLock<'static>),
}

impl Input {
    fn new() -> anyhow::Result<Self> {
        if std::io::stdin().is_terminal() {
            Ok(Input::Terminal(Box::new(rustyline::DefaultEditor::new()?)))
        } else {
            Ok(Input::Pipe(std::io::stdin().lock()))
        }
    }

    fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        match self {
            Input::Terminal(editor) => match editor.readline("Vous : ") {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        editor.add_history_entry(line.as_str())?;
                    }
                    Ok(Some(line))
                }
                Err(
                    rustyline::error::ReadlineError::Eof
                    | rustyline::error::ReadlineError::Interrupted,
                ) => Ok(None),
                Err(error) => Err(error.into()),
            },
            Input::Pipe(stdin) => {
                let mut line = String::new();
                if stdin.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                Ok(Some(line))
            }
        }
    }
}

fn show(
    out: &mut impl Write,
    json: bool,
    turn: u32,
    caller: &str,
    reply: &Reply,
    session: &Session,
) -> anyhow::Result<()> {
    if json {
        let object = serde_json::json!({
            "turn": turn,
            "caller": caller,
            "say": reply.say.iter().map(|u| u.text.as_str()).collect::<Vec<_>>(),
            "actions": reply.actions,
            "decision": reply.trace,
            "ended": session.is_ended(),
        });
        writeln!(out, "{object}")?;
        return Ok(());
    }
    for utterance in &reply.say {
        writeln!(out, "Robot : {}", utterance.text)?;
    }
    let decision = &reply.trace;
    let number = |value: Option<f32>| value.map_or("-".to_owned(), |v| format!("{v:.2}"));
    writeln!(
        out,
        "  ↳ décision : {} · fiche {} · confiance {} · marge {} · règle {}",
        serde_json::to_value(decision.action)?
            .as_str()
            .unwrap_or("?"),
        decision.fiche.as_deref().unwrap_or("-"),
        number(decision.confidence),
        number(decision.margin),
        decision.rule
    )?;
    if let Some(satisfaction) = decision.satisfaction {
        writeln!(
            out,
            "  ↳ satisfaction : {}",
            if satisfaction { "oui" } else { "non" }
        )?;
    }
    for action in &reply.actions {
        match action {
            Action::SendSms { to, text } => writeln!(out, "  ↳ SMS à {to} : {text}")?,
            Action::Transfer { number } => writeln!(out, "  ↳ transfert vers {number}")?,
            Action::CreateTicket(ticket) => writeln!(
                out,
                "  ↳ ticket {} : {}{}{} — {}",
                serde_json::to_value(ticket.kind)?.as_str().unwrap_or("?"),
                ticket.topic,
                ticket
                    .partner
                    .as_deref()
                    .map(|p| format!(" → {p}"))
                    .unwrap_or_default(),
                ticket
                    .reference
                    .as_deref()
                    .map(|r| format!(" (réf. {r})"))
                    .unwrap_or_default(),
                ticket.summary
            )?,
            Action::Hangup => writeln!(out, "  ↳ raccroche")?,
            Action::Listen { .. } => {}
        }
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
