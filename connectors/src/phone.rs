//! Phone number spellings differ between providers: Twilio uses E.164 with `+`, Vonage digits only,
//! and a SIP trunk behind jambonz whatever the operator sends (`+33…`, `33…`, `0033…`, `01…`).

/// `33612345678` or `+33612345678` → `+33612345678`; anything else (`anonymous`, names) unchanged.
pub fn to_e164(number: &str) -> String {
    let trimmed = number.trim();
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) {
        format!("+{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// A number as a SIP trunk or an SMPP gateway spells it, in E.164 when the spelling says which
/// number it is: `+33612345678` kept, `0033612345678` (international prefix) and `33612345678`
/// (international without `+`, as SMPP and many trunks send it) → `+33612345678`, and a French
/// national number `0612345678` → `+33612345678` (the engine reads national numbers as French
/// too). Anything else (`anonymous`, a SIP URI, a short code) is returned trimmed.
pub fn from_trunk(number: &str) -> String {
    let trimmed = number.trim();
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if let Some(international) = trimmed.strip_prefix("00").filter(|rest| all_digits(rest)) {
        return format!("+{international}");
    }
    match trimmed.strip_prefix('0') {
        Some(national) if national.len() == 9 && all_digits(national) => format!("+33{national}"),
        // No E.164 number starts with 0: an odd national spelling is left as it came.
        Some(_) => trimmed.to_string(),
        None => to_e164(trimmed),
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

    #[test]
    fn trunk_spellings_become_e164() {
        for spelling in ["+33612345678", "33612345678", "0033612345678", "0612345678"] {
            assert_eq!(from_trunk(spelling), "+33612345678", "{spelling}");
        }
        assert_eq!(from_trunk(" 0130000001 "), "+33130000001");
        assert_eq!(from_trunk("anonymous"), "anonymous");
        assert_eq!(
            from_trunk("sip:standard@pbx.villebourg.fr"),
            "sip:standard@pbx.villebourg.fr"
        );
        // Digits without a leading 0 are international; a 0 that is not a French national
        // number is left as it came.
        assert_eq!(from_trunk("3010"), "+3010");
        assert_eq!(from_trunk("06123456789"), "06123456789");
        assert_eq!(from_trunk("00"), "00");
        assert_eq!(from_trunk(""), "");
    }
}
