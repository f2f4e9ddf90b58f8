//! The same dialogues over HTTP, through the signed Twilio webhooks of a running `guichet serve`:
//! the whole stack (signature check, parsing, store, rendering) is exercised.
//!
//! Voice: `POST /twilio/voice` starts the call, then each caller turn is posted to the `<Gather>`
//! `action` URL of the previous TwiML (by default `/twilio/voice/turn`) with `SpeechResult`,
//! `Confidence` and `Digits`; `/twilio/status` ends it. SMS: `POST /twilio/sms` with `Body`.
//! Every request is form-encoded and signed (`X-Twilio-Signature`) when an auth token is given.
//!
//! What the robot said is read from the TwiML (`<Say>`, `<Message>`). What it decided is read
//! from the response header `X-Guichet-Decision` (the JSON of the `Decision`); its actions
//! (SMS sent, tickets) from `X-Guichet-Actions` (a JSON array of `Action`) or from an `actions`
//! array inside the decision header. Without them those expectations cannot be checked and fail.
//! The dialogue's `at` is sent as `X-Guichet-Now`; a server uses its own clock unless it honours
//! that header (a test setting), so dialogues about opening hours may differ from in process.

use std::time::Duration;

use guichet_agent::{Action, Channel, Decision};
use reqwest::blocking::{Client, Response};
use url::Url;

use crate::dialogue::CallerTurn;
use crate::observed::{Observed, recorded_actions};
use crate::replay::{Bot, CallInfo, ReplayError};

pub const DECISION_HEADER: &str = "x-guichet-decision";
pub const ACTIONS_HEADER: &str = "x-guichet-actions";
pub const NOW_HEADER: &str = "x-guichet-now";
/// Asks the service for the decision and actions headers.
pub const TRACE_HEADER: &str = "x-guichet-trace";
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The server's public base URL, e.g. `http://127.0.0.1:8080` (signatures are computed on
    /// the URLs under it, as Twilio would).
    pub base_url: Url,
    /// The Twilio auth token the server verifies signatures with; `None`: unsigned requests.
    pub auth_token: Option<String>,
    /// The number called (`To`): selects the commune on a multi-commune server.
    pub to: String,
    pub account_sid: String,
    pub timeout: Duration,
    /// Whose webhooks the dialogues go through.
    pub provider: WebhookProvider,
    /// jambonz: the account's webhook secret (`Jambonz-Signature`), and the Basic credentials
    /// of the application's webhooks; `None`: not sent.
    pub jambonz_secret: Option<String>,
    pub jambonz_basic: Option<guichet_connectors::jambonz::BasicCredentials>,
}

/// The webhooks `guichet eval --url` posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookProvider {
    /// `/twilio/voice`, `/twilio/voice/turn`, `/twilio/sms` (see this module).
    #[default]
    Twilio,
    /// `/jambonz/call`, `/jambonz/gather`, `/jambonz/status` (see [`crate::http_jambonz`]).
    Jambonz,
}

impl HttpOptions {
    pub fn new(base_url: Url, to: impl Into<String>) -> Self {
        HttpOptions {
            base_url,
            auth_token: None,
            to: to.into(),
            account_sid: "ACguichet0eval0000000000000000000".to_owned(),
            timeout: Duration::from_secs(10),
            provider: WebhookProvider::Twilio,
            jambonz_secret: None,
            jambonz_basic: None,
        }
    }
}

/// A server's base URL (`http://127.0.0.1:8080`, `https://guichet.example/prefix`), ending with
/// a `/` so that the webhook paths join under it.
pub fn parse_base_url(text: &str) -> Result<Url, ReplayError> {
    let mut url =
        Url::parse(text).map_err(|error| ReplayError(format!("URL invalide : {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ReplayError(format!(
            "URL en http ou https attendue, pas {}",
            url.scheme()
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub struct HttpBot {
    options: HttpOptions,
    client: Client,
}

/// Per call: where the next turn goes and the caller's number as sent.
pub struct HttpCall {
    next: Url,
    from: String,
    turn: usize,
}

impl HttpBot {
    pub fn new(options: HttpOptions) -> Result<Self, ReplayError> {
        let client = Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|error| ReplayError(format!("client HTTP : {error}")))?;
        Ok(HttpBot { options, client })
    }

    fn url(&self, path: &str) -> Result<Url, ReplayError> {
        self.options
            .base_url
            .join(path)
            .map_err(|error| ReplayError(format!("URL {path} : {error}")))
    }

    fn post(
        &self,
        url: &Url,
        params: Vec<(String, String)>,
        call: &CallInfo<'_>,
    ) -> Result<Response, ReplayError> {
        let mut request = self
            .client
            .post(url.clone())
            .header(NOW_HEADER, call.dialogue.at.to_rfc3339())
            .header(TRACE_HEADER, "1")
            .form(&params);
        if let Some(token) = &self.options.auth_token {
            let signature =
                guichet_connectors::twilio::signature::sign(token, url.as_str(), &params);
            request = request.header(SIGNATURE_HEADER, signature);
        }
        let response = request
            .send()
            .map_err(|error| ReplayError(format!("POST {url} : {error}")))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().unwrap_or_default();
            return Err(ReplayError(format!(
                "POST {url} : HTTP {status} {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        Ok(response)
    }

    fn base_params(&self, call: &CallInfo<'_>, from: &str) -> Vec<(String, String)> {
        vec![
            ("AccountSid".into(), self.options.account_sid.clone()),
            ("From".into(), from.to_owned()),
            ("To".into(), self.options.to.clone()),
            ("CallSid".into(), call_sid(call)),
        ]
    }

    /// Ends a voice call as Twilio would (status callback); best effort.
    pub fn hang_up(&self, call: &CallInfo<'_>, state: &HttpCall) {
        if let Ok(url) = self.url("twilio/status") {
            let mut params = self.base_params(call, &state.from);
            params.push(("CallStatus".into(), "completed".into()));
            let _ = self.post(&url, params, call);
        }
    }
}

/// A Twilio-shaped call id, stable per dialogue: "CA" + 32 hex digits.
pub(crate) fn call_sid(call: &CallInfo<'_>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in call.conversation_id.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("CA{:016x}{:016x}", hash, call.index)
}

/// SMS conversations are keyed by the sender's number on the server: each dialogue gets its own
/// number, same prefix (so the same line type), last four digits from the dialogue's position.
fn sms_sender(from: &str, index: usize) -> String {
    let digits = from.chars().filter(char::is_ascii_digit).count();
    if from.starts_with('+') && digits >= 9 && from.chars().all(|c| c == '+' || c.is_ascii_digit())
    {
        format!("{}{:04}", &from[..from.len() - 4], index % 10_000)
    } else {
        from.to_owned()
    }
}

impl Bot for HttpBot {
    type Call = HttpCall;

    fn start(&self, call: &CallInfo<'_>) -> Result<(HttpCall, Observed), ReplayError> {
        let dialogue = call.dialogue;
        match dialogue.channel {
            Channel::Voice => {
                let url = self.url("twilio/voice")?;
                let mut params = self.base_params(call, &dialogue.from);
                params.push(("CallStatus".into(), "ringing".into()));
                params.push(("Direction".into(), "inbound".into()));
                let response = self.post(&url, params, call)?;
                let (observed, gather) = read(response, &url)?;
                let next = match gather {
                    Some(action) => action,
                    None => self.url("twilio/voice/turn")?,
                };
                Ok((
                    HttpCall {
                        next,
                        from: dialogue.from.clone(),
                        turn: 0,
                    },
                    observed,
                ))
            }
            Channel::Sms => {
                // No call start on SMS: the first message is the request.
                let state = HttpCall {
                    next: self.url("twilio/sms")?,
                    from: sms_sender(&dialogue.from, call.index),
                    turn: 0,
                };
                Ok((
                    state,
                    Observed {
                        say: Vec::new(),
                        decision: None,
                        actions: Some(Vec::new()),
                    },
                ))
            }
            Channel::Chat => Err(ReplayError(
                "le canal chat n'a pas de webhook Twilio : non rejouable avec --url".into(),
            )),
        }
    }

    fn turn(
        &self,
        state: &mut HttpCall,
        call: &CallInfo<'_>,
        turn: &CallerTurn,
    ) -> Result<Observed, ReplayError> {
        state.turn += 1;
        let mut params = self.base_params(call, &state.from);
        match call.dialogue.channel {
            Channel::Sms => {
                params.retain(|(name, _)| name != "CallSid");
                params.push((
                    "MessageSid".into(),
                    format!("SM{}{:04}", &call_sid(call)[2..], state.turn),
                ));
                params.push(("Body".into(), turn.caller.clone()));
                let url = state.next.clone();
                let response = self.post(&url, params, call)?;
                Ok(read(response, &url)?.0)
            }
            _ => {
                params.push(("CallStatus".into(), "in-progress".into()));
                if !turn.caller.is_empty() {
                    params.push(("SpeechResult".into(), turn.caller.clone()));
                    if let Some(confidence) = turn.asr_confidence {
                        params.push(("Confidence".into(), confidence.to_string()));
                    }
                }
                if let Some(digits) = &turn.dtmf {
                    params.push(("Digits".into(), digits.clone()));
                }
                let url = state.next.clone();
                let response = self.post(&url, params, call)?;
                let (observed, gather) = read(response, &url)?;
                if let Some(next) = gather {
                    state.next = next;
                }
                let last = state.turn == call.dialogue.turns.len();
                if last {
                    self.hang_up(call, state);
                }
                Ok(observed)
            }
        }
    }
}

/// The texts said, the decision and actions from the headers, and the next `<Gather>` URL.
fn read(response: Response, url: &Url) -> Result<(Observed, Option<Url>), ReplayError> {
    let (decision, actions) = trace(&response)?;
    let body = response
        .text()
        .map_err(|error| ReplayError(format!("réponse de {url} illisible : {error}")))?;
    let twiml = parse_twiml(&body, url)?;
    Ok((
        Observed {
            say: twiml.say,
            decision,
            actions,
        },
        twiml.gather_action,
    ))
}

/// The decision and actions of a turn, from the response headers.
#[allow(clippy::type_complexity)]
pub(crate) fn trace(
    response: &Response,
) -> Result<(Option<Decision>, Option<Vec<Action>>), ReplayError> {
    let decision_json = header_json(response, DECISION_HEADER)?;
    let actions_json = header_json(response, ACTIONS_HEADER)?;
    let decision = decision_json
        .as_ref()
        .map(|value| {
            let value = value.get("decision").unwrap_or(value);
            serde_json::from_value::<Decision>(value.clone()).map_err(|error| {
                ReplayError(format!("en-tête X-Guichet-Decision invalide : {error}"))
            })
        })
        .transpose()?;
    let actions = actions_json
        .or_else(|| decision_json.and_then(|value| value.get("actions").cloned()))
        .map(|value| {
            serde_json::from_value::<Vec<Action>>(value)
                .map(recorded_actions)
                .map_err(|error| {
                    ReplayError(format!("en-tête X-Guichet-Actions invalide : {error}"))
                })
        })
        .transpose()?;
    Ok((decision, actions))
}

pub(crate) fn header_json(
    response: &Response,
    name: &str,
) -> Result<Option<serde_json::Value>, ReplayError> {
    let Some(raw) = response.headers().get(name) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(raw.as_bytes());
    // Accept raw UTF-8 JSON, or JSON percent-encoded to keep the header ASCII.
    let parsed = serde_json::from_str(&text).or_else(|first| {
        let decoded: String =
            url::form_urlencoded::parse(format!("v={}", text.replace('+', "%2B")).as_bytes())
                .map(|(_, value)| value.into_owned())
                .next()
                .unwrap_or_default();
        serde_json::from_str(&decoded).map_err(|_| first)
    });
    parsed
        .map(Some)
        .map_err(|error| ReplayError(format!("en-tête {name} : JSON invalide ({error})")))
}

/// The few TwiML facts the eval needs.
#[derive(Debug, Default, PartialEq)]
pub struct Twiml {
    /// `<Say>` and `<Message>` texts, in order.
    pub say: Vec<String>,
    /// The `<Gather action>`, resolved against the request URL.
    pub gather_action: Option<Url>,
    /// `<Dial><Number>` numbers.
    pub dialed: Vec<String>,
    pub hangup: bool,
}

pub fn parse_twiml(body: &str, url: &Url) -> Result<Twiml, ReplayError> {
    let document = roxmltree::Document::parse(body)
        .map_err(|error| ReplayError(format!("TwiML de {url} invalide : {error}")))?;
    let mut twiml = Twiml::default();
    for node in document.descendants().filter(roxmltree::Node::is_element) {
        match node.tag_name().name() {
            "Say" | "Message" => {
                let text: String = node
                    .descendants()
                    .filter(roxmltree::Node::is_text)
                    .filter_map(|text| text.text())
                    .collect();
                if !text.trim().is_empty() {
                    twiml.say.push(text.trim().to_owned());
                }
            }
            "Gather" => {
                if let Some(action) = node.attribute("action") {
                    twiml.gather_action = Some(url.join(action).map_err(|error| {
                        ReplayError(format!("Gather action « {action} » : {error}"))
                    })?);
                }
            }
            "Number" => twiml
                .dialed
                .extend(node.text().map(|text| text.trim().to_owned())),
            "Hangup" => twiml.hangup = true,
            _ => {}
        }
    }
    Ok(twiml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_says_gather_dial_and_hangup() {
        let url = Url::parse("http://127.0.0.1:8080/twilio/voice").unwrap();
        let twiml = parse_twiml(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="speech dtmf" action="/twilio/voice/turn?t=1"><Say language="fr-FR">Bonjour &amp; bienvenue</Say></Gather><Say>Je transfère.</Say><Dial callerId="+33130000000"><Number>+33130000000</Number></Dial><Hangup/></Response>"#,
            &url,
        )
        .unwrap();
        assert_eq!(twiml.say, ["Bonjour & bienvenue", "Je transfère."]);
        assert_eq!(
            twiml.gather_action.unwrap().as_str(),
            "http://127.0.0.1:8080/twilio/voice/turn?t=1"
        );
        assert_eq!(twiml.dialed, ["+33130000000"]);
        assert!(twiml.hangup);
        assert!(parse_twiml("<Response><Say>", &url).is_err());
    }

    #[test]
    fn base_urls_keep_their_prefix() {
        let url = parse_base_url("https://guichet.example/villebourg").unwrap();
        assert_eq!(
            url.join("twilio/voice").unwrap().as_str(),
            "https://guichet.example/villebourg/twilio/voice"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("pas une url").is_err());
    }

    #[test]
    fn sms_senders_stay_mobiles_and_differ() {
        assert_eq!(sms_sender("+33612345678", 7), "+33612340007");
        assert_eq!(sms_sender("anonymous", 7), "anonymous");
    }
}
