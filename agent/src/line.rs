//! Words about the call's line: "allô ?", "vous m'entendez ?", "ça coupe, je vous entends
//! mal". They say nothing of the topic, and the search read them as one: "y a personne au
//! bout" found the suicide prevention line ("au bout du rouleau"), "je vous entends mal" the
//! emergency services ("j'ai mal"). They are left out of the search; a message made only of
//! them is answered "je vous entends" with the question again. Matched like the other
//! lexicons of [`crate::intents`]. "Allô, y a quelqu'un ?" asks whether the line is answered,
//! not for a human: the robot answers it is listening ("je veux parler à quelqu'un" is still a
//! request for a human, read before).
//!
//! A caller who opens with "attendez", "ne quittez pas", "je vous passe mon mari" is putting
//! the call on hold ([`opens_with_hold`]): what follows tells what they are doing ("je cherche
//! mes lunettes"), not a request, and the search had read it as one (the insurer for the
//! glasses, the line against domestic violence for "mon mari"). The robot waits and asks the
//! motive again, unless the rest of the message is a sure request for a public service ("ah non
//! attendez, en fait c'est pour la cantine").

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
        "y a quelqu'un",
        "il y a quelqu'un",
        "y a-t-il quelqu'un",
        "quelqu'un m'entend",
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

/// What a caller says to put the call on hold.
static HOLD: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "attendez",
        "attendez-moi",
        "une seconde",
        "une petite seconde",
        "deux secondes",
        "un instant",
        "un petit instant",
        "une minute",
        "une petite minute",
        "ne quittez pas",
        "quittez pas",
        "ne quitte pas",
        "patientez",
        "bougez pas",
        "ne bougez pas",
        "je vous passe",
        "je te passe",
        "je mets le haut-parleur",
        "je mets le haut parleur",
    ])
});

/// Words that may come before the hold ("euh attendez", "oui bonjour ne quittez pas"). "attends"
/// only opens it ("attends deux secondes"): "j'attends ma carte" is read the same once folded.
static OPENING: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "euh",
        "heu",
        "hum",
        "ben",
        "bah",
        "ah",
        "oh",
        "oui",
        "ouais",
        "non",
        "bonjour",
        "allô",
        "allo",
        "madame",
        "monsieur",
        "pardon",
        "excusez-moi",
        "alors",
        "attends",
    ])
});

/// Whether the message says something about the line, or puts the call on hold.
pub fn is_about_the_line(normalized: &str) -> bool {
    let words = words(normalized);
    LINE.found_in(&words) || HOLD.found_in(&words)
}

/// Whether the message opens by putting the call on hold (see the module documentation).
pub fn opens_with_hold(normalized: &str) -> bool {
    let words = words(normalized);
    let mut index = 0;
    while let Some(len) = OPENING.prefix_len(&words[index..]) {
        index += len;
    }
    HOLD.prefix_len(&words[index..]).is_some()
}

/// The message without its words about the line or the hold, to search for the topic in what
/// is left.
pub fn without_line_talk(normalized: &str) -> String {
    HOLD.removed_from(&LINE.removed_from(normalized))
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

    #[test]
    fn a_call_put_on_hold_is_read_at_the_start_of_the_message() {
        for text in [
            "attendez je cherche mes lunettes",
            "euh attendez deux secondes",
            "oui bonjour ne quittez pas je vous passe mon mari",
            "ah non attendez en fait c'est pour la cantine",
            "un instant s'il vous plaît",
            "ouais non attends deux secondes je suis au téléphone",
        ] {
            assert!(opens_with_hold(&n(text)), "{text}");
        }
        for text in [
            "j'attends ma carte d'identité depuis trois mois",
            "qu'est-ce que vous attendez pour réparer la route",
            "ça fait une minute que j'attends",
            "bonjour je voudrais un acte de naissance",
        ] {
            assert!(!opens_with_hold(&n(text)), "{text}");
        }
        assert_eq!(
            without_line_talk(&n("attendez je cherche mes lunettes")),
            n("je cherche mes lunettes")
        );
    }
}
