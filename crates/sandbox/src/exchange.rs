//! The shared state behind the router: the engine, the API keys, the clock,
//! the rate limiter, injected faults and the request log.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_signing::payload::{decode_component, rest_payload, split_signature};
use mbx_signing::{HmacKey, Verifier};
use rust_decimal::Decimal;
use tokio::sync::broadcast;

use crate::config::{Credential, Permissions, SandboxConfig};
use crate::engine::{Commission, Engine};
use crate::error::{ApiError, Error};
use crate::events::{AccountEvent, MarketEvent};
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
        engine.publish_to(market_events.clone(), account_events.clone());
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

    /// The WebSocket side: timing, connection controls, the stream feed.
    pub fn live(&self) -> &crate::ws::Live {
        &self.inner.live
    }

    /// Sends an account event to user data subscribers (admin deposits).
    pub fn publish_account_event(&self, event: AccountEvent) {
        let _ = self.inner.account_events.send(event);
    }

    /// Account events (executions, balances).
    pub fn account_events(&self) -> broadcast::Receiver<AccountEvent> {
        self.inner.account_events.subscribe()
    }

    /// The engine, locked, advanced to now.
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        let now = self.now_ms();
        let mut engine = lock(&self.inner.engine);
        engine.advance(now);
        engine
    }

    /// The engine, locked, not advanced (account reads need no market).
    pub fn engine_unadvanced(&self) -> MutexGuard<'_, Engine> {
        lock(&self.inner.engine)
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
    pub fn authenticate(
        &self,
        api_key: Option<&str>,
        params: &Params,
        raw_query: &str,
        raw_body: &str,
        need: Need,
    ) -> Result<Caller, ApiError> {
        let key = self.check_api_key(api_key)?;
        // A request of a logged-on WebSocket API session without its own
        // signature: the key's signature was checked by `session.logon`.
        let logged_on = !params.has("signature")
            && crate::ws::SESSION_API_KEY
                .try_with(|session| Some(session.as_str()) == api_key)
                .unwrap_or(false);
        let timestamp_text = params.require("timestamp")?;
        if !logged_on {
            params.require("signature")?;
        }
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
        if !logged_on {
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

/// Locks a mutex; a poisoned lock (a panic elsewhere) still yields the data,
/// so one failed request never takes the sandbox down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
