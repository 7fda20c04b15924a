//! Order lists (OCO, OTO, OTOCO, OPO, OPOCO and the deprecated
//! `order/oco`), Order
//! Amend Keep Priority, prevented matches and the account's filters.
//!
//! Order lists answer ACK-shaped `orderReports` unless `newOrderRespType`
//! asks for more (the default of every order type but `MARKET` and
//! `LIMIT`, rest-api.md § New order).

use rust_decimal::Decimal;

use super::account::check_at_most_a_day;
use super::market::to_ms;
use super::trade::{
    Leg, cancel_client_order_id, new_client_order_id, new_order_response, order_ref, read_leg,
    resp_type, stp_mode,
};
use crate::engine::{
    ListKind, MAX_NUM_ALGO_ORDERS, MAX_NUM_ORDER_AMENDS, MAX_NUM_ORDER_LISTS, MAX_NUM_ORDERS,
    NewList, NewOrder, OrderList, PlacedList,
};
use crate::error::ApiError;
use crate::exchange::{Caller, EngineGuard, Exchange};
use crate::model::{OrderType, RespType, Side, TimeInForce};
use crate::params::Params;
use crate::wire::{self, Empty};

/// A placed or canceled list with its order reports.
pub type ListAnswer<R> = wire::OrderListView<R>;

const LIST_PARAMS: &[&str] = &[
    "symbol",
    "listClientOrderId",
    "newOrderRespType",
    "selfTradePreventionMode",
];

const ABOVE: Leg = Leg {
    prefix: "above",
    side: "side",
    quantity: Some("quantity"),
    client_order_id: "aboveClientOrderId",
};
const BELOW: Leg = Leg {
    prefix: "below",
    side: "side",
    quantity: Some("quantity"),
    client_order_id: "belowClientOrderId",
};
const WORKING: Leg = Leg {
    prefix: "working",
    side: "workingSide",
    quantity: Some("workingQuantity"),
    client_order_id: "workingClientOrderId",
};
const PENDING: Leg = Leg {
    prefix: "pending",
    side: "pendingSide",
    quantity: Some("pendingQuantity"),
    client_order_id: "pendingClientOrderId",
};
const PENDING_ABOVE: Leg = Leg {
    prefix: "pendingAbove",
    side: "pendingSide",
    quantity: Some("pendingQuantity"),
    client_order_id: "pendingAboveClientOrderId",
};
const PENDING_BELOW: Leg = Leg {
    prefix: "pendingBelow",
    side: "pendingSide",
    quantity: Some("pendingQuantity"),
    client_order_id: "pendingBelowClientOrderId",
};
// An OPO's pending orders have no quantity: they sell what the working
// order bought (faqs/opo.md).
const OPO_PENDING: Leg = Leg {
    quantity: None,
    ..PENDING
};
const OPO_PENDING_ABOVE: Leg = Leg {
    quantity: None,
    ..PENDING_ABOVE
};
const OPO_PENDING_BELOW: Leg = Leg {
    quantity: None,
    ..PENDING_BELOW
};

/// Checks that only the list's and the legs' parameters were sent.
fn only(params: &Params, legs: &[&Leg]) -> Result<(), ApiError> {
    let mut names: Vec<String> = LIST_PARAMS.iter().map(|name| (*name).to_owned()).collect();
    for leg in legs {
        names.extend(leg.names());
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    params.only(&names)
}

/// A leg with the list's self-trade prevention mode.
fn leg(params: &Params, symbol: &str, leg: &Leg) -> Result<NewOrder, ApiError> {
    let mut new = read_leg(params, symbol, leg)?;
    new.stp_mode = stp_mode(params)?;
    Ok(new)
}

/// `-1158` unless the leg's type is one an OCO leg may have.
fn oco_leg_type(new: &NewOrder) -> Result<(), ApiError> {
    if new.order_type.is_algo() || new.order_type == OrderType::LimitMaker {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            -1158,
            "Order type not supported in OCO.",
        ))
    }
}

/// The working order of an OTO or OTOCO: `LIMIT` or `LIMIT_MAKER`.
fn working_leg(params: &Params, symbol: &str) -> Result<NewOrder, ApiError> {
    let working = leg(params, symbol, &WORKING)?;
    if !matches!(working.order_type, OrderType::Limit | OrderType::LimitMaker) {
        return Err(ApiError::invalid_value("workingType"));
    }
    Ok(working)
}

/// `POST /api/v3/orderList/oco`, `orderList.place.oco`.
pub fn place_oco(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    only(params, &[&ABOVE, &BELOW])?;
    let symbol = params.symbol()?;
    params.require("quantity")?;
    let above = leg(params, symbol, &ABOVE)?;
    let below = leg(params, symbol, &BELOW)?;
    oco_leg_type(&above)?;
    oco_leg_type(&below)?;
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Oco { below, above },
        legacy: false,
    };
    place(exchange, caller, params, &new, 2)
}

/// `POST /api/v3/orderList/oto`, `orderList.place.oto`.
pub fn place_oto(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    only(params, &[&WORKING, &PENDING])?;
    let symbol = params.symbol()?;
    let working = working_leg(params, symbol)?;
    let pending = leg(params, symbol, &PENDING)?;
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Oto {
            working,
            pending,
            opo: false,
        },
        legacy: false,
    };
    place(exchange, caller, params, &new, 2)
}

/// `POST /api/v3/orderList/opo`, `orderList.place.opo`: an OTO whose
/// pending order sells what the working order bought.
pub fn place_opo(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    only(params, &[&WORKING, &OPO_PENDING])?;
    let symbol = params.symbol()?;
    let working = working_leg(params, symbol)?;
    let pending = leg(params, symbol, &OPO_PENDING)?;
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Oto {
            working,
            pending,
            opo: true,
        },
        legacy: false,
    };
    place(exchange, caller, params, &new, 2)
}

/// `POST /api/v3/orderList/otoco`, `orderList.place.otoco`.
pub fn place_otoco(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    only(params, &[&WORKING, &PENDING_ABOVE, &PENDING_BELOW])?;
    let symbol = params.symbol()?;
    let working = working_leg(params, symbol)?;
    let above = leg(params, symbol, &PENDING_ABOVE)?;
    let below = leg(params, symbol, &PENDING_BELOW)?;
    oco_leg_type(&above)?;
    oco_leg_type(&below)?;
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Otoco {
            working,
            below,
            above,
            opo: false,
        },
        legacy: false,
    };
    place(exchange, caller, params, &new, 3)
}

/// `POST /api/v3/orderList/opoco`, `orderList.place.opoco`: an OTOCO whose
/// pending pair sells what the working order bought.
pub fn place_opoco(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    only(params, &[&WORKING, &OPO_PENDING_ABOVE, &OPO_PENDING_BELOW])?;
    let symbol = params.symbol()?;
    let working = working_leg(params, symbol)?;
    let above = leg(params, symbol, &OPO_PENDING_ABOVE)?;
    let below = leg(params, symbol, &OPO_PENDING_BELOW)?;
    oco_leg_type(&above)?;
    oco_leg_type(&below)?;
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Otoco {
            working,
            below,
            above,
            opo: true,
        },
        legacy: false,
    };
    place(exchange, caller, params, &new, 3)
}

/// `POST /api/v3/order/oco` (deprecated), `orderList.place`: a
/// `LIMIT_MAKER` at `price` and a `STOP_LOSS` at `stopPrice` (or a
/// `STOP_LOSS_LIMIT` at `stopLimitPrice`).
pub fn place_legacy_oco(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    let mut allowed = LIST_PARAMS.to_vec();
    allowed.extend([
        "side",
        "quantity",
        "limitClientOrderId",
        "price",
        "limitStrategyId",
        "limitStrategyType",
        "limitIcebergQty",
        "trailingDelta",
        "stopClientOrderId",
        "stopPrice",
        "stopStrategyId",
        "stopStrategyType",
        "stopLimitPrice",
        "stopIcebergQty",
        "stopLimitTimeInForce",
    ]);
    params.only(&allowed)?;
    let symbol = params.symbol()?;
    let side = Side::parse(params.require("side")?)?;
    let quantity = params
        .opt_decimal("quantity")?
        .ok_or_else(|| ApiError::mandatory("quantity"))?;
    let price = params
        .opt_decimal("price")?
        .ok_or_else(|| ApiError::mandatory("price"))?;
    let stop_price = params
        .opt_decimal("stopPrice")?
        .ok_or_else(|| ApiError::mandatory("stopPrice"))?;
    let stop_limit_price = params.opt_decimal("stopLimitPrice")?;
    let stop_tif = params
        .get("stopLimitTimeInForce")
        .map(TimeInForce::parse)
        .transpose()?;
    for iceberg in ["limitIcebergQty", "stopIcebergQty"] {
        if params.has(iceberg) {
            return Err(ApiError::order_rejected(
                "Iceberg orders are not supported for this symbol.",
            ));
        }
    }
    let strategy_type = |name: &str| -> Result<Option<i64>, ApiError> {
        let value = params.opt_long(name)?;
        if value.is_some_and(|value| value < 1_000_000) {
            return Err(ApiError::bad_request(
                -1134,
                "`strategyType` was less than 1000000.",
            ));
        }
        Ok(value)
    };
    let stp = stp_mode(params)?;
    let mut limit = NewOrder::new(symbol, side, OrderType::LimitMaker);
    limit.quantity = Some(quantity);
    limit.price = Some(price);
    limit.client_order_id = new_client_order_id(params, "limitClientOrderId")?;
    limit.strategy_id = params.opt_long("limitStrategyId")?;
    limit.strategy_type = strategy_type("limitStrategyType")?;
    limit.stp_mode = stp;
    let stop_type = match (stop_limit_price, stop_tif) {
        (Some(_), Some(_)) => OrderType::StopLossLimit,
        (Some(_), None) => return Err(ApiError::mandatory("stopLimitTimeInForce")),
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                -1114,
                "TimeInForce parameter sent when not required.",
            ));
        }
        (None, None) => OrderType::StopLoss,
    };
    let mut stop = NewOrder::new(symbol, side, stop_type);
    stop.quantity = Some(quantity);
    stop.price = stop_limit_price;
    stop.time_in_force = stop_tif.unwrap_or(TimeInForce::Gtc);
    stop.stop_price = Some(stop_price);
    stop.trailing_delta = params
        .opt_long("trailingDelta")?
        .map(|delta| u32::try_from(delta).unwrap_or(u32::MAX));
    stop.client_order_id = new_client_order_id(params, "stopClientOrderId")?;
    stop.strategy_id = params.opt_long("stopStrategyId")?;
    stop.strategy_type = strategy_type("stopStrategyType")?;
    stop.stp_mode = stp;
    let (below, above) = match side {
        Side::Sell => (stop, limit),
        Side::Buy => (limit, stop),
    };
    let new = NewList {
        symbol: symbol.to_owned(),
        list_client_order_id: new_client_order_id(params, "listClientOrderId")?,
        kind: ListKind::Oco { below, above },
        legacy: true,
    };
    place(exchange, caller, params, &new, 2)
}

/// Places a list of `orders` orders and renders it.
fn place(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
    new: &NewList,
    orders: u32,
) -> Result<ListAnswer<wire::NewOrderResponse>, ApiError> {
    let resp_type = resp_type(params)?.unwrap_or(RespType::Ack);
    let now = exchange.now_ms();
    exchange
        .engine()
        .market()
        .get(&new.symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    exchange.limiter().count_orders(caller.uid, now, orders)?;
    let mut engine = exchange.advance_engine();
    let placed = engine.place_list(caller.uid, new, now)?;
    let reports = placed
        .orders
        .iter()
        .map(|order| {
            let fills = if placed.list.working == Some(order.order_id) {
                placed.fills.as_slice()
            } else {
                &[]
            };
            new_order_response(order, fills, Some(resp_type), now)
        })
        .collect();
    Ok(list_view(&engine, &placed.list).with_reports(reports))
}

fn list_view<R>(engine: &EngineGuard<'_>, list: &OrderList) -> wire::OrderListView<R> {
    wire::OrderListView::new(list, &engine.list_client_ids(list))
}

/// Finds the caller's list by `orderListId` or its client ID (`name`).
fn find_list<'a>(
    engine: &'a EngineGuard<'_>,
    uid: u64,
    params: &Params,
    client_name: &str,
) -> Result<Option<&'a OrderList>, ApiError> {
    let list_id = params.opt_long("orderListId")?;
    let client_id = params.get(client_name);
    if list_id.is_none() && client_id.is_none() {
        return Err(ApiError::bad_request(
            -1102,
            format!(
                "Param 'orderListId' or '{client_name}' must be sent, but both were empty/null!"
            ),
        ));
    }
    let lists = engine.account_lists(uid);
    let found = match list_id {
        Some(id) => lists
            .into_iter()
            .find(|list| list.order_list_id as i64 == id),
        None => lists
            .into_iter()
            .rev()
            .find(|list| Some(list.list_client_order_id.as_str()) == client_id),
    };
    Ok(found.filter(|list| client_id.is_none_or(|id| id == list.list_client_order_id)))
}

/// `DELETE /api/v3/orderList`, `orderList.cancel`.
pub fn cancel_list(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<wire::CancelResponse>, ApiError> {
    params.only(&[
        "symbol",
        "orderListId",
        "listClientOrderId",
        "newClientOrderId",
    ])?;
    let symbol = params.symbol()?;
    let cancel_id = new_client_order_id(params, "newClientOrderId")?;
    let now = exchange.now_ms();
    let mut engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let list_id = find_list(&engine, caller.uid, params, "listClientOrderId")?
        .filter(|list| list.symbol == symbol)
        .map(|list| list.order_list_id)
        .ok_or_else(ApiError::cancel_unknown)?;
    let PlacedList { list, orders, .. } = engine.cancel_list(caller.uid, list_id, now)?;
    let cancel_id = cancel_id.unwrap_or_else(|| cancel_client_order_id(list_id));
    let reports = orders
        .iter()
        .map(|order| wire::CancelResponse::new(order, cancel_id.clone(), now))
        .collect();
    Ok(list_view(&engine, &list).with_reports(reports))
}

/// `GET /api/v3/orderList`, `orderList.status`.
pub fn query_list(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<ListAnswer<Empty>, ApiError> {
    params.only(&["orderListId", "origClientOrderId"])?;
    let engine = exchange.advance_engine();
    let list = find_list(&engine, caller.uid, params, "origClientOrderId")?
        .ok_or_else(ApiError::no_such_order)?;
    Ok(list_view(&engine, list))
}

/// `GET /api/v3/allOrderList`, `allOrderLists`: oldest first; `fromId`
/// from that list on, otherwise the newest `limit` in the time range.
pub fn all_lists(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<ListAnswer<Empty>>, ApiError> {
    params.only(&["fromId", "startTime", "endTime", "limit"])?;
    let from_id = params.opt_long("fromId")?;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    let limit = params.limit(500, 1000)? as usize;
    check_at_most_a_day(start, end)?;
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let engine = exchange.advance_engine();
    let selected: Vec<&OrderList> = engine
        .account_lists(caller.uid)
        .into_iter()
        .filter(|list| from_id.is_none_or(|id| list.order_list_id as i64 >= id))
        .filter(|list| start.is_none_or(|start| list.transaction_time >= start))
        .filter(|list| end.is_none_or(|end| list.transaction_time <= end))
        .collect();
    let slice = if from_id.is_some() || start.is_some() {
        &selected[..limit.min(selected.len())]
    } else {
        &selected[selected.len().saturating_sub(limit)..]
    };
    Ok(slice.iter().map(|list| list_view(&engine, list)).collect())
}

/// `GET /api/v3/openOrderList`, `openOrderLists.status`.
pub fn open_lists(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<ListAnswer<Empty>>, ApiError> {
    params.only(&[])?;
    let engine = exchange.advance_engine();
    Ok(engine
        .account_lists(caller.uid)
        .into_iter()
        .filter(|list| list.is_open())
        .map(|list| list_view(&engine, list))
        .collect())
}

/// `PUT /api/v3/order/amend/keepPriority`, `order.amend.keepPriority`.
pub fn amend_keep_priority(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::AmendResponse, ApiError> {
    params.only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "newQty",
    ])?;
    let symbol = params.symbol()?;
    let (order_id, client_order_id) = order_ref(params, "orderId", "origClientOrderId")?;
    let new_client_id = new_client_order_id(params, "newClientOrderId")?;
    let new_qty = params
        .opt_decimal("newQty")?
        .ok_or_else(|| ApiError::mandatory("newQty"))?;
    if new_qty <= Decimal::ZERO {
        return Err(ApiError::invalid_value("newQty"));
    }
    let now = exchange.now_ms();
    let mut engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let order_id = engine
        .find_order(caller.uid, symbol, order_id, client_order_id)
        .map(|order| order.order_id)
        .ok_or_else(|| ApiError::bad_request(-2038, "Unknown order sent."))?;
    let amended = engine.amend(caller.uid, order_id, new_qty, new_client_id, now)?;
    let list_status = amended.list.as_ref().map(|list| list_view(&engine, list));
    Ok(wire::AmendResponse {
        transact_time: now,
        execution_id: amended.execution_id,
        amended_order: wire::AmendedOrder::new(&amended.order, amended.orig_client_order_id),
        list_status,
    })
}

/// `GET /api/v3/order/amendments`, `order.amendments`: oldest first.
pub fn amendments(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::AmendmentView>, ApiError> {
    params.only(&["symbol", "orderId", "fromExecutionId", "limit"])?;
    let symbol = params.symbol()?;
    let order_id = params
        .opt_long("orderId")?
        .ok_or_else(|| ApiError::mandatory("orderId"))?;
    let from = params.opt_long("fromExecutionId")?;
    let limit = params.limit(500, 1000)? as usize;
    let engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let order = engine
        .find_order(caller.uid, symbol, Some(order_id as u64), None)
        .ok_or_else(ApiError::no_such_order)?;
    Ok(order
        .amendments
        .iter()
        .filter(|amendment| from.is_none_or(|from| amendment.execution_id as i64 >= from))
        .take(limit)
        .map(|amendment| wire::AmendmentView::new(order, amendment))
        .collect())
}

/// `GET /api/v3/myPreventedMatches`, `myPreventedMatches`, with the
/// documented combinations: `preventedMatchId`, or `orderId` (with
/// `fromPreventedMatchId` and `limit`). Others are `-1128`.
pub fn prevented_matches(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::PreventedMatchView>, ApiError> {
    params.only(&[
        "symbol",
        "preventedMatchId",
        "orderId",
        "fromPreventedMatchId",
        "limit",
    ])?;
    let symbol = params.symbol()?;
    let match_id = params.opt_long("preventedMatchId")?;
    let order_id = params.opt_long("orderId")?;
    let from = params.opt_long("fromPreventedMatchId")?;
    let limit = params.limit(500, 1000)? as usize;
    let valid = match (match_id, order_id) {
        (Some(_), None) => from.is_none() && !params.has("limit"),
        (None, Some(_)) => true,
        _ => false,
    };
    if !valid {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let engine = exchange.engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(engine
        .prevented_matches(caller.uid, symbol)
        .into_iter()
        .filter(|m| match_id.is_none_or(|id| m.prevented_match_id as i64 == id))
        .filter(|m| {
            order_id.is_none_or(|id| m.taker_order_id as i64 == id || m.maker_order_id as i64 == id)
        })
        .filter(|m| from.is_none_or(|from| m.prevented_match_id as i64 >= from))
        .take(limit)
        .map(wire::PreventedMatchView::from)
        .collect())
}

/// `GET /api/v3/myFilters`, `myFilters`: the symbol's account-level limits
/// (the sandbox has no exchange or asset filters, no `MAX_ASSET`).
pub fn my_filters(
    exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<wire::MyFilters, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.symbol()?;
    exchange
        .engine()
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(wire::MyFilters {
        exchange_filters: Vec::new(),
        symbol_filters: vec![
            wire::Filter::MaxNumOrders {
                max_num_orders: MAX_NUM_ORDERS as u32,
            },
            wire::Filter::MaxNumAlgoOrders {
                max_num_algo_orders: MAX_NUM_ALGO_ORDERS as u32,
            },
            wire::Filter::MaxNumOrderLists {
                max_num_order_lists: MAX_NUM_ORDER_LISTS as u32,
            },
            wire::Filter::MaxNumOrderAmends {
                max_num_order_amends: MAX_NUM_ORDER_AMENDS as u32,
            },
        ],
        asset_filters: Vec::new(),
    })
}
