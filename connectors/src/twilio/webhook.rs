//! Twilio webhooks, parsed. Each type keeps the provider ids the service needs for idempotency.

use guichet_agent::{Channel, Inbound};

use super::Form;
use crate::WebhookError;

/// `/twilio/voice`: a call starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call_sid: String,
    pub from: String,
    /// The number called: selects the commune.
    pub to: String,
}

impl IncomingCall {
    pub fn parse(form: &Form) -> Result<IncomingCall, WebhookError> {
        Ok(IncomingCall {
            call_sid: form.require("CallSid")?.to_string(),
            from: form
                .optional("From")
                .or_else(|| form.optional("Caller"))
                .unwrap_or("")
                .to_string(),
            to: form.require("To")?.to_string(),
        })
    }

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

/// How a `<Dial>` ended (`DialCallStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialCallStatus {
    /// `completed` or `answered`: the dialled party took the call.
    Answered,
    /// `busy`, `no-answer`, `failed` or `canceled` (the caller hung up while it rang).
    NotAnswered,
}

/// `/twilio/voice/dial`: the `<Dial action>` request, once the dial is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialResult {
    /// The caller's call (`CallSid` is the parent call; `To` the commune's number).
    pub call: IncomingCall,
    pub status: DialCallStatus,
}

impl DialResult {
    pub fn parse(form: &Form) -> Result<DialResult, WebhookError> {
        let status = match form.require("DialCallStatus")? {
            "completed" | "answered" => DialCallStatus::Answered,
            "busy" | "no-answer" | "failed" | "canceled" => DialCallStatus::NotAnswered,
            other => {
                return Err(WebhookError::InvalidField {
                    field: "DialCallStatus",
                    reason: format!("unknown status {other:?}"),
                });
            }
        };
        Ok(DialResult {
            call: IncomingCall::parse(form)?,
            status,
        })
    }
}

/// `/twilio/voice/turn`: the result of a `<Gather>` (speech, keys, or nothing at all).
#[derive(Debug, Clone, PartialEq)]
pub struct GatherResult {
    pub call: IncomingCall,
    /// Empty on a silence (`actionOnEmptyResult`).
    pub speech: String,
    pub confidence: Option<f32>,
    pub digits: Option<String>,
}

impl GatherResult {
    pub fn parse(form: &Form) -> Result<GatherResult, WebhookError> {
        let confidence = match form.optional("Confidence") {
            None => None,
            Some(raw) => Some(parse_confidence(raw)?),
        };
        Ok(GatherResult {
            call: IncomingCall::parse(form)?,
            speech: crate::text::caller_text(form.optional("SpeechResult").unwrap_or("")),
            confidence,
            digits: form.optional("Digits").map(str::to_string),
        })
    }

    pub fn inbound(&self, tenant: &str) -> Inbound {
        Inbound {
            text: self.speech.clone(),
            asr_confidence: self.confidence,
            dtmf: self.digits.clone(),
            ..self.call.inbound(tenant)
        }
    }
}

fn parse_confidence(raw: &str) -> Result<f32, WebhookError> {
    match raw.trim().parse::<f32>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(WebhookError::InvalidField {
            field: "Confidence",
            reason: format!("{raw:?} is not a number in [0, 1]"),
        }),
    }
}

/// `/twilio/sms`: an incoming text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingSms {
    pub message_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
}

impl IncomingSms {
    pub fn parse(form: &Form) -> Result<IncomingSms, WebhookError> {
        Ok(IncomingSms {
            message_sid: form
                .optional("MessageSid")
                .or_else(|| form.optional("SmsSid"))
                .ok_or(WebhookError::MissingField("MessageSid"))?
                .to_string(),
            from: form.require("From")?.to_string(),
            to: form.require("To")?.to_string(),
            body: crate::text::caller_text(form.get("Body").unwrap_or("")),
        })
    }

    /// `conversation_id` is chosen by the service (SMS conversations are keyed by number).
    pub fn inbound(&self, tenant: &str, conversation_id: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Sms,
            conversation_id: conversation_id.to_string(),
            from: self.from.clone(),
            text: self.body.clone(),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

/// `/twilio/status` for calls: `CallStatus` is final for completed, busy, failed, no-answer, canceled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatus {
    pub call_sid: String,
    pub status: String,
    pub duration_seconds: Option<u32>,
}

impl CallStatus {
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "busy" | "failed" | "no-answer" | "canceled"
        )
    }
}

/// `/twilio/status` for messages: delivery reports of the SMS we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatus {
    pub message_sid: String,
    pub status: String,
    pub error_code: Option<String>,
}

impl MessageStatus {
    pub fn delivery(&self) -> crate::DeliveryState {
        match self.status.as_str() {
            "delivered" | "read" => crate::DeliveryState::Delivered,
            "failed" | "undelivered" | "canceled" => crate::DeliveryState::Failed,
            _ => crate::DeliveryState::Sent,
        }
    }
}

/// A status callback: Twilio posts both kinds to `/twilio/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusCallback {
    Call(CallStatus),
    Message(MessageStatus),
}

impl StatusCallback {
    pub fn parse(form: &Form) -> Result<StatusCallback, WebhookError> {
        if let Some(status) = form
            .optional("MessageStatus")
            .or_else(|| form.optional("SmsStatus"))
        {
            let message_sid = form
                .optional("MessageSid")
                .or_else(|| form.optional("SmsSid"))
                .ok_or(WebhookError::MissingField("MessageSid"))?;
            return Ok(StatusCallback::Message(MessageStatus {
                message_sid: message_sid.to_string(),
                status: status.to_string(),
                error_code: form.optional("ErrorCode").map(str::to_string),
            }));
        }
        Ok(StatusCallback::Call(CallStatus {
            call_sid: form.require("CallSid")?.to_string(),
            status: form.require("CallStatus")?.to_string(),
            duration_seconds: form.optional("CallDuration").and_then(|d| d.parse().ok()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn dial_results_answered_or_not() {
        let dial = |status: &str| {
            DialResult::parse(&form(&[
                ("CallSid", "CA42"),
                ("From", "+33612345678"),
                ("To", "+33130000001"),
                ("DialCallStatus", status),
            ]))
        };
        for status in ["completed", "answered"] {
            assert_eq!(dial(status).unwrap().status, DialCallStatus::Answered);
        }
        for status in ["busy", "no-answer", "failed", "canceled"] {
            assert_eq!(dial(status).unwrap().status, DialCallStatus::NotAnswered);
        }
        let result = dial("busy").unwrap();
        assert_eq!(result.call.call_sid, "CA42");
        assert_eq!(result.call.to, "+33130000001");
        assert!(matches!(
            dial("ringing"),
            Err(WebhookError::InvalidField {
                field: "DialCallStatus",
                ..
            })
        ));
        let missing = DialResult::parse(&form(&[("CallSid", "CA42"), ("To", "+33130000001")]));
        assert_eq!(missing, Err(WebhookError::MissingField("DialCallStatus")));
    }

    #[test]
    fn gather_with_speech() {
        let result = GatherResult::parse(&form(&[
            ("CallSid", "CA42"),
            ("From", "+33612345678"),
            ("To", "+33130000001"),
            ("SpeechResult", "je voudrais refaire mon passeport"),
            ("Confidence", "0.9123"),
        ]))
        .unwrap();
        let inbound = result.inbound("demo");
        assert_eq!(inbound.text, "je voudrais refaire mon passeport");
        assert_eq!(inbound.conversation_id, "CA42");
        assert_eq!(inbound.channel, Channel::Voice);
        assert!((inbound.asr_confidence.unwrap() - 0.9123).abs() < 1e-6);
        assert_eq!(inbound.dtmf, None);
    }

    #[test]
    fn gather_silence_and_digits() {
        let silence = GatherResult::parse(&form(&[
            ("CallSid", "CA1"),
            ("From", "+33612345678"),
            ("To", "+33130000001"),
        ]))
        .unwrap();
        assert_eq!(silence.inbound("demo").text, "");
        let digits = GatherResult::parse(&form(&[
            ("CallSid", "CA1"),
            ("From", "x"),
            ("To", "y"),
            ("Digits", "0"),
        ]))
        .unwrap();
        assert_eq!(digits.inbound("demo").dtmf.as_deref(), Some("0"));
    }

    #[test]
    fn bad_fields_are_clear_errors() {
        assert_eq!(
            GatherResult::parse(&form(&[("To", "y")])),
            Err(WebhookError::MissingField("CallSid"))
        );
        assert!(matches!(
            GatherResult::parse(&form(&[
                ("CallSid", "CA1"),
                ("To", "y"),
                ("Confidence", "high")
            ])),
            Err(WebhookError::InvalidField {
                field: "Confidence",
                ..
            })
        ));
    }

    #[test]
    fn sms_and_status_callbacks() {
        let sms = IncomingSms::parse(&form(&[
            ("MessageSid", "SM1"),
            ("From", "+33612345678"),
            ("To", "+33130000001"),
            ("Body", " horaires "),
        ]))
        .unwrap();
        assert_eq!(sms.inbound("demo", "sms:+33612345678").text, "horaires");
        let call = StatusCallback::parse(&form(&[
            ("CallSid", "CA1"),
            ("CallStatus", "completed"),
            ("CallDuration", "42"),
        ]))
        .unwrap();
        assert!(
            matches!(call, StatusCallback::Call(ref c) if c.is_final() && c.duration_seconds == Some(42))
        );
        let message = StatusCallback::parse(&form(&[
            ("MessageSid", "SM9"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
        ]))
        .unwrap();
        assert!(
            matches!(message, StatusCallback::Message(ref m) if m.delivery() == crate::DeliveryState::Failed)
        );
    }
}
