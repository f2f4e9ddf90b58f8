//! A caller who says they are lost: "je suis un peu perdue avec tous ces papiers", "je suis
//! perdu là, devant la poste". They say how the caller feels or where they stand, not what
//! was lost: the search read "perdu" as a lost identity card or the lost property office.
//! These words are left out of the search, like the words of irritation. Matched like the
//! other lexicons of [`crate::intents`]; "j'ai perdu ma carte" and "mon chien est perdu" are
//! not among them.

use std::sync::LazyLock;

use crate::intents::{Lexicon, words};

static LOST: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut phrases = Vec::new();
    for who in ["je suis", "chui", "on est", "je me sens"] {
        for how in ["", "un peu ", "complètement ", "totalement ", "tout "] {
            for lost in [
                "perdu", "perdue", "perdus", "perdues", "paumé", "paumée", "paumés",
            ] {
                phrases.push(format!("{who} {how}{lost}"));
            }
        }
    }
    for lost in [
        "je me suis perdu",
        "je me suis perdue",
        "on s'est perdus",
        "je m'y perds",
        "on s'y perd",
        "je m'y retrouve pas",
        "je m'y retrouve plus",
        "je ne m'y retrouve pas",
        "je ne m'y retrouve plus",
    ] {
        phrases.push(lost.to_owned());
    }
    Lexicon::new(&phrases.iter().map(String::as_str).collect::<Vec<_>>())
});

/// Whether the caller says they are lost (see the module documentation).
pub fn says_lost(normalized: &str) -> bool {
    LOST.found_in(&words(normalized))
}

/// The message without the words of a caller who is lost.
pub fn without_lost(normalized: &str) -> String {
    LOST.removed_from(normalized)
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    #[test]
    fn a_lost_caller_is_not_a_lost_object() {
        let n = normalize;
        for text in [
            "je suis un peu perdue avec tous ces papiers",
            "c'est dans quelle rue la mairie je suis perdu là",
            "on est complètement paumés avec internet",
            "je m'y retrouve plus dans vos démarches",
        ] {
            assert!(says_lost(&n(text)), "{text}");
        }
        assert_eq!(
            without_lost(&n("je suis un peu perdue avec la carte d'identité")),
            "avec la carte identite"
        );
        for text in [
            "j'ai perdu ma carte d'identité",
            "mon chien est perdu",
            "ma carte est perdue",
        ] {
            assert!(!says_lost(&n(text)), "{text}");
        }
    }
}
