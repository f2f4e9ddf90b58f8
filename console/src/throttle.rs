//! Login rate limiting: failed attempts per key in a sliding window (node-local memory).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::config::LoginLimit;

/// Failed login attempts by key (`email:…`, `ip:…`).
pub(crate) struct Throttle {
    limit: LoginLimit,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl Throttle {
    pub fn new(limit: LoginLimit) -> Self {
        Throttle {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.limit.window).unwrap_or(chrono::Duration::MAX)
    }

    /// Whether any of `keys` already used up its failures at `now`.
    pub fn is_blocked(&self, keys: &[String], now: DateTime<Utc>) -> bool {
        let window = self.window();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().any(|key| match failures.get_mut(key) {
            Some(times) => {
                prune(times, now, window);
                times.len() >= self.limit.max_failures
            }
            None => false,
        })
    }

    /// Records a failed attempt for every key.
    pub fn record_failure(&self, keys: &[String], now: DateTime<Utc>) {
        let window = self.window();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Keep memory bounded: forget keys whose failures all left the window.
        if failures.len() > 10_000 {
            failures.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
        }
        for key in keys {
            let times = failures.entry(key.clone()).or_default();
            prune(times, now, window);
            times.push_back(now);
        }
    }

    /// A successful login clears the e-mail's failures (not the address's).
    pub fn clear(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(key);
    }
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

    #[test]
    fn blocks_after_the_limit_and_forgets_after_the_window() {
        let throttle = Throttle::new(LoginLimit {
            max_failures: 3,
            window: Duration::from_secs(60),
        });
        let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let keys = vec!["email:a@x".to_string()];
        for _ in 0..3 {
            assert!(!throttle.is_blocked(&keys, t0));
            throttle.record_failure(&keys, t0);
        }
        assert!(throttle.is_blocked(&keys, t0));
        assert!(!throttle.is_blocked(&["email:b@x".to_string()], t0));
        assert!(!throttle.is_blocked(&keys, t0 + chrono::Duration::seconds(61)));
    }
}
