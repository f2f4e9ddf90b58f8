//! Who calls the JSON API: `Authorization: Bearer <token>` of a key made by `guichet apikey
//! create` (the store keeps only its SHA-256), or nobody in the loopback demo. A `server` key
//! (a commune's own server) may give the caller's number and the channel; a `public` key (a
//! chat widget, visible to anyone) is forced to chat, its `from` ignored, never causes an SMS,
//! and is rate-limited per client address.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, header};
use guichet_store::{ApiKey, ApiKeyKind, ApiKeyStore};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use super::config::Settings;
use super::error::ServeError;
use super::exposure::is_loopback;
use super::state::AppState;

/// What every token starts with (so that a leaked one is recognisable in a scanner).
pub const TOKEN_PREFIX: &str = "gch_";

/// A new token: [`TOKEN_PREFIX`] and 256 random bits in hex.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The stored form of a token: hex SHA-256 (a 256-bit random token needs no slow hash).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum ApiCaller {
    /// The loopback demo (no key exists, the service and the client are on this machine): as a
    /// server key of any commune.
    Demo,
    Key(ApiKey),
}

impl ApiCaller {
    /// Whether the caller may set `from` and `channel` (and so cause SMS).
    pub fn is_public(&self) -> bool {
        matches!(self, ApiCaller::Key(key) if key.kind == ApiKeyKind::Public)
    }

    /// Whether the caller may act for `commune` (another commune's key: as if it did not exist).
    pub fn may_use(&self, commune: &str) -> bool {
        match self {
            ApiCaller::Demo => true,
            ApiCaller::Key(key) => key.tenant == commune,
        }
    }

    /// The commune of a key.
    pub fn commune(&self) -> Option<&str> {
        match self {
            ApiCaller::Demo => None,
            ApiCaller::Key(key) => Some(&key.tenant),
        }
    }
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop behind a trusted
/// proxy (`[console] trust_forwarded_for`, the same rule as the console's login limit).
pub fn client_address(settings: &Settings, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if settings.console.trust_forwarded_for
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return forwarded;
    }
    peer.ip()
}

fn unauthorized(state: &AppState, message: &str) -> ServeError {
    state
        .metrics
        .api_rejected
        .with_label_values(&["unauthorized"])
        .inc();
    ServeError::Unauthorized(message.into())
}

/// Authenticates an API request (401 without a valid key, 429 for a public key over its rate).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<ApiCaller, ServeError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return demo(state, headers, peer).await;
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized(state, "Authorization: Bearer <clé d'API> attendu"))?;
    let key = state
        .store
        .api_key_by_hash(&hash_token(token))
        .await?
        .ok_or_else(|| unauthorized(state, "clé d'API inconnue ou révoquée"))?;
    if key.kind == ApiKeyKind::Public
        && !state
            .api_limiter
            .allow(client_address(&state.settings, headers, peer))
    {
        state
            .metrics
            .api_rejected
            .with_label_values(&["rate_limited"])
            .inc();
        return Err(ServeError::TooManyRequests(
            "trop de requêtes depuis cette adresse : réessayez dans une minute".into(),
        ));
    }
    Ok(ApiCaller::Key(key))
}

/// Without a key: the loopback demo only — the service listens on loopback, the request comes
/// from this machine and not through a proxy, and no key has been created.
async fn demo(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<ApiCaller, ServeError> {
    let proxied = headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded");
    if is_loopback(state.settings.listen)
        && peer.ip().is_loopback()
        && !proxied
        && state.store.count_api_keys().await? == 0
    {
        return Ok(ApiCaller::Demo);
    }
    Err(unauthorized(
        state,
        "clé d'API requise : Authorization: Bearer <clé> (guichet apikey create)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_hashed_with_sha256() {
        let token = generate_token();
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(token.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(token, generate_token());
        let hash = hash_token(&token);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
