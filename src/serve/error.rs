//! Errors of a request, as HTTP answers: clear 4xx for bad input, 503 when the store fails.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guichet_connectors::WebhookError;

#[derive(Debug)]
pub enum ServeError {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    UnsupportedMediaType(String),
    /// The store or another dependency failed: the provider will retry.
    Unavailable(String),
}

impl From<WebhookError> for ServeError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::MissingSignature | WebhookError::BadSignature(_) => {
                ServeError::Forbidden(error.to_string())
            }
            other => ServeError::BadRequest(other.to_string()),
        }
    }
}

impl From<guichet_store::StoreError> for ServeError {
    fn from(error: guichet_store::StoreError) -> Self {
        ServeError::Unavailable(format!("store: {error}"))
    }
}

impl ServeError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServeError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServeError::NotFound(_) => StatusCode::NOT_FOUND,
            ServeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ServeError::BadRequest(m)
            | ServeError::Forbidden(m)
            | ServeError::NotFound(m)
            | ServeError::UnsupportedMediaType(m)
            | ServeError::Unavailable(m) => m,
        }
    }

    fn log(&self) {
        match self {
            ServeError::Unavailable(message) => tracing::error!(%message, "request failed"),
            ServeError::Forbidden(message) => tracing::warn!(%message, "request refused"),
            other => {
                tracing::info!(message = other.message(), status = %other.status(), "bad request")
            }
        }
    }

    /// A JSON error body (`{"error": …}`), for the JSON API.
    pub fn into_json(self) -> Response {
        self.log();
        let body = guichet_connectors::api::ErrorBody {
            error: self.message().to_string(),
        };
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Plain text, for the provider webhooks.
impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), format!("{}\n", self.message())).into_response()
    }
}
