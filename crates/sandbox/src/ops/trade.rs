//! Orders: place, test, query, cancel, cancel-replace, open orders.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::Serialize;

use super::account::discount;
use crate::engine::{Commission, Fill, NewOrder, Order};
use crate::error::ApiError;
use crate::exchange::{Caller, EngineGuard, Exchange};
use crate::model::{OrderStatus, OrderType, RespType, Side, TimeInForce};
use crate::params::Params;
use crate::wire::{self, Empty, dec};

const NEW_ORDER_PARAMS: &[&str] = &[
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "quoteOrderQty",
    "price",
    "newClientOrderId",
    "strategyId",
    "strategyType",
    "stopPrice",
    "trailingDelta",
    "icebergQty",
    "newOrderRespType",
    "selfTradePreventionMode",
    "pegPriceType",
    "pegOffsetValue",
    "pegOffsetType",
];

const CLIENT_ORDER_ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";

/// `POST /api/v3/order`, `order.place`.
pub fn new_order(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::NewOrderResponse, ApiError> {
    params.only(NEW_ORDER_PARAMS)?;
    let (new, resp_type) = parse_new_order(params)?;
    exchange
        .engine()
        .market()
        .get(&new.symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let now = exchange.now_ms();
    exchange.limiter().count_order(caller.uid, now)?;
    let (order, fills) = exchange.advance_engine().place(caller.uid, &new, now)?;
    Ok(new_order_response(&order, &fills, resp_type, now))
}

/// `order/test` answers `{}`, or the commission rates when asked for them.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum TestOrderAnswer {
    /// Without `computeCommissionRates`.
    Empty(Empty),
    /// With `computeCommissionRates=true`.
    Commission(wire::TestOrderCommission),
}

/// `POST /api/v3/order/test`, `order.test`.
pub fn test_order(
    exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<TestOrderAnswer, ApiError> {
    let mut allowed = NEW_ORDER_PARAMS.to_vec();
    allowed.push("computeCommissionRates");
    params.only(&allowed)?;
    let (new, _) = parse_new_order(params)?;
    let compute = params.opt_bool("computeCommissionRates")?.unwrap_or(false);
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    engine.validate(&new, now)?;
    if !compute {
        return Ok(TestOrderAnswer::Empty(Empty {}));
    }
    Ok(TestOrderAnswer::Commission(commission_for_order(
        engine.commission(),
        true,
    )))
}

/// The commission rates `order/test` (with `special`) and `sor/order/test`
/// (without: rest-api.md lists no special rates there) compute.
pub(super) fn commission_for_order(rates: Commission, special: bool) -> wire::TestOrderCommission {
    let two = |maker: Decimal, taker: Decimal| wire::TwoRates {
        maker: dec(maker),
        taker: dec(taker),
    };
    wire::TestOrderCommission {
        standard_commission_for_order: two(rates.maker, rates.taker),
        special_commission_for_order: special.then(|| two(Decimal::ZERO, Decimal::ZERO)),
        tax_commission_for_order: two(Decimal::ZERO, Decimal::ZERO),
        discount: discount(),
    }
}

/// `GET /api/v3/order`, `order.status`.
pub fn query_order(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::OrderView, ApiError> {
    params.only(&["symbol", "orderId", "origClientOrderId"])?;
    let symbol = params.symbol()?;
    let (order_id, client_order_id) = order_ref(params, "orderId", "origClientOrderId")?;
    let engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let Some(order) = engine.find_order(caller.uid, symbol, order_id, client_order_id) else {
        // The order exists but under another client order ID: -2039.
        let mismatch = order_id
            .and_then(|id| engine.order(id))
            .is_some_and(|order| order.uid == caller.uid && order.symbol == symbol);
        if mismatch && client_order_id.is_some() {
            return Err(ApiError::bad_request(
                -2039,
                "Client order ID is not correct for this order ID.",
            ));
        }
        return Err(ApiError::no_such_order());
    };
    Ok(wire::OrderView::from(order))
}

/// `DELETE /api/v3/order`, `order.cancel`.
pub fn cancel_order(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::CancelResponse, ApiError> {
    params.only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
    ])?;
    let symbol = params.symbol()?;
    let (order_id, client_order_id) = order_ref(params, "orderId", "origClientOrderId")?;
    let restrictions = cancel_restrictions(params)?;
    let cancel_id = new_client_order_id(params, "newClientOrderId")?;
    let now = exchange.now_ms();
    let mut engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let target = OrderRef {
        symbol,
        order_id,
        client_order_id,
        restrictions,
    };
    let order = cancel_one(&mut engine, caller.uid, &target, now)?;
    Ok(wire::CancelResponse::new(
        &order,
        cancel_id.unwrap_or_else(|| cancel_client_order_id(order.order_id)),
        now,
    ))
}

/// `GET /api/v3/openOrders`, `openOrders.status`.
pub fn open_orders(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::OrderView>, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.opt_symbol()?;
    let engine = exchange.advance_engine();
    if let Some(symbol) = symbol {
        engine
            .market()
            .get(symbol)
            .ok_or_else(ApiError::bad_symbol)?;
    }
    Ok(engine
        .account_orders(caller.uid, symbol)
        .into_iter()
        .filter(|order| order.status.is_open())
        .map(wire::OrderView::from)
        .collect())
}

/// `DELETE /api/v3/openOrders`, `openOrders.cancelAll`.
pub fn cancel_open_orders(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::CancelResponse>, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.symbol()?;
    let now = exchange.now_ms();
    let mut engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let open: Vec<u64> = engine
        .account_orders(caller.uid, Some(symbol))
        .into_iter()
        .filter(|order| order.status.is_open())
        .map(|order| order.order_id)
        .collect();
    if open.is_empty() {
        return Err(ApiError::cancel_unknown());
    }
    let mut out = Vec::new();
    for order_id in open {
        let order = engine.cancel(caller.uid, order_id, now)?;
        out.push(wire::CancelResponse::new(
            &order,
            cancel_client_order_id(order_id),
            now,
        ));
    }
    Ok(out)
}

/// `POST /api/v3/order/cancelReplace`, `order.cancelReplace`.
///
/// Both parts succeeded: the data. Otherwise `-2022` (400) when nothing
/// happened or both failed, `-2021` (409) when one part failed; either way
/// the error carries the same data (rest-api.md, web-socket-api.md).
pub fn cancel_replace(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<CancelReplaceData, ApiError> {
    let mut allowed = NEW_ORDER_PARAMS.to_vec();
    allowed.extend([
        "cancelReplaceMode",
        "cancelNewClientOrderId",
        "cancelOrigClientOrderId",
        "cancelOrderId",
        "cancelRestrictions",
        "orderRateLimitExceededMode",
    ]);
    params.only(&allowed)?;
    let stop_on_failure = match params.require("cancelReplaceMode")? {
        "STOP_ON_FAILURE" => true,
        "ALLOW_FAILURE" => false,
        _ => return Err(ApiError::invalid_value("cancelReplaceMode")),
    };
    let (new, resp_type) = parse_new_order(params)?;
    let (order_id, client_order_id) =
        order_ref(params, "cancelOrderId", "cancelOrigClientOrderId")?;
    let restrictions = cancel_restrictions(params)?;
    let cancel_id = new_client_order_id(params, "cancelNewClientOrderId")?;
    if let Some(mode) = params.get("orderRateLimitExceededMode")
        && !matches!(mode, "DO_NOTHING" | "CANCEL_ONLY")
    {
        return Err(ApiError::invalid_value("orderRateLimitExceededMode"));
    }
    let now = exchange.now_ms();
    exchange
        .engine()
        .market()
        .get(&new.symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    exchange.engine().validate(&new, now)?;
    exchange.limiter().count_order(caller.uid, now)?;
    let mut engine = exchange.advance_engine();
    let target = OrderRef {
        symbol: &new.symbol,
        order_id,
        client_order_id,
        restrictions,
    };
    let cancel = cancel_one(&mut engine, caller.uid, &target, now).map(|order| {
        wire::CancelResponse::new(
            &order,
            cancel_id.unwrap_or_else(|| cancel_client_order_id(order.order_id)),
            now,
        )
    });
    let placed = if cancel.is_err() && stop_on_failure {
        None
    } else {
        Some(
            engine
                .place(caller.uid, &new, now)
                .map(|(order, fills)| new_order_response(&order, &fills, resp_type, now)),
        )
    };
    drop(engine);
    let result = |ok: bool| if ok { "SUCCESS" } else { "FAILURE" };
    let data = CancelReplaceData {
        cancel_result: result(cancel.is_ok()),
        new_order_result: match &placed {
            None => "NOT_ATTEMPTED",
            Some(placed) => result(placed.is_ok()),
        },
        cancel_response: match cancel {
            Ok(response) => Part::Ok(response),
            Err(err) => Part::Err(ErrorBody::from(err)),
        },
        new_order_response: placed.map(|placed| match placed {
            Ok(response) => Part::Ok(response),
            Err(err) => Part::Err(ErrorBody::from(err)),
        }),
    };
    let (status, code, msg) = match (data.cancel_result, data.new_order_result) {
        ("SUCCESS", "SUCCESS") => return Ok(data),
        ("FAILURE", "NOT_ATTEMPTED") | ("FAILURE", "FAILURE") => (
            StatusCode::BAD_REQUEST,
            -2022,
            "Order cancel-replace failed.",
        ),
        _ => (
            StatusCode::CONFLICT,
            -2021,
            "Order cancel-replace partially failed.",
        ),
    };
    Err(ApiError::new(status, code, msg).with_data(&data))
}

/// What `order/cancelReplace` did with each part.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReplaceData {
    cancel_result: &'static str,
    new_order_result: &'static str,
    cancel_response: Part<wire::CancelResponse>,
    new_order_response: Option<Part<wire::NewOrderResponse>>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Part<T> {
    Ok(T),
    Err(ErrorBody),
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: i64,
    msg: String,
}

impl From<ApiError> for ErrorBody {
    fn from(err: ApiError) -> ErrorBody {
        ErrorBody {
            code: err.code,
            msg: err.msg,
        }
    }
}

pub(super) fn new_order_response(
    order: &Order,
    fills: &[Fill],
    resp_type: Option<RespType>,
    now: i64,
) -> wire::NewOrderResponse {
    let resp_type = resp_type.unwrap_or(match order.order_type {
        OrderType::Limit | OrderType::Market => RespType::Full,
        OrderType::LimitMaker => RespType::Ack,
    });
    let sor = order.working_floor.filter(|_| resp_type != RespType::Ack);
    wire::NewOrderResponse {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: -1,
        client_order_id: order.client_order_id.clone(),
        transact_time: now,
        result: (resp_type != RespType::Ack).then(|| wire::NewOrderResult::new(order)),
        fills: (resp_type == RespType::Full)
            .then(|| fills.iter().map(wire::FillView::from).collect()),
        working_floor: sor.map(|floor| floor.as_str()),
        used_sor: sor.map(|_| true),
    }
}

/// Reads and checks the parameters of a new order, per type
/// (rest-api.md § New order, "Some additional mandatory parameters").
pub(super) fn parse_new_order(params: &Params) -> Result<(NewOrder, Option<RespType>), ApiError> {
    let symbol = params.symbol()?.to_owned();
    let side = Side::parse(params.require("side")?)?;
    let order_type = OrderType::parse(params.require("type")?)?;
    let quantity = params.opt_decimal("quantity")?;
    let quote_order_qty = params.opt_decimal("quoteOrderQty")?;
    let price = params.opt_decimal("price")?;
    let time_in_force = params
        .get("timeInForce")
        .map(TimeInForce::parse)
        .transpose()?;
    for unsupported in [
        "stopPrice",
        "trailingDelta",
        "icebergQty",
        "pegPriceType",
        "pegOffsetValue",
        "pegOffsetType",
    ] {
        if params.has(unsupported) {
            // The symbols' icebergAllowed is false: errors.md's answer for
            // an iceberg on a type that could otherwise carry one.
            if unsupported == "icebergQty"
                && matches!(order_type, OrderType::Limit | OrderType::LimitMaker)
            {
                return Err(ApiError::order_rejected(
                    "Iceberg orders are not supported for this symbol.",
                ));
            }
            return Err(ApiError::not_required(unsupported));
        }
    }
    let time_in_force = match order_type {
        OrderType::Limit => {
            let time_in_force = time_in_force.ok_or_else(|| ApiError::mandatory("timeInForce"))?;
            quantity.ok_or_else(|| ApiError::mandatory("quantity"))?;
            price.ok_or_else(|| ApiError::mandatory("price"))?;
            if quote_order_qty.is_some() {
                return Err(ApiError::not_required("quoteOrderQty"));
            }
            time_in_force
        }
        OrderType::LimitMaker => {
            quantity.ok_or_else(|| ApiError::mandatory("quantity"))?;
            price.ok_or_else(|| ApiError::mandatory("price"))?;
            if time_in_force.is_some() {
                return Err(ApiError::bad_request(
                    -1114,
                    "TimeInForce parameter sent when not required.",
                ));
            }
            if quote_order_qty.is_some() {
                return Err(ApiError::not_required("quoteOrderQty"));
            }
            TimeInForce::Gtc
        }
        OrderType::Market => {
            match (quantity, quote_order_qty) {
                (None, None) => {
                    return Err(ApiError::bad_request(
                        -1102,
                        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                    ));
                }
                (Some(_), Some(_)) => return Err(ApiError::not_required("quoteOrderQty")),
                _ => {}
            }
            if price.is_some() {
                return Err(ApiError::not_required("price"));
            }
            if time_in_force.is_some() {
                return Err(ApiError::bad_request(
                    -1114,
                    "TimeInForce parameter sent when not required.",
                ));
            }
            TimeInForce::Gtc
        }
    };
    if let Some(strategy_type) = params.opt_long("strategyType")?
        && strategy_type < 1_000_000
    {
        return Err(ApiError::bad_request(
            -1134,
            "`strategyType` was less than 1000000.",
        ));
    }
    params.opt_long("strategyId")?;
    if let Some(mode) = params.get("selfTradePreventionMode")
        && mode != "NONE"
    {
        return Err(ApiError::invalid_value("selfTradePreventionMode"));
    }
    let resp_type = params
        .get("newOrderRespType")
        .map(RespType::parse)
        .transpose()?;
    let client_order_id = new_client_order_id(params, "newClientOrderId")?;
    Ok((
        NewOrder {
            symbol,
            side,
            order_type,
            time_in_force,
            quantity,
            quote_order_qty,
            price,
            client_order_id,
        },
        resp_type,
    ))
}

fn new_client_order_id(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    let Some(id) = params.get(name) else {
        return Ok(None);
    };
    let legal = id.len() <= 36
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !legal {
        return Err(ApiError::illegal_chars(name, CLIENT_ORDER_ID_RANGE));
    }
    Ok(Some(id.to_owned()))
}

fn order_ref<'a>(
    params: &'a Params,
    id_name: &str,
    client_name: &str,
) -> Result<(Option<u64>, Option<&'a str>), ApiError> {
    let order_id = params.opt_long(id_name)?.map(|id| id as u64);
    let client_order_id = params.get(client_name);
    if order_id.is_none() && client_order_id.is_none() {
        return Err(ApiError::bad_request(
            -1102,
            format!("Param '{client_name}' or '{id_name}' must be sent, but both were empty/null!"),
        ));
    }
    Ok((order_id, client_order_id))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Restriction {
    OnlyNew,
    OnlyPartiallyFilled,
}

fn cancel_restrictions(params: &Params) -> Result<Option<Restriction>, ApiError> {
    match params.get("cancelRestrictions") {
        None => Ok(None),
        Some("ONLY_NEW") => Ok(Some(Restriction::OnlyNew)),
        Some("ONLY_PARTIALLY_FILLED") => Ok(Some(Restriction::OnlyPartiallyFilled)),
        Some(_) => Err(ApiError::bad_request(-1145, "Invalid cancelRestrictions")),
    }
}

/// The order a cancellation names.
struct OrderRef<'a> {
    symbol: &'a str,
    order_id: Option<u64>,
    client_order_id: Option<&'a str>,
    restrictions: Option<Restriction>,
}

fn cancel_one(
    engine: &mut EngineGuard<'_>,
    uid: u64,
    target: &OrderRef<'_>,
    now: i64,
) -> Result<Order, ApiError> {
    let order = engine
        .find_order(uid, target.symbol, target.order_id, target.client_order_id)
        .ok_or_else(ApiError::cancel_unknown)?;
    let allowed = match target.restrictions {
        None => true,
        Some(Restriction::OnlyNew) => order.status == OrderStatus::New,
        Some(Restriction::OnlyPartiallyFilled) => order.status == OrderStatus::PartiallyFilled,
    };
    if order.status.is_open() && !allowed {
        return Err(ApiError::bad_request(
            -2011,
            "Order was not canceled due to cancel restrictions.",
        ));
    }
    let order_id = order.order_id;
    engine.cancel(uid, order_id, now)
}

fn cancel_client_order_id(order_id: u64) -> String {
    format!("cancel{order_id:016}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_refused(pairs: &[(&str, &str)], code: i64, msg: &str) {
        let err = parse_new_order(&Params::from_pairs(pairs)).unwrap_err();
        assert_eq!((err.code, err.msg.as_str()), (code, msg));
    }

    #[test]
    fn iceberg_quantity_on_a_symbol_without_icebergs() {
        let limit = [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", "50000"),
            ("icebergQty", "0.1"),
        ];
        check_refused(
            &limit,
            -2010,
            "Iceberg orders are not supported for this symbol.",
        );
        let market = [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", "1"),
            ("icebergQty", "0.1"),
        ];
        check_refused(
            &market,
            -1106,
            "Parameter 'icebergQty' sent when not required.",
        );
    }
}
