//! The national "qui fait quoi" catalogue, shipped inside the binary and loaded by every
//! commune: deflection fiches for the bodies callers most often confuse with the mairie (CPAM,
//! CAF, France Travail, impôts, Banque de France, 119, 3919, 3114, emergencies…) and the
//! partners they name.
//!
//! The source files live in `knowledge/national/` (`fiches/*.md` in the commune fiche format,
//! `partners.toml` in the format of `commune.toml`'s `[partners.*]`, `synonyms.txt` in the
//! format of a commune's: spoken French for the fiches' words, read before the commune's own).
//! They are compiled into the binary, so a fresh clone, an installed binary and the Docker
//! image all have the same catalogue and nothing is read at run time.
//!
//! `questions.txt` holds the national recorded questions: how callers put the matters every
//! commune shares, with the fiche that answers each (a national one or the starter pack's), read
//! beside the commune's own recorded dialogues (`crate::recorded`).
//!
//! Precedence, per commune:
//! - a fiche of the commune's own folder with the same `id` replaces the national one (its
//!   `status: rejetee` turns the subject off entirely);
//! - `[national] disabled = ["msa", …]` in `commune.toml` turns national fiches off, with
//!   their recorded questions; `[national] recorded_questions = false` turns every national
//!   recorded question off, and a question the commune records itself is read with the
//!   commune's fiche;
//! - a partner of `commune.toml` with the same key (`[partners.caf]`) replaces the national
//!   partner: the commune's local body and its local number take precedence. Where it gives
//!   no phone or no website, the national one is said (a local CPAM agency without a number
//!   of its own is reached at the 36 46).
//!
//! The catalogue is parsed once per process. The imported DILA fiches live in each commune's
//! folder (staff review and edit them there); what a node holds once for all communes is the
//! index built from identical content (see `crate::shared`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use crate::load::fiche_file::{FicheLines, parse_fiche};
use crate::load::synonyms_file::{SynonymGroup, parse_synonyms};
use crate::model::{Fiche, Partner};
use crate::problem::{Problem, Problems};
use crate::recorded::Question;

/// The folder name shown in messages about a national fiche.
pub const NATIONAL_DIR: &str = "<catalogue national>";

macro_rules! fiche {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../national/fiches/", $name)),
        )
    };
}

/// Every fiche of `knowledge/national/fiches` (a test checks none is missing).
const FICHES: &[(&str, &str)] = &[
    fiche!("adil.md"),
    fiche!("assurance-retraite.md"),
    fiche!("assurance.md"),
    fiche!("banque-de-france.md"),
    fiche!("banque.md"),
    fiche!("bavardage.md"),
    fiche!("caf-allocations.md"),
    fiche!("carte-grise.md"),
    fiche!("ccas.md"),
    fiche!("cpam.md"),
    fiche!("defenseur-des-droits.md"),
    fiche!("education-nationale.md"),
    fiche!("employeur.md"),
    fiche!("energie.md"),
    fiche!("enfance-en-danger.md"),
    fiche!("france-renov.md"),
    fiche!("france-travail.md"),
    fiche!("france-victimes.md"),
    fiche!("impots.md"),
    fiche!("mdph.md"),
    fiche!("meteo.md"),
    fiche!("msa.md"),
    fiche!("operateur-telecom.md"),
    fiche!("permis-conduire.md"),
    fiche!("plainte.md"),
    fiche!("point-justice.md"),
    fiche!("prevention-suicide.md"),
    fiche!("signalconso.md"),
    fiche!("soins-courants.md"),
    fiche!("titre-sejour.md"),
    fiche!("transport-national.md"),
    fiche!("urgences.md"),
    fiche!("violences-femmes.md"),
];

const PARTNERS: &str = include_str!("../../national/partners.toml");

const SYNONYMS: &str = include_str!("../../national/synonyms.txt");

const QUESTIONS: &str = include_str!("../../national/questions.txt");

/// In `questions.txt`, the fiche of a question no fiche answers.
const NO_FICHE: &str = "aucune";

/// The parsed catalogue.
pub(crate) struct National {
    pub fiches: Vec<(Fiche, FicheLines)>,
    pub partners: BTreeMap<String, Partner>,
    /// Spoken French for the fiches' words ("boulot", "proprio", "toubib"), before the
    /// commune's own `synonyms.txt`.
    pub synonyms: Vec<SynonymGroup>,
    /// The national recorded questions, each with its right fiches (none: a reformulation or
    /// a human).
    pub questions: Vec<Question>,
}

/// The catalogue, parsed once per process (every commune of a node reads the same); its
/// problems (never expected: a test loads it) are added to `problems` at each use.
pub(crate) fn catalogue(problems: &mut Problems) -> &'static National {
    static PARSED: LazyLock<(National, Vec<Problem>)> = LazyLock::new(|| {
        let mut problems = Problems::default();
        let national = load(&mut problems);
        (national, problems.0)
    });
    problems.0.extend(PARSED.1.iter().cloned());
    &PARSED.0
}

fn load(problems: &mut Problems) -> National {
    let dir = Path::new(NATIONAL_DIR);
    let fiches = FICHES
        .iter()
        .filter_map(|(name, text)| parse_fiche(&dir.join("fiches").join(name), text, problems))
        .collect();
    let partners =
        super::commune_file::parse_partners(&dir.join("partners.toml"), PARTNERS, problems);
    let synonyms = parse_synonyms(&dir.join("synonyms.txt"), SYNONYMS, problems);
    let questions = parse_questions(&dir.join("questions.txt"), QUESTIONS, problems);
    National {
        fiches,
        partners,
        synonyms,
        questions,
    }
}

/// Parses recorded questions, `fiche[, fiche…] : question` a line ([`NO_FICHE`]: none),
/// `#` comments and blank lines aside.
fn parse_questions(path: &Path, text: &str, problems: &mut Problems) -> Vec<Question> {
    let mut questions = Vec::new();
    for (number, line) in (1..).zip(text.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line.split_once(" : ").and_then(|(fiches, question)| {
            let fiches: Vec<String> = match fiches.trim() {
                NO_FICHE => Vec::new(),
                ids => ids.split(',').map(|id| id.trim().to_owned()).collect(),
            };
            let question = question.trim();
            (!question.is_empty() && fiches.iter().all(|id| !id.is_empty()))
                .then(|| Question::new(question, fiches))
        });
        match parsed {
            Some(question) => questions.push(question),
            None => problems.error(
                path,
                number,
                format!("question illisible : « fiche : question » attendu (« {NO_FICHE} » si aucune fiche ne répond)"),
            ),
        }
    }
    questions
}

/// The ids of the national fiches.
pub fn fiche_ids() -> Vec<String> {
    catalogue(&mut Problems::default())
        .fiches
        .iter()
        .map(|(fiche, _)| fiche.id.clone())
        .collect()
}

/// Whether a fiche comes from the national catalogue (its path is under [`NATIONAL_DIR`]).
pub fn is_national(path: &Path) -> bool {
    path.starts_with(NATIONAL_DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_folder_is_embedded_and_loads_cleanly() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("national/fiches");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".md"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = FICHES.iter().map(|(name, _)| (*name).to_owned()).collect();
        assert_eq!(embedded, on_disk, "add the new fiche to FICHES");
        let mut problems = Problems::default();
        let national = load(&mut problems);
        assert!(problems.0.is_empty(), "{:?}", problems.0);
        assert_eq!(national.fiches.len(), FICHES.len());
        for (fiche, _) in &national.fiches {
            assert!(fiche.source.is_some(), "{}: no source", fiche.id);
            if fiche.competence == crate::Competence::Aucune {
                continue; // no public body: no partner
            }
            let partner = fiche.partner.as_deref().unwrap_or_default();
            assert!(
                national.partners.contains_key(partner),
                "{}: partner « {partner} » not in partners.toml",
                fiche.id
            );
            assert!(fiche.source.is_some(), "{}: no source", fiche.id);
            assert!(fiche.sms.is_some(), "{}: no SMS", fiche.id);
        }
    }

    #[test]
    fn the_recorded_questions_name_national_or_starter_pack_fiches() {
        let national = load(&mut Problems::default());
        let pack = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../opendata/starter-pack.toml"),
        )
        .unwrap();
        let pack: toml::Table = toml::from_str(&pack).unwrap();
        let starter = ["fiche", "group"].into_iter().flat_map(|kind| {
            (pack
                .get(kind)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten())
            .filter_map(|entry| entry.get("id")?.as_str())
        });
        let fiches: std::collections::HashSet<&str> = (national.fiches.iter())
            .map(|(fiche, _)| fiche.id.as_str())
            .chain(starter)
            .collect();
        assert!(
            national.questions.len() > 1_000,
            "{}",
            national.questions.len()
        );
        for question in &national.questions {
            for id in question.fiches() {
                assert!(
                    fiches.contains(id.as_str()),
                    "{}: unknown fiche {id}",
                    question.text()
                );
            }
        }
        assert!(
            national.questions.iter().any(|q| q.fiches().is_empty()),
            "questions no fiche answers"
        );
    }

    #[test]
    fn a_recorded_question_line_is_checked() {
        let mut problems = Problems::default();
        let text = "# comment\n\ncpam : j'ai perdu ma carte vitale\n\
                    aucune : vous avez vu le match\ncni, passeport : mes papiers\n\
                    cpam: sans espace\ncpam : \n , cpam : une fiche vide\n";
        let questions = parse_questions(Path::new("questions.txt"), text, &mut problems);
        let read: Vec<(&str, Vec<&str>)> = (questions.iter())
            .map(|q| (q.text(), q.fiches().iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            read,
            vec![
                ("j'ai perdu ma carte vitale", vec!["cpam"]),
                ("vous avez vu le match", vec![]),
                ("mes papiers", vec!["cni", "passeport"]),
            ]
        );
        let lines: Vec<usize> = problems.0.iter().map(|problem| problem.line).collect();
        assert_eq!(lines, vec![6, 7, 8]);
    }
}
