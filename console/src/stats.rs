//! Call statistics, computed from the store's sessions, turns and tickets: a pure function, no IO.
//!
//! Vocabulary: a *call* is one conversation (any channel). Every conversation started in the
//! period is counted, and every share is a share of all of them; per conversation, one outcome:
//! - *handoff*: a `transfer` or `callback` decision (final even while the conversation is still
//!   open); a transfer the standard did not answer (the session's end reason says it) is not a
//!   transfer: it counts as a callback when the caller's number is known (its ticket became
//!   one), else as lost;
//! - *settled by the robot*: at least one `answer`, `deflect` or `report`, and no handoff,
//!   once the conversation ended;
//! - *lost* (taux de perte): the conversation ended with neither an answer nor a handoff;
//! - *in progress*: still open, no handoff yet — shown apart, neither settled nor lost.
//!
//! Handling and waiting times come from the tickets created in the period: waiting is
//! created → claimed, handling claimed → closed.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use guichet_knowledge::normalize;
use guichet_store::{DialOutcome, SessionRecord, Ticket, TicketKind, TurnRow};
use serde::Serialize;

/// Decisions that give the caller an answer.
const ANSWERED: &[&str] = &["answer", "deflect", "report"];
/// Decisions that hand the caller to a human.
const HANDOFF: &[&str] = &["transfer", "callback"];
/// Below this confidence an answer counts as misunderstood (to be checked by staff).
pub const LOW_CONFIDENCE: f64 = 0.5;
/// How many topics the statistics list.
const TOP_TOPICS: usize = 10;

/// The French label of an engine decision (`answer`, `fallback`…) or of the rule behind it
/// (`middling_confidence`…): the one mapping every console page uses, so that no page shows
/// a code. `None` for a code it does not know (the page then shows nothing rather than a code).
pub fn decision_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "greet" => "Accueil",
        "answer" => "Réponse donnée",
        "clarify" => "Question de précision",
        "confirm" => "Demande de confirmation",
        "deflect" => "Orientation vers un autre service",
        "transfer" => "Transfert vers un agent",
        "callback" => "Rappel proposé",
        "report" => "Signalement transmis",
        "fallback" => "Demande non comprise",
        "goodbye" => "Fin de conversation",
        "middling_confidence" => "Confiance moyenne : confirmation demandée",
        "best_match" => "Meilleure fiche trouvée",
        "explicit_human_request" => "L'usager a demandé un agent",
        "human_offer_declined" => "Mise en relation refusée par l'usager",
        "report_declined" => "Signalement refusé par l'usager",
        "clarify_option" | "clarify_option_by_topic" | "clarify_option_in_request" => {
            "Choix entre plusieurs fiches"
        }
        "confirmed" => "Fiche confirmée par l'usager",
        _ => return None,
    })
}

/// The outcomes a conversation can have, counted per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    /// Conversations started.
    pub calls: usize,
    /// Settled by the robot alone.
    pub settled_by_robot: usize,
    /// Passed on live to the standard (answered, or not yet known).
    pub transfers: usize,
    /// Turned into a callback (asked for, or a transfer nobody answered).
    pub callbacks: usize,
    /// Ended with neither answer nor handoff.
    pub lost: usize,
    /// Still open, no handoff yet.
    pub in_progress: usize,
}

impl Tally {
    /// `count` in percent of the calls (0 when there is none).
    pub fn percent(&self, count: usize) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.calls as f64
        }
    }

    fn add(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Robot => self.settled_by_robot += 1,
            Outcome::Transfer => self.transfers += 1,
            Outcome::Callback => self.callbacks += 1,
            Outcome::Lost => self.lost += 1,
            Outcome::InProgress => self.in_progress += 1,
        }
    }
}

/// The median and the 90th percentile of durations, over `count` samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    /// Samples.
    pub count: usize,
    /// Median.
    pub median: Duration,
    /// 90th percentile (nearest rank).
    pub p90: Duration,
}

impl Spread {
    /// `None` when there is no sample.
    pub fn of(mut samples: Vec<Duration>) -> Option<Spread> {
        if samples.is_empty() {
            return None;
        }
        samples.sort();
        let rank = |p: f64| {
            let index = (p * samples.len() as f64).ceil() as usize;
            samples[index.clamp(1, samples.len()) - 1]
        };
        Some(Spread {
            count: samples.len(),
            median: rank(0.5),
            p90: rank(0.9),
        })
    }
}

/// A misunderstood utterance: a fallback, or an answer given with low confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Misunderstood {
    /// Conversation it comes from.
    pub conversation_id: String,
    /// Turn number.
    pub seq: i64,
    /// When it was said.
    pub at: DateTime<Utc>,
    /// What the caller said.
    pub text: String,
    /// What the engine decided.
    pub action: String,
    /// The fiche it chose, if any.
    pub fiche: Option<String>,
    /// Its confidence, if any.
    pub confidence: Option<f64>,
}

/// The same misunderstood request, said in one or more conversations (grouped by its
/// normalised text: case, accents and punctuation aside).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MisunderstoodGroup {
    /// The most recent occurrence (its words, its conversation and turn).
    pub latest: Misunderstood,
    /// How many times it was said.
    pub count: usize,
}

/// Statistics of one commune over a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statistics {
    /// Every conversation of the period, by outcome.
    pub total: Tally,
    /// Per local day.
    pub per_day: BTreeMap<NaiveDate, Tally>,
    /// Per local week (keyed by its Monday).
    pub per_week: BTreeMap<NaiveDate, Tally>,
    /// Calls per local hour of the day (0–23).
    pub per_hour: [usize; 24],
    /// Transfers the standard did not answer (counted as callbacks or lost above).
    pub unanswered_transfers: usize,
    /// Callback tickets of the period still waiting (nouveau or pris en charge).
    pub callbacks_open: usize,
    /// Tickets of the period still waiting, all kinds.
    pub tickets_open: usize,
    /// Waiting times of the claimed tickets (created → claimed).
    pub waiting: Option<Spread>,
    /// Handling times of the closed tickets (claimed → closed).
    pub handling: Option<Spread>,
    /// Satisfaction answers "oui".
    pub satisfied: usize,
    /// Satisfaction answers "non".
    pub unsatisfied: usize,
    /// Fiches by number of calls that reached them, most first.
    pub top_topics: Vec<(String, usize)>,
    /// Utterances to look at, newest first.
    pub misunderstood: Vec<Misunderstood>,
}

impl Statistics {
    /// Calls started in the period.
    pub fn calls(&self) -> usize {
        self.total.calls
    }

    /// A share of all the calls, in percent (0 when there is none).
    pub fn percent(&self, count: usize) -> f64 {
        self.total.percent(count)
    }

    /// The taux de perte, in percent of all calls.
    pub fn loss_rate(&self) -> f64 {
        self.percent(self.total.lost)
    }

    /// The share settled by the robot, in percent of all calls.
    pub fn robot_share(&self) -> f64 {
        self.percent(self.total.settled_by_robot)
    }

    /// The misunderstood requests grouped by normalised text, most frequent first (then the
    /// most recent).
    pub fn misunderstood_groups(&self) -> Vec<MisunderstoodGroup> {
        let mut groups: Vec<MisunderstoodGroup> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        // Newest first: the first occurrence of a group is its latest.
        for item in &self.misunderstood {
            let key = normalize(&item.text);
            let key = if key.is_empty() {
                item.text.trim().to_lowercase()
            } else {
                key
            };
            match index.get(&key) {
                Some(&i) => groups[i].count += 1,
                None => {
                    index.insert(key, groups.len());
                    groups.push(MisunderstoodGroup {
                        latest: item.clone(),
                        count: 1,
                    });
                }
            }
        }
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.latest.at.cmp(&a.latest.at)));
        groups
    }
}

#[derive(Default)]
struct Decisions {
    answered: bool,
    transfer: bool,
    callback: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Robot,
    Transfer,
    Callback,
    Lost,
    InProgress,
}

/// The Monday of the week of `day`.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// Computes the statistics of `sessions` (those started in the period), `turns` (those of
/// the period) and `tickets` (those created in the period), at `now`, with days and hours in
/// `timezone`.
pub fn compute(
    sessions: &[SessionRecord],
    turns: &[TurnRow],
    tickets: &[Ticket],
    timezone: Tz,
    now: DateTime<Utc>,
) -> Statistics {
    let mut stats = Statistics::default();
    let mut decisions: HashMap<&str, Decisions> = HashMap::new();
    let mut topics: HashMap<&str, HashSet<&str>> = HashMap::new();
    for row in turns {
        let turn = &row.turn;
        let decided = decisions.entry(row.conversation_id.as_str()).or_default();
        let action = turn.action.as_str();
        decided.answered |= ANSWERED.contains(&action);
        decided.transfer |= action == "transfer";
        decided.callback |= action == "callback";
        if let Some(fiche) = &turn.fiche
            && (ANSWERED.contains(&action) || HANDOFF.contains(&action) || action == "clarify")
        {
            topics
                .entry(fiche.as_str())
                .or_default()
                .insert(row.conversation_id.as_str());
        }
        match turn
            .decision
            .get("satisfaction")
            .and_then(serde_json::Value::as_bool)
        {
            Some(true) => stats.satisfied += 1,
            Some(false) => stats.unsatisfied += 1,
            None => {}
        }
        let low_confidence =
            ANSWERED.contains(&action) && turn.confidence.is_some_and(|c| c < LOW_CONFIDENCE);
        // A matter of no public service (the caller's bank…) was understood: the robot said
        // where to go; it is no request a fiche is missing for.
        let understood_outside = turn
            .decision
            .get("rule")
            .and_then(serde_json::Value::as_str)
            == Some(guichet_agent::OUTSIDE_PUBLIC_SERVICE);
        if !turn.caller_text.trim().is_empty()
            && ((action == "fallback" && !understood_outside) || low_confidence)
        {
            stats.misunderstood.push(Misunderstood {
                conversation_id: row.conversation_id.clone(),
                seq: turn.seq,
                at: turn.at,
                text: turn.caller_text.clone(),
                action: turn.action.clone(),
                fiche: turn.fiche.clone(),
                confidence: turn.confidence,
            });
        }
    }
    for session in sessions {
        let decided = decisions.get(session.conversation_id.as_str());
        let unanswered =
            session.end_reason.as_deref() == Some(DialOutcome::Unanswered.end_reason());
        if unanswered {
            stats.unanswered_transfers += 1;
        }
        let outcome = outcome(
            decided,
            unanswered,
            session.caller.is_some(),
            session.is_active(now),
        );
        let local = session.started_at.with_timezone(&timezone);
        let day = local.date_naive();
        stats.total.add(outcome);
        stats.per_day.entry(day).or_default().add(outcome);
        stats.per_week.entry(week_of(day)).or_default().add(outcome);
        stats.per_hour[local.hour() as usize] += 1;
    }
    let mut waiting = Vec::new();
    let mut handling = Vec::new();
    for ticket in tickets {
        if ticket.state.is_open() {
            stats.tickets_open += 1;
            if ticket.kind == TicketKind::Callback {
                stats.callbacks_open += 1;
            }
        }
        if let Some(claimed) = ticket.claimed_at {
            waiting.push(claimed - ticket.created_at);
            if let Some(closed) = ticket.closed_at {
                handling.push(closed - claimed);
            }
        }
    }
    stats.waiting = Spread::of(waiting);
    stats.handling = Spread::of(handling);
    let mut top: Vec<(String, usize)> = topics
        .into_iter()
        .map(|(fiche, calls)| (fiche.to_string(), calls.len()))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP_TOPICS);
    stats.top_topics = top;
    stats
        .misunderstood
        .sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
    stats
}

/// The one outcome of a conversation (see the module's vocabulary).
fn outcome(
    decided: Option<&Decisions>,
    unanswered_transfer: bool,
    caller_known: bool,
    active: bool,
) -> Outcome {
    let answered = decided.is_some_and(|d| d.answered);
    let transfer = decided.is_some_and(|d| d.transfer) && !unanswered_transfer;
    let callback = decided.is_some_and(|d| d.callback) || (unanswered_transfer && caller_known);
    if callback {
        Outcome::Callback
    } else if transfer {
        Outcome::Transfer
    } else if active {
        Outcome::InProgress
    } else if answered {
        Outcome::Robot
    } else {
        Outcome::Lost
    }
}

#[cfg(test)]
mod tests {
    use guichet_store::{Channel, Turn};
    use serde_json::json;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 3, 10, hour, minute, 0)
            .single()
            .unwrap_or_default()
    }

    fn session(id: &str, start: DateTime<Utc>, closed: bool) -> SessionRecord {
        SessionRecord {
            tenant: "demo".into(),
            conversation_id: id.into(),
            channel: Channel::Voice,
            caller: None,
            state: json!(null),
            started_at: start,
            updated_at: start,
            expires_at: start + chrono::Duration::minutes(10),
            closed_at: closed.then_some(start + chrono::Duration::minutes(3)),
            end_reason: closed.then(|| "hangup".to_string()),
        }
    }

    fn turn(
        conversation: &str,
        seq: i64,
        text: &str,
        action: &str,
        fiche: Option<&str>,
        confidence: Option<f64>,
    ) -> TurnRow {
        TurnRow {
            tenant: "demo".into(),
            conversation_id: conversation.into(),
            turn: Turn {
                seq,
                at: at(9, seq as u32),
                caller_text: text.into(),
                reply_text: String::new(),
                decision: json!({ "action": action }),
                action: action.into(),
                fiche: fiche.map(str::to_string),
                confidence,
                reply: None,
                message_id: None,
            },
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    #[test]
    fn every_call_counts_and_open_ones_are_apart() {
        let now = at(18, 0);
        let sessions = vec![
            session("robot", at(8, 0), true), // 09:00 Paris
            session("transfer", at(8, 30), true),
            session("lost", at(13, 0), true),     // 14:00 Paris
            session("callback", at(22, 0), true), // 23:00 Paris
            session("ongoing", at(17, 55), false),
            // A chat still open whose caller asked for a callback: counted as a callback.
            session("open-callback", at(17, 50), false),
        ];
        let mut satisfaction = turn("robot", 3, "oui", "goodbye", None, None);
        satisfaction.turn.decision = json!({ "action": "goodbye", "satisfaction": true });
        let turns = vec![
            turn(
                "robot",
                1,
                "mon passeport est expiré",
                "answer",
                Some("passeport-renouvellement"),
                Some(0.9),
            ),
            turn("robot", 2, "non merci", "goodbye", None, None),
            satisfaction,
            turn("transfer", 1, "un agent", "transfer", None, None),
            turn(
                "lost",
                1,
                "la capitale de l'Australie",
                "fallback",
                None,
                Some(0.1),
            ),
            turn("lost", 2, "", "fallback", None, None),
            turn(
                "callback",
                1,
                "passeport",
                "answer",
                Some("passeport-renouvellement"),
                Some(0.4),
            ),
            turn("callback", 2, "un conseiller", "callback", None, None),
            turn("ongoing", 1, "bonjour", "answer", None, Some(0.9)),
            turn("open-callback", 1, "rappelez-moi", "callback", None, None),
        ];
        let stats = compute(&sessions, &turns, &[], chrono_tz::Europe::Paris, now);
        let total = stats.total;
        assert_eq!(total.calls, 6);
        assert_eq!(
            total.in_progress, 1,
            "the open chat that only got an answer"
        );
        assert_eq!(total.settled_by_robot, 1);
        assert_eq!(total.transfers, 1);
        assert_eq!(total.callbacks, 2);
        assert_eq!(total.lost, 1);
        assert!((stats.loss_rate() - 100.0 / 6.0).abs() < 1e-9);
        assert!((stats.robot_share() - 100.0 / 6.0).abs() < 1e-9);
        assert_eq!(stats.satisfied, 1);
        assert_eq!(stats.unsatisfied, 0);
        assert_eq!(stats.per_day.get(&day(10)).map(|t| t.calls), Some(6));
        assert_eq!(stats.per_day.get(&day(10)).map(|t| t.callbacks), Some(2));
        assert_eq!(stats.per_day.get(&day(11)), None);
        // The 10th of March 2026 is a Tuesday: its week starts on Monday the 9th.
        assert_eq!(week_of(day(10)), day(9));
        assert_eq!(stats.per_week.get(&day(9)).map(|t| t.calls), Some(6));
        assert_eq!(stats.per_hour[9], 2);
        assert_eq!(stats.per_hour[14], 1);
        assert_eq!(stats.per_hour[23], 1);
        assert_eq!(
            stats.top_topics,
            vec![("passeport-renouvellement".to_string(), 2)]
        );
        // The silent fallback is not an utterance; the low-confidence answer is.
        let texts: Vec<&str> = stats
            .misunderstood
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(texts.len(), 2);
        assert!(texts.contains(&"la capitale de l'Australie"));
        assert!(texts.contains(&"passeport"));
    }

    #[test]
    fn repeated_requests_are_grouped_by_their_normalised_text() {
        let turns = vec![
            turn("a", 1, "Permis de construire ?", "fallback", None, None),
            turn("b", 2, "permis de construire", "fallback", None, None),
            turn("c", 3, "PERMIS  DE CONSTRUIRE", "fallback", None, None),
            turn("d", 4, "un chien perdu", "fallback", None, None),
        ];
        let stats = compute(&[], &turns, &[], chrono_tz::Europe::Paris, at(18, 0));
        let groups = stats.misunderstood_groups();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 3);
        // The latest wording is the one shown (turns at 9:01, 9:02, 9:03).
        assert_eq!(groups[0].latest.text, "PERMIS  DE CONSTRUIRE");
        assert_eq!(groups[1].count, 1);
    }

    #[test]
    fn open_callbacks_and_ticket_times_are_counted() {
        use guichet_store::{Channel, TicketState};
        let ticket = |kind, state, claimed: Option<i64>, closed: Option<i64>| Ticket {
            id: 1,
            idempotency_key: String::new(),
            tenant: "demo".into(),
            kind,
            state,
            channel: Channel::Voice,
            conversation_id: None,
            caller_number: None,
            topic: String::new(),
            fiche: None,
            summary: String::new(),
            transcript: json!(null),
            partner: None,
            reference: None,
            created_at: at(9, 0),
            claimed_by: None,
            claimed_at: claimed.map(|s| at(9, 0) + Duration::seconds(s)),
            closed_by: None,
            closed_at: closed.map(|s| at(9, 0) + Duration::seconds(s)),
            attempts: 0,
            dial_outcome: None,
            due_at: None,
            last_attempt_at: None,
            anonymised_at: None,
        };
        let tickets = vec![
            ticket(TicketKind::Callback, TicketState::Nouveau, None, None),
            ticket(
                TicketKind::Callback,
                TicketState::PrisEnCharge,
                Some(60),
                None,
            ),
            ticket(
                TicketKind::Transfer,
                TicketState::Termine,
                Some(30),
                Some(330),
            ),
            ticket(
                TicketKind::Callback,
                TicketState::Termine,
                Some(120),
                Some(240),
            ),
        ];
        let stats = compute(&[], &[], &tickets, chrono_tz::Europe::Paris, at(18, 0));
        assert_eq!(stats.callbacks_open, 2);
        assert_eq!(stats.tickets_open, 2);
        let waiting = stats.waiting.expect("three claimed tickets");
        assert_eq!(waiting.count, 3);
        assert_eq!(waiting.median, Duration::seconds(60));
        assert_eq!(waiting.p90, Duration::seconds(120));
        let handling = stats.handling.expect("two closed tickets");
        assert_eq!(handling.count, 2);
        assert_eq!(handling.median, Duration::seconds(120));
        assert_eq!(handling.p90, Duration::seconds(300));
    }

    #[test]
    fn codes_have_french_labels() {
        assert_eq!(decision_label("fallback"), Some("Demande non comprise"));
        assert_eq!(decision_label("answer"), Some("Réponse donnée"));
        assert!(decision_label("middling_confidence").is_some());
        assert_eq!(decision_label("something_new"), None);
    }

    #[test]
    fn an_unanswered_transfer_is_not_passed_on() {
        let now = at(18, 0);
        let ended = |id: &str, reason: &str, caller: Option<&str>| SessionRecord {
            caller: caller.map(str::to_string),
            end_reason: Some(reason.to_string()),
            ..session(id, at(9, 0), true)
        };
        let sessions = vec![
            ended("answered", "transfer_answered", Some("pseudo-1")),
            ended("unanswered", "transfer_unanswered", Some("pseudo-2")),
            ended("withheld", "transfer_unanswered", None),
        ];
        let turns: Vec<TurnRow> = ["answered", "unanswered", "withheld"]
            .iter()
            .map(|id| turn(id, 1, "un agent", "transfer", None, None))
            .collect();
        let stats = compute(&sessions, &turns, &[], chrono_tz::Europe::Paris, now);
        assert_eq!(stats.calls(), 3);
        assert_eq!(stats.total.transfers, 1);
        assert_eq!(stats.unanswered_transfers, 2);
        // The number known: its ticket became a callback. Withheld: nobody can call back.
        assert_eq!(stats.total.callbacks, 1);
        assert_eq!(stats.total.lost, 1);
        assert!((stats.loss_rate() - 100.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn no_calls_no_division_by_zero() {
        let stats = compute(&[], &[], &[], chrono_tz::Europe::Paris, at(12, 0));
        assert_eq!(stats.calls(), 0);
        assert_eq!(stats.loss_rate(), 0.0);
        assert_eq!(stats.waiting, None);
    }
}
