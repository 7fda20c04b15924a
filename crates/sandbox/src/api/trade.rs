//! Orders: place, test, query, cancel, cancel-replace, open orders.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;

use super::account::discount;
use super::{Empty, Req, order_count_headers};
use crate::engine::{Fill, NewOrder, Order};
use crate::error::{ApiError, ErrorCode};
use crate::exchange::{Exchange, Need};
use crate::model::{OrderType, RespType, Side, TimeInForce};
use crate::params::Params;
use crate::wire::{self, dec};

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

/// `POST /api/v3/order`.
pub async fn new_order(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<(HeaderMap, Json<wire::NewOrderResponse>), ApiError> {
    let caller = req.auth(&exchange, Need::Trade)?;
    req.params.only(NEW_ORDER_PARAMS)?;
    let (new, resp_type) = parse_new_order(&req.params)?;
    exchange
        .engine_unadvanced()
        .market()
        .get(&new.symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let now = exchange.now_ms();
    exchange.limiter().count_order(caller.uid, now)?;
    let (order, fills) = exchange.engine().place(caller.uid, &new, now)?;
    let headers = order_count_headers(&exchange, caller.uid);
    Ok((
        headers,
        Json(new_order_response(&order, &fills, resp_type, now)),
    ))
}

/// `POST /api/v3/order/test`.
pub async fn test_order(State(exchange): State<Exchange>, req: Req) -> Result<Response, ApiError> {
    req.auth(&exchange, Need::Trade)?;
    let mut allowed = NEW_ORDER_PARAMS.to_vec();
    allowed.push("computeCommissionRates");
    req.params.only(&allowed)?;
    let (new, _) = parse_new_order(&req.params)?;
    let compute = req
        .params
        .opt_bool("computeCommissionRates")?
        .unwrap_or(false);
    let now = exchange.now_ms();
    let engine = exchange.engine();
    engine.validate(&new, now)?;
    if !compute {
        return Ok(Json(Empty {}).into_response());
    }
    let rates = engine.commission();
    let two = |maker: Decimal, taker: Decimal| wire::TwoRates {
        maker: dec(maker),
        taker: dec(taker),
    };
    Ok(Json(wire::TestOrderCommission {
        standard_commission_for_order: two(rates.maker, rates.taker),
        special_commission_for_order: two(Decimal::ZERO, Decimal::ZERO),
        tax_commission_for_order: two(Decimal::ZERO, Decimal::ZERO),
        discount: discount(),
    })
    .into_response())
}

/// `GET /api/v3/order`.
pub async fn query_order(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::OrderView>, ApiError> {
    let caller = req.auth(&exchange, Need::Read)?;
    req.params
        .only(&["symbol", "orderId", "origClientOrderId"])?;
    let symbol = req.params.symbol()?;
    let (order_id, client_order_id) = order_ref(&req.params, "orderId", "origClientOrderId")?;
    let engine = exchange.engine();
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
    Ok(Json(wire::OrderView::from(order)))
}

/// `DELETE /api/v3/order`.
pub async fn cancel_order(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::CancelResponse>, ApiError> {
    let caller = req.auth(&exchange, Need::Trade)?;
    req.params.only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
    ])?;
    let symbol = req.params.symbol()?;
    let (order_id, client_order_id) = order_ref(&req.params, "orderId", "origClientOrderId")?;
    let restrictions = cancel_restrictions(&req.params)?;
    let cancel_id = new_client_order_id(&req.params, "newClientOrderId")?;
    let now = exchange.now_ms();
    let mut engine = exchange.engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let order = cancel_one(
        &mut engine,
        caller.uid,
        symbol,
        order_id,
        client_order_id,
        restrictions,
        now,
    )?;
    Ok(Json(wire::CancelResponse::new(
        &order,
        cancel_id.unwrap_or_else(|| cancel_client_order_id(order.order_id)),
        now,
    )))
}

/// `GET /api/v3/openOrders`.
pub async fn open_orders(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<wire::OrderView>>, ApiError> {
    let caller = req.auth(&exchange, Need::Read)?;
    req.params.only(&["symbol"])?;
    let symbol = req.params.opt_symbol()?;
    let engine = exchange.engine();
    if let Some(symbol) = symbol {
        engine
            .market()
            .get(symbol)
            .ok_or_else(ApiError::bad_symbol)?;
    }
    Ok(Json(
        engine
            .account_orders(caller.uid, symbol)
            .into_iter()
            .filter(|order| order.status.is_open())
            .map(wire::OrderView::from)
            .collect(),
    ))
}

/// `DELETE /api/v3/openOrders`.
pub async fn cancel_open_orders(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<wire::CancelResponse>>, ApiError> {
    let caller = req.auth(&exchange, Need::Trade)?;
    req.params.only(&["symbol"])?;
    let symbol = req.params.symbol()?;
    let now = exchange.now_ms();
    let mut engine = exchange.engine();
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
    Ok(Json(out))
}

/// `POST /api/v3/order/cancelReplace`.
pub async fn cancel_replace(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Response, ApiError> {
    let caller = req.auth(&exchange, Need::Trade)?;
    let mut allowed = NEW_ORDER_PARAMS.to_vec();
    allowed.extend([
        "cancelReplaceMode",
        "cancelNewClientOrderId",
        "cancelOrigClientOrderId",
        "cancelOrderId",
        "cancelRestrictions",
        "orderRateLimitExceededMode",
    ]);
    req.params.only(&allowed)?;
    let stop_on_failure = match req.params.require("cancelReplaceMode")? {
        "STOP_ON_FAILURE" => true,
        "ALLOW_FAILURE" => false,
        _ => return Err(ApiError::invalid_value("cancelReplaceMode")),
    };
    let (new, resp_type) = parse_new_order(&req.params)?;
    let (order_id, client_order_id) =
        order_ref(&req.params, "cancelOrderId", "cancelOrigClientOrderId")?;
    let restrictions = cancel_restrictions(&req.params)?;
    let cancel_id = new_client_order_id(&req.params, "cancelNewClientOrderId")?;
    if let Some(mode) = req.params.get("orderRateLimitExceededMode")
        && !matches!(mode, "DO_NOTHING" | "CANCEL_ONLY")
    {
        return Err(ApiError::invalid_value("orderRateLimitExceededMode"));
    }
    let now = exchange.now_ms();
    exchange
        .engine_unadvanced()
        .market()
        .get(&new.symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    exchange.engine_unadvanced().validate(&new, now)?;
    exchange.limiter().count_order(caller.uid, now)?;
    let mut engine = exchange.engine();
    let cancel = cancel_one(
        &mut engine,
        caller.uid,
        &new.symbol,
        order_id,
        client_order_id,
        restrictions,
        now,
    )
    .map(|order| {
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
    let headers = order_count_headers(&exchange, caller.uid);
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
        ("SUCCESS", "SUCCESS") => return Ok((headers, Json(data)).into_response()),
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
    let mut response = (
        status,
        headers,
        Json(CancelReplaceError { code, msg, data }),
    )
        .into_response();
    response.extensions_mut().insert(ErrorCode(code));
    Ok(response)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelReplaceData {
    cancel_result: &'static str,
    new_order_result: &'static str,
    cancel_response: Part<wire::CancelResponse>,
    new_order_response: Option<Part<wire::NewOrderResponse>>,
}

#[derive(Serialize)]
struct CancelReplaceError {
    code: i64,
    msg: &'static str,
    data: CancelReplaceData,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Part<T> {
    Ok(T),
    Err(ErrorBody),
}

#[derive(Serialize)]
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

fn new_order_response(
    order: &Order,
    fills: &[Fill],
    resp_type: Option<RespType>,
    now: i64,
) -> wire::NewOrderResponse {
    let resp_type = resp_type.unwrap_or(match order.order_type {
        OrderType::Limit | OrderType::Market => RespType::Full,
        OrderType::LimitMaker => RespType::Ack,
    });
    wire::NewOrderResponse {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: -1,
        client_order_id: order.client_order_id.clone(),
        transact_time: now,
        result: (resp_type != RespType::Ack).then(|| wire::NewOrderResult::new(order)),
        fills: (resp_type == RespType::Full)
            .then(|| fills.iter().map(wire::FillView::from).collect()),
    }
}

/// Reads and checks the parameters of a new order, per type
/// (rest-api.md § New order, "Some additional mandatory parameters").
fn parse_new_order(params: &Params) -> Result<(NewOrder, Option<RespType>), ApiError> {
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

fn cancel_one(
    engine: &mut crate::engine::Engine,
    uid: u64,
    symbol: &str,
    order_id: Option<u64>,
    client_order_id: Option<&str>,
    restriction: Option<Restriction>,
    now: i64,
) -> Result<Order, ApiError> {
    let order = engine
        .find_order(uid, symbol, order_id, client_order_id)
        .ok_or_else(ApiError::cancel_unknown)?;
    let allowed = match restriction {
        None => true,
        Some(Restriction::OnlyNew) => order.status == crate::model::OrderStatus::New,
        Some(Restriction::OnlyPartiallyFilled) => {
            order.status == crate::model::OrderStatus::PartiallyFilled
        }
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
