//! What kind of line a caller's number is, as far as sending an SMS goes.

use phonenumber::metadata::DATABASE;
use phonenumber::{PhoneNumber, Type, country};

use crate::types::LineType;

impl LineType {
    /// Classifies a caller's number with the `phonenumber` crate (libphonenumber metadata):
    /// French mobiles (+336, +337) and the overseas mobile ranges (Guadeloupe +590 690/691,
    /// Martinique +596 696/697, Guyane +594 694, Réunion/Mayotte +262 692/693/639…) are
    /// `Mobile`; fixed lines and VoIP (+331…+335, +339) are `Landline`; a withheld or
    /// malformed number is `Unknown`. National numbers ("06 12 34 56 78") are read as French.
    pub fn of(number: &str) -> LineType {
        let Some(parsed) = parse(number) else {
            return LineType::Unknown;
        };
        // The French plans by their prefixes (what the protocol and callers rely on), whatever
        // the allocation tables say about a given block.
        let code = parsed.code().value();
        let national = parsed.national().value().to_string();
        if national.len() == 9
            && let Some((_, mobiles, fixed)) = PLANS.iter().find(|(plan, _, _)| *plan == code)
        {
            if mobiles.iter().any(|prefix| national.starts_with(prefix)) {
                return LineType::Mobile;
            }
            if fixed.iter().any(|prefix| national.starts_with(prefix)) {
                return LineType::Landline;
            }
        }
        if !parsed.is_valid() {
            return LineType::Unknown;
        }
        match parsed.number_type(&DATABASE) {
            Type::Mobile => LineType::Mobile,
            Type::FixedLine | Type::Voip => LineType::Landline,
            // Regions where mobiles and fixed lines share a range cannot be texted safely.
            _ => LineType::Unknown,
        }
    }
}

/// Country code, mobile prefixes and fixed/VoIP prefixes of the national number (9 digits):
/// metropolitan France and the overseas departments.
const PLANS: &[(u16, &[&str], &[&str])] = &[
    (33, &["6", "7"], &["1", "2", "3", "4", "5", "9"]),
    (590, &["690", "691"], &["590"]),
    (596, &["696", "697"], &["596"]),
    (594, &["694"], &["594"]),
    (262, &["692", "693", "639"], &["262", "263", "269"]),
];

fn parse(number: &str) -> Option<PhoneNumber> {
    let trimmed = number.trim();
    if trimmed.chars().filter(char::is_ascii_digit).count() < 6 {
        return None;
    }
    phonenumber::parse(Some(country::Id::FR), trimmed).ok()
}

/// Whether the caller's number is withheld or unusable (nobody can call it back).
pub fn is_withheld(number: &str) -> bool {
    parse(number).is_none()
}

/// The number in E.164 form ("+33612345678") when it parses, for comparisons.
pub fn e164(number: &str) -> Option<String> {
    let parsed = parse(number)?;
    Some(
        phonenumber::format(&parsed)
            .mode(phonenumber::Mode::E164)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_mobiles_and_landlines() {
        assert_eq!(LineType::of("+33612345678"), LineType::Mobile);
        assert_eq!(LineType::of("+33712345678"), LineType::Mobile);
        assert_eq!(LineType::of("06 12 34 56 78"), LineType::Mobile);
        for landline in [
            "+33130123456",
            "+33230123456",
            "+33340123456",
            "+33412345678",
            "+33512345678",
            "+33912345678",
        ] {
            assert_eq!(LineType::of(landline), LineType::Landline, "{landline}");
        }
    }

    #[test]
    fn overseas_mobiles() {
        for mobile in [
            "+590690123456",
            "+590691123456",
            "+596696123456",
            "+596697123456",
            "+594694123456",
            "+262692123456",
            "+262693123456",
            "+262639123456",
        ] {
            assert_eq!(LineType::of(mobile), LineType::Mobile, "{mobile}");
        }
        assert_eq!(LineType::of("+590590123456"), LineType::Landline);
        assert_eq!(LineType::of("+262262123456"), LineType::Landline);
    }

    #[test]
    fn withheld_and_garbage() {
        for number in [
            "",
            "anonymous",
            "unknown",
            "+33",
            "12",
            "not a number",
            "+3361234",
        ] {
            assert_eq!(LineType::of(number), LineType::Unknown, "{number:?}");
        }
        assert!(is_withheld("anonymous"));
        assert!(is_withheld(""));
        assert!(!is_withheld("+33130123456"));
        assert_eq!(e164("06 12 34 56 78").as_deref(), Some("+33612345678"));
    }
}
