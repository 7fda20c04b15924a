//! The live side of the sandbox, on the REST port: WebSocket Streams
//! (`/ws`, `/ws/<stream>`, `/stream?streams=a/b`), the WebSocket API
//! (`/ws-api/v3`) with user data events, and what both share: the server's
//! ping schedule, the pong deadline, the connection lifetime cap, the size
//! cap on incoming messages ([`MAX_MESSAGE_BYTES`], 1009 beyond it), the
//! close handshake, the `Host`/`Origin` check of the upgrade
//! ([`crate::admin::browser_guard`]), and the fault-injection switches
//! (drop every connection, `serverShutdown`, lose a diff-depth event).
//!
//! [`Live`] is held by the [`Exchange`]; a feed task (started with the first
//! stream connection, stopped when the last one goes) turns the engine's
//! [`crate::events::MarketEvent`]s and periodic snapshots into stream
//! payloads, serialised once and fanned out to every connection over one
//! broadcast channel.

mod api;
mod conn;
mod feed;
mod names;
mod streams;
mod user_data;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tokio::sync::broadcast;

use crate::Sandbox;
use crate::exchange::{Exchange, lock};

pub use api::session_methods;
pub use names::{StreamName, parse_stream};

/// The largest WebSocket message (and frame) a client may send, on the
/// streams and the WebSocket API: 1 MiB, some thirty times the largest real
/// request (a `SUBSCRIBE` of 1024 stream names, or `symbols` listing every
/// symbol). A larger one closes the connection with 1009 (message too big)
/// before its payload is read.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Whether `method` (without `v3/`) is a WebSocket API method.
pub fn is_api_method(method: &str) -> bool {
    api::is_method(method)
}

/// Keep-alive and lifetime rules of every WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsTiming {
    /// The server sends a ping frame this often (Binance: 20 s).
    pub ping_interval: Duration,
    /// A ping not answered by a pong with its payload within this time
    /// closes the connection (Binance: 1 minute).
    pub pong_timeout: Duration,
    /// Connections are closed after this long (Binance: 24 hours).
    pub max_lifetime: Duration,
}

impl Default for WsTiming {
    fn default() -> WsTiming {
        WsTiming {
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(60),
            max_lifetime: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the admin side asks every open connection to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Control {
    /// Drop the TCP connection now, without a close frame.
    Drop,
    /// Send `serverShutdown`, then close.
    Shutdown,
    /// Stream connections listening to a diff-depth stream of this symbol
    /// (uppercase) skip its next event.
    DropDepthEvent(Arc<str>),
}

/// The shared state of the live side (held by the [`Exchange`]).
#[derive(Debug)]
pub struct Live {
    timing: Mutex<WsTiming>,
    control: broadcast::Sender<Control>,
    feed: feed::Feed,
    latency_ms: AtomicU64,
    open: AtomicUsize,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            timing: Mutex::new(WsTiming::default()),
            control: broadcast::channel(16).0,
            feed: feed::Feed::default(),
            latency_ms: AtomicU64::new(0),
            open: AtomicUsize::new(0),
        }
    }
}

impl Live {
    /// The keep-alive rules new connections get.
    pub fn timing(&self) -> WsTiming {
        *lock(&self.timing)
    }

    /// Changes the keep-alive rules for connections opened from now on.
    pub fn set_timing(&self, timing: WsTiming) {
        *lock(&self.timing) = timing;
    }

    /// Drops every open WebSocket connection now (no close frame).
    pub fn drop_all(&self) {
        let _ = self.control.send(Control::Drop);
    }

    /// Sends `serverShutdown` on every open WebSocket connection, then closes it.
    pub fn server_shutdown(&self) {
        let _ = self.control.send(Control::Shutdown);
    }

    /// Every stream connection open now that listens to a diff-depth stream
    /// of `symbol` (`<symbol>@depth` or `@depth@100ms`) loses the next event
    /// of that stream, so its `U` no longer follows the previous `u`: the
    /// gap a client's order book must detect. Connections opened later are
    /// not affected.
    pub fn drop_depth_event(&self, symbol: &str) {
        let symbol = Arc::from(symbol.to_ascii_uppercase());
        let _ = self.control.send(Control::DropDepthEvent(symbol));
    }

    /// Latency added to every REST request and WebSocket API response.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    /// Sets the added latency.
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// Open WebSocket connections (streams and API).
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Stream payloads the feed has published so far.
    pub fn stream_frames_published(&self) -> u64 {
        self.feed.frames_sent()
    }

    /// Waits `duration`, or less when the WebSockets are dropped or shut
    /// down, so that a held answer (the `lost-answer` fault) never holds up
    /// [`Sandbox::shutdown`].
    pub(crate) async fn hold(&self, duration: Duration) {
        let mut controls = self.controls();
        let stopped = async {
            loop {
                match controls.recv().await {
                    Ok(Control::Drop | Control::Shutdown)
                    | Err(broadcast::error::RecvError::Closed) => return,
                    Ok(Control::DropDepthEvent(_))
                    | Err(broadcast::error::RecvError::Lagged(_)) => {}
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = stopped => {}
        }
    }

    pub(crate) fn controls(&self) -> broadcast::Receiver<Control> {
        self.control.subscribe()
    }

    pub(crate) fn feed(&self) -> &feed::Feed {
        &self.feed
    }

    pub(crate) fn opened(&self) -> OpenGuard<'_> {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenGuard { live: self }
    }
}

/// Counts a connection as open until dropped.
pub(crate) struct OpenGuard<'a> {
    live: &'a Live,
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.live.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The WebSocket routes: `/ws`, `/ws/{stream}`, `/stream`, `/ws-api/v3`,
/// each upgrade checked by [`crate::admin::browser_guard`].
pub fn routes(exchange: Exchange) -> Router {
    Router::new()
        .route("/ws", get(streams::raw_root))
        .route("/ws/{*streams}", get(streams::raw))
        .route("/stream", get(streams::combined))
        .route("/ws-api/v3", get(api::connect))
        .layer(middleware::from_fn(crate::admin::browser_guard))
        .with_state(exchange)
}

impl Sandbox {
    /// The WebSocket Streams base URL, e.g. `ws://127.0.0.1:40123`; append
    /// `/ws/<stream>` or `/stream?streams=<a>/<b>`.
    pub fn ws_stream_url(&self) -> String {
        format!("ws://{}", self.local_addr)
    }

    /// The WebSocket API URL, e.g. `ws://127.0.0.1:40123/ws-api/v3`.
    pub fn ws_api_url(&self) -> String {
        format!("ws://{}/ws-api/v3", self.local_addr)
    }

    /// Changes the ping interval, pong deadline and lifetime cap of
    /// WebSocket connections opened from now on.
    pub fn set_ws_timing(&self, timing: WsTiming) {
        self.exchange.live().set_timing(timing);
    }

    /// Drops every open WebSocket connection now, as a network failure would.
    pub fn drop_websockets(&self) {
        self.exchange.live().drop_all();
    }

    /// Sends `serverShutdown` on every open WebSocket connection, then closes them.
    pub fn server_shutdown(&self) {
        self.exchange.live().server_shutdown();
    }

    /// Frames kept for a stream connection that falls behind (16,384 by
    /// default); one further behind is closed with a close frame (1008).
    /// Stream connections open now are closed. A test knob: a small buffer
    /// makes a slow reader easy to provoke.
    pub fn set_stream_buffer(&self, frames: usize) {
        self.exchange.live().feed().set_capacity(frames);
    }

    /// Every stream connection open now loses its next diff-depth event of
    /// `symbol` ([`Live::drop_depth_event`]).
    pub fn drop_depth_event(&self, symbol: &str) {
        self.exchange.live().drop_depth_event(symbol);
    }

    /// Adds `latency` to every REST request and WebSocket API response.
    pub fn set_latency(&self, latency: Duration) {
        self.exchange.live().set_latency(latency);
    }

    /// Credits (`amount > 0`) or debits (`amount < 0`) the free balance of
    /// `asset` on account `uid`, as a deposit or withdrawal would; user data
    /// subscribers get `balanceUpdate` and `outboundAccountPosition`.
    pub fn deposit(
        &self,
        uid: u64,
        asset: &str,
        amount: rust_decimal::Decimal,
    ) -> Result<(), crate::ApiError> {
        crate::admin::adjust_balance(&self.exchange, uid, asset, amount)
    }
}
