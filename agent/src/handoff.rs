//! Handing the caller to a human: a live transfer when the mairie is open (voice), a callback
//! ticket otherwise, never a blind transfer: the ticket carries what was said.

use guichet_knowledge::{Fiche, ScheduleQuery};
use guichet_phone::is_withheld;

use crate::speech::next_opening_in_words;
use crate::tickets;
use crate::turn::TurnInProgress;
use crate::types::{Action, Channel, DecisionAction, TicketDraft, TicketKind};

/// What happens after a callback has been arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterCallback {
    /// "Puis-je vous aider pour autre chose ?"
    Continue,
    /// The robot does not take the call (rollout): hang up.
    HangUp,
}

impl TurnInProgress<'_> {
    /// Whether the mairie is open now (opening hours and public holidays, commune timezone).
    pub fn mairie_is_open(&self) -> bool {
        self.kb().opening_hours().is_open(self.ctx.now)
    }

    /// When the mairie opens next, in words ("aujourd'hui lundi à 13 heures 30").
    pub fn next_opening_words(&self) -> Option<String> {
        next_opening_in_words(self.kb().opening_hours(), self.ctx.now)
    }

    /// The fiche a handoff is about: the one given, else the topic being discussed.
    fn handoff_topic(&self, fiche: Option<&Fiche>) -> Option<String> {
        fiche
            .map(|fiche| fiche.id.clone())
            .or_else(|| self.session.last_fiche.clone())
            .or_else(|| match &self.session.pending {
                crate::session::Pending::Clarify { fiche }
                | crate::session::Pending::Confirm { fiche } => Some(fiche.clone()),
                _ => None,
            })
    }

    fn ticket(&self, kind: TicketKind, fiche: Option<&str>, reason: &str) -> TicketDraft {
        let topic = fiche
            .and_then(|id| self.fiche(id))
            .map(|fiche| fiche.title.clone())
            .unwrap_or_else(|| "Demande non comprise".to_owned());
        TicketDraft {
            kind,
            caller: self.session.from.clone(),
            channel: self.session.channel,
            fiche: fiche.map(str::to_owned),
            topic,
            summary: tickets::summary(&self.session, &self.inbound.text, reason),
            partner: None,
            reference: None,
        }
    }

    /// Hands the caller to a human: `transfer` (voice, mairie open) with a ticket holding the
    /// context, else `callback` with a ticket (unless the number is withheld).
    pub fn hand_off(
        &mut self,
        rule: &str,
        reason: &str,
        fiche: Option<&Fiche>,
        after: AfterCallback,
    ) {
        let topic = self.handoff_topic(fiche);
        self.hand_off_on(rule, reason, fiche, topic, after);
    }

    /// [`Self::hand_off`] for a request the robot did not understand: the ticket names no
    /// topic (not even the one answered earlier in the call), only the caller's words.
    pub fn hand_off_not_understood(&mut self, rule: &str, reason: &str) {
        self.hand_off_on(rule, reason, None, None, AfterCallback::Continue);
    }

    fn hand_off_on(
        &mut self,
        rule: &str,
        reason: &str,
        fiche: Option<&Fiche>,
        topic: Option<String>,
        after: AfterCallback,
    ) {
        self.session.misunderstandings = 0;
        let decision_fiche = fiche.map(|fiche| fiche.id.as_str());
        if self.is_voice() && self.mairie_is_open() {
            let ticket = self.ticket(TicketKind::Transfer, topic.as_deref(), reason);
            self.say("Je vous mets en relation avec un agent de la mairie. Ne quittez pas.");
            self.actions.push(Action::CreateTicket(ticket));
            self.actions.push(Action::Transfer {
                number: self.kb().commune().transfer_number.clone(),
            });
            self.decide(DecisionAction::Transfer, rule, decision_fiche);
            self.note(format!("transfert vers un agent ({reason})"));
            self.session.pending = crate::session::Pending::Nothing;
            self.session.ended = true;
            return;
        }
        self.decide(DecisionAction::Callback, rule, decision_fiche);
        let open = self.mairie_is_open();
        let when = self.next_opening_words();
        if !open {
            match &when {
                Some(when) => self.say(format!(
                    "La mairie est fermée pour le moment. Elle ouvrira {when}."
                )),
                None => self.say("La mairie est fermée pour le moment."),
            }
        }
        if is_withheld(&self.session.from) {
            let again = match (&when, open) {
                (Some(when), false) => format!("rappeler la mairie {when}"),
                _ => "rappeler la mairie pendant ses heures d'ouverture".to_owned(),
            };
            self.say(format!("Votre numéro est masqué : je ne peux pas vous faire rappeler. Je vous invite à {again}."));
            self.note(format!("rappel impossible, numéro masqué ({reason})"));
        } else {
            let ticket = self.ticket(TicketKind::Callback, topic.as_deref(), reason);
            self.actions.push(Action::CreateTicket(ticket));
            let how = if self.session.channel == Channel::Voice {
                "vous rappellera à ce numéro"
            } else {
                "vous répondra à ce numéro"
            };
            let delay = if open {
                "dès que possible"
            } else {
                "dès l'ouverture"
            };
            self.say(format!(
                "J'ai noté votre demande : un agent de la mairie {how} {delay}."
            ));
            self.note(format!("demande de rappel créée ({reason})"));
        }
        match after {
            AfterCallback::Continue => self.ask_anything_else(),
            AfterCallback::HangUp => self.hang_up(),
        }
    }
}
