//! `guichet eval`: replay the recorded dialogues, score them, report, gate.
//!
//! Exit status: 0 when every gate holds and nothing regressed against the baseline, 1 when a
//! gate is breached or a regression is found, 2 on an error (unreadable folder, bad dialogue…).
//!
//! Each run is recorded in the store (the console's Évaluation page shows the history) unless
//! `--no-record`; a store that cannot be reached is a warning, never a failed eval.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use guichet_eval::gates::Gates;
use guichet_eval::http::{HttpOptions, WebhookProvider};
use guichet_eval::report::table;
use guichet_eval::{Evaluation, FileFormat, Options, Report};
use guichet_store::{EvalRunStore, NewEvalRun};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The terminal table (always printed)
    Table,
    /// Every turn's decision and every metric (also the --baseline format)
    Json,
    /// JUnit XML, one test case per dialogue
    Junit,
    /// A self-contained HTML report with SVG charts
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    /// Knowledge folder of the commune
    #[arg(long, default_value = "communes/demo")]
    commune: PathBuf,
    /// Dialogue files or folders [default: <COMMUNE>/dialogues]
    #[arg(long, num_args = 1..)]
    dialogues: Vec<PathBuf>,
    /// Replay over HTTP through the signed webhooks of a running server at this base URL
    #[arg(long)]
    url: Option<String>,
    /// Whose webhooks --url goes through
    #[arg(long, value_enum, default_value = "twilio")]
    provider: WebhookArg,
    /// Twilio auth token to sign the webhook requests with (--url)
    #[arg(long, env = "GUICHET__TWILIO__AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// jambonz webhook secret to sign the requests with (--url --provider jambonz)
    #[arg(long, env = "GUICHET__JAMBONZ__WEBHOOK_SECRET", hide_env_values = true)]
    jambonz_secret: Option<String>,
    /// jambonz Basic credentials, `user:password` (--url --provider jambonz)
    #[arg(long, env = "GUICHET_EVAL_JAMBONZ_BASIC", hide_env_values = true)]
    jambonz_basic: Option<String>,
    /// The number called (`To`), which selects the commune on the server (--url)
    #[arg(long, default_value = "+33100000000")]
    to: String,
    /// Report formats; may be repeated. With --out, written as files (default: json, junit and
    /// html); without, a json/junit/html report goes to stdout and the table to stderr
    #[arg(long, value_enum)]
    format: Vec<Format>,
    /// Folder to write report.json, junit.xml and report.html into
    #[arg(long)]
    out: Option<PathBuf>,
    /// A previous report.json: exit 1 on a regression beyond noise (a rate worse by more than
    /// half a point, or a dialogue with more failing turns)
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Exit 1 when fiche accuracy is below this fraction (e.g. 0.95)
    #[arg(long, value_parser = fraction)]
    min_fiche_accuracy: Option<f64>,
    /// Exit 1 when the misroute rate is above this fraction (e.g. 0.01)
    #[arg(long, value_parser = fraction)]
    max_misroute: Option<f64>,
    /// Exit 1 when the false-answer rate (a fiche given where another fiche, a fallback or a
    /// human was expected, over all scored turns) is above this fraction (e.g. 0.01)
    #[arg(long, value_parser = fraction)]
    max_false_answers: Option<f64>,
    /// Replay only the dialogues of this split (`split:` in the dialogue files; default dev)
    #[arg(long, value_enum)]
    split: Option<SplitArg>,
    /// In-process replay with this answer threshold instead of the operating point's (to sweep
    /// the thresholds on the dev split; see agent/src/policy.rs)
    #[arg(long, value_parser = fraction, requires = "confirm_confidence")]
    answer_confidence: Option<f64>,
    /// In-process replay with this confirmation threshold (with --answer-confidence)
    #[arg(long, value_parser = fraction, requires = "answer_confidence")]
    confirm_confidence: Option<f64>,
    /// Store to record the run in [default: env GUICHET__DATABASE_URL, else the embedded
    /// SQLite file]
    #[arg(long)]
    database: Option<String>,
    /// Do not record the run in the store
    #[arg(long)]
    no_record: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookArg {
    Twilio,
    Jambonz,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
    /// The dialogues tuning may look at
    Dev,
    /// The held-out dialogues
    Test,
}

impl SplitArg {
    fn split(self) -> guichet_eval::Split {
        match self {
            SplitArg::Dev => guichet_eval::Split::Dev,
            SplitArg::Test => guichet_eval::Split::Test,
        }
    }
}

/// The operating point with the thresholds given on the command line, if any.
fn policy(args: &Args) -> anyhow::Result<Option<guichet_agent::Policy>> {
    let (Some(answer), Some(confirm)) = (args.answer_confidence, args.confirm_confidence) else {
        return Ok(None);
    };
    if args.url.is_some() {
        anyhow::bail!("--answer-confidence/--confirm-confidence only apply in process (no --url)");
    }
    if confirm > answer {
        anyhow::bail!(
            "--confirm-confidence ({confirm}) must not exceed --answer-confidence ({answer})"
        );
    }
    Ok(Some(guichet_agent::Policy {
        answer_confidence: answer as f32,
        confirm_confidence: confirm as f32,
        ..guichet_agent::Policy::default()
    }))
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!(
            "expected a fraction between 0 and 1 (e.g. 0.95), got {text:?}"
        )),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let gates = Gates {
        min_fiche_accuracy: args.min_fiche_accuracy,
        max_misroute: args.max_misroute,
        max_false_answers: args.max_false_answers,
    };
    let http = match &args.url {
        None => None,
        Some(url) => {
            let base_url =
                guichet_eval::http::parse_base_url(url).with_context(|| format!("--url {url}"))?;
            let mut options = HttpOptions::new(base_url, args.to.clone());
            options.auth_token = args.auth_token.clone();
            options.provider = match args.provider {
                WebhookArg::Twilio => WebhookProvider::Twilio,
                WebhookArg::Jambonz => WebhookProvider::Jambonz,
            };
            options.jambonz_secret = args.jambonz_secret.clone();
            options.jambonz_basic = match &args.jambonz_basic {
                None => None,
                Some(pair) => {
                    let (username, password) = pair
                        .split_once(':')
                        .context("--jambonz-basic: expected user:password")?;
                    Some(guichet_connectors::jambonz::BasicCredentials {
                        username: username.to_owned(),
                        password: password.to_owned(),
                    })
                }
            };
            Some(options)
        }
    };
    let options = Options {
        commune: args.commune.clone(),
        dialogues: args.dialogues.clone(),
        http,
        gates,
        baseline: args.baseline.clone(),
        split: args.split.map(SplitArg::split),
        policy: policy(&args)?,
    };
    let outcome = guichet_eval::evaluate(&options)?;
    if !args.no_record {
        let url = super::database_url(args.database.clone());
        match record(&url, &tenant_id(&args.commune), &outcome.report) {
            Ok(id) => eprintln!("évaluation enregistrée (n° {id})"),
            Err(error) => eprintln!("avertissement : évaluation non enregistrée : {error:#}"),
        }
    }

    let files: Vec<FileFormat> = args
        .format
        .iter()
        .filter_map(|format| file_format(*format))
        .collect();
    let stdout_report = match (&args.out, files.as_slice()) {
        (Some(dir), _) => {
            let formats = if args.format.is_empty() {
                FileFormat::ALL.to_vec()
            } else {
                files
            };
            for path in guichet_eval::write_reports(&outcome.report, &formats, dir, &gates)? {
                eprintln!("rapport écrit : {}", path.display());
            }
            None
        }
        (None, []) => None,
        (None, [one]) => Some(one.render(&outcome.report, &gates)?),
        (None, _) => anyhow::bail!("several report formats need --out DIR (one file each)"),
    };

    let gates_given = gates != Gates::default();
    let summary = summary(&outcome, gates_given);
    let mut stdout = std::io::stdout().lock();
    match stdout_report {
        Some(text) => {
            writeln!(stdout, "{text}")?;
            eprint!("{summary}");
        }
        None => write!(stdout, "{summary}")?,
    }
    Ok(if outcome.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The tenant id of a knowledge folder: its name (`communes/demo` → `demo`), as the service and
/// the console name communes.
fn tenant_id(commune: &Path) -> String {
    let canonical = commune
        .canonicalize()
        .unwrap_or_else(|_| commune.to_path_buf());
    canonical
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| commune.display().to_string())
}

/// Records a run in the store at `url`; returns its id.
fn record(url: &str, tenant: &str, report: &Report) -> anyhow::Result<i64> {
    let run = NewEvalRun {
        at: chrono::Utc::now(),
        commune: tenant.to_owned(),
        metrics: guichet_eval::history::headline(report),
        report: guichet_eval::history::report_value(report),
    };
    super::with_store(Some(url.to_owned()), async move |store| {
        Ok(store.insert_eval_run(&run).await?)
    })
}

fn file_format(format: Format) -> Option<FileFormat> {
    match format {
        Format::Table => None,
        Format::Json => Some(FileFormat::Json),
        Format::Junit => Some(FileFormat::Junit),
        Format::Html => Some(FileFormat::Html),
    }
}

/// The table, then what was skipped, the baseline comparison and the gate verdicts.
fn summary(outcome: &Evaluation, gates_given: bool) -> String {
    let mut out = table::render(&outcome.report, table::Limits::default());
    if !outcome.skipped.is_empty() {
        out.push_str(&format!(
            "\nDialogues non rejoués ({}) :\n",
            outcome.skipped.len()
        ));
        for skipped in &outcome.skipped {
            out.push_str(&format!("  {skipped}\n"));
        }
    }
    if let Some(comparison) = &outcome.comparison {
        out.push('\n');
        out.push_str(&comparison.render());
        if comparison.regressed() {
            out.push_str("ÉCHEC : régression par rapport à la référence.\n");
        }
    }
    for breach in &outcome.breaches {
        out.push_str(&format!("\nÉCHEC du seuil : {breach}\n"));
    }
    let gated = gates_given || outcome.comparison.is_some();
    if gated && outcome.passed() {
        out.push_str("\nOK : seuils et référence respectés.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_tenant_is_the_folder_name() {
        assert_eq!(tenant_id(Path::new("communes/demo")), "demo");
        assert_eq!(tenant_id(Path::new("/nowhere/villebourg/")), "villebourg");
    }

    #[test]
    fn a_run_is_recorded_and_listed_for_the_console() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("guichet-eval-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/guichet.db?mode=rwc", dir.display());
        let report = Report::new("Villebourg", "in-process", Vec::new(), &BTreeSet::new());
        let first = record(&url, "demo", &report)?;
        let second = record(&url, "demo", &report)?;
        assert!(second > first);
        let runs = crate::cli::with_store(Some(url), async |store| {
            Ok(store.list_eval_runs("demo", 10).await?)
        })?;
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].id, second);
        assert_eq!(runs[0].run.commune, "demo");
        assert_eq!(runs[0].run.metrics["détails"]["mode"], "in-process");
        assert_eq!(Report::from_json(&runs[0].run.report.to_string())?, report);
        Ok(())
    }

    #[test]
    fn an_unreachable_store_is_an_error_not_a_panic() {
        let report = Report::new("Villebourg", "in-process", Vec::new(), &BTreeSet::new());
        assert!(record("mysql://nowhere", "demo", &report).is_err());
    }
}
