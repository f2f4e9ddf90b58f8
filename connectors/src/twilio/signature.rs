//! `X-Twilio-Signature`: HMAC-SHA1, keyed with the auth token, over the full public URL followed by
//! every POST parameter's name and value sorted by name, base64-encoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::WebhookError;

type HmacSha1 = Hmac<Sha1>;

fn mac_over(auth_token: &str, url: &str, params: &[(String, String)]) -> Option<HmacSha1> {
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).ok()?;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    Some(mac)
}

/// The signature Twilio would send for this request (used by the load tool and tests).
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    mac_over(auth_token, url, params)
        .map(|mac| BASE64.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Check a request's signature in constant time.
pub fn verify(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> Result<(), WebhookError> {
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let expected = BASE64
        .decode(signature.trim())
        .map_err(|_| WebhookError::BadSignature("not base64".into()))?;
    let mac = mac_over(auth_token, url, params)
        .ok_or_else(|| WebhookError::BadSignature("unusable auth token".into()))?;
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature(format!("does not match for {url}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn documented_params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .rev()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Twilio's published example (webhook security docs and the twilio-node test suite).
    #[test]
    fn twilio_published_vectors() {
        assert_eq!(
            sign("12345", URL, &documented_params("+14158675310")),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert_eq!(
            sign("12345", URL, &documented_params("+14158675309")),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert_eq!(
            verify(
                "12345",
                URL,
                &documented_params("+14158675310"),
                Some("GvWf1cFY/Q7PnoempGyD5oXAezc=")
            ),
            Ok(())
        );
    }

    #[test]
    fn tampering_is_refused() {
        let mut params = documented_params("+14158675310");
        let good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        assert!(verify("wrong", URL, &params, Some(good)).is_err());
        assert!(
            verify(
                "12345",
                "https://mycompany.com/myapp.php",
                &params,
                Some(good)
            )
            .is_err()
        );
        params[0].1 = "+18005551213".into();
        assert!(verify("12345", URL, &params, Some(good)).is_err());
        assert_eq!(
            verify("12345", URL, &params, None),
            Err(WebhookError::MissingSignature)
        );
        assert!(matches!(
            verify("12345", URL, &params, Some("%%%")),
            Err(WebhookError::BadSignature(_))
        ));
    }
}
