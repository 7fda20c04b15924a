//! `mbx record`, `mbx replay` and `mbx sandbox --replay` end to end: a
//! sandbox session recorded by the real binary, printed back as
//! `mbx stream` printed it live, replayed into a second sandbox whose
//! trades and book are the first's, and a recording that survives a forced
//! disconnect.
// See: issue 14, part 3 "Record and replay"

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_domain::model::Depth;
use mbx_domain::ports::MarketData as _;
use mbx_domain::recording::{MANIFEST, Manifest};
use mbx_sandbox::SandboxConfig;
use mbx_tests::run;

use crate::balances::Running;
use crate::stream::Background;

const STREAMS: [&str; 2] = ["btcusdt@trade", "btcusdt@depth@100ms"];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mbx-it-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rest(url: &str) -> RestClient {
    RestClient::new(ClientConfig::new(url).unwrap(), None).unwrap()
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(dir.join(MANIFEST)).unwrap()).unwrap()
}

/// Every book state the sandbox shows while `running` is set, by
/// `lastUpdateId` (the walk moves once a second; polled far more often).
fn watch_books(
    running: &Running,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<HashMap<u64, Depth>> {
    let url = running.url();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rest(&url);
        let mut books = HashMap::new();
        while !stop.load(Ordering::Relaxed) {
            // Limit 100 (weight 5; the book has 20 levels a side), so the
            // polling stays far inside the minute's request weight.
            if let Ok(depth) = runtime.block_on(client.depth("BTCUSDT", Some(100))) {
                books.insert(depth.last_update_id, depth);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        books
    })
}

/// `mbx sandbox --replay DIR ...` in the background; its REST URL.
fn replay_sandbox(dir: &Path, extra: &[&str]) -> (Background, String) {
    let mut command = mbx_tests::mbx();
    command
        .args([
            "sandbox",
            "--port",
            "0",
            "--json",
            "--duration",
            "120s",
            "--replay",
        ])
        .arg(dir)
        .args(extra);
    let sandbox = Background::spawn(&mut command);
    let line = Background::wait_line(&sandbox.stdout, |line| line.contains("rest_url"));
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = info["rest_url"].as_str().unwrap().to_owned();
    (sandbox, url)
}

/// The longest run of `live` lines that `replayed` has in the same order,
/// from the first line both have: the two clients connected at slightly
/// different moments, so each may have a few lines the other lacks at the
/// ends, never in between.
fn common_run(live: &[String], replayed: &[String]) -> Result<usize, String> {
    let Some(start) = live.iter().position(|line| replayed.contains(line)) else {
        return Ok(0);
    };
    let offset = replayed
        .iter()
        .position(|line| *line == live[start])
        .unwrap();
    let mut n = 0;
    for (a, b) in live[start..].iter().zip(&replayed[offset..]) {
        if a != b {
            return Err(format!(
                "after {n} equal lines:\nlive     {a}\nreplayed {b}"
            ));
        }
        n += 1;
    }
    Ok(n)
}

#[test]
fn a_recorded_session_replays_as_stream_printed_it_and_into_a_sandbox_with_the_same_trades_and_book()
 {
    let running = Running::start(SandboxConfig::demo());
    let dir = scratch("round-trip").join("rec");
    let stop = Arc::new(AtomicBool::new(false));
    let books = watch_books(&running, stop.clone());

    let mut record = running.mbx("record");
    record
        .args(STREAMS)
        .arg("--out")
        .arg(&dir)
        .args(["--duration", "5s"]);
    let mut stream = running.mbx("stream");
    stream.args(STREAMS).args(["--duration", "5s"]);
    let (recorded, streamed) = std::thread::scope(|scope| {
        let recorded = scope.spawn(|| run(&mut record));
        let streamed = scope.spawn(|| run(&mut stream));
        (recorded.join().unwrap(), streamed.join().unwrap())
    });
    stop.store(true, Ordering::Relaxed);
    let books = books.join().unwrap();
    assert_eq!(recorded.code, 0, "{}", recorded.stderr);
    assert_eq!(streamed.code, 0, "{}", streamed.stderr);
    assert!(recorded.stderr.contains("recorded "), "{}", recorded.stderr);

    let manifest = manifest(&dir);
    assert_eq!(manifest.streams, STREAMS);
    assert_eq!(manifest.snapshot_symbols, ["BTCUSDT"]);
    assert!(manifest.ended_at.is_some() && manifest.gaps.is_empty());
    assert!(manifest.frames > 4, "{manifest:?}");

    // `mbx replay` prints what `mbx stream` printed.
    let replayed = run(mbx_tests::mbx().arg("replay").arg(&dir));
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    let replayed_lines: Vec<String> = replayed.stdout.lines().map(str::to_owned).collect();
    let live_lines: Vec<String> = streamed.stdout.lines().map(str::to_owned).collect();
    assert_eq!(replayed_lines.len() as u64, manifest.frames);
    let common = common_run(&live_lines, &replayed_lines).unwrap();
    assert!(common >= 4, "{common} common lines");

    // The recorded trades and the last recorded book.
    let mut trades = Vec::new();
    let mut last_update_id = 0;
    for line in &replayed_lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        match event["type"].as_str() {
            Some("trade") => trades.push((
                event["tradeId"].as_u64().unwrap(),
                event["price"].as_str().unwrap().to_owned(),
                event["quantity"].as_str().unwrap().to_owned(),
            )),
            Some("depthUpdate") => last_update_id = event["finalUpdateId"].as_u64().unwrap(),
            _ => {}
        }
    }
    assert!(trades.len() >= 3, "{trades:?}");

    // Replayed into a second sandbox, as fast as it goes.
    let (_sandbox, url) = replay_sandbox(&dir, &["--speed", "max", "--start-now"]);
    let replay = rest(&url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let book = runtime
        .block_on(replay.depth("BTCUSDT", Some(100)))
        .unwrap();
    let second: Vec<(u64, String, String)> = runtime
        .block_on(replay.trades("BTCUSDT", Some(1000)))
        .unwrap()
        .into_iter()
        .map(|trade| (trade.id, trade.price.to_string(), trade.qty.to_string()))
        .collect();
    assert_eq!(second, trades);
    // The first sandbox's trades, by ID: the same prices and quantities.
    let first = runtime
        .block_on(rest(&running.url()).trades("BTCUSDT", Some(1000)))
        .unwrap();
    for (id, price, qty) in &trades {
        let original = first.iter().find(|trade| trade.id == *id).unwrap();
        assert_eq!(
            (&original.price.to_string(), &original.qty.to_string()),
            (price, qty)
        );
    }
    assert_eq!(book.last_update_id, last_update_id);
    let original = books
        .get(&last_update_id)
        .unwrap_or_else(|| panic!("the first sandbox's book at {last_update_id} was seen"));
    assert_eq!(&book, original);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_recording_survives_a_forced_disconnect_with_the_gap_noted_and_a_new_snapshot() {
    let running = Running::start(SandboxConfig::demo());
    let dir = scratch("drop").join("rec");
    let mut command = running.mbx("record");
    command
        .args(STREAMS)
        .arg("--out")
        .arg(&dir)
        .args(["--duration", "60s"]);
    let mut recorder = Background::spawn(&mut command);
    Background::wait_line(&recorder.stderr, |line| line.contains("connected"));
    std::thread::sleep(Duration::from_millis(1500));
    running.sandbox().drop_websockets();
    Background::wait_line(&recorder.stderr, |line| line.contains("disconnected"));
    Background::wait_line(&recorder.stderr, |line| line.contains("connected ("));
    std::thread::sleep(Duration::from_millis(1500));
    // Ctrl-C: the files are closed and the manifest finalised.
    let pid = recorder.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = recorder.child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let manifest = manifest(&dir);
    assert!(manifest.ended_at.is_some(), "{manifest:?}");
    assert_eq!(manifest.reconnects, 1, "{manifest:?}");
    assert_eq!(manifest.gaps.len(), 1, "{manifest:?}");
    assert!(manifest.gaps[0].to.is_some(), "{manifest:?}");

    // Two snapshots: at the start and after the reconnect; the recording
    // still replays into a sandbox.
    let recording = mbx_client::replay::Recording::open(&dir).unwrap();
    let snapshots = recording
        .records()
        .filter(|record| matches!(record, Ok(mbx_domain::recording::Record::Snapshot { .. })))
        .count();
    assert_eq!(snapshots, 2);
    let replayed = run(mbx_tests::mbx().arg("replay").arg(&dir));
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    assert!(
        replayed.stderr.contains("disconnected"),
        "{}",
        replayed.stderr
    );
    assert!(replayed.stdout.lines().count() as u64 == manifest.frames);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// Orders match against the recorded book, the same way on every replay.
#[test]
fn orders_fill_against_the_recorded_book_the_same_way_twice() {
    let running = Running::start(SandboxConfig::demo());
    let dir = scratch("orders").join("rec");
    let out = run(running
        .mbx("record")
        .args(STREAMS)
        .arg("--out")
        .arg(&dir)
        .args(["--duration", "3s"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fills = |_: u32| {
        let (_sandbox, url) = replay_sandbox(&dir, &["--start-now", "--speed", "max"]);
        let out = run(mbx_tests::mbx()
            .env("BINANCE_API_KEY", mbx_sandbox::DEMO_API_KEY)
            .env("BINANCE_API_SECRET", mbx_sandbox::DEMO_API_SECRET)
            .env(
                "MBX_CONFIG",
                std::env::temp_dir().join("mbx-tests-no-config.toml"),
            )
            .args([
                "order",
                "sell",
                "BTCUSDT",
                "1",
                "--json",
                "--base-url",
                &url,
            ]));
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let order: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        order["order"]["fills"].clone()
    };
    let first = fills(1);
    assert!(
        first.as_array().is_some_and(|fills| fills.len() > 1),
        "{first}"
    );
    assert_eq!(fills(2), first);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}
