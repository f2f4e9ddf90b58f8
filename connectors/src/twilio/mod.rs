//! Twilio: Voice webhooks and TwiML, Messaging webhooks and the Messages API, request signatures.

pub mod client;
pub mod form;
pub mod signature;
pub mod twiml;
pub mod webhook;

pub use client::TwilioClient;
pub use form::Form;
pub use twiml::VoiceOptions;
pub use webhook::{
    CallStatus, DialCallStatus, DialResult, GatherResult, IncomingCall, IncomingSms, MessageStatus,
};

/// The header Twilio signs its webhooks in.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
