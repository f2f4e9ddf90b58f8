//! SMS text encoding: GSM-7 when possible (160 characters a segment instead of 70 in UCS-2).
//!
//! French typography (’ « » … œ ê) is outside the GSM 03.38 alphabet; we transliterate it to the
//! nearest GSM-7 characters. Text that still does not fit (emoji, other scripts) is sent as UCS-2.

use guichet_knowledge::sms::{gsm7_units, sms_size};

pub use guichet_knowledge::sms::SmsEncoding as Encoding;

/// A text ready to send, with how it will be encoded and how many segments it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsText {
    pub text: String,
    pub encoding: Encoding,
    pub segments: usize,
}

fn is_gsm7(c: char) -> bool {
    gsm7_units(c).is_some()
}

fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        '’' | '‘' | '‚' | '‛' | '′' | '`' | '´' => "'",
        '“' | '”' | '„' | '«' | '»' | '″' => "\"",
        '–' | '—' | '‐' | '‑' | '−' => "-",
        '…' => "...",
        '\u{00A0}' | '\u{202F}' | '\u{2009}' | '\t' => " ",
        'œ' => "oe",
        'Œ' => "OE",
        'â' | 'á' | 'ã' => "a",
        'À' | 'Â' | 'Á' | 'Ã' => "A",
        'ê' | 'ë' => "e",
        'È' | 'Ê' | 'Ë' => "E",
        'î' | 'ï' | 'í' => "i",
        'Î' | 'Ï' | 'Í' | 'Ì' => "I",
        'ô' | 'ó' | 'õ' => "o",
        'Ô' | 'Ó' | 'Ò' | 'Õ' => "O",
        'û' | 'ú' => "u",
        'Û' | 'Ù' | 'Ú' => "U",
        'ç' => "c",
        'ÿ' => "y",
        'Ÿ' => "Y",
        _ => return None,
    })
}

/// Prepare a text for SMS: GSM-7 (transliterated if needed) when possible, else UCS-2 unchanged.
/// Segment counting is the knowledge crate's (`guichet kb check` uses the same rule).
pub fn fit(text: &str) -> SmsText {
    let mut gsm = String::with_capacity(text.len());
    for c in text.chars() {
        if is_gsm7(c) {
            gsm.push(c);
        } else if let Some(replacement) = transliterate(c) {
            gsm.push_str(replacement);
        } else {
            let size = sms_size(text);
            return SmsText {
                text: text.to_string(),
                encoding: size.encoding,
                segments: size.segments,
            };
        }
    }
    let size = sms_size(&gsm);
    SmsText {
        text: gsm,
        encoding: size.encoding,
        segments: size.segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_french_with_gsm_accents_is_unchanged() {
        let sms =
            fit("Mairie de Villebourg : rendez-vous à prendre sur https://villebourg.example/cni");
        assert_eq!(sms.encoding, Encoding::Gsm7);
        assert_eq!(
            sms.text,
            "Mairie de Villebourg : rendez-vous à prendre sur https://villebourg.example/cni"
        );
        assert_eq!(sms.segments, 1);
    }

    #[test]
    fn typography_is_transliterated() {
        let sms = fit("L’état civil « Villebourg » — fenêtre… cœur");
        assert_eq!(sms.encoding, Encoding::Gsm7);
        assert_eq!(sms.text, "L'état civil \" Villebourg \" - fenetre... coeur");
    }

    #[test]
    fn emoji_forces_ucs2_and_keeps_text() {
        let sms = fit("Merci 🙂");
        assert_eq!(sms.encoding, Encoding::Ucs2);
        assert_eq!(sms.text, "Merci 🙂");
        assert_eq!(sms.segments, 1);
    }

    #[test]
    fn long_text_counts_concatenated_segments() {
        assert_eq!(fit(&"a".repeat(160)).segments, 1);
        assert_eq!(fit(&"a".repeat(161)).segments, 2);
        assert_eq!(fit(&"€".repeat(80)).segments, 1);
        assert_eq!(fit(&"€".repeat(81)).segments, 2);
    }
}
