//! False answers and out-of-scope handling: what the misroute rate cannot see.
//!
//! The misroute rate only counts turns that expect a fiche. A question no fiche covers
//! ("j'ai perdu ma carte vitale" in a commune without a CPAM fiche) expects a fallback or a
//! handoff; answering it with `cni-perte` is as wrong as a misroute, and worse than "je n'ai
//! pas compris": the caller leaves with false information. Definitions, over scored turns:
//!
//! - **false answer**: the robot *committed* to a fiche (answered, deflected, clarified or
//!   filed a report on it) and that was wrong: the turn expects other fiches (a misroute,
//!   including a deflection to the wrong body), or expects no fiche at all because its
//!   expected action is `fallback`, `transfer`, `callback` or `handoff: true`. Telling the
//!   caller that the request is a matter of no public service and naming the wrong one
//!   ("adressez-vous à votre employeur" where a fiche of another body is expected) is a false
//!   answer too. The rate is over **all** scored turns.
//! - **out of scope**: a turn whose expectation says the commune does not settle it itself: a
//!   `deflect` (to the fiche of the competent body), a `fallback`, a `transfer`/`callback` or
//!   `handoff: true`. It is **handled right** when the robot deflected to an expected fiche,
//!   or (when no fiche is expected) did not commit to a fiche and either asked to rephrase or
//!   passed the caller to a human; a deflection may also be replaced by a human. A
//!   `fallback` that expects a fiche (one no public service handles: `competence: aucune`) is
//!   handled right when the robot's fallback names that fiche: it told the caller it is their
//!   bank's or insurer's business and what to do, not merely "reformulez". A mere
//!   confirmation question ("vous appelez bien au sujet de… ?") on an out-of-scope turn is a
//!   guess, not a right handling.

use std::collections::BTreeMap;

use guichet_agent::{Decision, DecisionAction, OUTSIDE_PUBLIC_SERVICE};
use serde::{Deserialize, Serialize};

use crate::dialogue::{Expect, is_handoff};
use crate::ratio::Ratio;
use crate::replay::DialogueRun;
use crate::score::fiche_right;

/// The robot told the caller something on a fiche: an answer, a deflection, a clarifying
/// question or a report about it (a confirmation question is not a commitment).
pub fn commits(decision: &Decision) -> bool {
    decision.fiche.is_some()
        && matches!(
            decision.action,
            DecisionAction::Answer
                | DecisionAction::Deflect
                | DecisionAction::Clarify
                | DecisionAction::Report
        )
}

/// The expectation says the commune does not settle this turn itself.
pub fn expects_out_of_scope(expect: &Expect) -> bool {
    expect.handoff == Some(true)
        || matches!(
            expect.action,
            Some(
                DecisionAction::Deflect
                    | DecisionAction::Fallback
                    | DecisionAction::Transfer
                    | DecisionAction::Callback
            )
        )
}

/// The expectation rules out any fiche: only "rephrase" or a human is right.
fn expects_no_fiche(expect: &Expect) -> bool {
    expect.fiches().is_empty()
        && (expect.handoff == Some(true)
            || matches!(
                expect.action,
                Some(
                    DecisionAction::Fallback | DecisionAction::Transfer | DecisionAction::Callback
                )
            ))
}

/// The robot said the request is a matter of no public service and whose it is
/// ("adressez-vous à votre banque"): a fallback, but the caller leaves with a body's name.
pub fn says_outside_public_service(decision: &Decision) -> bool {
    decision.action == DecisionAction::Fallback
        && decision.fiche.is_some()
        && decision.rule == OUTSIDE_PUBLIC_SERVICE
}

/// See the module documentation. A turn not replayed (`None`) is no false answer.
pub fn is_false_answer(expect: &Expect, decision: Option<&Decision>) -> bool {
    let Some(decision) = decision else {
        return false;
    };
    if says_outside_public_service(decision) {
        // The wrong body named ("votre employeur" for a case for the point-justice). A plain
        // `fallback` expectation names none: nothing to tell it wrong by.
        return !expect.fiches().is_empty() && !fiche_right(expect, decision);
    }
    if !commits(decision) {
        return false;
    }
    if !expect.fiches().is_empty() {
        return !fiche_right(expect, decision);
    }
    expects_no_fiche(expect)
}

/// Whether an out-of-scope turn was handled right (see the module documentation).
pub fn handled_right(expect: &Expect, decision: Option<&Decision>) -> bool {
    let Some(decision) = decision else {
        return false;
    };
    if is_handoff(decision.action) {
        return true;
    }
    if !expect.fiches().is_empty() {
        // A fallback naming the fiche is how the robot tells the caller that no public
        // service handles the request (their bank, their insurer) and what to do.
        let says_outside = expect.action == Some(DecisionAction::Fallback)
            && says_outside_public_service(decision);
        return (commits(decision) || says_outside) && fiche_right(expect, decision);
    }
    !commits(decision) && decision.action == DecisionAction::Fallback
}

/// The figures of one group of dialogues (a split or a tag).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupMetrics {
    /// `split:dev`, `split:test` or `tag:<tag>`.
    pub group: String,
    pub dialogues: usize,
    pub scored_turns: usize,
    pub turn_accuracy: Ratio,
    pub fiche_accuracy: Ratio,
    pub false_answer: Ratio,
    pub out_of_scope_handled: Ratio,
}

/// Per split (always both, when present) then per tag, in name order.
pub fn breakdown(runs: &[DialogueRun]) -> Vec<GroupMetrics> {
    let mut groups: BTreeMap<String, GroupMetrics> = BTreeMap::new();
    for run in runs {
        let mut names = vec![format!("split:{}", run.split.name())];
        names.extend(run.tags.iter().map(|tag| format!("tag:{tag}")));
        for name in names {
            let group = groups.entry(name.clone()).or_insert_with(|| GroupMetrics {
                group: name,
                ..GroupMetrics::default()
            });
            group.dialogues += 1;
            for turn in &run.turns {
                let Some(expect) = &turn.expect else { continue };
                let decision = turn.got.as_ref().and_then(|got| got.decision.as_ref());
                group.scored_turns += 1;
                group.turn_accuracy.add(turn.verdict.right);
                group.false_answer.add(is_false_answer(expect, decision));
                if !expect.fiches().is_empty() {
                    group
                        .fiche_accuracy
                        .add(decision.is_some_and(|decision| fiche_right(expect, decision)));
                }
                if expects_out_of_scope(expect) {
                    group
                        .out_of_scope_handled
                        .add(handled_right(expect, decision));
                }
            }
        }
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::OneOrMany;

    fn decision(action: DecisionAction, fiche: Option<&str>) -> Decision {
        Decision {
            action,
            rule: "test".into(),
            fiche: fiche.map(str::to_owned),
            confidence: Some(0.5),
            margin: None,
            understood: String::new(),
            satisfaction: None,
        }
    }

    fn expect(action: Option<DecisionAction>, fiche: Option<&str>) -> Expect {
        Expect {
            action,
            fiche: fiche.map(|fiche| OneOrMany::One(fiche.to_owned())),
            ..Expect::default()
        }
    }

    #[test]
    fn an_out_of_scope_question_answered_with_a_fiche_is_a_false_answer() {
        let fallback = expect(Some(DecisionAction::Fallback), None);
        let answered = decision(DecisionAction::Answer, Some("cni-perte"));
        assert!(is_false_answer(&fallback, Some(&answered)));
        assert!(!handled_right(&fallback, Some(&answered)));
        let rephrase = decision(DecisionAction::Fallback, None);
        assert!(!is_false_answer(&fallback, Some(&rephrase)));
        assert!(handled_right(&fallback, Some(&rephrase)));
        let human = decision(DecisionAction::Transfer, None);
        assert!(handled_right(&fallback, Some(&human)));
        // A confirmation question commits to nothing, but it is a guess.
        let confirm = decision(DecisionAction::Confirm, Some("creche"));
        assert!(!is_false_answer(&fallback, Some(&confirm)));
        assert!(!handled_right(&fallback, Some(&confirm)));
        assert!(!is_false_answer(&fallback, None));
    }

    #[test]
    fn a_deflection_to_the_wrong_body_is_a_false_answer() {
        let cpam = expect(Some(DecisionAction::Deflect), Some("cpam"));
        let water = decision(DecisionAction::Deflect, Some("eau-potable"));
        assert!(is_false_answer(&cpam, Some(&water)));
        assert!(!handled_right(&cpam, Some(&water)));
        let right = decision(DecisionAction::Deflect, Some("cpam"));
        assert!(!is_false_answer(&cpam, Some(&right)));
        assert!(handled_right(&cpam, Some(&right)));
        let human = decision(DecisionAction::Callback, None);
        assert!(handled_right(&cpam, Some(&human)));
        let report = decision(DecisionAction::Report, Some("depot-sauvage"));
        assert!(is_false_answer(&cpam, Some(&report)));
    }

    fn outside(fiche: &str) -> Decision {
        Decision {
            rule: OUTSIDE_PUBLIC_SERVICE.into(),
            ..decision(DecisionAction::Fallback, Some(fiche))
        }
    }

    #[test]
    fn a_request_no_public_service_handles_is_handled_by_naming_it_not_by_a_rephrase() {
        let bank = expect(Some(DecisionAction::Fallback), Some("banque"));
        assert!(expects_out_of_scope(&bank));
        let says_so = outside("banque");
        assert!(handled_right(&bank, Some(&says_so)));
        assert!(!is_false_answer(&bank, Some(&says_so)));
        let rephrase = decision(DecisionAction::Fallback, None);
        assert!(!handled_right(&bank, Some(&rephrase)));
        assert!(!is_false_answer(&bank, Some(&rephrase)));
        // The wrong private body named is a false answer; a re-asked clarifying question
        // (a fallback that names its fiche under another rule) is not.
        let insurer = outside("assurance");
        assert!(!handled_right(&bank, Some(&insurer)));
        assert!(is_false_answer(&bank, Some(&insurer)));
        let clarify_again = decision(DecisionAction::Fallback, Some("passeport"));
        assert!(!is_false_answer(&bank, Some(&clarify_again)));
        let justice = expect(Some(DecisionAction::Deflect), Some("point-justice"));
        assert!(is_false_answer(&justice, Some(&outside("employeur"))));
        // A plain fallback expectation names no body: the one the robot names cannot be
        // told wrong.
        let plain = expect(Some(DecisionAction::Fallback), None);
        assert!(!is_false_answer(&plain, Some(&outside("employeur"))));
        let human = decision(DecisionAction::Transfer, None);
        assert!(handled_right(&bank, Some(&human)));
        let deflected = decision(DecisionAction::Deflect, Some("banque-de-france"));
        assert!(is_false_answer(&bank, Some(&deflected)));
        assert!(!handled_right(&bank, Some(&deflected)));
    }

    #[test]
    fn in_scope_turns_count_their_misroutes_only() {
        let passeport = expect(Some(DecisionAction::Answer), Some("passeport"));
        assert!(!expects_out_of_scope(&passeport));
        let wrong = decision(DecisionAction::Answer, Some("cni"));
        assert!(is_false_answer(&passeport, Some(&wrong)));
        let unsure = decision(DecisionAction::Fallback, None);
        assert!(!is_false_answer(&passeport, Some(&unsure)));
        // An expectation with only `sms` or `say_contains` rules out nothing.
        let loose = Expect {
            sms: Some(true),
            ..Expect::default()
        };
        assert!(!is_false_answer(&loose, Some(&wrong)));
    }
}
