//! Vonage: Voice API (answer URL → NCCO, event and input webhooks), SMS in and out (Messages API),
//! signed webhooks (JWT HS256 with the signature secret, `payload_hash` over the body).

pub mod client;
pub mod ncco;
pub mod signature;
pub mod webhook;

pub use client::VonageClient;
pub use ncco::NccoOptions;
pub use webhook::{AnswerRequest, CallEvent, IncomingSms, InputEvent, MessageStatus};
