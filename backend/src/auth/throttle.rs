//! Login throttling per account and per client address: after `max_failures` failures within
//! the window, further attempts get 429 with `Retry-After` until the oldest failure ages out.
//! In memory on purpose: a restart lifting a lock is acceptable, a database write per failed
//! guess is not.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Failure memory for logins.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: usize,
    window_ms: i64,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl LoginThrottle {
    /// A throttle allowing `max_failures` per `window_secs`.
    pub fn new(max_failures: u32, window_secs: u64) -> Self {
        Self {
            max_failures: max_failures.max(1) as usize,
            window_ms: i64::try_from(window_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, client: &str) -> [String; 2] {
        [format!("user:{username}"), format!("addr:{client}")]
    }

    /// `Err(seconds)` if either the account or the address is locked now.
    pub fn check(&self, username: &str, client: &str, now_ms: i64) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait_ms = 0;
        for key in Self::keys(username, client) {
            if let Some(times) = map.get_mut(&key) {
                while times.front().is_some_and(|t| now_ms - t >= self.window_ms) {
                    times.pop_front();
                }
                if times.len() >= self.max_failures
                    && let Some(oldest) = times.front()
                {
                    wait_ms = wait_ms.max(oldest + self.window_ms - now_ms);
                }
            }
        }
        map.retain(|_, times| !times.is_empty());
        if wait_ms > 0 {
            Err(u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1))
        } else {
            Ok(())
        }
    }

    /// Remembers a failure for the account and the address.
    pub fn record_failure(&self, username: &str, client: &str, now_ms: i64) {
        if let Ok(mut map) = self.failures.lock() {
            for key in Self::keys(username, client) {
                map.entry(key).or_default().push_back(now_ms);
            }
        }
    }

    /// Forgets the account's failures after a successful login (the address keeps its record).
    pub fn record_success(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("user:{username}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_until_the_window_passes() {
        let t = LoginThrottle::new(5, 300);
        for i in 0..5 {
            assert_eq!(t.check("admin", "1.2.3.4", i), Ok(()));
            t.record_failure("admin", "1.2.3.4", i);
        }
        assert_eq!(
            t.check("admin", "5.6.7.8", 10_000),
            Err(290),
            "the account is locked from any address"
        );
        assert_eq!(
            t.check("other", "1.2.3.4", 10_000),
            Err(290),
            "the address is locked for any account"
        );
        assert_eq!(t.check("other", "5.6.7.8", 10_000), Ok(()));
        assert_eq!(
            t.check("admin", "5.6.7.8", 300_000),
            Ok(()),
            "unlocks by itself"
        );
    }
}
