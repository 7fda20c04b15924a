//! The shared state behind the router: the engine, the API keys, the clock,
//! the rate limiter, injected faults and the request log.
//!
//! The engine is pure: it returns its [`Event`]s. The exchange owns the
//! broadcast channels and publishes them, through [`EngineGuard`], while
//! the engine is still locked, so events leave in the order the engine made
//! them even when requests run concurrently.
//!
//! Every mutex here (and in `ws`) is taken with [`lock`]: a lock poisoned
//! by a panic elsewhere still yields its data, so one failed request never
//! takes the sandbox down.

use std::collections::HashMap;
use std::ops::Deref;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_signing::payload::{decode_component, redact_signature, rest_payload, split_signature};
use mbx_signing::{HmacKey, Verifier};
use rust_decimal::Decimal;
use tokio::sync::broadcast;

use crate::config::{Credential, Permissions, SandboxConfig};
use crate::engine::{Amended, Commission, Engine, Fill, NewList, NewOrder, Order, PlacedList};
use crate::error::{ApiError, Error};
use crate::events::{AccountEvent, Event, MarketEvent};
use crate::limits::Limiter;
use crate::market::{Market, default_symbols};
use crate::params::{DECIMAL_RANGE, Params, parse_long};

/// The largest `recvWindow` Binance accepts (rest-api.md § Timing security).
pub const MAX_RECV_WINDOW_MS: i64 = 60_000;
/// `recvWindow` when none is sent.
pub const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// A fault to inject into the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429, `-1003` and `Retry-After`.
    TooManyRequests,
    /// 418, `-1003` and `Retry-After`.
    Banned,
    /// 500, `-1000`.
    ServerError,
    /// Held for a second, then 408 with `-1007` (the request is not executed).
    Timeout,
}

/// One line of the request log. Holds no secret, API key or signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLogEntry {
    /// HTTP method.
    pub method: String,
    /// Path, without the query string.
    pub path: String,
    /// HTTP status answered.
    pub status: u16,
    /// Binance error code, for errors.
    pub code: Option<i64>,
}

/// Who sent a signed request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The account.
    pub uid: u64,
    /// The key's permissions.
    pub permissions: Permissions,
}

/// How a signed request proves that its sender holds the key.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// REST (rest-api.md § "SIGNED endpoint security"): a `signature` pair
    /// in the raw query string or body, over the query string followed by
    /// the body with that pair removed, before any decoding.
    Rest {
        /// The query string as received.
        raw_query: &'a str,
        /// The form body as received.
        raw_body: &'a str,
    },
    /// WebSocket API (web-socket-api.md § "SIGNED request security"): the
    /// `signature` parameter over every other parameter, sorted by name,
    /// not percent-encoded.
    WsApi {
        /// The sorted payload ([`mbx_signing::payload::ws_api_payload`]).
        payload: &'a str,
    },
    /// A request of a logged-on WebSocket API session without a signature
    /// of its own: `session.logon` already checked the key's signature.
    Session,
}

impl std::fmt::Debug for Proof<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proof::Rest {
                raw_query,
                raw_body,
            } => f
                .debug_struct("Rest")
                .field("raw_query", &redact_signature(raw_query))
                .field("raw_body", &redact_signature(raw_body))
                .finish(),
            Proof::WsApi { payload } => f.debug_struct("WsApi").field("payload", payload).finish(),
            Proof::Session => f.write_str("Session"),
        }
    }
}

/// What a signed endpoint needs from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `USER_DATA`: reading.
    Read,
    /// `TRADE`: spot trading.
    Trade,
}

struct KeyEntry {
    uid: u64,
    verifier: Verifier,
    permissions: Permissions,
}

struct Inner {
    engine: Mutex<Engine>,
    keys: HashMap<String, KeyEntry>,
    clock_offset_ms: AtomicI64,
    limiter: Mutex<Limiter>,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<RequestLogEntry>>,
    market_events: broadcast::Sender<MarketEvent>,
    account_events: broadcast::Sender<AccountEvent>,
    live: crate::ws::Live,
}

/// The exchange: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Exchange {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("keys", &self.inner.keys.len())
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// Builds the exchange from a configuration (keys are parsed here).
    pub fn new(config: &SandboxConfig) -> Result<Exchange, Error> {
        let offset = config.clock_offset_ms;
        let start_ms = system_ms() + offset;
        let market = Market::new(config.seed, start_ms, default_symbols());
        let commission = Commission {
            maker: Decimal::new(1, 3),
            taker: Decimal::new(1, 3),
        };
        let mut engine = Engine::new(market, commission);
        let (market_events, _) = broadcast::channel(4096);
        let (account_events, _) = broadcast::channel(4096);
        let mut keys = HashMap::new();
        for account in &config.accounts {
            let mut balances = Vec::new();
            for (asset, text) in &account.balances {
                let amount = Decimal::from_str(text.trim()).map_err(|_| Error::BadBalance {
                    asset: asset.clone(),
                    text: text.clone(),
                })?;
                balances.push((asset.clone(), amount));
            }
            engine.add_account(account.uid, &balances, start_ms);
            for key in &account.api_keys {
                let verifier = match &key.credential {
                    Credential::HmacSecret(secret) => {
                        Verifier::Hmac(HmacKey::new_unchecked(secret.as_bytes()))
                    }
                    Credential::PublicKeyPem(pem) => {
                        Verifier::from_public_key_pem(pem).map_err(|err| Error::BadKey {
                            api_key: key.api_key.clone(),
                            reason: err.to_string(),
                        })?
                    }
                };
                keys.insert(
                    key.api_key.clone(),
                    KeyEntry {
                        uid: account.uid,
                        verifier,
                        permissions: key.permissions,
                    },
                );
            }
        }
        Ok(Exchange {
            inner: Arc::new(Inner {
                engine: Mutex::new(engine),
                keys,
                clock_offset_ms: AtomicI64::new(offset),
                limiter: Mutex::new(Limiter::new(config.limits.clone())),
                faults: Mutex::new(Vec::new()),
                log: Mutex::new(Vec::new()),
                market_events,
                account_events,
                live: crate::ws::Live::default(),
            }),
        })
    }

    /// The sandbox clock (ms): system clock plus the offset.
    pub fn now_ms(&self) -> i64 {
        system_ms() + self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the clock offset.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.inner
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
    }

    /// Injects `fault` into the next `n` requests under `/api` or `/sapi`.
    pub fn fail_next(&self, n: u32, fault: Fault) {
        let mut faults = lock(&self.inner.faults);
        faults.extend(std::iter::repeat_n(fault, n as usize));
    }

    /// Takes the next injected fault, if any.
    pub fn take_fault(&self) -> Option<Fault> {
        let mut faults = lock(&self.inner.faults);
        if faults.is_empty() {
            None
        } else {
            Some(faults.remove(0))
        }
    }

    /// The request log so far.
    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        lock(&self.inner.log).clone()
    }

    /// Appends to the request log.
    pub fn log_request(&self, entry: RequestLogEntry) {
        let mut log = lock(&self.inner.log);
        if log.len() >= 100_000 {
            log.drain(..50_000);
        }
        log.push(entry);
    }

    /// Market events (trades, book changes).
    pub fn market_events(&self) -> broadcast::Receiver<MarketEvent> {
        self.inner.market_events.subscribe()
    }

    /// Account events (executions, balances).
    pub fn account_events(&self) -> broadcast::Receiver<AccountEvent> {
        self.inner.account_events.subscribe()
    }

    /// The WebSocket side: timing, connection controls, the stream feed.
    pub fn live(&self) -> &crate::ws::Live {
        &self.inner.live
    }

    /// The engine, locked, its market where it is: taking it moves
    /// nothing. Changes go through the guard, which publishes them.
    pub fn engine(&self) -> EngineGuard<'_> {
        EngineGuard {
            engine: lock(&self.inner.engine),
            inner: &self.inner,
        }
    }

    /// The engine, locked, after moving its market to the sandbox's now
    /// (publishing the trades and book changes that produced).
    pub fn advance_engine(&self) -> EngineGuard<'_> {
        let mut engine = self.engine();
        engine.advance(self.now_ms());
        engine
    }

    /// The rate limiter.
    pub fn limiter(&self) -> MutexGuard<'_, Limiter> {
        lock(&self.inner.limiter)
    }

    /// Checks a signed request, in Binance's order:
    ///
    /// 1. `X-MBX-APIKEY` present and well-formed (`-2014`), known (`-2015`);
    /// 2. `timestamp` and `signature` sent (`-1102`);
    /// 3. `recvWindow` at most 60000 (`-1102`);
    /// 4. `timestamp` (ms or µs) not 1000 ms ahead and within `recvWindow`
    ///    of the sandbox clock (`-1021`);
    /// 5. the signature over the raw query string followed by the raw body,
    ///    the `signature` pair removed, before any decoding (`-1022`);
    /// 6. the key's permission for the endpoint (`-2015`).
    ///
    /// A [`Proof::Session`] skips the signature (steps 2 and 5), not the
    /// timestamp.
    pub fn authenticate(
        &self,
        api_key: Option<&str>,
        params: &Params,
        proof: Proof<'_>,
        need: Need,
    ) -> Result<Caller, ApiError> {
        let key = self.check_api_key(api_key)?;
        let timestamp_text = params.require("timestamp")?;
        let signature = match proof {
            Proof::Session => None,
            Proof::Rest { .. } | Proof::WsApi { .. } => Some(params.require("signature")?),
        };
        let recv_window_us = match params.get("recvWindow") {
            Some(text) => {
                let window = crate::params::parse_decimal("recvWindow", text)
                    .ok()
                    .filter(|w| w.scale() <= 3 && *w >= Decimal::ZERO && !text.starts_with('+'))
                    .ok_or_else(|| ApiError::illegal_chars("recvWindow", DECIMAL_RANGE))?;
                if window > Decimal::from(MAX_RECV_WINDOW_MS) {
                    return Err(ApiError::bad_request(
                        -1102,
                        format!(
                            "'recvWindow' contains unexpected value. Cannot be greater than {MAX_RECV_WINDOW_MS}."
                        ),
                    ));
                }
                (window * Decimal::from(1000))
                    .trunc()
                    .try_into()
                    .unwrap_or(0_i64)
            }
            None => DEFAULT_RECV_WINDOW_MS * 1000,
        };
        let timestamp = parse_long("timestamp", timestamp_text)?;
        let timestamp_us = if timestamp >= 100_000_000_000_000 {
            timestamp
        } else {
            timestamp.saturating_mul(1000)
        };
        let server_us = self.now_ms() * 1000;
        if timestamp_us >= server_us + 1_000_000 {
            return Err(ApiError::bad_request(
                -1021,
                "Timestamp for this request was 1000ms ahead of the server's time.",
            ));
        }
        if server_us - timestamp_us > recv_window_us {
            return Err(ApiError::bad_request(
                -1021,
                "Timestamp for this request is outside of the recvWindow.",
            ));
        }
        match (proof, signature) {
            (
                Proof::Rest {
                    raw_query,
                    raw_body,
                },
                _,
            ) => {
                let (query_signed, query_signature) = split_signature(raw_query);
                let (body_signed, body_signature) = split_signature(raw_body);
                let signature = query_signature
                    .or(body_signature)
                    .and_then(decode_component)
                    .ok_or_else(invalid_signature)?;
                let payload = rest_payload(&query_signed, &body_signed);
                key.verifier
                    .verify(payload.as_bytes(), &signature)
                    .map_err(|_| invalid_signature())?;
            }
            (Proof::WsApi { payload }, Some(signature)) => key
                .verifier
                .verify(payload.as_bytes(), signature)
                .map_err(|_| invalid_signature())?,
            (Proof::WsApi { .. }, None) | (Proof::Session, _) => {}
        }
        let allowed = match need {
            Need::Read => key.permissions.enable_reading,
            Need::Trade => key.permissions.enable_spot_and_margin_trading,
        };
        if !allowed {
            return Err(ApiError::rejected_key());
        }
        Ok(Caller {
            uid: key.uid,
            permissions: key.permissions,
        })
    }

    fn check_api_key(&self, api_key: Option<&str>) -> Result<&KeyEntry, ApiError> {
        let api_key = api_key.ok_or_else(ApiError::bad_api_key_format)?;
        let well_formed = !api_key.is_empty()
            && api_key.len() <= 128
            && api_key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(ApiError::bad_api_key_format());
        }
        self.inner
            .keys
            .get(api_key)
            .ok_or_else(ApiError::rejected_key)
    }
}

fn invalid_signature() -> ApiError {
    ApiError::bad_request(-1022, "Signature for this request is not valid.")
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The engine, locked. Reading goes through `Deref`; every change goes
/// through a method here that publishes the engine's events before the lock
/// is released, so no change can be made without telling the listeners.
pub struct EngineGuard<'a> {
    engine: MutexGuard<'a, Engine>,
    inner: &'a Inner,
}

impl std::fmt::Debug for EngineGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineGuard").finish_non_exhaustive()
    }
}

impl Deref for EngineGuard<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl EngineGuard<'_> {
    /// Moves the market to `now_ms` ([`Engine::advance`]), publishing as
    /// it goes.
    pub fn advance(&mut self, now_ms: i64) {
        let mut publisher = Publisher(self.inner);
        self.engine.advance_into(now_ms, &mut publisher);
    }

    /// Places an order ([`Engine::place`]).
    pub fn place(
        &mut self,
        uid: u64,
        new: &NewOrder,
        now_ms: i64,
    ) -> Result<(Order, Vec<Fill>), ApiError> {
        let placed = self.engine.place(uid, new, now_ms)?;
        self.publish(placed.events);
        Ok((placed.order, placed.fills))
    }

    /// Cancels an open order ([`Engine::cancel`]).
    pub fn cancel(&mut self, uid: u64, order_id: u64, now_ms: i64) -> Result<Order, ApiError> {
        let canceled = self.engine.cancel(uid, order_id, now_ms)?;
        self.publish(canceled.events);
        Ok(canceled.order)
    }

    /// Places an order list ([`Engine::place_list`]).
    pub fn place_list(
        &mut self,
        uid: u64,
        new: &NewList,
        now_ms: i64,
    ) -> Result<PlacedList, ApiError> {
        let mut placed = self.engine.place_list(uid, new, now_ms)?;
        self.publish(std::mem::take(&mut placed.events));
        Ok(placed)
    }

    /// Cancels an order list ([`Engine::cancel_list`]).
    pub fn cancel_list(
        &mut self,
        uid: u64,
        list_id: u64,
        now_ms: i64,
    ) -> Result<PlacedList, ApiError> {
        let mut canceled = self.engine.cancel_list(uid, list_id, now_ms)?;
        self.publish(std::mem::take(&mut canceled.events));
        Ok(canceled)
    }

    /// Lowers an order's quantity keeping its priority ([`Engine::amend`]).
    pub fn amend(
        &mut self,
        uid: u64,
        order_id: u64,
        new_qty: Decimal,
        new_client_order_id: Option<String>,
        now_ms: i64,
    ) -> Result<Amended, ApiError> {
        let mut amended = self
            .engine
            .amend(uid, order_id, new_qty, new_client_order_id, now_ms)?;
        self.publish(std::mem::take(&mut amended.events));
        Ok(amended)
    }

    /// A deposit (`delta > 0`) or withdrawal ([`Engine::adjust_balance`]).
    pub fn adjust_balance(
        &mut self,
        uid: u64,
        asset: &str,
        delta: Decimal,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        let events = self.engine.adjust_balance(uid, asset, delta, now_ms)?;
        self.publish(events);
        Ok(())
    }

    fn publish(&self, events: Vec<Event>) {
        Publisher(self.inner).extend(events);
    }
}

/// Sends events to whoever listens; nobody listening costs nothing.
struct Publisher<'a>(&'a Inner);

impl Extend<Event> for Publisher<'_> {
    fn extend<I: IntoIterator<Item = Event>>(&mut self, events: I) {
        for event in events {
            match event {
                Event::Market(event) => {
                    if self.0.market_events.receiver_count() > 0 {
                        let _ = self.0.market_events.send(event);
                    }
                }
                Event::Account(event) => {
                    if self.0.account_events.receiver_count() > 0 {
                        let _ = self.0.account_events.send(event);
                    }
                }
            }
        }
    }
}

/// Locks a mutex; a poisoned lock (a panic elsewhere) still yields the data,
/// so one failed request never takes the sandbox down. The sandbox's one
/// policy for poisoned locks.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
