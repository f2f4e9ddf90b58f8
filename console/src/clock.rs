//! Where the console reads the time: injected, so that tests can move it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current instant.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}
