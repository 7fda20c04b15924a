//! The checks behind [`super::check`], one method per rule of the module
//! docs, each adding failures (or skipped checks) to one [`Report`].

use rust_decimal::Decimal;

use super::{
    Check, Context, Field, FilterFailure, OpenOrderCounts, Report, Rounding, Rule, Unchecked,
    decimals, filters, is_on_step, quantity_step, round_to_decimals, round_to_step, small_in_range,
};
use crate::model::{
    AssetFilter, ExchangeFilter, NewOrder, OrderType, Side, SymbolFilter, SymbolInfo, SymbolStatus,
    TimeInForce,
};

/// 10^20: the server's pattern for a DECIMAL allows 20 digits before the
/// point (a constant, so no order pays for a multiplication to get it).
const DECIMAL_BOUND: Decimal = Decimal::from_parts(1_661_992_960, 1_808_227_885, 5, false, 0);

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

impl Notional {
    /// The field a notional failure names: the `quoteOrderQty` that is the
    /// notional, or the quantity it is computed from.
    fn field(self) -> Field {
        match self {
            Notional::Quote(_) => Field::QuoteOrderQty,
            _ => Field::Quantity,
        }
    }
}

/// Runs every check, in the order of the module docs.
pub(super) fn run(symbol: &SymbolInfo, order: &NewOrder, context: &Context) -> Report {
    let filters = filters(symbol, context.my_filters.as_ref());
    let mut checker = Checker {
        symbol,
        order,
        context,
        filters: filters.as_slice(),
        report: Report::default(),
    };
    checker.run();
    checker.report
}

struct Checker<'a> {
    symbol: &'a SymbolInfo,
    order: &'a NewOrder,
    context: &'a Context,
    /// A slice borrowed from outside the checker, so that a check records
    /// failures (`&mut self`) while it walks the filters, with no copy of
    /// the list and no lookup per filter.
    filters: &'a [SymbolFilter],
    report: Report,
}

impl Checker<'_> {
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
        if order.symbol != symbol.symbol {
            let rule = Rule::OtherSymbol {
                order_symbol: order.symbol.clone(),
                rules_for: symbol.symbol.clone(),
            };
            self.fail(Check::Parameters, Field::Symbol, rule, None, Vec::new());
        }
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
        for (field, value) in self.decimal_fields() {
            if below_zero(value) || too_long(value) {
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

    /// The decimal fields the order sends, by value (no list is built: this
    /// runs several times per order).
    fn decimal_fields(&self) -> impl Iterator<Item = (Field, Decimal)> + use<> {
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
            // `decimals` never exceeds the scale: most orders stop here.
            if value.scale() > max_decimals && decimals(value) > max_decimals {
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
        // Every order that passes takes this way out: integers, no
        // `Decimal` comparison.
        if small_in_range(value, min, max, step) == Some(true) {
            return;
        }
        let max_on = max > Decimal::ZERO;
        let inside = |candidate: &Decimal| *candidate >= min && (!max_on || *candidate <= max);
        // The suggestions are computed only for a failure: a passing order
        // pays for the comparisons and the grid check alone.
        if value < min {
            let lowest = round_to_step(min, step, Rounding::Up);
            let suggestions = lowest.filter(inside).into_iter().collect();
            self.fail(
                check,
                field,
                Rule::BelowMin { min },
                Some(value),
                suggestions,
            );
        } else if max_on && value > max {
            let highest = round_to_step(max, step, Rounding::Down);
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
        let filters = self.filters;
        for filter in filters {
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
        let filters = self.filters;
        for filter in filters {
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
        let step = quantity_step(self.filters, self.order.order_type);
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
        let filters = self.filters;
        for filter in filters {
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
        // A priced or quoted notional is the same for every filter's
        // `avgPriceMins`: multiplied once.
        let fixed = match basis {
            Notional::Priced { .. } | Notional::Quote(_) => self.notional_at(0).ok(),
            Notional::AtMarket { .. } | Notional::Unknown => None,
        };
        let field = basis.field();
        if let Some((notional, _)) = fixed
            && !above_zero(notional)
            && self.order.quantity.is_none_or(|q| !below_zero(q))
        {
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
        let filters = self.filters;
        for filter in filters {
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
                        .filter(|max| above_zero(*max)),
                    avg_price_mins,
                ),
                _ => continue,
            };
            if min.is_none() && max.is_none() {
                continue;
            }
            let found = match fixed {
                Some(found) => Ok(found),
                None => self.notional_at(mins),
            };
            let (notional, price) = match found {
                Ok(found) => found,
                Err(reason) => {
                    self.skip(check, reason);
                    continue;
                }
            };
            if let Some(min) = min
                && notional < min
            {
                let suggestions = self.notional_suggestion(min, price, Rounding::Up);
                let rule = Rule::NotionalBelowMin { notional, min };
                let value = self.field_value(field);
                self.fail(check, field, rule, value, suggestions);
            } else if let Some(max) = max
                && notional > max
            {
                let suggestions = self.notional_suggestion(max, price, Rounding::Down);
                let rule = Rule::NotionalAboveMax { notional, max };
                let value = self.field_value(field);
                self.fail(check, field, rule, value, suggestions);
            }
        }
    }

    /// The field that sets the notional: `quoteOrderQty` when it is the
    /// notional, else `quantity`.
    fn notional_field(&self) -> Field {
        self.notional_basis().0.field()
    }

    fn field_value(&self, field: Field) -> Option<Decimal> {
        self.decimal_fields()
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
            let step = quantity_step(self.filters, self.order.order_type);
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
        let filters = self.filters;
        for filter in filters {
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
        let step = quantity_step(self.filters, OrderType::Limit);
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
        let filters = self.filters;
        for filter in filters {
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
        // Each limit is checked where it is found: no list of them is
        // built for every order.
        let filters = self.filters;
        for filter in filters {
            match *filter {
                SymbolFilter::MaxNumOrders { max_num_orders } => {
                    self.open_limit(Check::MaxNumOrders, max_num_orders, |c| c.symbol_orders);
                }
                SymbolFilter::MaxNumAlgoOrders {
                    max_num_algo_orders,
                } if algo => self.open_limit(Check::MaxNumAlgoOrders, max_num_algo_orders, |c| {
                    c.symbol_algo_orders
                }),
                SymbolFilter::MaxNumIcebergOrders {
                    max_num_iceberg_orders,
                } if iceberg => {
                    self.open_limit(Check::MaxNumIcebergOrders, max_num_iceberg_orders, |c| {
                        c.symbol_iceberg_orders
                    })
                }
                _ => {}
            }
        }
        let context = self.context;
        let exchange_filters = context.exchange_filters.iter().chain(
            context
                .my_filters
                .iter()
                .flat_map(|mine| mine.exchange_filters.iter()),
        );
        for filter in exchange_filters {
            match *filter {
                ExchangeFilter::ExchangeMaxNumOrders { max_num_orders } => {
                    self.open_limit(Check::ExchangeMaxNumOrders, max_num_orders, |c| {
                        c.exchange_orders
                    });
                }
                ExchangeFilter::ExchangeMaxNumAlgoOrders {
                    max_num_algo_orders,
                } if algo => {
                    self.open_limit(Check::ExchangeMaxNumAlgoOrders, max_num_algo_orders, |c| {
                        c.exchange_algo_orders
                    })
                }
                ExchangeFilter::ExchangeMaxNumIcebergOrders {
                    max_num_iceberg_orders,
                } if iceberg => self.open_limit(
                    Check::ExchangeMaxNumIcebergOrders,
                    max_num_iceberg_orders,
                    |c| c.exchange_iceberg_orders,
                ),
                _ => {}
            }
        }
    }

    /// One open-order limit against the context's counts.
    fn open_limit(&mut self, check: Check, limit: u32, count: CountOf) {
        let Some(counts) = self.context.open_orders else {
            self.skip(check, "no open-order counts in the context");
            return;
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

    fn max_position(&mut self) {
        if self.order.side != Side::Buy {
            return;
        }
        let filters = self.filters;
        for filter in filters {
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

/// `value > 0`, from the sign and the mantissa: a comparison with
/// `Decimal::ZERO` costs a call and a scale check on every order.
fn above_zero(value: Decimal) -> bool {
    value.is_sign_positive() && !value.is_zero()
}

/// `value < 0` (`-0` is not), as [`above_zero`].
fn below_zero(value: Decimal) -> bool {
    value.is_sign_negative() && !value.is_zero()
}

/// Whether a value breaks the server's DECIMAL pattern by its length:
/// more than 20 digits before the point or after it.
fn too_long(value: Decimal) -> bool {
    // A mantissa that fits a `u64` is below 1.9 × 10^19, so the value is
    // below 10^20; a scale of 20 or less has at most 20 decimals.
    let big = u64::try_from(value.mantissa().unsigned_abs()).is_err();
    (big && value.abs() >= DECIMAL_BOUND) || (value.scale() > 20 && decimals(value) > 20)
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
mod tests {
    use super::*;

    #[test]
    fn the_decimal_bound_is_ten_to_the_twentieth() {
        let ten_billion = Decimal::from(10_u64.pow(10));
        assert_eq!(DECIMAL_BOUND, ten_billion * ten_billion);
        assert_eq!(DECIMAL_BOUND.to_string(), format!("1{}", "0".repeat(20)));
    }

    #[test]
    fn the_sign_tests_agree_with_comparing_to_zero() {
        for text in [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "1",
            "-1",
            "0.00000001",
            "-0.00000001",
        ] {
            let value: Decimal = text.parse().unwrap();
            assert_eq!(above_zero(value), value > Decimal::ZERO, "{text}");
            assert_eq!(below_zero(value), value < Decimal::ZERO, "{text}");
        }
        let negative_zero = Decimal::ZERO * Decimal::NEGATIVE_ONE;
        assert!(!above_zero(negative_zero) && !below_zero(negative_zero));
    }

    #[test]
    fn a_decimal_is_too_long_past_twenty_digits_either_side() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        assert!(!too_long(d("99999999999999999999")));
        assert!(too_long(d("100000000000000000000")));
        assert!(too_long(d("100000000000000000000.5")));
        assert!(!too_long(d("0.12345678901234567890")));
        assert!(!too_long(d("0.123456789012345678900000")));
        assert!(too_long(d("0.123456789012345678901")));
        assert!(!too_long(d("18446744073709551615")));
    }
}
