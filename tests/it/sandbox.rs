//! The sandbox over real loopback sockets: endpoints, security, error codes,
//! rate limits and faults, driven with a plain HTTP client.

use std::time::{SystemTime, UNIX_EPOCH};

use mbx_sandbox::{
    AccountConfig, ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Fault, Permissions,
    RateLimitConfig, Sandbox, SandboxConfig,
};
use mbx_signing::payload::Payload;
use mbx_signing::{HmacKey, Signer};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const READ_ONLY_KEY: &str = "readOnlyKey1";
const ED25519_KEY: &str = "ed25519Key1";
const RSA_KEY: &str = "rsaKey1";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn config() -> SandboxConfig {
    let mut config = SandboxConfig::demo();
    let keys = &mut config.accounts[0].api_keys;
    keys.push(ApiKeyConfig {
        api_key: READ_ONLY_KEY.to_owned(),
        credential: Credential::HmacSecret(DEMO_API_SECRET.to_owned()),
        permissions: Permissions::read_only(),
    });
    keys.push(ApiKeyConfig {
        api_key: ED25519_KEY.to_owned(),
        credential: Credential::PublicKeyPem(fixture("ed25519.pub.pem")),
        permissions: Permissions::trading(),
    });
    keys.push(ApiKeyConfig {
        api_key: RSA_KEY.to_owned(),
        credential: Credential::PublicKeyPem(fixture("rsa.pub.pem")),
        permissions: Permissions::trading(),
    });
    config
}

struct Client {
    sandbox: Sandbox,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    #[track_caller]
    fn error(&self, status: u16, code: i64, msg: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["msg"], msg);
    }

    #[track_caller]
    fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        &self.body
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl Client {
    async fn start(config: SandboxConfig) -> Client {
        let sandbox = Sandbox::start(config).await.unwrap();
        Client {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    async fn demo() -> Client {
        Client::start(config()).await
    }

    async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        api_key: Option<&str>,
        body: Option<String>,
    ) -> Answer {
        let url = format!("{}{path_and_query}", self.sandbox.rest_url());
        let mut request = self.http.request(method, url);
        if let Some(api_key) = api_key {
            request = request.header("X-MBX-APIKEY", api_key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn public(&self, path: &str, query: &str) -> Answer {
        let sep = if query.is_empty() { "" } else { "?" };
        self.raw(Method::GET, &format!("{path}{sep}{query}"), None, None)
            .await
    }

    /// A signed request: `params`, then `timestamp`, signed with the demo
    /// secret, `signature` last, all in the query string.
    async fn signed(&self, method: Method, path: &str, params: &[(&str, &str)]) -> Answer {
        self.signed_with(method, path, params, DEMO_API_KEY, &hmac_signer())
            .await
    }

    async fn signed_with(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        api_key: &str,
        signer: &Signer,
    ) -> Answer {
        let mut payload = Payload::from_pairs(params.iter().copied());
        let timestamp = now_ms().to_string();
        if !params.iter().any(|(name, _)| *name == "timestamp") {
            payload.push("timestamp", &timestamp);
        }
        let signature = signer.sign(payload.as_bytes());
        payload.push_signature(&signature);
        self.raw(method, &format!("{path}?{payload}"), Some(api_key), None)
            .await
    }
}

fn hmac_signer() -> Signer {
    Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap())
}

fn hmac_hex(payload: &str) -> String {
    HmacKey::new(DEMO_API_SECRET.as_bytes())
        .unwrap()
        .sign(payload.as_bytes())
        .as_str()
        .to_owned()
}

const LIMIT_BUY: &[(&str, &str)] = &[
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.01000"),
    ("price", "50000.00"),
];

// Public endpoints.

#[tokio::test]
async fn ping_time_and_exchange_info() {
    let client = Client::demo().await;
    let ping = client.public("/api/v3/ping", "").await;
    assert_eq!(ping.ok(), &serde_json::json!({}));
    assert_eq!(ping.header("x-mbx-used-weight-1m"), Some("1"));
    let time = client.public("/api/v3/time", "").await;
    let server_time = time.ok()["serverTime"].as_u64().unwrap();
    assert!(server_time.abs_diff(now_ms()) < 5_000);
    let info = client.public("/api/v3/exchangeInfo", "").await;
    let symbols: Vec<&str> = info.ok()["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    for wanted in [
        "BTCUSDT", "ETHUSDT", "BNBUSDT", "BNBBTC", "ETHBTC", "LTCBTC", "EOSBTC",
    ] {
        assert!(symbols.contains(&wanted), "{wanted} missing");
    }
    assert_eq!(
        info.body["rateLimits"][0]["rateLimitType"],
        "REQUEST_WEIGHT"
    );
    let one = client
        .public(
            "/api/v3/exchangeInfo",
            "symbols=%5B%22BNBBTC%22,%22BTCUSDT%22%5D",
        )
        .await;
    let filters: Vec<&str> = one.ok()["symbols"][1]["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filterType"].as_str().unwrap())
        .collect();
    for wanted in ["PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "NOTIONAL"] {
        assert!(filters.contains(&wanted));
    }
    client
        .public("/api/v3/exchangeInfo", "symbol=NOPE")
        .await
        .error(400, -1121, "Invalid symbol.");
}

#[tokio::test]
async fn exchange_info_keeps_the_documented_field_order() {
    let client = Client::demo().await;
    let url = format!(
        "{}/api/v3/exchangeInfo?symbol=BTCUSDT",
        client.sandbox.rest_url()
    );
    let text = client
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let order = [
        "\"timezone\"",
        "\"serverTime\"",
        "\"rateLimits\"",
        "\"exchangeFilters\"",
        "\"symbols\"",
        "\"baseAsset\"",
        "\"quoteAsset\"",
        "\"filters\"",
        "\"permissionSets\"",
    ];
    let positions: Vec<usize> = order.iter().map(|key| text.find(key).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn market_data_endpoints() {
    let client = Client::demo().await;
    let depth = client
        .public("/api/v3/depth", "symbol=BTCUSDT&limit=5")
        .await;
    let bids = depth.ok()["bids"].as_array().unwrap();
    let asks = depth.body["asks"].as_array().unwrap();
    assert_eq!((bids.len(), asks.len()), (5, 5));
    let best = |levels: &Vec<Value>| levels[0][0].as_str().unwrap().parse::<f64>().unwrap();
    assert!(best(bids) < best(asks));
    assert!(depth.body["lastUpdateId"].as_u64().unwrap() > 0);
    let trades = client
        .public("/api/v3/trades", "symbol=BTCUSDT&limit=3")
        .await;
    assert_eq!(trades.ok().as_array().unwrap().len(), 3);
    let historical = client
        .public(
            "/api/v3/historicalTrades",
            "symbol=BTCUSDT&fromId=1&limit=2",
        )
        .await;
    assert_eq!(historical.ok()[0]["id"], 1);
    let agg = client
        .public("/api/v3/aggTrades", "symbol=ETHBTC&limit=2")
        .await;
    assert!(agg.ok()[0]["a"].is_u64());
    for path in ["/api/v3/klines", "/api/v3/uiKlines"] {
        let klines = client
            .public(path, "symbol=BTCUSDT&interval=1h&limit=3")
            .await;
        let rows = klines.ok().as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].as_array().unwrap().len(), 12);
    }
    let avg = client.public("/api/v3/avgPrice", "symbol=BTCUSDT").await;
    assert_eq!(avg.ok()["mins"], 5);
    let price = client
        .public("/api/v3/ticker/price", "symbol=BTCUSDT")
        .await;
    assert_eq!(price.ok()["symbol"], "BTCUSDT");
    let prices = client.public("/api/v3/ticker/price", "").await;
    assert!(prices.ok().as_array().unwrap().len() >= 7);
    let book = client
        .public(
            "/api/v3/ticker/bookTicker",
            "symbols=[\"BTCUSDT\",\"ETHUSDT\"]",
        )
        .await;
    assert_eq!(book.ok().as_array().unwrap().len(), 2);
    let day = client.public("/api/v3/ticker/24hr", "symbol=BTCUSDT").await;
    assert!(day.ok()["count"].as_u64().unwrap() > 1000);
    let mini = client
        .public("/api/v3/ticker/24hr", "symbol=BTCUSDT&type=MINI")
        .await;
    assert!(mini.ok().get("priceChange").is_none());
    let rolling = client
        .public("/api/v3/ticker", "symbol=BTCUSDT&windowSize=1h")
        .await;
    assert!(rolling.ok()["count"].as_u64().unwrap() >= 59);
}

#[tokio::test]
async fn same_seed_same_market() {
    let a = Client::demo().await;
    let b = Client::demo().await;
    let prices = |answer: &Answer| -> Vec<(String, String)> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["price"].to_string(), t["qty"].to_string()))
            .collect()
    };
    let query = "symbol=ETHUSDT&fromId=1&limit=100";
    let first = a.public("/api/v3/historicalTrades", query).await;
    let second = b.public("/api/v3/historicalTrades", query).await;
    assert_eq!(prices(&first), prices(&second));
    let mut other = config();
    other.seed = 99;
    let c = Client::start(other).await;
    let third = c.public("/api/v3/historicalTrades", query).await;
    assert_ne!(prices(&first), prices(&third));
}

// Security.

#[tokio::test]
async fn missing_api_key_is_2014() {
    let client = Client::demo().await;
    let payload = format!("timestamp={}", now_ms());
    let query = format!("/api/v3/account?{payload}&signature={}", hmac_hex(&payload));
    client
        .raw(Method::GET, &query, None, None)
        .await
        .error(401, -2014, "API-key format invalid.");
    client
        .raw(Method::GET, &query, Some("bad key!"), None)
        .await
        .error(401, -2014, "API-key format invalid.");
}

#[tokio::test]
async fn unknown_api_key_is_2015() {
    let client = Client::demo().await;
    client
        .signed_with(
            Method::GET,
            "/api/v3/account",
            &[],
            "unknownKey",
            &hmac_signer(),
        )
        .await
        .error(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
}

#[tokio::test]
async fn read_only_key_cannot_trade() {
    let client = Client::demo().await;
    let account = client
        .signed_with(
            Method::GET,
            "/api/v3/account",
            &[],
            READ_ONLY_KEY,
            &hmac_signer(),
        )
        .await;
    assert_eq!(account.ok()["canTrade"], false);
    client
        .signed_with(
            Method::POST,
            "/api/v3/order",
            LIMIT_BUY,
            READ_ONLY_KEY,
            &hmac_signer(),
        )
        .await
        .error(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
}

#[tokio::test]
async fn wrong_signature_is_1022() {
    let client = Client::demo().await;
    let payload = format!("timestamp={}", now_ms());
    let wrong = hmac_hex(&format!("{payload}0"));
    client
        .raw(
            Method::GET,
            &format!("/api/v3/account?{payload}&signature={wrong}"),
            Some(DEMO_API_KEY),
            None,
        )
        .await
        .error(400, -1022, "Signature for this request is not valid.");
}

#[tokio::test]
async fn hmac_hex_is_case_insensitive() {
    let client = Client::demo().await;
    let payload = format!("timestamp={}", now_ms());
    let upper = hmac_hex(&payload).to_uppercase();
    let answer = client
        .raw(
            Method::GET,
            &format!("/api/v3/account?{payload}&signature={upper}"),
            Some(DEMO_API_KEY),
            None,
        )
        .await;
    answer.ok();
}

#[tokio::test]
async fn signature_covers_query_then_body() {
    let client = Client::demo().await;
    let query = "symbol=BTCUSDT&side=BUY&type=LIMIT";
    let body = format!(
        "timeInForce=GTC&quantity=0.01000&price=50000.00&timestamp={}",
        now_ms()
    );
    let signature = hmac_hex(&format!("{query}{body}"));
    let answer = client
        .raw(
            Method::POST,
            &format!("/api/v3/order?{query}"),
            Some(DEMO_API_KEY),
            Some(format!("{body}&signature={signature}")),
        )
        .await;
    assert_eq!(answer.ok()["status"], "NEW");
}

#[tokio::test]
async fn non_ascii_values_are_signed_encoded() {
    let client = Client::demo().await;
    // The signature must cover the percent-encoded bytes as sent.
    let encoded = format!("newClientOrderId=%EF%BC%91&timestamp={}", now_ms());
    let decoded = encoded.replace("%EF%BC%91", "１");
    let over_decoded = hmac_hex(&decoded);
    client
        .raw(
            Method::GET,
            &format!("/api/v3/account?{encoded}&signature={over_decoded}"),
            Some(DEMO_API_KEY),
            None,
        )
        .await
        .error(400, -1022, "Signature for this request is not valid.");
}

#[tokio::test]
async fn ed25519_and_rsa_keys_sign() {
    let client = Client::demo().await;
    for (api_key, pem) in [(ED25519_KEY, "ed25519.pem"), (RSA_KEY, "rsa.pem")] {
        let signer = Signer::from_private_key_pem(&fixture(pem)).unwrap();
        client
            .signed_with(Method::GET, "/api/v3/account", &[], api_key, &signer)
            .await
            .ok();
        // The other key's signature does not verify.
        client
            .signed_with(Method::GET, "/api/v3/account", &[], api_key, &hmac_signer())
            .await
            .error(400, -1022, "Signature for this request is not valid.");
    }
}

#[tokio::test]
async fn old_timestamp_is_1021() {
    let client = Client::demo().await;
    let old = (now_ms() - 10_000).to_string();
    client
        .signed(Method::GET, "/api/v3/account", &[("timestamp", &old)])
        .await
        .error(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        );
    let answer = client
        .signed(
            Method::GET,
            "/api/v3/account",
            &[("recvWindow", "20000"), ("timestamp", &old)],
        )
        .await;
    answer.ok();
}

#[tokio::test]
async fn timestamp_ahead_is_1021() {
    let client = Client::demo().await;
    let ahead = (now_ms() + 3_000).to_string();
    client
        .signed(Method::GET, "/api/v3/account", &[("timestamp", &ahead)])
        .await
        .error(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        );
}

#[tokio::test]
async fn microsecond_timestamps_and_clock_offset() {
    let client = Client::demo().await;
    let micros = (now_ms() * 1000).to_string();
    client
        .signed(Method::GET, "/api/v3/account", &[("timestamp", &micros)])
        .await
        .ok();
    client.sandbox.set_clock_offset_ms(-30_000);
    client
        .signed(Method::GET, "/api/v3/account", &[])
        .await
        .error(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        );
    let time = client.public("/api/v3/time", "").await;
    let server_time = time.ok()["serverTime"].as_u64().unwrap();
    assert!(now_ms() - server_time > 25_000);
}

#[tokio::test]
async fn recv_window_above_60000_is_rejected() {
    let client = Client::demo().await;
    client
        .signed(Method::GET, "/api/v3/account", &[("recvWindow", "60001")])
        .await
        .error(
            400,
            -1102,
            "'recvWindow' contains unexpected value. Cannot be greater than 60000.",
        );
    client
        .signed(
            Method::GET,
            "/api/v3/account",
            &[("recvWindow", "6000.346")],
        )
        .await
        .ok();
}

#[tokio::test]
async fn recv_window_outside_the_decimal_syntax_is_1100() {
    let client = Client::demo().await;
    for bad in ["1_000", "-0", "+5000", "5e3", " 5000"] {
        let answer = client
            .signed(Method::GET, "/api/v3/account", &[("recvWindow", bad)])
            .await;
        assert_eq!(answer.status.as_u16(), 400, "{bad:?}: {}", answer.body);
        assert_eq!(answer.body["code"], -1100, "{bad:?}: {}", answer.body);
    }
}

// Parameters.

#[tokio::test]
async fn missing_mandatory_parameter_is_1102() {
    let client = Client::demo().await;
    client.public("/api/v3/depth", "").await.error(
        400,
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    );
    client
        .raw(Method::GET, "/api/v3/account", Some(DEMO_API_KEY), None)
        .await
        .error(
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        );
}

#[tokio::test]
async fn duplicate_parameter_is_1101() {
    let client = Client::demo().await;
    client
        .public("/api/v3/depth", "symbol=BTCUSDT&symbol=ETHUSDT")
        .await
        .error(400, -1101, "Duplicate values for a parameter detected.");
}

#[tokio::test]
async fn empty_parameter_is_1105() {
    let client = Client::demo().await;
    client.public("/api/v3/depth", "symbol=").await.error(
        400,
        -1105,
        "Parameter 'symbol' was empty.",
    );
}

#[tokio::test]
async fn illegal_characters_are_1100() {
    let client = Client::demo().await;
    client
        .public("/api/v3/depth", "symbol=btc%20usdt")
        .await
        .error(
            400,
            -1100,
            "Illegal characters found in parameter 'symbol'; legal range is '^[\\w\\-._&&[^a-z]]{1,50}$'.",
        );
    client.public("/api/v3/depth", "symbol=%FF").await.error(
        400,
        -1100,
        "Illegal characters found in a parameter.",
    );
}

#[tokio::test]
async fn unread_parameter_is_1104() {
    let client = Client::demo().await;
    client
        .public("/api/v3/depth", "symbol=BTCUSDT&foo=1")
        .await
        .error(
            400,
            -1104,
            "Not all sent parameters were read; read '1' parameter(s) but was sent '2'.",
        );
}

#[tokio::test]
async fn nameless_parameter_is_1103() {
    let client = Client::demo().await;
    client
        .public("/api/v3/depth", "symbol=BTCUSDT&=1")
        .await
        .error(400, -1103, "An unknown parameter was sent.");
}

#[tokio::test]
async fn parameter_not_required_is_1106() {
    let client = Client::demo().await;
    let params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quantity", "0.001"),
        ("price", "1"),
    ];
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1106, "Parameter 'price' sent when not required.");
}

#[tokio::test]
async fn bad_enums_and_symbols() {
    let client = Client::demo().await;
    client
        .public("/api/v3/klines", "symbol=BTCUSDT&interval=7m")
        .await
        .error(400, -1120, "Invalid interval.");
    client
        .public("/api/v3/depth", "symbol=NOPE")
        .await
        .error(400, -1121, "Invalid symbol.");
    let mut params = LIMIT_BUY.to_vec();
    params[1] = ("side", "UP");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1117, "Invalid side.");
    params[1] = ("side", "BUY");
    params[2] = ("type", "LIMITED");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1116, "Invalid orderType.");
    params[2] = ("type", "LIMIT");
    params[3] = ("timeInForce", "GTX");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1115, "Invalid timeInForce.");
}

// Orders.

#[tokio::test]
async fn limit_order_lifecycle() {
    let client = Client::demo().await;
    let mut params = LIMIT_BUY.to_vec();
    params.push(("newClientOrderId", "myOrder1"));
    let placed = client.signed(Method::POST, "/api/v3/order", &params).await;
    assert_eq!(placed.ok()["status"], "NEW");
    assert_eq!(placed.body["fills"], serde_json::json!([]));
    assert_eq!(placed.header("x-mbx-order-count-10s"), Some("1"));
    assert_eq!(placed.header("x-mbx-order-count-1d"), Some("1"));
    let order_id = placed.body["orderId"].to_string();
    let query = client
        .signed(
            Method::GET,
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("origClientOrderId", "myOrder1")],
        )
        .await;
    assert_eq!(query.ok()["orderId"].to_string(), order_id);
    assert_eq!(query.body["isWorking"], true);
    client
        .signed(
            Method::GET,
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT"),
                ("orderId", &order_id),
                ("origClientOrderId", "other"),
            ],
        )
        .await
        .error(
            400,
            -2039,
            "Client order ID is not correct for this order ID.",
        );
    let account = client
        .signed(
            Method::GET,
            "/api/v3/account",
            &[("omitZeroBalances", "true")],
        )
        .await;
    let usdt = account.ok()["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USDT")
        .unwrap()
        .clone();
    assert_eq!(usdt["locked"], "500.00000000");
    assert_eq!(usdt["free"], "9500.00000000");
    let open = client
        .signed(Method::GET, "/api/v3/openOrders", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(open.ok().as_array().unwrap().len(), 1);
    let cancel = client
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", &order_id)],
        )
        .await;
    assert_eq!(cancel.ok()["status"], "CANCELED");
    assert_eq!(cancel.body["origClientOrderId"], "myOrder1");
    let all = client
        .signed(Method::GET, "/api/v3/allOrders", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(all.ok()[0]["status"], "CANCELED");
}

#[tokio::test]
async fn market_order_fills_and_shows_in_my_trades() {
    let client = Client::demo().await;
    let params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quoteOrderQty", "1000"),
    ];
    let placed = client.signed(Method::POST, "/api/v3/order", &params).await;
    assert_eq!(placed.ok()["status"], "FILLED");
    let fills = placed.body["fills"].as_array().unwrap();
    assert!(!fills.is_empty());
    assert_eq!(fills[0]["commissionAsset"], "BTC");
    let trades = client
        .signed(Method::GET, "/api/v3/myTrades", &[("symbol", "BTCUSDT")])
        .await;
    assert_eq!(trades.ok().as_array().unwrap().len(), fills.len());
    assert_eq!(trades.body[0]["isBuyer"], true);
    let ack = client
        .signed(
            Method::POST,
            "/api/v3/order",
            &[
                ("symbol", "ETHUSDT"),
                ("side", "SELL"),
                ("type", "MARKET"),
                ("quantity", "0.1"),
                ("newOrderRespType", "ACK"),
            ],
        )
        .await;
    assert!(ack.ok().get("status").is_none());
    assert!(ack.body["transactTime"].is_u64());
}

#[tokio::test]
async fn test_order_validates_without_placing() {
    let client = Client::demo().await;
    let empty = client
        .signed(Method::POST, "/api/v3/order/test", LIMIT_BUY)
        .await;
    assert_eq!(empty.ok(), &serde_json::json!({}));
    let mut params = LIMIT_BUY.to_vec();
    params.push(("computeCommissionRates", "true"));
    let rates = client
        .signed(Method::POST, "/api/v3/order/test", &params)
        .await;
    assert_eq!(
        rates.ok()["standardCommissionForOrder"]["maker"],
        "0.00100000"
    );
    let open = client.signed(Method::GET, "/api/v3/openOrders", &[]).await;
    assert_eq!(open.ok(), &serde_json::json!([]));
}

#[tokio::test]
async fn filter_failure_is_1013() {
    let client = Client::demo().await;
    let mut params = LIMIT_BUY.to_vec();
    params[5] = ("price", "50000.000000001");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1111, "Parameter 'price' has too much precision.");
    params[5] = ("price", "50000.005");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1013, "Filter failure: PRICE_FILTER");
    params[5] = ("price", "50000");
    params[4] = ("quantity", "0.000001");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1013, "Filter failure: LOT_SIZE");
    params[4] = ("quantity", "0.00001");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -1013, "Filter failure: NOTIONAL");
}

#[tokio::test]
async fn insufficient_balance_is_2010() {
    let client = Client::demo().await;
    let mut params = LIMIT_BUY.to_vec();
    params[4] = ("quantity", "1");
    client
        .signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(
            400,
            -2010,
            "Account has insufficient balance for requested action.",
        );
}

#[tokio::test]
async fn limit_maker_that_would_take_is_2010() {
    let client = Client::demo().await;
    let params = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT_MAKER"),
        ("quantity", "0.001"),
        ("price", "200000"),
    ];
    let mut config = config();
    config.accounts[0].balances = vec![("USDT".to_owned(), "1000000".to_owned())];
    let rich = Client::start(config).await;
    rich.signed(Method::POST, "/api/v3/order", &params)
        .await
        .error(400, -2010, "Order would immediately match and take.");
    drop(client);
}

#[tokio::test]
async fn unknown_order_is_2013_and_2011() {
    let client = Client::demo().await;
    client
        .signed(
            Method::GET,
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", "999")],
        )
        .await
        .error(400, -2013, "Order does not exist.");
    client
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &[("symbol", "BTCUSDT"), ("orderId", "999")],
        )
        .await
        .error(400, -2011, "Unknown order sent.");
    client
        .signed(Method::DELETE, "/api/v3/order", &[("symbol", "BTCUSDT")])
        .await
        .error(
            400,
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        );
}

#[tokio::test]
async fn cancel_replace_and_cancel_all() {
    let client = Client::demo().await;
    let placed = client
        .signed(Method::POST, "/api/v3/order", LIMIT_BUY)
        .await;
    let order_id = placed.ok()["orderId"].to_string();
    let mut params = LIMIT_BUY.to_vec();
    params[5] = ("price", "51000.00");
    params.push(("cancelReplaceMode", "STOP_ON_FAILURE"));
    params.push(("cancelOrderId", &order_id));
    let replaced = client
        .signed(Method::POST, "/api/v3/order/cancelReplace", &params)
        .await;
    assert_eq!(replaced.ok()["cancelResult"], "SUCCESS");
    assert_eq!(replaced.body["newOrderResult"], "SUCCESS");
    assert_eq!(replaced.body["cancelResponse"]["status"], "CANCELED");
    assert_eq!(replaced.body["newOrderResponse"]["price"], "51000.00000000");
    let failed = client
        .signed(Method::POST, "/api/v3/order/cancelReplace", &params)
        .await;
    failed.error(400, -2022, "Order cancel-replace failed.");
    assert_eq!(failed.body["data"]["cancelResponse"]["code"], -2011);
    assert_eq!(failed.body["data"]["newOrderResult"], "NOT_ATTEMPTED");
    let all = client
        .signed(
            Method::DELETE,
            "/api/v3/openOrders",
            &[("symbol", "BTCUSDT")],
        )
        .await;
    assert_eq!(all.ok().as_array().unwrap().len(), 1);
    client
        .signed(
            Method::DELETE,
            "/api/v3/openOrders",
            &[("symbol", "BTCUSDT")],
        )
        .await
        .error(400, -2011, "Unknown order sent.");
}

#[tokio::test]
async fn account_endpoints() {
    let client = Client::demo().await;
    let account = client.signed(Method::GET, "/api/v3/account", &[]).await;
    let body = account.ok();
    assert_eq!(body["accountType"], "SPOT");
    assert_eq!(body["permissions"], serde_json::json!(["SPOT"]));
    assert_eq!(body["commissionRates"]["maker"], "0.00100000");
    assert!(
        body["balances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["free"] == "0.00000000")
    );
    assert_eq!(account.header("x-mbx-used-weight-1m"), Some("20"));
    let omitted = client
        .signed(
            Method::GET,
            "/api/v3/account",
            &[("omitZeroBalances", "true")],
        )
        .await;
    assert!(
        omitted.ok()["balances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["free"] != "0.00000000")
    );
    let commission = client
        .signed(
            Method::GET,
            "/api/v3/account/commission",
            &[("symbol", "BTCUSDT")],
        )
        .await;
    assert_eq!(commission.ok()["standardCommission"]["taker"], "0.00100000");
    let counts = client
        .signed(Method::GET, "/api/v3/rateLimit/order", &[])
        .await;
    assert_eq!(counts.ok()[0]["interval"], "SECOND");
    let status = client
        .signed(Method::GET, "/sapi/v1/account/status", &[])
        .await;
    assert_eq!(status.ok()["data"], "Normal");
    let restrictions = client
        .signed(Method::GET, "/sapi/v1/account/apiRestrictions", &[])
        .await;
    assert_eq!(restrictions.ok()["enableSpotAndMarginTrading"], true);
    assert_eq!(restrictions.body["enableWithdrawals"], false);
    let coins = client
        .signed(Method::GET, "/sapi/v1/capital/config/getall", &[])
        .await;
    let btc = coins
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["coin"] == "BTC")
        .unwrap()
        .clone();
    assert_eq!(btc["free"], "1.50000000");
}

// Rate limits and faults.

fn tiny_limits(weight: u32, orders: u32) -> SandboxConfig {
    let mut config = config();
    config.limits = RateLimitConfig {
        request_weight_per_minute: weight,
        orders_per_10s: orders,
        orders_per_day: 1000,
        raw_requests_per_5m: 10_000,
    };
    config
}

#[tokio::test]
async fn too_much_weight_is_429_then_418() {
    let client = Client::start(tiny_limits(3, 50)).await;
    for _ in 0..3 {
        client.public("/api/v3/ping", "").await.ok();
    }
    let limited = client.public("/api/v3/ping", "").await;
    limited.error(
        429,
        -1003,
        "Too much request weight used; current limit is 3 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
    );
    assert!(limited.header("retry-after").is_some());
    let banned = client.public("/api/v3/ping", "").await;
    assert_eq!(banned.status.as_u16(), 418);
    assert_eq!(banned.body["code"], -1003);
    assert!(
        banned.body["msg"]
            .as_str()
            .unwrap()
            .starts_with("Way too much request weight used; IP banned until ")
    );
    assert_eq!(banned.header("retry-after"), Some("120"));
}

#[tokio::test]
async fn too_many_orders_is_1015() {
    let client = Client::start(tiny_limits(6000, 1)).await;
    client
        .signed(Method::POST, "/api/v3/order", LIMIT_BUY)
        .await
        .ok();
    let limited = client
        .signed(Method::POST, "/api/v3/order", LIMIT_BUY)
        .await;
    limited.error(
        429,
        -1015,
        "Too many new orders; current limit is 1 orders per 10 SECOND.",
    );
}

#[tokio::test]
async fn injected_faults_and_the_request_log() {
    let client = Client::demo().await;
    client.sandbox.fail_next(1, Fault::TooManyRequests);
    client.sandbox.fail_next(1, Fault::Banned);
    client.sandbox.fail_next(1, Fault::ServerError);
    client.sandbox.fail_next(1, Fault::Timeout);
    let statuses = [429, 418, 500, 408];
    let codes = [-1003, -1003, -1000, -1007];
    for (status, code) in statuses.into_iter().zip(codes) {
        let answer = client.signed(Method::GET, "/api/v3/account", &[]).await;
        assert_eq!(answer.status.as_u16(), status);
        assert_eq!(answer.body["code"], code);
    }
    client
        .signed(Method::GET, "/api/v3/account", &[])
        .await
        .ok();
    let log = client.sandbox.request_log();
    assert_eq!(log.len(), 5);
    assert_eq!(log[0].status, 429);
    assert_eq!(log[0].code, Some(-1003));
    assert_eq!(log[4].code, None);
    let text = format!("{log:?}");
    assert!(!text.contains("signature") && !text.contains(DEMO_API_KEY));
}

// Bad input.

#[tokio::test]
async fn unknown_paths_and_methods() {
    let client = Client::demo().await;
    client.public("/api/v3/nothing", "").await.error(
        404,
        -1020,
        "This operation is not supported.",
    );
    client
        .raw(Method::PUT, "/api/v3/ping", None, None)
        .await
        .error(405, -1020, "This operation is not supported.");
}

#[tokio::test]
async fn legacy_listen_key_endpoint_is_gone() {
    let client = Client::demo().await;
    let answer = client
        .raw(
            Method::POST,
            "/api/v3/userDataStream",
            Some(DEMO_API_KEY),
            None,
        )
        .await;
    assert_eq!(answer.status.as_u16(), 410);
}

#[tokio::test]
async fn huge_and_non_utf8_bodies() {
    let client = Client::demo().await;
    let huge = "a=1&".repeat(100_000);
    let answer = client
        .raw(
            Method::POST,
            "/api/v3/order",
            Some(DEMO_API_KEY),
            Some(huge),
        )
        .await;
    answer.error(413, -1101, "Too many parameters sent for this endpoint.");
    let url = format!("{}/api/v3/order", client.sandbox.rest_url());
    let response = client
        .http
        .post(url)
        .header("X-MBX-APIKEY", DEMO_API_KEY)
        .body(vec![b's', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], -1100);
}

#[tokio::test]
async fn many_concurrent_connections() {
    let client = Client::demo().await;
    let url = format!("{}/api/v3/ping", client.sandbox.rest_url());
    let mut tasks = Vec::new();
    for _ in 0..200 {
        // A fresh client per task: a new connection each.
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    client.public("/api/v3/ping", "").await.ok();
}

#[tokio::test]
async fn graceful_shutdown_frees_the_port() {
    let client = Client::demo().await;
    let addr = client.sandbox.local_addr();
    client.sandbox.shutdown().await;
    assert!(
        reqwest::get(format!("http://{addr}/api/v3/ping"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn non_demo_accounts() {
    let mut config = config();
    config.accounts.push(AccountConfig {
        uid: 7,
        api_keys: vec![ApiKeyConfig {
            api_key: "second1".to_owned(),
            credential: Credential::HmacSecret(DEMO_API_SECRET.to_owned()),
            permissions: Permissions::trading(),
        }],
        balances: vec![("ETH".to_owned(), "2".to_owned())],
    });
    let client = Client::start(config).await;
    let account = client
        .signed_with(
            Method::GET,
            "/api/v3/account",
            &[("omitZeroBalances", "true")],
            "second1",
            &hmac_signer(),
        )
        .await;
    assert_eq!(account.ok()["uid"], 7);
    assert_eq!(account.body["balances"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn symbol_status_filters() {
    let client = Client::demo().await;
    client
        .public("/api/v3/ticker/price", "symbol=BTCUSDT&symbolStatus=HALT")
        .await
        .error(
            400,
            -1220,
            "The symbol's status does not match the requested symbolStatus.",
        );
    let none = client
        .public("/api/v3/ticker/price", "symbolStatus=BREAK")
        .await;
    assert_eq!(none.ok(), &serde_json::json!([]));
    client
        .public("/api/v3/depth", "symbol=BTCUSDT&symbolStatus=OPEN")
        .await
        .error(400, -1122, "Invalid symbolStatus.");
}

/// A config file whose balance is not a decimal gets a hint about balances,
/// not about the port.
#[test]
fn a_bad_balance_in_the_config_file_gets_a_balance_hint() {
    let dir = std::env::temp_dir().join(format!("mbx-tests-sandbox-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sandbox.toml");
    std::fs::write(
        &path,
        "[[accounts]]\nuid = 1\nbalances = { BTC = \"lots\" }\n[[accounts.api_keys]]\napi_key = \"cfgKey1\"\nsecret = \"cfgSecret1\"\n",
    )
    .unwrap();
    let out = mbx_tests::run(
        mbx_tests::mbx()
            .args(["sandbox", "--port", "0", "--config"])
            .arg(&path),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("not a decimal number"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: write each balance"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--port"), "{}", out.stderr);
}

#[tokio::test]
async fn more_than_a_day_between_start_and_end_is_1127() {
    let client = Client::demo().await;
    for path in ["/api/v3/myTrades", "/api/v3/allOrders"] {
        client
            .signed(
                Method::GET,
                path,
                &[
                    ("symbol", "BTCUSDT"),
                    ("startTime", "1700000000000"),
                    ("endTime", "1700086400001"),
                ],
            )
            .await
            .error(
                400,
                -1127,
                "More than 24 hours between startTime and endTime.",
            );
        let within = client
            .signed(
                Method::GET,
                path,
                &[
                    ("symbol", "BTCUSDT"),
                    ("startTime", "1700000000000"),
                    ("endTime", "1700086400000"),
                ],
            )
            .await;
        assert!(within.ok().is_array(), "{path}");
    }
}
