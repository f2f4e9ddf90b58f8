//! Irritation and insults: the caller is acknowledged in one sentence, and their words of
//! anger are left out of the search for the topic ("inadmissible" must not find the
//! complaints fiche). Matched like the other lexicons of [`crate::intents`].

use std::sync::LazyLock;

use crate::intents::{Lexicon, words};

static ANGER: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "pas content",
        "pas contente",
        "pas du tout content",
        "pas du tout contente",
        "mécontent",
        "mécontente",
        "pas satisfait",
        "pas satisfaite",
        "inadmissible",
        "inacceptable",
        "scandale",
        "scandaleux",
        "scandaleuse",
        "honteux",
        "honteuse",
        "une honte",
        "c'est honteux",
        "ras le bol",
        "ras-le-bol",
        "j'en ai marre",
        "en ai marre",
        "marre",
        "ça fait trois fois",
        "ça fait deux fois",
        "ça fait plusieurs fois",
        "ça fait dix fois",
        "trois fois que j'appelle",
        "personne ne répond",
        "personne ne rappelle",
        "jamais de réponse",
        "on se moque",
        "vous vous moquez",
        "se fiche de",
        "foutez",
        "fout de",
        "bordel",
        "merde",
        "putain",
        "connard",
        "connards",
        "conne",
        "abruti",
        "abrutis",
        "incompétent",
        "incompétente",
        "incompétents",
        "bande de nuls",
        "vous êtes nuls",
        "c'est nul",
        "énervé",
        "énervée",
        "énervant",
        "furieux",
        "furieuse",
        "en colère",
        "agacé",
        "agacée",
        "exaspéré",
        "exaspérée",
        "ridicule",
        "lamentable",
        "n'importe quoi",
        "insupportable",
        "pas normal",
        "c'est une blague",
        "incapable",
        "incapables",
        "nuls",
        "servez à rien",
        "sert à rien",
        "répond jamais",
        "personne répond",
        "rappelle jamais",
        "bande de",
        // "de" elided before a vowel: left alone, "bande" would be read as the word of a fiche.
        "bande d'incapables",
        "bande d'incompétents",
        "bande d'abrutis",
        "bande d'idiots",
        "bande d'imbéciles",
        "bande d'enfoirés",
        // "espèce de …" said to someone: the insult, not a kind of thing ("espèce" is also
        // the cash of a payment).
        "espèce d'incapable",
        "espèce d'incompétent",
        "espèce d'abruti",
        "espèce d'idiot",
        "espèce d'imbécile",
        "espèce d'enfoiré",
        "espèce de con",
        "espèce de nul",
        "espèce de crétin",
        "espèce de débile",
        "espèce de machine",
        "j'en peux plus",
        "ça suffit",
        "raz le bol",
        "fainéant",
        "fainéants",
        "fainéante",
        "feignant",
        "feignants",
        "bon à rien",
        "bons à rien",
        // The taxpayer's reproach: the taxes are not the topic.
        "avec nos impôts",
        "des impôts pour ça",
        // Insults said to the robot or the staff: the caller wants a human, not a rephrasing.
        "con",
        "cons",
        "conneries",
        "débile",
        "débiles",
        "idiot",
        "idiote",
        "crétin",
        "crétine",
        "imbécile",
        "imbéciles",
        "stupide",
        "enfoiré",
        "enfoirés",
        "salaud",
        "salauds",
        "ta gueule",
        "ma gueule",
        "va te faire",
        "allez vous faire",
        // The verb of the insult goes with it: "voir" left alone reads as "voir quelqu'un du
        // CCAS".
        "va te faire voir",
        "allez vous faire voir",
        "va te faire foutre",
        "allez vous faire foutre",
        "va te faire cuire un œuf",
        "allez vous faire cuire un œuf",
        "t'es nul",
        "t'es nulle",
        "tu es nul",
        "tu es nulle",
        "tu sers à rien",
        "tu comprends rien",
        "vous comprenez rien",
        "comprend rien",
    ])
});

/// The message without its words of irritation, to search for the topic in what is left.
pub fn without_anger(normalized: &str) -> String {
    ANGER.removed_from(normalized)
}

/// Irritation ("pas content", "inadmissible", "ras le bol", "ça fait trois fois que j'appelle",
/// insults): acknowledged in one sentence.
pub fn is_angry(normalized: &str) -> bool {
    ANGER.found_in(&words(normalized))
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    fn n(text: &str) -> String {
        normalize(text)
    }

    #[test]
    fn anger() {
        for text in [
            "Je ne suis pas du tout content.",
            "c'est inadmissible",
            "ras le bol",
            "ça fait trois fois que j'appelle",
            "vous êtes des incompétents",
            "j'en ai marre",
            "t'es con ou quoi",
            "espèce de machine débile",
            "tu comprends rien à ce que je dis",
            "ta gueule le robot",
            "bande de feignants vous glandez rien",
            "et c'est payé avec nos impôts en plus",
            "vous êtes qu'une bande d'abrutis",
        ] {
            assert!(is_angry(&n(text)), "{text}");
        }
        assert_eq!(
            without_anger(&n("c'est inadmissible le trottoir est cassé")),
            "est le trottoir est casse"
        );
        // What is left names no topic: the taxes of a reproach are not the tax office's, and
        // "bande" is not a fiche's word.
        assert_eq!(without_anger(&n("bande d'incapables")), "");
        assert_eq!(
            without_anger(&n("va te faire voir toi et ta mairie de merde")),
            "toi et ta mairie de"
        );
        assert_eq!(
            without_anger(&n("espèce d'incapable vous servez à rien à la mairie")),
            "vous a la mairie"
        );
        assert!(
            !without_anger(&n("vous êtes tous des fainéants payés avec nos impôts"))
                .contains("impot")
        );
        for text in [
            "je suis content de mon passeport",
            "bonjour je voudrais une carte d'identité",
            // Neither a word inside another ("Mâcon", "contrat") nor a closing time.
            "je suis né à Mâcon",
            "mon contrat de location",
            "à quelle heure ferme la mairie",
        ] {
            assert!(!is_angry(&n(text)), "{text}");
        }
    }
}
