//! Telephony and SMS providers. One module per provider; no decisions here.
//!
//! Twilio, Vonage, jambonz (telephony on the commune's own SIP trunk, self-hosted or not) and the
//! generic JSON API. Each provider module parses its webhooks into [`guichet_agent::Inbound`]
//! (plus the provider ids the service needs for idempotency), renders a [`guichet_agent::Reply`]
//! into its wire format (TwiML, NCCO, jambonz verbs, JSON), verifies its webhook signatures, and
//! sends SMS through its API (an [`SmsSender`] behind the outbox's [`SmsClient`]).

pub mod api;
pub mod error;
pub mod gsm7;
pub mod jambonz;
pub mod reply;
pub mod sms;
pub mod text;
pub mod twilio;
pub mod vonage;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::WebhookError;
pub use sms::{Accepted, DeliveryState, OutboundSms, SendError, SmsClient, SmsSender};
