//! The synchronisation state machine: buffered diffs, snapshots, gaps and
//! self-checks.

use std::collections::VecDeque;
use std::mem;

use crate::model::Depth;
use crate::stream::DepthUpdate;

use super::{Desync, LevelDifference, OrderBook};

/// Keeps one symbol's [`OrderBook`] in step with its diff-depth stream; the
/// procedure is in the [module docs](super).
///
/// Feed it every diff event ([`BookSync::on_diff`]) and every snapshot the
/// driver fetched ([`BookSync::on_snapshot`]); each call says what happened
/// and whether to fetch a snapshot now. The driver's loop, in short:
///
/// ```text
/// diff      -> on_diff(diff)        -> if .fetch_snapshot(): start a REST fetch
///                                   -> Applied: redraw from book()
///                                   -> Desynced: tell the user, a fetch is needed
/// snapshot  -> on_snapshot(&depth)  -> Live: redraw; TooOld/Desynced: fetch again
/// every N s -> check(&depth)        -> Agrees / Repaired (report the differences)
/// ```
#[derive(Debug, Clone)]
pub struct BookSync {
    symbol: String,
    limits: SyncLimits,
    state: SyncState,
    /// Meaningful only while live.
    book: OrderBook,
    /// Diffs received while there is no book, oldest first.
    buffer: VecDeque<DepthUpdate>,
    /// A fetch was asked for and its snapshot has not come yet.
    snapshot_requested: bool,
    /// The last applied diffs, oldest first, contiguous, for self-checks
    /// against snapshots older than the book.
    history: VecDeque<DepthUpdate>,
    /// A self-check snapshot newer than the book, waiting for the book to
    /// reach it.
    pending_check: Option<Depth>,
}

/// How much a [`BookSync`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Diffs buffered while waiting for a snapshot; beyond it the oldest is
    /// dropped (a snapshot older than the remaining ones is then refused
    /// as too old, so nothing is lost silently).
    pub max_buffered: usize,
    /// Applied diffs kept so that [`BookSync::check`] can verify the book
    /// against a snapshot older than it (the stream is often ahead of a
    /// REST answer). 64 diffs are 6.4 s of `@depth@100ms`.
    pub history: usize,
}

impl SyncLimits {
    /// 10,000 buffered diffs (over 15 minutes of `@depth@100ms`) and 64 kept
    /// for self-checks.
    pub const STANDARD: SyncLimits = SyncLimits {
        max_buffered: 10_000,
        history: 64,
    };
}

/// Where the synchronisation is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncState {
    /// No book yet: diffs are buffered until a snapshot comes.
    AwaitingSnapshot,
    /// The book is in step with the stream.
    Live,
    /// The book was dropped for this reason; diffs are buffered until a
    /// new snapshot comes.
    Resyncing(Desync),
}

/// What [`BookSync::on_diff`] did with a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum DiffOutcome {
    /// Applied: the book is live as of `update_id`.
    Applied {
        /// The book's update ID now (the diff's `u`).
        update_id: u64,
        /// The result of a self-check that was waiting for the book to
        /// reach its snapshot ([`SelfCheck::Pending`]), now done.
        self_check: Option<SelfCheck>,
    },
    /// Already in the book (`u <= B`): ignored.
    Stale {
        /// The diff's `u`.
        final_update_id: u64,
        /// The book's update ID.
        book_update_id: u64,
    },
    /// Kept until a snapshot comes.
    Buffered {
        /// Fetch a snapshot now: this is the first diff since the book was
        /// (re)started and no fetch is under way.
        fetch_snapshot: bool,
    },
    /// The book was dropped (gap, crossed book, invalid level); the diff is
    /// buffered. Fetch a snapshot now.
    Desynced {
        /// Why.
        reason: Desync,
    },
    /// A diff for another symbol: ignored.
    OtherSymbol,
}

impl DiffOutcome {
    /// The driver should fetch a snapshot now and feed it to
    /// [`BookSync::on_snapshot`].
    pub fn fetch_snapshot(&self) -> bool {
        match self {
            DiffOutcome::Buffered { fetch_snapshot } => *fetch_snapshot,
            DiffOutcome::Desynced { .. } => true,
            DiffOutcome::Applied { self_check, .. } => self_check
                .as_ref()
                .is_some_and(|check| matches!(check, SelfCheck::Desynced(_))),
            DiffOutcome::Stale { .. } | DiffOutcome::OtherSymbol => false,
        }
    }
}

/// What [`BookSync::on_snapshot`] did with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum SnapshotOutcome {
    /// The book is live.
    Live {
        /// The book's update ID now.
        update_id: u64,
        /// Buffered diffs applied on top of the snapshot.
        applied: usize,
        /// Buffered diffs the snapshot already contained, dropped.
        dropped: usize,
    },
    /// The snapshot is older than the first buffered diff: the updates in
    /// between are unknown. Fetch another one.
    TooOld {
        /// The snapshot's `lastUpdateId`.
        last_update_id: u64,
        /// The first buffered diff's `U`.
        first_buffered: u64,
    },
    /// The snapshot, or the buffered diffs on top of it, gave no
    /// trustworthy book. Fetch another one.
    Desynced(Desync),
    /// The book is live already: the snapshot was not used (for a
    /// self-check, use [`BookSync::check`]).
    NotWaiting,
}

impl SnapshotOutcome {
    /// The driver should fetch another snapshot now.
    pub fn fetch_snapshot(&self) -> bool {
        matches!(
            self,
            SnapshotOutcome::TooOld { .. } | SnapshotOutcome::Desynced(_)
        )
    }
}

/// The result of checking a live book against a snapshot
/// ([`BookSync::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelfCheck {
    /// Every level within the snapshot's depth agrees.
    Agrees {
        /// The update ID at which the books were compared.
        update_id: u64,
        /// How many price levels were compared.
        levels_compared: usize,
    },
    /// Levels within the snapshot's depth disagreed; the book was rebuilt
    /// from the snapshot and the diffs since, and is live.
    Repaired {
        /// The update ID at which the books were compared.
        update_id: u64,
        /// Where the book was wrong.
        differences: Vec<LevelDifference>,
    },
    /// The snapshot is newer than the book: it is kept and checked once
    /// the book reaches it; the result comes with that diff's
    /// [`DiffOutcome::Applied`].
    Pending,
    /// The snapshot is older than the diffs kept for checks
    /// ([`SyncLimits::history`]): fetch a newer one.
    TooOld {
        /// The snapshot's `lastUpdateId`.
        last_update_id: u64,
    },
    /// The snapshot and the diffs since could not be combined into a book
    /// (crossed or invalid): the book was dropped; fetch a snapshot.
    Desynced(Desync),
    /// There is no live book to check.
    NotLive,
}

impl BookSync {
    /// A machine for `symbol` (as in the diffs' `s`, e.g. `BNBBTC`) with
    /// [`SyncLimits::STANDARD`].
    pub fn new(symbol: impl Into<String>) -> BookSync {
        BookSync::with_limits(symbol, SyncLimits::STANDARD)
    }

    /// A machine for `symbol` with the given limits.
    pub fn with_limits(symbol: impl Into<String>, limits: SyncLimits) -> BookSync {
        let symbol = symbol.into();
        BookSync {
            book: OrderBook::empty(symbol.clone()),
            symbol,
            limits,
            state: SyncState::AwaitingSnapshot,
            buffer: VecDeque::new(),
            snapshot_requested: false,
            history: VecDeque::new(),
            pending_check: None,
        }
    }

    /// The symbol.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// Where the synchronisation is.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The book, only while it is live.
    pub fn book(&self) -> Option<&OrderBook> {
        (self.state == SyncState::Live).then_some(&self.book)
    }

    /// How many diffs are buffered, waiting for a snapshot.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Feeds one diff event (steps 1 and 5 of the procedure).
    pub fn on_diff(&mut self, update: DepthUpdate) -> DiffOutcome {
        if !update.symbol.eq_ignore_ascii_case(&self.symbol) {
            return DiffOutcome::OtherSymbol;
        }
        if self.state != SyncState::Live {
            return self.buffer_diff(update);
        }
        self.apply_live(update)
    }

    /// Feeds a REST snapshot (`GET /api/v3/depth`) fetched for this symbol
    /// (steps 2–4 of the procedure).
    pub fn on_snapshot(&mut self, snapshot: &Depth) -> SnapshotOutcome {
        if self.state == SyncState::Live {
            return SnapshotOutcome::NotWaiting;
        }
        let last_update_id = snapshot.last_update_id;
        if let Some(first) = self.buffer.front()
            && first.first_update_id > last_update_id.saturating_add(1)
        {
            self.snapshot_requested = true;
            return SnapshotOutcome::TooOld {
                last_update_id,
                first_buffered: first.first_update_id,
            };
        }
        self.book = match OrderBook::from_depth(self.symbol.clone(), snapshot) {
            Ok(book) => book,
            Err(reason) => {
                self.state = SyncState::Resyncing(reason.clone());
                self.snapshot_requested = true;
                return SnapshotOutcome::Desynced(reason);
            }
        };
        self.state = SyncState::Live;
        self.snapshot_requested = false;
        let mut buffered = mem::take(&mut self.buffer).into_iter();
        let (mut applied, mut dropped) = (0, 0);
        while let Some(update) = buffered.next() {
            match self.apply_live(update) {
                DiffOutcome::Desynced { reason } => {
                    // The diff that broke the book is buffered first; keep the rest after it.
                    self.buffer.extend(buffered);
                    return SnapshotOutcome::Desynced(reason);
                }
                DiffOutcome::Applied { .. } => applied += 1,
                _ => dropped += 1,
            }
        }
        SnapshotOutcome::Live {
            update_id: self.book.last_update_id(),
            applied,
            dropped,
        }
    }

    /// Self-check: compares the live book with a fresh snapshot within the
    /// snapshot's depth, at the same update ID.
    ///
    /// A snapshot older than the book is brought forward with the diffs
    /// kept since ([`SyncLimits::history`]); a newer one is kept until the
    /// book reaches it ([`SelfCheck::Pending`]). When levels disagree the
    /// book is rebuilt from the snapshot and those diffs, so it is right
    /// again, and the differences are returned for the driver to report.
    pub fn check(&mut self, snapshot: &Depth) -> SelfCheck {
        if self.state != SyncState::Live {
            return SelfCheck::NotLive;
        }
        if snapshot.last_update_id > self.book.last_update_id() {
            self.pending_check = Some(snapshot.clone());
            return SelfCheck::Pending;
        }
        self.evaluate(snapshot)
    }

    /// Drops the book and everything buffered and starts over: the next
    /// diff asks for a snapshot.
    pub fn restart(&mut self) {
        self.state = SyncState::Resyncing(Desync::Restarted);
        self.clear();
        self.snapshot_requested = false;
    }

    /// The update procedure (step 5) on a live book: applied, stale or desynced.
    fn apply_live(&mut self, update: DepthUpdate) -> DiffOutcome {
        let book_update_id = self.book.last_update_id();
        if update.final_update_id <= book_update_id {
            return DiffOutcome::Stale {
                final_update_id: update.final_update_id,
                book_update_id,
            };
        }
        let expected = book_update_id.saturating_add(1);
        if update.first_update_id > expected {
            let reason = Desync::Gap {
                expected,
                first_update_id: update.first_update_id,
            };
            return self.desync(reason, update);
        }
        if let Err(reason) = self.book.apply(&update) {
            return self.desync(reason, update);
        }
        let update_id = update.final_update_id;
        self.remember(update);
        let self_check = match &self.pending_check {
            Some(snapshot) if snapshot.last_update_id <= update_id => {
                let snapshot = self.pending_check.take();
                snapshot.map(|snapshot| self.evaluate(&snapshot))
            }
            _ => None,
        };
        if let Some(SelfCheck::Desynced(reason)) = self_check {
            return DiffOutcome::Desynced { reason };
        }
        DiffOutcome::Applied {
            update_id,
            self_check,
        }
    }

    fn buffer_diff(&mut self, update: DepthUpdate) -> DiffOutcome {
        if self.buffer.len() >= self.limits.max_buffered.max(1) {
            self.buffer.pop_front();
        }
        self.buffer.push_back(update);
        let fetch_snapshot = !self.snapshot_requested;
        self.snapshot_requested = true;
        DiffOutcome::Buffered { fetch_snapshot }
    }

    fn desync(&mut self, reason: Desync, update: DepthUpdate) -> DiffOutcome {
        self.state = SyncState::Resyncing(reason.clone());
        self.clear();
        self.buffer.push_back(update);
        self.snapshot_requested = true;
        DiffOutcome::Desynced { reason }
    }

    fn clear(&mut self) {
        self.book = OrderBook::empty(self.symbol.clone());
        self.buffer.clear();
        self.history.clear();
        self.pending_check = None;
    }

    fn remember(&mut self, update: DepthUpdate) {
        if self.limits.history == 0 {
            return;
        }
        if self.history.len() >= self.limits.history {
            self.history.pop_front();
        }
        self.history.push_back(update);
    }

    /// Checks a snapshot no newer than the book: the snapshot plus the kept
    /// diffs after it give the book as it should be now.
    fn evaluate(&mut self, snapshot: &Depth) -> SelfCheck {
        let last_update_id = snapshot.last_update_id;
        let book_update_id = self.book.last_update_id();
        let start = self
            .history
            .partition_point(|update| update.final_update_id <= last_update_id);
        if last_update_id < book_update_id {
            let straddles = self
                .history
                .get(start)
                .is_some_and(|update| update.first_update_id <= last_update_id.saturating_add(1));
            if !straddles {
                return SelfCheck::TooOld { last_update_id };
            }
        }
        let rebuilt = OrderBook::from_depth(self.symbol.clone(), snapshot).and_then(|range| {
            let mut rebuilt = range.clone();
            for update in self.history.range(start..) {
                rebuilt.apply(update)?;
            }
            Ok((range, rebuilt))
        });
        let (range, rebuilt) = match rebuilt {
            Ok(books) => books,
            Err(reason) => {
                self.state = SyncState::Resyncing(reason.clone());
                self.clear();
                self.snapshot_requested = true;
                return SelfCheck::Desynced(reason);
            }
        };
        let (levels_compared, differences) = self.book.differences_within(&rebuilt, &range);
        if differences.is_empty() {
            SelfCheck::Agrees {
                update_id: book_update_id,
                levels_compared,
            }
        } else {
            self.book = rebuilt;
            SelfCheck::Repaired {
                update_id: book_update_id,
                differences,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::model;
    use crate::order_book::BookSide;
    use crate::stream::Level;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn levels(side: &[(&str, &str)]) -> Vec<Level> {
        side.iter()
            .map(|(price, quantity)| Level {
                price: d(price),
                quantity: d(quantity),
            })
            .collect()
    }

    fn diff(first: u64, last: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> DepthUpdate {
        DepthUpdate {
            event_time: 0,
            symbol: "BNBBTC".to_owned(),
            first_update_id: first,
            final_update_id: last,
            bids: levels(bids),
            asks: levels(asks),
        }
    }

    fn depth(id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
        let side = |side: &[(&str, &str)]| {
            levels(side)
                .into_iter()
                .map(|level| model::Level(level.price, level.quantity))
                .collect()
        };
        Depth {
            last_update_id: id,
            bids: side(bids),
            asks: side(asks),
        }
    }

    /// Bids 10 x 1, 9 x 2; asks 11 x 1, 12 x 2; at update 100.
    fn snapshot(id: u64) -> Depth {
        depth(id, &[("10", "1"), ("9", "2")], &[("11", "1"), ("12", "2")])
    }

    fn shown(sync: &BookSync) -> Option<(u64, String)> {
        let book = sync.book()?;
        let side = |levels: Vec<Level>| {
            levels
                .iter()
                .map(|level| format!("{}x{}", level.price, level.quantity))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let text = format!(
            "{} | {}",
            side(book.bids().collect()),
            side(book.asks().collect())
        );
        Some((book.last_update_id(), text))
    }

    /// A live machine at update 100 on [`snapshot`].
    fn live() -> BookSync {
        let mut sync = BookSync::new("BNBBTC");
        assert!(matches!(
            sync.on_snapshot(&snapshot(100)),
            SnapshotOutcome::Live { update_id: 100, .. }
        ));
        sync
    }

    #[test]
    fn the_first_diff_asks_for_a_snapshot_once() {
        let mut sync = BookSync::new("BNBBTC");
        assert_eq!(sync.state(), &SyncState::AwaitingSnapshot);
        assert_eq!(
            sync.on_diff(diff(90, 95, &[], &[])),
            DiffOutcome::Buffered {
                fetch_snapshot: true
            }
        );
        assert_eq!(
            sync.on_diff(diff(96, 99, &[], &[])),
            DiffOutcome::Buffered {
                fetch_snapshot: false
            }
        );
        assert_eq!((sync.buffered(), sync.book()), (2, None));
    }

    #[test]
    fn snapshot_older_than_the_first_diff_is_refused() {
        let mut sync = BookSync::new("BNBBTC");
        let _ = sync.on_diff(diff(102, 105, &[], &[]));
        let outcome = sync.on_snapshot(&snapshot(100));
        assert_eq!(
            outcome,
            SnapshotOutcome::TooOld {
                last_update_id: 100,
                first_buffered: 102
            }
        );
        assert!(outcome.fetch_snapshot());
        assert_eq!(sync.book(), None);
        // One that ends right before the first diff loses nothing.
        assert_eq!(
            sync.on_snapshot(&snapshot(101)),
            SnapshotOutcome::Live {
                update_id: 105,
                applied: 1,
                dropped: 0
            }
        );
    }

    #[test]
    fn buffered_diffs_are_dropped_or_applied_after_the_snapshot() {
        let mut sync = BookSync::new("BNBBTC");
        let _ = sync.on_diff(diff(95, 98, &[("10", "7")], &[]));
        let _ = sync.on_diff(diff(99, 101, &[("9", "0")], &[("11.5", "3")]));
        let _ = sync.on_diff(diff(102, 102, &[("10", "0")], &[]));
        assert_eq!(
            sync.on_snapshot(&snapshot(100)),
            SnapshotOutcome::Live {
                update_id: 102,
                applied: 2,
                dropped: 1
            }
        );
        assert_eq!(
            shown(&sync),
            Some((102, " | 11.0x1 11.5x3 12.0x2".to_owned()))
        );
        assert_eq!(sync.buffered(), 0);
    }

    #[test]
    fn a_gap_in_the_buffer_desyncs_and_keeps_the_rest() {
        let mut sync = BookSync::new("BNBBTC");
        let _ = sync.on_diff(diff(99, 101, &[], &[]));
        let _ = sync.on_diff(diff(104, 105, &[], &[]));
        let _ = sync.on_diff(diff(106, 107, &[], &[]));
        let outcome = sync.on_snapshot(&snapshot(100));
        assert_eq!(
            outcome,
            SnapshotOutcome::Desynced(Desync::Gap {
                expected: 102,
                first_update_id: 104
            })
        );
        assert_eq!((sync.book(), sync.buffered()), (None, 2));
        assert_eq!(
            sync.on_snapshot(&snapshot(105)),
            SnapshotOutcome::Live {
                update_id: 107,
                applied: 1,
                dropped: 1
            }
        );
    }

    #[test]
    fn a_snapshot_newer_than_everything_buffered() {
        let mut sync = BookSync::new("BNBBTC");
        let _ = sync.on_diff(diff(90, 95, &[("10", "7")], &[]));
        assert_eq!(
            sync.on_snapshot(&snapshot(100)),
            SnapshotOutcome::Live {
                update_id: 100,
                applied: 0,
                dropped: 1
            }
        );
        // The next diff must straddle 101.
        assert!(matches!(
            sync.on_diff(diff(101, 103, &[], &[])),
            DiffOutcome::Applied { update_id: 103, .. }
        ));
    }

    #[test]
    fn live_updates_stale_and_overlapping_diffs() {
        let mut sync = live();
        assert_eq!(
            sync.on_diff(diff(101, 103, &[("10", "0"), ("9.5", "4")], &[("11", "2")])),
            DiffOutcome::Applied {
                update_id: 103,
                self_check: None
            }
        );
        assert_eq!(
            shown(&sync),
            Some((103, "9.5x4 9.0x2 | 11x2 12x2".to_owned()))
        );
        // The same diff again, and an older one: ignored.
        for (stale, final_update_id) in [
            (diff(101, 103, &[("1", "1")], &[]), 103),
            (diff(90, 100, &[("1", "1")], &[]), 100),
        ] {
            let outcome = sync.on_diff(stale);
            assert_eq!(
                outcome,
                DiffOutcome::Stale {
                    final_update_id,
                    book_update_id: 103
                }
            );
            assert!(!outcome.fetch_snapshot());
        }
        // Overlapping the book (as around a reconnect): its quantities are
        // absolute, so it is applied.
        assert!(matches!(
            sync.on_diff(diff(102, 105, &[("9.5", "5")], &[])),
            DiffOutcome::Applied { update_id: 105, .. }
        ));
        assert_eq!(
            shown(&sync),
            Some((105, "9.5x5 9.0x2 | 11x2 12x2".to_owned()))
        );
    }

    #[track_caller]
    fn check_desync(update: DepthUpdate, expected: Desync) {
        let mut sync = live();
        let outcome = sync.on_diff(update);
        assert!(outcome.fetch_snapshot());
        assert_eq!(
            outcome,
            DiffOutcome::Desynced {
                reason: expected.clone()
            }
        );
        assert_eq!(sync.state(), &SyncState::Resyncing(expected));
        assert_eq!((sync.book(), sync.buffered()), (None, 1));
        // Later diffs wait for the snapshot without asking again.
        assert_eq!(
            sync.on_diff(diff(200, 201, &[], &[])),
            DiffOutcome::Buffered {
                fetch_snapshot: false
            }
        );
    }

    #[test]
    fn a_gap_desyncs() {
        check_desync(
            diff(102, 103, &[], &[]),
            Desync::Gap {
                expected: 101,
                first_update_id: 102,
            },
        );
    }

    #[test]
    fn a_crossed_book_desyncs() {
        check_desync(
            diff(101, 101, &[("11", "3")], &[]),
            Desync::Crossed {
                best_bid: d("11"),
                best_ask: d("11"),
                update_id: 101,
            },
        );
        check_desync(
            diff(101, 101, &[], &[("11", "0"), ("12", "0"), ("9.99", "1")]),
            Desync::Crossed {
                best_bid: d("10"),
                best_ask: d("9.99"),
                update_id: 101,
            },
        );
    }

    #[test]
    fn an_invalid_level_desyncs() {
        check_desync(
            diff(101, 101, &[], &[("13", "-1")]),
            Desync::InvalidLevel {
                side: BookSide::Ask,
                price: d("13"),
                quantity: d("-1"),
            },
        );
    }

    #[test]
    fn a_crossed_snapshot_is_refused() {
        let mut sync = BookSync::new("BNBBTC");
        let _ = sync.on_diff(diff(101, 101, &[], &[]));
        let outcome = sync.on_snapshot(&depth(100, &[("12", "1")], &[("11", "1")]));
        assert!(outcome.fetch_snapshot());
        assert!(matches!(
            outcome,
            SnapshotOutcome::Desynced(Desync::Crossed { .. })
        ));
        assert_eq!(sync.book(), None);
    }

    #[test]
    fn other_symbols_and_late_snapshots_are_ignored() {
        let mut sync = live();
        let mut other = diff(101, 101, &[("1", "1")], &[]);
        other.symbol = "ETHBTC".to_owned();
        assert_eq!(sync.on_diff(other), DiffOutcome::OtherSymbol);
        let mut lower = diff(101, 101, &[], &[]);
        lower.symbol = "bnbbtc".to_owned();
        assert!(matches!(sync.on_diff(lower), DiffOutcome::Applied { .. }));
        assert_eq!(
            sync.on_snapshot(&snapshot(500)),
            SnapshotOutcome::NotWaiting
        );
        assert_eq!(sync.book().map(|book| book.last_update_id()), Some(101));
    }

    #[test]
    fn restart_asks_for_a_new_snapshot() {
        let mut sync = live();
        sync.restart();
        assert_eq!(sync.state(), &SyncState::Resyncing(Desync::Restarted));
        assert_eq!(sync.book(), None);
        assert!(sync.on_diff(diff(150, 151, &[], &[])).fetch_snapshot());
    }

    #[test]
    fn a_full_buffer_drops_its_oldest_diff() {
        let mut sync = BookSync::with_limits(
            "BNBBTC",
            SyncLimits {
                max_buffered: 2,
                history: 0,
            },
        );
        for first in [101, 102, 103] {
            let _ = sync.on_diff(diff(first, first, &[], &[]));
        }
        assert_eq!(sync.buffered(), 2);
        assert_eq!(
            sync.on_snapshot(&snapshot(100)),
            SnapshotOutcome::TooOld {
                last_update_id: 100,
                first_buffered: 102
            }
        );
    }

    #[test]
    fn self_check_at_the_same_update_id() {
        let mut sync = live();
        assert_eq!(
            sync.check(&depth(100, &[("10", "1")], &[("11", "1"), ("12", "2")])),
            SelfCheck::Agrees {
                update_id: 100,
                levels_compared: 3
            }
        );
        assert_eq!(BookSync::new("X").check(&snapshot(1)), SelfCheck::NotLive);
    }

    #[test]
    fn self_check_of_an_older_snapshot_uses_the_kept_diffs() {
        let mut sync = live();
        let _ = sync.on_diff(diff(101, 102, &[("10", "3")], &[]));
        let _ = sync.on_diff(diff(103, 104, &[("9", "0")], &[("11", "5")]));
        // As of 101 the exchange had 10 x 2; the diff [101; 102] sets 10 x 3.
        let older = depth(101, &[("10", "2"), ("9", "2")], &[("11", "1"), ("12", "2")]);
        assert_eq!(
            sync.check(&older),
            SelfCheck::Agrees {
                update_id: 104,
                levels_compared: 3
            }
        );
        // Too old: nothing kept goes back to 99.
        assert_eq!(
            sync.check(&snapshot(98)),
            SelfCheck::TooOld { last_update_id: 98 }
        );
    }

    #[test]
    fn self_check_of_a_newer_snapshot_waits_for_the_book() {
        let mut sync = live();
        assert_eq!(
            sync.check(&depth(102, &[("10", "1"), ("9", "2")], &[("11", "4")])),
            SelfCheck::Pending
        );
        assert!(matches!(
            sync.on_diff(diff(101, 101, &[("9", "3")], &[])),
            DiffOutcome::Applied {
                update_id: 101,
                self_check: None
            }
        ));
        // [102; 103] straddles the snapshot at 102: the snapshot plus this
        // diff is what the book should be.
        assert_eq!(
            sync.on_diff(diff(102, 103, &[("9", "2")], &[("11", "4"), ("13", "1")])),
            DiffOutcome::Applied {
                update_id: 103,
                self_check: Some(SelfCheck::Agrees {
                    update_id: 103,
                    levels_compared: 3
                })
            }
        );
    }

    #[test]
    fn self_check_repairs_a_wrong_book() {
        let mut sync = live();
        let _ = sync.on_diff(diff(101, 101, &[], &[("12", "3")]));
        // The exchange says 9 x 4, not 9 x 2, and no 12.
        let truth = depth(101, &[("10", "1"), ("9", "4")], &[("11", "1")]);
        let outcome = sync.check(&truth);
        assert_eq!(
            outcome,
            SelfCheck::Repaired {
                update_id: 101,
                differences: vec![LevelDifference {
                    side: BookSide::Bid,
                    price: d("9"),
                    local: Some(d("2")),
                    expected: Some(d("4")),
                }]
            }
        );
        assert_eq!(shown(&sync), Some((101, "10x1 9x4 | 11x1".to_owned())));
        assert_eq!(
            sync.check(&truth),
            SelfCheck::Agrees {
                update_id: 101,
                levels_compared: 3
            }
        );
    }

    // The property tests below keep a reference model of the exchange's book
    // (a `BTreeMap` per side) through random changes, derive Binance's diff
    // events and snapshots from it, and deliver them to the state machine
    // with drops, duplicates, re-orderings, late and unasked snapshots.

    #[derive(Debug, Clone, Default, PartialEq)]
    struct Model {
        bids: BTreeMap<Decimal, Decimal>,
        asks: BTreeMap<Decimal, Decimal>,
    }

    impl Model {
        fn set(&mut self, side: BookSide, price: Decimal, quantity: Decimal) {
            let levels = match side {
                BookSide::Bid => &mut self.bids,
                BookSide::Ask => &mut self.asks,
            };
            if quantity.is_zero() {
                levels.remove(&price);
            } else {
                levels.insert(price, quantity);
            }
        }

        fn depth(&self, id: u64) -> Depth {
            let level = |(price, quantity): (&Decimal, &Decimal)| model::Level(*price, *quantity);
            Depth {
                last_update_id: id,
                bids: self.bids.iter().rev().map(level).collect(),
                asks: self.asks.iter().map(level).collect(),
            }
        }

        fn equals(&self, book: &OrderBook) -> bool {
            let pairs = |levels: Vec<Level>| -> Vec<(Decimal, Decimal)> {
                levels.iter().map(|l| (l.price, l.quantity)).collect()
            };
            let bids: Vec<_> = self.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
            let asks: Vec<_> = self.asks.iter().map(|(p, q)| (*p, *q)).collect();
            pairs(book.bids().collect()) == bids && pairs(book.asks().collect()) == asks
        }
    }

    /// One change of the exchange's book: a side, a price tick (bids 1–8,
    /// asks 11–18, so the book never crosses), removal or a new quantity,
    /// and the scale the price is written with.
    #[derive(Debug, Clone)]
    struct Change {
        side: BookSide,
        tick: i64,
        remove: bool,
        scale: u32,
    }

    fn change() -> impl Strategy<Value = Change> {
        (any::<bool>(), 1i64..=8, prop::bool::weighted(0.3), 0u32..=2).prop_map(
            |(is_bid, tick, remove, scale)| Change {
                side: if is_bid { BookSide::Bid } else { BookSide::Ask },
                tick,
                remove,
                scale,
            },
        )
    }

    fn price(change: &Change) -> Decimal {
        let value = match change.side {
            BookSide::Bid => change.tick,
            BookSide::Ask => change.tick + 10,
        };
        Decimal::new(value * 10i64.pow(change.scale), change.scale)
    }

    /// The exchange: its book after every update ID (`states[0]` is the
    /// start) and the diff events it published, `[U; u]` in order.
    struct Exchange {
        states: Vec<Model>,
        events: Vec<DepthUpdate>,
    }

    fn exchange(initial: &[Change], updates: &[Vec<Change>], cuts: &[bool]) -> Exchange {
        let mut model = Model::default();
        for (idx, change) in initial.iter().enumerate() {
            model.set(change.side, price(change), Decimal::new(idx as i64 + 1, 1));
        }
        let mut states = vec![model.clone()];
        let mut events = Vec::new();
        let mut pending: Vec<(BookSide, Level)> = Vec::new();
        let mut first = 1;
        for (idx, changes) in updates.iter().enumerate() {
            let id = idx as u64 + 1;
            for (n_change, change) in changes.iter().enumerate() {
                // Every quantity is new, so every update changes the book visibly.
                let quantity = if change.remove && n_change > 0 {
                    Decimal::ZERO
                } else {
                    Decimal::new(id as i64 * 10 + n_change as i64 + 1, 2)
                };
                model.set(change.side, price(change), quantity);
                let level = Level {
                    price: price(change),
                    quantity,
                };
                pending.retain(|(side, it)| !(*side == change.side && it.price == level.price));
                pending.push((change.side, level));
            }
            states.push(model.clone());
            if cuts[idx] || idx + 1 == updates.len() {
                let side = |wanted: BookSide| {
                    pending
                        .iter()
                        .filter(|(side, _)| *side == wanted)
                        .map(|(_, level)| *level)
                        .collect()
                };
                events.push(DepthUpdate {
                    event_time: 0,
                    symbol: "BNBBTC".to_owned(),
                    first_update_id: first,
                    final_update_id: id,
                    bids: side(BookSide::Bid),
                    asks: side(BookSide::Ask),
                });
                pending.clear();
                first = id + 1;
            }
        }
        Exchange { states, events }
    }

    /// How one event is delivered.
    #[derive(Debug, Clone, Copy)]
    enum Delivery {
        Deliver,
        Drop,
        Duplicate,
        /// Delivered after the next one.
        SwapWithNext,
        /// Delivered, then an earlier one again.
        Replay(usize),
    }

    fn delivery() -> impl Strategy<Value = Delivery> {
        prop_oneof![
            6 => Just(Delivery::Deliver),
            1 => Just(Delivery::Drop),
            1 => Just(Delivery::Duplicate),
            1 => Just(Delivery::SwapWithNext),
            1 => (1usize..4).prop_map(Delivery::Replay),
        ]
    }

    /// What else happens after an event: nothing, an unasked snapshot, or a
    /// self-check, each at the exchange's update ID plus an offset.
    #[derive(Debug, Clone, Copy)]
    enum Extra {
        Nothing,
        Snapshot(i64),
        Check(i64),
    }

    fn extra() -> impl Strategy<Value = Extra> {
        prop_oneof![
            8 => Just(Extra::Nothing),
            1 => (-4i64..=3).prop_map(Extra::Snapshot),
            2 => (-4i64..=3).prop_map(Extra::Check),
        ]
    }

    #[derive(Debug, Clone, Copy)]
    enum Message {
        /// Event index, and the exchange's update ID when it is delivered.
        Diff(usize, u64),
        Snapshot(u64),
        Check(u64),
    }

    fn messages(
        exchange: &Exchange,
        deliveries: &[Delivery],
        extras: &[Extra],
        chaos: usize,
    ) -> Vec<Message> {
        let events = &exchange.events;
        let n_updates = exchange.states.len() as u64 - 1;
        let at = |id: u64, offset: i64| id.saturating_add_signed(offset).min(n_updates);
        let mut out = Vec::new();
        let mut idx = 0;
        while idx < events.len() {
            let now = events[idx].final_update_id;
            let delivery = if idx < chaos {
                deliveries[idx % deliveries.len()]
            } else {
                Delivery::Deliver
            };
            match delivery {
                Delivery::Deliver => out.push(Message::Diff(idx, now)),
                Delivery::Drop => {}
                Delivery::Duplicate => {
                    out.push(Message::Diff(idx, now));
                    out.push(Message::Diff(idx, now));
                }
                Delivery::SwapWithNext if idx + 1 < events.len() => {
                    let next = events[idx + 1].final_update_id;
                    out.push(Message::Diff(idx + 1, next));
                    out.push(Message::Diff(idx, next));
                    idx += 1;
                }
                Delivery::SwapWithNext => out.push(Message::Diff(idx, now)),
                Delivery::Replay(back) => {
                    out.push(Message::Diff(idx, now));
                    out.push(Message::Diff(idx.saturating_sub(back), now));
                }
            }
            let now = events[idx].final_update_id;
            match extras[idx % extras.len()] {
                Extra::Nothing => {}
                Extra::Snapshot(offset) => out.push(Message::Snapshot(at(now, offset))),
                Extra::Check(offset) => out.push(Message::Check(at(now, offset))),
            }
            idx += 1;
        }
        out
    }

    /// A snapshot the machine asked for: delivered after `delay` more
    /// messages, taken at the exchange's update ID then.
    struct Request {
        delay: usize,
        id: u64,
    }

    struct Run<'a> {
        exchange: &'a Exchange,
        sync: BookSync,
        requests: Vec<Request>,
        /// (delay, offset) for the next requests, used in turn.
        timings: &'a [(usize, i64)],
        n_requests: usize,
    }

    impl Run<'_> {
        fn request(&mut self, now: u64) {
            let (delay, offset) = self.timings[self.n_requests % self.timings.len()];
            self.n_requests += 1;
            let n_updates = self.exchange.states.len() as u64 - 1;
            let id = now.saturating_add_signed(offset).min(n_updates);
            self.requests.push(Request { delay, id });
        }

        /// The book, when shown, is the exchange's book as of its update ID.
        fn check_book(&self) -> Result<(), TestCaseError> {
            if let Some(book) = self.sync.book() {
                let id = book.last_update_id() as usize;
                prop_assert!(
                    self.exchange.states[id].equals(book),
                    "live book differs at {}: {:?} vs {:?}",
                    id,
                    book,
                    self.exchange.states[id]
                );
            }
            Ok(())
        }

        fn diff(&mut self, idx: usize, now: u64) -> Result<(), TestCaseError> {
            let event = self.exchange.events[idx].clone();
            let before = self.sync.book().map(OrderBook::last_update_id);
            let (first, last) = (event.first_update_id, event.final_update_id);
            let outcome = self.sync.on_diff(event);
            // The update procedure, seen from outside: never apply across a gap.
            match (before, &outcome) {
                (Some(book), _) if last <= book => {
                    prop_assert!(
                        matches!(outcome, DiffOutcome::Stale { .. }),
                        "{:?}",
                        outcome
                    )
                }
                (Some(book), _) if first > book + 1 => prop_assert_eq!(
                    &outcome,
                    &DiffOutcome::Desynced {
                        reason: Desync::Gap {
                            expected: book + 1,
                            first_update_id: first
                        }
                    }
                ),
                (
                    Some(_),
                    DiffOutcome::Applied {
                        update_id,
                        self_check,
                    },
                ) => {
                    prop_assert_eq!(*update_id, last);
                    prop_assert!(
                        matches!(self_check, None | Some(SelfCheck::Agrees { .. })),
                        "{:?}",
                        self_check
                    );
                }
                (Some(_), other) => prop_assert!(false, "not applied: {:?}", other),
                (None, other) => {
                    prop_assert!(matches!(other, DiffOutcome::Buffered { .. }), "{:?}", other)
                }
            }
            if outcome.fetch_snapshot() {
                self.request(now);
            }
            self.check_book()
        }

        fn snapshot(&mut self, id: u64, now: u64) -> Result<(), TestCaseError> {
            let outcome = self
                .sync
                .on_snapshot(&self.exchange.states[id as usize].depth(id));
            prop_assert!(
                !matches!(
                    outcome,
                    SnapshotOutcome::Desynced(Desync::Crossed { .. } | Desync::InvalidLevel { .. })
                ),
                "{:?}",
                outcome
            );
            if outcome.fetch_snapshot() {
                self.request(now);
            }
            self.check_book()
        }

        fn self_check(&mut self, id: u64) -> Result<(), TestCaseError> {
            let outcome = self
                .sync
                .check(&self.exchange.states[id as usize].depth(id));
            // The book is right, so a check never finds a difference.
            prop_assert!(
                matches!(
                    outcome,
                    SelfCheck::Agrees { .. }
                        | SelfCheck::Pending
                        | SelfCheck::TooOld { .. }
                        | SelfCheck::NotLive
                ),
                "{:?}",
                outcome
            );
            self.check_book()
        }

        /// Delivers the requested snapshots whose delay is over.
        fn tick(&mut self, now: u64) -> Result<(), TestCaseError> {
            for request in &mut self.requests {
                request.delay = request.delay.saturating_sub(1);
            }
            let (due, waiting) = std::mem::take(&mut self.requests)
                .into_iter()
                .partition::<Vec<_>, _>(|request| request.delay == 0);
            self.requests = waiting;
            for request in due {
                self.snapshot(request.id, now)?;
            }
            Ok(())
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever is dropped, repeated or re-ordered, a live book always
        /// equals the exchange's book at its update ID, every gap is caught,
        /// and once the feed is clean the book ends live at the last update.
        #[test]
        fn never_shows_a_wrong_book(
            initial in prop::collection::vec(change(), 0..12),
            updates in prop::collection::vec(prop::collection::vec(change(), 1..4), 1..60),
            cuts in prop::collection::vec(prop::bool::weighted(0.4), 60),
            deliveries in prop::collection::vec(delivery(), 1..60),
            extras in prop::collection::vec(extra(), 1..60),
            timings in prop::collection::vec((0usize..4, -4i64..=3), 1..8),
            chaos_share in 0usize..=100,
        ) {
            let exchange = exchange(&initial, &updates, &cuts);
            let chaos = exchange.events.len() * chaos_share / 100;
            let messages = messages(&exchange, &deliveries, &extras, chaos);
            let mut run = Run { exchange: &exchange, sync: BookSync::new("BNBBTC"), requests: Vec::new(), timings: &timings, n_requests: 0 };
            let mut now = 0;
            for message in messages {
                match message {
                    Message::Diff(idx, at) => {
                        now = now.max(at);
                        run.diff(idx, now)?;
                    }
                    Message::Snapshot(id) => run.snapshot(id, now)?,
                    Message::Check(id) => run.self_check(id)?,
                }
                run.tick(now)?;
            }
            // With the whole feed mangled, the last events may be lost for good.
            if chaos == exchange.events.len() {
                return Ok(());
            }
            // The feed ended cleanly: snapshots asked for still come, the
            // last ones at the final update.
            let last = exchange.states.len() as u64 - 1;
            for _ in 0..10 {
                if run.requests.is_empty() {
                    break;
                }
                for request in &mut run.requests {
                    request.delay = 0;
                    request.id = request.id.max(last);
                }
                run.tick(last)?;
            }
            let book = run.sync.book();
            prop_assert!(book.is_some(), "not live at the end: {:?}", run.sync.state());
            prop_assert_eq!(book.map(OrderBook::last_update_id), Some(last));
        }
    }
}
