//! The book itself: two sorted ladders of price levels and the update ID
//! they reflect.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{self, Depth};
use crate::stream::{DepthUpdate, Level};

use super::Desync;
use super::ladder::{Ladder, check_level};

/// A local order book: the bids and asks of one symbol, with exact
/// decimals, as of update [`OrderBook::last_update_id`].
///
/// A consumer gets one that is in step with Binance from
/// [`BookSync::book`](super::BookSync::book), which returns it only while it
/// is live; [`OrderBook::from_depth`] builds one from a REST snapshot.
///
/// ```
/// use mbx_domain::model::{Depth, Level};
/// use mbx_domain::order_book::OrderBook;
///
/// let level = |price: &str, quantity: &str| Level(price.parse().unwrap(), quantity.parse().unwrap());
/// let depth = Depth {
///     last_update_id: 160,
///     bids: vec![level("0.0024", "10"), level("0.0023", "5")],
///     asks: vec![level("0.0026", "100")],
/// };
/// let book = OrderBook::from_depth("BNBBTC", &depth)?;
/// assert_eq!(book.best_bid().unwrap().price.to_string(), "0.0024");
/// assert_eq!(book.spread().unwrap().to_string(), "0.0002");
/// assert_eq!(book.mid_price().unwrap().to_string(), "0.0025");
/// assert_eq!(book.bids().map(|level| level.quantity.to_string()).collect::<Vec<_>>(), ["10", "5"]);
/// # Ok::<(), mbx_domain::order_book::Desync>(())
/// ```
///
/// Each side keeps the levels near its best price in slots indexed by
/// price tick, so a change there is one division and one store, and the
/// levels further away in an ordered map; only quantities are stored, and
/// prices are rebuilt from integer keys with the side's decimals (the most
/// any of its prices had: Binance's 8), so the levels are read by value.
/// Measured against `BTreeMap` books in `benches/order_book.rs`
/// (BENCHMARKS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    symbol: String,
    last_update_id: u64,
    /// Ascending prices: the best (highest) bid is last.
    bids: Ladder,
    /// Descending prices: the best (lowest) ask is last.
    asks: Ladder,
}

/// Which side of the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BookSide {
    /// Buy orders.
    Bid,
    /// Sell orders.
    Ask,
}

impl fmt::Display for BookSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BookSide::Bid => "bid",
            BookSide::Ask => "ask",
        })
    }
}

/// One price level on which two books disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelDifference {
    /// The side.
    pub side: BookSide,
    /// The price.
    pub price: Decimal,
    /// The quantity in the local book (`None`: no such level).
    pub local: Option<Decimal>,
    /// The quantity the snapshot says (`None`: no such level).
    pub expected: Option<Decimal>,
}

impl OrderBook {
    /// A book from a REST snapshot (`GET /api/v3/depth`). Zero quantities
    /// are skipped; a level with a negative quantity or a price that is not
    /// positive, or a crossed snapshot (best bid at or above best ask), is
    /// refused.
    pub fn from_depth(symbol: impl Into<String>, depth: &Depth) -> Result<OrderBook, Desync> {
        let book = OrderBook {
            symbol: symbol.into(),
            last_update_id: depth.last_update_id,
            bids: Ladder::from_sorted(BookSide::Bid, ladder(BookSide::Bid, &depth.bids)?),
            asks: Ladder::from_sorted(BookSide::Ask, ladder(BookSide::Ask, &depth.asks)?),
        };
        book.check_not_crossed()?;
        Ok(book)
    }

    /// A book with no level at update ID 0.
    pub(crate) fn empty(symbol: String) -> OrderBook {
        OrderBook {
            symbol,
            last_update_id: 0,
            bids: Ladder::new(BookSide::Bid),
            asks: Ladder::new(BookSide::Ask),
        }
    }

    /// The symbol, as given when the book was made.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The update ID the book reflects: the snapshot's `lastUpdateId`, then
    /// the `u` of the last applied diff.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Bids, best (highest price) first, by value (prices are rebuilt with
    /// the side's decimals).
    pub fn bids(&self) -> impl ExactSizeIterator<Item = Level> + DoubleEndedIterator + Clone + '_ {
        self.bids.iter()
    }

    /// Asks, best (lowest price) first, by value (prices are rebuilt with
    /// the side's decimals).
    pub fn asks(&self) -> impl ExactSizeIterator<Item = Level> + DoubleEndedIterator + Clone + '_ {
        self.asks.iter()
    }

    /// The highest bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    /// The lowest ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// Best ask minus best bid.
    pub fn spread(&self) -> Option<Decimal> {
        self.best_ask()?.price.checked_sub(self.best_bid()?.price)
    }

    /// The middle of the best bid and the best ask, exact.
    pub fn mid_price(&self) -> Option<Decimal> {
        let sum = self.best_bid()?.price.checked_add(self.best_ask()?.price)?;
        sum.checked_div(Decimal::TWO)
    }

    /// The best `limit` levels of each side in the shape of a REST snapshot
    /// (best first), e.g. to print or to serialise as JSON.
    pub fn top(&self, limit: usize) -> Depth {
        let levels = |side: &Ladder| {
            side.iter()
                .take(limit)
                .map(|level| model::Level(level.price, level.quantity))
                .collect()
        };
        Depth {
            last_update_id: self.last_update_id,
            bids: levels(&self.bids),
            asks: levels(&self.asks),
        }
    }

    /// Where this book and a snapshot of the same update ID disagree,
    /// within the snapshot's depth: a snapshot of `limit` levels tells
    /// nothing about prices beyond its worst level, so only bids at or above
    /// its lowest bid and asks at or below its highest ask are compared (a
    /// side the snapshot has no level on is compared whole: the exchange had
    /// none). Empty when they agree.
    ///
    /// The update IDs are not compared; to check a live book against a
    /// snapshot of another update ID use
    /// [`BookSync::check`](super::BookSync::check), which lines them up.
    pub fn differences(&self, snapshot: &Depth) -> Vec<LevelDifference> {
        let bids = sorted_levels(BookSide::Bid, &snapshot.bids);
        let asks = sorted_levels(BookSide::Ask, &snapshot.asks);
        let mut differences = Vec::new();
        compare_side(
            BookSide::Bid,
            self.bids.iter(),
            bids.iter().rev().copied(),
            bids.first().copied(),
            &mut differences,
        );
        compare_side(
            BookSide::Ask,
            self.asks.iter(),
            asks.iter().rev().copied(),
            asks.first().copied(),
            &mut differences,
        );
        differences
    }

    /// Applies one diff's levels and moves to its final update ID. On error
    /// the book is half-updated and must be dropped.
    pub(crate) fn apply(&mut self, update: &DepthUpdate) -> Result<(), Desync> {
        for level in &update.bids {
            self.bids.set(level)?;
        }
        for level in &update.asks {
            self.asks.set(level)?;
        }
        self.last_update_id = update.final_update_id;
        self.check_not_crossed()
    }

    /// Compares within the price range that `range` (a snapshot, sorted)
    /// covers, counting the levels looked at.
    pub(crate) fn differences_within(
        &self,
        expected: &OrderBook,
        range: &OrderBook,
    ) -> (usize, Vec<LevelDifference>) {
        let mut differences = Vec::new();
        let n_bids = compare_side(
            BookSide::Bid,
            self.bids.iter(),
            expected.bids.iter(),
            range.bids.iter().next_back(),
            &mut differences,
        );
        let n_asks = compare_side(
            BookSide::Ask,
            self.asks.iter(),
            expected.asks.iter(),
            range.asks.iter().next_back(),
            &mut differences,
        );
        (n_bids + n_asks, differences)
    }

    fn check_not_crossed(&self) -> Result<(), Desync> {
        // Both sides keyed (the common case): their keys are the prices in
        // the same units, so an uncrossed book needs no decimal comparison.
        if let (Some(bid), Some(ask)) = (self.bids.best_units(), self.asks.best_units())
            && bid < ask
        {
            return Ok(());
        }
        match (self.bids.best(), self.asks.best()) {
            (Some(bid), Some(ask)) if bid.price >= ask.price => Err(Desync::Crossed {
                best_bid: bid.price,
                best_ask: ask.price,
                update_id: self.last_update_id,
            }),
            _ => Ok(()),
        }
    }
}

/// A side's ladder from snapshot levels in any order: sorted the ladder's
/// way, zero quantities dropped; a repeated price keeps its last quantity.
fn ladder(side: BookSide, levels: &[model::Level]) -> Result<Vec<Level>, Desync> {
    let mut ladder = Vec::with_capacity(levels.len());
    for level in levels {
        let level = Level {
            price: level.0,
            quantity: level.1,
        };
        check_level(side, &level)?;
        if !level.quantity.is_zero() {
            ladder.push(level);
        }
    }
    Ok(sort_ladder(side, ladder))
}

/// Like [`ladder`], for comparing: nothing refused, zeros kept out.
fn sorted_levels(side: BookSide, levels: &[model::Level]) -> Vec<Level> {
    let ladder = levels
        .iter()
        .filter(|level| !level.1.is_zero())
        .map(|level| Level {
            price: level.0,
            quantity: level.1,
        })
        .collect();
    sort_ladder(side, ladder)
}

fn sort_ladder(side: BookSide, mut ladder: Vec<Level>) -> Vec<Level> {
    // Snapshots list the best level first: reversed, they are usually sorted already.
    ladder.reverse();
    match side {
        BookSide::Bid => ladder.sort_by_key(|level| level.price),
        BookSide::Ask => ladder.sort_by_key(|level| std::cmp::Reverse(level.price)),
    }
    // Reversed and stably sorted, the first of equal prices is the input's
    // last occurrence: keep that one.
    let mut deduped: Vec<Level> = Vec::with_capacity(ladder.len());
    for level in ladder {
        match deduped.last_mut() {
            Some(last) if last.price == level.price => {}
            _ => deduped.push(level),
        }
    }
    deduped
}

/// Merges two sides (best first) over the prices down to `worst`, the
/// snapshot's worst level, and records each disagreement. Returns how many
/// distinct prices were looked at.
fn compare_side(
    side: BookSide,
    local: impl Iterator<Item = Level>,
    expected: impl Iterator<Item = Level>,
    worst: Option<Level>,
    differences: &mut Vec<LevelDifference>,
) -> usize {
    // The worst price the snapshot knows about; with no level at all, the
    // whole side is known (empty).
    let limit = worst.map(|level| level.price);
    let in_range = |level: &Level| match (limit, side) {
        (None, _) => true,
        (Some(limit), BookSide::Bid) => level.price >= limit,
        (Some(limit), BookSide::Ask) => level.price <= limit,
    };
    let mut local = local.take_while(in_range).peekable();
    let mut expected = expected.take_while(in_range).peekable();
    let mut n_compared = 0;
    loop {
        let (price, local_quantity, expected_quantity) = match (local.peek(), expected.peek()) {
            (None, None) => return n_compared,
            (Some(l), None) => (l.price, local.next().map(|l| l.quantity), None),
            (None, Some(e)) => (e.price, None, expected.next().map(|e| e.quantity)),
            (Some(l), Some(e)) => {
                // Better prices come first: higher bids, lower asks.
                let order = match side {
                    BookSide::Bid => e.price.cmp(&l.price),
                    BookSide::Ask => l.price.cmp(&e.price),
                };
                match order {
                    Ordering::Less => (l.price, local.next().map(|l| l.quantity), None),
                    Ordering::Greater => (e.price, None, expected.next().map(|e| e.quantity)),
                    Ordering::Equal => (
                        l.price,
                        local.next().map(|l| l.quantity),
                        expected.next().map(|e| e.quantity),
                    ),
                }
            }
        };
        n_compared += 1;
        if local_quantity != expected_quantity {
            differences.push(LevelDifference {
                side,
                price,
                local: local_quantity,
                expected: expected_quantity,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn depth(id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
        let levels = |side: &[(&str, &str)]| {
            side.iter()
                .map(|(price, quantity)| model::Level(d(price), d(quantity)))
                .collect()
        };
        Depth {
            last_update_id: id,
            bids: levels(bids),
            asks: levels(asks),
        }
    }

    fn diff(first: u64, last: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> DepthUpdate {
        let levels = |side: &[(&str, &str)]| {
            side.iter()
                .map(|(price, quantity)| Level {
                    price: d(price),
                    quantity: d(quantity),
                })
                .collect()
        };
        DepthUpdate {
            event_time: 0,
            symbol: "BNBBTC".to_owned(),
            first_update_id: first,
            final_update_id: last,
            bids: levels(bids),
            asks: levels(asks),
        }
    }

    fn sides(book: &OrderBook) -> (Vec<String>, Vec<String>) {
        let show = |level: Level| format!("{}x{}", level.price, level.quantity);
        (
            book.bids().map(show).collect(),
            book.asks().map(show).collect(),
        )
    }

    /// Applies `bids`/`asks` changes to a book with bids 10, 9, 8 and asks
    /// 11, 12, 13 and checks both sides, best first.
    #[track_caller]
    fn check(bids: &[(&str, &str)], asks: &[(&str, &str)], expected: (&[&str], &[&str])) {
        let start = depth(
            1,
            &[("10", "1"), ("9", "2"), ("8", "3")],
            &[("11", "1"), ("12", "2"), ("13", "3")],
        );
        let mut book = OrderBook::from_depth("BNBBTC", &start).unwrap();
        book.apply(&diff(2, 3, bids, asks)).unwrap();
        let (bids, asks) = sides(&book);
        assert_eq!(bids, expected.0);
        assert_eq!(asks, expected.1);
        assert_eq!(book.last_update_id(), 3);
    }

    #[test]
    fn sets_a_quantity() {
        check(
            &[("9", "5.5")],
            &[],
            (&["10x1", "9x5.5", "8x3"], &["11x1", "12x2", "13x3"]),
        );
    }

    #[test]
    fn zero_removes_the_level() {
        check(
            &[("10", "0")],
            &[("13", "0.000")],
            (&["9x2", "8x3"], &["11x1", "12x2"]),
        );
    }

    #[test]
    fn zero_for_an_unknown_price_is_ignored() {
        check(
            &[("9.5", "0")],
            &[("20", "0")],
            (&["10x1", "9x2", "8x3"], &["11x1", "12x2", "13x3"]),
        );
    }

    #[test]
    fn inserts_anywhere() {
        check(
            &[("10.5", "1"), ("7", "1"), ("8.5", "1")],
            &[("10.9", "4"), ("14", "4"), ("12.5", "4")],
            // Shown with the most decimals each side has seen.
            (
                &["10.5x1", "10.0x1", "9.0x2", "8.5x1", "8.0x3", "7.0x1"],
                &["10.9x4", "11.0x1", "12.0x2", "12.5x4", "13.0x3", "14.0x4"],
            ),
        );
    }

    #[test]
    fn the_same_price_at_another_scale_is_the_same_level() {
        check(
            &[("10.00", "0"), ("9.0", "7")],
            &[],
            // Prices are shown with the most decimals the side has seen.
            (&["9.0x7", "8.0x3"], &["11x1", "12x2", "13x3"]),
        );
    }

    #[test]
    fn later_levels_of_a_diff_win() {
        check(
            &[("9", "4"), ("9", "0"), ("7", "1"), ("7", "2")],
            &[],
            (&["10x1", "8x3", "7x2"], &["11x1", "12x2", "13x3"]),
        );
    }

    #[test]
    fn crossing_and_bad_levels_are_errors() {
        let start = depth(1, &[("10", "1")], &[("11", "1")]);
        let book = OrderBook::from_depth("X", &start).unwrap();

        let mut crossed = book.clone();
        assert_eq!(
            crossed.apply(&diff(2, 2, &[("11", "1")], &[])),
            Err(Desync::Crossed {
                best_bid: d("11"),
                best_ask: d("11"),
                update_id: 2
            })
        );
        let mut negative = book.clone();
        assert!(matches!(
            negative.apply(&diff(2, 2, &[], &[("12", "-1")])),
            Err(Desync::InvalidLevel {
                side: BookSide::Ask,
                ..
            })
        ));
        let mut zero_price = book;
        assert!(matches!(
            zero_price.apply(&diff(2, 2, &[("0", "1")], &[])),
            Err(Desync::InvalidLevel {
                side: BookSide::Bid,
                ..
            })
        ));
        assert!(matches!(
            OrderBook::from_depth("X", &depth(1, &[("12", "1")], &[("11", "1")])),
            Err(Desync::Crossed { .. })
        ));
    }

    #[test]
    fn snapshots_in_any_order_with_zeros_and_repeats() {
        let snapshot = depth(
            7,
            &[("8", "3"), ("10", "1"), ("9", "0"), ("10", "2")],
            &[("13", "3"), ("11", "1")],
        );
        let book = OrderBook::from_depth("X", &snapshot).unwrap();
        assert_eq!(
            sides(&book),
            (
                vec!["10x2".to_owned(), "8x3".to_owned()],
                vec!["11x1".to_owned(), "13x3".to_owned()]
            )
        );
        assert_eq!(book.last_update_id(), 7);
    }

    #[test]
    fn read_access() {
        let book = OrderBook::from_depth(
            "BTCUSDT",
            &depth(
                5,
                &[("98234.51000000", "0.5"), ("98234.50000000", "1")],
                &[("98234.52000000", "2"), ("98240.00000000", "3")],
            ),
        )
        .unwrap();
        assert_eq!(book.symbol(), "BTCUSDT");
        assert_eq!(book.spread().unwrap().to_string(), "0.01000000");
        assert_eq!(book.mid_price().unwrap().to_string(), "98234.51500000");
        let top = book.top(1);
        assert_eq!(
            (top.last_update_id, top.bids.len(), top.asks[0].price()),
            (5, 1, d("98234.52"))
        );
        assert_eq!(book.top(10).asks.len(), 2);
        assert_eq!((book.bids().len(), book.asks().len()), (2, 2));

        let empty = OrderBook::from_depth("X", &depth(1, &[], &[("1", "1")])).unwrap();
        assert_eq!(
            (empty.best_bid(), empty.spread(), empty.mid_price()),
            (None, None, None)
        );
    }

    #[track_caller]
    fn check_differences(
        snapshot: Depth,
        expected: &[(BookSide, &str, Option<&str>, Option<&str>)],
    ) {
        let book = OrderBook::from_depth(
            "X",
            &depth(
                9,
                &[("10", "1"), ("9", "2"), ("8", "3"), ("7", "4")],
                &[("11", "1"), ("12", "2"), ("13", "3")],
            ),
        )
        .unwrap();
        let expected: Vec<LevelDifference> = expected
            .iter()
            .map(|(side, price, local, snapshot)| LevelDifference {
                side: *side,
                price: d(price),
                local: local.map(d),
                expected: snapshot.map(d),
            })
            .collect();
        assert_eq!(book.differences(&snapshot), expected);
    }

    #[test]
    fn a_shallower_snapshot_that_agrees() {
        check_differences(depth(9, &[("10", "1"), ("9", "2")], &[("11", "1")]), &[]);
    }

    #[test]
    fn differences_within_the_snapshot_depth() {
        check_differences(
            depth(
                9,
                &[("10", "1"), ("9.5", "1"), ("8", "3.5")],
                &[("11", "1"), ("12", "2")],
            ),
            &[
                (BookSide::Bid, "9.5", None, Some("1")),
                (BookSide::Bid, "9", Some("2"), None),
                (BookSide::Bid, "8", Some("3"), Some("3.5")),
            ],
        );
    }

    #[test]
    fn an_empty_snapshot_side_means_the_side_is_empty() {
        check_differences(
            depth(9, &[("10", "1"), ("9", "2"), ("8", "3"), ("7", "4")], &[]),
            &[
                (BookSide::Ask, "11", Some("1"), None),
                (BookSide::Ask, "12", Some("2"), None),
                (BookSide::Ask, "13", Some("3"), None),
            ],
        );
    }
}
