//! Binance's WebSocket JSON, as it is on the wire, and its conversion into
//! `mbx_domain::stream` types.
//!
//! Two ways in for a market-stream frame:
//!
//! * [`decode_market`] gives the borrowed wire types: decimal strings are
//!   `&str` slices of the frame and names are `Cow`s that borrow unless the
//!   JSON escaped them; nothing is parsed into a number until the
//!   conversion at the edge ([`MarketEvent::to_domain`]).
//! * [`decode_market_typed`] gives the domain's owned events directly, with
//!   every decimal parsed exactly (`rust_decimal`, never `f64`). It is what
//!   `MarketStreams` uses; for `trade`, `aggTrade` and book payloads it reads
//!   the decimals while scanning the frame, without an intermediate `Vec`
//!   of strings.
//!
//! Every market stream of `web-socket-streams.md` has a type, arrays
//! (`!miniTicker@arr`, `!ticker_<window>@arr`) included. Valid JSON that is
//! no known event (a stream Binance added, a retired one) is not an error:
//! it comes back as `Unrecognized` with its text, for the caller to pass on
//! as it is.
//!
//! Speed: the event type is read from the `{"e":"…"` prefix Binance always
//! sends, so a payload is parsed once, straight into its struct; the
//! combined envelope, `trade`, `aggTrade`, `depthUpdate`, partial depth and
//! `bookTicker` are read by scanners for the exact layout Binance sends
//! (`wire/fast.rs`); any other shape goes through `serde_json`, which
//! decides. Proptests check that both paths always agree.
//!
//! Decoding never panics: a malformed frame is a [`DecodeError`].
//!
//! Payload shapes: `shared/binance-docs/web-socket-streams.md` (every
//! example is checked by a test, from
//! `fixtures/web-socket-streams-examples.md`),
//! `shared/binance-docs/user-data-stream.md` and
//! `shared/binance-docs/web-socket-api.md`.

mod fast;

use std::borrow::Cow;
use std::fmt;

use mbx_domain::model::Balance;
use mbx_domain::stream as domain;
use rust_decimal::Decimal;
use serde::de::{self, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Why a frame could not be decoded. The frame should be logged and skipped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is not valid JSON or does not have the expected shape.
    #[error("malformed frame: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The frame is an event of a type this client does not decode.
    #[error("unknown event type `{0}`")]
    UnknownEvent(String),
    /// The frame is valid JSON but neither an event nor a reply.
    #[error("unrecognized frame")]
    Unrecognized,
    /// A decimal field does not hold a decimal number.
    #[error("field `{field}` is not a decimal: `{value}`")]
    BadDecimal {
        /// The field's one-letter key.
        field: &'static str,
        /// What it held (cut to 40 characters).
        value: String,
    },
}

/// One frame of a market-stream connection.
#[derive(Debug, Clone)]
pub enum MarketFrame<'a> {
    /// An event; `stream` is its stream name on a combined connection.
    Event {
        /// The stream name (`btcusdt@aggTrade`), on combined connections only.
        stream: Option<Cow<'a, str>>,
        /// The event.
        event: MarketEvent<'a>,
    },
    /// Valid JSON that is no event this client knows (a stream or an event
    /// type Binance added, a retired stream): its text, to pass on as it is.
    Unrecognized {
        /// The stream name, on combined connections only.
        stream: Option<Cow<'a, str>>,
        /// The payload's JSON text (the `data` of a combined frame).
        payload: &'a str,
    },
    /// The reply to a `SUBSCRIBE`, `UNSUBSCRIBE` or other control message.
    Reply(ControlReply<'a>),
}

/// One frame of a market-stream connection, with its event converted into
/// the domain's types ([`decode_market_typed`]).
#[derive(Debug, Clone)]
pub enum TypedFrame<'a> {
    /// An event; `stream` is its stream name on a combined connection.
    Event {
        /// The stream name (`btcusdt@aggTrade`), on combined connections only.
        stream: Option<Cow<'a, str>>,
        /// The event, with exact decimals.
        event: domain::MarketEvent,
    },
    /// Valid JSON that is no event this client knows: its text.
    Unrecognized {
        /// The stream name, on combined connections only.
        stream: Option<Cow<'a, str>>,
        /// The payload's JSON text (the `data` of a combined frame).
        payload: &'a str,
    },
    /// The reply to a `SUBSCRIBE`, `UNSUBSCRIBE` or other control message.
    Reply(ControlReply<'a>),
}

/// A market-stream event as on the wire.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MarketEvent<'a> {
    /// `trade`.
    Trade(Trade<'a>),
    /// `aggTrade`.
    AggTrade(AggTrade<'a>),
    /// `kline`.
    Kline(Box<KlineEvent<'a>>),
    /// A partial book depth payload (no event type).
    PartialDepth(PartialDepth<'a>),
    /// `depthUpdate`.
    DepthUpdate(DepthUpdate<'a>),
    /// A book ticker payload (no event type).
    BookTicker(BookTicker<'a>),
    /// `24hrTicker`.
    Ticker(Box<Ticker<'a>>),
    /// `24hrMiniTicker`.
    MiniTicker(MiniTicker<'a>),
    /// An array of `24hrMiniTicker` (`!miniTicker@arr`).
    MiniTickers(Vec<MiniTicker<'a>>),
    /// `1hTicker`, `4hTicker`, `1dTicker`.
    RollingTicker(Box<RollingTicker<'a>>),
    /// An array of rolling-window tickers (`!ticker_<window>@arr`).
    RollingTickers(Vec<RollingTicker<'a>>),
    /// `avgPrice`.
    AvgPrice(AvgPrice<'a>),
    /// `referencePrice`.
    ReferencePrice(ReferencePrice<'a>),
    /// `blockTrade`.
    BlockTrade(BlockTrade<'a>),
    /// `serverShutdown`.
    ServerShutdown(ServerShutdown),
}

/// `trade` (`<symbol>@trade`).
///
/// ```json
/// {"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Trade<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `t` → trade ID.
    #[serde(rename = "t")]
    pub trade_id: u64,
    /// `p` → price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// `q` → quantity.
    #[serde(rename = "q")]
    pub quantity: &'a str,
    /// `T` → trade time.
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// `m` → the buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// `aggTrade` (`<symbol>@aggTrade`).
///
/// ```json
/// {"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AggTrade<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `a` → aggregate trade ID.
    #[serde(rename = "a")]
    pub agg_trade_id: u64,
    /// `p` → price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// `q` → quantity.
    #[serde(rename = "q")]
    pub quantity: &'a str,
    /// `f` → first trade ID.
    #[serde(rename = "f")]
    pub first_trade_id: u64,
    /// `l` → last trade ID.
    #[serde(rename = "l")]
    pub last_trade_id: u64,
    /// `T` → trade time.
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// `m` → the buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// `kline` (`<symbol>@kline_<interval>`).
///
/// ```json
/// {"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KlineEvent<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `k` → the candle.
    #[serde(rename = "k", borrow)]
    pub kline: Kline<'a>,
}

/// The candle inside a `kline` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Kline<'a> {
    /// `t` → start time.
    #[serde(rename = "t")]
    pub open_time: i64,
    /// `T` → close time.
    #[serde(rename = "T")]
    pub close_time: i64,
    /// `i` → interval.
    #[serde(rename = "i", borrow)]
    pub interval: Cow<'a, str>,
    /// `f` → first trade ID.
    #[serde(rename = "f")]
    pub first_trade_id: i64,
    /// `L` → last trade ID.
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    /// `o` → open price.
    #[serde(rename = "o")]
    pub open: &'a str,
    /// `c` → close price.
    #[serde(rename = "c")]
    pub close: &'a str,
    /// `h` → high price.
    #[serde(rename = "h")]
    pub high: &'a str,
    /// `l` → low price.
    #[serde(rename = "l")]
    pub low: &'a str,
    /// `v` → base asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// `n` → number of trades.
    #[serde(rename = "n")]
    pub trade_count: u64,
    /// `x` → the candle is closed.
    #[serde(rename = "x")]
    pub is_closed: bool,
    /// `q` → quote asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
    /// `V` → taker buy base asset volume.
    #[serde(rename = "V")]
    pub taker_buy_base_volume: &'a str,
    /// `Q` → taker buy quote asset volume.
    #[serde(rename = "Q")]
    pub taker_buy_quote_volume: &'a str,
}

/// A partial book depth payload (`<symbol>@depth<5|10|20>`); it has no `e`.
///
/// ```json
/// {"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PartialDepth<'a> {
    /// `lastUpdateId` → last update ID.
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// `bids` → `[price, quantity]` pairs, best first.
    #[serde(borrow)]
    pub bids: Vec<(&'a str, &'a str)>,
    /// `asks` → `[price, quantity]` pairs, best first.
    #[serde(borrow)]
    pub asks: Vec<(&'a str, &'a str)>,
}

/// `depthUpdate` (`<symbol>@depth`, `<symbol>@depth@100ms`).
///
/// ```json
/// {"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DepthUpdate<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `U` → first update ID in the event.
    #[serde(rename = "U")]
    pub first_update_id: u64,
    /// `u` → final update ID in the event.
    #[serde(rename = "u")]
    pub final_update_id: u64,
    /// `b` → bid `[price, quantity]` pairs to set.
    #[serde(rename = "b", borrow)]
    pub bids: Vec<(&'a str, &'a str)>,
    /// `a` → ask `[price, quantity]` pairs to set.
    #[serde(rename = "a", borrow)]
    pub asks: Vec<(&'a str, &'a str)>,
}

/// A book ticker payload (`<symbol>@bookTicker`); it has no `e` and no `E`.
///
/// ```json
/// {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BookTicker<'a> {
    /// `u` → order book update ID.
    #[serde(rename = "u")]
    pub update_id: u64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `b` → best bid price.
    #[serde(rename = "b")]
    pub bid_price: &'a str,
    /// `B` → best bid quantity.
    #[serde(rename = "B")]
    pub bid_quantity: &'a str,
    /// `a` → best ask price.
    #[serde(rename = "a")]
    pub ask_price: &'a str,
    /// `A` → best ask quantity.
    #[serde(rename = "A")]
    pub ask_quantity: &'a str,
}

/// `24hrTicker` (`<symbol>@ticker`).
///
/// ```json
/// {"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ticker<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `p` → price change.
    #[serde(rename = "p")]
    pub price_change: &'a str,
    /// `P` → price change percent.
    #[serde(rename = "P")]
    pub price_change_percent: &'a str,
    /// `w` → weighted average price.
    #[serde(rename = "w")]
    pub weighted_avg_price: &'a str,
    /// `x` → price of the last trade before the window.
    #[serde(rename = "x")]
    pub first_trade_price: &'a str,
    /// `c` → last price.
    #[serde(rename = "c")]
    pub last_price: &'a str,
    /// `Q` → last quantity.
    #[serde(rename = "Q")]
    pub last_quantity: &'a str,
    /// `b` → best bid price.
    #[serde(rename = "b")]
    pub bid_price: &'a str,
    /// `B` → best bid quantity.
    #[serde(rename = "B")]
    pub bid_quantity: &'a str,
    /// `a` → best ask price.
    #[serde(rename = "a")]
    pub ask_price: &'a str,
    /// `A` → best ask quantity.
    #[serde(rename = "A")]
    pub ask_quantity: &'a str,
    /// `o` → open price.
    #[serde(rename = "o")]
    pub open_price: &'a str,
    /// `h` → high price.
    #[serde(rename = "h")]
    pub high_price: &'a str,
    /// `l` → low price.
    #[serde(rename = "l")]
    pub low_price: &'a str,
    /// `v` → base asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// `q` → quote asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
    /// `O` → window open time.
    #[serde(rename = "O")]
    pub open_time: i64,
    /// `C` → window close time.
    #[serde(rename = "C")]
    pub close_time: i64,
    /// `F` → first trade ID.
    #[serde(rename = "F")]
    pub first_trade_id: i64,
    /// `L` → last trade ID.
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    /// `n` → number of trades.
    #[serde(rename = "n")]
    pub trade_count: u64,
}

/// `24hrMiniTicker` (`<symbol>@miniTicker`, and each entry of
/// `!miniTicker@arr`).
///
/// ```json
/// {"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MiniTicker<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `c` → close price.
    #[serde(rename = "c")]
    pub close_price: &'a str,
    /// `o` → open price.
    #[serde(rename = "o")]
    pub open_price: &'a str,
    /// `h` → high price.
    #[serde(rename = "h")]
    pub high_price: &'a str,
    /// `l` → low price.
    #[serde(rename = "l")]
    pub low_price: &'a str,
    /// `v` → base asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// `q` → quote asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
}

/// `1hTicker`, `4hTicker`, `1dTicker` (`<symbol>@ticker_<window>`, and each
/// entry of `!ticker_<window>@arr`).
///
/// ```json
/// {"e":"1hTicker","E":1672515782136,"s":"BNBBTC","p":"0.0015","P":"250.00","o":"0.0010","h":"0.0025","l":"0.0010","c":"0.0025","w":"0.0018","v":"10000","q":"18","O":0,"C":1675216573749,"F":0,"L":18150,"n":18151}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RollingTicker<'a> {
    /// `e` → event type, which names the window (`1hTicker`).
    #[serde(rename = "e", borrow)]
    pub event_type: Cow<'a, str>,
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `p` → price change.
    #[serde(rename = "p")]
    pub price_change: &'a str,
    /// `P` → price change percent.
    #[serde(rename = "P")]
    pub price_change_percent: &'a str,
    /// `o` → open price.
    #[serde(rename = "o")]
    pub open_price: &'a str,
    /// `h` → high price.
    #[serde(rename = "h")]
    pub high_price: &'a str,
    /// `l` → low price.
    #[serde(rename = "l")]
    pub low_price: &'a str,
    /// `c` → last price.
    #[serde(rename = "c")]
    pub last_price: &'a str,
    /// `w` → weighted average price.
    #[serde(rename = "w")]
    pub weighted_avg_price: &'a str,
    /// `v` → base asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// `q` → quote asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
    /// `O` → window open time.
    #[serde(rename = "O")]
    pub open_time: i64,
    /// `C` → window close time.
    #[serde(rename = "C")]
    pub close_time: i64,
    /// `F` → first trade ID.
    #[serde(rename = "F")]
    pub first_trade_id: i64,
    /// `L` → last trade ID.
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    /// `n` → number of trades.
    #[serde(rename = "n")]
    pub trade_count: u64,
}

impl RollingTicker<'_> {
    /// The window, from the event type: `1hTicker` → `1h`.
    pub fn window(&self) -> &str {
        self.event_type
            .strip_suffix("Ticker")
            .unwrap_or(&self.event_type)
    }
}

/// `avgPrice` (`<symbol>@avgPrice`).
///
/// ```json
/// {"e":"avgPrice","E":1693907033000,"s":"BTCUSDT","i":"5m","w":"25776.86000000","T":1693907032213}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AvgPrice<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `i` → averaging interval.
    #[serde(rename = "i", borrow)]
    pub interval: Cow<'a, str>,
    /// `w` → average price.
    #[serde(rename = "w")]
    pub price: &'a str,
    /// `T` → last trade time.
    #[serde(rename = "T")]
    pub last_trade_time: i64,
}

/// `referencePrice` (`<symbol>@referencePrice`); it has no `E`.
///
/// ```json
/// {"e":"referencePrice","s":"BAZUSD","r":"1.00","t":1770313263917}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReferencePrice<'a> {
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `r` → reference price (`null` when there is none).
    #[serde(rename = "r")]
    pub price: Option<&'a str>,
    /// `t` → engine time at which the price was valid.
    #[serde(rename = "t")]
    pub time: i64,
}

/// `blockTrade` (`<symbol>@blockTrade`).
///
/// ```json
/// {"e":"blockTrade","E":1772506983582,"s":"BNBBTC","t":582,"p":"0.052","q":"5838","T":1772506983321,"m":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlockTrade<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `t` → block trade ID.
    #[serde(rename = "t")]
    pub trade_id: u64,
    /// `p` → price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// `q` → quantity.
    #[serde(rename = "q")]
    pub quantity: &'a str,
    /// `T` → trade time.
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// `m` → the buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// `serverShutdown`, on market streams and on the WebSocket API.
///
/// ```json
/// {"e":"serverShutdown","E":1770123456789}
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ServerShutdown {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
}

/// The reply to a market-stream control message.
///
/// ```json
/// {"result":null,"id":1}
/// {"code":2,"msg":"Invalid request: too many parameters","id":7}
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct ControlReply<'a> {
    /// `id` → the request's ID.
    #[serde(default)]
    pub id: Option<Id<'a>>,
    /// `result` → `null` for a successful (un)subscribe; the answer for a query.
    #[serde(default, borrow)]
    pub result: Option<&'a RawValue>,
    /// `code` → error code (`0`..`3`), on failure only.
    #[serde(default)]
    pub code: Option<i64>,
    /// `msg` → error message, on failure only.
    #[serde(default, borrow)]
    pub msg: Option<Cow<'a, str>>,
}

/// A request ID: Binance accepts an integer, a string or `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id<'a> {
    /// An integer ID.
    Int(i64),
    /// A string ID.
    Text(Cow<'a, str>),
}

impl Id<'_> {
    /// The ID as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Id::Int(value) => u64::try_from(*value).ok(),
            Id::Text(_) => None,
        }
    }
}

/// One frame of a WebSocket API connection.
#[derive(Debug, Clone)]
pub enum ApiFrame<'a> {
    /// The response to a request.
    Response(ApiResponse<'a>),
    /// A user-data event.
    Event {
        /// `subscriptionId` → which subscription it came from.
        subscription_id: Option<u64>,
        /// The event.
        event: UserEvent<'a>,
    },
    /// `{"event":{"e":"serverShutdown",..}}`: reconnect now.
    ServerShutdown(ServerShutdown),
}

/// A WebSocket API response.
///
/// ```json
/// {"id":"d3df8a22","status":200,"result":{"subscriptionId":0},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":2}]}
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct ApiResponse<'a> {
    /// `id` → the request's ID.
    #[serde(default)]
    pub id: Option<Id<'a>>,
    /// `status` → HTTP-like status (200, 400, 403, 409, 418, 429, 5xx).
    pub status: u16,
    /// `result` → the answer, on success.
    #[serde(default, borrow)]
    pub result: Option<&'a RawValue>,
    /// `error` → `{"code","msg"}`, on failure.
    #[serde(default, borrow)]
    pub error: Option<ApiErrorBody<'a>>,
    /// `rateLimits` → the limits this request counted against.
    #[serde(default, rename = "rateLimits", borrow)]
    pub rate_limits: Vec<RateLimit<'a>>,
}

/// Binance's `{"code": -1021, "msg": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody<'a> {
    /// `code` → Binance error code.
    pub code: i64,
    /// `msg` → Binance's message, word for word.
    #[serde(borrow)]
    pub msg: Cow<'a, str>,
}

/// One entry of `rateLimits`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateLimit<'a> {
    /// `rateLimitType` → `REQUEST_WEIGHT`, `ORDERS`, …
    #[serde(rename = "rateLimitType", borrow)]
    pub rate_limit_type: Cow<'a, str>,
    /// `interval` → `SECOND`, `MINUTE`, `DAY`.
    #[serde(borrow)]
    pub interval: Cow<'a, str>,
    /// `intervalNum` → number of intervals in the window.
    #[serde(rename = "intervalNum")]
    pub interval_num: u32,
    /// `limit` → the limit.
    pub limit: u64,
    /// `count` → used so far in the window.
    #[serde(default)]
    pub count: u64,
}

/// A user-data event as on the wire.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UserEvent<'a> {
    /// `outboundAccountPosition`.
    AccountPosition(AccountPosition<'a>),
    /// `balanceUpdate`.
    BalanceUpdate(BalanceUpdate<'a>),
    /// `executionReport`.
    ExecutionReport(Box<ExecutionReport<'a>>),
    /// `listStatus`.
    ListStatus(ListStatus<'a>),
    /// `eventStreamTerminated`.
    EventStreamTerminated(ServerShutdown),
    /// `externalLockUpdate`.
    ExternalLockUpdate(BalanceUpdate<'a>),
}

/// `outboundAccountPosition`.
///
/// ```json
/// {"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountPosition<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `u` → time of the last account update.
    #[serde(rename = "u")]
    pub last_update_time: i64,
    /// `B` → balances.
    #[serde(rename = "B", borrow)]
    pub balances: Vec<WireBalance<'a>>,
}

/// One entry of `outboundAccountPosition.B`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireBalance<'a> {
    /// `a` → asset.
    #[serde(rename = "a", borrow)]
    pub asset: Cow<'a, str>,
    /// `f` → free.
    #[serde(rename = "f")]
    pub free: &'a str,
    /// `l` → locked.
    #[serde(rename = "l")]
    pub locked: &'a str,
}

/// `balanceUpdate` and `externalLockUpdate` (same keys).
///
/// ```json
/// {"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceUpdate<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `a` → asset.
    #[serde(rename = "a", borrow)]
    pub asset: Cow<'a, str>,
    /// `d` → signed delta.
    #[serde(rename = "d")]
    pub delta: &'a str,
    /// `T` → clear time (transaction time for `externalLockUpdate`).
    #[serde(rename = "T")]
    pub time: i64,
}

/// `executionReport` (conditional keys not listed here are skipped).
///
/// ```json
/// {"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutionReport<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `c` → client order ID.
    #[serde(rename = "c", borrow)]
    pub client_order_id: Cow<'a, str>,
    /// `S` → side.
    #[serde(rename = "S", borrow)]
    pub side: Cow<'a, str>,
    /// `o` → order type.
    #[serde(rename = "o", borrow)]
    pub order_type: Cow<'a, str>,
    /// `f` → time in force.
    #[serde(rename = "f", borrow)]
    pub time_in_force: Cow<'a, str>,
    /// `q` → order quantity.
    #[serde(rename = "q")]
    pub quantity: &'a str,
    /// `p` → order price.
    #[serde(rename = "p")]
    pub price: &'a str,
    /// `P` → stop price.
    #[serde(rename = "P")]
    pub stop_price: &'a str,
    /// `F` → iceberg quantity.
    #[serde(rename = "F")]
    pub iceberg_quantity: &'a str,
    /// `g` → order list ID.
    #[serde(rename = "g")]
    pub order_list_id: i64,
    /// `C` → original client order ID.
    #[serde(rename = "C", borrow)]
    pub orig_client_order_id: Cow<'a, str>,
    /// `x` → execution type.
    #[serde(rename = "x", borrow)]
    pub execution_type: Cow<'a, str>,
    /// `X` → order status.
    #[serde(rename = "X", borrow)]
    pub order_status: Cow<'a, str>,
    /// `r` → reject reason.
    #[serde(rename = "r", borrow)]
    pub reject_reason: Cow<'a, str>,
    /// `i` → order ID.
    #[serde(rename = "i")]
    pub order_id: u64,
    /// `l` → last executed quantity.
    #[serde(rename = "l")]
    pub last_executed_quantity: &'a str,
    /// `z` → cumulative filled quantity.
    #[serde(rename = "z")]
    pub cumulative_filled_quantity: &'a str,
    /// `L` → last executed price.
    #[serde(rename = "L")]
    pub last_executed_price: &'a str,
    /// `n` → commission amount.
    #[serde(rename = "n")]
    pub commission: &'a str,
    /// `N` → commission asset (`null` when none).
    #[serde(rename = "N", borrow)]
    pub commission_asset: Option<Cow<'a, str>>,
    /// `T` → transaction time.
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// `t` → trade ID.
    #[serde(rename = "t")]
    pub trade_id: i64,
    /// `I` → execution ID.
    #[serde(rename = "I")]
    pub execution_id: u64,
    /// `w` → the order is on the book.
    #[serde(rename = "w")]
    pub is_on_book: bool,
    /// `m` → this fill was the maker side.
    #[serde(rename = "m")]
    pub is_maker: bool,
    /// `O` → order creation time.
    #[serde(rename = "O")]
    pub creation_time: i64,
    /// `Z` → cumulative quote quantity.
    #[serde(rename = "Z")]
    pub cumulative_quote_quantity: &'a str,
    /// `Y` → last quote quantity.
    #[serde(rename = "Y")]
    pub last_quote_quantity: &'a str,
    /// `Q` → quote order quantity.
    #[serde(rename = "Q")]
    pub quote_order_quantity: &'a str,
    /// `W` → working time (only once on the book).
    #[serde(rename = "W", default)]
    pub working_time: Option<i64>,
    /// `V` → self-trade-prevention mode.
    #[serde(rename = "V", default, borrow)]
    pub self_trade_prevention_mode: Option<Cow<'a, str>>,
}

/// `listStatus`.
///
/// ```json
/// {"e":"listStatus","E":1564035303637,"s":"ETHBTC","g":2,"c":"OCO","l":"EXEC_STARTED","L":"EXECUTING","r":"NONE","C":"F4QN4G8DlFATFlIUQ0cjdD","T":1564035303625,"O":[{"s":"ETHBTC","i":17,"c":"AJYsMjErWJesZvqlJCTUgL"}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListStatus<'a> {
    /// `E` → event time.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `g` → order list ID.
    #[serde(rename = "g")]
    pub order_list_id: i64,
    /// `c` → contingency type.
    #[serde(rename = "c", borrow)]
    pub contingency_type: Cow<'a, str>,
    /// `l` → list status type.
    #[serde(rename = "l", borrow)]
    pub list_status_type: Cow<'a, str>,
    /// `L` → list order status.
    #[serde(rename = "L", borrow)]
    pub list_order_status: Cow<'a, str>,
    /// `r` → list reject reason.
    #[serde(rename = "r", borrow)]
    pub list_reject_reason: Cow<'a, str>,
    /// `C` → list client order ID.
    #[serde(rename = "C", borrow)]
    pub list_client_order_id: Cow<'a, str>,
    /// `T` → transaction time.
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// `O` → the orders of the list.
    #[serde(rename = "O", borrow)]
    pub orders: Vec<ListOrder<'a>>,
}

/// One entry of `listStatus.O`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListOrder<'a> {
    /// `s` → symbol.
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    /// `i` → order ID.
    #[serde(rename = "i")]
    pub order_id: u64,
    /// `c` → client order ID.
    #[serde(rename = "c", borrow)]
    pub client_order_id: Cow<'a, str>,
}

/// Decodes one frame of a market-stream connection, raw or combined, into
/// the borrowed wire types.
///
/// Valid JSON that is no known event comes back as
/// [`MarketFrame::Unrecognized`] with its text, not as an error.
///
/// ```
/// use mbx_adapters_ws::wire::{self, MarketEvent, MarketFrame};
///
/// let frame = r#"{"stream":"bnbbtc@aggTrade","data":{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}}"#;
/// let MarketFrame::Event { stream, event: MarketEvent::AggTrade(trade) } = wire::decode_market(frame)? else {
///     panic!("not an aggTrade");
/// };
/// assert_eq!(stream.as_deref(), Some("bnbbtc@aggTrade"));
/// assert_eq!(trade.price, "0.001");
/// # Ok::<(), wire::DecodeError>(())
/// ```
pub fn decode_market(text: &str) -> Result<MarketFrame<'_>, DecodeError> {
    Ok(match decode_frame(text, wire_payload)? {
        Frame::Event {
            stream,
            event: Some(event),
            ..
        } => MarketFrame::Event { stream, event },
        Frame::Event {
            stream,
            payload,
            event: None,
        } => MarketFrame::Unrecognized { stream, payload },
        Frame::Reply(reply) => MarketFrame::Reply(reply),
    })
}

/// Decodes one frame of a market-stream connection straight into the
/// domain's event types, with every decimal parsed exactly: the path
/// [`MarketStreams`](crate::MarketStreams) uses. Faster than
/// [`decode_market`] followed by [`MarketEvent::to_domain`] for book
/// payloads, whose levels are parsed without an intermediate `Vec`.
///
/// ```
/// use mbx_adapters_ws::wire::{self, TypedFrame};
/// use mbx_domain::stream::MarketEvent;
///
/// let frame = r#"{"stream":"bnbbtc@depth","data":{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}}"#;
/// let TypedFrame::Event { stream, event: MarketEvent::DepthUpdate(update) } = wire::decode_market_typed(frame)? else {
///     panic!("not a depthUpdate");
/// };
/// assert_eq!((stream.as_deref(), update.final_update_id), (Some("bnbbtc@depth"), 160));
/// assert_eq!(update.bids[0].price.to_string(), "0.0024");
///
/// let unknown = r#"{"stream":"bnbbtc@newStream","data":{"e":"somethingNew","E":1}}"#;
/// assert!(matches!(wire::decode_market_typed(unknown)?, TypedFrame::Unrecognized { payload: r#"{"e":"somethingNew","E":1}"#, .. }));
/// # Ok::<(), wire::DecodeError>(())
/// ```
pub fn decode_market_typed(text: &str) -> Result<TypedFrame<'_>, DecodeError> {
    Ok(match decode_frame(text, typed_payload)? {
        Frame::Event {
            stream,
            event: Some(event),
            ..
        } => TypedFrame::Event { stream, event },
        Frame::Event {
            stream,
            payload,
            event: None,
        } => TypedFrame::Unrecognized { stream, payload },
        Frame::Reply(reply) => TypedFrame::Reply(reply),
    })
}

/// The stream name and the payload's text of a combined frame written the
/// way Binance writes it (`{"stream":"<name>","data":<payload>}`), without
/// decoding the payload; `None` for anything else. For passing frames on or
/// recording them by stream.
///
/// ```
/// let frame = r#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#;
/// assert_eq!(
///     mbx_adapters_ws::wire::split_combined(frame),
///     Some(("btcusdt@trade", r#"{"e":"trade"}"#))
/// );
/// ```
pub fn split_combined(text: &str) -> Option<(&str, &str)> {
    fast::envelope(text)
}

/// Decodes one raw market-stream payload (the `data` of a combined frame).
/// A payload of no known event is [`DecodeError::UnknownEvent`] or
/// [`DecodeError::Unrecognized`].
pub fn decode_market_event(text: &str) -> Result<MarketEvent<'_>, DecodeError> {
    match wire_payload(text, None)? {
        Some(event) => Ok(event),
        None => Err(match leading_tag(text) {
            Some(tag) => DecodeError::UnknownEvent(cut(tag)),
            None => DecodeError::Unrecognized,
        }),
    }
}

/// Decodes one frame of a WebSocket API connection: a response, a
/// user-data event or `serverShutdown`.
///
/// ```
/// use mbx_adapters_ws::wire::{self, ApiFrame, UserEvent};
///
/// let frame = r#"{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}}"#;
/// let ApiFrame::Event { subscription_id, event: UserEvent::BalanceUpdate(update) } = wire::decode_api(frame)? else {
///     panic!("not a balanceUpdate");
/// };
/// assert_eq!((subscription_id, update.delta), (Some(0), "100.00000000"));
/// # Ok::<(), wire::DecodeError>(())
/// ```
pub fn decode_api(text: &str) -> Result<ApiFrame<'_>, DecodeError> {
    let envelope: ApiEnvelope<'_> = serde_json::from_str(text)?;
    if let Some(event) = envelope.event {
        let event = event.get();
        let tag = match leading_tag(event) {
            Some(tag) => Cow::Borrowed(tag),
            None => serde_json::from_str::<Sniff<'_>>(event)?
                .e
                .ok_or(DecodeError::Unrecognized)?,
        };
        if tag == "serverShutdown" {
            return Ok(ApiFrame::ServerShutdown(serde_json::from_str(event)?));
        }
        return Ok(ApiFrame::Event {
            subscription_id: envelope.subscription_id,
            event: decode_tagged_user(&tag, event)?,
        });
    }
    if envelope.status.is_some() {
        return Ok(ApiFrame::Response(serde_json::from_str(text)?));
    }
    Err(DecodeError::Unrecognized)
}

impl MarketEvent<'_> {
    /// Converts into the domain event, parsing every decimal exactly.
    pub fn to_domain(&self) -> Result<domain::MarketEvent, DecodeError> {
        Ok(match self {
            MarketEvent::Trade(it) => domain::MarketEvent::Trade(it.try_into()?),
            MarketEvent::AggTrade(it) => domain::MarketEvent::AggTrade(it.try_into()?),
            MarketEvent::Kline(it) => domain::MarketEvent::Kline(Box::new(it.as_ref().try_into()?)),
            MarketEvent::PartialDepth(it) => domain::MarketEvent::PartialDepth(it.try_into()?),
            MarketEvent::DepthUpdate(it) => domain::MarketEvent::DepthUpdate(it.try_into()?),
            MarketEvent::BookTicker(it) => domain::MarketEvent::BookTicker(it.try_into()?),
            MarketEvent::Ticker(it) => {
                domain::MarketEvent::Ticker(Box::new(it.as_ref().try_into()?))
            }
            MarketEvent::MiniTicker(it) => domain::MarketEvent::MiniTicker(it.try_into()?),
            MarketEvent::MiniTickers(items) => domain::MarketEvent::MiniTickers {
                tickers: items
                    .iter()
                    .map(TryInto::try_into)
                    .collect::<Result<_, _>>()?,
            },
            MarketEvent::RollingTicker(it) => {
                domain::MarketEvent::RollingTicker(Box::new(it.as_ref().try_into()?))
            }
            MarketEvent::RollingTickers(items) => domain::MarketEvent::RollingTickers {
                tickers: items
                    .iter()
                    .map(TryInto::try_into)
                    .collect::<Result<_, _>>()?,
            },
            MarketEvent::AvgPrice(it) => domain::MarketEvent::AvgPrice(domain::AvgPrice {
                event_time: it.event_time,
                symbol: it.symbol.to_string(),
                interval: it.interval.to_string(),
                price: dec("w", it.price)?,
                last_trade_time: it.last_trade_time,
            }),
            MarketEvent::ReferencePrice(it) => {
                domain::MarketEvent::ReferencePrice(domain::ReferencePrice {
                    symbol: it.symbol.to_string(),
                    price: it.price.map(|price| dec("r", price)).transpose()?,
                    time: it.time,
                })
            }
            MarketEvent::BlockTrade(it) => domain::MarketEvent::BlockTrade(domain::BlockTrade {
                event_time: it.event_time,
                symbol: it.symbol.to_string(),
                trade_id: it.trade_id,
                price: dec("p", it.price)?,
                quantity: dec("q", it.quantity)?,
                trade_time: it.trade_time,
                buyer_is_maker: it.buyer_is_maker,
            }),
            MarketEvent::ServerShutdown(it) => {
                domain::MarketEvent::ServerShutdown(domain::ServerShutdown {
                    event_time: it.event_time,
                })
            }
        })
    }
}

impl UserEvent<'_> {
    /// Converts into the domain event, parsing every decimal exactly.
    pub fn to_domain(&self) -> Result<domain::UserEvent, DecodeError> {
        Ok(match self {
            UserEvent::AccountPosition(it) => domain::UserEvent::AccountPosition(it.try_into()?),
            UserEvent::BalanceUpdate(it) => {
                domain::UserEvent::BalanceUpdate(domain::BalanceUpdate {
                    event_time: it.event_time,
                    asset: it.asset.to_string(),
                    delta: dec("d", it.delta)?,
                    clear_time: it.time,
                })
            }
            UserEvent::ExecutionReport(it) => {
                domain::UserEvent::ExecutionReport(Box::new(it.as_ref().try_into()?))
            }
            UserEvent::ListStatus(it) => domain::UserEvent::ListStatus(it.into()),
            UserEvent::EventStreamTerminated(it) => {
                domain::UserEvent::EventStreamTerminated(domain::EventStreamTerminated {
                    event_time: it.event_time,
                })
            }
            UserEvent::ExternalLockUpdate(it) => {
                domain::UserEvent::ExternalLockUpdate(domain::ExternalLockUpdate {
                    event_time: it.event_time,
                    asset: it.asset.to_string(),
                    delta: dec("d", it.delta)?,
                    transaction_time: it.time,
                })
            }
        })
    }
}

impl TryFrom<&Trade<'_>> for domain::Trade {
    type Error = DecodeError;

    fn try_from(wire: &Trade<'_>) -> Result<domain::Trade, DecodeError> {
        Ok(domain::Trade {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            trade_id: wire.trade_id,
            price: dec("p", wire.price)?,
            quantity: dec("q", wire.quantity)?,
            trade_time: wire.trade_time,
            buyer_is_maker: wire.buyer_is_maker,
        })
    }
}

impl TryFrom<&AggTrade<'_>> for domain::AggTrade {
    type Error = DecodeError;

    fn try_from(wire: &AggTrade<'_>) -> Result<domain::AggTrade, DecodeError> {
        Ok(domain::AggTrade {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            agg_trade_id: wire.agg_trade_id,
            price: dec("p", wire.price)?,
            quantity: dec("q", wire.quantity)?,
            first_trade_id: wire.first_trade_id,
            last_trade_id: wire.last_trade_id,
            trade_time: wire.trade_time,
            buyer_is_maker: wire.buyer_is_maker,
        })
    }
}

impl TryFrom<&KlineEvent<'_>> for domain::KlineUpdate {
    type Error = DecodeError;

    fn try_from(wire: &KlineEvent<'_>) -> Result<domain::KlineUpdate, DecodeError> {
        let k = &wire.kline;
        Ok(domain::KlineUpdate {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            kline: domain::Kline {
                open_time: k.open_time,
                close_time: k.close_time,
                interval: k.interval.to_string(),
                first_trade_id: k.first_trade_id,
                last_trade_id: k.last_trade_id,
                open: dec("o", k.open)?,
                close: dec("c", k.close)?,
                high: dec("h", k.high)?,
                low: dec("l", k.low)?,
                volume: dec("v", k.volume)?,
                trade_count: k.trade_count,
                is_closed: k.is_closed,
                quote_volume: dec("q", k.quote_volume)?,
                taker_buy_base_volume: dec("V", k.taker_buy_base_volume)?,
                taker_buy_quote_volume: dec("Q", k.taker_buy_quote_volume)?,
            },
        })
    }
}

impl TryFrom<&PartialDepth<'_>> for domain::PartialDepth {
    type Error = DecodeError;

    fn try_from(wire: &PartialDepth<'_>) -> Result<domain::PartialDepth, DecodeError> {
        Ok(domain::PartialDepth {
            last_update_id: wire.last_update_id,
            bids: levels("bids", &wire.bids)?,
            asks: levels("asks", &wire.asks)?,
        })
    }
}

impl TryFrom<&DepthUpdate<'_>> for domain::DepthUpdate {
    type Error = DecodeError;

    fn try_from(wire: &DepthUpdate<'_>) -> Result<domain::DepthUpdate, DecodeError> {
        Ok(domain::DepthUpdate {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            first_update_id: wire.first_update_id,
            final_update_id: wire.final_update_id,
            bids: levels("b", &wire.bids)?,
            asks: levels("a", &wire.asks)?,
        })
    }
}

impl TryFrom<&BookTicker<'_>> for domain::BookTicker {
    type Error = DecodeError;

    fn try_from(wire: &BookTicker<'_>) -> Result<domain::BookTicker, DecodeError> {
        Ok(domain::BookTicker {
            update_id: wire.update_id,
            symbol: wire.symbol.to_string(),
            bid_price: dec("b", wire.bid_price)?,
            bid_quantity: dec("B", wire.bid_quantity)?,
            ask_price: dec("a", wire.ask_price)?,
            ask_quantity: dec("A", wire.ask_quantity)?,
        })
    }
}

impl TryFrom<&Ticker<'_>> for domain::Ticker24h {
    type Error = DecodeError;

    fn try_from(wire: &Ticker<'_>) -> Result<domain::Ticker24h, DecodeError> {
        Ok(domain::Ticker24h {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            price_change: dec("p", wire.price_change)?,
            price_change_percent: dec("P", wire.price_change_percent)?,
            weighted_avg_price: dec("w", wire.weighted_avg_price)?,
            first_trade_price: dec("x", wire.first_trade_price)?,
            last_price: dec("c", wire.last_price)?,
            last_quantity: dec("Q", wire.last_quantity)?,
            bid_price: dec("b", wire.bid_price)?,
            bid_quantity: dec("B", wire.bid_quantity)?,
            ask_price: dec("a", wire.ask_price)?,
            ask_quantity: dec("A", wire.ask_quantity)?,
            open_price: dec("o", wire.open_price)?,
            high_price: dec("h", wire.high_price)?,
            low_price: dec("l", wire.low_price)?,
            volume: dec("v", wire.volume)?,
            quote_volume: dec("q", wire.quote_volume)?,
            open_time: wire.open_time,
            close_time: wire.close_time,
            first_trade_id: wire.first_trade_id,
            last_trade_id: wire.last_trade_id,
            trade_count: wire.trade_count,
        })
    }
}

impl TryFrom<&MiniTicker<'_>> for domain::MiniTicker {
    type Error = DecodeError;

    fn try_from(wire: &MiniTicker<'_>) -> Result<domain::MiniTicker, DecodeError> {
        Ok(domain::MiniTicker {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            close_price: dec("c", wire.close_price)?,
            open_price: dec("o", wire.open_price)?,
            high_price: dec("h", wire.high_price)?,
            low_price: dec("l", wire.low_price)?,
            volume: dec("v", wire.volume)?,
            quote_volume: dec("q", wire.quote_volume)?,
        })
    }
}

impl TryFrom<&RollingTicker<'_>> for domain::RollingTicker {
    type Error = DecodeError;

    fn try_from(wire: &RollingTicker<'_>) -> Result<domain::RollingTicker, DecodeError> {
        Ok(domain::RollingTicker {
            window: wire.window().to_owned(),
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            price_change: dec("p", wire.price_change)?,
            price_change_percent: dec("P", wire.price_change_percent)?,
            open_price: dec("o", wire.open_price)?,
            high_price: dec("h", wire.high_price)?,
            low_price: dec("l", wire.low_price)?,
            last_price: dec("c", wire.last_price)?,
            weighted_avg_price: dec("w", wire.weighted_avg_price)?,
            volume: dec("v", wire.volume)?,
            quote_volume: dec("q", wire.quote_volume)?,
            open_time: wire.open_time,
            close_time: wire.close_time,
            first_trade_id: wire.first_trade_id,
            last_trade_id: wire.last_trade_id,
            trade_count: wire.trade_count,
        })
    }
}

impl TryFrom<&AccountPosition<'_>> for domain::AccountPosition {
    type Error = DecodeError;

    fn try_from(wire: &AccountPosition<'_>) -> Result<domain::AccountPosition, DecodeError> {
        let balances = wire
            .balances
            .iter()
            .map(|balance| {
                Ok(Balance {
                    asset: balance.asset.to_string(),
                    free: dec("f", balance.free)?,
                    locked: dec("l", balance.locked)?,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(domain::AccountPosition {
            event_time: wire.event_time,
            last_update_time: wire.last_update_time,
            balances,
        })
    }
}

impl TryFrom<&ExecutionReport<'_>> for domain::ExecutionReport {
    type Error = DecodeError;

    fn try_from(wire: &ExecutionReport<'_>) -> Result<domain::ExecutionReport, DecodeError> {
        Ok(domain::ExecutionReport {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            client_order_id: wire.client_order_id.to_string(),
            side: wire.side.to_string(),
            order_type: wire.order_type.to_string(),
            time_in_force: wire.time_in_force.to_string(),
            quantity: dec("q", wire.quantity)?,
            price: dec("p", wire.price)?,
            stop_price: dec("P", wire.stop_price)?,
            iceberg_quantity: dec("F", wire.iceberg_quantity)?,
            order_list_id: wire.order_list_id,
            orig_client_order_id: wire.orig_client_order_id.to_string(),
            execution_type: wire.execution_type.to_string(),
            order_status: wire.order_status.to_string(),
            reject_reason: wire.reject_reason.to_string(),
            order_id: wire.order_id,
            last_executed_quantity: dec("l", wire.last_executed_quantity)?,
            cumulative_filled_quantity: dec("z", wire.cumulative_filled_quantity)?,
            last_executed_price: dec("L", wire.last_executed_price)?,
            commission: dec("n", wire.commission)?,
            commission_asset: wire.commission_asset.as_ref().map(|it| it.to_string()),
            transaction_time: wire.transaction_time,
            trade_id: wire.trade_id,
            execution_id: wire.execution_id,
            is_on_book: wire.is_on_book,
            is_maker: wire.is_maker,
            creation_time: wire.creation_time,
            cumulative_quote_quantity: dec("Z", wire.cumulative_quote_quantity)?,
            last_quote_quantity: dec("Y", wire.last_quote_quantity)?,
            quote_order_quantity: dec("Q", wire.quote_order_quantity)?,
            working_time: wire.working_time,
            self_trade_prevention_mode: wire
                .self_trade_prevention_mode
                .as_ref()
                .map(|it| it.to_string()),
        })
    }
}

impl From<&ListStatus<'_>> for domain::ListStatus {
    fn from(wire: &ListStatus<'_>) -> domain::ListStatus {
        domain::ListStatus {
            event_time: wire.event_time,
            symbol: wire.symbol.to_string(),
            order_list_id: wire.order_list_id,
            contingency_type: wire.contingency_type.to_string(),
            list_status_type: wire.list_status_type.to_string(),
            list_order_status: wire.list_order_status.to_string(),
            list_reject_reason: wire.list_reject_reason.to_string(),
            list_client_order_id: wire.list_client_order_id.to_string(),
            transaction_time: wire.transaction_time,
            orders: wire
                .orders
                .iter()
                .map(|order| domain::ListOrder {
                    symbol: order.symbol.to_string(),
                    order_id: order.order_id,
                    client_order_id: order.client_order_id.to_string(),
                })
                .collect(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id<'a>, D::Error> {
        struct IdVisitor;

        impl<'de> de::Visitor<'de> for IdVisitor {
            type Value = Id<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Id<'de>, E> {
                Ok(Id::Int(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Id<'de>, E> {
                i64::try_from(value)
                    .map(Id::Int)
                    .map_err(|_| E::custom("id out of range"))
            }

            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Id<'de>, E> {
                Ok(Id::Text(Cow::Borrowed(value)))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Id<'de>, E> {
                Ok(Id::Text(Cow::Owned(value.to_owned())))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// The keys that tell frames apart; everything else is skipped.
#[derive(Deserialize)]
struct Sniff<'a> {
    #[serde(default, borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(default)]
    u: Option<IgnoredAny>,
    #[serde(default, rename = "lastUpdateId")]
    last_update_id: Option<IgnoredAny>,
    #[serde(default)]
    stream: Option<IgnoredAny>,
    #[serde(default)]
    data: Option<IgnoredAny>,
    #[serde(default)]
    id: Option<IgnoredAny>,
    #[serde(default)]
    result: Option<IgnoredAny>,
    #[serde(default)]
    code: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    stream: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct ApiEnvelope<'a> {
    #[serde(default, rename = "subscriptionId")]
    subscription_id: Option<u64>,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default)]
    status: Option<IgnoredAny>,
}

/// A market frame before its payload is typed one way or the other.
enum Frame<'a, T> {
    Event {
        stream: Option<Cow<'a, str>>,
        payload: &'a str,
        /// `None`: valid JSON of no known event.
        event: Option<T>,
    },
    Reply(ControlReply<'a>),
}

/// Decodes a payload, given its stream name when the frame had one.
type PayloadDecoder<'a, T> = fn(&'a str, Option<&str>) -> Result<Option<T>, DecodeError>;

/// Tells events, unknown payloads and control replies apart, raw or
/// combined, and decodes the payload with `decode`.
fn decode_frame<'a, T>(
    text: &'a str,
    decode: PayloadDecoder<'a, T>,
) -> Result<Frame<'a, T>, DecodeError> {
    // The envelope Binance writes is read by a scanner, so the payload is
    // parsed once; anything else goes through `serde_json`.
    if let Some((stream, payload)) = fast::envelope(text) {
        let error = match decode(payload, Some(stream)) {
            Ok(event) => {
                return Ok(Frame::Event {
                    stream: Some(Cow::Borrowed(stream)),
                    payload,
                    event,
                });
            }
            Err(error) => error,
        };
        // The scan may have taken more than the `data` value (a key after
        // it): the parser decides.
        return match serde_json::from_str::<Envelope<'_>>(text) {
            Ok(envelope) if envelope.data.get() != payload => decode_envelope(envelope, decode),
            _ => Err(error),
        };
    }
    if text.starts_with(r#"{"e":"#)
        || text.starts_with(r#"{"lastUpdateId":"#)
        || text.starts_with(r#"{"u":"#)
        || text.starts_with('[')
    {
        return Ok(Frame::Event {
            stream: None,
            payload: text,
            event: decode(text, None)?,
        });
    }
    let sniff: Sniff<'_> = match serde_json::from_str(text) {
        Ok(sniff) => sniff,
        Err(error) => {
            // Valid JSON that is not an object is an unknown payload.
            serde_json::from_str::<IgnoredAny>(text).map_err(|_| error)?;
            return Ok(Frame::Event {
                stream: None,
                payload: text,
                event: None,
            });
        }
    };
    if sniff.stream.is_some() && sniff.data.is_some() {
        return decode_envelope(serde_json::from_str(text)?, decode);
    }
    let is_event = sniff.e.is_some() || sniff.last_update_id.is_some() || sniff.u.is_some();
    if !is_event && (sniff.id.is_some() || sniff.result.is_some() || sniff.code.is_some()) {
        return Ok(Frame::Reply(serde_json::from_str(text)?));
    }
    Ok(Frame::Event {
        stream: None,
        payload: text,
        event: decode(text, None)?,
    })
}

fn decode_envelope<'a, T>(
    envelope: Envelope<'a>,
    decode: PayloadDecoder<'a, T>,
) -> Result<Frame<'a, T>, DecodeError> {
    let payload = envelope.data.get();
    let event = decode(payload, Some(&envelope.stream))?;
    Ok(Frame::Event {
        stream: Some(envelope.stream),
        payload,
        event,
    })
}

/// A payload into the wire types; `None` for valid JSON of no known event.
fn wire_payload<'a>(
    text: &'a str,
    stream: Option<&str>,
) -> Result<Option<MarketEvent<'a>>, DecodeError> {
    if let Some(tag) = leading_tag(text) {
        return decode_tagged_market(tag, text);
    }
    if text.starts_with(r#"{"lastUpdateId":"#) {
        return Ok(Some(MarketEvent::PartialDepth(wire_partial_depth(text)?)));
    }
    if text.starts_with(r#"{"u":"#) {
        return Ok(Some(MarketEvent::BookTicker(wire_book_ticker(text)?)));
    }
    match text.trim_start().as_bytes().first() {
        Some(b'[') => return decode_array(text, stream),
        Some(b'{') => {}
        _ => {
            serde_json::from_str::<IgnoredAny>(text)?;
            return Ok(None);
        }
    }
    let sniff: Sniff<'_> = serde_json::from_str(text)?;
    match (&sniff.e, sniff.last_update_id, sniff.u) {
        (Some(tag), _, _) => decode_tagged_market(tag, text),
        (None, Some(_), _) => Ok(Some(MarketEvent::PartialDepth(serde_json::from_str(text)?))),
        (None, None, Some(_)) => Ok(Some(MarketEvent::BookTicker(serde_json::from_str(text)?))),
        (None, None, None) => Ok(None),
    }
}

/// A payload straight into the domain's types; `None` for valid JSON of no
/// known event. Book payloads are scanned with their decimals parsed on the
/// way; everything else goes through the wire types.
fn typed_payload(
    text: &str,
    stream: Option<&str>,
) -> Result<Option<domain::MarketEvent>, DecodeError> {
    if text.starts_with(r#"{"e":"aggTrade","#) {
        if let Some(trade) = fast::agg_trade_domain(text) {
            return Ok(Some(domain::MarketEvent::AggTrade(trade)));
        }
    } else if text.starts_with(r#"{"e":"trade","#) {
        if let Some(trade) = fast::trade_domain(text) {
            return Ok(Some(domain::MarketEvent::Trade(trade)));
        }
    } else if text.starts_with(r#"{"e":"depthUpdate","#) {
        if let Some(book) = fast::depth_update_levels(text) {
            return Ok(Some(domain::MarketEvent::DepthUpdate(
                domain::DepthUpdate {
                    event_time: book.event_time,
                    symbol: book.symbol.to_owned(),
                    first_update_id: book.first_update_id,
                    final_update_id: book.final_update_id,
                    bids: book.bids,
                    asks: book.asks,
                },
            )));
        }
    } else if text.starts_with(r#"{"lastUpdateId":"#)
        && let Some(book) = fast::partial_depth_levels(text)
    {
        return Ok(Some(domain::MarketEvent::PartialDepth(
            domain::PartialDepth {
                last_update_id: book.final_update_id,
                bids: book.bids,
                asks: book.asks,
            },
        )));
    }
    wire_payload(text, stream)?
        .map(|event| event.to_domain())
        .transpose()
}

fn wire_partial_depth(text: &str) -> Result<PartialDepth<'_>, DecodeError> {
    Ok(match fast::partial_depth_pairs(text) {
        Some(book) => PartialDepth {
            last_update_id: book.final_update_id,
            bids: book.bids,
            asks: book.asks,
        },
        None => serde_json::from_str(text)?,
    })
}

fn wire_book_ticker(text: &str) -> Result<BookTicker<'_>, DecodeError> {
    Ok(match fast::book_ticker(text) {
        Some(ticker) => ticker,
        None => serde_json::from_str(text)?,
    })
}

/// The event type when the object starts with `{"e":"<tag>"`, the shape
/// Binance sends; anything else goes through the slower [`Sniff`].
fn leading_tag(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(r#"{"e":""#)?;
    let end = rest.find('"')?;
    let tag = &rest[..end];
    (!tag.contains('\\')).then_some(tag)
}

/// `1hTicker`, `4hTicker`, `1dTicker` (and other `<n><unit>Ticker`), not
/// `24hrTicker` or `24hrMiniTicker`.
fn is_rolling_tag(tag: &str) -> bool {
    let Some(window) = tag.strip_suffix("Ticker") else {
        return false;
    };
    match window.as_bytes() {
        [digits @ .., unit] if !digits.is_empty() => {
            digits.iter().all(u8::is_ascii_digit) && b"mhdwM".contains(unit)
        }
        _ => false,
    }
}

fn decode_tagged_market<'a>(
    tag: &str,
    text: &'a str,
) -> Result<Option<MarketEvent<'a>>, DecodeError> {
    Ok(Some(match tag {
        "aggTrade" => MarketEvent::AggTrade(match fast::agg_trade(text) {
            Some(trade) => trade,
            None => serde_json::from_str(text)?,
        }),
        "trade" => MarketEvent::Trade(match fast::trade(text) {
            Some(trade) => trade,
            None => serde_json::from_str(text)?,
        }),
        "depthUpdate" => MarketEvent::DepthUpdate(match fast::depth_update_pairs(text) {
            Some(book) => DepthUpdate {
                event_time: book.event_time,
                symbol: Cow::Borrowed(book.symbol),
                first_update_id: book.first_update_id,
                final_update_id: book.final_update_id,
                bids: book.bids,
                asks: book.asks,
            },
            None => serde_json::from_str(text)?,
        }),
        "kline" => MarketEvent::Kline(Box::new(serde_json::from_str(text)?)),
        "24hrTicker" => MarketEvent::Ticker(Box::new(serde_json::from_str(text)?)),
        "24hrMiniTicker" => MarketEvent::MiniTicker(serde_json::from_str(text)?),
        "avgPrice" => MarketEvent::AvgPrice(serde_json::from_str(text)?),
        "referencePrice" => MarketEvent::ReferencePrice(serde_json::from_str(text)?),
        "blockTrade" => MarketEvent::BlockTrade(serde_json::from_str(text)?),
        "serverShutdown" => MarketEvent::ServerShutdown(serde_json::from_str(text)?),
        tag if is_rolling_tag(tag) => {
            MarketEvent::RollingTicker(Box::new(serde_json::from_str(text)?))
        }
        _ => {
            // Unknown, but it must still be JSON to pass on.
            serde_json::from_str::<IgnoredAny>(text)?;
            return Ok(None);
        }
    }))
}

/// An array payload: `!miniTicker@arr` or `!ticker_<window>@arr`, told
/// apart by the first entry's event type (an empty one by its stream name).
fn decode_array<'a>(
    text: &'a str,
    stream: Option<&str>,
) -> Result<Option<MarketEvent<'a>>, DecodeError> {
    let items: Vec<&'a RawValue> = serde_json::from_str(text)?;
    let tag = match items.first() {
        Some(first) => match leading_tag(first.get()) {
            Some(tag) => Some(Cow::Borrowed(tag)),
            None => serde_json::from_str::<Sniff<'_>>(first.get())
                .ok()
                .and_then(|sniff| sniff.e),
        },
        None => None,
    };
    let stream = stream.unwrap_or("");
    let is_mini = match &tag {
        Some(tag) => tag == "24hrMiniTicker",
        None => items.is_empty() && stream == "!miniTicker@arr",
    };
    let is_rolling = match &tag {
        Some(tag) => is_rolling_tag(tag),
        None => items.is_empty() && stream.starts_with("!ticker_") && stream.ends_with("@arr"),
    };
    Ok(if is_mini {
        Some(MarketEvent::MiniTickers(
            items
                .iter()
                .map(|item| serde_json::from_str(item.get()))
                .collect::<Result<_, _>>()?,
        ))
    } else if is_rolling {
        Some(MarketEvent::RollingTickers(
            items
                .iter()
                .map(|item| serde_json::from_str(item.get()))
                .collect::<Result<_, _>>()?,
        ))
    } else {
        None
    })
}

fn decode_tagged_user<'a>(tag: &str, text: &'a str) -> Result<UserEvent<'a>, DecodeError> {
    Ok(match tag {
        "outboundAccountPosition" => UserEvent::AccountPosition(serde_json::from_str(text)?),
        "balanceUpdate" => UserEvent::BalanceUpdate(serde_json::from_str(text)?),
        "executionReport" => UserEvent::ExecutionReport(Box::new(serde_json::from_str(text)?)),
        "listStatus" => UserEvent::ListStatus(serde_json::from_str(text)?),
        "eventStreamTerminated" => UserEvent::EventStreamTerminated(serde_json::from_str(text)?),
        "externalLockUpdate" => UserEvent::ExternalLockUpdate(serde_json::from_str(text)?),
        other => return Err(DecodeError::UnknownEvent(cut(other))),
    })
}

#[inline]
fn dec(field: &'static str, text: &str) -> Result<Decimal, DecodeError> {
    match plain_decimal(text) {
        Some(value) => Ok(value),
        None => exact_decimal(field, text),
    }
}

/// The slow path of [`dec`], out of line so the fast one stays small.
#[cold]
fn exact_decimal(field: &'static str, text: &str) -> Result<Decimal, DecodeError> {
    Decimal::from_str_exact(text).map_err(|_| DecodeError::BadDecimal {
        field,
        value: cut(text),
    })
}

/// The fast path of [`dec`] for what Binance sends: `-?digits(.digits)?`
/// with at most 19 characters after the sign, so the mantissa fits a `u64`
/// exactly. Anything else (longer, other notations, negative zero) returns
/// `None` and goes through `Decimal::from_str_exact`, which gives the same
/// value and scale.
fn plain_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut idx = 0;
    while let Some(digit) = digits.get(idx).and_then(|byte| digit(*byte)) {
        mantissa = mantissa * 10 + digit;
        idx += 1;
    }
    if idx == 0 {
        return None;
    }
    let mut scale = 0;
    if idx < digits.len() {
        if digits[idx] != b'.' || idx + 1 == digits.len() {
            return None;
        }
        for &byte in &digits[idx + 1..] {
            mantissa = mantissa * 10 + digit(byte)?;
            scale += 1;
        }
    }
    if negative && mantissa == 0 {
        return None;
    }
    // At most 19 digits: below 10^19, which fits the low 64 bits; the scale
    // is at most 18, within `Decimal`'s 28.
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

fn digit(byte: u8) -> Option<u64> {
    let value = byte.wrapping_sub(b'0');
    (value < 10).then_some(u64::from(value))
}

fn levels(field: &'static str, pairs: &[(&str, &str)]) -> Result<Vec<domain::Level>, DecodeError> {
    pairs
        .iter()
        .map(|(price, quantity)| {
            Ok(domain::Level {
                price: dec(field, price)?,
                quantity: dec(field, quantity)?,
            })
        })
        .collect()
}

fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use serde_json::json;

    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// Decodes an event both ways (wire types then `to_domain`, and the
    /// typed path) and checks they agree.
    #[track_caller]
    fn market(frame: &str) -> domain::MarketEvent {
        let (wire_stream, event) = match decode_market(frame) {
            Ok(MarketFrame::Event { stream, event }) => (stream, event.to_domain().unwrap()),
            other => panic!("not an event: {other:?}"),
        };
        match decode_market_typed(frame) {
            Ok(TypedFrame::Event {
                stream,
                event: typed,
            }) => {
                assert_eq!((&stream, &typed), (&wire_stream, &event), "{frame}");
            }
            other => panic!("not an event: {other:?}"),
        }
        event
    }

    /// Both ways of decoding give the same outcome: equal events, equal
    /// unknown payloads, replies, or errors on both.
    fn same_outcome(frame: &str) -> Result<(), TestCaseError> {
        let wire = decode_market(frame);
        let typed = decode_market_typed(frame);
        match (wire, typed) {
            (Ok(MarketFrame::Event { stream, event }), typed) => match (event.to_domain(), typed) {
                (
                    Ok(event),
                    Ok(TypedFrame::Event {
                        stream: typed_stream,
                        event: typed,
                    }),
                ) => {
                    prop_assert_eq!((stream, event), (typed_stream, typed), "{}", frame);
                }
                (Err(_), Err(_)) => {}
                (wire, typed) => prop_assert!(false, "{}: {:?} vs {:?}", frame, wire, typed),
            },
            (
                Ok(MarketFrame::Unrecognized { stream, payload }),
                Ok(TypedFrame::Unrecognized {
                    stream: typed_stream,
                    payload: typed_payload,
                }),
            ) => prop_assert_eq!((stream, payload), (typed_stream, typed_payload)),
            (Ok(MarketFrame::Reply(_)), Ok(TypedFrame::Reply(_))) | (Err(_), Err(_)) => {}
            (wire, typed) => prop_assert!(false, "{}: {:?} vs {:?}", frame, wire, typed),
        }
        Ok(())
    }

    #[track_caller]
    fn user(frame: &str) -> domain::UserEvent {
        match decode_api(frame) {
            Ok(ApiFrame::Event { event, .. }) => event.to_domain().unwrap(),
            other => panic!("not an event: {other:?}"),
        }
    }

    // Payloads below are the examples of web-socket-streams.md and user-data-stream.md.
    const AGG_TRADE: &str = r#"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#;
    const TRADE: &str = r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#;
    const KLINE: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;
    const PARTIAL_DEPTH: &str =
        r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#;
    const DEPTH_UPDATE: &str = r#"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;
    const BOOK_TICKER: &str = r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
    const TICKER: &str = r#"{"e":"24hrTicker","E":1672515782136,"s":"BNBBTC","p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}"#;
    const EXECUTION_REPORT: &str = r#"{"subscriptionId":0,"event":{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}}"#;

    #[test]
    fn agg_trade() {
        let domain::MarketEvent::AggTrade(trade) = market(AGG_TRADE) else {
            panic!()
        };
        assert_eq!(
            trade,
            domain::AggTrade {
                event_time: 1672515782136,
                symbol: "BNBBTC".into(),
                agg_trade_id: 12345,
                price: d("0.001"),
                quantity: d("100"),
                first_trade_id: 100,
                last_trade_id: 105,
                trade_time: 1672515782136,
                buyer_is_maker: true,
            }
        );
        assert_eq!(trade.price.to_string(), "0.001");
    }

    #[test]
    fn trade() {
        let domain::MarketEvent::Trade(trade) = market(TRADE) else {
            panic!()
        };
        assert_eq!(
            (trade.trade_id, trade.price, trade.quantity),
            (12345, d("0.001"), d("100"))
        );
    }

    #[test]
    fn kline() {
        let domain::MarketEvent::Kline(update) = market(KLINE) else {
            panic!()
        };
        let k = update.kline;
        assert_eq!(
            (k.interval.as_str(), k.open, k.close, k.is_closed),
            ("1m", d("0.0010"), d("0.0020"), false)
        );
        assert_eq!(k.taker_buy_quote_volume.to_string(), "0.500");
    }

    #[test]
    fn partial_depth() {
        let domain::MarketEvent::PartialDepth(depth) = market(PARTIAL_DEPTH) else {
            panic!()
        };
        assert_eq!(depth.last_update_id, 160);
        assert_eq!(
            depth.bids,
            vec![domain::Level {
                price: d("0.0024"),
                quantity: d("10")
            }]
        );
        assert_eq!(
            depth.asks,
            vec![domain::Level {
                price: d("0.0026"),
                quantity: d("100")
            }]
        );
    }

    #[test]
    fn depth_update() {
        let domain::MarketEvent::DepthUpdate(update) = market(DEPTH_UPDATE) else {
            panic!()
        };
        assert_eq!((update.first_update_id, update.final_update_id), (157, 160));
        assert_eq!(update.asks[0].quantity, d("100"));
    }

    #[test]
    fn book_ticker() {
        let domain::MarketEvent::BookTicker(ticker) = market(BOOK_TICKER) else {
            panic!()
        };
        assert_eq!(
            (ticker.update_id, ticker.bid_price),
            (400900217, d("25.35190000"))
        );
    }

    #[test]
    fn ticker() {
        let domain::MarketEvent::Ticker(ticker) = market(TICKER) else {
            panic!()
        };
        assert_eq!(
            (ticker.last_price, ticker.close_time, ticker.trade_count),
            (d("0.0025"), 86400000, 18151)
        );
    }

    #[test]
    fn server_shutdown_raw_and_combined() {
        let raw = market(r#"{"e":"serverShutdown","E":1770123456789}"#);
        let combined = market(
            r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}"#,
        );
        let expected = domain::MarketEvent::ServerShutdown(domain::ServerShutdown {
            event_time: 1770123456789,
        });
        assert_eq!((raw, combined), (expected.clone(), expected));
    }

    #[test]
    fn combined_envelope_keeps_stream_name() {
        let frame = format!(r#"{{"stream":"bnbbtc@depth5","data":{PARTIAL_DEPTH}}}"#);
        let Ok(MarketFrame::Event {
            stream,
            event: MarketEvent::PartialDepth(_),
        }) = decode_market(&frame)
        else {
            panic!()
        };
        assert_eq!(stream.as_deref(), Some("bnbbtc@depth5"));
    }

    #[test]
    fn keys_in_another_order_still_decode() {
        let frame = r#"{ "s":"BNBBTC", "e":"aggTrade","E":1,"a":2,"p":"0.5","q":"1","f":3,"l":4,"T":5,"m":false}"#;
        let domain::MarketEvent::AggTrade(trade) = market(frame) else {
            panic!()
        };
        assert_eq!(trade.price, d("0.5"));
        let frame = format!(r#"{{"data":{AGG_TRADE},"stream":"bnbbtc@aggTrade"}}"#);
        assert!(matches!(market(&frame), domain::MarketEvent::AggTrade(_)));
    }

    #[test]
    fn escaped_symbol_is_owned_not_rejected() {
        let frame = r#"{"e":"trade","E":1,"s":"BNB\u0042TC","t":1,"p":"1","q":"1","T":1,"m":true}"#;
        let domain::MarketEvent::Trade(trade) = market(frame) else {
            panic!()
        };
        assert_eq!(trade.symbol, "BNBBTC");
    }

    #[test]
    fn control_replies() {
        let Ok(MarketFrame::Reply(ok)) = decode_market(r#"{"result":null,"id":1}"#) else {
            panic!()
        };
        assert_eq!((ok.id.and_then(|id| id.as_u64()), ok.code), (Some(1), None));
        let Ok(MarketFrame::Reply(list)) =
            decode_market(r#"{"result":["btcusdt@aggTrade"],"id":3}"#)
        else {
            panic!()
        };
        assert_eq!(
            list.result.map(|raw| raw.get()),
            Some(r#"["btcusdt@aggTrade"]"#)
        );
        let Ok(MarketFrame::Reply(err)) =
            decode_market(r#"{"code":2,"msg":"Invalid request: too many parameters","id":"abc"}"#)
        else {
            panic!()
        };
        assert_eq!((err.code, err.id), (Some(2), Some(Id::Text("abc".into()))));
    }

    #[track_caller]
    fn check_error(frame: &str, expected: &str) {
        let error = match decode_market(frame) {
            Ok(MarketFrame::Event { event, .. }) => event.to_domain().unwrap_err(),
            Ok(other) => panic!("decoded: {other:?}"),
            Err(error) => error,
        };
        assert!(error.to_string().starts_with(expected), "{error}");
    }

    #[test]
    fn malformed_frames_are_errors() {
        check_error("", "malformed frame");
        check_error("{", "malformed frame");
        check_error("[1,2", "malformed frame");
        check_error(r#"{"e":"aggTrade","E":1}"#, "malformed frame");
        check_error(
            r#"{"e":"blockTrade","E":1,"s":"BNBBTC"}"#,
            "malformed frame",
        );
        check_error(r#"{"e":"somethingNew","E":1"#, "malformed frame");
        check_error(
            r#"{"stream":"x@somethingNew","data":{"e":"somethingNew","E":1}"#,
            "malformed frame",
        );
        check_error(
            r#"{"stream":"!miniTicker@arr","data":[{"e":"24hrMiniTicker","E":1}]}"#,
            "malformed frame",
        );
        check_error(
            r#"{"e":"trade","E":1,"s":"X","t":1,"p":"1e5","q":"1","T":1,"m":true}"#,
            "field `p` is not a decimal: `1e5`",
        );
        check_error(
            r#"{"e":"trade","E":1,"s":"X","t":1,"p":"99999999999999999999999999999999","q":"1","T":1,"m":true}"#,
            "field `p` is not a decimal",
        );
    }

    /// Decodes a frame that is no known event, both ways: its stream name
    /// and payload text come back as they were.
    #[track_caller]
    fn check_unrecognized(frame: &str, expected_stream: Option<&str>, expected_payload: &str) {
        let Ok(MarketFrame::Unrecognized { stream, payload }) = decode_market(frame) else {
            panic!("{frame}: {:?}", decode_market(frame));
        };
        assert_eq!(
            (stream.as_deref(), payload),
            (expected_stream, expected_payload)
        );
        let Ok(TypedFrame::Unrecognized { stream, payload }) = decode_market_typed(frame) else {
            panic!("{frame}: {:?}", decode_market_typed(frame));
        };
        assert_eq!(
            (stream.as_deref(), payload),
            (expected_stream, expected_payload)
        );
    }

    #[test]
    fn unknown_payloads_come_out_as_they_were() {
        let new_event = r#"{"e":"somethingNew","E":1,"x":[1,{"y":null}]}"#;
        check_unrecognized(new_event, None, new_event);
        check_unrecognized(
            &format!(r#"{{"stream":"bnbbtc@somethingNew","data":{new_event}}}"#),
            Some("bnbbtc@somethingNew"),
            new_event,
        );
        check_unrecognized(r#"{"foo":1}"#, None, r#"{"foo":1}"#);
        check_unrecognized("[1,2]", None, "[1,2]");
        check_unrecognized("[]", None, "[]");
        check_unrecognized(r#""text""#, None, r#""text""#);
        check_unrecognized(" 42 ", None, " 42 ");
        // `!ticker@arr` was retired; its arrays of `24hrTicker` have no type here.
        let retired = format!("[{TICKER}]");
        check_unrecognized(
            &format!(r#"{{"stream":"!ticker@arr","data":{retired}}}"#),
            Some("!ticker@arr"),
            &retired,
        );
        // A key after `data`: the scan gives way to the parser.
        check_unrecognized(r#"{"stream":"x@y","data":1,"extra":2}"#, Some("x@y"), "1");
        check_unrecognized(
            r#"{ "stream" : "x@y" , "data" : {"a":1} }"#,
            Some("x@y"),
            r#"{"a":1}"#,
        );
    }

    #[test]
    fn empty_arrays_are_typed_by_their_stream() {
        assert_eq!(
            market(r#"{"stream":"!miniTicker@arr","data":[]}"#),
            domain::MarketEvent::MiniTickers { tickers: vec![] }
        );
        assert_eq!(
            market(r#"{"stream":"!ticker_4h@arr","data":[]}"#),
            domain::MarketEvent::RollingTickers { tickers: vec![] }
        );
    }

    #[test]
    fn reference_price_may_be_null() {
        assert_eq!(
            market(r#"{"e":"referencePrice","s":"BAZUSD","r":null,"t":1770313263917}"#),
            domain::MarketEvent::ReferencePrice(domain::ReferencePrice {
                symbol: "BAZUSD".to_owned(),
                price: None,
                time: 1770313263917,
            })
        );
    }

    #[test]
    fn rolling_windows_come_from_the_event_type() {
        for (tag, window) in [("1hTicker", "1h"), ("4hTicker", "4h"), ("1dTicker", "1d")] {
            let frame = format!(
                r#"{{"e":"{tag}","E":1,"s":"X","p":"0","P":"0","o":"1","h":"1","l":"1","c":"1","w":"1","v":"0","q":"0","O":0,"C":1,"F":-1,"L":-1,"n":0}}"#
            );
            let domain::MarketEvent::RollingTicker(ticker) = market(&frame) else {
                panic!("{frame}")
            };
            assert_eq!(ticker.window, window);
        }
        for tag in [
            "24hrTicker",
            "24hrMiniTicker",
            "Ticker",
            "hTicker",
            "1xTicker",
        ] {
            assert!(!is_rolling_tag(tag), "{tag}");
        }
    }

    /// One example of `fixtures/web-socket-streams-examples.md`.
    struct DocExample {
        section: String,
        event_type: String,
        stream: String,
        ignore: Vec<String>,
        same_as: Option<String>,
        /// The docs' block, comments and layout removed: Binance's compact JSON.
        payload: String,
    }

    fn doc_examples() -> Vec<DocExample> {
        let text = include_str!("../fixtures/web-socket-streams-examples.md");
        text.split("\n### ")
            .skip(1)
            .map(|block| {
                let (head, rest) = block.split_once("```javascript\n").unwrap();
                let (code, _) = rest.split_once("```").unwrap();
                let mut lines = head.lines();
                let section = lines.next().unwrap().trim().to_owned();
                let mut example = DocExample {
                    section,
                    event_type: String::new(),
                    stream: String::new(),
                    ignore: Vec::new(),
                    same_as: None,
                    payload: minify(code),
                };
                for line in lines {
                    let Some((key, value)) = line.split_once(": ") else {
                        continue;
                    };
                    match key {
                        "type" => example.event_type = value.to_owned(),
                        "stream" => example.stream = value.to_owned(),
                        "ignore" => example.ignore = value.split(' ').map(str::to_owned).collect(),
                        "same-as" => example.same_as = Some(value.to_owned()),
                        other => panic!("unknown key {other}"),
                    }
                }
                example
            })
            .collect()
    }

    /// The docs' JavaScript without `//` comments and whitespace outside
    /// strings.
    fn minify(code: &str) -> String {
        let mut out = String::new();
        for line in code.lines() {
            let mut in_string = false;
            let mut chars = line.chars().peekable();
            while let Some(ch) = chars.next() {
                match ch {
                    '"' => {
                        in_string = !in_string;
                        out.push(ch);
                    }
                    '/' if !in_string && chars.peek() == Some(&'/') => break,
                    ch if ch.is_whitespace() && !in_string => {}
                    ch => out.push(ch),
                }
            }
        }
        out
    }

    /// Every value in a JSON document, as JSON text, leaving out `e` and the
    /// `ignore` keys.
    fn leaves(value: &serde_json::Value, ignore: &[String], out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if key != "e" && !ignore.contains(key) {
                        leaves(value, ignore, out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    leaves(item, ignore, out);
                }
            }
            leaf => {
                out.insert(leaf.to_string());
            }
        }
    }

    /// Every payload example of web-socket-streams.md decodes, raw and
    /// combined, into the event type the docs' section names, keeping every
    /// value of the payload (decimals with their scale).
    #[test]
    fn doc_examples_decode() {
        let examples = doc_examples();
        assert_eq!(examples.len(), 17);
        for example in &examples {
            let mut payload = example.payload.clone();
            if let Some(same_as) = &example.same_as {
                let entry = examples
                    .iter()
                    .find(|other| &other.section == same_as)
                    .unwrap();
                payload = payload.replace("{}", &entry.payload);
            }
            let frames = if payload.starts_with(r#"{"stream":"#) {
                vec![(payload.clone(), Some(example.stream.as_str()))]
            } else {
                vec![
                    (payload.clone(), None),
                    (
                        format!(r#"{{"stream":"{}","data":{payload}}}"#, example.stream),
                        Some(example.stream.as_str()),
                    ),
                ]
            };
            for (frame, expected_stream) in frames {
                let Ok(TypedFrame::Event { stream, event }) = decode_market_typed(&frame) else {
                    panic!(
                        "{}: {frame}: {:?}",
                        example.section,
                        decode_market_typed(&frame)
                    );
                };
                assert_eq!(stream.as_deref(), expected_stream, "{}", example.section);
                assert_eq!(market(&frame), event, "{}", example.section);
                let json = serde_json::to_value(&event).unwrap();
                assert_eq!(
                    json["type"],
                    example.event_type.as_str(),
                    "{}",
                    example.section
                );
                let (mut wanted, mut kept) = (BTreeSet::new(), BTreeSet::new());
                leaves(
                    &serde_json::from_str(&frame).unwrap(),
                    &example.ignore,
                    &mut wanted,
                );
                leaves(&json, &[], &mut kept);
                wanted.remove(&format!("{:?}", example.stream));
                let lost: Vec<&String> = wanted.difference(&kept).collect();
                assert!(
                    lost.is_empty(),
                    "{}: {lost:?} not in {json}",
                    example.section
                );
            }
        }
    }

    #[test]
    fn user_events() {
        let domain::UserEvent::ExecutionReport(report) = user(EXECUTION_REPORT) else {
            panic!()
        };
        assert_eq!(
            (report.order_id, report.price, report.commission_asset),
            (4293153, d("0.10264410"), None)
        );
        assert_eq!(
            (report.trade_id, report.working_time),
            (-1, Some(1499405658657))
        );

        let position = user(
            r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}}"#,
        );
        let domain::UserEvent::AccountPosition(position) = position else {
            panic!()
        };
        assert_eq!(position.balances[0].free.to_string(), "10000.000000");

        let update = user(
            r#"{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}}"#,
        );
        assert!(
            matches!(update, domain::UserEvent::BalanceUpdate(it) if it.delta == d("100") && it.clear_time == 1573200697068)
        );

        let list = user(
            r#"{"subscriptionId":0,"event":{"e":"listStatus","E":1564035303637,"s":"ETHBTC","g":2,"c":"OCO","l":"EXEC_STARTED","L":"EXECUTING","r":"NONE","C":"F4QN4G8DlFATFlIUQ0cjdD","T":1564035303625,"O":[{"s":"ETHBTC","i":17,"c":"AJYsMjErWJesZvqlJCTUgL"},{"s":"ETHBTC","i":18,"c":"bfYPSQdLoqAJeNrOr9adzq"}]}}"#,
        );
        assert!(
            matches!(list, domain::UserEvent::ListStatus(it) if it.orders.len() == 2 && it.orders[1].order_id == 18)
        );

        let terminated =
            user(r#"{"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1728973001334}}"#);
        assert!(
            matches!(terminated, domain::UserEvent::EventStreamTerminated(it) if it.event_time == 1728973001334)
        );

        let lock = user(
            r#"{"subscriptionId":0,"event":{"e":"externalLockUpdate","E":1581557507324,"a":"NEO","d":"10.00000000","T":1581557507268}}"#,
        );
        assert!(
            matches!(lock, domain::UserEvent::ExternalLockUpdate(it) if it.asset == "NEO" && it.transaction_time == 1581557507268)
        );
    }

    #[test]
    fn api_responses_and_shutdown() {
        let frame = r#"{"id":7,"status":200,"result":{"subscriptionId":0},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":2}]}"#;
        let Ok(ApiFrame::Response(response)) = decode_api(frame) else {
            panic!()
        };
        assert_eq!(
            (response.status, response.id.and_then(|id| id.as_u64())),
            (200, Some(7))
        );
        assert_eq!(
            response.result.map(|raw| raw.get()),
            Some(r#"{"subscriptionId":0}"#)
        );
        assert_eq!(response.rate_limits[0].count, 2);

        let frame = r#"{"id":"x","status":400,"error":{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}}"#;
        let Ok(ApiFrame::Response(response)) = decode_api(frame) else {
            panic!()
        };
        assert_eq!(response.error.map(|e| e.code), Some(-1021));

        let frame = r#"{"event":{"e":"serverShutdown","E":1770123456789}}"#;
        assert!(
            matches!(decode_api(frame), Ok(ApiFrame::ServerShutdown(it)) if it.event_time == 1770123456789)
        );
        assert!(matches!(
            decode_api(r#"{"x":1}"#),
            Err(DecodeError::Unrecognized)
        ));
        assert!(matches!(
            decode_api(r#"{"event":{"e":"nope","E":1}}"#),
            Err(DecodeError::UnknownEvent(_))
        ));
    }

    fn decimal() -> impl Strategy<Value = Decimal> + Clone {
        (any::<i64>(), 0u32..=12).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
    }

    fn symbol() -> impl Strategy<Value = String> {
        prop_oneof!["[A-Z0-9]{2,12}", "\\PC{1,8}"]
    }

    fn arb_agg_trade() -> impl Strategy<Value = domain::AggTrade> {
        (
            any::<i64>(),
            symbol(),
            any::<u64>(),
            decimal(),
            decimal(),
            any::<(u64, u64, i64, bool)>(),
        )
            .prop_map(
                |(
                    event_time,
                    symbol,
                    agg_trade_id,
                    price,
                    quantity,
                    (first, last, trade_time, maker),
                )| domain::AggTrade {
                    event_time,
                    symbol,
                    agg_trade_id,
                    price,
                    quantity,
                    first_trade_id: first,
                    last_trade_id: last,
                    trade_time,
                    buyer_is_maker: maker,
                },
            )
    }

    fn arb_depth_update() -> impl Strategy<Value = domain::DepthUpdate> {
        let level = || {
            (decimal(), decimal()).prop_map(|(price, quantity)| domain::Level { price, quantity })
        };
        (
            any::<i64>(),
            symbol(),
            any::<(u64, u64)>(),
            prop::collection::vec(level(), 0..5),
            prop::collection::vec(level(), 0..5),
        )
            .prop_map(|(event_time, symbol, (first, last), bids, asks)| {
                domain::DepthUpdate {
                    event_time,
                    symbol,
                    first_update_id: first,
                    final_update_id: last,
                    bids,
                    asks,
                }
            })
    }

    fn levels_json(levels: &[domain::Level]) -> serde_json::Value {
        levels
            .iter()
            .map(|l| json!([l.price.to_string(), l.quantity.to_string()]))
            .collect()
    }

    #[test]
    fn plain_decimal_cases() {
        for text in [
            "0",
            "1",
            "-1",
            "0.001",
            "98234.51000000",
            "123456789012345678",
            "0.00000000000000001",
            "9999999999999999999",
            "-9999999999999999999",
        ] {
            assert_eq!(
                plain_decimal(text).map(|it| it.to_string()),
                Some(text.to_owned()),
                "{text}"
            );
        }
        for text in [
            "",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "1e5",
            "+1",
            "-0",
            "-0.00",
            "12345678901234567890",
            "0.12345678901234567890",
            " 1",
            "1_0",
        ] {
            assert_eq!(plain_decimal(text), None, "{text}");
        }
    }

    proptest! {
        #[test]
        fn plain_decimal_agrees_with_rust_decimal(text in "-?[0-9]{1,22}(\\.[0-9]{1,22})?") {
            let fast = plain_decimal(&text);
            let slow = Decimal::from_str_exact(&text).ok();
            if let Some(fast) = fast {
                let slow = slow.unwrap();
                prop_assert_eq!((fast, fast.scale(), fast.to_string()), (slow, slow.scale(), slow.to_string()));
            }
            prop_assert_eq!(dec("p", &text).ok(), slow);
        }

        /// The scanner's one-pass decimal never differs from `dec`, scale
        /// included.
        #[test]
        fn scanned_decimals_agree_with_dec(text in "-?[0-9]{0,21}(\\.[0-9]{0,21})?|[-0-9.eE+]{0,6}") {
            let level = format!(r#"{{"lastUpdateId":1,"bids":[["{text}","1"]],"asks":[]}}"#);
            if let Some(book) = fast::partial_depth_levels(&level) {
                let expected = dec("p", &text).unwrap();
                let got = book.bids[0].price;
                prop_assert_eq!((got, got.scale(), got.to_string()), (expected, expected.scale(), expected.to_string()));
            }
            same_outcome(&level)?;
        }

        /// Decimals in and around Binance's layout (1 to 7 integer digits,
        /// 8 decimals), which the scanner reads with word loads, never
        /// differ from `dec`, scale included.
        #[test]
        fn binance_layout_decimals_agree_with_dec(text in "-?[0-9]{0,9}\\.?[0-9]{6,10}[0-9a.\\-]?") {
            let level = format!(r#"{{"lastUpdateId":1,"bids":[["{text}","{text}"]],"asks":[]}}"#);
            if let Some(book) = fast::partial_depth_levels(&level) {
                let expected = dec("p", &text).unwrap();
                for got in [book.bids[0].price, book.bids[0].quantity] {
                    prop_assert_eq!((got, got.scale(), got.to_string()), (expected, expected.scale(), expected.to_string()));
                }
            }
            same_outcome(&level)?;
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(MarketFrame::Event { event, .. }) = decode_market(&text) {
                let _ = event.to_domain();
            }
            if let Ok(ApiFrame::Event { event, .. }) = decode_api(&text) {
                let _ = event.to_domain();
            }
        }

        #[test]
        fn decoding_mangled_payloads_never_panics(cut_at in 0usize..400, byte in any::<u8>(), idx in 0usize..5) {
            let samples = [AGG_TRADE, DEPTH_UPDATE, KLINE, BOOK_TICKER, EXECUTION_REPORT];
            let mut bytes = samples[idx].as_bytes().to_vec();
            let at = cut_at % bytes.len();
            bytes[at] = byte;
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(MarketFrame::Event { event, .. }) = decode_market(&text) {
                let _ = event.to_domain();
            }
            if let Ok(ApiFrame::Event { event, .. }) = decode_api(&text) {
                let _ = event.to_domain();
            }
            let _ = decode_market(&text[..text.len().min(at)]);
        }

        #[test]
        fn agg_trade_round_trips(trade in arb_agg_trade(), combined in any::<bool>()) {
            let payload = json!({
                "e": "aggTrade", "E": trade.event_time, "s": trade.symbol, "a": trade.agg_trade_id,
                "p": trade.price.to_string(), "q": trade.quantity.to_string(), "f": trade.first_trade_id,
                "l": trade.last_trade_id, "T": trade.trade_time, "m": trade.buyer_is_maker, "M": true,
            });
            let frame = if combined { json!({"stream": "x@aggTrade", "data": payload}) } else { payload };
            let decoded = market(&frame.to_string());
            prop_assert_eq!(decoded, domain::MarketEvent::AggTrade(trade));
        }

        #[test]
        fn binance_layout_round_trips_through_the_fast_path(trade in arb_agg_trade()) {
            let symbol = serde_json::to_string(&trade.symbol).unwrap();
            let frame = format!(
                r#"{{"e":"aggTrade","E":{},"s":{symbol},"a":{},"p":"{}","q":"{}","f":{},"l":{},"T":{},"m":{},"M":true}}"#,
                trade.event_time, trade.agg_trade_id, trade.price, trade.quantity,
                trade.first_trade_id, trade.last_trade_id, trade.trade_time, trade.buyer_is_maker,
            );
            let fast = fast::agg_trade(&frame);
            prop_assert!(fast.is_some() || symbol.contains('\\'), "{}", frame);
            prop_assert_eq!(fast, serde_json::from_str::<AggTrade<'_>>(&frame).ok().filter(|_| !symbol.contains('\\')));
            prop_assert_eq!(market(&frame), domain::MarketEvent::AggTrade(trade.clone()));

            let frame = format!(
                r#"{{"e":"trade","E":{},"s":{symbol},"t":{},"p":"{}","q":"{}","T":{},"m":{},"M":true}}"#,
                trade.event_time, trade.agg_trade_id, trade.price, trade.quantity,
                trade.trade_time, trade.buyer_is_maker,
            );
            let fast = fast::trade(&frame);
            prop_assert!(fast.is_some() || symbol.contains('\\'), "{}", frame);
            let domain::MarketEvent::Trade(decoded) = market(&frame) else { panic!("{frame}") };
            prop_assert_eq!((decoded.trade_id, decoded.price, decoded.symbol), (trade.agg_trade_id, trade.price, trade.symbol));
        }

        /// The fast path never accepts what `serde_json` rejects, and never
        /// decodes differently.
        #[test]
        fn fast_path_agrees_with_serde(
            idx in 0usize..3,
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b' '), Just(b'0'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b'}'), any::<u8>()],
            edit in 0u8..3,
        ) {
            let samples = [
                AGG_TRADE.to_owned(),
                TRADE.to_owned(),
                r#"{"e":"aggTrade","E":-1,"s":"X","a":0,"p":"1","q":"1","f":18446744073709551615,"l":9,"T":9223372036854775807,"m":false,"M":false}"#.to_owned(),
            ];
            let mut bytes = samples[idx].as_bytes().to_vec();
            let at = at.index(bytes.len());
            match edit {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.remove(at); }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Some(fast) = fast::agg_trade(&text) {
                prop_assert_eq!(Some(fast), serde_json::from_str::<AggTrade<'_>>(&text).ok(), "{}", text);
            }
            if let Some(fast) = fast::trade(&text) {
                prop_assert_eq!(Some(fast), serde_json::from_str::<Trade<'_>>(&text).ok(), "{}", text);
            }
        }

        /// The typed path (scanners straight into domain types) never
        /// decodes differently from the wire types plus `to_domain`, nor
        /// accepts what they reject.
        #[test]
        fn typed_path_agrees_with_wire_path(
            idx in 0usize..11,
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b' '), Just(b'0'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b'}'), Just(b']'), Just(b','), any::<u8>()],
            edit in 0u8..4,
        ) {
            let combined = |payload: &str| format!(r#"{{"stream":"bnbbtc@x","data":{payload}}}"#);
            let samples = [
                AGG_TRADE.to_owned(),
                DEPTH_UPDATE.to_owned(),
                PARTIAL_DEPTH.to_owned(),
                BOOK_TICKER.to_owned(),
                combined(AGG_TRADE),
                combined(DEPTH_UPDATE),
                combined(PARTIAL_DEPTH),
                r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[["1.5","2"],["1.6","0.00"]]}"#.to_owned(),
                TRADE.to_owned(),
                combined(r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":2,"p":"98234.51000000","q":"0.00512000","f":3,"l":4,"T":5,"m":true,"M":true}"#),
                // Binance's layout, which the word-at-a-time readers take.
                combined(r#"{"e":"depthUpdate","E":1732550400123,"s":"BTCUSDT","U":61234567890,"u":61234567912,"b":[["98234.51000000","0.00512000"],["7.50000000","1234567.00000001"]],"a":[["98234.52000000","0.00000000"]]}"#),
            ];
            let mut bytes = samples[idx].as_bytes().to_vec();
            let at = at.index(bytes.len());
            match edit {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 => { bytes.remove(at); }
                _ => {}
            }
            same_outcome(&String::from_utf8_lossy(&bytes))?;
        }

        /// The book scanners never accept what `serde_json` rejects, and
        /// never decode differently.
        #[test]
        fn book_scanners_agree_with_serde(
            idx in 0usize..4,
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b' '), Just(b'['), Just(b']'), Just(b','), Just(b'}'), any::<u8>()],
            edit in 0u8..3,
        ) {
            let samples = [
                DEPTH_UPDATE,
                PARTIAL_DEPTH,
                BOOK_TICKER,
                r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[["1","2"],["3","4"]]}"#,
            ];
            let mut bytes = samples[idx].as_bytes().to_vec();
            let at = at.index(bytes.len());
            match edit {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.remove(at); }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Some(book) = fast::depth_update_pairs(&text) {
                let serde: DepthUpdate<'_> = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(
                    (book.event_time, book.symbol, book.first_update_id, book.final_update_id, book.bids, book.asks),
                    (serde.event_time, serde.symbol.as_ref(), serde.first_update_id, serde.final_update_id, serde.bids, serde.asks)
                );
            }
            if let Some(book) = fast::partial_depth_pairs(&text) {
                let serde: PartialDepth<'_> = serde_json::from_str(&text).unwrap();
                prop_assert_eq!((book.final_update_id, book.bids, book.asks), (serde.last_update_id, serde.bids, serde.asks));
            }
            if let Some(ticker) = fast::book_ticker(&text) {
                prop_assert_eq!(Some(ticker), serde_json::from_str::<BookTicker<'_>>(&text).ok());
            }
        }

        /// When the envelope scan's payload is one JSON value, the frame is
        /// the envelope `serde_json` reads, with the same name and payload.
        #[test]
        fn envelope_scan_agrees_with_serde(
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b' '), Just(b','), Just(b'}'), Just(b'{'), any::<u8>()],
            edit in 0u8..3,
        ) {
            let frame = format!(r#"{{"stream":"bnbbtc@aggTrade","data":{AGG_TRADE}}}"#);
            let mut bytes = frame.into_bytes();
            let at = at.index(bytes.len());
            match edit {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.remove(at); }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Some((stream, payload)) = fast::envelope(&text)
                && serde_json::from_str::<IgnoredAny>(payload).is_ok()
            {
                let envelope: Envelope<'_> = serde_json::from_str(&text).unwrap();
                prop_assert_eq!((envelope.stream.as_ref(), envelope.data.get()), (stream, payload.trim()));
            }
            same_outcome(&text)?;
        }

        #[test]
        fn depth_update_round_trips(update in arb_depth_update()) {
            let frame = json!({
                "e": "depthUpdate", "E": update.event_time, "s": update.symbol,
                "U": update.first_update_id, "u": update.final_update_id,
                "b": levels_json(&update.bids), "a": levels_json(&update.asks),
            });
            let decoded = market(&frame.to_string());
            prop_assert_eq!(decoded, domain::MarketEvent::DepthUpdate(update));
        }

        #[test]
        fn balance_update_round_trips(event_time in any::<i64>(), asset in symbol(), delta in decimal(), time in any::<i64>(), id in any::<u32>()) {
            let frame = json!({"subscriptionId": id, "event": {"e": "balanceUpdate", "E": event_time, "a": asset, "d": delta.to_string(), "T": time}});
            let decoded = user(&frame.to_string());
            prop_assert_eq!(decoded, domain::UserEvent::BalanceUpdate(domain::BalanceUpdate { event_time, asset, delta, clear_time: time }));
        }
    }
}
