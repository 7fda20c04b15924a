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

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mbx_benches::book::{
    DecimalBook, StringBook, StringUpdate, UPDATES, check_agreement, live_sync, scenario,
    string_update,
};

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
