//! Orders placed, filled or canceled while `mbx user-stream` is
//! disconnected reach it exactly once after the reconnect.
// See: issue #12

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{NewOrder, Side};
use mbx_domain::ports::OrderEntry as _;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET};
use mbx_signing::{HmacKey, Signer};

use crate::balances::Running;
use crate::stream::Background;

fn demo_client(running: &Running) -> RestClient {
    RestClient::new(
        ClientConfig::new(&running.url()).unwrap(),
        Some(Credentials::new(
            ApiKey::new(DEMO_API_KEY).unwrap(),
            Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
        )),
    )
    .unwrap()
}

/// `(orderId, status)` of every order line: live `executionReport`s and
/// reconciled `orderUpdate`s.
fn order_states(line: &str) -> Option<(u64, String, bool)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    match value["type"].as_str()? {
        "executionReport" => Some((
            value["orderId"].as_u64()?,
            value["orderStatus"].as_str()?.to_owned(),
            false,
        )),
        "orderUpdate" => Some((
            value["orderId"].as_u64()?,
            value["status"].as_str()?.to_owned(),
            true,
        )),
        _ => None,
    }
}

#[test]
fn orders_placed_during_forced_drops_reach_user_stream_exactly_once() {
    let running = Running::demo();
    let client = demo_client(&running);
    running.block_on(client.sync_clock()).unwrap();
    let user_stream = Background::spawn(
        running
            .mbx_with_demo_key("user-stream")
            .args(["--duration", "60s"]),
    );
    Background::wait_line(&user_stream.stderr, |line| {
        line.contains("subscribed to the user-data stream")
    });

    let mut placed = Vec::new();
    for round in 0..5 {
        running.sandbox().drop_websockets();
        // Right after the drop the client is away (it waits at least 125 ms
        // before reconnecting): the order fills while nobody listens.
        let mut order = NewOrder::market("BTCUSDT", Side::Buy, "0.001".parse().unwrap());
        order.new_client_order_id = Some(format!("reconcile-{round}"));
        let ack = running.block_on(client.place_order(&order)).unwrap();
        placed.push(ack.order_id);
        Background::wait_line(&user_stream.stderr, |line| line.contains("reconciled:"));
    }

    // Every order's final state, once; wait until all are in.
    let mut seen: BTreeMap<u64, Vec<(String, bool)>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while placed.iter().any(|id| {
        !seen
            .get(id)
            .is_some_and(|states| states.iter().any(|(status, _)| status == "FILLED"))
    }) {
        assert!(
            Instant::now() < deadline,
            "missing orders: {seen:?} of {placed:?}"
        );
        let Ok(line) = user_stream.stdout.recv_timeout(Duration::from_secs(10)) else {
            continue;
        };
        if let Some((id, status, reconciled)) = order_states(&line) {
            seen.entry(id).or_default().push((status, reconciled));
        }
    }
    // A little longer: a duplicate would come now.
    while let Ok(line) = user_stream.stdout.recv_timeout(Duration::from_secs(2)) {
        if let Some((id, status, reconciled)) = order_states(&line) {
            seen.entry(id).or_default().push((status, reconciled));
        }
    }
    for id in &placed {
        let filled = seen[id]
            .iter()
            .filter(|(status, _)| status == "FILLED")
            .count();
        assert_eq!(filled, 1, "order {id}: {:?}", seen[id]);
    }
    let n_reconciled = seen
        .values()
        .flatten()
        .filter(|(_, reconciled)| *reconciled)
        .count();
    assert!(
        n_reconciled > 0,
        "at least one order was caught up over REST, not live: {seen:?}"
    );
}
