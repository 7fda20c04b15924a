//! A local order book kept in step with Binance's diff-depth stream.
//!
//! [`BookSync`] is the state machine: it is fed diff events
//! (`<symbol>@depth`, `<symbol>@depth@100ms`) and REST snapshots (`GET
//! /api/v3/depth`) and answers, after each, what happened and what the
//! driver should do next. It does no I/O: the driver owns the stream and
//! the REST client (and paces the snapshot requests, which weigh 250 at
//! `limit=5000`). [`OrderBook`] is the book itself, with the read access a
//! printer needs.
//!
//! The procedure, from `shared/binance-docs/web-socket-streams.md` § "How to
//! manage a local order book correctly" (corrected 2025-11-12, see
//! `shared/binance-docs/CHANGELOG.md`), with the book update ID written `B`:
//!
//! 1. The driver opens the diff-depth stream and feeds every event to
//!    [`BookSync::on_diff`]. With no book yet, events are buffered; the
//!    first one buffered answers "fetch a snapshot now"
//!    ([`DiffOutcome::fetch_snapshot`]).
//! 2. The driver fetches `GET /api/v3/depth?symbol=…&limit=5000` and feeds
//!    it to [`BookSync::on_snapshot`].
//! 3. If the snapshot's `lastUpdateId` is older than the first buffered
//!    event (`lastUpdateId + 1 < U`), updates between them are unknown:
//!    [`SnapshotOutcome::TooOld`], fetch another one (docs step 4; the docs
//!    also refetch when `lastUpdateId + 1 == U`, which loses nothing, so that
//!    snapshot is used).
//! 4. The book is set to the snapshot, `B = lastUpdateId`, and the buffered
//!    events are applied in order by the update procedure below; those with
//!    `u <= lastUpdateId` are dropped, so the first one applied straddles
//!    the snapshot: `U <= lastUpdateId + 1 <= u` (docs steps 5–7).
//! 5. Update procedure, for every event from then on:
//!    * `u <= B`: already in the book (a duplicate or an old event): ignored
//!      ([`DiffOutcome::Stale`]);
//!    * `U > B + 1`: events were missed, a gap ([`Desync::Gap`]): the book is
//!      dropped, the event is buffered and the driver fetches a snapshot
//!      (back to 2);
//!    * otherwise each `[price, quantity]` of `b` and `a` sets its level:
//!      quantity zero removes the level (a zero for a price the book does
//!      not have is ignored), any other quantity inserts or overwrites it;
//!      then `B = u`. Normally `U == B + 1`; an event that overlaps the book
//!      (`U <= B < u`, possible when two connections' events are merged
//!      around a reconnect) is applied too, as the docs' procedure says:
//!      its quantities are absolute, so the result is the book as of `u`.
//! 6. After each applied event the book must not be crossed (best bid at or
//!    above best ask): if it is, that is an error state ([`Desync::Crossed`]),
//!    never shown as data; the book is dropped and resynchronised as for a
//!    gap. A level with a negative quantity or a non-positive price does
//!    the same ([`Desync::InvalidLevel`]).
//!
//! The book is readable only while live ([`BookSync::book`] is `None`
//! otherwise). A snapshot holds at most 5000 levels per side; levels beyond
//! it stay unknown until they change (docs' note), so compare only within
//! a snapshot's depth: [`BookSync::check`] does that for a periodic
//! self-check against a fresh snapshot, lining up update IDs with the diffs
//! it kept.
//!
//! ```
//! use mbx_domain::model::{Depth, Level as SnapshotLevel};
//! use mbx_domain::order_book::{BookSync, DiffOutcome, SnapshotOutcome};
//! use mbx_domain::stream::{DepthUpdate, Level};
//!
//! let d = |text: &str| text.parse().unwrap();
//! let diff = |first, last, bid: (&str, &str)| DepthUpdate {
//!     event_time: 0, symbol: "BNBBTC".into(), first_update_id: first, final_update_id: last,
//!     bids: vec![Level { price: d(bid.0), quantity: d(bid.1) }], asks: vec![],
//! };
//! let mut sync = BookSync::new("BNBBTC");
//! // 1. The first diff is buffered: fetch a snapshot now.
//! assert!(sync.on_diff(diff(157, 160, ("0.0024", "10"))).fetch_snapshot());
//! assert!(!sync.on_diff(diff(161, 163, ("0.0024", "0"))).fetch_snapshot());
//! // 2.–4. A snapshot at 161: the first diff is dropped, the second straddles it.
//! let snapshot = Depth {
//!     last_update_id: 161,
//!     bids: vec![SnapshotLevel(d("0.0024"), d("12")), SnapshotLevel(d("0.0023"), d("5"))],
//!     asks: vec![SnapshotLevel(d("0.0026"), d("100"))],
//! };
//! assert!(matches!(sync.on_snapshot(&snapshot), SnapshotOutcome::Live { update_id: 163, applied: 1, dropped: 1 }));
//! let book = sync.book().expect("live");
//! assert_eq!(book.best_bid().unwrap().price.to_string(), "0.0023");
//! // 5. A gap: 164 was never seen.
//! assert!(matches!(sync.on_diff(diff(165, 166, ("0.0022", "1"))), DiffOutcome::Desynced { .. }));
//! assert!(sync.book().is_none());
//! ```

mod book;
mod ladder;
mod sync;

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use book::{BookSide, LevelDifference, OrderBook};
pub use sync::{BookSync, DiffOutcome, SelfCheck, SnapshotOutcome, SyncLimits, SyncState};

/// Why a book stopped being trustworthy and must be resynchronised from a
/// snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Desync {
    /// An event started after the update the book needed next: the events
    /// in between were missed.
    #[serde(rename_all = "camelCase")]
    Gap {
        /// The book needed an event with `U` at most this (`B + 1`).
        expected: u64,
        /// The event's `U`.
        first_update_id: u64,
    },
    /// The best bid was at or above the best ask after an update (or in a
    /// snapshot).
    #[serde(rename_all = "camelCase")]
    Crossed {
        /// Best bid price.
        best_bid: Decimal,
        /// Best ask price.
        best_ask: Decimal,
        /// The update ID at which the book was crossed.
        update_id: u64,
    },
    /// A level with a negative quantity or a price that is not positive.
    #[serde(rename_all = "camelCase")]
    InvalidLevel {
        /// The side it was on.
        side: BookSide,
        /// Its price.
        price: Decimal,
        /// Its quantity.
        quantity: Decimal,
    },
    /// The driver started over ([`BookSync::restart`]).
    Restarted,
}

impl fmt::Display for Desync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Desync::Gap {
                expected,
                first_update_id,
            } => write!(
                f,
                "missed updates: the next event had to start at or before update {expected}, it started at {first_update_id}"
            ),
            Desync::Crossed {
                best_bid,
                best_ask,
                update_id,
            } => write!(
                f,
                "crossed book at update {update_id}: best bid {best_bid} is not below best ask {best_ask}"
            ),
            Desync::InvalidLevel {
                side,
                price,
                quantity,
            } => write!(
                f,
                "invalid {side} level: price {price}, quantity {quantity}"
            ),
            Desync::Restarted => f.write_str("restarted"),
        }
    }
}

impl std::error::Error for Desync {}
