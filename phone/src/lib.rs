//! Phone numbers: the one rule of the project. Every number that comes from outside (a
//! provider's webhook, a SIP trunk, the JSON API, a staff member's search, a privacy request,
//! the national directory) becomes a [`PhoneNumber`] through [`PhoneNumber::parse`], and only
//! there are spellings read: the store keeps it, the engine classifies it, the connectors send
//! it in their provider's spelling and the console shows it from this one type.
//!
//! - [`number`]: the type, its parsing, E.164, the Vonage digits, the log mask, the French
//!   display; the helpers over strings the rest of the project keeps ([`stored_number`],
//!   [`provider_digits`], [`mask_number`], [`display_number`], [`is_withheld`]);
//! - [`line`]: what kind of line a number is ([`LineType`]), whether it may get an SMS and
//!   whether a standardiste may call it back ([`Callback`]);
//! - [`pseudonymise`]: a number's keyed pseudonym, the only form kept outside tickets (RGPD);
//! - [`redact_numbers`]: free text (a provider's error) with every number in it masked.

pub mod line;
pub mod number;
mod pseudonym;
mod redact;

pub use line::{Callback, LineType, callback, is_french_mobile};
pub use number::{
    PhoneNumber, display_number, is_withheld, mask_number, provider_digits, stored_number,
};
pub use pseudonym::pseudonymise;
pub use redact::redact_numbers;
