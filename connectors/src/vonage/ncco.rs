//! NCCO rendering of a [`Reply`]: `talk` (with `bargeIn` when we listen next), `input` for speech
//! and keys, `connect` for transfers. A call ends when its NCCO runs out (hang-up).

use guichet_agent::{Action, Reply};
use guichet_phone::provider_digits;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NccoOptions {
    pub language: String,
    /// Vonage voice style for the language, if not the default one.
    pub style: Option<u32>,
    /// Full public URL of `/vonage/input`.
    pub input_url: String,
    /// The number shown on transfers (E.164 or digits): one of the account's Vonage numbers.
    pub caller_id: Option<String>,
    /// Full public URL of the NCCO played to the standard when it picks up, before the caller
    /// is connected (the phone endpoint's `onAnswer`): who is calling and why.
    pub whisper_url: Option<String>,
    /// Full public URL told how a transfer's dial goes (the `connect` action's synchronous
    /// `eventUrl`: its answer to a failed dial replaces the rest of the NCCO).
    pub dial_url: Option<String>,
    /// Speech context used when the engine gives no hints (knowledge base keywords).
    pub hints: Vec<String>,
}

impl NccoOptions {
    pub fn french(input_url: impl Into<String>) -> NccoOptions {
        NccoOptions {
            language: "fr-FR".into(),
            style: None,
            input_url: input_url.into(),
            caller_id: None,
            whisper_url: None,
            dial_url: None,
            hints: Vec::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
enum NccoAction<'a> {
    Talk {
        text: &'a str,
        language: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        style: Option<u32>,
        #[serde(rename = "bargeIn")]
        barge_in: bool,
    },
    Input {
        #[serde(rename = "type")]
        kinds: [&'static str; 2],
        #[serde(rename = "eventUrl")]
        event_url: [&'a str; 1],
        #[serde(rename = "eventMethod")]
        event_method: &'static str,
        speech: Value,
        dtmf: Value,
    },
    Connect {
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(rename = "eventUrl", skip_serializing_if = "Option::is_none")]
        event_url: Option<[&'a str; 1]>,
        #[serde(rename = "eventType", skip_serializing_if = "Option::is_none")]
        event_type: Option<&'static str>,
        endpoint: [Value; 1],
    },
}

/// Vonage allows a speech context of limited size; keep the first hints.
const MAX_CONTEXT: usize = 100;

/// The NCCO (a JSON array) for a reply. `call_uuid` is the leg whose speech is captured.
pub fn render(reply: &Reply, call_uuid: &str, options: &NccoOptions) -> Value {
    let listen = reply.actions.iter().find_map(|action| match action {
        Action::Listen { hints } => Some(if hints.is_empty() {
            options.hints.as_slice()
        } else {
            hints
        }),
        _ => None,
    });
    let mut actions: Vec<NccoAction> = Vec::new();
    let text: Vec<&str> = reply
        .say
        .iter()
        .map(|u| u.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let joined = text.join(" ");
    if !joined.is_empty() {
        actions.push(NccoAction::Talk {
            text: &joined,
            language: &options.language,
            style: options.style,
            barge_in: listen.is_some(),
        });
    }
    if let Some(hints) = listen {
        let context: Vec<&str> = hints
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .take(MAX_CONTEXT)
            .collect();
        actions.push(NccoAction::Input {
            kinds: ["speech", "dtmf"],
            event_url: [&options.input_url],
            event_method: "POST",
            speech: json!({
                "uuid": [call_uuid],
                "language": options.language,
                "context": context,
                "endOnSilence": 1.0,
                "startTimeout": 8,
            }),
            dtmf: json!({ "maxDigits": 1, "timeOut": 5 }),
        });
    }
    for action in &reply.actions {
        if let Action::Transfer { number } = action {
            let mut endpoint = json!({ "type": "phone", "number": provider_digits(number) });
            if let Some(url) = &options.whisper_url {
                endpoint["onAnswer"] = json!({ "url": url });
            }
            actions.push(NccoAction::Connect {
                from: options.caller_id.as_deref().map(provider_digits),
                event_url: options.dial_url.as_deref().map(|url| [url]),
                event_type: options.dial_url.as_ref().map(|_| "synchronous"),
                endpoint: [endpoint],
            });
        }
    }
    serde_json::to_value(actions).unwrap_or_else(|_| Value::Array(Vec::new()))
}

/// Something short to say before the call ends (unknown number).
pub fn render_say(text: &str, options: &NccoOptions) -> Value {
    json!([{ "action": "talk", "text": text, "language": options.language, "bargeIn": false }])
}

#[cfg(test)]
mod tests {
    use guichet_agent::{Decision, DecisionAction, Utterance};

    use super::*;

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
                action: DecisionAction::Greet,
                rule: "test".into(),
                fiche: None,
                confidence: None,
                margin: None,
                understood: String::new(),
                satisfaction: None,
            },
        }
    }

    fn options() -> NccoOptions {
        NccoOptions {
            caller_id: Some("+33130000000".into()),
            hints: vec!["passeport".into()],
            ..NccoOptions::french("https://guichet.example/vonage/input")
        }
    }

    #[test]
    fn listen_gives_talk_with_barge_in_then_speech_and_dtmf_input() {
        let ncco = render(
            &reply(
                &["Bonjour.", "Que puis-je pour vous ?"],
                vec![Action::Listen {
                    hints: Default::default(),
                }],
            ),
            "leg-1",
            &options(),
        );
        assert_eq!(
            ncco,
            json!([
                {"action": "talk", "text": "Bonjour. Que puis-je pour vous ?", "language": "fr-FR", "bargeIn": true},
                {"action": "input", "type": ["speech", "dtmf"], "eventUrl": ["https://guichet.example/vonage/input"],
                 "eventMethod": "POST",
                 "speech": {"uuid": ["leg-1"], "language": "fr-FR", "context": ["passeport"], "endOnSilence": 1.0, "startTimeout": 8},
                 "dtmf": {"maxDigits": 1, "timeOut": 5}}
            ])
        );
    }

    #[test]
    fn transfer_connects_in_vonage_number_format() {
        let ncco = render(
            &reply(
                &["Je vous passe un agent."],
                vec![Action::Transfer {
                    number: "+33130000000".into(),
                }],
            ),
            "leg-1",
            &options(),
        );
        assert_eq!(ncco[0]["bargeIn"], json!(false));
        assert_eq!(
            ncco[1],
            json!({"action": "connect", "from": "33130000000", "endpoint": [{"type": "phone", "number": "33130000000"}]})
        );
        // With a dial URL, the dial's events come synchronously: a failed dial can be answered.
        let followed = render(
            &reply(
                &["Je vous passe un agent."],
                vec![Action::Transfer {
                    number: "+33130000000".into(),
                }],
            ),
            "leg-1",
            &NccoOptions {
                dial_url: Some("https://guichet.example/vonage/dial?call=leg-1".into()),
                ..options()
            },
        );
        assert_eq!(
            followed[1]["eventUrl"],
            json!(["https://guichet.example/vonage/dial?call=leg-1"])
        );
        assert_eq!(followed[1]["eventType"], "synchronous");
    }

    #[test]
    fn hangup_is_the_end_of_the_ncco() {
        let ncco = render(
            &reply(&["Au revoir."], vec![Action::Hangup]),
            "leg-1",
            &options(),
        );
        assert_eq!(ncco.as_array().map(Vec::len), Some(1));
    }
}
