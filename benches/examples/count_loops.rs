//! Fixed-iteration loops of the `ws_decode` and `order_book` benches, for
//! counting instructions and cache misses with valgrind where wall-clock
//! figures are too noisy (a shared machine). Each case runs its work in a
//! function named `run_*`, so the count can be limited to it:
//!
//! ```text
//! cargo build --release -p mbx-benches --example count_loops
//! valgrind --tool=callgrind --cache-sim=yes --toggle-collect='*run_*' \
//!     --callgrind-out-file=/dev/null target/release/examples/count_loops depth_typed
//! ```
//!
//! Cases: `agg_typed`, `agg_serde`, `depth_typed`, `depth_serde` (2,000
//! decodes of the combined frames) and `book_mbx`, `book_naive` (10 times
//! the 1,000 diffs of 20 levels), `order_client_side` and
//! `order_baseline_sign_only` (10,000 orders built, checked and signed as
//! `benches/orders.rs` does, and its same-query HMAC baseline). Divide the
//! counts accordingly. An optional
//! second argument repeats the decode cases that many times, to read the
//! process's CPU time (`/usr/bin/time -f %U`), which a busy machine's other
//! processes do not inflate the way they inflate wall-clock time.

use std::hint::black_box;

use mbx_adapters_ws::wire::{self, TypedFrame};
use mbx_benches::book::{self, StringBook, StringUpdate};
use mbx_benches::frames;
use mbx_domain::order_book::BookSync;
use mbx_domain::stream::DepthUpdate;
use serde::Deserialize;

const DECODES: u32 = 2_000;
const BOOK_ROUNDS: usize = 10;
/// Orders per `order_*` case.
const ORDERS: u32 = 10_000;

fn main() {
    let case = std::env::args().nth(1).unwrap_or_default();
    let repeat: u32 = std::env::args()
        .nth(2)
        .and_then(|text| text.parse().ok())
        .unwrap_or(1);
    let agg = frames::combined_agg_trade();
    let depth = frames::depth_update(20);
    match case.as_str() {
        "agg_typed" => (0..repeat).for_each(|_| run_typed(&agg)),
        "agg_serde" => {
            (0..repeat).for_each(|_| run_serde::<frames::Envelope<'_, frames::AggTrade<'_>>>(&agg))
        }
        "depth_typed" => (0..repeat).for_each(|_| run_typed(&depth)),
        "depth_serde" => (0..repeat)
            .for_each(|_| run_serde::<frames::Envelope<'_, frames::DepthUpdate<'_>>>(&depth)),
        "book_mbx" | "book_naive" => {
            let scenario = book::scenario();
            let live = book::live_sync(&scenario.snapshot);
            let strings = StringBook::from_depth(&scenario.snapshot);
            for _ in 0..BOOK_ROUNDS {
                if case == "book_mbx" {
                    black_box(run_book_mbx(live.clone(), scenario.updates.clone()));
                } else {
                    let updates = scenario.updates.iter().map(book::string_update).collect();
                    black_box(run_book_naive(strings.clone(), updates));
                }
            }
        }
        "order_client_side" => {
            let fixture = mbx_benches::orders::ClientSide::new();
            (0..repeat).for_each(|_| run_order_client_side(&fixture));
        }
        "order_baseline_sign_only" => (0..repeat).for_each(|_| run_order_baseline()),
        other => {
            eprintln!("unknown case `{other}`; see the file's docs");
            std::process::exit(2);
        }
    }
}

#[inline(never)]
fn run_order_client_side(fixture: &mbx_benches::orders::ClientSide) {
    for _ in 0..ORDERS {
        black_box(fixture.build_validate_sign());
    }
}

#[inline(never)]
fn run_order_baseline() {
    for _ in 0..ORDERS {
        black_box(mbx_benches::orders::baseline_sign_only());
    }
}

#[inline(never)]
fn run_typed(frame: &str) {
    for _ in 0..DECODES {
        let decoded = wire::decode_market_typed(black_box(frame));
        assert!(matches!(decoded, Ok(TypedFrame::Event { .. })));
        black_box(decoded.ok());
    }
}

#[inline(never)]
fn run_serde<'a, T: Deserialize<'a>>(frame: &'a str) {
    for _ in 0..DECODES {
        black_box(serde_json::from_str::<T>(black_box(frame)).is_ok());
    }
}

#[inline(never)]
fn run_book_mbx(mut sync: BookSync, updates: Vec<DepthUpdate>) -> BookSync {
    for update in updates {
        let _ = black_box(sync.on_diff(update));
    }
    sync
}

#[inline(never)]
fn run_book_naive(mut book: StringBook, updates: Vec<StringUpdate>) -> StringBook {
    for update in updates {
        book.apply(update);
    }
    book
}
