//! How many SMS segments a text takes (GSM 03.38 7-bit alphabet, else UCS-2).

use std::borrow::Cow;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// GSM 03.38 basic character set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table (escape + septet: two each).
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// GSM-7 units of each ASCII character (0: none, the character is not in the alphabet), read
/// from the tables above once: most of an SMS is ASCII.
static ASCII_UNITS: LazyLock<[u8; 128]> = LazyLock::new(|| {
    let mut units = [0; 128];
    for (table, width) in [(GSM_BASIC, 1), (GSM_EXTENSION, 2)] {
        for c in table.chars().filter(char::is_ascii) {
            units[c as usize] = width;
        }
    }
    units
});

/// GSM-7 septets a character takes (two for the extension table), `None` outside GSM 03.38.
pub fn gsm7_units(c: char) -> Option<usize> {
    if c.is_ascii() {
        return match ASCII_UNITS[c as usize] {
            0 => None,
            width => Some(usize::from(width)),
        };
    }
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// Encoding, length in encoding units, and number of segments of an SMS text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsSize {
    pub encoding: SmsEncoding,
    pub units: usize,
    pub segments: usize,
}

/// Segments of a text: 160 GSM-7 septets (70 UCS-2 units) fit one SMS; a longer text is split
/// in segments of 153 septets (67 UCS-2 units).
pub fn sms_size(text: &str) -> SmsSize {
    let gsm_units: Option<usize> = text.chars().map(gsm7_units).sum();
    let (encoding, units, single, multi) = match gsm_units {
        Some(units) => (SmsEncoding::Gsm7, units, 160, 153),
        None => (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    };
    SmsSize {
        encoding,
        units,
        segments,
    }
}

/// The text in the GSM-7 alphabet, so that an SMS is not sent in UCS-2 (70 characters a
/// segment instead of 160) for one letter: a letter outside it loses its accent (« ê » → « e »,
/// « Î » → « I »), typographic quotes, dashes, spaces and ligatures take their plain forms,
/// anything else becomes « ? ». A text already in GSM-7 is returned as it is.
pub fn in_gsm7(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| gsm7_units(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if gsm7_units(c).is_some() {
            out.push(c);
            continue;
        }
        match c {
            '’' | '‘' | 'ʼ' | '`' | '´' => out.push('\''),
            '«' | '»' | '“' | '”' => out.push('"'),
            '–' | '—' | '‐' => out.push('-'),
            '…' => out.push_str("..."),
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            c if c.is_whitespace() => out.push(' '),
            c => {
                let base: String = c.nfd().filter(|c| !is_combining_mark(*c)).collect();
                if !base.is_empty() && base.chars().all(|c| gsm7_units(c).is_some()) {
                    out.push_str(&base);
                } else {
                    out.push('?');
                }
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_text_uses_160_then_153() {
        assert_eq!(sms_size(&"a".repeat(160)).segments, 1);
        assert_eq!(sms_size(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_size(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_size(&"a".repeat(307)).segments, 3);
        assert_eq!(sms_size("é è à ù").encoding, SmsEncoding::Gsm7);
        assert_eq!(sms_size("[]").units, 4);
        assert_eq!(
            in_gsm7("Mutualité d’Île-de-France – forêt « Côte » œuvre…"),
            "Mutualité d'Ile-de-France - foret \" Cote \" oeuvre..."
        );
        assert!(matches!(in_gsm7("déjà là"), Cow::Borrowed(_)));
        assert_eq!(in_gsm7("日"), "?");
    }

    #[test]
    fn a_single_non_gsm_char_switches_to_ucs2() {
        let text = format!("{}ê", "a".repeat(69));
        let size = sms_size(&text);
        assert_eq!(size.encoding, SmsEncoding::Ucs2);
        assert_eq!(size.segments, 1);
        assert_eq!(sms_size(&format!("{}ê", "a".repeat(134))).segments, 3);
    }
}
