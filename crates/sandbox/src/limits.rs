//! Rate limits as Binance enforces them (rest-api.md § LIMITS, DIGEST § 4).
//!
//! 1. Each request costs its weight in the current `REQUEST_WEIGHT` window
//!    (one clock-aligned minute); `X-MBX-USED-WEIGHT-1M` reports the total.
//! 2. A request that would exceed the limit gets 429, `-1003` and
//!    `Retry-After` (seconds to the window's end) and costs nothing.
//! 3. Another request over the limit in the same window after a 429 bans
//!    the caller for two minutes: 418, `-1003`, `Retry-After`.
//! 4. Orders count per account in a 10-second and a 1-day window
//!    (`-1015` with 429 when exceeded).
//!
//! The sandbox has one caller per process in practice, so weight is counted
//! for all callers together rather than per IP.

use std::collections::HashMap;

use axum::http::StatusCode;

use crate::config::RateLimitConfig;
use crate::error::ApiError;

/// How long a ban lasts (Binance starts at two minutes).
pub const BAN_MS: i64 = 120_000;

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

/// Counts request weight, raw requests and orders.
#[derive(Debug)]
pub struct Limiter {
    config: RateLimitConfig,
    weight: Window,
    raw: Window,
    warned_window: Option<i64>,
    banned_until: i64,
    orders: HashMap<u64, (Window, Window)>,
}

impl Limiter {
    /// A limiter with these limits.
    pub fn new(config: RateLimitConfig) -> Limiter {
        Limiter {
            config,
            weight: Window::default(),
            raw: Window::default(),
            warned_window: None,
            banned_until: i64::MIN,
            orders: HashMap::new(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    /// Admits a request of `weight`, or says why not.
    pub fn admit(&mut self, now_ms: i64, weight: u32) -> Result<(), ApiError> {
        if now_ms < self.banned_until {
            return Err(self.banned(now_ms));
        }
        self.weight.roll(now_ms, MINUTE_MS);
        self.raw.roll(now_ms, FIVE_MINUTES_MS);
        let over_weight =
            self.weight.used.saturating_add(weight) > self.config.request_weight_per_minute;
        let over_raw = self.raw.used.saturating_add(1) > self.config.raw_requests_per_5m;
        if !over_weight && !over_raw {
            self.weight.used += weight;
            self.raw.used += 1;
            return Ok(());
        }
        if self.warned_window == Some(self.weight.id) {
            self.banned_until = now_ms + BAN_MS;
            return Err(self.banned(now_ms));
        }
        self.warned_window = Some(self.weight.id);
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

    /// Gives back weight (successful order placement costs 0 since 2026-04-02).
    pub fn refund(&mut self, weight: u32) {
        self.weight.used = self.weight.used.saturating_sub(weight);
    }

    /// Weight used in the current minute.
    pub fn used_weight(&mut self, now_ms: i64) -> u32 {
        self.weight.roll(now_ms, MINUTE_MS);
        self.weight.used
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

    fn banned(&self, now_ms: i64) -> ApiError {
        let retry_after = ((self.banned_until - now_ms + 999) / 1000).max(1) as u64;
        ApiError::banned(self.banned_until, retry_after)
    }
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

    #[test]
    fn over_limit_then_ban() {
        let mut limiter = limiter(10);
        let t = 1_700_000_000_000;
        assert!(limiter.admit(t, 10).is_ok());
        let err = limiter.admit(t, 1).unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (429, -1003));
        let err = limiter.admit(t, 1).unwrap_err();
        assert_eq!((err.status.as_u16(), err.code), (418, -1003));
        assert_eq!(err.retry_after, Some(120));
    }

    #[test]
    fn windows_are_clock_aligned() {
        let mut limiter = limiter(10);
        let minute_end = 1_700_000_040_000 - 1;
        assert!(limiter.admit(minute_end, 10).is_ok());
        assert!(limiter.admit(minute_end + 1, 10).is_ok());
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
