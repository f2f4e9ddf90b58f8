//! The public API keys' rate per client address (`[api] public_requests_per_minute`,
//! `public_burst`): a chat widget's key is visible to anyone, so what it may cost is bounded.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::ApiSettings;

/// The public keys' rate per client address.
pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl PublicLimiter {
    pub fn new(settings: &ApiSettings) -> PublicLimiter {
        let per_minute =
            NonZeroU32::new(settings.public_requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.public_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        PublicLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
        }
    }

    /// Whether `address` may make one more request now.
    pub fn allow(&self, address: IpAddr) -> bool {
        // Bounded memory: addresses whose bucket is full again are forgotten.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&address).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_is_limited_per_address() {
        let limiter = PublicLimiter::new(&ApiSettings {
            public_requests_per_minute: 1,
            public_burst: 3,
        });
        let one: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(one)));
        assert!(!limiter.allow(one));
        assert!(limiter.allow(other));
    }
}
