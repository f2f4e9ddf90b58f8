//! Finding `synonyms.txt`'s expressions in a question's terms: the search reads each one found
//! as a concept said in any of its group's words, the recorded questions as one term for the
//! whole group.

use rustc_hash::FxHashMap as HashMap;

use crate::load::SynonymGroup;

/// The synonym groups of a folder, with their expressions indexed by first term.
#[derive(Debug, Clone, Default)]
pub(crate) struct Synonyms {
    groups: Vec<SynonymGroup>,
    /// Synonym expressions by first term: (group, entry).
    starts: HashMap<String, Vec<(usize, usize)>>,
}

impl Synonyms {
    pub(crate) fn new(groups: &[SynonymGroup]) -> Synonyms {
        let mut starts: HashMap<String, Vec<(usize, usize)>> = HashMap::default();
        for (group_index, group) in groups.iter().enumerate() {
            for (entry_index, entry) in group.terms.iter().enumerate() {
                if let Some(first) = entry.first() {
                    starts
                        .entry(first.clone())
                        .or_default()
                        .push((group_index, entry_index));
                }
            }
        }
        Synonyms {
            groups: groups.to_vec(),
            starts,
        }
    }

    pub(crate) fn groups(&self) -> &[SynonymGroup] {
        &self.groups
    }

    /// The longest synonym expression that `terms` say from `position`: (group, length in
    /// terms). `term` reads a term out of an item of `terms`.
    pub(crate) fn longest_at<T>(
        &self,
        terms: &[T],
        position: usize,
        term: impl Fn(&T) -> &str,
    ) -> Option<(usize, usize)> {
        let starts = self.starts.get(term(terms.get(position)?))?;
        starts
            .iter()
            .filter_map(|&(group, entry)| {
                let expression = &self.groups[group].terms[entry];
                let rest = terms.get(position..position + expression.len())?;
                expression
                    .iter()
                    .zip(rest)
                    .all(|(a, b)| a == term(b))
                    .then_some((group, expression.len()))
            })
            .max_by_key(|&(_, length)| length)
    }

    /// `terms` with each synonym expression said replaced by one term standing for its whole
    /// group (its first entry's terms, joined by spaces: no word's term holds a space), so that
    /// « la sécu » and « l'assurance maladie » say the same term.
    pub(crate) fn fold(&self, terms: &[String]) -> Vec<String> {
        let mut folded = Vec::with_capacity(terms.len());
        let mut position = 0;
        while position < terms.len() {
            match self.longest_at(terms, position, String::as_str) {
                Some((group, length)) => {
                    folded.push(self.groups[group].terms[0].join(" "));
                    position += length;
                }
                None => {
                    folded.push(terms[position].clone());
                    position += 1;
                }
            }
        }
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(line: usize, entries: &[&[&str]]) -> SynonymGroup {
        SynonymGroup {
            line,
            entries: entries.iter().map(|entry| entry.join(" ")).collect(),
            terms: entries
                .iter()
                .map(|entry| entry.iter().map(|term| term.to_string()).collect())
                .collect(),
        }
    }

    fn terms(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn the_longest_expression_said_stands_for_its_group() {
        let synonyms = Synonyms::new(&[
            group(1, &[&["secur", "social"], &["secu"], &["assur", "maladi"]]),
            group(2, &[&["assur"], &["assureur"]]),
        ]);
        assert_eq!(
            synonyms.fold(&terms(&["appel", "assur", "maladi", "demain"])),
            terms(&["appel", "secur social", "demain"])
        );
        assert_eq!(
            synonyms.fold(&terms(&["secu", "assur"])),
            terms(&["secur social", "assur"])
        );
        assert_eq!(synonyms.fold(&terms(&["assureur"])), terms(&["assur"]));
        assert_eq!(synonyms.fold(&terms(&["maladi"])), terms(&["maladi"]));
    }

    #[test]
    fn an_expression_cut_short_by_the_end_is_not_said() {
        let synonyms = Synonyms::new(&[group(1, &[&["carte", "vital"], &["carte", "secu"]])]);
        assert_eq!(
            synonyms.longest_at(&terms(&["la", "carte"]), 1, String::as_str),
            None
        );
        assert_eq!(
            synonyms.longest_at(&terms(&["carte", "secu"]), 0, String::as_str),
            Some((0, 2))
        );
        assert_eq!(synonyms.longest_at(&terms(&["x"]), 3, String::as_str), None);
    }
}
