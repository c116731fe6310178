//! Bounded exponential backoff with full jitter.

use std::time::Duration;

use rand::Rng;

/// How a sink retries transient failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Most attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Ceiling of the first retry's delay.
    pub base: Duration,
    /// Ceiling of any delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(50),
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry): uniformly random in
    /// `0..=min(max, base * 2^(retry-1))` ("full jitter"), so that many writers throttled
    /// together do not retry in lockstep.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    /// The upper bound of [`Backoff::delay`] for retry number `retry`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_maximum() {
        let b = Backoff {
            max_attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let ceilings: Vec<u128> = (1..=6).map(|r| b.ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.ceiling(100), Duration::from_secs(1));
    }

    #[test]
    fn delays_stay_within_their_ceiling() {
        let b = Backoff::default();
        for retry in 1..=10 {
            for _ in 0..100 {
                assert!(b.delay(retry) <= b.ceiling(retry));
            }
        }
    }
}
