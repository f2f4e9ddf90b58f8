//! Spelling slips of a recogniser or a texting caller: the candidates a misspelt term may come
//! from (deletions, as in SymSpell), and an elided article glued to its word ("lacte").
//! Distances are `strsim`'s optimal string alignment (adjacent transpositions count one).

/// A word that starts with an elided article or pronoun glued to it ("lacte", "deau",
/// "quelle", "lhopital"), without it. "ch" is a letter pair, never "c'" before an "h":
/// "chantez" is not "c'hantez".
pub(crate) fn without_glued_elision(word: &str) -> Option<&str> {
    const GLUED: &[&str] = &["qu", "l", "d", "j", "m", "n", "s", "c", "t"];
    GLUED.iter().find_map(|prefix| {
        let rest = word.strip_prefix(prefix)?;
        let elides = rest.starts_with(['a', 'e', 'i', 'o', 'u', 'y'])
            || (*prefix != "c" && rest.starts_with('h'));
        (elides && rest.len() >= 2).then_some(rest)
    })
}

/// Letters that open a word with the same sound, which a recogniser or a texting caller
/// swaps ("kaf" for "caf", "sitoyen" for "citoyen").
const SAME_SOUND: &[&[char]] = &[&['c', 'k', 'q', 's'], &['g', 'j'], &['i', 'y']];

/// Whether a correction keeps the first sound of the word: a slip rarely falls on the first
/// letter, and a correction that changes it finds another word ("betis" → "metis": a caller
/// about to "faire une bêtise" sent to the job centre for "métier"). A first letter added or
/// dropped (a glued or lost article) keeps the rest.
pub(crate) fn same_opening(term: &str, candidate: &str) -> bool {
    let mut term_chars = term.chars();
    let mut candidate_chars = candidate.chars();
    let (Some(a), Some(b)) = (term_chars.next(), candidate_chars.next()) else {
        return true;
    };
    a == b
        || SAME_SOUND
            .iter()
            .any(|group| group.contains(&a) && group.contains(&b))
        || term_chars.next() == Some(b)
        || candidate_chars.next() == Some(a)
}

/// Longest term corrected for typos: longer than any French word ("anticonstitutionnellement"
/// has 25 letters). The neighbourhood of a term of n characters holds n² strings of n
/// characters: a 2,000-character "word" in a caller's message would take gigabytes.
const MAX_CORRECTED_CHARS: usize = 40;

/// The term itself and every string obtained by deleting one or two characters (two only for
/// terms of 9 characters or more; none for terms longer than [`MAX_CORRECTED_CHARS`]).
pub(crate) fn deletion_neighbourhood(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let mut out = vec![term.to_owned()];
    if chars.len() > MAX_CORRECTED_CHARS {
        return out;
    }
    let delete_one = |chars: &[char]| -> Vec<Vec<char>> {
        (0..chars.len())
            .map(|skip| {
                chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, c)| *c)
                    .collect()
            })
            .collect()
    };
    let once = delete_one(&chars);
    if chars.len() >= 9 {
        for shorter in &once {
            out.extend(
                delete_one(shorter)
                    .into_iter()
                    .map(|c| c.into_iter().collect::<String>()),
            );
        }
    }
    out.extend(once.into_iter().map(|c| c.into_iter().collect::<String>()));
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_keeps_the_first_sound() {
        for (term, candidate) in [
            ("pasport", "passeport"),
            ("kaf", "caf"),
            ("identit", "didentit"),
            ("didentit", "identit"),
        ] {
            assert!(same_opening(term, candidate), "{term} → {candidate}");
        }
        for (term, candidate) in [("betis", "metis"), ("mill", "vill"), ("vign", "lign")] {
            assert!(!same_opening(term, candidate), "{term} → {candidate}");
        }
    }

    #[test]
    fn deletions_include_the_term() {
        let neighbourhood = deletion_neighbourhood("abcd");
        assert!(neighbourhood.contains(&"abcd".to_owned()));
        assert!(neighbourhood.contains(&"acd".to_owned()));
        assert_eq!(neighbourhood.len(), 5);
    }

    #[test]
    fn a_glued_article_comes_off_before_a_vowel_only() {
        assert_eq!(without_glued_elision("lacte"), Some("acte"));
        assert_eq!(without_glued_elision("quelle"), Some("elle"));
        assert_eq!(without_glued_elision("passeport"), None);
        assert_eq!(without_glued_elision("lhopital"), Some("hopital"));
        assert_eq!(without_glued_elision("chantez"), None);
    }

    #[test]
    fn a_transposition_is_one_slip() {
        assert_eq!(strsim::osa_distance("passport", "passeport"), 1);
        assert_eq!(strsim::osa_distance("ab", "ba"), 1);
    }
}
