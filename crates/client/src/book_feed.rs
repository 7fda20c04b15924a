//! Local order books kept live: one per symbol, from the diff-depth stream
//! (`<symbol>@depth@100ms`) and REST depth snapshots, by Binance's "How to
//! manage a local order book correctly" procedure
//! (`web-socket-streams.md`), across reconnects and rotations.
//!
//! The procedure itself is the pure state machine
//! [`mbx_domain::order_book::BookSync`]; this module is its driver: it owns
//! the stream subscription and the snapshot requests, runs them side by
//! side (diffs keep being buffered while a snapshot is on its way), and
//! says what happened as typed [`BookItem`]s:
//!
//! - a [`BookView`] (top levels, last update ID, spread, mid, updates per
//!   second, resyncs) after every applied diff, or every
//!   [`Emit::Every`] interval; only ever of a live book: a book that is
//!   syncing, resyncing or was found crossed is never shown;
//! - a [`BookNotice`] for everything else: the connection's notices, the
//!   book going live, a gap or a crossed book (the book is dropped and
//!   resynchronised, counted in [`BookView::resyncs`]), a snapshot request
//!   that failed and is retried, and the periodic self-check against a
//!   fresh snapshot (levels within the snapshot's depth must agree; when
//!   they do not the book is rebuilt and the differences are reported).
//!
//! A reconnect needs nothing special: events missed while away show up as
//! a gap on the first diff of the new connection, which resynchronises the
//! book; the overlap of a rotation yields diffs the book already has, which
//! are ignored. A diff that could not be decoded (a raw item on a depth
//! stream) is a missed update too: the book starts over.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use mbx_domain::Error;
use mbx_domain::feed::{Notice, StreamItem};
use mbx_domain::model::{Depth, Level};
use mbx_domain::order_book::{
    BookSync, Desync, DiffOutcome, LevelDifference, SelfCheck, SnapshotOutcome,
};
use mbx_domain::ports::{MarketData, MarketStreamSource};
use mbx_domain::stream::MarketEvent;
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::time::Instant;

use crate::market_feed::Silence;
use crate::session::{Session, Wake};

/// The largest snapshot Binance serves (`limit=5000`, weight 250).
pub const MAX_SNAPSHOT_LIMIT: u32 = 5000;

/// How a [`follow`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookOptions {
    /// Levels per side in each [`BookView`].
    pub depth: usize,
    /// Levels per side asked of `GET /api/v3/depth` (at most 5000): the
    /// book is exact within them, and levels beyond them stay unknown
    /// until they change (the docs' note).
    pub snapshot_limit: u32,
    /// Check the book against a fresh snapshot this often (`None`: never).
    pub check_every: Option<Duration>,
    /// When views are emitted.
    pub emit: Emit,
}

impl Default for BookOptions {
    /// 10 levels per view, snapshots of 5000 levels, a self-check every
    /// minute, a view per applied diff.
    fn default() -> BookOptions {
        BookOptions {
            depth: 10,
            snapshot_limit: MAX_SNAPSHOT_LIMIT,
            check_every: Some(Duration::from_secs(60)),
            emit: Emit::EveryUpdate,
        }
    }
}

/// When [`BookView`]s are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// After every applied diff (and when a book goes live).
    EveryUpdate,
    /// Every so often, one view per live book.
    Every(Duration),
}

/// What [`follow`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BookItem {
    /// A live book's top levels.
    Update(BookView),
    /// Something the user may want to know (print it on stderr).
    Notice(BookNotice),
}

/// The top of a live book, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookView {
    /// The symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// The update ID the book reflects.
    pub last_update_id: u64,
    /// Best bids first, `["price","quantity"]` as in REST `depth`.
    pub bids: Vec<Level>,
    /// Best asks first.
    pub asks: Vec<Level>,
    /// Best ask minus best bid (`None` when a side is empty).
    pub spread: Option<Decimal>,
    /// The middle of the best bid and ask.
    pub mid: Option<Decimal>,
    /// Diffs applied per second, over the last few seconds.
    pub updates_per_second: f64,
    /// How many times the book was dropped and rebuilt (gaps, crossed
    /// books, undecodable diffs, failed self-checks).
    pub resyncs: u64,
}

/// What happened to a book or its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BookNotice {
    /// The stream connection's own notice (connected, disconnected,
    /// rotated, a frame skipped).
    Stream(Notice),
    /// A snapshot is being fetched to (re)build the book.
    Syncing {
        /// The symbol.
        symbol: String,
    },
    /// The book is live.
    Live {
        /// The symbol.
        symbol: String,
        /// Its update ID.
        update_id: u64,
    },
    /// The book was dropped and is being rebuilt from a snapshot.
    Resyncing {
        /// The symbol.
        symbol: String,
        /// Why: a gap, a crossed book, an invalid level, or
        /// [`Desync::Restarted`] after an undecodable diff.
        reason: Desync,
        /// Resyncs so far, this one included.
        resyncs: u64,
    },
    /// A snapshot request failed; it is tried again after `retry_in`.
    SnapshotFailed {
        /// The symbol.
        symbol: String,
        /// The error, as text.
        error: String,
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// The self-check found every level within the snapshot's depth equal.
    CheckAgreed {
        /// The symbol.
        symbol: String,
        /// The update ID at which both were compared.
        update_id: u64,
        /// Price levels compared.
        levels_compared: usize,
    },
    /// The self-check found levels that disagree: the book was rebuilt
    /// from the snapshot (a resync).
    CheckDisagreed {
        /// The symbol.
        symbol: String,
        /// The update ID at which both were compared.
        update_id: u64,
        /// Where the local book was wrong.
        differences: Vec<LevelDifference>,
        /// Resyncs so far, this one included.
        resyncs: u64,
    },
}

/// The diff-depth stream a book of `symbol` follows.
pub fn depth_stream(symbol: &str) -> String {
    format!("{}@depth@100ms", symbol.to_ascii_lowercase())
}

/// Keeps a book per symbol of `symbols` live until the session ends (each
/// [`BookItem::Update`] counts one) or `sink` breaks.
///
/// The symbols are checked in `market`'s `exchangeInfo` first (an unknown
/// one is an error, where its stream would only be silent). Snapshots
/// come from `market` (`GET /api/v3/depth`); a failed one is
/// retried with backoff when the error is retryable, and ends the feed
/// with that error otherwise (an unknown symbol, for one). A depth stream
/// silent for twice its documented interval (at least 5 s) yields a
/// [`Notice::Silent`], once per silence,
/// as [`market_feed::follow`](crate::market_feed::follow) does.
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use mbx_client::book_feed::{follow, BookItem, BookOptions};
/// use mbx_client::session::{Limits, Session};
/// # async fn run(streams: &dyn mbx_domain::ports::MarketStreamSource, rest: &dyn mbx_domain::ports::MarketData) -> Result<(), mbx_domain::Error> {
/// let mut session = Session::new(Limits { count: Some(1), duration: None }, std::future::pending());
/// follow(streams, rest, &["BTCUSDT".to_owned()], &BookOptions::default(), &mut session, |item| {
///     if let BookItem::Update(view) = item {
///         println!("{} bid {:?} ask {:?}", view.last_update_id, view.bids.first(), view.asks.first());
///     }
///     ControlFlow::Continue(())
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
pub async fn follow(
    streams: &dyn MarketStreamSource,
    market: &dyn MarketData,
    symbols: &[String],
    options: &BookOptions,
    session: &mut Session,
    sink: impl FnMut(BookItem) -> ControlFlow<()>,
) -> Result<(), Error> {
    if symbols.is_empty() {
        return Err(Error::invalid("no symbol to keep a book of"));
    }
    // An unknown symbol's stream is silent, not an error: ask first.
    let upper: Vec<String> = symbols.iter().map(|s| s.to_ascii_uppercase()).collect();
    let info = market.exchange_info(&upper).await?;
    if let Some(missing) = upper.iter().find(|symbol| info.symbol(symbol).is_none()) {
        return Err(Error::invalid_with_hint(
            format!("{missing} is not listed in exchangeInfo"),
            "check the symbol, e.g. BTCUSDT",
        ));
    }
    let names: Vec<String> = symbols.iter().map(|symbol| depth_stream(symbol)).collect();
    let mut feed = streams.subscribe(&names).await?;
    let mut driver = Driver::new(symbols, options, sink);
    // As for `mbx stream`: a depth stream silent for long is said once.
    let mut silence = Silence::new(&names, Instant::now());
    let mut fetches: FuturesUnordered<Fetch<'_>> = FuturesUnordered::new();
    let now = Instant::now();
    let mut next_check = options.check_every.map(|every| now + every);
    let mut next_emit = match options.emit {
        Emit::Every(every) => Some(now + every),
        Emit::EveryUpdate => None,
    };
    while !driver.stopped {
        let timer = [next_check, next_emit, silence.next_due()]
            .into_iter()
            .flatten()
            .min();
        let wake = tokio::select! {
            Some(fetched) = fetches.next(), if !fetches.is_empty() => Step::Fetched(fetched),
            wake = session.wait(&mut feed, timer) => Step::Wake(wake),
        };
        match wake {
            Step::Fetched(fetched) => driver.on_fetched(fetched, session)?,
            Step::Wake(Wake::Item(Some(item))) => {
                let stream = match &item {
                    StreamItem::Event { stream, .. } => Some(stream.as_deref()),
                    StreamItem::Raw(raw) => Some(raw.stream.as_deref()),
                    StreamItem::Frame(frame) => Some(frame.stream.as_deref()),
                    _ => None,
                };
                if let Some(stream) = stream {
                    silence.heard(stream, Instant::now());
                }
                driver.on_item(item, session);
            }
            Step::Wake(Wake::Item(None) | Wake::Done) => break,
            Step::Wake(Wake::Timer) => {
                let now = Instant::now();
                for notice in silence.due(now) {
                    driver.notice(BookNotice::Stream(notice));
                }
                if let Some(at) = next_check.filter(|at| *at <= now) {
                    driver.start_checks();
                    next_check = options.check_every.map(|every| at.max(now) + every);
                }
                if let Some(at) = next_emit.filter(|at| *at <= now) {
                    driver.emit_all(session);
                    if let Emit::Every(every) = options.emit {
                        next_emit = Some(at.max(now) + every);
                    }
                }
            }
        }
        for request in driver.requests.drain(..) {
            fetches.push(fetch(market, request, options.snapshot_limit));
        }
    }
    Ok(())
}

/// What woke the loop.
enum Step {
    Fetched(Fetched),
    Wake(Wake<StreamItem>),
}

/// Why a snapshot is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// To build the book.
    Sync,
    /// To check the live book.
    Check,
}

/// A snapshot to fetch, after a delay.
#[derive(Debug)]
struct Request {
    symbol: String,
    purpose: Purpose,
    delay: Duration,
}

/// A fetched snapshot, or why not.
struct Fetched {
    symbol: String,
    purpose: Purpose,
    result: Result<Depth, Error>,
}

type Fetch<'a> = Pin<Box<dyn Future<Output = Fetched> + Send + 'a>>;

fn fetch(market: &dyn MarketData, request: Request, limit: u32) -> Fetch<'_> {
    Box::pin(async move {
        if !request.delay.is_zero() {
            tokio::time::sleep(request.delay).await;
        }
        let result = market.depth(&request.symbol, Some(limit)).await;
        Fetched {
            symbol: request.symbol,
            purpose: request.purpose,
            result,
        }
    })
}

/// The first wait after a failed snapshot request, doubled up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(10);
/// A snapshot older than the buffered diffs: the REST answer lags the
/// stream; ask again shortly (then less and less often).
const TOO_OLD_RETRY: Duration = Duration::from_millis(200);
/// The updates-per-second figure looks this far back.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// One symbol's book and its bookkeeping.
struct Book {
    sync: BookSync,
    resyncs: u64,
    /// A snapshot to build the book is requested or on its way.
    syncing: bool,
    /// A self-check snapshot is on its way.
    checking: bool,
    retry: Duration,
    /// The wait before asking again after a snapshot older than the
    /// buffered diffs, doubled up to [`MAX_RETRY`].
    too_old: Duration,
    /// When diffs were applied, within [`RATE_WINDOW`].
    applied: VecDeque<Instant>,
    started: Instant,
}

impl Book {
    fn updates_per_second(&mut self, now: Instant) -> f64 {
        while self
            .applied
            .front()
            .is_some_and(|at| now.duration_since(*at) > RATE_WINDOW)
        {
            self.applied.pop_front();
        }
        let window = now.duration_since(self.started).min(RATE_WINDOW);
        let seconds = window.as_secs_f64().max(1.0);
        // Counts are small: no precision is lost.
        #[allow(clippy::cast_precision_loss)]
        let count = self.applied.len() as f64;
        count / seconds
    }
}

struct Driver<F> {
    books: HashMap<String, Book>,
    /// The symbols in the caller's order, for [`Driver::emit_all`].
    order: Vec<String>,
    depth: usize,
    emit_every_update: bool,
    sink: F,
    stopped: bool,
    requests: Vec<Request>,
}

impl<F: FnMut(BookItem) -> ControlFlow<()>> Driver<F> {
    fn new(symbols: &[String], options: &BookOptions, sink: F) -> Driver<F> {
        let now = Instant::now();
        let order: Vec<String> = symbols.iter().map(|s| s.to_ascii_uppercase()).collect();
        let books = order
            .iter()
            .map(|symbol| {
                let book = Book {
                    sync: BookSync::new(symbol.clone()),
                    resyncs: 0,
                    syncing: false,
                    checking: false,
                    retry: FIRST_RETRY,
                    too_old: TOO_OLD_RETRY,
                    applied: VecDeque::new(),
                    started: now,
                };
                (symbol.clone(), book)
            })
            .collect();
        Driver {
            books,
            order,
            depth: options.depth,
            emit_every_update: options.emit == Emit::EveryUpdate,
            sink,
            stopped: false,
            requests: Vec::new(),
        }
    }

    fn send(&mut self, item: BookItem) {
        if !self.stopped && (self.sink)(item).is_break() {
            self.stopped = true;
        }
    }

    fn notice(&mut self, notice: BookNotice) {
        self.send(BookItem::Notice(notice));
    }

    /// Emits the view of `symbol`'s book if it is live.
    fn emit(&mut self, symbol: &str, session: &mut Session) {
        let depth = self.depth;
        let Some(book) = self.books.get_mut(symbol) else {
            return;
        };
        let updates_per_second = book.updates_per_second(Instant::now());
        let resyncs = book.resyncs;
        let Some(live) = book.sync.book() else {
            return;
        };
        let top = live.top(depth);
        let view = BookView {
            symbol: symbol.to_owned(),
            last_update_id: top.last_update_id,
            bids: top.bids,
            asks: top.asks,
            spread: live.spread(),
            mid: live.mid_price(),
            updates_per_second,
            resyncs,
        };
        if session.is_done() {
            self.stopped = true;
            return;
        }
        session.count(1);
        self.send(BookItem::Update(view));
    }

    fn emit_all(&mut self, session: &mut Session) {
        for symbol in self.order.clone() {
            self.emit(&symbol, session);
        }
    }

    /// Asks for a snapshot to build `symbol`'s book, unless one is coming.
    fn request_sync(&mut self, symbol: &str, delay: Duration) {
        let Some(book) = self.books.get_mut(symbol) else {
            return;
        };
        if book.syncing {
            return;
        }
        book.syncing = true;
        self.requests.push(Request {
            symbol: symbol.to_owned(),
            purpose: Purpose::Sync,
            delay,
        });
        self.notice(BookNotice::Syncing {
            symbol: symbol.to_owned(),
        });
    }

    /// The book was dropped: count it, say why, fetch a snapshot.
    fn resync(&mut self, symbol: &str, reason: Desync) {
        let Some(book) = self.books.get_mut(symbol) else {
            return;
        };
        book.resyncs += 1;
        let resyncs = book.resyncs;
        self.notice(BookNotice::Resyncing {
            symbol: symbol.to_owned(),
            reason,
            resyncs,
        });
        self.request_sync(symbol, Duration::ZERO);
    }

    fn on_item(&mut self, item: StreamItem, session: &mut Session) {
        match item {
            StreamItem::Event {
                event: MarketEvent::DepthUpdate(update),
                ..
            } => {
                let symbol = update.symbol.to_ascii_uppercase();
                let Some(book) = self.books.get_mut(&symbol) else {
                    return;
                };
                match book.sync.on_diff(update) {
                    DiffOutcome::Applied { self_check, .. } => {
                        book.applied.push_back(Instant::now());
                        if let Some(check) = self_check {
                            self.on_check(&symbol, check);
                        }
                        if self.emit_every_update {
                            self.emit(&symbol, session);
                        }
                    }
                    DiffOutcome::Buffered {
                        fetch_snapshot: true,
                    } => self.request_sync(&symbol, Duration::ZERO),
                    DiffOutcome::Desynced { reason } => self.resync(&symbol, reason),
                    _ => {}
                }
            }
            StreamItem::Raw(raw) => {
                // A diff that did not decode is an update the book misses.
                let symbol = raw
                    .stream
                    .as_deref()
                    .and_then(|stream| stream.split_once('@'))
                    .map(|(symbol, _)| symbol.to_ascii_uppercase());
                if let Some(symbol) = symbol.filter(|symbol| self.books.contains_key(symbol)) {
                    if let Some(book) = self.books.get_mut(&symbol) {
                        book.sync.restart();
                    }
                    self.resync(&symbol, Desync::Restarted);
                }
            }
            StreamItem::Notice(notice) => self.notice(BookNotice::Stream(notice)),
            _ => {}
        }
    }

    fn on_fetched(&mut self, fetched: Fetched, session: &mut Session) -> Result<(), Error> {
        let symbol = fetched.symbol;
        let Some(book) = self.books.get_mut(&symbol) else {
            return Ok(());
        };
        match fetched.purpose {
            Purpose::Sync => book.syncing = false,
            Purpose::Check => book.checking = false,
        }
        let depth = match fetched.result {
            Ok(depth) => depth,
            Err(err) if !err.is_retryable() => return Err(err),
            Err(err) => {
                if fetched.purpose == Purpose::Check {
                    // The book is still live; the next check tries again.
                    return Ok(());
                }
                let wait = match &err {
                    Error::Throttled { wait_ms, .. } => {
                        Duration::from_millis(u64::try_from(*wait_ms).unwrap_or(0))
                    }
                    _ => Duration::ZERO,
                };
                let retry_in = book.retry.max(wait);
                book.retry = (book.retry * 2).min(MAX_RETRY);
                self.notice(BookNotice::SnapshotFailed {
                    symbol: symbol.clone(),
                    error: err.to_string(),
                    retry_in,
                });
                self.request_sync(&symbol, retry_in);
                return Ok(());
            }
        };
        match fetched.purpose {
            Purpose::Sync => match book.sync.on_snapshot(&depth) {
                SnapshotOutcome::Live { update_id, .. } => {
                    book.retry = FIRST_RETRY;
                    book.too_old = TOO_OLD_RETRY;
                    self.notice(BookNotice::Live {
                        symbol: symbol.clone(),
                        update_id,
                    });
                    if self.emit_every_update {
                        self.emit(&symbol, session);
                    }
                }
                SnapshotOutcome::TooOld { .. } => {
                    // Each snapshot weighs 250: wait longer each time the
                    // REST answer lags the stream.
                    let delay = book.too_old;
                    book.too_old = (book.too_old * 2).min(MAX_RETRY);
                    self.request_sync(&symbol, delay);
                }
                SnapshotOutcome::Desynced(reason) => {
                    self.resync(&symbol, reason);
                }
                _ => {}
            },
            Purpose::Check => {
                let check = book.sync.check(&depth);
                self.on_check(&symbol, check);
            }
        }
        Ok(())
    }

    fn on_check(&mut self, symbol: &str, check: SelfCheck) {
        match check {
            SelfCheck::Agrees {
                update_id,
                levels_compared,
            } => self.notice(BookNotice::CheckAgreed {
                symbol: symbol.to_owned(),
                update_id,
                levels_compared,
            }),
            SelfCheck::Repaired {
                update_id,
                differences,
            } => {
                let Some(book) = self.books.get_mut(symbol) else {
                    return;
                };
                book.resyncs += 1;
                let resyncs = book.resyncs;
                self.notice(BookNotice::CheckDisagreed {
                    symbol: symbol.to_owned(),
                    update_id,
                    differences,
                    resyncs,
                });
            }
            SelfCheck::Desynced(reason) => self.resync(symbol, reason),
            _ => {}
        }
    }

    /// Asks for a self-check snapshot of every live book.
    fn start_checks(&mut self) {
        for symbol in &self.order {
            if let Some(book) = self.books.get_mut(symbol)
                && book.sync.book().is_some()
                && !book.checking
            {
                book.checking = true;
                self.requests.push(Request {
                    symbol: symbol.clone(),
                    purpose: Purpose::Check,
                    delay: Duration::ZERO,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use mbx_domain::feed::RawEvent;
    use mbx_domain::ports::{MockMarketData, MockMarketStreamSource};
    use mbx_domain::stream::{DepthUpdate, Level as DiffLevel};
    use tokio::sync::mpsc;

    use super::*;
    use crate::session::Limits;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn diff(first: u64, last: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> StreamItem {
        let levels = |side: &[(&str, &str)]| {
            side.iter()
                .map(|(price, quantity)| DiffLevel {
                    price: d(price),
                    quantity: d(quantity),
                })
                .collect()
        };
        StreamItem::Event {
            stream: Some("btcusdt@depth@100ms".into()),
            event: MarketEvent::DepthUpdate(DepthUpdate {
                event_time: 1,
                symbol: "BTCUSDT".into(),
                first_update_id: first,
                final_update_id: last,
                bids: levels(bids),
                asks: levels(asks),
            }),
        }
    }

    fn snapshot(last_update_id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
        let levels = |side: &[(&str, &str)]| {
            side.iter()
                .map(|(price, quantity)| Level(d(price), d(quantity)))
                .collect()
        };
        Depth {
            last_update_id,
            bids: levels(bids),
            asks: levels(asks),
        }
    }

    /// The stream side of a test: diffs in, book items out.
    struct Harness {
        diffs: mpsc::UnboundedSender<StreamItem>,
        items: mpsc::UnboundedReceiver<BookItem>,
        seen: Vec<BookItem>,
    }

    impl Harness {
        fn send(&self, item: StreamItem) {
            self.diffs.send(item).unwrap();
        }

        /// Items until one matches; every item is kept in `seen`.
        async fn until(&mut self, wanted: impl Fn(&BookItem) -> bool) -> BookItem {
            loop {
                let item = self.items.recv().await.expect("the driver goes on");
                self.seen.push(item.clone());
                if wanted(&item) {
                    return item;
                }
            }
        }

        async fn update(&mut self, update_id: u64) -> BookView {
            match self
                .until(|item| matches!(item, BookItem::Update(view) if view.last_update_id == update_id))
                .await
            {
                BookItem::Update(view) => view,
                BookItem::Notice(_) => unreachable!(),
            }
        }

        fn updates(&self) -> Vec<&BookView> {
            self.seen
                .iter()
                .filter_map(|item| match item {
                    BookItem::Update(view) => Some(view),
                    BookItem::Notice(_) => None,
                })
                .collect()
        }
    }

    /// Runs the driver over a mocked stream and a mocked REST `depth` that
    /// answers `snapshots` in order, alongside `script`. Returns the
    /// driver's result if it ended before the script.
    async fn with_driver<Fut>(
        snapshots: Vec<Result<Depth, Error>>,
        options: BookOptions,
        script: impl FnOnce(Harness) -> Fut,
    ) -> Option<Result<(), Error>>
    where
        Fut: Future<Output = ()>,
    {
        with_driver_limited(snapshots, options, Limits::default(), script).await
    }

    async fn with_driver_limited<Fut>(
        snapshots: Vec<Result<Depth, Error>>,
        options: BookOptions,
        limits: Limits,
        script: impl FnOnce(Harness) -> Fut,
    ) -> Option<Result<(), Error>>
    where
        Fut: Future<Output = ()>,
    {
        let (diffs, feed) = mpsc::unbounded_channel::<StreamItem>();
        let feed = Mutex::new(Some(feed));
        let mut source = MockMarketStreamSource::new();
        source
            .expect_subscribe()
            .times(1)
            .returning(move |streams| {
                assert_eq!(streams, ["btcusdt@depth@100ms"]);
                let mut feed = feed.lock().unwrap().take().unwrap();
                Ok(Box::pin(futures_util::stream::poll_fn(move |cx| {
                    feed.poll_recv(cx)
                })))
            });
        let queue = Arc::new(Mutex::new(VecDeque::from(snapshots)));
        let mut market = MockMarketData::new();
        market.expect_exchange_info().times(1).returning(|symbols| {
            assert_eq!(symbols, ["BTCUSDT"]);
            Ok(listing("BTCUSDT"))
        });
        market.expect_depth().returning(move |symbol, limit| {
            assert_eq!((symbol, limit), ("BTCUSDT", Some(MAX_SNAPSHOT_LIMIT)));
            queue
                .lock()
                .unwrap()
                .pop_front()
                .expect("a snapshot to answer")
        });
        let (out, items) = mpsc::unbounded_channel();
        let mut session = Session::new(limits, std::future::pending());
        let symbols = ["btcusdt".to_owned()];
        let driver = follow(&source, &market, &symbols, &options, &mut session, |item| {
            let _ = out.send(item);
            ControlFlow::Continue(())
        });
        let harness = Harness {
            diffs,
            items,
            seen: Vec::new(),
        };
        tokio::select! {
            res = driver => Some(res),
            () = script(harness) => None,
        }
    }

    fn listing(symbol: &str) -> mbx_domain::model::ExchangeInfo {
        let json = format!(
            r#"{{"serverTime":0,"symbols":[{{"symbol":"{symbol}","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT"}}]}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[tokio::test]
    async fn an_unlisted_symbol_is_an_error_before_any_stream() {
        let source = MockMarketStreamSource::new();
        let mut market = MockMarketData::new();
        market
            .expect_exchange_info()
            .returning(|_| Ok(listing("ETHUSDT")));
        let mut session = Session::unbounded();
        let err = follow(
            &source,
            &market,
            &["BTCUSDT".into()],
            &no_checks(),
            &mut session,
            |_| ControlFlow::Continue(()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "BTCUSDT is not listed in exchangeInfo");
    }

    fn no_checks() -> BookOptions {
        BookOptions {
            check_every: None,
            ..BookOptions::default()
        }
    }

    fn book_100() -> Depth {
        snapshot(
            100,
            &[("10.0", "1"), ("9.9", "2")],
            &[("10.2", "3"), ("10.3", "4")],
        )
    }

    #[tokio::test(start_paused = true)]
    async fn the_book_goes_live_from_a_snapshot_and_the_buffered_diffs() {
        let res = with_driver(vec![Ok(book_100())], no_checks(), |mut h| async move {
            // Buffered before the snapshot: the first is in it, the second straddles it.
            h.send(diff(95, 100, &[("9.8", "5")], &[]));
            h.send(diff(100, 101, &[("10.0", "1.5")], &[]));
            let live = h
                .until(|item| matches!(item, BookItem::Notice(BookNotice::Live { .. })))
                .await;
            // At 100 or 101: the second diff may come before or after the snapshot.
            assert!(
                matches!(&live, BookItem::Notice(BookNotice::Live { symbol, update_id: 100 | 101 }) if symbol == "BTCUSDT"),
                "{live:?}"
            );
            let view = h.update(101).await;
            assert_eq!(view.bids, [Level(d("10.0"), d("1.5")), Level(d("9.9"), d("2"))]);
            assert_eq!(view.spread, Some(d("0.2")));
            assert_eq!(view.mid, Some(d("10.1")));
            // A zero removes a level; a new best ask narrows the spread.
            h.send(diff(102, 102, &[("10.0", "0")], &[("10.1", "7")]));
            let view = h.update(102).await;
            assert_eq!(view.bids, [Level(d("9.9"), d("2"))]);
            assert_eq!(view.asks[0], Level(d("10.1"), d("7")));
            assert_eq!(view.spread, Some(d("0.2")));
            assert_eq!(view.resyncs, 0);
            assert!(view.updates_per_second > 0.0);
        })
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_drops_the_book_and_resyncs_from_a_new_snapshot() {
        let after_gap = snapshot(106, &[("9.0", "1")], &[("11.0", "1")]);
        let res = with_driver(
            vec![Ok(book_100()), Ok(after_gap)],
            no_checks(),
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.update(101).await;
                // 102..104 never came.
                h.send(diff(105, 106, &[("9.5", "1")], &[]));
                let resync = h
                    .until(|item| matches!(item, BookItem::Notice(BookNotice::Resyncing { .. })))
                    .await;
                assert!(
                    matches!(
                        &resync,
                        BookItem::Notice(BookNotice::Resyncing {
                            reason: Desync::Gap {
                                expected: 102,
                                first_update_id: 105
                            },
                            resyncs: 1,
                            ..
                        })
                    ),
                    "{resync:?}"
                );
                // The book is the new snapshot's; the diff it already had is dropped.
                let view = h.update(106).await;
                assert_eq!(view.bids, [Level(d("9.0"), d("1"))]);
                assert_eq!(view.resyncs, 1);
                h.send(diff(107, 107, &[("9.1", "2")], &[]));
                assert_eq!(h.update(107).await.bids[0], Level(d("9.1"), d("2")));
                // Nothing between 101 and 106 was shown.
                let shown: Vec<u64> = h.updates().iter().map(|view| view.last_update_id).collect();
                assert_eq!(shown, [101, 106, 107]);
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_crossed_book_is_never_shown() {
        let fresh = snapshot(103, &[("10.0", "1")], &[("10.2", "1")]);
        let res = with_driver(
            vec![Ok(book_100()), Ok(fresh)],
            no_checks(),
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.update(101).await;
                // A bid above the best ask: crossed.
                h.send(diff(102, 102, &[("10.5", "1")], &[]));
                let resync = h
                    .until(|item| matches!(item, BookItem::Notice(BookNotice::Resyncing { .. })))
                    .await;
                assert!(
                    matches!(
                        resync,
                        BookItem::Notice(BookNotice::Resyncing {
                            reason: Desync::Crossed { update_id: 102, .. },
                            ..
                        })
                    ),
                    "{resync:?}"
                );
                h.send(diff(103, 103, &[], &[]));
                let view = h.update(103).await;
                assert_eq!(view.bids, [Level(d("10.0"), d("1"))]);
                assert!(h.updates().iter().all(|view| view.last_update_id != 102));
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_older_than_the_buffered_diffs_is_fetched_again() {
        let old = snapshot(50, &[("1", "1")], &[("2", "1")]);
        let res = with_driver(
            vec![Ok(old), Ok(book_100())],
            no_checks(),
            |mut h| async move {
                h.send(diff(100, 100, &[], &[]));
                h.send(diff(101, 101, &[("9.9", "3")], &[]));
                let view = h.update(101).await;
                assert_eq!(view.bids[1], Level(d("9.9"), d("3")));
                assert_eq!(view.resyncs, 0);
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_snapshot_is_retried_and_a_hopeless_one_ends_the_feed() {
        let flaky = Error::Decode {
            endpoint: "GET /api/v3/depth".into(),
            reason: "truncated".into(),
        };
        let res = with_driver(
            vec![Err(flaky), Ok(book_100())],
            no_checks(),
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                let failed = h
                    .until(|item| matches!(item, BookItem::Notice(BookNotice::SnapshotFailed { .. })))
                    .await;
                assert!(matches!(failed, BookItem::Notice(BookNotice::SnapshotFailed { retry_in, .. }) if !retry_in.is_zero()));
                h.update(101).await;
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");

        let res = with_driver(
            vec![Err(Error::invalid("Invalid symbol."))],
            no_checks(),
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.until(|_| false).await;
            },
        )
        .await;
        let err = res.expect("the driver ended").unwrap_err();
        assert_eq!(err.to_string(), "Invalid symbol.");
    }

    #[tokio::test(start_paused = true)]
    async fn the_self_check_reports_agreement_and_repairs_a_wrong_book() {
        let options = BookOptions {
            check_every: Some(Duration::from_secs(30)),
            ..BookOptions::default()
        };
        // The check snapshots: first equal to the book at 101, then one
        // that says the book at 102 has a level it lacks.
        let at_101 = snapshot(
            101,
            &[("10.0", "1"), ("9.9", "2")],
            &[("10.2", "3"), ("10.3", "4")],
        );
        let at_102 = snapshot(
            102,
            &[("10.0", "1"), ("9.95", "8"), ("9.9", "2")],
            &[("10.2", "3"), ("10.3", "4")],
        );
        let res = with_driver(
            vec![Ok(book_100()), Ok(at_101), Ok(at_102)],
            options,
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.update(101).await;
                let agreed = h
                    .until(|item| matches!(item, BookItem::Notice(BookNotice::CheckAgreed { .. })))
                    .await;
                assert!(matches!(
                    agreed,
                    BookItem::Notice(BookNotice::CheckAgreed {
                        update_id: 101,
                        levels_compared: 4,
                        ..
                    })
                ));
                h.send(diff(102, 102, &[], &[]));
                h.update(102).await;
                let disagreed = h
                    .until(|item| {
                        matches!(item, BookItem::Notice(BookNotice::CheckDisagreed { .. }))
                    })
                    .await;
                let BookItem::Notice(BookNotice::CheckDisagreed {
                    differences,
                    resyncs,
                    ..
                }) = disagreed
                else {
                    unreachable!()
                };
                assert_eq!(resyncs, 1);
                assert_eq!(differences.len(), 1);
                assert_eq!(differences[0].price, d("9.95"));
                assert_eq!(differences[0].local, None);
                // The next view shows the repaired book.
                h.send(diff(103, 103, &[], &[]));
                let view = h.update(103).await;
                assert_eq!(view.bids[1], Level(d("9.95"), d("8")));
                assert_eq!(view.resyncs, 1);
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_undecodable_diff_restarts_the_book() {
        let fresh = snapshot(105, &[("10.0", "1")], &[("10.2", "1")]);
        let res = with_driver(
            vec![Ok(book_100()), Ok(fresh)],
            no_checks(),
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.update(101).await;
                h.send(StreamItem::Raw(RawEvent {
                    stream: Some("btcusdt@depth@100ms".into()),
                    payload: "{\"e\":\"depthUpdate\",\"U\":".into(),
                    error: Some("EOF".into()),
                }));
                let resync = h
                    .until(|item| matches!(item, BookItem::Notice(BookNotice::Resyncing { .. })))
                    .await;
                assert!(matches!(
                    resync,
                    BookItem::Notice(BookNotice::Resyncing {
                        reason: Desync::Restarted,
                        resyncs: 1,
                        ..
                    })
                ));
                h.send(diff(104, 105, &[], &[]));
                assert_eq!(h.update(105).await.resyncs, 1);
            },
        )
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn with_an_interval_views_come_on_the_clock_and_notices_pass_through() {
        let options = BookOptions {
            check_every: None,
            emit: Emit::Every(Duration::from_secs(1)),
            ..BookOptions::default()
        };
        let res = with_driver(vec![Ok(book_100())], options, |mut h| async move {
            h.send(StreamItem::Notice(Notice::Connected {
                connection: 0,
                streams: 1,
            }));
            h.send(diff(101, 101, &[], &[]));
            h.send(diff(102, 102, &[], &[]));
            h.send(diff(103, 103, &[], &[]));
            h.until(|item| matches!(item, BookItem::Update(_))).await;
            assert!(
                h.seen
                    .contains(&BookItem::Notice(BookNotice::Stream(Notice::Connected {
                        connection: 0,
                        streams: 1
                    })))
            );
            // The first view on the clock is of the whole book so far: no view per diff.
            assert_eq!(h.updates().len(), 1);
            assert_eq!(h.updates()[0].last_update_id, 103);
        })
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_depth_stream_is_said_once() {
        let res = with_driver(vec![Ok(book_100())], no_checks(), |mut h| async move {
            h.send(diff(101, 101, &[], &[]));
            h.update(101).await;
            let silent = |item: &BookItem| {
                matches!(
                    item,
                    BookItem::Notice(BookNotice::Stream(Notice::Silent { .. }))
                )
            };
            // Paused time: the driver's timer fires as soon as all wait.
            let item = tokio::time::timeout(Duration::from_secs(3600), h.until(silent))
                .await
                .expect("a silence notice");
            match item {
                BookItem::Notice(BookNotice::Stream(Notice::Silent { stream, .. })) => {
                    assert_eq!(stream, "btcusdt@depth@100ms");
                }
                other => panic!("{other:?}"),
            }
            // Once per silence; a new diff ends it and the book goes on.
            let again = tokio::time::timeout(Duration::from_secs(3600), h.until(silent)).await;
            assert!(again.is_err(), "said twice: {again:?}");
            h.send(diff(102, 102, &[], &[]));
            h.update(102).await;
        })
        .await;
        assert!(res.is_none(), "{res:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_session_counts_views_and_ends_the_feed() {
        let limits = Limits {
            count: Some(2),
            duration: None,
        };
        let res = with_driver_limited(
            vec![Ok(book_100())],
            no_checks(),
            limits,
            |mut h| async move {
                h.send(diff(101, 101, &[], &[]));
                h.update(101).await;
                h.send(diff(102, 102, &[], &[]));
                h.send(diff(103, 103, &[], &[]));
                h.until(|_| false).await;
            },
        )
        .await;
        assert_eq!(res, Some(Ok(())));
    }
}
