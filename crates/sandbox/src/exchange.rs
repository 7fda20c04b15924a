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

use std::borrow::Cow;
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
use crate::market::{Market, default_symbols, recorded_spec};
use crate::params::{DECIMAL_RANGE, Params, parse_long};
use crate::replay::Replay;

/// The largest `recvWindow` Binance accepts (rest-api.md § Timing security).
pub const MAX_RECV_WINDOW_MS: i64 = 60_000;
/// `recvWindow` when none is sent.
pub const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// The largest clock offset, either way: 365 days. Beyond it a
/// timestamp would no longer mean anything to a client.
pub const MAX_CLOCK_OFFSET_MS: i64 = 365 * 86_400_000;
/// Fault rules pending at once (a rule holds any count of requests).
pub const MAX_FAULT_RULES: usize = 64;

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
    /// The request is executed, then its answer is lost: held for `hold`
    /// (past the client's timeout, if long enough), then the connection is
    /// cut (REST: closed without a response; WebSocket API: dropped
    /// without a close frame).
    LostAnswer {
        /// How long the answer is held before the connection is cut.
        hold: std::time::Duration,
    },
}

/// Which requests a fault rule hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every `/api` and `/sapi` request and every WebSocket API request.
    Any,
    /// One REST endpoint, e.g. `POST` `/api/v3/order`.
    Rest {
        /// The HTTP method, e.g. `POST`.
        method: String,
        /// The path, e.g. `/api/v3/order`.
        path: String,
    },
    /// One WebSocket API method, e.g. `order.place`.
    WsApi {
        /// The method, without a `v3/` prefix.
        method: String,
    },
}

impl FaultTarget {
    /// A REST endpoint.
    pub fn rest(method: &str, path: &str) -> FaultTarget {
        FaultTarget::Rest {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
        }
    }

    /// A WebSocket API method.
    pub fn ws_api(method: &str) -> FaultTarget {
        FaultTarget::WsApi {
            method: method.strip_prefix("v3/").unwrap_or(method).to_owned(),
        }
    }

    fn hits(&self, request: Target<'_>) -> bool {
        match (self, request) {
            (FaultTarget::Any, _) => true,
            (FaultTarget::Rest { method, path }, Target::Rest(m, p)) => method == m && path == p,
            (FaultTarget::WsApi { method }, Target::WsApi(m)) => method == m,
            _ => false,
        }
    }
}

/// A request, as fault rules see it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// HTTP method and path.
    Rest(&'a str, &'a str),
    /// WebSocket API method (without `v3/`).
    WsApi(&'a str),
}

/// Why a fault rule was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// [`MAX_FAULT_RULES`] rules are already pending.
    #[error("{MAX_FAULT_RULES} fault rules are already pending; let them run out first")]
    TooManyRules,
}

/// A pending fault: a counter, not one entry per request, so that a
/// request for 200 million faults costs no more than one.
#[derive(Debug, Clone)]
struct FaultRule {
    fault: Fault,
    target: FaultTarget,
    remaining: u64,
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

/// A request log line as kept. A routed REST request's method and path are
/// its table row's `'static` text, so logging it copies nothing; the
/// [`RequestLogEntry`] with owned text is made only when the log is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoggedRequest {
    pub(crate) method: Cow<'static, str>,
    pub(crate) path: Cow<'static, str>,
    pub(crate) status: u16,
    pub(crate) code: Option<i64>,
}

impl From<RequestLogEntry> for LoggedRequest {
    fn from(entry: RequestLogEntry) -> LoggedRequest {
        LoggedRequest {
            method: Cow::Owned(entry.method),
            path: Cow::Owned(entry.path),
            status: entry.status,
            code: entry.code,
        }
    }
}

impl From<&LoggedRequest> for RequestLogEntry {
    fn from(logged: &LoggedRequest) -> RequestLogEntry {
        RequestLogEntry {
            method: logged.method.clone().into_owned(),
            path: logged.path.clone().into_owned(),
            status: logged.status,
            code: logged.code,
        }
    }
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
    faults: Mutex<std::collections::VecDeque<FaultRule>>,
    log: Mutex<Vec<LoggedRequest>>,
    market_events: broadcast::Sender<MarketEvent>,
    account_events: broadcast::Sender<AccountEvent>,
    live: crate::ws::Live,
    /// The recording driving the market (`--replay`), if any.
    replay: Option<Mutex<Replay>>,
    /// The replay runs at `--speed max`: while the stream feed runs, it
    /// alone applies the recording, paced by its slowest connection.
    replay_max: bool,
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
        let offset = config
            .clock_offset_ms
            .clamp(-MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS);
        let start_ms = system_ms() + offset;
        let mut replay = config.replay.clone().map(Replay::open).transpose()?;
        let market = match &replay {
            Some(replay) => {
                let mut specs = default_symbols();
                // The recorded filters replace the sandbox's own listing.
                for recorded in replay.specs() {
                    match specs.iter_mut().find(|spec| spec.symbol == recorded.symbol) {
                        Some(spec) => *spec = recorded.clone(),
                        None => specs.push(recorded.clone()),
                    }
                }
                for symbol in replay.symbols() {
                    if !specs.iter().any(|spec| spec.symbol == symbol.as_str())
                        && let Some(spec) = recorded_spec(symbol)
                    {
                        specs.push(spec);
                    }
                }
                Market::replaying(start_ms, specs)
            }
            None => Market::new(config.seed, start_ms, default_symbols()),
        };
        let commission = Commission {
            maker: Decimal::new(1, 3),
            taker: Decimal::new(1, 3),
        };
        let mut engine = Engine::new(market, commission);
        if let Some(replay) = replay.as_mut() {
            // The recording's leading snapshots: the book is there before
            // the replay clock starts. Nobody listens yet.
            let mut ignored = Vec::new();
            while let Some(event) = replay.next_due(start_ms) {
                engine.apply_replay(&event, start_ms, &mut ignored);
            }
            // With `--start-now` the clock runs from launch; the events
            // are applied as requests and the stream feed step the market.
            if replay.config().start_now {
                replay.start(start_ms);
            }
        }
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
                faults: Mutex::new(std::collections::VecDeque::new()),
                log: Mutex::new(Vec::new()),
                market_events,
                account_events,
                live: crate::ws::Live::default(),
                replay_max: replay
                    .as_ref()
                    .is_some_and(|replay| replay.config().speed == crate::replay::Speed::Max),
                replay: replay.map(Mutex::new),
            }),
        })
    }

    /// The sandbox clock (ms): system clock plus the offset.
    pub fn now_ms(&self) -> i64 {
        system_ms().saturating_add(self.inner.clock_offset_ms.load(Ordering::Relaxed))
    }

    /// Sets the clock offset, clamped to ±[`MAX_CLOCK_OFFSET_MS`].
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        let offset_ms = offset_ms.clamp(-MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS);
        self.inner
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
    }

    /// Injects `fault` into the next `n` requests under `/api` or `/sapi`
    /// and WebSocket API requests. Ignored (with a warning in the log)
    /// when [`MAX_FAULT_RULES`] rules are pending.
    pub fn fail_next(&self, n: u64, fault: Fault) {
        if let Err(err) = self.fail_next_on(n, fault, FaultTarget::Any) {
            tracing::warn!(%err, "fault not added");
        }
    }

    /// Injects `fault` into the next `n` requests `target` names. Rules
    /// run in the order they were added; a request takes its fault from
    /// the first rule that names it.
    pub fn fail_next_on(
        &self,
        n: u64,
        fault: Fault,
        target: FaultTarget,
    ) -> Result<(), FaultError> {
        if n == 0 {
            return Ok(());
        }
        let mut faults = lock(&self.inner.faults);
        if let Some(last) = faults.back_mut()
            && last.fault == fault
            && last.target == target
        {
            last.remaining = last.remaining.saturating_add(n);
            return Ok(());
        }
        if faults.len() >= MAX_FAULT_RULES {
            return Err(FaultError::TooManyRules);
        }
        faults.push_back(FaultRule {
            fault,
            target,
            remaining: n,
        });
        Ok(())
    }

    /// Requests still to fail, over every pending rule.
    pub fn pending_faults(&self) -> u64 {
        lock(&self.inner.faults)
            .iter()
            .fold(0, |sum, rule| sum.saturating_add(rule.remaining))
    }

    /// Takes the fault due for `request`, if any.
    pub(crate) fn take_fault(&self, request: Target<'_>) -> Option<Fault> {
        let mut faults = lock(&self.inner.faults);
        let idx = faults.iter().position(|rule| rule.target.hits(request))?;
        let rule = &mut faults[idx];
        let fault = rule.fault;
        rule.remaining -= 1;
        if rule.remaining == 0 {
            faults.remove(idx);
        }
        Some(fault)
    }

    /// The request log so far.
    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        lock(&self.inner.log)
            .iter()
            .map(RequestLogEntry::from)
            .collect()
    }

    /// Appends to the request log.
    pub fn log_request(&self, entry: RequestLogEntry) {
        self.log(LoggedRequest::from(entry));
    }

    /// Appends to the request log, without copying `'static` text.
    pub(crate) fn log(&self, entry: LoggedRequest) {
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
    ///
    /// A `--speed max` replay is left to the stream feed while it runs
    /// (it applies the recording in short batches paced by its slowest
    /// connection): a request then never applies recorded
    /// events itself, so it neither waits for them nor outruns the
    /// subscribers.
    pub fn advance_engine(&self) -> EngineGuard<'_> {
        let mut engine = self.engine();
        let now = self.now_ms();
        engine.advance(now);
        let pumped = self.inner.replay_max && self.live().feed().is_running();
        if let Some(replay) = self.inner.replay.as_ref().filter(|_| !pumped) {
            let mut replay = lock(replay);
            // The replay clock starts with the first market-data subscriber,
            // so nothing is played to nobody.
            if !replay.is_started() && self.live().feed().ever_subscribed() {
                replay.start(now);
            }
            engine.replay(&mut replay, now);
        }
        engine
    }

    /// Whether the market is a `--speed max` replay, which the stream feed
    /// applies with [`Exchange::pump_replay`].
    pub(crate) fn replays_at_max(&self) -> bool {
        self.inner.replay_max
    }

    /// At `--speed max`, applies the next `max` recorded events (fewer at
    /// the end of the recording); the number applied, `None` while the
    /// replay clock waits for its first subscriber. The events are read
    /// and parsed first without the engine's lock, then applied under it,
    /// so requests wait at most for one short batch. The replay clock
    /// starts here too once a stream was subscribed.
    pub(crate) fn pump_replay(&self, max: usize) -> Option<usize> {
        let Some(replay) = &self.inner.replay else {
            return Some(0);
        };
        let now = self.now_ms();
        {
            let mut replay = lock(replay);
            if !replay.is_started() {
                if !self.live().feed().ever_subscribed() {
                    return None;
                }
                replay.start(now);
            }
            replay.prefetch(max);
        }
        // Same lock order as `advance_engine`: the engine, then the replay.
        let mut engine = self.engine();
        engine.advance(now);
        let mut replay = lock(replay);
        Some(engine.replay_at_most(&mut replay, now, max))
    }

    /// Recorded events applied so far (`--replay`), `None` without one.
    pub fn replayed(&self) -> Option<u64> {
        self.inner
            .replay
            .as_ref()
            .map(|replay| lock(replay).applied())
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
    ///    the `signature` pair removed, before any decoding, with every
    ///    byte outside ASCII percent-encoded (`-1022`): since 2026-01-15
    ///    Binance verifies the percent-encoded payload, so a client that
    ///    sends raw UTF-8 and signs it as it is fails (CHANGELOG 2025-12-17);
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
                let payload = rest_payload(
                    &encode_non_ascii(&query_signed),
                    &encode_non_ascii(&body_signed),
                );
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

/// `text` with every byte outside ASCII written `%XX` (uppercase hex, as
/// the docs' examples: `１` is `%EF%BC%91`); ASCII as it is.
pub(crate) fn encode_non_ascii(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii() {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    std::borrow::Cow::Owned(encoded)
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

    /// Applies what the recording has due at `now_ms` (at most
    /// [`crate::replay::MAX_BATCH`] events), publishing as it goes.
    pub fn replay(&mut self, replay: &mut Replay, now_ms: i64) {
        self.replay_at_most(replay, now_ms, crate::replay::MAX_BATCH);
    }

    /// Applies at most `max` events the recording has due at `now_ms`,
    /// publishing as it goes; the number applied.
    pub fn replay_at_most(&mut self, replay: &mut Replay, now_ms: i64, max: usize) -> usize {
        let mut publisher = Publisher(self.inner);
        let mut applied = 0;
        while applied < max {
            let Some(event) = replay.next_due(now_ms) else {
                break;
            };
            self.engine.apply_replay(&event, now_ms, &mut publisher);
            applied += 1;
        }
        applied
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

    /// Places an order through smart order routing ([`Engine::place_sor`]).
    pub fn place_sor(
        &mut self,
        uid: u64,
        new: &NewOrder,
        now_ms: i64,
    ) -> Result<(Order, Vec<Fill>), ApiError> {
        let placed = self.engine.place_sor(uid, new, now_ms)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_is_encoded_as_the_docs_do() {
        assert_eq!(
            encode_non_ascii("symbol=BTCUSDT&a=%20"),
            "symbol=BTCUSDT&a=%20"
        );
        assert_eq!(
            encode_non_ascii("symbol=１２３４５６&side=BUY"),
            "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"
        );
    }
}
