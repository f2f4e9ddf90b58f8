//! jambonz: the open-source, self-hostable CPaaS that takes calls from any SIP trunk (the
//! commune's own, from a French operator) and drives them with JSON webhooks, running speech
//! recognition and synthesis with the vendor the commune chooses, self-hosted ones included.
//!
//! - [`webhook`]: the call webhook, the `gather` and `dial` actionHooks, the call status webhook
//!   and the messaging (inbound SMS) webhook, parsed into the engine's [`guichet_agent::Inbound`];
//! - [`verbs`]: a [`guichet_agent::Reply`] rendered as a jambonz verb array (`say`, `gather`,
//!   `dial`, `hangup`, `pause`, `redirect`, `message`);
//! - [`auth`]: the two ways jambonz authenticates its webhooks, HTTP Basic credentials set on
//!   the application and the `Jambonz-Signature` HMAC of the account's webhook secret;
//! - [`client`]: outbound SMS through the REST API (`POST /v1/Accounts/{sid}/Messages`).
//!
//! The service's routes for these hooks are its own; the deployment guide
//! (`docs/deploiement.md`, « jambonz ») lists what to configure on the jambonz application.

pub mod auth;
pub mod client;
pub mod verbs;
pub mod webhook;

pub use auth::{BasicCredentials, NotConfigured, WebhookVerifier};
pub use client::{ClientError, JambonzClient};
pub use verbs::{Recognizer, Synthesizer, VerbOptions};
pub use webhook::{
    CallHook, CallInfo, CallStatus, DialResult, DialStatus, Direction, GatherReason, GatherResult,
    IncomingMessage,
};

/// The header of the hosted platform's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Jambonz-Signature";

/// The custom SIP header carrying the ticket id on a transfer's INVITE, so that the standard's
/// phone or PBX can show the case (the console holds the caller's context under that id).
pub const TICKET_HEADER: &str = "X-Guichet-Ticket";

/// The largest webhook body parsed. The call webhook is the largest jambonz sends (the whole SIP
/// INVITE with its SDP, a few KB); the service's own body limit is the same by default.
pub const MAX_WEBHOOK_BYTES: usize = 64 * 1024;
