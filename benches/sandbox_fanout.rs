//! Stream fan-out of the sandbox: events per second delivered to 100
//! concurrent WebSocket Streams subscribers on loopback.
//!
//! 100 plain WebSocket clients listen to `btcusdt@trade` and
//! `btcusdt@aggTrade`. A driver places small market orders straight into
//! the engine at a fixed rate (each one prints one trade, so two frames);
//! every client counts the frames it receives. Each step runs 3 s at a
//! higher rate; the figure is the delivered events per second (sum over the
//! clients) and the share of produced frames each client received (a slow
//! client skips frames rather than slowing the feed). Bounded to ~25 s.
//!
//! Run: `cargo bench -p mbx-benches --bench sandbox_fanout`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mbx_sandbox::engine::NewOrder;
use mbx_sandbox::model::{OrderType, Side};
use mbx_sandbox::{Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use tokio_tungstenite::tungstenite::Message;

const CLIENTS: usize = 100;
const STEP: Duration = Duration::from_secs(3);
const RATES: [u64; 5] = [1_000, 2_000, 5_000, 10_000, 20_000];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    // Orders are spread over many accounts: the engine scans an account's
    // orders on every placement, and the bench measures the feed, not that.
    let mut config = SandboxConfig::demo();
    for uid in 1_000..1_200 {
        config.accounts.push(mbx_sandbox::AccountConfig {
            uid,
            api_keys: Vec::new(),
            balances: vec![
                ("BTC".to_owned(), "1000".to_owned()),
                ("USDT".to_owned(), "100000000".to_owned()),
            ],
        });
    }
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let url = format!(
        "{}/ws/btcusdt@trade/btcusdt@aggTrade",
        sandbox.ws_stream_url()
    );
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("connect");
        let received = received.clone();
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
                    Ok(Some(Ok(Message::Text(_)))) => {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Some(Ok(_))) | Err(_) => {}
                    Ok(None) | Ok(Some(Err(_))) => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("sandbox_fanout: {CLIENTS} subscribers to btcusdt@trade + btcusdt@aggTrade");
    println!(
        "{:>10} {:>8} {:>14} {:>19} {:>9}",
        "orders/s", "failed", "frames made/s", "events delivered/s", "received"
    );
    for rate in RATES {
        let live = sandbox.exchange().live();
        let made_before = live.stream_frames_published();
        let got_before = received.load(Ordering::Relaxed);
        let started = Instant::now();
        let mut placed: u64 = 0;
        let mut buy = true;
        let mut failed = 0;
        while started.elapsed() < STEP {
            let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
            while placed < due {
                let side = if buy { Side::Buy } else { Side::Sell };
                let mut order = NewOrder::new("BTCUSDT", side, OrderType::Market);
                order.quantity = Some(Decimal::new(1, 4));
                let now = sandbox.exchange().now_ms();
                let uid = 1_000 + (placed / 2) % 200;
                let placed_order = sandbox.exchange().engine().place(uid, &order, now);
                if let Err(err) = placed_order {
                    if failed == 0 {
                        eprintln!("first failure: {} {}", err.code, err.msg);
                    }
                    failed += 1;
                }
                buy = !buy;
                placed += 1;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Let the clients drain what is in flight.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let secs = STEP.as_secs_f64();
        let made = live.stream_frames_published() - made_before;
        let got = received.load(Ordering::Relaxed) - got_before;
        let share = got as f64 / (made.max(1) * CLIENTS as u64) as f64 * 100.0;
        println!(
            "{:>10} {:>8} {:>14.0} {:>19.0} {:>8.1}%",
            rate,
            failed,
            made as f64 / secs,
            got as f64 / secs,
            share
        );
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = client.await;
    }
    sandbox.shutdown().await;
}
