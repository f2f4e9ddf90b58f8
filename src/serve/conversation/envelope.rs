//! What the store's session `state` holds of a conversation: the engine's session, which turn
//! came last, and what a turn's row keeps of its reply to answer a retried webhook the same.

use std::sync::Arc;

use guichet_agent::{Action, Decision, Reply, Session, TicketDraft, Utterance};
use serde::{Deserialize, Serialize};

/// What we keep in the store's session `state`: the engine's session and which turn came last
/// (its reply is kept with the turn, see [`LastReply::reply`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub engine: Session,
    /// Sequence of the last turn handled (0 = the start).
    pub seq: u32,
    pub last: Option<LastReply>,
    /// The caller's number, kept only for a conversation whose later messages do not carry it
    /// (the API's, see [`super::Step::keep_caller`]): voice and SMS providers repeat it with every
    /// message, and the engine's session never holds it. Erased with the session (retention,
    /// privacy erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastReply {
    pub seq: u32,
    /// The provider's message id of that turn (SMS), for retried webhooks.
    pub message_id: Option<String>,
    /// The reply itself, in this node's memory only. The store keeps it with the turn
    /// ([`guichet_store::Turn::reply`], see [`KeptReply`]): the session row, rewritten on every turn, stays
    /// small.
    #[serde(skip)]
    pub reply: Option<Reply>,
}

/// What a turn's row keeps of its reply ([`guichet_store::Turn::reply`]) to answer a retried webhook the same:
/// the utterances and the actions, less what [`KeptReply::restore`] puts back. The decision is
/// the turn's own.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct KeptReply {
    say: Vec<Utterance>,
    actions: Vec<Action>,
}

impl KeptReply {
    /// Leaves out the greeting's recogniser hints (the commune's whole keyword list) and the
    /// caller's number (kept in clear only on tickets and SMS).
    pub(super) fn of(reply: &Reply, seq: u32) -> KeptReply {
        let actions = reply.actions.iter().map(|action| match action {
            Action::Listen { .. } if seq == 0 => action.without_hints(),
            Action::SendSms { text, .. } => Action::SendSms {
                to: String::new(),
                text: text.clone(),
            },
            Action::CreateTicket(draft) => Action::CreateTicket(TicketDraft {
                caller: String::new(),
                ..draft.clone()
            }),
            other => other.clone(),
        });
        KeptReply {
            say: reply.say.clone(),
            actions: actions.collect(),
        }
    }

    /// The reply as it was sent: `greeting_hints` are the commune's keywords, `from` the
    /// caller's number as the retried webhook gives it (every one carries it again).
    pub(super) fn restore(
        self,
        trace: Decision,
        seq: u32,
        greeting_hints: &Arc<[String]>,
        from: &str,
    ) -> Reply {
        let mut actions = self.actions;
        for action in &mut actions {
            match action {
                Action::Listen { hints } if seq == 0 => *hints = greeting_hints.clone(),
                Action::SendSms { to, .. } => *to = from.to_string(),
                Action::CreateTicket(draft) => draft.caller = from.to_string(),
                _ => {}
            }
        }
        Reply {
            say: self.say,
            actions,
            trace,
        }
    }
}

#[cfg(test)]
mod tests {
    use guichet_agent::DecisionAction;

    use super::*;

    fn trace() -> Decision {
        Decision {
            action: DecisionAction::Answer,
            rule: "fiche".into(),
            fiche: Some("passeport".into()),
            confidence: Some(0.5),
            margin: None,
            understood: "passeport expiré 😀".into(),
            satisfaction: None,
        }
    }

    #[test]
    fn a_kept_reply_holds_no_number_nor_keywords_and_comes_back_whole() {
        let number = "+33612345678";
        let keywords: Arc<[String]> = Arc::from(vec!["passeport".to_string(), "crèche".into()]);
        let ticket = TicketDraft {
            kind: guichet_agent::TicketKind::Callback,
            caller: number.into(),
            channel: guichet_agent::Channel::Voice,
            fiche: Some("passeport".into()),
            topic: "Passeport".into(),
            summary: "rappel demandé".into(),
            partner: None,
            reference: None,
        };
        let reply = |actions: Vec<Action>| Reply {
            say: vec![
                Utterance {
                    text: "Bonjour.".into(),
                },
                Utterance {
                    text: "Je vous envoie le lien par SMS.".into(),
                },
            ],
            actions,
            trace: trace(),
        };
        let sent = reply(vec![
            Action::SendSms {
                to: number.into(),
                text: "le lien".into(),
            },
            Action::CreateTicket(ticket),
            Action::Listen {
                hints: keywords.clone(),
            },
        ]);
        let kept = serde_json::to_string(&KeptReply::of(&sent, 0)).unwrap();
        assert!(!kept.contains(number), "{kept}");
        assert!(!kept.contains("crèche"), "{kept}");
        let back: KeptReply = serde_json::from_str(&kept).unwrap();
        assert_eq!(back.restore(trace(), 0, &keywords, number), sent);

        // After the greeting, a turn's own hints are kept as they were.
        let later = reply(vec![Action::Listen {
            hints: Arc::from(vec!["oui".to_string(), "non".into()]),
        }]);
        let kept = serde_json::to_value(KeptReply::of(&later, 3)).unwrap();
        let back: KeptReply = serde_json::from_value(kept).unwrap();
        assert_eq!(back.restore(trace(), 3, &keywords, number), later);
    }

    #[test]
    fn a_session_saved_with_its_last_reply_still_loads() {
        // Sessions saved before replies were kept with their turn held the whole last reply.
        let old = Envelope {
            engine: Session::new("CA1", guichet_agent::Channel::Voice, "+33612345678"),
            seq: 1,
            last: None,
            caller: None,
        };
        let mut state = serde_json::to_value(&old).unwrap();
        state["last"] = serde_json::json!({
            "seq": 1,
            "message_id": null,
            "reply": {"say": [{"text": "Bonjour."}], "actions": [], "trace": trace()},
        });
        let loaded: Envelope = serde_json::from_value(state).unwrap();
        let last = loaded.last.unwrap();
        assert_eq!((last.seq, last.reply), (1, None));
    }
}
