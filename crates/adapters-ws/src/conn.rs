//! What both clients share: URL checks, connecting, reconnect backoff and
//! the control-message rate.

use std::collections::VecDeque;
use std::time::Duration;

use rand::Rng;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use mbx_domain::environment::check_transport;
use mbx_domain::{ConfigError, Error};

/// A connected WebSocket.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long to wait between reconnect attempts.
///
/// The n-th consecutive failure waits a random time between half and all of
/// `min(initial × 2ⁿ, max)` ("jitter"), so that many clients dropped at once
/// do not all come back in the same millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Backoff {
    /// 250 ms, doubling up to 30 s.
    pub const BINANCE: Backoff = Backoff {
        initial: Duration::from_millis(250),
        max: Duration::from_secs(30),
    };

    /// The delay before retry number `attempt` (0 for the first retry).
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max);
        let floor = ceiling / 2;
        if ceiling <= floor {
            return ceiling;
        }
        let span = (ceiling - floor).as_micros() as u64;
        floor + Duration::from_micros(rng.gen_range(0..=span))
    }
}

/// A sliding one-second window of messages sent to the server.
///
/// Binance counts pings, pongs and control messages (SUBSCRIBE, …) against a
/// limit of 5 per second per connection and disconnects above it
/// (`shared/binance-docs/web-socket-streams.md` § "WebSocket Limits").
#[derive(Debug, Clone)]
pub(crate) struct ControlRate {
    per_second: usize,
    sent: VecDeque<Instant>,
}

impl ControlRate {
    pub(crate) fn new(per_second: u32) -> ControlRate {
        ControlRate {
            per_second: per_second.max(1) as usize,
            sent: VecDeque::new(),
        }
    }

    /// The earliest instant at which one more message stays within the limit.
    pub(crate) fn next_slot(&mut self, now: Instant) -> Instant {
        self.forget_before(now);
        if self.sent.len() < self.per_second {
            now
        } else {
            self.sent[self.sent.len() - self.per_second] + Duration::from_secs(1)
        }
    }

    /// Records a message sent at `now`.
    pub(crate) fn record(&mut self, now: Instant) {
        self.forget_before(now);
        self.sent.push_back(now);
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some(&first) = self.sent.front() {
            if now.duration_since(first) >= Duration::from_secs(1) {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }
}

/// Checks `url` with the one transport rule
/// ([`mbx_domain::environment::check_transport`]) and that it is a
/// WebSocket URL.
pub(crate) fn check_url(url: &str) -> Result<Uri, Error> {
    let checked = check_transport(url)?;
    if !matches!(checked.scheme(), "ws" | "wss") {
        return Err(Error::Config(ConfigError::InvalidUrl {
            url: url.to_owned(),
            reason: "a WebSocket URL starts with wss:// (or ws:// to loopback)".to_owned(),
        }));
    }
    url.parse().map_err(|_| {
        Error::Config(ConfigError::InvalidUrl {
            url: url.to_owned(),
            reason: "not a URL".to_owned(),
        })
    })
}

/// Bytes read from the socket at a time (see [`connect`]).
const READ_BUFFER_BYTES: usize = 16 * 1024;

pub(crate) async fn connect(url: &str) -> Result<Socket, Error> {
    // tungstenite does not follow redirects; `error::connect` turns one
    // into `Error::Redirected` so nothing is sent to the new location.
    // tungstenite zeroes its whole read buffer before every read, even one
    // that finds nothing; its default 128 KiB made each wake-up of a
    // connection a 128 KiB `memset`. Larger messages are read in parts.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES);
    let (socket, _response) =
        tokio_tungstenite::connect_async_with_config(url, Some(config), false)
            .await
            .map_err(|source| crate::error::connect(url, source))?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    #[track_caller]
    fn check(url: &str, ok: bool) {
        assert_eq!(check_url(url).is_ok(), ok, "{url}");
    }

    #[test]
    fn url_rules() {
        check("wss://stream.binance.com:9443", true);
        check("ws://127.0.0.1:9000/ws", true);
        check("ws://localhost:9000", true);
        check("ws://[::1]:9000", true);
        check("ws://stream.binance.com:9443", false);
        check("ws://10.0.0.1:9443", false);
        check("http://127.0.0.1:9000", false);
        check("not a url", false);
        check("ws://localhost:pw@example.com", false);
    }

    #[test]
    fn insecure_url_error_names_the_rule() {
        let error = check_url("ws://example.com").unwrap_err();
        assert_eq!(
            error.to_string(),
            "refusing `ws://example.com`: plain ws is allowed only to loopback"
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let mut rng = SmallRng::seed_from_u64(7);
        for attempt in 0..30 {
            let ceiling = (Duration::from_millis(100) * 2u32.pow(attempt.min(10)))
                .min(Duration::from_secs(1));
            let delay = backoff.delay(attempt, &mut rng);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{attempt}: {delay:?}"
            );
        }
    }

    #[test]
    fn control_rate_allows_five_per_second() {
        let start = Instant::now();
        let mut rate = ControlRate::new(5);
        for _ in 0..5 {
            assert_eq!(rate.next_slot(start), start);
            rate.record(start);
        }
        assert_eq!(rate.next_slot(start), start + Duration::from_secs(1));
        let later = start + Duration::from_millis(1000);
        assert_eq!(rate.next_slot(later), later);
    }

    #[test]
    fn control_rate_window_slides() {
        let start = Instant::now();
        let mut rate = ControlRate::new(2);
        rate.record(start);
        rate.record(start + Duration::from_millis(600));
        let at = start + Duration::from_millis(700);
        assert_eq!(rate.next_slot(at), start + Duration::from_secs(1));
        rate.record(start + Duration::from_secs(1));
        assert_eq!(
            rate.next_slot(start + Duration::from_secs(1)),
            start + Duration::from_millis(1600)
        );
    }
}
