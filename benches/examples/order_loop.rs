//! Places N orders over REST (or the WebSocket API) against an in-process
//! sandbox, one after another, and prints the rate: a target for `perf`
//! and `strace` without criterion's analysis in the profile.
//!
//! Run: `cargo run --release -p mbx-benches --example order_loop -- rest 20000`.

use std::time::Instant;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{NewOrder, RateLimit, RateLimitInterval, RateLimitType, Side, TimeInForce};
use mbx_domain::ports::OrderEntry as _;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, RateLimitConfig, Sandbox, SandboxConfig};
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;

fn credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let transport = args.next().unwrap_or_else(|| "rest".to_owned());
    let count: u32 = args.next().map_or(20_000, |n| n.parse().unwrap());
    let mut config = SandboxConfig::demo();
    config.limits = RateLimitConfig {
        request_weight_per_minute: u32::MAX / 2,
        orders_per_10s: u32::MAX / 2,
        orders_per_day: u32::MAX / 2,
        raw_requests_per_5m: u32::MAX / 2,
    };
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = server.block_on(Sandbox::start(config)).unwrap();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        Decimal::new(1, 3),
        Decimal::new(50_000, 0),
    );
    order.time_in_force = Some(TimeInForce::Ioc);
    let started;
    if transport == "ws" {
        let ws_url = format!("ws://{}/ws-api/v3", sandbox.local_addr());
        let ws = client
            .block_on(WsOrderEntry::connect(ApiConfig::new(ws_url), credentials()))
            .unwrap();
        client.block_on(ws.place_order(&order)).unwrap();
        started = Instant::now();
        for _ in 0..count {
            client.block_on(ws.place_order(&order)).unwrap();
        }
    } else {
        let rest = RestClient::new(
            ClientConfig::new(&sandbox.rest_url()).unwrap(),
            Some(credentials()),
        )
        .unwrap();
        rest.set_rate_limits(&[RateLimit {
            rate_limit_type: RateLimitType::RequestWeight,
            interval: RateLimitInterval::Minute,
            interval_num: 1,
            limit: u32::MAX / 2,
        }]);
        client.block_on(rest.place_order(&order)).unwrap();
        started = Instant::now();
        for _ in 0..count {
            client.block_on(rest.place_order(&order)).unwrap();
        }
    }
    let took = started.elapsed();
    println!(
        "{transport}: {count} orders in {:.3} s, {:.0} orders/s, {:.1} µs each",
        took.as_secs_f64(),
        f64::from(count) / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / f64::from(count)
    );
    server.block_on(sandbox.shutdown());
}
