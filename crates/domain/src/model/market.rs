//! Public market data: time, depth, trades, klines, tickers, average and
//! reference prices.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Millis;

/// `GET /api/v3/time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// The server time.
    pub server_time: Millis,
}

/// `GET /api/v3/avgPrice`: the volume-weighted average price over the last
/// `mins` minutes, the price `PERCENT_PRICE` and the notional filters use for
/// MARKET orders when no reference price exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvgPrice {
    /// The window, in minutes.
    pub mins: u32,
    /// The average price.
    pub price: Decimal,
    /// The last trade time in the window.
    #[serde(default)]
    pub close_time: Millis,
}

/// `GET /api/v3/referencePrice`. A non-null `reference_price` replaces the
/// average price in `PERCENT_PRICE`, `PERCENT_PRICE_BY_SIDE`, `MIN_NOTIONAL`
/// and `NOTIONAL` (CHANGELOG 2026-05-06).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePrice {
    /// The symbol.
    pub symbol: String,
    /// The reference price, `null` when none is set now.
    pub reference_price: Option<Decimal>,
    /// When the reference price was valid.
    #[serde(default)]
    pub timestamp: Millis,
}

/// One price level: `["price", "quantity"]` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Level(pub Decimal, pub Decimal);

impl Level {
    /// The price.
    pub fn price(&self) -> Decimal {
        self.0
    }

    /// The quantity at that price.
    pub fn qty(&self) -> Decimal {
        self.1
    }
}

/// `GET /api/v3/depth`: an order book snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    /// The last update included.
    pub last_update_id: u64,
    /// Best bid first.
    pub bids: Vec<Level>,
    /// Best ask first.
    pub asks: Vec<Level>,
}

/// `GET /api/v3/trades`: one public trade.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    /// Trade id.
    pub id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// `price × qty`.
    pub quote_qty: Decimal,
    /// Trade time.
    pub time: Millis,
    /// Whether the buyer was the maker.
    pub is_buyer_maker: bool,
    /// Whether this was the best price match.
    #[serde(default)]
    pub is_best_match: bool,
}

/// `GET /api/v3/aggTrades`: one aggregate trade.
///
/// Wire keys: `a` → `id`, `p` → `price`, `q` → `qty`, `f` → `first_trade_id`,
/// `l` → `last_trade_id`, `T` → `time`, `m` → `is_buyer_maker`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AggTrade {
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p")]
    pub price: Decimal,
    /// Quantity.
    #[serde(rename = "q")]
    pub qty: Decimal,
    /// First trade id.
    #[serde(rename = "f")]
    pub first_trade_id: u64,
    /// Last trade id.
    #[serde(rename = "l")]
    pub last_trade_id: u64,
    /// Time.
    #[serde(rename = "T")]
    pub time: Millis,
    /// Whether the buyer was the maker.
    #[serde(rename = "m")]
    pub is_buyer_maker: bool,
}

/// `GET /api/v3/klines`: one candle. On the wire it is an array:
/// `[openTime, "open", "high", "low", "close", "volume", closeTime,
/// "quoteVolume", trades, "takerBuyBase", "takerBuyQuote", "0"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "KlineRow", into = "KlineRow")]
pub struct Kline {
    /// Open time.
    pub open_time: Millis,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Close time.
    pub close_time: Millis,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub trades: u64,
    /// Taker buy base volume.
    pub taker_buy_base: Decimal,
    /// Taker buy quote volume.
    pub taker_buy_quote: Decimal,
}

#[derive(Clone, Deserialize, Serialize)]
struct KlineRow(
    Millis,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Millis,
    Decimal,
    u64,
    Decimal,
    Decimal,
    String,
);

impl From<KlineRow> for Kline {
    fn from(row: KlineRow) -> Kline {
        Kline {
            open_time: row.0,
            open: row.1,
            high: row.2,
            low: row.3,
            close: row.4,
            volume: row.5,
            close_time: row.6,
            quote_volume: row.7,
            trades: row.8,
            taker_buy_base: row.9,
            taker_buy_quote: row.10,
        }
    }
}

impl From<Kline> for KlineRow {
    fn from(k: Kline) -> KlineRow {
        KlineRow(
            k.open_time,
            k.open,
            k.high,
            k.low,
            k.close,
            k.volume,
            k.close_time,
            k.quote_volume,
            k.trades,
            k.taker_buy_base,
            k.taker_buy_quote,
            "0".to_owned(),
        )
    }
}

/// `GET /api/v3/ticker/price`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PriceTicker {
    /// Symbol.
    pub symbol: String,
    /// Last price.
    pub price: Decimal,
}

/// `GET /api/v3/ticker/bookTicker`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    /// Symbol.
    pub symbol: String,
    /// Best bid.
    pub bid_price: Decimal,
    /// Quantity at the best bid.
    pub bid_qty: Decimal,
    /// Best ask.
    pub ask_price: Decimal,
    /// Quantity at the best ask.
    pub ask_qty: Decimal,
}

/// `GET /api/v3/ticker/24hr` (`FULL` and `MINI`; the `FULL`-only fields are
/// optional).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24h {
    /// Symbol.
    pub symbol: String,
    /// Price change over the window (FULL only).
    #[serde(default)]
    pub price_change: Option<Decimal>,
    /// Percent change (FULL only).
    #[serde(default)]
    pub price_change_percent: Option<Decimal>,
    /// Open price.
    pub open_price: Decimal,
    /// High price.
    pub high_price: Decimal,
    /// Low price.
    pub low_price: Decimal,
    /// Last price.
    pub last_price: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Window start.
    pub open_time: Millis,
    /// Window end.
    pub close_time: Millis,
    /// Number of trades.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_levels_keep_their_strings() {
        let depth: Depth = serde_json::from_str(
            r#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#,
        )
        .unwrap();
        assert_eq!(depth.bids[0].price().to_string(), "4.00000000");
        assert_eq!(depth.asks[0].qty().to_string(), "12.00000000");
    }

    #[test]
    fn kline_from_array() {
        let kline: Kline = serde_json::from_str(
            r#"[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]"#,
        )
        .unwrap();
        assert_eq!(kline.close.to_string(), "0.01577100");
        assert_eq!(kline.trades, 308);
        let back = serde_json::to_value(&kline).unwrap();
        assert_eq!(back[1], "0.01634790");
    }

    #[test]
    fn mini_ticker_parses() {
        let ticker: Ticker24h = serde_json::from_str(
            r#"{"symbol":"BNBBTC","openPrice":"99.00000000","highPrice":"100.00000000","lowPrice":"0.10000000","lastPrice":"4.00000200","volume":"8913.30000000","quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,"firstId":28385,"lastId":28460,"count":76}"#,
        )
        .unwrap();
        assert_eq!(ticker.price_change, None);
        assert_eq!(ticker.last_price.to_string(), "4.00000200");
    }
}
