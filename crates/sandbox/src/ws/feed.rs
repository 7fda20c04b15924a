//! The stream feed: one task per sandbox turns the market into stream
//! payloads for the streams someone listens to, serialises each payload
//! once, and broadcasts it to every stream connection.
//!
//! Real-time streams (`trade`, `aggTrade`, `bookTicker`) follow the engine's
//! [`MarketEvent`]s. The others are produced on a 100 ms clock: `@100ms`
//! depth every tick, one-second streams every tenth tick, klines of
//! intervals other than `1s` every twentieth.
//!
//! Diff depth is computed from book snapshots: the feed keeps, per symbol
//! and speed, the book it last described and its update ID; each event
//! carries every level that changed since, with `U` = previous `u` + 1 and
//! `u` = the book's current update ID, which is what REST `depth` reports
//! as `lastUpdateId`. Applying the events to any REST snapshot (the
//! documented local-order-book procedure) therefore reproduces the book.
//!
//! A `--speed max` replay is applied here too, with backpressure: a batch
//! of recorded events at a time, the next one only once the slowest
//! connection is less than half the buffer behind, so a subscriber gets
//! every event as fast as it reads and is never closed as too slow (the
//! 1008 close stays for real-time speeds, whose pace the clock sets).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::broadcast;

use super::names::{StreamName, kline_interval_text, parse_stream};
use crate::engine::Engine;
use crate::events::MarketEvent;
use crate::exchange::{Exchange, lock};
use crate::market::{SymbolMarket, Trade};
use crate::stats::{self, Interval};
use crate::time_unit::{Shape, TimeUnit, to_microseconds};
use crate::wire::{self, dec};

/// How often the feed looks at the market.
const TICK: Duration = Duration::from_millis(100);
/// Frames kept for slow connections before they start losing the oldest.
const CAPACITY: usize = 16_384;

/// One stream payload, serialised once.
#[derive(Debug)]
pub(crate) struct Frame {
    /// The stream name, e.g. `btcusdt@trade`.
    pub stream: Arc<str>,
    raw: Utf8Bytes,
    combined: OnceLock<Utf8Bytes>,
    /// The same two texts with times in microseconds, built when a
    /// connection first asks for them.
    raw_micros: OnceLock<Utf8Bytes>,
    combined_micros: OnceLock<Utf8Bytes>,
}

impl Frame {
    pub(crate) fn new(stream: Arc<str>, raw: String) -> Frame {
        Frame {
            stream,
            raw: Utf8Bytes::from(raw),
            combined: OnceLock::new(),
            raw_micros: OnceLock::new(),
            combined_micros: OnceLock::new(),
        }
    }

    /// The text to send: the raw payload, or `{"stream":..,"data":..}`,
    /// in the connection's time unit (each built once, shared by every
    /// connection).
    pub(crate) fn text(&self, combined: bool, time_unit: TimeUnit) -> Utf8Bytes {
        match (combined, time_unit) {
            (false, TimeUnit::Millisecond) => self.raw.clone(),
            (true, TimeUnit::Millisecond) => self
                .combined
                .get_or_init(|| {
                    let stream = serde_json::to_string(&*self.stream).unwrap_or_default();
                    Utf8Bytes::from(format!(
                        "{{\"stream\":{stream},\"data\":{}}}",
                        self.raw.as_str()
                    ))
                })
                .clone(),
            (false, TimeUnit::Microsecond) => {
                self.raw_micros.get_or_init(|| micros(&self.raw)).clone()
            }
            (true, TimeUnit::Microsecond) => self
                .combined_micros
                .get_or_init(|| micros(&self.text(true, TimeUnit::Millisecond)))
                .clone(),
        }
    }
}

fn micros(text: &Utf8Bytes) -> Utf8Bytes {
    Utf8Bytes::from(to_microseconds(text.as_str(), Shape::Events))
}

/// The broadcast channel and the streams somebody listens to.
#[derive(Debug)]
pub(crate) struct Feed {
    /// Replaced by [`Feed::set_capacity`] (a test knob).
    tx: Mutex<broadcast::Sender<Arc<Frame>>>,
    /// The channel's capacity (frames).
    capacity: AtomicUsize,
    active: Mutex<HashMap<String, usize>>,
    running: Mutex<bool>,
    sent: AtomicU64,
    /// Whether any stream was ever subscribed (starts a replay's clock).
    subscribed: AtomicBool,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            tx: Mutex::new(broadcast::channel(CAPACITY).0),
            capacity: AtomicUsize::new(CAPACITY),
            active: Mutex::new(HashMap::new()),
            running: Mutex::new(false),
            sent: AtomicU64::new(0),
            subscribed: AtomicBool::new(false),
        }
    }
}

impl Feed {
    /// A receiver of every frame; starts the feed task if needed.
    pub(crate) fn receiver(&self, exchange: &Exchange) -> broadcast::Receiver<Arc<Frame>> {
        let rx = lock(&self.tx).subscribe();
        let mut running = lock(&self.running);
        if !*running {
            *running = true;
            let exchange = exchange.clone();
            tokio::spawn(async move { run(exchange).await });
        }
        rx
    }

    /// Frames kept for a connection that falls behind, from now on: a
    /// connection further behind is closed. The connections open now are
    /// closed (their channel ends).
    pub(crate) fn set_capacity(&self, frames: usize) {
        *lock(&self.tx) = broadcast::channel(frames.max(1)).0;
        self.capacity.store(frames.max(1), Ordering::Relaxed);
    }

    /// Whether the feed task runs (some stream connection is open).
    pub(crate) fn is_running(&self) -> bool {
        *lock(&self.running)
    }

    /// Whether the slowest connection is less than half the buffer behind:
    /// a `--speed max` replay applies its next batch only then, so nobody
    /// lags far enough to be closed as too slow.
    fn has_room(&self) -> bool {
        lock(&self.tx).len() <= self.capacity.load(Ordering::Relaxed) / 2
    }

    /// Recorded events per step of a `--speed max` replay: each gives a
    /// few frames at most (a trade on `@trade` and `@aggTrade`, a
    /// `@bookTicker`), so a step stays well within the half buffer left.
    fn pump_batch(&self) -> usize {
        (self.capacity.load(Ordering::Relaxed) / 16).clamp(1, crate::replay::PUMP_BATCH)
    }

    /// Counts a connection's interest in `name`.
    pub(crate) fn add(&self, name: &str) {
        self.subscribed.store(true, Ordering::Relaxed);
        *lock(&self.active).entry(name.to_owned()).or_default() += 1;
    }

    /// Drops a connection's interest in `name`.
    pub(crate) fn remove(&self, name: &str) {
        let mut active = lock(&self.active);
        if let Some(count) = active.get_mut(name) {
            *count -= 1;
            if *count == 0 {
                active.remove(name);
            }
        }
    }

    /// Whether any stream was ever subscribed.
    pub(crate) fn ever_subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// Frames published so far.
    pub(crate) fn frames_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn is_active(&self, name: &str) -> bool {
        lock(&self.active).contains_key(name)
    }

    fn active_names(&self) -> Vec<String> {
        lock(&self.active).keys().cloned().collect()
    }

    fn publish(&self, stream: &str, raw: String) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let _ = lock(&self.tx).send(Arc::new(Frame::new(Arc::from(stream), raw)));
    }

    /// Stops the task when nobody listens any more (under the same lock
    /// [`Feed::receiver`] takes, so a new listener always finds it running).
    fn stop_if_idle(&self) -> bool {
        let mut running = lock(&self.running);
        if lock(&self.tx).receiver_count() == 0 {
            *running = false;
            return true;
        }
        false
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Book {
    update_id: u64,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
}

#[derive(Default)]
struct State {
    /// `(symbol, fast)` → the book the last diff event described.
    books: HashMap<(String, bool), Book>,
    /// Last `(bid, bid qty, ask, ask qty)` sent per symbol on `bookTicker`.
    tops: HashMap<String, (Decimal, Decimal, Decimal, Decimal)>,
    /// Open time of the kline last sent per kline stream.
    klines: HashMap<String, i64>,
    /// Last `(close, volume, count)` sent per symbol on `!miniTicker@arr`.
    minis: HashMap<String, TickerSeen>,
    /// Same, per window, for `!ticker_<w>@arr`.
    rollings: HashMap<(i64, String), TickerSeen>,
}

/// What an all-market array last said about a symbol: `(last price,
/// volume, trade count)`; a row is sent again only when it changes.
type TickerSeen = (String, String, u64);

/// Which periodic streams are due on this 100 ms tick.
#[derive(Debug, Clone, Copy)]
struct Due {
    /// One-second streams (`@depth`, tickers, `@avgPrice`, `@referencePrice`, `@kline_1s`).
    second: bool,
    /// Klines of other intervals.
    two_seconds: bool,
}

/// What this tick's pass over the active streams asked for, beyond what it
/// published itself.
#[derive(Default)]
struct Wanted {
    books: HashSet<(String, bool)>,
    klines: HashSet<String>,
    all_minis: bool,
    all_rollings: Vec<(String, i64)>,
}

async fn run(exchange: Exchange) {
    // Catch the market up to now before listening: what it printed while
    // nobody listened (the task stops when idle) is history, not news, and
    // a new subscriber must not receive trades seconds old.
    drop(exchange.advance_engine());
    let mut events = exchange.market_events();
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut state = State::default();
    let mut tick: u64 = 0;
    // A `--speed max` replay is applied here, a batch at a time, as fast as
    // the slowest connection takes the frames (see `pump`).
    let mut pumping = exchange.replays_at_max();
    loop {
        tokio::select! {
            // The events of the last batch are published before the next.
            biased;
            event = events.recv() => match event {
                Ok(event) => on_event(&exchange, &mut state, event),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = interval.tick() => {
                let feed = exchange.live().feed();
                if feed.stop_if_idle() {
                    return;
                }
                // Moves the market to now; trades and book changes come back as events.
                drop(exchange.advance_engine());
                tick += 1;
                on_tick(&exchange, &mut state, tick);
                pumping = exchange.replays_at_max();
            }
            () = room(exchange.live().feed()), if pumping => {
                let batch = exchange.live().feed().pump_batch();
                match exchange.pump_replay(batch) {
                    // Nobody subscribed yet: the clock starts with the first one.
                    None => tokio::time::sleep(Duration::from_millis(1)).await,
                    // The end of the recording: look again on the next tick.
                    Some(0) => pumping = false,
                    // Requests and connections run between two batches.
                    Some(_) => tokio::task::yield_now().await,
                }
            }
        }
    }
}

/// Returns once the slowest stream connection is less than half the buffer
/// behind: the backpressure of a `--speed max` replay. Polled every
/// millisecond; the half buffer still queued keeps the connections busy
/// meanwhile.
async fn room(feed: &Feed) {
    while !feed.has_room() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn on_event(exchange: &Exchange, state: &mut State, event: MarketEvent) {
    let feed = exchange.live().feed();
    match event {
        MarketEvent::Trade { symbol, trade } => {
            let lower = symbol.to_ascii_lowercase();
            let now = exchange.now_ms();
            let name = format!("{lower}@trade");
            if feed.is_active(&name) {
                feed.publish(&name, to_json(&TradeEvent::new(&symbol, &trade, now)));
            }
            let name = format!("{lower}@aggTrade");
            if feed.is_active(&name) {
                feed.publish(&name, to_json(&AggTradeEvent::new(&symbol, &trade, now)));
            }
        }
        MarketEvent::BookChanged { symbol, .. } => {
            let name = format!("{}@bookTicker", symbol.to_ascii_lowercase());
            if feed.is_active(&name) {
                book_ticker(exchange, state, &symbol, &name);
            }
        }
    }
}

fn book_ticker(exchange: &Exchange, state: &mut State, symbol: &str, name: &str) {
    let engine = exchange.engine();
    let (Some(update_id), Some(((bid, bid_qty), (ask, ask_qty)))) = (
        engine.market().get(symbol).map(|market| market.update_id),
        engine.top_of_book(symbol),
    ) else {
        return;
    };
    drop(engine);
    let top = (bid, bid_qty, ask, ask_qty);
    if state.tops.get(symbol) == Some(&top) {
        return;
    }
    state.tops.insert(symbol.to_owned(), top);
    let event = BookTickerEvent {
        u: update_id,
        s: symbol,
        b: dec(bid),
        bid_qty: dec(bid_qty),
        a: dec(ask),
        ask_qty: dec(ask_qty),
    };
    exchange.live().feed().publish(name, to_json(&event));
}

/// The periodic streams, in three phases: each active stream that is due
/// publishes its payload; the all-market arrays are assembled once; state
/// kept for streams nobody listens to any more is dropped.
fn on_tick(exchange: &Exchange, state: &mut State, tick: u64) {
    let feed = exchange.live().feed();
    let names = feed.active_names();
    let due = Due {
        second: tick.is_multiple_of(10),
        two_seconds: tick.is_multiple_of(20),
    };
    let now = exchange.now_ms();
    let engine = exchange.engine();
    let mut wanted = Wanted::default();
    for name in &names {
        if let Some((lower, kind)) = parse_stream(name) {
            let symbol = lower.to_ascii_uppercase();
            let stream = Stream {
                name,
                symbol: &symbol,
                kind,
            };
            publish_due(feed, &engine, state, &mut wanted, &stream, due, now);
        }
    }
    publish_all_market(feed, &engine, state, &wanted, now);
    drop(engine);
    state.books.retain(|key, _| wanted.books.contains(key));
    state.klines.retain(|name, _| wanted.klines.contains(name));
    if !names.iter().any(|name| name == "!miniTicker@arr") {
        state.minis.clear();
    }
    state
        .tops
        .retain(|symbol, _| feed.is_active(&format!("{}@bookTicker", symbol.to_ascii_lowercase())));
}

/// One active stream, parsed.
struct Stream<'a> {
    name: &'a str,
    /// Uppercase, as the market lists it (empty for all-market streams).
    symbol: &'a str,
    kind: StreamName,
}

/// Publishes one stream's payload if it is due; notes what the
/// all-market phase and the state pruning need to know.
fn publish_due(
    feed: &Feed,
    engine: &Engine,
    state: &mut State,
    wanted: &mut Wanted,
    stream: &Stream<'_>,
    due: Due,
    now: i64,
) {
    let (name, symbol) = (stream.name, stream.symbol);
    let market = engine.market().get(symbol);
    match stream.kind {
        StreamName::DiffDepth { fast } => {
            if market.is_none() {
                return;
            }
            wanted.books.insert((symbol.to_owned(), fast));
            if fast || due.second {
                diff_depth(feed, engine, state, stream, fast, now);
            }
        }
        StreamName::PartialDepth { levels, fast } => {
            if !(fast || due.second) {
                return;
            }
            if let Some((update_id, bids, asks)) = engine.depth(symbol, levels) {
                let event = PartialDepth {
                    last_update_id: update_id,
                    bids: pairs(&bids),
                    asks: pairs(&asks),
                };
                feed.publish(name, to_json(&event));
            }
        }
        StreamName::Kline { interval, tz_ms } => {
            let Some(market) = market else { return };
            wanted.klines.insert(name.to_owned());
            let one_second = interval == Interval::Fixed(1000);
            if (one_second && due.second) || due.two_seconds {
                let text = kline_interval_text(name);
                for event in kline_events(state, name, market, interval, text, tz_ms, now) {
                    feed.publish(name, to_json(&event));
                }
            }
        }
        StreamName::Ticker if due.second => {
            let Some(market) = market else { return };
            let top = engine.top_of_book(symbol).unwrap_or_default();
            let ticker = wire::Ticker24h::new(market, top, now);
            feed.publish(name, to_json(&TickerEvent::new(ticker, now)));
        }
        StreamName::MiniTicker if due.second => {
            let Some(market) = market else { return };
            let ticker = wire::RollingTicker::new(market, now - wire::DAY_MS, now, true);
            feed.publish(name, to_json(&MiniTickerEvent::new(ticker, now)));
        }
        StreamName::AvgPrice if due.second => {
            let Some((price, time)) = engine.avg_price(symbol, now) else {
                return;
            };
            let event = AvgPriceEvent {
                e: "avgPrice",
                time: now,
                s: symbol,
                i: "5m",
                w: dec(price),
                trade_time: time,
            };
            feed.publish(name, to_json(&event));
        }
        StreamName::ReferencePrice if due.second => {
            let Some(reference) = engine.reference_price(symbol, now) else {
                return;
            };
            let event = ReferencePriceEvent {
                e: "referencePrice",
                s: symbol,
                r: reference.map(dec),
                t: now,
            };
            feed.publish(name, to_json(&event));
        }
        StreamName::RollingTicker { window_ms } if due.second => {
            let Some(market) = market else { return };
            feed.publish(name, to_json(&rolling(market, window_ms, now)));
        }
        StreamName::AllMiniTickers if due.second => wanted.all_minis = true,
        StreamName::AllRollingTickers { window_ms } if due.second => {
            wanted.all_rollings.push((name.to_owned(), window_ms));
        }
        _ => {}
    }
}

/// A diff-depth event with every level changed since the book this
/// stream last described (the first time, only remembers the book).
fn diff_depth(
    feed: &Feed,
    engine: &Engine,
    state: &mut State,
    stream: &Stream<'_>,
    fast: bool,
    now: i64,
) {
    let Some((update_id, bids, asks)) = engine.depth(stream.symbol, usize::MAX) else {
        return;
    };
    let book = Book {
        update_id,
        bids: bids.into_iter().collect(),
        asks: asks.into_iter().collect(),
    };
    let key = (stream.symbol.to_owned(), fast);
    match state.books.get(&key) {
        None => {
            state.books.insert(key, book);
        }
        Some(last) if last.update_id >= book.update_id => {}
        Some(last) => {
            let event = DepthUpdate {
                e: "depthUpdate",
                time: now,
                s: stream.symbol,
                first: last.update_id + 1,
                last: book.update_id,
                b: diff(&last.bids, &book.bids, true),
                a: diff(&last.asks, &book.asks, false),
            };
            feed.publish(stream.name, to_json(&event));
            state.books.insert(key, book);
        }
    }
}

/// `!miniTicker@arr` and `!ticker_<w>@arr`: the rows that changed since
/// the array was last sent.
fn publish_all_market(feed: &Feed, engine: &Engine, state: &mut State, wanted: &Wanted, now: i64) {
    let markets = engine.market().symbols();
    if wanted.all_minis {
        let mut rows = Vec::new();
        for market in markets {
            let row = wire::RollingTicker::new(market, now - wire::DAY_MS, now, true);
            let seen = (row.last_price.clone(), row.volume.clone(), row.count);
            if state.minis.get(market.spec.symbol) != Some(&seen) {
                state.minis.insert(market.spec.symbol.to_owned(), seen);
                rows.push(MiniTickerEvent::new(row, now));
            }
        }
        if !rows.is_empty() {
            feed.publish("!miniTicker@arr", to_json(&rows));
        }
    }
    for (name, window_ms) in &wanted.all_rollings {
        let mut rows = Vec::new();
        for market in markets {
            let row = rolling(market, *window_ms, now);
            let seen = (row.c.clone(), row.v.clone(), row.n);
            let key = (*window_ms, market.spec.symbol.to_owned());
            if state.rollings.get(&key) != Some(&seen) {
                state.rollings.insert(key, seen);
                rows.push(row);
            }
        }
        if !rows.is_empty() {
            feed.publish(name, to_json(&rows));
        }
    }
}

/// The levels of `new` that differ from `old`, quantity 0 for removed ones,
/// best first.
fn diff(
    old: &BTreeMap<Decimal, Decimal>,
    new: &BTreeMap<Decimal, Decimal>,
    bids: bool,
) -> Vec<[String; 2]> {
    let mut changed: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    for (price, qty) in new {
        if old.get(price) != Some(qty) {
            changed.insert(*price, *qty);
        }
    }
    for price in old.keys() {
        if !new.contains_key(price) {
            changed.insert(*price, Decimal::ZERO);
        }
    }
    let levels: Vec<(Decimal, Decimal)> = if bids {
        changed.into_iter().rev().collect()
    } else {
        changed.into_iter().collect()
    };
    pairs(&levels)
}

fn pairs(levels: &[(Decimal, Decimal)]) -> Vec<[String; 2]> {
    levels
        .iter()
        .map(|(price, qty)| [dec(*price), dec(*qty)])
        .collect()
}

fn kline_events(
    state: &mut State,
    name: &str,
    market: &SymbolMarket,
    interval: Interval,
    text: &str,
    tz_ms: i64,
    now: i64,
) -> Vec<KlineEvent> {
    let symbol = market.spec.symbol;
    let open = interval.open_of(now, tz_ms);
    let trades = market.trades();
    let mut out = Vec::new();
    if let Some(&previous) = state.klines.get(name)
        && previous < open
    {
        let kline = kline_at(trades, interval, previous, tz_ms);
        out.push(KlineEvent::new(symbol, text, kline, true, now));
    }
    state.klines.insert(name.to_owned(), open);
    out.push(KlineEvent::new(
        symbol,
        text,
        kline_at(trades, interval, open, tz_ms),
        false,
        now,
    ));
    out
}

/// The kline opening at `open`; an empty one at the last price if no
/// trade happened in it yet.
fn kline_at(trades: &[Trade], interval: Interval, open: i64, tz_ms: i64) -> KlineBody {
    let close_time = interval.next_open(open, tz_ms) - 1;
    let from = trades.partition_point(|t| t.time < open);
    let to = trades.partition_point(|t| t.time <= close_time);
    let within = trades.get(from..to).unwrap_or(&[]);
    let found = stats::klines(within, interval, Some(open), close_time, 1, tz_ms)
        .into_iter()
        .next();
    match (found, within.first(), within.last()) {
        (Some(k), Some(first), Some(last)) => KlineBody {
            t: k.open_time,
            close_time: k.close_time,
            first: first.id as i64,
            last: last.id as i64,
            o: dec(k.open),
            c: dec(k.close),
            h: dec(k.high),
            l: dec(k.low),
            v: dec(k.volume),
            n: k.count,
            q: dec(k.quote_volume),
            taker_base: dec(k.taker_buy_base),
            taker_quote: dec(k.taker_buy_quote),
        },
        _ => {
            let price = trades[..from].last().map(|t| t.price).unwrap_or_default();
            KlineBody {
                t: open,
                close_time,
                first: -1,
                last: -1,
                o: dec(price),
                c: dec(price),
                h: dec(price),
                l: dec(price),
                v: dec(Decimal::ZERO),
                n: 0,
                q: dec(Decimal::ZERO),
                taker_base: dec(Decimal::ZERO),
                taker_quote: dec(Decimal::ZERO),
            }
        }
    }
}

/// The `@ticker_<w>` payload over the window ending `now`, from the
/// minute the window starts in (as REST `ticker`).
fn rolling(market: &SymbolMarket, window_ms: i64, now: i64) -> RollingEvent {
    let from = (now - window_ms).div_euclid(60_000) * 60_000;
    let e = match window_ms {
        3_600_000 => "1hTicker",
        14_400_000 => "4hTicker",
        _ => "1dTicker",
    };
    RollingEvent::new(e, wire::RollingTicker::new(market, from, now, false), now)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

#[derive(Serialize)]
struct TradeEvent<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    t: u64,
    p: String,
    q: String,
    #[serde(rename = "T")]
    trade_time: i64,
    m: bool,
    #[serde(rename = "M")]
    ignore: bool,
}

impl<'a> TradeEvent<'a> {
    fn new(symbol: &'a str, trade: &Trade, now: i64) -> TradeEvent<'a> {
        TradeEvent {
            e: "trade",
            time: now,
            s: symbol,
            t: trade.id,
            p: dec(trade.price),
            q: dec(trade.qty),
            trade_time: trade.time,
            m: trade.is_buyer_maker,
            ignore: true,
        }
    }
}

#[derive(Serialize)]
struct AggTradeEvent<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    a: u64,
    p: String,
    q: String,
    f: u64,
    l: u64,
    #[serde(rename = "T")]
    trade_time: i64,
    m: bool,
    #[serde(rename = "M")]
    ignore: bool,
}

impl<'a> AggTradeEvent<'a> {
    /// Every sandbox trade is its own aggregate, as in REST `aggTrades`.
    fn new(symbol: &'a str, trade: &Trade, now: i64) -> AggTradeEvent<'a> {
        AggTradeEvent {
            e: "aggTrade",
            time: now,
            s: symbol,
            a: trade.id,
            p: dec(trade.price),
            q: dec(trade.qty),
            f: trade.id,
            l: trade.id,
            trade_time: trade.time,
            m: trade.is_buyer_maker,
            ignore: true,
        }
    }
}

#[derive(Serialize)]
struct BookTickerEvent<'a> {
    u: u64,
    s: &'a str,
    b: String,
    #[serde(rename = "B")]
    bid_qty: String,
    a: String,
    #[serde(rename = "A")]
    ask_qty: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialDepth {
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

#[derive(Serialize)]
struct DepthUpdate<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    #[serde(rename = "U")]
    first: u64,
    #[serde(rename = "u")]
    last: u64,
    b: Vec<[String; 2]>,
    a: Vec<[String; 2]>,
}

#[derive(Serialize)]
struct KlineEvent {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: String,
    k: KlineFields,
}

impl KlineEvent {
    fn new(symbol: &str, interval: &str, body: KlineBody, closed: bool, now: i64) -> KlineEvent {
        KlineEvent {
            e: "kline",
            time: now,
            s: symbol.to_owned(),
            k: KlineFields {
                t: body.t,
                close_time: body.close_time,
                s: symbol.to_owned(),
                i: interval.to_owned(),
                f: body.first,
                last: body.last,
                o: body.o,
                c: body.c,
                h: body.h,
                l: body.l,
                v: body.v,
                n: body.n,
                x: closed,
                q: body.q,
                taker_base: body.taker_base,
                taker_quote: body.taker_quote,
                ignore: "0",
            },
        }
    }
}

struct KlineBody {
    t: i64,
    close_time: i64,
    first: i64,
    last: i64,
    o: String,
    c: String,
    h: String,
    l: String,
    v: String,
    n: u64,
    q: String,
    taker_base: String,
    taker_quote: String,
}

#[derive(Serialize)]
struct KlineFields {
    t: i64,
    #[serde(rename = "T")]
    close_time: i64,
    s: String,
    i: String,
    f: i64,
    #[serde(rename = "L")]
    last: i64,
    o: String,
    c: String,
    h: String,
    l: String,
    v: String,
    n: u64,
    x: bool,
    q: String,
    #[serde(rename = "V")]
    taker_base: String,
    #[serde(rename = "Q")]
    taker_quote: String,
    #[serde(rename = "B")]
    ignore: &'static str,
}

/// `<symbol>@ticker`, letter for letter from the REST 24-hour ticker.
#[derive(Serialize)]
struct TickerEvent {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'static str,
    p: String,
    #[serde(rename = "P")]
    price_change_percent: String,
    w: String,
    x: String,
    c: String,
    #[serde(rename = "Q")]
    last_qty: String,
    b: String,
    #[serde(rename = "B")]
    bid_qty: String,
    a: String,
    #[serde(rename = "A")]
    ask_qty: String,
    o: String,
    h: String,
    l: String,
    v: String,
    q: String,
    #[serde(rename = "O")]
    open_time: i64,
    #[serde(rename = "C")]
    close_time: i64,
    #[serde(rename = "F")]
    first: i64,
    #[serde(rename = "L")]
    last: i64,
    n: u64,
}

impl TickerEvent {
    fn new(ticker: wire::Ticker24h, now: i64) -> TickerEvent {
        TickerEvent {
            e: "24hrTicker",
            time: now,
            s: ticker.symbol,
            p: ticker.price_change,
            price_change_percent: ticker.price_change_percent,
            w: ticker.weighted_avg_price,
            x: ticker.prev_close_price,
            c: ticker.last_price,
            last_qty: ticker.last_qty,
            b: ticker.bid_price,
            bid_qty: ticker.bid_qty,
            a: ticker.ask_price,
            ask_qty: ticker.ask_qty,
            o: ticker.open_price,
            h: ticker.high_price,
            l: ticker.low_price,
            v: ticker.volume,
            q: ticker.quote_volume,
            open_time: ticker.open_time,
            close_time: ticker.close_time,
            first: ticker.first_id,
            last: ticker.last_id,
            n: ticker.count,
        }
    }
}

/// `<symbol>@miniTicker` and the rows of `!miniTicker@arr`.
#[derive(Serialize)]
struct MiniTickerEvent {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'static str,
    c: String,
    o: String,
    h: String,
    l: String,
    v: String,
    q: String,
}

impl MiniTickerEvent {
    fn new(ticker: wire::RollingTicker, now: i64) -> MiniTickerEvent {
        MiniTickerEvent {
            e: "24hrMiniTicker",
            time: now,
            s: ticker.symbol,
            c: ticker.last_price,
            o: ticker.open_price,
            h: ticker.high_price,
            l: ticker.low_price,
            v: ticker.volume,
            q: ticker.quote_volume,
        }
    }
}

/// `<symbol>@ticker_<w>` and the rows of `!ticker_<w>@arr`.
#[derive(Serialize)]
struct RollingEvent {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'static str,
    p: String,
    #[serde(rename = "P")]
    price_change_percent: String,
    o: String,
    h: String,
    l: String,
    c: String,
    w: String,
    v: String,
    q: String,
    #[serde(rename = "O")]
    open_time: i64,
    #[serde(rename = "C")]
    close_time: i64,
    #[serde(rename = "F")]
    first: i64,
    #[serde(rename = "L")]
    last: i64,
    n: u64,
}

impl RollingEvent {
    fn new(e: &'static str, ticker: wire::RollingTicker, now: i64) -> RollingEvent {
        RollingEvent {
            e,
            time: now,
            s: ticker.symbol,
            p: ticker.price_change.unwrap_or_default(),
            price_change_percent: ticker.price_change_percent.unwrap_or_default(),
            o: ticker.open_price,
            h: ticker.high_price,
            l: ticker.low_price,
            c: ticker.last_price,
            w: ticker.weighted_avg_price.unwrap_or_default(),
            v: ticker.volume,
            q: ticker.quote_volume,
            open_time: ticker.open_time,
            close_time: ticker.close_time,
            first: ticker.first_id,
            last: ticker.last_id,
            n: ticker.count,
        }
    }
}

#[derive(Serialize)]
struct AvgPriceEvent<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    i: &'static str,
    w: String,
    #[serde(rename = "T")]
    trade_time: i64,
}

/// `<symbol>@referencePrice` (web-socket-streams.md): no event time;
/// `r` is `null` when there is no reference price.
#[derive(Serialize)]
struct ReferencePriceEvent<'a> {
    e: &'static str,
    s: &'a str,
    r: Option<String>,
    t: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn diff_lists_changed_and_removed_levels_best_first() {
        let old: BTreeMap<_, _> = [(d("1"), d("5")), (d("2"), d("1")), (d("3"), d("1"))].into();
        let new: BTreeMap<_, _> = [(d("1"), d("5")), (d("2"), d("2")), (d("4"), d("1"))].into();
        let bids = diff(&old, &new, true);
        let prices: Vec<&str> = bids.iter().map(|[p, _]| p.as_str()).collect();
        assert_eq!(prices, ["4.00000000", "3.00000000", "2.00000000"]);
        assert_eq!(bids[1][1], "0.00000000");
    }

    #[test]
    fn combined_text_wraps_the_payload() {
        let frame = Frame::new(Arc::from("btcusdt@trade"), "{\"e\":\"trade\"}".to_owned());
        assert_eq!(
            frame.text(false, TimeUnit::Millisecond).as_str(),
            "{\"e\":\"trade\"}"
        );
        assert_eq!(
            frame.text(true, TimeUnit::Millisecond).as_str(),
            "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\"}}"
        );
        let frame = Frame::new(Arc::from("x@trade"), "{\"e\":\"trade\",\"E\":5}".to_owned());
        assert_eq!(
            frame.text(true, TimeUnit::Microsecond).as_str(),
            "{\"stream\":\"x@trade\",\"data\":{\"e\":\"trade\",\"E\":5000}}"
        );
    }
}
