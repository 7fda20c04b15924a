//! Pre-flight checks: would the server accept this order? Answered from
//! the symbol's `exchangeInfo` entry, the account's `myFilters` and what is
//! known of the market and the account, without sending anything.
//!
//! [`validate`] returns every [`FilterFailure`], most important first, each
//! naming the filter, the field, the rule and the nearest values that pass;
//! [`check`] also says which checks it could not run for want of data
//! (an average price, the open-order counts). [`suggest`] turns an order
//! into the nearest one that passes; [`round_price`] and [`round_quantity`]
//! round to a symbol's grid, and [`round_to_step`] to any grid, in exact
//! decimals that keep the grid's scale. [`check_operation`] says whether the
//! symbol allows OCO and OTO lists, cancel-replace and amendments.
//!
//! ```
//! use mbx_domain::model::{NewOrder, Side, SymbolInfo};
//! use mbx_domain::preflight::{self, Check, Context};
//!
//! let symbol: SymbolInfo = serde_json::from_str(r#"{
//!     "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
//!     "baseAssetPrecision": 8, "quoteAssetPrecision": 8,
//!     "orderTypes": ["LIMIT", "MARKET"],
//!     "filters": [
//!       {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
//!       {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"},
//!       {"filterType": "NOTIONAL", "minNotional": "5", "applyMinToMarket": true,
//!        "maxNotional": "9000000", "applyMaxToMarket": false, "avgPriceMins": 5}
//!     ]}"#).unwrap();
//! let order = NewOrder::limit("BTCUSDT", Side::Buy, "0.0000123".parse().unwrap(), "97000.005".parse().unwrap());
//!
//! let failures = preflight::validate(&symbol, &order, &Context::default()).unwrap_err();
//! assert_eq!(failures[0].check, Check::PriceFilter);
//! assert_eq!(
//!     failures[0].to_string(),
//!     "PRICE_FILTER: price 97000.005 is not a multiple of tickSize 0.01: use 97000.01 or 97000.00"
//! );
//! assert_eq!(failures[1].to_string(), "LOT_SIZE: quantity 0.0000123 is not a multiple of stepSize 0.00001: use 0.00001 or 0.00002");
//!
//! let fixed = preflight::suggest(&symbol, &order, &Context::default()).unwrap();
//! assert_eq!(fixed.price.unwrap().to_string(), "97000.01");
//! assert_eq!(fixed.quantity.unwrap().to_string(), "0.00006"); // 5.82 USDT ≥ minNotional 5
//! ```
//!
//! The rules, from `shared/binance-docs/filters.md` and errors.md:
//!
//! 1. The symbol: `status` must be `TRADING`; `isSpotTradingAllowed`,
//!    `permissionSets` (when the account's permissions are known), the type
//!    in `orderTypes`, and `icebergAllowed`, `quoteOrderQtyMarketAllowed`,
//!    `allowTrailingStop` for the parameters that need them.
//! 2. The parameters each type needs and refuses (rest-api.md § New order).
//! 3. Precision (`-1111`): `quantity` and `icebergQty` within
//!    `baseAssetPrecision` decimals; `price`, `stopPrice` and
//!    `quoteOrderQty` within `quoteAssetPrecision` (the CHANGELOG of
//!    2023-12-04 gives the base-asset example; the quote side is our
//!    reading). Decimals are counted without trailing zeros, as
//!    [`NewOrder::params`] sends them.
//! 4. `PRICE_FILTER` on `price` and `stopPrice`; a zero bound or tick
//!    disables that rule.
//! 5. `PERCENT_PRICE` and `PERCENT_PRICE_BY_SIDE` on `price`, around the
//!    [market price](Context::market_price).
//! 6. `LOT_SIZE` on `quantity` and `icebergQty`; `MARKET_LOT_SIZE` on the
//!    `quantity` of MARKET orders. A zero `stepSize` or `maxQty` disables
//!    that rule (filters.md says so only for `PRICE_FILTER`; exchangeInfo
//!    sends `MARKET_LOT_SIZE` with zero step and minimum).
//! 7. `MIN_NOTIONAL` and `NOTIONAL` on `price × quantity`: MARKET orders
//!    use the market price and are checked only where `applyToMarket`,
//!    `applyMinToMarket`, `applyMaxToMarket` say; a `quoteOrderQty` is the
//!    notional itself. `STOP_LOSS` and `TAKE_PROFIT` run as MARKET orders;
//!    we price them at `stopPrice` when sent (the docs leave this open).
//!    A zero `maxNotional` disables the maximum.
//! 8. `ICEBERG_PARTS`: `CEIL(quantity / icebergQty)` within the limit, and
//!    `icebergQty` below `quantity`.
//! 9. `TRAILING_DELTA` by type and side: `STOP_LOSS(_LIMIT)` BUY and
//!    `TAKE_PROFIT(_LIMIT)` SELL use the "above" bounds, the others the
//!    "below" bounds.
//! 10. `MAX_NUM_ORDERS`, `MAX_NUM_ALGO_ORDERS`, `MAX_NUM_ICEBERG_ORDERS`
//!     and the `EXCHANGE_` forms: the order must not be one too many.
//! 11. `MAX_POSITION` on BUY orders: position plus quantity at most
//!     `maxPosition`.
//! 12. `MAX_ASSET`: the quantity (base asset) or the notional (quote asset)
//!     at most the limit.
//!
//! The account's `myFilters` win over `exchangeInfo` for a filter type both
//! list.

mod checks;
mod failure;
mod round;

use std::mem;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::model::{
    Balance, ExchangeFilter, MyFilters, NewOrder, Order, OrderStatus, OrderType, Side,
    SymbolFilter, SymbolInfo,
};

pub use failure::{Check, Field, FilterFailure, Rule};
use round::small_in_range;
pub use round::{Rounding, decimals, is_on_step, round_to_decimals, round_to_step};

/// What is known beyond `exchangeInfo`. Every field is optional; a check
/// that needs a missing one is reported in [`Report::unchecked`] instead of
/// passing or failing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// A non-null `referencePrice` (`GET /api/v3/referencePrice`). When
    /// set, the price filters and notional filters use it instead of an
    /// average (CHANGELOG 2026-05-06).
    pub reference_price: Option<Decimal>,
    /// The average price over the filters' `avgPriceMins`
    /// (`GET /api/v3/avgPrice`).
    pub average_price: Option<Decimal>,
    /// The last trade price, used by filters whose `avgPriceMins` is 0.
    pub last_price: Option<Decimal>,
    /// The account's open orders; see [`OpenOrderCounts::count`].
    pub open_orders: Option<OpenOrderCounts>,
    /// The account's base-asset position for `MAX_POSITION`; see
    /// [`position`].
    pub position: Option<Decimal>,
    /// `exchangeFilters` of `exchangeInfo`.
    pub exchange_filters: Vec<ExchangeFilter>,
    /// The account's `GET /api/v3/myFilters` for this symbol.
    pub my_filters: Option<MyFilters>,
    /// The account's permissions (`GET /api/v3/account`), for
    /// `permissionSets`.
    pub account_permissions: Option<Vec<String>>,
}

impl Context {
    /// The price MARKET orders and the percent-price filters are measured
    /// against, for a filter with this `avgPriceMins`: the reference price
    /// when there is one, else the last price when `avgPriceMins` is 0,
    /// else the average price (filters.md § PERCENT_PRICE).
    pub fn market_price(&self, avg_price_mins: u32) -> Option<Decimal> {
        self.reference_price.or(if avg_price_mins == 0 {
            self.last_price
        } else {
            self.average_price
        })
    }
}

/// Open orders as the count filters see them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOrderCounts {
    /// Open orders on the symbol (algo orders included).
    pub symbol_orders: u32,
    /// Open stop-loss and take-profit orders on the symbol.
    pub symbol_algo_orders: u32,
    /// Open iceberg orders on the symbol.
    pub symbol_iceberg_orders: u32,
    /// Open orders on every symbol.
    pub exchange_orders: u32,
    /// Open algo orders on every symbol.
    pub exchange_algo_orders: u32,
    /// Open iceberg orders on every symbol.
    pub exchange_iceberg_orders: u32,
}

impl OpenOrderCounts {
    /// Counts `open_orders` (the answer of `GET /api/v3/openOrders` without
    /// a symbol) for an order on `symbol`. Orders that are no longer open
    /// are skipped.
    pub fn count(symbol: &str, open_orders: &[Order]) -> OpenOrderCounts {
        let mut counts = OpenOrderCounts::default();
        for order in open_orders {
            if !matches!(
                order.status,
                OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::PendingNew
            ) {
                continue;
            }
            let here = order.symbol == symbol;
            let algo = order.order_type.is_algo();
            let iceberg = order.iceberg_qty.is_some_and(|qty| qty > Decimal::ZERO);
            for (counter, counts_it) in [
                (&mut counts.exchange_orders, true),
                (&mut counts.exchange_algo_orders, algo),
                (&mut counts.exchange_iceberg_orders, iceberg),
                (&mut counts.symbol_orders, here),
                (&mut counts.symbol_algo_orders, here && algo),
                (&mut counts.symbol_iceberg_orders, here && iceberg),
            ] {
                if counts_it {
                    *counter = counter.saturating_add(1);
                }
            }
        }
        counts
    }
}

/// The `MAX_POSITION` position (filters.md): free plus locked base asset
/// plus what the open BUY orders on `symbol` still have to buy.
/// We count the unfilled part of each BUY order, since the filled part is
/// already in the balance.
pub fn position(symbol: &str, base: &Balance, open_orders: &[Order]) -> Decimal {
    open_orders
        .iter()
        .filter(|order| order.symbol == symbol && order.side == Side::Buy)
        .fold(base.free.saturating_add(base.locked), |sum, order| {
            sum.saturating_add(order.orig_qty.saturating_sub(order.executed_qty))
        })
}

/// A check that did not run, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unchecked {
    /// The filter.
    pub check: Check,
    /// What was missing.
    pub reason: &'static str,
}

/// Everything [`check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Failures, most important first.
    pub failures: Vec<FilterFailure>,
    /// Checks that could not run.
    pub unchecked: Vec<Unchecked>,
}

/// Checks `order` against `symbol` and `context`: `Ok` when no check fails
/// (checks without data are skipped; see [`check`]), else every failure,
/// most important first.
pub fn validate(
    symbol: &SymbolInfo,
    order: &NewOrder,
    context: &Context,
) -> Result<(), Vec<FilterFailure>> {
    let report = check(symbol, order, context);
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(report.failures)
    }
}

/// Checks `order` and says both what fails and what could not be checked.
pub fn check(symbol: &SymbolInfo, order: &NewOrder, context: &Context) -> Report {
    let mut report = checks::run(symbol, order, context);
    // Stable: within one check, fields keep the order they were checked in.
    report.failures.sort_by_key(|failure| failure.check);
    report
}

/// What is done with orders beyond placing one, each allowed by a flag of
/// the symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// An OCO order list (`ocoAllowed`).
    Oco,
    /// An OTO or OTOCO order list (`otoAllowed`).
    Oto,
    /// `POST /api/v3/order/cancelReplace` (`cancelReplaceAllowed`).
    CancelReplace,
    /// `PUT /api/v3/order/amend/keepPriority` (`amendAllowed`).
    Amend,
}

/// Whether the symbol allows `operation`; the orders themselves are checked
/// one by one with [`validate`]. A flag the server did not send passes.
///
/// ```
/// use mbx_domain::model::SymbolInfo;
/// use mbx_domain::preflight::{self, Operation};
///
/// let symbol: SymbolInfo = serde_json::from_str(r#"{"symbol": "BTCUSDT", "status": "TRADING",
///     "baseAsset": "BTC", "quoteAsset": "USDT", "ocoAllowed": true, "cancelReplaceAllowed": false}"#).unwrap();
/// assert!(preflight::check_operation(&symbol, Operation::Oco).is_ok());
/// let failure = preflight::check_operation(&symbol, Operation::CancelReplace).unwrap_err();
/// assert_eq!(failure.binance_msg(), "Order cancel-replace is not supported for this symbol.");
/// ```
pub fn check_operation(symbol: &SymbolInfo, operation: Operation) -> Result<(), FilterFailure> {
    let (check, allowed) = match operation {
        Operation::Oco => (Check::OcoAllowed, symbol.oco_allowed),
        Operation::Oto => (Check::OtoAllowed, symbol.oto_allowed),
        Operation::CancelReplace => (Check::CancelReplaceAllowed, symbol.cancel_replace_allowed),
        Operation::Amend => (Check::AmendAllowed, symbol.amend_allowed),
    };
    if allowed == Some(false) {
        return Err(FilterFailure {
            check,
            field: Field::Type,
            rule: Rule::NotAllowed,
            value: None,
            suggestions: Vec::new(),
        });
    }
    Ok(())
}

/// The nearest order that passes every check, or `None` when none is found
/// by moving the numbers (a closed symbol, an order type it does not take,
/// a missing parameter, too many open orders).
///
/// Each round applies, for each field, the suggestion of its most
/// important failure that is nearest to the current value; a few rounds
/// settle filters that interact (rounding the quantity up to the step,
/// then up to the minimum notional).
pub fn suggest(symbol: &SymbolInfo, order: &NewOrder, context: &Context) -> Option<NewOrder> {
    let mut fixed = order.clone();
    for _ in 0..6 {
        let failures = check(symbol, &fixed, context).failures;
        if failures.is_empty() {
            return Some(fixed);
        }
        let mut changed = false;
        let mut done: Vec<Field> = Vec::new();
        for failure in &failures {
            if done.contains(&failure.field) {
                continue;
            }
            done.push(failure.field);
            let current = failure.value.unwrap_or_default();
            let Some(best) = failure
                .suggestions
                .iter()
                .min_by_key(|value| (**value - current).abs())
                .copied()
            else {
                continue;
            };
            changed |= set_field(&mut fixed, failure.field, best);
        }
        if !changed {
            return None;
        }
    }
    validate(symbol, &fixed, context).ok().map(|()| fixed)
}

/// Rounds a price to the symbol's `tickSize` (or, without a tick, to its
/// quote precision), keeping the tick's scale. `None` on overflow.
pub fn round_price(symbol: &SymbolInfo, price: Decimal, rounding: Rounding) -> Option<Decimal> {
    match symbol.tick_size().filter(|tick| *tick > Decimal::ZERO) {
        Some(tick) => round_to_step(price, tick, rounding),
        None => Some(match symbol.quote_precision() {
            Some(decimals) => round_to_decimals(price, decimals, rounding),
            None => price,
        }),
    }
}

/// Rounds a quantity to the symbol's `LOT_SIZE` step, and for MARKET orders
/// also to a coarser `MARKET_LOT_SIZE` step (without a step, to the base
/// precision). `None` on overflow.
pub fn round_quantity(
    symbol: &SymbolInfo,
    order_type: OrderType,
    quantity: Decimal,
    rounding: Rounding,
) -> Option<Decimal> {
    let step = quantity_step(&symbol.filters, order_type);
    if step > Decimal::ZERO {
        return round_to_step(quantity, step, rounding);
    }
    Some(match symbol.base_asset_precision {
        Some(decimals) => round_to_decimals(quantity, decimals, rounding),
        None => quantity,
    })
}

/// The symbol's filters with the account's `myFilters` replacing those of
/// the same type.
fn filters<'a>(symbol: &'a SymbolInfo, mine: Option<&'a MyFilters>) -> FilterList<'a> {
    let own: &[SymbolFilter] = mine.map(|m| m.symbol_filters.as_slice()).unwrap_or(&[]);
    if own.is_empty() {
        // The common case borrows the symbol's list: no copy per order.
        return FilterList::Symbol(&symbol.filters);
    }
    let replaced = |filter: &SymbolFilter| {
        own.iter()
            .any(|mine| mem::discriminant(mine) == mem::discriminant(filter))
    };
    FilterList::Merged(
        symbol
            .filters
            .iter()
            .filter(|filter| !replaced(filter))
            .chain(own)
            .cloned()
            .collect(),
    )
}

/// The filters an order is checked against: held where the checks run,
/// which walk them as a plain slice ([`FilterList::as_slice`]).
enum FilterList<'a> {
    /// The symbol's own filters (no `myFilters` for this symbol).
    Symbol(&'a [SymbolFilter]),
    /// The symbol's filters with the account's replacing theirs (a copy,
    /// only for a symbol with `myFilters`).
    Merged(Vec<SymbolFilter>),
}

impl FilterList<'_> {
    fn as_slice(&self) -> &[SymbolFilter] {
        match self {
            FilterList::Symbol(filters) => filters,
            FilterList::Merged(filters) => filters,
        }
    }
}

/// The quantity grid: `LOT_SIZE`'s step, or for MARKET orders
/// `MARKET_LOT_SIZE`'s when it is a coarser multiple of it.
fn quantity_step(filters: &[SymbolFilter], order_type: OrderType) -> Decimal {
    let mut step = Decimal::ZERO;
    for filter in filters.iter() {
        if let SymbolFilter::LotSize { step_size, .. } = filter {
            step = *step_size;
        }
    }
    if order_type == OrderType::Market {
        for filter in filters.iter() {
            if let SymbolFilter::MarketLotSize { step_size, .. } = filter
                && *step_size > step
                && is_on_step(*step_size, step)
            {
                step = *step_size;
            }
        }
    }
    step
}

fn set_field(order: &mut NewOrder, field: Field, value: Decimal) -> bool {
    let slot = match field {
        Field::Price => &mut order.price,
        Field::StopPrice => &mut order.stop_price,
        Field::Quantity => &mut order.quantity,
        Field::QuoteOrderQty => &mut order.quote_order_qty,
        Field::IcebergQty => &mut order.iceberg_qty,
        Field::TrailingDelta => {
            let delta = value.trunc().to_u32();
            let changed = delta.is_some() && order.trailing_delta != delta;
            if changed {
                order.trailing_delta = delta;
            }
            return changed;
        }
        _ => return false,
    };
    let changed = *slot != Some(value);
    *slot = Some(value);
    changed
}

#[cfg(test)]
mod tests;
