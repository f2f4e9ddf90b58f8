//! The same dialogues over HTTP through the jambonz webhooks of a running `guichet serve`, as the
//! jambonz feature server sends them: `POST /jambonz/call` (the call webhook, JSON), then each
//! caller turn to the `actionHook` of the previous answer's `gather` (by default
//! `/jambonz/gather`) as a `speechDetected` result with the transcript and its confidence, a
//! `dtmfDetected` one with the keys, or a `timeout` for a silence; `/jambonz/status` ends the call.
//! Requests carry the application's Basic credentials and the account's `Jambonz-Signature`
//! when given.
//!
//! What the robot said is read from the verbs (`say`, a `gather`'s prompt); what it decided from
//! the same headers as over Twilio ([`crate::http`]). SMS dialogues are not replayed this way:
//! over jambonz the reply to an SMS leaves through the outbox and the REST API, not in the
//! webhook's answer.

use guichet_connectors::jambonz;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use url::Url;

use crate::dialogue::CallerTurn;
use crate::http::{HttpOptions, NOW_HEADER, TRACE_HEADER, call_sid, trace};
use crate::observed::Observed;
use crate::replay::{Bot, CallInfo, ReplayError};

pub struct JambonzBot {
    options: HttpOptions,
    client: Client,
}

/// Per call: where the next turn goes.
pub struct JambonzCall {
    next: Url,
    turn: usize,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What a `say` speaks (a list of texts: jambonz picks one; the first here).
fn text_of(say: &Value) -> Option<String> {
    let text = match &say["text"] {
        Value::Array(texts) => texts.first().and_then(Value::as_str),
        text => text.as_str(),
    }?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn hook_of(value: &Value) -> Option<&str> {
    match value {
        Value::Object(hook) => hook.get("url").and_then(Value::as_str),
        other => other.as_str(),
    }
}

/// The texts said and the next `gather`'s actionHook (resolved against `url`).
pub fn read_verbs(verbs: &Value, url: &Url) -> Result<(Vec<String>, Option<Url>), ReplayError> {
    let verbs = verbs
        .as_array()
        .ok_or_else(|| ReplayError(format!("réponse de {url} : un tableau de verbes attendu")))?;
    let mut said = Vec::new();
    let mut next = None;
    for verb in verbs {
        match verb["verb"].as_str() {
            Some("say") => said.extend(text_of(verb)),
            Some("gather") => {
                if let Some(prompt) = verb.get("say") {
                    said.extend(text_of(prompt));
                }
                if let Some(hook) = hook_of(&verb["actionHook"]) {
                    next = Some(url.join(hook).map_err(|error| {
                        ReplayError(format!("actionHook « {hook} » : {error}"))
                    })?);
                }
            }
            _ => {}
        }
    }
    Ok((said, next))
}

impl JambonzBot {
    pub fn new(options: HttpOptions) -> Result<Self, ReplayError> {
        let client = Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|error| ReplayError(format!("client HTTP : {error}")))?;
        Ok(JambonzBot { options, client })
    }

    fn url(&self, path: &str) -> Result<Url, ReplayError> {
        self.options
            .base_url
            .join(path)
            .map_err(|error| ReplayError(format!("URL {path} : {error}")))
    }

    fn payload(&self, call: &CallInfo<'_>, status: &str) -> Value {
        json!({
            "call_sid": call_sid(call),
            "direction": "inbound",
            "from": call.dialogue.from,
            "to": self.options.to,
            "call_status": status,
            "account_sid": "guichet-eval",
        })
    }

    /// POSTs `payload` to `url` as jambonz does; the decision, actions and verbs of the answer.
    fn post(
        &self,
        url: &Url,
        payload: &Value,
        call: &CallInfo<'_>,
    ) -> Result<(Observed, Option<Url>), ReplayError> {
        let body = payload.to_string().into_bytes();
        let mut request = self
            .client
            .post(url.clone())
            .header("content-type", "application/json")
            .header(NOW_HEADER, call.dialogue.at.to_rfc3339())
            .header(TRACE_HEADER, "1");
        if let Some(secret) = &self.options.jambonz_secret {
            request = request.header(
                jambonz::SIGNATURE_HEADER,
                jambonz::auth::sign(secret, &body, unix_now()),
            );
        }
        if let Some(basic) = &self.options.jambonz_basic {
            request = request.header("authorization", jambonz::auth::basic_authorization(basic));
        }
        let response = request
            .body(body)
            .send()
            .map_err(|error| ReplayError(format!("POST {url} : {error}")))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().unwrap_or_default();
            return Err(ReplayError(format!(
                "POST {url} : HTTP {status} {}",
                body.chars().take(200).collect::<String>()
            )));
        }
        let (decision, actions) = trace(&response)?;
        let text = response
            .text()
            .map_err(|error| ReplayError(format!("réponse de {url} illisible : {error}")))?;
        let verbs: Value = if text.trim().is_empty() {
            json!([])
        } else {
            serde_json::from_str(&text).map_err(|error| {
                ReplayError(format!("réponse de {url} : JSON invalide ({error})"))
            })?
        };
        let (say, next) = read_verbs(&verbs, url)?;
        Ok((
            Observed {
                say,
                decision,
                actions,
            },
            next,
        ))
    }

    /// Ends the call as jambonz would (call status webhook); best effort.
    fn hang_up(&self, call: &CallInfo<'_>) {
        if let Ok(url) = self.url("jambonz/status") {
            let mut payload = self.payload(call, "completed");
            payload["call_termination_by"] = json!("caller");
            let _ = self.post(&url, &payload, call);
        }
    }
}

impl Bot for JambonzBot {
    type Call = JambonzCall;

    fn start(&self, call: &CallInfo<'_>) -> Result<(JambonzCall, Observed), ReplayError> {
        let url = self.url("jambonz/call")?;
        let (observed, next) = self.post(&url, &self.payload(call, "ringing"), call)?;
        let next = match next {
            Some(next) => next,
            None => self.url("jambonz/gather")?,
        };
        Ok((JambonzCall { next, turn: 0 }, observed))
    }

    fn turn(
        &self,
        state: &mut JambonzCall,
        call: &CallInfo<'_>,
        turn: &CallerTurn,
    ) -> Result<Observed, ReplayError> {
        state.turn += 1;
        let mut payload = self.payload(call, "in-progress");
        match (&turn.dtmf, turn.caller.trim().is_empty()) {
            (Some(digits), _) => {
                payload["reason"] = json!("dtmfDetected");
                payload["digits"] = json!(digits);
            }
            (None, true) => payload["reason"] = json!("timeout"),
            (None, false) => {
                let mut alternative = json!({"transcript": turn.caller});
                if let Some(confidence) = turn.asr_confidence {
                    alternative["confidence"] = json!(confidence);
                }
                payload["reason"] = json!("speechDetected");
                payload["speech"] = json!({"is_final": true, "alternatives": [alternative]});
            }
        }
        let url = state.next.clone();
        let (observed, next) = self.post(&url, &payload, call)?;
        if let Some(next) = next {
            state.next = next;
        }
        if state.turn == call.dialogue.turns.len() {
            self.hang_up(call);
        }
        Ok(observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_says_prompts_and_the_next_hook() {
        let url = Url::parse("http://127.0.0.1:8080/jambonz/call").unwrap();
        let verbs = json!([
            {"verb": "say", "text": "Bonjour."},
            {"verb": "gather", "actionHook": "/jambonz/gather?seq=1",
             "say": {"text": ["Que puis-je pour vous ?"]}},
            {"verb": "dial", "target": [{"type": "phone", "number": "+33130000000"}]},
        ]);
        let (said, next) = read_verbs(&verbs, &url).unwrap();
        assert_eq!(said, ["Bonjour.", "Que puis-je pour vous ?"]);
        assert_eq!(
            next.unwrap().as_str(),
            "http://127.0.0.1:8080/jambonz/gather?seq=1"
        );
        assert!(read_verbs(&json!({"verb": "say"}), &url).is_err());
    }
}
