//! The apology of a service in trouble: said instead of the engine's reply when the turn cannot
//! be kept, so the caller still leaves with a next step (the standard, or when to call back).

use guichet_knowledge::Knowledge;

use crate::types::{Action, Decision, DecisionAction, Reply, Utterance};

/// What a caller hears when the service cannot keep the conversation (its store is down and
/// nothing else can hold the turn): an apology, then the commune's standard, or, without a
/// standard number, an invitation to call back. Rule `store_unavailable`.
pub fn technical_problem(knowledge: &Knowledge, understood: &str) -> Reply {
    let number = knowledge.commune().transfer_number.trim().to_string();
    let (text, action, decision) = if number.is_empty() {
        (
            "Veuillez nous excuser, notre service rencontre un problème technique. Merci de rappeler la mairie un peu plus tard. Au revoir.",
            Action::Hangup,
            DecisionAction::Goodbye,
        )
    } else {
        (
            "Veuillez nous excuser, notre service rencontre un problème technique. Je vous mets en relation avec le standard de la mairie. Ne quittez pas.",
            Action::Transfer { number },
            DecisionAction::Transfer,
        )
    };
    Reply {
        say: vec![Utterance {
            text: text.to_string(),
        }],
        actions: vec![action],
        trace: Decision {
            action: decision,
            rule: "store_unavailable".into(),
            fiche: None,
            confidence: None,
            margin: None,
            understood: understood.to_string(),
            satisfaction: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apology_transfers_to_the_standard_or_asks_to_call_back() {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../communes/demo");
        let knowledge = Knowledge::load(&demo).unwrap();
        let reply = technical_problem(&knowledge, "passeport");
        let number = knowledge.commune().transfer_number.clone();
        assert!(!number.is_empty());
        assert_eq!(reply.actions, vec![Action::Transfer { number }]);
        assert!(reply.say[0].text.contains("problème technique"));
        assert_eq!(reply.trace.rule, "store_unavailable");
        assert_eq!(reply.trace.understood, "passeport");
    }
}
