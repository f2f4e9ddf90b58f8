//! What the standard hears when it picks up a transfer, before the caller is connected: the
//! robot never passes a caller on blind.

/// The announcement: the caller's request and the number of its ticket in the console
/// (`ticket`: its id and topic, when it is known).
pub fn whisper_to_standard(ticket: Option<(i64, &str)>) -> String {
    match ticket {
        Some((id, topic)) if !topic.trim().is_empty() => format!(
            "Appel transféré par l'assistant de la mairie. Demande : {}. Ticket numéro {id} dans la console.",
            topic.trim().trim_end_matches('.')
        ),
        Some((id, _)) => format!(
            "Appel transféré par l'assistant de la mairie. Ticket numéro {id} dans la console."
        ),
        None => "Appel transféré par l'assistant de la mairie. La demande est dans la console."
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_hears_the_request_and_the_ticket() {
        let text = whisper_to_standard(Some((42, "Passeport perdu")));
        assert!(text.contains("Demande : Passeport perdu."), "{text}");
        assert!(text.contains("Ticket numéro 42"), "{text}");
        assert!(whisper_to_standard(Some((7, " "))).contains("Ticket numéro 7"));
        assert!(whisper_to_standard(None).contains("dans la console"));
    }
}
