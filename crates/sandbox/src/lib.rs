//! A local Binance-compatible Spot exchange over REST: same URLs, same
//! signature rules, same error codes, a deterministic moving market.
//!
//! # Brief overview
//!
//! [`Sandbox::start`] binds a port and serves [`router`] over an
//! [`Exchange`]: the engine (accounts, order books, matching), the API keys,
//! the sandbox clock, rate limits, injected faults and a request log.
//! [`SandboxConfig`] says which accounts and keys exist
//! ([`SandboxConfig::demo`] gives one demo account), the seed of the price
//! walk, the clock offset and the [`RateLimitConfig`]; [`config_file`]
//! reads it from TOML and merges command-line [`Overrides`] over it.
//!
//! Every endpoint is one operation and one row of [`ops::ENDPOINTS`]
//! (method names, path, security, weight, refund rule). REST ([`api`]) and
//! the WebSocket API ([`ws`]) are two renderers of the same call.
//!
//! A sandbox is left running for days on developers' machines, so it bounds
//! what a client can make it hold: connections ([`ServerLimits`]), request
//! heads, bodies and WebSocket messages, the request log, pending faults,
//! the weight table (per client address); and it answers only this
//! machine's web pages on its admin API and WebSocket upgrades. The limits
//! are in the crate README.
//!
//! ```no_run
//! # async fn run() -> Result<(), mbx_sandbox::Error> {
//! use mbx_sandbox::{Sandbox, SandboxConfig, DEMO_API_KEY};
//!
//! let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
//! println!("REST at {} with key {DEMO_API_KEY}", sandbox.rest_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! A key design decision made in this crate is that signatures are checked
//! over the raw bytes received (query string, then body, the `signature`
//! pair removed, nothing decoded), which is what Binance signs since the
//! 2026-01-15 percent-encoding rule; a client that signs one text and sends
//! another fails here exactly as it would on Binance. The exchange core
//! ([`engine::Engine`]) is synchronous, takes the time as an argument and
//! returns the [`events`] each change produced, so it is tested without a
//! server; the [`Exchange`] publishes them on broadcast channels for the
//! WebSocket side.

#![deny(missing_docs)]

pub mod admin;
pub mod api;
mod config;
pub mod config_file;
pub mod engine;
mod error;
pub mod events;
mod exchange;
mod limits;
pub mod market;
pub mod model;
pub mod ops;
pub mod params;
#[cfg(test)]
mod readme;
pub mod reference;
pub mod replay;
mod serve;
pub mod stats;
pub mod time_unit;
pub mod wire;
pub mod ws;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    AccountConfig, ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Permissions,
    RateLimitConfig, SandboxConfig, demo_balances,
};
pub use config_file::{ConfigFile, Overrides, Resolved};
pub use error::{ApiError, Error, ErrorCode};
pub use exchange::{
    Caller, EngineGuard, Exchange, Fault, FaultError, FaultTarget, MAX_CLOCK_OFFSET_MS,
    MAX_FAULT_RULES, Need, Proof, RequestLogEntry,
};
pub use limits::Limiter;
pub use serve::ServerLimits;

/// The sandbox's routes over `exchange`; serve it, or call it with `oneshot`.
pub fn router(exchange: Exchange) -> Router {
    api::router(exchange.clone())
        .merge(ws::routes(exchange.clone()))
        .merge(admin::routes(exchange))
}

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] stops it too.
#[derive(Debug)]
pub struct Sandbox {
    exchange: Exchange,
    local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `config.bind` and starts serving, within `config.server`'s
    /// connection cap and header-read timeout.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, Error> {
        let exchange = Exchange::new(&config)?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.bind,
            source,
        })?;
        let app = router(exchange.clone());
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(serve::serve(listener, app, config.server, stop));
        Ok(Sandbox {
            exchange,
            local_addr,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The REST base URL, e.g. `http://127.0.0.1:40123`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The exchange behind it (engine, events, clock).
    pub fn exchange(&self) -> &Exchange {
        &self.exchange
    }

    /// Moves the sandbox clock to system time plus `offset_ms` (clamped to
    /// ±[`MAX_CLOCK_OFFSET_MS`]).
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.exchange.set_clock_offset_ms(offset_ms);
    }

    /// The next `n` requests under `/api` or `/sapi`, and WebSocket API
    /// requests, get `fault`.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        self.exchange.fail_next(u64::from(n), fault);
    }

    /// The next `n` requests `target` names get `fault`, e.g. only
    /// `POST /api/v3/order`, so that the client's time and `exchangeInfo`
    /// calls go through:
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use mbx_sandbox::{Fault, FaultTarget, Sandbox, SandboxConfig};
    ///
    /// let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
    /// // The order is placed, then the client never hears of it.
    /// let lost = Fault::LostAnswer { hold: Duration::ZERO };
    /// sandbox.fail_next_on(1, lost, FaultTarget::rest("POST", "/api/v3/order"))?;
    /// sandbox.fail_next_on(1, lost, FaultTarget::ws_api("order.place"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn fail_next_on(
        &self,
        n: u64,
        fault: Fault,
        target: FaultTarget,
    ) -> Result<(), FaultError> {
        self.exchange.fail_next_on(n, fault, target)
    }

    /// Every request answered so far (method, path, status, error code).
    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        self.exchange.request_log()
    }

    /// Stops accepting connections, lets running requests finish, and waits.
    pub async fn shutdown(mut self) {
        self.exchange.live().server_shutdown();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.exchange.live().drop_all();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
