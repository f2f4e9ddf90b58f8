//! Call statistics, computed from the store's sessions and turns: a pure function, no IO.
//!
//! Vocabulary: a *call* is one conversation (any channel). Per conversation:
//! - *settled by the robot*: at least one `answer`, `deflect` or `report`, and no handoff;
//! - *handoff*: a `transfer` or `callback` decision; a transfer the standard did not answer
//!   (the session's end reason says it) is not a transfer: it counts as a callback when the
//!   caller's number is known (its ticket became one), else as lost;
//! - *lost* (taux de perte): the conversation ended with neither an answer (`answer`,
//!   `deflect`, `report`) nor a handoff. Conversations still in progress are not counted.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use guichet_store::{DialOutcome, SessionRecord, TurnRow};
use serde::Serialize;

/// Decisions that give the caller an answer.
const ANSWERED: &[&str] = &["answer", "deflect", "report"];
/// Decisions that hand the caller to a human.
const HANDOFF: &[&str] = &["transfer", "callback"];
/// Below this confidence an answer counts as misunderstood (to be checked by staff).
pub const LOW_CONFIDENCE: f64 = 0.5;
/// How many topics the statistics list.
const TOP_TOPICS: usize = 10;

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

/// Statistics of one commune over a period.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Statistics {
    /// Conversations started in the period.
    pub calls: usize,
    /// Of which ended (the base of the shares below).
    pub ended: usize,
    /// Calls per local day (`YYYY-MM-DD`).
    pub per_day: BTreeMap<String, usize>,
    /// Calls per local hour of the day (0–23).
    pub per_hour: [usize; 24],
    /// Ended calls settled by the robot alone.
    pub settled_by_robot: usize,
    /// Ended calls with a transfer.
    pub transfers: usize,
    /// Ended calls with a callback.
    pub callbacks: usize,
    /// Ended calls with neither answer nor handoff.
    pub lost: usize,
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
    /// A share of the ended calls, in percent (0 when no call ended).
    pub fn percent(&self, count: usize) -> f64 {
        if self.ended == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.ended as f64
        }
    }

    /// The taux de perte, in percent of ended calls.
    pub fn loss_rate(&self) -> f64 {
        self.percent(self.lost)
    }

    /// The share settled by the robot, in percent of ended calls.
    pub fn robot_share(&self) -> f64 {
        self.percent(self.settled_by_robot)
    }
}

#[derive(Default)]
struct Outcome {
    answered: bool,
    transfer: bool,
    callback: bool,
}

/// Computes the statistics of `sessions` (those started in the period) and `turns` (those of
/// the period), at `now`, with days and hours in `timezone`.
pub fn compute(
    sessions: &[SessionRecord],
    turns: &[TurnRow],
    timezone: Tz,
    now: DateTime<Utc>,
) -> Statistics {
    let mut stats = Statistics::default();
    let mut outcomes: HashMap<&str, Outcome> = HashMap::new();
    let mut topics: HashMap<&str, std::collections::HashSet<&str>> = HashMap::new();
    for row in turns {
        let turn = &row.turn;
        let outcome = outcomes.entry(row.conversation_id.as_str()).or_default();
        let action = turn.action.as_str();
        outcome.answered |= ANSWERED.contains(&action);
        outcome.transfer |= action == "transfer";
        outcome.callback |= action == "callback";
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
        if !turn.caller_text.trim().is_empty() && (action == "fallback" || low_confidence) {
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
        stats.calls += 1;
        let local = session.started_at.with_timezone(&timezone);
        *stats
            .per_day
            .entry(local.format("%Y-%m-%d").to_string())
            .or_default() += 1;
        stats.per_hour[local.hour() as usize] += 1;
        if session.is_active(now) {
            continue;
        }
        stats.ended += 1;
        let outcome = outcomes.get(session.conversation_id.as_str());
        let answered = outcome.is_some_and(|o| o.answered);
        let unanswered =
            session.end_reason.as_deref() == Some(DialOutcome::Unanswered.end_reason());
        let transfer = outcome.is_some_and(|o| o.transfer) && !unanswered;
        let callback =
            outcome.is_some_and(|o| o.callback) || (unanswered && session.caller.is_some());
        if transfer {
            stats.transfers += 1;
        }
        if callback {
            stats.callbacks += 1;
        }
        if answered && !transfer && !callback {
            stats.settled_by_robot += 1;
        }
        if !answered && !transfer && !callback {
            stats.lost += 1;
        }
    }
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

    #[test]
    fn shares_loss_and_misunderstood() {
        let now = at(18, 0);
        let sessions = vec![
            session("robot", at(8, 0), true), // 09:00 Paris
            session("transfer", at(8, 30), true),
            session("lost", at(13, 0), true),     // 14:00 Paris
            session("callback", at(22, 0), true), // 23:00 Paris
            session("ongoing", at(17, 55), false),
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
        ];
        let stats = compute(&sessions, &turns, chrono_tz::Europe::Paris, now);
        assert_eq!(stats.calls, 5);
        assert_eq!(stats.ended, 4);
        assert_eq!(stats.settled_by_robot, 1);
        assert_eq!(stats.transfers, 1);
        assert_eq!(stats.callbacks, 1);
        assert_eq!(stats.lost, 1);
        assert!((stats.loss_rate() - 25.0).abs() < 1e-9);
        assert!((stats.robot_share() - 25.0).abs() < 1e-9);
        assert_eq!(stats.satisfied, 1);
        assert_eq!(stats.unsatisfied, 0);
        assert_eq!(stats.per_day.get("2026-03-10"), Some(&5));
        assert_eq!(stats.per_day.get("2026-03-11"), None);
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
        let stats = compute(&sessions, &turns, chrono_tz::Europe::Paris, now);
        assert_eq!(stats.ended, 3);
        assert_eq!(stats.transfers, 1);
        // The number known: its ticket became a callback. Withheld: nobody can call back.
        assert_eq!(stats.callbacks, 1);
        assert_eq!(stats.lost, 1);
        assert!((stats.loss_rate() - 100.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn no_calls_no_division_by_zero() {
        let stats = compute(&[], &[], chrono_tz::Europe::Paris, at(12, 0));
        assert_eq!(stats.calls, 0);
        assert_eq!(stats.loss_rate(), 0.0);
    }
}
