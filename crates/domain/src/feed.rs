//! What a live connection yields: events, and notices about the connection
//! itself (up, down, subscribed again, a frame skipped).
//!
//! The WebSocket adapter produces these; the use-cases consume them through
//! the [`crate::ports::MarketStreamSource`] and
//! [`crate::ports::UserDataSource`] ports, so a feed is tested with items
//! made in memory.

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use futures_core::Stream;

use crate::stream::{MarketEvent, UserEvent};

/// A live sequence of items. Dropping it closes the connections behind it.
pub type Feed<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// What a market-stream connection yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamItem {
    /// A market event.
    Event {
        /// Its stream name, on combined connections.
        stream: Option<String>,
        /// The event.
        event: MarketEvent,
    },
    /// A payload with no typed event: kept as Binance sent it.
    Raw(RawEvent),
    /// A frame exactly as received (when the connection was asked for
    /// frames, for a raw printout or a recording).
    Frame(ReceivedFrame),
    /// Something the user may want to know (print it on stderr).
    Notice(Notice),
}

/// A payload that is no typed event: an event type or stream this client
/// does not know (Binance adds some from time to time), or one that did not
/// decode. Never dropped: print it or record it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Its stream name, on combined connections.
    pub stream: Option<String>,
    /// The payload's text as received (the `data` of a combined frame; the
    /// whole frame when it is not even JSON).
    pub payload: String,
    /// Why it did not decode; `None` when it is valid JSON of a kind this
    /// client has no type for.
    pub error: Option<String>,
}

/// One frame exactly as it came off the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// Its stream name, on combined connections.
    pub stream: Option<String>,
    /// The frame's text, byte for byte (with the `{"stream":…,"data":…}`
    /// envelope on combined connections).
    pub text: String,
    /// When it was read (local clock).
    pub received_at: SystemTime,
}

/// Market-stream connection life-cycle and skipped frames.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// Connection number `connection` is up and carries `streams` streams.
    Connected {
        /// Index of the connection, from 0.
        connection: usize,
        /// How many streams it carries.
        streams: usize,
    },
    /// The connection dropped; it will be reopened after `retry_in`.
    Disconnected {
        /// Index of the connection, from 0.
        connection: usize,
        /// Why.
        reason: String,
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// The connection was replaced by a fresh one without a gap (before
    /// the server's 24 h cap, or after its `serverShutdown`).
    Rotated {
        /// Index of the connection, from 0.
        connection: usize,
    },
    /// A stream sent nothing for longer than its documented update
    /// interval allows (said once per silence; the stream is still
    /// subscribed).
    Silent {
        /// The stream's name.
        stream: String,
        /// How long it has been silent.
        silent_for: Duration,
        /// Its documented update interval.
        expected_every: Duration,
    },
    /// A frame was skipped: a binary frame, or a reply to no request.
    Skipped {
        /// Index of the connection, from 0.
        connection: usize,
        /// Why.
        reason: String,
    },
}

/// What a user-data connection yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserItem {
    /// A user-data event.
    Event {
        /// The subscription it came from.
        subscription_id: Option<u64>,
        /// The event.
        event: UserEvent,
    },
    /// Something the user may want to know (print it on stderr).
    Notice(ApiNotice),
}

/// WebSocket API connection life-cycle, resubscriptions and skipped frames.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiNotice {
    /// The connection is up.
    Connected,
    /// The user-data stream is subscribed (the first time).
    Subscribed {
        /// The subscription's ID.
        subscription_id: u64,
    },
    /// The connection dropped; it will be reopened after `retry_in`.
    Disconnected {
        /// Why.
        reason: String,
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// After a reconnect the user-data stream is subscribed again. Events
    /// sent while the client was away are lost: reconcile over REST now.
    Resubscribed {
        /// The new subscription's ID.
        subscription_id: u64,
    },
    /// After a reconnect the user-data stream could not be subscribed again.
    ResubscribeFailed {
        /// Why.
        reason: String,
    },
    /// A frame could not be decoded and was skipped.
    Skipped {
        /// Why.
        reason: String,
    },
}
