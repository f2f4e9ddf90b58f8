//! What kind of line a number is: whether it may get an SMS ([`LineType`],
//! [`is_french_mobile`]) and whether a standardiste may call it back ([`Callback`]).

use phonenumber::Type;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Serialize};

use crate::number::PhoneNumber;

/// What the caller's number is, as far as sending an SMS goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineType {
    Mobile,
    Landline,
    #[default]
    Unknown,
}

impl LineType {
    /// [`PhoneNumber::line_type`] of a caller's number; `Unknown` when it is withheld or not a
    /// [`PhoneNumber`].
    pub fn of(number: &str) -> LineType {
        PhoneNumber::parse(number).map_or(LineType::Unknown, |number| number.line_type())
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

impl PhoneNumber {
    /// The country code and the national (significant) number.
    fn plan_parts(&self) -> Option<(u16, String, phonenumber::PhoneNumber)> {
        let parsed = self.metadata()?;
        Some((
            parsed.code().value(),
            parsed.national().value().to_string(),
            parsed,
        ))
    }

    /// Classifies the number: French mobiles (+336, +337) and the overseas mobile ranges
    /// (Guadeloupe +590 690/691, Martinique +596 696/697, Guyane +594 694, Réunion/Mayotte
    /// +262 692/693/639…) are `Mobile`; fixed lines and VoIP (+331…+335, +339) are
    /// `Landline`, by their prefixes (what the protocol and callers rely on), whatever the
    /// allocation tables say about a given block; other countries by libphonenumber's
    /// metadata; an invalid number is `Unknown`.
    pub fn line_type(&self) -> LineType {
        let Some((code, national, parsed)) = self.plan_parts() else {
            return LineType::Unknown;
        };
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

    /// Whether an SMS may be sent to the number: a French mobile, metropolitan (+336, +337)
    /// or in an overseas mobile range (`PLANS`), by prefix. Any other number (foreign
    /// mobiles included) is refused by the SMS guard: SMS pumping targets foreign and premium
    /// ranges.
    pub fn is_french_mobile(&self) -> bool {
        self.plan_parts().is_some_and(|(code, national, _)| {
            national.len() == 9
                && PLANS.iter().any(|(plan, mobiles, _)| {
                    *plan == code && mobiles.iter().any(|p| national.starts_with(p))
                })
        })
    }
}

/// [`PhoneNumber::is_french_mobile`] of a number in any spelling; `false` when it is not a
/// [`PhoneNumber`].
pub fn is_french_mobile(number: &str) -> bool {
    PhoneNumber::parse(number).is_some_and(|number| number.is_french_mobile())
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

/// Classifies a callback number (see [`Callback`]). What is not a [`PhoneNumber`] is
/// [`Callback::Short`] (a withheld number included), except the directory enquiries
/// (`118 xxx`, six digits or more), which are [`Callback::Premium`].
pub fn callback(number: &str) -> Callback {
    let Some((code, national, parsed)) =
        PhoneNumber::parse(number).and_then(|number| number.plan_parts())
    else {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        return if digits.len() >= 6 && digits.starts_with("118") {
            Callback::Premium
        } else {
            Callback::Short
        };
    };
    if code == 33 {
        if ["118", "81", "82", "89"]
            .iter()
            .any(|p| national.starts_with(p))
        {
            return Callback::Premium;
        }
        return if national.len() == 9 {
            Callback::Callable
        } else {
            Callback::Short
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_mobiles_and_landlines() {
        assert_eq!(LineType::of("+33612345678"), LineType::Mobile);
        assert_eq!(LineType::of("+33712345678"), LineType::Mobile);
        assert_eq!(LineType::of("06 12 34 56 78"), LineType::Mobile);
        assert_eq!(LineType::of("33612345678"), LineType::Mobile);
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
        assert_eq!(callback("118 218"), Callback::Premium);
        assert_eq!(callback("3010"), Callback::Short);
        assert_eq!(callback("anonymous"), Callback::Short);
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
    }
}
