use std::sync::Arc;

use guichet_agent::{Decision, DecisionAction, TicketDraft, TicketKind, Utterance};
use serde_json::{Value, json};

use super::*;

/// An answer as JSON, to compare.
fn json_of(text: String) -> Value {
    serde_json::from_str(&text).expect("the answer is JSON")
}

fn reply(say: &[&str], actions: Vec<Action>) -> Reply {
    Reply {
        say: say
            .iter()
            .map(|t| Utterance {
                text: t.to_string(),
            })
            .collect(),
        actions,
        trace: Decision {
            action: DecisionAction::Answer,
            rule: "test".into(),
            fiche: None,
            confidence: None,
            margin: None,
            understood: String::new(),
            satisfaction: None,
        },
    }
}

fn listen() -> Action {
    Action::Listen {
        hints: Arc::default(),
    }
}

fn options() -> VerbOptions {
    VerbOptions {
        synthesizer: Synthesizer {
            vendor: "google".into(),
            voice: Some("fr-FR-Neural2-A".into()),
        },
        dial_url: Some("https://guichet.villebourg.fr/jambonz/dial".into()),
        ticket_id: Some("T-42".into()),
        hints: vec!["passeport".into(), " carte d'identité ".into()],
        ..VerbOptions::french("https://guichet.villebourg.fr/jambonz/gather?seq=1")
    }
}

#[test]
fn listening_puts_the_words_inside_a_gather_for_speech_and_one_key() {
    let verbs = json_of(render(
        &reply(
            &["Bonjour.", " ", "Que puis-je pour vous ?"],
            vec![listen()],
        ),
        &options(),
    ));
    assert_eq!(
        verbs,
        json!([{
            "verb": "gather",
            "input": ["speech", "digits"],
            "actionHook": "https://guichet.villebourg.fr/jambonz/gather?seq=1",
            "bargein": true,
            "dtmfBargein": true,
            "numDigits": 1,
            "timeout": 8,
            "recognizer": {
                "vendor": "default",
                "language": "fr-FR",
                "hints": ["passeport", "carte d'identité"],
                "hintsBoost": 10
            },
            "say": {
                "text": "Bonjour. Que puis-je pour vous ?",
                "synthesizer": {"vendor": "google", "language": "fr-FR", "voice": "fr-FR-Neural2-A"}
            }
        }])
    );
}

#[test]
fn the_engines_hints_win_and_are_bounded() {
    let mut many: Vec<String> = (0..300).map(|i| format!("mot{i}")).collect();
    many.insert(0, " ".into());
    many.insert(1, "é".repeat(150));
    let verbs = json_of(render(
        &reply(
            &["?"],
            vec![Action::Listen {
                hints: Arc::from(many),
            }],
        ),
        &options(),
    ));
    let hints = verbs[0]["recognizer"]["hints"].as_array().unwrap();
    assert_eq!(hints.len(), MAX_HINTS);
    assert_eq!(hints[0].as_str().unwrap().chars().count(), MAX_HINT_CHARS);
    assert_eq!(hints[1], "mot0");
    // No hints at all: no boost either.
    let bare = json_of(render(
        &reply(&["?"], vec![listen()]),
        &VerbOptions::french("https://g/jambonz/gather"),
    ));
    assert_eq!(
        bare[0]["recognizer"],
        json!({"vendor": "default", "language": "fr-FR"})
    );
}

#[test]
fn a_gather_without_words_has_no_prompt() {
    let verbs = json_of(render(&reply(&[], vec![listen()]), &options()));
    assert_eq!(verbs.as_array().unwrap().len(), 1);
    assert!(verbs[0].get("say").is_none());
}

#[test]
fn a_transfer_dials_the_standard_with_the_ticket_and_its_outcome_hook() {
    let transfer = reply(
        &["Je vous passe un agent."],
        vec![
            Action::CreateTicket(TicketDraft {
                kind: TicketKind::Transfer,
                caller: "+33612345678".into(),
                channel: guichet_agent::Channel::Voice,
                fiche: None,
                topic: "Passeport".into(),
                summary: String::new(),
                partner: None,
                reference: None,
            }),
            Action::Transfer {
                number: "+33130000000".into(),
            },
        ],
    );
    let verbs = json_of(render(&transfer, &options()));
    assert_eq!(verbs[0]["verb"], "say");
    assert_eq!(verbs[0]["text"], "Je vous passe un agent.");
    assert_eq!(
        verbs[1],
        json!({
            "verb": "dial",
            "target": [{"type": "phone", "number": "+33130000000"}],
            "actionHook": "https://guichet.villebourg.fr/jambonz/dial",
            "headers": {"X-Guichet-Ticket": "T-42"},
            "timeout": 30
        }),
        "no callerId: the caller's own number is presented"
    );
    assert_eq!(verbs.as_array().unwrap().len(), 2);

    let sip = VerbOptions {
        caller_id: Some("+33130000001".into()),
        ticket_id: Some("bad\r\nVia: evil".into()),
        dial_url: None,
        ..options()
    };
    let verbs = json_of(render(
        &reply(
            &[],
            vec![Action::Transfer {
                number: " sip:standard@pbx.villebourg.fr ".into(),
            }],
        ),
        &sip,
    ));
    assert_eq!(
        verbs,
        json!([{
            "verb": "dial",
            "target": [{"type": "sip", "sipUri": "sip:standard@pbx.villebourg.fr"}],
            "callerId": "+33130000001",
            "timeout": 30
        }]),
        "an unsafe ticket id is left out of the SIP headers"
    );
}

#[test]
fn goodbye_says_then_hangs_up_and_sms_tickets_say_nothing() {
    let verbs = json_of(render(
        &reply(
            &["Au revoir."],
            vec![
                Action::SendSms {
                    to: "+33612345678".into(),
                    text: "lien".into(),
                },
                Action::Hangup,
            ],
        ),
        &options(),
    ));
    assert_eq!(
        verbs,
        json!([
            {"verb": "say", "text": "Au revoir.",
             "synthesizer": {"vendor": "google", "language": "fr-FR", "voice": "fr-FR-Neural2-A"}},
            {"verb": "hangup"}
        ])
    );
    assert_eq!(
        json_of(render_say_and_hang_up(
            "Ce numéro n'est pas attribué.",
            &VerbOptions::french("")
        ))[1],
        json!({"verb": "hangup"})
    );
}

#[test]
fn holding_pauses_then_redirects() {
    assert_eq!(
        json_of(render_hold(
            Some("Un instant, s'il vous plaît."),
            0,
            "https://g/jambonz/gather?seq=3",
            &VerbOptions::french("")
        )),
        json!([
            {"verb": "say", "text": "Un instant, s'il vous plaît.",
             "synthesizer": {"vendor": "default", "language": "fr-FR"}},
            {"verb": "pause", "length": 1},
            {"verb": "redirect", "actionHook": "https://g/jambonz/gather?seq=3"}
        ])
    );
    assert_eq!(
        json_of(render_hold(None, 2, "/x", &VerbOptions::french("")))[0],
        json!({"verb": "pause", "length": 2})
    );
}

#[test]
fn an_sms_is_answered_with_a_message_in_smpp_spelling() {
    assert_eq!(
        json_of(render_message(
            "+33612345678",
            "VILLEBOURG",
            "Horaires : https://x.example/?a=1&b=2"
        )),
        json!([{"verb": "message", "to": "33612345678", "from": "VILLEBOURG",
                "text": "Horaires : https://x.example/?a=1&b=2"}])
    );
    assert_eq!(
        json_of(render_message("+33612345678", "+33130000001", "  ")),
        json!([])
    );
    assert_eq!(render_empty(), "[]");
    assert_eq!(json_of(render_hang_up()), json!([{"verb": "hangup"}]));
}
