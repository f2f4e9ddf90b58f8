//! "Où est la mairie ?": the first thing a newcomer asks. « la mairie c'est dans quelle rue »,
//! « vous êtes situés où » are answered from the commune's own fiche about its address (found
//! by asking the folder that question), else from `address` in `commune.toml`.

use std::sync::LazyLock;

use crate::intents::Lexicon;
use crate::turn::TurnInProgress;

/// The decision rule of an answer to "where is the mairie".
const RULE: &str = "mairie_address";

/// How the folder is asked for the commune's fiche about its address.
pub(super) const ADDRESS_QUESTION: &str = "quelle est l'adresse de la mairie";

/// Asking where: « où » once folded reads « ou », so it counts only where "or" cannot stand
/// (« c'est où », « où est… »). Not « où sont »: after a noun it is a relative (« le livret où
/// sont notés les enfants »).
pub(super) static WHERE: LazyLock<Lexicon> = LazyLock::new(|| {
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

impl TurnInProgress<'_> {
    /// Answers where the mairie is, if the commune says it: its own fiche about its address (a
    /// national one that speaks of addresses, the registration certificate's, is not), else
    /// the address of `commune.toml` (said, and texted to a mobile). False when it says neither.
    pub fn mairie_whereabouts(&mut self) -> bool {
        if self.commune_fiche_answers(ADDRESS_QUESTION, RULE) {
            return true;
        }
        let commune = self.kb().commune();
        let Some(address) = &commune.address else {
            return false;
        };
        let name = &commune.name;
        self.answer_from_commune_toml(
            RULE,
            "adresse de la mairie donnée",
            format!("La mairie de {name} se trouve à l'adresse suivante : {address}."),
            format!("Mairie de {name} : {address}"),
            "Je vous envoie l'adresse par SMS.",
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    fn asks(text: &str) -> bool {
        crate::mairie::asks_of_the_mairie(&WHERE, &normalize(text))
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
