//! Replay speed end to end: `mbx sandbox --replay DIR --speed max`
//! delivering a recording to ONE WebSocket Streams subscriber, against a
//! plain NDJSON read of the same frames in the same run.
//!
//! Each run writes nothing new: the recording (`mbx record`'s writer, one
//! snapshot then `FRAMES` frames, four `@trade` per `@depth@100ms` diff of
//! 20 + 20 levels) is written once; then, per run, a sandbox starts
//! in-process on an ephemeral loopback port with the recording at `max`
//! (its clock starts when the first subscriber subscribes), one plain
//! `tokio-tungstenite` client connects to
//! `/stream?streams=btcusdt@trade/btcusdt@depth@100ms` (a plain client, so
//! the figure is the server's: the client only reads each frame's IDs) and
//! the time runs from the connect until every recorded trade has arrived
//! (IDs checked one by one, none lost) and the diff-depth stream has
//! reached the recording's last update ID with no gap (`U` = previous
//! `u` + 1). Meanwhile a keep-alive HTTP connection asks
//! `GET /api/v3/depth?symbol=BTCUSDT&limit=5` every 10 ms: its latency
//! during the replay is printed next to the same request's latency on the
//! idle sandbox just before; a WebSocket API connection does the same with
//! `depth` requests.
//!
//! Run: `cargo bench -p mbx-benches --bench replay_stream`. Figures: BENCHMARKS.md.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mbx_benches::recording::{T0, last_update_id, manifest, records, trade_ids};
use mbx_client::record::RecordingWriter;
use mbx_domain::recording::Record;
use mbx_sandbox::replay::{ReplayConfig, Speed};
use mbx_sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Frames in the recording (plus one snapshot).
const FRAMES: usize = 100_000;
/// Runs; the medians are printed.
const RUNS: usize = 5;
/// Gives up on a run after this long (a lost event would wait for ever).
const PATIENCE: Duration = Duration::from_secs(120);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = std::env::temp_dir().join(format!("mbx-bench-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let records = records(FRAMES);
    let rec = dir.join("rec");
    let mut writer = RecordingWriter::create(&rec, manifest()).expect("recording");
    for record in &records {
        writer.write(record).expect("write");
    }
    writer.finish(T0 + FRAMES as i64).expect("finish");
    let plain = dir.join("plain.ndjson");
    write_plain(&plain, &records);
    drop(records);

    println!(
        "replay_stream: {} recorded events ({FRAMES} frames + 1 snapshot) at --speed max to one subscriber",
        FRAMES + 1
    );
    println!(
        "{:>4} {:>12} {:>14} {:>13} {:>14} {:>9} {:>14} {:>14}",
        "run",
        "replay ms",
        "events/s",
        "trades/s",
        "plain read/s",
        "ratio",
        "REST idle p50",
        "REST replay p50/max"
    );
    let mut rates = Vec::new();
    let mut plains = Vec::new();
    let mut idle_p50 = Vec::new();
    let mut busy_p50 = Vec::new();
    let mut busy_max = Vec::new();
    let mut ws_idle_p50 = Vec::new();
    let mut ws_busy_p50 = Vec::new();
    let mut ws_busy_max = Vec::new();
    for run in 1..=RUNS {
        let plain_rate = plain_read(&plain);
        let result = replay_once(&rec).await;
        let rate = (FRAMES + 1) as f64 / result.all.as_secs_f64();
        let trades = result.trades as f64 / result.last_trade.as_secs_f64();
        println!(
            "{run:>4} {:>12.1} {:>14.0} {:>13.0} {:>14.0} {:>8.2}x {:>11.2} ms {:>8.2}/{:.2} ms",
            result.all.as_secs_f64() * 1e3,
            rate,
            trades,
            plain_rate,
            rate / plain_rate,
            ms(result.idle.p50),
            ms(result.busy.p50),
            ms(result.busy.max),
        );
        println!(
            "     ws api {:.2} ms idle, {:.2}/{:.2} ms during the replay",
            ms(result.ws_idle.p50),
            ms(result.ws_busy.p50),
            ms(result.ws_busy.max),
        );
        rates.push(rate);
        plains.push(plain_rate);
        idle_p50.push(ms(result.idle.p50));
        busy_p50.push(ms(result.busy.p50));
        busy_max.push(ms(result.busy.max));
        ws_idle_p50.push(ms(result.ws_idle.p50));
        ws_busy_p50.push(ms(result.ws_busy.p50));
        ws_busy_max.push(ms(result.ws_busy.max));
    }
    let (rate, plain_rate) = (median(&mut rates), median(&mut plains));
    println!(
        "median: {rate:.0} events/s through the sandbox to one subscriber; plain NDJSON read {plain_rate:.0} records/s ({:.2}x); REST depth p50 {:.2} ms idle, {:.2} ms during the replay (max {:.2} ms)",
        rate / plain_rate,
        median(&mut idle_p50),
        median(&mut busy_p50),
        median(&mut busy_max),
    );
    println!(
        "median: WebSocket API depth p50 {:.2} ms idle, {:.2} ms during the replay (max {:.2} ms)",
        median(&mut ws_idle_p50),
        median(&mut ws_busy_p50),
        median(&mut ws_busy_max),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn write_plain(path: &Path, records: &[Record]) {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("plain"));
    for record in records {
        serde_json::to_writer(&mut file, record).expect("json");
        file.write_all(b"\n").expect("write");
    }
    file.flush().expect("flush");
}

/// The baseline: the plain file back, `BufReader` lines into records;
/// records per second.
fn plain_read(path: &Path) -> f64 {
    use std::io::BufRead as _;
    let started = Instant::now();
    let mut file = std::io::BufReader::new(std::fs::File::open(path).expect("plain"));
    let mut line = String::new();
    let mut count = 0_usize;
    while file.read_line(&mut line).expect("read") > 0 {
        if serde_json::from_str::<Record>(&line).is_ok() {
            count += 1;
        }
        line.clear();
    }
    assert_eq!(count, FRAMES + 1);
    count as f64 / started.elapsed().as_secs_f64()
}

struct RunResult {
    /// Until every trade arrived and the depth stream reached the end.
    all: Duration,
    /// Until the last trade arrived.
    last_trade: Duration,
    trades: usize,
    idle: Latency,
    busy: Latency,
    ws_idle: Latency,
    ws_busy: Latency,
}

#[derive(Default)]
struct Latency {
    p50: Duration,
    max: Duration,
}

impl Latency {
    fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort();
        Latency {
            p50: samples.get(samples.len() / 2).copied().unwrap_or_default(),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

/// What the subscriber reads of a frame.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    stream: &'a str,
    data: Ids,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Ids {
    t: Option<u64>,
    U: Option<u64>,
    u: Option<u64>,
}

async fn replay_once(rec: &Path) -> RunResult {
    let mut config = SandboxConfig::demo();
    config.replay = Some(ReplayConfig {
        dir: rec.to_owned(),
        speed: Speed::Max,
        looped: false,
        start_now: false,
    });
    let sandbox = Sandbox::start(config).await.expect("sandbox");
    let addr = sandbox.local_addr();
    // The same REST request on the idle sandbox first.
    let idle = Latency::of(probe(addr, Duration::from_millis(500), None).await);
    let ws_api = sandbox.ws_api_url();
    let ws_idle = Latency::of(probe_ws_api(ws_api.clone(), Duration::from_millis(500), None).await);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let ws_done = done_rx.clone();
    let prober = tokio::spawn(async move { probe(addr, PATIENCE, Some(done_rx)).await });
    let ws_prober =
        tokio::spawn(async move { probe_ws_api(ws_api, PATIENCE, Some(ws_done)).await });

    let expected = trade_ids(FRAMES);
    let final_u = last_update_id(FRAMES);
    let url = format!(
        "{}/stream?streams=btcusdt@trade/btcusdt@depth@100ms",
        sandbox.ws_stream_url()
    );
    let started = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    let mut trades = 0_usize;
    let mut last_trade = None;
    let mut last_u: Option<u64> = None;
    let all = loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "stalled after {trades} of {} trades, depth at {last_u:?} of {final_u}",
                    expected.len()
                )
            });
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => panic!("closed by the sandbox: {frame:?}"),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        };
        let envelope: Envelope<'_> = serde_json::from_str(text.as_str()).expect("frame");
        if envelope.stream.ends_with("@trade") {
            let id = envelope.data.t.expect("t");
            assert_eq!(
                Some(&id),
                expected.get(trades),
                "trade {trades} lost or out of order"
            );
            trades += 1;
            if trades == expected.len() {
                last_trade = Some(started.elapsed());
            }
        } else {
            let (first, last) = (envelope.data.U.expect("U"), envelope.data.u.expect("u"));
            if let Some(previous) = last_u {
                assert_eq!(first, previous + 1, "a diff-depth gap");
            }
            last_u = Some(last);
        }
        if trades == expected.len() && last_u >= Some(final_u) {
            break started.elapsed();
        }
    };
    let _ = done_tx.send(true);
    let busy = Latency::of(prober.await.expect("prober"));
    let ws_busy = Latency::of(ws_prober.await.expect("ws prober"));
    drop(ws);
    sandbox.shutdown().await;
    RunResult {
        all,
        last_trade: last_trade.unwrap_or(all),
        trades,
        idle,
        busy,
        ws_idle,
        ws_busy,
    }
}

/// A WebSocket API `depth` request (BTCUSDT, 5 levels) every 10 ms on one
/// connection, for `length` or until `done` says so; the latencies.
async fn probe_ws_api(
    url: String,
    length: Duration,
    mut done: Option<tokio::sync::watch::Receiver<bool>>,
) -> Vec<Duration> {
    use futures_util::SinkExt as _;
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws api");
    let mut latencies = Vec::new();
    let end = Instant::now() + length;
    let mut id = 0_u64;
    while Instant::now() < end && !done.as_mut().is_some_and(|done| *done.borrow_and_update()) {
        id += 1;
        let request =
            format!(r#"{{"id":{id},"method":"depth","params":{{"symbol":"BTCUSDT","limit":5}}}}"#);
        let sent = Instant::now();
        ws.send(Message::Text(request.into())).await.expect("send");
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    assert!(text.as_str().contains(r#""status":200"#), "{text}");
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("ws api ended: {other:?}"),
            }
        }
        latencies.push(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies
}

/// `GET /api/v3/depth?symbol=BTCUSDT&limit=5` every 10 ms on one keep-alive
/// connection, for `length` or until `done` says so; the latencies.
async fn probe(
    addr: std::net::SocketAddr,
    length: Duration,
    mut done: Option<tokio::sync::watch::Receiver<bool>>,
) -> Vec<Duration> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let request =
        format!("GET /api/v3/depth?symbol=BTCUSDT&limit=5 HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut latencies = Vec::new();
    let end = Instant::now() + length;
    while Instant::now() < end && !done.as_mut().is_some_and(|done| *done.borrow_and_update()) {
        let sent = Instant::now();
        stream.write_all(request.as_bytes()).await.expect("write");
        assert!(
            mbx_benches::http::read_response(&mut stream, &mut buffer).await,
            "REST failed"
        );
        latencies.push(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies
}
