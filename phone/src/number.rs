//! The [`PhoneNumber`] type: a number in E.164, constructed only by [`PhoneNumber::parse`].

use std::fmt;

use phonenumber::Mode;

/// A phone number in E.164 (`+33612345678`). The only way to get one is
/// [`PhoneNumber::parse`], so every value is a number the whole project reads the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// What a spelling may hold besides its digits: spaces (the no-break one too), dots, dashes
/// and brackets.
const SEPARATORS: [char; 6] = [' ', '.', '-', '(', ')', '\u{a0}'];

impl PhoneNumber {
    /// Reads a number in any spelling the project meets, or `None` when `input` is not one.
    ///
    /// Accepted, once trimmed and without spaces (no-break ones too), dots, dashes and
    /// brackets: `+` and the digits (Twilio, the API), `00` and the digits (a SIP trunk's
    /// international prefix), a French national number `0X XX XX XX XX` (read as `+33X…`:
    /// exactly ten digits), international digits without `+` (Vonage, SMPP gateways, many
    /// trunks: eleven digits or more). The result
    /// has 8 to 15 digits, none leading with 0, and a country code the numbering plans know.
    /// Its E.164 form is the `phonenumber` crate's (libphonenumber's metadata), which drops a
    /// national `0` written after the country code (`+33 (0)6 12 34 56 78`).
    ///
    /// Refused: `anonymous`, names and alphanumeric senders, SIP URIs, short codes (`3010`,
    /// `118 218`), national numbers of another length than ten digits, digits without `+`
    /// shorter than eleven (`612345678`: not said which country), too short or too long.
    ///
    /// Where the project's former rules disagreed, this keeps the stricter: the store's
    /// spellings (the engine's `phonenumber` reading also accepted any national number of six
    /// digits or more, e.g. `612345678` or `118218`, and the connectors dressed any digits as
    /// E.164, e.g. `3010` → `+3010`), plus a known country code (the store accepted `+999…`).
    pub fn parse(input: &str) -> Option<PhoneNumber> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !SEPARATORS.contains(c))
            .collect();
        let digits = if let Some(international) = compact.strip_prefix('+') {
            international.to_string()
        } else if let Some(international) = compact.strip_prefix("00") {
            international.to_string()
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
        let well_formed = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !well_formed {
            return None;
        }
        let parsed = phonenumber::parse(None, format!("+{digits}")).ok()?;
        Some(PhoneNumber(
            phonenumber::format(&parsed).mode(Mode::E164).to_string(),
        ))
    }

    /// `input` when it is already written in E.164 (`+33130000000`: no space, no national
    /// `0`, nothing [`PhoneNumber::parse`] would rewrite), as a configuration file must hold
    /// it; `None` for any other spelling, even of a phone number.
    pub fn parse_e164(input: &str) -> Option<PhoneNumber> {
        PhoneNumber::parse(input).filter(|number| number.as_str() == input)
    }

    /// E.164: `+33612345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Vonage spelling, E.164 without `+`: `33612345678`.
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }

    /// The number masked for logs: `+336******78` ([`mask_number`]).
    pub fn masked(&self) -> String {
        mask_number(&self.0)
    }

    /// The number as a French reader expects it: « 06 12 34 56 78 » for a French
    /// (metropolitan or overseas) number of the usual length, the international format
    /// « +44 7700 900123 » for any other.
    pub fn french_display(&self) -> String {
        let Some(parsed) = self.metadata() else {
            return self.0.clone();
        };
        let french = matches!(
            parsed.code().value(),
            33 | 262 | 269 | 590 | 594 | 596 | 508
        );
        let national = parsed.national().value().to_string();
        if !french || national.len() != 9 {
            return parsed.format().mode(Mode::International).to_string();
        }
        format!("0{national}")
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the numbering plans (libphonenumber's metadata) say the number exists: a
    /// published number should be; a caller's may be in a block the tables do not list yet.
    pub fn is_valid(&self) -> bool {
        self.metadata().is_some_and(|parsed| parsed.is_valid())
    }

    /// The number as the `phonenumber` crate reads it (country code, national number, type).
    /// Always `Some` for a parsed number; an `Option` so that nothing here can panic.
    pub(crate) fn metadata(&self) -> Option<phonenumber::PhoneNumber> {
        phonenumber::parse(None, &self.0).ok()
    }
}

impl fmt::Display for PhoneNumber {
    /// E.164.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<PhoneNumber> for String {
    fn from(number: PhoneNumber) -> String {
        number.0
    }
}

/// A number as the store keeps it and as the connectors hand it to the engine: E.164 when it
/// is a phone number, else as given, trimmed (`anonymous`, a SIP URI, a short code, an
/// alphanumeric sender), so that one citizen's rows are found by one number. Providers spell
/// numbers their own way (Twilio E.164, Vonage and SMPP digits only, a SIP trunk behind
/// jambonz whatever the operator sends: `+33…`, `33…`, `0033…`, `01…`); all become this.
pub fn stored_number(input: &str) -> String {
    PhoneNumber::parse(input).map_or_else(|| input.trim().to_string(), String::from)
}

/// A number as a provider that wants digits only (Vonage, jambonz's SMPP) is sent it: the
/// [`PhoneNumber::digits`] of a number already in E.164 (what the outbox and the commune's
/// settings hold), else as given, trimmed: an alphanumeric sender such as `VILLEBOURG` is
/// sent as is, and so is any other spelling (`0612345678`), which the provider then refuses
/// rather than this guessing which number was meant.
pub fn provider_digits(input: &str) -> String {
    let trimmed = input.trim();
    PhoneNumber::parse_e164(trimmed)
        .map_or_else(|| trimmed.to_string(), |number| number.digits().to_string())
}

/// Whether the caller's number is withheld or unusable (nobody can call it back): it is not a
/// [`PhoneNumber`].
pub fn is_withheld(number: &str) -> bool {
    PhoneNumber::parse(number).is_none()
}

/// A stored number for the console: [`PhoneNumber::french_display`] when it is one, else as
/// given (`anonymous`).
pub fn display_number(number: &str) -> String {
    PhoneNumber::parse(number).map_or_else(|| number.to_string(), |n| n.french_display())
}

/// Any text in a log's place of a number (service logs, console audit lines, CLI output,
/// provider error bodies) masked: the first four and last two characters kept,
/// `+33612345678` → `+336******78`; six characters or fewer are fully masked. The one masking
/// rule of the project.
pub fn mask_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(input: &str) -> Option<String> {
        PhoneNumber::parse(input).map(String::from)
    }

    #[test]
    fn every_spelling_of_one_number_is_one_number() {
        for spelling in [
            "+33612345678",
            " +33 6 12 34 56 78 ",
            "+33\u{a0}6\u{a0}12\u{a0}34\u{a0}56\u{a0}78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "(06) 12 34 56 78",
            "06 12 34 56 78",
            "0612345678",
            "0033612345678",
            "00 33 6 12 34 56 78",
            "33612345678",
            "+33 (0)6 12 34 56 78",
        ] {
            assert_eq!(
                e164(spelling).as_deref(),
                Some("+33612345678"),
                "{spelling}"
            );
        }
        assert_eq!(e164("+262692123456").as_deref(), Some("+262692123456"));
        assert_eq!(e164("447700900123").as_deref(), Some("+447700900123"));
        assert_eq!(e164(" 0130000001 ").as_deref(), Some("+33130000001"));
    }

    #[test]
    fn published_french_numbers() {
        for published in ["01 30 79 62 62", "+33 1 30 79 62 62", "01.30.79.62.62"] {
            let number = PhoneNumber::parse(published);
            assert_eq!(
                number.as_ref().map(PhoneNumber::as_str),
                Some("+33130796262"),
                "{published}"
            );
            assert!(number.is_some_and(|n| n.is_valid()), "{published}");
        }
        assert_eq!(e164("pas un numéro"), None);
        assert_eq!(e164("36 46"), None);
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for other in [
            "anonymous",
            "unknown",
            "",
            "3010",
            "3620",
            "118 218",
            "612345678",
            "06123456789",
            "+33",
            "+3361234",
            "+0330000000",
            "00",
            "+999123456789",
            "+1234567890123456",
            "VILLEBOURG",
            "not a number",
            "01234",
            "sip:standard@pbx.villebourg.fr",
            "sip:+33612345678@pbx.villebourg.fr",
        ] {
            assert_eq!(e164(other), None, "{other}");
            assert!(is_withheld(other), "{other}");
        }
        assert!(!is_withheld("+33130123456"));
    }

    #[test]
    fn e164_as_written() {
        assert!(PhoneNumber::parse_e164("+33130000000").is_some());
        assert!(PhoneNumber::parse_e164("+447700900123").is_some());
        for other in [
            "0130000000",
            "+33 1 30 00 00 00",
            " +33130000000",
            "33130000000",
            "+0330000000",
            "+330130000000",
            "+999123456789",
        ] {
            assert!(PhoneNumber::parse_e164(other).is_none(), "{other}");
        }
    }

    #[test]
    fn a_parsed_number_parses_to_itself() {
        for spelling in ["06 12 34 56 78", "+33 (0)1 30 79 62 62", "447700900123"] {
            let number = PhoneNumber::parse(spelling);
            assert!(number.is_some(), "{spelling}");
            let again = number.as_ref().and_then(|n| PhoneNumber::parse(n.as_str()));
            assert_eq!(again, number, "{spelling}");
            let from_digits = number.as_ref().and_then(|n| PhoneNumber::parse(n.digits()));
            assert_eq!(from_digits, number, "{spelling}");
        }
    }

    #[test]
    fn spellings_as_stored_and_as_sent() {
        let number = PhoneNumber::parse("06 12 34 56 78");
        assert_eq!(
            number.as_ref().map(ToString::to_string).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            number.as_ref().map(PhoneNumber::digits),
            Some("33612345678")
        );
        assert_eq!(stored_number(" anonymous "), "anonymous");
        assert_eq!(stored_number("06 12 34 56 78"), "+33612345678");
        for spelling in ["+33612345678", "33612345678", "0033612345678", "0612345678"] {
            assert_eq!(stored_number(spelling), "+33612345678", "{spelling}");
        }
        assert_eq!(provider_digits(" +33612345678 "), "33612345678");
        assert_eq!(provider_digits("0612345678"), "0612345678");
        assert_eq!(stored_number(" 0130000001 "), "+33130000001");
        assert_eq!(
            stored_number("sip:standard@pbx.villebourg.fr"),
            "sip:standard@pbx.villebourg.fr"
        );
        // What is not a number stays as it came: a short code, an odd national spelling.
        assert_eq!(stored_number("3010"), "3010");
        assert_eq!(stored_number("06123456789"), "06123456789");
        assert_eq!(stored_number("00"), "00");
        assert_eq!(stored_number(""), "");
        assert_eq!(provider_digits("VILLEBOURG"), "VILLEBOURG");
        assert_eq!(provider_digits(" anonymous "), "anonymous");
    }

    #[test]
    fn masked_numbers_hide_the_middle() {
        assert_eq!(mask_number("+33612345678"), "+336******78");
        assert_eq!(mask_number("33612345678"), "3361*****78");
        assert_eq!(mask_number("123"), "***");
        assert_eq!(mask_number(""), "");
        assert_eq!(
            PhoneNumber::parse("06 12 34 56 78")
                .map(|n| n.masked())
                .as_deref(),
            Some("+336******78")
        );
    }

    #[test]
    fn numbers_read_the_french_way() {
        assert_eq!(display_number("+33612345678"), "06 12 34 56 78");
        assert_eq!(display_number("+33145678901"), "01 45 67 89 01");
        assert_eq!(display_number("+262692123456"), "06 92 12 34 56");
        assert_eq!(display_number("+447700900123"), "+44 7700 900123");
        assert_eq!(display_number("anonymous"), "anonymous");
    }
}
