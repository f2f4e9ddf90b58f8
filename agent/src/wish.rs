//! The caller names the service they want: "je veux porter plainte", "il faut déposer plainte
//! où ?". A body that specialises the best fiche, or is a recourse beside it (France Victimes
//! for the complaint), is then not named instead: the victim of a threat who wants to file a
//! complaint wants the gendarmerie, the one who "a porté plainte" and needs support wants
//! France Victimes. What tells them apart is whether the complaint is asked for.

use guichet_knowledge::terms;

use crate::intents::words;

/// Words of wanting or needing, as [`guichet_knowledge::normalize`] writes them.
const WANTING: &[&str] = &[
    "veux",
    "veut",
    "voudrais",
    "voudrait",
    "voudrions",
    "voulons",
    "voulais",
    "souhaite",
    "souhaiterais",
    "aimerais",
    "dois",
    "doit",
    "devons",
    "faut",
    "comment",
];

/// Words that negate what follows ("elle veut pas porter plainte").
const NEGATIONS: &[&str] = &["pas", "plus", "jamais", "ne", "n"];

/// Whether, right after a word of wanting, the caller says one of a fiche's `keywords` of two
/// words or more (stop words aside: "je veux déposer une plainte").
pub fn asks_for(normalized: &str, keywords: &[String]) -> bool {
    let words = words(normalized);
    // What follows each word of wanting, when it starts with a word that counts (not a
    // negation, not a stop word: "je voudrais savoir qui me rembourse mes soins" asks a
    // question, not for the insurer's reimbursement).
    let asked: Vec<Vec<String>> = words
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| WANTING.contains(&pair[0]) && !NEGATIONS.contains(&pair[1]))
        .filter(|(_, pair)| !terms(pair[1]).is_empty())
        .map(|(index, _)| terms(&words[index + 1..].join(" ")))
        .collect();
    !asked.is_empty()
        && keywords
            .iter()
            .map(|keyword| terms(keyword))
            .filter(|phrase| phrase.len() >= 2)
            .any(|phrase| asked.iter().any(|after| after.starts_with(&phrase)))
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    fn complaint() -> Vec<String> {
        ["plainte", "porter plainte", "déposer plainte"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_complaint_asked_for_is_the_complaint() {
        let keywords = complaint();
        for text in [
            "un type m'a menacé avec un couteau hier soir je veux porter plainte contre lui",
            "on m'a arnaqué il faut déposer une plainte où",
            "je voudrais déposer plainte",
            "je voudrais savoir comment porter plainte",
        ] {
            assert!(asks_for(&normalize(text), &keywords), "{text}");
        }
        for text in [
            "j'ai porté plainte et maintenant je voudrais un soutien psychologique",
            "ma soeur ne veut pas porter plainte qui peut la conseiller",
            "elle veut pas porter plainte",
            "je veux des conseils après ma plainte",
            "je voudrais savoir qui peut m'aider à porter plainte",
        ] {
            assert!(!asks_for(&normalize(text), &keywords), "{text}");
        }
    }
}
