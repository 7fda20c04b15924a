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

pub(crate) fn scratch(name: &str) -> PathBuf {
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

/// `mbx sandbox --port 0 --json --duration 120s ARGS...` in the
/// background, and the JSON line it prints once it listens.
fn background_sandbox<A: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = A>,
) -> (Background, serde_json::Value) {
    let mut command = mbx_tests::mbx();
    command
        .args(["sandbox", "--port", "0", "--json", "--duration", "120s"])
        .args(args);
    let sandbox = Background::spawn(&mut command);
    let line = Background::wait_line(&sandbox.stdout, |line| line.contains("rest_url"));
    (sandbox, serde_json::from_str(&line).unwrap())
}

/// `mbx sandbox --replay DIR ...` in the background; its REST URL.
fn replay_sandbox(dir: &Path, extra: &[&str]) -> (Background, String) {
    let args = [std::ffi::OsStr::new("--replay"), dir.as_os_str()]
        .into_iter()
        .chain(extra.iter().map(std::ffi::OsStr::new));
    let (sandbox, info) = background_sandbox(args);
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
    // The recorded symbols' exchangeInfo is kept beside the data.
    assert_eq!(
        manifest.exchange_info.as_deref(),
        Some(mbx_domain::recording::EXCHANGE_INFO),
        "{manifest:?}"
    );

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
        let out = run(mbx_tests::mbx_with_demo_key().args([
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

/// A recording of `trades` BTCUSDT trades one millisecond apart (IDs from
/// 1001 up) after a snapshot, written by `mbx record`'s writer.
pub(crate) fn synthetic_recording(dir: &Path, trades: u64) {
    use mbx_domain::model::Level;
    use mbx_domain::recording::Record;
    const T0: i64 = 1_732_550_400_000;
    let level = |price: &str| Level(price.parse().unwrap(), "1".parse().unwrap());
    let manifest = Manifest::new(
        "ws://127.0.0.1:1".to_owned(),
        vec!["btcusdt@trade".to_owned()],
        vec!["BTCUSDT".to_owned()],
        T0,
    );
    let mut writer = mbx_client::record::RecordingWriter::create(dir, manifest).unwrap();
    writer
        .write(&Record::Snapshot {
            at: T0,
            symbol: "BTCUSDT".to_owned(),
            depth: Depth {
                last_update_id: 10,
                bids: vec![level("98000.00"), level("97999.00")],
                asks: vec![level("98001.00"), level("98002.00")],
            },
        })
        .unwrap();
    for n in 0..trades {
        let text = format!(
            r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":{at},"s":"BTCUSDT","t":{id},"p":"98000.50","q":"0.001","T":{at},"m":{maker},"M":true}}}}"#,
            at = T0 + n as i64,
            id = 1001 + n,
            maker = n % 2 == 0
        );
        writer
            .write(&Record::Frame {
                at: T0 + n as i64,
                text,
            })
            .unwrap();
    }
    writer.finish(T0 + trades as i64).unwrap();
}

/// At `--speed max` the replay goes as fast as its subscriber reads: a
/// reader far slower than the sandbox, with a stream buffer of only 64
/// frames, still gets every recorded trade in order and is not closed as
/// too slow, while REST keeps answering.
#[test]
fn a_max_speed_replay_waits_for_a_slow_subscriber_and_loses_nothing_while_rest_answers() {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;
    const TRADES: u64 = 3_000;
    let dir = scratch("slow").join("rec");
    synthetic_recording(&dir, TRADES);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut config = SandboxConfig::demo();
        config.replay = Some(mbx_sandbox::replay::ReplayConfig {
            dir: dir.clone(),
            speed: mbx_sandbox::replay::Speed::Max,
            looped: false,
            start_now: false,
        });
        let sandbox = mbx_sandbox::Sandbox::start(config).await.unwrap();
        // Without backpressure a reader this slow falls 64 frames behind at once.
        sandbox.set_stream_buffer(64);
        let url = format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url());
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let client = rest(&sandbox.rest_url());
        let mut ids = Vec::new();
        let mut rest_answers = Vec::new();
        while ids.len() < TRADES as usize {
            let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .unwrap_or_else(|_| panic!("stalled after {} trades", ids.len()));
            match message {
                Some(Ok(Message::Text(text))) => {
                    let event: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    ids.push(event["t"].as_u64().unwrap());
                    if ids.len() % 500 == 0 {
                        // A slow reader, and a REST request in the middle of the replay.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let asked = std::time::Instant::now();
                        let book = client.depth("BTCUSDT", Some(5)).await.unwrap();
                        rest_answers.push((asked.elapsed(), book.last_update_id));
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    panic!("closed after {} trades: {frame:?}", ids.len())
                }
                Some(Ok(_)) => {}
                other => panic!("ended after {} trades: {other:?}", ids.len()),
            }
        }
        let expected: Vec<u64> = (1001..1001 + TRADES).collect();
        assert_eq!(ids, expected);
        assert_eq!(rest_answers.len(), TRADES as usize / 500);
        // Informative only: the latency of REST during the replay.
        eprintln!("REST depth during the replay: {rest_answers:?}");
        sandbox.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// `[replay]` in `mbx sandbox --config FILE` replays as `--replay` does.
#[test]
fn the_config_file_can_replay_a_recording_at_max_speed() {
    let dir = scratch("config");
    let rec = dir.join("rec");
    synthetic_recording(&rec, 50);
    let config = dir.join("sandbox.toml");
    std::fs::write(
        &config,
        format!(
            "[replay]\ndir = {:?}\nspeed = \"max\"\nstart_now = true\n",
            rec.to_str().unwrap()
        ),
    )
    .unwrap();
    let (_sandbox, info) =
        background_sandbox([std::ffi::OsStr::new("--config"), config.as_os_str()]);
    assert!(
        info["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line.as_str().unwrap().contains("replaying")),
        "{info}"
    );
    let client = rest(info["rest_url"].as_str().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Started at launch, at max: each request applies what is due.
    let trades = runtime
        .block_on(client.trades("BTCUSDT", Some(1000)))
        .unwrap();
    let ids: Vec<u64> = trades.iter().map(|trade| trade.id).collect();
    assert_eq!(ids, (1001..1051).collect::<Vec<u64>>());
    // `--speed` with neither `--replay` nor [replay] is refused.
    let out = run(mbx_tests::mbx().args([
        "sandbox",
        "--port",
        "0",
        "--speed",
        "max",
        "--duration",
        "1s",
    ]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("needs a recording"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A recording that kept its symbols' `exchangeInfo` gives the replay
/// sandbox their real filters (here a coarser tick and step than the
/// sandbox's own BTCUSDT, and a made-up symbol's), served by REST
/// `exchangeInfo` and enforced on orders; a recording without it (the
/// manifest field absent) still replays, with the sandbox's own rules.
#[test]
fn a_replay_serves_the_recorded_symbols_filters() {
    let dir = scratch("filters");
    let rec = dir.join("rec");
    synthetic_recording(&rec, 20);
    let filters = |tick: &str, step: &str| {
        serde_json::json!([
            {"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "500000.00", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "900.0", "stepSize": step},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "120.0", "stepSize": "0"},
            {"filterType": "NOTIONAL", "minNotional": "7.0", "applyMinToMarket": true, "maxNotional": "8000000.0", "applyMaxToMarket": false, "avgPriceMins": 5}
        ])
    };
    let info = serde_json::json!({
        "timezone": "UTC",
        "serverTime": 1,
        "symbols": [
            {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT", "filters": filters("0.10", "0.001")},
            {"symbol": "ZZZUSDT", "status": "TRADING", "baseAsset": "ZZZ", "quoteAsset": "USDT", "filters": filters("0.0010", "1.0")}
        ]
    });
    let unfiltered = run(mbx_tests::mbx().arg("replay").arg(&rec));
    assert_eq!(unfiltered.code, 0, "{}", unfiltered.stderr);
    std::fs::write(
        rec.join(mbx_domain::recording::EXCHANGE_INFO),
        info.to_string(),
    )
    .unwrap();
    let mut manifest = manifest(&rec);
    manifest.streams.push("zzzusdt@trade".to_owned());
    manifest.exchange_info = Some(mbx_domain::recording::EXCHANGE_INFO.to_owned());
    std::fs::write(rec.join(MANIFEST), serde_json::to_vec(&manifest).unwrap()).unwrap();

    let (_sandbox, url) = replay_sandbox(&rec, &["--speed", "max", "--start-now"]);
    let client = rest(&url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let symbols = ["BTCUSDT".to_owned(), "ZZZUSDT".to_owned()];
    let served = runtime.block_on(client.exchange_info(&symbols)).unwrap();
    let btc = served.symbol("BTCUSDT").unwrap();
    assert_eq!(btc.tick_size(), Some("0.1".parse().unwrap()));
    assert_eq!(btc.step_size(), Some("0.001".parse().unwrap()));
    let zzz = served.symbol("ZZZUSDT").unwrap();
    assert_eq!(
        (zzz.base_asset.as_str(), zzz.quote_asset.as_str()),
        ("ZZZ", "USDT")
    );
    assert_eq!(zzz.tick_size(), Some("0.001".parse().unwrap()));
    assert_eq!(zzz.step_size(), Some("1".parse().unwrap()));
    // A price off the recorded tick is refused, by the served filter.
    let out = run(mbx_tests::mbx_with_demo_key().args([
        "order",
        "buy",
        "BTCUSDT",
        "0.001",
        "--price",
        "90000.05",
        "--json",
        "--base-url",
        &url,
    ]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let error: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let msg = error["msg"].as_str().unwrap();
    assert!(
        msg.contains("PRICE_FILTER") && msg.contains("tickSize 0.10000000"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
