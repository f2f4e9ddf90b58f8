//! The one rule for what a caller said or typed, applied by every connector (Twilio, Vonage,
//! jambonz, the JSON API) before the engine sees it: trimmed, and cut to
//! [`MAX_CALLER_TEXT_CHARS`] characters (a speech turn or an SMS is far shorter; a longer one is
//! a pasted document or an attack on the index and the store).

/// The longest caller text the engine receives, in characters.
pub const MAX_CALLER_TEXT_CHARS: usize = 1_000;

/// `raw` trimmed and cut to [`MAX_CALLER_TEXT_CHARS`] characters (never inside a character).
pub fn caller_text(raw: &str) -> String {
    let trimmed = raw.trim();
    match trimmed.char_indices().nth(MAX_CALLER_TEXT_CHARS) {
        Some((end, _)) => trimmed[..end].trim_end().to_string(),
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_text_is_trimmed_and_cut_on_a_character() {
        assert_eq!(caller_text("  horaires \n"), "horaires");
        let long = "é".repeat(MAX_CALLER_TEXT_CHARS + 500);
        let cut = caller_text(&long);
        assert_eq!(cut.chars().count(), MAX_CALLER_TEXT_CHARS);
        assert!(cut.chars().all(|c| c == 'é'));
        let exact = "a".repeat(MAX_CALLER_TEXT_CHARS);
        assert_eq!(caller_text(&exact), exact);
    }
}
