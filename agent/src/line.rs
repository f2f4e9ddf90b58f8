//! Words about the call's line: "allô ?", "vous m'entendez ?", "ça coupe, je vous entends
//! mal". They say nothing of the topic, and the search read them as one: "y a personne au
//! bout" found the suicide prevention line ("au bout du rouleau"), "je vous entends mal" the
//! emergency services ("j'ai mal"). They are left out of the search; a message made only of
//! them is answered "je vous entends" with the question again. Matched like the other
//! lexicons of [`crate::intents`]; "y a quelqu'un ?" is a request for a human, read before.

use std::sync::LazyLock;

use crate::intents::{Lexicon, words};

static LINE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "allô",
        "allo",
        "vous m'entendez",
        "vous m'entendez bien",
        "est-ce que vous m'entendez",
        "tu m'entends",
        "on m'entend",
        "je vous entends mal",
        "je vous entends pas",
        "je vous entends plus",
        "je ne vous entends pas",
        "je ne vous entends plus",
        "je vous entend mal",
        "je vous entend pas",
        "j'entends mal",
        "j'entends rien",
        "j'entends plus rien",
        "je n'entends rien",
        "on s'entend mal",
        "on entend mal",
        "on vous entend mal",
        "ça coupe",
        "ça a coupé",
        "ça capte mal",
        "ça capte pas",
        "je capte mal",
        "ça grésille",
        "il y a de la friture",
        "y a de la friture",
        "la ligne est mauvaise",
        "mauvaise ligne",
        "y a personne",
        "il y a personne",
        "il n'y a personne",
        "y a personne au bout",
        "il y a personne au bout",
        "quelqu'un au bout",
        "au bout du fil",
        "au bout de la ligne",
        "vous pouvez répéter",
        "pouvez-vous répéter",
        "répétez",
        "répétez s'il vous plaît",
        "vous avez dit quoi",
        "qu'est-ce que vous avez dit",
        "j'ai pas entendu",
        "j'ai rien entendu",
        "je n'ai pas entendu",
        "parlez plus fort",
        "pardon",
    ])
});

/// Whether the message says something about the line.
pub fn is_about_the_line(normalized: &str) -> bool {
    LINE.found_in(&words(normalized))
}

/// The message without its words about the line, to search for the topic in what is left.
pub fn without_line_talk(normalized: &str) -> String {
    LINE.removed_from(normalized)
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    fn n(text: &str) -> String {
        normalize(text)
    }

    #[test]
    fn words_about_the_line_are_read_and_left_out() {
        for text in [
            "allô ? allô ?",
            "allô oui allô y a personne au bout du fil",
            "allô oui allô y a personne au bout",
            "ça coupe, je vous entends mal",
            "pardon je vous entends mal là",
            "vous m'entendez ?",
            "vous pouvez répéter ?",
        ] {
            assert!(is_about_the_line(&n(text)), "{text}");
        }
        assert_eq!(
            without_line_talk(&n("allô oui bonjour c'est pour ma carte d'identité")),
            n("oui bonjour c'est pour ma carte d'identité")
        );
        assert_eq!(without_line_talk(&n("ça coupe, je vous entends mal")), "");
        for text in [
            "j'ai mal au dos depuis une semaine",
            "le chantier coupe la rue",
            "je voudrais une carte d'identité",
            "mon mari est parti au bout de trois jours",
        ] {
            assert!(!is_about_the_line(&n(text)), "{text}");
        }
    }
}
