//! Login rate limiting (node-local memory), built so that nobody can lock an account out from
//! outside.
//!
//! Every attempt is recorded BEFORE its password is checked (so that a burst of parallel
//! attempts cannot all slip under the limit), and withdrawn when it succeeds. Attempts are
//! counted in a sliding window ([`LoginLimit::window`]) under three keys:
//! - the account from one address: at most [`LoginLimit::max_failures`];
//! - the address, whatever the account: four times that (a password sprayed over accounts);
//! - the account, whatever the address: four times that (a guess spread over many addresses),
//!   but this one does not apply to an address the account already signed in from: an
//!   attacker elsewhere can slow the guessing of an account down, not keep its owner out.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::config::LoginLimit;

/// How many keys (and known addresses) are kept before the stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;
/// How long an address an account signed in from stays known.
const KNOWN_FOR_DAYS: i64 = 90;

/// One attempt, recorded by [`Throttle::begin`].
pub(crate) struct Attempt {
    keys: Vec<String>,
    email: String,
    address: String,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct Tables {
    attempts: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// `(e-mail, address)` of successful logins, with the last one's time.
    known: HashMap<(String, String), DateTime<Utc>>,
}

pub(crate) struct Throttle {
    limit: LoginLimit,
    tables: Mutex<Tables>,
}

impl Throttle {
    pub fn new(limit: LoginLimit) -> Self {
        Throttle {
            limit,
            tables: Mutex::new(Tables::default()),
        }
    }

    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.limit.window).unwrap_or(chrono::Duration::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an attempt to sign in as `email` from `address` at `now`, or `None` when one of
    /// its limits is reached (the attempt is then not checked, nor recorded).
    pub fn begin(&self, email: &str, address: &str, now: DateTime<Utc>) -> Option<Attempt> {
        let window = self.window();
        let per_pair = self.limit.max_failures;
        let wide = self.limit.max_failures.saturating_mul(4);
        let mut tables = self.lock();
        if tables.attempts.len() > SWEEP_ABOVE || tables.known.len() > SWEEP_ABOVE {
            sweep(&mut tables, now, window);
        }
        let known = tables
            .known
            .get(&(email.to_string(), address.to_string()))
            .is_some_and(|at| now.signed_duration_since(*at).num_days() < KNOWN_FOR_DAYS);
        let mut limits = vec![
            (format!("pair:{email}\n{address}"), per_pair),
            (format!("ip:{address}"), wide),
        ];
        if !known {
            limits.push((format!("account:{email}"), wide));
        }
        let blocked = limits.iter().any(|(key, max)| {
            tables.attempts.get_mut(key).is_some_and(|times| {
                prune(times, now, window);
                times.len() >= *max
            })
        });
        if blocked {
            return None;
        }
        let keys: Vec<String> = limits.into_iter().map(|(key, _)| key).collect();
        for key in &keys {
            tables
                .attempts
                .entry(key.clone())
                .or_default()
                .push_back(now);
        }
        Some(Attempt {
            keys,
            email: email.to_string(),
            address: address.to_string(),
            at: now,
        })
    }

    /// The attempt signed in: it is withdrawn, and its address becomes known to the account.
    pub fn succeeded(&self, attempt: Attempt, now: DateTime<Utc>) {
        let mut tables = self.lock();
        for key in &attempt.keys {
            if let Some(times) = tables.attempts.get_mut(key)
                && let Some(index) = times.iter().rposition(|at| *at == attempt.at)
            {
                times.remove(index);
            }
        }
        tables.known.insert((attempt.email, attempt.address), now);
    }
}

fn sweep(tables: &mut Tables, now: DateTime<Utc>, window: chrono::Duration) {
    tables.attempts.retain(|_, times| {
        prune(times, now, window);
        !times.is_empty()
    });
    tables
        .known
        .retain(|_, at| now.signed_duration_since(*at).num_days() < KNOWN_FOR_DAYS);
}

fn prune(times: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>, window: chrono::Duration) {
    while let Some(first) = times.front() {
        if now.signed_duration_since(*first) >= window {
            times.pop_front();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(LoginLimit {
            max_failures: 3,
            window: Duration::from_secs(60),
        })
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn an_account_from_one_address_is_blocked_after_the_limit_then_forgotten() {
        let throttle = throttle();
        for _ in 0..3 {
            assert!(throttle.begin("a@x", "10.0.0.1", t0()).is_some());
        }
        assert!(throttle.begin("a@x", "10.0.0.1", t0()).is_none());
        // Another account from the same address is not blocked yet.
        assert!(throttle.begin("b@x", "10.0.0.1", t0()).is_some());
        let later = t0() + chrono::Duration::seconds(61);
        assert!(throttle.begin("a@x", "10.0.0.1", later).is_some());
    }

    #[test]
    fn a_success_withdraws_its_attempt() {
        let throttle = throttle();
        for _ in 0..10 {
            let attempt = throttle.begin("a@x", "10.0.0.1", t0()).expect("allowed");
            throttle.succeeded(attempt, t0());
        }
        assert!(throttle.begin("a@x", "10.0.0.1", t0()).is_some());
    }

    #[test]
    fn an_address_spraying_accounts_is_blocked() {
        let throttle = throttle();
        for n in 0..12 {
            assert!(
                throttle
                    .begin(&format!("u{n}@x"), "10.0.0.9", t0())
                    .is_some()
            );
        }
        assert!(throttle.begin("other@x", "10.0.0.9", t0()).is_none());
        assert!(throttle.begin("other@x", "10.0.0.8", t0()).is_some());
    }

    #[test]
    fn attacks_from_elsewhere_do_not_lock_the_owner_out() {
        let throttle = throttle();
        // The owner signed in from the mairie once.
        let attempt = throttle.begin("a@x", "192.0.2.1", t0()).expect("allowed");
        throttle.succeeded(attempt, t0());
        // Guesses from many addresses use the account's wide limit up.
        for n in 0..12 {
            let _ = throttle.begin("a@x", &format!("203.0.113.{n}"), t0());
        }
        assert!(throttle.begin("a@x", "203.0.113.200", t0()).is_none());
        // The owner, from the known address, still gets in.
        assert!(throttle.begin("a@x", "192.0.2.1", t0()).is_some());
    }
}
