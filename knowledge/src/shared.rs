//! What communes with the same searchable content share (issue 15, scale).
//!
//! One node may serve hundreds of communes whose folders mostly hold the same national
//! material: the starter pack imported from service-public.fr and the national catalogue. The
//! costly part of a loaded folder is its search index (the tantivy index, the term statistics,
//! the typo-correction index, the speech hints, the reachability check). It depends only on
//! the searchable content: the published fiches' ids, questions, titles, keywords and answers,
//! in index order, and the synonym groups. Folders with the same content therefore get the same
//! [`SharedIndex`], built once by whichever loads first; each commune keeps its own fiches,
//! `commune.toml`, partners and hours. A commune that edits a fiche gets its own index on the
//! next reload while the others keep sharing; an index nobody uses any more is freed.
//!
//! The key is the whole content, not a digest of it: equal keys are equal contents, so two
//! communes never share by accident.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError, Weak};

use crate::load::SynonymGroup;
use crate::model::Fiche;
use crate::search::SearchIndex;

/// A fiche that none of its own questions finds first.
#[derive(Debug, Clone)]
pub(crate) struct Unreached {
    /// Its position among the published fiches.
    pub position: usize,
    /// The fiches its questions lead to instead (sorted, deduplicated).
    pub leads_to: Vec<String>,
}

/// The index of one searchable content, shared by every folder holding that content.
pub(crate) struct SharedIndex {
    pub index: SearchIndex,
    /// Speech-recogniser hints: keywords and synonyms, deduplicated.
    pub hints: Arc<[String]>,
    unreached: OnceLock<Vec<Unreached>>,
}

impl SharedIndex {
    /// The published fiches that none of their questions finds first (worked out once).
    /// `fiches` must be the content the index was built from.
    pub fn unreached(&self, fiches: &[Fiche]) -> &[Unreached] {
        self.unreached.get_or_init(|| {
            let first = |question: &str| {
                self.index
                    .search(question, 1, fiches)
                    .into_iter()
                    .next()
                    .map(|hit| hit.fiche_id)
            };
            fiches
                .iter()
                .enumerate()
                .filter(|(_, fiche)| !fiche.questions.is_empty())
                .filter_map(|(position, fiche)| {
                    let leads: Vec<Option<String>> =
                        fiche.questions.iter().map(|q| first(q)).collect();
                    if leads
                        .iter()
                        .any(|id| id.as_deref() == Some(fiche.id.as_str()))
                    {
                        return None;
                    }
                    let leads_to: BTreeSet<String> = leads.into_iter().flatten().collect();
                    Some(Unreached {
                        position,
                        leads_to: leads_to.into_iter().collect(),
                    })
                })
                .collect()
        })
    }
}

/// Being built or built, for one content.
#[derive(Default)]
struct Slot(OnceLock<Result<Arc<SharedIndex>, String>>);

/// A folder's hold on its shared index: keeps the registry entry alive while in use.
pub(crate) struct Held {
    index: Arc<SharedIndex>,
    _slot: Arc<Slot>,
}

impl std::ops::Deref for Held {
    type Target = SharedIndex;
    fn deref(&self) -> &SharedIndex {
        &self.index
    }
}

static REGISTRY: LazyLock<Mutex<HashMap<Arc<str>, Weak<Slot>>>> = LazyLock::new(Default::default);

/// The index of this content: the one already in use by another folder, or a new one. Folders
/// loaded at the same time with the same content wait for one build. The error is the
/// index's (never expected with valid fiches).
pub(crate) fn index_for(fiches: &[Fiche], synonyms: &[SynonymGroup]) -> Result<Held, String> {
    let slot = slot_for(content_key(fiches, synonyms));
    let built = slot.0.get_or_init(|| {
        SearchIndex::build(fiches, synonyms)
            .map(|index| {
                Arc::new(SharedIndex {
                    index,
                    hints: speech_hints(fiches, synonyms).into(),
                    unreached: OnceLock::new(),
                })
            })
            .map_err(|error| error.to_string())
    });
    match built {
        Ok(index) => Ok(Held {
            index: index.clone(),
            _slot: slot.clone(),
        }),
        Err(error) => Err(error.clone()),
    }
}

/// How many distinct indexes are in use in this process.
pub fn indexes_in_use() -> usize {
    let registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry
        .values()
        .filter(|slot| slot.strong_count() > 0)
        .count()
}

fn slot_for(key: String) -> Arc<Slot> {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(slot) = registry.get(key.as_str()).and_then(Weak::upgrade) {
        return slot;
    }
    registry.retain(|_, slot| slot.strong_count() > 0);
    let slot = Arc::new(Slot::default());
    registry.insert(key.into(), Arc::downgrade(&slot));
    slot
}

/// Everything the index is made of, in order, with separators no text holds.
fn content_key(fiches: &[Fiche], synonyms: &[SynonymGroup]) -> String {
    const FIELD: char = '\u{1f}';
    const RECORD: char = '\u{1e}';
    let mut key = String::new();
    for fiche in fiches {
        let _ = write!(key, "{}{FIELD}{}{FIELD}", fiche.id, fiche.title);
        for text in fiche.questions.iter().chain(&fiche.keywords) {
            let _ = write!(key, "{text}{FIELD}");
        }
        let _ = write!(
            key,
            "{}{FIELD}{}{FIELD}{}{RECORD}",
            fiche.questions.len(),
            fiche.keywords.len(),
            fiche.answer
        );
    }
    key.push(RECORD);
    for group in synonyms {
        for entry in &group.entries {
            let _ = write!(key, "{entry}{FIELD}");
        }
        key.push(RECORD);
    }
    key
}

/// Keywords and synonyms, trimmed, without blanks and without duplicates (compared normalised).
fn speech_hints(fiches: &[Fiche], synonyms: &[SynonymGroup]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let keywords = fiches.iter().flat_map(|fiche| fiche.keywords.iter());
    let synonyms = synonyms.iter().flat_map(|group| group.entries.iter());
    keywords
        .chain(synonyms)
        .map(|hint| hint.trim().to_owned())
        .filter(|hint| !hint.is_empty() && seen.insert(crate::text::normalize(hint)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fiche(id: &str, question: &str, answer: &str) -> Fiche {
        let text = format!(
            "---\nid: {id}\ntitle: {question}\ncompetence: commune\nquestions:\n  - {question}\n---\n{answer}\n"
        );
        let mut problems = crate::problem::Problems::default();
        let (fiche, _) = crate::load::parse_fiche(
            std::path::Path::new(&format!("{id}.md")),
            &text,
            &mut problems,
        )
        .expect("a valid fiche");
        fiche
    }

    #[test]
    fn equal_contents_share_one_index_and_any_difference_gets_its_own() {
        let a = vec![
            fiche("passeport", "refaire mon passeport", "Prenez rendez-vous."),
            fiche(
                "cantine",
                "inscrire à la cantine",
                "Inscription au guichet.",
            ),
        ];
        let same = a.clone();
        let mut edited = a.clone();
        edited[1].answer.push_str(" Apportez un justificatif.");
        let first = index_for(&a, &[]).unwrap();
        let second = index_for(&same, &[]).unwrap();
        let third = index_for(&edited, &[]).unwrap();
        assert!(Arc::ptr_eq(&first.index, &second.index));
        assert!(!Arc::ptr_eq(&first.index, &third.index));
        // Only the order of the fields separates these two: they must not share.
        let swapped = vec![fiche("a", "b c", "d"), fiche("e", "f", "g")];
        let shifted = vec![fiche("a", "b", "c d"), fiche("e", "f", "g")];
        assert_ne!(content_key(&swapped, &[]), content_key(&shifted, &[]));
    }

    #[test]
    fn an_index_nobody_holds_is_freed() {
        let fiches = vec![fiche(
            "unique-au-test",
            "une question introuvable ailleurs",
            "x",
        )];
        let key = content_key(&fiches, &[]);
        let held = index_for(&fiches, &[]).unwrap();
        let weak = Arc::downgrade(&held.index);
        drop(held);
        assert!(weak.upgrade().is_none());
        let registry = REGISTRY.lock().unwrap();
        assert!(
            registry
                .get(key.as_str())
                .is_none_or(|slot| slot.upgrade().is_none())
        );
    }
}
