//! One eval run from start to end: load the knowledge and the dialogues, replay, score, compare
//! with a baseline, apply the gates, write the report files. The CLI is a thin shell around it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use guichet_agent::{Channel, Engine, Policy};
use guichet_knowledge::Knowledge;

use crate::baseline::{self, Comparison};
use crate::dialogue::{self, Dialogue, LoadErrors, Split};
use crate::gates::Gates;
use crate::http::{HttpBot, HttpOptions, WebhookProvider};
use crate::http_jambonz::JambonzBot;
use crate::inprocess::InProcess;
use crate::progress::Progress;
use crate::replay::{DialogueRun, ReplayError, replay_all};
use crate::report::{Report, html, junit};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("dossier de connaissances {dir} : {message}")]
    Knowledge { dir: PathBuf, message: String },
    #[error(transparent)]
    Dialogues(#[from] LoadErrors),
    #[error("aucun dialogue trouvé sous {0}")]
    NoDialogues(String),
    #[error("référence {path} illisible : {message}")]
    Baseline { path: PathBuf, message: String },
    #[error("{0}")]
    Http(String),
    #[error("écriture de {path} : {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("rendu du rapport {what} : {source}")]
    Render {
        what: &'static str,
        source: minijinja::Error,
    },
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The knowledge folder (commune.toml, fiches/).
    pub commune: PathBuf,
    /// Dialogue files or folders; empty: `<commune>/dialogues`.
    pub dialogues: Vec<PathBuf>,
    /// Replay over a running server instead of in process.
    pub http: Option<HttpOptions>,
    pub gates: Gates,
    pub baseline: Option<PathBuf>,
    /// Replay only the dialogues of this split; `None`: all of them.
    pub split: Option<Split>,
    /// The engine's thresholds for an in-process replay; `None`: [`Policy::default`] (the
    /// operating point). Used to sweep the thresholds on the dev split.
    pub policy: Option<Policy>,
}

/// The result of a run and the verdicts on it.
#[derive(Debug)]
pub struct Evaluation {
    pub report: Report,
    /// Dialogues left out (e.g. chat dialogues over the Twilio webhook), with why.
    pub skipped: Vec<String>,
    /// Gate breaches, in French.
    pub breaches: Vec<String>,
    pub comparison: Option<Comparison>,
}

impl Evaluation {
    /// No gate breached and no regression against the baseline.
    pub fn passed(&self) -> bool {
        self.breaches.is_empty() && !self.comparison.as_ref().is_some_and(Comparison::regressed)
    }
}

pub fn evaluate(options: &Options) -> Result<Evaluation, EvalError> {
    let knowledge = Knowledge::load(&options.commune).map_err(|error| EvalError::Knowledge {
        dir: options.commune.clone(),
        message: error.to_string(),
    })?;
    let folder_fiches: BTreeSet<String> = knowledge
        .fiches()
        .iter()
        .map(|fiche| fiche.id.clone())
        .collect();
    let paths = if options.dialogues.is_empty() {
        vec![options.commune.join("dialogues")]
    } else {
        options.dialogues.clone()
    };
    let mut dialogues = dialogue::load(&paths, &folder_fiches)?;
    let outside_public_service: BTreeSet<String> = knowledge
        .fiches()
        .iter()
        .filter(|fiche| !fiche.competence.is_public())
        .map(|fiche| fiche.id.clone())
        .collect();
    dialogue::check_outside_public_service(&dialogues, &outside_public_service)?;
    if let Some(split) = options.split {
        dialogues.retain(|dialogue| dialogue.split == split);
    }
    if dialogues.is_empty() {
        let names: Vec<String> = paths
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        return Err(EvalError::NoDialogues(names.join(", ")));
    }
    // The baseline is read before the replay so that a bad path fails fast.
    let baseline = options.baseline.as_deref().map(read_baseline).transpose()?;

    let mut skipped = Vec::new();
    let (runs, mode) = match &options.http {
        None => {
            let engine = Engine::new(options.policy.unwrap_or_default());
            let bot = InProcess::new(engine, &knowledge);
            (
                replay_with_progress(&bot, &dialogues),
                "in-process".to_owned(),
            )
        }
        Some(http) => {
            let jambonz = http.provider == WebhookProvider::Jambonz;
            dialogues.retain(|dialogue| {
                let reason = match dialogue.channel {
                    Channel::Chat => Some("canal chat, sans webhook de téléphonie"),
                    Channel::Sms if jambonz => {
                        Some("SMS par jambonz : la réponse part par l'outbox, pas dans le webhook")
                    }
                    _ => None,
                };
                if let Some(reason) = reason {
                    skipped.push(format!("{} : {reason}", dialogue.id));
                }
                reason.is_none()
            });
            let http_error = |error: ReplayError| EvalError::Http(error.to_string());
            let runs = if jambonz {
                let bot = JambonzBot::new(http.clone()).map_err(http_error)?;
                replay_with_progress(&bot, &dialogues)
            } else {
                let bot = HttpBot::new(http.clone()).map_err(http_error)?;
                replay_with_progress(&bot, &dialogues)
            };
            (runs, http.base_url.to_string())
        }
    };
    if let Some(error) = runs.first().and_then(|run| run.start_error.clone())
        && runs.iter().all(|run| run.start_error.is_some())
    {
        return Err(EvalError::Http(format!(
            "aucun dialogue n'a pu être rejoué : {error}"
        )));
    }
    let report = Report::new(&knowledge.commune().name, &mode, runs, &folder_fiches);
    let breaches = options.gates.breaches(&report.figures.metrics);
    let comparison = baseline.map(|baseline| baseline::compare(&baseline, &report));
    Ok(Evaluation {
        report,
        skipped,
        breaches,
        comparison,
    })
}

fn replay_with_progress<B: crate::replay::Bot>(
    bot: &B,
    dialogues: &[Dialogue],
) -> Vec<DialogueRun> {
    let progress = Progress::new(dialogues.len());
    let mut failed = 0;
    let runs = replay_all(bot, dialogues, &mut |run| {
        failed += usize::from(!run.passed);
        progress.tick(failed);
    });
    progress.finish();
    runs
}

pub fn read_baseline(path: &Path) -> Result<Report, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|error| EvalError::Baseline {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    Report::from_json(&text).map_err(|error| EvalError::Baseline {
        path: path.to_path_buf(),
        message: format!("pas un rapport JSON de `guichet eval` ({error})"),
    })
}

/// A report format that can be written to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Json,
    Junit,
    Html,
}

impl FileFormat {
    pub const ALL: [FileFormat; 3] = [FileFormat::Json, FileFormat::Junit, FileFormat::Html];

    pub fn file_name(self) -> &'static str {
        match self {
            FileFormat::Json => "report.json",
            FileFormat::Junit => "junit.xml",
            FileFormat::Html => "report.html",
        }
    }

    pub fn render(self, report: &Report, gates: &Gates) -> Result<String, EvalError> {
        match self {
            FileFormat::Json => Ok(report.to_json()),
            FileFormat::Junit => junit::render(report).map_err(|source| EvalError::Render {
                what: "JUnit",
                source,
            }),
            FileFormat::Html => html::render(report, gates).map_err(|source| EvalError::Render {
                what: "HTML",
                source,
            }),
        }
    }
}

/// Writes each format to its file in `dir` (created if needed); returns the paths written.
pub fn write_reports(
    report: &Report,
    formats: &[FileFormat],
    dir: &Path,
    gates: &Gates,
) -> Result<Vec<PathBuf>, EvalError> {
    std::fs::create_dir_all(dir).map_err(|source| EvalError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    formats
        .iter()
        .map(|format| {
            let path = dir.join(format.file_name());
            let text = format.render(report, gates)?;
            std::fs::write(&path, text).map_err(|source| EvalError::Write {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        })
        .collect()
}
