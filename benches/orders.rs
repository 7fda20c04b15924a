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
use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
use mbx_benches::naive_hmac_hex;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{
    NewOrder, RateLimit, RateLimitInterval, RateLimitType, Side, SymbolInfo, TimeInForce,
};
use mbx_domain::ports::OrderEntry as _;
use mbx_domain::preflight::{self, Context};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, RateLimitConfig, Sandbox, SandboxConfig};
use mbx_signing::payload::Payload;
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;

/// BTCUSDT's rules as the sandbox (and Binance) list them.
const BTCUSDT: &str = r#"{
  "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "baseAssetPrecision": 8,
  "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8,
  "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"], "icebergAllowed": false,
  "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": false, "isSpotTradingAllowed": true,
  "filters": [
    {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
    {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
    {"filterType": "ICEBERG_PARTS", "limit": 10},
    {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "900.00000000", "stepSize": "0.00000000"},
    {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
    {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
    {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
    {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
    {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}
  ]}"#;

/// The order every client places: far below the market, so IOC expires it.
fn ioc_order() -> NewOrder {
    let mut order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        Decimal::new(1, 3),
        Decimal::new(50_000, 0),
    );
    order.time_in_force = Some(TimeInForce::Ioc);
    order
}

fn client_side(c: &mut Criterion) {
    let symbol: SymbolInfo = serde_json::from_str(BTCUSDT).unwrap();
    let signer = Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap());
    let context = Context {
        average_price: Some(Decimal::new(97_000, 0)),
        ..Context::default()
    };
    let mut group = c.benchmark_group("order_client_side");
    group.throughput(Throughput::Elements(1));
    // What the use-case does before the network: the order with its client
    // order id, every filter checked, the signed query, written into one
    // reusable buffer.
    let mut query = Payload::with_capacity(256);
    group.bench_function("build_validate_sign", |b| {
        b.iter(|| {
            let mut order = NewOrder::limit(
                "BTCUSDT",
                Side::Buy,
                black_box(Decimal::new(12_345, 7)),
                black_box(Decimal::new(5_000_001, 2)),
            );
            order.price =
                preflight::round_price(&symbol, order.price.unwrap(), preflight::Rounding::Down);
            order.quantity = preflight::round_quantity(
                &symbol,
                order.order_type,
                order.quantity.unwrap(),
                preflight::Rounding::Down,
            );
            order.new_client_order_id = Some(mbx_client::orders::client_id::generate());
            assert!(preflight::validate(&symbol, &order, &context).is_ok());
            query.clear();
            order.write_params(&mut query);
            query.push("recvWindow", "5000");
            query.push("timestamp", black_box("1764100000000"));
            let signature = signer.sign(query.as_bytes());
            query.push_signature(&signature);
            black_box(query.as_bytes().len())
        })
    });
    // The same run's baseline: signing the same order's query, the way
    // most clients sign (a new HMAC per request), with nothing checked.
    let payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00123&price=50000&newOrderRespType=FULL&newClientOrderId=mbx-abcdefghijklmnopqrst&recvWindow=5000&timestamp=1764100000000";
    group.bench_function("baseline_sign_only", |b| {
        b.iter(|| black_box(naive_hmac_hex(DEMO_API_SECRET, black_box(payload))))
    });
    group.finish();
}

fn credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

fn unlimited() -> SandboxConfig {
    let mut config = SandboxConfig::demo();
    config.limits = RateLimitConfig {
        request_weight_per_minute: u32::MAX / 2,
        orders_per_10s: u32::MAX / 2,
        orders_per_day: u32::MAX / 2,
        raw_requests_per_5m: u32::MAX / 2,
    };
    config
}

fn loopback(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime.block_on(Sandbox::start(unlimited())).unwrap();
    let url = sandbox.rest_url();
    let rest = RestClient::new(ClientConfig::new(&url).unwrap(), Some(credentials())).unwrap();
    rest.set_rate_limits(&[RateLimit {
        rate_limit_type: RateLimitType::RequestWeight,
        interval: RateLimitInterval::Minute,
        interval_num: 1,
        limit: u32::MAX / 2,
    }]);
    let ws_url = format!("ws://{}/ws-api/v3", sandbox.local_addr());
    let ws = runtime
        .block_on(WsOrderEntry::connect(ApiConfig::new(ws_url), credentials()))
        .unwrap();
    let order = ioc_order();
    runtime.block_on(rest.place_order(&order)).unwrap();
    runtime.block_on(ws.place_order(&order)).unwrap();

    let mut group = c.benchmark_group("order_loopback");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mbx_rest", |b| {
        b.iter(|| black_box(runtime.block_on(rest.place_order(&order)).unwrap()))
    });
    group.bench_function("mbx_ws_api", |b| {
        b.iter(|| black_box(runtime.block_on(ws.place_order(&order)).unwrap()))
    });
    group.finish();
    python_clients(&runtime, &rest, &url);
    runtime.block_on(sandbox.shutdown());
}

/// python-binance and ccxt against the same sandbox, right after mbx, with
/// mbx measured again the same way (orders back to back on one
/// connection) so the ratio compares like with like.
fn python_clients(runtime: &tokio::runtime::Runtime, rest: &RestClient, url: &str) {
    const COUNT: u32 = 2_000;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv-compat/bin/python");
    if !python.exists() {
        println!(
            "order_loopback/python: skipped, no {} (run `cargo xtask compat` once)",
            python.display()
        );
        return;
    }
    let order = ioc_order();
    let started = Instant::now();
    for _ in 0..COUNT {
        runtime.block_on(rest.place_order(&order)).unwrap();
    }
    let mbx_rate = f64::from(COUNT) / started.elapsed().as_secs_f64();
    println!("order_loopback/sequential: mbx_rest {COUNT} orders, {mbx_rate:.0} orders/s");
    let script = root.join("benches/python_orders.py");
    for client in ["python-binance", "ccxt"] {
        let out = Command::new(&python)
            .arg(&script)
            .args([
                client,
                url,
                DEMO_API_KEY,
                DEMO_API_SECRET,
                &COUNT.to_string(),
            ])
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
                    "order_loopback/sequential: {} → {rate:.0} orders/s; mbx_rest is {:.1}x",
                    text.trim(),
                    mbx_rate / rate
                );
            }
            _ => println!(
                "order_loopback/sequential: {client} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
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
    let mut config = unlimited();
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
