//! The reference price and the Price Range execution rule (CHANGELOG
//! 2026-03-09, 2026-05-06; rest-api.md § Query Reference Price, § Query
//! Execution Rules).
//!
//! The sandbox computes every symbol's reference price the way Binance's
//! matching engine does (`calculationType: ARITHMETIC_MEAN`), over the
//! symbol's public trades, in these steps:
//!
//! 1. Each trade goes into the bucket opening at its time rounded down to
//!    [`BUCKET_WIDTH_MS`]; a bucket keeps its trade count and the sum of
//!    its trade prices.
//! 2. The window is the last [`BUCKET_COUNT`] × [`BUCKET_WIDTH_MS`] before
//!    now; its first instant is the cutoff. A bucket that closes at or
//!    before the cutoff is dropped.
//! 3. The oldest bucket, if it opened before the cutoff, is prorated: its
//!    count and its sum lose the fraction of the bucket that lies before
//!    the cutoff.
//! 4. The reference price is the sum of the sums divided by the sum of the
//!    counts, truncated to the quote asset precision. Counts keep four
//!    decimals and sums four decimals more than the quote asset precision,
//!    as the engine's fixed-point integers do.
//! 5. No bucket left (no trade in the window): the reference price is
//!    `null`, and the filters fall back to the average price.
//!
//! The `PERCENT_PRICE_BY_SIDE` and `NOTIONAL` filters measure against the
//! reference price when it is not null (CHANGELOG 2026-05-06), and a taker
//! may only execute within [`PRICE_RANGE`] around the reference price taken
//! when its taker phase starts; the first fill beyond the range expires the
//! order with `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`.
//!
//! [`reference_price`] is the definition, over a symbol's trades;
//! [`RecentBuckets`] keeps the last buckets' sums as trades arrive so the
//! matching engine, which asks at every order, pays for a few buckets and
//! not for every trade in the window (a bot can print thousands in ten
//! seconds). Both give the same answer; a property test holds them to it.

use std::collections::VecDeque;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::market::Trade;
use crate::model::Side;

/// `bucketCount` of the calculation (the docs' example value).
pub const BUCKET_COUNT: i64 = 10;
/// `bucketWidthMs` of the calculation (the docs' example value).
pub const BUCKET_WIDTH_MS: i64 = 1000;

/// Decimals of a bucket's trade count.
const COUNT_DECIMALS: u32 = 4;

/// The `PRICE_RANGE` rule every sandbox symbol has: the multipliers of the
/// reference price a taker may execute at, by the taker's side. The values
/// are those of the Price Range FAQ's example (half to twice the reference
/// price): wide enough that the synthetic book's twenty levels always fit,
/// narrow enough that a resting order far from the market can trigger the
/// rule.
pub const PRICE_RANGE: PriceRange = PriceRange {
    bid_up: Decimal::from_parts(2, 0, 0, false, 0),
    bid_down: Decimal::from_parts(5, 0, 0, false, 1),
    ask_up: Decimal::from_parts(2, 0, 0, false, 0),
    ask_down: Decimal::from_parts(5, 0, 0, false, 1),
};

/// A `PRICE_RANGE` execution rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceRange {
    /// `bidLimitMultUp`: a buyer executes at most this times the reference.
    pub bid_up: Decimal,
    /// `bidLimitMultDown`: a buyer executes at least this times it.
    pub bid_down: Decimal,
    /// `askLimitMultUp`: a seller executes at most this times it.
    pub ask_up: Decimal,
    /// `askLimitMultDown`: a seller executes at least this times it.
    pub ask_down: Decimal,
}

impl PriceRange {
    /// The inclusive prices a taker on `side` may execute at around
    /// `reference`.
    pub fn band(&self, side: Side, reference: Decimal) -> (Decimal, Decimal) {
        let (down, up) = match side {
            Side::Buy => (self.bid_down, self.bid_up),
            Side::Sell => (self.ask_down, self.ask_up),
        };
        (reference * down, reference * up)
    }
}

/// The reference price of a symbol whose public trades (oldest first) are
/// `trades`, at `now_ms`, with `quote_precision` decimals; `None` when no
/// trade falls in the window (steps in the module docs).
pub fn reference_price(trades: &[Trade], now_ms: i64, quote_precision: u32) -> Option<Decimal> {
    let cutoff = now_ms - BUCKET_COUNT * BUCKET_WIDTH_MS;
    let sum_decimals = quote_precision + COUNT_DECIMALS;
    // Trades before the oldest bucket that can still count are skipped
    // without looking at them.
    let first_open = cutoff.div_euclid(BUCKET_WIDTH_MS) * BUCKET_WIDTH_MS;
    let start = trades.partition_point(|trade| trade.time < first_open);
    let mut total_count = Decimal::ZERO;
    let mut total_sum = Decimal::ZERO;
    let mut bucket: Option<Bucket> = None;
    for trade in trades[start..]
        .iter()
        .take_while(|trade| trade.time <= now_ms)
    {
        let open = trade.time.div_euclid(BUCKET_WIDTH_MS) * BUCKET_WIDTH_MS;
        match bucket.as_mut() {
            Some(current) if current.open == open => current.add(trade.price),
            _ => {
                if let Some(done) = bucket.take() {
                    let (count, sum) = done.prorated(cutoff, sum_decimals);
                    total_count += count;
                    total_sum += sum;
                }
                bucket = Some(Bucket::new(open, trade.price));
            }
        }
    }
    if let Some(done) = bucket {
        let (count, sum) = done.prorated(cutoff, sum_decimals);
        total_count += count;
        total_sum += sum;
    }
    if total_count <= Decimal::ZERO {
        return None;
    }
    Some(truncate(total_sum / total_count, quote_precision))
}

/// The buckets of a symbol's newest trades, summed as the trades arrive
/// (step 1 of the module docs, done once per trade).
///
/// [`RecentBuckets::reference_price`] answers exactly as
/// [`reference_price`] over the same trades; where it cannot from the
/// buckets alone (a trade arrived older than one before it, or `now` is
/// before the newest trade) it asks [`reference_price`].
#[derive(Debug, Clone, Default)]
pub struct RecentBuckets {
    /// Oldest first, one per bucket opening time.
    buckets: VecDeque<Bucket>,
    /// The newest trade's time.
    newest: Option<i64>,
    /// A trade arrived older than the newest before it.
    out_of_order: bool,
}

impl RecentBuckets {
    /// The buckets of `trades` (oldest first).
    pub fn of(trades: &[Trade]) -> RecentBuckets {
        let mut buckets = RecentBuckets::default();
        for trade in trades {
            buckets.push(trade.time, trade.price);
        }
        buckets
    }

    /// Adds a trade; forgets the buckets no window ending at or after the
    /// newest trade can reach.
    pub fn push(&mut self, time: i64, price: Decimal) {
        if self.newest.is_some_and(|newest| time < newest) {
            self.out_of_order = true;
        }
        let newest = self.newest.map_or(time, |newest| newest.max(time));
        self.newest = Some(newest);
        let open = time.div_euclid(BUCKET_WIDTH_MS) * BUCKET_WIDTH_MS;
        match self.buckets.back_mut() {
            Some(last) if last.open == open => last.add(price),
            _ => self.buckets.push_back(Bucket::new(open, price)),
        }
        let cutoff = newest - BUCKET_COUNT * BUCKET_WIDTH_MS;
        let first_open = cutoff.div_euclid(BUCKET_WIDTH_MS) * BUCKET_WIDTH_MS;
        while self
            .buckets
            .front()
            .is_some_and(|bucket| bucket.open < first_open)
        {
            self.buckets.pop_front();
        }
    }

    /// [`reference_price`] of `trades` (the trades these buckets were made
    /// from) at `now_ms`.
    pub fn reference_price(
        &self,
        trades: &[Trade],
        now_ms: i64,
        quote_precision: u32,
    ) -> Option<Decimal> {
        if self.out_of_order || self.newest.is_some_and(|newest| now_ms < newest) {
            return reference_price(trades, now_ms, quote_precision);
        }
        let cutoff = now_ms - BUCKET_COUNT * BUCKET_WIDTH_MS;
        let first_open = cutoff.div_euclid(BUCKET_WIDTH_MS) * BUCKET_WIDTH_MS;
        let sum_decimals = quote_precision + COUNT_DECIMALS;
        let mut total_count = Decimal::ZERO;
        let mut total_sum = Decimal::ZERO;
        for bucket in self
            .buckets
            .iter()
            .filter(|bucket| bucket.open >= first_open)
        {
            let (count, sum) = bucket.prorated(cutoff, sum_decimals);
            total_count += count;
            total_sum += sum;
        }
        if total_count <= Decimal::ZERO {
            return None;
        }
        Some(truncate(total_sum / total_count, quote_precision))
    }
}

/// One bucket of trades.
#[derive(Debug, Clone)]
struct Bucket {
    open: i64,
    count: Decimal,
    sum: Decimal,
}

impl Bucket {
    fn new(open: i64, price: Decimal) -> Bucket {
        Bucket {
            open,
            count: Decimal::ONE,
            sum: price,
        }
    }

    fn add(&mut self, price: Decimal) {
        self.count += Decimal::ONE;
        self.sum += price;
    }

    /// The bucket's `(count, sum)` as the window sees it: nothing if it
    /// closed by the cutoff, less the part before the cutoff if it
    /// straddles it.
    fn prorated(&self, cutoff: i64, sum_decimals: u32) -> (Decimal, Decimal) {
        let close = self.open + BUCKET_WIDTH_MS;
        if close <= cutoff {
            return (Decimal::ZERO, Decimal::ZERO);
        }
        let count = truncate(self.count, COUNT_DECIMALS);
        let sum = truncate(self.sum, sum_decimals);
        if self.open >= cutoff {
            return (count, sum);
        }
        let expired = Decimal::from(cutoff - self.open) / Decimal::from(BUCKET_WIDTH_MS);
        (
            truncate(count - count * expired, COUNT_DECIMALS),
            truncate(sum - sum * expired, sum_decimals),
        )
    }
}

fn truncate(value: Decimal, decimals: u32) -> Decimal {
    value.round_dp_with_strategy(decimals, RoundingStrategy::ToZero)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const NOW: i64 = 1_700_000_010_500;

    fn trade(time: i64, price: &str) -> Trade {
        let price: Decimal = price.parse().unwrap();
        Trade {
            id: time as u64,
            price,
            qty: Decimal::ONE,
            quote_qty: price,
            time,
            is_buyer_maker: false,
        }
    }

    /// `trades` are `(ms before NOW, price)`, oldest first.
    #[track_caller]
    fn check(trades: &[(i64, &str)], expected: Option<&str>) {
        let trades: Vec<Trade> = trades
            .iter()
            .map(|(ago, price)| trade(NOW - ago, price))
            .collect();
        let expected = expected.map(|text| text.parse::<Decimal>().unwrap());
        assert_eq!(reference_price(&trades, NOW, 8), expected);
    }

    #[test]
    fn no_trade_in_the_window_is_null() {
        check(&[], None);
        // Now is x.500: a trade 10.6 s ago is in the bucket that closed
        // at the last full second before the cutoff.
        check(&[(11_000, "5"), (10_600, "5")], None);
        // One 10.5 s ago opens the bucket the cutoff cuts in half.
        check(&[(10_500, "5")], Some("5"));
    }

    #[test]
    fn whole_buckets_average_their_trades() {
        check(&[(100, "10")], Some("10"));
        check(&[(3_000, "10"), (200, "20"), (100, "30")], Some("20"));
    }

    #[test]
    fn the_straddling_bucket_counts_for_its_part_in_the_window() {
        // Now is x.500; the cutoff is 10 s earlier, also at .500, so the
        // oldest bucket (opened at .000) keeps half its count and sum:
        // (0.5 * 10 + 40) / (0.5 + 1) = 30.
        check(&[(10_400, "10"), (100, "40")], Some("30"));
    }

    #[test]
    fn the_mean_is_truncated_to_the_quote_precision() {
        check(&[(300, "1"), (200, "1"), (100, "2")], Some("1.33333333"));
        check(&[(300, "2"), (200, "2"), (100, "1")], Some("1.66666666"));
    }

    #[test]
    fn trades_after_now_are_not_seen() {
        let trades = [trade(NOW - 100, "10"), trade(NOW + 100, "99")];
        assert_eq!(reference_price(&trades, NOW, 8), Some(Decimal::TEN));
    }

    #[test]
    fn the_range_is_by_the_takers_side() {
        let reference = Decimal::from(100);
        assert_eq!(
            PRICE_RANGE.band(Side::Buy, reference),
            (Decimal::from(50), Decimal::from(200))
        );
        let skewed = PriceRange {
            ask_up: Decimal::from(3),
            ..PRICE_RANGE
        };
        assert_eq!(
            skewed.band(Side::Sell, reference),
            (Decimal::from(50), Decimal::from(300))
        );
    }

    proptest! {
        // The buckets kept as trades arrive answer what the definition
        // answers over the same trades, at any time: trades in order or
        // not, bursts within one millisecond, `now` before the newest.
        #[test]
        fn recent_buckets_agree_with_the_definition(
            steps in prop::collection::vec((-300..2_500_i64, 1..2_000_u32), 0..120),
            asks in prop::collection::vec(-2_000..15_000_i64, 1..8),
        ) {
            let mut trades = Vec::new();
            let mut buckets = RecentBuckets::default();
            let mut time = NOW - 20_000;
            for (step, cents) in steps {
                time += step;
                let price = Decimal::new(i64::from(cents), 2);
                trades.push(trade(time, &price.to_string()));
                buckets.push(time, price);
                for ask in &asks {
                    let now = time + ask;
                    prop_assert_eq!(
                        buckets.reference_price(&trades, now, 8),
                        reference_price(&trades, now, 8),
                        "at {} after {} trades", now, trades.len()
                    );
                }
            }
            let rebuilt = RecentBuckets::of(&trades);
            for ask in &asks {
                prop_assert_eq!(
                    rebuilt.reference_price(&trades, time + ask, 8),
                    reference_price(&trades, time + ask, 8)
                );
            }
        }
    }
}
