//! Small format checks shared by `commune.toml` and the fiches.

use std::path::Path;

use guichet_phone::PhoneNumber;

use crate::problem::Problems;

/// Is this a web address a fiche may hold: absolute, `http` or `https`, with a host? Importers
/// apply the same rule before writing one.
pub fn is_web_address(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|host| host.contains('.'))
    })
}

/// A web address staff wrote (see [`is_web_address`]).
pub(crate) fn check_url(
    path: &Path,
    line: usize,
    value: &str,
    what: &str,
    problems: &mut Problems,
) {
    if !is_web_address(value) {
        problems.error(
            path,
            line,
            format!("{what} : adresse web « {value} » invalide (attendu : https://…)"),
        );
    }
}

/// Is this a phone number written in E.164 ([`PhoneNumber::parse_e164`])?
fn is_e164(value: &str) -> bool {
    PhoneNumber::parse_e164(value).is_some()
}

pub(crate) fn check_e164(
    path: &Path,
    line: usize,
    value: &str,
    what: &str,
    problems: &mut Problems,
) {
    if !is_e164(value) {
        problems.error(
            path,
            line,
            format!("{what} « {value} » invalide : format international attendu, par exemple +33130000000"),
        );
    }
}

/// A French national short service number (3646, 119, 116006): 3 to 6 digits, not starting
/// with 0. Callers dial it as it is from France.
pub fn is_short_number(value: &str) -> bool {
    (3..=6).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_digit())
        && !value.starts_with('0')
}

/// A partner's phone: E.164, or a national short service number (a partner is only spoken of,
/// never dialled by guichet).
pub(crate) fn check_partner_phone(
    path: &Path,
    line: usize,
    value: &str,
    what: &str,
    problems: &mut Problems,
) {
    if !is_e164(value) && !is_short_number(value) {
        problems.error(
            path,
            line,
            format!(
                "{what} « {value} » invalide : format international attendu, par exemple \
                 +33130000000, ou un numéro court national comme 3646"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::is_short_number;

    #[test]
    fn short_numbers() {
        assert!(is_short_number("3646"));
        assert!(is_short_number("119"));
        assert!(is_short_number("116006"));
        assert!(!is_short_number("0130000000"));
        assert!(!is_short_number("36 46"));
        assert!(!is_short_number("12"));
    }
}
