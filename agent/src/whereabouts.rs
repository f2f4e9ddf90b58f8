//! "Où est la mairie ?": the first thing a newcomer asks, in words the search cannot read. Its
//! only content word, « mairie », is in every fiche, and « où » folds into the « ou » of "or";
//! « la mairie c'est dans quelle rue », « vous êtes situés où » were not understood. When the
//! caller asks where the mairie is and names no other topic for sure, the robot answers from the
//! commune's own fiche about its address (found by asking the folder that question), else from
//! `address` in `commune.toml`, which the commune-in-a-day import fills from the Annuaire.

use std::sync::LazyLock;

use guichet_knowledge::Competence;

use crate::intents::{Lexicon, words};
use crate::policy::Verdict;
use crate::speech::speakable;
use crate::turn::TurnInProgress;
use crate::types::DecisionAction;

/// The decision rule of an answer to "where is the mairie".
const RULE: &str = "mairie_address";

/// How the folder is asked for the commune's fiche about its address.
const ADDRESS_QUESTION: &str = "quelle est l'adresse de la mairie";

/// Asking where: « où » once folded reads « ou », so it counts only where "or" cannot stand
/// (« c'est où », « où est… »). Not « où sont »: after a noun it is a relative (« le livret où
/// sont notés les enfants »).
static WHERE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "c'est où",
        "c où",
        "est où",
        "êtes où",
        "se trouve où",
        "où est",
        "où êtes-vous",
        "où vous êtes",
        "où se trouve",
        "où se situe",
        "où ça",
        "quelle rue",
        "quelle adresse",
        "quel numéro",
        "quelle direction",
        "quel endroit",
        "quel quartier",
        "votre adresse",
        "l'adresse",
        "situé",
        "situés",
        "située",
        "se trouve",
        "se situe",
        "trouver la mairie",
        "trouver l'hôtel de ville",
        "comment venir",
        "comment aller",
        "comment on vient",
        "comment on va",
        "comment y aller",
        "le chemin",
    ])
});

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
        "chez vous",
    ])
});

/// Does the (normalised) message ask where the mairie is?
pub fn asks_where_the_mairie_is(normalized: &str) -> bool {
    let words = words(normalized);
    WHERE.found_in(&words) && MAIRIE.found_in(&words)
}

impl TurnInProgress<'_> {
    /// The caller asks where the mairie is, and their other words name no topic for sure
    /// (« la mairie c'est où pour les cartes d'identité » is about the identity card).
    pub fn asks_only_where_the_mairie_is(&self) -> bool {
        if !asks_where_the_mairie_is(&self.text) {
            return false;
        }
        let rest = WHERE.removed_from(&MAIRIE.removed_from(&self.text));
        let hits = self.kb().search(&rest);
        !hits.first().is_some_and(|hit| self.sure(hit.confidence))
    }

    /// A confidence the robot answers on (the margin aside).
    fn sure(&self, confidence: f32) -> bool {
        self.policy.verdict(confidence, f32::INFINITY, None) == Verdict::Answer
    }

    /// Answers where the mairie is, if the commune says it: its own fiche about its address (a
    /// national one that speaks of addresses, the registration certificate's, is not), else
    /// the address of `commune.toml` (said, and texted to a mobile). False when it says neither.
    pub fn mairie_whereabouts(&mut self) -> bool {
        let hits = self.kb().search(ADDRESS_QUESTION);
        if let Some(hit) = hits.first().filter(|hit| self.sure(hit.confidence))
            && let Some(fiche) = self.fiche(&hit.fiche_id)
            && fiche.competence == Competence::Commune
        {
            self.decision.confidence = Some(hit.confidence);
            self.decision.margin = None;
            self.handle_fiche(fiche, RULE);
            return true;
        }
        let commune = self.kb().commune();
        let Some(address) = &commune.address else {
            return false;
        };
        let name = &commune.name;
        self.decide(DecisionAction::Answer, RULE, None);
        self.decision.confidence = None;
        self.decision.margin = None;
        self.note("adresse de la mairie donnée");
        let sentence = format!("La mairie de {name} se trouve à l'adresse suivante : {address}.");
        if self.is_text_channel() {
            self.say(sentence);
        } else {
            self.say(speakable(&sentence));
            if self.can_text() {
                self.send_sms(format!("Mairie de {name} : {address}"));
                self.say("Je vous envoie l'adresse par SMS.");
            }
        }
        self.ask_anything_else();
        true
    }
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    fn asks(text: &str) -> bool {
        asks_where_the_mairie_is(&normalize(text))
    }

    #[test]
    fn where_questions_about_the_mairie() {
        for text in [
            "où est la mairie",
            "la mairie elle est où",
            "c'est où la mairie",
            "vous êtes où exactement",
            "la mairie c'est dans quelle rue",
            "vous êtes situés où",
            "je vois pas où est votre bâtiment",
            "comment on vient à l'hôtel de ville depuis la gare",
            "OÙ SE TROUVE LA MAIRIE ?",
        ] {
            assert!(asks(text), "{text}");
        }
    }

    #[test]
    fn other_questions_are_not() {
        for text in [
            "la mairie ou la préfecture pour ma carte grise",
            "vous êtes ouverts samedi",
            "où est-ce que je peux faire ma carte d'identité",
            "je cherche la rue des lilas",
            "mon ex est partie avec le livret où sont notés les enfants, la mairie peut en refaire un",
            "c'est où la déchetterie",
            "mon chien est perdu",
        ] {
            assert!(!asks(text), "{text}");
        }
    }
}
