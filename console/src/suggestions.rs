//! What staff do with a misunderstood utterance: a suggestion file for an éditeur, and a
//! recorded dialogue (the eval format, `docs/guide-fiches.md`) for the evaluation set; and what the
//! éditeur does with a suggestion ([`accept_suggestion`], [`reject_suggestion`]).
//!
//! Suggestions wait in `<commune dir>/suggestions/`; accepted ones move to
//! `suggestions/acceptees/`, rejected ones to `suggestions/rejetees/`.

use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use guichet_knowledge::normalize;
use guichet_store::{Channel, Turn};
use serde::{Deserialize, Serialize};

use crate::fiche_edit::{EditError, add_question};
use crate::fiche_file::{CheckError, REVIEW_LOCK, check_edit, error_lines, write_atomically};

/// Folder of the pending suggestions, in the commune's folder.
pub const PENDING_DIR: &str = "suggestions";
/// Where accepted suggestions go, inside [`PENDING_DIR`].
pub const ACCEPTED_DIR: &str = "acceptees";
/// Where rejected suggestions go, inside [`PENDING_DIR`].
pub const REJECTED_DIR: &str = "rejetees";

/// A suggestion: "this utterance should have reached this fiche".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The fiche it should have reached.
    pub fiche: String,
    /// What the caller said.
    pub utterance: String,
    /// Who suggested it (staff e-mail).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Keeps only `[a-z0-9-]` of a fiche id, for a file name.
fn file_safe(id: &str) -> String {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if safe.is_empty() {
        "fiche".into()
    } else {
        safe
    }
}

/// Writes `<commune dir>/suggestions/<timestamp>-<fiche>.yaml` (never overwrites: a numeric
/// suffix is added if needed) and returns its path.
pub fn write_suggestion(commune_dir: &Path, suggestion: &Suggestion) -> std::io::Result<PathBuf> {
    let dir = commune_dir.join(PENDING_DIR);
    std::fs::create_dir_all(&dir)?;
    let yaml = serde_yaml_ng::to_string(suggestion).map_err(std::io::Error::other)?;
    let stem = format!(
        "{}-{}",
        suggestion.at.format("%Y%m%dT%H%M%SZ"),
        file_safe(&suggestion.fiche)
    );
    for n in 0..1000 {
        let name = if n == 0 {
            format!("{stem}.yaml")
        } else {
            format!("{stem}-{n}.yaml")
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, yaml.as_bytes())?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(
        "too many suggestions with the same name",
    ))
}

/// Longest suggestion file read (they are a few lines long).
const MAX_SUGGESTION_BYTES: u64 = 64 * 1024;

/// Whether `name` is a name [`write_suggestion`] produces, `<YYYYMMDDTHHMMSSZ>-<fiche>.yaml`
/// (fiche part `[A-Za-z0-9_-]`, numeric suffix included): no path separator, no `..`.
pub fn is_suggestion_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".yaml") else {
        return false;
    };
    let bytes = stem.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    name.len() <= 200
        && bytes.len() > 17
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        && digits(0..8)
        && bytes[8] == b'T'
        && digits(9..15)
        && bytes[15] == b'Z'
        && bytes[16] == b'-'
}

/// A suggestion waiting for an éditeur; `suggestion` is the French reason when the file does
/// not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSuggestion {
    /// File name in `suggestions/`.
    pub file: String,
    pub suggestion: Result<Suggestion, String>,
}

/// Names of the pending suggestion files of a commune, sorted (oldest first).
fn pending_names(commune_dir: &Path) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(commune_dir.join(PENDING_DIR)) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if is_suggestion_file_name(&name) && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// How many suggestions wait in a commune's folder (one directory listing).
pub fn count_pending(commune_dir: &Path) -> usize {
    pending_names(commune_dir).map_or(0, |names| names.len())
}

/// The pending suggestions of a commune, oldest first. An unreadable file is listed with the
/// reason, so that it can be rejected.
pub fn pending_suggestions(commune_dir: &Path) -> std::io::Result<Vec<PendingSuggestion>> {
    let dir = commune_dir.join(PENDING_DIR);
    Ok(pending_names(commune_dir)?
        .into_iter()
        .map(|file| PendingSuggestion {
            suggestion: read_suggestion(&dir.join(&file)),
            file,
        })
        .collect())
}

/// Reads a suggestion file; the error is a French reason.
fn read_suggestion(path: &Path) -> Result<Suggestion, String> {
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_SUGGESTION_BYTES);
    if too_big {
        return Err("fichier trop volumineux".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("lecture impossible ({e})"))?;
    let suggestion: Suggestion =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("contenu invalide ({e})"))?;
    if suggestion.utterance.trim().is_empty() || suggestion.fiche.trim().is_empty() {
        return Err("demande ou fiche manquante".into());
    }
    Ok(suggestion)
}

impl From<CheckError> for ReviewError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Invalid(lines) => ReviewError::Invalid(lines),
            CheckError::Io(error) => ReviewError::Io(error),
        }
    }
}

/// Why a suggestion could not be accepted or rejected (French, for the éditeur).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The name is not one [`write_suggestion`] produces (path traversal, other files).
    #[error("nom de suggestion invalide")]
    BadName,
    /// No such pending suggestion (already accepted or rejected).
    #[error("suggestion introuvable : elle a peut-être déjà été traitée")]
    NotFound,
    /// The file does not parse: it can only be rejected.
    #[error("suggestion illisible ({0}) : elle ne peut qu'être rejetée")]
    Unreadable(String),
    /// Nothing left of the utterance once cleaned.
    #[error("la demande suggérée ne contient aucun mot")]
    EmptyUtterance,
    /// The chosen fiche is not in the knowledge folder.
    #[error("fiche « {0} » introuvable dans le dossier de connaissances")]
    UnknownFiche(String),
    /// The knowledge folder is invalid (already, or with the new question): `fichier:ligne:
    /// message` lines, paths relative to the commune's folder.
    #[error("le dossier de connaissances serait invalide ; la fiche n'a pas été modifiée")]
    Invalid(Vec<String>),
    /// The fiche's text could not be edited.
    #[error("{0}")]
    Edit(#[from] EditError),
    /// The edited fiche does not read back as the list plus the question.
    #[error(
        "la modification de la fiche ne donne pas le résultat attendu ; ajoutez la question à la main"
    )]
    Mismatch,
    /// Someone saved the fiche while it was being checked.
    #[error("la fiche a été modifiée pendant la vérification : réessayez")]
    Changed,
    /// Reading or writing a file failed.
    #[error("erreur de fichier : {0}")]
    Io(#[from] std::io::Error),
}

/// What accepting did.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub suggestion: Suggestion,
    /// The fiche the question went to (the suggested one, or the one the éditeur chose).
    pub fiche: String,
    pub title: String,
    /// The fiche's file, relative to the commune's folder.
    pub fiche_file: PathBuf,
    /// The question written (the utterance with its spacing cleaned).
    pub question: String,
    /// False when the fiche already had this question (compared like the search compares).
    pub added: bool,
    /// When, even with the new question, a search for it finds another fiche first: its id.
    pub still_first: Option<String>,
}

/// The path of a pending suggestion, if `file` is a valid name.
fn pending_path(commune_dir: &Path, file: &str) -> Result<PathBuf, ReviewError> {
    if !is_suggestion_file_name(file) {
        return Err(ReviewError::BadName);
    }
    Ok(commune_dir.join(PENDING_DIR).join(file))
}

fn load_pending(path: &Path) -> Result<Suggestion, ReviewError> {
    if !path.is_file() {
        return Err(ReviewError::NotFound);
    }
    read_suggestion(path).map_err(ReviewError::Unreadable)
}

/// Moves a pending suggestion into `suggestions/<to>/`, never overwriting; returns its new name.
fn move_suggestion(commune_dir: &Path, file: &str, to: &str) -> Result<String, ReviewError> {
    let from = pending_path(commune_dir, file)?;
    let dir = commune_dir.join(PENDING_DIR).join(to);
    std::fs::create_dir_all(&dir)?;
    let stem = file.trim_end_matches(".yaml");
    for n in 0..1000 {
        let name = if n == 0 {
            file.to_string()
        } else {
            format!("{stem}-doublon{n}.yaml")
        };
        let target = dir.join(&name);
        if target.exists() {
            continue;
        }
        return match std::fs::rename(&from, &target) {
            Ok(()) => Ok(name),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(ReviewError::NotFound)
            }
            Err(error) => Err(error.into()),
        };
    }
    Err(std::io::Error::other("too many suggestions with the same name").into())
}

/// Rejects a pending suggestion: moves it to `suggestions/rejetees/`. Returns its content when
/// it was readable.
pub fn reject_suggestion(
    commune_dir: &Path,
    file: &str,
) -> Result<Option<Suggestion>, ReviewError> {
    let path = pending_path(commune_dir, file)?;
    let _lock = REVIEW_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if !path.is_file() {
        return Err(ReviewError::NotFound);
    }
    let suggestion = read_suggestion(&path).ok();
    move_suggestion(commune_dir, file, REJECTED_DIR)?;
    Ok(suggestion)
}

/// The utterance as a question: control characters and runs of spaces become one space.
fn clean_utterance(utterance: &str) -> String {
    utterance
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Accepts a pending suggestion: adds its utterance to the `questions:` of `fiche` (default:
/// the suggested fiche), after checking the whole folder with the new fiche with the same
/// checker as `guichet kb check`; then moves the suggestion to `suggestions/acceptees/`.
///
/// The fiche is replaced atomically (temporary file in its folder, then rename), so the
/// service's watcher only ever sees the old or the new file. If the folder would be invalid,
/// nothing changes and the suggestion stays pending.
pub fn accept_suggestion(
    commune_dir: &Path,
    file: &str,
    fiche: Option<&str>,
) -> Result<Accepted, ReviewError> {
    let path = pending_path(commune_dir, file)?;
    let _lock = REVIEW_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let suggestion = load_pending(&path)?;
    let target = fiche
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .unwrap_or(&suggestion.fiche)
        .to_string();
    let question = clean_utterance(&suggestion.utterance);
    let wanted = normalize(&question);
    if wanted.is_empty() {
        return Err(ReviewError::EmptyUtterance);
    }
    let report = guichet_knowledge::check(commune_dir);
    let Some(knowledge) = &report.knowledge else {
        return Err(ReviewError::Invalid(error_lines(
            &report.problems,
            commune_dir,
        )));
    };
    let current = knowledge
        .fiche(&target)
        .ok_or_else(|| ReviewError::UnknownFiche(target.clone()))?;
    let fiche_file = current
        .path
        .strip_prefix(commune_dir)
        .map_err(|_| std::io::Error::other("fiche outside the commune's folder"))?
        .to_path_buf();
    let mut accepted = Accepted {
        suggestion: suggestion.clone(),
        fiche: target.clone(),
        title: current.title.clone(),
        fiche_file,
        question: question.clone(),
        added: false,
        still_first: None,
    };
    if current.questions.iter().any(|q| normalize(q) == wanted) {
        move_suggestion(commune_dir, file, ACCEPTED_DIR)?;
        return Ok(accepted);
    }
    let original = std::fs::read_to_string(&current.path)?;
    let edited = add_question(&original, &question)?;
    let mut expected = current.questions.clone();
    expected.push(question.clone());
    let checked = check_edit(commune_dir, &accepted.fiche_file, &edited)?;
    let reread = checked.fiche(&target).map(|f| &f.questions);
    if reread != Some(&expected) {
        return Err(ReviewError::Mismatch);
    }
    accepted.still_first = checked
        .search_n(&question, 1)
        .into_iter()
        .next()
        .map(|hit| hit.fiche_id)
        .filter(|first| *first != target);
    if std::fs::read_to_string(&current.path)? != original {
        return Err(ReviewError::Changed);
    }
    write_atomically(&current.path, &edited)?;
    accepted.added = true;
    move_suggestion(commune_dir, file, ACCEPTED_DIR)?;
    Ok(accepted)
}

#[derive(Serialize)]
struct Expect {
    fiche: String,
}

#[derive(Serialize)]
struct DialogueTurn {
    caller: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<Expect>,
}

#[derive(Serialize)]
struct Dialogue {
    name: String,
    channel: &'static str,
    from: String,
    at: String,
    turns: Vec<DialogueTurn>,
}

/// Stand-in caller numbers: the real one is not kept (pseudonymised), and the line type only
/// matters for SMS on the voice channel, so a mobile number is used.
const PLACEHOLDER_MOBILE: &str = "+33600000000";

/// A recorded dialogue replaying a conversation's caller turns up to and including the turn
/// `seq`, which is expected to reach `fiche`. Turns before it carry no expectation.
pub fn export_dialogue(
    name: &str,
    channel: Channel,
    started_at: DateTime<Utc>,
    timezone: Tz,
    turns: &[Turn],
    seq: i64,
    fiche: &str,
) -> Result<String, serde_yaml_ng::Error> {
    let turns = turns
        .iter()
        .filter(|t| t.seq >= 1 && t.seq <= seq)
        .map(|t| DialogueTurn {
            caller: t.caller_text.clone(),
            expect: (t.seq == seq).then(|| Expect {
                fiche: fiche.to_string(),
            }),
        })
        .collect();
    let dialogue = Dialogue {
        name: name.to_string(),
        channel: channel.as_str(),
        from: PLACEHOLDER_MOBILE.to_string(),
        at: started_at.with_timezone(&timezone).to_rfc3339(),
        turns,
    };
    let yaml = serde_yaml_ng::to_string(&dialogue)?;
    Ok(format!(
        "# Exported from the console; the caller's number is a placeholder.\n{yaml}"
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn turn(seq: i64, text: &str) -> Turn {
        Turn {
            seq,
            at: Utc
                .timestamp_opt(1_773_133_200 + seq, 0)
                .single()
                .unwrap_or_default(),
            caller_text: text.into(),
            reply_text: "…".into(),
            decision: json!({}),
            action: "fallback".into(),
            fiche: None,
            confidence: None,
            reply: None,
            message_id: None,
        }
    }

    #[test]
    fn suggestion_file_is_written_once_per_call() {
        let dir = tempfile::tempdir().expect("temp dir");
        let suggestion = Suggestion {
            fiche: "passeport/../x".into(),
            utterance: "mon passeport il est plus bon".into(),
            by: "agent@mairie.example".into(),
            at: Utc
                .with_ymd_and_hms(2026, 3, 10, 9, 0, 0)
                .single()
                .unwrap_or_default(),
        };
        let first = write_suggestion(dir.path(), &suggestion).expect("write");
        let second = write_suggestion(dir.path(), &suggestion).expect("write again");
        assert_ne!(first, second);
        for written in [&first, &second] {
            let name = written.file_name().and_then(|n| n.to_str()).expect("name");
            assert!(is_suggestion_file_name(name), "{name}");
        }
        assert_eq!(
            first.file_name().and_then(|n| n.to_str()),
            Some("20260310T090000Z-passeportx.yaml")
        );
        let text = std::fs::read_to_string(&first).expect("read");
        let back: serde_json::Value = serde_yaml_ng::from_str(&text).expect("yaml");
        assert_eq!(back["fiche"], "passeport/../x");
        assert_eq!(back["utterance"], "mon passeport il est plus bon");
        assert_eq!(back["by"], "agent@mairie.example");
    }

    #[test]
    fn only_the_writers_names_are_suggestion_names() {
        for good in [
            "20260310T090000Z-passeport.yaml",
            "20260310T090000Z-passeport-2.yaml",
            "20260310T090000Z-etat_civil.yaml",
        ] {
            assert!(is_suggestion_file_name(good), "{good}");
        }
        for bad in [
            "",
            "../commune.toml",
            "20260310T090000Z-.yaml",
            "20260310T090000Z-a/../b.yaml",
            "20260310T090000Z-..yaml",
            "20260310T090000Z-a.b.yaml",
            "2026031XT090000Z-a.yaml",
            "20260310T090000Z-a.yml",
            "20260310T090000Z-é.yaml",
            "acceptees",
        ] {
            assert!(!is_suggestion_file_name(bad), "{bad}");
        }
        assert!(!is_suggestion_file_name(&format!(
            "20260310T090000Z-{}.yaml",
            "a".repeat(300)
        )));
    }

    #[test]
    fn spacing_is_cleaned_from_utterances() {
        assert_eq!(
            clean_utterance("  mon\tpasseport\n  est\u{7}perdu "),
            "mon passeport est perdu"
        );
    }

    #[test]
    fn dialogue_has_the_eval_format() {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 10, 9, 15, 0)
            .single()
            .unwrap_or_default();
        let turns = vec![
            turn(0, ""),
            turn(1, "bonjour"),
            turn(2, "mon passeport il est plus bon"),
            turn(3, "merci"),
        ];
        let yaml = export_dialogue(
            "Passeport mal compris",
            Channel::Voice,
            start,
            chrono_tz::Europe::Paris,
            &turns,
            2,
            "passeport",
        )
        .expect("yaml");
        let back: serde_json::Value = serde_yaml_ng::from_str(&yaml).expect("parse");
        assert_eq!(back["channel"], "voice");
        assert_eq!(back["at"], "2026-03-10T10:15:00+01:00");
        let turns = back["turns"].as_array().expect("turns");
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0]["caller"], "bonjour");
        assert!(turns[0].get("expect").is_none());
        assert_eq!(turns[1]["expect"]["fiche"], "passeport");
    }
}
