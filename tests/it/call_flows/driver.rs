//! A provider-neutral caller over the providers' real webhook formats: Twilio (signed forms,
//! TwiML read back), Vonage (signed JSON, NCCO read back) and jambonz (the test kit's fake
//! feature server). Each step returns what the caller [`Heard`]: the robot's words, whether it
//! listens, dials or lets the call end, and the turn's decision.

use guichet::serve::config::SmsProvider;
use guichet_connectors::testkit::jambonz::{self as fake_jambonz, Exchange, FakeCall};
use serde_json::{Value, json};

use super::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Twilio,
    Vonage,
    Jambonz,
}

impl Via {
    /// The SMS provider of the same name (SMS leave through the call's provider).
    pub fn sms(self) -> SmsProvider {
        match self {
            Via::Twilio => SmsProvider::Twilio,
            Via::Vonage => SmsProvider::Vonage,
            Via::Jambonz => SmsProvider::Jambonz,
        }
    }

    /// The provider's name as the fake SMS API records it.
    pub fn name(self) -> &'static str {
        match self {
            Via::Twilio => "twilio",
            Via::Vonage => "vonage",
            Via::Jambonz => "jambonz",
        }
    }
}

/// What the caller heard after one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    pub status: u16,
    /// The turn's decision (`x-guichet-decision`), when the answer carries one.
    pub decision: Option<Value>,
    /// Every text the robot spoke, joined.
    pub said: String,
    /// The robot listens next.
    pub gathers: bool,
    /// The number the robot dials (E.164), if it transfers.
    pub dials: Option<String>,
    /// Nothing follows: the call ends.
    pub ends: bool,
}

impl Heard {
    pub fn action(&self) -> &str {
        self.decision
            .as_ref()
            .and_then(|d| d["action"].as_str())
            .unwrap_or_default()
    }
}

/// The last webhook sent, to send it again (a provider's retry).
enum Sent {
    Twilio(String, Vec<(String, String)>),
    VonageAnswer(String),
    Vonage(String, Value),
    Jambonz(Exchange),
}

pub struct Caller<'h> {
    h: &'h Harness,
    via: Via,
    /// The call's id at the provider (the conversation id).
    pub id: String,
    from: String,
    /// Where the next turn goes (our callback URL, as the last answer gave it).
    next: String,
    /// Where the dial's outcome goes (as the transfer's answer gave it).
    dial_hook: String,
    jambonz: Option<FakeCall>,
    sent: Option<Sent>,
}

const STANDARD_LEG: &str = "standard-leg-0001";

fn local(url: &str) -> String {
    url.strip_prefix(PUBLIC_URL).unwrap_or(url).to_string()
}

fn unescape_xml(text: &str) -> String {
    text.replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `name="…"` attribute of the first element opening with `element` in `xml`.
fn attribute(xml: &str, element: &str, name: &str) -> Option<String> {
    let start = xml.find(element)?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let value = tag.split(&format!(" {name}=\"")).nth(1)?;
    Some(unescape_xml(&value[..value.find('"')?]))
}

fn heard_twiml(status: u16, decision: Option<Value>, twiml: &str) -> (Heard, String, String) {
    let said: Vec<String> = twiml
        .split("<Say")
        .skip(1)
        .filter_map(|part| {
            let text = &part[part.find('>')? + 1..part.find("</Say>")?];
            Some(unescape_xml(text))
        })
        .collect();
    let dials = twiml
        .split("<Number")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split("</Number>").next())
        .map(str::to_string);
    let gathers = twiml.contains("<Gather");
    let next = attribute(twiml, "<Gather", "action").unwrap_or_default();
    let dial_hook = attribute(twiml, "<Dial", "action").unwrap_or_default();
    let heard = Heard {
        status,
        decision,
        said: said.join(" "),
        gathers,
        ends: !gathers && dials.is_none(),
        dials,
    };
    (heard, local(&next), local(&dial_hook))
}

fn heard_ncco(status: u16, decision: Option<Value>, ncco: &Value) -> (Heard, String, String) {
    let actions = ncco.as_array().cloned().unwrap_or_default();
    let of = |name: &str| actions.iter().find(|a| a["action"] == name).cloned();
    let said: Vec<&str> = actions
        .iter()
        .filter(|a| a["action"] == "talk")
        .filter_map(|a| a["text"].as_str())
        .collect();
    let input = of("input");
    let connect = of("connect");
    let dials = connect.as_ref().and_then(|c| {
        c["endpoint"][0]["number"]
            .as_str()
            .map(|digits| format!("+{digits}"))
    });
    let next = input
        .as_ref()
        .and_then(|i| i["eventUrl"][0].as_str())
        .unwrap_or_default();
    let dial_hook = connect
        .as_ref()
        .and_then(|c| c["eventUrl"][0].as_str())
        .unwrap_or_default();
    let heard = Heard {
        status,
        decision,
        said: said.join(" "),
        gathers: input.is_some(),
        ends: input.is_none() && connect.is_none(),
        dials,
    };
    (heard, local(next), local(dial_hook))
}

fn decision_of(headers: &reqwest::header::HeaderMap) -> Option<Value> {
    headers
        .get("x-guichet-decision")
        .and_then(|h| serde_json::from_slice(h.as_bytes()).ok())
}

impl<'h> Caller<'h> {
    /// `from` calls the mairie; the greeting is heard.
    pub async fn ring(h: &'h Harness, via: Via, id: &str, from: &str) -> (Caller<'h>, Heard) {
        let mut caller = Caller {
            h,
            via,
            id: id.to_string(),
            from: from.to_string(),
            next: String::new(),
            dial_hook: String::new(),
            jambonz: None,
            sent: None,
        };
        let heard = match via {
            Via::Twilio => {
                let params = twilio_call(id, from, MAIRIE, "ringing");
                caller.twilio("/twilio/voice".into(), params).await
            }
            Via::Vonage => {
                let query = format!(
                    "to={}&from={}&uuid={id}&conversation_uuid=CON-{id}",
                    MAIRIE.trim_start_matches('+'),
                    from.trim_start_matches('+')
                );
                caller.vonage_answer(query).await
            }
            Via::Jambonz => {
                let call = h.jambonz().call(from, MAIRIE).await.unwrap();
                caller.id = call.call_sid().to_string();
                caller.jambonz = Some(call);
                caller.heard_jambonz()
            }
        };
        (caller, heard)
    }

    /// The caller says `transcript`, recognised with `confidence`.
    pub async fn say(&mut self, transcript: &str, confidence: f64) -> Heard {
        match self.via {
            Via::Twilio => {
                let mut params = twilio_call(&self.id, &self.from, MAIRIE, "in-progress");
                params.push(("SpeechResult".into(), transcript.into()));
                params.push(("Confidence".into(), confidence.to_string()));
                self.twilio(self.next.clone(), params).await
            }
            Via::Vonage => {
                let speech = json!({
                    "timeout_reason": "end_on_silence_timeout",
                    "results": [{"confidence": confidence.to_string(), "text": transcript}]
                });
                self.vonage_input(speech, json!({"digits": null, "timed_out": false}))
                    .await
            }
            Via::Jambonz => {
                let call = self.jambonz.as_mut().unwrap();
                call.say_with_confidence(transcript, confidence)
                    .await
                    .unwrap();
                self.heard_jambonz()
            }
        }
    }

    /// The caller presses one key.
    pub async fn press(&mut self, digit: &str) -> Heard {
        match self.via {
            Via::Twilio => {
                let mut params = twilio_call(&self.id, &self.from, MAIRIE, "in-progress");
                params.push(("Digits".into(), digit.into()));
                self.twilio(self.next.clone(), params).await
            }
            Via::Vonage => {
                self.vonage_input(
                    json!({"results": [], "timeout_reason": "start_timeout"}),
                    json!({"digits": digit, "timed_out": false}),
                )
                .await
            }
            Via::Jambonz => {
                self.jambonz.as_mut().unwrap().press(digit).await.unwrap();
                self.heard_jambonz()
            }
        }
    }

    /// The caller says nothing until the recogniser gives up.
    pub async fn stay_silent(&mut self) -> Heard {
        match self.via {
            Via::Twilio => {
                let params = twilio_call(&self.id, &self.from, MAIRIE, "in-progress");
                self.twilio(self.next.clone(), params).await
            }
            Via::Vonage => {
                self.vonage_input(
                    json!({"results": [], "timeout_reason": "start_timeout"}),
                    json!({"digits": null, "timed_out": true}),
                )
                .await
            }
            Via::Jambonz => {
                self.jambonz.as_mut().unwrap().stay_silent().await.unwrap();
                self.heard_jambonz()
            }
        }
    }

    /// The caller hangs up while the robot listens (the provider's call status report).
    pub async fn hang_up(&mut self) {
        match self.via {
            Via::Twilio => {
                let params = twilio_call(&self.id, &self.from, MAIRIE, "completed");
                let response = self.h.twilio("/twilio/status", &params).await;
                assert_eq!(response.status(), 200);
            }
            Via::Vonage => {
                let event = json!({
                    "uuid": self.id, "conversation_uuid": format!("CON-{}", self.id),
                    "status": "completed", "direction": "inbound",
                    "from": self.from.trim_start_matches('+'),
                    "to": MAIRIE.trim_start_matches('+'),
                });
                let response = self.h.vonage("/vonage/event", &event).await;
                assert_eq!(response.status(), 204);
            }
            Via::Jambonz => self.jambonz.as_mut().unwrap().hang_up().await.unwrap(),
        }
    }

    /// The transfer's dial ends, answered by the standard or not; what the caller hears then.
    pub async fn dial_ends(&mut self, answered: bool) -> Heard {
        assert!(
            !self.dial_hook.is_empty() || self.via == Via::Jambonz,
            "no transfer asks for its outcome"
        );
        match self.via {
            Via::Twilio => {
                let mut params = twilio_call(&self.id, &self.from, MAIRIE, "in-progress");
                let status = if answered { "completed" } else { "no-answer" };
                params.push(("DialCallStatus".into(), status.into()));
                params.push(("DialCallSid".into(), STANDARD_LEG.into()));
                self.twilio(self.dial_hook.clone(), params).await
            }
            Via::Vonage => {
                let status = if answered { "answered" } else { "timeout" };
                let event = json!({
                    "uuid": STANDARD_LEG, "conversation_uuid": format!("CON-{}", self.id),
                    "status": status, "direction": "outbound",
                    "from": MAIRIE.trim_start_matches('+'), "to": "33130000000",
                });
                self.vonage(self.dial_hook.clone(), event).await
            }
            Via::Jambonz => {
                let outcome = if answered {
                    fake_jambonz::DialOutcome::Answered
                } else {
                    fake_jambonz::DialOutcome::NoAnswer
                };
                let call = self.jambonz.as_mut().unwrap();
                call.end_transfer(outcome).await.unwrap();
                self.heard_jambonz()
            }
        }
    }

    /// The provider sends its last webhook again (it timed out waiting, say).
    pub async fn retry(&mut self) -> Heard {
        match self.sent.take().expect("a webhook was sent") {
            Sent::Twilio(path, params) => self.twilio(path, params).await,
            Sent::VonageAnswer(query) => self.vonage_answer(query).await,
            Sent::Vonage(path, body) => self.vonage(path, body).await,
            Sent::Jambonz(exchange) => {
                let jambonz = self.h.jambonz();
                let again = jambonz
                    .post(&exchange.hook, exchange.payload.clone())
                    .await
                    .unwrap();
                self.sent = Some(Sent::Jambonz(exchange));
                heard_verbs(&again)
            }
        }
    }

    async fn twilio(&mut self, path: String, params: Vec<(String, String)>) -> Heard {
        let response = self.h.twilio(&path, &params).await;
        self.sent = Some(Sent::Twilio(path, params));
        let status = response.status().as_u16();
        let decision = decision_of(response.headers());
        let twiml = response.text().await.unwrap();
        let (heard, next, dial_hook) = heard_twiml(status, decision, &twiml);
        self.follow(next, dial_hook);
        heard
    }

    /// Vonage's answer webhook: a GET whose query says the call, signed over an empty body.
    async fn vonage_answer(&mut self, query: String) -> Heard {
        let authorization = guichet_connectors::vonage::signature::sign(
            VONAGE_SIGNATURE_SECRET,
            b"",
            chrono::Utc::now().timestamp(),
            "answer",
        );
        let response = self
            .h
            .http
            .get(format!("{}/vonage/answer?{query}", self.h.base))
            .header("Authorization", authorization)
            .send()
            .await
            .unwrap();
        self.sent = Some(Sent::VonageAnswer(query));
        self.read_ncco(response).await
    }

    async fn vonage_input(&mut self, speech: Value, dtmf: Value) -> Heard {
        let body = json!({
            "speech": speech, "dtmf": dtmf,
            "from": self.from.trim_start_matches('+'), "to": MAIRIE.trim_start_matches('+'),
            "uuid": self.id, "conversation_uuid": format!("CON-{}", self.id),
            "timestamp": "2026-03-10T09:15:00.000Z"
        });
        self.vonage(self.next.clone(), body).await
    }

    async fn vonage(&mut self, path: String, body: Value) -> Heard {
        let response = self.h.vonage(&path, &body).await;
        self.sent = Some(Sent::Vonage(path, body));
        self.read_ncco(response).await
    }

    async fn read_ncco(&mut self, response: reqwest::Response) -> Heard {
        let status = response.status().as_u16();
        let decision = decision_of(response.headers());
        let text = response.text().await.unwrap();
        let ncco: Value = if text.is_empty() {
            json!([])
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let (heard, next, dial_hook) = heard_ncco(status, decision, &ncco);
        self.follow(next, dial_hook);
        heard
    }

    /// Keeps the callback URLs the last answer gave (an answer without one keeps the former).
    fn follow(&mut self, next: String, dial_hook: String) {
        if !next.is_empty() {
            self.next = next;
        }
        if !dial_hook.is_empty() {
            self.dial_hook = dial_hook;
        }
    }

    fn heard_jambonz(&mut self) -> Heard {
        let call = self.jambonz.as_ref().unwrap();
        let last = call.last().clone();
        let heard = Heard {
            status: last.status,
            decision: decision_of(&last.headers),
            said: call.said(),
            gathers: call.listening(),
            dials: call
                .transfer()
                .and_then(|dial| dial.pointer("/target/0/number"))
                .and_then(Value::as_str)
                .map(str::to_string),
            ends: call.ended(),
        };
        self.sent = Some(Sent::Jambonz(last));
        heard
    }
}

/// What a jambonz answer says, read from its verbs alone (a retried hook's answer).
fn heard_verbs(exchange: &Exchange) -> Heard {
    let verbs = &exchange.verbs;
    let text = |verb: &Value| -> Option<String> {
        match &verb["text"] {
            Value::String(text) => Some(text.clone()),
            Value::Array(texts) => texts.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    let said: Vec<String> = verbs
        .iter()
        .filter_map(|verb| match verb["verb"].as_str() {
            Some("say") => text(verb),
            Some("gather") => text(&verb["say"]),
            _ => None,
        })
        .collect();
    let dial = verbs.iter().find(|v| v["verb"] == "dial");
    let gathers = verbs.iter().any(|v| v["verb"] == "gather");
    Heard {
        status: exchange.status,
        decision: decision_of(&exchange.headers),
        said: said.join(" "),
        gathers,
        dials: dial
            .and_then(|d| d.pointer("/target/0/number"))
            .and_then(Value::as_str)
            .map(str::to_string),
        ends: !gathers && dial.is_none(),
    }
}
