//! Keyed pseudonymisation of phone numbers (RGPD): a number is stored in clear only on tickets,
//! everywhere else as `pseudonymise(number, key)`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::number::stored_number;

/// HMAC-SHA256 of the number in E.164 ([`stored_number`]: `06 12 34 56 78` and
/// `+33612345678` are one number; surrounding whitespace ignored) under `key`, as lowercase hex
/// (64 characters). The same number and key always give the same pseudonym, so a citizen's
/// records can be found again for an access or erasure request, but the number cannot be
/// recovered without the key. An empty key is accepted (HMAC allows any key length) but
/// should never be configured in production.
pub fn pseudonymise(number: &str, key: &[u8]) -> String {
    // `new_from_slice` only fails for fixed-length-key MACs; HMAC takes keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac_key(),
    };
    mac.update(stored_number(number).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cold]
fn unreachable_hmac_key() -> ! {
    unreachable!("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            pseudonymise("what do ya want for nothing?", b"Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn keyed_and_stable() {
        let a = pseudonymise("+33612345678", b"key-1");
        assert_eq!(a, pseudonymise(" +33612345678\n", b"key-1"));
        assert_ne!(a, pseudonymise("+33612345678", b"key-2"));
        assert_ne!(a, pseudonymise("+33612345679", b"key-1"));
        assert_eq!(a, pseudonymise("06 12 34 56 78", b"key-1"));
        assert_eq!(a, pseudonymise("33612345678", b"key-1"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("612345678"));
    }
}
