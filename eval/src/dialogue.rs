//! Recorded dialogues: the YAML files under `<commune>/dialogues/`, loaded and validated.
//!
//! One file holds one dialogue, or several separated by `---`. Every problem of every file is
//! reported at once as `file:line:column: message` (or `file: message` when no position applies).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use guichet_agent::{Channel, DecisionAction, TicketKind};
pub use guichet_knowledge::yaml::OneOrMany;
use serde::{Deserialize, Serialize};

/// One recorded conversation: who calls, when, and what they say turn by turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialogue {
    pub name: String,
    #[serde(default = "default_channel")]
    pub channel: Channel,
    /// The caller's number as the provider gives it ("anonymous" or "" when withheld).
    #[serde(default)]
    pub from: String,
    /// The instant of the call, with its UTC offset; the engine's `now` for every turn.
    pub at: DateTime<FixedOffset>,
    pub turns: Vec<CallerTurn>,
    /// `dev` (the default: tuning may look at it) or `test` (held out: never tuned on).
    #[serde(default, skip_serializing_if = "Split::is_dev")]
    pub split: Split,
    /// Free labels (`hors-perimetre`, `sante`, `paraphrase`…): the report breaks figures down
    /// by tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Where the dialogue was read from, relative to the loaded folder (set by the loader);
    /// not part of the file.
    #[serde(skip)]
    pub id: String,
}

/// Which set a dialogue belongs to. The engine's thresholds are chosen on `dev`; `test` is the
/// held-out set that says whether the choice generalises, and must never be tuned on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    #[default]
    Dev,
    Test,
}

impl Split {
    pub fn is_dev(&self) -> bool {
        *self == Split::Dev
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }
}

fn default_channel() -> Channel {
    Channel::Voice
}

/// What the caller says in one turn, and what a good standardiste would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerTurn {
    /// The transcript; empty for a silence.
    #[serde(default)]
    pub caller: String,
    /// Keys pressed on the phone ("0" asks for a human).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// The speech recogniser's confidence, when the dialogue wants to test a low one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asr_confidence: Option<f32>,
    /// Absent: replayed and recorded but not scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// Expectations of one turn; every key is optional and every key given must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<DecisionAction>,
    /// An id, or a list of ids any of which is right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiche: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<bool>,
    /// `true`: the robot hands off (transfer or callback); `false`: it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say_contains: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say_not_contains: Option<OneOrMany>,
}

impl Expect {
    /// The fiche ids any of which is right, empty when the turn expects no fiche.
    pub fn fiches(&self) -> &[String] {
        self.fiche.as_ref().map_or(&[], OneOrMany::as_slice)
    }

    /// Whether the expected outcome is a handoff, when the expectation says so.
    pub fn expects_handoff(&self) -> Option<bool> {
        self.handoff.or_else(|| self.action.map(is_handoff))
    }
}

/// The two actions that put a human in the loop.
pub fn is_handoff(action: DecisionAction) -> bool {
    matches!(action, DecisionAction::Transfer | DecisionAction::Callback)
}

/// One problem in one dialogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// 1-based line and column, when the YAML parser knows them.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found while loading a set of dialogues.
#[derive(Debug, thiserror::Error)]
#[error("{} problème(s) dans les dialogues :\n{}", .0.len(), join_lines(.0))]
pub struct LoadErrors(pub Vec<LoadError>);

fn join_lines(errors: &[LoadError]) -> String {
    errors
        .iter()
        .map(|error| format!("  {error}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads every `*.yaml`/`*.yml` file under the given paths (files or folders, recursively, in
/// name order) and checks each expected fiche id against `known_fiches`.
pub fn load(
    paths: &[PathBuf],
    known_fiches: &BTreeSet<String>,
) -> Result<Vec<Dialogue>, LoadErrors> {
    let mut errors = Vec::new();
    let mut dialogues = Vec::new();
    for root in paths {
        let files = match guichet_knowledge::yaml::yaml_files(root) {
            Ok(files) => files,
            Err(error) => {
                errors.push(LoadError {
                    file: root.clone(),
                    position: None,
                    message: format!("lecture impossible : {error}"),
                });
                continue;
            }
        };
        for file in files {
            let base = if root.is_dir() {
                root.as_path()
            } else {
                root.parent().unwrap_or(Path::new(""))
            };
            let id = file
                .strip_prefix(base)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    parse_file(&file, &id, &text, known_fiches, &mut dialogues, &mut errors)
                }
                Err(error) => errors.push(LoadError {
                    file: file.clone(),
                    position: None,
                    message: format!("lecture impossible : {error}"),
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(dialogues)
    } else {
        Err(LoadErrors(errors))
    }
}

/// Checks the dialogues against what the robot can do with a fiche no public service handles
/// (`competence: aucune`: the caller's bank, insurer, employer, the weather): it says so in a
/// `fallback` naming the fiche and never deflects to it, so a turn expecting `action: deflect`
/// to such a fiche could never pass. Each such turn is an error that says what to write
/// instead.
pub fn check_outside_public_service(
    dialogues: &[Dialogue],
    outside_public_service: &BTreeSet<String>,
) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for dialogue in dialogues {
        let file = dialogue
            .id
            .rsplit_once('#')
            .map_or(dialogue.id.as_str(), |(file, _)| file);
        for (index, turn) in dialogue.turns.iter().enumerate() {
            let Some(expect) = &turn.expect else { continue };
            if expect.action != Some(DecisionAction::Deflect) {
                continue;
            }
            for fiche in expect.fiches() {
                if outside_public_service.contains(fiche) {
                    errors.push(LoadError {
                        file: PathBuf::from(file),
                        position: None,
                        message: format!(
                            "dialogue « {} », tour {} : « {fiche} » n'est d'aucun service public \
                             (`competence: aucune`) ; le robot ne redirige pas vers elle, il le \
                             dit : écrivez `action: fallback` avec `fiche: {fiche}`",
                            dialogue.name,
                            index + 1
                        ),
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}

/// Parses the text of one file (one or several YAML documents) and validates each dialogue.
pub fn parse_file(
    file: &Path,
    id: &str,
    text: &str,
    known_fiches: &BTreeSet<String>,
    dialogues: &mut Vec<Dialogue>,
    errors: &mut Vec<LoadError>,
) {
    // Read no further than the first document that cannot even be skipped (see
    // `guichet_knowledge::yaml`), and report its error.
    let text = guichet_knowledge::yaml::without_bom(text);
    let readable = guichet_knowledge::yaml::readable_documents(text);
    let first_new = dialogues.len();
    let mut count = 0;
    for document in serde_yaml_ng::Deserializer::from_str(text).take(readable + 1) {
        count += 1;
        match Dialogue::deserialize(document) {
            Ok(mut dialogue) => {
                dialogue.id = format!("{id}#{count}");
                for message in validate(&dialogue, known_fiches) {
                    errors.push(LoadError {
                        file: file.to_path_buf(),
                        position: None,
                        message,
                    });
                }
                dialogues.push(dialogue);
            }
            Err(error) => errors.push(LoadError {
                file: file.to_path_buf(),
                position: error.location().map(|at| (at.line(), at.column())),
                message: error.to_string(),
            }),
        }
    }
    if count == 1 {
        for dialogue in &mut dialogues[first_new..] {
            dialogue.id = id.to_owned();
        }
    }
    if dialogues.is_empty() && errors.is_empty() {
        errors.push(LoadError {
            file: file.to_path_buf(),
            position: None,
            message: "aucun dialogue dans ce fichier".into(),
        });
    }
}

/// The rules serde cannot express: non-empty name and turns, known fiche ids, sane values.
fn validate(dialogue: &Dialogue, known_fiches: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let label = if dialogue.name.trim().is_empty() {
        problems.push("`name` est vide".to_owned());
        "(sans nom)".to_owned()
    } else {
        format!("« {} »", dialogue.name)
    };
    if dialogue.turns.is_empty() {
        problems.push(format!("dialogue {label} : aucun tour (`turns` est vide)"));
    }
    for (index, turn) in dialogue.turns.iter().enumerate() {
        let at = format!("dialogue {label}, tour {}", index + 1);
        if let Some(confidence) = turn.asr_confidence
            && !(0.0..=1.0).contains(&confidence)
        {
            problems.push(format!(
                "{at} : `asr_confidence` doit être entre 0 et 1 ({confidence})"
            ));
        }
        let Some(expect) = &turn.expect else { continue };
        if expect
            .fiche
            .as_ref()
            .is_some_and(|fiche| fiche.as_slice().is_empty())
        {
            problems.push(format!("{at} : `fiche` est une liste vide"));
        }
        for fiche in expect.fiches() {
            if !known_fiches.contains(fiche) {
                problems.push(format!(
                    "{at} : fiche inconnue « {fiche} » (absente du dossier de fiches)"
                ));
            }
        }
        if let (Some(handoff), Some(action)) = (expect.handoff, expect.action)
            && handoff != is_handoff(action)
        {
            problems.push(format!(
                "{at} : `handoff: {handoff}` contredit `action: {}`",
                action_name(action)
            ));
        }
    }
    problems
}

/// The snake_case name of an action, as written in dialogues and reports.
pub fn action_name(action: DecisionAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{action:?}").to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeSet<String> {
        ["passeport", "passeport-renouvellement", "cni"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn parse(text: &str) -> (Vec<Dialogue>, Vec<LoadError>) {
        let (mut dialogues, mut errors) = (Vec::new(), Vec::new());
        parse_file(
            Path::new("d.yaml"),
            "d.yaml",
            text,
            &known(),
            &mut dialogues,
            &mut errors,
        );
        (dialogues, errors)
    }

    #[test]
    fn reads_the_design_example() {
        let (dialogues, errors) = parse(
            r#"
name: Passeport expiré
channel: voice
from: "+33612345678"
at: "2026-03-10T10:15:00+01:00"
turns:
  - caller: "je voudrais refaire mon passeport"
    expect: { action: clarify, fiche: passeport }
  - caller: "il est expiré"
    expect: { action: answer, fiche: [passeport-renouvellement, cni], sms: true, say_contains: ["espace citoyen"] }
  - caller: ""
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let dialogue = &dialogues[0];
        assert_eq!(dialogue.id, "d.yaml");
        assert_eq!(dialogue.turns.len(), 3);
        let second = dialogue.turns[1].expect.as_ref().unwrap();
        assert_eq!(second.fiches(), ["passeport-renouvellement", "cni"]);
        assert_eq!(second.sms, Some(true));
        assert!(dialogue.turns[2].expect.is_none());
        assert_eq!(dialogue.turns[2].caller, "");
    }

    #[test]
    fn unknown_keys_and_actions_are_refused_with_a_position() {
        let (_, errors) = parse(
            "name: x\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: a\n    expect: { action: answr }\n",
        );
        assert_eq!(errors.len(), 1);
        let text = errors[0].to_string();
        assert!(text.starts_with("d.yaml:5:"), "{text}");
        assert!(text.contains("answr"), "{text}");

        let (_, errors) =
            parse("name: x\nat: \"2026-03-10T10:15:00+01:00\"\nturns: []\ncolour: red\n");
        assert!(errors[0].to_string().contains("colour"), "{}", errors[0]);
    }

    #[test]
    fn unknown_fiches_and_contradictions_are_all_reported() {
        let (_, errors) = parse(
            r#"
name: x
at: "2026-03-10T10:15:00+01:00"
turns:
  - caller: a
    expect: { action: answer, fiche: pasport }
  - caller: b
    expect: { action: answer, handoff: true, fiche: [cni, carte-grise] }
"#,
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].contains("tour 1") && text[0].contains("pasport"));
        assert!(text[1].contains("carte-grise"));
        assert!(text[2].contains("contredit"));
    }

    #[test]
    fn a_deflection_to_a_fiche_no_public_service_handles_is_refused_with_what_to_write() {
        let (dialogues, errors) = parse(
            r#"
name: x
at: "2026-03-10T10:15:00+01:00"
turns:
  - caller: ma carte bleue est avalée
    expect: { action: deflect, fiche: passeport }
  - caller: encore
    expect: { action: fallback, fiche: passeport }
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let outside: BTreeSet<String> = ["passeport".to_owned()].into();
        let errors = check_outside_public_service(&dialogues, &outside).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        let text = errors.0[0].to_string();
        assert!(
            text.contains("tour 1") && text.contains("`action: fallback`"),
            "{text}"
        );
        assert!(check_outside_public_service(&dialogues, &BTreeSet::new()).is_ok());
    }

    #[test]
    fn several_documents_in_one_file() {
        let one = "name: a\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: x\n";
        let (dialogues, errors) =
            parse(&format!("{one}---\n{}", one.replace("name: a", "name: b")));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(dialogues.len(), 2);
        assert_eq!(dialogues[1].id, "d.yaml#2");
        assert_eq!(dialogues[1].channel, Channel::Voice);
    }
}
