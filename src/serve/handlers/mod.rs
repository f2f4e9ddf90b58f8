//! HTTP handlers, one module per provider; they parse, call [`super::conversation`], render.

pub mod api;
pub mod ops;
pub mod twilio;
pub mod vonage;

use axum::http::HeaderValue;
use axum::http::header::HeaderName;

/// The response header carrying the turn's decision (JSON), read by `guichet eval --url`.
pub const DECISION_HEADER: HeaderName = HeaderName::from_static("x-guichet-decision");

/// What we say when a number belongs to no commune.
pub const UNKNOWN_NUMBER_MESSAGE: &str = "Bonjour. Ce numéro n'est relié à aucun service de mairie. Merci de vérifier le numéro composé. Au revoir.";

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("{}"))
}
