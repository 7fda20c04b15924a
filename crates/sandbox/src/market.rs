//! The deterministic market: symbols with real-shaped filters, a seeded price
//! walk that prints one trade per symbol per second, and a synthetic order
//! book around the walk's price.
//!
//! With `--replay` the walk is off: [`Market::replaying`] starts without
//! history, and [`Market::apply_replay`] takes the recorded trades and the
//! recorded book (snapshots and diffs) instead; the book is then what the
//! "synthetic" liquidity serves, so orders match against it.
//!
//! Determinism: every random number is `mix(seed, symbol, tick, salt)`, a
//! pure function, so the same seed gives the same prices, quantities and book
//! at the same tick index. Tick `t >= 1` happens `t` seconds after start;
//! ticks `-1439..=0` are a day of history, one per minute, before start.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::model::Side;
use crate::reference::RecentBuckets;

/// Live ticks happen this often.
pub const TICK_MS: i64 = 1000;
/// History ticks (before start) are this far apart.
pub const HISTORY_TICK_MS: i64 = 60_000;
/// Number of history ticks.
pub const HISTORY_TICKS: i64 = 1440;
/// Public trades kept per symbol.
pub const MAX_TRADES: usize = 200_000;
/// Levels of synthetic liquidity on each side.
pub const SYNTHETIC_LEVELS: usize = 20;

/// A symbol and its trading rules.
#[derive(Debug, Clone)]
pub struct SymbolSpec {
    /// E.g. `BTCUSDT`.
    pub symbol: &'static str,
    /// E.g. `BTC`.
    pub base: &'static str,
    /// E.g. `USDT`.
    pub quote: &'static str,
    /// Where the walk starts.
    pub start_price: Decimal,
    /// `PRICE_FILTER.tickSize`.
    pub tick_size: Decimal,
    /// `PRICE_FILTER.minPrice`.
    pub min_price: Decimal,
    /// `PRICE_FILTER.maxPrice`.
    pub max_price: Decimal,
    /// `LOT_SIZE.stepSize`.
    pub step_size: Decimal,
    /// `LOT_SIZE.minQty`.
    pub min_qty: Decimal,
    /// `LOT_SIZE.maxQty`.
    pub max_qty: Decimal,
    /// `MARKET_LOT_SIZE.maxQty`.
    pub market_max_qty: Decimal,
    /// `NOTIONAL.minNotional`.
    pub min_notional: Decimal,
    /// `NOTIONAL.maxNotional`.
    pub max_notional: Decimal,
    /// Typical quantity of one synthetic book level.
    pub level_qty: Decimal,
}

/// The symbols every sandbox lists.
pub fn default_symbols() -> Vec<SymbolSpec> {
    let d = |text: &str| text.parse::<Decimal>().expect("valid decimal literal");
    let usdt = |symbol, base, price: &str, step: &str, level: &str, max_qty: &str| SymbolSpec {
        symbol,
        base,
        quote: "USDT",
        start_price: d(price),
        tick_size: d("0.01"),
        min_price: d("0.01"),
        max_price: d("1000000"),
        step_size: d(step),
        min_qty: d(step),
        max_qty: d(max_qty),
        market_max_qty: d(max_qty) / d("10"),
        min_notional: d("5"),
        max_notional: d("9000000"),
        level_qty: d(level),
    };
    let btc = |symbol, base, price: &str, tick: &str, step: &str, level: &str| SymbolSpec {
        symbol,
        base,
        quote: "BTC",
        start_price: d(price),
        tick_size: d(tick),
        min_price: d(tick),
        max_price: d("1000"),
        step_size: d(step),
        min_qty: d(step),
        max_qty: d("900000"),
        market_max_qty: d("90000"),
        min_notional: d("0.0001"),
        max_notional: d("9000000"),
        level_qty: d(level),
    };
    vec![
        usdt("BTCUSDT", "BTC", "97000.00", "0.00001", "0.4", "9000"),
        usdt("ETHUSDT", "ETH", "3500.00", "0.0001", "6", "90000"),
        usdt("BNBUSDT", "BNB", "650.00", "0.001", "30", "900000"),
        usdt("LTCUSDT", "LTC", "95.00", "0.001", "150", "900000"),
        btc("BNBBTC", "BNB", "0.006700", "0.000001", "0.001", "30"),
        btc("ETHBTC", "ETH", "0.03600", "0.00001", "0.0001", "6"),
        btc("LTCBTC", "LTC", "0.000980", "0.000001", "0.001", "150"),
        btc("EOSBTC", "EOS", "0.0000080", "0.0000001", "0.1", "20000"),
        // The Unicode symbol of the Spot testnet (CHANGELOG 2025-12-18):
        // base `这是测试币`, quote `456`. Last, so the seeded walk of the
        // others is unchanged.
        SymbolSpec {
            symbol: UNICODE_SYMBOL,
            base: "这是测试币",
            quote: "456",
            start_price: d("1.2000"),
            tick_size: d("0.0001"),
            min_price: d("0.0001"),
            max_price: d("10000"),
            step_size: d("0.01"),
            min_qty: d("0.01"),
            max_qty: d("9000000"),
            market_max_qty: d("900000"),
            min_notional: d("1"),
            max_notional: d("9000000"),
            level_qty: d("500"),
        },
    ]
}

/// The symbol with a non-ASCII name, as the Spot testnet lists it: its
/// stream names are the same text (there is no case to lower), sent
/// percent-encoded in URLs.
pub const UNICODE_SYMBOL: &str = "这是测试币456";

/// The rules of a symbol the sandbox does not list, met in a recording
/// (`--replay`): base and quote split at a known quote asset's name, and
/// filters loose enough for any recorded price and quantity (steps of
/// 0.00000001). `None` when no known quote asset ends the name. The names
/// are leaked once per replayed symbol: specs hold `&'static str`, and a
/// sandbox lists its symbols for its whole life.
pub fn recorded_spec(symbol: &str) -> Option<SymbolSpec> {
    const QUOTES: [&str; 12] = [
        "FDUSD", "USDT", "USDC", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL", "JPY", "DAI",
    ];
    let quote = QUOTES
        .iter()
        .find(|quote| symbol.len() > quote.len() && symbol.ends_with(**quote))?;
    let base = &symbol[..symbol.len() - quote.len()];
    let leak = |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
    let d = |text: &str| text.parse::<Decimal>().expect("valid decimal literal");
    Some(SymbolSpec {
        symbol: leak(symbol),
        base: leak(base),
        quote: leak(quote),
        start_price: d("1"),
        tick_size: d("0.00000001"),
        min_price: d("0.00000001"),
        max_price: d("100000000"),
        step_size: d("0.00000001"),
        min_qty: d("0.00000001"),
        max_qty: d("900000000"),
        market_max_qty: d("90000000"),
        min_notional: d("0.00000001"),
        max_notional: d("900000000000"),
        level_qty: d("1"),
    })
}

/// A public trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// Trade ID, increasing per symbol.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// `price * qty`.
    pub quote_qty: Decimal,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// Whether the buyer was the maker (the taker sold).
    pub is_buyer_maker: bool,
}

/// One price level: `(price, quantity)`.
pub type Level = (Decimal, Decimal);

/// One symbol's market state.
#[derive(Debug, Clone)]
pub struct SymbolMarket {
    /// The rules.
    pub spec: SymbolSpec,
    index: u64,
    start_ticks: i64,
    mid_ticks: i64,
    tick: i64,
    trades: Vec<Trade>,
    /// The reference price's buckets of `trades`, kept as they arrive.
    recent: RecentBuckets,
    next_trade_id: u64,
    /// Increases whenever the book changes; REST `lastUpdateId`.
    pub update_id: u64,
    taken: HashMap<(Side, i64), Decimal>,
    /// The recorded book, when the market is a replay.
    replayed: Option<ReplayedBook>,
}

/// A symbol's book as a recording says it is.
#[derive(Debug, Clone, Default)]
struct ReplayedBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    /// The recording's update ID the book is at; `None` before the first
    /// snapshot (diffs are not applied to no book).
    recorded_id: Option<u64>,
    /// The last recorded trade ID applied (a reconnect's overlap repeats
    /// some).
    last_trade_id: Option<u64>,
}

/// What a recording tells the market (parsed by [`crate::replay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayEvent {
    /// A trade printed.
    Trade {
        /// The symbol, e.g. `BTCUSDT`.
        symbol: String,
        /// Its recorded ID (trade ID, or aggregate trade ID when only
        /// `@aggTrade` was recorded).
        id: u64,
        /// Price.
        price: Decimal,
        /// Base quantity.
        qty: Decimal,
        /// Whether the buyer was the maker.
        is_buyer_maker: bool,
    },
    /// A REST depth snapshot: the book is replaced.
    Snapshot {
        /// The symbol.
        symbol: String,
        /// `lastUpdateId`.
        last_update_id: u64,
        /// Bids.
        bids: Vec<Level>,
        /// Asks.
        asks: Vec<Level>,
    },
    /// A diff-depth event: levels set (quantity 0 removes).
    Diff {
        /// The symbol.
        symbol: String,
        /// `U`.
        first_update_id: u64,
        /// `u`.
        final_update_id: u64,
        /// Changed bids.
        bids: Vec<Level>,
        /// Changed asks.
        asks: Vec<Level>,
    },
}

/// Every symbol's market.
#[derive(Debug, Clone)]
pub struct Market {
    seed: u64,
    start_ms: i64,
    symbols: Vec<SymbolMarket>,
}

impl Market {
    /// Builds the market at `start_ms`, with a day of history.
    pub fn new(seed: u64, start_ms: i64, specs: Vec<SymbolSpec>) -> Market {
        let symbols = specs
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                let start_ticks = (spec.start_price / spec.tick_size)
                    .trunc()
                    .try_into()
                    .unwrap_or(1_i64);
                let mut symbol = SymbolMarket {
                    spec,
                    index: index as u64,
                    start_ticks,
                    mid_ticks: start_ticks,
                    tick: -HISTORY_TICKS,
                    trades: Vec::new(),
                    recent: RecentBuckets::default(),
                    next_trade_id: 1,
                    update_id: 1,
                    taken: HashMap::new(),
                    replayed: None,
                };
                for tick in -HISTORY_TICKS + 1..=0 {
                    symbol.step(seed, tick, start_ms + tick * HISTORY_TICK_MS);
                }
                symbol
            })
            .collect();
        Market {
            seed,
            start_ms,
            symbols,
        }
    }

    /// A market driven by a recording: no history, no walk, and empty
    /// books until [`Market::apply_replay`] brings the recorded ones.
    pub fn replaying(start_ms: i64, specs: Vec<SymbolSpec>) -> Market {
        let symbols = specs
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                let start_ticks = (spec.start_price / spec.tick_size)
                    .trunc()
                    .try_into()
                    .unwrap_or(1_i64);
                SymbolMarket {
                    spec,
                    index: index as u64,
                    start_ticks,
                    mid_ticks: start_ticks,
                    tick: 0,
                    trades: Vec::new(),
                    recent: RecentBuckets::default(),
                    next_trade_id: 1,
                    update_id: 1,
                    taken: HashMap::new(),
                    replayed: Some(ReplayedBook::default()),
                }
            })
            .collect();
        Market {
            seed: 0,
            start_ms,
            symbols,
        }
    }

    /// Whether the market is a replay (no walk).
    pub fn is_replay(&self) -> bool {
        self.symbols
            .first()
            .is_some_and(|symbol| symbol.replayed.is_some())
    }

    /// Applies one recorded event at `time`: returns the symbol's index,
    /// its update ID before, and the trade it printed, or `None` when the
    /// event changes nothing (a symbol not listed, a trade already seen, a
    /// diff before the book's snapshot or older than it).
    pub fn apply_replay(
        &mut self,
        event: &ReplayEvent,
        time: i64,
    ) -> Option<(usize, u64, Option<Trade>)> {
        let name = match event {
            ReplayEvent::Trade { symbol, .. }
            | ReplayEvent::Snapshot { symbol, .. }
            | ReplayEvent::Diff { symbol, .. } => symbol,
        };
        let index = self.symbols.iter().position(|s| s.spec.symbol == name)?;
        let symbol = &mut self.symbols[index];
        let before = symbol.update_id;
        let book = symbol.replayed.as_mut()?;
        match event {
            ReplayEvent::Trade {
                id,
                price,
                qty,
                is_buyer_maker,
                ..
            } => {
                // Seen already (a reconnect's overlap): IDs only grow.
                if book.last_trade_id.is_some_and(|last| *id <= last) {
                    return None;
                }
                book.last_trade_id = Some(*id);
                // The recorded ID, unless the sandbox's own trades (user
                // orders) have taken it: then the next free one.
                symbol.next_trade_id = symbol.next_trade_id.max(*id);
                symbol.mid_ticks = symbol.price_to_ticks(*price);
                let trade = symbol.push_trade(*price, *qty, time, *is_buyer_maker);
                Some((index, before, Some(trade)))
            }
            ReplayEvent::Snapshot {
                last_update_id,
                bids,
                asks,
                ..
            } => {
                book.bids = bids.iter().copied().collect();
                book.asks = asks.iter().copied().collect();
                book.recorded_id = Some(*last_update_id);
                symbol.update_id = (symbol.update_id + 1).max(*last_update_id);
                Some((index, before, None))
            }
            ReplayEvent::Diff {
                final_update_id,
                bids,
                asks,
                ..
            } => {
                // Binance's rule: drop what the snapshot already has.
                if book.recorded_id.is_none_or(|at| *final_update_id <= at) {
                    return None;
                }
                for (side, levels) in [(&mut book.bids, bids), (&mut book.asks, asks)] {
                    for (price, qty) in levels {
                        if qty.is_zero() {
                            side.remove(price);
                        } else {
                            side.insert(*price, *qty);
                        }
                    }
                }
                book.recorded_id = Some(*final_update_id);
                symbol.update_id = (symbol.update_id + 1).max(*final_update_id);
                Some((index, before, None))
            }
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The tick index due at `now_ms` (0 before the first live tick).
    pub fn due_tick(&self, now_ms: i64) -> i64 {
        ((now_ms - self.start_ms) / TICK_MS).max(0)
    }

    /// When tick `tick` happens.
    pub fn tick_time(&self, tick: i64) -> i64 {
        if tick <= 0 {
            self.start_ms + tick * HISTORY_TICK_MS
        } else {
            self.start_ms + tick * TICK_MS
        }
    }

    /// All symbols.
    pub fn symbols(&self) -> &[SymbolMarket] {
        &self.symbols
    }

    /// A symbol by name.
    pub fn get(&self, symbol: &str) -> Option<&SymbolMarket> {
        self.symbols.iter().find(|s| s.spec.symbol == symbol)
    }

    /// A symbol by name, mutable.
    pub fn get_mut(&mut self, symbol: &str) -> Option<&mut SymbolMarket> {
        self.symbols.iter_mut().find(|s| s.spec.symbol == symbol)
    }

    /// Steps symbol `index` to `tick` if it is not there yet.
    pub fn step_symbol(&mut self, index: usize, tick: i64) {
        let time = self.tick_time(tick);
        let seed = self.seed;
        if let Some(symbol) = self.symbols.get_mut(index)
            && tick > symbol.tick
        {
            symbol.step(seed, tick, time);
        }
    }

    /// The last tick every symbol has reached.
    pub fn current_tick(&self) -> i64 {
        self.symbols.iter().map(|s| s.tick).min().unwrap_or(0)
    }

    /// The synthetic book of `symbol` on `side`, best first, minus what was
    /// taken since the last tick.
    pub fn synthetic_levels(&self, index: usize, side: Side) -> Vec<Level> {
        self.synthetic_levels_within(index, side, |_| true)
    }

    /// [`Market::synthetic_levels`] from the best price down to the last
    /// one `within` accepts: the levels a taker with a limit can reach. A
    /// level's quantity is computed only when its price is in (an order
    /// that crosses nothing computes none).
    pub fn synthetic_levels_within(
        &self,
        index: usize,
        side: Side,
        within: impl Fn(Decimal) -> bool,
    ) -> Vec<Level> {
        let Some(symbol) = self.symbols.get(index) else {
            return Vec::new();
        };
        if let Some(book) = &symbol.replayed {
            let levels: Box<dyn Iterator<Item = (&Decimal, &Decimal)>> = match side {
                Side::Buy => Box::new(book.bids.iter().rev()),
                Side::Sell => Box::new(book.asks.iter()),
            };
            return levels
                .map(|(p, q)| (*p, *q))
                .take_while(|(price, _)| within(*price))
                .collect();
        }
        let mut levels = Vec::new();
        for level in 0..SYNTHETIC_LEVELS {
            let price_ticks = symbol.level_ticks(side, level);
            let price = symbol.ticks_to_price(price_ticks);
            if !within(price) {
                break;
            }
            let full = symbol.level_qty(self.seed, side, level);
            let taken = symbol
                .taken
                .get(&(side, price_ticks))
                .copied()
                .unwrap_or_default();
            let left = full - taken;
            if left > Decimal::ZERO && price > Decimal::ZERO {
                levels.push((price, left));
            }
        }
        levels
    }
}

impl SymbolMarket {
    /// The walk's current price (the last trade's price).
    pub fn mid(&self) -> Decimal {
        self.ticks_to_price(self.mid_ticks)
    }

    /// The last tick reached.
    pub fn tick(&self) -> i64 {
        self.tick
    }

    /// Public trades, oldest first.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Records a trade and returns it.
    pub fn push_trade(
        &mut self,
        price: Decimal,
        qty: Decimal,
        time: i64,
        is_buyer_maker: bool,
    ) -> Trade {
        let trade = Trade {
            id: self.next_trade_id,
            price,
            qty,
            quote_qty: price * qty,
            time,
            is_buyer_maker,
        };
        self.next_trade_id += 1;
        if self.trades.len() >= MAX_TRADES {
            // Keep memory bounded on a long-running sandbox (about two days
            // of one trade per second); the oldest trades go first, and the
            // buckets are made again from what is left (once per
            // `MAX_TRADES / 4` trades).
            self.trades.drain(..MAX_TRADES / 4);
            self.recent = RecentBuckets::of(&self.trades);
        }
        self.recent.push(trade.time, trade.price);
        self.trades.push(trade.clone());
        trade
    }

    /// The reference price at `now_ms` ([`crate::reference`]), from the
    /// buckets kept as trades arrive: `None` while no trade is in the
    /// window.
    pub fn reference_price(&self, now_ms: i64, quote_precision: u32) -> Option<Decimal> {
        self.recent
            .reference_price(&self.trades, now_ms, quote_precision)
    }

    /// Records that `qty` of the synthetic level at `price` was taken.
    pub fn take_synthetic(&mut self, side: Side, price: Decimal, qty: Decimal) {
        if let Some(book) = self.replayed.as_mut() {
            // The recorded level shrinks until the recording sets it again.
            let levels = match side {
                Side::Buy => &mut book.bids,
                Side::Sell => &mut book.asks,
            };
            if let Some(left) = levels.get_mut(&price) {
                *left -= qty;
                if *left <= Decimal::ZERO {
                    levels.remove(&price);
                }
            }
            self.update_id += 1;
            return;
        }
        let ticks = self.price_to_ticks(price);
        *self.taken.entry((side, ticks)).or_default() += qty;
        self.update_id += 1;
    }

    /// Converts a price on the tick grid to ticks.
    pub fn price_to_ticks(&self, price: Decimal) -> i64 {
        (price / self.spec.tick_size)
            .round()
            .try_into()
            .unwrap_or(i64::MAX)
    }

    fn ticks_to_price(&self, ticks: i64) -> Decimal {
        (Decimal::from(ticks) * self.spec.tick_size).normalize()
    }

    fn level_ticks(&self, side: Side, level: usize) -> i64 {
        let offset = level as i64 + 1;
        match side {
            Side::Buy => self.mid_ticks - offset,
            Side::Sell => self.mid_ticks + offset,
        }
    }

    fn level_qty(&self, seed: u64, side: Side, level: usize) -> Decimal {
        let salt = 1000 + level as u64 * 2 + u64::from(side == Side::Sell);
        let percent = 50 + mix(seed, self.index, self.tick, salt) % 100;
        let raw = self.spec.level_qty * Decimal::from(percent) / Decimal::from(100);
        round_to_step(raw, self.spec.step_size).max(self.spec.min_qty)
    }

    fn scale(&self) -> i64 {
        (self.start_ticks / 20_000).max(1)
    }

    fn step(&mut self, seed: u64, tick: i64, time: i64) {
        let scale = self.scale();
        let roll = mix(seed, self.index, tick, 1);
        let mut delta = ((roll % 7) as i64 - 3) * scale;
        if self.mid_ticks > self.start_ticks + self.start_ticks / 10 {
            delta -= scale;
        } else if self.mid_ticks < self.start_ticks - self.start_ticks / 10 {
            delta += scale;
        }
        self.mid_ticks = (self.mid_ticks + delta).max(scale * 10);
        self.tick = tick;
        self.taken.clear();
        self.update_id += 1;
        let percent = 5 + mix(seed, self.index, tick, 2) % 45;
        let qty = round_to_step(
            self.spec.level_qty * Decimal::from(percent) / Decimal::from(100),
            self.spec.step_size,
        )
        .max(self.spec.min_qty);
        let price = self.mid();
        self.push_trade(
            price,
            qty,
            time,
            delta < 0 || (delta == 0 && roll.is_multiple_of(2)),
        );
    }
}

/// Rounds `value` down to a multiple of `step`.
pub fn round_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        return value;
    }
    ((value / step).trunc() * step).normalize()
}

/// SplitMix64 over the inputs: the sandbox's only source of randomness.
pub fn mix(seed: u64, symbol: u64, tick: i64, salt: u64) -> u64 {
    let mut z = seed
        ^ symbol.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (tick as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ salt.wrapping_mul(0x94D0_49BB_1331_11EB);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_market() {
        let a = Market::new(7, 1_700_000_000_000, default_symbols());
        let b = Market::new(7, 1_700_000_000_000, default_symbols());
        let c = Market::new(8, 1_700_000_000_000, default_symbols());
        assert_eq!(a.symbols[0].trades, b.symbols[0].trades);
        assert_ne!(a.symbols[0].trades, c.symbols[0].trades);
        assert_eq!(
            a.synthetic_levels(0, Side::Buy),
            b.synthetic_levels(0, Side::Buy)
        );
    }

    #[test]
    fn history_is_a_day_of_minutes() {
        let market = Market::new(1, 1_700_000_000_000, default_symbols());
        let trades = market.symbols[0].trades();
        assert_eq!(trades.len() as i64, HISTORY_TICKS);
        assert_eq!(trades.last().map(|t| t.time), Some(1_700_000_000_000));
    }

    #[test]
    fn book_does_not_cross_and_sits_on_the_grid() {
        let market = Market::new(3, 1_700_000_000_000, default_symbols());
        for (index, symbol) in market.symbols().iter().enumerate() {
            let bids = market.synthetic_levels(index, Side::Buy);
            let asks = market.synthetic_levels(index, Side::Sell);
            assert!(bids[0].0 < symbol.mid() && symbol.mid() < asks[0].0);
            for (price, qty) in bids.iter().chain(&asks) {
                assert_eq!(round_to_step(*price, symbol.spec.tick_size), *price);
                assert_eq!(round_to_step(*qty, symbol.spec.step_size), *qty);
            }
        }
    }

    /// A taker's limit cuts the synthetic book at the last level it
    /// reaches; the levels it keeps are the full book's first ones.
    #[test]
    fn the_levels_within_a_limit_are_the_books_first_ones() {
        let market = Market::new(3, 1_700_000_000_000, default_symbols());
        for (index, _) in market.symbols().iter().enumerate() {
            for side in [Side::Buy, Side::Sell] {
                let all = market.synthetic_levels(index, side);
                assert!(all.len() > 3);
                let limit = all[2].0;
                let reached = |price: Decimal| match side {
                    Side::Buy => price >= limit,
                    Side::Sell => price <= limit,
                };
                assert_eq!(
                    market.synthetic_levels_within(index, side, reached),
                    all[..3]
                );
                assert!(
                    market
                        .synthetic_levels_within(index, side, |_| false)
                        .is_empty()
                );
            }
        }
    }

    #[test]
    fn a_replayed_book_follows_snapshots_and_diffs_and_trades_keep_their_ids() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let mut market = Market::replaying(1_700_000_000_000, default_symbols());
        let symbol = || "BTCUSDT".to_owned();
        let diff = |first: u64, last: u64, bid: (&str, &str)| ReplayEvent::Diff {
            symbol: symbol(),
            first_update_id: first,
            final_update_id: last,
            bids: vec![(d(bid.0), d(bid.1))],
            asks: vec![],
        };
        // No book before the first snapshot: the diff is dropped.
        assert!(market.apply_replay(&diff(5, 6, ("99", "1")), 1).is_none());
        let snapshot = ReplayEvent::Snapshot {
            symbol: symbol(),
            last_update_id: 10,
            bids: vec![(d("100"), d("2")), (d("99"), d("3"))],
            asks: vec![(d("101"), d("1"))],
        };
        let (index, _, _) = market.apply_replay(&snapshot, 2).unwrap();
        // Older than the snapshot: dropped; newer: applied, 0 removes.
        assert!(market.apply_replay(&diff(9, 10, ("98", "7")), 3).is_none());
        market.apply_replay(&diff(11, 12, ("100", "0")), 4).unwrap();
        assert_eq!(
            market.synthetic_levels(index, Side::Buy),
            [(d("99"), d("3"))]
        );
        assert_eq!(
            market.synthetic_levels(index, Side::Sell),
            [(d("101"), d("1"))]
        );
        assert_eq!(market.symbols()[index].update_id, 12);

        let trade = |id: u64| ReplayEvent::Trade {
            symbol: symbol(),
            id,
            price: d("100.5"),
            qty: d("0.1"),
            is_buyer_maker: false,
        };
        let (_, _, printed) = market.apply_replay(&trade(500), 5).unwrap();
        assert_eq!(printed.map(|t| (t.id, t.price)), Some((500, d("100.5"))));
        // A repeat (a reconnect's overlap) prints nothing.
        assert!(market.apply_replay(&trade(500), 6).is_none());
        // A user's trade took 501: the recorded 501 gets the next free ID.
        let user = market.symbols[index].push_trade(d("101"), d("1"), 7, true);
        assert_eq!(user.id, 501);
        let (_, _, printed) = market.apply_replay(&trade(501), 8).unwrap();
        assert_eq!(printed.map(|t| t.id), Some(502));
        assert_eq!(market.symbols()[index].mid(), d("100.5"));
    }

    #[test]
    fn a_recorded_symbol_the_sandbox_does_not_list_gets_loose_rules() {
        let spec = recorded_spec("SOLFDUSD").unwrap();
        assert_eq!(
            (spec.symbol, spec.base, spec.quote),
            ("SOLFDUSD", "SOL", "FDUSD")
        );
        assert!(recorded_spec("USDT").is_none());
        assert!(recorded_spec("WHATEVER").is_none());
        let mut specs = default_symbols();
        specs.push(spec);
        let mut market = Market::replaying(1, specs);
        let trade = ReplayEvent::Trade {
            symbol: "SOLFDUSD".to_owned(),
            id: 7,
            price: "187.123456".parse().unwrap(),
            qty: "0.001".parse().unwrap(),
            is_buyer_maker: true,
        };
        let (index, _, printed) = market.apply_replay(&trade, 2).unwrap();
        assert_eq!(printed.map(|t| t.id), Some(7));
        assert_eq!(market.symbols()[index].mid().to_string(), "187.123456");
    }

    #[test]
    fn rounds_down_to_step() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(round_to_step(d("1.23456"), d("0.01")), d("1.23"));
    }
}
