//! The robot's own answers: a commune fiche (`answer`), another body's fiche (`deflect`, with a
//! concrete next step), and a report filed for the caller (`report`).

use guichet_knowledge::{Competence, Fiche, HandoffPolicy};

use crate::session::Pending;
use crate::speech::{phone_in_words, site_in_words, speakable, spelled};
use crate::tickets;
use crate::turn::Turn;
use crate::types::{Action, DecisionAction, TicketDraft, TicketKind};

/// "Souhaitez-vous parler à un agent ?"
pub const HUMAN_OFFER: &str = "Souhaitez-vous parler à un agent ?";

impl Turn<'_> {
    /// Answers a commune fiche: spoken prose, the link by SMS to a mobile, where to find it for
    /// a landline (and a human offered), the link in the text on the SMS/chat channel.
    pub fn answer(&mut self, fiche: &Fiche, rule: &str) {
        self.decide(DecisionAction::Answer, rule, Some(&fiche.id));
        self.mark_resolved(fiche);
        self.note(format!("réponse donnée ({})", fiche.title));
        if self.is_text_channel() {
            self.say(fiche.answer.trim());
            if let Some(link) = &fiche.link {
                self.say(format!("Plus d'informations : {link}"));
            }
            self.ask_anything_else();
            return;
        }
        self.say(fiche.spoken_answer(speakable));
        let has_link = fiche.link.is_some() || fiche.sms.is_some();
        if self.can_text() {
            if let Some(text) = self.fiche_sms(fiche).filter(|_| has_link) {
                self.send_sms(text);
                self.say("Je vous envoie le lien par SMS.");
            }
            self.ask_anything_else();
            return;
        }
        // Landline or unknown line: no SMS; say where to find it and offer a human.
        match &fiche.link {
            Some(link) => self.say(format!(
                "Vous trouverez ces informations sur le site {}, ou à l'accueil de la mairie.",
                site_in_words(link)
            )),
            None => self.say("Vous pouvez aussi vous renseigner à l'accueil de la mairie."),
        }
        if fiche.handoff == HandoffPolicy::Never {
            self.ask_anything_else();
        } else {
            self.say(HUMAN_OFFER);
            self.session.pending = Pending::HumanOffer {
                fiche: Some(fiche.id.clone()),
            };
        }
    }

    /// Redirects to the body in charge: who, how to reach them, the link, then a concrete next
    /// step: filing the report for the caller when the body accepts reports, else a human.
    pub fn deflect(&mut self, fiche: &Fiche, rule: &str) {
        self.decide(DecisionAction::Deflect, rule, Some(&fiche.id));
        self.mark_resolved(fiche);
        let partner = self.kb().partner_of(fiche);
        let partner_name = partner
            .map(|partner| partner.name.clone())
            .unwrap_or_else(|| competence_name(fiche.competence).to_owned());
        self.note(format!("redirigé vers {partner_name} ({})", fiche.title));
        let text_channel = self.is_text_channel();
        self.say(if text_channel {
            fiche.answer.trim().to_owned()
        } else {
            fiche.spoken_answer(speakable).to_owned()
        });
        if let Some(partner) = partner {
            let mut ways = Vec::new();
            if let Some(phone) = &partner.phone {
                ways.push(format!("par téléphone au {}", phone_in_words(phone)));
            }
            if let Some(site) = partner.website.as_deref() {
                ways.push(if text_channel {
                    format!("sur {site}")
                } else {
                    format!("sur le site {}", site_in_words(site))
                });
            }
            if !ways.is_empty() {
                self.say(format!(
                    "Vous pouvez joindre {} {}.",
                    partner.name,
                    ways.join(", ou ")
                ));
            }
        }
        if text_channel {
            if let Some(link) = &fiche.link {
                self.say(format!("Plus d'informations : {link}"));
            }
        } else if self.can_text()
            && (fiche.link.is_some() || fiche.sms.is_some())
            && let Some(text) = self.fiche_sms(fiche)
        {
            self.send_sms(text);
            self.say("Je vous envoie le lien par SMS.");
        }
        match partner.filter(|partner| partner.accepts_reports()) {
            Some(partner) => {
                self.say(format!(
                    "Voulez-vous que je transmette votre signalement à {} ?",
                    partner.name
                ));
                self.session.pending = Pending::ReportOffer {
                    fiche: fiche.id.clone(),
                    partner: partner.key.clone(),
                };
            }
            None => {
                self.say("Souhaitez-vous parler à un agent de la mairie ?");
                self.session.pending = Pending::HumanOffer {
                    fiche: Some(fiche.id.clone()),
                };
            }
        }
    }

    /// Files a report to the partner for the caller: a `report` ticket with a reference, sent
    /// by SMS to a mobile, spelled out otherwise.
    pub fn file_report(&mut self, fiche: &Fiche, partner_key: &str) {
        self.decide(DecisionAction::Report, "report_accepted", Some(&fiche.id));
        let partner_name = self
            .kb()
            .partner(partner_key)
            .map(|partner| partner.name.clone())
            .unwrap_or_else(|| partner_key.to_owned());
        let reference = tickets::report_reference(&self.session.conversation_id, self.session.turn);
        let ticket = TicketDraft {
            kind: TicketKind::Report,
            caller: self.session.from.clone(),
            channel: self.session.channel,
            fiche: Some(fiche.id.clone()),
            topic: fiche.title.clone(),
            summary: tickets::summary(
                &self.session,
                &self.inbound.text,
                &format!("signalement à transmettre à {partner_name}"),
            ),
            partner: Some(partner_key.to_owned()),
            reference: Some(reference.clone()),
        };
        self.actions.push(Action::CreateTicket(ticket));
        self.session.resolved = true;
        self.note(format!(
            "signalement {reference} transmis à {partner_name} ({})",
            fiche.title
        ));
        self.say(format!(
            "C'est noté : je transmets votre signalement à {partner_name}."
        ));
        if self.is_text_channel() {
            self.say(format!("Votre référence : {reference}."));
        } else if self.can_text() {
            let text = self.report_sms(fiche, &partner_name, &reference);
            self.send_sms(text);
            self.say("Je vous envoie sa référence par SMS.");
        } else {
            self.say(format!("Notez sa référence : {}.", spelled(&reference)));
        }
        self.ask_anything_else();
    }

    /// Says what a fiche needs: clarify, deflect, answer, or a human for `handoff: always`.
    pub fn handle_fiche(&mut self, fiche: &Fiche, rule: &str) {
        self.session.misunderstandings = 0;
        if fiche.handoff == HandoffPolicy::Always {
            self.session.add_topic(&fiche.id);
            let reason = format!("sujet traité par un agent ({})", fiche.title);
            self.hand_off(
                "fiche_handoff_always",
                &reason,
                Some(fiche),
                crate::handoff::AfterCallback::Continue,
            );
            return;
        }
        if let Some(clarify) = &fiche.clarify {
            match crate::clarify::option_for(clarify, &self.text)
                .and_then(|option| self.fiche(&option.goto))
            {
                Some(target) if target.id != fiche.id => {
                    self.handle_fiche(target, "clarify_option_in_request");
                }
                _ => self.ask_clarify(fiche, clarify, rule),
            }
            return;
        }
        if fiche.competence == Competence::Commune {
            self.answer(fiche, rule);
        } else {
            self.deflect(fiche, rule);
        }
    }

    fn mark_resolved(&mut self, fiche: &Fiche) {
        self.session.resolved = true;
        self.session.last_fiche = Some(fiche.id.clone());
        self.session.add_topic(&fiche.id);
    }
}

/// The body in charge, when `commune.toml` does not define the fiche's partner.
fn competence_name(competence: Competence) -> &'static str {
    match competence {
        Competence::Commune => "la mairie",
        Competence::Agglomeration => "la communauté d'agglomération",
        Competence::Departement => "le département",
        Competence::Region => "la région",
        Competence::Etat => "les services de l'État",
        Competence::Autre => "l'organisme compétent",
    }
}
