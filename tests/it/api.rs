//! `mbx api` and the REST client's retry rules against the sandbox.
// See: issue #6

use mbx_adapters_rest::{ClientConfig, Request, RestClient};
use mbx_domain::Error;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{NewOrder, OrderRef, Side};
use mbx_domain::ports::{AccountData as _, MarketData as _, OrderEntry as _};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Fault};
use mbx_signing::{HmacKey, Signer};
use mbx_tests::run;

use crate::balances::{READ_ONLY_KEY, READ_ONLY_SECRET, Running};

fn client(running: &Running) -> RestClient {
    let credentials = Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    );
    RestClient::new(
        ClientConfig::new(&running.url()).unwrap(),
        Some(credentials),
    )
    .unwrap()
}

#[test]
fn public_get_prints_the_raw_body() {
    let running = Running::demo();
    let out = run(running
        .mbx("api")
        .args(["GET", "/api/v3/ticker/price", "-p", "symbol=BTCUSDT"]));
    assert_eq!(out.code, 0, "{out:?}");
    let body: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(body["symbol"], "BTCUSDT");
    assert!(body["price"].is_string(), "{body}");
}

#[test]
fn signed_get_prints_the_account_json() {
    let running = Running::demo();
    let out = run(running.mbx_with_demo_key("api").args([
        "GET",
        "/api/v3/account",
        "--signed",
        "-p",
        "omitZeroBalances=true",
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    let body: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        body["balances"].as_array().is_some_and(|b| !b.is_empty()),
        "{body}"
    );
}

#[test]
fn read_only_key_placing_an_order_gets_2015_and_its_hint() {
    let running = Running::demo();
    let out = run(running
        .mbx("api")
        .env("BINANCE_API_KEY", READ_ONLY_KEY)
        .env("BINANCE_API_SECRET", READ_ONLY_SECRET)
        .args(["POST", "/api/v3/order", "--signed"])
        .args([
            "-p",
            "symbol=BTCUSDT",
            "-p",
            "side=BUY",
            "-p",
            "type=MARKET",
            "-p",
            "quantity=0.001",
        ]));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("-2015"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("Spot & Margin Trading"),
        "{}",
        out.stderr
    );
}

#[test]
fn errors_are_json_on_stdout_with_the_same_exit_code() {
    let running = Running::demo();
    let out = run(running
        .mbx("api")
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", READ_ONLY_SECRET)
        .args(["GET", "/api/v3/account", "--signed", "--json"]));
    assert_eq!(out.code, 1, "{out:?}");
    // The documented order: `{"code":..,"msg":..,"hint":..}`.
    assert!(
        out.stdout.starts_with(
            r#"{"code":-1022,"msg":"Signature for this request is not valid.","hint":"#
        ),
        "{}",
        out.stdout
    );
    let error: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(error["code"], -1022);
    assert!(error["msg"].is_string());
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("`BINANCE_API_SECRET`"),
        "{error}"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let running = Running::demo();
    let out = run(running
        .mbx("api")
        .args(["GET", "/api/v3/time", "-p", "novalue"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("KEY=VALUE"), "{}", out.stderr);
    let out = run(running.mbx("api").args(["PATCH", "/api/v3/time"]));
    assert_eq!(out.code, 2, "{out:?}");
    let out = run(running
        .mbx("api")
        .args(["GET", "/api/v3/account", "--signed"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(running.log().is_empty(), "{:?}", running.log());
}

#[test]
fn unreachable_server_is_a_network_error() {
    let out = run(mbx_tests::mbx()
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .args([
            "api",
            "--base-url",
            "http://127.0.0.1:1",
            "GET",
            "/api/v3/time",
        ]));
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("network error"), "{}", out.stderr);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let out = run(mbx_tests::mbx()
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .args([
            "api",
            "--base-url",
            "http://example.com",
            "GET",
            "/api/v3/time",
        ]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("only to loopback"), "{}", out.stderr);
}

#[test]
fn a_get_is_retried_after_a_server_error() {
    let running = Running::demo();
    running.sandbox().fail_next(1, Fault::ServerError);
    let out = run(running.mbx("api").args(["GET", "/api/v3/time"]));
    assert_eq!(out.code, 0, "{out:?}");
    let statuses: Vec<u16> = running.log().iter().map(|entry| entry.2).collect();
    assert_eq!(statuses, [500, 200]);
}

#[test]
fn an_order_with_an_unknown_outcome_is_sent_once_and_left_to_the_use_case() {
    let running = Running::demo();
    let client = client(&running);
    // Sync the clock first, so that the fault hits the order itself.
    running.block_on(client.sync_clock()).unwrap();
    running.sandbox().fail_next(1, Fault::ServerError);
    let mut order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "0.001".parse().unwrap(),
        "50000".parse().unwrap(),
    );
    order.new_client_order_id = Some("mbx-test-uncertain-1".to_owned());
    let res = running.block_on(client.place_order(&order));
    // A 500 to an order leaves its outcome unknown; the adapter neither
    // sends it again nor decides (`mbx_client::orders` looks it up).
    let err = res.unwrap_err();
    assert_eq!(
        err.category(),
        mbx_domain::Category::UnknownOutcome,
        "{err}"
    );
    assert!(
        matches!(&err, Error::Api(api) if api.status == 500),
        "{err}"
    );
    let orders: Vec<(String, String)> = running
        .log()
        .into_iter()
        .filter(|entry| entry.1 == "/api/v3/order")
        .map(|entry| (entry.0, entry.1))
        .collect();
    assert_eq!(orders, [("POST".to_owned(), "/api/v3/order".to_owned())]);
}

#[test]
fn client_places_queries_and_cancels_an_order() {
    let running = Running::demo();
    let client = client(&running);
    let mut order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "0.001".parse().unwrap(),
        "50000".parse().unwrap(),
    );
    order.new_client_order_id = Some("mbx-test-order-1".to_owned());
    let ack = running.block_on(client.place_order(&order)).unwrap();
    assert_eq!(ack.client_order_id, "mbx-test-order-1");
    let found = running
        .block_on(client.query_order("BTCUSDT", &OrderRef::client("mbx-test-order-1")))
        .unwrap();
    assert_eq!(found.order_id, ack.order_id);
    let canceled = running
        .block_on(client.cancel_order("BTCUSDT", &OrderRef::Id(ack.order_id)))
        .unwrap();
    assert_eq!(canceled.order_id, ack.order_id);
    let raw = running
        .block_on(
            client.send(
                Request::get("/api/v3/openOrders")
                    .param("symbol", "BTCUSDT")
                    .signed(),
            ),
        )
        .unwrap();
    assert_eq!(raw.body.trim(), "[]");
}

#[test]
fn a_clock_jump_is_answered_with_one_resync_and_retry() {
    let running = Running::demo();
    let client = client(&running);
    running.block_on(client.account(true)).unwrap();
    // The server clock jumps 20 s after the client synced: the next signed
    // request is rejected with -1021, the client re-syncs and retries once.
    running.sandbox().set_clock_offset_ms(20_000);
    running.block_on(client.account(true)).unwrap();
    let log = running.log();
    let account_codes: Vec<Option<i64>> = log
        .iter()
        .filter(|entry| entry.1 == "/api/v3/account")
        .map(|entry| entry.3)
        .collect();
    assert_eq!(account_codes, [None, Some(-1021), None], "{log:?}");
    let offset = client.clock_estimate().unwrap().offset_ms;
    assert!((19_000..=21_000).contains(&offset), "{offset}");
}

#[test]
fn the_ledger_holds_requests_back_instead_of_hitting_429() {
    let mut config = crate::balances::with_read_only_key();
    config.limits.request_weight_per_minute = 100;
    let running = Running::start(config);
    let credentials = Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    );
    let mut client_config = ClientConfig::new(&running.url()).unwrap();
    client_config.max_rate_limit_wait = std::time::Duration::ZERO;
    let client = RestClient::new(client_config, Some(credentials)).unwrap();
    // Learn the limits (weight 20 of 100), then spend the rest at 20 a time.
    running.block_on(client.exchange_info(&[])).unwrap();
    let mut throttled = false;
    for _ in 0..20 {
        match running.block_on(client.account(true)) {
            Ok(_) => {}
            Err(Error::Throttled { .. }) => {
                throttled = true;
                break;
            }
            Err(err) => panic!("{err}"),
        }
    }
    assert!(throttled, "the client never held a request back");
    let statuses: Vec<u16> = running.log().iter().map(|entry| entry.2).collect();
    assert!(!statuses.contains(&429), "{statuses:?}");
}

/// The client's weight table and the sandbox's are written independently (the
/// sandbox must not share the client's code paths); they must agree, or the
/// ledger under-counts and the client runs into 429s under load.
/// A method, a path and its parameters.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

#[test]
fn client_and_sandbox_agree_on_request_weights() {
    let cases: &[Case<'_>] = &[
        ("GET", "/api/v3/ping", &[]),
        ("GET", "/api/v3/exchangeInfo", &[]),
        (
            "GET",
            "/api/v3/depth",
            &[("symbol", "BTCUSDT"), ("limit", "5000")],
        ),
        ("GET", "/api/v3/trades", &[("symbol", "BTCUSDT")]),
        ("GET", "/api/v3/historicalTrades", &[("symbol", "BTCUSDT")]),
        ("GET", "/api/v3/aggTrades", &[("symbol", "BTCUSDT")]),
        ("GET", "/api/v3/avgPrice", &[("symbol", "BTCUSDT")]),
        ("GET", "/api/v3/ticker/price", &[]),
        (
            "GET",
            "/api/v3/ticker/24hr",
            &[("symbols", r#"["BTCUSDT","ETHUSDT"]"#)],
        ),
        (
            "GET",
            "/api/v3/ticker",
            &[("symbols", r#"["BTCUSDT","ETHUSDT"]"#)],
        ),
        ("GET", "/api/v3/account", &[]),
        ("GET", "/api/v3/allOrders", &[("symbol", "BTCUSDT")]),
        (
            "GET",
            "/api/v3/myTrades",
            &[("symbol", "BTCUSDT"), ("orderId", "1")],
        ),
        ("GET", "/api/v3/openOrders", &[]),
        ("GET", "/api/v3/order", &[("symbol", "BTCUSDT")]),
        (
            "POST",
            "/api/v3/order/test",
            &[("computeCommissionRates", "true")],
        ),
        ("GET", "/api/v3/rateLimit/order", &[]),
        ("GET", "/api/v3/ticker/tradingDay", &[("symbol", "BTCUSDT")]),
        (
            "GET",
            "/api/v3/ticker/tradingDay",
            &[("symbols", r#"["BTCUSDT","ETHUSDT","BNBUSDT"]"#)],
        ),
        ("GET", "/api/v3/executionRules", &[]),
        ("GET", "/api/v3/executionRules", &[("symbol", "BTCUSDT")]),
        (
            "GET",
            "/api/v3/executionRules",
            &[("symbols", r#"["BTCUSDT","ETHUSDT"]"#)],
        ),
        (
            "GET",
            "/api/v3/executionRules",
            &[("symbolStatus", "TRADING")],
        ),
        (
            "GET",
            "/api/v3/historicalBlockTrades",
            &[("symbol", "BTCUSDT")],
        ),
        ("GET", "/api/v3/referencePrice", &[("symbol", "BTCUSDT")]),
        (
            "GET",
            "/api/v3/referencePrice/calculation",
            &[("symbol", "BTCUSDT")],
        ),
        ("GET", "/api/v3/myAllocations", &[("symbol", "BTCUSDT")]),
        ("POST", "/api/v3/sor/order", &[]),
        (
            "POST",
            "/api/v3/sor/order/test",
            &[("computeCommissionRates", "true")],
        ),
        ("POST", "/api/v3/sor/order/test", &[]),
        ("GET", "/sapi/v1/capital/config/getall", &[]),
        ("GET", "/sapi/v1/account/apiRestrictions", &[]),
    ];
    for (method, path, pairs) in cases {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let query = mbx_signing::payload::Payload::from_pairs(pairs.iter().copied());
        let http_method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        assert_eq!(
            mbx_adapters_rest::documented_weight(method, path, &owned),
            mbx_sandbox::api::weight(&http_method, path, query.as_str()),
            "{method} {path} {pairs:?}"
        );
    }
}

#[test]
fn a_user_name_in_the_base_url_cannot_smuggle_a_remote_host() {
    // `localhost:x` is the user name and password; the host is example.com.
    let out = run(mbx_tests::mbx()
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .args([
            "api",
            "--base-url",
            "http://localhost:x@example.com",
            "GET",
            "/api/v3/time",
        ]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("user name or password"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_signed_request_names_the_flag_instead_of_a_timestamp_parameter() {
    let running = Running::demo();
    let out =
        run(running
            .mbx("api")
            .args(["GET", "/api/v3/account", "--signed", "-p", "timestamp=1"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("\nhint: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("`--recv-window 10000`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_recv_window_parameter_with_decimals_wins_over_the_flag() {
    let running = Running::demo();
    let out = run(running.mbx_with_demo_key("api").args([
        "GET",
        "/api/v3/account",
        "--signed",
        "--recv-window",
        "5000",
        "-p",
        "recvWindow=6000.346",
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("\"balances\""), "{}", out.stdout);
}
