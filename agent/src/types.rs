//! What goes in and out of one turn of the engine.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the citizen reached the desk, and what a ticket asks of the humans: one definition
/// with the store's records (`guichet_model`).
pub use guichet_model::{Channel, TicketKind};

/// What the caller's number is, as far as sending an SMS goes (classified by `guichet_phone`).
pub use guichet_phone::LineType;

/// One message from the citizen, already transcribed by the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    pub tenant: String,
    pub channel: Channel,
    pub conversation_id: String,
    pub from: String,
    /// Empty when the caller said nothing (silence).
    pub text: String,
    /// Transcription confidence in [0, 1] when the provider gives one.
    pub asr_confidence: Option<f32>,
    /// Keys pressed, if any ("0" asks for a human).
    pub dtmf: Option<String>,
}

/// The inputs of a turn that are not the message itself: nothing is read from a clock or the network.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub line: LineType,
    pub knowledge: &'a guichet_knowledge::Knowledge,
    /// The partners (keys of `commune.toml`'s `[partners.*]`) whose reports a notification
    /// route of the service delivers: only to those does the robot say it transmits a report.
    pub report_channels: &'a [String],
}

/// One sentence (or a few) to say or write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub text: String,
}

/// A ticket for the humans, with everything they need to avoid a blind transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDraft {
    pub kind: TicketKind,
    pub caller: String,
    pub channel: Channel,
    /// Fiche id of the topic, if one was understood.
    pub fiche: Option<String>,
    /// Human-readable topic (fiche title, or "Demande non comprise").
    pub topic: String,
    /// Short French summary: what the caller said, what the robot already answered.
    pub summary: String,
    /// Partner key the report goes to (report tickets).
    pub partner: Option<String>,
    /// Reference given to the caller (report tickets), e.g. "SIG-1A2B3C".
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    SendSms {
        to: String,
        text: String,
    },
    Transfer {
        number: String,
    },
    CreateTicket(TicketDraft),
    Hangup,
    /// Wait for the caller's next words; `hints` help the speech recogniser (shared: the
    /// greeting's are the commune's whole keyword list).
    Listen {
        hints: Arc<[String]>,
    },
}

impl Action {
    /// The action as reports and traces keep it: `Listen` without its speech-recognition hints
    /// (the greeting's are the commune's whole keyword list).
    pub fn without_hints(&self) -> Action {
        match self {
            Action::Listen { .. } => Action::Listen {
                hints: Arc::default(),
            },
            other => other.clone(),
        }
    }
}

/// What the engine decided this turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionAction {
    Greet,
    Answer,
    Clarify,
    Confirm,
    Deflect,
    Transfer,
    Callback,
    Report,
    Fallback,
    Goodbye,
}

/// Why: recorded for logs, eval and statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub action: DecisionAction,
    /// The rule that fired (a stable snake_case name, e.g. "explicit_human_request").
    pub rule: String,
    pub fiche: Option<String>,
    pub confidence: Option<f32>,
    pub margin: Option<f32>,
    /// The normalised text that was understood.
    pub understood: String,
    /// The caller's satisfaction answer, on the turn it was given.
    pub satisfaction: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub say: Vec<Utterance>,
    pub actions: Vec<Action>,
    pub trace: Decision,
}
