//! `mbx order`, `mbx orders`, `mbx trades` and the order use-case against
//! the sandbox: pre-flight refusals and their suggestions, `--test`,
//! place/status/cancel/cancel-all, the production confirmation, `--json`
//! shapes, and orders whose answer is lost (REST and WebSocket API) or
//! that time out, which must be reported once and exist at most once.
// See: issue "Trading, safely"

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use mbx_adapters_rest::{ClientConfig, RestClient, SystemClock};
use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
use mbx_client::orders::rules::MemoryExchangeInfoStore;
use mbx_client::orders::{
    Confirmation, OrderRequest, PlaceError, Trading, TradingConfig, TradingPorts,
};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{OrderType, Side};
use mbx_domain::ports::AccountData as _;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Fault, FaultTarget};
use mbx_signing::{HmacKey, Signer};
use mbx_tests::{Outcome, mbx, run};
use serde_json::Value;

use crate::balances::Running;

/// A cache directory of its own per sandbox, so that symbol rules cached
/// for one sandbox never serve another on a reused port.
fn cache_dir(running: &Running) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mbx-tests-cache-{}-{}",
        std::process::id(),
        running.sandbox().local_addr().port()
    ))
}

/// `mbx ARGS --base-url URL` with the demo key.
pub(crate) fn mbx_at(running: &Running, url: &str, args: &[&str]) -> Outcome {
    let mut command = mbx();
    command
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .env_remove("XDG_CONFIG_HOME")
        .env("XDG_CACHE_HOME", cache_dir(running))
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .args(args)
        .args(["--base-url", url]);
    run(&mut command)
}

pub(crate) fn mbx_order(running: &Running, args: &[&str]) -> Outcome {
    mbx_at(running, &running.url(), args)
}

pub(crate) fn json(out: &Outcome) -> Value {
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|err| panic!("{err}: stdout is not JSON: {out:?}"))
}

/// The flags of a refusal's hint: `--price 50000.01` and `quantity
/// 0.00123` become `[("--price", "50000.01"), ("QUANTITY", "0.00123")]`.
pub(crate) fn suggested(hint: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (idx, part) in hint.split('`').enumerate() {
        if idx % 2 == 0 {
            continue;
        }
        let before = hint.split('`').nth(idx - 1).unwrap_or("");
        if before.ends_with("quantity ") {
            found.push(("QUANTITY".to_owned(), part.to_owned()));
        } else if let Some((flag, value)) = part.split_once(' ')
            && flag.starts_with("--")
            && flag != "--round"
        {
            found.push((flag.to_owned(), value.to_owned()));
        }
    }
    found
}

/// The orders on BTCUSDT with this client order id, as the sandbox has
/// them (`mbx orders --all --json`).
fn orders_with_id(running: &Running, client_order_id: &str) -> usize {
    let out = mbx_order(running, &["orders", "BTCUSDT", "--all", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    json(&out)
        .as_array()
        .expect("an array")
        .iter()
        .filter(|order| order["clientOrderId"] == client_order_id)
        .count()
}

fn order_posts(running: &Running) -> usize {
    running
        .log()
        .iter()
        .filter(|entry| entry.0 == "POST" && entry.1 == "/api/v3/order")
        .count()
}

#[test]
fn each_filter_refusal_names_the_filter_and_its_suggestion_is_accepted() {
    let running = Running::demo();
    // (order arguments, the filter named first)
    let cases: &[(&[&str], &str)] = &[
        (
            &["BTCUSDT", "0.001", "--price", "50000.005"],
            "PRICE_FILTER",
        ),
        (&["BTCUSDT", "0.0012345", "--price", "50000"], "LOT_SIZE"),
        (&["BTCUSDT", "0.00001", "--price", "50000"], "NOTIONAL"),
        (&["BTCUSDT", "1000", "--type", "market"], "MARKET_LOT_SIZE"),
    ];
    for (args, filter) in cases {
        let mut refused_args = vec!["order", "buy"];
        refused_args.extend_from_slice(args);
        refused_args.extend(["--test", "--json"]);
        let out = mbx_order(&running, &refused_args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let error = json(&out);
        assert_eq!(error["category"], "usage", "{error}");
        let msg = error["msg"].as_str().unwrap();
        assert!(
            msg.starts_with(&format!("refused before sending: {filter}: ")),
            "{args:?}: {msg}"
        );
        let hint = error["hint"].as_str().unwrap();
        let suggestion = suggested(hint);
        assert!(!suggestion.is_empty(), "{args:?}: no value in {hint}");
        // The suggested values, put in place of the refused ones.
        let mut fixed: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        for (flag, value) in &suggestion {
            if flag == "QUANTITY" {
                fixed[1] = value.clone();
            } else {
                let at = fixed.iter().position(|arg| arg == flag).unwrap();
                fixed[at + 1] = value.clone();
            }
        }
        let mut accepted_args = vec!["order".to_owned(), "buy".to_owned()];
        accepted_args.extend(fixed);
        accepted_args.push("--test".to_owned());
        let accepted: Vec<&str> = accepted_args.iter().map(String::as_str).collect();
        let out = mbx_order(&running, &accepted);
        assert_eq!(out.code, 0, "{hint} → {accepted:?}: {out:?}");
        assert!(out.stdout.contains("the exchange accepts order"), "{out:?}");
    }
    // Nothing was placed by any of them.
    let out = mbx_order(&running, &["orders", "BTCUSDT", "--json"]);
    assert_eq!(json(&out), serde_json::json!([]));
    assert_eq!(order_posts(&running), 0);
}

#[test]
fn a_price_outside_the_band_around_the_market_is_refused_by_name() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order", "buy", "BTCUSDT", "0.001", "--price", "100", "--json",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    let error = json(&out);
    let msg = error["msg"].as_str().unwrap();
    assert!(
        msg.starts_with("refused before sending: PERCENT_PRICE_BY_SIDE: price 100 is outside "),
        "{msg}"
    );
    // The suggestion sits on the band's edge, which moves with the average
    // price; that it is accepted is proved against the sandbox for every
    // filter by tests/it/preflight.rs. Here: it is named, and in the band.
    let price: f64 = suggested(error["hint"].as_str().unwrap())[0]
        .1
        .parse()
        .unwrap();
    assert!((10_000.0..100_000.0).contains(&price), "{error}");
    assert_eq!(order_posts(&running), 0);
}

#[test]
fn rounding_then_test_shows_the_commission_and_places_nothing() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.0012345",
            "--price",
            "50000.005",
            "--round",
            "down",
            "--test",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("rounded price 50000.005 to 50000.00"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("rounded quantity 0.0012345 to 0.00123"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("testing order `mbx-"), "{}", out.stderr);
    assert!(
        out.stdout.contains("standard  0.00100000  0.00100000"),
        "{}",
        out.stdout
    );
    let out = mbx_order(
        &running,
        &[
            "order", "sell", "BTCUSDT", "0.001", "--price", "200000", "--test", "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let answer = json(&out);
    assert_eq!(answer["outcome"], "tested");
    assert_eq!(answer["order"]["type"], "LIMIT");
    assert_eq!(answer["order"]["timeInForce"], "GTC");
    assert_eq!(
        answer["commission"]["standardCommissionForOrder"]["maker"],
        "0.00100000"
    );
    assert_eq!(order_posts(&running), 0);
}

#[test]
fn place_status_cancel_and_cancel_all() {
    let running = Running::demo();
    // Far below the market: they rest on the book.
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.001",
            "--price",
            "50000",
            "--client-id",
            "e2e-1",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(
            "sending order `e2e-1`: BUY 0.001 BTCUSDT LIMIT GTC at 50000 (notional 50 USDT)"
        ),
        "{}",
        out.stderr
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("SYMBOL   ORDER ID  CLIENT ORDER ID"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].contains("e2e-1") && lines[1].ends_with("NEW"),
        "{}",
        out.stdout
    );
    let out = mbx_order(
        &running,
        &[
            "order", "buy", "BTCUSDT", "0.002", "--price", "49000", "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let placed = json(&out);
    assert_eq!(placed["outcome"], "placed");
    assert_eq!(placed["confirmation"], "answered");
    assert_eq!(placed["order"]["status"], "NEW");
    assert_eq!(placed["order"]["price"], "49000.00000000");
    let second_id = placed["order"]["orderId"].as_u64().unwrap().to_string();

    let out = mbx_order(
        &running,
        &[
            "order",
            "status",
            "BTCUSDT",
            "--client-id",
            "e2e-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let status = json(&out);
    assert_eq!(status[0]["clientOrderId"], "e2e-1");
    assert_eq!(status[0]["status"], "NEW");

    let out = mbx_order(&running, &["orders", "BTCUSDT"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);

    let out = mbx_order(
        &running,
        &["order", "cancel", "BTCUSDT", "--id", &second_id, "--json"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(json(&out)[0]["status"], "CANCELED");

    let out = mbx_order(&running, &["order", "cancel-all", "BTCUSDT"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("e2e-1") && out.stdout.contains("CANCELED"),
        "{}",
        out.stdout
    );
    let out = mbx_order(&running, &["order", "cancel-all", "BTCUSDT"]);
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, "no open orders on BTCUSDT"),
        "{out:?}"
    );

    let out = mbx_order(
        &running,
        &["order", "status", "BTCUSDT", "--client-id", "nope"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("-2013"), "{}", out.stderr);
    let out = mbx_order(&running, &["order", "status", "BTCUSDT"]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn a_market_order_fills_and_shows_in_trades_with_its_fee() {
    let running = Running::demo();
    let out = mbx_order(&running, &["order", "sell", "BTCUSDT", "0.001"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("FILLED"), "{}", out.stdout);
    assert!(
        out.stdout.contains("COMMISSION"),
        "the fills: {}",
        out.stdout
    );
    let out = mbx_order(&running, &["trades", "BTCUSDT", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let trades = json(&out);
    assert_eq!(trades.as_array().unwrap().len(), 1, "{trades}");
    assert_eq!(trades[0]["isBuyer"], false);
    assert_eq!(trades[0]["commissionAsset"], "USDT");
    let out = mbx_order(&running, &["trades", "BTCUSDT"]);
    assert!(out.stdout.starts_with("TIME (UTC)"), "{}", out.stdout);
    assert!(out.stdout.contains("taker"), "{}", out.stdout);
}

#[test]
fn an_order_over_the_web_socket_api_is_placed() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order", "buy", "BTCUSDT", "0.001", "--price", "50000", "--ws", "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(json(&out)["order"]["status"], "NEW");
    let over_ws = running
        .log()
        .iter()
        .filter(|entry| entry.1 == "/ws-api/v3/order.place")
        .count();
    assert_eq!((over_ws, order_posts(&running)), (1, 0));
}

/// A loopback listener standing in for an HTTP proxy: it counts the
/// connections it gets and closes each at once.
struct CountingProxy {
    addr: SocketAddr,
    connections: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
}

impl CountingProxy {
    fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (Arc::clone(&connections), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        drop(stream);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CountingProxy {
            addr,
            connections,
            stop,
        }
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `mbx ARGS` against production, every connection it might open sent to
/// `proxy` (loopback) instead.
fn mbx_on_production(proxy: &CountingProxy, args: &[&str]) -> Outcome {
    let proxy_url = format!("http://{}", proxy.addr);
    let mut command = mbx();
    command
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .env_remove("XDG_CONFIG_HOME")
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("mbx-tests-cache-production"),
        )
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env(var, &proxy_url);
    }
    command
        .args(args)
        .args(["--base-url", "https://api.binance.com"])
        .stdin(std::process::Stdio::null());
    run(&mut command)
}

#[test]
fn a_production_order_without_a_terminal_is_refused_before_any_network() {
    let proxy = CountingProxy::start();
    let out = mbx_on_production(
        &proxy,
        &["order", "buy", "BTCUSDT", "0.001", "--price", "50000"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("refusing to place a real-money order on production without confirmation"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`--yes`"), "{}", out.stderr);
    let out = mbx_on_production(&proxy, &["order", "sell", "BTCUSDT", "0.001", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(json(&out)["category"], "usage");
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        0,
        "nothing may be sent"
    );
    // The control: with `--yes` the same order does try to connect (to the
    // loopback proxy, which closes at once), so the count above means
    // something.
    let out = mbx_on_production(
        &proxy,
        &[
            "order", "buy", "BTCUSDT", "0.001", "--price", "50000", "--yes",
        ],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(proxy.connections.load(Ordering::SeqCst) > 0);
}

/// The sandbox's `lost-answer` fault on the next `POST /api/v3/order`
/// only: the order executes, the connection is cut before the answer.
fn lose_the_next_order_answer(running: &Running) {
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::rest("POST", "/api/v3/order"),
        )
        .unwrap();
}

#[test]
fn an_order_whose_answer_is_lost_is_reported_once_and_exists_once() {
    let running = Running::demo();
    lose_the_next_order_answer(&running);
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.001",
            "--price",
            "50000",
            "--client-id",
            "lost-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let placed = json(&out);
    assert_eq!(placed["outcome"], "placed");
    assert_eq!(placed["confirmation"], "looked_up");
    assert_eq!(placed["order"]["clientOrderId"], "lost-1");
    assert!(
        out.stderr.contains("outcome of order `lost-1` is unknown")
            || out.stderr.contains("looking it up"),
        "{}",
        out.stderr
    );
    assert_eq!(order_posts(&running), 1, "sent once");
    assert_eq!(orders_with_id(&running, "lost-1"), 1, "exists once");
    // The same in text: reported once, as placed.
    lose_the_next_order_answer(&running);
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.001",
            "--price",
            "50000",
            "--client-id",
            "lost-2",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.matches("lost-2").count(), 1, "{}", out.stdout);
    assert!(out.stderr.contains("the answer was lost"), "{}", out.stderr);
    assert!(!out.stderr.contains("failed"), "{}", out.stderr);
    assert_eq!(orders_with_id(&running, "lost-2"), 1);
    assert_eq!(order_posts(&running), 2);
}

#[test]
fn a_production_order_list_or_amendment_without_a_terminal_is_refused_before_any_network() {
    let proxy = CountingProxy::start();
    let oco = [
        "order",
        "oco",
        "BTCUSDT",
        "sell",
        "0.001",
        "--above-type",
        "limit-maker",
        "--above-price",
        "150000",
        "--below-type",
        "stop-loss",
        "--below-stop-price",
        "60000",
    ];
    let amend = [
        "order",
        "amend",
        "BTCUSDT",
        "--id",
        "1",
        "--quantity",
        "0.001",
        "--json",
    ];
    for args in [&oco[..], &amend[..]] {
        let out = mbx_on_production(&proxy, args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("without confirmation")
                || out.stdout.contains("without confirmation"),
            "{out:?}"
        );
    }
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        0,
        "nothing may be sent"
    );
}

fn credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

/// The use-case over the real REST client (and, if given, orders over the
/// WebSocket API) against the sandbox.
fn trading(
    running: &Running,
    orders: Option<WsOrderEntry>,
    recv_window: Duration,
) -> (Trading, Arc<RestClient>) {
    let mut config = ClientConfig::new(&running.url()).unwrap();
    config.recv_window_ms = Some(u32::try_from(recv_window.as_millis()).unwrap());
    let rest = Arc::new(RestClient::new(config, Some(credentials())).unwrap());
    let mut trading_config = TradingConfig::new(&running.url());
    trading_config.recv_window = recv_window;
    let trading = Trading::new(
        TradingPorts {
            orders: match orders {
                Some(ws) => Arc::new(ws),
                None => rest.clone(),
            },
            market: rest.clone(),
            account: rest.clone(),
            clock: Arc::new(SystemClock),
            rules: Arc::new(MemoryExchangeInfoStore::new()),
        },
        trading_config,
    );
    (trading, rest)
}

fn limit_request(client_order_id: &str) -> OrderRequest {
    let mut request = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Limit);
    request.quantity = Some("0.001".parse().unwrap());
    request.price = Some("50000".parse().unwrap());
    request.client_order_id = Some(client_order_id.to_owned());
    request
}

// `Fault::Timeout` holds the order a second and answers 408 `-1007`
// without executing it, so the lookups must prove it absent (the
// lost-answer tests above are the other side: executed, answer lost).
#[test]
fn an_order_that_timed_out_is_reported_not_placed_and_does_not_exist() {
    let running = Running::demo();
    let (trading, rest) = trading(&running, None, Duration::from_secs(1));
    let prepared = running
        .block_on(trading.prepare(&limit_request("timeout-1")))
        .unwrap();
    // Everything the order needs was asked while preparing; the next
    // request is the order itself.
    running.sandbox().fail_next(1, Fault::Timeout);
    let err = running.block_on(trading.place(&prepared)).unwrap_err();
    assert!(
        matches!(&err, PlaceError::NotPlaced { client_order_id, .. } if client_order_id == "timeout-1"),
        "{err:?}"
    );
    let error = err.to_error();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(order_posts(&running), 1, "never sent again");
    let all = running
        .block_on(rest.all_orders("BTCUSDT", None, None))
        .unwrap();
    assert!(all.iter().all(|order| order.client_order_id != "timeout-1"));
    let lookups = running
        .log()
        .iter()
        .filter(|entry| entry.0 == "GET" && entry.1 == "/api/v3/order")
        .count();
    assert!(lookups >= 1, "looked up by client order id");
}

/// The sandbox's `lost-answer` fault on the WebSocket API's `order.place`:
/// the order executes and the connection is cut without its answer; the
/// session reconnects and looks the order up with `order.status`.
#[test]
fn an_order_whose_web_socket_answer_is_lost_is_found_with_order_status() {
    let running = Running::demo();
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::ws_api("order.place"),
        )
        .unwrap();
    let mut config = ApiConfig::new(running.sandbox().ws_api_url());
    // The lost answer never comes: the order's outcome is unknown once
    // this has passed (the length decides nothing else).
    config.request_timeout = Duration::from_millis(500);
    let ws = running
        .block_on(WsOrderEntry::connect(config, credentials()))
        .unwrap();
    let (trading, rest) = trading(&running, Some(ws), Duration::from_secs(5));
    let prepared = running
        .block_on(trading.prepare(&limit_request("ws-lost-1")))
        .unwrap();
    let placed = running.block_on(trading.place(&prepared)).unwrap();
    assert!(
        matches!(placed.how, Confirmation::LookedUp { .. }),
        "{placed:?}"
    );
    assert_eq!(placed.ack.client_order_id, "ws-lost-1");
    let log = running.log();
    let count = |path: &str| log.iter().filter(|entry| entry.1 == path).count();
    assert_eq!(count("/ws-api/v3/order.place"), 1, "sent once");
    assert!(
        count("/ws-api/v3/order.status") >= 1,
        "looked up over the WebSocket API"
    );
    let all = running
        .block_on(rest.all_orders("BTCUSDT", None, None))
        .unwrap();
    let copies = all
        .iter()
        .filter(|order| order.client_order_id == "ws-lost-1")
        .count();
    assert_eq!(copies, 1, "exists once");
}
