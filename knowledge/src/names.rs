//! A body's name in a French sentence: its definite article ("Communauté d'agglomération du
//! Val d'Exemple" → "la Communauté d'agglomération du Val d'Exemple") and "à" contracted with
//! it ("au Conseil départemental", "à France Travail"). Staff write a partner's name as on its
//! letterhead, with or without the article; the robot must still say it right.

use std::borrow::Cow;

/// First words of a feminine body's name.
const FEMININE: &[&str] = &[
    "agence",
    "assurance",
    "association",
    "caisse",
    "chambre",
    "circonscription",
    "commission",
    "communauté",
    "cour",
    "délégation",
    "direction",
    "fédération",
    "gendarmerie",
    "maison",
    "mairie",
    "métropole",
    "mission",
    "mutualité",
    "plateforme",
    "police",
    "préfecture",
    "régie",
    "région",
    "sous-préfecture",
];

/// First words of a masculine body's name.
const MASCULINE: &[&str] = &[
    "bureau",
    "casier",
    "centre",
    "commissariat",
    "conseil",
    "défenseur",
    "département",
    "établissement",
    "guichet",
    "médiateur",
    "ministère",
    "numéro",
    "office",
    "point",
    "pôle",
    "rectorat",
    "secrétariat",
    "service",
    "syndicat",
    "tribunal",
];

/// First words of a plural body's name.
const PLURAL: &[&str] = &["services", "secours", "archives"];

/// The name with its definite article, unless it has one or is a proper name
/// ("France Travail", "SignalConso"), which takes none.
pub fn with_article(name: &str) -> Cow<'_, str> {
    let name = name.trim();
    let lower = name.to_lowercase();
    if ["le ", "la ", "les ", "l'", "l’"]
        .iter()
        .any(|article| lower.starts_with(article))
    {
        return Cow::Borrowed(name);
    }
    let first = lower
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '’')
        .next()
        .unwrap_or("");
    let article = if PLURAL.contains(&first) {
        "les "
    } else if FEMININE.contains(&first) || MASCULINE.contains(&first) {
        if first.starts_with(['a', 'e', 'é', 'è', 'i', 'o', 'u', 'h']) {
            "l'"
        } else if FEMININE.contains(&first) {
            "la "
        } else {
            "le "
        }
    } else {
        return Cow::Borrowed(name);
    };
    Cow::Owned(format!("{article}{name}"))
}

/// "à" followed by the name with its article, contracted: "au Conseil départemental", "aux
/// services de l'État", "à la préfecture", "à l'Assurance maladie", "à France Travail".
pub fn to(name: &str) -> String {
    contracted(name, ["au", "aux", "à"])
}

/// "de" followed by the name with its article, contracted: "du Commissariat de police", "des
/// services de l'État", "de la préfecture", "de l'Assurance maladie", "de France Travail".
pub fn of(name: &str) -> String {
    contracted(name, ["du", "des", "de"])
}

/// The name with its article after a preposition that contracts with « le » and « les »:
/// `[with le, with les, otherwise]`.
fn contracted(name: &str, [with_le, with_les, otherwise]: [&str; 3]) -> String {
    let named = with_article(name);
    let lower = named.to_lowercase();
    if lower.starts_with("le ") {
        format!("{with_le} {}", &named[3..])
    } else if lower.starts_with("les ") {
        format!("{with_les} {}", &named[4..])
    } else {
        format!("{otherwise} {named}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_contracts_the_article() {
        assert_eq!(
            of("Commissariat de police de Plaisir"),
            "du Commissariat de police de Plaisir"
        );
        assert_eq!(of("la préfecture"), "de la préfecture");
        assert_eq!(of("Agence départementale"), "de l'Agence départementale");
        assert_eq!(of("services de l'État"), "des services de l'État");
        assert_eq!(of("France Travail Plaisir"), "de France Travail Plaisir");
    }

    #[test]
    fn names_get_their_article_once() {
        assert_eq!(
            with_article("Communauté d'agglomération du Val d'Exemple"),
            "la Communauté d'agglomération du Val d'Exemple"
        );
        assert_eq!(
            with_article("Conseil départemental de l'Exemple"),
            "le Conseil départemental de l'Exemple"
        );
        assert_eq!(
            with_article("Agence nationale des titres sécurisés"),
            "l'Agence nationale des titres sécurisés"
        );
        assert_eq!(with_article("la préfecture"), "la préfecture");
        assert_eq!(with_article("l'Assurance maladie"), "l'Assurance maladie");
        assert_eq!(with_article("France Travail"), "France Travail");
        assert_eq!(with_article("  Région Exemple "), "la Région Exemple");
    }

    #[test]
    fn a_is_contracted_with_the_article() {
        assert_eq!(
            to("Communauté d'agglomération du Val d'Exemple"),
            "à la Communauté d'agglomération du Val d'Exemple"
        );
        assert_eq!(to("Conseil départemental"), "au Conseil départemental");
        assert_eq!(to("le Défenseur des droits"), "au Défenseur des droits");
        assert_eq!(to("les secours"), "aux secours");
        assert_eq!(to("Services techniques"), "aux Services techniques");
        assert_eq!(to("l'Assurance retraite"), "à l'Assurance retraite");
        assert_eq!(to("SignalConso"), "à SignalConso");
    }
}
