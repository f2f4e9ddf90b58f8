//! French lexicons for what a caller's words mean beyond a topic: yes, no, goodbye, a request
//! for a human, no Internet access (irritation is in [`crate::anger`], words about the call's
//! line in [`crate::line`]).
//!
//! Entries are written in plain French and folded once with [`guichet_knowledge::normalize`]
//! (the one place French normalisation lives), and matched as whole word sequences of the
//! normalised message.

use std::sync::LazyLock;

use guichet_knowledge::normalize;

/// A list of phrases, each a sequence of normalised words.
pub struct Lexicon {
    phrases: Vec<Vec<String>>,
}

impl Lexicon {
    pub fn new(entries: &[&str]) -> Self {
        let mut phrases: Vec<Vec<String>> = entries
            .iter()
            .map(|entry| {
                normalize(entry)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .filter(|phrase: &Vec<String>| !phrase.is_empty())
            .collect();
        // Longest first, so that a greedy reading takes "pas du tout" before "pas".
        phrases.sort_by_key(|phrase| std::cmp::Reverse(phrase.len()));
        Self { phrases }
    }

    /// Whether any phrase occurs in the words.
    pub fn found_in(&self, words: &[&str]) -> bool {
        self.phrases.iter().any(|phrase| {
            words
                .windows(phrase.len())
                .any(|window| window.iter().zip(phrase).all(|(a, b)| *a == b))
        })
    }

    /// The normalised text without any of the phrases (the longest one at each position).
    pub fn removed_from(&self, normalized: &str) -> String {
        let words = words(normalized);
        let mut kept = Vec::with_capacity(words.len());
        let mut index = 0;
        while index < words.len() {
            match self.prefix_len(&words[index..]) {
                Some(len) => index += len,
                None => {
                    kept.push(words[index]);
                    index += 1;
                }
            }
        }
        kept.join(" ")
    }

    /// Length of the longest phrase that starts at `words[0]`, if any.
    pub(crate) fn prefix_len(&self, words: &[&str]) -> Option<usize> {
        self.phrases
            .iter()
            .find(|phrase| {
                phrase.len() <= words.len() && words.iter().zip(phrase.iter()).all(|(a, b)| *a == b)
            })
            .map(Vec::len)
    }
}

/// The words of a normalised text.
pub fn words(normalized: &str) -> Vec<&str> {
    normalized
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect()
}

static YES: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "oui",
        "ouais",
        "ouai",
        "ouaip",
        "yes",
        "ok",
        "okay",
        "d'accord",
        "volontiers",
        "exactement",
        "absolument",
        "bien sûr",
        "tout à fait",
        "c'est ça",
        "c'est bien ça",
        "parfait",
        "entendu",
        "effectivement",
        "affirmatif",
        "je veux bien",
        "avec plaisir",
        "pourquoi pas",
        "allez-y",
        "vas-y",
        "c'est exact",
        "voilà",
        "bien",
        "ça marche",
        "oui oui",
        "carrément",
        "évidemment",
        "certainement",
        "ça m'a aidé",
        "très utile",
        "utile",
        "transmettez",
        "transmettez-le",
        "transmettez le",
        "faites-le",
        "faites le",
        "s'il vous plaît oui",
        "c'était clair",
        "clair",
    ])
});

static NO: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "non",
        "nan",
        "no",
        "pas du tout",
        "surtout pas",
        "pas vraiment",
        "ce n'est pas ça",
        "c'est pas ça",
        "pas ça",
        "non non",
        "jamais",
        "négatif",
        "pas la peine",
        "pas besoin",
        "ça ne m'a pas aidé",
        "pas utile",
        "inutile",
        "ce n'est pas la peine",
        "pas nécessaire",
        "je ne veux pas",
        "non plus",
    ])
});

/// Words that say nothing either way: politeness and fillers.
static NEUTRAL: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "merci",
        "merci beaucoup",
        "s'il vous plaît",
        "s'il te plaît",
        "svp",
        "euh",
        "heu",
        "hum",
        "alors",
        "ben",
        "bah",
        "bon",
        "eh bien",
        "madame",
        "monsieur",
        "mademoiselle",
        "je vous remercie",
        "c'est gentil",
        "très",
        "bien",
        "ah",
        "oh",
        "super",
        "génial",
        "impeccable",
        "nickel",
        "top",
        "parfait",
        "merci bien",
        "mille mercis",
        "euh bah",
        "donc",
        "ma foi",
        "mais",
        "et",
        "merci à vous",
        "à vous",
        "vous aussi",
        "à vous aussi",
        "pareillement",
    ])
});

/// Closing formulas: the caller is done.
static CLOSING: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "au revoir",
        "c'est tout",
        "ce sera tout",
        "ça sera tout",
        "rien d'autre",
        "c'est bon",
        "ça ira",
        "ça va aller",
        "bonne journée",
        "bonne soirée",
        "bonne fin de journée",
        "à bientôt",
        "bye",
        "salut",
        "c'est tout pour moi",
        "ça sera tout",
        "je n'ai besoin de rien d'autre",
        "c'est parfait",
        "plus rien",
        "rien",
        "c'est fini",
        "j'ai terminé",
        "j'ai fini",
        "adieu",
        "je raccroche",
        "merci au revoir",
    ])
});

/// Farewells: the caller is leaving, even after an "oui" ("d'accord, merci, au revoir").
static FAREWELL: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "au revoir",
        "bonne journée",
        "bonne soirée",
        "bonne fin de journée",
        "à bientôt",
        "bye",
        "adieu",
        "je raccroche",
        "c'est tout",
        "ce sera tout",
        "ça sera tout",
        "rien d'autre",
    ])
});

/// How a message reads against yes, no, closing and neutral words.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Reading {
    yes: bool,
    no: bool,
    closing: bool,
    thanks: bool,
    /// Some words are none of these: the message says something else.
    other: bool,
}

fn read(words: &[&str]) -> Reading {
    let mut reading = Reading::default();
    let mut index = 0;
    while index < words.len() {
        let rest = &words[index..];
        // Longest phrase wins across lexicons ("pas du tout" before anything shorter).
        let candidates = [
            (CLOSING.prefix_len(rest), 0),
            (NO.prefix_len(rest), 1),
            (YES.prefix_len(rest), 2),
            (NEUTRAL.prefix_len(rest), 3),
        ];
        let best = candidates
            .iter()
            .filter_map(|(len, kind)| len.map(|len| (len, *kind)))
            .max_by_key(|(len, kind)| (*len, std::cmp::Reverse(*kind)));
        match best {
            Some((len, kind)) => {
                match kind {
                    0 => reading.closing = true,
                    1 => reading.no = true,
                    2 => reading.yes = true,
                    _ => reading.thanks |= rest[0] == "merci",
                }
                index += len;
            }
            None => {
                reading.other = true;
                index += 1;
            }
        }
    }
    reading
}

/// A reply to a yes/no question: `Some(true)` for yes ("oui s'il vous plaît", "d'accord"),
/// `Some(false)` for no ("non merci", "pas du tout"), `None` when the message says something
/// else (then it is handled as a new request) or both.
pub fn yes_no(normalized: &str) -> Option<bool> {
    let reading = read(&words(normalized));
    if reading.other || reading.yes == reading.no {
        return None;
    }
    Some(reading.yes)
}

/// The caller closes the call: "au revoir", "non c'est tout", "c'est bon merci", "non merci".
pub fn is_goodbye(normalized: &str) -> bool {
    let reading = read(&words(normalized));
    !reading.other && !reading.yes && (reading.closing || (reading.no && reading.thanks))
}

/// A closing formula beyond a mere "non merci" ("au revoir", "non c'est tout", "d'accord
/// merci au revoir"): ends the call whatever question was pending.
pub fn is_firm_goodbye(normalized: &str) -> bool {
    let words = words(normalized);
    let reading = read(&words);
    !reading.other && reading.closing && (!reading.yes || FAREWELL.found_in(&words))
}

/// Which way a message leans when it is not a plain yes or no ("oui transmettez-le",
/// "oui c'était clair"): a yes word and no no word, or the reverse. The engine uses it only
/// when the rest of the message is not a request it understands.
pub fn leaning(normalized: &str) -> Option<bool> {
    let reading = read(&words(normalized));
    (reading.yes != reading.no).then_some(reading.yes)
}

static HUMAN: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "un agent",
        "une agente",
        "l'agent",
        "un vrai conseiller",
        "une vraie conseillère",
        "parler à un conseiller",
        "parler à une conseillère",
        "parler avec un conseiller",
        "parler avec une conseillère",
        "passer un conseiller",
        "passez-moi un conseiller",
        "joindre un conseiller",
        "je voudrais un conseiller",
        "je veux un conseiller",
        "un conseiller s'il vous plaît",
        "je voudrais une conseillère",
        "je veux une conseillère",
        "une conseillère s'il vous plaît",
        "une vraie personne",
        "une personne physique",
        "un être humain",
        "un humain",
        "une humaine",
        "pas un robot",
        "pas une machine",
        "pas à un robot",
        "pas à une machine",
        "parler à une personne",
        "parler à quelqu'un",
        "avoir quelqu'un",
        "passer quelqu'un",
        "joindre quelqu'un",
        "quelqu'un de la mairie",
        "quelqu'un en vrai",
        "quelqu'un de vivant",
        "le standard",
        "la standardiste",
        "le standardiste",
        "un standardiste",
        "une standardiste",
        "un opérateur",
        "une opératrice",
        "une secrétaire",
        "l'accueil de la mairie au téléphone",
        "parler à la mairie",
        "un employé",
        "une employée",
        "une vraie voix",
        "marre des robots",
        "je veux parler à quelqu'un",
    ])
});

static SOMEONE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "quelqu'un",
        "un conseiller",
        "une conseillère",
        "le conseiller",
    ])
});

/// An explicit request for a human ("un agent", "pas un robot", "le standard", "quelqu'un").
pub fn wants_human(normalized: &str) -> bool {
    let words = words(normalized);
    // "quelqu'un" or "un conseiller" alone count in a short message ("quelqu'un s'il vous
    // plaît", "un conseiller"), not in a story ("quelqu'un a déposé des déchets") nor as the
    // name of a service ("un conseiller en rénovation énergétique", "un conseiller numérique
    // pour m'aider"); "parler à un conseiller" counts anywhere.
    HUMAN.found_in(&words) || (words.len() <= 5 && SOMEONE.found_in(&words))
}

/// The keypad's way to ask for a human.
pub fn dtmf_wants_human(dtmf: Option<&str>) -> bool {
    dtmf.is_some_and(|keys| keys.trim() == "0")
}

static NO_INTERNET: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "pas internet",
        "pas d'internet",
        "pas de internet",
        "pas accès à internet",
        "pas accès internet",
        "pas la connexion",
        "pas de connexion",
        "pas d'ordinateur",
        "pas ordinateur",
        "pas de smartphone",
        "pas d'email",
        "pas de mail",
        "pas d'adresse mail",
        "pas d'adresse email",
        "pas d'e-mail",
        "pas le wifi",
        "pas de wifi",
        "jamais internet",
        "sans internet",
        "sans ordinateur",
        "pas doué avec internet",
        "pas douée avec internet",
        "nul en informatique",
        "nulle en informatique",
        "pas doué en informatique",
        "pas douée en informatique",
        "pas l'informatique",
        "pas les ordinateurs",
        "ne sais pas utiliser internet",
        "sais pas utiliser internet",
        "sais pas me servir d'internet",
        "sais pas me servir d'un ordinateur",
        "pas à l'aise avec internet",
        "pas à l'aise avec l'informatique",
        "pas d'ordi",
    ])
});

static STUCK: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "arrive pas",
        "y arrive pas",
        "réussis pas",
        "parviens pas",
        "sais pas",
        "n'y arrive pas",
        "impossible",
        "galère",
        "bloqué",
        "bloquée",
        "comprends rien",
        "comprends pas",
    ])
});

static ONLINE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "en ligne",
        "internet",
        "le site",
        "sur le site",
        "ordinateur",
        "informatique",
        "le portail",
        "l'ordinateur",
        "sur le net",
        "dématérialisé",
        "dématérialisée",
    ])
});

/// "Je n'ai pas Internet", "je n'ai pas d'ordinateur", "je n'arrive pas à faire la démarche en
/// ligne": the caller cannot use the online procedures.
pub fn cannot_go_online(normalized: &str) -> bool {
    let words = words(normalized);
    NO_INTERNET.found_in(&words) || (STUCK.found_in(&words) && ONLINE.found_in(&words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> String {
        normalize(text)
    }

    #[test]
    fn yes_and_no_short_replies() {
        for yes in [
            "oui",
            "Oui s'il vous plaît",
            "d'accord",
            "oui merci",
            "Ouais",
            "oui, c'est ça",
            "volontiers",
            "bien sûr",
        ] {
            assert_eq!(yes_no(&n(yes)), Some(true), "{yes}");
        }
        for no in [
            "non",
            "Non merci",
            "pas du tout",
            "non, ce n'est pas ça",
            "non c'est tout",
            "nan",
        ] {
            assert_eq!(yes_no(&n(no)), Some(false), "{no}");
        }
        for other in [
            "oui je voudrais refaire mon passeport",
            "mon passeport",
            "au revoir",
            "",
        ] {
            assert_eq!(yes_no(&n(other)), None, "{other}");
        }
    }

    #[test]
    fn goodbyes() {
        for bye in [
            "non merci",
            "Non, c'est tout",
            "au revoir",
            "c'est bon merci",
            "merci, au revoir",
            "non merci bonne journée",
            "merci bien bonne soirée à vous",
            "au revoir madame vous aussi",
        ] {
            assert!(is_goodbye(&n(bye)), "{bye}");
        }
        for other in [
            "non",
            "oui",
            "merci pour le passeport",
            "au revoir, ah si, la cantine",
            "non je voudrais la cantine",
        ] {
            assert!(!is_goodbye(&n(other)), "{other}");
        }
        assert!(is_firm_goodbye(&n("non c'est tout merci")));
        assert!(!is_firm_goodbye(&n("non merci")));
        assert!(is_firm_goodbye(&n("d'accord bon bah merci au revoir")));
        assert!(!is_firm_goodbye(&n("oui c'est bon")));
        assert_eq!(leaning(&n("oui transmettez s'il vous plaît")), Some(true));
        assert_eq!(leaning(&n("non ça ne m'a pas servi")), Some(false));
        assert_eq!(leaning(&n("la cantine")), None);
    }

    #[test]
    fn human_requests() {
        for text in [
            "je voudrais parler à un agent",
            "un conseiller",
            "je voudrais parler à un conseiller pour mon passeport",
            "passez-moi un conseiller s'il vous plaît",
            "bonjour je voudrais un conseiller s'il vous plaît c'est urgent",
            "quelqu'un s'il vous plaît",
            "une vraie personne",
            "je ne veux pas parler à un robot, pas un robot",
            "passez-moi le standard",
            "je veux parler à un humain",
        ] {
            assert!(wants_human(&n(text)), "{text}");
        }
        for text in [
            "quelqu'un a déposé des déchets devant chez moi hier soir",
            "mon passeport est expiré",
            "aide pour une personne âgée",
            "c'est pour avoir un conseiller en rénovation énergétique gratuit",
            "y a-t-il un conseiller numérique à la mairie pour m'aider",
        ] {
            assert!(!wants_human(&n(text)), "{text}");
        }
        assert!(dtmf_wants_human(Some("0")));
        assert!(!dtmf_wants_human(Some("1")));
        assert!(!dtmf_wants_human(None));
    }

    #[test]
    fn no_internet() {
        for text in [
            "Je n'ai pas Internet.",
            "je n'ai pas d'ordinateur",
            "je n'arrive pas à faire la démarche en ligne",
            "je ne sais pas utiliser internet",
            "j'y arrive pas sur le site",
        ] {
            assert!(cannot_go_online(&n(text)), "{text}");
        }
        for text in [
            "mon passeport est expiré",
            "je ne sais pas quoi faire pour ma carte",
        ] {
            assert!(!cannot_go_online(&n(text)), "{text}");
        }
    }
}
