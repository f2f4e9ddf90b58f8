//! A report passed on for the caller (fly-tipping, a broken street light…): where it is first,
//! then a `report` ticket with a reference. The robot says it transmits the report only when a
//! notification route of the service really delivers the partner's reports
//! ([`crate::Context::report_channels`]); otherwise the ticket waits at the mairie « à
//! transmettre » and the caller is told that an agent will pass it on.

use guichet_knowledge::{Fiche, names};

use crate::place::names_a_place;
use crate::session::Pending;
use crate::speech::spelled;
use crate::tickets;
use crate::turn::TurnInProgress;
use crate::types::{Action, DecisionAction, TicketDraft, TicketKind};

/// The question for the place of a report.
pub const WHERE_QUESTION: &str = "Pour qu'il puisse être traité, à quelle adresse exactement se trouve le problème ? \
     Donnez le nom de la rue, avec un numéro ou un repère.";

impl TurnInProgress<'_> {
    /// "Oui" to "voulez-vous que je transmette votre signalement ?": the report is filed when
    /// the caller already said where; else the robot asks.
    pub fn accept_report(&mut self, fiche: &Fiche, partner: &str) {
        let said_where = names_a_place(&self.inbound.text)
            || self
                .session
                .history
                .iter()
                .any(|exchange| names_a_place(&exchange.caller));
        if said_where {
            return self.file_report(fiche, partner, None);
        }
        self.decide(
            DecisionAction::Clarify,
            "report_place_asked",
            Some(&fiche.id),
        );
        self.note("adresse du signalement demandée");
        self.say(WHERE_QUESTION);
        self.session.pending = Pending::ReportPlace {
            fiche: fiche.id.clone(),
            partner: partner.to_owned(),
        };
    }

    /// The reply to the place question: the place, whatever its words ("je ne sais pas" is
    /// kept as it is: the partner reads what the caller could say).
    pub fn report_place_reply(&mut self, fiche_id: &str, partner: &str) {
        match self.fiche(fiche_id) {
            Some(fiche) => {
                let place = self.inbound.text.trim().to_owned();
                self.file_report(fiche, partner, Some(&place));
            }
            None => self.request(None),
        }
    }

    /// Files the report: a `report` ticket with a reference, sent by SMS to a mobile, spelled
    /// out otherwise.
    fn file_report(&mut self, fiche: &Fiche, partner_key: &str, place: Option<&str>) {
        self.decide(DecisionAction::Report, "report_accepted", Some(&fiche.id));
        let partner_name = self
            .kb()
            .partner(partner_key)
            .map_or_else(|| partner_key.to_owned(), |partner| partner.name.clone());
        let to_partner = names::to(&partner_name);
        let delivered = self
            .ctx
            .report_channels
            .iter()
            .any(|channel| channel == partner_key);
        let reference = tickets::report_reference(&self.session.conversation_id, self.session.turn);
        let mut reason = if delivered {
            format!("signalement transmis {to_partner}")
        } else {
            format!("signalement à transmettre {to_partner} (aucun envoi automatique configuré)")
        };
        if let Some(place) = place {
            reason.push_str(&format!(" ; lieu indiqué : « {place} »"));
        }
        self.actions.push(Action::CreateTicket(TicketDraft {
            kind: TicketKind::Report,
            caller: self.session.from.clone(),
            channel: self.session.channel,
            fiche: Some(fiche.id.clone()),
            topic: fiche.title.clone(),
            summary: tickets::summary(&self.session, &self.inbound.text, &reason),
            partner: Some(partner_key.to_owned()),
            reference: Some(reference.clone()),
        }));
        self.session.resolved = true;
        self.note(format!(
            "signalement {reference} : {reason} ({})",
            fiche.title
        ));
        self.say(if delivered {
            format!("C'est noté : je transmets votre signalement {to_partner}.")
        } else {
            format!(
                "C'est noté : j'enregistre votre signalement, et un agent de la mairie le transmettra {to_partner}."
            )
        });
        if self.is_text_channel() {
            self.say(format!("Votre référence : {reference}."));
        } else if self.can_text() {
            let text = self.report_sms(fiche, &to_partner, &reference, delivered);
            self.send_sms(text);
            self.say("Je vous envoie sa référence par SMS.");
        } else {
            self.say(format!("Notez sa référence : {}.", spelled(&reference)));
        }
        self.ask_anything_else();
    }
}
