//! Vonage webhooks, parsed. Numbers arrive without `+`; we hand E.164 to the engine.

use guichet_agent::{Channel, Inbound};
use guichet_phone::stored_number;
use serde::{Deserialize, Deserializer};

use crate::WebhookError;

fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, WebhookError> {
    serde_json::from_slice(body).map_err(|e| WebhookError::MalformedJson(e.to_string()))
}

/// The answer URL: a call starts. Vonage sends it as a GET query string or a POST JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AnswerRequest {
    pub uuid: String,
    #[serde(default)]
    pub conversation_uuid: String,
    #[serde(default)]
    pub from: String,
    pub to: String,
}

impl AnswerRequest {
    pub fn from_query(query: &str) -> Result<AnswerRequest, WebhookError> {
        serde_urlencoded::from_str(query).map_err(|e| WebhookError::MalformedForm(e.to_string()))
    }

    pub fn from_json(body: &[u8]) -> Result<AnswerRequest, WebhookError> {
        json(body)
    }

    pub fn inbound(&self, tenant: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Voice,
            conversation_id: self.uuid.clone(),
            from: stored_number(&self.from),
            text: String::new(),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

/// `confidence` arrives as `"0.87"` or `0.87` depending on the API version.
fn number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f32),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Raw::Text(text)) => text
            .trim()
            .parse::<f32>()
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpeechResult {
    #[serde(default)]
    pub text: String,
    #[serde(default, deserialize_with = "number_or_string")]
    pub confidence: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Speech {
    #[serde(default)]
    pub results: Vec<SpeechResult>,
    #[serde(default)]
    pub timeout_reason: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Dtmf {
    #[serde(default)]
    pub digits: Option<String>,
    #[serde(default)]
    pub timed_out: Option<bool>,
}

/// `/vonage/input`: the result of an `input` action (speech, keys, or nothing).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InputEvent {
    pub uuid: String,
    #[serde(default)]
    pub conversation_uuid: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub speech: Option<Speech>,
    #[serde(default)]
    pub dtmf: Option<Dtmf>,
}

impl InputEvent {
    pub fn parse(body: &[u8]) -> Result<InputEvent, WebhookError> {
        json(body)
    }

    /// The best transcription (Vonage sorts results by confidence, best first).
    pub fn best(&self) -> Option<&SpeechResult> {
        self.speech
            .as_ref()?
            .results
            .iter()
            .find(|r| !r.text.trim().is_empty())
    }

    pub fn inbound(&self, tenant: &str) -> Inbound {
        let best = self.best();
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Voice,
            conversation_id: self.uuid.clone(),
            from: stored_number(&self.from),
            text: best
                .map(|r| crate::text::caller_text(&r.text))
                .unwrap_or_default(),
            // "NaN" or an overflowing number says nothing about the recognition: unknown.
            asr_confidence: best
                .and_then(|r| r.confidence)
                .filter(|c| c.is_finite())
                .map(|c| c.clamp(0.0, 1.0)),
            dtmf: self
                .dtmf
                .as_ref()
                .and_then(|d| d.digits.clone())
                .filter(|d| !d.is_empty()),
        }
    }
}

/// `/vonage/event`: call progress (`started`, `ringing`, `answered`, `completed`…).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallEvent {
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub conversation_uuid: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

impl CallEvent {
    pub fn parse(body: &[u8]) -> Result<CallEvent, WebhookError> {
        json(body)
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some(
                "completed"
                    | "busy"
                    | "cancelled"
                    | "failed"
                    | "rejected"
                    | "timeout"
                    | "unanswered"
            )
        )
    }
}

/// `/vonage/sms`: an inbound SMS, in the Messages API shape (`message_uuid`, `from`, `text`) or the
/// SMS API shape (`messageId`, `msisdn`, `text`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncomingSms {
    #[serde(alias = "messageId")]
    pub message_uuid: String,
    #[serde(alias = "msisdn")]
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub text: String,
}

impl IncomingSms {
    pub fn parse(body: &[u8]) -> Result<IncomingSms, WebhookError> {
        json(body)
    }

    pub fn inbound(&self, tenant: &str, conversation_id: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: Channel::Sms,
            conversation_id: conversation_id.to_string(),
            from: stored_number(&self.from),
            text: crate::text::caller_text(&self.text),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

/// Messages API status webhook for an SMS we sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageStatus {
    pub message_uuid: String,
    pub status: String,
}

impl MessageStatus {
    pub fn parse(body: &[u8]) -> Result<MessageStatus, WebhookError> {
        json(body)
    }

    pub fn delivery(&self) -> crate::DeliveryState {
        match self.status.as_str() {
            "delivered" | "read" => crate::DeliveryState::Delivered,
            "rejected" | "undeliverable" | "failed" => crate::DeliveryState::Failed,
            _ => crate::DeliveryState::Sent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_confidence_as_string_or_number() {
        let as_string = InputEvent::parse(
            r#"{"speech":{"timeout_reason":"end_on_silence_timeout","results":[{"confidence":"0.93","text":"mon passeport est expiré"}]},
                "dtmf":{"digits":null,"timed_out":false},"from":"33612345678","to":"33130000001",
                "uuid":"aaaa","conversation_uuid":"CON-1","timestamp":"2026-03-10T09:15:00.000Z"}"#
                .as_bytes(),
        )
        .unwrap();
        let inbound = as_string.inbound("demo");
        assert_eq!(inbound.text, "mon passeport est expiré");
        assert_eq!(inbound.from, "+33612345678");
        assert!((inbound.asr_confidence.unwrap() - 0.93).abs() < 1e-6);
        assert_eq!(inbound.dtmf, None);

        let as_number = InputEvent::parse(
            br#"{"uuid":"b","speech":{"results":[{"confidence":0.5,"text":"oui"}]}}"#,
        )
        .unwrap();
        assert_eq!(as_number.inbound("demo").asr_confidence, Some(0.5));
    }

    #[test]
    fn silence_and_dtmf() {
        let silence = InputEvent::parse(br#"{"uuid":"c","speech":{"timeout_reason":"start_timeout","results":[]},"dtmf":{"digits":"","timed_out":true}}"#).unwrap();
        assert_eq!(silence.inbound("demo").text, "");
        assert_eq!(silence.inbound("demo").dtmf, None);
        let keys =
            InputEvent::parse(br#"{"uuid":"c","dtmf":{"digits":"0","timed_out":false}}"#).unwrap();
        assert_eq!(keys.inbound("demo").dtmf.as_deref(), Some("0"));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert!(matches!(
            InputEvent::parse(b"{"),
            Err(WebhookError::MalformedJson(_))
        ));
        assert!(matches!(
            InputEvent::parse(br#"{"speech":{}}"#),
            Err(WebhookError::MalformedJson(_))
        ));
        assert!(
            InputEvent::parse(
                br#"{"uuid":"x","speech":{"results":[{"text":"a","confidence":"haut"}]}}"#
            )
            .is_err()
        );
        assert!(AnswerRequest::from_query("from=1").is_err());
    }

    #[test]
    fn answer_sms_and_statuses() {
        let answer = AnswerRequest::from_query(
            "to=33130000001&from=33612345678&uuid=u1&conversation_uuid=CON-1",
        )
        .unwrap();
        assert_eq!(answer.inbound("demo").conversation_id, "u1");
        let messages_api = IncomingSms::parse(br#"{"channel":"sms","message_uuid":"m1","to":"33130000001","from":"33612345678","text":"horaires ?","message_type":"text"}"#).unwrap();
        let sms_api = IncomingSms::parse(br#"{"msisdn":"33612345678","to":"33130000001","messageId":"m1","text":"horaires ?","type":"text"}"#).unwrap();
        assert_eq!(messages_api, sms_api);
        assert!(
            CallEvent::parse(br#"{"uuid":"u1","status":"completed"}"#)
                .unwrap()
                .is_final()
        );
        assert!(
            !CallEvent::parse(br#"{"uuid":"u1","status":"answered"}"#)
                .unwrap()
                .is_final()
        );
        assert_eq!(
            MessageStatus::parse(br#"{"message_uuid":"m","status":"delivered"}"#)
                .unwrap()
                .delivery(),
            crate::DeliveryState::Delivered
        );
    }
}
