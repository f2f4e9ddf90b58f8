//! One-line French descriptions of what a turn expected and what it got, shared by the reports.

use crate::dialogue::{Expect, action_name};
use crate::replay::ReplayedTurn;
use crate::score::{sent_sms, ticket_name, tickets};

/// "action answer, fiche passeport-renouvellement, sms oui".
pub fn expected(expect: &Expect) -> String {
    let mut parts = Vec::new();
    if let Some(action) = expect.action {
        parts.push(format!("action {}", action_name(action)));
    }
    if !expect.fiches().is_empty() {
        parts.push(format!("fiche {}", expect.fiches().join(" ou ")));
    }
    if let Some(sms) = expect.sms {
        parts.push(format!("sms {}", yes_no(sms)));
    }
    if let Some(handoff) = expect.handoff {
        parts.push(format!("handoff {}", yes_no(handoff)));
    }
    if let Some(ticket) = expect.ticket {
        parts.push(format!("ticket {}", ticket_name(ticket)));
    }
    for text in expect.say_contains.iter().flat_map(|list| list.as_slice()) {
        parts.push(format!("dit « {text} »"));
    }
    for text in expect
        .say_not_contains
        .iter()
        .flat_map(|list| list.as_slice())
    {
        parts.push(format!("ne dit pas « {text} »"));
    }
    parts.join(", ")
}

/// "action clarify, fiche passeport (confiance 0,62, marge 0,10, règle clarify_fiche), sms non".
pub fn got(turn: &ReplayedTurn) -> String {
    let Some(observed) = &turn.got else {
        return format!("erreur : {}", turn.error.as_deref().unwrap_or("non rejoué"));
    };
    let mut parts = Vec::new();
    match &observed.decision {
        Some(decision) => {
            parts.push(format!("action {}", action_name(decision.action)));
            let mut detail = Vec::new();
            if let Some(confidence) = decision.confidence {
                detail.push(format!("confiance {}", decimal(confidence)));
            }
            if let Some(margin) = decision.margin {
                detail.push(format!("marge {}", decimal(margin)));
            }
            detail.push(format!("règle {}", decision.rule));
            parts.push(format!(
                "fiche {} ({})",
                decision.fiche.as_deref().unwrap_or("aucune"),
                detail.join(", ")
            ));
        }
        None => parts.push("décision non observée".to_owned()),
    }
    if let Some(actions) = &observed.actions {
        parts.push(format!("sms {}", yes_no(sent_sms(actions))));
        let kinds = tickets(actions);
        if !kinds.is_empty() {
            let names: Vec<&str> = kinds.into_iter().map(ticket_name).collect();
            parts.push(format!("ticket {}", names.join(", ")));
        }
    }
    parts.join(", ")
}

/// What the robot said, in one line.
pub fn said(turn: &ReplayedTurn) -> String {
    turn.got
        .as_ref()
        .map(|observed| observed.say.join(" "))
        .unwrap_or_default()
}

fn decimal(value: f32) -> String {
    format!("{value:.2}").replace('.', ",")
}

fn yes_no(value: bool) -> &'static str {
    if value { "oui" } else { "non" }
}
