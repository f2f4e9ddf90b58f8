//! Stored conversations turned into recorded dialogues (`guichet dialogues export`): real calls
//! become tomorrow's regression tests. Pure: the CLI reads the store and writes the files.
//!
//! Each caller turn (the greeting is not one) becomes a dialogue turn whose `expect` is what was
//! decided then (`action`, and `fiche` when there was one): an exported file first pins today's
//! behaviour; staff then correct the expectations that were wrong. The caller's real number is
//! never written (the store keeps it pseudonymised): `from` is a placeholder of the same line
//! type, so that SMS and landline rules replay the same.

use chrono::{DateTime, FixedOffset};
use guichet_agent::{Channel, DecisionAction, LineType};

use crate::dialogue::{CallerTurn, Dialogue, Expect, OneOrMany, Split};

/// A fictitious mobile number (French +336 plan).
pub const PLACEHOLDER_MOBILE: &str = "+33600000000";
/// A fictitious landline number (French +331 plan).
pub const PLACEHOLDER_LANDLINE: &str = "+33100000000";
/// A withheld or unknown number.
pub const PLACEHOLDER_UNKNOWN: &str = "anonymous";

/// One stored conversation, as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    /// The commune (tenant id).
    pub tenant: String,
    pub conversation_id: String,
    pub channel: Channel,
    /// The caller's line type (the number itself is not exported).
    pub line: LineType,
    pub started_at: DateTime<FixedOffset>,
    /// By sequence; seq 0 is the greeting.
    pub turns: Vec<StoredTurn>,
}

/// One stored turn.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTurn {
    pub seq: i64,
    /// What the caller said; `[touche N]` for keys pressed without speech.
    pub caller_text: String,
    /// The decided action (`answer`, `clarify`, …), as stored.
    pub action: String,
    pub fiche: Option<String>,
}

/// The placeholder number of a line type.
pub fn placeholder_number(line: LineType) -> &'static str {
    match line {
        LineType::Mobile => PLACEHOLDER_MOBILE,
        LineType::Landline => PLACEHOLDER_LANDLINE,
        LineType::Unknown => PLACEHOLDER_UNKNOWN,
    }
}

/// The file a conversation is exported to: the same for every export of it, so that exporting
/// again does not duplicate it.
pub fn file_name(conversation: &StoredConversation) -> String {
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{}-{}.yaml",
        safe(&conversation.tenant),
        safe(&conversation.conversation_id)
    )
}

/// The recorded dialogue of a conversation; `None` when the caller never said anything (a call
/// hung up during the greeting).
pub fn to_dialogue(conversation: &StoredConversation) -> Option<Dialogue> {
    let mut stored: Vec<&StoredTurn> = conversation
        .turns
        .iter()
        .filter(|turn| turn.seq >= 1)
        .collect();
    stored.sort_by_key(|turn| turn.seq);
    if stored.is_empty() {
        return None;
    }
    let turns = stored.into_iter().map(caller_turn).collect();
    let channel = match conversation.channel {
        Channel::Voice => "appel",
        Channel::Sms => "SMS",
        Channel::Chat => "chat",
    };
    Some(Dialogue {
        name: format!(
            "Conversation réelle ({channel} du {}, {})",
            conversation.started_at.format("%d/%m/%Y %H:%M"),
            conversation.conversation_id
        ),
        channel: conversation.channel,
        from: placeholder_number(conversation.line).to_owned(),
        at: conversation.started_at,
        turns,
        split: Split::Dev,
        tags: Vec::new(),
        id: String::new(),
    })
}

fn caller_turn(turn: &StoredTurn) -> CallerTurn {
    let (caller, dtmf) = match keys_pressed(&turn.caller_text) {
        Some(keys) => (String::new(), Some(keys.to_owned())),
        None => (turn.caller_text.clone(), None),
    };
    let action =
        serde_json::from_value::<DecisionAction>(serde_json::Value::String(turn.action.clone()))
            .ok();
    let expect = action.map(|action| Expect {
        action: Some(action),
        fiche: turn.fiche.clone().map(OneOrMany::One),
        ..Expect::default()
    });
    CallerTurn {
        caller,
        dtmf,
        asr_confidence: None,
        expect,
    }
}

/// `[touche 0]` (how the service stores keys pressed without speech) → `0`.
fn keys_pressed(text: &str) -> Option<&str> {
    text.strip_prefix("[touche ")?
        .strip_suffix(']')
        .filter(|keys| !keys.is_empty())
}

/// The YAML of an exported dialogue, with a French header for the staff who will review it.
pub fn to_yaml(dialogue: &Dialogue) -> Result<String, serde_yaml_ng::Error> {
    let yaml = serde_yaml_ng::to_string(dialogue)?;
    Ok(format!(
        "# Conversation exportée de la base (guichet dialogues export).\n\
         # Le numéro de l'appelant est fictif (même type de ligne). Les attentes (expect) sont\n\
         # ce que le robot a décidé : corrigez celles qui étaient fausses.\n{yaml}"
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::dialogue::parse_file;

    fn turn(seq: i64, text: &str, action: &str, fiche: Option<&str>) -> StoredTurn {
        StoredTurn {
            seq,
            caller_text: text.into(),
            action: action.into(),
            fiche: fiche.map(Into::into),
        }
    }

    fn conversation() -> StoredConversation {
        StoredConversation {
            tenant: "demo".into(),
            conversation_id: "CA0123/../x".into(),
            channel: Channel::Voice,
            line: LineType::Mobile,
            started_at: DateTime::parse_from_rfc3339("2026-03-10T10:15:00+01:00").unwrap(),
            turns: vec![
                turn(
                    2,
                    "il est expiré",
                    "answer",
                    Some("passeport-renouvellement"),
                ),
                turn(0, "", "greet", None),
                turn(1, "mon passeport", "clarify", Some("passeport")),
                turn(3, "[touche 0]", "transfer", None),
                turn(4, "euh", "something-new", None),
            ],
        }
    }

    fn known() -> BTreeSet<String> {
        ["passeport", "passeport-renouvellement"]
            .iter()
            .map(|id| id.to_string())
            .collect()
    }

    #[test]
    fn caller_turns_expect_what_was_decided() {
        let dialogue = to_dialogue(&conversation()).unwrap();
        assert_eq!(dialogue.from, PLACEHOLDER_MOBILE);
        assert_eq!(dialogue.channel, Channel::Voice);
        let callers: Vec<&str> = dialogue.turns.iter().map(|t| t.caller.as_str()).collect();
        assert_eq!(callers, ["mon passeport", "il est expiré", "", "euh"]);
        let first = dialogue.turns[0].expect.as_ref().unwrap();
        assert_eq!(first.action, Some(DecisionAction::Clarify));
        assert_eq!(first.fiches(), ["passeport"]);
        assert_eq!(dialogue.turns[2].dtmf.as_deref(), Some("0"));
        let third = dialogue.turns[2].expect.as_ref().unwrap();
        assert_eq!(third.action, Some(DecisionAction::Transfer));
        assert!(third.fiche.is_none());
        // An action this version does not know is replayed but not scored.
        assert!(dialogue.turns[3].expect.is_none());
    }

    #[test]
    fn the_real_number_is_replaced_by_one_of_the_same_line_type() {
        let mut landline = conversation();
        landline.line = LineType::Landline;
        assert_eq!(
            LineType::of(&to_dialogue(&landline).unwrap().from),
            LineType::Landline
        );
        assert_eq!(LineType::of(PLACEHOLDER_MOBILE), LineType::Mobile);
        landline.line = LineType::Unknown;
        assert_eq!(to_dialogue(&landline).unwrap().from, PLACEHOLDER_UNKNOWN);
    }

    #[test]
    fn a_greeting_alone_is_not_a_dialogue() {
        let mut silent = conversation();
        silent.turns.retain(|turn| turn.seq == 0);
        assert!(to_dialogue(&silent).is_none());
    }

    #[test]
    fn file_names_are_stable_and_safe() {
        assert_eq!(file_name(&conversation()), "demo-CA0123____x.yaml");
        assert_eq!(file_name(&conversation()), file_name(&conversation()));
    }

    #[test]
    fn the_yaml_loads_back_with_the_dialogue_loader() {
        let original = to_dialogue(&conversation()).unwrap();
        let yaml = to_yaml(&original).unwrap();
        assert!(!yaml.contains("id:"), "{yaml}");
        let (mut dialogues, mut errors) = (Vec::new(), Vec::new());
        parse_file(
            Path::new("x.yaml"),
            "x.yaml",
            &yaml,
            &known(),
            &mut dialogues,
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}\n{yaml}");
        let mut back = dialogues.remove(0);
        assert_eq!(back.id, "x.yaml");
        back.id = String::new();
        assert_eq!(back, original);
    }
}
