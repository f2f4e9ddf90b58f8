//! A conversation's turns on the service side, in five rooms:
//! - [`pipeline`]: one turn through the whole stack (the previous session, the engine, the
//!   record kept), idempotent for retried webhooks and safe for concurrent messages;
//! - [`record`]: the engine's reply mapped to what the store keeps (session, turn, tickets,
//!   SMS) with their idempotency keys;
//! - [`log`]: the durable turn log, which hides the store, this node's session cache and the
//!   spool behind `previous()` and `keep()`;
//! - [`envelope`]: what the session row holds (the engine's session, the last turn);
//! - [`step`]: which step of the conversation one webhook is.

mod envelope;
mod log;
mod pipeline;
mod record;
mod step;

pub use envelope::{Envelope, LastReply};
pub use log::{active_conversation_for_caller, close, load_envelope};
pub use pipeline::{TurnOutcome, handle};
pub use record::caller_pseudonym;
pub use step::Step;
