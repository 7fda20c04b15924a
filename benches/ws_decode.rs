//! Market-stream messages decoded per second: mbx's borrowed wire types
//! (`wire::decode_market`) and the typed domain events with exact decimals
//! (`wire::decode_market_typed`, what `MarketStreams` yields), next to
//! `serde_json` in the same run: into a borrowed struct with the same fields
//! (decimals left as `&str`, what a careful hand-written client does) and
//! into a plain `serde_json::Value`.
//!
//! Run: `cargo bench -p mbx-benches --bench ws_decode`. Figures: BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mbx_adapters_ws::wire::{self, TypedFrame};
use mbx_benches::frames::{self as borrowed, AGG_TRADE, TRADE, combined_agg_trade, depth_update};
use serde::Deserialize;

fn bench_frame<'a, T: Deserialize<'a>>(c: &mut Criterion, name: &str, frame: &'a str) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("mbx_wire_borrowed", |b| {
        b.iter(|| black_box(wire::decode_market(black_box(frame)).is_ok()))
    });
    group.bench_function("mbx_typed_domain_event", |b| {
        b.iter(|| {
            let Ok(TypedFrame::Event { event, .. }) = wire::decode_market_typed(black_box(frame))
            else {
                unreachable!("the bench frames are valid")
            };
            black_box(event)
        })
    });
    group.bench_function("serde_json_borrowed_struct", |b| {
        b.iter(|| black_box(serde_json::from_str::<T>(black_box(frame)).is_ok()))
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(black_box(frame)).is_ok()))
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let combined_agg_trade = combined_agg_trade();
    let depth_10 = depth_update(10);
    let depth_20 = depth_update(20);
    bench_frame::<borrowed::AggTrade<'_>>(c, "ws_decode_agg_trade", AGG_TRADE);
    bench_frame::<borrowed::Trade<'_>>(c, "ws_decode_trade", TRADE);
    bench_frame::<borrowed::Envelope<'_, borrowed::AggTrade<'_>>>(
        c,
        "ws_decode_agg_trade_combined",
        &combined_agg_trade,
    );
    bench_frame::<borrowed::Envelope<'_, borrowed::DepthUpdate<'_>>>(
        c,
        "ws_decode_depth_update_10x10",
        &depth_10,
    );
    bench_frame::<borrowed::Envelope<'_, borrowed::DepthUpdate<'_>>>(
        c,
        "ws_decode_depth_update_20x20",
        &depth_20,
    );
}

criterion_group!(benches, decode);
criterion_main!(benches);
