//! Abuse limits: a token bucket per caller — the token's subject, or the address of a caller
//! without one — refilled at the configured rate, holding twice as much for a burst. A caller
//! past its bucket gets 429 with `Retry-After`, the seconds until a request fits again.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before the full ones (idle callers) are dropped.
const MAX_BUCKETS: usize = 100_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets by `K`: a token's subject, or an address.
pub struct Limiter<K> {
    /// Tokens per second; 0: no limit.
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Limiter<K> {
    pub fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second);
        Self {
            rate,
            burst: (rate * 2.0).max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request of `key` at `now`: `Err(wait)` when its bucket is empty.
    pub fn take<Q>(&self, key: &Q, now: Instant) -> Result<(), Duration>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if self.rate == 0.0 {
            return Ok(());
        }
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still numbers.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        // A known caller's bucket is found without copying its key.
        if !buckets.contains_key(key) {
            buckets.insert(
                key.to_owned(),
                Bucket {
                    tokens: self.burst,
                    at: now,
                },
            );
        }
        let Some(bucket) = buckets.get_mut(key) else {
            return Ok(()); // inserted just above, under the same lock
        };
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

/// `Retry-After` in whole seconds, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_burst_then_waits_for_the_refill_and_others_are_untouched() {
        let limiter = Limiter::<String>::new(10);
        let start = Instant::now();
        for _ in 0..20 {
            assert!(limiter.take("sub:a", start).is_ok());
        }
        let wait = limiter.take("sub:a", start).unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert_eq!(retry_after_secs(wait), 1);
        // Another caller has its own bucket.
        assert!(limiter.take("sub:b", start).is_ok());
        // A tenth of a second refills one request.
        assert!(limiter
            .take("sub:a", start + Duration::from_millis(100))
            .is_ok());
        assert!(limiter
            .take("sub:a", start + Duration::from_millis(100))
            .is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = Limiter::<String>::new(0);
        let now = Instant::now();
        for _ in 0..10_000 {
            assert!(limiter.take("ip:1", now).is_ok());
        }
    }
}
