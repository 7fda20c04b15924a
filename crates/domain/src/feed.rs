//! What a live connection yields: events, and notices about the connection
//! itself (up, down, subscribed again, a frame skipped).
//!
//! The WebSocket adapter produces these; the use-cases consume them through
//! the [`crate::ports::MarketStreamSource`] and
//! [`crate::ports::UserDataSource`] ports, so a feed is tested with items
//! made in memory.

use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;

use crate::stream::{MarketEvent, UserEvent};

/// A live sequence of items. Dropping it closes the connections behind it.
pub type Feed<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// What a market-stream connection yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A market event.
    Event {
        /// Its stream name, on combined connections.
        stream: Option<String>,
        /// The event.
        event: MarketEvent,
    },
    /// Something the user may want to know (print it on stderr).
    Notice(Notice),
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
    /// the server's 24 h cap).
    Rotated {
        /// Index of the connection, from 0.
        connection: usize,
    },
    /// A frame could not be decoded and was skipped.
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
