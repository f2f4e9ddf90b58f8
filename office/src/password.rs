//! Password hashing (argon2id, PHC strings) and one-time passwords.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::{Rng, RngCore};
use tokio::sync::Semaphore;

/// Characters of generated passwords: no look-alikes (0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a generated one-time password (about 93 bits).
const GENERATED_LENGTH: usize = 16;

/// Hashes a password with argon2id (default parameters, random salt) as a PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC `hash`; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// At most this many password hashes are computed at once: half the machine's cores, at least
/// one (each hash takes tens of milliseconds of CPU and 19 MiB of memory). A burst of logins
/// waits here, its hashes on blocking threads: it neither starves the async workers that
/// answer the webhooks, nor takes every core, nor the machine's memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new((cores / 2).max(1))
});

/// Runs an argon2 computation off the async workers, behind [`HASHING`].
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`verify_password`] on a blocking thread; `false` if it could not run.
pub async fn verify_password_off_workers(password: String, hash: String) -> bool {
    off_the_workers(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// [`hash_password`] on a blocking thread.
pub async fn hash_password_off_workers(password: String) -> Result<String, String> {
    off_the_workers(move || hash_password(&password).map_err(|e| e.to_string()))
        .await
        .unwrap_or_else(|| Err("the hashing task failed".into()))
}

/// A random one-time password, shown once to whoever creates the account.
pub fn generate_password() -> String {
    let mut rng = rand::rng();
    (0..GENERATED_LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let hash = hash_password("correct horse").expect("hashing a short password");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a phc string"));
    }

    #[test]
    fn generated_passwords_differ() {
        let a = generate_password();
        assert_eq!(a.len(), GENERATED_LENGTH);
        assert_ne!(a, generate_password());
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
    }
}
