//! Retry decisions, in one place: every error of the pipeline says what retrying it can
//! achieve ([`Recovery`], through [`Classify`]), and a [`RetryPolicy`] turns that and the
//! attempt number into a decision. Delays are bounded exponential backoff with full jitter
//! ([`Backoff`]).

use std::time::Duration;

use rand::Rng;

/// What retrying a failed operation with the same input can achieve: the one classification
/// every error of the pipeline maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// A later attempt can succeed: throttling, a service or network outage, a time budget
    /// overrun on a loaded machine.
    Transient,
    /// The same input fails the same way: a write the service refuses, a module that traps on
    /// this batch, a configuration the module rejects.
    Permanent,
}

/// An error that knows what retrying it can achieve.
pub trait Classify {
    /// Whether a retry can help.
    fn recovery(&self) -> Recovery;
}

/// What to do with a batch that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try the same batch again after this delay.
    RetryAfter(Duration),
    /// The same attempt fails the same way until something changes: a new module version
    /// goes live (try again at once), or an operator fixes the table or its permissions
    /// (noticed by one attempt per this interval).
    WaitForChange(Duration),
}

/// How a long-running driver (service mode) treats a batch that failed.
///
/// * A **transient** failure (throttling, a 5xx, a network error, a time-out on a loaded
///   machine) is retried with bounded, jittered exponential backoff (`backoff`: 0.5 s doubling
///   to 30 s by default), for as long as it lasts.
/// * A **permanent** failure (a module that traps on the batch while failures fail the batch,
///   a table that does not exist, access denied) is not retried in a loop: the batch waits
///   until a new module version goes live, and otherwise tries once per
///   `permanent_interval` (default 60 s), so that a fixed table or policy is noticed without
///   a restart and nothing hammers the service meanwhile. Items DynamoDB would never accept
///   are not such failures: the pipeline dead-letters them before writing.
///
/// Either way the batch's partitions make no progress meanwhile (the service pauses them and
/// `/healthz` reports them), so nothing behind it is committed and nothing is lost. Lambda
/// does not retry in process: a failed invocation is retried by the event source mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delays between attempts after a transient failure; `max_attempts` is not used
    /// (attempts do not run out).
    pub backoff: Backoff,
    /// Longest wait between attempts after a permanent failure.
    pub permanent_interval: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            backoff: Backoff {
                max_attempts: u32::MAX,
                base: Duration::from_millis(500),
                max: Duration::from_secs(30),
            },
            permanent_interval: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The decision after attempt number `attempt` (from 1) failed with an error of this
    /// `recovery`. A transient failure's delay is at least half the backoff's ceiling, so a
    /// failure that comes back at once does not spin.
    pub fn after_failure(&self, recovery: Recovery, attempt: u32) -> Decision {
        match recovery {
            Recovery::Transient => {
                let ceiling = self.backoff.ceiling(attempt);
                Decision::RetryAfter(ceiling / 2 + self.backoff.delay(attempt) / 2)
            }
            Recovery::Permanent => Decision::WaitForChange(self.permanent_interval),
        }
    }
}

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
    fn transient_failures_are_retried_with_at_least_half_the_ceiling() {
        let policy = RetryPolicy::default();
        for attempt in 1..=12 {
            let Decision::RetryAfter(delay) = policy.after_failure(Recovery::Transient, attempt)
            else {
                panic!("a transient failure is retried");
            };
            let ceiling = policy.backoff.ceiling(attempt);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{delay:?} vs {ceiling:?}"
            );
        }
        assert_eq!(policy.backoff.ceiling(1), Duration::from_millis(500));
        assert_eq!(policy.backoff.ceiling(20), Duration::from_secs(30));
    }

    #[test]
    fn permanent_failures_wait_for_a_change_whatever_the_attempt() {
        let policy = RetryPolicy::default();
        for attempt in [1, 2, 50] {
            assert_eq!(
                policy.after_failure(Recovery::Permanent, attempt),
                Decision::WaitForChange(Duration::from_secs(60))
            );
        }
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
