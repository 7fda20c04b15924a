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
use serde::Deserialize;

/// A raw `aggTrade` frame with BTCUSDT-sized numbers.
const AGG_TRADE: &str = r#"{"e":"aggTrade","E":1732550400123,"s":"BTCUSDT","a":3276543210,"p":"98234.51000000","q":"0.00512000","f":4398046511,"l":4398046514,"T":1732550400122,"m":true,"M":true}"#;

/// A raw `trade` frame.
const TRADE: &str = r#"{"e":"trade","E":1732550400123,"s":"BTCUSDT","t":4398046511,"p":"98234.51000000","q":"0.00512000","T":1732550400122,"m":false,"M":true}"#;

/// A combined-stream `depthUpdate` frame with `n` bid and `n` ask levels;
/// 20 + 20 is the size of a busy `@depth@100ms` update.
fn depth_update(n: i32) -> String {
    let side = |base: i32, step: i32| {
        (0..n)
            .map(|idx| {
                format!(
                    r#"["{}.{:02}000000","{}.{:05}000"]"#,
                    base + step * idx,
                    idx * 7 % 100,
                    idx % 3,
                    12345 + idx * 111
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1732550400123,"s":"BTCUSDT","U":61234567890,"u":61234567912,"b":[{}],"a":[{}]}}}}"#,
        side(98234, -1),
        side(98235, 1)
    )
}

/// `serde_json` into borrowed structs: the baseline a careful client writes.
#[allow(non_snake_case, dead_code)]
mod borrowed {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Envelope<'a, T> {
        pub stream: &'a str,
        pub data: T,
    }

    #[derive(Deserialize)]
    pub struct AggTrade<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub a: u64,
        pub p: &'a str,
        pub q: &'a str,
        pub f: u64,
        pub l: u64,
        pub T: i64,
        pub m: bool,
        pub M: bool,
    }

    #[derive(Deserialize)]
    pub struct Trade<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub t: u64,
        pub p: &'a str,
        pub q: &'a str,
        pub T: i64,
        pub m: bool,
        pub M: bool,
    }

    #[derive(Deserialize)]
    pub struct DepthUpdate<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub U: u64,
        pub u: u64,
        #[serde(borrow)]
        pub b: Vec<(&'a str, &'a str)>,
        #[serde(borrow)]
        pub a: Vec<(&'a str, &'a str)>,
    }
}

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
    let combined_agg_trade = format!(r#"{{"stream":"btcusdt@aggTrade","data":{AGG_TRADE}}}"#);
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
