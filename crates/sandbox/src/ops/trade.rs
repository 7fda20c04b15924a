//! Orders: place, test, query, cancel, cancel-replace, open orders.

use std::borrow::Cow;

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::Serialize;

use super::account::discount;
use crate::engine::{Commission, Fill, NewOrder, Order};
use crate::error::ApiError;
use crate::exchange::{Caller, EngineGuard, Exchange};
use crate::model::{OrderStatus, OrderType, RespType, Side, StpMode, TimeInForce};
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

pub(super) const CLIENT_ORDER_ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";

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
        .open_orders(caller.uid, symbol)
        .into_iter()
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
        .open_orders(caller.uid, Some(symbol))
        .into_iter()
        .map(|order| order.order_id)
        .collect();
    if open.is_empty() {
        return Err(ApiError::cancel_unknown());
    }
    let mut out = Vec::new();
    for order_id in open {
        // Canceling one order of a list cancels the list: its other
        // orders are already CANCELED when their turn comes.
        let order = match engine.order(order_id) {
            Some(order) if !order.status.is_open() => order.clone(),
            _ => engine.cancel(caller.uid, order_id, now)?,
        };
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
    // rest-api.md § New order: MARKET and LIMIT default to FULL, all
    // other types to ACK.
    let resp_type = resp_type.unwrap_or(match order.order_type {
        OrderType::Limit | OrderType::Market => RespType::Full,
        _ => RespType::Ack,
    });
    let sor = order.working_floor.filter(|_| resp_type != RespType::Ack);
    wire::NewOrderResponse {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: order.order_list_id,
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
    let symbol = params.symbol()?;
    let mut new = read_leg(params, symbol, &Leg::SINGLE)?;
    new.stp_mode = stp_mode(params)?;
    let resp_type = resp_type(params)?;
    Ok((new, resp_type))
}

/// `selfTradePreventionMode`: one of the symbol's allowed modes (all of
/// enums.md § STP Modes), `NONE` when not sent.
pub(super) fn stp_mode(params: &Params) -> Result<StpMode, ApiError> {
    params
        .get("selfTradePreventionMode")
        .map(StpMode::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// `newOrderRespType`, if sent.
pub(super) fn resp_type(params: &Params) -> Result<Option<RespType>, ApiError> {
    params
        .get("newOrderRespType")
        .map(RespType::parse)
        .transpose()
}

/// Where one order's parameters are: a single order's plain names, or an
/// order list leg's prefixed ones (`abovePrice`, `workingTimeInForce`,
/// `pendingAboveStopPrice`, ...), with the side and quantity possibly
/// shared by the legs.
pub(super) struct Leg {
    /// Prefix of the leg's own parameters (empty for a single order).
    pub prefix: &'static str,
    /// The side's parameter.
    pub side: &'static str,
    /// The quantity's parameter; `None` for an OPO's pending orders, which
    /// sell what the working order bought and have none.
    pub quantity: Option<&'static str>,
    /// The client order ID's parameter.
    pub client_order_id: &'static str,
}

impl Leg {
    /// A single order (`POST /api/v3/order`).
    pub const SINGLE: Leg = Leg {
        prefix: "",
        side: "side",
        quantity: Some("quantity"),
        client_order_id: "newClientOrderId",
    };

    /// The name of `field` for this leg: `price` → `abovePrice`; a single
    /// order's names are the fields themselves, not copied.
    fn name(&self, field: &'static str) -> Cow<'static, str> {
        if self.prefix.is_empty() {
            return Cow::Borrowed(field);
        }
        let mut chars = field.chars();
        let first = chars.next().map(|c| c.to_ascii_uppercase());
        Cow::Owned(format!(
            "{}{}{}",
            self.prefix,
            first.unwrap_or_default(),
            chars.as_str()
        ))
    }

    /// Every parameter the leg may send (for `Params::only`).
    pub fn names(&self) -> Vec<String> {
        let own = [
            "type",
            "price",
            "stopPrice",
            "trailingDelta",
            "timeInForce",
            "icebergQty",
            "strategyId",
            "strategyType",
            "pegPriceType",
            "pegOffsetValue",
            "pegOffsetType",
        ];
        let mut names: Vec<String> = own
            .iter()
            .map(|field| self.name(field).into_owned())
            .collect();
        names.extend([self.side, self.client_order_id].map(str::to_owned));
        names.extend(self.quantity.map(str::to_owned));
        names
    }
}

/// Reads one order's parameters and checks them against its type's
/// mandatory and forbidden parameters.
pub(super) fn read_leg(params: &Params, symbol: &str, leg: &Leg) -> Result<NewOrder, ApiError> {
    let name = |field: &'static str| leg.name(field);
    let order_type = OrderType::parse(params.require(&name("type"))?)?;
    let side = Side::parse(params.require(leg.side)?)?;
    let quantity = match leg.quantity {
        Some(name) => params.opt_decimal(name)?,
        None => None,
    };
    let need_quantity = || match leg.quantity {
        Some(name) if quantity.is_none() => Err(ApiError::mandatory(name)),
        _ => Ok(()),
    };
    let quote_order_qty = if leg.prefix.is_empty() {
        params.opt_decimal("quoteOrderQty")?
    } else {
        None
    };
    let price_name = name("price");
    let price = params.opt_decimal(&price_name)?;
    let stop_name = name("stopPrice");
    let stop_price = params.opt_decimal(&stop_name)?;
    let trailing_name = name("trailingDelta");
    // Out of the filter's range either way; u32 only keeps it small.
    let trailing_delta = params
        .opt_long(&trailing_name)?
        .map(|delta| u32::try_from(delta).unwrap_or(u32::MAX));
    let tif_name = name("timeInForce");
    let time_in_force = params.get(&tif_name).map(TimeInForce::parse).transpose()?;
    for peg in ["pegPriceType", "pegOffsetValue", "pegOffsetType"] {
        if params.has(&name(peg)) {
            // The symbols' pegInstructionsAllowed is false.
            return Err(ApiError::order_rejected(
                "Pegged orders are not supported for this symbol.",
            ));
        }
    }
    if params.has(&name("icebergQty")) {
        // The symbols' icebergAllowed is false: errors.md's answer for an
        // iceberg on a type that could otherwise carry one.
        if order_type.has_price() {
            return Err(ApiError::order_rejected(
                "Iceberg orders are not supported for this symbol.",
            ));
        }
        return Err(ApiError::not_required(&name("icebergQty")));
    }
    let tif_not_required =
        || ApiError::bad_request(-1114, "TimeInForce parameter sent when not required.");
    let kind = order_type.working_type();
    if order_type.is_algo() {
        if stop_price.is_none() && trailing_delta.is_none() {
            return Err(ApiError::bad_request(
                -1102,
                format!(
                    "Param '{stop_name}' or '{trailing_name}' must be sent, but both were empty/null!"
                ),
            ));
        }
    } else {
        if stop_price.is_some() {
            return Err(ApiError::not_required(&stop_name));
        }
        if trailing_delta.is_some() {
            return Err(ApiError::not_required(&trailing_name));
        }
    }
    let time_in_force = match kind {
        OrderType::Limit => {
            let time_in_force = time_in_force.ok_or_else(|| ApiError::mandatory(&tif_name))?;
            need_quantity()?;
            price.ok_or_else(|| ApiError::mandatory(&price_name))?;
            if quote_order_qty.is_some() {
                return Err(ApiError::not_required("quoteOrderQty"));
            }
            time_in_force
        }
        OrderType::LimitMaker => {
            need_quantity()?;
            price.ok_or_else(|| ApiError::mandatory(&price_name))?;
            if time_in_force.is_some() {
                return Err(tif_not_required());
            }
            if quote_order_qty.is_some() {
                return Err(ApiError::not_required("quoteOrderQty"));
            }
            TimeInForce::Gtc
        }
        _ => {
            if order_type == OrderType::Market {
                match (quantity, quote_order_qty) {
                    (None, None) if leg.quantity.is_some() => {
                        return Err(ApiError::bad_request(
                            -1102,
                            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                        ));
                    }
                    (Some(_), Some(_)) => return Err(ApiError::not_required("quoteOrderQty")),
                    _ => {}
                }
            } else {
                need_quantity()?;
                if quote_order_qty.is_some() {
                    return Err(ApiError::not_required("quoteOrderQty"));
                }
            }
            if price.is_some() {
                return Err(ApiError::not_required(&price_name));
            }
            if time_in_force.is_some() {
                return Err(tif_not_required());
            }
            TimeInForce::Gtc
        }
    };
    let strategy_type = params.opt_long(&name("strategyType"))?;
    if strategy_type.is_some_and(|strategy_type| strategy_type < 1_000_000) {
        return Err(ApiError::bad_request(
            -1134,
            "`strategyType` was less than 1000000.",
        ));
    }
    let strategy_id = params.opt_long(&name("strategyId"))?;
    let client_order_id = new_client_order_id(params, leg.client_order_id)?;
    let mut new = NewOrder::new(symbol, side, order_type);
    new.time_in_force = time_in_force;
    new.quantity = quantity;
    new.quote_order_qty = quote_order_qty;
    new.price = price;
    new.client_order_id = client_order_id;
    new.stop_price = stop_price;
    new.trailing_delta = trailing_delta;
    new.strategy_id = strategy_id;
    new.strategy_type = strategy_type;
    Ok(new)
}

pub(super) fn new_client_order_id(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
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

pub(super) fn order_ref<'a>(
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

pub(super) fn cancel_client_order_id(order_id: u64) -> String {
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

    /// `symbol=BTCUSDT&side=SELL&quantity=1` plus `extra` (`name=value`
    /// pairs separated by `&`).
    fn order(extra: &str) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("symbol".to_owned(), "BTCUSDT".to_owned()),
            ("side".to_owned(), "SELL".to_owned()),
            ("quantity".to_owned(), "1".to_owned()),
        ];
        for pair in extra.split('&') {
            let (name, value) = pair.split_once('=').unwrap();
            pairs.push((name.to_owned(), value.to_owned()));
        }
        pairs
    }

    #[track_caller]
    fn check_type_rule(extra: &str, expected: Result<(), (i64, &str)>) {
        let pairs = order(extra);
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let res = parse_new_order(&Params::from_pairs(&borrowed))
            .map(|_| ())
            .map_err(|err| (err.code, err.msg));
        let expected = expected.map_err(|(code, msg)| (code, msg.to_owned()));
        assert_eq!(res, expected, "{extra}");
    }

    #[test]
    fn stop_types_need_a_stop_price_or_a_trailing_delta() {
        // rest-api.md § New order, mandatory parameters by type.
        let missing =
            "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!";
        check_type_rule("type=STOP_LOSS&stopPrice=90000", Ok(()));
        check_type_rule("type=STOP_LOSS&trailingDelta=100", Ok(()));
        check_type_rule("type=TAKE_PROFIT&stopPrice=1&trailingDelta=100", Ok(()));
        check_type_rule("type=STOP_LOSS", Err((-1102, missing)));
        check_type_rule(
            "type=STOP_LOSS_LIMIT&timeInForce=GTC&price=1&stopPrice=1",
            Ok(()),
        );
        check_type_rule(
            "type=TAKE_PROFIT_LIMIT&price=1&stopPrice=1",
            Err((
                -1102,
                "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
            )),
        );
        check_type_rule(
            "type=STOP_LOSS_LIMIT&timeInForce=GTC&stopPrice=1",
            Err((
                -1102,
                "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
            )),
        );
        check_type_rule(
            "type=STOP_LOSS&stopPrice=1&price=1",
            Err((-1106, "Parameter 'price' sent when not required.")),
        );
        check_type_rule(
            "type=TAKE_PROFIT&stopPrice=1&timeInForce=GTC",
            Err((-1114, "TimeInForce parameter sent when not required.")),
        );
        check_type_rule(
            "type=LIMIT&timeInForce=GTC&price=1&stopPrice=1",
            Err((-1106, "Parameter 'stopPrice' sent when not required.")),
        );
        check_type_rule(
            "type=LIMIT_MAKER&price=1&trailingDelta=10",
            Err((-1106, "Parameter 'trailingDelta' sent when not required.")),
        );
        check_type_rule(
            "type=STOP_LOSS_LIMIT&timeInForce=GTC&price=1&stopPrice=1&icebergQty=0.1",
            Err((-2010, "Iceberg orders are not supported for this symbol.")),
        );
        check_type_rule(
            "type=LIMIT&timeInForce=GTC&price=1&pegPriceType=PRIMARY_PEG",
            Err((-2010, "Pegged orders are not supported for this symbol.")),
        );
        check_type_rule("type=MARKET&selfTradePreventionMode=EXPIRE_BOTH", Ok(()));
        check_type_rule(
            "type=MARKET&selfTradePreventionMode=BOTH",
            Err((
                -1130,
                "Data sent for parameter 'selfTradePreventionMode' is not valid.",
            )),
        );
    }

    #[test]
    fn list_legs_read_their_prefixed_parameters() {
        const ABOVE: Leg = Leg {
            prefix: "pendingAbove",
            side: "pendingSide",
            quantity: Some("pendingQuantity"),
            client_order_id: "pendingAboveClientOrderId",
        };
        let params = Params::from_pairs(&[
            ("pendingSide", "SELL"),
            ("pendingQuantity", "2"),
            ("pendingAboveType", "STOP_LOSS_LIMIT"),
            ("pendingAbovePrice", "10"),
            ("pendingAboveStopPrice", "11"),
            ("pendingAboveClientOrderId", "mine"),
        ]);
        let err = read_leg(&params, "BTCUSDT", &ABOVE).unwrap_err();
        assert_eq!(
            err.msg,
            "Mandatory parameter 'pendingAboveTimeInForce' was not sent, was empty/null, or malformed."
        );
        let mut pairs: Vec<(&str, &str)> = vec![
            ("pendingSide", "SELL"),
            ("pendingQuantity", "2"),
            ("pendingAboveType", "STOP_LOSS_LIMIT"),
            ("pendingAbovePrice", "10"),
            ("pendingAboveStopPrice", "11"),
            ("pendingAboveClientOrderId", "mine"),
        ];
        pairs.push(("pendingAboveTimeInForce", "IOC"));
        let leg = read_leg(&Params::from_pairs(&pairs), "BTCUSDT", &ABOVE).unwrap();
        assert_eq!(leg.order_type, OrderType::StopLossLimit);
        assert_eq!(leg.time_in_force, TimeInForce::Ioc);
        assert_eq!(leg.quantity, Some(Decimal::from(2)));
        assert_eq!(leg.stop_price, Some(Decimal::from(11)));
        assert_eq!(leg.client_order_id.as_deref(), Some("mine"));
        assert!(
            ABOVE
                .names()
                .contains(&"pendingAboveTrailingDelta".to_owned())
        );
    }
}
