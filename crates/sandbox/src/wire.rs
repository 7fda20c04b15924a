//! Binance's JSON, field for field and in the order of rest-api.md.
//! Decimals are strings with eight decimals; IDs and times are integers.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::engine::{
    AVG_PRICE_MINS, AccountTrade, Allocation, Amendment, Fill, MAX_NUM_ALGO_ORDERS,
    MAX_NUM_ORDER_AMENDS, MAX_NUM_ORDER_LISTS, Order, OrderList, PERCENT_PRICE_DOWN,
    PERCENT_PRICE_UP, PreventedMatch, TRAILING_DELTA_RANGE,
};
use crate::market::{Level, SymbolMarket, SymbolSpec, Trade};
use crate::model::{OrderStatus, OrderType, StpMode};
use crate::reference::PriceRange;
use crate::stats;

/// 24 hours in milliseconds: the window of `ticker/24hr` and `@ticker`.
pub const DAY_MS: i64 = 86_400_000;

/// Formats a decimal with eight decimals, as Binance does.
pub fn dec(value: Decimal) -> String {
    format!("{:.8}", value)
}

/// A response with no fields: `{}`.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// `{"serverTime": ..}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Sandbox time (ms).
    pub server_time: i64,
}

/// One entry of `rateLimits`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// `REQUEST_WEIGHT`, `ORDERS` or `RAW_REQUESTS`.
    pub rate_limit_type: &'static str,
    /// `SECOND`, `MINUTE` or `DAY`.
    pub interval: &'static str,
    /// Number of intervals.
    pub interval_num: u32,
    /// The limit.
    pub limit: u32,
    /// Current count (only in `rateLimit/order`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// A symbol filter.
#[derive(Debug, Serialize)]
#[serde(tag = "filterType")]
#[allow(missing_docs)]
pub enum Filter {
    #[serde(rename = "PRICE_FILTER", rename_all = "camelCase")]
    PriceFilter {
        min_price: String,
        max_price: String,
        tick_size: String,
    },
    #[serde(rename = "LOT_SIZE", rename_all = "camelCase")]
    LotSize {
        min_qty: String,
        max_qty: String,
        step_size: String,
    },
    #[serde(rename = "ICEBERG_PARTS")]
    IcebergParts { limit: u32 },
    #[serde(rename = "MARKET_LOT_SIZE", rename_all = "camelCase")]
    MarketLotSize {
        min_qty: String,
        max_qty: String,
        step_size: String,
    },
    #[serde(rename = "TRAILING_DELTA", rename_all = "camelCase")]
    TrailingDelta {
        min_trailing_above_delta: u32,
        max_trailing_above_delta: u32,
        min_trailing_below_delta: u32,
        max_trailing_below_delta: u32,
    },
    #[serde(rename = "PERCENT_PRICE_BY_SIDE", rename_all = "camelCase")]
    PercentPriceBySide {
        bid_multiplier_up: String,
        bid_multiplier_down: String,
        ask_multiplier_up: String,
        ask_multiplier_down: String,
        avg_price_mins: u32,
    },
    #[serde(rename = "NOTIONAL", rename_all = "camelCase")]
    Notional {
        min_notional: String,
        apply_min_to_market: bool,
        max_notional: String,
        apply_max_to_market: bool,
        avg_price_mins: u32,
    },
    #[serde(rename = "MAX_NUM_ORDERS", rename_all = "camelCase")]
    MaxNumOrders { max_num_orders: u32 },
    #[serde(rename = "MAX_NUM_ALGO_ORDERS", rename_all = "camelCase")]
    MaxNumAlgoOrders { max_num_algo_orders: u32 },
    #[serde(rename = "MAX_NUM_ORDER_LISTS", rename_all = "camelCase")]
    MaxNumOrderLists { max_num_order_lists: u32 },
    #[serde(rename = "MAX_NUM_ORDER_AMENDS", rename_all = "camelCase")]
    MaxNumOrderAmends { max_num_order_amends: u32 },
}

/// A symbol in `exchangeInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct SymbolInfo {
    pub symbol: &'static str,
    pub status: &'static str,
    pub base_asset: &'static str,
    pub base_asset_precision: u32,
    pub quote_asset: &'static str,
    pub quote_precision: u32,
    pub quote_asset_precision: u32,
    pub base_commission_precision: u32,
    pub quote_commission_precision: u32,
    pub order_types: Vec<&'static str>,
    pub iceberg_allowed: bool,
    pub oco_allowed: bool,
    pub oto_allowed: bool,
    pub opo_allowed: bool,
    pub quote_order_qty_market_allowed: bool,
    pub allow_trailing_stop: bool,
    pub cancel_replace_allowed: bool,
    pub amend_allowed: bool,
    pub peg_instructions_allowed: bool,
    pub is_spot_trading_allowed: bool,
    pub is_margin_trading_allowed: bool,
    pub filters: Vec<Filter>,
    pub permissions: Vec<&'static str>,
    pub permission_sets: Vec<Vec<&'static str>>,
    pub default_self_trade_prevention_mode: &'static str,
    pub allowed_self_trade_prevention_modes: Vec<&'static str>,
}

impl SymbolInfo {
    /// The `exchangeInfo` entry of a symbol.
    pub fn new(spec: &SymbolSpec, show_permission_sets: bool) -> SymbolInfo {
        let plain = |d: Decimal| dec(d);
        SymbolInfo {
            symbol: spec.symbol,
            status: "TRADING",
            base_asset: spec.base,
            base_asset_precision: 8,
            quote_asset: spec.quote,
            quote_precision: 8,
            quote_asset_precision: 8,
            base_commission_precision: 8,
            quote_commission_precision: 8,
            order_types: OrderType::ALL.iter().map(|kind| kind.as_str()).collect(),
            iceberg_allowed: false,
            oco_allowed: true,
            oto_allowed: true,
            opo_allowed: true,
            quote_order_qty_market_allowed: true,
            allow_trailing_stop: true,
            cancel_replace_allowed: true,
            amend_allowed: true,
            peg_instructions_allowed: false,
            is_spot_trading_allowed: true,
            is_margin_trading_allowed: false,
            filters: vec![
                Filter::PriceFilter {
                    min_price: plain(spec.min_price),
                    max_price: plain(spec.max_price),
                    tick_size: plain(spec.tick_size),
                },
                Filter::LotSize {
                    min_qty: plain(spec.min_qty),
                    max_qty: plain(spec.max_qty),
                    step_size: plain(spec.step_size),
                },
                Filter::IcebergParts { limit: 10 },
                Filter::MarketLotSize {
                    min_qty: plain(Decimal::ZERO),
                    max_qty: plain(spec.market_max_qty),
                    step_size: plain(Decimal::ZERO),
                },
                Filter::TrailingDelta {
                    min_trailing_above_delta: TRAILING_DELTA_RANGE.0,
                    max_trailing_above_delta: TRAILING_DELTA_RANGE.1,
                    min_trailing_below_delta: TRAILING_DELTA_RANGE.0,
                    max_trailing_below_delta: TRAILING_DELTA_RANGE.1,
                },
                Filter::PercentPriceBySide {
                    bid_multiplier_up: PERCENT_PRICE_UP.to_string(),
                    bid_multiplier_down: PERCENT_PRICE_DOWN.to_string(),
                    ask_multiplier_up: PERCENT_PRICE_UP.to_string(),
                    ask_multiplier_down: PERCENT_PRICE_DOWN.to_string(),
                    avg_price_mins: AVG_PRICE_MINS,
                },
                Filter::Notional {
                    min_notional: plain(spec.min_notional),
                    apply_min_to_market: true,
                    max_notional: plain(spec.max_notional),
                    apply_max_to_market: false,
                    avg_price_mins: AVG_PRICE_MINS,
                },
                Filter::MaxNumOrders {
                    max_num_orders: crate::engine::MAX_NUM_ORDERS as u32,
                },
                Filter::MaxNumAlgoOrders {
                    max_num_algo_orders: MAX_NUM_ALGO_ORDERS as u32,
                },
                Filter::MaxNumOrderLists {
                    max_num_order_lists: MAX_NUM_ORDER_LISTS as u32,
                },
                Filter::MaxNumOrderAmends {
                    max_num_order_amends: MAX_NUM_ORDER_AMENDS as u32,
                },
            ],
            permissions: Vec::new(),
            permission_sets: if show_permission_sets {
                vec![vec!["SPOT"]]
            } else {
                Vec::new()
            },
            default_self_trade_prevention_mode: StpMode::None.as_str(),
            allowed_self_trade_prevention_modes: StpMode::ALL
                .iter()
                .map(|mode| mode.as_str())
                .collect(),
        }
    }
}

/// `GET /api/v3/exchangeInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ExchangeInfo {
    pub timezone: &'static str,
    pub server_time: i64,
    pub rate_limits: Vec<RateLimit>,
    pub exchange_filters: Vec<Filter>,
    pub symbols: Vec<SymbolInfo>,
    /// Present only when SOR is available for a listed symbol.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sors: Vec<SorGroup>,
}

/// One SOR configuration in `exchangeInfo`: the symbols whose books an
/// order placed through SOR may take from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct SorGroup {
    pub base_asset: &'static str,
    pub symbols: Vec<&'static str>,
}

/// `GET /api/v3/executionRules`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ExecutionRules {
    pub symbol_rules: Vec<SymbolRules>,
}

/// One symbol's execution rules.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct SymbolRules {
    pub symbol: &'static str,
    pub rules: Vec<ExecutionRule>,
}

/// An execution rule (enums.md § Execution Rules).
#[derive(Debug, Serialize)]
#[serde(tag = "ruleType")]
#[allow(missing_docs)]
pub enum ExecutionRule {
    #[serde(rename = "PRICE_RANGE", rename_all = "camelCase")]
    PriceRange {
        bid_limit_mult_up: String,
        bid_limit_mult_down: String,
        ask_limit_mult_up: String,
        ask_limit_mult_down: String,
    },
}

impl From<&PriceRange> for ExecutionRule {
    fn from(range: &PriceRange) -> ExecutionRule {
        let four = |value: Decimal| format!("{value:.4}");
        ExecutionRule::PriceRange {
            bid_limit_mult_up: four(range.bid_up),
            bid_limit_mult_down: four(range.bid_down),
            ask_limit_mult_up: four(range.ask_up),
            ask_limit_mult_down: four(range.ask_down),
        }
    }
}

/// `GET /api/v3/referencePrice`; `referencePrice` is `null` when no
/// reference price is set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ReferencePrice {
    pub symbol: &'static str,
    pub reference_price: Option<String>,
    pub timestamp: i64,
}

/// `GET /api/v3/referencePrice/calculation` for a reference price the
/// matching engine calculates.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ReferencePriceCalculation {
    pub symbol: &'static str,
    pub calculation_type: &'static str,
    pub bucket_count: i64,
    pub bucket_width_ms: i64,
}

/// A row of `GET /api/v3/historicalBlockTrades`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct BlockTrade {
    pub id: u64,
    pub price: String,
    pub qty: String,
    pub quote_qty: String,
    pub time: i64,
    pub is_buyer_maker: bool,
}

/// `GET /api/v3/depth`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Depth {
    pub last_update_id: u64,
    pub bids: Vec<[String; 2]>,
    pub asks: Vec<[String; 2]>,
}

/// A public trade (`trades`, `historicalTrades`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct PublicTrade {
    pub id: u64,
    pub price: String,
    pub qty: String,
    pub quote_qty: String,
    pub time: i64,
    pub is_buyer_maker: bool,
    pub is_best_match: bool,
}

impl From<&Trade> for PublicTrade {
    fn from(trade: &Trade) -> PublicTrade {
        PublicTrade {
            id: trade.id,
            price: dec(trade.price),
            qty: dec(trade.qty),
            quote_qty: dec(trade.quote_qty),
            time: trade.time,
            is_buyer_maker: trade.is_buyer_maker,
            is_best_match: true,
        }
    }
}

/// An aggregate trade: `a` → aggregate ID, `p` → price, `q` → quantity,
/// `f`/`l` → first/last trade ID, `T` → time, `m` → buyer is maker,
/// `M` → best match.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct AggTrade {
    pub a: u64,
    pub p: String,
    pub q: String,
    pub f: u64,
    pub l: u64,
    #[serde(rename = "T")]
    pub t: i64,
    pub m: bool,
    #[serde(rename = "M")]
    pub best_match: bool,
}

impl From<&Trade> for AggTrade {
    fn from(trade: &Trade) -> AggTrade {
        AggTrade {
            a: trade.id,
            p: dec(trade.price),
            q: dec(trade.qty),
            f: trade.id,
            l: trade.id,
            t: trade.time,
            m: trade.is_buyer_maker,
            best_match: true,
        }
    }
}

/// `GET /api/v3/avgPrice`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AvgPrice {
    pub mins: u32,
    pub price: String,
    pub close_time: i64,
}

/// `GET /api/v3/ticker/price`.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct PriceTicker {
    pub symbol: &'static str,
    pub price: String,
}

/// `GET /api/v3/ticker/bookTicker`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct BookTicker {
    pub symbol: &'static str,
    pub bid_price: String,
    pub bid_qty: String,
    pub ask_price: String,
    pub ask_qty: String,
}

/// `GET /api/v3/ticker/24hr` (FULL).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Ticker24h {
    pub symbol: &'static str,
    pub price_change: String,
    pub price_change_percent: String,
    pub weighted_avg_price: String,
    pub prev_close_price: String,
    pub last_price: String,
    pub last_qty: String,
    pub bid_price: String,
    pub bid_qty: String,
    pub ask_price: String,
    pub ask_qty: String,
    pub open_price: String,
    pub high_price: String,
    pub low_price: String,
    pub volume: String,
    pub quote_volume: String,
    pub open_time: i64,
    pub close_time: i64,
    pub first_id: i64,
    pub last_id: i64,
    pub count: u64,
}

impl Ticker24h {
    /// The 24-hour ticker of `market` at `now`, with the best bid and ask.
    /// The one place it is assembled: REST `ticker/24hr`, the WebSocket
    /// API's `ticker.24hr` and the `<symbol>@ticker` stream all use it.
    pub fn new(market: &SymbolMarket, (bid, ask): (Level, Level), now: i64) -> Ticker24h {
        let from = now - DAY_MS;
        let stats = stats::window_stats(market.trades(), from, now);
        Ticker24h {
            symbol: market.spec.symbol,
            price_change: dec(stats.change()),
            price_change_percent: format!("{:.3}", stats.change_percent()),
            weighted_avg_price: dec(stats.weighted_avg()),
            prev_close_price: dec(stats.prev_close),
            last_price: dec(stats.last),
            last_qty: dec(stats.last_qty),
            bid_price: dec(bid.0),
            bid_qty: dec(bid.1),
            ask_price: dec(ask.0),
            ask_qty: dec(ask.1),
            open_price: dec(stats.open),
            high_price: dec(stats.high),
            low_price: dec(stats.low),
            volume: dec(stats.volume),
            quote_volume: dec(stats.quote_volume),
            open_time: from,
            close_time: now,
            first_id: stats.first_id,
            last_id: stats.last_id,
            count: stats.count,
        }
    }
}

/// `GET /api/v3/ticker` (FULL) and `ticker/24hr?type=MINI` share these.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RollingTicker {
    pub symbol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_change: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_change_percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted_avg_price: Option<String>,
    pub open_price: String,
    pub high_price: String,
    pub low_price: String,
    pub last_price: String,
    pub volume: String,
    pub quote_volume: String,
    pub open_time: i64,
    pub close_time: i64,
    pub first_id: i64,
    pub last_id: i64,
    pub count: u64,
}

impl RollingTicker {
    /// The ticker of `market` over the trades from `from` to `now`; `mini`
    /// leaves out the change and the weighted average (`type=MINI`). Also
    /// the source of the `@ticker_<w>` and `@miniTicker` streams.
    pub fn new(market: &SymbolMarket, from: i64, now: i64, mini: bool) -> RollingTicker {
        let stats = stats::window_stats(market.trades(), from, now);
        RollingTicker {
            symbol: market.spec.symbol,
            price_change: (!mini).then(|| dec(stats.change())),
            price_change_percent: (!mini).then(|| format!("{:.3}", stats.change_percent())),
            weighted_avg_price: (!mini).then(|| dec(stats.weighted_avg())),
            open_price: dec(stats.open),
            high_price: dec(stats.high),
            low_price: dec(stats.low),
            last_price: dec(stats.last),
            volume: dec(stats.volume),
            quote_volume: dec(stats.quote_volume),
            open_time: from,
            close_time: now,
            first_id: stats.first_id,
            last_id: stats.last_id,
            count: stats.count,
        }
    }
}

/// `commissionRates` in `account`.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct CommissionRates {
    pub maker: String,
    pub taker: String,
    pub buyer: String,
    pub seller: String,
}

/// A balance in `account`.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct BalanceEntry {
    pub asset: String,
    pub free: String,
    pub locked: String,
}

/// `GET /api/v3/account`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AccountInfo {
    pub maker_commission: u32,
    pub taker_commission: u32,
    pub buyer_commission: u32,
    pub seller_commission: u32,
    pub commission_rates: CommissionRates,
    pub can_trade: bool,
    pub can_withdraw: bool,
    pub can_deposit: bool,
    pub brokered: bool,
    pub require_self_trade_prevention: bool,
    pub prevent_sor: bool,
    pub update_time: i64,
    pub account_type: &'static str,
    pub balances: Vec<BalanceEntry>,
    pub permissions: [&'static str; 1],
    pub uid: u64,
}

/// An order in `GET /api/v3/order`, `openOrders`, `allOrders`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OrderView {
    pub symbol: String,
    pub order_id: u64,
    pub order_list_id: i64,
    pub client_order_id: String,
    pub price: String,
    pub orig_qty: String,
    pub executed_qty: String,
    pub cummulative_quote_qty: String,
    pub status: &'static str,
    pub time_in_force: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub side: &'static str,
    pub stop_price: String,
    pub iceberg_qty: String,
    pub time: i64,
    pub update_time: i64,
    pub is_working: bool,
    pub working_time: i64,
    pub orig_quote_order_qty: String,
    pub self_trade_prevention_mode: &'static str,
    #[serde(flatten)]
    pub conditional: Conditional,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_sor: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_floor: Option<&'static str>,
}

/// The conditional fields of rest-api.md § Conditional fields in Order
/// Responses that the sandbox can have: each appears only when it applies.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Conditional {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prevented_match_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prevented_quantity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_delta: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_reason: Option<&'static str>,
}

impl Conditional {
    /// The conditional fields of `order`.
    pub fn new(order: &Order) -> Conditional {
        let expired = matches!(
            order.status,
            OrderStatus::Expired | OrderStatus::ExpiredInMatch
        );
        Conditional {
            prevented_match_id: order.prevented_match_id,
            prevented_quantity: order.prevented_match_id.map(|_| dec(order.prevented_qty)),
            strategy_id: order.strategy_id,
            strategy_type: order.strategy_type,
            trailing_delta: order.trailing_delta,
            trailing_time: order.trailing_delta.map(|_| order.trailing_time),
            expiry_reason: order
                .expiry_reason
                .filter(|_| expired)
                .map(|reason| reason.as_str()),
        }
    }
}

/// `stopPrice` as order answers show it: for stop and take-profit types.
fn stop_price(order: &Order) -> Option<String> {
    order
        .order_type
        .is_algo()
        .then(|| dec(order.stop_price.unwrap_or_default()))
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> OrderView {
        OrderView {
            symbol: order.symbol.clone(),
            order_id: order.order_id,
            order_list_id: order.order_list_id,
            client_order_id: order.client_order_id.clone(),
            price: dec(order.price),
            orig_qty: dec(order.orig_qty),
            executed_qty: dec(order.executed_qty),
            cummulative_quote_qty: dec(order.cumm_quote_qty),
            status: order.status.as_str(),
            time_in_force: order.time_in_force.as_str(),
            order_type: order.order_type.as_str(),
            side: order.side.as_str(),
            stop_price: dec(order.stop_price.unwrap_or_default()),
            iceberg_qty: dec(Decimal::ZERO),
            time: order.time,
            update_time: order.update_time,
            is_working: order.status.is_open()
                && order.working_time != -1
                && !order.awaits_trigger(),
            working_time: order.working_time,
            orig_quote_order_qty: dec(order.orig_quote_qty),
            self_trade_prevention_mode: order.stp_mode.as_str(),
            conditional: Conditional::new(order),
            used_sor: order.working_floor.map(|_| true),
            working_floor: order.working_floor.map(|floor| floor.as_str()),
        }
    }
}

/// A fill in a FULL new-order response. A fill by SOR is an allocation:
/// `matchType` `ONE_PARTY_TRADE_REPORT`, `tradeId` -1 and its `allocId`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FillView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_type: Option<&'static str>,
    pub price: String,
    pub qty: String,
    pub commission: String,
    pub commission_asset: String,
    pub trade_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alloc_id: Option<u64>,
}

impl From<&Fill> for FillView {
    fn from(fill: &Fill) -> FillView {
        FillView {
            match_type: fill.alloc_id.map(|_| "ONE_PARTY_TRADE_REPORT"),
            price: dec(fill.price),
            qty: dec(fill.qty),
            commission: dec(fill.commission),
            commission_asset: fill.commission_asset.clone(),
            trade_id: fill.alloc_id.map_or(fill.trade_id as i64, |_| -1),
            alloc_id: fill.alloc_id,
        }
    }
}

/// `POST /api/v3/order` in its three shapes (ACK, RESULT, FULL).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct NewOrderResponse {
    pub symbol: String,
    pub order_id: u64,
    pub order_list_id: i64,
    pub client_order_id: String,
    pub transact_time: i64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub result: Option<NewOrderResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fills: Option<Vec<FillView>>,
    /// For an order placed through SOR (RESULT and FULL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_floor: Option<&'static str>,
    /// For an order placed through SOR (RESULT and FULL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_sor: Option<bool>,
}

/// The RESULT part of a new-order response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct NewOrderResult {
    pub price: String,
    pub orig_qty: String,
    pub executed_qty: String,
    pub orig_quote_order_qty: String,
    pub cummulative_quote_qty: String,
    pub status: &'static str,
    pub time_in_force: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    pub working_time: i64,
    pub self_trade_prevention_mode: &'static str,
    #[serde(flatten)]
    pub conditional: Conditional,
}

impl NewOrderResult {
    /// The RESULT fields of an order.
    pub fn new(order: &Order) -> NewOrderResult {
        NewOrderResult {
            price: dec(order.price),
            orig_qty: dec(order.orig_qty),
            executed_qty: dec(order.executed_qty),
            orig_quote_order_qty: dec(order.orig_quote_qty),
            cummulative_quote_qty: dec(order.cumm_quote_qty),
            status: order.status.as_str(),
            time_in_force: order.time_in_force.as_str(),
            order_type: order.order_type.as_str(),
            side: order.side.as_str(),
            stop_price: stop_price(order),
            working_time: order.working_time,
            self_trade_prevention_mode: order.stp_mode.as_str(),
            conditional: Conditional::new(order),
        }
    }
}

/// `DELETE /api/v3/order`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct CancelResponse {
    pub symbol: String,
    pub orig_client_order_id: String,
    pub order_id: u64,
    pub order_list_id: i64,
    pub client_order_id: String,
    pub transact_time: i64,
    pub price: String,
    pub orig_qty: String,
    pub executed_qty: String,
    pub orig_quote_order_qty: String,
    pub cummulative_quote_qty: String,
    pub status: &'static str,
    pub time_in_force: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    pub self_trade_prevention_mode: &'static str,
    #[serde(flatten)]
    pub conditional: Conditional,
}

impl CancelResponse {
    /// The response to canceling `order`.
    pub fn new(order: &Order, cancel_client_order_id: String, now_ms: i64) -> CancelResponse {
        CancelResponse {
            symbol: order.symbol.clone(),
            orig_client_order_id: order.client_order_id.clone(),
            order_id: order.order_id,
            order_list_id: order.order_list_id,
            client_order_id: cancel_client_order_id,
            transact_time: now_ms,
            price: dec(order.price),
            orig_qty: dec(order.orig_qty),
            executed_qty: dec(order.executed_qty),
            orig_quote_order_qty: dec(order.orig_quote_qty),
            cummulative_quote_qty: dec(order.cumm_quote_qty),
            status: order.status.as_str(),
            time_in_force: order.time_in_force.as_str(),
            order_type: order.order_type.as_str(),
            side: order.side.as_str(),
            stop_price: stop_price(order),
            self_trade_prevention_mode: order.stp_mode.as_str(),
            conditional: Conditional::new(order),
        }
    }
}

/// A row of `myTrades`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MyTrade {
    pub symbol: String,
    pub id: u64,
    pub order_id: u64,
    pub order_list_id: i64,
    pub price: String,
    pub qty: String,
    pub quote_qty: String,
    pub commission: String,
    pub commission_asset: String,
    pub time: i64,
    pub is_buyer: bool,
    pub is_maker: bool,
    pub is_best_match: bool,
}

impl From<&AccountTrade> for MyTrade {
    fn from(trade: &AccountTrade) -> MyTrade {
        MyTrade {
            symbol: trade.symbol.clone(),
            id: trade.id,
            order_id: trade.order_id,
            order_list_id: trade.order_list_id,
            price: dec(trade.price),
            qty: dec(trade.qty),
            quote_qty: dec(trade.quote_qty),
            commission: dec(trade.commission),
            commission_asset: trade.commission_asset.clone(),
            time: trade.time,
            is_buyer: trade.is_buyer,
            is_maker: trade.is_maker,
            is_best_match: true,
        }
    }
}

/// A row of `GET /api/v3/myAllocations`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AllocationView {
    pub symbol: String,
    pub allocation_id: u64,
    pub allocation_type: &'static str,
    pub order_id: u64,
    pub order_list_id: i64,
    pub price: String,
    pub qty: String,
    pub quote_qty: String,
    pub commission: String,
    pub commission_asset: String,
    pub time: i64,
    pub is_buyer: bool,
    pub is_maker: bool,
    pub is_allocator: bool,
}

impl From<&Allocation> for AllocationView {
    fn from(allocation: &Allocation) -> AllocationView {
        AllocationView {
            symbol: allocation.symbol.clone(),
            allocation_id: allocation.allocation_id,
            allocation_type: "SOR",
            order_id: allocation.order_id,
            order_list_id: -1,
            price: dec(allocation.price),
            qty: dec(allocation.qty),
            quote_qty: dec(allocation.quote_qty),
            commission: dec(allocation.commission),
            commission_asset: allocation.commission_asset.clone(),
            time: allocation.time,
            is_buyer: allocation.is_buyer,
            is_maker: false,
            is_allocator: false,
        }
    }
}

/// Four commission rates.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct FourRates {
    pub maker: String,
    pub taker: String,
    pub buyer: String,
    pub seller: String,
}

/// Two commission rates.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct TwoRates {
    pub maker: String,
    pub taker: String,
}

/// The BNB discount.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Discount {
    pub enabled_for_account: bool,
    pub enabled_for_symbol: bool,
    pub discount_asset: &'static str,
    pub discount: String,
}

/// `GET /api/v3/account/commission`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AccountCommission {
    pub symbol: String,
    pub standard_commission: FourRates,
    pub special_commission: FourRates,
    pub tax_commission: FourRates,
    pub discount: Discount,
}

/// `POST /api/v3/order/test` with `computeCommissionRates=true`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TestOrderCommission {
    pub standard_commission_for_order: TwoRates,
    /// Not in the SOR test's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_commission_for_order: Option<TwoRates>,
    pub tax_commission_for_order: TwoRates,
    pub discount: Discount,
}

/// `GET /sapi/v1/account/status`.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct AccountStatus {
    pub data: &'static str,
}

/// `GET /sapi/v1/account/apiRestrictions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ApiRestrictions {
    pub ip_restrict: bool,
    pub create_time: i64,
    pub enable_reading: bool,
    pub enable_withdrawals: bool,
    pub enable_internal_transfer: bool,
    pub enable_margin: bool,
    pub enable_futures: bool,
    pub permits_universal_transfer: bool,
    pub enable_vanilla_options: bool,
    pub enable_fix_api_trade: bool,
    pub enable_fix_read_only: bool,
    pub enable_spot_and_margin_trading: bool,
    pub enable_portfolio_margin_trading: bool,
}

/// A network in `capital/config/getall`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Network {
    pub network: &'static str,
    pub coin: String,
    pub withdraw_integer_multiple: String,
    pub is_default: bool,
    pub deposit_enable: bool,
    pub withdraw_enable: bool,
    pub deposit_desc: String,
    pub withdraw_desc: String,
    pub special_tips: String,
    pub special_withdraw_tips: String,
    pub name: &'static str,
    pub reset_address_status: bool,
    pub address_regex: &'static str,
    pub memo_regex: &'static str,
    pub withdraw_fee: String,
    pub withdraw_min: String,
    pub withdraw_max: String,
    pub withdraw_internal_min: String,
    pub deposit_dust: String,
    pub min_confirm: u32,
    pub un_lock_confirm: u32,
    pub same_address: bool,
    pub estimated_arrival_time: u32,
    pub busy: bool,
    pub contract_address_url: String,
    pub contract_address: String,
    pub denomination: u32,
}

/// A coin in `capital/config/getall`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct CoinInfo {
    pub coin: String,
    pub deposit_all_enable: bool,
    pub free: String,
    pub freeze: String,
    pub ipoable: String,
    pub ipoing: String,
    pub is_legal_money: bool,
    pub locked: String,
    pub name: String,
    pub network_list: Vec<Network>,
    pub storage: String,
    pub trading: bool,
    pub withdraw_all_enable: bool,
    pub withdrawing: String,
}

/// One object for `symbol=`, an array otherwise.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One row.
    One(T),
    /// Many rows.
    Many(Vec<T>),
}

/// `GET /sapi/v1/system/status`.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct SystemStatus {
    pub status: u8,
    pub msg: &'static str,
}

/// An order of a list, as list answers name it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ListOrderRef {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
}

/// An order list (`GET /api/v3/orderList`, `allOrderList`,
/// `openOrderList`); placement and cancellation add `orderReports`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OrderListView<R> {
    pub order_list_id: u64,
    pub contingency_type: &'static str,
    pub list_status_type: &'static str,
    pub list_order_status: &'static str,
    pub list_client_order_id: String,
    pub transaction_time: i64,
    pub symbol: String,
    pub orders: Vec<ListOrderRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_reports: Option<Vec<R>>,
}

impl<R> OrderListView<R> {
    /// The list, its orders named by `client_order_ids` (in its order).
    pub fn new(list: &OrderList, client_order_ids: &[String]) -> OrderListView<R> {
        OrderListView {
            order_list_id: list.order_list_id,
            contingency_type: list.contingency_type,
            list_status_type: list.list_status_type,
            list_order_status: list.list_order_status,
            list_client_order_id: list.list_client_order_id.clone(),
            transaction_time: list.transaction_time,
            symbol: list.symbol.clone(),
            orders: list
                .order_ids
                .iter()
                .zip(client_order_ids)
                .map(|(id, client)| ListOrderRef {
                    symbol: list.symbol.clone(),
                    order_id: *id,
                    client_order_id: client.clone(),
                })
                .collect(),
            order_reports: None,
        }
    }

    /// The same list with `orderReports`.
    pub fn with_reports(mut self, reports: Vec<R>) -> OrderListView<R> {
        self.order_reports = Some(reports);
        self
    }
}

/// The order of an amendment's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AmendedOrder {
    pub symbol: String,
    pub order_id: u64,
    pub order_list_id: i64,
    pub orig_client_order_id: String,
    pub client_order_id: String,
    pub price: String,
    pub qty: String,
    pub executed_qty: String,
    pub prevented_qty: String,
    pub quote_order_qty: String,
    pub cumulative_quote_qty: String,
    pub status: &'static str,
    pub time_in_force: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_time: Option<i64>,
    pub self_trade_prevention_mode: &'static str,
}

impl AmendedOrder {
    /// `order` after an amendment that changed its client order ID from
    /// `orig_client_order_id`.
    pub fn new(order: &Order, orig_client_order_id: String) -> AmendedOrder {
        AmendedOrder {
            symbol: order.symbol.clone(),
            order_id: order.order_id,
            order_list_id: order.order_list_id,
            orig_client_order_id,
            client_order_id: order.client_order_id.clone(),
            price: dec(order.price),
            qty: dec(order.orig_qty),
            executed_qty: dec(order.executed_qty),
            prevented_qty: dec(order.prevented_qty),
            quote_order_qty: dec(order.orig_quote_qty),
            cumulative_quote_qty: dec(order.cumm_quote_qty),
            status: order.status.as_str(),
            time_in_force: order.time_in_force.as_str(),
            order_type: order.order_type.as_str(),
            side: order.side.as_str(),
            working_time: (order.working_time != -1).then_some(order.working_time),
            self_trade_prevention_mode: order.stp_mode.as_str(),
        }
    }
}

/// `PUT /api/v3/order/amend/keepPriority`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AmendResponse {
    pub transact_time: i64,
    pub execution_id: u64,
    pub amended_order: AmendedOrder,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_status: Option<OrderListView<Empty>>,
}

/// A row of `GET /api/v3/order/amendments`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AmendmentView {
    pub symbol: String,
    pub order_id: u64,
    pub execution_id: u64,
    pub orig_client_order_id: String,
    pub new_client_order_id: String,
    pub orig_qty: String,
    pub new_qty: String,
    pub time: i64,
}

impl AmendmentView {
    /// One amendment of `order`.
    pub fn new(order: &Order, amendment: &Amendment) -> AmendmentView {
        AmendmentView {
            symbol: order.symbol.clone(),
            order_id: order.order_id,
            execution_id: amendment.execution_id,
            orig_client_order_id: amendment.orig_client_order_id.clone(),
            new_client_order_id: amendment.new_client_order_id.clone(),
            orig_qty: dec(amendment.orig_qty),
            new_qty: dec(amendment.new_qty),
            time: amendment.time,
        }
    }
}

/// A row of `GET /api/v3/myPreventedMatches`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct PreventedMatchView {
    pub symbol: String,
    pub prevented_match_id: u64,
    pub taker_order_id: u64,
    pub maker_symbol: String,
    pub maker_order_id: u64,
    pub trade_group_id: i64,
    pub self_trade_prevention_mode: &'static str,
    pub price: String,
    pub maker_prevented_quantity: String,
    pub transact_time: i64,
}

impl From<&PreventedMatch> for PreventedMatchView {
    fn from(m: &PreventedMatch) -> PreventedMatchView {
        PreventedMatchView {
            symbol: m.symbol.clone(),
            prevented_match_id: m.prevented_match_id,
            taker_order_id: m.taker_order_id,
            maker_symbol: m.symbol.clone(),
            maker_order_id: m.maker_order_id,
            trade_group_id: -1,
            self_trade_prevention_mode: m.mode.as_str(),
            price: dec(m.price),
            maker_prevented_quantity: dec(m.maker_prevented_qty),
            transact_time: m.time,
        }
    }
}

/// `GET /api/v3/myFilters`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MyFilters {
    pub exchange_filters: Vec<Filter>,
    pub symbol_filters: Vec<Filter>,
    pub asset_filters: Vec<Filter>,
}
