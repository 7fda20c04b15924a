//! Load on the sandbox: signed `GET /api/v3/account` requests per second
//! over loopback, with HMAC verification, and the p99 latency.
//!
//! N keep-alive connections each send requests back to back for a fixed
//! time; every request carries a fresh `timestamp` and HMAC signature, so
//! the server verifies every one. The client is a minimal HTTP/1.1 writer
//! and reader on a `TcpStream`, so that the figures measure the sandbox and
//! not an HTTP client library. Bounded: about 12 s in all.
//!
//! Run: `cargo bench -p mbx-benches --bench sandbox_load`. Figures go to
//! BENCHMARKS.md; nothing here asserts on time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, RateLimitConfig, Sandbox, SandboxConfig};
use mbx_signing::HmacKey;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const WARMUP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then a short smoke run is enough.
    let smoke = !std::env::args().any(|arg| arg == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut config = SandboxConfig::demo();
        config.limits = RateLimitConfig {
            request_weight_per_minute: u32::MAX,
            orders_per_10s: u32::MAX,
            orders_per_day: u32::MAX,
            raw_requests_per_5m: u32::MAX,
        };
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let addr = sandbox.local_addr();
        let levels: &[usize] = if smoke { &[2] } else { &[16, 64] };
        let (warmup, measure) = if smoke {
            (Duration::from_millis(50), Duration::from_millis(200))
        } else {
            (WARMUP, MEASURE)
        };
        for &connections in levels {
            let result = load(addr, connections, warmup, measure).await;
            println!(
                "sandbox_load: GET /api/v3/account, {connections} connections, {:.1} s: {} requests, {:.0} req/s, p50 {} µs, p99 {} µs, errors {}",
                measure.as_secs_f64(),
                result.requests,
                result.requests as f64 / measure.as_secs_f64(),
                result.p50_us,
                result.p99_us,
                result.errors,
            );
        }
        sandbox.shutdown().await;
    });
}

struct LoadResult {
    requests: usize,
    errors: usize,
    p50_us: u128,
    p99_us: u128,
}

async fn load(
    addr: std::net::SocketAddr,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> LoadResult {
    let start = Instant::now() + warmup;
    let end = start + measure;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        tasks.push(tokio::spawn(connection(addr, start, end)));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut task_latencies, task_errors) = task.await.expect("client task");
        latencies.append(&mut task_latencies);
        errors += task_errors;
    }
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map(Duration::as_micros)
            .unwrap_or(0)
    };
    LoadResult {
        requests: latencies.len(),
        errors,
        p50_us: pick(0.50),
        p99_us: pick(0.99),
    }
}

/// One keep-alive connection sending signed requests until `end`; returns
/// the latencies of the requests that started after `start`.
async fn connection(
    addr: std::net::SocketAddr,
    start: Instant,
    end: Instant,
) -> (Vec<Duration>, usize) {
    let key = HmacKey::new(DEMO_API_SECRET.as_bytes()).expect("demo secret");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis();
        let payload = format!("omitZeroBalances=true&timestamp={timestamp}");
        let signature = key.sign(payload.as_bytes());
        let request = format!(
            "GET /api/v3/account?{payload}&signature={} HTTP/1.1\r\nhost: {addr}\r\nx-mbx-apikey: {DEMO_API_KEY}\r\n\r\n",
            signature.as_str()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let ok = mbx_benches::http::read_response(&mut stream, &mut buffer).await;
        if now >= start {
            latencies.push(now.elapsed());
            if !ok {
                errors += 1;
            }
        }
    }
    (latencies, errors)
}
