//! A token bucket per app for the gateway (retcode 88000010).

use std::collections::HashMap;
use std::sync::Mutex;

/// Allows `rate` requests per second per key, with bursts up to one second's worth.
#[derive(Debug)]
pub struct RateLimiter {
    rate: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_ms: i64,
}

/// Buckets idle this long are dropped, so the map does not grow without bound.
const IDLE_MS: i64 = 60_000;

impl RateLimiter {
    /// `rate` requests per second per key; 0 allows everything.
    pub fn new(rate: u32) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now_ms`; false when its budget is spent.
    pub fn allow(&self, key: &str, now_ms: i64) -> bool {
        if self.rate == 0 {
            return true;
        }
        let rate = f64::from(self.rate);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, bucket| now_ms - bucket.updated_ms < IDLE_MS);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: rate,
            updated_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.updated_ms).max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.updated_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn a_spent_budget_refills_with_time_and_keys_are_separate() {
        let limiter = RateLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow("a", 0)));
        assert!(!limiter.allow("a", 0));
        assert!(limiter.allow("b", 0));
        assert!(!limiter.allow("a", 300));
        assert!(limiter.allow("a", 400));
        assert!(RateLimiter::new(0).allow("a", 0));
    }
}
