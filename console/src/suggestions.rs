//! What staff do with a misunderstood utterance: a suggestion file for an éditeur, and a
//! recorded dialogue (the eval format of DESIGN.md) for the evaluation set.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use guichet_store::{Channel, Turn};
use serde::Serialize;

/// A suggestion: "this utterance should have reached this fiche".
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let dir = commune_dir.join("suggestions");
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
