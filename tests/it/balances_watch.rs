//! `mbx balances --watch` against the sandbox: the first balances, deposits
//! and orders as they happen, and a deposit made while the WebSocket was
//! down, caught up after the reconnect.
// See: issue #7

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use mbx_sandbox::SandboxConfig;
use mbx_tests::run;

use crate::balances::Running;
use crate::stream::Background;

/// Waits this long at most for any one expected line.
const PATIENCE: Duration = Duration::from_secs(10);

fn demo_uid() -> u64 {
    SandboxConfig::demo().accounts[0].uid
}

/// `mbx balances --watch ARGS` with the demo key, stdout and stderr piped.
fn watch(running: &Running, args: &[&str]) -> Background {
    Background::spawn(
        running
            .mbx_with_demo_key("balances")
            .args(["--watch", "--duration", "60s"])
            .args(args),
    )
}

/// Buys 0.001 BTC at 50000 USDT with a resting limit order: 50 USDT locked.
fn place_resting_order(running: &Running) {
    let out = run(running
        .mbx_with_demo_key("api")
        .args(["POST", "/api/v3/order", "--signed"])
        .args(["-p", "symbol=BTCUSDT", "-p", "side=BUY", "-p", "type=LIMIT"])
        .args(["-p", "timeInForce=GTC", "-p", "quantity=0.001"])
        .args(["-p", "price=50000"]));
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn plain_lines_follow_deposits_and_orders_and_catch_up_after_a_drop() {
    let running = Running::demo();
    let watching = watch(&running, &[]);
    // First one line per non-zero balance, with the server's decimals.
    Background::wait_line(&watching.stdout, |line| {
        line == "BTC 1.50000000 0.00000000 1.50000000"
    });

    running
        .sandbox()
        .deposit(demo_uid(), "BTC", "0.5".parse().unwrap())
        .unwrap();
    Background::wait_line(&watching.stdout, |line| {
        line == "BTC 2.00000000 0.00000000 2.00000000"
    });

    place_resting_order(&running);
    Background::wait_line(&watching.stdout, |line| {
        line == "USDT 9950.00000000 50.00000000 10000.00000000"
    });

    running.sandbox().drop_websockets();
    Background::wait_line(&watching.stderr, |line| line.contains("disconnected"));
    running
        .sandbox()
        .deposit(demo_uid(), "USDT", "250".parse().unwrap())
        .unwrap();
    // Made while the connection was down: fetched over REST after the
    // reconnect (or, if the reconnect won the race, seen as an event).
    Background::wait_line(&watching.stdout, |line| {
        line == "USDT 10200.00000000 50.00000000 10250.00000000"
    });
    Background::wait_line(&watching.stderr, |line| line.contains("subscribed again"));
}

#[test]
fn json_prints_one_object_per_change_and_count_stops_it() {
    let running = Running::demo();
    let mut watching = watch(&running, &["--json", "--quote", "USDT", "--count", "1"]);
    let first = Background::wait_line(&watching.stdout, |line| line.contains(r#""BTC""#));
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (&first["free"], &first["locked"], &first["total"]),
        (
            &"1.50000000".into(),
            &"0.00000000".into(),
            &"1.50000000".into()
        ),
        "{first}"
    );
    assert!(first["value"].is_string(), "{first}");

    running
        .sandbox()
        .deposit(demo_uid(), "ETH", "1".parse().unwrap())
        .unwrap();
    // The first lines include ETH at 12; the change is the next ETH line.
    let change = Background::wait_line(&watching.stdout, |line| {
        line.contains(r#""ETH""#) && !line.contains("12.00000000")
    });
    let change: serde_json::Value = serde_json::from_str(&change).unwrap();
    assert_eq!(
        (&change["free"], &change["total"]),
        (&"13.00000000".into(), &"13.00000000".into()),
        "{change}"
    );
    assert!(change["value"].is_string(), "{change}");

    // `--count 1`: the one change ends it, with success.
    match watching.stdout.recv_timeout(PATIENCE) {
        Ok(line) => panic!("nothing after the counted change: {line}"),
        Err(RecvTimeoutError::Disconnected) => {}
        Err(RecvTimeoutError::Timeout) => panic!("mbx did not stop after --count 1"),
    }
    let status = watching.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn count_without_watch_is_a_usage_error() {
    let out = run(mbx_tests::mbx().args(["balances", "--count", "1"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--watch"), "{}", out.stderr);
}
