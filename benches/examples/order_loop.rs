//! Places N orders over REST (or the WebSocket API) against an in-process
//! sandbox, one after another, and prints the rate: a target for `perf`
//! and `strace` without criterion's analysis in the profile. The sandbox,
//! the client and the order are the `orders` bench's.
//!
//! Run: `cargo run --release -p mbx-benches --example order_loop -- rest 20000`
//! (or `ws 20000`).

use std::time::Instant;

use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
use mbx_benches::orders::{demo_credentials, ioc_order, unlimited_rest_client, unlimited_sandbox};
use mbx_domain::ports::OrderEntry;
use mbx_sandbox::Sandbox;

fn main() {
    let mut args = std::env::args().skip(1);
    let transport = args.next().unwrap_or_else(|| "rest".to_owned());
    let count: u32 = args.next().map_or(20_000, |n| n.parse().expect("a count"));
    // As in the bench: the sandbox on a runtime of its own, the client on
    // a current-thread runtime.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sandbox = server
        .block_on(Sandbox::start(unlimited_sandbox()))
        .expect("sandbox");
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let order = ioc_order();
    let client_entry: Box<dyn OrderEntry> = if transport == "ws" {
        let ws_url = format!("ws://{}/ws-api/v3", sandbox.local_addr());
        Box::new(
            client
                .block_on(WsOrderEntry::connect(
                    ApiConfig::new(ws_url),
                    demo_credentials(),
                ))
                .expect("WebSocket API session"),
        )
    } else {
        Box::new(unlimited_rest_client(&sandbox.rest_url()))
    };
    // The connection is open and warm before the clock starts.
    client
        .block_on(client_entry.place_order(&order))
        .expect("order");
    let started = Instant::now();
    for _ in 0..count {
        client
            .block_on(client_entry.place_order(&order))
            .expect("order");
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
