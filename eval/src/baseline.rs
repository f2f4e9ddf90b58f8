//! Comparison with a previous JSON report (`--baseline`).
//!
//! Noise: the in-process replay is deterministic, but fiches and dialogues change between runs,
//! so a headline rate may move a little when dialogues are added. A **regression** is:
//! - a rate that gets worse by more than half a point (0.005): action, fiche, turn and dialogue
//!   accuracy, handoff precision and recall, SMS correctness and coverage going down, or the
//!   misroute or false-answer rate going up, the out-of-scope handling going down;
//! - or any dialogue (same file) with more failing turns than before — in particular one that
//!   passed and now fails. These are named.
//!
//! Latency is shown but never a regression (it depends on the machine).

use std::fmt::Write;

use crate::metrics::{Metrics, Ratio};
use crate::report::{Report, percent};

/// Reads one rate out of the metrics.
type RateOf = fn(&Metrics) -> Ratio;

/// Half a point: a rate must move by more than this to count.
pub const NOISE: f64 = 0.005;

#[derive(Debug, Clone, PartialEq)]
pub struct MetricChange {
    pub name: &'static str,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub higher_is_better: bool,
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DialogueChange {
    pub id: String,
    pub name: String,
    pub failed_before: usize,
    pub failed_after: usize,
    /// "tour 2 : action : attendu answer, obtenu clarify" for each failing turn now.
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    pub metrics: Vec<MetricChange>,
    pub worse: Vec<DialogueChange>,
    pub better: Vec<DialogueChange>,
    /// Dialogues of the baseline no longer in the run.
    pub missing: Vec<String>,
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        !self.worse.is_empty() || self.metrics.iter().any(|change| change.regression)
    }

    /// A French account of what changed, regressions first.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Comparaison avec la référence (bruit toléré : {} point) :",
            NOISE * 100.0
        );
        for change in &self.metrics {
            let mark = if change.regression {
                "✗ régression"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<30} {:>8} → {:>8}  {mark}",
                change.name,
                percent(change.before),
                percent(change.after)
            );
        }
        if !self.worse.is_empty() {
            let _ = writeln!(out, "Dialogues en recul ({}) :", self.worse.len());
            for change in &self.worse {
                let _ = writeln!(
                    out,
                    "  ✗ {} — {} (tours en échec : {} → {})",
                    change.id, change.name, change.failed_before, change.failed_after
                );
                for failure in &change.failures {
                    let _ = writeln!(out, "      {failure}");
                }
            }
        }
        if !self.better.is_empty() {
            let _ = writeln!(out, "Dialogues en progrès ({}) :", self.better.len());
            for change in &self.better {
                let _ = writeln!(
                    out,
                    "  ✓ {} — {} (tours en échec : {} → {})",
                    change.id, change.name, change.failed_before, change.failed_after
                );
            }
        }
        if !self.missing.is_empty() {
            let _ = writeln!(
                out,
                "Dialogues de la référence absents de ce run : {}",
                self.missing.join(", ")
            );
        }
        out
    }
}

pub fn compare(baseline: &Report, current: &Report) -> Comparison {
    let (b, c) = (&baseline.figures.metrics, &current.figures.metrics);
    let rates: [(&'static str, RateOf, bool); 11] = [
        ("précision des actions", |m| m.action_accuracy, true),
        ("précision des fiches", |m| m.fiche_accuracy, true),
        ("mauvaise orientation", |m| m.misroute, false),
        ("fausses réponses", |m| m.false_answer, false),
        (
            "hors périmètre bien traité",
            |m| m.out_of_scope_handled,
            true,
        ),
        ("réussite des dialogues", |m| m.dialogue_success, true),
        ("tours justes", |m| m.turn_accuracy, true),
        ("transferts : précision", |m| m.handoff_precision, true),
        ("transferts : rappel", |m| m.handoff_recall, true),
        ("SMS corrects", |m| m.sms_correctness, true),
        ("couverture des fiches", |m| m.coverage, true),
    ];
    let metrics = rates
        .into_iter()
        .map(|(name, get, higher_is_better)| {
            let (before, after) = (get(b).rate, get(c).rate);
            let regression = match (before, after) {
                (Some(before), Some(after)) if higher_is_better => before - after > NOISE,
                (Some(before), Some(after)) => after - before > NOISE,
                _ => false,
            };
            MetricChange {
                name,
                before,
                after,
                higher_is_better,
                regression,
            }
        })
        .collect();

    let mut comparison = Comparison {
        metrics,
        ..Comparison::default()
    };
    for old in &baseline.dialogues {
        let Some(new) = current.dialogues.iter().find(|run| run.id == old.id) else {
            comparison.missing.push(old.id.clone());
            continue;
        };
        let change = DialogueChange {
            id: new.id.clone(),
            name: new.name.clone(),
            failed_before: old.failed_turns,
            failed_after: new.failed_turns,
            failures: new
                .failing()
                .map(|turn| {
                    format!(
                        "tour {} : {}",
                        turn.number,
                        turn.verdict.failures.join(" ; ")
                    )
                })
                .collect(),
        };
        let now_failing = old.passed && !new.passed;
        if now_failing || new.failed_turns > old.failed_turns {
            comparison.worse.push(change);
        } else if new.failed_turns < old.failed_turns || (!old.passed && new.passed) {
            comparison.better.push(change);
        }
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn identical_runs_do_not_regress() {
        let report = sample_report();
        let comparison = compare(&report, &report);
        assert!(!comparison.regressed(), "{}", comparison.render());
        assert!(comparison.worse.is_empty() && comparison.better.is_empty());
    }

    #[test]
    fn a_dialogue_that_now_fails_is_named() {
        let baseline = sample_report();
        let mut current = baseline.clone();
        // The first dialogue passed; make its second turn fail.
        let run = &mut current.dialogues[0];
        run.turns[1].verdict.right = false;
        run.turns[1].verdict.failures =
            vec!["fiche : attendu passeport-renouvellement, obtenu passeport".into()];
        run.failed_turns = 1;
        run.passed = false;
        let comparison = compare(&baseline, &current);
        assert!(comparison.regressed());
        assert_eq!(comparison.worse.len(), 1);
        assert_eq!(comparison.worse[0].id, "bon.yaml");
        let text = comparison.render();
        assert!(
            text.contains("✗ bon.yaml — bon (tours en échec : 0 → 1)"),
            "{text}"
        );
        assert!(text.contains("tour 2 : fiche : attendu passeport-renouvellement"));
        // And the reverse is progress, not regression.
        let reverse = compare(&current, &baseline);
        assert!(!reverse.regressed());
        assert_eq!(reverse.better.len(), 1);
    }

    #[test]
    fn a_metric_beyond_noise_regresses_within_noise_does_not() {
        let baseline = sample_report();
        let mut current = baseline.clone();
        current.figures.metrics.misroute = Ratio::new(1003, 4000); // 25.075 % vs 25 %: noise
        assert!(!compare(&baseline, &current).regressed());
        current.figures.metrics.misroute = Ratio::new(105, 400); // 26.25 %
        let comparison = compare(&baseline, &current);
        assert!(comparison.regressed());
        assert!(comparison.render().contains("mauvaise orientation"));
        let mut current = baseline.clone();
        current.figures.metrics.fiche_accuracy = Ratio::new(49, 100);
        assert!(compare(&baseline, &current).regressed());
    }
}
