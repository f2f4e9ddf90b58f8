//! jambonz webhooks, parsed. jambonz POSTs JSON (`Content-Type: application/json`) with the call's
//! information in snake_case, plus what the hook is about.
//!
//! Where each shape comes from:
//! - the call webhook: <https://docs.jambonz.org/reference/webhooks/call-hook-post> (`call_sid`,
//!   `direction`, `from`, `to`, `caller_name`, `call_status`, and for a POST the SIP INVITE under
//!   `sip`), and `lib/middleware.js` of jambonz-feature-server, which builds it;
//! - every actionHook carries the same call information (`callbacks/base.schema.json` of the
//!   @jambonz/schema package) plus its verb's results:
//!   - `gather`: <https://docs.jambonz.org/verbs/verbs/gather> and `callbacks/gather.schema.json`
//!     (`reason`: `speechDetected`, `dtmfDetected`, `timeout`, `error`, `stt-low-confidence`;
//!     `speech.alternatives[].transcript` / `.confidence`; `digits`);
//!   - `dial`: `callbacks/dial.schema.json` (`dial_call_status`, `dial_sip_status`,
//!     `dial_call_sid`);
//! - the call status webhook: `callbacks/call-status.schema.json` (`call_status`, `duration`,
//!   `call_termination_by`; sent for both legs of a bridged call, `direction` tells them apart);
//! - the messaging webhook (inbound SMS through an SMPP carrier):
//!   `lib/http-routes/api/messaging.js` of jambonz-feature-server (`message_sid`, `from`, `to`,
//!   `text`, `carrier`).
//!
//! Unknown extra properties are ignored (jambonz adds fields over time); a missing required field,
//! a value of the wrong type or an unknown enumerated value is a clear [`WebhookError`]. Numbers
//! come as the trunk spells them and are handed to the engine in E.164 ([`stored_number`]).

use std::collections::BTreeMap;

use guichet_agent::{Channel, Inbound};
use guichet_phone::stored_number;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::MAX_WEBHOOK_BYTES;
use crate::WebhookError;

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    if body.len() > MAX_WEBHOOK_BYTES {
        return Err(WebhookError::InvalidField {
            field: "body",
            reason: format!(
                "{} bytes, more than the {MAX_WEBHOOK_BYTES} a jambonz webhook may have",
                body.len()
            ),
        });
    }
    // serde would also take a struct from an array of its fields: only an object is a webhook.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(WebhookError::MalformedJson(
            "a jambonz webhook is a JSON object".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| WebhookError::MalformedJson(e.to_string()))
}

fn required(value: Option<String>, field: &'static str) -> Result<String, WebhookError> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingField(field))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn invalid(field: &'static str, value: &str, expected: &str) -> WebhookError {
    WebhookError::InvalidField {
        field,
        reason: format!("{value:?} is not one of {expected}"),
    }
}

/// What a caller said or typed, as the engine receives it: the crate's one rule
/// ([`crate::text::caller_text`]), called from this connector's one place.
fn caller_text(raw: &str) -> String {
    crate::text::caller_text(raw)
}

/// Which leg a webhook is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The caller's leg (the call came in from the trunk).
    Inbound,
    /// A leg jambonz placed: the standard's phone during a transfer.
    Outbound,
}

/// The call information every call webhook and actionHook carries (`callbacks/base`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    pub call_sid: String,
    pub direction: Direction,
    /// The caller, in E.164 when the trunk gave a number (`anonymous` otherwise).
    pub from: String,
    /// The number called, in E.164 when it is one: selects the commune.
    pub to: String,
    /// `trying`, `ringing`, `early-media`, `in-progress`, `completed`, `failed`, `busy`,
    /// `no-answer` or `queued`, when given.
    pub call_status: Option<String>,
    /// The A leg's call sid, on a leg placed by `dial`.
    pub parent_call_sid: Option<String>,
    /// The jambonz carrier the call came through.
    pub trunk: Option<String>,
}

/// Every field of the hooks this module reads, as jambonz sends them: one pass over the body,
/// whatever the hook (what a hook does not read is skipped without being kept).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawHook {
    call_sid: Option<String>,
    direction: Option<String>,
    from: Option<String>,
    to: Option<String>,
    call_status: Option<String>,
    parent_call_sid: Option<String>,
    originating_sip_trunk_name: Option<String>,
    // The call webhook.
    caller_name: Option<String>,
    sip: Option<RawSip>,
    // The gather actionHook.
    reason: Option<String>,
    speech: Option<RawSpeech>,
    digits: Option<String>,
    // The dial actionHook.
    dial_call_status: Option<String>,
    dial_sip_status: Option<u16>,
    dial_call_sid: Option<String>,
    // The call status webhook.
    duration: Option<u32>,
    call_termination_by: Option<String>,
    // The messaging webhook.
    message_sid: Option<String>,
    text: Option<String>,
    carrier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawSip {
    #[serde(default)]
    headers: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawSpeech {
    #[serde(default)]
    alternatives: Option<Vec<Alternative>>,
}

const CALL_STATUSES: &[&str] = &[
    "trying",
    "ringing",
    "early-media",
    "in-progress",
    "completed",
    "failed",
    "busy",
    "no-answer",
    "queued",
];

impl RawHook {
    /// The call information, validated.
    fn call(&mut self) -> Result<CallInfo, WebhookError> {
        let direction = match required(self.direction.take(), "direction")?.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            other => return Err(invalid("direction", other, "inbound, outbound")),
        };
        let call_status = non_empty(self.call_status.take());
        if let Some(status) = &call_status
            && !CALL_STATUSES.contains(&status.as_str())
        {
            return Err(invalid("call_status", status, &CALL_STATUSES.join(", ")));
        }
        Ok(CallInfo {
            call_sid: required(self.call_sid.take(), "call_sid")?,
            direction,
            // A withheld number may come as an empty `from`.
            from: stored_number(self.from.as_deref().unwrap_or("")),
            to: stored_number(&required(self.to.take(), "to")?),
            call_status,
            parent_call_sid: non_empty(self.parent_call_sid.take()),
            trunk: non_empty(self.originating_sip_trunk_name.take()),
        })
    }
}

impl CallInfo {
    /// A voice turn of this call with nothing said yet.
    pub fn inbound(&self, tenant: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Voice,
            conversation_id: self.call_sid.clone(),
            from: self.from.clone(),
            text: String::new(),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

/// The call webhook (the application's `call_hook`): a call starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallHook {
    pub call: CallInfo,
    /// The caller's display name from the INVITE, when the trunk gives one.
    pub caller_name: Option<String>,
    /// The INVITE's headers (`sip.headers`), names in lower case; only headers with a text value.
    pub sip_headers: BTreeMap<String, String>,
}

impl CallHook {
    pub fn parse(body: &[u8]) -> Result<CallHook, WebhookError> {
        let mut raw: RawHook = parse_json(body)?;
        let call = raw.call()?;
        let sip_headers = raw
            .sip
            .map(|sip| sip.headers)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, value)| match value {
                serde_json::Value::String(text) => Some((name.to_ascii_lowercase(), text)),
                _ => None,
            })
            .collect();
        Ok(CallHook {
            call,
            caller_name: non_empty(raw.caller_name).map(|n| n.trim().to_string()),
            sip_headers,
        })
    }

    /// A header of the INVITE, by its name in any case.
    pub fn sip_header(&self, name: &str) -> Option<&str> {
        self.sip_headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn inbound(&self, tenant: &str) -> Inbound {
        self.call.inbound(tenant)
    }
}

/// Why a `gather` ended (`reason` of its actionHook).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherReason {
    SpeechDetected,
    DtmfDetected,
    /// Nothing was said or typed before `timeout`: a silence.
    Timeout,
    /// The recogniser failed (`details` says why): treated as a silence.
    Error,
    /// Speech under the recogniser's `minConfidence`: its transcript still comes.
    LowConfidence,
}

impl GatherReason {
    fn parse(raw: &str) -> Result<GatherReason, WebhookError> {
        Ok(match raw {
            "speechDetected" => GatherReason::SpeechDetected,
            "dtmfDetected" => GatherReason::DtmfDetected,
            "timeout" => GatherReason::Timeout,
            "error" => GatherReason::Error,
            "stt-low-confidence" => GatherReason::LowConfidence,
            other => {
                return Err(invalid(
                    "reason",
                    other,
                    "speechDetected, dtmfDetected, timeout, error, stt-low-confidence",
                ));
            }
        })
    }
}

/// One transcription of the recogniser.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Alternative {
    #[serde(default)]
    pub transcript: String,
    /// In [0, 1] per the schema; odd values from a vendor are clamped, non-finite ones dropped.
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// The `gather` actionHook: what the caller said (or typed, or nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct GatherResult {
    pub call: CallInfo,
    pub reason: GatherReason,
    /// The recogniser's transcriptions, best first (empty unless speech was detected).
    pub alternatives: Vec<Alternative>,
    /// The keys pressed (`dtmfDetected`).
    pub digits: Option<String>,
}

fn is_dtmf(digits: &str) -> bool {
    digits
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
}

impl GatherResult {
    pub fn parse(body: &[u8]) -> Result<GatherResult, WebhookError> {
        let mut raw: RawHook = parse_json(body)?;
        let call = raw.call()?;
        let reason = GatherReason::parse(&required(raw.reason, "reason")?)?;
        let alternatives = match reason {
            GatherReason::SpeechDetected | GatherReason::LowConfidence => raw
                .speech
                .and_then(|speech| speech.alternatives)
                .ok_or(WebhookError::MissingField("speech.alternatives"))?,
            _ => Vec::new(),
        };
        let digits = match reason {
            GatherReason::DtmfDetected => {
                let digits = required(raw.digits, "digits")?;
                if !is_dtmf(&digits) {
                    return Err(WebhookError::InvalidField {
                        field: "digits",
                        reason: format!("{digits:?} holds a key no phone has"),
                    });
                }
                Some(digits)
            }
            _ => None,
        };
        Ok(GatherResult {
            call,
            reason,
            alternatives,
            digits,
        })
    }

    /// The best transcription that says something (jambonz sorts them best first).
    pub fn best(&self) -> Option<&Alternative> {
        self.alternatives
            .iter()
            .find(|a| !a.transcript.trim().is_empty())
    }

    pub fn inbound(&self, tenant: &str) -> Inbound {
        let best = self.best();
        Inbound {
            text: best.map(|a| caller_text(&a.transcript)).unwrap_or_default(),
            asr_confidence: best
                .and_then(|a| a.confidence)
                .filter(|c| c.is_finite())
                .map(|c| c.clamp(0.0, 1.0) as f32),
            dtmf: self.digits.clone(),
            ..self.call.inbound(tenant)
        }
    }
}

/// How the dialled leg of a transfer ended (`dial_call_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialStatus {
    /// Answered, then hung up: the caller spoke with the standard.
    Completed,
    Busy,
    NoAnswer,
    Failed,
    /// A non-final state (`trying`, `ringing`, `early-media`, `in-progress`).
    InProgress,
}

/// The `dial` actionHook: the outcome of a transfer to the standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialResult {
    pub call: CallInfo,
    pub status: DialStatus,
    /// The SIP answer of the dialled party (200, 486 busy, 487 cancelled, 480…).
    pub sip_status: Option<u16>,
    pub dial_call_sid: Option<String>,
}

impl DialResult {
    pub fn parse(body: &[u8]) -> Result<DialResult, WebhookError> {
        let mut raw: RawHook = parse_json(body)?;
        let call = raw.call()?;
        let status = match required(raw.dial_call_status, "dial_call_status")?.as_str() {
            "completed" => DialStatus::Completed,
            "busy" => DialStatus::Busy,
            "no-answer" => DialStatus::NoAnswer,
            "failed" => DialStatus::Failed,
            "trying" | "ringing" | "early-media" | "in-progress" => DialStatus::InProgress,
            other => {
                return Err(invalid(
                    "dial_call_status",
                    other,
                    "completed, failed, busy, no-answer, trying, ringing, early-media, in-progress",
                ));
            }
        };
        Ok(DialResult {
            call,
            status,
            sip_status: raw.dial_sip_status,
            dial_call_sid: non_empty(raw.dial_call_sid),
        })
    }

    /// Whether a standardiste took the call. Otherwise the caller is still on the line and
    /// needs another next step (a callback ticket).
    pub fn connected(&self) -> bool {
        self.status == DialStatus::Completed
    }
}

/// The call status webhook (the application's `call_status_hook`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatus {
    pub call: CallInfo,
    pub status: String,
    /// Seconds, on the final event.
    pub duration_seconds: Option<u32>,
    /// `caller` or `jambonz`, on the final event.
    pub terminated_by: Option<String>,
}

impl CallStatus {
    pub fn parse(body: &[u8]) -> Result<CallStatus, WebhookError> {
        let mut raw: RawHook = parse_json(body)?;
        let call = raw.call()?;
        let status = call
            .call_status
            .clone()
            .ok_or(WebhookError::MissingField("call_status"))?;
        Ok(CallStatus {
            call,
            status,
            duration_seconds: raw.duration,
            terminated_by: non_empty(raw.call_termination_by),
        })
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "failed" | "busy" | "no-answer"
        )
    }

    /// Whether the caller's call is over: the final event of the inbound leg (the end of the
    /// standard's leg after a transfer says nothing about the conversation).
    pub fn ends_conversation(&self) -> bool {
        self.is_final() && self.call.direction == Direction::Inbound
    }
}

/// The messaging webhook (the application's `messaging_hook`): an SMS came in through the
/// account's SMPP carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    pub message_sid: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub carrier: Option<String>,
}

impl IncomingMessage {
    pub fn parse(body: &[u8]) -> Result<IncomingMessage, WebhookError> {
        let raw: RawHook = parse_json(body)?;
        Ok(IncomingMessage {
            message_sid: required(raw.message_sid, "message_sid")?,
            from: stored_number(&required(raw.from, "from")?),
            to: stored_number(&required(raw.to, "to")?),
            // An MMS may come with media only.
            text: caller_text(raw.text.as_deref().unwrap_or("")),
            carrier: non_empty(raw.carrier),
        })
    }

    /// `conversation_id` is chosen by the service (SMS conversations are keyed by number).
    pub fn inbound(&self, tenant: &str, conversation_id: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Sms,
            conversation_id: conversation_id.to_string(),
            from: self.from.clone(),
            text: self.text.clone(),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
