//! Signed reads: account, commission rates, order counts, trades, orders.

use rust_decimal::Decimal;

use super::market::to_ms;
use crate::error::ApiError;
use crate::exchange::{Caller, Exchange};
use crate::params::Params;
use crate::wire::{self, dec};

/// `GET /api/v3/account`.
pub fn account(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::AccountInfo, ApiError> {
    params.only(&["omitZeroBalances"])?;
    let omit_zero = params.opt_bool("omitZeroBalances")?.unwrap_or(false);
    let engine = exchange.engine();
    let account = engine
        .account(caller.uid)
        .ok_or_else(ApiError::rejected_key)?;
    let rates = engine.commission();
    let bps = |rate: Decimal| {
        (rate * Decimal::from(10_000))
            .trunc()
            .try_into()
            .unwrap_or(0_u32)
    };
    let balances = account
        .balances
        .iter()
        .filter(|(_, balance)| !omit_zero || !(balance.free + balance.locked).is_zero())
        .map(|(asset, balance)| wire::BalanceEntry {
            asset: asset.clone(),
            free: dec(balance.free),
            locked: dec(balance.locked),
        })
        .collect();
    Ok(wire::AccountInfo {
        maker_commission: bps(rates.maker),
        taker_commission: bps(rates.taker),
        buyer_commission: 0,
        seller_commission: 0,
        commission_rates: wire::CommissionRates {
            maker: dec(rates.maker),
            taker: dec(rates.taker),
            buyer: dec(Decimal::ZERO),
            seller: dec(Decimal::ZERO),
        },
        can_trade: caller.permissions.enable_spot_and_margin_trading,
        can_withdraw: caller.permissions.enable_withdrawals,
        can_deposit: true,
        brokered: false,
        require_self_trade_prevention: false,
        prevent_sor: false,
        update_time: account.update_time,
        account_type: "SPOT",
        balances,
        permissions: ["SPOT"],
        uid: caller.uid,
    })
}

/// `GET /api/v3/account/commission`.
pub fn commission(
    exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<wire::AccountCommission, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.symbol()?;
    let engine = exchange.engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let rates = engine.commission();
    let zero = || dec(Decimal::ZERO);
    let four = |maker: String, taker: String| wire::FourRates {
        maker,
        taker,
        buyer: zero(),
        seller: zero(),
    };
    Ok(wire::AccountCommission {
        symbol: symbol.to_owned(),
        standard_commission: four(dec(rates.maker), dec(rates.taker)),
        special_commission: four(zero(), zero()),
        tax_commission: four(zero(), zero()),
        discount: discount(),
    })
}

/// The BNB discount every sandbox account has.
pub fn discount() -> wire::Discount {
    wire::Discount {
        enabled_for_account: true,
        enabled_for_symbol: true,
        discount_asset: "BNB",
        discount: dec(Decimal::new(25, 2)),
    }
}

/// `GET /api/v3/rateLimit/order`.
pub fn rate_limit_order(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::RateLimit>, ApiError> {
    params.only(&[])?;
    let now = exchange.now_ms();
    let mut limiter = exchange.limiter();
    let (ten, day) = limiter.order_counts(caller.uid, now);
    let config = limiter.config().clone();
    Ok(vec![
        wire::RateLimit {
            rate_limit_type: "ORDERS",
            interval: "SECOND",
            interval_num: 10,
            limit: config.orders_per_10s,
            count: Some(ten),
        },
        wire::RateLimit {
            rate_limit_type: "ORDERS",
            interval: "DAY",
            interval_num: 1,
            limit: config.orders_per_day,
            count: Some(day),
        },
    ])
}

/// `GET /api/v3/myTrades`.
pub fn my_trades(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::MyTrade>, ApiError> {
    params.only(&[
        "symbol",
        "orderId",
        "startTime",
        "endTime",
        "fromId",
        "limit",
    ])?;
    let symbol = params.symbol()?;
    let order_id = params.opt_long("orderId")?;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    let from_id = params.opt_long("fromId")?;
    let limit = params.limit(500, 1000)? as usize;
    check_at_most_a_day(start, end)?;
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let Some(account) = engine.account(caller.uid) else {
        return Ok(Vec::new());
    };
    let selected: Vec<_> = account
        .trades
        .iter()
        .filter(|t| t.symbol == symbol)
        .filter(|t| order_id.is_none_or(|id| t.order_id as i64 == id))
        .filter(|t| start.is_none_or(|start| t.time >= start))
        .filter(|t| end.is_none_or(|end| t.time <= end))
        .filter(|t| from_id.is_none_or(|from| t.id as i64 >= from))
        .collect();
    let take_first = from_id.is_some() || start.is_some();
    let slice = if take_first {
        &selected[..limit.min(selected.len())]
    } else {
        &selected[selected.len().saturating_sub(limit)..]
    };
    Ok(slice.iter().map(|t| wire::MyTrade::from(*t)).collect())
}

/// `GET /api/v3/allOrders`.
pub fn all_orders(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::OrderView>, ApiError> {
    params.only(&["symbol", "orderId", "startTime", "endTime", "limit"])?;
    let symbol = params.symbol()?;
    let order_id = params.opt_long("orderId")?;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    let limit = params.limit(500, 1000)? as usize;
    check_at_most_a_day(start, end)?;
    let engine = exchange.advance_engine();
    engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let selected: Vec<_> = engine
        .account_orders(caller.uid, Some(symbol))
        .into_iter()
        .filter(|o| order_id.is_none_or(|id| o.order_id as i64 >= id))
        .filter(|o| start.is_none_or(|start| o.time >= start))
        .filter(|o| end.is_none_or(|end| o.time <= end))
        .collect();
    let slice = if order_id.is_some() || start.is_some() {
        &selected[..limit.min(selected.len())]
    } else {
        &selected[selected.len().saturating_sub(limit)..]
    };
    Ok(slice.iter().map(|o| wire::OrderView::from(*o)).collect())
}

/// `-1127` when `startTime` and `endTime` are more than 24 hours apart.
pub(super) fn check_at_most_a_day(start: Option<i64>, end: Option<i64>) -> Result<(), ApiError> {
    match (start, end) {
        (Some(start), Some(end)) if end - start > 86_400_000 => Err(ApiError::bad_request(
            -1127,
            "More than 24 hours between startTime and endTime.",
        )),
        _ => Ok(()),
    }
}
