//! Phone number spellings differ between providers: Twilio uses E.164 with `+`, Vonage digits only.

/// `33612345678` or `+33612345678` → `+33612345678`; anything else (`anonymous`, names) unchanged.
pub fn to_e164(number: &str) -> String {
    let trimmed = number.trim();
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) {
        format!("+{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// `+33612345678` → `33612345678` (the Vonage spelling); alphanumeric senders unchanged.
pub fn to_digits(number: &str) -> String {
    number.trim().trim_start_matches('+').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        assert_eq!(to_e164("33612345678"), "+33612345678");
        assert_eq!(to_e164("+33612345678"), "+33612345678");
        assert_eq!(to_e164("anonymous"), "anonymous");
        assert_eq!(to_e164(""), "");
        assert_eq!(to_digits("+33612345678"), "33612345678");
        assert_eq!(to_digits("VILLEBOURG"), "VILLEBOURG");
    }
}
