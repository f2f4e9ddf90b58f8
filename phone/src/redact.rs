//! Phone numbers in provider error bodies and error messages, masked for logs by the one
//! masking rule of the project ([`mask_number`]).

use std::borrow::Cow;

use crate::number::mask_number;

/// Free text (a provider's error body, an error message) with every phone number in it masked
/// by [`mask_number`]. A phone number here is an optional `+` followed by 8 to
/// 15 digits, not glued to a letter, digit or `_` (so ids such as `CA0000…a001` are left
/// alone). Text without one is returned as is.
pub fn redact_numbers(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let glued = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let mut out = String::new();
    let mut copied = 0;
    let mut index = 0;
    while index < bytes.len() {
        let start = index;
        let digits_from = if bytes[index] == b'+' {
            index + 1
        } else {
            index
        };
        let mut end = digits_from;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        let count = end - digits_from;
        let bounded =
            (start == 0 || !glued(bytes[start - 1])) && (end == bytes.len() || !glued(bytes[end]));
        if (8..=15).contains(&count) && bounded {
            out.push_str(&text[copied..start]);
            out.push_str(&mask_number(&text[start..end]));
            copied = end;
            index = end;
        } else {
            // Skip the whole run of digits (a longer number or an id is not split).
            index = end.max(index + 1);
        }
    }
    if copied == 0 {
        Cow::Borrowed(text)
    } else {
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_are_masked_and_ids_are_not() {
        assert_eq!(
            redact_numbers("HTTP 400: The 'To' number +33612345678 is not valid"),
            "HTTP 400: The 'To' number +336******78 is not valid"
        );
        assert_eq!(
            redact_numbers(r#"{"to":"33612345678","from":"+33130000001"}"#),
            r#"{"to":"3361*****78","from":"+331******01"}"#
        );
        let untouched = "call CA0000000000000000000000000000a001 at 10:15, code 21211";
        assert!(matches!(redact_numbers(untouched), Cow::Borrowed(_)));
        assert_eq!(
            redact_numbers("1234567890123456 +1234567"),
            "1234567890123456 +1234567"
        );
        assert_eq!(redact_numbers("é+33612345678é"), "é+336******78é");
    }
}
