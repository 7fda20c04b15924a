//! What a transport is waiting for: a port through which a caller follows
//! requests, to show progress or log it.
//!
//! A transport (the REST client of `mbx-adapters-rest`) tells its
//! [`RequestObserver`] when a request starts, when it waits (the server's
//! `Retry-After`, the request-weight limit, a backoff before a retry) and
//! when it is finished. The `mbx` binary draws a spinner on a terminal from
//! it; a service could log or count. The observer only watches: it cannot
//! change what the transport does. It is told the endpoint and the host,
//! never the query (no timestamp, signature or parameter) and never a key.
//!
//! ```
//! use std::time::Duration;
//! use mbx_domain::observer::{ObservedRequest, Wait};
//!
//! let request = ObservedRequest::new(1, "GET /api/v3/account", "api.binance.com");
//! assert_eq!(request.to_string(), "GET /api/v3/account on api.binance.com");
//! let wait = Wait::RetryAfter { duration: Duration::from_secs(45) };
//! assert_eq!(wait.to_string(), "waiting 45 s as Retry-After asks");
//! ```

use std::fmt;
use std::time::Duration;

/// Follows a transport's requests. Called on the request's own path, so an
/// implementation returns at once (no blocking I/O, no waiting on a lock
/// held across I/O).
pub trait RequestObserver: Send + Sync + fmt::Debug {
    /// `request` is about to be sent (or to wait for its turn).
    fn request_started(&self, request: &ObservedRequest);
    /// `request` waits `wait` before it is sent (again).
    fn waiting(&self, request: &ObservedRequest, wait: &Wait);
    /// `request` is finished: answered, failed, or abandoned by its caller.
    /// Called exactly once per started request.
    fn request_finished(&self, request: &ObservedRequest);
}

/// A request as an observer sees it: no query, no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRequest {
    /// Unique per transport client, increasing: tells concurrent requests
    /// apart.
    pub id: u64,
    /// `METHOD /path`, e.g. `GET /api/v3/account`.
    pub endpoint: String,
    /// The host (and port, when not the default), e.g. `api.binance.com`.
    pub host: String,
}

impl ObservedRequest {
    /// A request `id` to `endpoint` on `host`.
    pub fn new(id: u64, endpoint: impl Into<String>, host: impl Into<String>) -> ObservedRequest {
        ObservedRequest {
            id,
            endpoint: endpoint.into(),
            host: host.into(),
        }
    }
}

impl fmt::Display for ObservedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.endpoint, self.host)
    }
}

/// Why a request waits before it is sent (again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// The server answered 429 (or an earlier run saved its `Retry-After`):
    /// nothing may be sent before it has passed.
    RetryAfter {
        /// How long.
        duration: Duration,
    },
    /// Sending now would exceed the request-weight limit of the current
    /// window.
    WeightLimit {
        /// How long until the window has room.
        duration: Duration,
    },
    /// A read failed in a way that may pass (network error, 5xx, timeout)
    /// and is sent again after a backoff.
    Retry {
        /// The backoff.
        duration: Duration,
        /// Which retry this is, from 1.
        attempt: u32,
        /// What failed, one line.
        reason: String,
    },
}

impl Wait {
    /// How long the wait lasts.
    pub fn duration(&self) -> Duration {
        match self {
            Wait::RetryAfter { duration }
            | Wait::WeightLimit { duration }
            | Wait::Retry { duration, .. } => *duration,
        }
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::RetryAfter { duration } => {
                write!(f, "waiting {} as Retry-After asks", Seconds(*duration))
            }
            Wait::WeightLimit { duration } => write!(
                f,
                "waiting {} to stay under the request-weight limit",
                Seconds(*duration)
            ),
            Wait::Retry {
                duration,
                attempt,
                reason,
            } => write!(
                f,
                "retry {attempt} in {} after: {reason}",
                Seconds(*duration)
            ),
        }
    }
}

/// `45 s` (whole seconds, rounded up), or `250 ms` under a second.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis < 1000 {
            write!(f, "{millis} ms")
        } else {
            write!(f, "{} s", millis.div_ceil(1000))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(wait: Wait, expected: &str) {
        assert_eq!(wait.to_string(), expected);
    }

    #[test]
    fn waits_say_how_long_and_why() {
        let ms = Duration::from_millis;
        check(
            Wait::RetryAfter {
                duration: ms(45_000),
            },
            "waiting 45 s as Retry-After asks",
        );
        check(
            Wait::RetryAfter {
                duration: ms(44_001),
            },
            "waiting 45 s as Retry-After asks",
        );
        check(
            Wait::WeightLimit {
                duration: ms(2_500),
            },
            "waiting 3 s to stay under the request-weight limit",
        );
        check(
            Wait::Retry {
                duration: ms(150),
                attempt: 1,
                reason: "GET /api/v3/time: network error".into(),
            },
            "retry 1 in 150 ms after: GET /api/v3/time: network error",
        );
        check(
            Wait::RetryAfter { duration: ms(0) },
            "waiting 0 ms as Retry-After asks",
        );
    }

    #[test]
    fn a_request_names_its_endpoint_and_host() {
        let request = ObservedRequest::new(7, "POST /api/v3/order", "127.0.0.1:9900");
        assert_eq!(request.to_string(), "POST /api/v3/order on 127.0.0.1:9900");
    }
}
