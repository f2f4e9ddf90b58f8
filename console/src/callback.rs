//! Callbacks: when one is due, and the SMS telling the citizen that a callback attempt failed.
//!
//! [`callback_due`] is what the service puts in [`guichet_store::NewTicket::due_at`] when the
//! robot promises « rappel dès l'ouverture »; [`attempt_failed_sms`] is what the desk queues
//! after an unanswered attempt, under the same guard as every SMS ([`guard`]).

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use guichet_knowledge::{ScheduleQuery, SmsGuard};
use guichet_store::{NewOutboxMessage, SmsLimits, SmsRefusal};

/// When a callback ticket created at `now` is due: the next opening of the mairie when it is
/// closed (the robot promised « dès l'ouverture »), `None` (due at once) when it is open or
/// when no opening is found within the schedule's horizon.
pub fn callback_due(schedule: &impl ScheduleQuery, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if schedule.is_open(now) {
        return None;
    }
    schedule.next_opening(now)
}

/// Start of the local day (in `tz`) containing `now`, in UTC: the SMS limits count per day.
pub fn day_start(tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&tz).date_naive().and_time(NaiveTime::MIN);
    tz.from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        // A day starting in a DST gap: the instant itself is a safe (later) start.
        .unwrap_or(now)
}

/// Puts the SMS guard on a message about to be queued: only French mobiles (the destination,
/// decided here), the commune's daily limits (checked atomically by the store).
pub fn guard(message: &mut NewOutboxMessage, policy: SmsGuard, tz: Tz, now: DateTime<Utc>) {
    if !guichet_phone::is_french_mobile(&message.to) {
        message.refusal = Some(SmsRefusal::Destination);
    }
    message.limits = Some(SmsLimits {
        day_start: day_start(tz, now),
        per_recipient: i64::from(policy.per_recipient_daily),
        daily_budget: i64::from(policy.daily_budget),
    });
}

/// Whether an SMS may be sent to `number` at all (a French mobile).
pub fn may_get_sms(number: &str) -> bool {
    guichet_phone::is_french_mobile(number)
}

/// The French text sent to the citizen after an unanswered callback attempt.
pub fn attempt_failed_sms(mairie: &str, attempts_left: i32) -> String {
    let again = if attempts_left > 0 {
        "Nous essaierons de nouveau de vous rappeler."
    } else {
        "Nous ne pourrons plus vous rappeler."
    };
    format!(
        "Mairie de {mairie} : nous avons essayé de vous rappeler, sans réponse. {again} \
         Vous pouvez aussi appeler la mairie à ses heures d'ouverture. \
         Ne répondez pas à ce SMS."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use guichet_knowledge::Schedule;

    fn paris(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Paris
            .with_ymd_and_hms(2026, 12, d, h, m, 0)
            .single()
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_callback_left_while_closed_is_due_at_the_next_opening() -> Result<(), String> {
        let schedule = Schedule::parse(
            "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
            chrono_tz::Europe::Paris,
        )
        .map_err(|e| e.to_string())?;
        // Friday 4 December 2026, 19:00: due Monday 7 at 08:30.
        assert_eq!(
            callback_due(&schedule, paris(4, 19, 0)),
            Some(paris(7, 8, 30))
        );
        // Lunch break: due at 13:30 the same day.
        assert_eq!(
            callback_due(&schedule, paris(4, 12, 30)),
            Some(paris(4, 13, 30))
        );
        // Open: due at once.
        assert_eq!(callback_due(&schedule, paris(4, 10, 0)), None);
        Ok(())
    }

    #[test]
    fn only_french_mobiles_get_the_sms() {
        let message = |to: &str| NewOutboxMessage {
            idempotency_key: "k".into(),
            tenant: "demo".into(),
            conversation_id: None,
            to: to.into(),
            sender: "MAIRIE".into(),
            body: attempt_failed_sms("Villebourg", 1),
            created_at: paris(4, 10, 0),
            refusal: None,
            limits: None,
        };
        let mut mobile = message("+33612345678");
        guard(
            &mut mobile,
            SmsGuard::default(),
            chrono_tz::Europe::Paris,
            paris(4, 10, 0),
        );
        assert_eq!(mobile.refusal, None);
        let limits = mobile.limits.expect("limits");
        assert_eq!(limits.day_start, paris(4, 0, 0));
        for refused in ["+33123456789", "+447700900123", "anonymous"] {
            let mut other = message(refused);
            guard(
                &mut other,
                SmsGuard::default(),
                chrono_tz::Europe::Paris,
                paris(4, 10, 0),
            );
            assert_eq!(other.refusal, Some(SmsRefusal::Destination), "{refused}");
        }
        assert!(attempt_failed_sms("Villebourg", 2).starts_with("Mairie de Villebourg"));
        assert!(attempt_failed_sms("Villebourg", 0).contains("ne pourrons plus"));
    }
}
