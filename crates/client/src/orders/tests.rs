//! Tests of the order use-case through mocked ports: pre-flight refusals,
//! rounding, the rules cache, and every branch of an unknown outcome.
// See: issue "Trading, safely"

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use mbx_domain::model::{
    AvgPrice, ExchangeInfo, MyFilters, Order, OrderAck, PriceTicker, ReferencePrice,
};
use mbx_domain::ports::{MockAccountData, MockLocalClock, MockMarketData, MockOrderEntry};
use mbx_domain::preflight::Check;
use mbx_domain::{BinanceError, Cause};

use super::rules::{MemoryExchangeInfoStore, MockExchangeInfoStore};
use super::*;

const NOW_MS: Millis = 1_800_000_000_000;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// BTCUSDT as the sandbox lists it, trimmed to the filters under test.
fn info(tick: &str) -> ExchangeInfo {
    serde_json::from_str(&format!(
        r#"{{"serverTime": 1, "symbols": [{{
            "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
            "baseAssetPrecision": 8, "quoteAssetPrecision": 8, "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "filters": [
              {{"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "{tick}"}},
              {{"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"}},
              {{"filterType": "NOTIONAL", "minNotional": "5", "applyMinToMarket": true,
                "maxNotional": "9000000", "applyMaxToMarket": false, "avgPriceMins": 5}},
              {{"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 2}}
            ]}}]}}"#
    ))
    .unwrap()
}

fn limit(quantity: &str, price: &str) -> OrderRequest {
    let mut request = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Limit);
    request.quantity = Some(d(quantity));
    request.price = Some(d(price));
    request.client_order_id = Some("mbx-test-1".to_owned());
    request
}

fn api(status: u16, code: i64, msg: &str, endpoint: &str) -> Error {
    Error::Api(BinanceError::new(status, Some(code), msg, endpoint))
}

fn no_such_order() -> Error {
    api(400, -2013, "Order does not exist.", "GET /api/v3/order")
}

fn order(client_order_id: &str, status: &str, time: Millis) -> Order {
    serde_json::from_value(serde_json::json!({
        "symbol": "BTCUSDT", "orderId": 77, "orderListId": -1,
        "clientOrderId": client_order_id, "price": "50000.00", "origQty": "0.00100",
        "executedQty": "0.00100", "cummulativeQuoteQty": "50.00", "status": status,
        "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "time": time,
        "updateTime": time, "isWorking": false
    }))
    .unwrap()
}

fn ack() -> OrderAck {
    serde_json::from_value(serde_json::json!({
        "symbol": "BTCUSDT", "orderId": 77, "clientOrderId": "mbx-test-1",
        "transactTime": NOW_MS, "status": "NEW", "executedQty": "0"
    }))
    .unwrap()
}

/// Mocks of a quiet market around 50,000 with no open orders; the order
/// port expects nothing (tests add to it).
struct Mocks {
    orders: MockOrderEntry,
    market: MockMarketData,
    account: MockAccountData,
    rules: Arc<dyn ExchangeInfoStore>,
}

impl Mocks {
    fn new() -> Mocks {
        let mut market = MockMarketData::new();
        market
            .expect_exchange_info()
            .returning(|_| Ok(info("0.01")));
        market.expect_avg_price().returning(|_| {
            Ok(AvgPrice {
                mins: 5,
                price: d("50000"),
                close_time: NOW_MS,
            })
        });
        market.expect_reference_price().returning(|_| {
            Err(api(
                404,
                -1020,
                "This operation is not supported.",
                "GET /api/v3/referencePrice",
            ))
        });
        market.expect_ticker_price().returning(|symbol| {
            Ok(PriceTicker {
                symbol: symbol.to_owned(),
                price: d("50000"),
            })
        });
        let mut account = MockAccountData::new();
        account
            .expect_my_filters()
            .returning(|_| Ok(MyFilters::default()));
        account.expect_open_orders().returning(|_| Ok(Vec::new()));
        Mocks {
            orders: MockOrderEntry::new(),
            market,
            account,
            rules: Arc::new(MemoryExchangeInfoStore::new()),
        }
    }

    fn trading(self) -> Trading {
        let mut clock = MockLocalClock::new();
        clock.expect_now_ms().returning(|| NOW_MS);
        let mut config = TradingConfig::new("api.binance.com");
        config.recv_window = Duration::from_secs(5);
        Trading::new(
            TradingPorts {
                orders: Arc::new(self.orders),
                market: Arc::new(self.market),
                account: Arc::new(self.account),
                clock: Arc::new(clock),
                rules: self.rules,
            },
            config,
        )
    }
}

async fn prepared(trading: &Trading, request: &OrderRequest) -> Prepared {
    trading.prepare(request).await.expect("the order passes")
}

#[track_caller]
fn refusal(res: Result<Prepared, PlaceError>) -> Refusal {
    match res {
        Err(PlaceError::Refused(refusal)) => refusal,
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn an_off_tick_price_is_refused_locally_with_the_nearest_prices() {
    // The order port expects no call: nothing may be sent.
    let trading = Mocks::new().trading();
    let refusal = refusal(trading.prepare(&limit("0.001", "50000.005")).await);
    assert_eq!(refusal.failures[0].check, Check::PriceFilter);
    assert_eq!(
        refusal.to_string(),
        "refused before sending: PRICE_FILTER: price 50000.005 is not a multiple of tickSize 0.01: use 50000.01 or 50000.00"
    );
    let suggestion = refusal.suggestion.clone().expect("a passing order");
    assert_eq!(suggestion.price, Some(d("50000.01")));
    let error = PlaceError::Refused(refusal).to_error();
    assert_eq!(error.category(), Category::Usage);
}

#[tokio::test]
async fn a_notional_below_the_minimum_suggests_a_quantity() {
    let trading = Mocks::new().trading();
    let refusal = refusal(trading.prepare(&limit("0.00001", "50000")).await);
    assert_eq!(refusal.failures[0].check, Check::Notional);
    assert_eq!(refusal.suggestion.unwrap().quantity, Some(d("0.00010")));
}

#[tokio::test]
async fn too_many_open_orders_are_counted_from_the_account() {
    let mut mocks = Mocks::new();
    mocks.account.checkpoint();
    mocks
        .account
        .expect_my_filters()
        .returning(|_| Ok(MyFilters::default()));
    mocks.account.expect_open_orders().returning(|_| {
        Ok(vec![
            order("a", "NEW", NOW_MS - 10),
            order("b", "PARTIALLY_FILLED", NOW_MS - 5),
        ])
    });
    let trading = mocks.trading();
    let refusal = refusal(trading.prepare(&limit("0.001", "50000")).await);
    assert_eq!(refusal.failures[0].check, Check::MaxNumOrders);
    assert_eq!(refusal.suggestion, None);
}

#[tokio::test]
async fn rounding_puts_the_numbers_on_the_grid_and_says_so() {
    let trading = Mocks::new().trading();
    let mut request = limit("0.0012345", "50000.005");
    request.rounding = Some(Rounding::Down);
    let prepared = prepared(&trading, &request).await;
    assert_eq!(prepared.order.price, Some(d("50000.00")));
    assert_eq!(prepared.order.quantity, Some(d("0.00123")));
    assert_eq!(
        prepared.rounded,
        [
            Rounded {
                field: Field::Price,
                from: d("50000.005"),
                to: d("50000.00")
            },
            Rounded {
                field: Field::Quantity,
                from: d("0.0012345"),
                to: d("0.00123")
            },
        ]
    );
    assert_eq!(prepared.notional(), Some(d("61.5000000")));
    request.rounding = Some(Rounding::Up);
    let up = trading.prepare(&request).await.unwrap();
    assert_eq!(
        (up.order.price, up.order.quantity),
        (Some(d("50000.01")), Some(d("0.00124")))
    );
}

#[tokio::test]
async fn every_order_gets_a_client_order_id_and_a_bad_one_is_refused() {
    let trading = Mocks::new().trading();
    let mut request = limit("0.001", "50000");
    request.client_order_id = None;
    let prepared = prepared(&trading, &request).await;
    assert!(prepared.client_order_id().starts_with("mbx-"));
    request.client_order_id = Some("no spaces please".to_owned());
    let err = trading.prepare(&request).await.unwrap_err();
    assert_eq!(err.category(), Category::Usage, "{err}");
}

#[tokio::test]
async fn fresh_rules_come_from_the_store_and_stale_ones_are_fetched_again() {
    let check = |age_ms: Millis, fetches: usize| async move {
        let mut mocks = Mocks::new();
        mocks.market.checkpoint();
        let fetched = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&fetched);
        mocks.market.expect_exchange_info().returning(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(info("0.01"))
        });
        mocks.market.expect_avg_price().returning(|_| {
            Ok(AvgPrice {
                mins: 5,
                price: d("50000"),
                close_time: 0,
            })
        });
        mocks.market.expect_reference_price().returning(|_| {
            Err(api(
                404,
                -1020,
                "This operation is not supported.",
                "GET /api/v3/referencePrice",
            ))
        });
        let mut store = MockExchangeInfoStore::new();
        store.expect_load().returning(move |_, _| {
            Some(CachedInfo {
                fetched_at_ms: NOW_MS - age_ms,
                info: info("0.01"),
            })
        });
        let saved = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&saved);
        store.expect_save().returning(move |host, symbol, entry| {
            kept.lock()
                .unwrap()
                .push((host.to_owned(), symbol.to_owned(), entry.fetched_at_ms));
        });
        mocks.rules = Arc::new(store);
        let trading = mocks.trading();
        prepared(&trading, &limit("0.001", "50000")).await;
        assert_eq!(
            fetched.load(Ordering::SeqCst) as usize,
            fetches,
            "age {age_ms} ms"
        );
        let saved = saved.lock().unwrap().clone();
        let expected: Vec<(String, String, Millis)> = (0..fetches)
            .map(|_| ("api.binance.com".to_owned(), "BTCUSDT".to_owned(), NOW_MS))
            .collect();
        assert_eq!(saved, expected);
    };
    check(0, 0).await;
    check(599_999, 0).await;
    check(600_000, 1).await;
    // A cache entry from the future (a clock set back) is not trusted.
    check(-5_000, 1).await;
}

#[tokio::test]
async fn an_answered_order_is_placed_once() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .withf(|order| order.new_client_order_id.as_deref() == Some("mbx-test-1"))
        .times(1)
        .returning(|_| Ok(ack()));
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let placed = trading.place(&prepared).await.unwrap();
    assert_eq!(placed.how, Confirmation::Answered);
    assert_eq!(placed.ack.order_id, 77);
}

#[tokio::test]
async fn a_refusal_by_the_server_is_returned_as_it_is() {
    let mut mocks = Mocks::new();
    mocks.orders.expect_place_order().times(1).returning(|_| {
        Err(api(
            400,
            -2010,
            "Account has insufficient balance for requested action.",
            "POST /api/v3/order",
        ))
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let err = trading.place(&prepared).await.unwrap_err();
    assert!(
        matches!(&err, PlaceError::Failed(e) if e.code() == Some(-2010)),
        "{err:?}"
    );
}

fn timed_out() -> Error {
    Error::OutcomeUnknown {
        endpoint: "POST /api/v3/order".to_owned(),
        cause: Cause::new("timed out"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_unknown_outcome_found_by_its_client_order_id_is_placed_and_not_sent_again() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .times(1)
        .returning(|_| Err(timed_out()));
    mocks
        .orders
        .expect_query_order()
        .withf(|symbol, order| symbol == "BTCUSDT" && *order == OrderRef::client("mbx-test-1"))
        .times(1)
        .returning(|_, _| Ok(order("mbx-test-1", "NEW", NOW_MS + 3)));
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let placed = trading.place(&prepared).await.unwrap();
    assert_eq!(placed.ack.order_id, 77);
    assert_eq!(placed.ack.status, Some(mbx_domain::model::OrderStatus::New));
    assert!(matches!(placed.how, Confirmation::LookedUp { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_5xx_answer_to_an_order_filled_at_once_is_found_in_all_orders() {
    let mut mocks = Mocks::new();
    mocks.orders.expect_place_order().times(1).returning(|_| {
        Err(api(
            503,
            -1000,
            "An unknown error occurred while processing the request.",
            "POST /api/v3/order",
        ))
    });
    // The order filled and the query cannot see it: -2013 is ambiguous.
    mocks
        .orders
        .expect_query_order()
        .times(1)
        .returning(|_, _| Err(no_such_order()));
    mocks
        .account
        .expect_all_orders()
        .withf(|symbol, since, _| {
            symbol == "BTCUSDT" && *since == Some(NOW_MS - resolve::CLOCK_MARGIN_MS)
        })
        .times(1)
        .returning(|_, _, _| {
            Ok(vec![
                order("someone-else", "FILLED", NOW_MS - 1),
                order("mbx-test-1", "FILLED", NOW_MS + 2),
            ])
        });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let placed = trading.place(&prepared).await.unwrap();
    assert_eq!(
        placed.ack.status,
        Some(mbx_domain::model::OrderStatus::Filled)
    );
}

#[tokio::test(start_paused = true)]
async fn an_order_absent_once_its_recv_window_has_passed_was_not_placed() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .times(1)
        .returning(|_| Err(api(408, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.", "POST /api/v3/order")));
    let queries = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&queries);
    mocks.orders.expect_query_order().returning(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Err(no_such_order())
    });
    // An older order under the same id is not this one.
    mocks
        .account
        .expect_all_orders()
        .returning(|_, _, _| Ok(vec![order("mbx-test-1", "FILLED", NOW_MS - 3_600_000)]));
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let started = tokio::time::Instant::now();
    let err = trading.place(&prepared).await.unwrap_err();
    assert!(
        matches!(&err, PlaceError::NotPlaced { client_order_id, .. } if client_order_id == "mbx-test-1"),
        "{err:?}"
    );
    // Absent is final only after recvWindow (5 s) + 1 s: the lookups went
    // on until then (0, 0.25, 0.75, 1.75, 3.75, 7.75 s).
    assert!(started.elapsed() >= Duration::from_secs(6));
    assert_eq!(queries.load(Ordering::SeqCst), 6);
    let error = err.to_error();
    assert_eq!(error.category(), Category::Server);
    assert!(error.is_retryable(), "sending it again is safe now");
    assert_eq!(error.to_string(), "POST /api/v3/order: not executed");
}

#[tokio::test(start_paused = true)]
async fn lookups_that_keep_failing_leave_the_outcome_unknown_and_never_say_failed() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .times(1)
        .returning(|_| Err(timed_out()));
    let queries = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&queries);
    mocks.orders.expect_query_order().returning(move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        Err(Error::Transport {
            endpoint: "GET /api/v3/order".to_owned(),
            cause: Cause::new("connection refused"),
        })
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let started = tokio::time::Instant::now();
    let err = trading.place(&prepared).await.unwrap_err();
    let PlaceError::Unknown { lookup, .. } = &err else {
        panic!("not unknown: {err:?}");
    };
    assert!(
        matches!(lookup, Some(Error::Transport { .. })),
        "{lookup:?}"
    );
    // Retried with a growing wait for 60 s: at 0, 0.25, 0.75, 1.75, 3.75,
    // then every 4 s from 7.75 to 59.75 s.
    assert_eq!(queries.load(Ordering::SeqCst), 19);
    assert!(started.elapsed() <= Duration::from_secs(60));
    let error = err.to_error();
    assert_eq!(error.category(), Category::UnknownOutcome);
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    assert!(!text.contains("fail"), "{text}");
    assert!(
        text.contains("mbx-test-1") && text.contains("connection refused"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lookup_refused_for_permissions_ends_the_lookups_at_once() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .times(1)
        .returning(|_| Err(timed_out()));
    mocks
        .orders
        .expect_query_order()
        .times(1)
        .returning(|_, _| {
            Err(api(
                401,
                -2015,
                "Invalid API-key, IP, or permissions for action.",
                "GET /api/v3/order",
            ))
        });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let err = trading.place(&prepared).await.unwrap_err();
    assert!(
        matches!(&err, PlaceError::Unknown { lookup: Some(e), .. } if e.code() == Some(-2015)),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lookup_that_fails_once_is_tried_again() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_place_order()
        .times(1)
        .returning(|_| Err(timed_out()));
    let queries = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&queries);
    mocks.orders.expect_query_order().returning(move |_, _| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(api(
                502,
                -1001,
                "Internal error; unable to process your request. Please try again.",
                "GET /api/v3/order",
            ))
        } else {
            Ok(order("mbx-test-1", "NEW", NOW_MS))
        }
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let placed = trading.place(&prepared).await.unwrap();
    assert_eq!(placed.ack.client_order_id, "mbx-test-1");
    assert_eq!(queries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_filter_failure_from_the_server_refreshes_the_rules_and_names_the_filter() {
    // The cache says tick 0.01; the server moved to tick 0.10.
    let mut mocks = Mocks::new();
    mocks.market.checkpoint();
    let fetches = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&fetches);
    mocks.market.expect_exchange_info().returning(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(info("0.10"))
    });
    mocks.market.expect_avg_price().returning(|_| {
        Ok(AvgPrice {
            mins: 5,
            price: d("50000"),
            close_time: 0,
        })
    });
    mocks.market.expect_reference_price().returning(|_| {
        Ok(ReferencePrice {
            symbol: "BTCUSDT".into(),
            reference_price: None,
            timestamp: 0,
        })
    });
    let store = MemoryExchangeInfoStore::new();
    store.save(
        "api.binance.com",
        "BTCUSDT",
        &CachedInfo {
            fetched_at_ms: NOW_MS - 1_000,
            info: info("0.01"),
        },
    );
    mocks.rules = Arc::new(store);
    mocks.orders.expect_place_order().times(1).returning(|_| {
        Err(api(
            400,
            -1013,
            "Filter failure: PRICE_FILTER",
            "POST /api/v3/order",
        ))
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000.01")).await;
    assert_eq!(fetches.load(Ordering::SeqCst), 0, "the cache was fresh");
    let err = trading.place(&prepared).await.unwrap_err();
    let PlaceError::Refused(refusal) = &err else {
        panic!("not refused: {err:?}");
    };
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched again");
    assert_eq!(refusal.failures[0].check, Check::PriceFilter);
    assert_eq!(
        refusal.suggestion.as_ref().unwrap().price,
        Some(d("50000.00"))
    );
    assert!(refusal.to_string().starts_with(
        "the server refused the order (Filter failure: PRICE_FILTER); refused before sending: PRICE_FILTER: price 50000.01 is not a multiple of tickSize 0.10"
    ), "{refusal}");
    assert_eq!(err.to_error().code(), Some(-1013));
    // The next order uses the fresh rules without asking.
    let refused = trading.prepare(&limit("0.001", "50000.01")).await;
    assert!(matches!(refused, Err(PlaceError::Refused(_))));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_reference_price_replaces_the_average_and_an_unserved_one_is_skipped() {
    let mut mocks = Mocks::new();
    mocks.market.checkpoint();
    mocks
        .market
        .expect_exchange_info()
        .returning(|_| Ok(info("0.01")));
    mocks.market.expect_avg_price().returning(|_| {
        Ok(AvgPrice {
            mins: 5,
            price: d("50000"),
            close_time: 0,
        })
    });
    mocks.market.expect_reference_price().returning(|_| {
        Ok(ReferencePrice {
            symbol: "BTCUSDT".into(),
            reference_price: Some(d("40000")),
            timestamp: 0,
        })
    });
    let trading = mocks.trading();
    let mut market = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Market);
    market.quantity = Some(d("0.001"));
    let prepared = prepared(&trading, &market).await;
    assert_eq!(prepared.market_price, Some(d("40000")));
    assert_eq!(prepared.notional(), Some(d("40.000")));
    assert!(prepared.notional_is_estimate());
    // Mocks::new() answers referencePrice with -1020: the average is used.
    let trading = Mocks::new().trading();
    let prepared = trading.prepare(&market).await.unwrap();
    assert_eq!(prepared.market_price, Some(d("50000")));
    assert!(prepared.notes.is_empty(), "{:?}", prepared.notes);
}

#[tokio::test]
async fn a_failing_my_filters_is_noted_and_a_refused_one_stops_the_order() {
    let mut mocks = Mocks::new();
    mocks.account.checkpoint();
    mocks
        .account
        .expect_open_orders()
        .returning(|_| Ok(Vec::new()));
    mocks.account.expect_my_filters().returning(|_| {
        Err(Error::Transport {
            endpoint: "GET /api/v3/myFilters".into(),
            cause: Cause::new("reset"),
        })
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    assert_eq!(prepared.notes.len(), 1);
    assert!(
        prepared.notes[0].starts_with("`myFilters` did not answer"),
        "{:?}",
        prepared.notes
    );

    let mut mocks = Mocks::new();
    mocks.account.checkpoint();
    mocks
        .account
        .expect_open_orders()
        .returning(|_| Ok(Vec::new()));
    mocks.account.expect_my_filters().returning(|_| {
        Err(api(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
            "GET /api/v3/myFilters",
        ))
    });
    let err = mocks
        .trading()
        .prepare(&limit("0.001", "50000"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PlaceError::Failed(e) if e.code() == Some(-2015)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_test_order_answers_the_commissions() {
    let mut mocks = Mocks::new();
    mocks.orders.expect_test_order().times(1).returning(|_| {
        Ok(serde_json::from_value(serde_json::json!({
            "standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"},
            "taxCommissionForOrder": {"maker": "0", "taker": "0"},
            "discount": {"enabledForAccount": true, "enabledForSymbol": true, "discountAsset": "BNB", "discount": "0.25000000"}
        }))
        .unwrap())
    });
    let trading = mocks.trading();
    let prepared = prepared(&trading, &limit("0.001", "50000")).await;
    let commissions = trading.test(&prepared).await.unwrap();
    assert_eq!(commissions.standard_commission_for_order.taker, d("0.001"));
}

#[tokio::test]
async fn cancel_all_with_nothing_open_is_an_empty_list() {
    let mut mocks = Mocks::new();
    mocks
        .orders
        .expect_cancel_open_orders()
        .times(1)
        .returning(|_| {
            Err(api(
                400,
                -2011,
                "Unknown order sent.",
                "DELETE /api/v3/openOrders",
            ))
        });
    let trading = mocks.trading();
    assert_eq!(trading.cancel_all("BTCUSDT").await.unwrap(), Vec::new());
}

mod lists {
    //! Order lists and amendments through the mocked ports.

    use mbx_domain::model::{LegRole, ListKind, OrderList, OrderListRef};

    use super::*;

    /// An OTO: a LIMIT buy at 50,000, then a LIMIT_MAKER sell at 60,000.
    fn oto(working_price: &str) -> ListRequest {
        let mut working = limit("0.001", working_price);
        working.client_order_id = None;
        let mut pending = OrderRequest::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
        pending.quantity = Some(d("0.001"));
        pending.price = Some(d("60000"));
        ListRequest {
            kind: ListKind::Oto,
            symbol: "BTCUSDT".to_owned(),
            legs: vec![(LegRole::Working, working), (LegRole::Pending, pending)],
            list_client_order_id: Some("mbx-list-1".to_owned()),
            self_trade_prevention_mode: None,
            rounding: None,
        }
    }

    fn list(id: &str, time: Millis) -> OrderList {
        serde_json::from_value(serde_json::json!({
            "orderListId": 5, "contingencyType": "OTO", "listStatusType": "EXEC_STARTED",
            "listOrderStatus": "EXECUTING", "listClientOrderId": id, "transactionTime": time,
            "symbol": "BTCUSDT",
            "orders": [{"symbol": "BTCUSDT", "orderId": 8, "clientOrderId": "w"},
                       {"symbol": "BTCUSDT", "orderId": 9, "clientOrderId": "p"}]
        }))
        .unwrap()
    }

    fn list_timed_out() -> Error {
        Error::OutcomeUnknown {
            endpoint: "POST /api/v3/orderList/oto".to_owned(),
            cause: Cause::new("connection closed before message completed"),
        }
    }

    #[tokio::test]
    async fn every_leg_gets_a_client_order_id_and_is_checked_before_sending() {
        let trading = Mocks::new().trading();
        let prepared = trading.prepare_list(&oto("50000")).await.unwrap();
        assert_eq!(prepared.list_client_order_id(), "mbx-list-1");
        let ids: Vec<&str> = prepared
            .list
            .legs
            .iter()
            .map(|(_, leg)| leg.new_client_order_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.iter().all(|id| id.starts_with("mbx-")), "{ids:?}");
        assert_ne!(ids[0], ids[1]);
        // An off-tick working price refuses the list, naming the leg.
        let refusal = match trading.prepare_list(&oto("50000.005")).await {
            Err(PlaceError::Refused(refusal)) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(refusal.leg, Some(LegRole::Working));
        assert_eq!(refusal.failures[0].check, Check::PriceFilter);
        assert!(
            refusal
                .to_string()
                .starts_with("refused before sending: the working order: PRICE_FILTER"),
            "{refusal}"
        );
    }

    #[tokio::test]
    async fn the_legs_count_together_against_max_num_orders() {
        let mut mocks = Mocks::new();
        mocks.account.checkpoint();
        mocks
            .account
            .expect_my_filters()
            .returning(|_| Ok(MyFilters::default()));
        // One open order and MAX_NUM_ORDERS 2: the working order fits, the
        // pending one would be the third.
        mocks
            .account
            .expect_open_orders()
            .returning(|_| Ok(vec![order("a", "NEW", NOW_MS - 10)]));
        let trading = mocks.trading();
        let refusal = match trading.prepare_list(&oto("50000")).await {
            Err(PlaceError::Refused(refusal)) => refusal,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(refusal.leg, Some(LegRole::Pending));
        assert_eq!(refusal.failures[0].check, Check::MaxNumOrders);
    }

    #[tokio::test(start_paused = true)]
    async fn a_list_whose_answer_is_lost_is_found_by_its_list_client_id_and_not_sent_again() {
        let mut mocks = Mocks::new();
        mocks
            .orders
            .expect_place_order_list()
            .times(1)
            .returning(|_| Err(list_timed_out()));
        mocks
            .orders
            .expect_query_order_list()
            .withf(|list| *list == OrderListRef::ClientId("mbx-list-1".to_owned()))
            .times(1)
            .returning(|_| Ok(list("mbx-list-1", NOW_MS + 2)));
        let trading = mocks.trading();
        let prepared = trading.prepare_list(&oto("50000")).await.unwrap();
        let placed = trading.place_list(&prepared).await.unwrap();
        assert_eq!(placed.list.order_list_id, 5);
        assert!(matches!(placed.how, Confirmation::LookedUp { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_list_missing_from_every_lookup_was_not_placed_and_an_old_one_is_not_ours() {
        let mut mocks = Mocks::new();
        mocks
            .orders
            .expect_place_order_list()
            .times(1)
            .returning(|_| Err(list_timed_out()));
        mocks
            .orders
            .expect_query_order_list()
            .returning(|_| Ok(list("mbx-list-1", NOW_MS - 3_600_000)));
        mocks
            .account
            .expect_all_order_lists()
            .withf(|since, _| *since == Some(NOW_MS - resolve::CLOCK_MARGIN_MS))
            .returning(|_, _| Ok(vec![list("someone-else", NOW_MS + 1)]));
        let trading = mocks.trading();
        let prepared = trading.prepare_list(&oto("50000")).await.unwrap();
        let err = trading.place_list(&prepared).await.unwrap_err();
        assert!(
            matches!(&err, PlaceError::NotPlaced { client_order_id, what: Subject::List, .. } if client_order_id == "mbx-list-1"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "order list `mbx-list-1` was not placed");
    }

    fn amendable() -> Order {
        let mut order = order("mine", "NEW", NOW_MS - 10);
        order.orig_qty = d("0.00200");
        order.executed_qty = d("0");
        order
    }

    #[tokio::test]
    async fn an_amendment_that_does_not_reduce_the_quantity_is_refused_before_sending() {
        let mut mocks = Mocks::new();
        mocks
            .orders
            .expect_query_order()
            .returning(|_, _| Ok(amendable()));
        let trading = mocks.trading();
        let same = trading
            .amend("BTCUSDT", &OrderRef::client("mine"), d("0.002"))
            .await
            .unwrap_err();
        assert_eq!(same.category(), Category::Usage, "{same:?}");
        let off_step = trading
            .amend("BTCUSDT", &OrderRef::client("mine"), d("0.0010001"))
            .await
            .unwrap_err();
        match off_step {
            PlaceError::Refused(refusal) => {
                assert_eq!(refusal.failures[0].check, Check::LotSize);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_amendment_whose_answer_is_lost_is_found_under_its_new_client_order_id() {
        let mut mocks = Mocks::new();
        let new_id = Arc::new(Mutex::new(String::new()));
        let sent = Arc::clone(&new_id);
        mocks
            .orders
            .expect_amend_order()
            .withf(|symbol, order, qty, _| {
                symbol == "BTCUSDT" && *order == OrderRef::Id(77) && *qty == d("0.001")
            })
            .times(1)
            .returning(move |_, _, _, id| {
                *sent.lock().unwrap() = id.to_owned();
                Err(timed_out())
            });
        let seen = Arc::clone(&new_id);
        mocks.orders.expect_query_order().returning(move |_, by| {
            let new_id = seen.lock().unwrap().clone();
            match by {
                OrderRef::ClientId(id) if *id == new_id => {
                    let mut amended = amendable();
                    amended.client_order_id = new_id;
                    amended.orig_qty = d("0.001");
                    Ok(amended)
                }
                _ => Ok(amendable()),
            }
        });
        let trading = mocks.trading();
        let done = trading
            .amend("BTCUSDT", &OrderRef::client("mine"), d("0.001"))
            .await
            .unwrap();
        assert!(matches!(done.how, Confirmation::LookedUp { .. }));
        let order = &done.amended.amended_order;
        assert_eq!((order.order_id, order.qty), (77, d("0.001")));
        assert_eq!(order.orig_client_order_id, "mine");
        assert_eq!(order.client_order_id, *new_id.lock().unwrap());
    }
}
