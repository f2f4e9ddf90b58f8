//! The questions operators recorded, and which of them a new question resembles.
//!
//! The commune's `dialogues/` folder holds what operators replay to score the robot: each
//! dialogue's first caller turn with the fiche it expects, or with no fiche when the right
//! reply is a reformulation or a human (`fallback`, `transfer`, `callback`, `handoff: true`).
//! Thousands of such lines say how callers really put a matter, in words no fiche lists
//! ("un chiot tout maigre traîne sur le parking" for a stray animal). The engine reads them
//! as a second opinion: when the recorded questions a new one most resembles were meant for
//! another topic, a sure-looking answer is confirmed first ([`Recorded::resemblance`]).
//!
//! Every commune also reads the national recorded questions shipped with the catalogue
//! (`knowledge/national/questions.txt`: the matters all communes share, such as a CPAM or a
//! passport question), so that a commune made in a day has a second opinion from its first
//! call; a question the commune records itself is read with the commune's fiche.
//!
//! Dialogues of the `test` split are never read: they measure the robot and must stay unseen.
//! A file that cannot be read is skipped (the eval reports it); it never stops a commune from
//! loading.
//!
//! The resemblance is the cosine of TF-IDF vectors of the questions' terms (normalised,
//! stemmed, stop words out: [`crate::terms`]; an expression of `synonyms.txt` as one term for
//! its whole group, as the search reads it; term frequency `1 + ln tf`, smoothed IDF), and
//! the [`NEIGHBOURS`] most similar recorded questions vote for their topic with their
//! similarity raised to the power [`VOTE_SHARPNESS`]: the closest questions decide.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::load::SynonymGroup;
use crate::search::GENERIC_WEIGHT;
use crate::synonyms::Synonyms;
use crate::yaml::OneOrMany;

/// How many of the most similar recorded questions vote.
pub const NEIGHBOURS: usize = 10;

/// The power of its similarity a recorded question votes with: a question at 0.6 of the
/// caller's outweighs five at 0.4 (0.13 against 0.03 each), where with its plain similarity
/// it weighed as much as one and a half of them. The farthest of ten neighbours often share
/// no more than a word or two with the caller's question.
///
/// Swept on 2026-12-07 (twenty-sixth pass in `docs/tuning-log.md`), each dev batch measured
/// against the demo commune without its own dialogues (fiches right / false answers / out of
/// scope handled / turns right, over 6,669 scored turns; the demo's dialogues, likewise, as
/// false answers / turns right): plain similarity 4,564 / 293 / 3,245 / 4,816, 1 / 427;
/// squared 4,577 / 287 / 3,259 / 4,833, 1 / 427; cubed 4,600 / 276 / 3,277 / 4,858, 1 / 432;
/// **4** 4,618 / 270 / 3,298 / 4,882, 1 / 432; 5 4,635 / 261 / 3,312 / 4,899, 2 / 429; 6
/// 4,642 / 260 / 3,315 / 4,906, 3 / 428; 8 4,660 / 258 / 3,330 / 4,922, 3 / 427. From 5, the
/// operators' dialogues get false answers. Fewer neighbours at plain similarity did less (4:
/// 4,609 / 267 / 3,279 / 4,862, 2 / 427). With the danger-line doubt raised to match
/// (`Policy::danger_line_doubt` in the agent): 4,618 / 272 / 3,299 / 4,883, 1 / 432.
pub const VOTE_SHARPNESS: i32 = 4;

/// A recorded question: what the caller said and the fiches that answer it (none: a
/// reformulation or a human), with its terms counted once.
#[derive(Debug, Clone)]
pub struct Question {
    text: String,
    fiches: Vec<String>,
    /// The text as compared with another question's: [`crate::text::normalize`]d (case,
    /// accents and punctuation aside).
    same_as: String,
    /// Its terms, in the order said ([`crate::terms`]).
    terms: Vec<String>,
}

impl Question {
    pub fn new(text: impl Into<String>, fiches: Vec<String>) -> Question {
        let text = text.into();
        let mut terms = crate::terms(&text);
        // Thousands are kept for the process's life (the national questions).
        terms.shrink_to_fit();
        Question {
            same_as: crate::text::normalize(&text),
            terms,
            text,
            fiches,
        }
    }

    /// What the caller said.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The fiches that answer it (none: a reformulation or a human).
    pub fn fiches(&self) -> &[String] {
        &self.fiches
    }
}

/// What the recorded questions most like a new one were meant for.
#[derive(Debug, Clone, PartialEq)]
pub struct Resemblance<'a> {
    /// Each topic voted for (a fiche; `None`: no fiche, a reformulation or a human) with the
    /// sum of its voters' votes (their similarity to the power [`VOTE_SHARPNESS`]); a question
    /// recorded with several right fiches votes for each of them.
    votes: Vec<(Option<&'a str>, f32)>,
    /// The sum of the voters' votes.
    total: f32,
    /// The similarity of the closest recorded question.
    nearest: f32,
}

impl<'a> Resemblance<'a> {
    /// The topic with the most votes (the first recorded one of equals).
    pub fn topic(&self) -> Option<&'a str> {
        self.leader().0
    }

    /// The leading topic's share of the votes times the similarity of the closest question,
    /// in [0, 1]: high when the closest questions are close and agree.
    pub fn strength(&self) -> f32 {
        (self.leader().1 / self.total.max(f32::EPSILON) * self.nearest).clamp(0.0, 1.0)
    }

    /// Whether a topic other than those `same` accepts leads the votes, with more votes
    /// than all of those together (a fiche and the question that clarifies it, say).
    pub fn prefers_another(&self, same: impl Fn(&str) -> bool) -> bool {
        let same = |topic: Option<&str>| topic.is_some_and(&same);
        let (leader, votes) = self.leader();
        let own: f32 = self
            .votes
            .iter()
            .filter(|(topic, _)| same(*topic))
            .map(|(_, sum)| sum)
            .sum();
        !same(leader) && votes > own
    }

    /// Each topic voted for, with its votes, in the order first voted.
    pub fn votes(&self) -> &[(Option<&'a str>, f32)] {
        &self.votes
    }

    fn leader(&self) -> (Option<&'a str>, f32) {
        self.votes.iter().copied().fold(
            (None, 0.0),
            |best, vote| if vote.1 > best.1 { vote } else { best },
        )
    }
}

/// The recorded questions of a commune, indexed by term.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The right fiches of each recorded question (empty: none, a reformulation or a human).
    topics: Vec<Vec<String>>,
    /// For each term, the questions that say it with the term's weight in their unit vector.
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Smoothed IDF of each term over the recorded questions.
    idf: HashMap<String, f32>,
    /// The folder's synonyms: an expression of a group is one term for the whole group.
    synonyms: Synonyms,
}

#[derive(Deserialize)]
struct Dialogue {
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    turns: Vec<Turn>,
}

#[derive(Deserialize)]
struct Turn {
    #[serde(default)]
    caller: Option<String>,
    #[serde(default)]
    expect: Option<Expect>,
}

/// The part of a dialogue turn's expectation that says which fiches are right (the eval reads
/// the whole of it: `guichet_eval::Expect`).
#[derive(Deserialize)]
struct Expect {
    #[serde(default)]
    fiche: Option<OneOrMany>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    handoff: Option<bool>,
}

impl Expect {
    /// `Some(fiches)`: the right fiches, none when no fiche is right; `None`: the
    /// expectation says nothing of the topic.
    fn topic(&self) -> Option<Vec<String>> {
        let fiches = self
            .fiche
            .as_ref()
            .map_or(&[][..], OneOrMany::as_slice)
            .to_vec();
        // The agent's actions that name no fiche, as dialogue files spell them.
        let no_fiche = self.handoff == Some(true)
            || matches!(
                self.action.as_deref(),
                Some("fallback" | "transfer" | "callback")
            );
        (!fiches.is_empty() || no_fiche).then_some(fiches)
    }
}

impl Recorded {
    /// The first caller turn of every dialogue under `dir/dialogues` (not of the `test`
    /// split), then the `national` recorded questions the commune does not record itself:
    /// those whose right fiches are all published (`known`) or that need no fiche. A question
    /// says an expression of `synonyms` as any other of its group (« la sécu », « l'assurance
    /// maladie »), as the search reads it.
    pub fn read(
        dir: &Path,
        national: &[Question],
        known: impl Fn(&str) -> bool,
        synonyms: &[SynonymGroup],
    ) -> Recorded {
        let own = own_questions(dir);
        let recorded_here: HashSet<&str> = own.iter().map(|q| q.same_as.as_str()).collect();
        let national = national
            .iter()
            .filter(|question| !recorded_here.contains(question.same_as.as_str()));
        let questions: Vec<&Question> = (own.iter().chain(national))
            .filter(|question| question.fiches.iter().all(|fiche| known(fiche)))
            .collect();
        Recorded::index(&questions, Synonyms::new(synonyms))
    }

    /// Indexes questions with their topics.
    fn index(questions: &[&Question], synonyms: Synonyms) -> Recorded {
        // Counted twice rather than kept between the two passes: thousands of questions'
        // terms held at once would stay in the process's memory after the index is built.
        let counted = |question: &Question| term_counts(&synonyms.fold(&question.terms));
        let mut df: HashMap<String, f32> = HashMap::new();
        for question in questions {
            for (term, _) in counted(question) {
                *df.entry(term).or_default() += 1.0;
            }
        }
        let n = questions.len() as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(term, df)| (term, ((1.0 + n) / (1.0 + df)).ln() + 1.0))
            .collect();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        for (index, question) in questions.iter().enumerate() {
            for (term, weight) in unit_vector(&counted(question), &idf) {
                postings
                    .entry(term)
                    .or_default()
                    .push((index as u32, weight));
            }
        }
        Recorded {
            topics: questions.iter().map(|q| q.fiches.clone()).collect(),
            postings,
            idf,
            synonyms,
        }
    }

    /// How many questions are recorded.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The topic the recorded questions most like `question` were meant for; `None` when no
    /// recorded question shares a term with it.
    pub fn resemblance(&self, question: &str) -> Option<Resemblance<'_>> {
        let terms = self.synonyms.fold(&crate::terms(question));
        let query = unit_vector(&term_counts(&terms), &self.idf);
        let mut similarity = vec![0.0_f32; self.topics.len()];
        for (term, weight) in &query {
            for (index, other) in self.postings.get(term).into_iter().flatten() {
                similarity[*index as usize] += weight * other;
            }
        }
        let mut closest: Vec<(u32, f32)> = (0_u32..)
            .zip(similarity)
            .filter(|(_, similarity)| *similarity > 0.0)
            .collect();
        closest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        closest.truncate(NEIGHBOURS);
        let nearest = closest.first()?.1;
        let mut votes: Vec<(Option<&str>, f32)> = Vec::new();
        let mut total = 0.0;
        for (index, similarity) in &closest {
            let vote = similarity.powi(VOTE_SHARPNESS);
            total += vote;
            let fiches = &self.topics[*index as usize];
            let no_fiche = fiches.is_empty().then_some(None);
            for topic in fiches
                .iter()
                .map(|fiche| Some(fiche.as_str()))
                .chain(no_fiche)
            {
                match votes.iter_mut().find(|(voted, _)| *voted == topic) {
                    Some((_, sum)) => *sum += vote,
                    None => votes.push((topic, vote)),
                }
            }
        }
        Some(Resemblance {
            votes,
            total,
            nearest,
        })
    }
}

/// The first caller turn of every dialogue under `dir/dialogues` (not of the `test` split)
/// whose expectation says which fiches are right, or that none is.
fn own_questions(dir: &Path) -> Vec<Question> {
    // No `dialogues/` folder, or one that cannot be read: nothing recorded.
    let files = crate::yaml::yaml_files(&dir.join("dialogues")).unwrap_or_default();
    let mut questions = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let text = crate::yaml::without_bom(&text);
        let readable = crate::yaml::readable_documents(text);
        for document in serde_yaml_ng::Deserializer::from_str(text).take(readable) {
            let Ok(dialogue) = Dialogue::deserialize(document) else {
                continue;
            };
            if dialogue.split.as_deref() == Some("test") {
                continue;
            }
            if let Some(Turn {
                caller: Some(caller),
                expect: Some(expect),
            }) = dialogue.turns.into_iter().next()
                && let Some(fiches) = expect.topic()
            {
                questions.push(Question::new(caller, fiches));
            }
        }
    }
    questions
}

/// Each term of a question with `1 + ln(count)`, a generic one (where, when, for whom) at
/// [`GENERIC_WEIGHT`] of it as in the search: "le samedi" must not make questions alike.
fn term_counts(terms: &[String]) -> Vec<(String, f32)> {
    let mut counts: HashMap<String, f32> = HashMap::new();
    for term in terms {
        *counts.entry(term.clone()).or_default() += 1.0;
    }
    let mut weighted: Vec<(String, f32)> = counts
        .into_iter()
        .map(|(term, count)| {
            let generic = crate::text::generic_terms().contains(&term);
            let weight = (1.0 + count.ln()) * if generic { GENERIC_WEIGHT } else { 1.0 };
            (term, weight)
        })
        .collect();
    weighted.sort_by(|a, b| a.0.cmp(&b.0));
    weighted
}

/// The TF-IDF vector of counted terms, of length 1; terms no recorded question says are left
/// out (they cannot bring two questions closer).
fn unit_vector(terms: &[(String, f32)], idf: &HashMap<String, f32>) -> Vec<(String, f32)> {
    let weighted: Vec<(String, f32)> = terms
        .iter()
        .filter_map(|(term, tf)| idf.get(term).map(|idf| (term.clone(), tf * idf)))
        .collect();
    let norm = weighted.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm <= 0.0 {
        return Vec::new();
    }
    weighted.into_iter().map(|(t, w)| (t, w / norm)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Recorded {
        let q = |text: &str, topic: Option<&str>| {
            Question::new(text, topic.into_iter().map(str::to_owned).collect())
        };
        let questions = [
            q(
                "un chien errant traîne sur le parking",
                Some("animaux-errants"),
            ),
            q(
                "un chiot perdu dans la rue depuis hier",
                Some("animaux-errants"),
            ),
            q(
                "il y a un chiot abandonné devant l'école",
                Some("animaux-errants"),
            ),
            q(
                "je voudrais louer la salle polyvalente",
                Some("location-salle"),
            ),
            q(
                "c'est combien la salle des fêtes pour un mariage",
                Some("location-salle"),
            ),
            q("vous avez vu le match hier soir", None),
        ];
        Recorded::index(&questions.iter().collect::<Vec<_>>(), Synonyms::default())
    }

    #[test]
    fn a_question_resembles_the_recorded_questions_of_its_topic() {
        let recorded = recorded();
        let found = recorded
            .resemblance("un chiot tout maigre traîne sur le parking depuis hier soir")
            .expect("terms in common");
        assert_eq!(found.topic(), Some("animaux-errants"));
        assert!(found.strength() > 0.0 && found.strength() <= 1.0);
        assert!(found.prefers_another(|topic| topic == "location-salle"));
        assert!(!found.prefers_another(|topic| topic == "animaux-errants"));
        assert!(
            !found.prefers_another(|topic| topic == "animaux-errants" || topic == "x"),
            "a family of topics"
        );
        let chat = recorded
            .resemblance("t'as vu le match")
            .expect("terms in common");
        assert_eq!(chat.topic(), None, "recorded as needing no fiche");
        assert!(chat.prefers_another(|topic| topic == "animaux-errants"));
    }

    #[test]
    fn the_closest_recorded_question_outweighs_several_distant_ones() {
        let q = |text: &str, topic: &str| Question::new(text, vec![topic.to_owned()]);
        let questions = [
            q(
                "un chiot perdu tourne sur le parking du stade",
                "animaux-errants",
            ),
            q("j'ai perdu mes clés sur le parking", "objets-trouves"),
            q("perdu un gant au parking de la salle", "objets-trouves"),
            q(
                "mon portefeuille perdu sur le parking du marché",
                "objets-trouves",
            ),
            q("le doudou perdu hier au parking", "objets-trouves"),
        ];
        let recorded = Recorded::index(&questions.iter().collect::<Vec<_>>(), Synonyms::default());
        let caller = "j'ai vu un chiot perdu sur le parking";
        let query = unit_vector(&term_counts(&crate::terms(caller)), &recorded.idf);
        let similarity = |question: &Question| -> f32 {
            let other = unit_vector(&term_counts(&question.terms), &recorded.idf);
            query
                .iter()
                .filter_map(|(term, w)| other.iter().find(|(t, _)| t == term).map(|(_, o)| w * o))
                .sum()
        };
        let dog = similarity(&questions[0]);
        let things: f32 = questions[1..].iter().map(similarity).sum();
        assert!(
            things > dog,
            "the premise: by their plain similarity ({things} against {dog}), the lost things \
             would win"
        );
        let found = recorded.resemblance(caller).expect("terms in common");
        assert_eq!(found.topic(), Some("animaux-errants"));
        let share = found.strength() / dog;
        assert!(
            share > 0.8,
            "the closest question's topic holds most of the votes: {share}"
        );
    }

    #[test]
    fn a_question_says_a_synonym_as_any_other_of_its_group() {
        let q = |text: &str, fiche: &str| Question::new(text, vec![fiche.to_owned()]);
        let questions = [
            q("ma sécu me rembourse pas", "cpam"),
            q("je voudrais louer la salle des fêtes", "location-salle"),
        ];
        let questions: Vec<&Question> = questions.iter().collect();
        let caller = "l'assurance maladie ne rembourse pas mes lunettes";
        let plain = Recorded::index(&questions, Synonyms::default());
        let group = |entries: &[&str]| SynonymGroup {
            line: 1,
            entries: entries.iter().map(|entry| entry.to_string()).collect(),
            terms: entries.iter().map(|entry| crate::terms(entry)).collect(),
        };
        let folded = Recorded::index(
            &questions,
            Synonyms::new(&[group(&["sécurité sociale", "sécu", "assurance maladie"])]),
        );
        let strength = |recorded: &Recorded| {
            recorded
                .resemblance(caller)
                .map_or(0.0, |found| found.strength())
        };
        assert_eq!(
            folded.resemblance(caller).and_then(|found| found.topic()),
            Some("cpam")
        );
        assert!(
            strength(&folded) > strength(&plain),
            "« assurance maladie » is « sécu »: {} against {}",
            strength(&folded),
            strength(&plain)
        );
    }

    #[test]
    fn a_question_sharing_no_term_resembles_nothing() {
        assert_eq!(recorded().resemblance("bonjour"), None);
        assert_eq!(Recorded::default().resemblance("un chiot"), None);
    }

    #[test]
    fn the_test_split_unknown_fiches_and_broken_files_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dialogues = dir.path().join("dialogues/sub");
        std::fs::create_dir_all(&dialogues).expect("mkdir");
        let dialogue = |split: &str, caller: &str, expect: &str| {
            format!(
                "name: x\nsplit: {split}\nturns:\n  - caller: \"{caller}\"\n    expect: {expect}\n"
            )
        };
        let text = [
            dialogue("dev", "un chiot perdu", "{ fiche: animaux-errants }"),
            dialogue("test", "un chien perdu", "{ fiche: animaux-errants }"),
            dialogue("dev", "une fiche disparue", "{ fiche: inconnue }"),
            dialogue("dev", "le match d'hier", "{ action: fallback }"),
            dialogue("dev", "la salle", "{ action: answer }"),
        ]
        .join("---\n");
        std::fs::write(dialogues.join("a.yaml"), text).expect("write");
        // A syntax error: the documents before it are read, none after it (serde_yaml_ng
        // would yield the same error forever).
        let broken = [
            dialogue("dev", "un chat perdu", "{ fiche: animaux-errants }"),
            "turns: [[[\n".to_owned(),
            dialogue("dev", "un chien perdu", "{ fiche: animaux-errants }"),
        ]
        .join("---\n");
        std::fs::write(dialogues.join("b.yaml"), format!("\u{feff}{broken}")).expect("write");
        let recorded = Recorded::read(dir.path(), &[], |id| id == "animaux-errants", &[]);
        assert_eq!(
            recorded.len(),
            3,
            "the dev questions of a known fiche before the error, and the fallback"
        );
        assert_eq!(
            recorded.resemblance("un chien").map(|found| found.topic()),
            None,
            "« chien » only in the test split and after the error"
        );
    }
}
