//! Tickets for the humans: what the caller said and what the robot already did, in French, so
//! that a standardiste never receives a blind transfer; and the reference of a report.

use crate::session::Session;

/// How much of one caller message goes into a summary.
const QUOTE_CHARS: usize = 200;

/// The French summary of a conversation for a ticket: the reason of the handoff, what the
/// caller said (the last messages, quoted) and what the robot answered.
pub fn summary(session: &Session, current: &str, reason: &str) -> String {
    let mut said: Vec<String> = session
        .history
        .iter()
        .map(|exchange| exchange.caller.as_str())
        .chain(std::iter::once(current))
        .filter(|text| !text.trim().is_empty())
        .map(|text| format!("« {} »", shorten(text.trim())))
        .collect();
    said.dedup();
    let done: Vec<&str> = session
        .history
        .iter()
        .map(|exchange| exchange.robot.as_str())
        .collect();
    let mut out = format!("Motif : {reason}.");
    if !said.is_empty() {
        out.push_str(&format!(" L'appelant a dit : {}.", said.join(" ; ")));
    }
    if !done.is_empty() {
        out.push_str(&format!(" Le robot a : {}.", done.join(" ; ")));
    }
    out
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(QUOTE_CHARS).collect();
    format!("{}…", cut.trim_end())
}

/// Crockford base 32 (no I, L, O, U: nothing to confuse when read over the phone).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The reference of a report, deterministic from the conversation and the turn:
/// "SIG-" and six characters (FNV-1a of both, in Crockford base 32).
pub fn report_reference(conversation_id: &str, turn: u32) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in conversation_id
        .bytes()
        .chain(*b"#")
        .chain(turn.to_le_bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let code: String = (0..6)
        .map(|index| ALPHABET[((hash >> (index * 5)) & 31) as usize] as char)
        .collect();
    format!("SIG-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Exchange;
    use crate::types::{Channel, DecisionAction};

    #[test]
    fn references_are_deterministic_and_distinct() {
        let a = report_reference("conv-1", 2);
        assert_eq!(a, report_reference("conv-1", 2));
        assert_ne!(a, report_reference("conv-1", 3));
        assert_ne!(a, report_reference("conv-2", 2));
        assert!(a.starts_with("SIG-") && a.len() == 10, "{a}");
        assert!(a[4..].chars().all(|c| ALPHABET.contains(&(c as u8))));
    }

    #[test]
    fn summary_quotes_the_caller_and_the_robot() {
        let mut session = Session::new("c", Channel::Voice, "+33612345678");
        session.remember(Exchange {
            caller: "Mon voisin a déposé des déchets".into(),
            robot: "redirigé vers la Communauté d'agglomération (Dépôt sauvage)".into(),
            action: DecisionAction::Deflect,
        });
        let text = summary(&session, "Je n'ai pas Internet.", "pas d'accès à Internet");
        assert_eq!(
            text,
            "Motif : pas d'accès à Internet. L'appelant a dit : « Mon voisin a déposé des déchets » ; \
             « Je n'ai pas Internet. ». Le robot a : redirigé vers la Communauté d'agglomération (Dépôt sauvage)."
        );
        let long = "a".repeat(500);
        assert!(summary(&Session::new("c", Channel::Voice, ""), &long, "x").len() < 300);
    }
}
