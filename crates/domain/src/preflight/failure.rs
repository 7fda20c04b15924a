//! Why an order would be refused: [`FilterFailure`] names the check, the
//! field, the rule broken and the nearest values that pass.

use std::fmt;

use rust_decimal::Decimal;

use crate::model::OrderType;

/// What refuses the order: a symbol rule of `exchangeInfo` or a filter of
/// `shared/binance-docs/filters.md`.
///
/// The declaration order is the order of importance [`super::check`] sorts
/// by: a symbol that is not trading or an order type it does not take
/// makes every other finding moot; `-1111` precision comes before the
/// filters, as on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Check {
    /// The symbol's `status` is not `TRADING`.
    SymbolStatus,
    /// `isSpotTradingAllowed` is false.
    SpotTrading,
    /// The account has none of the permissions of a `permissionSets` entry.
    Permissions,
    /// The order type is not in `orderTypes`.
    OrderType,
    /// The parameters do not fit the order type (missing, not required,
    /// malformed, `price × quantity` not positive).
    Parameters,
    /// `icebergQty` on a symbol whose `icebergAllowed` is false.
    IcebergAllowed,
    /// `quoteOrderQty` on a symbol whose `quoteOrderQtyMarketAllowed` is
    /// false.
    QuoteOrderQtyMarketAllowed,
    /// `trailingDelta` on a symbol whose `allowTrailingStop` is false.
    AllowTrailingStop,
    /// An OCO order list on a symbol whose `ocoAllowed` is false.
    OcoAllowed,
    /// An OTO order list on a symbol whose `otoAllowed` is false.
    OtoAllowed,
    /// A cancel-replace on a symbol whose `cancelReplaceAllowed` is false.
    CancelReplaceAllowed,
    /// An amendment on a symbol whose `amendAllowed` is false.
    AmendAllowed,
    /// More decimals than `baseAssetPrecision` / `quoteAssetPrecision`.
    Precision,
    /// `PRICE_FILTER`.
    PriceFilter,
    /// `PERCENT_PRICE`.
    PercentPrice,
    /// `PERCENT_PRICE_BY_SIDE`.
    PercentPriceBySide,
    /// `LOT_SIZE`.
    LotSize,
    /// `MARKET_LOT_SIZE`.
    MarketLotSize,
    /// `MIN_NOTIONAL`.
    MinNotional,
    /// `NOTIONAL`.
    Notional,
    /// `ICEBERG_PARTS`.
    IcebergParts,
    /// `TRAILING_DELTA`.
    TrailingDelta,
    /// `MAX_NUM_ORDERS`.
    MaxNumOrders,
    /// `MAX_NUM_ALGO_ORDERS`.
    MaxNumAlgoOrders,
    /// `MAX_NUM_ICEBERG_ORDERS`.
    MaxNumIcebergOrders,
    /// `EXCHANGE_MAX_NUM_ORDERS`.
    ExchangeMaxNumOrders,
    /// `EXCHANGE_MAX_NUM_ALGO_ORDERS`.
    ExchangeMaxNumAlgoOrders,
    /// `EXCHANGE_MAX_NUM_ICEBERG_ORDERS`.
    ExchangeMaxNumIcebergOrders,
    /// `MAX_POSITION`.
    MaxPosition,
    /// `MAX_ASSET` (from `GET /api/v3/myFilters`).
    MaxAsset,
}

impl Check {
    /// The filter's `filterType`, or the `exchangeInfo` field of a symbol
    /// rule.
    pub fn name(self) -> &'static str {
        match self {
            Check::SymbolStatus => "status",
            Check::SpotTrading => "isSpotTradingAllowed",
            Check::Permissions => "permissionSets",
            Check::OrderType => "orderTypes",
            Check::Parameters => "parameters",
            Check::IcebergAllowed => "icebergAllowed",
            Check::QuoteOrderQtyMarketAllowed => "quoteOrderQtyMarketAllowed",
            Check::AllowTrailingStop => "allowTrailingStop",
            Check::OcoAllowed => "ocoAllowed",
            Check::OtoAllowed => "otoAllowed",
            Check::CancelReplaceAllowed => "cancelReplaceAllowed",
            Check::AmendAllowed => "amendAllowed",
            Check::Precision => "precision",
            Check::PriceFilter => "PRICE_FILTER",
            Check::PercentPrice => "PERCENT_PRICE",
            Check::PercentPriceBySide => "PERCENT_PRICE_BY_SIDE",
            Check::LotSize => "LOT_SIZE",
            Check::MarketLotSize => "MARKET_LOT_SIZE",
            Check::MinNotional => "MIN_NOTIONAL",
            Check::Notional => "NOTIONAL",
            Check::IcebergParts => "ICEBERG_PARTS",
            Check::TrailingDelta => "TRAILING_DELTA",
            Check::MaxNumOrders => "MAX_NUM_ORDERS",
            Check::MaxNumAlgoOrders => "MAX_NUM_ALGO_ORDERS",
            Check::MaxNumIcebergOrders => "MAX_NUM_ICEBERG_ORDERS",
            Check::ExchangeMaxNumOrders => "EXCHANGE_MAX_NUM_ORDERS",
            Check::ExchangeMaxNumAlgoOrders => "EXCHANGE_MAX_NUM_ALGO_ORDERS",
            Check::ExchangeMaxNumIcebergOrders => "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
            Check::MaxPosition => "MAX_POSITION",
            Check::MaxAsset => "MAX_ASSET",
        }
    }

    /// Whether this is a filter of filters.md, which the server reports as
    /// `-1013` "Filter failure: NAME".
    pub fn is_filter(self) -> bool {
        self >= Check::PriceFilter
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The order field a failure is about (the request parameter's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The symbol itself.
    Symbol,
    /// `type`.
    Type,
    /// `timeInForce`.
    TimeInForce,
    /// `price`.
    Price,
    /// `stopPrice`.
    StopPrice,
    /// `quantity`.
    Quantity,
    /// `quoteOrderQty`.
    QuoteOrderQty,
    /// `icebergQty`.
    IcebergQty,
    /// `trailingDelta`.
    TrailingDelta,
    /// The account's open orders.
    OpenOrders,
}

impl Field {
    /// The request parameter's name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Symbol => "symbol",
            Field::Type => "type",
            Field::TimeInForce => "timeInForce",
            Field::Price => "price",
            Field::StopPrice => "stopPrice",
            Field::Quantity => "quantity",
            Field::QuoteOrderQty => "quoteOrderQty",
            Field::IcebergQty => "icebergQty",
            Field::TrailingDelta => "trailingDelta",
            Field::OpenOrders => "open orders",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule broken, with the numbers that define it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The order names another symbol than the rules it was checked
    /// against: a mistake of the caller, not something the server answers.
    OtherSymbol {
        /// The order's symbol.
        order_symbol: String,
        /// The symbol of the `exchangeInfo` entry.
        rules_for: String,
    },
    /// The symbol's status is this, not `TRADING`.
    Status {
        /// The status text.
        status: String,
    },
    /// The order type is not in `orderTypes`.
    TypeNotAllowed {
        /// The type sent.
        order_type: OrderType,
    },
    /// A flag of the symbol forbids what the order uses.
    NotAllowed,
    /// The account has none of these permissions.
    NotPermitted {
        /// One entry of `permissionSets`.
        needed: Vec<String>,
    },
    /// A mandatory parameter was not sent.
    Missing {
        /// A parameter that may be sent instead.
        or: Option<Field>,
    },
    /// A parameter the order type does not take was sent.
    NotRequired,
    /// A combination the server does not take (an iceberg order that is
    /// not `GTC`).
    Combination,
    /// Not a plain decimal the server parses: negative, or more than 20
    /// integer digits.
    Malformed,
    /// More decimals than the asset's precision.
    TooPrecise {
        /// The most decimals allowed.
        max_decimals: u32,
    },
    /// Below the filter's minimum.
    BelowMin {
        /// The minimum.
        min: Decimal,
    },
    /// Above the filter's maximum.
    AboveMax {
        /// The maximum.
        max: Decimal,
    },
    /// Not a multiple of the filter's step.
    OffStep {
        /// `tickSize` or `stepSize`.
        step: Decimal,
    },
    /// Outside the band around the reference or average price.
    OutsideBand {
        /// `price × multiplierDown`.
        low: Decimal,
        /// `price × multiplierUp`.
        high: Decimal,
        /// The reference, average or last price used.
        reference: Decimal,
    },
    /// `price × quantity` is zero or less.
    NotionalNotPositive,
    /// `price × quantity` is below the minimum notional.
    NotionalBelowMin {
        /// The order's notional.
        notional: Decimal,
        /// `minNotional`.
        min: Decimal,
    },
    /// `price × quantity` is above the maximum notional.
    NotionalAboveMax {
        /// The order's notional.
        notional: Decimal,
        /// `maxNotional`.
        max: Decimal,
    },
    /// `CEIL(quantity / icebergQty)` is above `ICEBERG_PARTS.limit`.
    TooManyParts {
        /// The parts the order would have.
        parts: Decimal,
        /// The limit.
        limit: u32,
    },
    /// `icebergQty` is not below `quantity`.
    IcebergNotBelowQuantity {
        /// The order's quantity.
        quantity: Decimal,
    },
    /// The account already has `open` such orders; the limit is `limit`.
    TooManyOpen {
        /// Open orders counted by the filter.
        open: u32,
        /// The limit.
        limit: u32,
    },
    /// Balance plus open BUY quantity plus this order exceeds `maxPosition`.
    PositionAboveMax {
        /// The position before the order.
        position: Decimal,
        /// `maxPosition`.
        max: Decimal,
    },
    /// The order transacts more of `asset` than the account's `MAX_ASSET`.
    AboveAssetLimit {
        /// The asset.
        asset: String,
        /// The amount of it the order transacts.
        amount: Decimal,
        /// The limit.
        limit: Decimal,
    },
}

/// Why the server would refuse an order, and what would pass instead.
///
/// `suggestions` are values for `field`, nearest first, each on the
/// filter's grid and inside its bounds (`quantity 0.123456` on a
/// `stepSize` of `0.0001` suggests `0.1234` and `0.1235`). A notional
/// failure suggests quantities (or a `quoteOrderQty`) that reach the bound
/// at the order's price.
///
/// ```
/// use mbx_domain::preflight::{Check, Field, FilterFailure, Rule};
///
/// let failure = FilterFailure {
///     check: Check::LotSize,
///     field: Field::Quantity,
///     rule: Rule::OffStep { step: "0.00010".parse().unwrap() },
///     value: Some("0.123456".parse().unwrap()),
///     suggestions: vec!["0.1234".parse().unwrap(), "0.1235".parse().unwrap()],
/// };
/// assert_eq!(
///     failure.to_string(),
///     "LOT_SIZE: quantity 0.123456 is not a multiple of stepSize 0.00010: use 0.1234 or 0.1235"
/// );
/// assert_eq!(failure.binance_msg(), "Filter failure: LOT_SIZE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterFailure {
    /// The filter or symbol rule.
    pub check: Check,
    /// The field at fault.
    pub field: Field,
    /// The rule broken.
    pub rule: Rule,
    /// The field's value, when it has one.
    pub value: Option<Decimal>,
    /// Values of `field` that pass this check, nearest first.
    pub suggestions: Vec<Decimal>,
}

impl FilterFailure {
    /// The error codes the server answers with. Filters are `-1013`;
    /// engine rejections come as `-2010` or `-1013` (errors.md § -1013
    /// points to both message lists), parameter errors as their `-11xx`.
    /// Empty for [`Rule::OtherSymbol`], which the server never sees.
    pub fn binance_codes(&self) -> &'static [i64] {
        if self.check.is_filter() {
            return &[-1013];
        }
        match (&self.rule, self.field) {
            (Rule::OtherSymbol { .. }, _) => &[],
            (Rule::TypeNotAllowed { order_type }, _) if *order_type == OrderType::Other => &[-1116],
            (Rule::Missing { .. }, _) => &[-1102],
            (Rule::NotRequired, Field::TimeInForce) => &[-1114],
            (Rule::NotRequired, _) => &[-1106],
            (Rule::Malformed, _) => &[-1100],
            (Rule::TooPrecise { .. }, _) => &[-1111],
            _ => &[-2010, -1013],
        }
    }

    /// The message the server answers with (errors.md), word for word
    /// where errors.md gives one; empty for [`Rule::OtherSymbol`].
    pub fn binance_msg(&self) -> String {
        if self.check.is_filter() {
            return format!("Filter failure: {}", self.check.name());
        }
        let field = self.field.name();
        match &self.rule {
            Rule::OtherSymbol { .. } => String::new(),
            Rule::Status { .. } => "Market is closed.".to_owned(),
            Rule::TypeNotAllowed { order_type } => type_not_supported(*order_type).to_owned(),
            Rule::NotPermitted { .. } => {
                "This symbol is not permitted for this account.".to_owned()
            }
            Rule::NotAllowed => match self.check {
                Check::IcebergAllowed => "Iceberg orders are not supported for this symbol.",
                Check::QuoteOrderQtyMarketAllowed => {
                    "Quote order qty market orders are not support for this symbol."
                }
                Check::AllowTrailingStop => {
                    "Trailing stop orders are not supported for this symbol."
                }
                Check::OcoAllowed => "OCO orders are not supported for this symbol",
                Check::CancelReplaceAllowed => {
                    "Order cancel-replace is not supported for this symbol."
                }
                Check::AmendAllowed => "Order amend is not supported for this symbol.",
                // errors.md has no message for OTO; this is the general one.
                Check::OtoAllowed => "Unsupported order combination",
                _ => "This symbol is not permitted for this account.",
            }
            .to_owned(),
            Rule::Missing { or: Some(other) } => {
                format!("Param '{field}' or '{other}' must be sent, but both were empty/null!")
            }
            Rule::Missing { or: None } => {
                format!("Mandatory parameter '{field}' was not sent, was empty/null, or malformed.")
            }
            Rule::NotRequired if self.field == Field::TimeInForce => {
                "TimeInForce parameter sent when not required.".to_owned()
            }
            Rule::NotRequired => format!("Parameter '{field}' sent when not required."),
            Rule::Malformed => format!(
                "Illegal characters found in parameter '{field}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."
            ),
            Rule::TooPrecise { .. } => format!("Parameter '{field}' has too much precision."),
            Rule::NotionalNotPositive => "Price * QTY is zero or less.".to_owned(),
            Rule::IcebergNotBelowQuantity { .. } => "IcebergQty exceeds QTY.".to_owned(),
            _ => "Unsupported order combination".to_owned(),
        }
    }
}

impl fmt::Display for FilterFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.check)?;
        let field = self.field;
        let value = self.value.map(|v| v.to_string()).unwrap_or_default();
        match &self.rule {
            Rule::OtherSymbol {
                order_symbol,
                rules_for,
            } => write!(
                f,
                "the order is for {order_symbol}, these rules are for {rules_for}"
            )?,
            Rule::Status { status } => write!(f, "the symbol is {status}, not TRADING")?,
            Rule::TypeNotAllowed { order_type } => {
                write!(f, "{order_type} orders are not allowed on this symbol")?
            }
            Rule::NotAllowed => match self.check {
                Check::IcebergAllowed => f.write_str("iceberg orders are not allowed")?,
                Check::QuoteOrderQtyMarketAllowed => {
                    f.write_str("MARKET orders by quoteOrderQty are not allowed")?
                }
                Check::AllowTrailingStop => f.write_str("trailing stops are not allowed")?,
                Check::OcoAllowed => f.write_str("OCO order lists are not allowed")?,
                Check::OtoAllowed => f.write_str("OTO order lists are not allowed")?,
                Check::CancelReplaceAllowed => f.write_str("cancel-replace is not allowed")?,
                Check::AmendAllowed => f.write_str("amending orders is not allowed")?,
                _ => f.write_str("spot trading is not allowed on this symbol")?,
            },
            Rule::NotPermitted { needed } => write!(
                f,
                "the account needs one of the permissions {}",
                needed.join(", ")
            )?,
            Rule::Missing { or: Some(other) } => write!(f, "send {field} or {other}")?,
            Rule::Missing { or: None } => write!(f, "{field} is mandatory for this order type")?,
            Rule::NotRequired => write!(f, "{field} is not taken by this order type")?,
            Rule::Combination => write!(f, "{field} must be GTC for an iceberg order")?,
            Rule::Malformed => write!(
                f,
                "{field} {value} is not a plain non-negative decimal of at most 20 integer digits"
            )?,
            Rule::TooPrecise { max_decimals } => {
                write!(f, "{field} {value} has more than {max_decimals} decimals")?
            }
            Rule::BelowMin { min } => write!(f, "{field} {value} is below the minimum {min}")?,
            Rule::AboveMax { max } => write!(f, "{field} {value} is above the maximum {max}")?,
            Rule::OffStep { step } => {
                let step_name = if self.check == Check::PriceFilter {
                    "tickSize"
                } else {
                    "stepSize"
                };
                write!(f, "{field} {value} is not a multiple of {step_name} {step}")?
            }
            Rule::OutsideBand {
                low,
                high,
                reference,
            } => write!(
                f,
                "{field} {value} is outside {low}..{high} around the market price {reference}"
            )?,
            Rule::NotionalNotPositive => f.write_str("price × quantity is zero or less")?,
            Rule::NotionalBelowMin { notional, min } => {
                write!(f, "notional {notional} is below minNotional {min}")?
            }
            Rule::NotionalAboveMax { notional, max } => {
                write!(f, "notional {notional} is above maxNotional {max}")?
            }
            Rule::TooManyParts { parts, limit } => {
                write!(f, "{parts} iceberg parts is more than the limit {limit}")?
            }
            Rule::IcebergNotBelowQuantity { quantity } => {
                write!(f, "{field} {value} is not below the quantity {quantity}")?
            }
            Rule::TooManyOpen { open, limit } => {
                write!(f, "{open} open orders already, the limit is {limit}")?
            }
            Rule::PositionAboveMax { position, max } => write!(
                f,
                "position {position} plus quantity {value} is above maxPosition {max}"
            )?,
            Rule::AboveAssetLimit {
                asset,
                amount,
                limit,
            } => write!(
                f,
                "the order moves {amount} {asset}, above the account's limit {limit}"
            )?,
        }
        if !self.suggestions.is_empty() {
            let values: Vec<String> = self.suggestions.iter().map(|v| v.to_string()).collect();
            let noun = if matches!(
                self.rule,
                Rule::NotionalBelowMin { .. }
                    | Rule::NotionalAboveMax { .. }
                    | Rule::AboveAssetLimit { .. }
                    | Rule::TooManyParts { .. }
                    | Rule::PositionAboveMax { .. }
            ) {
                format!("{field} ")
            } else {
                String::new()
            };
            write!(f, ": use {noun}{}", values.join(" or "))?;
        }
        Ok(())
    }
}

/// errors.md's message for an order type the symbol does not take.
fn type_not_supported(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Market => "Market orders are not supported for this symbol.",
        OrderType::StopLoss => "Stop loss orders are not supported for this symbol.",
        OrderType::StopLossLimit => "Stop loss limit orders are not supported for this symbol.",
        OrderType::TakeProfit => "Take profit orders are not supported for this symbol.",
        OrderType::TakeProfitLimit => "Take profit limit orders are not supported for this symbol.",
        OrderType::Other => "Invalid orderType.",
        OrderType::Limit | OrderType::LimitMaker => "Unsupported order combination",
    }
}
