//! The thresholds the engine decides on: one place, public so the eval can report them.

use serde::{Deserialize, Serialize};

/// Decision thresholds, on the knowledge base's `confidence` (in [0, 1], comparable across
/// queries) and on the speech recogniser's transcription confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// At or above: answer straight away (if the margin is enough and the ASR is sure).
    pub answer_confidence: f32,
    /// At or above (and below `answer_confidence`, or with a thin margin / unsure ASR):
    /// ask "Vous appelez bien au sujet de … ?". Below: not understood.
    pub confirm_confidence: f32,
    /// Minimum lead of the best fiche over the next unrelated one to answer without confirming.
    pub min_margin: f32,
    /// Below this transcription confidence, a confident match is confirmed first.
    pub low_asr_confidence: f32,
    /// When the best fiche is one option of a clarifying fiche that scores at least this share
    /// of its confidence, and the caller said none of the options' words, the clarifying
    /// question is asked ("un passeport" → "perdu, volé, expiré ?") rather than guessing.
    pub family_ratio: f32,
}

impl Default for Policy {
    /// Tuned on the demo commune's recorded dialogues (`communes/demo/dialogues`): spoken
    /// requests that name their topic among many other words score 0.25–0.5, out-of-scope
    /// questions mostly below 0.22; a thin margin means two topics tie.
    fn default() -> Self {
        let knob = |name: &str, default: f32| -> f32 {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            answer_confidence: knob("GUICHET_TUNE_ANSWER", 0.22),
            confirm_confidence: knob("GUICHET_TUNE_CONFIRM", 0.2),
            min_margin: 0.05,
            low_asr_confidence: 0.5,
            family_ratio: 0.7,
        }
    }
}

/// What the confidence of the best match allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    Confirm,
    NotUnderstood,
}

impl Policy {
    /// The one rule that turns a match into answer / confirm / not understood.
    pub fn verdict(&self, confidence: f32, margin: f32, asr_confidence: Option<f32>) -> Verdict {
        let asr_unsure = asr_confidence.is_some_and(|asr| asr < self.low_asr_confidence);
        if confidence < self.confirm_confidence {
            Verdict::NotUnderstood
        } else if confidence >= self.answer_confidence && margin >= self.min_margin && !asr_unsure {
            Verdict::Answer
        } else {
            Verdict::Confirm
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_thresholds() {
        let policy = Policy::default();
        assert_eq!(policy.verdict(0.9, 0.5, None), Verdict::Answer);
        assert_eq!(policy.verdict(0.9, 0.5, Some(0.95)), Verdict::Answer);
        assert_eq!(
            policy.verdict(0.9, 0.5, Some(0.2)),
            Verdict::Confirm,
            "unsure transcription"
        );
        assert_eq!(
            policy.verdict(0.9, 0.0, None),
            Verdict::Confirm,
            "two fiches tie"
        );
        assert_eq!(
            policy.verdict(policy.confirm_confidence + 0.01, 0.5, None),
            Verdict::Confirm
        );
        assert_eq!(policy.verdict(0.05, 0.05, None), Verdict::NotUnderstood);
    }
}
