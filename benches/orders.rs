//! Orders: the client-side cost of one order (build, pre-flight validate,
//! sign; no network) next to signing alone; the round trip of a limit
//! order placed and acknowledged over loopback against the in-process
//! sandbox, over REST and over the WebSocket API; python-binance and ccxt
//! placing the same order against the same sandbox in the same run (when
//! `.venv-compat` exists: `cargo xtask compat` installs the pinned
//! versions); and the sandbox's matching engine alone, without network.
//!
//! The loopback order is `LIMIT IOC` 0.001 BTCUSDT far below the market:
//! accepted, acknowledged and expired at once, so the book does not grow.
//!
//! Run: `cargo bench -p mbx-benches --bench orders`. Figures:
//! BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt as _;
use mbx_adapters_rest::RestClient;
use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
use mbx_benches::orders::{demo_credentials, ioc_order, unlimited_rest_client, unlimited_sandbox};
use mbx_domain::ports::OrderEntry as _;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox};
use rust_decimal::Decimal;

fn client_side(c: &mut Criterion) {
    let fixture = mbx_benches::orders::ClientSide::new();
    let mut group = c.benchmark_group("order_client_side");
    group.throughput(Throughput::Elements(1));
    // Exactly what the product does before the network, through the same
    // functions (see `mbx_benches::orders::ClientSide::build_validate_sign`).
    group.bench_function("build_validate_sign", |b| {
        b.iter(|| black_box(fixture.build_validate_sign()))
    });
    // The same run's baseline: signing the same order's query, the way
    // most clients sign (a new HMAC per request), with nothing checked.
    group.bench_function("baseline_sign_only", |b| {
        b.iter(|| black_box(mbx_benches::orders::baseline_sign_only()))
    });
    group.finish();
}

/// Round trips over loopback. The sandbox runs on a runtime of its own
/// (one worker thread), as it would in its own `mbx sandbox` process.
///
/// The client runs the way a latency-sensitive embedder runs it: a
/// current-thread Tokio runtime, so the request, the HTTP connection's task
/// and the WebSocket API session's task all run on the caller's thread and
/// no answer crosses threads on the client side (`mbx_rest`,
/// `mbx_ws_api`). `mbx_rest_multi_thread` is the same client on a
/// two-worker runtime driven by `block_on` from outside it, as this bench
/// ran before: each answer is then handed from a worker to the caller's
/// thread (a futex wake-up and a context switch per order).
fn loopback(c: &mut Criterion) {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = server
        .block_on(Sandbox::start(unlimited_sandbox()))
        .unwrap();
    let url = sandbox.rest_url();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rest = unlimited_rest_client(&url);
    let rest_shared = unlimited_rest_client(&url);
    let ws_url = format!("ws://{}/ws-api/v3", sandbox.local_addr());
    let ws = client
        .block_on(WsOrderEntry::connect(
            ApiConfig::new(ws_url),
            demo_credentials(),
        ))
        .unwrap();
    let order = ioc_order();
    client.block_on(rest.place_order(&order)).unwrap();
    client.block_on(ws.place_order(&order)).unwrap();
    shared.block_on(rest_shared.place_order(&order)).unwrap();

    let mut group = c.benchmark_group("order_loopback");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mbx_rest", |b| {
        b.iter(|| black_box(client.block_on(rest.place_order(&order)).unwrap()))
    });
    group.bench_function("mbx_ws_api", |b| {
        b.iter(|| black_box(client.block_on(ws.place_order(&order)).unwrap()))
    });
    group.bench_function("mbx_rest_multi_thread", |b| {
        b.iter(|| black_box(shared.block_on(rest_shared.place_order(&order)).unwrap()))
    });
    group.finish();
    sequential(&client, &rest, &ws, &url);
    drop(shared);
    server.block_on(sandbox.shutdown());
}

/// Orders placed one after another on one connection, each waiting for
/// its answer: mbx over REST and over the WebSocket API, then
/// python-binance and ccxt against the same sandbox, right after, so the
/// ratios compare like with like.
fn sequential(client: &tokio::runtime::Runtime, rest: &RestClient, ws: &WsOrderEntry, url: &str) {
    const COUNT: u32 = 2_000;
    if !wanted("order_loopback/sequential") {
        return;
    }
    let order = ioc_order();
    let rate = |place: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..COUNT {
            place();
        }
        f64::from(COUNT) / started.elapsed().as_secs_f64()
    };
    let mbx_rate = rate(&|| {
        client.block_on(rest.place_order(&order)).unwrap();
    });
    println!("order_loopback/sequential: mbx_rest {COUNT} orders, {mbx_rate:.0} orders/s");
    let ws_rate = rate(&|| {
        client.block_on(ws.place_order(&order)).unwrap();
    });
    println!("order_loopback/sequential: mbx_ws_api {COUNT} orders, {ws_rate:.0} orders/s");
    // Not sequential, and never to be read as the sequential figure:
    // several `order.place` in flight on the one session, each answer
    // matched to its request by id (each order still sent once, its own
    // outcome reported to its own caller).
    const IN_FLIGHT: usize = 16;
    let started = Instant::now();
    client.block_on(async {
        futures_util::stream::iter(0..COUNT)
            .map(|_| ws.place_order(&order))
            .buffer_unordered(IN_FLIGHT)
            .for_each(|placed| {
                placed.unwrap();
                std::future::ready(())
            })
            .await;
    });
    let pipelined = f64::from(COUNT) / started.elapsed().as_secs_f64();
    println!(
        "order_loopback/pipelined: mbx_ws_api {COUNT} orders, {IN_FLIGHT} in flight on one session, {pipelined:.0} orders/s (not sequential)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv-compat/bin/python");
    if !python.exists() {
        println!(
            "order_loopback/python: skipped, no {} (run `cargo xtask compat` once)",
            python.display()
        );
        return;
    }
    let script = root.join("benches/python_orders.py");
    for name in ["python-binance", "ccxt"] {
        let out = Command::new(&python)
            .arg(&script)
            .args([name, url, DEMO_API_KEY, DEMO_API_SECRET, &COUNT.to_string()])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let seconds = text
            .split_whitespace()
            .rev()
            .nth(1)
            .and_then(|s| s.parse::<f64>().ok());
        match (out.status.success(), seconds) {
            (true, Some(seconds)) => {
                let rate = f64::from(COUNT) / seconds;
                println!(
                    "order_loopback/sequential: {} → {rate:.0} orders/s; mbx_rest is {:.1}x, mbx_ws_api {:.1}x",
                    text.trim(),
                    mbx_rate / rate,
                    ws_rate / rate
                );
            }
            _ => println!(
                "order_loopback/sequential: {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

/// Whether the command line's filters (criterion's positional arguments;
/// numbers are the values of its options) select `name`: the sequential
/// runs are not criterion benches, so criterion cannot skip them itself
/// (`--bench order_client_side` or `--profile-time` on one bench must not
/// start Python).
fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-') && arg.parse::<f64>().is_err())
        .collect();
    filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()))
}

/// The matching engine alone: market orders (alternating sides) matched
/// against the sandbox's book, and a limit order placed on the book then
/// canceled; no network, no HTTP, no signature.
///
/// Each iteration is one millisecond later on the sandbox clock and moves
/// the market there first, as every request does (`advance_engine`): the
/// walk steps once per 1,000 iterations, refilling the synthetic book the
/// market orders take from, and the engine's history grows as it would
/// under a bot. (With the clock stopped, a run long enough to measure a
/// fast engine empties the book and then the account.)
fn matching(c: &mut Criterion) {
    let mut config = unlimited_sandbox();
    config.accounts[0].balances = vec![
        ("BTC".to_owned(), "1000".to_owned()),
        ("USDT".to_owned(), "100000000".to_owned()),
    ];
    let uid = config.accounts[0].uid;
    let exchange = mbx_sandbox::Exchange::new(&config).unwrap();
    let market = |side| {
        let mut new = mbx_sandbox::engine::NewOrder::new(
            "BTCUSDT",
            side,
            mbx_sandbox::model::OrderType::Market,
        );
        new.quantity = Some(Decimal::new(1, 4));
        new
    };
    let (buy, sell) = (
        market(mbx_sandbox::model::Side::Buy),
        market(mbx_sandbox::model::Side::Sell),
    );
    let resting = mbx_sandbox::engine::NewOrder {
        order_type: mbx_sandbox::model::OrderType::Limit,
        quantity: Some(Decimal::new(1, 3)),
        price: Some(Decimal::new(50_000, 0)),
        ..market(mbx_sandbox::model::Side::Buy)
    };
    let clock = std::cell::Cell::new(exchange.now_ms());
    let tick = || {
        clock.set(clock.get() + 1);
        clock.get()
    };
    let mut group = c.benchmark_group("sandbox_matching");
    group.throughput(Throughput::Elements(2));
    group.bench_function("market_buy_then_sell", |b| {
        b.iter(|| {
            let now = tick();
            let mut engine = exchange.engine();
            engine.advance(now);
            black_box(engine.place(uid, &buy, now).unwrap());
            black_box(engine.place(uid, &sell, now).unwrap());
        })
    });
    group.bench_function("limit_place_then_cancel", |b| {
        b.iter(|| {
            let now = tick();
            let mut engine = exchange.engine();
            engine.advance(now);
            let (order, _) = engine.place(uid, &resting, now).unwrap();
            black_box(engine.cancel(uid, order.order_id, now).unwrap());
        })
    });
    group.finish();
}

criterion_group!(benches, client_side, loopback, matching);
criterion_main!(benches);
