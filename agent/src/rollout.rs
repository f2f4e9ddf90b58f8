//! Progressive rollout: the robot answers only in some time windows and/or for pilot callers;
//! everyone else goes straight to the standard.

use chrono::{DateTime, Utc};
use guichet_knowledge::{Knowledge, ScheduleQuery};

use guichet_phone::PhoneNumber;

/// Whether the robot takes this call (the commune's `[rollout]` windows and pilot numbers).
pub fn robot_answers(knowledge: &Knowledge, from: &str, now: DateTime<Utc>) -> bool {
    let rollout = &knowledge.commune().rollout;
    let in_window = knowledge
        .rollout_windows()
        .is_none_or(|windows| windows.is_open(now));
    let is_pilot = rollout.pilot_numbers.is_empty() || {
        let caller = PhoneNumber::parse(from);
        rollout
            .pilot_numbers
            .iter()
            .any(|pilot| match (&caller, PhoneNumber::parse(pilot)) {
                (Some(caller), Some(pilot)) => *caller == pilot,
                _ => pilot.trim() == from.trim(),
            })
    };
    in_window && is_pilot
}
