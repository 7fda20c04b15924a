//! Public market data: ping, time, exchangeInfo, depth, trades, block
//! trades, klines, average price and tickers.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::exchange::Exchange;
use crate::market::{Level, SymbolMarket};
use crate::params::Params;
use crate::stats::{self, Interval};
use crate::wire::{self, Empty, OneOrMany, dec};

/// `GET /api/v3/ping`.
pub fn ping(_exchange: &Exchange, params: &Params) -> Result<Empty, ApiError> {
    params.only(&[])?;
    Ok(Empty {})
}

/// `GET /api/v3/time`.
pub fn time(exchange: &Exchange, params: &Params) -> Result<wire::ServerTime, ApiError> {
    params.only(&[])?;
    Ok(wire::ServerTime {
        server_time: exchange.now_ms(),
    })
}

/// `GET /api/v3/exchangeInfo`.
pub fn exchange_info(exchange: &Exchange, params: &Params) -> Result<wire::ExchangeInfo, ApiError> {
    params.only(&[
        "symbol",
        "symbols",
        "permissions",
        "showPermissionSets",
        "symbolStatus",
    ])?;
    let symbol = params.opt_symbol()?;
    let symbols = params.opt_symbols()?;
    let show_permission_sets = params.opt_bool("showPermissionSets")?.unwrap_or(true);
    if symbol.is_some() && symbols.is_some() {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let permissions: Vec<String> = match params.get("permissions") {
        None => Vec::new(),
        Some(text) if text.starts_with('[') => {
            serde_json::from_str(text).map_err(|_| ApiError::invalid_value("permissions"))?
        }
        Some(text) => vec![text.to_owned()],
    };
    if !permissions.is_empty() && (symbol.is_some() || symbols.is_some()) {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let status = params.get("symbolStatus");
    symbol_status_matches(params)?;
    if status.is_some() && (symbol.is_some() || symbols.is_some()) {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let engine = exchange.engine();
    let all = engine.market().symbols();
    let wanted: Vec<&SymbolMarket> = match (symbol, &symbols) {
        (Some(symbol), _) => vec![find(all, symbol)?],
        (None, Some(symbols)) => symbols
            .iter()
            .map(|symbol| find(all, symbol))
            .collect::<Result<_, _>>()?,
        (None, None) => all
            .iter()
            .filter(|_| permissions.is_empty() || permissions.iter().any(|p| p == "SPOT"))
            .filter(|_| status.is_none_or(|status| status == "TRADING"))
            .collect(),
    };
    let limits = exchange.limiter().config().clone();
    let sors = engine
        .sor_groups()
        .into_iter()
        .filter(|(_, symbols)| {
            wanted
                .iter()
                .any(|market| symbols.contains(&market.spec.symbol))
        })
        .map(|(base_asset, symbols)| wire::SorGroup {
            base_asset,
            symbols,
        })
        .collect();
    Ok(wire::ExchangeInfo {
        timezone: "UTC",
        server_time: exchange.now_ms(),
        rate_limits: vec![
            wire::RateLimit {
                rate_limit_type: "REQUEST_WEIGHT",
                interval: "MINUTE",
                interval_num: 1,
                limit: limits.request_weight_per_minute,
                count: None,
            },
            wire::RateLimit {
                rate_limit_type: "ORDERS",
                interval: "SECOND",
                interval_num: 10,
                limit: limits.orders_per_10s,
                count: None,
            },
            wire::RateLimit {
                rate_limit_type: "ORDERS",
                interval: "DAY",
                interval_num: 1,
                limit: limits.orders_per_day,
                count: None,
            },
            wire::RateLimit {
                rate_limit_type: "RAW_REQUESTS",
                interval: "MINUTE",
                interval_num: 5,
                limit: limits.raw_requests_per_5m,
                count: None,
            },
        ],
        exchange_filters: Vec::new(),
        symbols: wanted
            .into_iter()
            .map(|symbol| wire::SymbolInfo::new(&symbol.spec, show_permission_sets))
            .collect(),
        sors,
    })
}

/// `GET /api/v3/depth`.
pub fn depth(exchange: &Exchange, params: &Params) -> Result<wire::Depth, ApiError> {
    params.only(&["symbol", "limit", "symbolStatus"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(100, 5000)?;
    if !symbol_status_matches(params)? {
        return Err(status_mismatch());
    }
    let engine = exchange.advance_engine();
    let (last_update_id, bids, asks) = engine
        .depth(symbol, limit as usize)
        .ok_or_else(ApiError::bad_symbol)?;
    let levels = |levels: Vec<(Decimal, Decimal)>| {
        levels
            .into_iter()
            .map(|(price, qty)| [dec(price), dec(qty)])
            .collect()
    };
    Ok(wire::Depth {
        last_update_id,
        bids: levels(bids),
        asks: levels(asks),
    })
}

/// `GET /api/v3/trades`.
pub fn trades(exchange: &Exchange, params: &Params) -> Result<Vec<wire::PublicTrade>, ApiError> {
    params.only(&["symbol", "limit"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(500, 1000)? as usize;
    let engine = exchange.advance_engine();
    let trades = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?
        .trades();
    let from = trades.len().saturating_sub(limit);
    Ok(trades[from..].iter().map(wire::PublicTrade::from).collect())
}

/// `GET /api/v3/historicalTrades`.
pub fn historical_trades(
    exchange: &Exchange,
    params: &Params,
) -> Result<Vec<wire::PublicTrade>, ApiError> {
    params.only(&["symbol", "limit", "fromId"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(500, 1000)? as usize;
    let from_id = params.opt_long("fromId")?;
    let engine = exchange.advance_engine();
    let trades = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?
        .trades();
    let slice = match from_id {
        Some(from_id) => {
            let start = trades.partition_point(|t| (t.id as i64) < from_id);
            &trades[start..(start + limit).min(trades.len())]
        }
        None => &trades[trades.len().saturating_sub(limit)..],
    };
    Ok(slice.iter().map(wire::PublicTrade::from).collect())
}

/// `GET /api/v3/historicalBlockTrades`: the sandbox's market prints no
/// block trades, so the history is empty for every listed symbol.
pub fn historical_block_trades(
    exchange: &Exchange,
    params: &Params,
) -> Result<Vec<wire::BlockTrade>, ApiError> {
    params.only(&["symbol", "fromId", "limit"])?;
    let symbol = params.symbol()?;
    params.require("fromId")?;
    params.opt_long("fromId")?;
    params.limit(500, 1000)?;
    exchange
        .engine()
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(Vec::new())
}

/// `GET /api/v3/aggTrades` (every trade is its own aggregate).
pub fn agg_trades(exchange: &Exchange, params: &Params) -> Result<Vec<wire::AggTrade>, ApiError> {
    params.only(&["symbol", "fromId", "startTime", "endTime", "limit"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(500, 1000)? as usize;
    let from_id = params.opt_long("fromId")?;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    if let (Some(start), Some(end)) = (start, end)
        && end - start > 3_600_000
    {
        return Err(ApiError::bad_request(
            -1127,
            "More than 1 hours between startTime and endTime.",
        ));
    }
    let engine = exchange.advance_engine();
    let trades = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?
        .trades();
    let selected: Vec<_> = if let Some(from_id) = from_id {
        let first = trades.partition_point(|t| (t.id as i64) < from_id);
        trades[first..].iter().take(limit).collect()
    } else if start.is_some() || end.is_some() {
        let first = start.map_or(0, |start| trades.partition_point(|t| t.time < start));
        let last = end.map_or(trades.len(), |end| {
            trades.partition_point(|t| t.time <= end)
        });
        trades[first..last.max(first)].iter().take(limit).collect()
    } else {
        trades[trades.len().saturating_sub(limit)..]
            .iter()
            .collect()
    };
    Ok(selected.into_iter().map(wire::AggTrade::from).collect())
}

/// `GET /api/v3/klines` and `GET /api/v3/uiKlines`.
pub fn klines(exchange: &Exchange, params: &Params) -> Result<Vec<Value>, ApiError> {
    params.only(&[
        "symbol",
        "interval",
        "startTime",
        "endTime",
        "timeZone",
        "limit",
    ])?;
    let symbol = params.symbol()?;
    let interval = Interval::parse(params.require("interval")?)?;
    let limit = params.limit(500, 1000)? as usize;
    let start = params.opt_long("startTime")?.map(to_ms);
    let end = params.opt_long("endTime")?.map(to_ms);
    let tz = match params.get("timeZone") {
        Some(text) => stats::parse_time_zone(text)?,
        None => 0,
    };
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    let market = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let end = end.unwrap_or(now);
    let klines = stats::klines(market.trades(), interval, start, end, limit, tz);
    Ok(klines
        .into_iter()
        .map(|k| {
            json!([
                k.open_time,
                dec(k.open),
                dec(k.high),
                dec(k.low),
                dec(k.close),
                dec(k.volume),
                k.close_time,
                dec(k.quote_volume),
                k.count,
                dec(k.taker_buy_base),
                dec(k.taker_buy_quote),
                "0"
            ])
        })
        .collect())
}

/// `GET /api/v3/avgPrice`.
pub fn avg_price(exchange: &Exchange, params: &Params) -> Result<wire::AvgPrice, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.symbol()?;
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    let (price, close_time) = engine
        .avg_price(symbol, now)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(wire::AvgPrice {
        mins: 5,
        price: dec(price),
        close_time,
    })
}

/// `GET /api/v3/ticker/price`.
pub fn ticker_price(
    exchange: &Exchange,
    params: &Params,
) -> Result<OneOrMany<wire::PriceTicker>, ApiError> {
    params.only(&["symbol", "symbols", "symbolStatus"])?;
    let engine = exchange.advance_engine();
    let selection = select(engine.market().symbols(), params)?;
    let rows = selection.markets.iter().map(|market| wire::PriceTicker {
        symbol: market.spec.symbol,
        price: dec(market.mid()),
    });
    one_or_many(selection.single, rows)
}

/// `GET /api/v3/ticker/bookTicker`.
pub fn book_ticker(
    exchange: &Exchange,
    params: &Params,
) -> Result<OneOrMany<wire::BookTicker>, ApiError> {
    params.only(&["symbol", "symbols", "symbolStatus"])?;
    let engine = exchange.advance_engine();
    let selection = select(engine.market().symbols(), params)?;
    let mut rows = Vec::new();
    for market in &selection.markets {
        let ((bid_price, bid_qty), (ask_price, ask_qty)) =
            top_of_book(&engine, market.spec.symbol)?;
        rows.push(wire::BookTicker {
            symbol: market.spec.symbol,
            bid_price: dec(bid_price),
            bid_qty: dec(bid_qty),
            ask_price: dec(ask_price),
            ask_qty: dec(ask_qty),
        });
    }
    one_or_many(selection.single, rows)
}

/// `GET /api/v3/ticker/24hr`.
pub fn ticker_24hr(exchange: &Exchange, params: &Params) -> Result<Ticker24hResponse, ApiError> {
    params.only(&["symbol", "symbols", "type", "symbolStatus"])?;
    let mini = ticker_type(params)?;
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    let selection = select(engine.market().symbols(), params)?;
    if mini {
        let rows = selection
            .markets
            .iter()
            .map(|market| wire::RollingTicker::new(market, now - wire::DAY_MS, now, true));
        let rows = one_or_many(selection.single, rows)?;
        return Ok(Ticker24hResponse::Mini(rows));
    }
    let mut rows = Vec::new();
    for market in &selection.markets {
        let top = top_of_book(&engine, market.spec.symbol)?;
        rows.push(wire::Ticker24h::new(market, top, now));
    }
    let rows = one_or_many(selection.single, rows)?;
    Ok(Ticker24hResponse::Full(rows))
}

/// `ticker/24hr` answers FULL or MINI rows.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Ticker24hResponse {
    /// `type=FULL` (default).
    Full(OneOrMany<wire::Ticker24h>),
    /// `type=MINI`.
    Mini(OneOrMany<wire::RollingTicker>),
}

/// `GET /api/v3/ticker/tradingDay`: the statistics of the trading day
/// holding now, in `timeZone` (default UTC): from the day's open to now,
/// `closeTime` the day's last millisecond.
pub fn ticker_trading_day(
    exchange: &Exchange,
    params: &Params,
) -> Result<OneOrMany<wire::RollingTicker>, ApiError> {
    params.only(&["symbol", "symbols", "timeZone", "type", "symbolStatus"])?;
    if !params.has("symbol") && !params.has("symbols") {
        return Err(ApiError::bad_request(
            -1102,
            "Param 'symbol' or 'symbols' must be sent, but both were empty/null!",
        ));
    }
    let mini = ticker_type(params)?;
    let tz_ms = match params.get("timeZone") {
        Some(text) => stats::parse_time_zone(text)?,
        None => 0,
    };
    let now = exchange.now_ms();
    let open = Interval::Fixed(wire::DAY_MS).open_of(now, tz_ms);
    let engine = exchange.advance_engine();
    let selection = select(engine.market().symbols(), params)?;
    let rows = selection.markets.iter().map(|market| wire::RollingTicker {
        close_time: open + wire::DAY_MS - 1,
        ..wire::RollingTicker::new(market, open, now, mini)
    });
    one_or_many(selection.single, rows)
}

/// `GET /api/v3/ticker` (rolling window).
pub fn ticker_rolling(
    exchange: &Exchange,
    params: &Params,
) -> Result<OneOrMany<wire::RollingTicker>, ApiError> {
    params.only(&["symbol", "symbols", "windowSize", "type", "symbolStatus"])?;
    if !params.has("symbol") && !params.has("symbols") {
        return Err(ApiError::bad_request(
            -1102,
            "Param 'symbol' or 'symbols' must be sent, but both were empty/null!",
        ));
    }
    let mini = ticker_type(params)?;
    let window = match params.get("windowSize") {
        Some(text) => stats::parse_window_size(text)?,
        None => wire::DAY_MS,
    };
    let now = exchange.now_ms();
    let from = (now - window).div_euclid(60_000) * 60_000;
    let engine = exchange.advance_engine();
    let selection = select(engine.market().symbols(), params)?;
    let rows = selection
        .markets
        .iter()
        .map(|market| wire::RollingTicker::new(market, from, now, mini));
    one_or_many(selection.single, rows)
}

fn ticker_type(params: &Params) -> Result<bool, ApiError> {
    match params.get("type") {
        None | Some("FULL") => Ok(false),
        Some("MINI") => Ok(true),
        Some(_) => Err(ApiError::bad_request(-1139, "Invalid ticker type.")),
    }
}

struct Selection<'a> {
    single: bool,
    markets: Vec<&'a SymbolMarket>,
}

fn select<'a>(all: &'a [SymbolMarket], params: &Params) -> Result<Selection<'a>, ApiError> {
    let mut selection = select_symbols(all, params)?;
    // Every sandbox symbol is TRADING: a single symbol that does not match
    // `symbolStatus` is -1220, non-matching symbols of a list are left out.
    if !symbol_status_matches(params)? {
        if selection.single {
            return Err(status_mismatch());
        }
        selection.markets.clear();
    }
    Ok(selection)
}

/// Whether `symbolStatus` (if sent) is `TRADING`; `-1122` for a value that
/// is not a symbol status.
pub(super) fn symbol_status_matches(params: &crate::params::Params) -> Result<bool, ApiError> {
    match params.get("symbolStatus") {
        None | Some("TRADING") => Ok(true),
        Some("HALT" | "BREAK") => Ok(false),
        Some(_) => Err(ApiError::bad_request(-1122, "Invalid symbolStatus.")),
    }
}

pub(super) fn status_mismatch() -> ApiError {
    ApiError::bad_request(
        -1220,
        "The symbol's status does not match the requested symbolStatus.",
    )
}

fn select_symbols<'a>(all: &'a [SymbolMarket], params: &Params) -> Result<Selection<'a>, ApiError> {
    let symbol = params.opt_symbol()?;
    let symbols = params.opt_symbols()?;
    match (symbol, symbols) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        )),
        (Some(symbol), None) => Ok(Selection {
            single: true,
            markets: vec![find(all, symbol)?],
        }),
        (None, Some(symbols)) => Ok(Selection {
            single: false,
            markets: symbols
                .iter()
                .map(|symbol| find(all, symbol))
                .collect::<Result<_, _>>()?,
        }),
        (None, None) => Ok(Selection {
            single: false,
            markets: all.iter().collect(),
        }),
    }
}

fn find<'a>(all: &'a [SymbolMarket], symbol: &str) -> Result<&'a SymbolMarket, ApiError> {
    all.iter()
        .find(|market| market.spec.symbol == symbol)
        .ok_or_else(ApiError::bad_symbol)
}

fn one_or_many<T>(
    single: bool,
    rows: impl IntoIterator<Item = T>,
) -> Result<OneOrMany<T>, ApiError> {
    let mut rows: Vec<T> = rows.into_iter().collect();
    if single {
        return rows
            .pop()
            .map(|row| OneOrMany::One(row))
            .ok_or_else(ApiError::internal);
    }
    Ok(OneOrMany::Many(rows))
}

/// The best bid and best ask, each `(price, qty)`; zeros for an empty side.
fn top_of_book(engine: &Engine, symbol: &str) -> Result<(Level, Level), ApiError> {
    engine.top_of_book(symbol).ok_or_else(ApiError::internal)
}

/// `startTime`/`endTime` may be microseconds.
pub fn to_ms(time: i64) -> i64 {
    if time >= 100_000_000_000_000 {
        time / 1000
    } else {
        time
    }
}
