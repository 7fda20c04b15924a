//! Public market data: ping, time, exchangeInfo, depth, trades, klines,
//! average price and tickers.

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Empty, Req};
use crate::error::ApiError;
use crate::exchange::Exchange;
use crate::market::{Level, SymbolMarket};
use crate::stats::{self, Interval};
use crate::wire::{self, OneOrMany, dec};

/// `GET /api/v3/ping`.
pub async fn ping(req: Req) -> Result<Json<Empty>, ApiError> {
    req.params.only(&[])?;
    Ok(Json(Empty {}))
}

/// `GET /api/v3/time`.
pub async fn time(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::ServerTime>, ApiError> {
    req.params.only(&[])?;
    Ok(Json(wire::ServerTime {
        server_time: exchange.now_ms(),
    }))
}

/// `GET /api/v3/exchangeInfo`.
pub async fn exchange_info(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::ExchangeInfo>, ApiError> {
    let params = &req.params;
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
    let engine = exchange.engine_unadvanced();
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
    Ok(Json(wire::ExchangeInfo {
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
    }))
}

/// `GET /api/v3/depth`.
pub async fn depth(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::Depth>, ApiError> {
    let params = &req.params;
    params.only(&["symbol", "limit", "symbolStatus"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(100, 5000)?;
    if !symbol_status_matches(params)? {
        return Err(status_mismatch());
    }
    let engine = exchange.engine();
    let (last_update_id, bids, asks) = engine
        .depth(symbol, limit as usize)
        .ok_or_else(ApiError::bad_symbol)?;
    let levels = |levels: Vec<(Decimal, Decimal)>| {
        levels
            .into_iter()
            .map(|(price, qty)| [dec(price), dec(qty)])
            .collect()
    };
    Ok(Json(wire::Depth {
        last_update_id,
        bids: levels(bids),
        asks: levels(asks),
    }))
}

/// `GET /api/v3/trades`.
pub async fn trades(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<wire::PublicTrade>>, ApiError> {
    let params = &req.params;
    params.only(&["symbol", "limit"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(500, 1000)? as usize;
    let engine = exchange.engine();
    let trades = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?
        .trades();
    let from = trades.len().saturating_sub(limit);
    Ok(Json(
        trades[from..].iter().map(wire::PublicTrade::from).collect(),
    ))
}

/// `GET /api/v3/historicalTrades`.
pub async fn historical_trades(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<wire::PublicTrade>>, ApiError> {
    let params = &req.params;
    params.only(&["symbol", "limit", "fromId"])?;
    let symbol = params.symbol()?;
    let limit = params.limit(500, 1000)? as usize;
    let from_id = params.opt_long("fromId")?;
    let engine = exchange.engine();
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
    Ok(Json(slice.iter().map(wire::PublicTrade::from).collect()))
}

/// `GET /api/v3/aggTrades` (every trade is its own aggregate).
pub async fn agg_trades(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<wire::AggTrade>>, ApiError> {
    let params = &req.params;
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
    let engine = exchange.engine();
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
    Ok(Json(
        selected.into_iter().map(wire::AggTrade::from).collect(),
    ))
}

/// `GET /api/v3/klines` and `GET /api/v3/uiKlines`.
pub async fn klines(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Vec<Value>>, ApiError> {
    let params = &req.params;
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
    let engine = exchange.engine();
    let market = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let end = end.unwrap_or(now);
    let klines = stats::klines(market.trades(), interval, start, end, limit, tz);
    Ok(Json(
        klines
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
            .collect(),
    ))
}

/// `GET /api/v3/avgPrice`.
pub async fn avg_price(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<wire::AvgPrice>, ApiError> {
    req.params.only(&["symbol"])?;
    let symbol = req.params.symbol()?;
    let now = exchange.now_ms();
    let engine = exchange.engine();
    let (price, close_time) = engine
        .avg_price(symbol, now)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(Json(wire::AvgPrice {
        mins: 5,
        price: dec(price),
        close_time,
    }))
}

/// `GET /api/v3/ticker/price`.
pub async fn ticker_price(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<OneOrMany<wire::PriceTicker>>, ApiError> {
    req.params.only(&["symbol", "symbols", "symbolStatus"])?;
    let engine = exchange.engine();
    let selection = select(engine.market().symbols(), &req)?;
    let rows = selection.markets.iter().map(|market| wire::PriceTicker {
        symbol: market.spec.symbol,
        price: dec(market.mid()),
    });
    one_or_many(selection.single, rows)
}

/// `GET /api/v3/ticker/bookTicker`.
pub async fn book_ticker(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<OneOrMany<wire::BookTicker>>, ApiError> {
    req.params.only(&["symbol", "symbols", "symbolStatus"])?;
    let engine = exchange.engine();
    let selection = select(engine.market().symbols(), &req)?;
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
pub async fn ticker_24hr(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<Ticker24hResponse>, ApiError> {
    req.params
        .only(&["symbol", "symbols", "type", "symbolStatus"])?;
    let mini = ticker_type(&req)?;
    let now = exchange.now_ms();
    let engine = exchange.engine();
    let selection = select(engine.market().symbols(), &req)?;
    let from = now - 86_400_000;
    if mini {
        let rows = selection
            .markets
            .iter()
            .map(|market| rolling(market, from, now, true));
        let Json(rows) = one_or_many(selection.single, rows)?;
        return Ok(Json(Ticker24hResponse::Mini(rows)));
    }
    let mut rows = Vec::new();
    for market in &selection.markets {
        let stats = stats::window_stats(market.trades(), from, now);
        let ((bid_price, bid_qty), (ask_price, ask_qty)) =
            top_of_book(&engine, market.spec.symbol)?;
        rows.push(wire::Ticker24h {
            symbol: market.spec.symbol,
            price_change: dec(stats.change()),
            price_change_percent: format!("{:.3}", stats.change_percent()),
            weighted_avg_price: dec(stats.weighted_avg()),
            prev_close_price: dec(stats.prev_close),
            last_price: dec(stats.last),
            last_qty: dec(stats.last_qty),
            bid_price: dec(bid_price),
            bid_qty: dec(bid_qty),
            ask_price: dec(ask_price),
            ask_qty: dec(ask_qty),
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
        });
    }
    let Json(rows) = one_or_many(selection.single, rows)?;
    Ok(Json(Ticker24hResponse::Full(rows)))
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

/// `GET /api/v3/ticker` (rolling window).
pub async fn ticker_rolling(
    State(exchange): State<Exchange>,
    req: Req,
) -> Result<Json<OneOrMany<wire::RollingTicker>>, ApiError> {
    req.params
        .only(&["symbol", "symbols", "windowSize", "type", "symbolStatus"])?;
    if !req.params.has("symbol") && !req.params.has("symbols") {
        return Err(ApiError::bad_request(
            -1102,
            "Param 'symbol' or 'symbols' must be sent, but both were empty/null!",
        ));
    }
    let mini = ticker_type(&req)?;
    let window = match req.params.get("windowSize") {
        Some(text) => stats::parse_window_size(text)?,
        None => 86_400_000,
    };
    let now = exchange.now_ms();
    let from = (now - window).div_euclid(60_000) * 60_000;
    let engine = exchange.engine();
    let selection = select(engine.market().symbols(), &req)?;
    let rows = selection
        .markets
        .iter()
        .map(|market| rolling(market, from, now, mini));
    one_or_many(selection.single, rows)
}

fn rolling(market: &SymbolMarket, from: i64, now: i64, mini: bool) -> wire::RollingTicker {
    let stats = stats::window_stats(market.trades(), from, now);
    wire::RollingTicker {
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

fn ticker_type(req: &Req) -> Result<bool, ApiError> {
    match req.params.get("type") {
        None | Some("FULL") => Ok(false),
        Some("MINI") => Ok(true),
        Some(_) => Err(ApiError::bad_request(-1139, "Invalid ticker type.")),
    }
}

struct Selection<'a> {
    single: bool,
    markets: Vec<&'a SymbolMarket>,
}

fn select<'a>(all: &'a [SymbolMarket], req: &Req) -> Result<Selection<'a>, ApiError> {
    let mut selection = select_symbols(all, req)?;
    // Every sandbox symbol is TRADING: a single symbol that does not match
    // `symbolStatus` is -1220, non-matching symbols of a list are left out.
    if !symbol_status_matches(&req.params)? {
        if selection.single {
            return Err(status_mismatch());
        }
        selection.markets.clear();
    }
    Ok(selection)
}

/// Whether `symbolStatus` (if sent) is `TRADING`; `-1122` for a value that
/// is not a symbol status.
fn symbol_status_matches(params: &crate::params::Params) -> Result<bool, ApiError> {
    match params.get("symbolStatus") {
        None | Some("TRADING") => Ok(true),
        Some("HALT" | "BREAK") => Ok(false),
        Some(_) => Err(ApiError::bad_request(-1122, "Invalid symbolStatus.")),
    }
}

fn status_mismatch() -> ApiError {
    ApiError::bad_request(
        -1220,
        "The symbol's status does not match the requested symbolStatus.",
    )
}

fn select_symbols<'a>(all: &'a [SymbolMarket], req: &Req) -> Result<Selection<'a>, ApiError> {
    let symbol = req.params.opt_symbol()?;
    let symbols = req.params.opt_symbols()?;
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
) -> Result<Json<OneOrMany<T>>, ApiError> {
    let mut rows: Vec<T> = rows.into_iter().collect();
    if single {
        return rows
            .pop()
            .map(|row| Json(OneOrMany::One(row)))
            .ok_or_else(ApiError::internal);
    }
    Ok(Json(OneOrMany::Many(rows)))
}

/// The best bid and best ask, each `(price, qty)`; zeros for an empty side.
fn top_of_book(engine: &crate::engine::Engine, symbol: &str) -> Result<(Level, Level), ApiError> {
    let (_, bids, asks) = engine.depth(symbol, 1).ok_or_else(ApiError::internal)?;
    let best = |levels: &[Level]| levels.first().copied().unwrap_or_default();
    Ok((best(&bids), best(&asks)))
}

/// `startTime`/`endTime` may be microseconds.
pub fn to_ms(time: i64) -> i64 {
    if time >= 100_000_000_000_000 {
        time / 1000
    } else {
        time
    }
}
