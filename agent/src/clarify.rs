//! Clarifying questions (from the fiche) and confirmations ("Vous appelez bien au sujet de … ?").

use guichet_knowledge::{Clarify, ClarifyOption, Fiche, SynonymGroup, normalize};

use crate::intents::words;
use crate::session::Pending;
use crate::speech::speakable;
use crate::turn::TurnInProgress;
use crate::types::DecisionAction;

/// The option a short reply selects ("il est expiré" → the "expiré" option): the option with
/// the longest answer found as whole words in the message.
pub fn option_for<'f>(clarify: &'f Clarify, normalized: &str) -> Option<&'f ClarifyOption> {
    let said = words(normalized);
    clarify
        .options
        .iter()
        .flat_map(|option| {
            option
                .answers
                .iter()
                .map(move |answer| (option, normalize(answer)))
        })
        .filter(|(_, answer)| {
            let answer = words(answer);
            !answer.is_empty()
                && said
                    .windows(answer.len())
                    .any(|window| window == answer.as_slice())
        })
        .max_by_key(|(_, answer)| answer.len())
        .map(|(option, _)| option)
}

/// The option whose answer's terms (stemmed, stop words removed) are all in the message, or
/// in a synonym of an expression of the message (the commune's `synonyms.txt`: "elle a été
/// volée hier" → "volée"; "il est plus valable" → "expiré"), the one with the most terms.
pub fn option_by_terms<'f>(
    clarify: &'f Clarify,
    message: &str,
    synonyms: &[SynonymGroup],
) -> Option<&'f ClarifyOption> {
    let mut said = guichet_knowledge::terms(message);
    let says = |said: &[String], entry: &[String]| entry.iter().all(|term| said.contains(term));
    let also_said: Vec<String> = synonyms
        .iter()
        .filter(|group| group.terms.iter().any(|entry| says(&said, entry)))
        .flat_map(|group| group.terms.iter().flatten().cloned())
        .collect();
    said.extend(also_said);
    clarify
        .options
        .iter()
        .flat_map(|option| {
            option
                .answers
                .iter()
                .map(move |answer| (option, guichet_knowledge::terms(answer)))
        })
        .filter(|(_, terms)| !terms.is_empty() && says(&said, terms))
        .max_by_key(|(_, terms)| terms.len())
        .map(|(option, _)| option)
}

/// A fiche's title as it is said: "Dépôt sauvage de déchets (signalement)" →
/// "dépôt sauvage de déchets, signalement".
pub fn title_in_words(fiche: &Fiche) -> String {
    let title = fiche.title.replace(" (", ", ").replace(['(', ')'], "");
    let first_word_is_acronym = title
        .split_whitespace()
        .next()
        .is_some_and(|word| word.chars().count() > 1 && word.chars().all(|c| !c.is_lowercase()));
    if first_word_is_acronym {
        return title;
    }
    let mut chars = title.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => title,
    }
}

impl TurnInProgress<'_> {
    /// Asks the fiche's clarifying question.
    pub fn ask_clarify(&mut self, fiche: &Fiche, clarify: &Clarify, rule: &str) {
        self.say(speakable(&clarify.question));
        self.session.pending = Pending::Clarify {
            fiche: fiche.id.clone(),
        };
        self.session.add_topic(&fiche.id);
        self.decide(DecisionAction::Clarify, rule, Some(&fiche.id));
        self.note(format!("question de précision ({})", fiche.title));
    }

    /// "Vous appelez bien au sujet de … ?"
    pub fn confirm(&mut self, fiche: &Fiche, rule: &str) {
        self.say(format!(
            "Vous appelez bien au sujet de : {} ?",
            title_in_words(fiche)
        ));
        self.session.pending = Pending::Confirm {
            fiche: fiche.id.clone(),
        };
        self.decide(DecisionAction::Confirm, rule, Some(&fiche.id));
        self.note(format!("demande de confirmation ({})", fiche.title));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passport_question() -> Clarify {
        let option = |answers: &[&str], goto: &str| ClarifyOption {
            answers: answers.iter().map(|answer| answer.to_string()).collect(),
            goto: goto.to_owned(),
        };
        Clarify {
            question: "Votre passeport est-il perdu, volé ou expiré ?".into(),
            options: vec![
                option(&["perdu", "je l'ai perdu"], "passeport-perte"),
                option(&["volé", "on me l'a volé"], "passeport-vol"),
                option(&["expiré", "périmé"], "passeport-renouvellement"),
            ],
        }
    }

    fn synonyms(lines: &[&[&str]]) -> Vec<SynonymGroup> {
        lines
            .iter()
            .enumerate()
            .map(|(line, entries)| SynonymGroup {
                line,
                entries: entries.iter().map(|entry| entry.to_string()).collect(),
                terms: entries
                    .iter()
                    .map(|entry| guichet_knowledge::terms(entry))
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn an_option_is_found_by_its_terms_or_their_synonyms() {
        let clarify = passport_question();
        let synonyms = synonyms(&[&["expiré", "périmé", "plus valable"], &["volé", "piqué"]]);
        let goto = |message: &str| {
            option_by_terms(&clarify, message, &synonyms).map(|option| option.goto.as_str())
        };
        assert_eq!(goto("elle a été volée hier"), Some("passeport-vol"));
        assert_eq!(
            goto("le passeport de mon mari est plus valable depuis deux ans"),
            Some("passeport-renouvellement")
        );
        assert_eq!(goto("on me l'a piqué dans le métro"), Some("passeport-vol"));
        assert_eq!(goto("je voudrais faire un passeport"), None);
        // Without the commune's synonyms, the words of the options only.
        assert_eq!(
            option_by_terms(&clarify, "il est plus valable", &[]).map(|option| &option.goto),
            None
        );
    }
}
