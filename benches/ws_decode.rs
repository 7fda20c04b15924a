//! Market-stream messages decoded per second: mbx's borrowed wire types and
//! the typed domain events, next to a plain `serde_json::Value` parse of the
//! same frames in the same run.
//!
//! Run: `cargo bench -p mbx-benches --bench ws_decode`. Figures: BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mbx_adapters_ws::wire::{self, MarketFrame};

/// A raw `aggTrade` frame with BTCUSDT-sized numbers.
const AGG_TRADE: &str = r#"{"e":"aggTrade","E":1732550400123,"s":"BTCUSDT","a":3276543210,"p":"98234.51000000","q":"0.00512000","f":4398046511,"l":4398046514,"T":1732550400122,"m":true,"M":true}"#;

/// A raw `trade` frame.
const TRADE: &str = r#"{"e":"trade","E":1732550400123,"s":"BTCUSDT","t":4398046511,"p":"98234.51000000","q":"0.00512000","T":1732550400122,"m":false,"M":true}"#;

/// A combined-stream `depthUpdate` frame with 10 bid and 10 ask levels, the
/// size of a busy `@depth@100ms` update.
fn depth_update() -> String {
    let side = |base: u32, step: i32| {
        (0..10)
            .map(|idx| {
                format!(
                    r#"["{}.{:02}000000","{}.{:05}000"]"#,
                    base as i32 + step * idx,
                    idx * 7,
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

fn bench_frame(c: &mut Criterion, name: &str, frame: &str) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("mbx_wire_borrowed", |b| {
        b.iter(|| black_box(wire::decode_market(black_box(frame)).is_ok()))
    });
    group.bench_function("mbx_typed_domain_event", |b| {
        b.iter(|| {
            let Ok(MarketFrame::Event { event, .. }) = wire::decode_market(black_box(frame)) else {
                unreachable!("the bench frames are valid")
            };
            black_box(event.to_domain().is_ok())
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(black_box(frame)).is_ok()))
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    bench_frame(c, "ws_decode_agg_trade", AGG_TRADE);
    bench_frame(c, "ws_decode_trade", TRADE);
    bench_frame(c, "ws_decode_depth_update_10x10", &depth_update());
}

criterion_group!(benches, decode);
criterion_main!(benches);
