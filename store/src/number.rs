//! Phone numbers as the store keeps them: E.164 (`+33612345678`), whatever spelling the
//! provider, the API client or the staff used, so that one citizen's rows are found by one
//! number (an access or erasure request, `guichet privacy`). The one rule of the project.

/// `input` in E.164, if it is a phone number: spaces, dots, dashes and brackets removed, `00`
/// → `+`, a French national `0X XX XX XX XX` → `+33X…`, international digits without `+` (the
/// Vonage spelling, 11 to 15 digits) → `+…`. `None` for anything else (`anonymous`, a short
/// code, a name).
pub fn e164(input: &str) -> Option<String> {
    let compact: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}'))
        .collect();
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest.to_string()
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest.to_string()
    } else if let Some(national) = compact.strip_prefix('0') {
        if national.len() != 9 {
            return None;
        }
        format!("33{national}")
    } else if compact.len() >= 11 {
        compact
    } else {
        return None;
    };
    (all_digits(&digits) && (8..=15).contains(&digits.len()) && !digits.starts_with('0'))
        .then(|| format!("+{digits}"))
}

/// The number as stored: [`e164`] when it is a phone number, else as given (trimmed).
pub fn stored_number(input: &str) -> String {
    e164(input).unwrap_or_else(|| input.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_number_is_one_number() {
        for spelling in [
            "+33612345678",
            " +33 6 12 34 56 78 ",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "0612345678",
            "0033612345678",
            "33612345678",
        ] {
            assert_eq!(
                e164(spelling).as_deref(),
                Some("+33612345678"),
                "{spelling}"
            );
        }
        assert_eq!(e164("+262692123456").as_deref(), Some("+262692123456"));
    }

    #[test]
    fn what_is_not_a_number_is_kept_as_given() {
        for other in [
            "anonymous",
            "",
            "3620",
            "612345678",
            "+33",
            "VILLEBOURG",
            "01234",
        ] {
            assert_eq!(e164(other), None, "{other}");
        }
        assert_eq!(stored_number(" anonymous "), "anonymous");
        assert_eq!(stored_number("06 12 34 56 78"), "+33612345678");
    }
}
