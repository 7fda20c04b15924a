//! Smart order routing: place and test an order through SOR, and the
//! allocations it made (rest-api.md § SOR, § Query Allocations). Routing
//! itself is the engine's ([`crate::engine::Engine::place_sor`]).

use super::account::check_at_most_a_day;
use super::market::to_ms;
use super::trade::{TestOrderAnswer, commission_for_order, new_order_response, parse_new_order};
use crate::engine::NewOrder;
use crate::error::ApiError;
use crate::exchange::{Caller, Exchange};
use crate::model::RespType;
use crate::params::Params;
use crate::wire::{self, Empty};

/// The parameters of `POST /api/v3/sor/order`: no `quoteOrderQty`, no stop,
/// trailing or peg parameters.
const SOR_ORDER_PARAMS: &[&str] = &[
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "price",
    "newClientOrderId",
    "strategyId",
    "strategyType",
    "icebergQty",
    "newOrderRespType",
    "selfTradePreventionMode",
];

/// `POST /api/v3/sor/order`, `sor.order.place`.
pub fn sor_order(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::NewOrderResponse, ApiError> {
    params.only(SOR_ORDER_PARAMS)?;
    let (new, resp_type) = parse_sor_order(params)?;
    exchange.engine().check_sor(&new)?;
    let now = exchange.now_ms();
    exchange.limiter().count_order(caller.uid, now)?;
    let (order, fills) = exchange.advance_engine().place_sor(caller.uid, &new, now)?;
    Ok(new_order_response(&order, &fills, resp_type, now))
}

/// `POST /api/v3/sor/order/test`, `sor.order.test`.
pub fn sor_order_test(
    exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<TestOrderAnswer, ApiError> {
    let mut allowed = SOR_ORDER_PARAMS.to_vec();
    allowed.push("computeCommissionRates");
    params.only(&allowed)?;
    let (new, _) = parse_sor_order(params)?;
    let compute = params.opt_bool("computeCommissionRates")?.unwrap_or(false);
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    engine.check_sor(&new)?;
    engine.validate(&new, now)?;
    if !compute {
        return Ok(TestOrderAnswer::Empty(Empty {}));
    }
    Ok(TestOrderAnswer::Commission(commission_for_order(
        engine.commission(),
        false,
    )))
}

/// `GET /api/v3/myAllocations`, `myAllocations`: the caller's allocations
/// on `symbol`, in the documented parameter combinations (oldest first,
/// except `endTime` alone: the newest until then).
pub fn my_allocations(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::AllocationView>, ApiError> {
    params.only(&[
        "symbol",
        "startTime",
        "endTime",
        "fromAllocationId",
        "limit",
        "orderId",
    ])?;
    let symbol = params.symbol()?;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    let from_id = params.opt_long("fromAllocationId")?;
    let order_id = params.opt_long("orderId")?;
    let limit = params.limit(500, 1000)? as usize;
    check_at_most_a_day(start, end)?;
    let by_time = start.is_some() || end.is_some();
    if by_time && (from_id.is_some() || order_id.is_some()) {
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
    let Some(account) = engine.account(caller.uid) else {
        return Ok(Vec::new());
    };
    let selected: Vec<_> = account
        .allocations
        .iter()
        .filter(|a| a.symbol == symbol)
        .filter(|a| order_id.is_none_or(|id| a.order_id as i64 == id))
        .filter(|a| from_id.is_none_or(|from| a.allocation_id as i64 >= from))
        .filter(|a| start.is_none_or(|start| a.time >= start))
        .filter(|a| end.is_none_or(|end| a.time <= end))
        .collect();
    let newest = end.is_some() && start.is_none();
    let slice = if newest {
        &selected[selected.len().saturating_sub(limit)..]
    } else {
        &selected[..limit.min(selected.len())]
    };
    Ok(slice
        .iter()
        .map(|allocation| wire::AllocationView::from(*allocation))
        .collect())
}

/// Reads a SOR order: `quantity` is mandatory for both types; types other
/// than `LIMIT` and `MARKET` are `-1014` (checked with the symbol by
/// [`crate::engine::Engine::check_sor`]), unknown ones `-1116`.
fn parse_sor_order(params: &Params) -> Result<(NewOrder, Option<RespType>), ApiError> {
    params.symbol()?;
    params.require("side")?;
    match params.require("type")? {
        "LIMIT" | "MARKET" => {}
        "LIMIT_MAKER" | "STOP_LOSS" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT" | "TAKE_PROFIT_LIMIT" => {
            return Err(ApiError::bad_request(
                -1014,
                "Unsupported order combination.",
            ));
        }
        _ => return Err(ApiError::bad_request(-1116, "Invalid orderType.")),
    }
    params.require("quantity")?;
    parse_new_order(params)
}
