//! Reading `synonyms.txt`: one group of equivalent words or phrases per line, comma-separated.

use std::path::Path;

use crate::problem::Problems;
use crate::text::terms;

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
        let kept: Vec<(String, Vec<String>)> = entries
            .into_iter()
            .zip(group_terms)
            .filter(|(_, entry_terms)| !entry_terms.is_empty())
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
