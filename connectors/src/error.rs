//! What can be wrong with a webhook a provider (or someone pretending to be one) sent us.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("malformed form body: {0}")]
    MalformedForm(String),
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("invalid field `{field}`: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("missing signature")]
    MissingSignature,
    #[error("bad signature: {0}")]
    BadSignature(String),
}
