//! The one source of "now" for everything that stamps what the store keeps: the service's
//! turns, the outbox worker, delivery reports, the console. Injected, so that a test sets the
//! instant (a recorded dialogue at 10:15 on a Tuesday) or moves it by hand.
//!
//! One reading stays on the wall clock by design: the freshness of a provider's signed token
//! (Vonage, jambonz), which the provider stamped with its own real time.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

/// A source of the current instant, cheap to clone.
#[derive(Clone)]
pub struct Clock {
    read: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    system: bool,
}

impl Clock {
    /// The system clock (production).
    pub fn system() -> Clock {
        Clock {
            read: Arc::new(Utc::now),
            system: true,
        }
    }

    /// A clock that starts at `start` and runs at the real pace (tests: a recorded dialogue's
    /// instant, while retries and timeouts still see time pass).
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        let origin = Instant::now();
        Clock::from_fn(move || {
            start + chrono::Duration::from_std(origin.elapsed()).unwrap_or(chrono::TimeDelta::MAX)
        })
    }

    /// A clock read from `read` (tests: a clock moved by hand).
    pub fn from_fn(read: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock {
            read: Arc::new(read),
            system: false,
        }
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        (self.read)()
    }

    /// Whether this is the system clock; any other is a test's, which a request may set
    /// (the `X-Guichet-Now` header of `guichet eval --url`).
    pub fn is_system(&self) -> bool {
        self.system
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.system {
            "Clock(system)"
        } else {
            "Clock(test)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_started_at_an_instant_runs_from_it() {
        let start = DateTime::parse_from_rfc3339("2026-03-10T09:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(start);
        let first = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let second = clock.now();
        assert!(first >= start && first < start + chrono::Duration::seconds(5));
        assert!(second > first, "{second} after {first}");
        assert!(!clock.is_system());
    }

    #[test]
    fn the_system_clock_reads_the_real_time() {
        let clock = Clock::default();
        let before = Utc::now();
        let now = clock.now();
        assert!(clock.is_system());
        assert!(now >= before && now <= Utc::now());
    }
}
