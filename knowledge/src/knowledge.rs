//! A loaded, validated and indexed knowledge folder.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::load::{self, FicheLines, Folder, SynonymGroup};
use crate::model::{Commune, Fiche, FicheStatus, Hit, Partner};
use crate::problem::{LoadError, Problem, Problems};
use crate::recorded::{Recorded, Resemblance};
use crate::schedule::Schedule;
use crate::shared::{self, Held};

/// How many hits [`Knowledge::search`] returns.
pub const DEFAULT_HITS: usize = 5;

/// Figures about a built folder (for `guichet kb stats`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub fiches: usize,
    pub fiches_by_competence: BTreeMap<String, usize>,
    pub questions: usize,
    pub min_questions: usize,
    pub max_questions: usize,
    pub synonym_groups: usize,
    pub vocabulary: usize,
    pub index_bytes: u64,
    pub build_time: Duration,
}

/// A commune's knowledge, ready to answer: immutable once built.
pub struct Knowledge {
    dir: PathBuf,
    commune: Commune,
    /// The published fiches: the only ones indexed, searched and answered.
    fiches: Vec<Fiche>,
    /// Drafts and rejected fiches, kept for review; never indexed, never reach a caller.
    unpublished: Vec<Fiche>,
    by_id: HashMap<String, usize>,
    synonyms: Vec<SynonymGroup>,
    /// The search index and what derives from it, shared with every folder of the same
    /// searchable content (see [`crate::shared`]).
    index: Held,
    opening_hours: Schedule,
    rollout_windows: Option<Schedule>,
    partner_hours: BTreeMap<String, Schedule>,
    service_hours: BTreeMap<String, Schedule>,
    warnings: Vec<Problem>,
    build_time: Duration,
    /// What [`Knowledge::search_fixed`] found for each of the engine's own questions.
    fixed: Mutex<HashMap<&'static str, Vec<Hit>>>,
    /// The questions of the folder's recorded dialogues and the national ones it reads, for
    /// [`Knowledge::resemblance`].
    recorded: Recorded,
}

/// The outcome of checking a folder: every problem, and the knowledge when it has no error.
pub struct Report {
    pub problems: Vec<Problem>,
    pub knowledge: Option<Knowledge>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|problem| problem.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|problem| !problem.is_error())
    }

    pub fn is_ok(&self) -> bool {
        self.knowledge.is_some()
    }
}

/// Validates a folder and builds its index: reports every problem found (`guichet kb check`).
pub fn check(dir: &Path) -> Report {
    let started = Instant::now();
    let mut problems = Problems::default();
    let folder = load::read_folder(dir, &mut problems);
    let knowledge = build(dir, folder, &mut problems, started);
    let mut problems = problems.0;
    problems.sort_by(|a, b| (&a.path, a.line, a.severity).cmp(&(&b.path, b.line, b.severity)));
    problems.dedup();
    let knowledge = knowledge
        .filter(|_| !problems.iter().any(Problem::is_error))
        .map(|mut knowledge| {
            knowledge.warnings = problems.clone();
            knowledge
        });
    Report {
        problems,
        knowledge,
    }
}

fn build(
    dir: &Path,
    folder: Folder,
    problems: &mut Problems,
    started: Instant,
) -> Option<Knowledge> {
    let Folder {
        commune,
        fiches,
        lines,
        synonyms,
        national_questions,
    } = folder;
    let commune = commune?;
    let (fiches, lines, unpublished) = split_published(fiches, lines);
    let index = match shared::index_for(&fiches, &synonyms) {
        Ok(index) => index,
        Err(error) => {
            problems.error(dir, 0, error);
            return None;
        }
    };
    let build_time = started.elapsed();
    let by_id: HashMap<String, usize> = fiches
        .iter()
        .enumerate()
        .map(|(index, fiche)| (fiche.id.clone(), index))
        .collect();
    let opening_hours = commune.opening_hours?;
    let recorded = Recorded::read(
        dir,
        national_questions,
        |id| by_id.contains_key(id),
        &synonyms,
    );
    let knowledge = Knowledge {
        dir: dir.to_path_buf(),
        commune: commune.commune,
        fiches,
        unpublished,
        by_id,
        synonyms,
        index,
        opening_hours,
        rollout_windows: commune.rollout_windows,
        partner_hours: commune.partner_hours,
        service_hours: commune.service_hours,
        warnings: Vec::new(),
        build_time,
        fixed: Mutex::default(),
        recorded,
    };
    if !problems.has_errors() {
        knowledge.check_reachability(&lines, problems);
    }
    Some(knowledge)
}

/// Separates the published fiches (and their lines) from the drafts and rejected ones.
fn split_published(
    fiches: Vec<Fiche>,
    lines: Vec<FicheLines>,
) -> (Vec<Fiche>, Vec<FicheLines>, Vec<Fiche>) {
    let mut published = Vec::with_capacity(fiches.len());
    let mut published_lines = Vec::with_capacity(lines.len());
    let mut unpublished = Vec::new();
    for (fiche, fiche_lines) in fiches.into_iter().zip(lines) {
        if fiche.status == FicheStatus::Publiee {
            published.push(fiche);
            published_lines.push(fiche_lines);
        } else {
            unpublished.push(fiche);
        }
    }
    (published, published_lines, unpublished)
}

impl Knowledge {
    /// Loads, validates and indexes a folder. Warnings do not prevent loading (see
    /// [`Knowledge::warnings`]); any error does, and the error lists every problem.
    pub fn load(dir: &Path) -> Result<Knowledge, LoadError> {
        let report = check(dir);
        match report.knowledge {
            Some(knowledge) => Ok(knowledge),
            None => Err(LoadError {
                problems: report.problems,
            }),
        }
    }

    /// Loads several folders on all cores, in the order given (a node serving many communes
    /// starts in the time of its slowest share, not of the sum). Folders of the same
    /// searchable content share one index (see [`crate::shared`]).
    pub fn load_many(dirs: &[PathBuf]) -> Vec<Result<Knowledge, LoadError>> {
        let workers = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(dirs.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let loaded: Vec<OnceLock<Result<Knowledge, LoadError>>> =
            dirs.iter().map(|_| OnceLock::new()).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(dir) = dirs.get(index) else { break };
                        let _ = loaded[index].set(Knowledge::load(dir));
                    }
                });
            }
        });
        loaded
            .into_iter()
            .filter_map(OnceLock::into_inner)
            .collect()
    }

    /// The folder this knowledge was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn commune(&self) -> &Commune {
        &self.commune
    }

    /// The published fiches (the only ones a caller can reach).
    pub fn fiches(&self) -> &[Fiche] {
        &self.fiches
    }

    /// Drafts and rejected fiches of the folder, for review: never searched nor answered.
    pub fn unpublished(&self) -> &[Fiche] {
        &self.unpublished
    }

    pub fn fiche(&self, id: &str) -> Option<&Fiche> {
        self.by_id.get(id).and_then(|&index| self.fiches.get(index))
    }

    pub fn partner(&self, key: &str) -> Option<&Partner> {
        self.commune.partners.get(key)
    }

    /// The partners that take reports (`report_email` or `report_url` in `commune.toml`), by
    /// key: what a service delivering every report the commune declares passes on.
    pub fn reporting_partners(&self) -> Vec<String> {
        self.commune
            .partners
            .iter()
            .filter(|(_, partner)| partner.accepts_reports())
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The body in charge of a fiche of another competence (`None` for a commune fiche).
    pub fn partner_of(&self, fiche: &Fiche) -> Option<&Partner> {
        fiche.partner.as_deref().and_then(|key| self.partner(key))
    }

    /// Opening hours of a partner, when `commune.toml` gives them.
    pub fn partner_hours(&self, key: &str) -> Option<&Schedule> {
        self.partner_hours.get(key)
    }

    /// Opening hours of one of the mairie's other sites (`[services.*]`), when given.
    pub fn service_hours(&self, key: &str) -> Option<&Schedule> {
        self.service_hours.get(key)
    }

    /// The topic that the recorded questions most like `question` were meant for (see
    /// [`crate::recorded`]).
    pub fn resemblance(&self, question: &str) -> Option<Resemblance<'_>> {
        self.recorded.resemblance(question)
    }

    /// How many recorded questions [`Knowledge::resemblance`] compares with.
    pub fn recorded_questions(&self) -> usize {
        self.recorded.len()
    }

    /// The groups of `synonyms.txt`.
    pub fn synonyms(&self) -> &[SynonymGroup] {
        &self.synonyms
    }

    /// The [`DEFAULT_HITS`] best fiches for what a caller said, best first. See
    /// [`crate::search`] for what `confidence` means.
    pub fn search(&self, text: &str) -> Vec<Hit> {
        self.search_n(text, DEFAULT_HITS)
    }

    /// [`Knowledge::search`] for a question of the engine's own, not a caller's (« quels sont
    /// les horaires d'ouverture de la mairie »): the same for every turn, so it is searched once
    /// per knowledge and kept.
    pub fn search_fixed(&self, question: &'static str) -> Vec<Hit> {
        let mut fixed = self
            .fixed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fixed
            .entry(question)
            .or_insert_with(|| self.search(question))
            .clone()
    }

    /// The `n` best fiches, best first.
    pub fn search_n(&self, text: &str, n: usize) -> Vec<Hit> {
        self.index.index.search(text, n, &self.fiches)
    }

    /// What the search understood of `text`: its concepts and their weights.
    pub fn understand(&self, text: &str) -> Vec<crate::search::Understood> {
        self.index.index.understand(text)
    }

    /// Words and phrases for the speech recogniser: keywords, titles and synonyms, deduplicated.
    pub fn hints(&self) -> &Arc<[String]> {
        &self.index.hints
    }

    /// When the mairie is open (commune timezone, French public holidays closed).
    pub fn opening_hours(&self) -> &Schedule {
        &self.opening_hours
    }

    /// When the robot answers, if the rollout is limited to time windows.
    pub fn rollout_windows(&self) -> Option<&Schedule> {
        self.rollout_windows.as_ref()
    }

    /// Warnings found while loading (the folder is valid).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    pub fn stats(&self) -> Stats {
        let mut fiches_by_competence = BTreeMap::new();
        for fiche in &self.fiches {
            let name = crate::load::competence_name(fiche.competence);
            *fiches_by_competence.entry(name.to_owned()).or_default() += 1;
        }
        let counts = self.fiches.iter().map(|fiche| fiche.questions.len());
        Stats {
            fiches: self.fiches.len(),
            fiches_by_competence,
            questions: counts.clone().sum(),
            min_questions: counts.clone().min().unwrap_or(0),
            max_questions: counts.max().unwrap_or(0),
            synonym_groups: self.synonyms.len(),
            vocabulary: self.index.index.vocabulary_size(),
            index_bytes: self.index.index.index_bytes(),
            build_time: self.build_time,
        }
    }

    /// Warns about fiches that none of their own questions finds first.
    fn check_reachability(&self, lines: &[FicheLines], problems: &mut Problems) {
        for (fiche, fiche_lines) in self.fiches.iter().zip(lines) {
            if fiche.questions.is_empty() {
                problems.warning(
                    &fiche.path,
                    fiche_lines.questions,
                    "aucune question : la fiche ne sera jamais trouvée (ajoutez des « questions »)",
                );
            }
        }
        for unreached in self.index.unreached(&self.fiches) {
            let (Some(fiche), Some(fiche_lines)) = (
                self.fiches.get(unreached.position),
                lines.get(unreached.position),
            ) else {
                continue;
            };
            let leads_to = if unreached.leads_to.is_empty() {
                "aucune fiche".to_owned()
            } else {
                unreached.leads_to.join(", ")
            };
            problems.warning(
                &fiche.path,
                fiche_lines.questions,
                format!(
                    "aucune des questions de la fiche ne la trouve en premier (elles mènent à : {leads_to}) : \
                     reformulez-les ou ajoutez des mots-clés propres à la fiche"
                ),
            );
        }
    }
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge")
            .field("dir", &self.dir)
            .field("commune", &self.commune.name)
            .field("fiches", &self.fiches.len())
            .finish()
    }
}
