//! What every WebSocket connection shares: the size cap on incoming
//! messages, the close handshake, the ping schedule, the pong deadline, the
//! lifetime cap, and the incoming-message rate limit of the streams.
//!
//! Closing, as RFC 6455 § 5.5.1 and § 7.4 ask:
//!
//! 1. A client's close frame is answered with a close frame (its own code
//!    echoed), so the client sees a clean close (1000), never 1006.
//! 2. A message or frame over [`MAX_MESSAGE_BYTES`] closes with 1009
//!    (message too big), before its payload is read; a frame that breaks
//!    the protocol closes with 1002, text that is not UTF-8 with 1007.
//! 3. The server's own closes (lifetime, unanswered ping, shutdown) send a
//!    close frame first.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use futures_util::SinkExt;
use tokio::time::Instant;

use super::{MAX_MESSAGE_BYTES, WsTiming};

/// Bytes read from the socket at a time. tungstenite zeroes this much of
/// its buffer before every read, even one that finds nothing (its default
/// is 128 KiB): with the default, every wake-up of a session (an event to
/// forward, a timer) cost a 128 KiB `memset`, the largest user-space cost
/// the profile of a loopback order showed (benches/orders.rs). Requests are
/// small; a larger message is still read whole, in several reads.
const READ_BUFFER_BYTES: usize = 8 * 1024;

/// The upgrade with the sandbox's size caps on incoming messages and frames.
pub(crate) fn capped(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
}

/// What a read from the client gave.
pub(crate) enum Read {
    /// A message to handle.
    Message(Message),
    /// The connection is over (the close handshake, if any, is done).
    Over,
}

/// What `socket.recv()` gave, with the close handshake done: a client's
/// close frame is answered, a message that breaks the rules closes with
/// its code (see the module docs). Called in a `select!` arm's body, not
/// in its future, so that a closing handshake is never cancelled halfway.
pub(crate) async fn on_read(
    socket: &mut WebSocket,
    incoming: Option<Result<Message, axum::Error>>,
) -> Read {
    match incoming {
        Some(Ok(Message::Close(_))) => {
            // tungstenite queued the reply to the client's close frame;
            // closing flushes it.
            let _ = socket.close().await;
            Read::Over
        }
        Some(Ok(message)) => Read::Message(message),
        Some(Err(err)) => {
            if let Some((code, reason)) = close_code(err) {
                tracing::debug!(code, reason, "closing a WebSocket");
                let frame = CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                };
                let _ = socket.send(Message::Close(Some(frame))).await;
            }
            Read::Over
        }
        None => Read::Over,
    }
}

/// The close code for a read error, when the client broke a rule (rather
/// than the connection failing).
fn close_code(err: axum::Error) -> Option<(u16, &'static str)> {
    let err = err.into_inner().downcast::<tungstenite::Error>().ok()?;
    match *err {
        tungstenite::Error::Capacity(_) => Some((1009, "message too big")),
        tungstenite::Error::Protocol(_) => Some((1002, "protocol error")),
        tungstenite::Error::Utf8(_) => Some((1007, "text is not UTF-8")),
        _ => None,
    }
}

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

/// Closes a stream connection that fell too far behind the feed (1008,
/// policy violation): Binance disconnects a client that does not read its
/// events fast enough rather than skipping events silently.
pub(crate) async fn send_too_slow(socket: &mut WebSocket) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1008,
            reason: Utf8Bytes::from_static("the client reads too slowly"),
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
