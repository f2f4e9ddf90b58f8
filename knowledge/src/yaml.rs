//! Multi-document YAML files (recorded dialogues) read safely.

use serde::Deserialize as _;

/// The text without the byte order mark some editors write first (serde_yaml_ng misreads it).
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How many documents of `text` can be read, from the first: after a YAML syntax error,
/// serde_yaml_ng's document iterator goes on with broken documents (the same error forever,
/// or events that make it panic), so a reader takes no more than these (and the next one, to
/// report its error).
pub fn readable_documents(text: &str) -> usize {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| serde::de::IgnoredAny::deserialize(document).is_ok())
        .take_while(|&ok| ok)
        .count()
}
