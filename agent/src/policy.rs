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
    /// The operating point: answer from 0.35, confirm from 0.22, chosen on the **dev** split of
    /// the demo commune's dialogues (`guichet eval --split dev`; the `test` split is never looked
    /// at for this) with the national catalogue loaded, from the eval's threshold sweep.
    ///
    /// Why 0.35: the false answers left no longer move with the threshold (they score well above
    /// it: a word of a fiche said in another sense, a body that serves the same person), so
    /// raising it mostly turns confident redirections ("ça, c'est la CPAM") into « vous appelez
    /// bien au sujet de… ? ». The last sweep, over dev batches 1–10 and the demo's dialogues
    /// (2,794 fiche turns, 3,253 scored; fiches right / false answers if the robot answered only
    /// from that confidence): 0.30 2408 / 86, **0.35 2319 / 85**, 0.40 2170 / 73, 0.45 2045 /
    /// 63, 0.50 1907 / 51. 0.40 would lose 149 right fiches for 12 false answers less. Below
    /// 0.22, a guess is not worth a confirmation: the robot asks to reformulate, then hands over
    /// to a human.
    ///
    /// Every pass of that tuning (what was measured, kept, tried and not kept, and the holdout
    /// figures before and after) is in `docs/tuning-log.md`.
    fn default() -> Self {
        Self {
            answer_confidence: 0.35,
            confirm_confidence: 0.22,
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
