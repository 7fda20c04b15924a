//! Tests of the pre-flight checks, data-driven from the examples of
//! `shared/binance-docs/filters.md`.

use proptest::prelude::*;

use super::*;
use crate::model::{AssetFilter, ExchangeFilter, MyFilters};

// The `/exchangeInfo format` examples of filters.md, verbatim.
const PRICE_FILTER: &str = r#"{"filterType": "PRICE_FILTER", "minPrice": "0.00000100", "maxPrice": "100000.00000000", "tickSize": "0.00000100"}"#;
const PERCENT_PRICE: &str = r#"{"filterType": "PERCENT_PRICE", "multiplierUp": "1.3000", "multiplierDown": "0.7000", "avgPriceMins": 5}"#;
const PERCENT_PRICE_BY_SIDE: &str = r#"{"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "1.2", "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.8", "avgPriceMins": 1}"#;
const LOT_SIZE: &str = r#"{"filterType": "LOT_SIZE", "minQty": "0.00100000", "maxQty": "100000.00000000", "stepSize": "0.00100000"}"#;
const MIN_NOTIONAL: &str = r#"{"filterType": "MIN_NOTIONAL", "minNotional": "0.00100000", "applyToMarket": true, "avgPriceMins": 5}"#;
const NOTIONAL: &str = r#"{"filterType": "NOTIONAL", "minNotional": "10.00000000", "applyMinToMarket": false, "maxNotional": "10000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}"#;
const ICEBERG_PARTS: &str = r#"{"filterType": "ICEBERG_PARTS", "limit": 10}"#;
const MARKET_LOT_SIZE: &str = r#"{"filterType": "MARKET_LOT_SIZE", "minQty": "0.00100000", "maxQty": "100000.00000000", "stepSize": "0.00100000"}"#;
const MAX_NUM_ORDERS: &str = r#"{"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 25}"#;
const MAX_NUM_ALGO_ORDERS: &str = r#"{"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}"#;
const MAX_NUM_ICEBERG_ORDERS: &str =
    r#"{"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5}"#;
const MAX_POSITION: &str = r#"{"filterType": "MAX_POSITION", "maxPosition": "10.00000000"}"#;
const TRAILING_DELTA: &str = r#"{"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000}"#;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A TRADING symbol BTCUSDT, precision 8, every order type and flag
/// allowed, with these filters (a comma-separated list of JSON objects).
fn symbol(filters: &str) -> SymbolInfo {
    let json = format!(
        r#"{{"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
            "baseAssetPrecision": 8, "quotePrecision": 8, "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": true, "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true,
            "isSpotTradingAllowed": true, "permissionSets": [["SPOT"]],
            "filters": [{filters}]}}"#
    );
    serde_json::from_str(&json).unwrap()
}

/// `"TYPE SIDE name=value ..."` with rest-api.md's parameter names.
fn order(text: &str) -> NewOrder {
    let mut words = text.split_whitespace();
    let order_type: OrderType =
        serde_json::from_value(serde_json::json!(words.next().unwrap())).unwrap();
    let side: Side = serde_json::from_value(serde_json::json!(words.next().unwrap())).unwrap();
    let mut order = NewOrder::market("BTCUSDT", side, Decimal::ONE);
    order.order_type = order_type;
    order.quantity = None;
    for word in words {
        let (name, value) = word.split_once('=').unwrap();
        match name {
            "quantity" => order.quantity = Some(d(value)),
            "quoteOrderQty" => order.quote_order_qty = Some(d(value)),
            "price" => order.price = Some(d(value)),
            "stopPrice" => order.stop_price = Some(d(value)),
            "icebergQty" => order.iceberg_qty = Some(d(value)),
            "trailingDelta" => order.trailing_delta = Some(value.parse().unwrap()),
            "timeInForce" => {
                order.time_in_force =
                    Some(serde_json::from_value(serde_json::json!(value)).unwrap())
            }
            _ => panic!("unknown parameter {name}"),
        }
    }
    order
}

/// `"average=100 reference=.. last=.. position=.. open=N,algo,iceberg"`.
fn context(text: &str) -> Context {
    let mut context = Context::default();
    for word in text.split_whitespace() {
        let (name, value) = word.split_once('=').unwrap();
        match name {
            "average" => context.average_price = Some(d(value)),
            "reference" => context.reference_price = Some(d(value)),
            "last" => context.last_price = Some(d(value)),
            "position" => context.position = Some(d(value)),
            "open" => {
                let n: Vec<u32> = value.split(',').map(|n| n.parse().unwrap()).collect();
                context.open_orders = Some(OpenOrderCounts {
                    symbol_orders: n[0],
                    symbol_algo_orders: n[1],
                    symbol_iceberg_orders: n[2],
                    exchange_orders: n[0],
                    exchange_algo_orders: n[1],
                    exchange_iceberg_orders: n[2],
                });
            }
            "permissions" => {
                context.account_permissions = Some(value.split(',').map(String::from).collect())
            }
            _ => panic!("unknown context {name}"),
        }
    }
    context
}

#[track_caller]
fn check_in(symbol: &SymbolInfo, order_text: &str, context_text: &str, expected: &[&str]) {
    let res = validate(symbol, &order(order_text), &context(context_text));
    let got: Vec<String> = match res {
        Ok(()) => Vec::new(),
        Err(failures) => failures.iter().map(|f| f.to_string()).collect(),
    };
    assert_eq!(got, expected, "{order_text} with {context_text}");
}

#[track_caller]
fn check(filters: &str, order_text: &str, context_text: &str, expected: &[&str]) {
    check_in(&symbol(filters), order_text, context_text, expected);
}

#[track_caller]
fn unchecked(filters: &str, order_text: &str, context_text: &str, expected: &[Check]) {
    let report = super::check(&symbol(filters), &order(order_text), &context(context_text));
    let got: Vec<Check> = report.unchecked.iter().map(|u| u.check).collect();
    assert_eq!(got, expected);
}

const LIMIT: &str = "LIMIT BUY timeInForce=GTC";

#[test]
fn price_filter() {
    let ok: &[&str] = &[];
    check(
        PRICE_FILTER,
        &format!("{LIMIT} quantity=1 price=0.000001"),
        "",
        ok,
    );
    check(
        PRICE_FILTER,
        &format!("{LIMIT} quantity=1 price=100000"),
        "",
        ok,
    );
    check(
        PRICE_FILTER,
        &format!("{LIMIT} quantity=1 price=0.0000005"),
        "",
        &["PRICE_FILTER: price 0.0000005 is below the minimum 0.00000100: use 0.000001"],
    );
    check(
        PRICE_FILTER,
        &format!("{LIMIT} quantity=1 price=100000.000001"),
        "",
        &[
            "PRICE_FILTER: price 100000.000001 is above the maximum 100000.00000000: use 100000.000000",
        ],
    );
    check(
        PRICE_FILTER,
        &format!("{LIMIT} quantity=1 price=1.0000005"),
        "",
        &[
            "PRICE_FILTER: price 1.0000005 is not a multiple of tickSize 0.00000100: use 1.000001 or 1.000000",
        ],
    );
}

#[test]
fn price_filter_applies_to_the_stop_price_too() {
    check(
        PRICE_FILTER,
        "STOP_LOSS_LIMIT SELL timeInForce=GTC quantity=1 price=1 stopPrice=1.00000001",
        "",
        &[
            "PRICE_FILTER: stopPrice 1.00000001 is not a multiple of tickSize 0.00000100: use 1.000000 or 1.000001",
        ],
    );
}

#[test]
fn price_filter_zero_disables_each_rule() {
    let disabled =
        r#"{"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0"}"#;
    check(
        disabled,
        &format!("{LIMIT} quantity=1 price=123456.12345678"),
        "",
        &[],
    );
    let only_tick =
        r#"{"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0.5"}"#;
    check(
        only_tick,
        &format!("{LIMIT} quantity=1 price=1000000.3"),
        "",
        &[
            "PRICE_FILTER: price 1000000.3 is not a multiple of tickSize 0.5: use 1000000.5 or 1000000.0",
        ],
    );
}

#[test]
fn percent_price_uses_the_average_over_avg_price_mins() {
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=130"),
        "average=100",
        &[],
    );
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=70"),
        "average=100",
        &[],
    );
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=130.5"),
        "average=100",
        &["PERCENT_PRICE: price 130.5 is outside 70..130 around the market price 100: use 130"],
    );
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=69.99"),
        "average=100",
        &["PERCENT_PRICE: price 69.99 is outside 70..130 around the market price 100: use 70"],
    );
}

#[test]
fn percent_price_prefers_the_reference_price() {
    // CHANGELOG 2026-05-06: a non-null reference price replaces the average.
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=250"),
        "average=100 reference=200",
        &[],
    );
    check(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=131"),
        "average=100 reference=200",
        &["PERCENT_PRICE: price 131 is outside 140..260 around the market price 200: use 140"],
    );
}

#[test]
fn percent_price_with_zero_minutes_uses_the_last_price() {
    let last_price = PERCENT_PRICE.replace("\"avgPriceMins\": 5", "\"avgPriceMins\": 0");
    check(
        &last_price,
        &format!("{LIMIT} quantity=1 price=60"),
        "average=100 last=50",
        &[],
    );
    check(
        &last_price,
        &format!("{LIMIT} quantity=1 price=60"),
        "average=100",
        &[],
    );
    unchecked(
        &last_price,
        &format!("{LIMIT} quantity=1 price=60"),
        "average=100",
        &[Check::PercentPrice],
    );
}

#[test]
fn percent_price_rounds_its_suggestion_to_the_tick_inside_the_band() {
    let filters = format!("{PRICE_FILTER}, {PERCENT_PRICE}");
    check(
        &filters,
        &format!("{LIMIT} quantity=1 price=2"),
        "average=3.3333333",
        &[
            "PERCENT_PRICE: price 2 is outside 2.33333331..4.33333329 around the market price 3.3333333: use 2.333334",
        ],
    );
}

#[test]
fn percent_price_by_side() {
    let f = PERCENT_PRICE_BY_SIDE;
    check(
        f,
        &format!("{LIMIT} quantity=1 price=120"),
        "average=100",
        &[],
    );
    check(
        f,
        &format!("{LIMIT} quantity=1 price=20"),
        "average=100",
        &[],
    );
    check(
        f,
        &format!("{LIMIT} quantity=1 price=121"),
        "average=100",
        &[
            "PERCENT_PRICE_BY_SIDE: price 121 is outside 20..120 around the market price 100: use 120",
        ],
    );
    check(
        f,
        "LIMIT SELL timeInForce=GTC quantity=1 price=500",
        "average=100",
        &[],
    );
    check(
        f,
        "LIMIT SELL timeInForce=GTC quantity=1 price=79",
        "average=100",
        &["PERCENT_PRICE_BY_SIDE: price 79 is outside 80..500 around the market price 100: use 80"],
    );
}

#[test]
fn percent_price_needs_a_price() {
    unchecked(
        PERCENT_PRICE,
        &format!("{LIMIT} quantity=1 price=1"),
        "",
        &[Check::PercentPrice],
    );
    unchecked(PERCENT_PRICE, "MARKET BUY quantity=1", "", &[]);
}

#[test]
fn lot_size() {
    check(
        LOT_SIZE,
        &format!("{LIMIT} quantity=0.001 price=1"),
        "",
        &[],
    );
    check(
        LOT_SIZE,
        &format!("{LIMIT} quantity=0.0005 price=1"),
        "",
        &["LOT_SIZE: quantity 0.0005 is below the minimum 0.00100000: use 0.001"],
    );
    check(
        LOT_SIZE,
        &format!("{LIMIT} quantity=100000.001 price=1"),
        "",
        &["LOT_SIZE: quantity 100000.001 is above the maximum 100000.00000000: use 100000.000"],
    );
    check(
        LOT_SIZE,
        &format!("{LIMIT} quantity=1.0005 price=1"),
        "",
        &["LOT_SIZE: quantity 1.0005 is not a multiple of stepSize 0.00100000: use 1.001 or 1.000"],
    );
    check(
        LOT_SIZE,
        &format!("{LIMIT} quantity=2 price=1 icebergQty=0.0015"),
        "",
        &[
            "LOT_SIZE: icebergQty 0.0015 is not a multiple of stepSize 0.00100000: use 0.002 or 0.001",
        ],
    );
}

#[test]
fn market_lot_size_applies_to_market_orders_only() {
    let tight =
        r#"{"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": "5", "stepSize": "0"}"#;
    check(tight, &format!("{LIMIT} quantity=6 price=1"), "", &[]);
    check(tight, "MARKET BUY quantity=4.12345678", "", &[]);
    check(
        tight,
        "MARKET BUY quantity=6",
        "",
        &["MARKET_LOT_SIZE: quantity 6 is above the maximum 5: use 5"],
    );
    check(
        MARKET_LOT_SIZE,
        "MARKET SELL quantity=0.0011",
        "",
        &[
            "MARKET_LOT_SIZE: quantity 0.0011 is not a multiple of stepSize 0.00100000: use 0.001 or 0.002",
        ],
    );
}

#[test]
fn min_notional() {
    check(
        MIN_NOTIONAL,
        &format!("{LIMIT} quantity=0.1 price=0.01"),
        "",
        &[],
    );
    check(
        MIN_NOTIONAL,
        &format!("{LIMIT} quantity=0.05 price=0.01"),
        "",
        &["MIN_NOTIONAL: notional 0.0005 is below minNotional 0.00100000: use quantity 0.1"],
    );
    // applyToMarket: MARKET orders are priced at the average price.
    check(
        MIN_NOTIONAL,
        "MARKET BUY quantity=0.05",
        "average=0.01",
        &["MIN_NOTIONAL: notional 0.0005 is below minNotional 0.00100000: use quantity 0.1"],
    );
    let not_market = MIN_NOTIONAL.replace("\"applyToMarket\": true", "\"applyToMarket\": false");
    check(&not_market, "MARKET BUY quantity=0.05", "average=0.01", &[]);
    unchecked(
        MIN_NOTIONAL,
        "MARKET BUY quantity=0.05",
        "",
        &[Check::MinNotional],
    );
}

#[test]
fn notional() {
    let filters = format!("{LOT_SIZE}, {NOTIONAL}");
    check(&filters, &format!("{LIMIT} quantity=2 price=5"), "", &[]);
    check(
        &filters,
        &format!("{LIMIT} quantity=1 price=5"),
        "",
        &["NOTIONAL: notional 5 is below minNotional 10.00000000: use quantity 2.000"],
    );
    check(
        &filters,
        &format!("{LIMIT} quantity=1000 price=10.01"),
        "",
        &["NOTIONAL: notional 10010.00 is above maxNotional 10000.00000000: use quantity 999.000"],
    );
    // applyMinToMarket and applyMaxToMarket are false in the example.
    check(&filters, "MARKET BUY quantity=1", "average=5", &[]);
    check(&filters, "MARKET BUY quantity=10000", "average=5", &[]);
    unchecked(&filters, "MARKET BUY quantity=1", "", &[]);
}

#[test]
fn notional_applied_to_market_orders() {
    let both = NOTIONAL
        .replace("\"applyMinToMarket\": false", "\"applyMinToMarket\": true")
        .replace("\"applyMaxToMarket\": false", "\"applyMaxToMarket\": true");
    let filters = format!("{LOT_SIZE}, {both}");
    check(
        &filters,
        "MARKET BUY quantity=1",
        "average=5",
        &["NOTIONAL: notional 5 is below minNotional 10.00000000: use quantity 2.000"],
    );
    check(
        &filters,
        "MARKET BUY quantity=1",
        "average=5 reference=20",
        &[],
    );
    check(
        &filters,
        "MARKET SELL quoteOrderQty=10001",
        "",
        &["NOTIONAL: notional 10001 is above maxNotional 10000.00000000: use quoteOrderQty 10000"],
    );
    check(
        &filters,
        "MARKET BUY quoteOrderQty=9.999999999",
        "",
        &[
            "precision: quoteOrderQty 9.999999999 has more than 8 decimals: use 10 or 9.99999999",
            "NOTIONAL: notional 9.999999999 is below minNotional 10.00000000: use quoteOrderQty 10",
        ],
    );
    unchecked(&filters, "MARKET BUY quantity=1", "", &[Check::Notional]);
}

#[test]
fn stop_market_orders_are_priced_at_the_stop_price() {
    let filters = format!("{LOT_SIZE}, {NOTIONAL}");
    let both = filters.replace("false", "true");
    check(
        &both,
        "STOP_LOSS SELL quantity=1 stopPrice=5",
        "",
        &["NOTIONAL: notional 5 is below minNotional 10.00000000: use quantity 2.000"],
    );
    check(&filters, "STOP_LOSS SELL quantity=1 stopPrice=5", "", &[]);
}

#[test]
fn iceberg_parts() {
    let filters = format!("{LOT_SIZE}, {ICEBERG_PARTS}");
    check(
        &filters,
        &format!("{LIMIT} quantity=10 price=1 icebergQty=1"),
        "",
        &[],
    );
    check(
        &filters,
        &format!("{LIMIT} quantity=10 price=1 icebergQty=0.9"),
        "",
        &["ICEBERG_PARTS: 12 iceberg parts is more than the limit 10: use icebergQty 1.000"],
    );
    check(
        &filters,
        &format!("{LIMIT} quantity=10 price=1 icebergQty=10"),
        "",
        &["parameters: icebergQty 10 is not below the quantity 10"],
    );
}

#[test]
fn open_order_counts() {
    let filters = [MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS].join(",");
    let plain = &format!("{LIMIT} quantity=1 price=1");
    check(&filters, plain, "open=24,5,5", &[]);
    check(
        &filters,
        plain,
        "open=25,0,0",
        &["MAX_NUM_ORDERS: 25 open orders already, the limit is 25"],
    );
    check(
        &filters,
        "STOP_LOSS BUY quantity=1 stopPrice=1",
        "open=5,5,0",
        &["MAX_NUM_ALGO_ORDERS: 5 open orders already, the limit is 5"],
    );
    check(
        &filters,
        &format!("{LIMIT} quantity=1 price=1 icebergQty=0.5"),
        "open=5,0,5",
        &["MAX_NUM_ICEBERG_ORDERS: 5 open orders already, the limit is 5"],
    );
    unchecked(&filters, plain, "", &[Check::MaxNumOrders]);
}

#[test]
fn exchange_filters_come_from_exchange_info_and_my_filters() {
    let symbol = symbol("");
    let mut context = context("open=1000,200,0");
    context.exchange_filters = vec![ExchangeFilter::ExchangeMaxNumOrders {
        max_num_orders: 1000,
    }];
    context.my_filters = Some(MyFilters {
        exchange_filters: vec![ExchangeFilter::ExchangeMaxNumAlgoOrders {
            max_num_algo_orders: 200,
        }],
        ..MyFilters::default()
    });
    let failures = validate(
        &symbol,
        &order("STOP_LOSS BUY quantity=1 stopPrice=1"),
        &context,
    )
    .unwrap_err();
    let checks: Vec<Check> = failures.iter().map(|f| f.check).collect();
    assert_eq!(
        checks,
        [Check::ExchangeMaxNumOrders, Check::ExchangeMaxNumAlgoOrders]
    );
    assert_eq!(
        failures[0].binance_msg(),
        "Filter failure: EXCHANGE_MAX_NUM_ORDERS"
    );
}

#[test]
fn max_position() {
    let filters = format!("{LOT_SIZE}, {MAX_POSITION}");
    check(
        &filters,
        &format!("{LIMIT} quantity=1 price=1"),
        "position=9",
        &[],
    );
    check(
        &filters,
        &format!("{LIMIT} quantity=2 price=1"),
        "position=9",
        &[
            "MAX_POSITION: position 9 plus quantity 2 is above maxPosition 10.00000000: use quantity 1.000",
        ],
    );
    check(
        &filters,
        "LIMIT SELL timeInForce=GTC quantity=20 price=1",
        "position=9",
        &[],
    );
    unchecked(
        &filters,
        &format!("{LIMIT} quantity=1 price=1"),
        "",
        &[Check::MaxPosition],
    );
}

#[test]
fn position_counts_balance_and_unfilled_buys() {
    let open: Vec<Order> = serde_json::from_str(
        r#"[
        {"symbol":"BTCUSDT","orderId":1,"clientOrderId":"a","price":"1","origQty":"2","executedQty":"0.5","status":"PARTIALLY_FILLED","type":"LIMIT","side":"BUY"},
        {"symbol":"BTCUSDT","orderId":2,"clientOrderId":"b","price":"1","origQty":"7","executedQty":"0","status":"NEW","type":"LIMIT","side":"SELL"},
        {"symbol":"ETHBTC","orderId":3,"clientOrderId":"c","price":"1","origQty":"9","executedQty":"0","status":"NEW","type":"STOP_LOSS_LIMIT","side":"BUY","icebergQty":"1"}
    ]"#,
    )
    .unwrap();
    let base: Balance =
        serde_json::from_str(r#"{"asset":"BTC","free":"1","locked":"0.25"}"#).unwrap();
    assert_eq!(position("BTCUSDT", &base, &open), d("2.75"));
    assert_eq!(
        OpenOrderCounts::count("BTCUSDT", &open),
        OpenOrderCounts {
            symbol_orders: 2,
            symbol_algo_orders: 0,
            symbol_iceberg_orders: 0,
            exchange_orders: 3,
            exchange_algo_orders: 1,
            exchange_iceberg_orders: 1,
        }
    );
}

#[test]
fn trailing_delta_bounds_depend_on_type_and_side() {
    let asymmetric = r#"{"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 20, "maxTrailingBelowDelta": 1000}"#;
    check(
        TRAILING_DELTA,
        "STOP_LOSS BUY quantity=1 trailingDelta=10",
        "",
        &[],
    );
    check(
        TRAILING_DELTA,
        "STOP_LOSS BUY quantity=1 trailingDelta=9",
        "",
        &["TRAILING_DELTA: trailingDelta 9 is below the minimum 10: use 10"],
    );
    check(
        asymmetric,
        "STOP_LOSS BUY quantity=1 trailingDelta=15",
        "",
        &[],
    );
    check(
        asymmetric,
        "STOP_LOSS SELL quantity=1 trailingDelta=15",
        "",
        &["TRAILING_DELTA: trailingDelta 15 is below the minimum 20: use 20"],
    );
    check(
        asymmetric,
        "TAKE_PROFIT_LIMIT SELL timeInForce=GTC quantity=1 price=1 trailingDelta=1500",
        "",
        &[],
    );
    check(
        asymmetric,
        "TAKE_PROFIT BUY quantity=1 trailingDelta=1500",
        "",
        &["TRAILING_DELTA: trailingDelta 1500 is above the maximum 1000: use 1000"],
    );
}

#[test]
fn max_asset_from_my_filters() {
    let symbol = symbol(LOT_SIZE);
    let with_limit = |asset: &str| Context {
        my_filters: Some(MyFilters {
            asset_filters: vec![AssetFilter::MaxAsset {
                asset: asset.into(),
                limit: d("42.00000000"),
            }],
            ..MyFilters::default()
        }),
        ..Context::default()
    };
    let big = order(&format!("{LIMIT} quantity=43 price=1"));
    let failures = validate(&symbol, &big, &with_limit("BTC")).unwrap_err();
    assert_eq!(
        failures[0].to_string(),
        "MAX_ASSET: the order moves 43 BTC, above the account's limit 42.00000000: use quantity 42.000"
    );
    let failures = validate(&symbol, &big, &with_limit("USDT")).unwrap_err();
    assert_eq!(
        failures[0].to_string(),
        "MAX_ASSET: the order moves 43 USDT, above the account's limit 42.00000000: use quantity 42.000"
    );
    assert!(validate(&symbol, &big, &with_limit("USDC")).is_ok());
}

#[test]
fn my_filters_replace_exchange_info_filters_of_the_same_type() {
    let symbol = symbol(LOT_SIZE);
    let context = Context {
        my_filters: Some(MyFilters {
            symbol_filters: vec![SymbolFilter::LotSize {
                min_qty: d("1"),
                max_qty: d("10"),
                step_size: d("1"),
            }],
            ..MyFilters::default()
        }),
        ..Context::default()
    };
    let failures = validate(
        &symbol,
        &order(&format!("{LIMIT} quantity=0.5 price=1")),
        &context,
    )
    .unwrap_err();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].to_string(),
        "LOT_SIZE: quantity 0.5 is below the minimum 1: use 1"
    );
}

#[test]
fn symbol_rules() {
    let order_text = &format!("{LIMIT} quantity=1 price=1");
    for status in ["BREAK", "HALT", "END_OF_DAY", "CANCEL_ONLY", "PRE_TRADING"] {
        let symbol = symbol("").clone();
        let symbol = SymbolInfo {
            status: status.into(),
            ..symbol
        };
        check_in(
            &symbol,
            order_text,
            "",
            &[&format!("status: the symbol is {status}, not TRADING")],
        );
    }
    let strict = SymbolInfo {
        order_types: vec!["LIMIT".into()],
        iceberg_allowed: Some(false),
        quote_order_qty_market_allowed: Some(false),
        allow_trailing_stop: Some(false),
        is_spot_trading_allowed: Some(false),
        ..symbol("")
    };
    check_in(
        &strict,
        "MARKET BUY quoteOrderQty=10",
        "",
        &[
            "isSpotTradingAllowed: spot trading is not allowed on this symbol",
            "orderTypes: MARKET orders are not allowed on this symbol",
            "quoteOrderQtyMarketAllowed: MARKET orders by quoteOrderQty are not allowed",
        ],
    );
    check_in(
        &strict,
        &format!("{LIMIT} quantity=1 price=1 icebergQty=0.5"),
        "",
        &[
            "isSpotTradingAllowed: spot trading is not allowed on this symbol",
            "icebergAllowed: iceberg orders are not allowed",
        ],
    );
}

#[test]
fn rules_of_another_symbol_are_a_failure_not_a_pass() {
    let mut order = order(&format!("{LIMIT} quantity=1 price=1"));
    order.symbol = "ETHUSDT".into();
    let failures = validate(&symbol(""), &order, &Context::default()).unwrap_err();
    assert_eq!(
        failures[0].to_string(),
        "parameters: the order is for ETHUSDT, these rules are for BTCUSDT"
    );
    assert!(failures[0].binance_codes().is_empty());
}

#[test]
fn permission_sets_need_one_permission_of_each_set() {
    let symbol = symbol("");
    let symbol = SymbolInfo {
        permission_sets: vec![
            vec!["SPOT".into(), "MARGIN".into()],
            vec!["TRD_GRP_004".into()],
        ],
        ..symbol
    };
    let order_text = &format!("{LIMIT} quantity=1 price=1");
    check_in(&symbol, order_text, "", &[]);
    check_in(&symbol, order_text, "permissions=MARGIN,TRD_GRP_004", &[]);
    check_in(
        &symbol,
        order_text,
        "permissions=SPOT",
        &["permissionSets: the account needs one of the permissions TRD_GRP_004"],
    );
}

#[test]
fn parameters_by_order_type() {
    check(
        "",
        "LIMIT BUY quantity=1 price=1",
        "",
        &["parameters: timeInForce is mandatory for this order type"],
    );
    check(
        "",
        "MARKET BUY",
        "",
        &["parameters: send quantity or quoteOrderQty"],
    );
    check(
        "",
        "MARKET BUY quantity=1 price=1 timeInForce=GTC",
        "",
        &[
            "parameters: timeInForce is not taken by this order type",
            "parameters: price is not taken by this order type",
        ],
    );
    check(
        "",
        "STOP_LOSS_LIMIT BUY timeInForce=GTC quantity=1 price=1",
        "",
        &["parameters: send stopPrice or trailingDelta"],
    );
    check(
        "",
        "LIMIT BUY timeInForce=IOC quantity=1 price=1 icebergQty=0.5",
        "",
        &["parameters: timeInForce must be GTC for an iceberg order"],
    );
    check(
        "",
        "LIMIT_MAKER SELL quantity=-1 price=1 stopPrice=1",
        "",
        &[
            "parameters: stopPrice is not taken by this order type",
            "parameters: quantity -1 is not a plain non-negative decimal of at most 20 integer digits",
        ],
    );
    check(
        "",
        "LIMIT_MAKER SELL quantity=0 price=1",
        "",
        &["parameters: price × quantity is zero or less"],
    );
}

#[test]
fn precision_counts_decimals_without_trailing_zeros() {
    check(
        "",
        &format!("{LIMIT} quantity=1.000000000000 price=1"),
        "",
        &[],
    );
    check(
        "",
        &format!("{LIMIT} quantity=0.123456789 price=1"),
        "",
        &["precision: quantity 0.123456789 has more than 8 decimals: use 0.12345679 or 0.12345678"],
    );
    let coarse = symbol("");
    let coarse = SymbolInfo {
        quote_asset_precision: Some(2),
        ..coarse
    };
    check_in(
        &coarse,
        &format!("{LIMIT} quantity=1 price=0.001"),
        "",
        &["precision: price 0.001 has more than 2 decimals: use 0.01"],
    );
}

#[test]
fn failures_come_most_important_first() {
    let symbol = symbol(&[PRICE_FILTER, LOT_SIZE, NOTIONAL].join(","));
    let symbol = SymbolInfo {
        status: "BREAK".into(),
        ..symbol
    };
    let failures = validate(
        &symbol,
        &order(&format!("{LIMIT} quantity=0.0005 price=1.0000005")),
        &Context::default(),
    )
    .unwrap_err();
    let checks: Vec<Check> = failures.iter().map(|f| f.check).collect();
    assert_eq!(
        checks,
        [
            Check::SymbolStatus,
            Check::PriceFilter,
            Check::LotSize,
            Check::Notional
        ]
    );
}

#[track_caller]
fn check_error(failure: &FilterFailure, codes: &[i64], msg: &str) {
    assert_eq!(failure.binance_codes(), codes);
    assert_eq!(failure.binance_msg(), msg);
}

#[test]
fn the_error_the_server_would_answer() {
    let first = |filters: &str, order_text: &str| {
        validate(&symbol(filters), &order(order_text), &Context::default()).unwrap_err()[0].clone()
    };
    check_error(
        &first(LOT_SIZE, &format!("{LIMIT} quantity=0.0001 price=1")),
        &[-1013],
        "Filter failure: LOT_SIZE",
    );
    check_error(
        &first("", "MARKET BUY"),
        &[-1102],
        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
    );
    check_error(
        &first("", "LIMIT BUY quantity=1 price=1"),
        &[-1102],
        "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
    );
    check_error(
        &first("", "MARKET BUY quantity=1 timeInForce=GTC"),
        &[-1114],
        "TimeInForce parameter sent when not required.",
    );
    check_error(
        &first("", "MARKET BUY quantity=1 price=2"),
        &[-1106],
        "Parameter 'price' sent when not required.",
    );
    check_error(
        &first("", &format!("{LIMIT} quantity=0.123456789 price=1")),
        &[-1111],
        "Parameter 'quantity' has too much precision.",
    );
    let no_stops = SymbolInfo {
        order_types: vec!["LIMIT".into()],
        ..symbol("")
    };
    let failures = validate(
        &no_stops,
        &order("STOP_LOSS SELL quantity=1 stopPrice=1"),
        &Context::default(),
    )
    .unwrap_err();
    check_error(
        &failures[0],
        &[-2010, -1013],
        "Stop loss orders are not supported for this symbol.",
    );
}

#[test]
fn suggest_moves_the_numbers_onto_the_grid_and_over_the_minimum() {
    let symbol = symbol(&[PRICE_FILTER, LOT_SIZE, NOTIONAL, PERCENT_PRICE].join(","));
    let context = context("average=5");
    let fixed = suggest(
        &symbol,
        &order(&format!("{LIMIT} quantity=1.0005 price=5.0000005")),
        &context,
    )
    .unwrap();
    assert_eq!(fixed.price.unwrap().to_string(), "5.000001");
    assert_eq!(fixed.quantity.unwrap().to_string(), "2.000");
    assert!(validate(&symbol, &fixed, &context).is_ok());
    let fine = order(&format!("{LIMIT} quantity=3 price=5"));
    assert_eq!(suggest(&symbol, &fine, &context), Some(fine));
    let closed = SymbolInfo {
        status: "HALT".into(),
        ..symbol.clone()
    };
    assert_eq!(
        suggest(
            &closed,
            &order(&format!("{LIMIT} quantity=3 price=5")),
            &context
        ),
        None
    );
}

#[test]
fn round_price_and_quantity_use_the_symbols_grid() {
    let symbol = symbol(&[PRICE_FILTER, LOT_SIZE].join(","));
    assert_eq!(
        round_price(&symbol, d("1.23456789"), Rounding::Nearest)
            .unwrap()
            .to_string(),
        "1.234568"
    );
    assert_eq!(
        round_quantity(&symbol, OrderType::Limit, d("1.23456789"), Rounding::Down)
            .unwrap()
            .to_string(),
        "1.234"
    );
    let bare = super::super::model::SymbolInfo {
        filters: Vec::new(),
        ..symbol
    };
    assert_eq!(
        round_price(&bare, d("1.234567891"), Rounding::Up)
            .unwrap()
            .to_string(),
        "1.23456790"
            .parse::<Decimal>()
            .unwrap()
            .normalize()
            .to_string()
    );
}

#[test]
fn operations_follow_the_symbols_flags() {
    let symbol = SymbolInfo {
        oco_allowed: Some(false),
        oto_allowed: Some(true),
        cancel_replace_allowed: None,
        amend_allowed: Some(false),
        ..symbol("")
    };
    let verdicts: Vec<String> = [
        Operation::Oco,
        Operation::Oto,
        Operation::CancelReplace,
        Operation::Amend,
    ]
    .into_iter()
    .map(|operation| match check_operation(&symbol, operation) {
        Ok(()) => "ok".to_owned(),
        Err(failure) => format!("{failure} / {}", failure.binance_msg()),
    })
    .collect();
    assert_eq!(
        verdicts,
        [
            "ocoAllowed: OCO order lists are not allowed / OCO orders are not supported for this symbol",
            "ok",
            "ok",
            "amendAllowed: amending orders is not allowed / Order amend is not supported for this symbol.",
        ]
    );
}

// Any numbers at all in the filters: the validator answers, never panics.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ZERO),
        Just(Decimal::MAX),
        Just(Decimal::new(1, 28)),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<u64>(), 0u32..=8).prop_map(|(m, s)| Decimal::new(m as i64 & i64::MAX, s)),
    ]
}

fn any_filter() -> impl Strategy<Value = SymbolFilter> {
    let d = any_decimal;
    prop_oneof![
        (d(), d(), d()).prop_map(|(a, b, c)| SymbolFilter::PriceFilter {
            min_price: a,
            max_price: b,
            tick_size: c
        }),
        (d(), d(), any::<u32>()).prop_map(|(a, b, m)| SymbolFilter::PercentPrice {
            multiplier_up: a,
            multiplier_down: b,
            avg_price_mins: m % 6
        }),
        (d(), d(), d(), d()).prop_map(|(a, b, c, e)| SymbolFilter::PercentPriceBySide {
            bid_multiplier_up: a,
            bid_multiplier_down: b,
            ask_multiplier_up: c,
            ask_multiplier_down: e,
            avg_price_mins: 1
        }),
        (d(), d(), d()).prop_map(|(a, b, c)| SymbolFilter::LotSize {
            min_qty: a,
            max_qty: b,
            step_size: c
        }),
        (d(), d(), d()).prop_map(|(a, b, c)| SymbolFilter::MarketLotSize {
            min_qty: a,
            max_qty: b,
            step_size: c
        }),
        (d(), any::<bool>()).prop_map(|(a, apply)| SymbolFilter::MinNotional {
            min_notional: a,
            apply_to_market: apply,
            avg_price_mins: 5
        }),
        (d(), d(), any::<bool>()).prop_map(|(a, b, apply)| SymbolFilter::Notional {
            min_notional: a,
            apply_min_to_market: apply,
            max_notional: b,
            apply_max_to_market: !apply,
            avg_price_mins: 0
        }),
        any::<u32>().prop_map(|limit| SymbolFilter::IcebergParts { limit }),
        any::<u32>().prop_map(|n| SymbolFilter::MaxNumOrders { max_num_orders: n }),
        d().prop_map(|max_position| SymbolFilter::MaxPosition { max_position }),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| SymbolFilter::TrailingDelta {
            min_trailing_above_delta: a,
            max_trailing_above_delta: b,
            min_trailing_below_delta: b,
            max_trailing_below_delta: a
        }),
    ]
}

fn any_order() -> impl Strategy<Value = NewOrder> {
    let types = prop_oneof![
        Just(OrderType::Limit),
        Just(OrderType::Market),
        Just(OrderType::StopLoss),
        Just(OrderType::StopLossLimit),
        Just(OrderType::TakeProfit),
        Just(OrderType::LimitMaker),
        Just(OrderType::Other),
    ];
    let maybe = || proptest::option::of(any_decimal());
    (
        types,
        any::<bool>(),
        (maybe(), maybe(), maybe(), maybe(), maybe()),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(order_type, buy, (q, qq, p, sp, ice), delta)| {
            let side = if buy { Side::Buy } else { Side::Sell };
            let mut order = NewOrder::market("BTCUSDT", side, Decimal::ONE);
            order.order_type = order_type;
            order.quantity = q;
            order.quote_order_qty = qq;
            order.price = p;
            order.stop_price = sp;
            order.iceberg_qty = ice;
            order.trailing_delta = delta;
            order
        })
}

fn any_context() -> impl Strategy<Value = Context> {
    let maybe = || proptest::option::of(any_decimal());
    (maybe(), maybe(), maybe(), maybe(), any::<u32>()).prop_map(|(r, a, l, pos, n)| Context {
        reference_price: r,
        average_price: a,
        last_price: l,
        position: pos,
        open_orders: Some(OpenOrderCounts {
            symbol_orders: n,
            ..OpenOrderCounts::default()
        }),
        my_filters: Some(MyFilters {
            asset_filters: vec![AssetFilter::MaxAsset {
                asset: "USDT".into(),
                limit: Decimal::from(n),
            }],
            ..MyFilters::default()
        }),
        ..Context::default()
    })
}

proptest! {
    #[test]
    fn never_panics_on_any_numbers(
        filters in proptest::collection::vec(any_filter(), 0..8),
        order in any_order(),
        context in any_context(),
    ) {
        let symbol = SymbolInfo { filters, ..symbol("") };
        let report = super::check(&symbol, &order, &context);
        for failure in &report.failures {
            let _ = failure.to_string();
            let _ = failure.binance_msg();
        }
        let _ = suggest(&symbol, &order, &context);
    }

    #[test]
    fn suggestions_pass_their_own_check(
        tick_exp in 0u32..8, step_exp in 0u32..8,
        min_notional in 1u32..100,
        price in 1u64..10_000_000, price_scale in 0u32..10,
        qty in 1u64..10_000_000, qty_scale in 0u32..10,
        buy in any::<bool>(),
    ) {
        let tick = Decimal::new(1, tick_exp);
        let step = Decimal::new(1, step_exp);
        let symbol = SymbolInfo {
            filters: vec![
                SymbolFilter::PriceFilter { min_price: tick, max_price: Decimal::from(1_000_000), tick_size: tick },
                SymbolFilter::LotSize { min_qty: step, max_qty: Decimal::from(9_000_000), step_size: step },
                SymbolFilter::Notional {
                    min_notional: Decimal::from(min_notional),
                    apply_min_to_market: true,
                    max_notional: Decimal::from(1_000_000_000_000_i64),
                    apply_max_to_market: false,
                    avg_price_mins: 5,
                },
            ],
            ..symbol("")
        };
        let side = if buy { Side::Buy } else { Side::Sell };
        let order = NewOrder::limit("BTCUSDT", side, Decimal::new(qty as i64, qty_scale), Decimal::new(price as i64, price_scale));
        let context = Context::default();
        let report = super::check(&symbol, &order, &context);
        for failure in &report.failures {
            for suggestion in &failure.suggestions {
                let mut moved = order.clone();
                set_field(&mut moved, failure.field, *suggestion);
                let again = super::check(&symbol, &moved, &context);
                prop_assert!(
                    !again.failures.iter().any(|f| f.check == failure.check && f.field == failure.field),
                    "{failure} → {suggestion} still fails: {:?}", again.failures
                );
            }
        }
        if order.price.unwrap() <= Decimal::from(1_000_000) && order.price.unwrap() >= tick {
            let fixed = suggest(&symbol, &order, &context);
            prop_assert!(fixed.is_some(), "no suggestion for {order:?}: {:?}", report.failures);
        }
    }
}
