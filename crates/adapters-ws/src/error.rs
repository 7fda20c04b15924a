//! The one error type of this crate.

use std::time::Duration;

use tokio_tungstenite::tungstenite;

/// What went wrong talking to a WebSocket server.
///
/// [`Error::is_retryable`] tells failures a retry (or the automatic
/// reconnect) can fix apart from those it cannot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a WebSocket URL.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `ws://` to a host that is not loopback.
    #[error("plain ws:// is only allowed to loopback: `{url}`; use wss://")]
    InsecureUrl {
        /// The URL as given.
        url: String,
    },
    /// The connection could not be opened.
    #[error("cannot connect to {url}")]
    Connect {
        /// Where to.
        url: String,
        /// Why.
        #[source]
        source: Box<tungstenite::Error>,
    },
    /// The connection dropped before the answer came; the outcome of the
    /// request is unknown.
    #[error("the connection dropped before the answer came")]
    Disconnected,
    /// No answer within the timeout; the outcome of the request is unknown.
    #[error("no answer to `{method}` within {timeout:?}")]
    Timeout {
        /// The request's method.
        method: String,
        /// How long the client waited.
        timeout: Duration,
    },
    /// A market-stream control message (`SUBSCRIBE`, …) was refused.
    #[error("`{method}` refused: {code} {msg}")]
    Control {
        /// `SUBSCRIBE`, `UNSUBSCRIBE`, …
        method: &'static str,
        /// Binance's code (0 to 3).
        code: i64,
        /// Binance's message, word for word.
        msg: String,
    },
    /// The WebSocket API answered with an error.
    #[error("`{method}` failed: {code} {msg}")]
    Api {
        /// The request's method.
        method: String,
        /// HTTP-like status (400, 401, 403, 429, …).
        status: u16,
        /// Binance's error code.
        code: i64,
        /// Binance's message, word for word.
        msg: String,
    },
    /// The answer could not be read.
    #[error("unreadable answer to `{method}`")]
    BadResponse {
        /// The request's method.
        method: String,
        /// Why.
        #[source]
        source: crate::wire::DecodeError,
    },
    /// The request needs an API key but the client has none.
    #[error("`{method}` needs an API key and a signing key")]
    NoCredentials {
        /// The request's method.
        method: String,
    },
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
}

impl Error {
    /// A retry (or the automatic reconnect) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::Disconnected | Error::Timeout { .. } => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}
