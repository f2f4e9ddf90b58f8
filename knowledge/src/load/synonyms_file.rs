//! Reading `synonyms.txt`: one group of equivalent words or phrases per line, comma-separated.

use std::path::Path;

use crate::problem::Problems;
use crate::text::{generic_terms, normalize, terms};

/// A group of equivalent expressions, as written and as terms.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymGroup {
    pub line: usize,
    pub entries: Vec<String>,
    /// The terms of each entry (same order as `entries`).
    pub terms: Vec<Vec<String>>,
}

/// Reads the synonyms file; a missing file means no synonyms.
pub(crate) fn load_synonyms(path: &Path, problems: &mut Problems) -> Vec<SynonymGroup> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            problems.error(path, 0, format!("fichier illisible ({error})"));
            return Vec::new();
        }
    };
    parse_synonyms(path, &text, problems)
}

pub(crate) fn parse_synonyms(
    path: &Path,
    text: &str,
    problems: &mut Problems,
) -> Vec<SynonymGroup> {
    let mut groups = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let entries: Vec<String> = content
            .split(',')
            .map(|entry| entry.trim().to_owned())
            .filter(|entry| !entry.is_empty())
            .collect();
        if entries.len() < 2 {
            problems.error(
                path,
                number,
                "une ligne de synonymes doit contenir au moins deux expressions séparées par des virgules",
            );
            continue;
        }
        let mut group_terms = Vec::with_capacity(entries.len());
        for entry in &entries {
            let entry_terms = terms(entry);
            if entry_terms.is_empty() {
                problems.warning(
                    path,
                    number,
                    format!("« {entry} » ne contient que des mots trop courants pour la recherche : ignoré"),
                );
            }
            group_terms.push(entry_terms);
        }
        // An entry that loses a word to the stop words and is left with words saying only
        // when, where or for whom ("nouveau-né": "né" is the "ne" of negation once accents
        // are folded, leaving "nouveau") would make every "nouveau passeport" a baby's, and
        // the whole group generic. ("mairie" alone, generic as it is, stays a synonym.)
        let reads_as_less = |entry: &str, entry_terms: &Vec<String>| {
            normalize(entry).split(' ').count() > entry_terms.len()
                && entry_terms
                    .iter()
                    .all(|term| generic_terms().contains(term))
        };
        let kept: Vec<(String, Vec<String>)> = entries
            .into_iter()
            .zip(group_terms)
            .filter(|(entry, entry_terms)| {
                if entry_terms.is_empty() {
                    return false;
                }
                if reads_as_less(entry, entry_terms) {
                    problems.warning(
                        path,
                        number,
                        format!(
                            "« {entry} » se lit comme « {} », des mots qui ne nomment aucune démarche : ignoré",
                            entry_terms.join(" ")
                        ),
                    );
                    return false;
                }
                true
            })
            .collect();
        if kept.len() >= 2 {
            let (entries, terms) = kept.into_iter().unzip();
            groups.push(SynonymGroup {
                line: number,
                entries,
                terms,
            });
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_that_names_no_topic_is_ignored_with_a_warning() {
        let mut problems = Problems::default();
        let path = Path::new("synonyms.txt");
        let groups = parse_synonyms(
            path,
            "bébé, nourrisson, nouveau-né\nmairie, hôtel de ville\n",
            &mut problems,
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].entries, ["bébé", "nourrisson"]);
        assert_eq!(groups[0].terms, [["beb"], ["nourrisson"]]);
        // "mairie", generic as it is, is read as it is said: it stays a synonym.
        assert_eq!(groups[1].entries, ["mairie", "hôtel de ville"]);
        let warnings: Vec<&crate::Problem> = problems.0.iter().collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, 1);
        assert!(
            warnings[0].message.contains("nouveau-né"),
            "{}",
            warnings[0].message
        );
        assert!(!warnings[0].is_error());
    }
}
