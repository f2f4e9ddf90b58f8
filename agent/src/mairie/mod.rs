//! Questions about the mairie itself, in words the search cannot read: « mairie » is in every
//! fiche, « où » folds into the « ou » of "or", and « ouvert », « horaires » are in many
//! fiches. Where it is (`whereabouts`) and when it is open (`opening`) are answered from the
//! commune's own fiche when it has one, else from `commune.toml` (`address`, `opening_hours`),
//! which the commune-in-a-day import fills from the Annuaire: a new commune answers both from
//! its first day. Either rule stands aside when the whole message is understood for sure and
//! its other words (the question's taken out) still name a topic for sure: « la mairie c'est où
//! pour les cartes d'identité » is about the identity card. It answers when the question's own
//! words misled the search (« rue » found the lost objects), and when the other words are an
//! aside the whole message is not sure of (« vous fermez à quelle heure, je finis le travail à
//! 17 heures »).

mod opening;
mod places;
mod whereabouts;

pub(crate) use places::sms_line;

use std::sync::LazyLock;

use guichet_knowledge::{Competence, Fiche};

use crate::intents::{Lexicon, words};
use crate::policy::Verdict;
use crate::speech::speakable;
use crate::turn::TurnInProgress;
use crate::types::DecisionAction;

/// The mairie itself, named or spoken to.
static MAIRIE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "mairie",
        "hôtel de ville",
        "vous êtes",
        "êtes-vous",
        "vos bureaux",
        "vos locaux",
        "votre bâtiment",
        "votre accueil",
        "à l'accueil",
        "chez vous",
        "vous ouvrez",
        "vous fermez",
        "ouvrez-vous",
        "fermez-vous",
        "vos horaires",
        "vos heures",
    ])
});

/// Does the (normalised) message ask `question` (a lexicon) of the mairie?
fn asks_of_the_mairie(question: &Lexicon, normalized: &str) -> bool {
    let words = words(normalized);
    question.found_in(&words) && MAIRIE.found_in(&words)
}

impl<'a> TurnInProgress<'a> {
    /// The commune's own fiche that `question` finds for sure, and its confidence: a national
    /// fiche that speaks of the same words is not the mairie's, nor is the fiche of a service
    /// with its own office, the CCAS (« l'aide de la mairie » is not where the mairie is).
    fn commune_fiche(&self, question: &'static str) -> Option<(&'a Fiche, f32)> {
        let hits = self.kb().search_fixed(question);
        let hit = hits.first().filter(|hit| self.sure(hit.confidence))?;
        let fiche = self
            .fiche(&hit.fiche_id)
            .filter(|fiche| fiche.competence == Competence::Commune && fiche.partner.is_none())?;
        Some((fiche, hit.confidence))
    }

    /// Answers a question about the mairie itself (where it is, when it is open) that is not
    /// about another topic (`understood`: the search is sure of the whole message). False when
    /// the message is not one, or the commune says nothing of it: the turn goes on as usual.
    pub fn answers_about_the_mairie(&mut self, understood: bool) -> bool {
        if let Some(answered) = self.answers_about_a_site(understood) {
            return answered;
        }
        (self.asks_only_about_the_mairie(
            &whereabouts::WHERE,
            whereabouts::ADDRESS_QUESTION,
            understood,
        ) && self.mairie_whereabouts())
            || ((self.asks_only_about_the_mairie(
                &opening::WHEN,
                opening::HOURS_QUESTION,
                understood,
            ) || opening::asks_only_when_open(&self.text))
                && self.mairie_opening_hours())
    }

    /// The message asks `question` (a lexicon) of the mairie, and is not about another topic:
    /// the search is not sure of the whole message (`understood`), or not of its other words
    /// (the lexicons' phrases taken out), or those words are also a reading of the commune's
    /// own fiche on the matter (`own_question` finds it): « vous êtes où, je viens en fauteuil
    /// roulant » asks for the mairie's access, which its address fiche gives, not for the MDPH.
    fn asks_only_about_the_mairie(
        &self,
        question: &Lexicon,
        own_question: &'static str,
        understood: bool,
    ) -> bool {
        if !asks_of_the_mairie(question, &self.text) {
            return false;
        }
        if !understood {
            return true;
        }
        let rest = question.removed_from(&MAIRIE.removed_from(&self.text));
        let hits = self.kb().search(&rest);
        if !hits.first().is_some_and(|hit| self.sure(hit.confidence)) {
            return true;
        }
        self.commune_fiche(own_question).is_some_and(|(own, _)| {
            hits.iter()
                .any(|hit| hit.fiche_id == own.id && self.plausible(hit.confidence))
        })
    }

    /// Whether the search names a topic in `text` for sure.
    fn sure_of_a_topic(&self, text: &str) -> bool {
        self.kb()
            .search(text)
            .first()
            .is_some_and(|hit| self.sure(hit.confidence))
    }

    /// A confidence the robot answers on (the margin aside).
    fn sure(&self, confidence: f32) -> bool {
        self.policy.verdict(confidence, f32::INFINITY, None) == Verdict::Answer
    }

    /// A confidence the robot would at least ask about (a reading of the message, if unsure).
    fn plausible(&self, confidence: f32) -> bool {
        self.policy.verdict(confidence, f32::INFINITY, None) != Verdict::NotUnderstood
    }

    /// Answers with the commune's own fiche that `question` finds (see [`Self::commune_fiche`]),
    /// if there is one. The decision is traced as `rule`.
    fn commune_fiche_answers(&mut self, question: &'static str, rule: &'static str) -> bool {
        let Some((fiche, confidence)) = self.commune_fiche(question) else {
            return false;
        };
        self.decision.confidence = Some(confidence);
        self.decision.margin = None;
        self.handle_fiche(fiche, rule);
        true
    }

    /// Answers from `commune.toml` (traced as `rule`, with no confidence: no search chose it):
    /// says `sentence`, texts `sms` to a caller on a mobile (and says so with `texted`), then
    /// asks whether there is anything else.
    fn answer_from_commune_toml(
        &mut self,
        rule: &'static str,
        note: &str,
        sentence: String,
        sms: String,
        texted: &str,
    ) {
        self.decide(DecisionAction::Answer, rule, None);
        self.decision.confidence = None;
        self.decision.margin = None;
        self.note(note);
        if self.is_text_channel() {
            self.say(sentence);
        } else {
            self.say(speakable(&sentence));
            if self.can_text() && !sms.is_empty() {
                self.send_sms(sms);
                self.say(texted);
            }
        }
        self.ask_anything_else();
    }
}
