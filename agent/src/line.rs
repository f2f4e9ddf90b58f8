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

/// Whether an SMS may be sent to `number`: a French mobile, metropolitan (+336, +337) or in an
/// overseas mobile range ([`PLANS`]), by prefix. Any other number (foreign mobiles included) is
/// refused by the SMS guard: SMS pumping targets foreign and premium ranges.
pub fn is_french_mobile(number: &str) -> bool {
    let Some(parsed) = parse(number) else {
        return false;
    };
    let code = parsed.code().value();
    let national = parsed.national().value().to_string();
    national.len() == 9
        && PLANS.iter().any(|(plan, mobiles, _)| {
            *plan == code && mobiles.iter().any(|p| national.starts_with(p))
        })
}

/// Whether a standardiste may call a number back, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    /// A French (metropolitan or overseas) mobile or landline.
    Callable,
    /// Premium-rate or shared-cost (08 1x, 08 2x, 08 9x, 118…): calling it costs the commune.
    Premium,
    /// A short or malformed national number (3xxx, 118 218…).
    Short,
    /// A number outside the French numbering plans.
    Foreign,
}

impl Callback {
    /// What the ticket says instead of offering the number for a callback (French).
    pub fn warning(self) -> Option<&'static str> {
        match self {
            Callback::Callable => None,
            Callback::Premium => {
                Some("numéro surtaxé (08 1x, 08 2x, 08 9x, 118…) : à ne pas rappeler")
            }
            Callback::Short => Some("numéro court ou incomplet : à ne pas rappeler"),
            Callback::Foreign => Some("numéro étranger : à ne pas rappeler sans vérification"),
        }
    }
}

/// Classifies a callback number (see [`Callback`]); a withheld number is [`Callback::Short`].
pub fn callback(number: &str) -> Callback {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let Some(parsed) = parse(number) else {
        return Callback::Short;
    };
    let code = parsed.code().value();
    let national = parsed.national().value().to_string();
    if code == 33 {
        if national.starts_with("118") || (national.len() < 9 && digits.len() < 9) {
            return if national.starts_with("118") {
                Callback::Premium
            } else {
                Callback::Short
            };
        }
        if ["81", "82", "89"].iter().any(|p| national.starts_with(p)) {
            return Callback::Premium;
        }
        if national.len() != 9 {
            return Callback::Short;
        }
        return Callback::Callable;
    }
    if PLANS.iter().any(|(plan, _, _)| *plan == code) {
        return if national.len() == 9 {
            Callback::Callable
        } else {
            Callback::Short
        };
    }
    match parsed.number_type(&DATABASE) {
        Type::PremiumRate | Type::SharedCost => Callback::Premium,
        _ => Callback::Foreign,
    }
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
    fn only_french_mobiles_may_get_an_sms() {
        for yes in [
            "+33612345678",
            "0712345678",
            "+590690123456",
            "+262692123456",
        ] {
            assert!(is_french_mobile(yes), "{yes}");
        }
        for no in [
            "+447700900124",
            "+33130123456",
            "+33899123456",
            "+4915112345678",
            "3010",
            "anonymous",
            "",
        ] {
            assert!(!is_french_mobile(no), "{no}");
        }
    }

    #[test]
    fn callback_numbers_flag_premium_short_and_foreign() {
        assert_eq!(callback("+33612345678"), Callback::Callable);
        assert_eq!(callback("+33130123456"), Callback::Callable);
        assert_eq!(callback("0899123456"), Callback::Premium);
        assert_eq!(callback("+33891234567"), Callback::Premium);
        assert_eq!(callback("+33821234567"), Callback::Premium);
        assert_eq!(callback("118218"), Callback::Premium);
        assert_eq!(callback("3010"), Callback::Short);
        assert_eq!(callback("+447700900124"), Callback::Foreign);
        assert_eq!(callback("+596696123456"), Callback::Callable);
        assert!(Callback::Premium.warning().unwrap().contains("surtaxé"));
        assert!(Callback::Callable.warning().is_none());
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
