//! A ledger of used request weight: how long to wait before the next
//! request so that it stays under Binance's limits.
//!
//! From `shared/binance-docs/rest-api.md` § "IP Limits" (summarised in
//! DIGEST §4):
//!
//! 1. The limits come from `exchangeInfo.rateLimits`, e.g. `REQUEST_WEIGHT`
//!    6000 per 1 `MINUTE` ([`RateLimitLedger::new`]).
//! 2. Windows are aligned to the clock: a one-minute window resets at each
//!    full minute.
//! 3. Every response carries `X-MBX-USED-WEIGHT-(n)(letter)`, the weight
//!    already used in that window ([`RateLimitLedger::observe_header`]); the
//!    ledger also counts what it lets through before the answer arrives
//!    ([`RateLimitLedger::record`]).
//! 4. A request of weight `w` fits when `used + w <= limit` in every window;
//!    otherwise it waits until the fullest window resets
//!    ([`RateLimitLedger::wait_ms`]).
//! 5. A 429 or 418 carries `Retry-After` (seconds): nothing is sent before
//!    it has passed ([`RateLimitLedger::retry_after`]).

use crate::model::{Millis, RateLimit, RateLimitInterval, RateLimitType};

/// Used weight per window, against the limits.
#[derive(Debug, Clone)]
pub struct RateLimitLedger {
    windows: Vec<Window>,
    blocked_until_ms: Millis,
    banned_until_ms: Millis,
}

/// A wait the server imposed with `Retry-After` (429) or a ban (418): kept
/// between runs through a [`BackoffStore`], so that a second program run does
/// not turn a 429 into a ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerBackoff {
    /// Nothing may be sent before this server time (ms).
    pub until_ms: Millis,
    /// Whether it is a ban (418) rather than a rate limit (429).
    pub banned: bool,
}

/// Where a [`ServerBackoff`] survives the process, keyed by host. The `mbx`
/// binary keeps it in a small file under the user's cache directory; an
/// embedder may keep it anywhere, or nowhere.
pub trait BackoffStore: Send + Sync + std::fmt::Debug {
    /// The backoff last saved for `host`, if any (expired ones included;
    /// the caller compares with the time).
    fn load(&self, host: &str) -> Option<ServerBackoff>;
    /// Saves the backoff for `host`. Failures are the store's own business:
    /// a store that cannot write must not fail the request.
    fn save(&self, host: &str, backoff: ServerBackoff);
}

#[derive(Debug, Clone)]
struct Window {
    window_ms: Millis,
    limit: u32,
    used: u32,
    start_ms: Millis,
}

impl Window {
    fn used_at(&self, now_ms: Millis) -> u32 {
        if align(now_ms, self.window_ms) == self.start_ms {
            self.used
        } else {
            0
        }
    }

    fn roll(&mut self, now_ms: Millis) {
        let start_ms = align(now_ms, self.window_ms);
        if start_ms != self.start_ms {
            self.start_ms = start_ms;
            self.used = 0;
        }
    }
}

impl RateLimitLedger {
    /// A ledger for the `REQUEST_WEIGHT` limits in `limits` (other types
    /// are ignored).
    pub fn new(limits: &[RateLimit]) -> RateLimitLedger {
        let windows = limits
            .iter()
            .filter(|limit| limit.rate_limit_type == RateLimitType::RequestWeight)
            .map(|limit| Window {
                window_ms: limit.window_ms().max(1),
                limit: limit.limit,
                used: 0,
                start_ms: Millis::MIN,
            })
            .collect();
        RateLimitLedger {
            windows,
            blocked_until_ms: 0,
            banned_until_ms: 0,
        }
    }

    /// Binance's documented default, 6000 weight per minute, for use until
    /// `exchangeInfo` has been read.
    pub fn standard() -> RateLimitLedger {
        RateLimitLedger::new(&[RateLimit {
            rate_limit_type: RateLimitType::RequestWeight,
            interval: RateLimitInterval::Minute,
            interval_num: 1,
            limit: 6000,
        }])
    }

    /// Replaces the limits (e.g. after reading `exchangeInfo`), keeping the
    /// used weight of windows that still exist.
    pub fn set_limits(&mut self, limits: &[RateLimit]) {
        let mut fresh = RateLimitLedger::new(limits);
        for window in &mut fresh.windows {
            if let Some(old) = self
                .windows
                .iter()
                .find(|w| w.window_ms == window.window_ms)
            {
                window.used = old.used;
                window.start_ms = old.start_ms;
            }
        }
        fresh.blocked_until_ms = self.blocked_until_ms;
        fresh.banned_until_ms = self.banned_until_ms;
        *self = fresh;
    }

    /// How long to wait before sending a request of `weight` at `now_ms`
    /// (0: send now).
    pub fn wait_ms(&self, weight: u32, now_ms: Millis) -> Millis {
        let mut wait = self.blocked_until_ms.saturating_sub(now_ms).max(0);
        for window in &self.windows {
            let used = window.used_at(now_ms);
            if used > 0 && used.saturating_add(weight) > window.limit {
                let reset_ms = align(now_ms, window.window_ms) + window.window_ms;
                wait = wait.max(reset_ms - now_ms);
            }
        }
        wait
    }

    /// Counts a request of `weight` sent at `now_ms`.
    pub fn record(&mut self, weight: u32, now_ms: Millis) {
        for window in &mut self.windows {
            window.roll(now_ms);
            window.used = window.used.saturating_add(weight);
        }
    }

    /// Reads one response header. `X-MBX-USED-WEIGHT-1M: 120` sets the used
    /// weight of the one-minute window (the server's count wins over ours);
    /// other headers are ignored. Returns whether the header was used.
    pub fn observe_header(&mut self, name: &str, value: &str, now_ms: Millis) -> bool {
        let Some(window_ms) = used_weight_window(name) else {
            return false;
        };
        let Ok(used) = value.trim().parse::<u32>() else {
            return false;
        };
        match self.windows.iter_mut().find(|w| w.window_ms == window_ms) {
            Some(window) => {
                window.roll(now_ms);
                window.used = used;
                true
            }
            None => false,
        }
    }

    /// Blocks every request for `seconds` after a 429 (or, with `banned`,
    /// a 418) with `Retry-After`.
    pub fn retry_after(&mut self, seconds: u64, now_ms: Millis, banned: bool) {
        let millis = Millis::try_from(seconds.saturating_mul(1000)).unwrap_or(Millis::MAX / 2);
        let until_ms = now_ms.saturating_add(millis);
        self.blocked_until_ms = self.blocked_until_ms.max(until_ms);
        if banned {
            self.banned_until_ms = self.banned_until_ms.max(until_ms);
        }
    }

    /// Blocks every request until a backoff saved by an earlier run ends.
    pub fn restore(&mut self, backoff: ServerBackoff) {
        self.blocked_until_ms = self.blocked_until_ms.max(backoff.until_ms);
        if backoff.banned {
            self.banned_until_ms = self.banned_until_ms.max(backoff.until_ms);
        }
    }

    /// The server-imposed wait still running at `now_ms`, if any.
    pub fn backoff(&self, now_ms: Millis) -> Option<ServerBackoff> {
        (self.blocked_until_ms > now_ms).then_some(ServerBackoff {
            until_ms: self.blocked_until_ms,
            banned: self.banned_until_ms > now_ms,
        })
    }

    /// The used weight of the window of `window_ms` at `now_ms`, if the
    /// ledger has such a window.
    pub fn used(&self, window_ms: Millis, now_ms: Millis) -> Option<u32> {
        self.windows
            .iter()
            .find(|w| w.window_ms == window_ms)
            .map(|w| w.used_at(now_ms))
    }
}

/// `x-mbx-used-weight-1m` → 60000; `None` for any other header.
fn used_weight_window(name: &str) -> Option<Millis> {
    const PREFIX: &str = "x-mbx-used-weight-";
    if name.len() <= PREFIX.len() || !name[..PREFIX.len()].eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let spec = &name[PREFIX.len()..];
    let letter = spec.chars().last()?;
    let count: i64 = spec[..spec.len() - letter.len_utf8()].parse().ok()?;
    let interval = RateLimitInterval::from_letter(letter)?;
    Some(interval.millis() * count)
}

fn align(now_ms: Millis, window_ms: Millis) -> Millis {
    now_ms - now_ms.rem_euclid(window_ms)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ledger(limit: u32) -> RateLimitLedger {
        RateLimitLedger::new(&[RateLimit {
            rate_limit_type: RateLimitType::RequestWeight,
            interval: RateLimitInterval::Minute,
            interval_num: 1,
            limit,
        }])
    }

    #[test]
    fn header_sets_used_weight() {
        let mut ledger = ledger(6000);
        assert!(ledger.observe_header("X-MBX-USED-WEIGHT-1M", "5990", 120_500));
        assert!(!ledger.observe_header("X-MBX-USED-WEIGHT-1S", "5", 120_500));
        assert!(!ledger.observe_header("Content-Type", "5", 120_500));
        assert_eq!(ledger.used(60_000, 120_600), Some(5990));
        assert_eq!(ledger.wait_ms(10, 120_600), 0);
        // 20 more would exceed 6000: wait for the minute to end at 180000.
        assert_eq!(ledger.wait_ms(20, 120_600), 59_400);
        // A new minute starts from zero.
        assert_eq!(ledger.wait_ms(20, 180_000), 0);
    }

    #[test]
    fn retry_after_blocks_everything() {
        let mut ledger = ledger(6000);
        ledger.retry_after(3, 1_000, false);
        assert_eq!(ledger.wait_ms(1, 1_000), 3_000);
        assert_eq!(ledger.wait_ms(1, 4_000), 0);
    }

    #[test]
    fn a_ban_is_remembered_and_restored() {
        let mut ledger = ledger(6000);
        ledger.retry_after(120, 1_000, true);
        let backoff = ledger.backoff(2_000).unwrap();
        assert_eq!(
            backoff,
            ServerBackoff {
                until_ms: 121_000,
                banned: true
            }
        );
        assert_eq!(ledger.backoff(121_000), None);
        let mut next_run = RateLimitLedger::standard();
        next_run.restore(backoff);
        assert_eq!(next_run.wait_ms(1, 61_000), 60_000);
        assert!(next_run.backoff(61_000).unwrap().banned);
    }

    #[test]
    fn header_names() {
        assert_eq!(used_weight_window("x-mbx-used-weight-1m"), Some(60_000));
        assert_eq!(used_weight_window("X-MBX-USED-WEIGHT-10S"), Some(10_000));
        assert_eq!(used_weight_window("X-MBX-USED-WEIGHT-1D"), Some(86_400_000));
        assert_eq!(used_weight_window("X-MBX-USED-WEIGHT"), None);
        assert_eq!(used_weight_window("X-MBX-ORDER-COUNT-10S"), None);
    }

    proptest! {
        #[test]
        fn fresh_ledger_never_waits(limit in 1u32..10_000, weight in 0u32..10_000, now in 0i64..1_000_000_000) {
            prop_assert_eq!(ledger(limit).wait_ms(weight.min(limit), now), 0);
        }

        #[test]
        fn heavier_requests_never_wait_less(used in 0u32..7_000, w1 in 0u32..500, w2 in 0u32..500, now in 0i64..1_000_000_000) {
            let mut ledger = ledger(6000);
            ledger.observe_header("x-mbx-used-weight-1m", &used.to_string(), now);
            let (light, heavy) = (w1.min(w2), w1.max(w2));
            prop_assert!(ledger.wait_ms(light, now) <= ledger.wait_ms(heavy, now));
        }

        #[test]
        fn after_the_wait_the_request_fits(used in 0u32..7_000, weight in 1u32..6_000, now in 0i64..1_000_000_000) {
            let mut ledger = ledger(6000);
            ledger.observe_header("x-mbx-used-weight-1m", &used.to_string(), now);
            let wait = ledger.wait_ms(weight, now);
            prop_assert_eq!(ledger.wait_ms(weight, now + wait), 0);
        }

        #[test]
        fn obeying_the_ledger_keeps_every_window_under_its_limit(
            limit in 10u32..200,
            requests in proptest::collection::vec((1u32..10, 0i64..5_000), 1..200),
        ) {
            let mut ledger = ledger(limit);
            let mut now = 0;
            let mut sent: std::collections::HashMap<i64, u32> = Default::default();
            for (weight, gap) in requests {
                now += gap;
                now += ledger.wait_ms(weight, now);
                ledger.record(weight, now);
                *sent.entry(align(now, 60_000)).or_default() += weight;
            }
            prop_assert!(sent.values().all(|&total| total <= limit), "{sent:?} over {limit}");
        }
    }
}
