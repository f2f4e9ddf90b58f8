//! Whether a caller's words say where something is: a street ("rue des Lilas", "au 12 avenue
//! Foch") or a landmark ("en face de l'école", "devant la boulangerie"). "Devant chez moi" says
//! nothing a partner can act on: the robot asks for the address before passing a report on.

use std::sync::LazyLock;

use guichet_knowledge::normalize;

use crate::intents::{Lexicon, words};

/// Kinds of public way, followed by their name.
static STREETS: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "rue",
        "ruelle",
        "avenue",
        "av",
        "boulevard",
        "bd",
        "place",
        "chemin",
        "allée",
        "impasse",
        "route",
        "quai",
        "square",
        "cours",
        "lieu-dit",
        "lieu dit",
        "parking",
        "résidence",
        "rond-point",
        "rond point",
        "carrefour",
        "sentier",
        "voie",
        "passage",
        "parc",
        "zone",
        "cité",
        "lotissement",
        "hameau",
        "esplanade",
        "promenade",
        "départementale",
        "nationale",
        "croisement",
        "quartier",
        "sortie",
        "entrée",
    ])
});

/// Words that place something relative to a landmark, followed by the landmark.
static RELATIVE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "en face",
        "à côté",
        "devant",
        "derrière",
        "près",
        "au niveau",
        "au coin",
        "à l'angle",
        "au bout",
        "le long",
        "en bas",
        "en haut",
    ])
});

/// Words that do not name a landmark after a relative word.
const NOT_A_LANDMARK: &[&str] = &[
    "chez", "moi", "nous", "lui", "elle", "eux", "ici", "la", "le", "les", "de", "du", "des", "d",
    "l", "un", "une", "mon", "ma", "mes", "notre", "nos", "son", "sa", "ses", "depuis", "qui",
    "que", "est", "et", "ou", "il", "ca", "c", "y", "en", "dans", "sur", "sous", "pour", "avec",
];

/// Articles and the like between a relative word and its landmark ("en face *de la* poste").
const LINKS: &[&str] = &[
    "de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux",
];

/// See the module documentation: a numbered way ("12 rue Victor Hugo"), a way with a name
/// ("rue des Lilas", "place de l'Église"), or a landmark ("devant la boulangerie"). A way
/// followed by any other word ("la rue déborde", "le chemin derrière chez moi") is not taken
/// for a name: the robot would rather ask once more than pass a report on with no address.
pub fn names_a_place(text: &str) -> bool {
    let normalized = normalize(text);
    let words = words(&normalized);
    let numbered = words
        .iter()
        .any(|word| word.starts_with(|c: char| c.is_ascii_digit()));
    (0..words.len()).any(|start| {
        let rest = &words[start..];
        // The first word after `len` words that is not an article, and whether any was skipped.
        let after = |len: usize| -> Option<(&str, bool)> {
            let tail = rest.get(len..)?;
            let skipped = tail.iter().take_while(|word| LINKS.contains(word)).count();
            tail.get(skipped).map(|word| (*word, skipped > 0))
        };
        let landmark = |word: &str| !NOT_A_LANDMARK.contains(&word);
        if let Some(len) = STREETS.prefix_len(rest) {
            return after(len).is_some_and(|(name, linked)| landmark(name) && (linked || numbered));
        }
        RELATIVE
            .prefix_len(rest)
            .is_some_and(|len| after(len).is_some_and(|(word, _)| landmark(word)))
    })
}

#[cfg(test)]
mod tests {
    use super::names_a_place;

    #[test]
    fn streets_and_landmarks_are_places() {
        for text in [
            "c'est au 12 rue des Lilas",
            "avenue du Général de Gaulle",
            "en face de l'école Jules Ferry",
            "devant la boulangerie de la place",
            "sur le parking du stade",
            "à l'angle de la rue Pasteur et de la rue Jean Jaurès",
            "chemin des Vignes",
            "frigo sur le trottoir devant le 12 rue victor hugo",
            "le long du chemin forestier",
        ] {
            assert!(names_a_place(text), "{text}");
        }
    }

    #[test]
    fn vague_words_are_not_places() {
        for text in [
            "mon voisin a déposé des déchets devant chez moi",
            "il y a des déchets dans la rue",
            "la bouche d'égout de la rue déborde",
            "un tas de gravats dans le chemin derrière chez moi",
            "au pied des conteneurs de la résidence depuis dix jours",
            "c'est juste à côté",
            "oui",
            "je ne sais pas",
        ] {
            assert!(!names_a_place(text), "{text}");
        }
    }
}
