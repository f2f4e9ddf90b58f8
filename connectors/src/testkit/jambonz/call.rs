//! One call driven by the fake jambonz: the verbs of each answer run until the call waits for
//! the caller, for a transfer's outcome, or ends.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::{Value, json};

use super::payloads::{call_info, call_webhook, merge};
use super::{Exchange, FakeError, FakeJambonz, refused};

/// More redirects in a row than this is a loop.
const MAX_REDIRECTS: usize = 10;

/// How a transfer ends, as the dialled leg reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// A standardiste answered (then hung up).
    Answered,
    Busy,
    NoAnswer,
    Failed,
}

#[derive(Debug)]
enum Waiting {
    Nothing,
    Gather {
        hook: String,
        language: String,
    },
    Dial {
        verb: Value,
        hook: Option<String>,
        rest: VecDeque<Value>,
    },
}

/// One call in progress.
#[derive(Debug)]
pub struct FakeCall {
    jambonz: FakeJambonz,
    call_sid: String,
    from: String,
    to: String,
    started: Instant,
    turns: Vec<Exchange>,
    statuses: Vec<Exchange>,
    waiting: Waiting,
    said: Vec<String>,
    messages: Vec<Value>,
    ended_by: Option<&'static str>,
}

fn hook_of(value: &Value) -> String {
    match value {
        Value::Object(hook) => hook.get("url").and_then(Value::as_str),
        other => other.as_str(),
    }
    .unwrap_or_default()
    .to_string()
}

/// What a `say` speaks (a list of texts: jambonz picks one; the fake the first).
fn text_of(say: &Value) -> String {
    match &say["text"] {
        Value::Array(texts) => texts.first().and_then(Value::as_str).unwrap_or_default(),
        text => text.as_str().unwrap_or_default(),
    }
    .to_string()
}

impl FakeCall {
    /// A call from `from` to `to`: the call webhook, then its verbs run until the call waits for
    /// the caller (a `gather`), for a transfer's outcome (a `dial`), or ends.
    pub(super) async fn start(
        jambonz: &FakeJambonz,
        from: &str,
        to: &str,
    ) -> Result<FakeCall, FakeError> {
        let mut call = FakeCall {
            jambonz: jambonz.clone(),
            call_sid: jambonz.sid(),
            from: from.to_string(),
            to: to.to_string(),
            started: Instant::now(),
            turns: Vec::new(),
            statuses: Vec::new(),
            waiting: Waiting::Nothing,
            said: Vec::new(),
            messages: Vec::new(),
            ended_by: None,
        };
        let answer = jambonz
            .post(
                &jambonz.app.call_hook,
                call_webhook(&call.call_sid, from, to),
            )
            .await?;
        let verbs = answer.verbs.clone();
        call.turns.push(answer);
        call.status("in-progress", None).await?;
        call.run(verbs).await?;
        Ok(call)
    }

    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    /// The exchanges that gave verbs (call webhook, actionHooks, redirects), in order.
    pub fn turns(&self) -> &[Exchange] {
        &self.turns
    }

    /// The latest of [`FakeCall::turns`].
    pub fn last(&self) -> &Exchange {
        self.turns.last().expect("a call has its call webhook")
    }

    /// The call status webhooks sent, in order.
    pub fn statuses(&self) -> &[Exchange] {
        &self.statuses
    }

    /// Everything said since the caller's last input, `say` and `gather` prompts joined.
    pub fn said(&self) -> String {
        self.said.join(" ")
    }

    /// Whether a `gather` waits for the caller.
    pub fn listening(&self) -> bool {
        matches!(self.waiting, Waiting::Gather { .. })
    }

    /// The `dial` verb of a transfer waiting for its outcome.
    pub fn transfer(&self) -> Option<&Value> {
        match &self.waiting {
            Waiting::Dial { verb, .. } => Some(verb),
            _ => None,
        }
    }

    /// The `message` verbs run during the call.
    pub fn messages(&self) -> &[Value] {
        &self.messages
    }

    /// Whether the call is over, and who ended it (`caller` or `jambonz`).
    pub fn ended(&self) -> bool {
        self.ended_by.is_some()
    }

    pub fn ended_by(&self) -> Option<&'static str> {
        self.ended_by
    }

    fn info(&self, status: &str) -> Value {
        call_info(&self.call_sid, &self.from, &self.to, status)
    }

    async fn status(&mut self, status: &str, extra: Option<Value>) -> Result<(), FakeError> {
        let payload = merge(self.info(status), extra.unwrap_or(Value::Null));
        let hook = self.jambonz.app.status_hook.clone();
        let exchange = self.jambonz.notify(&hook, payload).await?;
        self.statuses.push(exchange);
        Ok(())
    }

    async fn end(&mut self, by: &'static str) -> Result<(), FakeError> {
        self.waiting = Waiting::Nothing;
        self.ended_by = Some(by);
        let duration = self.started.elapsed().as_secs();
        self.status(
            "completed",
            Some(json!({"duration": duration, "call_termination_by": by})),
        )
        .await
    }

    /// Runs verbs until the call waits or ends.
    async fn run(&mut self, verbs: Vec<Value>) -> Result<(), FakeError> {
        let mut queue = VecDeque::from(verbs);
        let mut redirects = 0;
        while let Some(verb) = queue.pop_front() {
            match verb["verb"].as_str().unwrap_or_default() {
                "say" => self.said.push(text_of(&verb)),
                "message" => self.messages.push(verb),
                "gather" => {
                    if let Some(prompt) = verb.get("say") {
                        self.said.push(text_of(prompt));
                    }
                    let language = verb
                        .pointer("/recognizer/language")
                        .and_then(Value::as_str)
                        .unwrap_or("fr-FR")
                        .to_string();
                    self.waiting = Waiting::Gather {
                        hook: hook_of(&verb["actionHook"]),
                        language,
                    };
                    return Ok(());
                }
                "dial" => {
                    let hook = verb.get("actionHook").map(hook_of);
                    self.waiting = Waiting::Dial {
                        verb,
                        hook,
                        rest: queue,
                    };
                    return Ok(());
                }
                "redirect" => {
                    redirects += 1;
                    let hook = hook_of(&verb["actionHook"]);
                    if redirects > MAX_REDIRECTS {
                        return Err(refused(&hook, "redirects loop"));
                    }
                    let answer = self.jambonz.post(&hook, self.info("in-progress")).await?;
                    queue = answer.verbs.clone().into();
                    self.turns.push(answer);
                }
                "hangup" => return self.end("jambonz").await,
                // pause, play, tag: nothing to record.
                _ => {}
            }
        }
        // No verb left: jambonz hangs up.
        self.end("jambonz").await
    }

    async fn gather_result(&mut self, result: Value) -> Result<&Exchange, FakeError> {
        let Waiting::Gather { hook, .. } = std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return Err(refused(
                &self.call_sid,
                "nothing listens: no gather is running",
            ));
        };
        let answer = self
            .jambonz
            .post(&hook, merge(self.info("in-progress"), result))
            .await?;
        self.said.clear();
        let verbs = answer.verbs.clone();
        self.turns.push(answer);
        self.run(verbs).await?;
        Ok(self.last())
    }

    fn language(&self) -> &str {
        match &self.waiting {
            Waiting::Gather { language, .. } => language,
            _ => "fr-FR",
        }
    }

    /// The caller says `transcript` (recognised with confidence 0.92).
    pub async fn say(&mut self, transcript: &str) -> Result<&Exchange, FakeError> {
        self.say_with_confidence(transcript, 0.92).await
    }

    pub async fn say_with_confidence(
        &mut self,
        transcript: &str,
        confidence: f64,
    ) -> Result<&Exchange, FakeError> {
        let speech = json!({
            "reason": "speechDetected",
            "speech": {
                "language_code": self.language(),
                "channel_tag": 1,
                "is_final": true,
                "alternatives": [{"transcript": transcript, "confidence": confidence}],
                "vendor": {"name": "google"},
            },
        });
        self.gather_result(speech).await
    }

    /// The caller presses keys (`"0"`: a human).
    pub async fn press(&mut self, digits: &str) -> Result<&Exchange, FakeError> {
        self.gather_result(json!({"reason": "dtmfDetected", "digits": digits}))
            .await
    }

    /// The caller says nothing until the gather's timeout.
    pub async fn stay_silent(&mut self) -> Result<&Exchange, FakeError> {
        self.gather_result(json!({"reason": "timeout"})).await
    }

    /// The transfer ends: the dial's actionHook hears it (its answer runs next), or without one
    /// the verbs after the `dial` run.
    pub async fn end_transfer(&mut self, outcome: DialOutcome) -> Result<(), FakeError> {
        let Waiting::Dial { verb, hook, rest } =
            std::mem::replace(&mut self.waiting, Waiting::Nothing)
        else {
            return Err(refused(&self.call_sid, "no transfer is running"));
        };
        let (status, sip_status) = match outcome {
            DialOutcome::Answered => ("completed", 200),
            DialOutcome::Busy => ("busy", 486),
            DialOutcome::NoAnswer => ("no-answer", 487),
            DialOutcome::Failed => ("failed", 503),
        };
        let dialled = self.jambonz.sid();
        if outcome == DialOutcome::Answered {
            // The standard's leg reports its own end to the status webhook.
            let number = verb
                .pointer("/target/0/number")
                .or_else(|| verb.pointer("/target/0/sipUri"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut leg = call_info(&dialled, &self.from, number, "completed");
            leg["direction"] = json!("outbound");
            leg["parent_call_sid"] = json!(self.call_sid);
            let hook = self.jambonz.app.status_hook.clone();
            let exchange = self.jambonz.notify(&hook, leg).await?;
            self.statuses.push(exchange);
        }
        self.said.clear();
        let verbs = match hook {
            Some(hook) => {
                let result = json!({
                    "dial_call_status": status,
                    "dial_sip_status": sip_status,
                    "dial_call_sid": dialled,
                });
                let answer = self
                    .jambonz
                    .post(&hook, merge(self.info("in-progress"), result))
                    .await?;
                let verbs = answer.verbs.clone();
                self.turns.push(answer);
                // An empty answer lets the verbs after the dial run.
                if verbs.is_empty() { rest.into() } else { verbs }
            }
            None => rest.into(),
        };
        self.run(verbs).await
    }

    /// The caller hangs up now.
    pub async fn hang_up(&mut self) -> Result<(), FakeError> {
        if self.ended() {
            return Err(refused(&self.call_sid, "the call has already ended"));
        }
        self.end("caller").await
    }
}
