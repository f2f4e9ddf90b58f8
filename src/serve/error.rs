//! Errors of a request, as HTTP answers: clear 4xx for bad input, 503 when the store fails.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guichet_connectors::WebhookError;

#[derive(Debug)]
pub enum ServeError {
    BadRequest(String),
    /// No credentials, or wrong ones (the JSON API's key).
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    UnsupportedMediaType(String),
    /// A client over its rate.
    TooManyRequests(String),
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
            ServeError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ServeError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ServeError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServeError::NotFound(_) => StatusCode::NOT_FOUND,
            ServeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ServeError::BadRequest(m)
            | ServeError::Unauthorized(m)
            | ServeError::TooManyRequests(m)
            | ServeError::Forbidden(m)
            | ServeError::NotFound(m)
            | ServeError::UnsupportedMediaType(m)
            | ServeError::Unavailable(m) => m,
        }
    }

    fn log(&self) {
        // A message may quote the request (a malformed body): no number in full in the logs.
        // (`reason`, not `message`: that field is the line's own text.)
        let reason = guichet_store::redact_numbers(self.message());
        match self {
            ServeError::Unavailable(_) => tracing::error!(%reason, "request failed"),
            ServeError::Forbidden(_) | ServeError::Unauthorized(_) => {
                tracing::warn!(%reason, "request refused")
            }
            other => tracing::info!(%reason, status = %other.status(), "bad request"),
        }
    }

    /// A JSON error body (`{"error": …}`), for the JSON API.
    pub fn into_json(self) -> Response {
        self.log();
        let body = guichet_connectors::api::ErrorBody {
            error: self.message().to_string(),
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        if matches!(self, ServeError::Unauthorized(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"guichet\""),
            );
        }
        response
    }
}

/// Plain text, for the provider webhooks.
impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), format!("{}\n", self.message())).into_response()
    }
}
