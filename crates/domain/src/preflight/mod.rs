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
//! decimals that keep the grid's scale.
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

mod failure;
mod round;

use std::mem;

use rust_decimal::Decimal;

use crate::model::{
    AssetFilter, Balance, ExchangeFilter, MyFilters, NewOrder, Order, OrderStatus, OrderType, Side,
    SymbolFilter, SymbolInfo, SymbolStatus, TimeInForce,
};

pub use failure::{Check, Field, FilterFailure, Rule};
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
    let mut checker = Checker::new(symbol, order, context);
    checker.run();
    let mut report = checker.report;
    // Stable: within one check, fields keep the order they were checked in.
    report.failures.sort_by_key(|failure| failure.check);
    report
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
    let step = quantity_step(&filters(symbol, None), order_type);
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
fn filters<'a>(symbol: &'a SymbolInfo, mine: Option<&'a MyFilters>) -> Vec<&'a SymbolFilter> {
    let own: &[SymbolFilter] = mine.map(|m| m.symbol_filters.as_slice()).unwrap_or(&[]);
    let replaced = |filter: &SymbolFilter| {
        own.iter()
            .any(|mine| mem::discriminant(mine) == mem::discriminant(filter))
    };
    symbol
        .filters
        .iter()
        .filter(|filter| !replaced(filter))
        .chain(own)
        .collect()
}

/// The quantity grid: `LOT_SIZE`'s step, or for MARKET orders
/// `MARKET_LOT_SIZE`'s when it is a coarser multiple of it.
fn quantity_step(filters: &[&SymbolFilter], order_type: OrderType) -> Decimal {
    let mut step = Decimal::ZERO;
    for filter in filters {
        if let SymbolFilter::LotSize { step_size, .. } = filter {
            step = *step_size;
        }
    }
    if order_type == OrderType::Market {
        for filter in filters {
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
            let delta = u32::try_from(value.trunc().mantissa()).ok();
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

/// Which count of [`OpenOrderCounts`] a count filter limits.
type CountOf = fn(&OpenOrderCounts) -> u32;

/// How an order's notional is priced.
#[derive(Debug, Clone, Copy)]
enum Notional {
    /// `price × quantity` at a known price.
    Priced { price: Decimal, quantity: Decimal },
    /// `quantity` at the market price of each filter's `avgPriceMins`.
    AtMarket { quantity: Decimal },
    /// A `quoteOrderQty`: the notional itself.
    Quote(Decimal),
    /// Not computable from what was sent.
    Unknown,
}

struct Checker<'a> {
    symbol: &'a SymbolInfo,
    order: &'a NewOrder,
    context: &'a Context,
    filters: Vec<&'a SymbolFilter>,
    report: Report,
}

impl<'a> Checker<'a> {
    fn new(symbol: &'a SymbolInfo, order: &'a NewOrder, context: &'a Context) -> Checker<'a> {
        Checker {
            symbol,
            order,
            context,
            filters: filters(symbol, context.my_filters.as_ref()),
            report: Report::default(),
        }
    }

    fn run(&mut self) {
        self.symbol_rules();
        self.parameters();
        self.precision();
        self.price_filter();
        self.percent_price();
        self.lot_size();
        self.notional();
        self.iceberg_parts();
        self.trailing_delta();
        self.open_order_counts();
        self.max_position();
        self.max_asset();
    }

    fn fail(
        &mut self,
        check: Check,
        field: Field,
        rule: Rule,
        value: Option<Decimal>,
        suggestions: Vec<Decimal>,
    ) {
        let mut unique: Vec<Decimal> = Vec::new();
        for suggestion in suggestions {
            if !unique.contains(&suggestion) {
                unique.push(suggestion);
            }
        }
        self.report.failures.push(FilterFailure {
            check,
            field,
            rule,
            value,
            suggestions: unique,
        });
    }

    fn skip(&mut self, check: Check, reason: &'static str) {
        let unchecked = Unchecked { check, reason };
        if !self.report.unchecked.contains(&unchecked) {
            self.report.unchecked.push(unchecked);
        }
    }

    fn symbol_rules(&mut self) {
        let (symbol, order) = (self.symbol, self.order);
        if symbol.trading_status() != SymbolStatus::Trading {
            let status = symbol.status.clone();
            self.fail(
                Check::SymbolStatus,
                Field::Symbol,
                Rule::Status { status },
                None,
                Vec::new(),
            );
        }
        if symbol.is_spot_trading_allowed == Some(false) {
            self.fail(
                Check::SpotTrading,
                Field::Symbol,
                Rule::NotAllowed,
                None,
                Vec::new(),
            );
        }
        if let Some(permissions) = &self.context.account_permissions {
            for set in &symbol.permission_sets {
                if !set.is_empty() && !set.iter().any(|needed| permissions.contains(needed)) {
                    let needed = set.clone();
                    self.fail(
                        Check::Permissions,
                        Field::Symbol,
                        Rule::NotPermitted { needed },
                        None,
                        Vec::new(),
                    );
                }
            }
        }
        let order_type = order.order_type;
        let listed = symbol
            .order_types
            .iter()
            .any(|listed| listed == order_type.as_str());
        if order_type == OrderType::Other || (!symbol.order_types.is_empty() && !listed) {
            self.fail(
                Check::OrderType,
                Field::Type,
                Rule::TypeNotAllowed { order_type },
                None,
                Vec::new(),
            );
        }
        let flags = [
            (
                Check::IcebergAllowed,
                Field::IcebergQty,
                symbol.iceberg_allowed,
                order.iceberg_qty.is_some_and(|qty| qty > Decimal::ZERO),
            ),
            (
                Check::QuoteOrderQtyMarketAllowed,
                Field::QuoteOrderQty,
                symbol.quote_order_qty_market_allowed,
                order.quote_order_qty.is_some(),
            ),
            (
                Check::AllowTrailingStop,
                Field::TrailingDelta,
                symbol.allow_trailing_stop,
                order.trailing_delta.is_some(),
            ),
        ];
        for (check, field, allowed, used) in flags {
            if used && allowed == Some(false) {
                self.fail(check, field, Rule::NotAllowed, None, Vec::new());
            }
        }
    }

    /// The parameters each type needs and refuses (rest-api.md § New order,
    /// "Some additional mandatory parameters based on order type").
    fn parameters(&mut self) {
        let order = self.order;
        let order_type = order.order_type;
        let limit_like = matches!(
            order_type,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
        );
        let priced = limit_like || order_type == OrderType::LimitMaker;
        let algo = order_type.is_algo();
        let need = |this: &mut Self, field: Field, sent: bool, or: Option<Field>| {
            if !sent {
                this.fail(
                    Check::Parameters,
                    field,
                    Rule::Missing { or },
                    None,
                    Vec::new(),
                );
            }
        };
        need(
            self,
            Field::TimeInForce,
            !limit_like || order.time_in_force.is_some(),
            None,
        );
        need(self, Field::Price, !priced || order.price.is_some(), None);
        if order_type == OrderType::Market {
            let sent = order.quantity.is_some() || order.quote_order_qty.is_some();
            need(self, Field::Quantity, sent, Some(Field::QuoteOrderQty));
        } else {
            need(self, Field::Quantity, order.quantity.is_some(), None);
        }
        if algo {
            let sent = order.stop_price.is_some() || order.trailing_delta.is_some();
            need(self, Field::StopPrice, sent, Some(Field::TrailingDelta));
        }
        let iceberg_types = priced;
        let refused = [
            (
                Field::TimeInForce,
                !limit_like && order.time_in_force.is_some(),
            ),
            (Field::Price, !priced && order.price.is_some()),
            (
                Field::QuoteOrderQty,
                order.quote_order_qty.is_some()
                    && (order_type != OrderType::Market || order.quantity.is_some()),
            ),
            (Field::StopPrice, !algo && order.stop_price.is_some()),
            (
                Field::TrailingDelta,
                !algo && order.trailing_delta.is_some(),
            ),
            (
                Field::IcebergQty,
                !iceberg_types && order.iceberg_qty.is_some(),
            ),
        ];
        for (field, sent) in refused {
            if sent {
                let value = match field {
                    Field::Price => order.price,
                    Field::QuoteOrderQty => order.quote_order_qty,
                    Field::StopPrice => order.stop_price,
                    Field::IcebergQty => order.iceberg_qty,
                    _ => None,
                };
                self.fail(
                    Check::Parameters,
                    field,
                    Rule::NotRequired,
                    value,
                    Vec::new(),
                );
            }
        }
        if iceberg_types
            && order.iceberg_qty.is_some_and(|qty| qty > Decimal::ZERO)
            && order
                .time_in_force
                .is_some_and(|tif| tif != TimeInForce::Gtc)
        {
            self.fail(
                Check::Parameters,
                Field::TimeInForce,
                Rule::Combination,
                None,
                Vec::new(),
            );
        }
        // The server's pattern for DECIMAL is ^([0-9]{1,20})(\.[0-9]{1,20})?$.
        let too_big = Decimal::from(10_u64.pow(10)) * Decimal::from(10_u64.pow(10));
        for (field, value) in self.decimal_fields() {
            if value < Decimal::ZERO || value >= too_big || decimals(value) > 20 {
                self.fail(
                    Check::Parameters,
                    field,
                    Rule::Malformed,
                    Some(value),
                    Vec::new(),
                );
            }
        }
        if let (Some(quantity), Some(iceberg)) = (order.quantity, order.iceberg_qty)
            && iceberg > Decimal::ZERO
            && iceberg >= quantity
        {
            self.fail(
                Check::Parameters,
                Field::IcebergQty,
                Rule::IcebergNotBelowQuantity { quantity },
                Some(iceberg),
                Vec::new(),
            );
        }
    }

    fn decimal_fields(&self) -> Vec<(Field, Decimal)> {
        let order = self.order;
        [
            (Field::Price, order.price),
            (Field::StopPrice, order.stop_price),
            (Field::Quantity, order.quantity),
            (Field::QuoteOrderQty, order.quote_order_qty),
            (Field::IcebergQty, order.iceberg_qty),
        ]
        .into_iter()
        .filter_map(|(field, value)| Some((field, value?)))
        .collect()
    }

    fn precision(&mut self) {
        for (field, value) in self.decimal_fields() {
            let max_decimals = match field {
                Field::Quantity | Field::IcebergQty => self.symbol.base_asset_precision,
                _ => self.symbol.quote_precision(),
            };
            let Some(max_decimals) = max_decimals else {
                continue;
            };
            if decimals(value) > max_decimals {
                let suggestions = [Rounding::Nearest, Rounding::Down, Rounding::Up]
                    .map(|rounding| round_to_decimals(value, max_decimals, rounding))
                    .into_iter()
                    .filter(|rounded| *rounded > Decimal::ZERO)
                    .collect();
                self.fail(
                    Check::Precision,
                    field,
                    Rule::TooPrecise { max_decimals },
                    Some(value),
                    suggestions,
                );
            }
        }
    }

    /// Bounds and grid of one value: one failure at most, the most useful
    /// one (a value below the minimum gets the lowest valid value, not the
    /// grid points around it).
    fn range(
        &mut self,
        check: Check,
        field: Field,
        value: Decimal,
        min: Decimal,
        max: Decimal,
        step: Decimal,
    ) {
        let max_on = max > Decimal::ZERO;
        let lowest = round_to_step(min, step, Rounding::Up);
        let highest = if max_on {
            round_to_step(max, step, Rounding::Down)
        } else {
            None
        };
        let inside = |candidate: &Decimal| *candidate >= min && (!max_on || *candidate <= max);
        if value < min {
            let suggestions = lowest.filter(inside).into_iter().collect();
            self.fail(
                check,
                field,
                Rule::BelowMin { min },
                Some(value),
                suggestions,
            );
        } else if max_on && value > max {
            let suggestions = highest.filter(inside).into_iter().collect();
            self.fail(
                check,
                field,
                Rule::AboveMax { max },
                Some(value),
                suggestions,
            );
        } else if !is_on_step(value, step) {
            let suggestions = [Rounding::Nearest, Rounding::Down, Rounding::Up]
                .into_iter()
                .filter_map(|rounding| round_to_step(value, step, rounding))
                .filter(inside)
                .collect();
            self.fail(
                check,
                field,
                Rule::OffStep { step },
                Some(value),
                suggestions,
            );
        }
    }

    fn price_filter(&mut self) {
        let prices = [
            (Field::Price, self.order.price),
            (Field::StopPrice, self.order.stop_price),
        ];
        for filter in self.filters.clone() {
            if let SymbolFilter::PriceFilter {
                min_price,
                max_price,
                tick_size,
            } = *filter
            {
                for (field, value) in prices {
                    if let Some(value) = value {
                        self.range(
                            Check::PriceFilter,
                            field,
                            value,
                            min_price,
                            max_price,
                            tick_size,
                        );
                    }
                }
            }
        }
    }

    fn percent_price(&mut self) {
        let Some(price) = self.order.price else {
            return;
        };
        for filter in self.filters.clone() {
            let (check, down, up, mins) = match *filter {
                SymbolFilter::PercentPrice {
                    multiplier_up,
                    multiplier_down,
                    avg_price_mins,
                } => (
                    Check::PercentPrice,
                    multiplier_down,
                    multiplier_up,
                    avg_price_mins,
                ),
                SymbolFilter::PercentPriceBySide {
                    bid_multiplier_up,
                    bid_multiplier_down,
                    ask_multiplier_up,
                    ask_multiplier_down,
                    avg_price_mins,
                } => match self.order.side {
                    Side::Buy => (
                        Check::PercentPriceBySide,
                        bid_multiplier_down,
                        bid_multiplier_up,
                        avg_price_mins,
                    ),
                    Side::Sell => (
                        Check::PercentPriceBySide,
                        ask_multiplier_down,
                        ask_multiplier_up,
                        avg_price_mins,
                    ),
                },
                _ => continue,
            };
            let Some(reference) = self.context.market_price(mins) else {
                self.skip(check, "no reference, average or last price in the context");
                continue;
            };
            let (Some(low), Some(high)) = (reference.checked_mul(down), reference.checked_mul(up))
            else {
                self.skip(check, "the price band overflows");
                continue;
            };
            let suggestion = if price < low {
                self.price_grid(low, Rounding::Up)
            } else if price > high {
                self.price_grid(high, Rounding::Down)
            } else {
                continue;
            };
            let suggestions = suggestion
                .filter(|value| *value >= low && *value <= high && *value > Decimal::ZERO)
                .into_iter()
                .collect();
            self.fail(
                check,
                Field::Price,
                Rule::OutsideBand {
                    low: low.normalize(),
                    high: high.normalize(),
                    reference,
                },
                Some(price),
                suggestions,
            );
        }
    }

    /// Rounds a price to the `PRICE_FILTER` tick (or the quote precision).
    fn price_grid(&self, price: Decimal, rounding: Rounding) -> Option<Decimal> {
        let tick = self.filters.iter().find_map(|filter| match filter {
            SymbolFilter::PriceFilter { tick_size, .. } if *tick_size > Decimal::ZERO => {
                Some(*tick_size)
            }
            _ => None,
        });
        match (tick, self.symbol.quote_precision()) {
            (Some(tick), _) => round_to_step(price, tick, rounding),
            (None, Some(decimals)) => Some(round_to_decimals(price, decimals, rounding)),
            (None, None) => Some(price),
        }
    }

    /// Rounds a quantity to the order's quantity grid, inside `LOT_SIZE`
    /// (and `MARKET_LOT_SIZE` for MARKET orders).
    fn quantity_grid(&self, quantity: Decimal, rounding: Rounding) -> Option<Decimal> {
        let step = quantity_step(&self.filters, self.order.order_type);
        let res = if step > Decimal::ZERO {
            round_to_step(quantity, step, rounding)?
        } else {
            match self.symbol.base_asset_precision {
                Some(decimals) => round_to_decimals(quantity, decimals, rounding),
                None => quantity,
            }
        };
        let market = self.order.order_type == OrderType::Market;
        let fits = self.filters.iter().all(|filter| match filter {
            SymbolFilter::LotSize {
                min_qty, max_qty, ..
            } => res >= *min_qty && (max_qty.is_zero() || res <= *max_qty),
            SymbolFilter::MarketLotSize {
                min_qty, max_qty, ..
            } if market => res >= *min_qty && (max_qty.is_zero() || res <= *max_qty),
            _ => true,
        });
        (fits && res > Decimal::ZERO).then_some(res)
    }

    fn lot_size(&mut self) {
        let order = self.order;
        for filter in self.filters.clone() {
            match *filter {
                SymbolFilter::LotSize {
                    min_qty,
                    max_qty,
                    step_size,
                } => {
                    for (field, value) in [
                        (Field::Quantity, order.quantity),
                        (Field::IcebergQty, order.iceberg_qty),
                    ] {
                        if let Some(value) = value {
                            self.range(Check::LotSize, field, value, min_qty, max_qty, step_size);
                        }
                    }
                }
                SymbolFilter::MarketLotSize {
                    min_qty,
                    max_qty,
                    step_size,
                } if order.order_type == OrderType::Market => {
                    if let Some(quantity) = order.quantity {
                        self.range(
                            Check::MarketLotSize,
                            Field::Quantity,
                            quantity,
                            min_qty,
                            max_qty,
                            step_size,
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// How the notional is priced, and whether the filters treat the order
    /// as a MARKET order.
    fn notional_basis(&self) -> (Notional, bool) {
        let order = self.order;
        let Some(quantity) = order.quantity else {
            return match (order.order_type, order.quote_order_qty) {
                (OrderType::Market, Some(quote)) => (Notional::Quote(quote), true),
                _ => (Notional::Unknown, false),
            };
        };
        match order.order_type {
            OrderType::Market => (Notional::AtMarket { quantity }, true),
            OrderType::StopLoss | OrderType::TakeProfit => match order.stop_price {
                Some(price) => (Notional::Priced { price, quantity }, true),
                None => (Notional::AtMarket { quantity }, true),
            },
            OrderType::Other => (Notional::Unknown, false),
            _ => match order.price {
                Some(price) => (Notional::Priced { price, quantity }, false),
                None => (Notional::Unknown, false),
            },
        }
    }

    /// The notional for a filter with this `avgPriceMins`, and the price
    /// it was computed at (`None` for a `quoteOrderQty`). `Err` names what
    /// was missing.
    fn notional_at(&self, mins: u32) -> Result<(Decimal, Option<Decimal>), &'static str> {
        let (price, quantity) = match self.notional_basis().0 {
            Notional::Quote(quote) => return Ok((quote, None)),
            Notional::Unknown => return Err("no price or quantity to compute the notional"),
            Notional::Priced { price, quantity } => (price, quantity),
            Notional::AtMarket { quantity } => match self.context.market_price(mins) {
                Some(price) => (price, quantity),
                None => return Err("no reference, average or last price in the context"),
            },
        };
        match price.checked_mul(quantity) {
            Some(notional) => Ok((notional, Some(price))),
            // Beyond Decimal::MAX: above any maxNotional, below none.
            None => Ok((Decimal::MAX, Some(price))),
        }
    }

    fn notional(&mut self) {
        let (basis, market) = self.notional_basis();
        if let Notional::Priced { .. } | Notional::Quote(_) = basis
            && let Ok((notional, _)) = self.notional_at(0)
            && notional <= Decimal::ZERO
            && self.order.quantity.is_none_or(|q| q >= Decimal::ZERO)
        {
            let field = self.notional_field();
            let value = self.field_value(field);
            self.fail(
                Check::Parameters,
                field,
                Rule::NotionalNotPositive,
                value,
                Vec::new(),
            );
            return;
        }
        for filter in self.filters.clone() {
            let (check, min, max, mins) = match *filter {
                SymbolFilter::MinNotional {
                    min_notional,
                    apply_to_market,
                    avg_price_mins,
                } => (
                    Check::MinNotional,
                    (!market || apply_to_market).then_some(min_notional),
                    None,
                    avg_price_mins,
                ),
                SymbolFilter::Notional {
                    min_notional,
                    apply_min_to_market,
                    max_notional,
                    apply_max_to_market,
                    avg_price_mins,
                } => (
                    Check::Notional,
                    (!market || apply_min_to_market).then_some(min_notional),
                    (!market || apply_max_to_market)
                        .then_some(max_notional)
                        .filter(|max| *max > Decimal::ZERO),
                    avg_price_mins,
                ),
                _ => continue,
            };
            if min.is_none() && max.is_none() {
                continue;
            }
            let (notional, price) = match self.notional_at(mins) {
                Ok(found) => found,
                Err(reason) => {
                    self.skip(check, reason);
                    continue;
                }
            };
            let field = self.notional_field();
            let value = self.field_value(field);
            if let Some(min) = min
                && notional < min
            {
                let suggestions = self.notional_suggestion(min, price, Rounding::Up);
                let rule = Rule::NotionalBelowMin { notional, min };
                self.fail(check, field, rule, value, suggestions);
            } else if let Some(max) = max
                && notional > max
            {
                let suggestions = self.notional_suggestion(max, price, Rounding::Down);
                let rule = Rule::NotionalAboveMax { notional, max };
                self.fail(check, field, rule, value, suggestions);
            }
        }
    }

    /// The field that sets the notional: `quoteOrderQty` when it is the
    /// notional, else `quantity`.
    fn notional_field(&self) -> Field {
        match self.notional_basis().0 {
            Notional::Quote(_) => Field::QuoteOrderQty,
            _ => Field::Quantity,
        }
    }

    fn field_value(&self, field: Field) -> Option<Decimal> {
        self.decimal_fields()
            .into_iter()
            .find_map(|(known, value)| (known == field).then_some(value))
    }

    /// The quantity (or quote quantity) nearest to `target` notional on the
    /// allowed side of it.
    fn notional_suggestion(
        &self,
        target: Decimal,
        price: Option<Decimal>,
        rounding: Rounding,
    ) -> Vec<Decimal> {
        let Some(price) = price else {
            let quote = match self.symbol.quote_precision() {
                Some(decimals) => round_to_decimals(target, decimals, rounding),
                None => target,
            };
            return vec![quote];
        };
        if price <= Decimal::ZERO {
            return Vec::new();
        }
        let Some(quantity) = target
            .checked_div(price)
            .and_then(|raw| self.quantity_grid(raw, rounding))
        else {
            return Vec::new();
        };
        // The division rounds at 28 digits: check the product itself.
        let reaches = |quantity: Decimal| {
            price
                .checked_mul(quantity)
                .is_some_and(|notional| match rounding {
                    Rounding::Up => notional >= target,
                    _ => notional <= target,
                })
        };
        let res = if reaches(quantity) {
            Some(quantity)
        } else {
            let step = quantity_step(&self.filters, self.order.order_type);
            let next = match rounding {
                Rounding::Up => quantity.checked_add(step),
                _ => quantity.checked_sub(step),
            };
            next.and_then(|next| self.quantity_grid(next, rounding))
                .filter(|next| reaches(*next))
        };
        res.into_iter().collect()
    }

    fn iceberg_parts(&mut self) {
        let (Some(quantity), Some(iceberg)) = (self.order.quantity, self.order.iceberg_qty) else {
            return;
        };
        if iceberg <= Decimal::ZERO || quantity <= Decimal::ZERO {
            return;
        }
        for filter in self.filters.clone() {
            let SymbolFilter::IcebergParts { limit } = *filter else {
                continue;
            };
            let Some(parts) = ceil_div(quantity, iceberg) else {
                self.skip(Check::IcebergParts, "the part count overflows");
                continue;
            };
            if parts <= Decimal::from(limit) {
                continue;
            }
            let suggestions = (limit > 0)
                .then(|| quantity.checked_div(Decimal::from(limit)))
                .flatten()
                .and_then(|smallest| self.lot_grid(smallest, Rounding::Up))
                .filter(|suggestion| *suggestion < quantity)
                .into_iter()
                .collect();
            self.fail(
                Check::IcebergParts,
                Field::IcebergQty,
                Rule::TooManyParts { parts, limit },
                Some(iceberg),
                suggestions,
            );
        }
    }

    /// Rounds to the `LOT_SIZE` step only (icebergQty has no market step).
    fn lot_grid(&self, quantity: Decimal, rounding: Rounding) -> Option<Decimal> {
        let step = quantity_step(&self.filters, OrderType::Limit);
        round_to_step(quantity, step, rounding)
    }

    fn trailing_delta(&mut self) {
        let Some(delta) = self.order.trailing_delta else {
            return;
        };
        let order_type = self.order.order_type;
        if !order_type.is_algo() {
            return;
        }
        let above = matches!(
            (order_type, self.order.side),
            (OrderType::StopLoss | OrderType::StopLossLimit, Side::Buy)
                | (
                    OrderType::TakeProfit | OrderType::TakeProfitLimit,
                    Side::Sell
                )
        );
        for filter in self.filters.clone() {
            let SymbolFilter::TrailingDelta {
                min_trailing_above_delta,
                max_trailing_above_delta,
                min_trailing_below_delta,
                max_trailing_below_delta,
            } = *filter
            else {
                continue;
            };
            let (min, max) = if above {
                (min_trailing_above_delta, max_trailing_above_delta)
            } else {
                (min_trailing_below_delta, max_trailing_below_delta)
            };
            let value = Some(Decimal::from(delta));
            if delta < min {
                let min = Decimal::from(min);
                self.fail(
                    Check::TrailingDelta,
                    Field::TrailingDelta,
                    Rule::BelowMin { min },
                    value,
                    vec![min],
                );
            } else if delta > max {
                let max = Decimal::from(max);
                self.fail(
                    Check::TrailingDelta,
                    Field::TrailingDelta,
                    Rule::AboveMax { max },
                    value,
                    vec![max],
                );
            }
        }
    }

    fn open_order_counts(&mut self) {
        let order = self.order;
        let algo = order.order_type.is_algo();
        let iceberg = order.iceberg_qty.is_some_and(|qty| qty > Decimal::ZERO);
        let mut limits: Vec<(Check, u32, CountOf)> = Vec::new();
        for filter in self.filters.clone() {
            match *filter {
                SymbolFilter::MaxNumOrders { max_num_orders } => {
                    limits.push((Check::MaxNumOrders, max_num_orders, |c| c.symbol_orders));
                }
                SymbolFilter::MaxNumAlgoOrders {
                    max_num_algo_orders,
                } if algo => limits.push((Check::MaxNumAlgoOrders, max_num_algo_orders, |c| {
                    c.symbol_algo_orders
                })),
                SymbolFilter::MaxNumIcebergOrders {
                    max_num_iceberg_orders,
                } if iceberg => {
                    limits.push((Check::MaxNumIcebergOrders, max_num_iceberg_orders, |c| {
                        c.symbol_iceberg_orders
                    }))
                }
                _ => {}
            }
        }
        let exchange_filters = self.context.exchange_filters.iter().chain(
            self.context
                .my_filters
                .iter()
                .flat_map(|mine| mine.exchange_filters.iter()),
        );
        for filter in exchange_filters {
            match *filter {
                ExchangeFilter::ExchangeMaxNumOrders { max_num_orders } => {
                    limits.push((Check::ExchangeMaxNumOrders, max_num_orders, |c| {
                        c.exchange_orders
                    }));
                }
                ExchangeFilter::ExchangeMaxNumAlgoOrders {
                    max_num_algo_orders,
                } if algo => {
                    limits.push((Check::ExchangeMaxNumAlgoOrders, max_num_algo_orders, |c| {
                        c.exchange_algo_orders
                    }))
                }
                ExchangeFilter::ExchangeMaxNumIcebergOrders {
                    max_num_iceberg_orders,
                } if iceberg => limits.push((
                    Check::ExchangeMaxNumIcebergOrders,
                    max_num_iceberg_orders,
                    |c| c.exchange_iceberg_orders,
                )),
                _ => {}
            }
        }
        for (check, limit, count) in limits {
            let Some(counts) = self.context.open_orders else {
                self.skip(check, "no open-order counts in the context");
                continue;
            };
            let open = count(&counts);
            if open >= limit {
                let already = self.report.failures.iter().any(|failure| {
                    failure.check == check && failure.rule == Rule::TooManyOpen { open, limit }
                });
                if !already {
                    self.fail(
                        check,
                        Field::OpenOrders,
                        Rule::TooManyOpen { open, limit },
                        None,
                        Vec::new(),
                    );
                }
            }
        }
    }

    fn max_position(&mut self) {
        if self.order.side != Side::Buy {
            return;
        }
        for filter in self.filters.clone() {
            let SymbolFilter::MaxPosition { max_position } = *filter else {
                continue;
            };
            let Some(position) = self.context.position else {
                self.skip(Check::MaxPosition, "no position in the context");
                continue;
            };
            let quantity = match self.order.quantity {
                Some(quantity) => quantity,
                None if position > max_position => Decimal::ZERO,
                None => {
                    self.skip(
                        Check::MaxPosition,
                        "a quoteOrderQty order's quantity is unknown",
                    );
                    continue;
                }
            };
            if position.saturating_add(quantity) <= max_position {
                continue;
            }
            let suggestions = max_position
                .checked_sub(position)
                .and_then(|room| self.quantity_grid(room, Rounding::Down))
                .into_iter()
                .collect();
            self.fail(
                Check::MaxPosition,
                Field::Quantity,
                Rule::PositionAboveMax {
                    position,
                    max: max_position,
                },
                self.order.quantity,
                suggestions,
            );
        }
    }

    fn max_asset(&mut self) {
        let Some(mine) = &self.context.my_filters else {
            return;
        };
        for filter in &mine.asset_filters {
            let AssetFilter::MaxAsset { asset, limit } = filter else {
                continue;
            };
            let (limit, asset) = (*limit, asset.clone());
            let (amount, field, suggestions) = if asset == self.symbol.base_asset {
                let Some(quantity) = self.order.quantity else {
                    self.skip(
                        Check::MaxAsset,
                        "a quoteOrderQty order's quantity is unknown",
                    );
                    continue;
                };
                let suggestion = self.quantity_grid(limit, Rounding::Down);
                (quantity, Field::Quantity, suggestion.into_iter().collect())
            } else if asset == self.symbol.quote_asset {
                let mins = self.notional_mins();
                let (notional, price) = match self.notional_at(mins) {
                    Ok(found) => found,
                    Err(reason) => {
                        self.skip(Check::MaxAsset, reason);
                        continue;
                    }
                };
                let suggestions = self.notional_suggestion(limit, price, Rounding::Down);
                (notional, self.notional_field(), suggestions)
            } else {
                continue;
            };
            if amount > limit {
                let value = self.field_value(field);
                self.fail(
                    Check::MaxAsset,
                    field,
                    Rule::AboveAssetLimit {
                        asset,
                        amount,
                        limit,
                    },
                    value,
                    suggestions,
                );
            }
        }
    }

    /// The `avgPriceMins` of the notional filters, for other checks that
    /// price a MARKET order.
    fn notional_mins(&self) -> u32 {
        self.filters
            .iter()
            .find_map(|filter| match filter {
                SymbolFilter::Notional { avg_price_mins, .. }
                | SymbolFilter::MinNotional { avg_price_mins, .. } => Some(*avg_price_mins),
                _ => None,
            })
            .unwrap_or(5)
    }
}

/// `CEIL(a / b)` for positive `a` and `b`, exactly.
fn ceil_div(a: Decimal, b: Decimal) -> Option<Decimal> {
    let rem = a.checked_rem(b)?;
    let whole = a.checked_sub(rem)?.checked_div(b)?.round();
    if rem.is_zero() {
        Some(whole)
    } else {
        whole.checked_add(Decimal::ONE)
    }
}

#[cfg(test)]
mod tests;
