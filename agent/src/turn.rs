//! One turn in the making: the inputs, the session being updated and the reply being built.
//! Every behaviour module adds `impl Turn` methods; this one holds the shared plumbing.

use std::sync::Arc;

use guichet_knowledge::{Fiche, Knowledge};

use crate::policy::Policy;
use crate::session::{Exchange, Pending, Session};
use crate::types::{Action, Channel, Context, Decision, DecisionAction, Inbound, Reply, Utterance};

/// "Puis-je vous aider pour autre chose ?"
pub const ANYTHING_ELSE: &str = "Puis-je vous aider pour autre chose ?";

pub(crate) struct TurnInProgress<'a> {
    pub policy: &'a Policy,
    pub ctx: &'a Context<'a>,
    pub inbound: &'a Inbound,
    pub session: Session,
    /// The caller's message, normalised.
    pub text: String,
    pub say: Vec<String>,
    pub actions: Vec<Action>,
    pub decision: Decision,
    /// What the robot did, in a few French words, for the session history.
    pub note: String,
}

impl<'a> TurnInProgress<'a> {
    pub fn new(
        policy: &'a Policy,
        ctx: &'a Context<'a>,
        inbound: &'a Inbound,
        session: Session,
    ) -> Self {
        let text = guichet_knowledge::normalize(&inbound.text);
        let decision = Decision {
            action: DecisionAction::Fallback,
            rule: String::new(),
            fiche: None,
            confidence: None,
            margin: None,
            understood: text.clone(),
            satisfaction: None,
        };
        Self {
            policy,
            ctx,
            inbound,
            session,
            text,
            say: Vec::new(),
            actions: Vec::new(),
            decision,
            note: String::new(),
        }
    }

    pub fn kb(&self) -> &'a Knowledge {
        self.ctx.knowledge
    }

    pub fn fiche(&self, id: &str) -> Option<&'a Fiche> {
        self.ctx.knowledge.fiche(id)
    }

    pub fn is_voice(&self) -> bool {
        self.session.channel == Channel::Voice
    }

    /// Records the decision of this turn.
    pub fn decide(&mut self, action: DecisionAction, rule: &str, fiche: Option<&str>) {
        self.decision.action = action;
        self.decision.rule = rule.to_owned();
        if fiche.is_some() || self.decision.fiche.is_none() {
            self.decision.fiche = fiche.map(str::to_owned);
        }
    }

    pub fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.say.push(text);
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.note = note.into();
    }

    /// Ends the answer with "Puis-je vous aider pour autre chose ?".
    pub fn ask_anything_else(&mut self) {
        self.say(ANYTHING_ELSE);
        self.session.pending = Pending::AnythingElse;
    }

    pub fn hang_up(&mut self) {
        self.actions.push(Action::Hangup);
        self.session.pending = Pending::Nothing;
        self.session.ended = true;
    }

    /// The speech recogniser's hints for what is expected next.
    fn hints(&self) -> Arc<[String]> {
        match &self.session.pending {
            Pending::Clarify { fiche } => self
                .fiche(fiche)
                .and_then(|fiche| fiche.clarify.as_ref())
                .map(|clarify| {
                    clarify
                        .options
                        .iter()
                        .flat_map(|option| option.answers.iter().cloned())
                        .collect::<Vec<_>>()
                        .into()
                })
                .unwrap_or_default(),
            pending if pending.is_yes_no() => Arc::from(["oui".to_owned(), "non".to_owned()]),
            _ => Arc::default(),
        }
    }

    /// The reply, and the session with this turn remembered.
    pub fn finish(mut self) -> (Session, Reply) {
        if !self.session.ended && self.is_voice() {
            let hints = self.hints();
            self.actions.push(Action::Listen { hints });
        }
        let caller = if self.inbound.text.trim().is_empty() {
            match self.inbound.dtmf.as_deref() {
                Some(keys) if !keys.trim().is_empty() => format!("(touche {})", keys.trim()),
                _ => "(silence)".to_owned(),
            }
        } else {
            self.inbound.text.trim().to_owned()
        };
        let note = if self.note.is_empty() {
            self.decision.rule.replace('_', " ")
        } else {
            self.note.clone()
        };
        self.session.remember(Exchange {
            caller,
            robot: note,
            action: self.decision.action,
        });
        let say = self
            .say
            .into_iter()
            .map(|text| Utterance { text })
            .collect();
        (
            self.session,
            Reply {
                say,
                actions: self.actions,
                trace: self.decision,
            },
        )
    }
}
