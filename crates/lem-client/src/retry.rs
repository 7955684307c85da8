//! The read retry policy (a failed connection is retried at most twice, for list and info
//! only; pull and delete are sent once) and, from it, the longest a call can take, so that
//! callers wrapping device calls in limits of their own (the panel's per-route timeouts) never
//! cut a call short.

use std::time::Duration;

use crate::config::Timeouts;
use crate::http::Operation;

/// Attempts of a read whose connection keeps failing: the first and at most two retries.
const READ_ATTEMPTS: u32 = 3;

/// The pause before retry number `attempt` (1-based): 150 ms, then 300 ms.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(150 * u64::from(attempt))
}

impl Operation {
    /// How many attempts a call may make when its connection fails: reads retry, never pull
    /// or delete (the device may have acted).
    pub(crate) fn attempts(self) -> u32 {
        match self {
            Self::List | Self::Info => READ_ATTEMPTS,
            Self::Pull | Self::Delete => 1,
        }
    }
}

impl Timeouts {
    /// The limit of one attempt of `op` (connecting, sending and reading the answer).
    pub fn limit(&self, op: Operation) -> Duration {
        match op {
            Operation::List => self.list,
            Operation::Info => self.info,
            Operation::Delete => self.delete,
            Operation::Pull => self.pull,
        }
    }

    /// The longest one call of `op` can take: the failed connection attempts (each ended by
    /// the connect limit at the latest), the pauses between them, and a last attempt that may
    /// use the operation's whole limit.
    pub fn longest_call(&self, op: Operation) -> Duration {
        let limit = self.limit(op);
        let retries = op.attempts() - 1;
        let failed_connects = self.connect.min(limit) * retries;
        let pauses: Duration = (1..=retries).map(backoff).sum();
        limit + failed_connects + pauses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_may_take_two_failed_connects_and_their_pauses_on_top_of_its_own_limit() {
        let t = Timeouts::default();
        let read = t.list + 2 * t.connect + Duration::from_millis(450);
        assert_eq!(t.longest_call(Operation::List), read);
        assert_eq!(
            t.longest_call(Operation::Info),
            t.info + 2 * t.connect + Duration::from_millis(450)
        );
    }

    #[test]
    fn pull_and_delete_take_at_most_their_own_limit_because_they_are_never_retried() {
        let t = Timeouts::default();
        assert_eq!(t.longest_call(Operation::Delete), t.delete);
        assert_eq!(t.longest_call(Operation::Pull), t.pull);
    }
}
