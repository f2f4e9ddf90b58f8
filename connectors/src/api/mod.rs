//! The generic JSON API (`/api/v1/…`) for a web chat widget or any other provider.
//! Its OpenAPI description is [`OPENAPI`], served at `/api/v1/openapi.json`.

use guichet_agent::{Action, Channel, Decision, Inbound, Reply};
use serde::{Deserialize, Serialize};

use crate::WebhookError;

/// The OpenAPI 3.1 document describing these routes.
pub const OPENAPI: &str = include_str!("openapi.json");

use crate::text::caller_text;

/// `POST /api/v1/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    /// The commune's number (selects the commune); the default commune when absent.
    #[serde(default)]
    pub to: Option<String>,
    /// The citizen's number, if known (SMS links and callbacks need it).
    #[serde(default)]
    pub from: Option<String>,
    /// `chat` (default), `sms` or `voice`.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// A first message; without one the reply is the greeting.
    #[serde(default)]
    pub text: Option<String>,
}

/// `POST /api/v1/conversations/{id}/turns`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TurnRequest {
    pub text: String,
    /// Keys pressed (`"0"` asks for a human).
    #[serde(default)]
    pub dtmf: Option<String>,
}

impl CreateConversation {
    pub fn parse(body: &[u8]) -> Result<CreateConversation, WebhookError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(CreateConversation::default());
        }
        let mut request: CreateConversation =
            serde_json::from_slice(body).map_err(|e| WebhookError::MalformedJson(e.to_string()))?;
        request.text = request.text.as_deref().map(caller_text);
        Ok(request)
    }

    pub fn inbound(&self, tenant: &str, conversation_id: &str) -> Inbound {
        Inbound {
            tenant: tenant.to_string(),
            channel: self.channel.unwrap_or(Channel::Chat),
            conversation_id: conversation_id.to_string(),
            from: self.from.clone().unwrap_or_default(),
            text: String::new(),
            asr_confidence: None,
            dtmf: None,
        }
    }
}

impl TurnRequest {
    pub fn parse(body: &[u8]) -> Result<TurnRequest, WebhookError> {
        let mut request: TurnRequest =
            serde_json::from_slice(body).map_err(|e| WebhookError::MalformedJson(e.to_string()))?;
        request.text = caller_text(&request.text);
        Ok(request)
    }
}

/// The answer to both routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnResponse {
    pub conversation_id: String,
    /// Number of the turn in the conversation (0 = the greeting).
    pub seq: u32,
    /// The whole reply as one text.
    pub text: String,
    pub say: Vec<String>,
    pub decision: Decision,
    pub actions: Vec<Action>,
    /// True when the reply ends the conversation (hang-up or transfer).
    pub ended: bool,
}

pub fn render(reply: &Reply, conversation_id: &str, seq: u32) -> TurnResponse {
    let say: Vec<String> = reply.say.iter().map(|u| u.text.clone()).collect();
    TurnResponse {
        conversation_id: conversation_id.to_string(),
        seq,
        text: say.join(" "),
        say,
        decision: reply.trace.clone(),
        actions: reply.actions.clone(),
        ended: reply
            .actions
            .iter()
            .any(|a| matches!(a, Action::Hangup | Action::Transfer { .. })),
    }
}

/// The error body of every 4xx/5xx of the JSON API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use guichet_agent::{DecisionAction, Utterance};

    use super::*;

    #[test]
    fn requests_parse_and_refuse_junk() {
        assert_eq!(
            CreateConversation::parse(b"").unwrap(),
            CreateConversation::default()
        );
        let create = CreateConversation::parse(
            br#"{"from":"+33612345678","channel":"sms","text":"horaires"}"#,
        )
        .unwrap();
        assert_eq!(create.inbound("demo", "c1").channel, Channel::Sms);
        assert!(matches!(
            CreateConversation::parse(br#"{"channel":"fax"}"#),
            Err(WebhookError::MalformedJson(_))
        ));
        assert!(matches!(
            CreateConversation::parse(br#"{"unknown":1}"#),
            Err(WebhookError::MalformedJson(_))
        ));
        assert_eq!(
            TurnRequest::parse(br#"{"text":"bonjour"}"#).unwrap().text,
            "bonjour"
        );
        assert!(matches!(
            TurnRequest::parse(br#"{}"#),
            Err(WebhookError::MalformedJson(_))
        ));
        // Caller text is cut, like at every connector (crate::text).
        let long = format!(r#"{{"text":"{}"}}"#, "a".repeat(5_000));
        let cut = TurnRequest::parse(long.as_bytes()).unwrap().text;
        assert_eq!(cut.chars().count(), crate::text::MAX_CALLER_TEXT_CHARS);
    }

    #[test]
    fn responses_carry_decision_and_actions() {
        let reply = Reply {
            say: vec![
                Utterance {
                    text: "Bonjour.".into(),
                },
                Utterance {
                    text: "Au revoir.".into(),
                },
            ],
            actions: vec![Action::Hangup],
            trace: Decision {
                action: DecisionAction::Goodbye,
                rule: "goodbye".into(),
                fiche: None,
                confidence: None,
                margin: None,
                understood: "au revoir".into(),
                satisfaction: None,
            },
        };
        let json = serde_json::to_value(render(&reply, "c1", 3)).unwrap();
        assert_eq!(json["text"], "Bonjour. Au revoir.");
        assert_eq!(json["decision"]["action"], "goodbye");
        assert_eq!(json["actions"][0]["type"], "hangup");
        assert_eq!(json["ended"], true);
    }

    #[test]
    fn openapi_document_is_valid_json_and_lists_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert!(doc["paths"]["/api/v1/conversations"]["post"].is_object());
        assert!(doc["paths"]["/api/v1/conversations/{id}/turns"]["post"].is_object());
        let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(doc["security"][0]["bearerAuth"], serde_json::json!([]));
        let responses = &doc["paths"]["/api/v1/conversations"]["post"]["responses"];
        assert!(responses["401"].is_object() && responses["429"].is_object());
    }
}
