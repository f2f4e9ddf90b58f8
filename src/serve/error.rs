//! Errors of a request, as HTTP answers: clear 4xx for bad input, 503 when the store fails.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guichet_connectors::WebhookError;

/// The body of every 503: the provider (or the API client) retries later.
pub const UNAVAILABLE: &str = "service temporarily unavailable: retry later";

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

    /// What the client is told: the message, except for a failure inside the service, whose
    /// detail (store errors, paths, SQL) stays in the logs.
    pub fn public_message(&self) -> &str {
        match self {
            ServeError::Unavailable(_) => UNAVAILABLE,
            other => other.message(),
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
            error: self.public_message().to_string(),
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
        (self.status(), format!("{}\n", self.public_message())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_stay_in_the_logs() {
        let error = ServeError::Unavailable(
            "store: error returned from database: relation \"turns\" does not exist".into(),
        );
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("turns") && !body.contains("database"),
            "{body}"
        );
        assert!(body.contains(UNAVAILABLE));

        let json = ServeError::Unavailable("store: pool timed out at 10.0.0.5".into()).into_json();
        let body = axum::body::to_bytes(json.into_body(), 1024).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("10.0.0.5"));

        // Bad input keeps its clear message.
        let bad = ServeError::BadRequest("missing field `From`".into()).into_response();
        let body = axum::body::to_bytes(bad.into_body(), 1024).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("From"));
    }
}
