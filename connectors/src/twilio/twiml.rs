//! TwiML rendering of a [`Reply`]: every text and attribute is XML-escaped.

use guichet_agent::{Action, Reply};
use quick_xml::escape::escape;

/// How to speak and listen; set by the service from its configuration and the commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceOptions {
    /// `language` of `<Say>` and `<Gather>`.
    pub language: String,
    /// `voice` of `<Say>` (e.g. `Polly.Lea-Neural`); Twilio's default when `None`.
    pub voice: Option<String>,
    /// Full public URL of `/twilio/voice/turn` (the `<Gather action>`).
    pub turn_url: String,
    /// Caller id shown on transfers.
    pub caller_id: Option<String>,
    /// Full public URL of the whisper played to the standard when it picks up, before the
    /// caller is connected (`<Number url>`): who is calling and why.
    pub whisper_url: Option<String>,
    /// Full public URL told how a transfer's dial ended (the `<Dial action>`); without it,
    /// Twilio goes on with the TwiML after `<Dial>` (nothing: the call ends).
    pub dial_url: Option<String>,
    /// Speech hints used when the engine gives none (knowledge base keywords).
    pub hints: Vec<String>,
}

impl VoiceOptions {
    pub fn french(turn_url: impl Into<String>) -> VoiceOptions {
        VoiceOptions {
            language: "fr-FR".into(),
            voice: None,
            turn_url: turn_url.into(),
            caller_id: None,
            whisper_url: None,
            dial_url: None,
            hints: Vec::new(),
        }
    }
}

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
const FOOTER: &str = "</Response>";
/// Twilio accepts up to 500 hints of up to 100 characters; stay well inside.
const MAX_HINTS: usize = 200;

fn push_say(out: &mut String, text: &str, options: &VoiceOptions) {
    out.push_str("<Say language=\"");
    out.push_str(&escape(options.language.as_str()));
    out.push('"');
    if let Some(voice) = &options.voice {
        out.push_str(" voice=\"");
        out.push_str(&escape(voice.as_str()));
        out.push('"');
    }
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</Say>");
}

fn hints_attribute(hints: &[String]) -> String {
    // One pass, no string per hint: the greeting carries the commune's whole keyword list.
    let mut out = String::with_capacity(hints.len().min(MAX_HINTS) * 16);
    let mut count = 0;
    for hint in hints {
        if count == MAX_HINTS {
            break;
        }
        // A comma separates hints: inside one it becomes a space (then trimmed).
        let hint = hint.trim_matches(|c: char| c.is_whitespace() || c == ',');
        if hint.is_empty() {
            continue;
        }
        if count > 0 {
            out.push(',');
        }
        if hint.len() <= 100 && !hint.contains(',') {
            out.push_str(hint);
        } else {
            out.extend(
                hint.chars()
                    .take(100)
                    .map(|c| if c == ',' { ' ' } else { c }),
            );
        }
        count += 1;
    }
    out
}

/// A voice reply: the utterances (inside `<Gather>` when the engine listens, so the caller can
/// interrupt), then `<Dial>` for a transfer, then `<Hangup/>`.
pub fn render_voice(reply: &Reply, options: &VoiceOptions) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(HEADER);
    let mut says = String::new();
    for utterance in reply.say.iter().filter(|u| !u.text.trim().is_empty()) {
        push_say(&mut says, &utterance.text, options);
    }
    let listen = reply.actions.iter().find_map(|action| match action {
        Action::Listen { hints } => Some(hints),
        _ => None,
    });
    match listen {
        Some(hints) => {
            let hints = if hints.is_empty() {
                options.hints.as_slice()
            } else {
                hints
            };
            out.push_str("<Gather input=\"speech dtmf\" language=\"");
            out.push_str(&escape(options.language.as_str()));
            out.push_str("\" speechTimeout=\"auto\" numDigits=\"1\" actionOnEmptyResult=\"true\" method=\"POST\" action=\"");
            out.push_str(&escape(options.turn_url.as_str()));
            out.push('"');
            let hints = hints_attribute(hints);
            if !hints.is_empty() {
                out.push_str(" hints=\"");
                out.push_str(&escape(hints.as_str()));
                out.push('"');
            }
            out.push('>');
            out.push_str(&says);
            out.push_str("</Gather>");
        }
        None => out.push_str(&says),
    }
    for action in &reply.actions {
        match action {
            Action::Transfer { number } => {
                out.push_str("<Dial");
                if let Some(caller_id) = &options.caller_id {
                    out.push_str(" callerId=\"");
                    out.push_str(&escape(caller_id.as_str()));
                    out.push('"');
                }
                if let Some(dial_url) = &options.dial_url {
                    out.push_str(" action=\"");
                    out.push_str(&escape(dial_url.as_str()));
                    out.push_str("\" method=\"POST\"");
                }
                out.push_str("><Number");
                if let Some(whisper_url) = &options.whisper_url {
                    out.push_str(" url=\"");
                    out.push_str(&escape(whisper_url.as_str()));
                    out.push_str("\" method=\"POST\"");
                }
                out.push('>');
                out.push_str(&escape(number.as_str()));
                out.push_str("</Number></Dial>");
            }
            Action::Hangup => out.push_str("<Hangup/>"),
            Action::SendSms { .. } | Action::CreateTicket(_) | Action::Listen { .. } => {}
        }
    }
    out.push_str(FOOTER);
    out
}

/// Just hang up (a transfer answered by the standard is over).
pub fn render_hang_up() -> String {
    format!("{HEADER}<Hangup/>{FOOTER}")
}

/// Something short to say before hanging up (unknown number, service unavailable).
pub fn render_say_and_hang_up(text: &str, options: &VoiceOptions) -> String {
    let mut out = String::from(HEADER);
    push_say(&mut out, text, options);
    out.push_str("<Hangup/>");
    out.push_str(FOOTER);
    out
}

/// What the standard hears when it picks up a transfer, before the caller is connected: the
/// text only (the call goes on to the bridge when the whisper's TwiML ends).
pub fn render_whisper(text: &str, options: &VoiceOptions) -> String {
    let mut out = String::from(HEADER);
    push_say(&mut out, text, options);
    out.push_str(FOOTER);
    out
}

/// An SMS reply: one `<Message>` with the text (no message at all when the text is empty).
pub fn render_message(text: &str) -> String {
    let mut out = String::from(HEADER);
    if !text.trim().is_empty() {
        out.push_str("<Message>");
        out.push_str(&escape(text));
        out.push_str("</Message>");
    }
    out.push_str(FOOTER);
    out
}

/// An empty `<Response/>` (status callbacks, ignored events).
pub fn render_empty() -> String {
    format!("{HEADER}{FOOTER}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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

    fn options() -> VoiceOptions {
        VoiceOptions {
            voice: Some("Polly.Lea-Neural".into()),
            caller_id: Some("+33130000000".into()),
            hints: vec!["passeport".into(), "carte d'identité".into()],
            ..VoiceOptions::french("https://guichet.example/twilio/voice/turn?x=1&y=2")
        }
    }

    #[test]
    fn listen_wraps_says_in_a_gather_with_escaped_texts() {
        let twiml = render_voice(
            &reply(
                &["Bonjour <robot> & \"mairie\""],
                vec![Action::Listen {
                    hints: Default::default(),
                }],
            ),
            &options(),
        );
        assert_eq!(
            twiml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" language=\"fr-FR\" \
             speechTimeout=\"auto\" numDigits=\"1\" actionOnEmptyResult=\"true\" method=\"POST\" \
             action=\"https://guichet.example/twilio/voice/turn?x=1&amp;y=2\" hints=\"passeport,carte d&apos;identité\">\
             <Say language=\"fr-FR\" voice=\"Polly.Lea-Neural\">Bonjour &lt;robot&gt; &amp; &quot;mairie&quot;</Say>\
             </Gather></Response>"
        );
    }

    #[test]
    fn transfer_dials_with_caller_id_and_hangup_ends() {
        let twiml = render_voice(
            &reply(
                &["Je vous passe un agent."],
                vec![Action::Transfer {
                    number: "+33130000000".into(),
                }],
            ),
            &options(),
        );
        assert!(twiml.contains("<Say language=\"fr-FR\" voice=\"Polly.Lea-Neural\">Je vous passe un agent.</Say><Dial callerId=\"+33130000000\"><Number>+33130000000</Number></Dial>"));
        // With a dial URL, Twilio reports how the dial ended (escaped like every attribute).
        let followed = render_voice(
            &reply(
                &["Je vous passe un agent."],
                vec![Action::Transfer {
                    number: "+33130000000".into(),
                }],
            ),
            &VoiceOptions {
                dial_url: Some("https://guichet.example/twilio/voice/dial?a=1&b=2".into()),
                ..options()
            },
        );
        assert!(followed.contains("<Dial callerId=\"+33130000000\" action=\"https://guichet.example/twilio/voice/dial?a=1&amp;b=2\" method=\"POST\"><Number>"), "{followed}");
        assert_eq!(
            render_hang_up(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>"
        );
        let bye = render_voice(&reply(&["Au revoir."], vec![Action::Hangup]), &options());
        assert!(bye.ends_with("Au revoir.</Say><Hangup/></Response>"));
        assert!(!bye.contains("Gather"));
    }

    #[test]
    fn engine_hints_win_and_are_sanitised() {
        let twiml = render_voice(
            &reply(
                &["?"],
                vec![Action::Listen {
                    hints: Arc::from(["a,b".to_owned(), " ".to_owned()]),
                }],
            ),
            &options(),
        );
        assert!(twiml.contains("hints=\"a b\""));
    }

    #[test]
    fn sms_and_short_messages() {
        assert_eq!(
            render_message("Lien : https://x.example/?a=1&b=2"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Lien : https://x.example/?a=1&amp;b=2</Message></Response>"
        );
        assert!(
            render_say_and_hang_up("Ce numéro n'est pas attribué.", &options())
                .contains("n&apos;est")
        );
        assert_eq!(
            render_empty(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"
        );
    }
}
