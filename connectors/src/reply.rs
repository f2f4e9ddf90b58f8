//! What a voice renderer reads of a [`Reply`]: its words as one text, and the speech hints of the
//! turn when the engine listens next.

use guichet_agent::{Action, Reply};

/// The utterances, trimmed, the empty ones left out, joined by a space.
pub fn spoken(reply: &Reply) -> String {
    reply
        .say
        .iter()
        .map(|u| u.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// When the engine listens next: its hints, or `fallback` (the knowledge base's keywords) when
/// it gives none.
pub fn listen_hints<'a>(reply: &'a Reply, fallback: &'a [String]) -> Option<&'a [String]> {
    reply.actions.iter().find_map(|action| match action {
        Action::Listen { hints } if hints.is_empty() => Some(fallback),
        Action::Listen { hints } => Some(&hints[..]),
        _ => None,
    })
}
