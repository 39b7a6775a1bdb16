//! Bounded retries of throttled and transient port calls, on top of the SDK's own.

use crate::ports::{Pause, PortError};
use std::future::Future;
use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, 250 ms doubling to 2 s: about 2 s of waiting at most per call, so a
    /// region task stays short and Step Functions' task-level retries take over beyond that.
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or attempts run out.
    pub async fn run<T, F, Fut>(&self, pause: &impl Pause, mut op: F) -> Result<T, PortError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, PortError>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.kind.is_retryable() && attempt < self.attempts => {
                    pause.retrying(e.kind);
                    pause.pause(self.delay(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = RetryPolicy::default();
        let d: Vec<u128> = (1..=5).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(d, vec![250, 500, 1000, 2000, 2000]);
        assert_eq!(p.delay(64), p.max_delay);
    }
}
