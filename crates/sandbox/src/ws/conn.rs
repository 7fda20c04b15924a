//! What every WebSocket connection shares: the ping schedule, the pong
//! deadline, the lifetime cap, and the incoming-message rate limit of the
//! streams.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::time::Instant;

use super::WsTiming;

/// What the keep-alive clock asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Send a ping frame with this payload.
    Ping(Vec<u8>),
    /// Close the connection: a ping went unanswered, or the lifetime is over.
    Close,
    /// Nothing yet.
    Nothing,
}

/// Sends the `serverShutdown` event, then a close frame (1001, going away).
pub(crate) async fn send_shutdown(socket: &mut WebSocket, event: String) {
    let _ = socket.send(Message::Text(event.into())).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1001,
            reason: Utf8Bytes::from_static("server shutdown"),
        })))
        .await;
}

/// Does what the keep-alive clock asks now: sends a ping, or closes.
/// Returns `false` when the connection is over.
pub(crate) async fn keepalive_tick(socket: &mut WebSocket, keepalive: &mut Keepalive) -> bool {
    match keepalive.poll(Instant::now()) {
        Due::Ping(payload) => socket.send(Message::Ping(payload.into())).await.is_ok(),
        Due::Close => {
            let _ = socket.send(Message::Close(None)).await;
            false
        }
        Due::Nothing => true,
    }
}

/// Server pings every `ping_interval`; a ping whose payload is not echoed
/// by a pong within `pong_timeout` closes the connection, so do unsolicited
/// pongs not prevent it; the connection ends at `max_lifetime`.
#[derive(Debug)]
pub(crate) struct Keepalive {
    timing: WsTiming,
    next_ping: Instant,
    end: Instant,
    pending: VecDeque<(Vec<u8>, Instant)>,
    counter: u64,
}

impl Keepalive {
    pub(crate) fn new(timing: WsTiming) -> Keepalive {
        let now = Instant::now();
        Keepalive {
            timing,
            next_ping: now + timing.ping_interval,
            end: now + timing.max_lifetime,
            pending: VecDeque::new(),
            counter: 0,
        }
    }

    /// When [`Keepalive::poll`] has something to do next.
    pub(crate) fn next_wakeup(&self) -> Instant {
        let mut at = self.next_ping.min(self.end);
        if let Some((_, sent)) = self.pending.front() {
            at = at.min(*sent + self.timing.pong_timeout);
        }
        at
    }

    pub(crate) fn poll(&mut self, now: Instant) -> Due {
        if now >= self.end {
            return Due::Close;
        }
        if let Some((_, sent)) = self.pending.front()
            && now >= *sent + self.timing.pong_timeout
        {
            return Due::Close;
        }
        if now >= self.next_ping {
            self.next_ping = now + self.timing.ping_interval;
            self.counter += 1;
            let payload = self.counter.to_string().into_bytes();
            self.pending.push_back((payload.clone(), now));
            return Due::Ping(payload);
        }
        Due::Nothing
    }

    /// A pong arrived; it answers the ping with the same payload and every
    /// older one.
    pub(crate) fn on_pong(&mut self, payload: &[u8]) {
        if let Some(idx) = self.pending.iter().position(|(sent, _)| sent == payload) {
            self.pending.drain(..=idx);
        }
    }
}

/// At most `limit` incoming messages per second.
#[derive(Debug)]
pub(crate) struct MessageRate {
    limit: u32,
    window_start: Instant,
    count: u32,
}

impl MessageRate {
    pub(crate) fn new(limit: u32) -> MessageRate {
        MessageRate {
            limit,
            window_start: Instant::now(),
            count: 0,
        }
    }

    /// Counts one message; `false` once the limit is exceeded.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        if now.duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.count = 0;
        }
        self.count += 1;
        self.count <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(ping: u64, pong: u64, life: u64) -> WsTiming {
        WsTiming {
            ping_interval: Duration::from_millis(ping),
            pong_timeout: Duration::from_millis(pong),
            max_lifetime: Duration::from_millis(life),
        }
    }

    #[test]
    fn unanswered_ping_closes_and_answered_one_does_not() {
        let mut keepalive = Keepalive::new(timing(100, 300, 100_000));
        let start = Instant::now();
        let Due::Ping(payload) = keepalive.poll(start + Duration::from_millis(100)) else {
            panic!("expected a ping");
        };
        keepalive.on_pong(b"unsolicited");
        assert_eq!(
            keepalive.poll(start + Duration::from_millis(150)),
            Due::Nothing
        );
        keepalive.on_pong(&payload);
        assert!(matches!(
            keepalive.poll(start + Duration::from_millis(200)),
            Due::Ping(_)
        ));
        assert_eq!(
            keepalive.poll(start + Duration::from_millis(500)),
            Due::Close
        );
    }

    #[test]
    fn lifetime_cap_closes() {
        let mut keepalive = Keepalive::new(timing(1000, 1000, 50));
        assert_eq!(
            keepalive.poll(Instant::now() + Duration::from_millis(50)),
            Due::Close
        );
    }

    #[test]
    fn sixth_message_in_a_second_is_refused() {
        let mut rate = MessageRate::new(5);
        let now = Instant::now();
        assert!((0..5).all(|_| rate.admit(now)));
        assert!(!rate.admit(now));
        assert!(rate.admit(now + Duration::from_secs(1)));
    }
}
