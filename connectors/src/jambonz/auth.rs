//! Who may call the jambonz webhooks. jambonz offers two ways, and a commune may use both:
//!
//! - **HTTP Basic** credentials set on the application's webhooks (self-hosted jambonz; the
//!   feature server sends `Authorization: Basic …` on the call webhook and every hook after it);
//! - the **`Jambonz-Signature`** header: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, keyed with the
//!   account's webhook secret, over `"<t>.<body>"` (the body exactly as sent). This is how the
//!   hosted platform's docs tell to verify requests (« Verifying a signed request »,
//!   <https://docs.jambonz.org/docs/webhooks/overview>), what `verifyJambonzSignature` of the
//!   @jambonz/node-client and `verifySignature` of @jambonz/sdk check (tolerance 300 s), and what
//!   `lib/utils/base-requestor.js` of jambonz-feature-server computes. Several `v1` entries may
//!   come; one matching is enough.
//!
//! Every check that is configured must pass, and [`WebhookVerifier::new`] refuses to exist
//! without any ([`NotConfigured`]: the service answers 404 for a provider it was not set up for).
//! A missing credential is [`WebhookError::MissingSignature`], a wrong or stale one
//! [`WebhookError::BadSignature`] (the service answers 403). Comparisons run in constant time
//! (HMAC verification of fixed-size tags).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use thiserror::Error;

use crate::WebhookError;

type HmacSha256 = Hmac<Sha256>;

/// How old (or how far in the future) a signature's timestamp may be, as jambonz's SDKs allow.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 300;

/// At most this many `v1` signatures are tried in one header.
const MAX_SIGNATURES: usize = 8;

/// The user and password set on the jambonz application's webhooks.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Neither Basic credentials nor a webhook secret: nothing could tell jambonz from anyone else.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("jambonz webhooks are not configured: set Basic credentials, a webhook secret, or both")]
pub struct NotConfigured;

/// Checks that a webhook comes from the commune's jambonz.
#[derive(Clone)]
pub struct WebhookVerifier {
    /// HMAC of `user:password` under [`BASIC_TAG_KEY`]: compared as a fixed-size tag.
    basic: Option<Vec<u8>>,
    secret: Option<Vec<u8>>,
    tolerance_seconds: u64,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("basic", &self.basic.is_some())
            .field("signature", &self.secret.is_some())
            .field("tolerance_seconds", &self.tolerance_seconds)
            .finish()
    }
}

/// The key of the tags Basic credentials are compared by (not a secret: the tag only makes the
/// comparison fixed-size and constant-time).
const BASIC_TAG_KEY: &[u8] = b"guichet jambonz basic credentials";

fn basic_tag(credentials: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(BASIC_TAG_KEY).expect("HMAC takes a key of any length");
    mac.update(credentials);
    mac
}

impl WebhookVerifier {
    /// Credentials with an empty user or password, and an empty secret, count as absent; with
    /// nothing left, [`NotConfigured`].
    pub fn new(
        basic: Option<BasicCredentials>,
        webhook_secret: Option<&str>,
        tolerance_seconds: u64,
    ) -> Result<WebhookVerifier, NotConfigured> {
        let basic = basic
            .filter(|c| !c.username.is_empty() && !c.password.is_empty())
            .map(|c| {
                basic_tag(format!("{}:{}", c.username, c.password).as_bytes())
                    .finalize()
                    .into_bytes()
                    .to_vec()
            });
        let secret = webhook_secret
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec());
        if basic.is_none() && secret.is_none() {
            return Err(NotConfigured);
        }
        Ok(WebhookVerifier {
            basic,
            secret,
            tolerance_seconds,
        })
    }

    /// Checks a request: its `Authorization` and `Jambonz-Signature` headers and its raw body,
    /// at `now` (unix seconds).
    pub fn verify(
        &self,
        authorization: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), WebhookError> {
        if let Some(expected) = &self.basic {
            verify_basic(expected, authorization)?;
        }
        if let Some(secret) = &self.secret {
            verify_signature(secret, signature, body, now, self.tolerance_seconds)?;
        }
        Ok(())
    }
}

fn verify_basic(expected: &[u8], authorization: Option<&str>) -> Result<(), WebhookError> {
    let header = authorization
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let encoded = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        _ => {
            return Err(WebhookError::BadSignature(
                "Authorization is not Basic".into(),
            ));
        }
    };
    let credentials = BASE64
        .decode(encoded)
        .map_err(|_| WebhookError::BadSignature("Basic credentials are not base64".into()))?;
    basic_tag(&credentials)
        .verify_slice(expected)
        .map_err(|_| WebhookError::BadSignature("wrong Basic credentials".into()))
}

/// A `Jambonz-Signature` header's timestamp (as written, which is what is signed, and as a
/// number) and its `v1` signatures.
struct SignatureHeader<'a> {
    timestamp_text: &'a str,
    timestamp: i64,
    signatures: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" if timestamp.is_some() => {
                return Err(WebhookError::BadSignature("two timestamps".into()));
            }
            "t" => {
                let text = value.trim();
                let number = text.parse::<i64>().map_err(|_| {
                    WebhookError::BadSignature(format!("timestamp {text:?} is not a number"))
                })?;
                timestamp = Some((text, number));
            }
            "v1" if signatures.len() < MAX_SIGNATURES => {
                // A malformed entry cannot match; another one still may.
                if let Ok(bytes) = hex::decode(value.trim()) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let (timestamp_text, timestamp) =
        timestamp.ok_or_else(|| WebhookError::BadSignature("no timestamp".into()))?;
    if signatures.is_empty() {
        return Err(WebhookError::BadSignature("no v1 signature".into()));
    }
    Ok(SignatureHeader {
        timestamp_text,
        timestamp,
        signatures,
    })
}

fn mac_over(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn verify_signature(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_seconds: u64,
) -> Result<(), WebhookError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let header = parse_header(header)?;
    // `abs_diff`: a timestamp may be anything, `now - t` could overflow.
    if now.abs_diff(header.timestamp) > tolerance_seconds {
        return Err(WebhookError::BadSignature(format!(
            "signed at {}, outside the {tolerance_seconds} s window",
            header.timestamp
        )));
    }
    let mac = mac_over(secret, header.timestamp_text, body);
    if header
        .signatures
        .iter()
        .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(WebhookError::BadSignature(
            "no v1 signature matches the body".into(),
        ))
    }
}

/// The `Jambonz-Signature` value jambonz would send for `body` at `timestamp` (for the fake
/// jambonz, the load tool and tests).
pub fn sign(secret: &str, body: &[u8], timestamp: i64) -> String {
    let tag = mac_over(secret.as_bytes(), &timestamp.to_string(), body).finalize();
    format!("t={timestamp},v1={}", hex::encode(tag.into_bytes()))
}

/// The `Authorization` value of Basic credentials (for the fake jambonz, the load tool and tests).
pub fn basic_authorization(credentials: &BasicCredentials) -> String {
    let pair = format!("{}:{}", credentials.username, credentials.password);
    format!("Basic {}", BASE64.encode(pair))
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
