//! `GET /api/v3/exchangeInfo`: symbols, their filters and the rate limits;
//! `GET /api/v3/myFilters`: the filters that apply to one account.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Millis;

/// `GET /api/v3/exchangeInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    /// Always `UTC`.
    #[serde(default)]
    pub timezone: String,
    /// The server time when the answer was built.
    pub server_time: Millis,
    /// The limits the rate-limit ledger enforces.
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    /// Limits across every symbol (`EXCHANGE_MAX_NUM_ORDERS`, ...).
    #[serde(default)]
    pub exchange_filters: Vec<ExchangeFilter>,
    /// The symbols asked for (all of them by default).
    #[serde(default)]
    pub symbols: Vec<SymbolInfo>,
}

impl ExchangeInfo {
    /// The symbol named `symbol`, if listed.
    pub fn symbol(&self, symbol: &str) -> Option<&SymbolInfo> {
        self.symbols.iter().find(|info| info.symbol == symbol)
    }
}

/// One entry of `rateLimits`: at most `limit` per `interval_num` `interval`s.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// What is counted.
    pub rate_limit_type: RateLimitType,
    /// The window's unit.
    pub interval: RateLimitInterval,
    /// How many units the window spans.
    pub interval_num: u32,
    /// The most allowed per window.
    pub limit: u32,
}

impl RateLimit {
    /// The window length in milliseconds.
    pub fn window_ms(&self) -> i64 {
        self.interval.millis() * i64::from(self.interval_num)
    }
}

/// What a [`RateLimit`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitType {
    /// Request weight per IP.
    RequestWeight,
    /// Orders per account.
    Orders,
    /// Raw requests per IP.
    RawRequests,
    /// A type this crate does not know.
    #[serde(other)]
    Other,
}

/// The unit of a [`RateLimit`] window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitInterval {
    /// One second (`S` in headers).
    Second,
    /// One minute (`M`).
    Minute,
    /// One hour (`H`).
    Hour,
    /// One day (`D`).
    Day,
}

impl RateLimitInterval {
    /// The unit in milliseconds.
    pub fn millis(self) -> i64 {
        match self {
            RateLimitInterval::Second => 1_000,
            RateLimitInterval::Minute => 60_000,
            RateLimitInterval::Hour => 3_600_000,
            RateLimitInterval::Day => 86_400_000,
        }
    }

    /// The letter used in `X-MBX-USED-WEIGHT-1M` style headers.
    pub fn from_letter(letter: char) -> Option<RateLimitInterval> {
        match letter.to_ascii_uppercase() {
            'S' => Some(RateLimitInterval::Second),
            'M' => Some(RateLimitInterval::Minute),
            'H' => Some(RateLimitInterval::Hour),
            'D' => Some(RateLimitInterval::Day),
            _ => None,
        }
    }
}

/// One symbol of `exchangeInfo`.
///
/// The `...Allowed` flags are `None` when the server did not send them
/// (hand-written or trimmed JSON); [`crate::preflight`] checks only the
/// flags it knows.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    /// E.g. `BTCUSDT`.
    pub symbol: String,
    /// `TRADING`, `HALT`, `BREAK`, `END_OF_DAY`, `CANCEL_ONLY`; see
    /// [`SymbolInfo::trading_status`].
    pub status: String,
    /// E.g. `BTC`.
    pub base_asset: String,
    /// Most decimals a `quantity` or `icebergQty` may have (`-1111`
    /// otherwise).
    #[serde(default)]
    pub base_asset_precision: Option<u32>,
    /// E.g. `USDT`.
    pub quote_asset: String,
    /// The older name of `quoteAssetPrecision` (to be removed in v4).
    #[serde(default)]
    pub quote_precision: Option<u32>,
    /// Most decimals of the quote asset.
    #[serde(default)]
    pub quote_asset_precision: Option<u32>,
    /// The order types allowed, e.g. `LIMIT`, `MARKET`.
    #[serde(default)]
    pub order_types: Vec<String>,
    /// Whether `icebergQty` may be sent.
    #[serde(default)]
    pub iceberg_allowed: Option<bool>,
    /// Whether OCO order lists are allowed.
    #[serde(default)]
    pub oco_allowed: Option<bool>,
    /// Whether OTO order lists are allowed.
    #[serde(default)]
    pub oto_allowed: Option<bool>,
    /// Whether MARKET orders may use `quoteOrderQty`.
    #[serde(default)]
    pub quote_order_qty_market_allowed: Option<bool>,
    /// Whether `trailingDelta` may be sent.
    #[serde(default)]
    pub allow_trailing_stop: Option<bool>,
    /// Whether `POST /api/v3/order/cancelReplace` is allowed.
    #[serde(default)]
    pub cancel_replace_allowed: Option<bool>,
    /// Whether orders may be amended (keep priority).
    #[serde(default)]
    pub amend_allowed: Option<bool>,
    /// Whether spot trading is allowed.
    #[serde(default)]
    pub is_spot_trading_allowed: Option<bool>,
    /// The trading rules.
    #[serde(default)]
    pub filters: Vec<SymbolFilter>,
    /// The account needs one permission of every inner list, e.g.
    /// `[["SPOT","MARGIN"]]` (empty when `showPermissionSets=false`).
    #[serde(default)]
    pub permission_sets: Vec<Vec<String>>,
}

impl SymbolInfo {
    /// The `PRICE_FILTER`'s tick size, if any.
    pub fn tick_size(&self) -> Option<Decimal> {
        self.filters.iter().find_map(|filter| match filter {
            SymbolFilter::PriceFilter { tick_size, .. } => Some(*tick_size),
            _ => None,
        })
    }

    /// The `LOT_SIZE` step size, if any.
    pub fn step_size(&self) -> Option<Decimal> {
        self.filters.iter().find_map(|filter| match filter {
            SymbolFilter::LotSize { step_size, .. } => Some(*step_size),
            _ => None,
        })
    }

    /// `status` as an enum.
    pub fn trading_status(&self) -> SymbolStatus {
        SymbolStatus::parse(&self.status)
    }

    /// Most decimals a `price`, `stopPrice` or `quoteOrderQty` may have:
    /// `quoteAssetPrecision`, or `quotePrecision` from older servers.
    pub fn quote_precision(&self) -> Option<u32> {
        self.quote_asset_precision.or(self.quote_precision)
    }
}

/// A symbol's `status` (`shared/binance-docs/enums.md`). Only `TRADING`
/// accepts new orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SymbolStatus {
    /// Orders are accepted.
    Trading,
    /// Trading has ended for the day.
    EndOfDay,
    /// Trading is halted.
    Halt,
    /// Trading is on break.
    Break,
    /// Only cancellations are accepted (new in 2026-07).
    CancelOnly,
    /// A status this crate does not know.
    Other,
}

impl SymbolStatus {
    /// Reads Binance's text; unknown text is [`SymbolStatus::Other`].
    pub fn parse(text: &str) -> SymbolStatus {
        match text {
            "TRADING" => SymbolStatus::Trading,
            "END_OF_DAY" => SymbolStatus::EndOfDay,
            "HALT" => SymbolStatus::Halt,
            "BREAK" => SymbolStatus::Break,
            "CANCEL_ONLY" => SymbolStatus::CancelOnly,
            _ => SymbolStatus::Other,
        }
    }
}

/// A symbol filter (`shared/binance-docs/filters.md`). Filters this crate
/// does not model parse as [`SymbolFilter::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SymbolFilter {
    /// Price bounds and tick size (0 disables a rule).
    #[serde(rename_all = "camelCase")]
    PriceFilter {
        /// Lowest price.
        min_price: Decimal,
        /// Highest price.
        max_price: Decimal,
        /// Price grid.
        tick_size: Decimal,
    },
    /// Price band around the average price.
    #[serde(rename_all = "camelCase")]
    PercentPrice {
        /// Upper multiplier.
        multiplier_up: Decimal,
        /// Lower multiplier.
        multiplier_down: Decimal,
        /// Minutes of the average (0 = last price).
        avg_price_mins: u32,
    },
    /// Price band by side.
    #[serde(rename_all = "camelCase")]
    PercentPriceBySide {
        /// Bid upper multiplier.
        bid_multiplier_up: Decimal,
        /// Bid lower multiplier.
        bid_multiplier_down: Decimal,
        /// Ask upper multiplier.
        ask_multiplier_up: Decimal,
        /// Ask lower multiplier.
        ask_multiplier_down: Decimal,
        /// Minutes of the average.
        avg_price_mins: u32,
    },
    /// Quantity bounds and step.
    #[serde(rename_all = "camelCase")]
    LotSize {
        /// Smallest quantity.
        min_qty: Decimal,
        /// Largest quantity.
        max_qty: Decimal,
        /// Quantity grid.
        step_size: Decimal,
    },
    /// Quantity bounds and step for MARKET orders.
    #[serde(rename_all = "camelCase")]
    MarketLotSize {
        /// Smallest quantity.
        min_qty: Decimal,
        /// Largest quantity.
        max_qty: Decimal,
        /// Quantity grid.
        step_size: Decimal,
    },
    /// Smallest notional (legacy).
    #[serde(rename_all = "camelCase")]
    MinNotional {
        /// Smallest `price × quantity`.
        min_notional: Decimal,
        /// Whether MARKET orders are checked.
        #[serde(default)]
        apply_to_market: bool,
        /// Minutes of the average price for MARKET orders.
        #[serde(default)]
        avg_price_mins: u32,
    },
    /// Notional bounds.
    #[serde(rename_all = "camelCase")]
    Notional {
        /// Smallest `price × quantity`.
        min_notional: Decimal,
        /// Whether the minimum applies to MARKET orders.
        #[serde(default)]
        apply_min_to_market: bool,
        /// Largest `price × quantity`.
        max_notional: Decimal,
        /// Whether the maximum applies to MARKET orders.
        #[serde(default)]
        apply_max_to_market: bool,
        /// Minutes of the average price for MARKET orders.
        #[serde(default)]
        avg_price_mins: u32,
    },
    /// Most iceberg parts.
    #[serde(rename_all = "camelCase")]
    IcebergParts {
        /// The limit.
        limit: u32,
    },
    /// Most open orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumOrders {
        /// The limit.
        max_num_orders: u32,
    },
    /// Most open algo (stop) orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumAlgoOrders {
        /// The limit.
        max_num_algo_orders: u32,
    },
    /// Most open iceberg orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumIcebergOrders {
        /// The limit.
        max_num_iceberg_orders: u32,
    },
    /// Largest base-asset position (balance plus open BUY quantity).
    #[serde(rename_all = "camelCase")]
    MaxPosition {
        /// The limit.
        max_position: Decimal,
    },
    /// Bounds of `trailingDelta`, in basis points.
    #[serde(rename_all = "camelCase")]
    TrailingDelta {
        /// Lowest delta for orders triggered above the market.
        min_trailing_above_delta: u32,
        /// Highest delta for orders triggered above the market.
        max_trailing_above_delta: u32,
        /// Lowest delta for orders triggered below the market.
        min_trailing_below_delta: u32,
        /// Highest delta for orders triggered below the market.
        max_trailing_below_delta: u32,
    },
    /// Most amendments of one order.
    #[serde(rename_all = "camelCase")]
    MaxNumOrderAmends {
        /// The limit.
        max_num_order_amends: u32,
    },
    /// Most open order lists on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumOrderLists {
        /// The limit.
        max_num_order_lists: u32,
    },
    /// Any other filter.
    #[serde(other)]
    Other,
}

/// An exchange filter: a limit across every symbol
/// (`shared/binance-docs/filters.md` § Exchange Filters).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ExchangeFilter {
    /// Most open orders on the exchange.
    #[serde(rename_all = "camelCase")]
    ExchangeMaxNumOrders {
        /// The limit.
        max_num_orders: u32,
    },
    /// Most open algo (stop) orders on the exchange.
    #[serde(rename_all = "camelCase")]
    ExchangeMaxNumAlgoOrders {
        /// The limit.
        max_num_algo_orders: u32,
    },
    /// Most open iceberg orders on the exchange.
    #[serde(rename_all = "camelCase")]
    ExchangeMaxNumIcebergOrders {
        /// The limit.
        max_num_iceberg_orders: u32,
    },
    /// Most open order lists on the exchange.
    #[serde(rename_all = "camelCase")]
    ExchangeMaxNumOrderLists {
        /// The limit.
        max_num_order_lists: u32,
    },
    /// Any other filter.
    #[serde(other)]
    Other,
}

/// An asset filter; only `GET /api/v3/myFilters` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum AssetFilter {
    /// Most of `asset` one order may transact: the quantity when it is the
    /// base asset, the notional when it is the quote asset.
    #[serde(rename_all = "camelCase")]
    MaxAsset {
        /// E.g. `USDC`.
        asset: String,
        /// The limit.
        limit: Decimal,
    },
    /// Any other filter.
    #[serde(other)]
    Other,
}

/// `GET /api/v3/myFilters`: the filters relevant to an account on one
/// symbol, including the account's own `MAX_ASSET` limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyFilters {
    /// Exchange filters.
    #[serde(default)]
    pub exchange_filters: Vec<ExchangeFilter>,
    /// Symbol filters.
    #[serde(default)]
    pub symbol_filters: Vec<SymbolFilter>,
    /// Asset filters.
    #[serde(default)]
    pub asset_filters: Vec<AssetFilter>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"{
      "timezone": "UTC", "serverTime": 1565246363776,
      "rateLimits": [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000}
      ],
      "exchangeFilters": [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}],
      "symbols": [{
        "symbol": "ETHBTC", "status": "TRADING", "baseAsset": "ETH", "baseAssetPrecision": 8,
        "quoteAsset": "BTC", "quotePrecision": 8, "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"], "icebergAllowed": true, "isSpotTradingAllowed": true,
        "filters": [
          {"filterType": "PRICE_FILTER", "minPrice": "0.00000100", "maxPrice": "100000.00000000", "tickSize": "0.00000100"},
          {"filterType": "LOT_SIZE", "minQty": "0.00100000", "maxQty": "100000.00000000", "stepSize": "0.00100000"},
          {"filterType": "NOTIONAL", "minNotional": "0.00010000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
          {"filterType": "MAX_POSITION", "maxPosition": "10.00000000"},
          {"filterType": "SOMETHING_NEW", "x": 1}
        ],
        "permissions": [], "permissionSets": [["SPOT"]]
      }]
    }"#;

    #[test]
    fn parses_symbols_filters_and_limits() {
        let info: ExchangeInfo = serde_json::from_str(INFO).unwrap();
        let symbol = info.symbol("ETHBTC").unwrap();
        assert_eq!(symbol.tick_size().unwrap().to_string(), "0.00000100");
        assert_eq!(symbol.step_size().unwrap().to_string(), "0.00100000");
        assert_eq!(
            symbol.filters[3],
            SymbolFilter::MaxPosition {
                max_position: "10".parse().unwrap()
            }
        );
        assert_eq!(symbol.filters[4], SymbolFilter::Other);
        assert_eq!(symbol.permission_sets, [["SPOT"]]);
        assert_eq!(symbol.iceberg_allowed, Some(true));
        assert_eq!(symbol.allow_trailing_stop, None);
        assert_eq!(symbol.trading_status(), SymbolStatus::Trading);
        assert_eq!(info.rate_limits[0].window_ms(), 60_000);
        assert_eq!(info.rate_limits[2].window_ms(), 300_000);
        assert_eq!(
            info.exchange_filters,
            [ExchangeFilter::ExchangeMaxNumOrders {
                max_num_orders: 1000
            }]
        );
    }

    #[test]
    fn parses_my_filters_as_documented() {
        // rest-api.md § Query relevant filters.
        let mine: MyFilters = serde_json::from_str(
            r#"{
              "exchangeFilters": [{"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000}],
              "symbolFilters": [{"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20}],
              "assetFilters": [{"filterType": "MAX_ASSET", "asset": "JPY", "limit": "1000000.00000000"}]
            }"#,
        )
        .unwrap();
        assert_eq!(
            mine.symbol_filters,
            [SymbolFilter::MaxNumOrderLists {
                max_num_order_lists: 20
            }]
        );
        assert_eq!(
            mine.asset_filters,
            [AssetFilter::MaxAsset {
                asset: "JPY".into(),
                limit: "1000000.00000000".parse().unwrap()
            }]
        );
    }
}
