//! The state the engine keeps between two turns of one conversation.
//!
//! A [`Session`] is plain data: the store persists it as JSON between turns (possibly on
//! another node), and the engine returns a new one after each turn.

use serde::{Deserialize, Serialize};

use crate::types::{Channel, DecisionAction, LineType};

/// How many exchanges the session keeps for ticket summaries.
pub const HISTORY_LEN: usize = 8;

/// The question the robot asked last, waiting for the caller's reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    /// Nothing asked: the next message is a request.
    #[default]
    Nothing,
    /// The fiche's clarifying question ("perdu, volé ou expiré ?").
    Clarify { fiche: String },
    /// "Vous appelez bien au sujet de … ?"
    Confirm { fiche: String },
    /// "Voulez-vous que je transmette votre signalement à … ?"
    ReportOffer { fiche: String, partner: String },
    /// "À quelle adresse exactement se trouve le problème ?" (a report accepted, its place
    /// not yet said)
    ReportPlace { fiche: String, partner: String },
    /// "Souhaitez-vous parler à un agent ?"
    HumanOffer { fiche: Option<String> },
    /// "Puis-je vous aider pour autre chose ?"
    AnythingElse,
    /// "Ma réponse vous a-t-elle été utile ?"
    Satisfaction,
}

impl Pending {
    /// Whether the question expects a yes or a no.
    pub fn is_yes_no(&self) -> bool {
        matches!(
            self,
            Pending::Confirm { .. }
                | Pending::ReportOffer { .. }
                | Pending::HumanOffer { .. }
                | Pending::AnythingElse
                | Pending::Satisfaction
        )
    }
}

/// One turn, as kept for the humans who take over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the caller said (as transcribed), or "(silence)".
    pub caller: String,
    /// What the robot did, in a few French words ("réponse : Passeport perdu").
    pub robot: String,
    pub action: DecisionAction,
}

/// The state of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub conversation_id: String,
    pub channel: Channel,
    /// The caller's number as the provider gave it ("anonymous" or "" when withheld). Never
    /// persisted (RGPD: numbers are kept in clear only on tickets): every message carries it
    /// again, and the engine restores it at each turn.
    #[serde(skip)]
    pub from: String,
    /// The caller's line type, as the last turn's context gave it (kept for statistics and
    /// exports, which must not see the number).
    #[serde(default)]
    pub line: LineType,
    /// Turns handled so far (the greeting is turn 0).
    pub turn: u32,
    pub pending: Pending,
    /// Consecutive turns not understood (reset by any understood request).
    pub misunderstandings: u8,
    /// Consecutive silences (reset by any message).
    pub silences: u8,
    /// Fiches dealt with in this call, in order, without repeats.
    pub topics: Vec<String>,
    /// The robot answered something itself (answer, deflection, report): a satisfaction
    /// question is asked before hanging up.
    pub resolved: bool,
    /// The last fiche the robot answered or redirected.
    pub last_fiche: Option<String>,
    /// The caller's satisfaction, once given.
    pub satisfaction: Option<bool>,
    /// The last exchanges, oldest first (at most [`HISTORY_LEN`]).
    pub history: Vec<Exchange>,
    /// The robot's part of the call is over (hung up or transferred).
    pub ended: bool,
}

impl Session {
    pub fn new(
        conversation_id: impl Into<String>,
        channel: Channel,
        from: impl Into<String>,
    ) -> Self {
        Self {
            conversation_id: conversation_id.into(),
            channel,
            from: from.into(),
            line: LineType::Unknown,
            turn: 0,
            pending: Pending::Nothing,
            misunderstandings: 0,
            silences: 0,
            topics: Vec::new(),
            resolved: false,
            last_fiche: None,
            satisfaction: None,
            history: Vec::new(),
            ended: false,
        }
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Records a fiche as a topic of the call (once).
    pub(crate) fn add_topic(&mut self, fiche: &str) {
        if !self.topics.iter().any(|topic| topic == fiche) {
            self.topics.push(fiche.to_owned());
        }
    }

    pub(crate) fn remember(&mut self, exchange: Exchange) {
        self.history.push(exchange);
        if self.history.len() > HISTORY_LEN {
            let extra = self.history.len() - HISTORY_LEN;
            self.history.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_the_last_exchanges() {
        let mut session = Session::new("c1", Channel::Voice, "+33612345678");
        for index in 0..20 {
            session.remember(Exchange {
                caller: format!("message {index}"),
                robot: "réponse".into(),
                action: DecisionAction::Answer,
            });
        }
        assert_eq!(session.history.len(), HISTORY_LEN);
        assert_eq!(session.history[0].caller, "message 12");
    }

    #[test]
    fn topics_are_not_repeated() {
        let mut session = Session::new("c1", Channel::Voice, "+33612345678");
        session.add_topic("passeport");
        session.add_topic("cni");
        session.add_topic("passeport");
        assert_eq!(session.topics, ["passeport", "cni"]);
    }

    #[test]
    fn round_trips_as_json() -> Result<(), serde_json::Error> {
        let mut session = Session::new("c1", Channel::Sms, "+33612345678");
        session.pending = Pending::ReportOffer {
            fiche: "depot-sauvage".into(),
            partner: "agglomeration".into(),
        };
        let json = serde_json::to_string(&session)?;
        assert!(
            !json.contains("612345678"),
            "the number is never persisted: {json}"
        );
        let restored = serde_json::from_str::<Session>(&json)?;
        assert_eq!(restored.from, "");
        assert_eq!(
            Session {
                from: String::new(),
                ..session
            },
            restored
        );
        Ok(())
    }
}
