//! The sandbox's WebSocket API over a real socket: the envelope, the REST
//! security checks and codes, session logon, user data subscriptions and
//! the events REST and WebSocket orders produce.
// See: issue #5

use mbx_sandbox::{
    ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Permissions, Sandbox, SandboxConfig,
};
use mbx_signing::payload::ws_api_payload;
use mbx_signing::{HmacKey, Signer};
use mbx_tests::fixture_key;
use serde_json::{Value, json};

use crate::sandbox_ws::{Ws, connect, keys_in_order, next_json, next_text, send};

/// An Ed25519 key on the demo account (the docs' key type for logon).
pub(crate) const ED25519_KEY: &str =
    "mbxSandboxEd25519Key0000000000000000000000000000000000000000000c3";

pub(crate) async fn start() -> Sandbox {
    let mut config = SandboxConfig::demo();
    config.accounts[0].api_keys.push(ApiKeyConfig {
        api_key: ED25519_KEY.to_owned(),
        credential: Credential::PublicKeyPem(fixture_key("ed25519.pub.pem")),
        permissions: Permissions::trading(),
    });
    Sandbox::start(config).await.unwrap()
}

fn hmac() -> Signer {
    Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap())
}

fn ed25519() -> Signer {
    Signer::from_private_key_pem(&fixture_key("ed25519.pem")).unwrap()
}

/// Signs `params` (apiKey and timestamp added) the WebSocket API way.
pub(crate) fn signed(sandbox: &Sandbox, api_key: &str, signer: &Signer, params: Value) -> Value {
    let mut params = params.as_object().cloned().unwrap_or_default();
    params.insert("apiKey".into(), json!(api_key));
    params.insert("timestamp".into(), json!(sandbox.exchange().now_ms()));
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
    let signature = signer.sign(payload.as_bytes());
    params.insert("signature".into(), json!(signature.as_str()));
    Value::Object(params)
}

pub(crate) async fn call(ws: &mut Ws, id: u64, method: &str, params: Value) -> Value {
    let request = json!({"id": id, "method": method, "params": params});
    send(ws, &request.to_string()).await;
    loop {
        let reply = next_json(ws).await;
        if reply["id"] == id {
            return reply;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_methods_answer_in_the_envelope() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    send(&mut ws, r#"{"id":"a1","method":"ping"}"#).await;
    let text = next_text(&mut ws).await.unwrap();
    assert_eq!(
        keys_in_order(&text),
        ["id", "status", "result", "rateLimits"]
    );
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["id"], "a1");
    assert_eq!(reply["status"], 200);
    assert_eq!(reply["result"], json!({}));
    assert_eq!(reply["rateLimits"][0]["rateLimitType"], "REQUEST_WEIGHT");
    let mut quiet = connect(&format!("{}?returnRateLimits=false", sandbox.ws_api_url())).await;
    let status = call(&mut quiet, 1, "session.status", json!({})).await;
    assert!(status.get("rateLimits").is_none());
    assert_eq!(status["result"]["returnRateLimits"], false);
    let time = call(&mut ws, 2, "v3/time", json!({"returnRateLimits": false})).await;
    assert!(time["result"]["serverTime"].as_i64().unwrap() > 0);
    assert!(time.get("rateLimits").is_none());
    let depth = call(
        &mut ws,
        3,
        "depth",
        json!({"symbol": "BTCUSDT", "limit": 5}),
    )
    .await;
    assert_eq!(depth["result"]["bids"].as_array().unwrap().len(), 5);
    let info = call(&mut ws, 4, "exchangeInfo", json!({"symbols": ["BNBBTC"]})).await;
    assert_eq!(info["result"]["symbols"][0]["symbol"], "BNBBTC");
    let price = call(&mut ws, 5, "ticker.price", json!({"symbol": "ETHUSDT"})).await;
    assert_eq!(price["result"]["symbol"], "ETHUSDT");
    let unknown = call(&mut ws, 6, "depth", json!({"symbol": "NOPE"})).await;
    assert_eq!(unknown["status"], 400);
    assert_eq!(unknown["error"]["code"], -1121);
    let method = call(&mut ws, 7, "no.such.method", json!({})).await;
    assert_eq!(method["error"]["code"], -1020);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_checks_answer_with_the_rest_codes() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let good = signed(&sandbox, DEMO_API_KEY, &hmac(), json!({}));
    let ok = call(&mut ws, 1, "account.status", good.clone()).await;
    assert_eq!(ok["status"], 200, "{ok}");
    assert!(ok["result"]["balances"].as_array().is_some());

    let mut bad = good.clone();
    bad["signature"] = json!("0".repeat(64));
    let reply = call(&mut ws, 2, "account.status", bad).await;
    assert_eq!(
        (reply["status"].clone(), reply["error"]["code"].clone()),
        (json!(400), json!(-1022))
    );

    let mut stale =
        json!({"apiKey": DEMO_API_KEY, "timestamp": sandbox.exchange().now_ms() - 60_000});
    let payload = format!("apiKey={DEMO_API_KEY}&timestamp={}", stale["timestamp"]);
    stale["signature"] = json!(hmac().sign(payload.as_bytes()).as_str());
    let reply = call(&mut ws, 3, "account.status", stale).await;
    assert_eq!(reply["error"]["code"], -1021);
    assert_eq!(
        reply["error"]["msg"],
        "Timestamp for this request is outside of the recvWindow."
    );

    let unknown = signed(&sandbox, "NoSuchKey123", &hmac(), json!({}));
    let reply = call(&mut ws, 4, "account.status", unknown).await;
    assert_eq!(reply["error"]["code"], -2015);

    let unsigned = json!({"timestamp": sandbox.exchange().now_ms()});
    let reply = call(&mut ws, 5, "account.status", unsigned).await;
    assert_eq!(reply["error"]["code"], -2014);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logon_signs_later_requests_and_logout_forgets_the_key() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let before = call(&mut ws, 1, "session.status", json!({})).await;
    assert_eq!(before["result"]["apiKey"], Value::Null);
    let no_logon = call(&mut ws, 11, "userDataStream.subscribe", json!({})).await;
    assert_eq!(
        (
            no_logon["status"].clone(),
            no_logon["error"]["code"].clone()
        ),
        (json!(401), json!(-2015))
    );
    let logon = signed(&sandbox, ED25519_KEY, &ed25519(), json!({}));
    let reply = call(&mut ws, 2, "session.logon", logon).await;
    assert_eq!(reply["status"], 200, "{reply}");
    assert_eq!(reply["result"]["apiKey"], ED25519_KEY);
    assert_eq!(reply["result"]["userDataStream"], false);
    let account = call(
        &mut ws,
        3,
        "account.status",
        json!({"timestamp": sandbox.exchange().now_ms(), "omitZeroBalances": true}),
    )
    .await;
    assert_eq!(account["status"], 200, "{account}");
    let stale = call(&mut ws, 4, "account.status", json!({"timestamp": 1})).await;
    assert_eq!(stale["error"]["code"], -1021);
    let out = call(&mut ws, 5, "session.logout", json!({})).await;
    assert_eq!(out["result"]["apiKey"], Value::Null);
    let after = call(
        &mut ws,
        6,
        "account.status",
        json!({"timestamp": sandbox.exchange().now_ms()}),
    )
    .await;
    assert_eq!(after["error"]["code"], -2014);
    sandbox.shutdown().await;
}

/// The next user data event, unwrapped, with its subscription ID.
pub(crate) async fn next_event(ws: &mut Ws) -> (u64, Value) {
    loop {
        let frame = next_json(ws).await;
        if let Some(id) = frame.get("subscriptionId") {
            return (id.as_u64().unwrap(), frame["event"].clone());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_order_reaches_a_subscribed_user_stream() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let logon = signed(&sandbox, ED25519_KEY, &ed25519(), json!({}));
    assert_eq!(
        call(&mut ws, 1, "session.logon", logon).await["status"],
        200
    );
    let sub = call(&mut ws, 2, "userDataStream.subscribe", json!({})).await;
    assert_eq!(sub["result"], json!({"subscriptionId": 0}));
    let status = call(&mut ws, 3, "session.status", json!({})).await;
    assert_eq!(status["result"]["userDataStream"], true);

    let timestamp = sandbox.exchange().now_ms();
    let query = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0002&price=50000.00&newClientOrderId=restOrder1&timestamp={timestamp}"
    );
    let signature = hmac().sign(query.as_bytes());
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v3/order?{query}&signature={signature}",
            sandbox.rest_url()
        ))
        .header("X-MBX-APIKEY", DEMO_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (id, report) = next_event(&mut ws).await;
    assert_eq!(id, 0);
    assert_eq!(report["e"], "executionReport");
    assert_eq!(report["x"], "NEW");
    assert_eq!(report["X"], "NEW");
    assert_eq!(report["c"], "restOrder1");
    assert_eq!(report["p"], "50000.00000000");
    let (_, position) = next_event(&mut ws).await;
    assert_eq!(position["e"], "outboundAccountPosition");
    let usdt = position["B"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["a"] == "USDT")
        .unwrap();
    assert_eq!(usdt["l"], "10.00000000");

    // Logout ends the logon subscription with eventStreamTerminated.
    send(&mut ws, r#"{"id":9,"method":"session.logout"}"#).await;
    let (id, terminated) = next_event(&mut ws).await;
    assert_eq!(
        (id, terminated["e"].clone()),
        (0, json!("eventStreamTerminated"))
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_order_reaches_a_signature_subscription() {
    let sandbox = start().await;
    let mut watcher = connect(&sandbox.ws_api_url()).await;
    let sub = signed(&sandbox, DEMO_API_KEY, &hmac(), json!({}));
    let reply = call(
        &mut watcher,
        1,
        "userDataStream.subscribe.signature",
        sub.clone(),
    )
    .await;
    assert_eq!(reply["result"]["subscriptionId"], 0, "{reply}");
    let again = signed(&sandbox, DEMO_API_KEY, &hmac(), json!({}));
    let dup = call(&mut watcher, 2, "userDataStream.subscribe.signature", again).await;
    assert_eq!(dup["error"]["code"], -2035);
    let list = call(&mut watcher, 3, "session.subscriptions", json!({})).await;
    assert_eq!(list["result"], json!([{"subscriptionId": 0}]));

    let mut trader = connect(&sandbox.ws_api_url()).await;
    let order = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.1000"}),
    );
    let placed = call(&mut trader, 1, "order.place", order).await;
    assert_eq!(placed["status"], 200, "{placed}");
    assert_eq!(placed["result"]["status"], "FILLED");
    let limits: Vec<&str> = placed["rateLimits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rateLimitType"].as_str().unwrap())
        .collect();
    assert_eq!(limits, ["ORDERS", "ORDERS", "REQUEST_WEIGHT"]);
    let order_id = placed["result"]["orderId"].clone();

    let (_, new) = next_event(&mut watcher).await;
    assert_eq!(
        (new["x"].clone(), new["i"].clone()),
        (json!("NEW"), order_id.clone())
    );
    // Binance's order: NEW with status NEW and nothing filled, then the fill.
    assert_eq!(
        (new["X"].clone(), new["z"].clone()),
        (json!("NEW"), json!("0.00000000"))
    );
    let (_, fill) = next_event(&mut watcher).await;
    assert_eq!(fill["x"], "TRADE");
    assert_eq!(fill["X"], "FILLED");
    assert_eq!(fill["N"], "USDT");
    assert!(fill["t"].as_i64().unwrap() > 0);
    let status = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({"symbol": "ETHUSDT", "orderId": order_id}),
    );
    let queried = call(&mut trader, 2, "order.status", status).await;
    assert_eq!(queried["result"]["status"], "FILLED");
    let open = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({"symbol": "ETHUSDT"}),
    );
    let open = call(&mut trader, 3, "openOrders.status", open).await;
    assert_eq!(open["result"], json!([]));
    let test = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1000", "price": "1000.00"}),
    );
    assert_eq!(
        call(&mut trader, 4, "order.test", test).await["result"],
        json!({})
    );
    let cancel = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({"symbol": "ETHUSDT", "orderId": 999_999}),
    );
    assert_eq!(
        call(&mut trader, 5, "order.cancel", cancel).await["error"]["code"],
        -2011
    );

    let gone = call(&mut watcher, 4, "userDataStream.unsubscribe", json!({})).await;
    assert_eq!(gone["result"], json!({}));
    let none = call(&mut watcher, 5, "userDataStream.unsubscribe", json!({})).await;
    assert_eq!(none["error"]["code"], -2036);
    sandbox.shutdown().await;
}

/// Waits (generously) until the request log holds an entry for `path`.
async fn logged(sandbox: &Sandbox, path: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sandbox.request_log().iter().any(|entry| entry.path == path) {
        assert!(tokio::time::Instant::now() < deadline, "{path} not logged");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_stream_that_falls_behind_is_closed_not_left_with_a_gap() {
    let sandbox = start().await;
    let uid = SandboxConfig::demo().accounts[0].uid;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let params = signed(&sandbox, DEMO_API_KEY, &hmac(), json!({}));
    let sub = call(&mut ws, 1, "userDataStream.subscribe.signature", params).await;
    assert_eq!(sub["status"], 200);
    // The connection's task waits out the added latency of its answer to
    // `ping` while more events than its buffer holds are published.
    sandbox.set_latency(std::time::Duration::from_secs(3));
    send(&mut ws, r#"{"id":2,"method":"ping"}"#).await;
    logged(&sandbox, "/ws-api/v3/ping").await;
    const DEPOSITS: usize = 2100; // two events each, beyond the 4096 buffered
    for _ in 0..DEPOSITS {
        sandbox.deposit(uid, "USDT", "1".parse().unwrap()).unwrap();
    }
    sandbox.set_latency(std::time::Duration::ZERO);
    let mut deposits_seen = 0;
    let mut closed = true;
    while let Some(text) = next_text(&mut ws).await {
        deposits_seen += usize::from(text.contains(r#""e":"balanceUpdate""#));
        if deposits_seen == DEPOSITS {
            closed = false;
            break;
        }
    }
    // Every deposit arrived, or the client knows to reconnect and reconcile.
    assert!(closed || deposits_seen == DEPOSITS, "{deposits_seen}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_unknown_method_is_logged_cut_short() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let method = "x".repeat(100_000);
    let reply = call(&mut ws, 1, &method, json!({})).await;
    assert_eq!(reply["error"]["code"], -1020);
    let log = sandbox.request_log();
    let entry = log.last().unwrap();
    assert_eq!(entry.path, format!("/ws-api/v3/{}", "x".repeat(64)));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_cancel_replace_says_what_happened_to_each_part() {
    let sandbox = start().await;
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let params = signed(
        &sandbox,
        DEMO_API_KEY,
        &hmac(),
        json!({
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.01", "price": "95000.00",
            "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": 999_999
        }),
    );
    let reply = call(&mut ws, 1, "order.cancelReplace", params).await;
    assert_eq!(reply["status"], 400, "{reply}");
    assert_eq!(reply["error"]["code"], -2022);
    assert_eq!(
        reply["error"]["data"],
        json!({
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": null
        })
    );
    let limits: Vec<&str> = reply["rateLimits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rateLimitType"].as_str().unwrap())
        .collect();
    assert_eq!(limits, ["ORDERS", "ORDERS", "REQUEST_WEIGHT"]);
    sandbox.shutdown().await;
}
