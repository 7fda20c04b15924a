//! Rate limits as Binance enforces them (rest-api.md § LIMITS, DIGEST § 4).
//!
//! 1. Each request costs its weight in its client address's current
//!    `REQUEST_WEIGHT` window (one clock-aligned minute);
//!    `X-MBX-USED-WEIGHT-1M` reports that address's total. REST and the
//!    WebSocket API share it, as on Binance (weight is per IP).
//! 2. A request that would exceed the limit gets 429, `-1003` and
//!    `Retry-After` (seconds to the window's end) and costs nothing.
//! 3. Another request over the limit in the same window after a 429 bans
//!    the address for two minutes: 418, `-1003`, `Retry-After`. Other
//!    addresses (`127.0.0.2` is another loopback client) go on unharmed.
//! 4. Orders count per account in a 10-second and a 1-day window
//!    (`-1015` with 429 when exceeded).
//!
//! Addresses with nothing left to remember (no weight in the current
//! windows, no ban) are forgotten once many are known, so a sandbox that
//! runs for days keeps a bounded table.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use axum::http::StatusCode;

use crate::config::RateLimitConfig;
use crate::error::ApiError;

/// How long a ban lasts (Binance starts at two minutes).
pub const BAN_MS: i64 = 120_000;

/// The address counted for a request that came without one (a router
/// called in-process, e.g. with `oneshot`).
pub const IN_PROCESS: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Addresses remembered before the idle ones are forgotten.
const PRUNE_ABOVE: usize = 1024;

const MINUTE_MS: i64 = 60_000;
const FIVE_MINUTES_MS: i64 = 300_000;
const TEN_SECONDS_MS: i64 = 10_000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    id: i64,
    used: u32,
}

impl Window {
    fn roll(&mut self, now_ms: i64, len_ms: i64) {
        let id = now_ms.div_euclid(len_ms);
        if id != self.id {
            *self = Window { id, used: 0 };
        }
    }
}

/// One client address's windows.
#[derive(Debug, Clone, Copy)]
struct Client {
    weight: Window,
    raw: Window,
    warned_window: Option<i64>,
    banned_until: i64,
}

impl Default for Client {
    fn default() -> Client {
        Client {
            weight: Window::default(),
            raw: Window::default(),
            warned_window: None,
            banned_until: i64::MIN,
        }
    }
}

impl Client {
    /// Whether forgetting it changes nothing.
    fn is_idle(&self, now_ms: i64) -> bool {
        let current = |window: &Window, len_ms: i64| {
            window.used > 0 && window.id == now_ms.div_euclid(len_ms)
        };
        now_ms >= self.banned_until
            && !current(&self.weight, MINUTE_MS)
            && !current(&self.raw, FIVE_MINUTES_MS)
    }
}

/// Counts request weight and raw requests per client address, and orders
/// per account.
#[derive(Debug)]
pub struct Limiter {
    config: RateLimitConfig,
    clients: HashMap<IpAddr, Client>,
    orders: HashMap<u64, (Window, Window)>,
}

impl Limiter {
    /// A limiter with these limits.
    pub fn new(config: RateLimitConfig) -> Limiter {
        Limiter {
            config,
            clients: HashMap::new(),
            orders: HashMap::new(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    /// Admits a request of `weight` from `client`, or says why not.
    pub fn admit(&mut self, client: IpAddr, now_ms: i64, weight: u32) -> Result<(), ApiError> {
        if self.clients.len() > PRUNE_ABOVE {
            self.clients.retain(|_, known| !known.is_idle(now_ms));
        }
        let limits = &self.config;
        let state = self.clients.entry(client).or_default();
        if now_ms < state.banned_until {
            return Err(banned(state.banned_until, now_ms));
        }
        state.weight.roll(now_ms, MINUTE_MS);
        state.raw.roll(now_ms, FIVE_MINUTES_MS);
        let over_weight =
            state.weight.used.saturating_add(weight) > limits.request_weight_per_minute;
        let over_raw = state.raw.used.saturating_add(1) > limits.raw_requests_per_5m;
        if !over_weight && !over_raw {
            state.weight.used += weight;
            state.raw.used += 1;
            return Ok(());
        }
        if state.warned_window == Some(state.weight.id) {
            state.banned_until = now_ms + BAN_MS;
            return Err(banned(state.banned_until, now_ms));
        }
        state.warned_window = Some(state.weight.id);
        if over_weight {
            return Err(ApiError::too_much_weight(
                self.config.request_weight_per_minute,
                seconds_until_next(now_ms, MINUTE_MS),
            ));
        }
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            -1003,
            "Too many requests queued.",
        );
        err.retry_after = Some(seconds_until_next(now_ms, FIVE_MINUTES_MS));
        Err(err)
    }

    /// Gives `client` back weight (successful order placement costs 0
    /// since 2026-04-02).
    pub fn refund(&mut self, client: IpAddr, weight: u32) {
        if let Some(state) = self.clients.get_mut(&client) {
            state.weight.used = state.weight.used.saturating_sub(weight);
        }
    }

    /// Weight `client` used in the current minute.
    pub fn used_weight(&mut self, client: IpAddr, now_ms: i64) -> u32 {
        match self.clients.get_mut(&client) {
            Some(state) => {
                state.weight.roll(now_ms, MINUTE_MS);
                state.weight.used
            }
            None => 0,
        }
    }

    /// Client addresses remembered now.
    pub fn clients_known(&self) -> usize {
        self.clients.len()
    }

    /// Counts one new order for `uid`; `-1015` over either limit.
    pub fn count_order(&mut self, uid: u64, now_ms: i64) -> Result<(), ApiError> {
        self.count_orders(uid, now_ms, 1)
    }

    /// Counts `n` new orders for `uid` at once (an order list's orders;
    /// rest-api.md § Order lists, "Unfilled Order Count"); `-1015`, and
    /// nothing counted, if they do not all fit.
    pub fn count_orders(&mut self, uid: u64, now_ms: i64, n: u32) -> Result<(), ApiError> {
        let (ten, day) = self.orders.entry(uid).or_default();
        ten.roll(now_ms, TEN_SECONDS_MS);
        day.roll(now_ms, DAY_MS);
        let too_many = |limit: u32, per: &str, window_ms: i64| {
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                -1015,
                format!("Too many new orders; current limit is {limit} orders per {per}."),
            );
            err.retry_after = Some(seconds_until_next(now_ms, window_ms));
            err
        };
        if ten.used.saturating_add(n) > self.config.orders_per_10s {
            return Err(too_many(
                self.config.orders_per_10s,
                "10 SECOND",
                TEN_SECONDS_MS,
            ));
        }
        if day.used.saturating_add(n) > self.config.orders_per_day {
            return Err(too_many(self.config.orders_per_day, "1 DAY", DAY_MS));
        }
        ten.used += n;
        day.used += n;
        Ok(())
    }

    /// `(10-second count, 1-day count)` for `uid`.
    pub fn order_counts(&mut self, uid: u64, now_ms: i64) -> (u32, u32) {
        let (ten, day) = self.orders.entry(uid).or_default();
        ten.roll(now_ms, TEN_SECONDS_MS);
        day.roll(now_ms, DAY_MS);
        (ten.used, day.used)
    }
}

fn banned(until_ms: i64, now_ms: i64) -> ApiError {
    let retry_after = ((until_ms - now_ms + 999) / 1000).max(1) as u64;
    ApiError::banned(until_ms, retry_after)
}

fn seconds_until_next(now_ms: i64, window_ms: i64) -> u64 {
    let end = (now_ms.div_euclid(window_ms) + 1) * window_ms;
    ((end - now_ms + 999) / 1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(weight: u32) -> Limiter {
        Limiter::new(RateLimitConfig {
            request_weight_per_minute: weight,
            orders_per_10s: 2,
            orders_per_day: 3,
            raw_requests_per_5m: 1000,
        })
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn over_limit_then_ban() {
        let mut limiter = limiter(10);
        let t = 1_700_000_000_000;
        assert!(limiter.admit(A, t, 10).is_ok());
        let err = limiter.admit(A, t, 1).unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (429, -1003));
        let err = limiter.admit(A, t, 1).unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (418, -1003));
        assert_eq!(err.retry_after, Some(120));
        assert!(
            limiter.admit(B, t, 10).is_ok(),
            "another address is not banned"
        );
        assert_eq!(
            (limiter.used_weight(A, t), limiter.used_weight(B, t)),
            (10, 10)
        );
    }

    #[test]
    fn windows_are_clock_aligned() {
        let mut limiter = limiter(10);
        let minute_end = 1_700_000_040_000 - 1;
        assert!(limiter.admit(A, minute_end, 10).is_ok());
        assert!(limiter.admit(A, minute_end + 1, 10).is_ok());
    }

    #[test]
    fn idle_addresses_are_forgotten() {
        let mut limiter = limiter(10);
        let t = 1_700_000_000_000;
        for n in 0..5000_u32 {
            let client = IpAddr::V4(Ipv4Addr::from(0x7f00_0000 + n));
            let later = t + i64::from(n) * 1000;
            assert!(limiter.admit(client, later, 1).is_ok());
        }
        assert!(
            limiter.clients_known() <= 2 * PRUNE_ABOVE,
            "{}",
            limiter.clients_known()
        );
    }

    #[test]
    fn order_counts() {
        let mut limiter = limiter(10);
        let t = 1_700_000_000_000;
        assert!(limiter.count_order(1, t).is_ok());
        assert!(limiter.count_order(1, t).is_ok());
        assert_eq!(limiter.count_order(1, t).unwrap_err().code, -1015);
        assert!(limiter.count_order(2, t).is_ok());
        assert_eq!(limiter.order_counts(1, t), (2, 2));
    }

    #[test]
    fn an_order_list_counts_all_its_orders_or_none() {
        let mut limiter = limiter(10);
        let t = 1_700_000_000_000;
        assert_eq!(limiter.count_orders(1, t, 3).unwrap_err().code, -1015);
        assert_eq!(limiter.order_counts(1, t), (0, 0));
        assert!(limiter.count_orders(1, t, 2).is_ok());
        assert_eq!(limiter.order_counts(1, t), (2, 2));
    }
}
