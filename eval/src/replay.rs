//! Replaying dialogues against a robot (in process or over HTTP) and recording every turn.

use std::time::Instant;

use guichet_agent::Channel;
use serde::{Deserialize, Serialize};

use crate::dialogue::{CallerTurn, Dialogue, Expect, Split};
use crate::observed::Observed;
use crate::score::{Verdict, score_turn};

/// Why a turn could not be replayed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReplayError(pub String);

/// The identity of one replayed call.
pub struct CallInfo<'a> {
    pub dialogue: &'a Dialogue,
    /// Unique per dialogue in a run, stable across runs.
    pub conversation_id: String,
    /// Position of the dialogue in the run.
    pub index: usize,
}

/// Something that answers calls: the engine in process, or a running server over its webhook.
pub trait Bot {
    /// The state a backend keeps between the turns of one call.
    type Call;
    /// The call starts (greeting); no caller words yet.
    fn start(&self, call: &CallInfo<'_>) -> Result<(Self::Call, Observed), ReplayError>;
    /// One caller turn.
    fn turn(
        &self,
        state: &mut Self::Call,
        call: &CallInfo<'_>,
        turn: &CallerTurn,
    ) -> Result<Observed, ReplayError>;
}

/// One caller turn as replayed: what was said, expected, got, and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayedTurn {
    /// 1-based, as counted in messages ("tour 2").
    pub number: usize,
    pub caller: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    pub got: Option<Observed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_us: u64,
    pub verdict: Verdict,
}

/// One dialogue as replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogueRun {
    /// Path relative to the dialogues folder (`#n` for the n-th document of a file).
    pub id: String,
    pub name: String,
    pub channel: Channel,
    pub from: String,
    pub at: String,
    /// The dialogue's split and tags (absent from reports written before they existed).
    #[serde(default, skip_serializing_if = "Split::is_dev")]
    pub split: Split,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The reply to the call start (greeting), or the error that prevented it.
    pub start: Option<Observed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_error: Option<String>,
    pub turns: Vec<ReplayedTurn>,
    /// Number of scored turns that were wrong (or not replayed).
    pub failed_turns: usize,
    pub scored_turns: usize,
    /// All scored turns right (a dialogue with no scored turn passes only if it replayed).
    pub passed: bool,
}

impl DialogueRun {
    pub fn failing(&self) -> impl Iterator<Item = &ReplayedTurn> {
        self.turns
            .iter()
            .filter(|turn| turn.verdict.scored && !turn.verdict.right)
    }
}

/// Replays every dialogue in order; `progress` is told after each one.
pub fn replay_all<B: Bot>(
    bot: &B,
    dialogues: &[Dialogue],
    progress: &mut dyn FnMut(&DialogueRun),
) -> Vec<DialogueRun> {
    dialogues
        .iter()
        .enumerate()
        .map(|(index, dialogue)| {
            let run = replay(bot, dialogue, index);
            progress(&run);
            run
        })
        .collect()
}

/// Replays one dialogue: the call start, then each caller turn. After an error the remaining
/// turns are recorded as not replayed (and fail when scored).
pub fn replay<B: Bot>(bot: &B, dialogue: &Dialogue, index: usize) -> DialogueRun {
    let call = CallInfo {
        dialogue,
        conversation_id: conversation_id(dialogue, index),
        index,
    };
    let mut run = DialogueRun {
        id: dialogue.id.clone(),
        name: dialogue.name.clone(),
        channel: dialogue.channel,
        from: dialogue.from.clone(),
        at: dialogue.at.to_rfc3339(),
        split: dialogue.split,
        tags: dialogue.tags.clone(),
        start: None,
        start_error: None,
        turns: Vec::with_capacity(dialogue.turns.len()),
        failed_turns: 0,
        scored_turns: 0,
        passed: false,
    };
    let mut state = match bot.start(&call) {
        Ok((state, greeting)) => {
            run.start = Some(greeting);
            Some(state)
        }
        Err(error) => {
            run.start_error = Some(error.0);
            None
        }
    };
    let mut broken = run.start_error.clone();
    for (position, turn) in dialogue.turns.iter().enumerate() {
        let began = Instant::now();
        let outcome = match (&mut state, &broken) {
            (Some(state), None) => bot.turn(state, &call, turn).map_err(|error| error.0),
            (_, Some(error)) => Err(format!("non rejoué après une erreur : {error}")),
            (None, None) => Err("non rejoué".to_owned()),
        };
        let latency_us = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (got, error) = match outcome {
            Ok(observed) => (Some(observed), None),
            Err(error) => {
                broken.get_or_insert_with(|| error.clone());
                (None, Some(error))
            }
        };
        let verdict = score_turn(turn.expect.as_ref(), got.as_ref(), error.as_deref());
        run.turns.push(ReplayedTurn {
            number: position + 1,
            caller: turn.caller.clone(),
            dtmf: turn.dtmf.clone(),
            expect: turn.expect.clone(),
            got,
            error,
            latency_us,
            verdict,
        });
    }
    run.scored_turns = run.turns.iter().filter(|turn| turn.verdict.scored).count();
    run.failed_turns = run.failing().count();
    run.passed = run.failed_turns == 0 && run.start_error.is_none();
    run
}

fn conversation_id(dialogue: &Dialogue, index: usize) -> String {
    let slug: String = dialogue
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("eval-{index:04}-{slug}")
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;

    use guichet_agent::{Action, Decision, DecisionAction};

    use super::*;

    /// A robot that plays back canned replies, in order, for the scoring and report tests.
    pub struct Canned {
        pub replies: RefCell<std::collections::VecDeque<Result<Observed, String>>>,
    }

    impl Canned {
        pub fn new(replies: Vec<Result<Observed, String>>) -> Self {
            Canned {
                replies: RefCell::new(replies.into()),
            }
        }
    }

    impl Bot for Canned {
        type Call = ();
        fn start(&self, _: &CallInfo<'_>) -> Result<((), Observed), ReplayError> {
            Ok((
                (),
                said(&["Bonjour"], DecisionAction::Greet, None, None, vec![]),
            ))
        }
        fn turn(
            &self,
            _: &mut (),
            _: &CallInfo<'_>,
            _: &CallerTurn,
        ) -> Result<Observed, ReplayError> {
            self.replies
                .borrow_mut()
                .pop_front()
                .unwrap_or_else(|| Err("plus de réponse".into()))
                .map_err(ReplayError)
        }
    }

    pub fn said(
        say: &[&str],
        action: DecisionAction,
        fiche: Option<&str>,
        confidence: Option<f32>,
        actions: Vec<Action>,
    ) -> Observed {
        Observed {
            say: say.iter().map(|s| s.to_string()).collect(),
            decision: Some(Decision {
                action,
                rule: "test".into(),
                fiche: fiche.map(str::to_owned),
                confidence,
                margin: None,
                understood: String::new(),
                satisfaction: None,
            }),
            actions: Some(actions),
        }
    }

    #[test]
    fn an_error_stops_the_dialogue_and_fails_the_rest() {
        let dialogue: Dialogue = serde_yaml_ng::from_str(
            "name: x\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: a\n    expect: { action: answer }\n  - caller: b\n    expect: { action: answer }\n  - caller: c\n    expect: { action: goodbye }\n",
        )
        .unwrap();
        let bot = Canned::new(vec![
            Ok(said(&["ok"], DecisionAction::Answer, None, None, vec![])),
            Err("connexion refusée".into()),
            Ok(said(&["ok"], DecisionAction::Goodbye, None, None, vec![])),
        ]);
        let run = replay(&bot, &dialogue, 0);
        assert!(!run.passed);
        assert_eq!(run.failed_turns, 2);
        assert!(
            run.turns[2]
                .error
                .as_deref()
                .unwrap()
                .contains("connexion refusée")
        );
        assert!(run.start.is_some());
    }
}
