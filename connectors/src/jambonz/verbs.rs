//! A [`Reply`] rendered as a jambonz verb array: the JSON text answering a webhook, to send with
//! `Content-Type: application/json` (jambonz ignores a body of any other type).
//!
//! Verbs and properties as the jambonz verb reference and the @jambonz/verb-specifications
//! package (the validator the feature server runs on every answer) define them:
//! `say` (<https://docs.jambonz.org/verbs/verbs/say>, a `synthesizer` needs a `vendor`),
//! `gather` (<https://docs.jambonz.org/verbs/verbs/gather>: `input`, `actionHook`, `bargein`,
//! `dtmfBargein`, `numDigits`, `timeout`, a `recognizer` with `vendor`, `language`, `hints`,
//! `hintsBoost`, and a nested `say` prompt), `dial` (`target` of `type` `phone`/`sip`,
//! `actionHook`, `callerId`, SIP `headers`, `timeout`), `hangup`, `pause` (`length`), `redirect`
//! (`actionHook`) and `message` (`to`, `from`, `text`). An unknown property makes jambonz refuse
//! the whole answer, so only these are written.
//!
//! What each [`Action`] becomes, as TwiML and NCCO do it:
//! - `Listen`: the utterances are the prompt of a `gather` for speech and one key, with barge-in,
//!   so the caller can interrupt; a silence ends it after `timeout` and its actionHook still
//!   comes (`reason: timeout`: the engine's no-input turn), a key ends it at once (`0`: a human);
//! - `Transfer`: `dial` to the standard's number (E.164) or SIP URI, with the ticket id in
//!   [`TICKET_HEADER`] and an actionHook for the outcome; the caller's own number is presented
//!   unless the trunk requires the mairie's (`caller_id`);
//! - `Hangup`: `hangup` after the last words;
//! - `SendSms`, `CreateTicket`: nothing to say to jambonz: the store keeps the ticket, and the
//!   outbox sends the SMS through the REST API with its retries (jambonz's in-call `message`
//!   verb has none); `message` only answers an inbound SMS ([`render_message`]).

use std::collections::BTreeMap;

use guichet_agent::{Action, Reply};
use guichet_phone::provider_digits;
use serde::Serialize;

use super::TICKET_HEADER;
use crate::reply::{listen_hints, spoken};

/// Which text-to-speech the `say` verbs ask for (`synthesizer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesizer {
    /// `default`: the voice configured on the jambonz application; else a vendor jambonz knows
    /// (`google`, `microsoft`, `aws`, `elevenlabs`, `custom:<name>` for a self-hosted engine…).
    pub vendor: String,
    /// The commune's voice (vendor-specific: `fr-FR-Neural2-A`, `fr-FR-DeniseNeural`…).
    pub voice: Option<String>,
}

/// Which speech recogniser the `gather` verbs ask for (`recognizer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognizer {
    /// `default`: the recogniser configured on the application; else a vendor jambonz knows
    /// (`google`, `deepgram`, `microsoft`, `custom:<name>` for a self-hosted Vosk or Whisper…).
    pub vendor: String,
    /// How much the hints weigh (`hintsBoost`, vendor-specific scale; Google reads 0-20).
    pub hints_boost: Option<u32>,
}

/// How to speak, listen and transfer; set by the service from its configuration and the commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerbOptions {
    /// Language of synthesis and recognition (`fr-FR`).
    pub language: String,
    pub synthesizer: Synthesizer,
    pub recognizer: Recognizer,
    /// Full public URL of the `gather` actionHook (the next turn).
    pub gather_url: String,
    /// Full public URL of the `dial` actionHook (the transfer's outcome). Without it, the call
    /// ends when the transfer ends.
    pub dial_url: Option<String>,
    /// Number presented to the standard on a transfer. `None`: the caller's own number (what
    /// jambonz does by default), so the standardiste sees who calls; set the mairie's number when
    /// the trunk refuses to present a number it does not own.
    pub caller_id: Option<String>,
    /// The transfer ticket's id, sent in [`TICKET_HEADER`].
    pub ticket_id: Option<String>,
    /// Speech hints used when the engine gives none (knowledge base keywords).
    pub hints: Vec<String>,
    /// Seconds of silence before a `gather` gives up and reports a `timeout`.
    pub listen_timeout_seconds: u32,
    /// Seconds the standard's phone rings before the transfer counts as unanswered.
    pub ring_timeout_seconds: u32,
}

impl VerbOptions {
    /// French, the application's default voice and recogniser, hints boosted by 10.
    pub fn french(gather_url: impl Into<String>) -> VerbOptions {
        VerbOptions {
            language: "fr-FR".into(),
            synthesizer: Synthesizer {
                vendor: "default".into(),
                voice: None,
            },
            recognizer: Recognizer {
                vendor: "default".into(),
                hints_boost: Some(10),
            },
            gather_url: gather_url.into(),
            dial_url: None,
            caller_id: None,
            ticket_id: None,
            hints: Vec::new(),
            listen_timeout_seconds: 8,
            ring_timeout_seconds: 30,
        }
    }
}

/// At most this many hints, of at most [`MAX_HINT_CHARS`] each: the vendors' common ground.
const MAX_HINTS: usize = 200;
const MAX_HINT_CHARS: usize = 100;

#[derive(Serialize)]
struct SynthesizerJson<'a> {
    vendor: &'a str,
    language: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    voice: Option<&'a str>,
}

#[derive(Serialize)]
struct Say<'a> {
    text: &'a str,
    synthesizer: SynthesizerJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecognizerJson<'a> {
    vendor: &'a str,
    language: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hints: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hints_boost: Option<u32>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Target<'a> {
    Phone {
        number: &'a str,
    },
    Sip {
        #[serde(rename = "sipUri")]
        sip_uri: &'a str,
    },
}

#[derive(Serialize)]
#[serde(tag = "verb", rename_all = "lowercase")]
enum Verb<'a> {
    Say(Say<'a>),
    #[serde(rename_all = "camelCase")]
    Gather {
        input: [&'static str; 2],
        action_hook: &'a str,
        bargein: bool,
        dtmf_bargein: bool,
        num_digits: u32,
        timeout: u32,
        recognizer: RecognizerJson<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        say: Option<Say<'a>>,
    },
    #[serde(rename_all = "camelCase")]
    Dial {
        target: [Target<'a>; 1],
        #[serde(skip_serializing_if = "Option::is_none")]
        action_hook: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        caller_id: Option<&'a str>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<&'static str, &'a str>,
        timeout: u32,
    },
    Hangup,
    Pause {
        length: u32,
    },
    #[serde(rename_all = "camelCase")]
    Redirect {
        action_hook: &'a str,
    },
    Message {
        to: String,
        from: String,
        text: &'a str,
    },
}

/// The answer's body. Serialised straight to text (no `Value` in between: the greeting carries
/// the commune's whole keyword list); these types cannot fail to serialise.
fn to_json(verbs: &[Verb]) -> String {
    serde_json::to_string(verbs).unwrap_or_else(|_| render_empty())
}

fn say<'a>(text: &'a str, options: &'a VerbOptions) -> Say<'a> {
    Say {
        text,
        synthesizer: SynthesizerJson {
            vendor: &options.synthesizer.vendor,
            language: &options.language,
            voice: options.synthesizer.voice.as_deref(),
        },
    }
}

/// The hints a recogniser gets: trimmed, none empty, none longer than [`MAX_HINT_CHARS`], at
/// most [`MAX_HINTS`] (the greeting carries the commune's whole keyword list).
fn recognizer_hints(hints: &[String]) -> Vec<&str> {
    hints
        .iter()
        .map(|hint| {
            let hint = hint.trim();
            match hint.char_indices().nth(MAX_HINT_CHARS) {
                Some((cut, _)) => hint[..cut].trim_end(),
                None => hint,
            }
        })
        .filter(|hint| !hint.is_empty())
        .take(MAX_HINTS)
        .collect()
}

/// A ticket id as a SIP header value: short and of safe characters only, else left out (a header
/// must never carry a line break or a separator from the outside).
fn ticket_header(ticket_id: Option<&str>) -> Option<&str> {
    ticket_id.map(str::trim).filter(|id| {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    })
}

fn dial<'a>(number: &'a str, options: &'a VerbOptions) -> Verb<'a> {
    let number = number.trim();
    let target = if number.starts_with("sip:") || number.starts_with("sips:") {
        Target::Sip { sip_uri: number }
    } else {
        Target::Phone { number }
    };
    let mut headers = BTreeMap::new();
    if let Some(ticket) = ticket_header(options.ticket_id.as_deref()) {
        headers.insert(TICKET_HEADER, ticket);
    }
    Verb::Dial {
        target: [target],
        action_hook: options.dial_url.as_deref(),
        caller_id: options
            .caller_id
            .as_deref()
            .filter(|id| !id.trim().is_empty()),
        headers,
        timeout: options.ring_timeout_seconds,
    }
}

/// The verbs of a voice reply: its words (the prompt of a `gather` when the engine listens next),
/// then a `dial` for a transfer, then `hangup`.
pub fn render(reply: &Reply, options: &VerbOptions) -> String {
    let text = spoken(reply);
    let prompt = (!text.is_empty()).then(|| say(&text, options));
    let mut verbs = Vec::with_capacity(3);
    match listen_hints(reply, &options.hints) {
        Some(turn_hints) => verbs.push(Verb::Gather {
            input: ["speech", "digits"],
            action_hook: &options.gather_url,
            bargein: true,
            dtmf_bargein: true,
            num_digits: 1,
            timeout: options.listen_timeout_seconds,
            recognizer: RecognizerJson {
                vendor: &options.recognizer.vendor,
                language: &options.language,
                hints_boost: options
                    .recognizer
                    .hints_boost
                    .filter(|_| !turn_hints.is_empty()),
                hints: recognizer_hints(turn_hints),
            },
            say: prompt,
        }),
        None => verbs.extend(prompt.map(Verb::Say)),
    }
    for action in &reply.actions {
        match action {
            Action::Transfer { number } => verbs.push(dial(number, options)),
            Action::Hangup => verbs.push(Verb::Hangup),
            Action::SendSms { .. } | Action::CreateTicket(_) | Action::Listen { .. } => {}
        }
    }
    to_json(&verbs)
}

/// Something short to say before hanging up (unknown number, a transfer nobody answered).
pub fn render_say_and_hang_up(text: &str, options: &VerbOptions) -> String {
    to_json(&[Verb::Say(say(text, options)), Verb::Hangup])
}

/// Just hang up (a transfer the standard answered is over).
pub fn render_hang_up() -> String {
    to_json(&[Verb::Hangup])
}

/// Keep the caller on the line while the service cannot answer yet, then ask again at
/// `redirect_url`: better than an HTTP error, on which jambonz ends the call. `text` (« Un
/// instant, s'il vous plaît ») is said first when given.
pub fn render_hold(
    text: Option<&str>,
    seconds: u32,
    redirect_url: &str,
    options: &VerbOptions,
) -> String {
    let mut verbs = Vec::with_capacity(3);
    verbs.extend(
        text.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Verb::Say(say(t, options))),
    );
    verbs.push(Verb::Pause {
        length: seconds.max(1),
    });
    verbs.push(Verb::Redirect {
        action_hook: redirect_url,
    });
    to_json(&verbs)
}

/// The answer to an inbound SMS: one `message` back to its sender (no verb when there is nothing
/// to say). Numbers go as SMPP carriers take them: international digits, no `+`; an alphanumeric
/// sender is kept.
pub fn render_message(to: &str, from: &str, text: &str) -> String {
    if text.trim().is_empty() {
        return render_empty();
    }
    to_json(&[Verb::Message {
        to: provider_digits(to),
        from: provider_digits(from),
        text,
    }])
}

/// No verb at all (status webhooks, ignored events): jambonz reads nothing from it.
pub fn render_empty() -> String {
    "[]".to_string()
}

#[cfg(test)]
#[path = "verbs_tests.rs"]
mod tests;
