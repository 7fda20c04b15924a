//! A sandbox safe to leave running for days and true to the docs: the
//! admin API and WebSocket upgrades refuse web pages, slow and excess
//! connections, oversized WebSocket messages, bounded admin inputs, close
//! handshakes, the request log, WebSocket API ids, a Unicode symbol,
//! weight per client address, microsecond times, unparsable URLs, and the
//! faults aimed at one endpoint.
// See: issue "Hardening and fidelity" (sandbox items 4-14), issue "Trading, safely" (faults)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use mbx_sandbox::{
    DEMO_API_KEY, DEMO_API_SECRET, Fault, FaultTarget, RateLimitConfig, Sandbox, SandboxConfig,
};
use mbx_signing::payload::ws_api_payload;
use mbx_signing::{HmacKey, Signer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::sandbox_ws::{PATIENCE, Ws, connect, next_json, send};

/// `这是测试币456`, percent-encoded as a URL carries it.
const UNICODE_ENCODED: &str = "%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456";
const UNICODE: &str = "这是测试币456";

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::demo()).await.unwrap()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn hmac() -> Signer {
    Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap())
}

/// `params` with `timestamp` and `signature` (HMAC over the text as given).
fn signed_query(params: &str) -> String {
    let query = format!("{params}&timestamp={}", now_ms());
    let signature = hmac().sign(query.as_bytes());
    format!("{query}&signature={}", signature.as_str())
}

/// A raw HTTP/1.1 answer: status, head, body.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `request` as bytes (it should say `Connection: close`) and reads
/// the answer to the end.
async fn raw_http(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Raw {
        status: head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// A request line and headers, `Host` the sandbox's own address.
fn http(sandbox: &Sandbox, method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n",
        sandbox.local_addr()
    )
    .into_bytes()
}

/// The WebSocket handshake refused with this status, or `None` if it succeeded.
async fn upgrade_status(url: &str, headers: &[(&'static str, &str)]) -> Option<u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Some(response.status().as_u16())
        }
        Err(err) => panic!("{url}: {err}"),
    }
}

fn ws_urls(sandbox: &Sandbox) -> [String; 3] {
    [
        format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url()),
        format!("{}/stream?streams=btcusdt@trade", sandbox.ws_stream_url()),
        sandbox.ws_api_url(),
    ]
}

/// Item 4: the admin API and every WebSocket upgrade refuse requests a web
/// page could make: a foreign `Host` (DNS rebinding) or `Origin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_and_websocket_upgrades_refuse_web_pages() {
    let sandbox = start().await;
    let addr = sandbox.local_addr();
    let port = addr.port();
    let ok = raw_http(addr, &http(&sandbox, "GET", "/sandbox/requests", "")).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let rebinding = format!(
        "GET /sandbox/requests HTTP/1.1\r\nHost: rebind.example.com:{port}\r\nConnection: close\r\n\r\n"
    );
    let refused = raw_http(addr, rebinding.as_bytes()).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"].as_str().unwrap().contains("Host"),
        "{}",
        refused.body
    );
    for origin in ["https://evil.example", "null"] {
        let request = http(
            &sandbox,
            "POST",
            "/sandbox/clock?offsetMs=-5000",
            &format!("Origin: {origin}\r\n"),
        );
        let refused = raw_http(addr, &request).await;
        assert_eq!(refused.status, 403, "{origin}");
        assert!(refused.json()["error"].as_str().unwrap().contains("Origin"));
    }
    let local_page = http(
        &sandbox,
        "POST",
        "/sandbox/latency?ms=0",
        "Origin: http://localhost:5173\r\n",
    );
    assert_eq!(raw_http(addr, &local_page).await.status, 200);
    // The clock was not moved by the refused request.
    let time = reqwest::get(format!("{}/api/v3/time", sandbox.rest_url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!((time["serverTime"].as_i64().unwrap() - now_ms()).abs() < 4_000);

    for url in ws_urls(&sandbox) {
        assert_eq!(upgrade_status(&url, &[]).await, None, "{url}");
        assert_eq!(
            upgrade_status(&url, &[("origin", "http://localhost:3000")]).await,
            None,
            "{url}"
        );
        assert_eq!(
            upgrade_status(&url, &[("origin", "https://evil.example")]).await,
            Some(403),
            "{url}"
        );
        let host = format!("rebind.example.com:{port}");
        assert_eq!(
            upgrade_status(&url, &[("host", host.as_str())]).await,
            Some(403),
            "{url}"
        );
    }
    sandbox.shutdown().await;
}

/// Item 5: connections that never finish their request head are closed
/// after the header-read timeout, while other clients are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_connections_are_closed_and_others_served() {
    let mut config = SandboxConfig::demo();
    config.server.header_read_timeout = Duration::from_millis(300);
    let sandbox = Sandbox::start(config).await.unwrap();
    let addr = sandbox.local_addr();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // A request head that never ends.
        stream
            .write_all(b"GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let ping = raw_http(addr, &http(&sandbox, "GET", "/api/v3/ping", "")).await;
    assert_eq!((ping.status, ping.body.as_str()), (200, "{}"));
    for mut stream in slow {
        let mut buf = [0_u8; 256];
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("the slow connection is closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    let answer = reqwest::get(format!("{}/api/v3/time", sandbox.rest_url()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    sandbox.shutdown().await;
}

/// Item 5: a connection over the cap (WebSockets count until they close)
/// is answered `503` `-1034` and closed cleanly; once a slot is free,
/// clients are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_cleanly() {
    const CAP: usize = 4;
    let mut config = SandboxConfig::demo();
    config.server.max_connections = CAP;
    let sandbox = Sandbox::start(config).await.unwrap();
    let addr = sandbox.local_addr();
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(connect(&format!("{}/ws", sandbox.ws_stream_url())).await);
    }
    crate::sandbox_ws::until_open(&sandbox, CAP).await;
    let refused = raw_http(addr, &http(&sandbox, "GET", "/api/v3/ping", "")).await;
    assert_eq!(refused.status, 503, "{}", refused.head);
    assert_eq!(
        refused.json(),
        json!({"code": -1034, "msg": format!("Too many concurrent connections; current limit is '{CAP}'.")})
    );
    let mut one = held.pop().unwrap();
    one.close(None).await.unwrap();
    drop(one);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let ping = raw_http(addr, &http(&sandbox, "GET", "/api/v3/ping", "")).await;
        if ping.status == 200 {
            break;
        }
        assert_eq!(ping.status, 503);
        assert!(tokio::time::Instant::now() < deadline, "a slot is freed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(held);
    sandbox.shutdown().await;
}

/// The resident set size of this process, in bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// A WebSocket handshake over a plain socket, for frames no client
/// library would send.
async fn raw_websocket(sandbox: &Sandbox, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sandbox.local_addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

/// The close code of the first close frame the server sends.
async fn close_code(stream: &mut TcpStream) -> u16 {
    let mut header = [0_u8; 2];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut header))
        .await
        .expect("a frame in time")
        .unwrap();
    assert_eq!(header[0], 0x88, "a close frame");
    let mut code = [0_u8; 2];
    stream.read_exact(&mut code).await.unwrap();
    u16::from_be_bytes(code)
}

/// Item 6: a message over the cap closes the connection with 1009 on the
/// streams and the WebSocket API, before its payload is read; memory goes
/// back to where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_websocket_messages_close_with_1009() {
    let sandbox = start().await;
    let too_big = mbx_sandbox::ws::MAX_MESSAGE_BYTES as u64 + 1;
    for path in ["/ws", "/stream", "/ws-api/v3"] {
        let mut stream = raw_websocket(&sandbox, path).await;
        // A masked text frame announcing `too_big` bytes; the payload never
        // comes, and need not.
        let mut frame = vec![0x81, 0x80 | 127];
        frame.extend_from_slice(&too_big.to_be_bytes());
        frame.extend_from_slice(&[1, 2, 3, 4]);
        stream.write_all(&frame).await.unwrap();
        assert_eq!(close_code(&mut stream).await, 1009, "{path}");
    }
    // A real client sending real oversized messages: each is refused
    // without being buffered.
    let before = rss_bytes();
    let payload = "x".repeat(8 << 20);
    for round in 0..12 {
        let url = if round % 2 == 0 {
            format!("{}/ws", sandbox.ws_stream_url())
        } else {
            sandbox.ws_api_url()
        };
        let (sink, mut stream) = connect(&url).await.split();
        let text = payload.clone();
        let sending = tokio::spawn(async move {
            let mut sink = sink;
            let _ = sink.send(Message::Text(text.into())).await;
        });
        let ended = tokio::time::timeout(PATIENCE, async {
            loop {
                match stream.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return None,
                }
            }
        })
        .await
        .expect("the connection ends");
        assert_eq!(ended, Some(1009), "round {round}");
        let _ = sending.await;
    }
    drop(payload);
    let after = rss_bytes();
    // 96 MiB went out; generously less than that stays.
    assert!(
        after < before + (64 << 20),
        "RSS grew from {before} to {after} bytes"
    );
    // The sandbox still serves.
    let mut ws = connect(&sandbox.ws_api_url()).await;
    send(&mut ws, r#"{"id":1,"method":"ping"}"#).await;
    assert_eq!(next_json(&mut ws).await["status"], 200);
    sandbox.shutdown().await;
}

/// Item 7: admin inputs are bounded: the clock cannot be wrapped, faults
/// are a counter, out-of-range values get 400 with the range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_inputs_are_bounded() {
    let sandbox = start().await;
    let addr = sandbox.local_addr();
    let admin = |target: &str| http(&sandbox, "POST", target, "");
    let wrapped = raw_http(addr, &admin("/sandbox/clock?offsetMs=9223372036854775807")).await;
    assert_eq!(wrapped.status, 400);
    assert_eq!(
        wrapped.json()["error"],
        "offsetMs must be an integer from -31536000000 to 31536000000"
    );
    let time = reqwest::get(format!("{}/api/v3/time", sandbox.rest_url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!((time["serverTime"].as_i64().unwrap() - now_ms()).abs() < 4_000);
    assert_eq!(
        raw_http(addr, &admin("/sandbox/clock?offsetMs=-3600000"))
            .await
            .status,
        200
    );

    let before = rss_bytes();
    let many = raw_http(addr, &admin("/sandbox/fail?count=200000000&fault=5xx")).await;
    assert_eq!((many.status, many.json()), (200, json!({})));
    assert!(rss_bytes() < before + (32 << 20), "a counter, not a list");
    let pending = raw_http(addr, &http(&sandbox, "GET", "/sandbox/faults", "")).await;
    assert_eq!(pending.json(), json!({"pending": 200_000_000}));
    for target in [
        "/sandbox/fail?count=0&fault=5xx",
        "/sandbox/fail?count=1000000001&fault=5xx",
        "/sandbox/fail?count=-1&fault=5xx",
    ] {
        let refused = raw_http(addr, &admin(target)).await;
        assert_eq!(refused.status, 400, "{target}");
        assert_eq!(
            refused.json()["error"],
            "count must be an integer from 1 to 1000000000"
        );
    }
    for (target, needle) in [
        ("/sandbox/latency?ms=600001", "from 0 to 600000"),
        ("/sandbox/fail?fault=5xx&holdMs=5", "lost-answer"),
        (
            "/sandbox/fail?fault=lost-answer&holdMs=600001",
            "from 0 to 600000",
        ),
        (
            "/sandbox/fail?fault=5xx&method=GET&path=/api/v3/nope",
            "serves no GET",
        ),
        ("/sandbox/fail?fault=5xx&wsMethod=nope", "no method nope"),
        ("/sandbox/fail?fault=5xx&cont=1", "unknown parameter"),
        ("/sandbox/deposit?asset=BTC&amount=1e9", "decimal"),
        (
            "/sandbox/deposit?asset=BTC&amount=1000000001",
            "at most 1000000000",
        ),
    ] {
        let refused = raw_http(addr, &admin(target)).await;
        assert_eq!(refused.status, 400, "{target}");
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(needle), "{target}: {error}");
    }
    sandbox.shutdown().await;
}

/// The next frame a client reads, if the connection has not ended.
async fn next_message(ws: &mut Ws) -> Option<Message> {
    tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("a frame in time")
        .and_then(Result::ok)
}

/// Item 8: a client's close frame is answered with a close frame on every
/// WebSocket endpoint, so the client sees 1000, not 1006.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_close_frames_are_answered() {
    let sandbox = start().await;
    for url in ws_urls(&sandbox) {
        let mut ws = connect(&url).await;
        ws.send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })))
        .await
        .unwrap();
        let reply = loop {
            match next_message(&mut ws).await {
                Some(Message::Close(frame)) => break frame,
                Some(_) => {}
                None => panic!("{url}: the connection ended without a close frame"),
            }
        };
        assert_eq!(
            reply.map(|frame| frame.code),
            Some(CloseCode::Normal),
            "{url}"
        );
    }
    sandbox.shutdown().await;
}

/// Reads `mbx sandbox`'s standard error on a thread, line by line.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    received
}

/// Starts `mbx sandbox` with `flag`; its REST URL.
fn mbx_sandbox(flag: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = mbx_tests::mbx()
        .args(["sandbox", "--port", "0", flag])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut url = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if url.is_none() {
            url = line
                .split_whitespace()
                .find(|word| word.starts_with("http://127.0.0.1:"))
                .map(str::to_owned);
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    (child, url.expect("a URL"))
}

fn stop(mut child: std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}

/// Item 9: `mbx sandbox -v` logs each request (method, path, status,
/// Binance code, time taken), never a query, key or signature; `-vv` adds
/// the reason of each error.
#[test]
fn verbose_sandbox_logs_requests_without_secrets() {
    for (flag, reason_shown) in [("-v", false), ("-vv", true)] {
        let (mut child, url) = mbx_sandbox(flag);
        let lines = stderr_lines(&mut child);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let http = reqwest::Client::new();
            let account = http
                .get(format!(
                    "{url}/api/v3/account?{}",
                    signed_query("omitZeroBalances=true")
                ))
                .header("X-MBX-APIKEY", DEMO_API_KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(account.status(), 200);
            let depth = http
                .get(format!("{url}/api/v3/depth?symbol=NOPE"))
                .send()
                .await
                .unwrap();
            assert_eq!(depth.status(), 400);
        });
        let mut seen: Vec<String> = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        let last_line = if reason_shown {
            "Invalid symbol."
        } else {
            "/api/v3/depth 400 -1121"
        };
        while !seen.iter().any(|line| line.contains(last_line)) {
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(wait) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("no log line for the failed request: {seen:#?}"),
            }
        }
        stop(child);
        let text = seen.join("\n");
        assert!(text.contains("GET /api/v3/account 200"), "{text}");
        let account_line = seen
            .iter()
            .find(|line| line.contains("GET /api/v3/account 200"))
            .unwrap();
        // The time taken ends the line (`1.2ms`, `850.3µs`).
        assert!(account_line.trim_end().ends_with('s'), "{account_line}");
        for secret in [
            "signature",
            "omitZeroBalances",
            "timestamp=",
            DEMO_API_KEY,
            "symbol=NOPE",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(
            text.contains("Invalid symbol."),
            reason_shown,
            "{flag}: {text}"
        );
    }
}

/// Sends a raw WebSocket API request and reads its answer.
async fn ws_request(ws: &mut Ws, text: &str) -> Value {
    send(ws, text).await;
    next_json(ws).await
}

/// Item 10: request ids are what Binance accepts (a signed 64-bit integer,
/// a string of at most 36 letters, digits, `-` and `_`, `null`); anything
/// else gets Binance's error with `"id":null`, never an echo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_api_ids_follow_binance() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    for id in [
        "1",
        "-5",
        "9223372036854775807",
        "-9223372036854775808",
        "\"e2a85d9f-07a5-4f94-8d5f-789dc3deb097\"",
        "\"a_1\"",
        "null",
    ] {
        let text = format!(r#"{{"id":{id},"method":"ping"}}"#);
        let reply = ws_request(&mut ws, &text).await;
        assert_eq!(reply["status"], 200, "{id}: {reply}");
        let echoed: Value = serde_json::from_str(id).unwrap();
        assert_eq!(reply["id"], echoed, "{id}");
    }
    let reply = ws_request(&mut ws, r#"{"method":"ping"}"#).await;
    assert_eq!(
        (reply["status"].clone(), reply["id"].clone()),
        (json!(200), Value::Null)
    );
    for (id, code) in [
        ("18446744073709551616", -1102),
        ("9223372036854775808", -1102),
        ("1.5", -1102),
        ("1e3", -1102),
        ("true", -1102),
        ("[1]", -1102),
        ("{\"a\":1}", -1102),
        ("\"has space\"", -1100),
        ("\"\"", -1100),
        ("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", -1100),
        ("\"这是\"", -1100),
    ] {
        let text = format!(r#"{{"id":{id},"method":"ping"}}"#);
        let reply = ws_request(&mut ws, &text).await;
        assert_eq!(reply["status"], 400, "{id}: {reply}");
        assert_eq!(reply["id"], Value::Null, "{id}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{id}: {reply}");
    }
    let reply = ws_request(&mut ws, r#"{"id":"x-1","method":"ping","params":{}}"#).await;
    assert_eq!(reply["error"], Value::Null);
    assert_eq!(
        ws_request(&mut ws, r#"{"id":"bad id","method":"ping"}"#).await["error"]["msg"],
        "Illegal characters found in parameter 'id'; legal range is '^[a-zA-Z0-9-_]{1,36}$'."
    );
    sandbox.shutdown().await;
}

/// Signs WebSocket API parameters (apiKey and timestamp added).
fn ws_signed(params: Value) -> Value {
    let mut params = params.as_object().cloned().unwrap_or_default();
    params.insert("apiKey".into(), json!(DEMO_API_KEY));
    params.insert("timestamp".into(), json!(now_ms()));
    let texts: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect();
    let payload = ws_api_payload(texts.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    params.insert(
        "signature".into(),
        json!(hmac().sign(payload.as_bytes()).as_str()),
    );
    Value::Object(params)
}

async fn ws_call(ws: &mut Ws, id: u64, method: &str, params: Value) -> Value {
    let request = json!({"id": id, "method": method, "params": params});
    send(ws, &request.to_string()).await;
    loop {
        let reply = next_json(ws).await;
        if reply["id"] == id {
            return reply;
        }
    }
}

/// Item 11: the testnet's Unicode symbol over REST (percent-encoded
/// UTF-8, signed over the encoded text; raw UTF-8 signed as it is is
/// `-1022`), streams with URL-encoded names, and the WebSocket API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_symbol_everywhere() {
    let sandbox = start().await;
    let rest = sandbox.rest_url();
    let http = reqwest::Client::new();
    let info: Value = http
        .get(format!(
            "{rest}/api/v3/exchangeInfo?symbol={UNICODE_ENCODED}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["symbols"][0]["symbol"], UNICODE, "{info}");
    assert_eq!(info["symbols"][0]["baseAsset"], "这是测试币");
    assert_eq!(info["symbols"][0]["quoteAsset"], "456");
    let symbols = format!("%5B%22{UNICODE_ENCODED}%22%2C%22BTCUSDT%22%5D");
    let prices: Value = http
        .get(format!("{rest}/api/v3/ticker/price?symbols={symbols}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prices[0]["symbol"], UNICODE, "{prices}");
    // Something to buy with.
    let deposit = raw_http(
        sandbox.local_addr(),
        &http_request(&sandbox, "POST", "/sandbox/deposit?asset=456&amount=10000"),
    )
    .await;
    assert_eq!(deposit.status, 200, "{}", deposit.body);

    let order = format!(
        "symbol={UNICODE_ENCODED}&side=BUY&type=LIMIT&timeInForce=GTC&quantity=10&price=0.5000&newClientOrderId=uni1"
    );
    let placed = http
        .post(format!("{rest}/api/v3/order?{}", signed_query(&order)))
        .header("X-MBX-APIKEY", DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 200);
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["symbol"], UNICODE, "{placed}");

    // The same order sent as raw UTF-8 and signed as it is: refused, as
    // Binance does since 2026-01-15.
    let raw_order = order
        .replace(UNICODE_ENCODED, UNICODE)
        .replace("uni1", "uni2");
    let raw_query = signed_query(&raw_order);
    let mut request = format!(
        "POST /api/v3/order?{raw_query} HTTP/1.1\r\nHost: {}\r\nX-MBX-APIKEY: {DEMO_API_KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        sandbox.local_addr()
    )
    .into_bytes();
    let refused = raw_http(sandbox.local_addr(), &request).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["code"], -1022);
    // The same raw bytes signed over their percent-encoded form verify.
    let encoded_query = signed_query(&order.replace("uni1", "uni3"));
    let (signed_part, signature) = encoded_query.rsplit_once("&signature=").unwrap();
    let raw_signed = signed_part.replace(UNICODE_ENCODED, UNICODE);
    request = format!(
        "POST /api/v3/order?{raw_signed}&signature={signature} HTTP/1.1\r\nHost: {}\r\nX-MBX-APIKEY: {DEMO_API_KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        sandbox.local_addr()
    )
    .into_bytes();
    let accepted = raw_http(sandbox.local_addr(), &request).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // Streams: the name URL-encoded in the path and in `streams=`.
    let mut raw = connect(&format!(
        "{}/ws/{UNICODE_ENCODED}@trade",
        sandbox.ws_stream_url()
    ))
    .await;
    let trade = next_json(&mut raw).await;
    assert_eq!(
        (trade["e"].clone(), trade["s"].clone()),
        (json!("trade"), json!(UNICODE))
    );
    let mut combined = connect(&format!(
        "{}/stream?streams={UNICODE_ENCODED}%40depth5",
        sandbox.ws_stream_url()
    ))
    .await;
    let depth = next_json(&mut combined).await;
    assert_eq!(depth["stream"], format!("{UNICODE}@depth5"));
    assert!(
        depth["data"]["bids"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );

    // The WebSocket API: the payload is signed unencoded there.
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let book = ws_call(&mut ws, 1, "depth", json!({"symbol": UNICODE, "limit": 5})).await;
    assert_eq!(book["status"], 200, "{book}");
    let params = json!({
        "symbol": UNICODE, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
        "quantity": "10", "price": "0.5000", "newClientOrderId": "uni4"
    });
    let placed = ws_call(&mut ws, 2, "order.place", ws_signed(params)).await;
    assert_eq!(placed["status"], 200, "{placed}");
    assert_eq!(placed["result"]["symbol"], UNICODE);
    let orders = ws_call(
        &mut ws,
        3,
        "openOrders.status",
        ws_signed(json!({"symbol": UNICODE})),
    )
    .await;
    let ids: Vec<&str> = orders["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| order["clientOrderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["uni1", "uni3", "uni4"]);
    sandbox.shutdown().await;
}

fn http_request(sandbox: &Sandbox, method: &str, target: &str) -> Vec<u8> {
    http(sandbox, method, target, "")
}

/// Item 12: request weight is counted per client address, with each
/// caller's own `X-MBX-USED-WEIGHT-1M`; a ban hits only the address that
/// earned it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weight_and_bans_are_per_client_address() {
    let mut config = SandboxConfig::demo();
    config.limits = RateLimitConfig {
        request_weight_per_minute: 12,
        ..RateLimitConfig::binance()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
            .build()
            .unwrap()
    };
    let (first, second) = (from(1), from(2));
    let depth = format!("{}/api/v3/depth?symbol=BTCUSDT", sandbox.rest_url());
    let used = |response: &reqwest::Response| {
        response.headers()["x-mbx-used-weight-1m"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let answer = first.get(&depth).send().await.unwrap();
    assert_eq!(
        (answer.status().as_u16(), used(&answer)),
        (200, "5".to_owned())
    );
    let answer = first.get(&depth).send().await.unwrap();
    assert_eq!(used(&answer), "10");
    let answer = second.get(&depth).send().await.unwrap();
    assert_eq!(
        (answer.status().as_u16(), used(&answer)),
        (200, "5".to_owned()),
        "127.0.0.2 counts apart"
    );
    assert_eq!(first.get(&depth).send().await.unwrap().status(), 429);
    assert_eq!(first.get(&depth).send().await.unwrap().status(), 418);
    assert_eq!(first.get(&depth).send().await.unwrap().status(), 418);
    let answer = second.get(&depth).send().await.unwrap();
    assert_eq!(
        (answer.status().as_u16(), used(&answer)),
        (200, "10".to_owned()),
        "the ban is 127.0.0.1's only"
    );
    sandbox.shutdown().await;
}

/// Item 13: `X-MBX-TIME-UNIT: MICROSECOND` and `timeUnit=MICROSECOND`
/// give microsecond times on REST, the streams and the WebSocket API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsecond_time_unit() {
    let sandbox = start().await;
    let rest = sandbox.rest_url();
    let http = reqwest::Client::new();
    let get = |path: &str, unit: Option<&str>| {
        let mut request = http.get(format!("{rest}{path}"));
        if let Some(unit) = unit {
            request = request.header("X-MBX-TIME-UNIT", unit);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let is_micros = |value: &Value| {
        let time = value.as_i64().unwrap();
        (time - now_ms() * 1000).abs() < 60_000_000 && time % 1000 == 0
    };
    let (_, millis) = get("/api/v3/time", None).await;
    assert!((millis["serverTime"].as_i64().unwrap() - now_ms()).abs() < 60_000);
    for unit in ["MICROSECOND", "microsecond"] {
        let (_, micros) = get("/api/v3/time", Some(unit)).await;
        assert!(is_micros(&micros["serverTime"]), "{micros}");
    }
    let (_, same) = get("/api/v3/time", Some("MILLISECOND")).await;
    assert!((same["serverTime"].as_i64().unwrap() - now_ms()).abs() < 60_000);
    let (_, klines) = get(
        "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2",
        Some("MICROSECOND"),
    )
    .await;
    assert!(is_micros(&klines[1][0]), "{klines}");
    assert!(klines[1][6].as_i64().unwrap() > klines[1][0].as_i64().unwrap() + 59_000_000);
    let (_, trades) = get("/api/v3/trades?symbol=BTCUSDT&limit=1", Some("MICROSECOND")).await;
    assert!(is_micros(&trades[0]["time"]), "{trades}");
    assert!(
        trades[0]["id"].as_i64().unwrap() < 1_000_000_000,
        "ids stay ids"
    );
    let (status, refused) = get("/api/v3/time", Some("NANOSECOND")).await;
    assert_eq!(status, 400);
    assert_eq!(
        refused,
        json!({"code": -1194, "msg": "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."})
    );

    let mut stream = connect(&format!(
        "{}/ws/btcusdt@trade?timeUnit=MICROSECOND",
        sandbox.ws_stream_url()
    ))
    .await;
    let trade = next_json(&mut stream).await;
    assert!(is_micros(&trade["E"]) && is_micros(&trade["T"]), "{trade}");
    assert!(trade["t"].as_i64().unwrap() < 1_000_000_000, "{trade}");
    let mut kline = connect(&format!(
        "{}/stream?streams=btcusdt@kline_1s&timeUnit=microsecond",
        sandbox.ws_stream_url()
    ))
    .await;
    let event = next_json(&mut kline).await;
    assert!(is_micros(&event["data"]["k"]["t"]), "{event}");
    let mut ws = connect(&format!("{}?timeUnit=MICROSECOND", sandbox.ws_api_url())).await;
    let time = ws_call(&mut ws, 1, "time", json!({})).await;
    assert!(is_micros(&time["result"]["serverTime"]), "{time}");
    let refused = upgrade_status(&format!("{}?timeUnit=SECOND", sandbox.ws_api_url()), &[]).await;
    assert_eq!(refused, Some(400));
    sandbox.shutdown().await;
}

/// Item 14: a raw byte that is not UTF-8 in the URL gets Binance's shape,
/// not an empty 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_that_is_not_utf8_gets_binance_shape() {
    let sandbox = start().await;
    let mut request = b"GET /api/v3/depth?symbol=BTC\xffUSDT HTTP/1.1\r\n".to_vec();
    request.extend_from_slice(
        format!(
            "Host: {}\r\nConnection: close\r\n\r\n",
            sandbox.local_addr()
        )
        .as_bytes(),
    );
    let answer = raw_http(sandbox.local_addr(), &request).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer
            .head
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{}",
        answer.head
    );
    assert_eq!(
        answer.json(),
        json!({"code": -1100, "msg": "Illegal characters found in a parameter."})
    );
    // The sandbox goes on serving.
    let ping = raw_http(
        sandbox.local_addr(),
        &http(&sandbox, "GET", "/api/v3/ping", ""),
    )
    .await;
    assert_eq!((ping.status, ping.body.as_str()), (200, "{}"));
    sandbox.shutdown().await;
}

const ORDER: &str =
    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=50000.00";

/// Faults aimed at one endpoint: `POST /api/v3/order` fails, the client's
/// time and `exchangeInfo` calls go through; the same for one WebSocket
/// API method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_aimed_at_one_endpoint_spares_the_others() {
    let sandbox = start().await;
    let addr = sandbox.local_addr();
    let aimed = raw_http(
        addr,
        &http_request(
            &sandbox,
            "POST",
            "/sandbox/fail?count=2&fault=5xx&method=POST&path=/api/v3/order",
        ),
    )
    .await;
    assert_eq!(aimed.status, 200, "{}", aimed.body);
    let http = reqwest::Client::new();
    let rest = sandbox.rest_url();
    for path in ["/api/v3/time", "/api/v3/exchangeInfo?symbol=BTCUSDT"] {
        let answer = http.get(format!("{rest}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    for _ in 0..2 {
        let answer = http
            .post(format!("{rest}/api/v3/order?{}", signed_query(ORDER)))
            .header("X-MBX-APIKEY", DEMO_API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 500);
    }
    let answer = http
        .post(format!("{rest}/api/v3/order?{}", signed_query(ORDER)))
        .header("X-MBX-APIKEY", DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the rule ran out");

    sandbox
        .fail_next_on(
            1,
            Fault::TooManyRequests,
            FaultTarget::ws_api("order.place"),
        )
        .unwrap();
    let mut ws = connect(&sandbox.ws_api_url()).await;
    assert_eq!(ws_call(&mut ws, 1, "time", json!({})).await["status"], 200);
    let params = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "timeInForce": "GTC", "quantity": "0.01000", "price": "50000.00"});
    let refused = ws_call(&mut ws, 2, "order.place", ws_signed(params.clone())).await;
    assert_eq!(refused["status"], 429, "{refused}");
    let placed = ws_call(&mut ws, 3, "order.place", ws_signed(params)).await;
    assert_eq!(placed["status"], 200, "{placed}");
    assert_eq!(sandbox.exchange().pending_faults(), 0);
    sandbox.shutdown().await;
}

/// How many of the demo account's BTCUSDT orders carry `client_order_id`.
async fn orders_with(sandbox: &Sandbox, client_order_id: &str) -> usize {
    let orders: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v3/allOrders?{}",
            sandbox.rest_url(),
            signed_query("symbol=BTCUSDT")
        ))
        .header("X-MBX-APIKEY", DEMO_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    orders
        .as_array()
        .unwrap()
        .iter()
        .filter(|order| order["clientOrderId"] == client_order_id)
        .count()
}

/// `lost-answer` on REST: the order executes, the client sees no answer
/// (the connection is cut, or held past the client's timeout), and the
/// order exists exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_on_rest_places_the_order_once() {
    let sandbox = start().await;
    let addr = sandbox.local_addr();
    for (client_order_id, hold_ms) in [("lostCut1", 0), ("lostHeld1", 600_000)] {
        let rule = format!(
            "/sandbox/fail?fault=lost-answer&holdMs={hold_ms}&method=POST&path=/api/v3/order"
        );
        assert_eq!(
            raw_http(addr, &http_request(&sandbox, "POST", &rule))
                .await
                .status,
            200
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(1500))
            .build()
            .unwrap();
        let order = format!("{ORDER}&newClientOrderId={client_order_id}");
        let sent = client
            .post(format!(
                "{}/api/v3/order?{}",
                sandbox.rest_url(),
                signed_query(&order)
            ))
            .header("X-MBX-APIKEY", DEMO_API_KEY)
            .send()
            .await;
        let err = sent.expect_err("no answer");
        assert_eq!(err.is_timeout(), hold_ms > 0, "{err:?}");
        assert_eq!(orders_with(&sandbox, client_order_id).await, 1);
    }
    // A held answer does not hold up the shutdown.
    sandbox.shutdown().await;
}

/// `lost-answer` on the WebSocket API's `order.place`: the order executes,
/// the connection is cut without an answer, and the order exists once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_on_the_websocket_api_places_the_order_once() {
    let sandbox = start().await;
    let rule = "/sandbox/fail?fault=lost-answer&wsMethod=order.place";
    assert_eq!(
        raw_http(sandbox.local_addr(), &http_request(&sandbox, "POST", rule))
            .await
            .status,
        200
    );
    let mut ws = connect(&sandbox.ws_api_url()).await;
    assert_eq!(ws_call(&mut ws, 1, "ping", json!({})).await["status"], 200);
    let params = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "timeInForce": "GTC", "quantity": "0.01000", "price": "50000.00",
        "newClientOrderId": "lostWs1"});
    send(
        &mut ws,
        &json!({"id": 2, "method": "order.place", "params": ws_signed(params)}).to_string(),
    )
    .await;
    let after = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("the connection ends");
    assert!(
        !matches!(after, Some(Ok(Message::Text(_)) | Ok(Message::Close(_)))),
        "no answer and no close frame: {after:?}"
    );
    assert_eq!(orders_with(&sandbox, "lostWs1").await, 1);
    sandbox.shutdown().await;
}

/// The `U` and `u` of a diff-depth event.
fn update_ids(event: &Value) -> (u64, u64) {
    (event["U"].as_u64().unwrap(), event["u"].as_u64().unwrap())
}

/// `POST /sandbox/ws/drop-depth-event`: the next diff-depth event of the
/// symbol is lost on every open stream connection, so its `U` no longer
/// follows the previous `u`; connections opened later see no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_depth_event_leaves_a_gap() {
    let sandbox = start().await;
    let url = format!("{}/ws/btcusdt@depth@100ms", sandbox.ws_stream_url());
    let mut ws = connect(&url).await;
    let (_, mut last) = update_ids(&next_json(&mut ws).await);
    let (first, next) = update_ids(&next_json(&mut ws).await);
    assert_eq!(first, last + 1, "no gap before the fault");
    last = next;
    let dropped = raw_http(
        sandbox.local_addr(),
        &http_request(
            &sandbox,
            "POST",
            "/sandbox/ws/drop-depth-event?symbol=BTCUSDT",
        ),
    )
    .await;
    assert_eq!(dropped.status, 200, "{}", dropped.body);
    let mut gaps = 0;
    for _ in 0..6 {
        let (first, next) = update_ids(&next_json(&mut ws).await);
        if first != last + 1 {
            assert!(first > last + 1, "{first} after {last}");
            gaps += 1;
        }
        last = next;
    }
    assert_eq!(gaps, 1, "exactly one event lost");
    let unknown = raw_http(
        sandbox.local_addr(),
        &http_request(&sandbox, "POST", "/sandbox/ws/drop-depth-event?symbol=NOPE"),
    )
    .await;
    assert_eq!(unknown.status, 400);
    sandbox.shutdown().await;
}
