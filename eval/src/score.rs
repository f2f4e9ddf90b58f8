//! Whether one turn did what its expectation says. Every expectation key given must hold.

use guichet_agent::{Action, Decision, TicketKind};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::dialogue::{Expect, action_name, is_handoff};
use crate::observed::Observed;

/// The score of one turn.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    /// The turn has an expectation.
    pub scored: bool,
    /// Every expectation key held (false when not scored).
    pub right: bool,
    /// One French line per key that did not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

/// Scores one turn. `got` is `None` when the turn could not be replayed (`error` says why).
pub fn score_turn(expect: Option<&Expect>, got: Option<&Observed>, error: Option<&str>) -> Verdict {
    let Some(expect) = expect else {
        return Verdict::default();
    };
    let mut failures = Vec::new();
    match got {
        None => failures.push(format!(
            "non rejoué : {}",
            error.unwrap_or("raison inconnue")
        )),
        Some(observed) => check(expect, observed, &mut failures),
    }
    Verdict {
        scored: true,
        right: failures.is_empty(),
        failures,
    }
}

fn check(expect: &Expect, observed: &Observed, failures: &mut Vec<String>) {
    let decision = observed.decision.as_ref();
    let needs_decision =
        expect.action.is_some() || expect.fiche.is_some() || expect.handoff.is_some();
    if needs_decision && decision.is_none() {
        failures.push("décision non observée (pas d'en-tête X-Guichet-Decision ?)".into());
    }
    if let (Some(wanted), Some(decision)) = (expect.action, decision)
        && decision.action != wanted
    {
        failures.push(format!(
            "action : attendu {}, obtenu {}",
            action_name(wanted),
            action_name(decision.action)
        ));
    }
    if let Some(decision) = decision
        && !expect.fiches().is_empty()
        && !fiche_right(expect, decision)
    {
        failures.push(format!(
            "fiche : attendu {}, obtenu {}",
            expect.fiches().join(" ou "),
            decision.fiche.as_deref().unwrap_or("aucune")
        ));
    }
    if let (Some(wanted), Some(decision)) = (expect.handoff, decision) {
        let got = is_handoff(decision.action);
        if got != wanted {
            failures.push(format!(
                "handoff : attendu {}, obtenu {}",
                yes_no(wanted),
                yes_no(got)
            ));
        }
    }
    let needs_actions = expect.sms.is_some() || expect.ticket.is_some();
    match (&observed.actions, needs_actions) {
        (None, true) => failures.push(
            "actions non observées (SMS, tickets) : impossible de vérifier `sms`/`ticket`".into(),
        ),
        (Some(actions), _) => {
            if let Some(wanted) = expect.sms {
                let got = sent_sms(actions);
                if got != wanted {
                    failures.push(format!(
                        "sms : attendu {}, obtenu {}",
                        yes_no(wanted),
                        yes_no(got)
                    ));
                }
            }
            if let Some(wanted) = expect.ticket {
                let kinds = tickets(actions);
                if !kinds.contains(&wanted) {
                    failures.push(format!(
                        "ticket : attendu {}, obtenu {}",
                        ticket_name(wanted),
                        if kinds.is_empty() {
                            "aucun".to_owned()
                        } else {
                            kinds
                                .iter()
                                .map(|kind| ticket_name(*kind))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ));
                }
            }
        }
        (None, false) => {}
    }
    let said = fold(&observed.say.join(" "));
    for wanted in expect.say_contains.iter().flat_map(|list| list.as_slice()) {
        if !said.contains(&fold(wanted)) {
            failures.push(format!("say_contains : « {wanted} » absent"));
        }
    }
    for unwanted in expect
        .say_not_contains
        .iter()
        .flat_map(|list| list.as_slice())
    {
        if said.contains(&fold(unwanted)) {
            failures.push(format!("say_not_contains : « {unwanted} » présent"));
        }
    }
}

/// The decided fiche is one of the expected ones.
pub fn fiche_right(expect: &Expect, decision: &Decision) -> bool {
    decision
        .fiche
        .as_ref()
        .is_some_and(|fiche| expect.fiches().contains(fiche))
}

pub fn sent_sms(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|action| matches!(action, Action::SendSms { .. }))
}

pub fn tickets(actions: &[Action]) -> Vec<TicketKind> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::CreateTicket(ticket) => Some(ticket.kind),
            _ => None,
        })
        .collect()
}

pub fn ticket_name(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Callback => "callback",
        TicketKind::Report => "report",
        TicketKind::Transfer => "transfer",
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "oui" } else { "non" }
}

/// Case-, accent- and spacing-insensitive form for `say_contains`: what a listener would hear.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '`' => '\'',
            '\u{a0}' | '\u{202f}' => ' ',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use guichet_agent::{Channel, DecisionAction, TicketDraft};

    use super::*;
    use crate::dialogue::OneOrMany;
    use crate::replay::tests::said;

    fn ticket(kind: TicketKind) -> Action {
        Action::CreateTicket(TicketDraft {
            kind,
            caller: "+33612345678".into(),
            channel: Channel::Voice,
            fiche: None,
            topic: "t".into(),
            summary: "s".into(),
            partner: None,
            reference: None,
        })
    }

    fn sms() -> Action {
        Action::SendSms {
            to: "+33612345678".into(),
            text: "lien".into(),
        }
    }

    #[test]
    fn a_turn_without_expectation_is_not_scored() {
        let got = said(&["x"], DecisionAction::Answer, None, None, vec![]);
        assert_eq!(score_turn(None, Some(&got), None), Verdict::default());
    }

    #[test]
    fn every_key_must_hold() {
        let expect = Expect {
            action: Some(DecisionAction::Answer),
            fiche: Some(OneOrMany::Many(vec![
                "cni".into(),
                "passeport-renouvellement".into(),
            ])),
            sms: Some(true),
            say_contains: Some(OneOrMany::Many(vec!["Espace Citoyen".into()])),
            say_not_contains: Some(OneOrMany::One("http".into())),
            handoff: Some(false),
            ..Expect::default()
        };
        let right = said(
            &[
                "Prenez rendez-vous sur l'espace  citoyen.",
                "Puis-je vous aider ?",
            ],
            DecisionAction::Answer,
            Some("passeport-renouvellement"),
            Some(0.9),
            vec![sms()],
        );
        let verdict = score_turn(Some(&expect), Some(&right), None);
        assert!(verdict.scored && verdict.right, "{verdict:?}");

        let wrong = said(
            &["Voir https://villebourg.example"],
            DecisionAction::Clarify,
            Some("passeport"),
            Some(0.9),
            vec![],
        );
        let verdict = score_turn(Some(&expect), Some(&wrong), None);
        assert!(!verdict.right);
        assert_eq!(verdict.failures.len(), 5, "{:?}", verdict.failures);
        assert_eq!(
            verdict.failures[0],
            "action : attendu answer, obtenu clarify"
        );
        assert!(verdict.failures[1].contains("obtenu passeport"));
        assert_eq!(verdict.failures[2], "sms : attendu oui, obtenu non");
        assert!(
            verdict.failures[3].contains("espace citoyen")
                || verdict.failures[3].contains("Espace Citoyen")
        );
        assert!(verdict.failures[4].contains("http"));
    }

    #[test]
    fn handoff_and_tickets() {
        let expect = Expect {
            action: Some(DecisionAction::Callback),
            handoff: Some(true),
            ticket: Some(TicketKind::Callback),
            ..Expect::default()
        };
        let right = said(
            &["rappel"],
            DecisionAction::Callback,
            None,
            None,
            vec![ticket(TicketKind::Callback)],
        );
        assert!(score_turn(Some(&expect), Some(&right), None).right);

        let transferred = said(
            &["je transfère"],
            DecisionAction::Transfer,
            None,
            None,
            vec![ticket(TicketKind::Transfer)],
        );
        let verdict = score_turn(Some(&expect), Some(&transferred), None);
        assert_eq!(
            verdict.failures,
            [
                "action : attendu callback, obtenu transfer",
                "ticket : attendu callback, obtenu transfer"
            ]
        );

        let only_handoff = Expect {
            handoff: Some(true),
            ..Expect::default()
        };
        assert!(score_turn(Some(&only_handoff), Some(&transferred), None).right);
        let answered = said(&["réponse"], DecisionAction::Answer, None, None, vec![]);
        assert_eq!(
            score_turn(Some(&only_handoff), Some(&answered), None).failures,
            ["handoff : attendu oui, obtenu non"]
        );
    }

    #[test]
    fn unobservable_actions_and_errors_fail() {
        let expect = Expect {
            sms: Some(false),
            ..Expect::default()
        };
        let mut blind = said(&["x"], DecisionAction::Answer, None, None, vec![]);
        blind.actions = None;
        assert!(!score_turn(Some(&expect), Some(&blind), None).right);
        let verdict = score_turn(Some(&expect), None, Some("délai dépassé"));
        assert_eq!(verdict.failures, ["non rejoué : délai dépassé"]);
    }

    #[test]
    fn folding_ignores_case_accents_and_apostrophes() {
        assert_eq!(fold("L’Espace  Citoyen\u{a0}Élu"), "l'espace citoyen elu");
    }
}
