//! Which step of a conversation one webhook is: what the provider said of it and what the
//! turn may do.

use chrono::{DateTime, Utc};

/// Which step of the conversation a webhook is.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// The sequence the provider says this turn is (from our callback URL), if known.
    pub seq: Option<u32>,
    /// The provider's id of the inbound message (SMS), if any.
    pub message_id: Option<String>,
    /// Also send the reply text by SMS (providers that cannot answer an SMS webhook inline).
    pub reply_by_sms: bool,
    /// The instant of the turn when a test sets it (see [`crate::serve::handlers::requested_now`]);
    /// `None`: the service's clock.
    pub now: Option<DateTime<Utc>>,
    /// The turn may not send any SMS (a public API key: a chat widget anyone can drive).
    pub no_sms: bool,
    /// Keep the caller's number with the session ([`super::Envelope::caller`]): later messages of the
    /// conversation do not repeat it.
    pub keep_caller: bool,
}
