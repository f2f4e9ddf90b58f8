//! Words said under a negation. "Elle veut pas porter plainte", "j'ai jamais porté plainte":
//! the caller names what they are not asking for, so a fiche's own phrase said right after a
//! negation does not floor its confidence (see [`super::PHRASE_CONFIDENCE`]). The words still
//! count as said: the sentence is about that matter, only not as that request ("mon ex me
//! frappe, je veux pas porter plainte" is about violence, and a complaint is part of its
//! answer).

use super::SearchIndex;
use crate::text::WordStemmer;

/// Words after which the next one is negated (the negation of spoken French often drops its
/// `ne`): "je veux pas", "jamais eu". Not "sans": "sans carte Vitale" names the topic.
const NEGATIONS: &[&str] = &["pas", "jamais"];

/// Pronouns that stand between a negation and the verb it bears on: "pas m'en occuper", "pas
/// le déclarer".
const CLITICS: &[&str] = &[
    "se", "s", "me", "m", "te", "t", "en", "y", "le", "la", "les", "l", "lui", "leur", "nous",
    "vous",
];

impl SearchIndex {
    /// The terms of a normalised query said right after a negation (clitic pronouns skipped),
    /// as `query_terms` spells them.
    pub(super) fn negated_terms(&self, normalized: &str) -> Vec<String> {
        let words: Vec<&str> = normalized.split(' ').collect();
        let mut stemmer = WordStemmer::new();
        let mut negated = Vec::new();
        for (index, word) in words.iter().enumerate() {
            if !NEGATIONS.contains(word) {
                continue;
            }
            let next = words[index + 1..]
                .iter()
                .find(|word| !CLITICS.contains(word));
            if let Some((term, _)) = next.and_then(|word| self.understand_word(word, &mut stemmer))
            {
                negated.push(term);
            }
        }
        negated
    }
}
