//! The robot's own answers: a commune fiche (`answer`), another body's fiche (`deflect`, with a
//! concrete next step: a report offered, see [`crate::report`], or a human), and a matter of
//! no public service (`competence: aucune`).

use guichet_knowledge::{Competence, Fiche, HandoffPolicy, Partner, names};
use guichet_phone::display_number;

use crate::mairie::sms_line;
use crate::session::Pending;
use crate::speech::{gives_number, phone_in_words, site_in_words, speakable};
use crate::turn::TurnInProgress;
use crate::types::{Action, DecisionAction};

/// The decision rule of a request no public service handles (`competence: aucune`).
pub const OUTSIDE_PUBLIC_SERVICE: &str = "outside_public_service";

/// "Souhaitez-vous parler à un agent ?"
pub const HUMAN_OFFER: &str = "Souhaitez-vous parler à un agent ?";

impl TurnInProgress<'_> {
    /// Answers a commune fiche: spoken prose, the link by SMS to a mobile, where to find it for
    /// a landline (and a human offered), the link in the text on the SMS/chat channel.
    pub fn answer(&mut self, fiche: &Fiche, rule: &str) {
        self.decide(DecisionAction::Answer, rule, Some(&fiche.id));
        self.mark_resolved(fiche);
        self.note(format!("réponse donnée ({})", fiche.title));
        let text_channel = self.is_text_channel();
        self.say_answer_of(fiche);
        // A service of the commune with its own office (the CCAS): how to reach it.
        let details = match self.kb().partner_of(fiche) {
            Some(partner) => self.say_how_to_reach(fiche, partner),
            None => Vec::new(),
        };
        if text_channel {
            self.write_link(fiche);
            self.ask_anything_else();
            return;
        }
        let has_link = fiche.link.is_some() || fiche.sms.is_some();
        if self.can_text() {
            let link = self.fiche_sms(fiche).filter(|_| has_link);
            self.text_link_and(link, details);
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
            .map(|partner| names::with_article(&partner.name).into_owned())
            .unwrap_or_else(|| competence_name(fiche.competence).to_owned());
        self.note(format!("redirigé vers {partner_name} ({})", fiche.title));
        let text_channel = self.is_text_channel();
        self.say_answer_of(fiche);
        let details = match partner {
            Some(partner) => self.say_how_to_reach(fiche, partner),
            None => Vec::new(),
        };
        if text_channel {
            self.write_link(fiche);
        } else if self.can_text() {
            let link = self.fiche_sms(fiche);
            self.text_link_and(link, details);
        }
        match partner.filter(|partner| partner.accepts_reports()) {
            Some(partner) => {
                self.say(format!(
                    "Voulez-vous que je transmette votre signalement {} ?",
                    names::to(&partner.name)
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

    /// After a deflection to a line for a person in danger, another such line nearly as likely
    /// (`fiche`): « Vous pouvez aussi appeler Violences femmes info au 39 19. », said before
    /// the closing question and added to the SMS. A caller in danger may be either line's:
    /// both numbers cost less than the wrong one alone.
    pub fn also_give_line(&mut self, fiche: &Fiche) {
        let Some(partner) = self.kb().partner_of(fiche) else {
            return;
        };
        let Some(phone) = &partner.phone else {
            return;
        };
        if self.decision.action != DecisionAction::Deflect
            || gives_number(&self.say.join(" "), phone)
        {
            return;
        }
        let sentence = format!(
            "Vous pouvez aussi appeler {} au {}.",
            names::with_article(&partner.name),
            phone_in_words(phone)
        );
        let closing = self.say.len().saturating_sub(1);
        self.say.insert(closing, sentence);
        if let Some(Action::SendSms { text, .. }) = self
            .actions
            .iter_mut()
            .rev()
            .find(|action| matches!(action, Action::SendSms { .. }))
            && let Some(line) = sms_line(&partner.name, vec![display_number(phone)])
        {
            text.push_str(&format!(" ; {line}"));
        }
        self.note = format!("{}, et {}", self.note, partner.name);
    }

    /// Says what a fiche needs: clarify, deflect, answer, or a human for `handoff: always`.
    pub fn handle_fiche(&mut self, fiche: &Fiche, rule: &str) {
        // Understood: the count of misunderstandings starts again, except for a matter the
        // mairie has no answer to (see `outside_public_service`).
        if fiche.competence.is_public() {
            self.session.misunderstandings = 0;
        }
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
        match fiche.competence {
            Competence::Commune => self.answer(fiche, rule),
            Competence::Aucune => self.outside_public_service(fiche),
            _ => self.deflect(fiche, rule),
        }
    }

    /// Says a fiche's answer: as written on a text channel, its spoken form on the phone.
    fn say_answer_of(&mut self, fiche: &Fiche) {
        self.say(if self.is_text_channel() {
            fiche.answer.trim().to_owned()
        } else {
            fiche.spoken_answer(speakable).to_owned()
        });
    }

    /// Says how to reach `partner`: its number, unless `fiche`'s answer has just given it, and
    /// its site; then its office's address or hours when the caller asked for them. Returns
    /// what the SMS adds to the fiche's, as one line: the partner's number unless that SMS
    /// gives it (a caller should not have to remember a number heard once), its site when that
    /// SMS has no link, then those details.
    fn say_how_to_reach(&mut self, fiche: &Fiche, partner: &Partner) -> Vec<String> {
        let text_channel = self.is_text_channel();
        let mut ways = Vec::new();
        if let Some(phone) = (partner.phone.as_deref()).filter(|p| !gives_number(&fiche.answer, p))
        {
            ways.push(format!("par téléphone au {}", phone_in_words(phone)));
        }
        // On a text channel the fiche's link follows: the same site is not written twice.
        let written_next = |site: &str| {
            text_channel
                && fiche
                    .link
                    .as_deref()
                    .is_some_and(|link| same_site(link, site))
        };
        if let Some(site) = partner
            .website
            .as_deref()
            .filter(|site| !written_next(site))
        {
            ways.push(if text_channel {
                format!("sur {site}")
            } else {
                format!("sur le site {}", site_in_words(site))
            });
        }
        if !ways.is_empty() {
            self.say(format!(
                "Vous pouvez joindre {} {}.",
                names::with_article(&partner.name),
                ways.join(", ou ")
            ));
        }
        let details = self.office_details(partner);
        for detail in details.said {
            self.say(if text_channel {
                detail
            } else {
                speakable(&detail)
            });
        }
        let texted = self.fiche_sms(fiche).unwrap_or_default();
        let phone = (partner.phone.as_deref()).filter(|phone| !gives_number(&texted, phone));
        // The fiche's link is texted anyway: the partner's site only when it gives none.
        let site = (partner.website.as_deref()).filter(|_| !texted.contains("http"));
        let mut written: Vec<String> = phone.map(display_number).into_iter().collect();
        written.extend(site.map(str::to_owned));
        written.extend(details.written);
        sms_line(&partner.name, written).into_iter().collect()
    }

    /// On a text channel, the fiche's link after its answer.
    fn write_link(&mut self, fiche: &Fiche) {
        if let Some(link) = &fiche.link {
            self.say(format!("Plus d'informations : {link}"));
        }
    }

    /// Texts the fiche's link, then `details` (an office's address or hours), in one SMS.
    fn text_link_and(&mut self, link: Option<String>, details: Vec<String>) {
        let texted = if details.is_empty() {
            "Je vous envoie le lien par SMS."
        } else {
            "Je vous envoie ces informations par SMS."
        };
        let text: Vec<String> = link.into_iter().chain(details).collect();
        if !text.is_empty() {
            self.send_sms(text.join(" ; "));
            self.say(texted);
        }
    }

    /// A request no public service handles (the caller's bank, operator, employer; the
    /// weather): says so and what the caller can do, then "autre chose ?". Not an answer of the
    /// mairie: the decision is a fallback that commits to no fiche (the fiche is kept in the
    /// trace for the statistics), and the conversation is not counted as resolved. It counts
    /// as a turn the mairie could not settle: a second one in a row (or a request not
    /// understood next) goes to a human, as two misunderstandings do.
    fn outside_public_service(&mut self, fiche: &Fiche) {
        self.session.misunderstandings = self.session.misunderstandings.saturating_add(1);
        if self.session.misunderstandings >= 2 {
            return self.hand_off_not_understood(
                "two_misunderstandings",
                &format!(
                    "deuxième demande sans réponse de la mairie ({})",
                    fiche.title
                ),
            );
        }
        self.decide(
            DecisionAction::Fallback,
            OUTSIDE_PUBLIC_SERVICE,
            Some(&fiche.id),
        );
        self.session.add_topic(&fiche.id);
        self.note(format!("demande hors service public ({})", fiche.title));
        if self.is_text_channel() {
            self.say(fiche.answer.trim());
            self.write_link(fiche);
        } else {
            self.say(fiche.spoken_answer(speakable));
            if self.can_text()
                && fiche.link.is_some()
                && let Some(text) = self.fiche_sms(fiche)
            {
                self.send_sms(text);
                self.say("Je vous envoie le lien par SMS.");
            }
        }
        self.ask_anything_else();
    }

    fn mark_resolved(&mut self, fiche: &Fiche) {
        self.session.resolved = true;
        self.session.last_fiche = Some(fiche.id.clone());
        self.session.add_topic(&fiche.id);
    }
}

/// Two addresses of one page (« https://3114.fr » and « https://3114.fr/ », the host in any
/// case), as the `url` crate normalises them; written alike when either does not parse.
fn same_site(a: &str, b: &str) -> bool {
    match (url::Url::parse(a.trim()), url::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
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
        Competence::Aucune => "l'organisme concerné",
    }
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn one_page_whatever_its_trailing_slash_or_host_case() {
        assert!(same_site("https://3114.fr", "https://3114.fr/"));
        assert!(same_site("https://WWW.ameli.fr", "https://www.ameli.fr"));
        assert!(!same_site(
            "https://ants.gouv.fr",
            "https://immatriculation.ants.gouv.fr"
        ));
        assert!(!same_site("https://x.fr/Aide", "https://x.fr/aide"));
    }
}
