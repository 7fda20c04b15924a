//! The local order book (`mbx_client::book_feed` and `mbx book`) against
//! the sandbox: equal to the sandbox's own full book (`GET
//! /api/v3/depth?limit=5000` at the same update ID) before and after forced
//! disconnects, a dropped diff event (a resync is seen) and a
//! `serverShutdown`; never crossed; `mbx book` as NDJSON and `--json`.
// See: issue 14

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{Backoff, MarketStreamConfig, WsMarketStreams};
use mbx_client::book_feed::{self, BookItem, BookNotice, BookOptions, BookView};
use mbx_client::session::Session;
use mbx_domain::feed::Notice;
use mbx_domain::model::Depth;
use mbx_domain::order_book::Desync;
use mbx_domain::ports::MarketData;
use mbx_sandbox::{Sandbox, SandboxConfig};
use mbx_tests::{mbx, run};
use tokio::sync::mpsc;

/// Waits this long at most for any one expected item.
const PATIENCE: Duration = Duration::from_secs(20);

/// The driver in a task, its items on a channel.
struct Driver {
    items: mpsc::UnboundedReceiver<BookItem>,
    /// Every view seen, by update ID.
    views: BTreeMap<u64, BookView>,
    notices: Vec<BookNotice>,
    task: tokio::task::JoinHandle<()>,
}

impl Driver {
    fn start(sandbox: &Sandbox, rest: Arc<RestClient>) -> Driver {
        let mut config = MarketStreamConfig::new(sandbox.ws_stream_url());
        config.backoff = Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
        };
        let streams = WsMarketStreams::new(config);
        let (tx, items) = mpsc::unbounded_channel();
        let options = BookOptions {
            depth: 5000,
            check_every: Some(Duration::from_secs(1)),
            ..BookOptions::default()
        };
        let task = tokio::spawn(async move {
            let mut session = Session::unbounded();
            let res = book_feed::follow(
                &streams,
                rest.as_ref(),
                &["BTCUSDT".to_owned()],
                &options,
                &mut session,
                |item| {
                    if tx.send(item).is_err() {
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                },
            )
            .await;
            res.expect("the book feed runs until dropped");
        });
        Driver {
            items,
            views: BTreeMap::new(),
            notices: Vec::new(),
            task,
        }
    }

    /// Reads items until a notice matches.
    async fn notice(&mut self, wanted: impl Fn(&BookNotice) -> bool) -> BookNotice {
        loop {
            match self.next().await {
                BookItem::Notice(notice) if wanted(&notice) => return notice,
                _ => {}
            }
        }
    }

    async fn next(&mut self) -> BookItem {
        let item = tokio::time::timeout(PATIENCE, self.items.recv())
            .await
            .expect("a book item in time")
            .expect("the book feed goes on");
        match &item {
            BookItem::Update(view) => {
                check_not_crossed(view);
                self.views.insert(view.last_update_id, view.clone());
            }
            BookItem::Notice(notice) => self.notices.push(notice.clone()),
            _ => {}
        }
        item
    }

    /// The driver's book equals the sandbox's full book at the same update
    /// ID: a snapshot is taken, then views are read until the driver has
    /// passed it. The book moves about once a second; a snapshot whose
    /// update ID the driver skipped (two changes inside one 100 ms event)
    /// is retried, a few times at most.
    async fn agrees_with(&mut self, rest: &RestClient) {
        for _ in 0..10 {
            let depth: Depth = rest.depth("BTCUSDT", Some(5000)).await.unwrap();
            assert!(!depth.bids.is_empty() && !depth.asks.is_empty());
            while self
                .views
                .last_key_value()
                .is_none_or(|(id, _)| *id < depth.last_update_id)
            {
                self.next().await;
            }
            if let Some(view) = self.views.get(&depth.last_update_id) {
                assert_eq!(view.bids, depth.bids, "bids at {}", depth.last_update_id);
                assert_eq!(view.asks, depth.asks, "asks at {}", depth.last_update_id);
                return;
            }
        }
        panic!("no view at the update ID of any of 10 snapshots");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn check_not_crossed(view: &BookView) {
    if let (Some(bid), Some(ask)) = (view.bids.first(), view.asks.first()) {
        assert!(bid.price() < ask.price(), "crossed book shown: {view:?}");
    }
    assert!(view.bids.windows(2).all(|w| w[0].price() > w[1].price()));
    assert!(view.asks.windows(2).all(|w| w[0].price() < w[1].price()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_equals_the_sandboxs_through_drops_a_lost_diff_and_a_server_shutdown() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest =
        Arc::new(RestClient::new(ClientConfig::new(&sandbox.rest_url()).unwrap(), None).unwrap());
    let mut driver = Driver::start(&sandbox, Arc::clone(&rest));
    driver
        .notice(|notice| matches!(notice, BookNotice::Live { .. }))
        .await;
    driver.agrees_with(&rest).await;
    // The periodic self-check against a fresh snapshot agrees.
    driver
        .notice(|notice| matches!(notice, BookNotice::CheckAgreed { .. }))
        .await;

    // Forced disconnect, no close frame: the book comes back equal.
    sandbox.drop_websockets();
    driver
        .notice(|notice| matches!(notice, BookNotice::Stream(Notice::Disconnected { .. })))
        .await;
    driver
        .notice(|notice| matches!(notice, BookNotice::Stream(Notice::Connected { .. })))
        .await;
    driver.agrees_with(&rest).await;

    // One diff event lost on the connection: the gap is seen, the book resyncs.
    sandbox.drop_depth_event("BTCUSDT");
    let resync = driver
        .notice(|notice| matches!(notice, BookNotice::Resyncing { .. }))
        .await;
    assert!(
        matches!(
            resync,
            BookNotice::Resyncing {
                reason: Desync::Gap { .. },
                ..
            }
        ),
        "{resync:?}"
    );
    driver
        .notice(|notice| matches!(notice, BookNotice::Live { .. }))
        .await;
    driver.agrees_with(&rest).await;

    // serverShutdown: the new connection opens before the old one goes,
    // and the book is still equal.
    sandbox.server_shutdown();
    driver
        .notice(|notice| matches!(notice, BookNotice::Stream(Notice::Rotated { .. })))
        .await;
    driver.agrees_with(&rest).await;
    let resyncs = driver.views.last_key_value().map(|(_, view)| view.resyncs);
    assert!(resyncs >= Some(1), "{resyncs:?}");
    assert!(
        !driver
            .notices
            .iter()
            .any(|notice| matches!(notice, BookNotice::CheckDisagreed { .. })),
        "{:?}",
        driver.notices
    );
    drop(driver);
    sandbox.shutdown().await;
}

#[test]
fn mbx_book_prints_ndjson_of_the_top_levels_and_one_snapshot_with_json() {
    let out = run(mbx().args([
        "book",
        "BTCUSDT",
        "--sandbox",
        "--depth",
        "3",
        "--count",
        "3",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let views: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(views.len(), 3, "{}", out.stdout);
    let mut last = 0;
    for view in &views {
        assert_eq!(view["symbol"], "BTCUSDT");
        let id = view["lastUpdateId"].as_u64().unwrap();
        assert!(id > last, "{}", out.stdout);
        last = id;
        let price = |side: &str, i: usize| -> rust_decimal::Decimal {
            view[side][i][0].as_str().unwrap().parse().unwrap()
        };
        assert_eq!(view["bids"].as_array().unwrap().len(), 3);
        assert_eq!(view["asks"].as_array().unwrap().len(), 3);
        assert!(price("bids", 0) > price("bids", 1));
        assert!(price("bids", 0) < price("asks", 0));
        assert!(price("asks", 0) < price("asks", 1));
        let spread: rust_decimal::Decimal = view["spread"].as_str().unwrap().parse().unwrap();
        assert_eq!(spread, price("asks", 0) - price("bids", 0));
        assert!(view["resyncs"].is_u64());
    }
    assert!(out.stderr.contains("book live at update"), "{}", out.stderr);

    let out = run(mbx().args(["book", "ethusdt", "--sandbox", "--json", "--depth", "2"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let view: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(view["symbol"], "ETHUSDT");
    assert_eq!(view["bids"].as_array().unwrap().len(), 2);
}

#[test]
fn mbx_book_of_an_unknown_symbol_is_an_error() {
    let out = run(mbx().args(["book", "NOPEUSDT", "--sandbox", "--json"]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let error: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(error["code"], -1121, "{error}");
}

/// A diff-depth stream that never sends a diff (a replayed recording of
/// trades only: its book never changes), so the book cannot sync:
/// `mbx book --json` gives up at `--duration` as a network error (exit 3,
/// worth retrying) with a hint, not as a usage error nor silently.
#[test]
fn mbx_book_json_that_cannot_sync_in_time_is_a_network_error_with_a_hint() {
    let dir = crate::record::scratch("book-never-syncs");
    let rec = dir.join("rec");
    crate::record::synthetic_recording(&rec, 5);
    let mut config = SandboxConfig::demo();
    config.replay = Some(mbx_sandbox::replay::ReplayConfig {
        dir: rec,
        speed: mbx_sandbox::replay::Speed::Max,
        looped: false,
        start_now: true,
    });
    let running = crate::balances::Running::start(config);
    let out = run(running
        .mbx("book")
        .args(["BTCUSDT", "--json", "--duration", "2s"]));
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let error: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(error["category"], "network", "{error}");
    assert_eq!(error["retryable"], true, "{error}");
    let msg = error["msg"].as_str().unwrap();
    assert!(
        msg.contains("the book of BTCUSDT did not sync within --duration 2000 ms"),
        "{msg}"
    );
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("longer --duration"), "{hint}");
    let _ = std::fs::remove_dir_all(&dir);
}
