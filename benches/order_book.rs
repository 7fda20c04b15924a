//! Diff-depth updates applied per second to a local order book: mbx's
//! `BookSync` (update-ID checks, crossed-book check, self-check history
//! included) next to the book naive clients keep, a
//! `BTreeMap<String, String>` per side keyed by the price string, and a
//! `BTreeMap<Decimal, Decimal>` per side (the obvious exact alternative),
//! all in the same run on the same updates.
//!
//! The book starts from a 5000-level snapshot per side (`limit=5000`, as
//! Binance's procedure fetches); each update changes 20 levels (10 bids, 10
//! asks), mostly near the best price as on a real market: 80 % new
//! quantities of existing levels, 20 % removals, and new levels where there
//! were none.
//!
//! Run: `cargo bench -p mbx-benches --bench order_book`. Figures: BENCHMARKS.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mbx_domain::model::{self, Depth};
use mbx_domain::order_book::{BookSync, DiffOutcome, SnapshotOutcome};
use mbx_domain::stream::{DepthUpdate, Level};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

const SNAPSHOT_LEVELS: i64 = 5000;
const UPDATES: usize = 1000;
const LEVELS_PER_SIDE: usize = 10;
const FIRST_UPDATE_ID: u64 = 61_234_567_890;

/// The `k`-th price tick away from the top, BTCUSDT-like, written with
/// Binance's 8 decimals.
fn bid_price(tick: i64) -> Decimal {
    Decimal::new((9_823_451 - tick) * 1_000_000, 8)
}

fn ask_price(tick: i64) -> Decimal {
    Decimal::new((9_823_452 + tick) * 1_000_000, 8)
}

fn quantity(rng: &mut SmallRng) -> Decimal {
    Decimal::new(rng.gen_range(1..100_000_000), 8)
}

struct Scenario {
    snapshot: Depth,
    updates: Vec<DepthUpdate>,
}

fn scenario() -> Scenario {
    let mut rng = SmallRng::seed_from_u64(7);
    let n_ticks = 2 * SNAPSHOT_LEVELS as usize;
    // Every other tick has a level at first.
    let mut bids_present: Vec<bool> = (0..n_ticks).map(|tick| tick % 2 == 0).collect();
    let mut asks_present = bids_present.clone();
    let snapshot_side = |price: fn(i64) -> Decimal, rng: &mut SmallRng| {
        (0..SNAPSHOT_LEVELS)
            .map(|idx| model::Level(price(2 * idx), quantity(rng)))
            .collect()
    };
    let snapshot = Depth {
        last_update_id: FIRST_UPDATE_ID - 1,
        bids: snapshot_side(bid_price, &mut rng),
        asks: snapshot_side(ask_price, &mut rng),
    };
    let side_changes = |present: &mut Vec<bool>, price: fn(i64) -> Decimal, rng: &mut SmallRng| {
        (0..LEVELS_PER_SIDE)
            .map(|_| {
                // Two draws, the smaller kept: most changes are near the top.
                let tick = rng.gen_range(0..400).min(rng.gen_range(0..400));
                let quantity = if present[tick] && rng.gen_bool(0.2) {
                    Decimal::ZERO
                } else {
                    quantity(rng)
                };
                present[tick] = !quantity.is_zero();
                Level {
                    price: price(tick as i64),
                    quantity,
                }
            })
            .collect()
    };
    let updates = (0..UPDATES as u64)
        .map(|idx| DepthUpdate {
            event_time: 1_732_550_400_123 + idx as i64 * 100,
            symbol: "BTCUSDT".to_owned(),
            first_update_id: FIRST_UPDATE_ID + 3 * idx,
            final_update_id: FIRST_UPDATE_ID + 3 * idx + 2,
            bids: side_changes(&mut bids_present, bid_price, &mut rng),
            asks: side_changes(&mut asks_present, ask_price, &mut rng),
        })
        .collect();
    Scenario { snapshot, updates }
}

/// The naive book: prices and quantities as the strings the frame had.
#[derive(Clone, Default)]
struct StringBook {
    bids: BTreeMap<String, String>,
    asks: BTreeMap<String, String>,
}

/// A diff as a naive client decodes it: owned strings.
struct StringUpdate {
    bids: Vec<(String, String)>,
    asks: Vec<(String, String)>,
}

fn is_zero(quantity: &str) -> bool {
    quantity.bytes().all(|byte| byte == b'0' || byte == b'.')
}

impl StringBook {
    fn from_depth(depth: &Depth) -> StringBook {
        let side = |levels: &[model::Level]| {
            levels
                .iter()
                .map(|level| (level.0.to_string(), level.1.to_string()))
                .collect()
        };
        StringBook {
            bids: side(&depth.bids),
            asks: side(&depth.asks),
        }
    }

    fn apply(&mut self, update: StringUpdate) {
        for (side, levels) in [(&mut self.bids, update.bids), (&mut self.asks, update.asks)] {
            for (price, quantity) in levels {
                if is_zero(&quantity) {
                    side.remove(&price);
                } else {
                    side.insert(price, quantity);
                }
            }
        }
    }
}

fn string_update(update: &DepthUpdate) -> StringUpdate {
    let side = |levels: &[Level]| {
        levels
            .iter()
            .map(|level| (level.price.to_string(), level.quantity.to_string()))
            .collect()
    };
    StringUpdate {
        bids: side(&update.bids),
        asks: side(&update.asks),
    }
}

/// The exact alternative: decimal keys in a `BTreeMap`.
#[derive(Clone, Default)]
struct DecimalBook {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
}

impl DecimalBook {
    fn from_depth(depth: &Depth) -> DecimalBook {
        let side =
            |levels: &[model::Level]| levels.iter().map(|level| (level.0, level.1)).collect();
        DecimalBook {
            bids: side(&depth.bids),
            asks: side(&depth.asks),
        }
    }

    fn apply(&mut self, update: DepthUpdate) {
        for (side, levels) in [(&mut self.bids, update.bids), (&mut self.asks, update.asks)] {
            for level in levels {
                if level.quantity.is_zero() {
                    side.remove(&level.price);
                } else {
                    side.insert(level.price, level.quantity);
                }
            }
        }
    }
}

fn live_sync(snapshot: &Depth) -> BookSync {
    let mut sync = BookSync::new("BTCUSDT");
    let outcome = sync.on_snapshot(snapshot);
    assert!(
        matches!(outcome, SnapshotOutcome::Live { .. }),
        "{outcome:?}"
    );
    sync
}

/// The three books end equal: the bench compares the same work.
fn check_agreement(scenario: &Scenario) {
    let mut sync = live_sync(&scenario.snapshot);
    let mut strings = StringBook::from_depth(&scenario.snapshot);
    let mut decimals = DecimalBook::from_depth(&scenario.snapshot);
    for update in &scenario.updates {
        strings.apply(string_update(update));
        decimals.apply(update.clone());
        let outcome = sync.on_diff(update.clone());
        assert!(
            matches!(outcome, DiffOutcome::Applied { .. }),
            "{outcome:?}"
        );
    }
    let book = sync.book().expect("live");
    let ours: Vec<(String, String)> = book
        .bids()
        .map(|level| (level.price.to_string(), level.quantity.to_string()))
        .collect();
    let naive: Vec<(String, String)> = strings.bids.into_iter().rev().collect();
    assert_eq!(ours, naive);
    assert_eq!(book.asks().len(), decimals.asks.len());
    assert_eq!(
        book.best_ask().map(|level| level.price),
        decimals.asks.keys().next().copied()
    );
}

fn apply_updates(c: &mut Criterion) {
    let scenario = scenario();
    check_agreement(&scenario);
    let live = live_sync(&scenario.snapshot);
    let strings = StringBook::from_depth(&scenario.snapshot);
    let decimals = DecimalBook::from_depth(&scenario.snapshot);

    let mut group = c.benchmark_group("order_book_apply_20_levels");
    group.throughput(Throughput::Elements(UPDATES as u64));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("mbx_book_sync", |b| {
        b.iter_batched(
            || (live.clone(), scenario.updates.clone()),
            |(mut sync, updates)| {
                for update in updates {
                    let _ = black_box(sync.on_diff(update));
                }
                sync
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("baseline_btreemap_string_string", |b| {
        b.iter_batched(
            || {
                let updates: Vec<StringUpdate> =
                    scenario.updates.iter().map(string_update).collect();
                (strings.clone(), updates)
            },
            |(mut book, updates)| {
                for update in updates {
                    book.apply(update);
                }
                black_box(book)
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("btreemap_decimal_decimal", |b| {
        b.iter_batched(
            || (decimals.clone(), scenario.updates.clone()),
            |(mut book, updates)| {
                for update in updates {
                    book.apply(update);
                }
                black_box(book)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, apply_updates);
criterion_main!(benches);
