//! `guichet kb`: check, search and describe a knowledge folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use guichet_knowledge::{Knowledge, check};

/// The folder used when none is given (relative to the current directory).
const DEFAULT_DIR: &str = "communes/demo";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a knowledge folder: every problem as `path:line: message`; exit 1 on errors
    Check {
        /// Knowledge folder [default: $GUICHET_COMMUNE, else communes/demo]
        dir: Option<PathBuf>,
    },
    /// Show the 5 best fiches for a question, with their confidence
    Search {
        /// `[DIR] QUESTION`: the folder is optional [default: $GUICHET_COMMUNE, else communes/demo]
        #[arg(required = true, num_args = 1..=2, value_names = ["DIR", "QUESTION"])]
        args: Vec<String>,
        /// Print the hits as JSON
        #[arg(long)]
        json: bool,
    },
    /// Fiches by competence, questions per fiche, index size, build time
    Stats {
        /// Knowledge folder [default: $GUICHET_COMMUNE, else communes/demo]
        dir: Option<PathBuf>,
    },
    /// Import draft fiches from national open data
    #[command(subcommand)]
    Import(super::kb_import::Source),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { dir } => run_check(resolve(dir)),
        Command::Search { args, json } => {
            let (dir, question) = match args.as_slice() {
                [question] => (resolve(None), question.clone()),
                [dir, question] => (resolve(Some(PathBuf::from(dir))), question.clone()),
                _ => bail!("usage: guichet kb search [DIR] \"question\""),
            };
            run_search(dir, &question, json)
        }
        Command::Stats { dir } => run_stats(resolve(dir)),
        Command::Import(source) => super::kb_import::run(source),
    }
}

fn resolve(dir: Option<PathBuf>) -> PathBuf {
    dir.or_else(|| std::env::var_os("GUICHET_COMMUNE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

fn run_check(dir: PathBuf) -> anyhow::Result<ExitCode> {
    let report = check(&dir);
    for problem in &report.problems {
        println!("{problem}");
    }
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    match &report.knowledge {
        Some(knowledge) => {
            println!(
                "{} : dossier valide ({} fiches, {warnings} avertissement(s))",
                dir.display(),
                knowledge.fiches().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "{} : {errors} erreur(s), {warnings} avertissement(s)",
                dir.display()
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn load(dir: &Path) -> anyhow::Result<Knowledge> {
    Knowledge::load(dir)
        .with_context(|| format!("{} is not a valid knowledge folder", dir.display()))
}

fn run_search(dir: PathBuf, question: &str, json: bool) -> anyhow::Result<ExitCode> {
    let knowledge = load(&dir)?;
    let hits = knowledge.search(question);
    if json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("compris : {}", understood(&knowledge, question));
    if hits.is_empty() {
        println!("aucune fiche trouvée");
    }
    for (rank, hit) in hits.iter().enumerate() {
        let title = knowledge
            .fiche(&hit.fiche_id)
            .map_or("", |fiche| fiche.title.as_str());
        println!(
            "{}. {:<32} confiance {:.2}  (score {:.2})  {title}",
            rank + 1,
            hit.fiche_id,
            hit.confidence,
            hit.score
        );
    }
    println!("{}", resembles(&knowledge, question));
    Ok(ExitCode::SUCCESS)
}

/// What the recorded questions most like this one were meant for: « questions enregistrées
/// les plus proches (sur 7 217) : animaux-errants 0.40 · adresse-mairie 0.01 — force 0.75 ».
fn resembles(knowledge: &Knowledge, question: &str) -> String {
    let recorded = knowledge.recorded_questions();
    let Some(found) = knowledge.resemblance(question) else {
        return format!("questions enregistrées (sur {recorded}) : aucune ne lui ressemble");
    };
    let mut votes = found.votes().to_vec();
    votes.sort_by(|a, b| b.1.total_cmp(&a.1));
    let votes: Vec<String> = votes
        .iter()
        .take(4)
        .map(|(topic, sum)| format!("{} {sum:.2}", topic.unwrap_or("aucune fiche")))
        .collect();
    format!(
        "questions enregistrées les plus proches (sur {recorded}) : {} — force {:.2}",
        votes.join(" · "),
        found.strength()
    )
}

/// The concepts the search drew from the question, with their weight: « achet 2.6 · salair /
/// pai / pay (corrigé) 3.8 · lund (générique) 1.2 » for « acheter du pain le lundi ».
fn understood(knowledge: &Knowledge, question: &str) -> String {
    let concepts = knowledge.understand(question);
    if concepts.is_empty() {
        return "rien (que des mots vides)".into();
    }
    concepts
        .iter()
        .map(|concept| {
            let mut said = concept.words.clone();
            if concept.corrected {
                said.push_str(" (corrigé)");
            }
            if concept.generic {
                said.push_str(" (générique)");
            }
            format!("{said} {:.1}", concept.idf)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn run_stats(dir: PathBuf) -> anyhow::Result<ExitCode> {
    let knowledge = load(&dir)?;
    let stats = knowledge.stats();
    println!("{} ({})", knowledge.commune().name, dir.display());
    println!("fiches : {}", stats.fiches);
    for (competence, count) in &stats.fiches_by_competence {
        println!("  {competence:<14} {count}");
    }
    let average = if stats.fiches == 0 {
        0.0
    } else {
        stats.questions as f64 / stats.fiches as f64
    };
    println!(
        "questions : {} ({average:.1} par fiche, de {} à {})",
        stats.questions, stats.min_questions, stats.max_questions
    );
    println!("groupes de synonymes : {}", stats.synonym_groups);
    println!("vocabulaire : {} termes", stats.vocabulary);
    println!("index : {:.1} Kio", stats.index_bytes as f64 / 1024.0);
    println!(
        "construction : {:.1} ms",
        stats.build_time.as_secs_f64() * 1000.0
    );
    Ok(ExitCode::SUCCESS)
}
