//! Vonage signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the account's signature
//! secret; the `payload_hash` claim is the hex SHA-256 of the request body.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::WebhookError;

/// The claims Vonage puts in a signed webhook's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

/// Hex SHA-256 of a body, as Vonage writes it in `payload_hash`.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The `Authorization` header value Vonage would send (for the load tool and tests).
pub fn sign(secret: &str, body: &[u8], issued_at: i64, jti: &str) -> String {
    let claims = Claims {
        iat: issued_at,
        jti: Some(jti.to_string()),
        iss: Some("Vonage".into()),
        payload_hash: Some(payload_hash(body)),
        api_key: None,
        application_id: None,
    };
    let token = EncodingKey::from_secret(secret.as_bytes())
        .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key))
        .unwrap_or_default();
    format!("Bearer {token}")
}

/// Check the token and that the body is the one that was signed. Tokens issued more than
/// `max_age_seconds` before `now` (or that far in the future) are refused as replays.
pub fn verify(
    secret: &str,
    authorization: Option<&str>,
    body: &[u8],
    now: i64,
    max_age_seconds: i64,
) -> Result<Claims, WebhookError> {
    let header = authorization
        .filter(|h| !h.trim().is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let token = header
        .trim()
        .strip_prefix("Bearer ")
        .ok_or_else(|| WebhookError::BadSignature("not a Bearer token".into()))?
        .trim();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let data = DecodingKey::from_secret(secret.as_bytes())
        .and_then(|key| jsonwebtoken::decode::<Claims>(token, &key, &validation))
        .map_err(|e| WebhookError::BadSignature(e.to_string()))?;
    let claims = data.claims;
    // `abs_diff`: a token's `iat` may be anything, `now - iat` could overflow.
    let too_old = u64::try_from(max_age_seconds).map_or(true, |max| now.abs_diff(claims.iat) > max);
    if too_old {
        return Err(WebhookError::BadSignature(format!(
            "token issued at {} is too old",
            claims.iat
        )));
    }
    match &claims.payload_hash {
        Some(hash) if hash.eq_ignore_ascii_case(&payload_hash(body)) => Ok(claims),
        Some(_) => Err(WebhookError::BadSignature(
            "payload_hash does not match the body".into(),
        )),
        None if body.is_empty() => Ok(claims),
        None => Err(WebhookError::BadSignature("payload_hash missing".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-signature-secret-of-32-bytes!!";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn signed_body_verifies() {
        let body = br#"{"speech":{"results":[{"text":"bonjour","confidence":"0.9"}]}}"#;
        let header = sign(SECRET, body, NOW, "j1");
        let claims = verify(SECRET, Some(&header), body, NOW + 5, 300).unwrap();
        assert_eq!(claims.iss.as_deref(), Some("Vonage"));
    }

    #[test]
    fn known_sha256_of_the_empty_body() {
        assert_eq!(
            payload_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn tampering_and_replays_are_refused() {
        let body = br#"{"a":1}"#;
        let header = sign(SECRET, body, NOW, "j1");
        assert!(verify(SECRET, Some(&header), br#"{"a":2}"#, NOW, 300).is_err());
        assert!(verify("another-secret", Some(&header), body, NOW, 300).is_err());
        assert!(verify(SECRET, Some(&header), body, NOW + 3600, 300).is_err());
        assert_eq!(
            verify(SECRET, None, body, NOW, 300),
            Err(WebhookError::MissingSignature)
        );
        assert!(verify(SECRET, Some("Bearer not.a.jwt"), body, NOW, 300).is_err());
        assert!(verify(SECRET, Some("Basic abc"), body, NOW, 300).is_err());
    }
}
