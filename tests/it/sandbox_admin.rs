//! The sandbox's fault injection, through the `/sandbox/...` admin API and
//! the `Sandbox` methods: each action and its documented effect.
// See: issue #5

use std::time::Duration;

use futures_util::StreamExt;
use mbx_sandbox::{DEMO_API_KEY, Sandbox};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::sandbox_ws::{PATIENCE, connect, next_json, next_text, until_open};
use crate::sandbox_ws_api::{call, next_event, signed, start};

/// A bare HTTP/1.1 request to the admin API: status and body.
async fn admin(sandbox: &Sandbox, method: &str, target: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        sandbox.local_addr()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Whether the connection ends within the patience, and how.
async fn ending(ws: &mut crate::sandbox_ws::Ws) -> (bool, bool) {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next()).await {
            Err(_) => return (false, false),
            Ok(Some(Ok(Message::Close(_)))) => return (true, true),
            Ok(None) | Ok(Some(Err(_))) => return (true, false),
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_websockets_cuts_every_connection_without_a_close_frame() {
    let sandbox = start().await;
    let mut stream = connect(&format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url())).await;
    let mut api = connect(&sandbox.ws_api_url()).await;
    assert_eq!(call(&mut api, 1, "ping", json!({})).await["status"], 200);
    let (status, body) = admin(&sandbox, "POST", "/sandbox/websockets/drop").await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(ending(&mut stream).await, (true, false));
    assert_eq!(ending(&mut api).await, (true, false));
    // Reconnecting works.
    let mut again = connect(&format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url())).await;
    assert_eq!(next_json(&mut again).await["e"], "trade");
    sandbox.drop_websockets();
    assert_eq!(ending(&mut again).await, (true, false));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_is_announced_then_the_connection_closes() {
    let sandbox = start().await;
    let mut raw = connect(&format!("{}/ws/btcusdt@depth", sandbox.ws_stream_url())).await;
    let mut combined = connect(&format!(
        "{}/stream?streams=btcusdt@depth",
        sandbox.ws_stream_url()
    ))
    .await;
    let mut api = connect(&sandbox.ws_api_url()).await;
    assert_eq!(call(&mut api, 1, "ping", json!({})).await["status"], 200);
    // Every connection listens for the shutdown once it counts as open.
    until_open(&sandbox, 3).await;
    let (status, _) = admin(&sandbox, "POST", "/sandbox/websockets/shutdown").await;
    assert_eq!(status, 200);
    let event = next_json(&mut raw).await;
    assert_eq!(event["e"], "serverShutdown");
    assert!(event["E"].as_i64().unwrap() > 0);
    assert_eq!(ending(&mut raw).await, (true, true));
    let event = next_json(&mut combined).await;
    assert_eq!(event["stream"], "!serverShutdown");
    assert_eq!(event["data"]["e"], "serverShutdown");
    let event = next_json(&mut api).await;
    assert_eq!(event["event"]["e"], "serverShutdown");
    assert_eq!(ending(&mut api).await, (true, true));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_failures_hit_the_next_requests_then_stop() {
    let sandbox = start().await;
    let mut api = connect(&sandbox.ws_api_url()).await;
    for (fault, status, code) in [
        ("429", 429, -1003),
        ("418", 418, -1003),
        ("5xx", 500, -1000),
    ] {
        let (answer, _) = admin(
            &sandbox,
            "POST",
            &format!("/sandbox/fail?count=2&fault={fault}"),
        )
        .await;
        assert_eq!(answer, 200);
        for id in 0..2 {
            let reply = call(&mut api, id, "ping", json!({})).await;
            assert_eq!(reply["status"], status, "{fault}: {reply}");
            assert_eq!(reply["error"]["code"], code);
        }
        assert_eq!(call(&mut api, 9, "ping", json!({})).await["status"], 200);
    }
    let reply = reqwest::get(format!("{}/sandbox/fail?fault=404", sandbox.rest_url())).await;
    assert_eq!(reply.unwrap().status(), 405, "admin actions are POST");
    let (status, body) = admin(&sandbox, "POST", "/sandbox/fail?fault=404").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("429"));
    // A REST request takes the fault too.
    sandbox.fail_next(1, mbx_sandbox::Fault::TooManyRequests);
    let rest = reqwest::get(format!("{}/api/v3/ping", sandbox.rest_url()))
        .await
        .unwrap();
    assert_eq!(rest.status(), 429);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_offset_and_latency_are_set_over_http() {
    let sandbox = start().await;
    let (status, _) = admin(&sandbox, "POST", "/sandbox/clock?offsetMs=-3600000").await;
    assert_eq!(status, 200);
    let mut api = connect(&sandbox.ws_api_url()).await;
    let time = call(&mut api, 1, "time", json!({})).await["result"]["serverTime"]
        .as_i64()
        .unwrap();
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((system - 3_600_000 - time).abs() < 60_000, "an hour behind");
    let (status, _) = admin(&sandbox, "POST", "/sandbox/latency?ms=20").await;
    assert_eq!(status, 200);
    assert_eq!(
        sandbox.exchange().live().latency(),
        Duration::from_millis(20)
    );
    assert_eq!(
        admin(&sandbox, "POST", "/sandbox/latency?ms=x").await.0,
        400
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_and_withdrawals_reach_user_data_subscribers() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let sub = signed(
        &sandbox,
        DEMO_API_KEY,
        &mbx_signing::Signer::Hmac(
            mbx_signing::HmacKey::new(mbx_sandbox::DEMO_API_SECRET.as_bytes()).unwrap(),
        ),
        json!({}),
    );
    let reply = call(&mut ws, 1, "userDataStream.subscribe.signature", sub).await;
    assert_eq!(reply["status"], 200);
    let (status, _) = admin(&sandbox, "POST", "/sandbox/deposit?asset=BTC&amount=0.5").await;
    assert_eq!(status, 200);
    let (id, update) = next_event(&mut ws).await;
    assert_eq!(id, 0);
    assert_eq!(update["e"], "balanceUpdate");
    assert_eq!(update["a"], "BTC");
    assert_eq!(update["d"], "0.50000000");
    let (_, position) = next_event(&mut ws).await;
    assert_eq!(position["e"], "outboundAccountPosition");
    assert_eq!(
        position["B"],
        json!([{"a": "BTC", "f": "2.00000000", "l": "0.00000000"}])
    );

    sandbox
        .deposit(354_937_868, "BTC", "-1.25".parse().unwrap())
        .unwrap();
    let (_, update) = next_event(&mut ws).await;
    assert_eq!(update["d"], "-1.25000000");
    let (_, position) = next_event(&mut ws).await;
    assert_eq!(position["B"][0]["f"], "0.75000000");
    let (status, body) = admin(&sandbox, "POST", "/sandbox/withdraw?asset=BTC&amount=5").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("insufficient balance")
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_lists_rest_and_websocket_requests_without_secrets() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let hmac = mbx_signing::Signer::Hmac(
        mbx_signing::HmacKey::new(mbx_sandbox::DEMO_API_SECRET.as_bytes()).unwrap(),
    );
    let mut bad = signed(&sandbox, DEMO_API_KEY, &hmac, json!({}));
    bad["signature"] = json!("ff".repeat(32));
    assert_eq!(
        call(&mut ws, 1, "account.status", bad).await["error"]["code"],
        -1022
    );
    let rest = reqwest::get(format!(
        "{}/api/v3/depth?symbol=BTCUSDT",
        sandbox.rest_url()
    ))
    .await;
    assert_eq!(rest.unwrap().status(), 200);
    let (status, log) = admin(&sandbox, "GET", "/sandbox/requests").await;
    assert_eq!(status, 200);
    let rows = log.as_array().unwrap();
    assert!(rows.contains(
        &json!({"method": "WS", "path": "/ws-api/v3/account.status", "status": 400, "code": -1022})
    ));
    assert!(
        rows.contains(
            &json!({"method": "GET", "path": "/api/v3/depth", "status": 200, "code": null})
        )
    );
    let text = log.to_string();
    assert!(!text.contains("signature") && !text.contains(DEMO_API_KEY) && !text.contains("ffff"));
    let mut stream = connect(&format!("{}/ws/btcusdt@trade", sandbox.ws_stream_url())).await;
    assert!(next_text(&mut stream).await.is_some());
    sandbox.shutdown().await;
}

#[test]
fn mbx_sandbox_flags_inject_faults_and_print_the_websocket_urls() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = mbx_tests::mbx()
        .args([
            "sandbox",
            "--port",
            "0",
            "--fail-next",
            "1",
            "--fail-with",
            "418",
        ])
        .args(["--ws-ping-interval-ms", "5000", "--latency-ms", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let text = printed.join("\n");
    let word = |prefix: &str| {
        text.split_whitespace()
            .find(|word| word.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
            .to_owned()
    };
    let rest = word("http://127.0.0.1:");
    assert!(word("ws://127.0.0.1:").starts_with("ws://"));
    assert!(text.contains("/ws-api/v3"), "{text}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statuses: Vec<u16> = runtime.block_on(async {
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let response = reqwest::get(format!("{rest}/api/v3/ping")).await.unwrap();
            statuses.push(response.status().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [418, 200]);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}
