//! Shared helpers: a conversation with the engine on a knowledge folder, at a given instant.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use guichet_agent::{
    Action, Channel, Context, Decision, DecisionAction, Engine, Inbound, LineType, Reply, Session,
    TicketDraft, TicketKind,
};
use guichet_knowledge::Knowledge;

pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../communes/demo");
pub const MOBILE: &str = "+33612345678";
pub const LANDLINE: &str = "+33130123456";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn load(dir: impl AsRef<Path>) -> Knowledge {
    match Knowledge::load(dir.as_ref()) {
        Ok(knowledge) => knowledge,
        Err(error) => panic!("{} does not load: {error}", dir.as_ref().display()),
    }
}

pub fn demo() -> &'static Knowledge {
    static DEMO_KB: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
    DEMO_KB.get_or_init(|| load(DEMO))
}

/// An instant in Paris.
pub fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    match chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
    {
        Some(at) => at.with_timezone(&Utc),
        None => panic!("ambiguous time"),
    }
}

/// Monday 2026-03-09 9:30: the mairie is closed until 13:30.
pub fn monday_morning() -> DateTime<Utc> {
    paris(2026, 3, 9, 9, 30)
}

/// Tuesday 2026-03-10 10:15: the mairie is open.
pub fn tuesday_open() -> DateTime<Utc> {
    paris(2026, 3, 10, 10, 15)
}

pub struct Call<'k> {
    pub engine: Engine,
    pub knowledge: &'k Knowledge,
    pub now: DateTime<Utc>,
    pub channel: Channel,
    pub from: String,
    pub session: Session,
    pub greeting: Reply,
    /// Partners whose reports the service delivers (default: all that take reports).
    pub report_channels: Vec<String>,
}

impl<'k> Call<'k> {
    pub fn new(knowledge: &'k Knowledge, now: DateTime<Utc>, channel: Channel, from: &str) -> Self {
        let engine = Engine::default();
        let inbound = inbound(channel, from, "");
        let report_channels = knowledge.reporting_partners();
        let ctx = Context {
            now,
            line: LineType::of(from),
            knowledge,
            report_channels: &report_channels,
        };
        let (session, greeting) = engine.start(&inbound, &ctx);
        Self {
            engine,
            knowledge,
            now,
            channel,
            from: from.to_owned(),
            session,
            greeting,
            report_channels,
        }
    }

    pub fn voice(knowledge: &'k Knowledge, now: DateTime<Utc>, from: &str) -> Self {
        Self::new(knowledge, now, Channel::Voice, from)
    }

    pub fn say(&mut self, text: &str) -> Reply {
        self.send(inbound(self.channel, &self.from, text))
    }

    pub fn send(&mut self, inbound: Inbound) -> Reply {
        let ctx = Context {
            now: self.now,
            line: LineType::of(&self.from),
            knowledge: self.knowledge,
            report_channels: &self.report_channels,
        };
        let (session, reply) = self.engine.turn(&self.session, &inbound, &ctx);
        self.session = session;
        reply
    }

    pub fn press(&mut self, keys: &str) -> Reply {
        let mut message = inbound(self.channel, &self.from, "");
        message.dtmf = Some(keys.to_owned());
        self.send(message)
    }
}

pub fn inbound(channel: Channel, from: &str, text: &str) -> Inbound {
    Inbound {
        tenant: "demo".into(),
        channel,
        conversation_id: "conv-test".into(),
        from: from.into(),
        text: text.into(),
        asr_confidence: None,
        dtmf: None,
    }
}

pub fn said(reply: &Reply) -> String {
    reply
        .say
        .iter()
        .map(|u| u.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn sms(reply: &Reply) -> Vec<&str> {
    reply
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::SendSms { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub fn tickets(reply: &Reply) -> Vec<&TicketDraft> {
    reply
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTicket(t) => Some(t),
            _ => None,
        })
        .collect()
}

pub fn ticket(reply: &Reply, kind: TicketKind) -> &TicketDraft {
    match tickets(reply).into_iter().find(|t| t.kind == kind) {
        Some(ticket) => ticket,
        None => panic!("no {kind:?} ticket in {reply:#?}"),
    }
}

pub fn transfer_number(reply: &Reply) -> Option<&str> {
    reply.actions.iter().find_map(|a| match a {
        Action::Transfer { number } => Some(number.as_str()),
        _ => None,
    })
}

pub fn hangs_up(reply: &Reply) -> bool {
    reply.actions.iter().any(|a| matches!(a, Action::Hangup))
}

/// Asserts the action and fiche of a decision, with the whole reply in the message.
pub fn expect(reply: &Reply, action: DecisionAction, fiche: Option<&str>) {
    let Decision {
        action: got,
        fiche: got_fiche,
        ..
    } = &reply.trace;
    assert!(
        *got == action && got_fiche.as_deref() == fiche,
        "expected {action:?} {fiche:?}, got {got:?} {got_fiche:?}\n{reply:#?}"
    );
}
