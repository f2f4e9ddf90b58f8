//! The figures computed from a replay: overall, per fiche, the threshold sweep, the confusions.
//!
//! Definitions (over caller turns; the greeting is never scored):
//! - **action accuracy**: turns expecting an `action` whose decided action is that one;
//! - **fiche accuracy**: turns expecting a `fiche` whose decided fiche is one of the expected ids;
//! - **turn accuracy**: scored turns where every expectation key held;
//! - **dialogue success**: dialogues with at least one scored turn and every scored turn right;
//! - **handoff precision / recall**: a turn "expects a handoff" when `handoff: true` or its
//!   expected action is `transfer`/`callback` (and expects none when `handoff: false` or another
//!   action); the robot "hands off" when it decides `transfer` or `callback`;
//! - **misroute rate**: among turns expecting a fiche, those where the robot committed to a wrong
//!   fiche (`answer`, `deflect` or `clarify` with a fiche that is not expected; `confirm` asks
//!   first and is not a commitment);
//! - **SMS correctness**: turns expecting `sms` whose SMS sending matched;
//! - **coverage**: fiches of the folder named by at least one expectation / fiches of the folder;
//! - **latency**: per caller turn, in microseconds (in process) or as the round trip (HTTP).
//!
//! The threshold sweep replays no call: for each threshold it counts, among turns expecting a
//! fiche, the committed turns whose recorded confidence is at least the threshold (a commitment
//! without a confidence, e.g. a clarification option chosen by rule, counts at every threshold).
//! A confirmation question counts as the answer it proposes: below the operating point, the
//! sweep shows what answering those guesses would cost, not only what it would gain.

use std::collections::{BTreeMap, BTreeSet};

use guichet_agent::{Decision, DecisionAction};
use serde::{Deserialize, Serialize};

use crate::false_answers::{
    GroupMetrics, breakdown, expects_out_of_scope, handled_right, is_false_answer,
};
pub use crate::ratio::Ratio;
use crate::replay::{DialogueRun, ReplayedTurn};
use crate::score::{fiche_right, sent_sms};

/// Latency percentiles, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Latency {
    pub turns: usize,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    pub dialogues: usize,
    pub caller_turns: usize,
    pub scored_turns: usize,
    pub turn_accuracy: Ratio,
    pub action_accuracy: Ratio,
    pub fiche_accuracy: Ratio,
    pub dialogue_success: Ratio,
    pub handoff_precision: Ratio,
    pub handoff_recall: Ratio,
    pub misroute: Ratio,
    /// Committed wrong answers over all scored turns (see [`crate::false_answers`]).
    #[serde(default)]
    pub false_answer: Ratio,
    /// Out-of-scope turns handled right (see [`crate::false_answers`]).
    #[serde(default)]
    pub out_of_scope_handled: Ratio,
    pub sms_correctness: Ratio,
    pub coverage: Ratio,
    /// Fiches of the folder that no expectation names.
    pub uncovered_fiches: Vec<String>,
    pub latency: Latency,
}

/// The figures of one expected fiche (a turn counts for the first id of its `fiche` list).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FicheMetrics {
    pub fiche: String,
    pub turns: usize,
    pub turn_accuracy: Ratio,
    pub action_accuracy: Ratio,
    pub fiche_accuracy: Ratio,
    pub misroute: Ratio,
    /// Dialogues with a wrong turn about this fiche.
    pub failing_dialogues: Vec<String>,
}

/// One point of the threshold sweep.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SweepPoint {
    pub threshold: f64,
    /// Committed turns at or above the threshold, over turns expecting a fiche (a confirmation
    /// question counts as the answer it proposes).
    pub answered: Ratio,
    /// Committed wrong turns at or above the threshold, over turns expecting a fiche (idem).
    pub misroute: Ratio,
    /// Turns with the right fiche at or above the threshold, over turns expecting a fiche.
    #[serde(default)]
    pub fiche_accuracy: Ratio,
    /// False answers at or above the threshold, over all scored turns (idem).
    #[serde(default)]
    pub false_answer: Ratio,
}

/// How often a turn expecting `expected` was decided as `got` (`None`: no fiche).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub expected: String,
    pub got: Option<String>,
    pub count: usize,
}

/// Everything computed from a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Figures {
    pub metrics: Metrics,
    /// Worst first.
    pub per_fiche: Vec<FicheMetrics>,
    pub sweep: Vec<SweepPoint>,
    /// Per split, then per dialogue tag.
    #[serde(default)]
    pub breakdown: Vec<GroupMetrics>,
    /// Wrong fiches only, most frequent first.
    pub confusion: Vec<Confusion>,
}

/// The robot committed to a fiche (not a mere confirmation question).
pub fn committed(decision: &Decision) -> bool {
    decision.fiche.is_some()
        && matches!(
            decision.action,
            DecisionAction::Answer | DecisionAction::Deflect | DecisionAction::Clarify
        )
}

pub fn compute(runs: &[DialogueRun], folder_fiches: &BTreeSet<String>) -> Figures {
    let mut metrics = Metrics {
        dialogues: runs.len(),
        ..Metrics::default()
    };
    let mut per_fiche: BTreeMap<String, FicheMetrics> = BTreeMap::new();
    let mut confusion: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
    let mut named = BTreeSet::new();
    let mut latencies = Vec::new();
    let mut expecting_fiche: Vec<SweepTurn> = Vec::new();
    let mut all_scored: Vec<SweepTurn> = Vec::new();

    for run in runs {
        if run.scored_turns > 0 {
            metrics.dialogue_success.add(run.passed);
        }
        for turn in &run.turns {
            metrics.caller_turns += 1;
            if turn.got.is_some() {
                latencies.push(turn.latency_us);
            }
            let Some(expect) = &turn.expect else { continue };
            metrics.scored_turns += 1;
            metrics.turn_accuracy.add(turn.verdict.right);
            let decision = decision(turn);
            let false_answer = is_false_answer(expect, decision);
            metrics.false_answer.add(false_answer);
            if expects_out_of_scope(expect) {
                metrics
                    .out_of_scope_handled
                    .add(handled_right(expect, decision));
            }
            let guess = decision.map(as_answered);
            all_scored.push(SweepTurn {
                confidence: decision.and_then(|decision| decision.confidence),
                committed: false,
                wrong: is_false_answer(expect, guess.as_ref()),
                right: false,
            });
            if let Some(wanted) = expect.action {
                metrics
                    .action_accuracy
                    .add(decision.is_some_and(|decision| decision.action == wanted));
            }
            if let Some(wanted) = expect.expects_handoff() {
                let got =
                    decision.is_some_and(|decision| crate::dialogue::is_handoff(decision.action));
                if got {
                    metrics.handoff_precision.add(wanted);
                }
                if wanted {
                    metrics.handoff_recall.add(got);
                }
            }
            if let Some(wanted) = expect.sms {
                let got = turn
                    .got
                    .as_ref()
                    .and_then(|got| got.actions.as_deref())
                    .map(sent_sms);
                metrics.sms_correctness.add(got == Some(wanted));
            }
            let Some(primary) = expect.fiches().first() else {
                continue;
            };
            named.extend(expect.fiches().iter().cloned());
            let right = decision.is_some_and(|decision| fiche_right(expect, decision));
            let misrouted = !right && decision.is_some_and(committed);
            metrics.fiche_accuracy.add(right);
            metrics.misroute.add(misrouted);
            let committed_confidence = guess
                .as_ref()
                .filter(|guess| committed(guess))
                .map(|guess| guess.confidence);
            expecting_fiche.push(SweepTurn {
                confidence: committed_confidence
                    .flatten()
                    .or_else(|| decision.and_then(|decision| decision.confidence)),
                committed: committed_confidence.is_some(),
                wrong: !right && committed_confidence.is_some(),
                right,
            });
            if !right {
                *confusion
                    .entry((
                        primary.clone(),
                        decision.and_then(|decision| decision.fiche.clone()),
                    ))
                    .or_default() += 1;
            }
            let entry = per_fiche
                .entry(primary.clone())
                .or_insert_with(|| FicheMetrics {
                    fiche: primary.clone(),
                    ..FicheMetrics::default()
                });
            entry.turns += 1;
            entry.turn_accuracy.add(turn.verdict.right);
            entry.fiche_accuracy.add(right);
            entry.misroute.add(misrouted);
            if let Some(wanted) = expect.action {
                entry
                    .action_accuracy
                    .add(decision.is_some_and(|decision| decision.action == wanted));
            }
            if !turn.verdict.right && !entry.failing_dialogues.contains(&run.id) {
                entry.failing_dialogues.push(run.id.clone());
            }
        }
    }

    let covered = folder_fiches
        .iter()
        .filter(|fiche| named.contains(*fiche))
        .count();
    metrics.coverage = Ratio::new(covered, folder_fiches.len());
    metrics.uncovered_fiches = folder_fiches
        .iter()
        .filter(|fiche| !named.contains(*fiche))
        .cloned()
        .collect();
    metrics.latency = latency(latencies);

    let mut per_fiche: Vec<FicheMetrics> = per_fiche.into_values().collect();
    per_fiche.sort_by(|a, b| {
        rate(&a.turn_accuracy)
            .total_cmp(&rate(&b.turn_accuracy))
            .then(rate(&a.fiche_accuracy).total_cmp(&rate(&b.fiche_accuracy)))
            .then(b.turns.cmp(&a.turns))
            .then(a.fiche.cmp(&b.fiche))
    });
    let mut confusion: Vec<Confusion> = confusion
        .into_iter()
        .map(|((expected, got), count)| Confusion {
            expected,
            got,
            count,
        })
        .collect();
    confusion.sort_by(|a, b| b.count.cmp(&a.count).then(a.expected.cmp(&b.expected)));

    Figures {
        metrics,
        per_fiche,
        sweep: sweep(&expecting_fiche, &all_scored),
        breakdown: breakdown(runs),
        confusion,
    }
}

/// A decision as the threshold sweep reads it: the fiche a confirmation question proposes
/// ("vous appelez bien au sujet de… ?") is the answer the robot would give from that
/// confidence, if it answered from there. Without this, every threshold below the operating
/// point looked free: the guesses it would turn into answers were never counted as wrong.
fn as_answered(decision: &Decision) -> Decision {
    let mut guess = decision.clone();
    if guess.action == DecisionAction::Confirm && guess.fiche.is_some() {
        guess.action = DecisionAction::Answer;
    }
    guess
}

fn decision(turn: &ReplayedTurn) -> Option<&Decision> {
    turn.got.as_ref().and_then(|got| got.decision.as_ref())
}

fn rate(ratio: &Ratio) -> f64 {
    ratio.rate.unwrap_or(1.0)
}

/// One scored turn as the sweep sees it.
struct SweepTurn {
    /// The decision's confidence (`None`: decided by rule, counted at every threshold).
    confidence: Option<f32>,
    /// Committed to a fiche.
    committed: bool,
    /// A misroute (turns expecting a fiche) or a false answer (all scored turns).
    wrong: bool,
    /// The right fiche.
    right: bool,
}

/// `expecting_fiche`: the turns expecting a fiche; `all_scored`: every scored turn.
fn sweep(expecting_fiche: &[SweepTurn], all_scored: &[SweepTurn]) -> Vec<SweepPoint> {
    (0..=20)
        .map(|step| {
            let threshold = f64::from(step * 5) / 100.0;
            let above = |turn: &SweepTurn| {
                turn.confidence
                    .is_none_or(|c| f64::from(c) + 1e-9 >= threshold)
            };
            let count = |turns: &[SweepTurn], keep: &dyn Fn(&SweepTurn) -> bool| {
                Ratio::new(
                    turns
                        .iter()
                        .filter(|turn| keep(turn) && above(turn))
                        .count(),
                    turns.len(),
                )
            };
            SweepPoint {
                threshold,
                answered: count(expecting_fiche, &|turn| turn.committed),
                misroute: count(expecting_fiche, &|turn| turn.wrong),
                fiche_accuracy: count(expecting_fiche, &|turn| turn.right),
                false_answer: count(all_scored, &|turn| turn.wrong),
            }
        })
        .collect()
}

fn latency(mut values: Vec<u64>) -> Latency {
    if values.is_empty() {
        return Latency::default();
    }
    values.sort_unstable();
    // Nearest-rank percentile.
    let at = |p: f64| {
        let rank = (p * values.len() as f64).ceil() as usize;
        values[rank.clamp(1, values.len()) - 1]
    };
    Latency {
        turns: values.len(),
        p50_us: at(0.50),
        p95_us: at(0.95),
        p99_us: at(0.99),
        max_us: values[values.len() - 1],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use guichet_agent::{Action, DecisionAction};

    use super::*;
    use crate::dialogue::Dialogue;
    use crate::replay::replay;
    use crate::replay::tests::{Canned, said};

    fn sms() -> Action {
        Action::SendSms {
            to: "+33612345678".into(),
            text: "lien".into(),
        }
    }

    /// Three dialogues scored on canned replies: one right, one misrouted, one handed off wrongly.
    pub fn sample_runs() -> Vec<DialogueRun> {
        let dialogue = |yaml: &str| -> Dialogue {
            let mut dialogue: Dialogue = serde_yaml_ng::from_str(yaml).unwrap();
            dialogue.id = format!("{}.yaml", dialogue.name);
            dialogue
        };
        let good = dialogue(
            "name: bon\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: passeport\n    expect: { action: clarify, fiche: passeport }\n  - caller: expiré\n    expect: { action: answer, fiche: passeport-renouvellement, sms: true }\n  - caller: non merci\n",
        );
        let misrouted = dialogue(
            "name: mauvais\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: ma carte grise\n    expect: { action: deflect, fiche: carte-grise, sms: true }\n  - caller: un agent\n    expect: { action: transfer, handoff: true }\n",
        );
        let handoff = dialogue(
            "name: transfert\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: horaires\n    expect: { action: answer, fiche: horaires-mairie }\n",
        );
        let bot = Canned::new(vec![
            Ok(said(
                &["Perdu ou expiré ?"],
                DecisionAction::Clarify,
                Some("passeport"),
                Some(0.8),
                vec![],
            )),
            Ok(said(
                &["Rendez-vous"],
                DecisionAction::Answer,
                Some("passeport-renouvellement"),
                None,
                vec![sms()],
            )),
            Ok(said(
                &["Au revoir"],
                DecisionAction::Goodbye,
                None,
                None,
                vec![],
            )),
            Ok(said(
                &["Permis"],
                DecisionAction::Answer,
                Some("permis-conduire"),
                Some(0.6),
                vec![],
            )),
            Ok(said(
                &["Je transfère"],
                DecisionAction::Transfer,
                None,
                None,
                vec![],
            )),
            Ok(said(
                &["Je transfère"],
                DecisionAction::Transfer,
                None,
                Some(0.2),
                vec![],
            )),
        ]);
        vec![
            replay(&bot, &good, 0),
            replay(&bot, &misrouted, 1),
            replay(&bot, &handoff, 2),
        ]
    }

    pub fn folder() -> BTreeSet<String> {
        [
            "passeport",
            "passeport-renouvellement",
            "carte-grise",
            "horaires-mairie",
            "cni",
            "permis-conduire",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn headline_figures() {
        let figures = compute(&sample_runs(), &folder());
        let m = &figures.metrics;
        assert_eq!((m.dialogues, m.caller_turns, m.scored_turns), (3, 6, 5));
        assert_eq!(m.turn_accuracy, Ratio::new(3, 5));
        assert_eq!(m.action_accuracy, Ratio::new(3, 5));
        assert_eq!(m.fiche_accuracy, Ratio::new(2, 4));
        assert_eq!(m.dialogue_success, Ratio::new(1, 3));
        assert_eq!(m.misroute, Ratio::new(1, 4));
        assert_eq!(m.handoff_precision, Ratio::new(1, 2));
        assert_eq!(m.handoff_recall, Ratio::new(1, 1));
        assert_eq!(m.sms_correctness, Ratio::new(1, 2));
        assert_eq!(m.coverage, Ratio::new(4, 6));
        assert_eq!(m.uncovered_fiches, ["cni", "permis-conduire"]);
        assert_eq!(m.latency.turns, 6);
    }

    #[test]
    fn per_fiche_worst_first_and_confusions() {
        let figures = compute(&sample_runs(), &folder());
        let worst: Vec<&str> = figures.per_fiche.iter().map(|f| f.fiche.as_str()).collect();
        assert_eq!(
            worst,
            [
                "carte-grise",
                "horaires-mairie",
                "passeport",
                "passeport-renouvellement"
            ]
        );
        assert_eq!(figures.per_fiche[0].failing_dialogues, ["mauvais.yaml"]);
        assert_eq!(
            figures.confusion,
            [
                Confusion {
                    expected: "carte-grise".into(),
                    got: Some("permis-conduire".into()),
                    count: 1
                },
                Confusion {
                    expected: "horaires-mairie".into(),
                    got: None,
                    count: 1
                },
            ]
        );
    }

    /// The sweep's point at threshold `t`.
    fn point(sweep: &[SweepPoint], t: f64) -> SweepPoint {
        *sweep
            .iter()
            .find(|p| (p.threshold - t).abs() < 1e-9)
            .unwrap()
    }

    #[test]
    fn sweep_trades_answers_for_misroutes() {
        let sweep = compute(&sample_runs(), &folder()).sweep;
        assert_eq!(sweep.len(), 21);
        assert_eq!(sweep[0].answered, Ratio::new(3, 4));
        assert_eq!(sweep[0].misroute, Ratio::new(1, 4));
        // At 0.65 the 0.6 misroute is no longer answered; the clarify at 0.8 and the
        // unconfident-but-ruled answer remain.
        let at = |t: f64| point(&sweep, t);
        assert_eq!(at(0.65).answered, Ratio::new(2, 4));
        assert_eq!(at(0.65).misroute, Ratio::new(0, 4));
        assert_eq!(at(1.0).answered, Ratio::new(1, 4));
    }

    #[test]
    fn the_sweep_reads_a_confirmation_as_the_answer_it_proposes() {
        let dialogue: Dialogue = serde_yaml_ng::from_str(
            "name: guess\nat: \"2026-03-10T10:15:00+01:00\"\nturns:\n  - caller: ma carte vitale\n    expect: { action: deflect, fiche: cpam }\n  - caller: un film\n    expect: { action: fallback }\n",
        )
        .unwrap();
        let bot = Canned::new(vec![
            Ok(said(
                &["Vous appelez bien au sujet de : carte d'identité ?"],
                DecisionAction::Confirm,
                Some("cni"),
                Some(0.3),
                vec![],
            )),
            Ok(said(
                &["Vous appelez bien au sujet de : naissance ?"],
                DecisionAction::Confirm,
                Some("declaration-naissance"),
                Some(0.25),
                vec![],
            )),
        ]);
        let figures = compute(&[replay(&bot, &dialogue, 0)], &folder());
        // Asking is no false answer…
        assert_eq!(figures.metrics.false_answer, Ratio::new(0, 2));
        // …but answering from 0.25 would give both guesses, from 0.30 the first only.
        let at = |t: f64| point(&figures.sweep, t);
        assert_eq!(at(0.25).false_answer, Ratio::new(2, 2));
        assert_eq!(at(0.3).false_answer, Ratio::new(1, 2));
        assert_eq!(at(0.3).misroute, Ratio::new(1, 1));
        assert_eq!(at(0.35).false_answer, Ratio::new(0, 2));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let l = latency((1..=100).collect());
        assert_eq!((l.p50_us, l.p95_us, l.p99_us, l.max_us), (50, 95, 99, 100));
        assert_eq!(latency(vec![]), Latency::default());
    }
}
