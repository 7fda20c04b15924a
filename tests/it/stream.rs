//! The WebSocket clients (`mbx-adapters-ws`) and `mbx stream` /
//! `mbx user-stream` against the sandbox: market data on raw, combined and
//! live-subscribed streams, forced drops, `serverShutdown`, pings, rotation
//! before the lifetime cap, and user data that survives a drop.
// See: issue #7

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{ApiConfig, Backoff, MarketStreamConfig, MarketStreams, WsApi};
use mbx_domain::balance_mirror::BalanceMirror;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::feed::{ApiNotice, Notice, StreamItem, UserItem};
use mbx_domain::ports::AccountData as _;
use mbx_domain::stream::{MarketEvent, UserEvent};
use mbx_sandbox::ws::WsTiming;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig};
use mbx_signing::{HmacKey, Signer};
use mbx_tests::run;
use tokio::sync::mpsc;

use crate::balances::Running;

/// Waits this long at most for any one expected item.
const PATIENCE: Duration = Duration::from_secs(10);
const DEMO_UID: u64 = 354_937_868;

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::demo()).await.unwrap()
}

fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
    }
}

fn market_config(sandbox: &Sandbox) -> MarketStreamConfig {
    let mut config = MarketStreamConfig::new(sandbox.ws_stream_url());
    config.backoff = fast_backoff();
    config
}

async fn next_item(items: &mut mpsc::Receiver<StreamItem>) -> StreamItem {
    tokio::time::timeout(PATIENCE, items.recv())
        .await
        .expect("an item in time")
        .expect("items go on")
}

/// Reads items until `wanted` matches one; returns the notices seen before it.
async fn until(
    items: &mut mpsc::Receiver<StreamItem>,
    wanted: impl Fn(&StreamItem) -> bool,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    loop {
        let item = next_item(items).await;
        if wanted(&item) {
            return notices;
        }
        if let StreamItem::Notice(notice) = item {
            notices.push(notice);
        }
    }
}

fn is_trade(item: &StreamItem) -> bool {
    matches!(
        item,
        StreamItem::Event {
            event: MarketEvent::Trade(_),
            ..
        }
    )
}

fn is_book_ticker(item: &StreamItem) -> bool {
    matches!(
        item,
        StreamItem::Event {
            event: MarketEvent::BookTicker(_),
            ..
        }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_data_arrives_on_combined_raw_and_live_subscribed_streams() {
    let sandbox = start().await;
    let (mut combined, mut items) =
        MarketStreams::connect(market_config(&sandbox), &["BTCUSDT@trade"])
            .await
            .unwrap();
    let trade = until(&mut items, is_trade).await;
    assert_eq!(
        trade,
        [Notice::Connected {
            connection: 0,
            streams: 1
        }]
    );
    combined.subscribe(&["btcusdt@bookTicker"]).await.unwrap();
    until(&mut items, |item| {
        matches!(item, StreamItem::Event { stream: Some(stream), event: MarketEvent::BookTicker(ticker) }
            if stream == "btcusdt@bookTicker" && ticker.symbol == "BTCUSDT")
    })
    .await;

    let mut config = market_config(&sandbox);
    config.combined = false;
    let (_raw, mut raw_items) = MarketStreams::connect(config, &["btcusdt@trade"])
        .await
        .unwrap();
    until(&mut raw_items, |item| {
        matches!(
            item,
            StreamItem::Event {
                stream: None,
                event: MarketEvent::Trade(_)
            }
        )
    })
    .await;
    combined.close().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_drop_loses_no_subscription() {
    let sandbox = start().await;
    let (mut streams, mut items) =
        MarketStreams::connect(market_config(&sandbox), &["btcusdt@trade"])
            .await
            .unwrap();
    streams.subscribe(&["btcusdt@bookTicker"]).await.unwrap();
    until(&mut items, is_book_ticker).await;

    sandbox.drop_websockets();
    let notices = until(&mut items, |item| {
        matches!(
            item,
            StreamItem::Notice(Notice::Connected { streams: 2, .. })
        )
    })
    .await;
    assert!(
        notices
            .iter()
            .any(|notice| matches!(notice, Notice::Disconnected { .. })),
        "{notices:?}"
    );
    // Both the URL stream and the live-subscribed one flow again.
    until(&mut items, is_book_ticker).await;
    until(&mut items, is_trade).await;
    assert_eq!(streams.streams(), ["btcusdt@bookTicker", "btcusdt@trade"]);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_opens_the_new_connection_before_closing_the_old() {
    let sandbox = start().await;
    let mut config = market_config(&sandbox);
    config.rotation_overlap = Duration::from_millis(300);
    let (_streams, mut items) = MarketStreams::connect(config, &["btcusdt@trade"])
        .await
        .unwrap();
    until(&mut items, is_trade).await;
    sandbox.server_shutdown();
    // As the 24 h rotation: a new connection first, no disconnection.
    let notices = until(&mut items, |item| {
        matches!(item, StreamItem::Notice(Notice::Rotated { connection: 0 }))
    })
    .await;
    assert!(
        !notices
            .iter()
            .any(|notice| matches!(notice, Notice::Disconnected { .. })),
        "{notices:?}"
    );
    until(&mut items, is_trade).await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_are_answered_and_connections_rotate_before_the_cap() {
    let sandbox = start().await;
    // The sandbox pings four times a second and closes a connection that
    // misses a pong for 1.5 s, or that is older than 3 s: margins a loaded
    // CI machine does not eat.
    sandbox.set_ws_timing(WsTiming {
        ping_interval: Duration::from_millis(250),
        pong_timeout: Duration::from_millis(1500),
        max_lifetime: Duration::from_millis(3000),
    });
    let mut config = market_config(&sandbox);
    config.max_connection_age = Duration::from_millis(1500);
    config.rotation_overlap = Duration::from_millis(300);
    let (_streams, mut items) = MarketStreams::connect(config, &["btcusdt@bookTicker"])
        .await
        .unwrap();
    let mut n_rotations = 0;
    let mut notices = Vec::new();
    while n_rotations < 2 {
        if let StreamItem::Notice(notice) = next_item(&mut items).await {
            n_rotations += usize::from(notice == Notice::Rotated { connection: 0 });
            notices.push(notice);
        }
    }
    assert!(
        !notices
            .iter()
            .any(|notice| matches!(notice, Notice::Disconnected { .. })),
        "no connection was dropped for a missing pong or the lifetime cap: {notices:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_messages_stay_under_the_servers_limit() {
    let sandbox = start().await;
    let (mut streams, mut items) = MarketStreams::connect(market_config(&sandbox), &[])
        .await
        .unwrap();
    // Eight SUBSCRIBEs back to back: the sandbox, like Binance, disconnects
    // a client that sends more than 5 messages a second.
    for name in [
        "btcusdt@trade",
        "ethusdt@trade",
        "btcusdt@aggTrade",
        "ethusdt@aggTrade",
        "btcusdt@bookTicker",
        "ethusdt@bookTicker",
        "btcusdt@depth5",
        "ethusdt@depth5",
    ] {
        streams.subscribe(&[name]).await.unwrap();
    }
    assert_eq!(streams.streams().len(), 8);
    let notices = until(&mut items, is_book_ticker).await;
    assert_eq!(
        notices,
        [Notice::Connected {
            connection: 0,
            streams: 0
        }]
    );
    sandbox.shutdown().await;
}

fn demo_credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

async fn next_user_item(items: &mut mpsc::Receiver<UserItem>) -> UserItem {
    tokio::time::timeout(PATIENCE, items.recv())
        .await
        .expect("an item in time")
        .expect("items go on")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_made_while_disconnected_is_reconciled_after_the_reconnect() {
    let sandbox = start().await;
    let rest = RestClient::new(
        ClientConfig::new(&sandbox.rest_url()).unwrap(),
        Some(Credentials::new(
            ApiKey::new(DEMO_API_KEY).unwrap(),
            Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
        )),
    )
    .unwrap();
    let mut config = ApiConfig::new(sandbox.ws_api_url());
    // A reconnect at least 300 ms after the drop: the deposit below
    // certainly happens while the client is away.
    config.backoff = Backoff {
        initial: Duration::from_millis(600),
        max: Duration::from_millis(600),
    };
    let (api, mut items) = WsApi::connect(config, Some(demo_credentials()))
        .await
        .unwrap();
    assert_eq!(api.subscribe_user_data().await.unwrap(), 0);
    let account = rest.account(false).await.unwrap();
    let mut mirror = BalanceMirror::new(account.update_time, account.balances);

    sandbox
        .deposit(DEMO_UID, "BTC", "0.5".parse().unwrap())
        .unwrap();
    loop {
        if let UserItem::Event { event, .. } = next_user_item(&mut items).await {
            mirror.apply(&event);
            if matches!(event, UserEvent::AccountPosition(_)) {
                break;
            }
        }
    }
    assert_eq!(
        mirror.balance("BTC").unwrap().free.to_string(),
        "2.00000000"
    );

    sandbox.drop_websockets();
    loop {
        match next_user_item(&mut items).await {
            UserItem::Notice(ApiNotice::Disconnected { .. }) => break,
            UserItem::Event { event, .. } => panic!("no event is due: {event:?}"),
            UserItem::Notice(_) => {}
        }
    }
    sandbox
        .deposit(DEMO_UID, "USDT", "250".parse().unwrap())
        .unwrap();
    loop {
        match next_user_item(&mut items).await {
            UserItem::Notice(ApiNotice::Resubscribed { .. }) => break,
            UserItem::Event { event, .. } => panic!("the client was away: {event:?}"),
            UserItem::Notice(_) => {}
        }
    }
    let account = rest.account(false).await.unwrap();
    let changed = mirror.reset(account.update_time, account.balances);
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        (
            changed[0].asset.as_str(),
            changed[0].free.to_string().as_str()
        ),
        ("USDT", "10250.00000000")
    );

    // And the stream goes on after the reconnect.
    sandbox
        .deposit(DEMO_UID, "ETH", "1".parse().unwrap())
        .unwrap();
    loop {
        if let UserItem::Event {
            event: UserEvent::BalanceUpdate(update),
            ..
        } = next_user_item(&mut items).await
        {
            assert_eq!(update.asset, "ETH");
            break;
        }
    }
    api.close().await;
    sandbox.shutdown().await;
}

#[test]
fn mbx_stream_prints_ndjson_and_stops_after_count() {
    let running = Running::demo();
    let out =
        run(running
            .mbx("stream")
            .args(["btcusdt@trade", "btcusdt@bookTicker", "--count", "3"]));
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for line in &lines {
        let kind = line["type"].as_str().unwrap();
        assert!(kind == "trade" || kind == "bookTicker", "{line}");
        assert!(
            line["stream"].as_str().unwrap().starts_with("btcusdt@"),
            "{line}"
        );
        assert_eq!(line["symbol"], "BTCUSDT");
    }
    assert!(out.stderr.contains("connected"), "{}", out.stderr);
}

#[test]
fn mbx_stream_explains_that_listen_keys_are_gone() {
    let out = run(mbx_tests::mbx().args([
        "stream",
        "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1",
    ]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("Spot removed listenKey"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("mbx user-stream"), "{}", out.stderr);
}

/// A running `mbx` whose stdout and stderr lines arrive on channels.
pub(crate) struct Background {
    pub(crate) child: Child,
    pub(crate) stdout: std_mpsc::Receiver<String>,
    pub(crate) stderr: std_mpsc::Receiver<String>,
}

impl Background {
    pub(crate) fn spawn(command: &mut std::process::Command) -> Background {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mbx");
        let lines = |reader: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = std_mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
            rx
        };
        let stdout = lines(Box::new(child.stdout.take().unwrap()));
        let stderr = lines(Box::new(child.stderr.take().unwrap()));
        Background {
            child,
            stdout,
            stderr,
        }
    }

    pub(crate) fn wait_line(
        lines: &std_mpsc::Receiver<String>,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        loop {
            let line = lines
                .recv_timeout(PATIENCE)
                .expect("the expected line in time");
            if wanted(&line) {
                return line;
            }
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mbx_user_stream_prints_events_and_catches_up_after_a_drop() {
    let running = Running::demo();
    let mut user_stream = Background::spawn(
        running
            .mbx_with_demo_key("user-stream")
            .args(["--duration", "60s"]),
    );
    Background::wait_line(&user_stream.stderr, |line| {
        line.contains("subscribed to the user-data stream")
    });

    running
        .sandbox()
        .deposit(DEMO_UID, "BTC", "0.5".parse().unwrap())
        .unwrap();
    let line = Background::wait_line(&user_stream.stdout, |line| line.contains("balanceUpdate"));
    let update: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (&update["asset"], &update["delta"]),
        (&"BTC".into(), &"0.50000000".into())
    );

    running.sandbox().drop_websockets();
    running
        .sandbox()
        .deposit(DEMO_UID, "USDT", "250".parse().unwrap())
        .unwrap();
    // Either the events arrived before the drop took effect, or the client
    // catches up after it reconnects; either way the change is shown. The
    // drop may also fall between the deposit's `balanceUpdate` and its
    // `outboundAccountPosition`: then the reconcile finds nothing new.
    let line = Background::wait_line(&user_stream.stdout, |line| {
        (line.contains("accountPosition") || line.contains("balanceUpdate"))
            && line.contains("USDT")
    });
    let shown: serde_json::Value = serde_json::from_str(&line).unwrap();
    if line.contains("balanceUpdate") {
        assert_eq!(shown["delta"], "250.00000000", "{shown}");
    } else {
        assert_eq!(shown["balances"][0]["free"], "10250.00000000", "{shown}");
    }
    Background::wait_line(&user_stream.stderr, |line| {
        line.contains("subscribed again")
    });
    let _ = user_stream.child.kill();
}

#[test]
fn mbx_stream_refuses_a_typo_with_the_nearest_valid_name_before_connecting() {
    let running = Running::demo();
    let out = run(running
        .mbx("stream")
        .args(["btcusdt@aggtrade", "--count", "1"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("`btcusdt@aggTrade`"), "{}", out.stderr);
    assert!(!out.stderr.contains("connected"), "{}", out.stderr);
    let out = run(running
        .mbx("stream")
        .args(["nopeusdt@trade", "--count", "1"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("no symbol `NOPEUSDT`"),
        "{}",
        out.stderr
    );
}

#[test]
fn mbx_stream_raw_prints_frames_verbatim_and_encodes_the_utc8_kline_name() {
    let running = Running::demo();
    let out = run(running
        .mbx("stream")
        .args(["btcusdt@kline_1m@+08:00", "--raw", "--count", "2"]));
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for line in lines {
        // Binance's envelope and field names, not this tool's.
        assert!(
            line.starts_with(r#"{"stream":"btcusdt@kline_1m@+08:00","data":{"e":"kline""#),
            "{line}"
        );
    }
}

/// Every stream name pattern of web-socket-streams.md (the table generated
/// by `cargo xtask streams`), expanded for BTCUSDT, on one connection to
/// the sandbox: each delivers typed events, none is dropped or left raw.
/// `<symbol>@blockTrade` is accepted and silent: the sandbox's market
/// prints no block trades.
// See: issue 14
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_stream_name_is_decoded_into_typed_events() {
    use std::collections::{BTreeMap, BTreeSet};

    use mbx_domain::stream_name::{DOCUMENTED, expand, parse};

    let sandbox = start().await;
    let names: Vec<String> = DOCUMENTED
        .iter()
        .flat_map(|(_, pattern)| expand(pattern, "btcusdt"))
        .collect();
    assert!(names.len() > 50, "{names:?}");
    for name in &names {
        parse(name).unwrap_or_else(|err| panic!("{err}"));
    }
    let silent: BTreeSet<&str> = ["btcusdt@blockTrade"].into();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_streams, mut items) = MarketStreams::connect(market_config(&sandbox), &refs)
        .await
        .unwrap();
    let mut typed: BTreeMap<String, usize> = BTreeMap::new();
    let mut raw: BTreeMap<String, String> = BTreeMap::new();
    let wanted = names.len() - silent.len();
    while typed.len() + raw.len() < wanted {
        match next_item(&mut items).await {
            StreamItem::Event {
                stream: Some(stream),
                event,
            } => {
                assert!(!matches!(event, MarketEvent::ServerShutdown(_)), "{stream}");
                *typed.entry(stream).or_default() += 1;
            }
            StreamItem::Raw(event) => {
                raw.insert(event.stream.clone().unwrap_or_default(), event.payload);
            }
            _ => {}
        }
    }
    assert!(raw.is_empty(), "raw, not typed: {raw:?}");
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !typed.contains_key(*name) && !silent.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
    sandbox.shutdown().await;
}
