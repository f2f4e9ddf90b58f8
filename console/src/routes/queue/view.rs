//! How a ticket reads on the desk: labels, the caller's number the French way, the caller's
//! first words when the robot did not understand, waits, handling times and due times.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use guichet_phone::{PhoneNumber, display_number};
use guichet_store::{Channel, DialOutcome, Ticket, TicketKind, TicketState};
use serde_json::{Value, json};

use crate::state::ConsoleState;

/// The topic the robot gives a request it did not understand.
pub(crate) const NOT_UNDERSTOOD: &str = "Demande non comprise";

/// Longest excerpt of the caller's words shown as a row's subject.
const FIRST_WORDS_CHARS: usize = 80;

/// French label of a ticket kind.
pub(crate) fn kind_label(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Transfer => "Transfert",
        TicketKind::Callback => "Rappel",
        TicketKind::Report => "Signalement",
    }
}

/// French label of a ticket state.
pub(crate) fn state_label(state: TicketState) -> &'static str {
    match state {
        TicketState::Nouveau => "Nouveau",
        TicketState::PrisEnCharge => "Pris en charge",
        TicketState::Termine => "Terminé",
        TicketState::Injoignable => "Injoignable",
    }
}

/// French label of how a live transfer's dial ended.
pub(crate) fn dial_label(outcome: DialOutcome) -> &'static str {
    match outcome {
        DialOutcome::Answered => "transféré, décroché",
        DialOutcome::Unanswered => "transfert sans réponse du standard : à rappeler",
    }
}

/// "4 min", "2 h 05", "3 j 4 h": a duration in minutes, read naturally.
pub(crate) fn duration_words(minutes: i64) -> String {
    match minutes.max(0) {
        0 => "moins d'une minute".to_string(),
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {:02}", m / 60, m % 60),
        m => format!("{} j {} h", m / (24 * 60), (m % (24 * 60)) / 60),
    }
}

/// How long something has waited, from `since` to `now`.
pub(crate) fn waiting_time(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    duration_words(now.signed_duration_since(since).num_minutes())
}

/// A `tel:` link target for a stored number (E.164 as stored; nothing for anything else).
pub(crate) fn tel_href(number: &str) -> Option<String> {
    PhoneNumber::parse(number).map(|number| format!("tel:{number}"))
}

/// The first `max` characters of `text`, whitespace collapsed, cut at a word boundary with
/// « … » when longer.
pub(crate) fn first_words(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(max).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// What the caller first said, from the ticket's transcript (any of the shapes tickets carry).
pub(crate) fn caller_first_words(transcript: &Value) -> Option<String> {
    let Value::Array(items) = transcript else {
        return None;
    };
    items.iter().find_map(|item| {
        ["caller", "caller_text", "citizen"]
            .iter()
            .find_map(|k| item.get(*k).and_then(Value::as_str))
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| first_words(text, FIRST_WORDS_CHARS))
    })
}

/// The subject of a row: the best-guess topic, or the caller's own words when the robot did
/// not understand (the topic then says so).
pub(crate) fn subject(ticket: &Ticket) -> (String, bool) {
    if ticket.topic == NOT_UNDERSTOOD
        && let Some(words) = caller_first_words(&ticket.transcript)
    {
        return (format!("« {words} »"), true);
    }
    (ticket.topic.clone(), false)
}

pub(crate) fn commune_name(state: &ConsoleState, commune: &str) -> String {
    state
        .inner
        .communes
        .get(commune)
        .map_or_else(|| commune.to_string(), |c| c.name.clone())
}

/// A ticket as the templates see it.
pub(crate) fn ticket_view(
    state: &ConsoleState,
    ticket: &Ticket,
    names: &BTreeMap<i64, String>,
    now: DateTime<Utc>,
) -> Value {
    let (subject, own_words) = subject(ticket);
    let open = ticket.state.is_open();
    let callback = ticket.kind == TicketKind::Callback;
    let due = ticket.due();
    let handling = ticket
        .closed_at
        .map(|closed| waiting_time(ticket.created_at, closed));
    json!({
        "id": ticket.id,
        "kind": kind_label(ticket.kind),
        "kind_key": ticket.kind.as_str(),
        "state": state_label(ticket.state),
        "state_key": ticket.state.as_str(),
        "open": open,
        "commune": commune_name(state, &ticket.tenant),
        "channel": match ticket.channel {
            Channel::Voice => "Appel",
            Channel::Sms => "SMS",
            Channel::Chat => "Discussion en ligne",
        },
        "caller": ticket.caller_number.as_deref().map_or_else(|| "numéro masqué".into(), display_number),
        "tel": ticket.caller_number.as_deref().and_then(tel_href),
        "topic": ticket.topic,
        "subject": subject,
        "own_words": own_words,
        "fiche": ticket.fiche,
        "summary": ticket.summary,
        "partner": ticket.partner,
        "reference": ticket.reference,
        "created": state.local_time(&ticket.tenant, ticket.created_at),
        // A closed ticket never shows a growing wait: its handling time instead.
        "waiting": open.then(|| format!("depuis {}", waiting_time(ticket.created_at, now))),
        "handling": handling,
        "due": (callback && open).then(|| state.local_time(&ticket.tenant, due)),
        "overdue": callback && open && due <= now,
        "attempts": ticket.attempts,
        "attempts_text": (callback || ticket.attempts > 0).then(|| format!(
            "{}/{} tentative{}",
            ticket.attempts,
            state.inner.config.callback_max_attempts,
            if ticket.attempts > 1 { "s" } else { "" }
        )),
        "claimed_by": ticket.claimed_by.and_then(|id| names.get(&id).cloned()),
        "claimed_at": ticket.claimed_at.map(|at| state.local_time(&ticket.tenant, at)),
        "closed_by": ticket.closed_by.and_then(|id| names.get(&id).cloned()),
        "closed_at": ticket.closed_at.map(|at| state.local_time(&ticket.tenant, at)),
        "anonymised": ticket.anonymised_at.is_some(),
        "dial": ticket.dial_outcome.map(dial_label),
    })
}

/// The queue's order: overdue callbacks first (most overdue first), then the other callbacks
/// by due time, then the rest oldest first.
pub(crate) fn queue_order(tickets: &mut [Ticket], now: DateTime<Utc>) {
    tickets.sort_by_key(|t| {
        let callback = t.kind == TicketKind::Callback;
        let rank = match (callback, t.due() <= now) {
            (true, true) => 0,
            (true, false) => 1,
            (false, _) => 2,
        };
        let at = if callback { t.due() } else { t.created_at };
        (rank, at, t.id)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_times_read_naturally() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let at = |minutes: i64| t0 + chrono::Duration::minutes(minutes);
        assert_eq!(waiting_time(t0, t0), "moins d'une minute");
        assert_eq!(waiting_time(t0, at(4)), "4 min");
        assert_eq!(waiting_time(t0, at(125)), "2 h 05");
        assert_eq!(waiting_time(t0, at(3 * 1440 + 4 * 60 + 10)), "3 j 4 h");
        assert_eq!(waiting_time(at(10), t0), "moins d'une minute");
    }

    #[test]
    fn numbers_link_to_a_call() {
        assert_eq!(
            tel_href("+33612345678").as_deref(),
            Some("tel:+33612345678")
        );
        assert_eq!(tel_href("anonymous"), None);
    }

    #[test]
    fn first_words_are_cut_cleanly() {
        assert_eq!(
            first_words("  permis   de\nconstruire ", 80),
            "permis de construire"
        );
        let long = "je voudrais inscrire mon fils à l'école maternelle du quartier des Tilleuls \
                    pour la rentrée de septembre prochain";
        let cut = first_words(long, 80);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(cut.chars().count() <= 81, "{cut}");
        assert!(long.starts_with(cut.trim_end_matches('…')), "{cut}");
        // No word boundary: cut at the limit, on a character boundary.
        assert_eq!(
            first_words(&"é".repeat(100), 10),
            format!("{}…", "é".repeat(10))
        );
        let transcript =
            json!([{ "caller": "", "robot": "Bonjour" }, { "caller": "la facture est fausse" }]);
        assert_eq!(
            caller_first_words(&transcript).as_deref(),
            Some("la facture est fausse")
        );
        assert_eq!(caller_first_words(&Value::Null), None);
    }
}
