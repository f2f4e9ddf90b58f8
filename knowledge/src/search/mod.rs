//! The in-memory tantivy index of the fiches, and how a query is understood and scored.
//!
//! # Query analysis
//!
//! The caller's text goes through [`crate::text::terms`] (normalised, stop and filler words
//! removed, stemmed). Then:
//!
//! 1. **Typo and transcription tolerance.** A term that appears nowhere in the folder (neither
//!    in a fiche nor in `synonyms.txt`) is replaced by the vocabulary term at Damerau–Levenshtein
//!    distance 1 (terms of 4 letters or more; distance 2 from 9 letters), found through a
//!    deletion index ("passport" → "passeport", "didentit" → "identit", "pacse" → "pacs"),
//!    keeping its first sound ([`crate::spelling::same_opening`]: "bêtise" is not "métier").
//!    Known terms are never corrected, and a corrected term weighs [`FUZZY_WEIGHT`] of an exact
//!    one, so a fuzzy match never outranks an exact match.
//! 2. **Synonyms.** Each group of `synonyms.txt` is a list of expressions (one or several
//!    words). When the query contains one of them (as consecutive terms), the matched terms
//!    become one *concept* that any expression of the group satisfies
//!    ("carte d'identité" ↔ "cni"); the other expressions weigh [`SYNONYM_WEIGHT`].
//! 3. The concepts (single terms or synonym groups) make a tantivy boolean query: each
//!    alternative is searched in every field with the field's boost (questions
//!    [`BOOST_QUESTIONS`], title and keywords [`BOOST_TITLE`] / [`BOOST_KEYWORDS`], answer
//!    [`BOOST_ANSWER`]), and BM25 picks the [`CANDIDATES`] best fiches.
//!
//! Before that, the query's words are repaired: a word the recogniser split in two is glued
//! back when the halves make a word of the fiches ("passe port" → "passeport"), and a spelled
//! acronym is joined by [`crate::text::normalize`] ("p l u" → "plu").
//!
//! # Confidence
//!
//! How sure the search is of each candidate, comparable across queries, is `confidence.rs`'s:
//! coverage, fit and specificity, and the floors and caps on them. It reads: above 0.6 the query clearly names the fiche; between 0.3 and 0.6 it is probably
//! this fiche but worth confirming; below 0.3 the folder has no answer (out of scope). Hits
//! are ranked by confidence plus a share of their BM25 score ([`RANK_SCORE_WEIGHT`]).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

mod confidence;
mod negation;

pub use confidence::{GENERIC_ONLY_FACTOR, GENERIC_WEIGHT, PHRASE_CONFIDENCE, UNCOVERED_CAP};
use confidence::{keyword_concepts, query_weights, says_a_phrase};

use crate::load::SynonymGroup;
use crate::model::{Fiche, Hit};
use crate::spelling::{deletion_neighbourhood, without_glued_elision};
use crate::synonyms::Synonyms;
use crate::text::{
    ANALYZER_NAME, WordStemmer, build_analyzer, generic_terms, is_stop_word, normalize,
};

pub const BOOST_QUESTIONS: f32 = 3.0;
pub const BOOST_TITLE: f32 = 2.0;
pub const BOOST_KEYWORDS: f32 = 2.0;
pub const BOOST_ANSWER: f32 = 0.6;
/// Weight of an alternative found through `synonyms.txt` (the expression said weighs 1).
pub const SYNONYM_WEIGHT: f32 = 0.85;
/// Weight of a term corrected by edit distance.
pub const FUZZY_WEIGHT: f32 = 0.6;
/// How many BM25 candidates get a confidence. BM25 only picks them: a fiche with a long list of
/// keywords is pushed down by BM25's length normalisation, and in a long spoken sentence the
/// fiches sharing its everyday words ("samedi soir", "la mairie") can fill a short list before
/// the one that names its topic ("mon bébé… trente-neuf de fièvre… samedi soir": `urgences`
/// was 13th, so never scored). Swept on the dev split (12, 20, 30, 60, 200): 20 gives every
/// gain of the larger lists (batches 1–3: +2 fiches right, +2 out-of-scope questions handled)
/// for about 3 % more time per turn.
pub const CANDIDATES: usize = 20;
/// How much BM25 weighs in the ranking of the scored candidates: each is ranked by its
/// confidence plus this share of its BM25 score over the best one's. The confidence reads
/// the fiche's words as sets; BM25 also knows how much the fiche dwells on the query's words
/// and where (questions, title, keywords). "je touche plus rien comment je fais pour demander
/// le rsa": France Travail's confidence leads the RSA's by 0.02 while its BM25 score is a
/// tenth of the RSA's. The decision still reads the chosen fiche's confidence. Swept on dev
/// batches 1–6 (2026-12-05; fiches right / false answers / out of scope handled): 0.02 (a
/// tie-break) 1387 / 43 / 1052, 0.06 1392 / 43 / 1051, 0.09 1395 / 43 / 1051, **0.12 1398 /
/// 43 / 1051**, 0.15 1397 / 44 / 1048, 0.2 1396 / 43 / 1046, 0.3 1386 / 42 / 1040, 0.5
/// 1373 / 39 / 1024; the gate's fiches 326 → 329 of 336 at 0.12. On the holdout batch 7:
/// 241 → 247 / 290 fiches right, 14 → 12 / 309 false answers.
pub const RANK_SCORE_WEIGHT: f32 = 0.12;
/// Shortest part of a word split in two by the recogniser.
const SPLIT_PART_MIN: usize = 3;
/// Memory given to the index writer (tantivy's minimum for one thread).
const WRITER_MEMORY: usize = 15_000_000;

/// An error while building the index (never expected with valid fiches).
#[derive(Debug, thiserror::Error)]
#[error("construction de l'index impossible : {0}")]
pub struct IndexError(#[from] tantivy::TantivyError);

struct Fields {
    questions: Field,
    title: Field,
    keywords: Field,
    answer: Field,
}

/// The terms of one fiche, for the confidence.
struct FicheTerms {
    /// Terms of the questions, title and keywords.
    strong: HashSet<String>,
    /// Terms of the answer body.
    body: HashSet<String>,
    /// Each question variant and the title, as sets of terms.
    variants: Vec<Variant>,
    /// Its keywords of two terms or more that no other fiche has, as term sequences.
    phrases: Vec<Vec<String>>,
    /// Terms of the title and keywords: the words of the fiche's own public.
    public: HashSet<String>,
}

/// A question variant (or the title) of a fiche: its terms with their IDF, and their sum.
struct Variant {
    terms: Vec<(String, f32)>,
    mass: f32,
}

/// One alternative way to satisfy a concept of the query: all these terms.
#[derive(Debug, Clone)]
struct Alternative {
    terms: Vec<String>,
    weight: f32,
}

/// One informative unit of the query: a term or a synonym group.
#[derive(Debug, Clone)]
struct Concept {
    alternatives: Vec<Alternative>,
    /// IDF mass of the concept.
    idf: f32,
    /// Made only of generic words: never enough to point at a fiche.
    generic: bool,
}

/// One concept of a query as the search understood it (`guichet kb search` prints them, so
/// that staff see why a fiche came first): its words (a synonym group's entries separated by
/// `/`), its IDF mass, whether it is only generic and whether a word was corrected.
#[derive(Debug, Clone, PartialEq)]
pub struct Understood {
    pub words: String,
    pub idf: f32,
    pub generic: bool,
    pub corrected: bool,
}

/// The searchable index of a folder.
pub(crate) struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    /// The terms each field holds: a query skips the fields that lack a term (they could not
    /// match, and each clause costs a dictionary lookup and a scorer).
    field_terms: HashMap<Field, HashSet<String>>,
    fiches: Vec<FicheTerms>,
    /// Document frequency of every term in the fiches.
    document_frequency: HashMap<String, u32>,
    /// Terms known to the folder: the fiches' and the synonyms'.
    vocabulary: HashSet<String>,
    /// Deletion neighbourhood → vocabulary terms, for edit-distance correction.
    deletions: HashMap<String, Vec<String>>,
    synonyms: Synonyms,
    /// Stems of [`GENERIC_WORDS`].
    generic: HashSet<String>,
    fiche_count: usize,
    index_bytes: u64,
}

impl SearchIndex {
    pub fn build(fiches: &[Fiche], synonyms: &[SynonymGroup]) -> Result<Self, IndexError> {
        let mut schema = Schema::builder();
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            questions: schema.add_text_field("questions", options.clone()),
            title: schema.add_text_field("title", options.clone()),
            keywords: schema.add_text_field("keywords", options.clone()),
            answer: schema.add_text_field("answer", options),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(ANALYZER_NAME, build_analyzer());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
        let mut fiche_terms = Vec::with_capacity(fiches.len());
        let mut document_frequency: HashMap<String, u32> = HashMap::default();
        let mut field_terms: HashMap<Field, HashSet<String>> = HashMap::default();
        let mut stemmer = WordStemmer::new();
        for fiche in fiches {
            let mut document = TantivyDocument::default();
            let mut strong = HashSet::default();
            let mut variants = Vec::with_capacity(fiche.questions.len() + 1);
            let mut add = |field: Field, text: &str, stemmer: &mut WordStemmer| -> Vec<String> {
                let terms = stemmer.terms(&normalize(text));
                document.add_text(field, terms.join(" "));
                field_terms
                    .entry(field)
                    .or_default()
                    .extend(terms.iter().cloned());
                terms
            };
            for question in &fiche.questions {
                variants.push(add(fields.questions, question, &mut stemmer));
            }
            let title = add(fields.title, &fiche.title, &mut stemmer);
            let mut public: HashSet<String> = title.iter().cloned().collect();
            variants.push(title);
            let mut phrases = Vec::new();
            for keyword in &fiche.keywords {
                let terms = add(fields.keywords, keyword, &mut stemmer);
                strong.extend(terms.iter().cloned());
                public.extend(terms.iter().cloned());
                if terms.len() >= 2 {
                    phrases.push(terms);
                }
            }
            let body: HashSet<String> = add(fields.answer, &fiche.answer, &mut stemmer)
                .into_iter()
                .collect();
            for variant in &mut variants {
                variant.sort();
                variant.dedup();
                strong.extend(variant.iter().cloned());
            }
            for term in strong.union(&body) {
                *document_frequency.entry(term.clone()).or_default() += 1;
            }
            writer.add_document(document)?;
            fiche_terms.push((strong, body, variants, phrases, public));
        }
        writer.commit()?;
        // IDFs are known once every fiche is counted; they never change for this index.
        let fiche_count = fiches.len();
        let mut phrase_fiches: HashMap<Vec<String>, u32> = HashMap::default();
        for (_, _, _, phrases, _) in &fiche_terms {
            let unique: HashSet<&Vec<String>> = phrases.iter().collect();
            for phrase in unique {
                *phrase_fiches.entry(phrase.clone()).or_default() += 1;
            }
        }
        let generic: HashSet<String> = generic_terms().iter().cloned().collect();
        // A phrase of generic words and numbers only ("seize ans") qualifies, it names no
        // topic: it floors no confidence.
        let names_a_topic = |phrase: &Vec<String>| {
            phrase
                .iter()
                .any(|term| !generic.contains(term) && !is_number(term))
        };
        let fiche_terms: Vec<FicheTerms> = fiche_terms
            .into_iter()
            .map(|(strong, body, variants, phrases, public)| FicheTerms {
                strong,
                body,
                public,
                phrases: phrases
                    .into_iter()
                    .filter(|phrase| phrase_fiches.get(phrase) == Some(&1) && names_a_topic(phrase))
                    .collect(),
                variants: variants
                    .into_iter()
                    .map(|terms| {
                        let terms: Vec<(String, f32)> = terms
                            .into_iter()
                            .map(|term| {
                                let df = document_frequency.get(&term).copied().unwrap_or(0);
                                let idf = idf(fiche_count, df);
                                (term, idf)
                            })
                            .collect();
                        let mass = terms.iter().map(|(_, idf)| idf).sum();
                        Variant { terms, mass }
                    })
                    .collect(),
            })
            .collect();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let segments = searcher.segment_readers().len();
        if segments > 1 {
            return Err(IndexError(tantivy::TantivyError::InternalError(format!(
                "{segments} segments au lieu d'un"
            ))));
        }
        let index_bytes = searcher
            .space_usage()
            .map_or(0, |usage| usage.total().get_bytes());

        let mut vocabulary: HashSet<String> = document_frequency.keys().cloned().collect();
        for group in synonyms {
            for entry in &group.terms {
                vocabulary.extend(entry.iter().cloned());
            }
        }
        let mut deletions: HashMap<String, Vec<String>> = HashMap::default();
        for term in &vocabulary {
            for deleted in deletion_neighbourhood(term) {
                deletions.entry(deleted).or_default().push(term.clone());
            }
        }
        for candidates in deletions.values_mut() {
            candidates.sort();
            candidates.dedup();
        }
        Ok(Self {
            reader,
            fields,
            field_terms,
            fiches: fiche_terms,
            document_frequency,
            vocabulary,
            deletions,
            synonyms: Synonyms::new(synonyms),
            generic,
            fiche_count: fiches.len(),
            index_bytes,
        })
    }

    pub fn index_bytes(&self) -> u64 {
        self.index_bytes
    }

    pub fn vocabulary_size(&self) -> usize {
        self.vocabulary.len()
    }

    fn idf(&self, term: &str) -> f32 {
        idf(
            self.fiche_count,
            self.document_frequency.get(term).copied().unwrap_or(0),
        )
    }

    /// The IDF of a word no fiche uses: as informative as the rarest word.
    fn unknown_idf(&self) -> f32 {
        let n = self.fiche_count as f32;
        (1.0 + (n - 0.5) / 1.5).ln()
    }

    /// Reference IDF mass for `specificity`: a word used by two fiches.
    fn reference_idf(&self) -> f32 {
        let n = self.fiche_count as f32;
        (1.0 + (n - 1.5) / 2.5).ln().max(0.1)
    }

    /// Corrects a term unknown to the folder; `None` if it is known or nothing is close.
    fn correct(&self, term: &str) -> Option<String> {
        if self.vocabulary.contains(term) || term.chars().count() < 4 {
            return None;
        }
        if is_number(term) {
            return None;
        }
        let max_distance = if term.chars().count() >= 9 { 2 } else { 1 };
        let mut best: Option<(usize, u32, &String)> = None;
        for deleted in deletion_neighbourhood(term) {
            let Some(candidates) = self.deletions.get(&deleted) else {
                continue;
            };
            for candidate in candidates {
                let distance = strsim::osa_distance(term, candidate);
                if distance > max_distance
                    || candidate.chars().count() < 4
                    || !crate::spelling::same_opening(term, candidate)
                {
                    continue;
                }
                let df = self.document_frequency.get(candidate).copied().unwrap_or(0);
                let key = (distance, u32::MAX - df, candidate);
                if best.as_ref().is_none_or(|best| key < *best) {
                    best = Some(key);
                }
            }
        }
        best.map(|(_, _, term)| term.clone())
    }

    /// The term of one normalised word of a query and its weight; `None` for a stop word.
    ///
    /// A word unknown to the folder is first tried without a glued elision ("lacte" → "acte",
    /// "deau" → "eau", "jai" → "ai", a stop word), then corrected by edit distance.
    fn understand_word(&self, word: &str, stemmer: &mut WordStemmer) -> Option<(String, f32)> {
        if word.is_empty() || is_stop_word(word) {
            return None;
        }
        let term = stemmer.stem(word);
        if self.vocabulary.contains(&term) {
            return Some((term, 1.0));
        }
        if let Some(rest) = without_glued_elision(word) {
            if is_stop_word(rest) {
                return None;
            }
            let stem = stemmer.stem(rest);
            if self.vocabulary.contains(&stem) {
                return Some((stem, 1.0));
            }
        }
        match self.correct(&term) {
            Some(corrected) => Some((corrected, FUZZY_WEIGHT)),
            None => Some((term, 1.0)),
        }
    }

    /// A word the recogniser split in two ("passe port" → "passeport"): two words of at least
    /// [`SPLIT_PART_MIN`] letters, neither a stop word, that glued together make a word of the
    /// fiches. Real French word pairs almost never glue into another word.
    fn split_word(
        &self,
        words: &[&str],
        index: usize,
        stemmer: &mut WordStemmer,
    ) -> Option<String> {
        let (first, second) = (*words.get(index)?, *words.get(index + 1)?);
        let part_ok = |word: &str| word.chars().count() >= SPLIT_PART_MIN && !is_stop_word(word);
        if !part_ok(first) || !part_ok(second) {
            return None;
        }
        let joined = stemmer.stem(&format!("{first}{second}"));
        self.document_frequency
            .contains_key(&joined)
            .then_some(joined)
    }

    /// The terms of a [`normalize`]d query, in order, each once, with their weight (1, or
    /// [`FUZZY_WEIGHT`] when corrected).
    fn query_terms(&self, normalized: &str) -> Vec<(String, f32)> {
        let mut stemmer = WordStemmer::new();
        let words: Vec<&str> = normalized.split(' ').collect();
        let mut terms: Vec<(String, f32)> = Vec::new();
        let mut index = 0;
        while index < words.len() {
            let (understood, used) = match self.split_word(&words, index, &mut stemmer) {
                Some(term) => (Some((term, 1.0)), 2),
                None => (self.understand_word(words[index], &mut stemmer), 1),
            };
            index += used;
            let Some((term, weight)) = understood else {
                continue;
            };
            if !terms.iter().any(|(known, _)| *known == term) {
                terms.push((term, weight));
            }
        }
        terms
    }

    /// Groups a query's terms into concepts (terms and synonym groups), with their IDF.
    fn concepts(&self, terms: &[(String, f32)]) -> Vec<Concept> {
        let mut concepts = Vec::with_capacity(terms.len());
        let mut position = 0;
        while position < terms.len() {
            if let Some((group, length)) =
                self.synonyms.longest_at(terms, position, |(term, _)| term)
            {
                let said = terms[position..position + length]
                    .iter()
                    .map(|(_, w)| *w)
                    .fold(1.0, f32::min);
                let alternatives: Vec<Alternative> = self.synonyms.groups()[group]
                    .terms
                    .iter()
                    .map(|entry| {
                        let is_said = entry.len() == length
                            && entry
                                .iter()
                                .zip(&terms[position..])
                                .all(|(a, (b, _))| a == b);
                        let weight = if is_said { said } else { said * SYNONYM_WEIGHT };
                        Alternative {
                            terms: entry.clone(),
                            weight,
                        }
                    })
                    .collect();
                let idf = alternatives
                    .iter()
                    .filter_map(|alternative| self.alternative_idf(&alternative.terms))
                    .reduce(f32::max)
                    .unwrap_or_else(|| self.unknown_idf());
                let generic = alternatives.iter().any(|alternative| {
                    alternative
                        .terms
                        .iter()
                        .all(|term| self.generic.contains(term))
                });
                concepts.push(Concept {
                    alternatives,
                    idf,
                    generic,
                });
                position += length;
                continue;
            }
            let (term, weight) = &terms[position];
            let idf = if self.document_frequency.contains_key(term) {
                self.idf(term)
            } else if is_number(term) {
                position += 1;
                continue;
            } else {
                self.unknown_idf()
            };
            concepts.push(Concept {
                alternatives: vec![Alternative {
                    terms: vec![term.clone()],
                    weight: *weight,
                }],
                idf,
                generic: self.generic.contains(term),
            });
            position += 1;
        }
        for concept in concepts.iter_mut().filter(|concept| concept.generic) {
            concept.idf *= GENERIC_WEIGHT;
        }
        concepts
    }

    /// The IDF of a synonym entry, `None` when a term of it is in no fiche: a spoken word the
    /// fiches never use ("boulot" for "travail") says no more than the word it stands for, and
    /// must not weigh as the rarest word of the folder.
    fn alternative_idf(&self, terms: &[String]) -> Option<f32> {
        terms
            .iter()
            .map(|term| {
                self.document_frequency
                    .contains_key(term)
                    .then(|| self.idf(term))
            })
            .try_fold(0.0, |most: f32, idf| idf.map(|idf| most.max(idf)))
    }

    fn query(&self, concepts: &[Concept]) -> BooleanQuery {
        let fields = [
            (self.fields.questions, BOOST_QUESTIONS),
            (self.fields.title, BOOST_TITLE),
            (self.fields.keywords, BOOST_KEYWORDS),
            (self.fields.answer, BOOST_ANSWER),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for concept in concepts {
            for alternative in &concept.alternatives {
                for (field, boost) in fields {
                    let held = self.field_terms.get(&field);
                    if !alternative
                        .terms
                        .iter()
                        .all(|term| held.is_some_and(|held| held.contains(term)))
                    {
                        continue;
                    }
                    let term_query = |term: &String| -> Box<dyn Query> {
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, term),
                            IndexRecordOption::WithFreqs,
                        ))
                    };
                    let query: Box<dyn Query> = match alternative.terms.as_slice() {
                        [term] => term_query(term),
                        terms => Box::new(BooleanQuery::new(
                            terms
                                .iter()
                                .map(|term| (Occur::Must, term_query(term)))
                                .collect(),
                        )),
                    };
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(query, boost * alternative.weight)),
                    ));
                }
            }
        }
        BooleanQuery::new(clauses)
    }

    /// The concepts the search draws from `text`, in order. See [`Understood`].
    pub fn understand(&self, text: &str) -> Vec<Understood> {
        self.concepts(&self.query_terms(&normalize(text)))
            .into_iter()
            .map(|concept| Understood {
                words: concept
                    .alternatives
                    .iter()
                    .map(|alternative| alternative.terms.join(" "))
                    .collect::<Vec<_>>()
                    .join(" / "),
                idf: concept.idf,
                generic: concept.generic,
                corrected: concept
                    .alternatives
                    .iter()
                    .all(|alternative| alternative.weight < 1.0),
            })
            .collect()
    }

    /// Best fiches for a text, best first, at most `limit`.
    pub fn search(&self, text: &str, limit: usize, fiches: &[Fiche]) -> Vec<Hit> {
        let normalized = normalize(text);
        let query_terms = self.query_terms(&normalized);
        let negated = self.negated_terms(&normalized);
        let concepts = self.concepts(&query_terms);
        if concepts.is_empty() || limit == 0 {
            return Vec::new();
        }
        let query = self.query(&concepts);
        let searcher = self.reader.searcher();
        let collector =
            tantivy::collector::TopDocs::with_limit(CANDIDATES.max(limit)).order_by_score();
        let Ok(top) = searcher.search(&query, &collector) else {
            return Vec::new();
        };
        let best_score = top
            .first()
            .map_or(1.0, |(score, _)| *score)
            .max(f32::EPSILON);
        let weights = query_weights(&concepts);
        let mut scored: Vec<(f32, f32, usize, u64)> = top
            .iter()
            .filter_map(|(score, address)| {
                let index = address.doc_id as usize;
                let terms = self.fiches.get(index)?;
                let mut confidence = self.confidence(&concepts, &weights, terms);
                if says_a_phrase(&query_terms, &negated, terms) {
                    confidence = confidence.max(PHRASE_CONFIDENCE);
                }
                Some((
                    confidence,
                    *score,
                    index,
                    keyword_concepts(&concepts, terms),
                ))
            })
            .collect();
        scored.sort_by(|a, b| {
            let key_a = a.0 + RANK_SCORE_WEIGHT * a.1 / best_score;
            let key_b = b.0 + RANK_SCORE_WEIGHT * b.1 / best_score;
            key_b.total_cmp(&key_a).then(a.2.cmp(&b.2))
        });
        scored
            .into_iter()
            .take(limit)
            .filter_map(|(confidence, score, index, keyword_concepts)| {
                Some(Hit {
                    fiche_id: fiches.get(index)?.id.clone(),
                    score,
                    confidence,
                    keyword_concepts,
                })
            })
            .collect()
    }
}

/// A term written in digits ("2019", "15"): never corrected, never a concept, names no topic.
fn is_number(term: &str) -> bool {
    term.chars().all(|c| c.is_ascii_digit())
}

/// The inverse document frequency of a term used by `df` of `fiche_count` fiches.
fn idf(fiche_count: usize, df: u32) -> f32 {
    let n = fiche_count as f32;
    let df = df as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
