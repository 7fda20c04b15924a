//! WebSocket Streams of the sandbox, over real sockets with a plain
//! WebSocket client: every stream type, diff depth against REST, control
//! messages and their limits, pings and the lifetime cap.
// See: issue #5

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mbx_sandbox::ws::WsTiming;
use mbx_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Waits this long at most for any one expected frame.
pub(crate) const PATIENCE: Duration = Duration::from_secs(8);

pub(crate) async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::demo()).await.unwrap()
}

pub(crate) async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next text frame (pings are answered by the client as it reads);
/// `None` when the connection ends.
pub(crate) async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Waits (generously, without reading any socket) until the sandbox has
/// exactly `n` WebSocket connections open.
pub(crate) async fn until_open(sandbox: &Sandbox, n: usize) {
    let deadline = tokio::time::Instant::now() + 3 * PATIENCE;
    while sandbox.exchange().live().open_connections() != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} open connections"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub(crate) async fn next_json(ws: &mut Ws) -> Value {
    let text = next_text(ws).await.expect("a text frame");
    serde_json::from_str(&text).unwrap()
}

pub(crate) async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.unwrap();
}

/// The keys of a JSON object, in the order they appear in `text`.
pub(crate) fn keys_in_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            '"' => {
                let mut s = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        c => s.push(c),
                    }
                }
                if depth == 1 && chars.peek().map(|(_, c)| *c) == Some(':') {
                    keys.push(s);
                }
            }
            _ => {}
        }
    }
    keys
}

fn order(text: &str) -> String {
    keys_in_order(text).join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stream_type_delivers_well_formed_events() {
    let sandbox = start().await;
    let streams = [
        "btcusdt@trade",
        "btcusdt@aggTrade",
        "btcusdt@kline_1s",
        "btcusdt@kline_1m",
        "btcusdt@depth5@100ms",
        "btcusdt@depth10",
        "btcusdt@depth@100ms",
        "btcusdt@bookTicker",
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "btcusdt@avgPrice",
        "btcusdt@ticker_1h",
        "!miniTicker@arr",
    ];
    let url = format!(
        "{}/stream?streams={}",
        sandbox.ws_stream_url(),
        streams.join("/")
    );
    let mut ws = connect(&url).await;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    while seen.len() < streams.len() {
        let text = next_text(&mut ws).await.expect("stream open");
        let envelope: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(order(&text), "stream data", "{text}");
        let stream = envelope["stream"].as_str().unwrap().to_owned();
        let data = serde_json::to_string(&envelope["data"]).unwrap();
        let start = text.find("\"data\":").unwrap() + 7;
        let raw = &text[start..text.len() - 1];
        assert_eq!(
            serde_json::from_str::<Value>(raw).unwrap().to_string(),
            data
        );
        seen.entry(stream).or_insert_with(|| raw.to_owned());
    }
    let expect = |stream: &str, keys: &str| {
        let raw = &seen[stream];
        assert_eq!(order(raw), keys, "{stream}: {raw}");
        serde_json::from_str::<Value>(raw).unwrap()
    };
    let trade = expect("btcusdt@trade", "e E s t p q T m M");
    assert_eq!(trade["e"], "trade");
    assert_eq!(trade["s"], "BTCUSDT");
    assert!(trade["p"].as_str().unwrap().parse::<f64>().is_ok());
    let agg = expect("btcusdt@aggTrade", "e E s a p q f l T m M");
    assert_eq!(agg["e"], "aggTrade");
    let kline = expect("btcusdt@kline_1s", "e E s k");
    assert_eq!(kline["k"]["i"], "1s");
    let raw_k = &seen["btcusdt@kline_1s"];
    let inner = &raw_k[raw_k.find("\"k\":").unwrap() + 4..raw_k.len() - 1];
    assert_eq!(order(inner), "t T s i f L o c h l v n x q V Q B");
    let minute = expect("btcusdt@kline_1m", "e E s k");
    assert_eq!(minute["k"]["i"], "1m");
    let partial = expect("btcusdt@depth5@100ms", "lastUpdateId bids asks");
    assert_eq!(partial["bids"].as_array().unwrap().len(), 5);
    assert_eq!(partial["asks"].as_array().unwrap().len(), 5);
    let partial10 = expect("btcusdt@depth10", "lastUpdateId bids asks");
    assert_eq!(partial10["bids"].as_array().unwrap().len(), 10);
    let diff = expect("btcusdt@depth@100ms", "e E s U u b a");
    assert_eq!(diff["e"], "depthUpdate");
    assert!(diff["U"].as_u64().unwrap() <= diff["u"].as_u64().unwrap());
    let top = expect("btcusdt@bookTicker", "u s b B a A");
    let price = |value: &Value| {
        value
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert!(
        price(&top["b"]) < price(&top["a"]),
        "the book does not cross"
    );
    expect(
        "btcusdt@ticker",
        "e E s p P w x c Q b B a A o h l v q O C F L n",
    );
    expect("btcusdt@miniTicker", "e E s c o h l v q");
    let avg = expect("btcusdt@avgPrice", "e E s i w T");
    assert_eq!(avg["i"], "5m");
    let rolling = expect("btcusdt@ticker_1h", "e E s p P o h l c w v q O C F L n");
    assert_eq!(rolling["e"], "1hTicker");
    let all: Value = serde_json::from_str(&seen["!miniTicker@arr"]).unwrap();
    let rows = all.as_array().unwrap();
    assert!(rows.iter().all(|row| row["e"] == "24hrMiniTicker"));
    assert!(rows.iter().any(|row| row["s"] == "ETHUSDT"));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_streams_and_live_subscriptions() {
    let sandbox = start().await;
    let mut ws = connect(&format!("{}/ws/ethusdt@trade", sandbox.ws_stream_url())).await;
    let trade = next_json(&mut ws).await;
    assert_eq!(trade["e"], "trade");
    assert_eq!(trade["s"], "ETHUSDT");

    let mut ws = connect(&format!("{}/ws", sandbox.ws_stream_url())).await;
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["bnbusdt@aggTrade","bnbusdt@depth"],"id":1}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        r#"{"result":null,"id":1}"#
    );
    send(
        &mut ws,
        r#"{"method":"UNSUBSCRIBE","params":["bnbusdt@depth"],"id":312}"#,
    )
    .await;
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#).await;
    let mut replies = Vec::new();
    while replies.len() < 2 {
        let text = next_text(&mut ws).await.unwrap();
        if text.contains("\"id\"") && !text.contains("\"e\"") {
            replies.push(text);
        }
    }
    assert_eq!(replies[0], r#"{"result":null,"id":312}"#);
    assert_eq!(replies[1], r#"{"result":["bnbusdt@aggTrade"],"id":3}"#);
    let event = loop {
        let event = next_json(&mut ws).await;
        if event.get("e").is_some() {
            break event;
        }
    };
    assert_eq!(event["e"], "aggTrade");
    // Switching to combined payloads on the fly.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    send(
        &mut ws,
        r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#,
    )
    .await;
    let wrapped = loop {
        let event = next_json(&mut ws).await;
        if event.get("stream").is_some() {
            break event;
        }
    };
    assert_eq!(wrapped["stream"], "bnbusdt@aggTrade");
    assert_eq!(wrapped["data"]["e"], "aggTrade");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retired_and_malformed_streams_get_the_documented_errors() {
    let sandbox = start().await;
    let mut ws = connect(&format!("{}/ws", sandbox.ws_stream_url())).await;
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["!ticker@arr"],"id":1}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        r#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}"#
    );
    send(
        &mut ws,
        r#"{"method":"GET_PROPERTY","params":["colour"],"id":2}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        r#"{"error":{"code":0,"msg":"Unknown property"},"id":2}"#
    );
    send(&mut ws, "{not json").await;
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["error"]["code"], 3);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_beyond_1024_streams_is_refused() {
    let sandbox = start().await;
    let mut ws = connect(&format!("{}/ws", sandbox.ws_stream_url())).await;
    let names: Vec<String> = (0..1024).map(|i| format!("\"x{i}usdt@trade\"")).collect();
    send(
        &mut ws,
        &format!(
            r#"{{"method":"SUBSCRIBE","params":[{}],"id":1}}"#,
            names.join(",")
        ),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await.unwrap(),
        r#"{"result":null,"id":1}"#
    );
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":2}"#,
    )
    .await;
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["error"]["code"], 2);
    assert_eq!(reply["id"], 2);
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#).await;
    let list = next_json(&mut ws).await;
    assert_eq!(list["result"].as_array().unwrap().len(), 1024);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_five_messages_a_second_disconnects() {
    let sandbox = start().await;
    let mut ws = connect(&format!("{}/ws", sandbox.ws_stream_url())).await;
    for id in 0..6 {
        send(
            &mut ws,
            &format!(r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#),
        )
        .await;
    }
    let mut replies = 0;
    while next_text(&mut ws).await.is_some() {
        replies += 1;
    }
    assert_eq!(replies, 5, "the sixth message closes the connection");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_pings_is_closed() {
    let sandbox = start().await;
    sandbox.set_ws_timing(WsTiming {
        // Pongs count toward the 5 messages a second, so ping 4 times a second.
        ping_interval: Duration::from_millis(250),
        // Generous, so a stalled test thread does not lose `alive`.
        pong_timeout: Duration::from_millis(1500),
        max_lifetime: Duration::from_secs(3600),
    });
    // A client that keeps reading answers every ping and stays connected.
    let mut alive = connect(&format!("{}/ws", sandbox.ws_stream_url())).await;
    let mut pings = 0;
    while pings < 5 {
        match tokio::time::timeout(PATIENCE, alive.next()).await.unwrap() {
            Some(Ok(Message::Ping(payload))) => {
                alive.send(Message::Pong(payload)).await.unwrap();
                pings += 1;
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
    // A client that never answers is closed. It speaks WebSocket over a
    // bare TCP socket: reading raw bytes answers no ping (a WebSocket
    // client would answer them as it reads, which made this racy).
    let mut silent = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let upgrade = format!(
        "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sandbox.local_addr()
    );
    silent.write_all(upgrade.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(3 * PATIENCE, silent.read_to_end(&mut received)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "the silent client was disconnected"
    );
    assert!(received.starts_with(b"HTTP/1.1 101"));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_end_at_the_lifetime_cap() {
    let sandbox = start().await;
    sandbox.set_ws_timing(WsTiming {
        ping_interval: Duration::from_secs(20),
        pong_timeout: Duration::from_secs(60),
        max_lifetime: Duration::from_millis(200),
    });
    let mut ws = connect(&format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url())).await;
    while next_text(&mut ws).await.is_some() {}
    assert_eq!(sandbox.exchange().live().open_connections(), 0);
    sandbox.shutdown().await;
}

type Book = BTreeMap<String, String>;

fn apply(book: &mut Book, levels: &Value) {
    for level in levels.as_array().unwrap() {
        let price = level[0].as_str().unwrap().to_owned();
        let qty = level[1].as_str().unwrap();
        if qty.parse::<rust_decimal::Decimal>().unwrap().is_zero() {
            book.remove(&price);
        } else {
            book.insert(price, qty.to_owned());
        }
    }
}

async fn rest_depth(sandbox: &Sandbox) -> (u64, Book, Book) {
    let url = format!(
        "{}/api/v3/depth?symbol=BTCUSDT&limit=5000",
        sandbox.rest_url()
    );
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let mut bids = Book::new();
    let mut asks = Book::new();
    apply(&mut bids, &body["bids"]);
    apply(&mut asks, &body["asks"]);
    (body["lastUpdateId"].as_u64().unwrap(), bids, asks)
}

async fn place_rest_order(sandbox: &Sandbox, side: &str, price: &str) {
    use mbx_signing::HmacKey;
    let timestamp = sandbox.exchange().now_ms();
    let query = format!(
        "symbol=BTCUSDT&side={side}&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&timestamp={timestamp}"
    );
    let key = HmacKey::new(mbx_sandbox::DEMO_API_SECRET.as_bytes()).unwrap();
    let signature = key.sign(query.as_bytes());
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v3/order?{query}&signature={}",
            sandbox.rest_url(),
            signature.as_str()
        ))
        .header("X-MBX-APIKEY", mbx_sandbox::DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_depth_applied_to_a_rest_snapshot_reproduces_the_rest_book() {
    let sandbox = start().await;
    let mut ws = connect(&format!(
        "{}/ws/btcusdt@depth@100ms",
        sandbox.ws_stream_url()
    ))
    .await;
    // 1-2. Buffer events, note the first U.
    let first = next_json(&mut ws).await;
    let first_u = first["U"].as_u64().unwrap();
    // 3-4. A snapshot not older than the first event.
    let (mut book_id, mut bids, mut asks) = rest_depth(&sandbox).await;
    assert!(book_id + 1 >= first_u);
    let mut buffered = vec![first];
    // A resting order changes the book beyond the price walk.
    let best_bid: rust_decimal::Decimal = bids.keys().map(|p| p.parse().unwrap()).max().unwrap();
    let price = best_bid - rust_decimal::Decimal::from(500);
    place_rest_order(&sandbox, "BUY", &format!("{price:.2}")).await;
    let level = format!("{price:.8}");
    let mut matched = 0;
    for _ in 0..60 {
        buffered.push(next_json(&mut ws).await);
        for event in buffered.drain(..) {
            let (from, to) = (event["U"].as_u64().unwrap(), event["u"].as_u64().unwrap());
            // 5. Drop what the snapshot already holds.
            if to <= book_id {
                continue;
            }
            assert!(from <= book_id + 1, "no gap: U={from} book={book_id}");
            apply(&mut bids, &event["b"]);
            apply(&mut asks, &event["a"]);
            book_id = to;
        }
        let (rest_id, rest_bids, rest_asks) = rest_depth(&sandbox).await;
        if rest_id == book_id {
            assert_eq!(bids, rest_bids);
            assert_eq!(asks, rest_asks);
            assert!(
                bids.contains_key(&level),
                "the resting order is in the book"
            );
            matched += 1;
            if matched == 3 {
                break;
            }
        }
    }
    assert_eq!(matched, 3, "the local book met the REST book three times");
    sandbox.shutdown().await;
}

// See: issue 14
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_subscriber_gets_only_fresh_trades_after_an_idle_spell() {
    let sandbox = start().await;
    let url = format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url());
    let mut first = connect(&url).await;
    next_json(&mut first).await;
    drop(first);
    until_open(&sandbox, 0).await;
    // Nobody listens while ten seconds of market pass (the feed notices it
    // is idle on its next 100 ms tick, and stops).
    tokio::time::sleep(Duration::from_millis(500)).await;
    sandbox.set_clock_offset_ms(10_000);
    let connected_at = sandbox.exchange().now_ms();
    let mut second = connect(&url).await;
    let trade = next_json(&mut second).await;
    let trade_time = trade["T"].as_i64().unwrap();
    // At most one market tick (one second) before the subscription.
    assert!(
        trade_time >= connected_at - 1000,
        "a trade {} ms old: {trade}",
        connected_at - trade_time
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_is_closed_not_silently_skipped() {
    let sandbox = start().await;
    sandbox.set_stream_buffer(1);
    let mut names = Vec::new();
    for symbol in ["btcusdt", "ethusdt"] {
        for kind in [
            "depth@100ms",
            "depth5@100ms",
            "depth10@100ms",
            "depth20@100ms",
            "bookTicker",
            "trade",
        ] {
            names.push(format!("{symbol}@{kind}"));
        }
    }
    let url = format!(
        "{}/stream?streams={}",
        sandbox.ws_stream_url(),
        names.join("/")
    );
    let mut ws = connect(&url).await;
    let mut texts = 0;
    let close = loop {
        let frame = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(Message::Text(_))) => texts += 1,
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
        assert!(texts < 100_000, "never closed");
    };
    let close = close.expect("a close frame with a code");
    assert_eq!(u16::from(close.code), 1008, "{close:?}");
    assert!(close.reason.contains("too slowly"), "{close:?}");
    sandbox.shutdown().await;
}
