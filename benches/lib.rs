//! Shared inputs and baselines for the criterion benches in this folder.
//!
//! Each bench measures mbx next to a baseline in the same run; the figures
//! and the machine are recorded in `BENCHMARKS.md` at the repository root.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HMAC secret of the Binance docs' examples.
pub const DOCS_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// The docs' example order payload (`rest-api.md` § HMAC Keys).
pub const DOCS_ORDER_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

/// The way most clients sign: a new HMAC from the secret for every request,
/// the hex written into a new `String`.
pub fn naive_hmac_hex(secret: &str, payload: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// The fairer HMAC baseline: a pre-keyed `Hmac<Sha256>` (key hashed once,
/// as a careful client keeps it) cloned per request, finalised and
/// hex-encoded into a new `String`.
pub fn prekeyed_hmac_hex(prekeyed: &Hmac<Sha256>, payload: &str) -> String {
    let mut mac = prekeyed.clone();
    mac.update(payload.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Reads a test key from `tests/fixtures/keys/`.
pub fn fixture_key(name: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Market-stream frames with BTCUSDT-sized numbers, and `serde_json`
/// baselines that decode them into borrowed structs (`ws_decode`).
pub mod frames {
    use serde::Deserialize;

    /// A raw `aggTrade` frame.
    pub const AGG_TRADE: &str = r#"{"e":"aggTrade","E":1732550400123,"s":"BTCUSDT","a":3276543210,"p":"98234.51000000","q":"0.00512000","f":4398046511,"l":4398046514,"T":1732550400122,"m":true,"M":true}"#;

    /// A raw `trade` frame.
    pub const TRADE: &str = r#"{"e":"trade","E":1732550400123,"s":"BTCUSDT","t":4398046511,"p":"98234.51000000","q":"0.00512000","T":1732550400122,"m":false,"M":true}"#;

    /// [`AGG_TRADE`] on a combined stream.
    pub fn combined_agg_trade() -> String {
        format!(r#"{{"stream":"btcusdt@aggTrade","data":{AGG_TRADE}}}"#)
    }

    /// A combined-stream `depthUpdate` frame with `n` bid and `n` ask
    /// levels; 20 + 20 is the size of a busy `@depth@100ms` update.
    pub fn depth_update(n: i32) -> String {
        let side = |base: i32, step: i32| {
            (0..n)
                .map(|idx| {
                    format!(
                        r#"["{}.{:02}000000","{}.{:05}000"]"#,
                        base + step * idx,
                        idx * 7 % 100,
                        idx % 3,
                        12345 + idx * 111
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1732550400123,"s":"BTCUSDT","U":61234567890,"u":61234567912,"b":[{}],"a":[{}]}}}}"#,
            side(98234, -1),
            side(98235, 1)
        )
    }

    /// The combined envelope, for the borrowed baselines.
    #[derive(Debug, Deserialize)]
    pub struct Envelope<'a, T> {
        /// `stream`.
        pub stream: &'a str,
        /// `data`.
        pub data: T,
    }

    /// `aggTrade` into `&str` fields: the baseline a careful client writes.
    #[derive(Debug, Deserialize)]
    #[allow(non_snake_case, missing_docs)]
    pub struct AggTrade<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub a: u64,
        pub p: &'a str,
        pub q: &'a str,
        pub f: u64,
        pub l: u64,
        pub T: i64,
        pub m: bool,
        pub M: bool,
    }

    /// `trade` into `&str` fields.
    #[derive(Debug, Deserialize)]
    #[allow(non_snake_case, missing_docs)]
    pub struct Trade<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub t: u64,
        pub p: &'a str,
        pub q: &'a str,
        pub T: i64,
        pub m: bool,
        pub M: bool,
    }

    /// `depthUpdate` into `&str` pairs.
    #[derive(Debug, Deserialize)]
    #[allow(non_snake_case, missing_docs)]
    pub struct DepthUpdate<'a> {
        pub e: &'a str,
        pub E: i64,
        pub s: &'a str,
        pub U: u64,
        pub u: u64,
        #[serde(borrow)]
        pub b: Vec<(&'a str, &'a str)>,
        #[serde(borrow)]
        pub a: Vec<(&'a str, &'a str)>,
    }
}

/// The order-book scenario and the baseline books (`order_book`).
pub mod book {
    use std::collections::BTreeMap;

    use mbx_domain::model::{self, Depth};
    use mbx_domain::order_book::{BookSync, DiffOutcome, SnapshotOutcome};
    use mbx_domain::stream::{DepthUpdate, Level};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use rust_decimal::Decimal;

    pub const SNAPSHOT_LEVELS: i64 = 5000;
    pub const UPDATES: usize = 1000;
    pub const LEVELS_PER_SIDE: usize = 10;
    pub const FIRST_UPDATE_ID: u64 = 61_234_567_890;

    /// The `k`-th price tick away from the top, BTCUSDT-like, written with
    /// Binance's 8 decimals.
    fn bid_price(tick: i64) -> Decimal {
        Decimal::new((9_823_451 - tick) * 1_000_000, 8)
    }

    fn ask_price(tick: i64) -> Decimal {
        Decimal::new((9_823_452 + tick) * 1_000_000, 8)
    }

    fn quantity(rng: &mut SmallRng) -> Decimal {
        Decimal::new(rng.gen_range(1..100_000_000), 8)
    }

    /// A snapshot and the diffs that follow it.
    #[derive(Debug)]
    pub struct Scenario {
        /// 5000 levels per side.
        pub snapshot: Depth,
        /// [`UPDATES`] contiguous diffs of 20 levels.
        pub updates: Vec<DepthUpdate>,
    }

    /// The seeded scenario the `order_book` bench applies.
    pub fn scenario() -> Scenario {
        let mut rng = SmallRng::seed_from_u64(7);
        let n_ticks = 2 * SNAPSHOT_LEVELS as usize;
        // Every other tick has a level at first.
        let mut bids_present: Vec<bool> = (0..n_ticks).map(|tick| tick % 2 == 0).collect();
        let mut asks_present = bids_present.clone();
        let snapshot_side = |price: fn(i64) -> Decimal, rng: &mut SmallRng| {
            (0..SNAPSHOT_LEVELS)
                .map(|idx| model::Level(price(2 * idx), quantity(rng)))
                .collect()
        };
        let snapshot = Depth {
            last_update_id: FIRST_UPDATE_ID - 1,
            bids: snapshot_side(bid_price, &mut rng),
            asks: snapshot_side(ask_price, &mut rng),
        };
        let side_changes =
            |present: &mut Vec<bool>, price: fn(i64) -> Decimal, rng: &mut SmallRng| {
                (0..LEVELS_PER_SIDE)
                    .map(|_| {
                        // Two draws, the smaller kept: most changes are near the top.
                        let tick = rng.gen_range(0..400).min(rng.gen_range(0..400));
                        let quantity = if present[tick] && rng.gen_bool(0.2) {
                            Decimal::ZERO
                        } else {
                            quantity(rng)
                        };
                        present[tick] = !quantity.is_zero();
                        Level {
                            price: price(tick as i64),
                            quantity,
                        }
                    })
                    .collect()
            };
        let updates = (0..UPDATES as u64)
            .map(|idx| DepthUpdate {
                event_time: 1_732_550_400_123 + idx as i64 * 100,
                symbol: "BTCUSDT".to_owned(),
                first_update_id: FIRST_UPDATE_ID + 3 * idx,
                final_update_id: FIRST_UPDATE_ID + 3 * idx + 2,
                bids: side_changes(&mut bids_present, bid_price, &mut rng),
                asks: side_changes(&mut asks_present, ask_price, &mut rng),
            })
            .collect();
        Scenario { snapshot, updates }
    }

    /// The naive book: prices and quantities as the strings the frame had.
    #[derive(Debug, Clone, Default)]
    pub struct StringBook {
        /// Bids by price string.
        pub bids: BTreeMap<String, String>,
        /// Asks by price string.
        pub asks: BTreeMap<String, String>,
    }

    /// A diff as a naive client decodes it: owned strings.
    #[derive(Debug)]
    pub struct StringUpdate {
        /// Bid `(price, quantity)` strings.
        pub bids: Vec<(String, String)>,
        /// Ask `(price, quantity)` strings.
        pub asks: Vec<(String, String)>,
    }

    fn is_zero(quantity: &str) -> bool {
        quantity.bytes().all(|byte| byte == b'0' || byte == b'.')
    }

    impl StringBook {
        /// From a snapshot.
        pub fn from_depth(depth: &Depth) -> StringBook {
            let side = |levels: &[model::Level]| {
                levels
                    .iter()
                    .map(|level| (level.0.to_string(), level.1.to_string()))
                    .collect()
            };
            StringBook {
                bids: side(&depth.bids),
                asks: side(&depth.asks),
            }
        }

        /// Sets each level; removes it at quantity zero.
        pub fn apply(&mut self, update: StringUpdate) {
            for (side, levels) in [(&mut self.bids, update.bids), (&mut self.asks, update.asks)] {
                for (price, quantity) in levels {
                    if is_zero(&quantity) {
                        side.remove(&price);
                    } else {
                        side.insert(price, quantity);
                    }
                }
            }
        }
    }

    /// A diff as the naive client holds it.
    pub fn string_update(update: &DepthUpdate) -> StringUpdate {
        let side = |levels: &[Level]| {
            levels
                .iter()
                .map(|level| (level.price.to_string(), level.quantity.to_string()))
                .collect()
        };
        StringUpdate {
            bids: side(&update.bids),
            asks: side(&update.asks),
        }
    }

    /// The exact alternative: decimal keys in a `BTreeMap`.
    #[derive(Debug, Clone, Default)]
    pub struct DecimalBook {
        /// Bids by price.
        pub bids: BTreeMap<Decimal, Decimal>,
        /// Asks by price.
        pub asks: BTreeMap<Decimal, Decimal>,
    }

    impl DecimalBook {
        /// From a snapshot.
        pub fn from_depth(depth: &Depth) -> DecimalBook {
            let side =
                |levels: &[model::Level]| levels.iter().map(|level| (level.0, level.1)).collect();
            DecimalBook {
                bids: side(&depth.bids),
                asks: side(&depth.asks),
            }
        }

        /// Sets each level; removes it at quantity zero.
        pub fn apply(&mut self, update: DepthUpdate) {
            for (side, levels) in [(&mut self.bids, update.bids), (&mut self.asks, update.asks)] {
                for level in levels {
                    if level.quantity.is_zero() {
                        side.remove(&level.price);
                    } else {
                        side.insert(level.price, level.quantity);
                    }
                }
            }
        }
    }

    /// A `BookSync` live on the snapshot.
    pub fn live_sync(snapshot: &Depth) -> BookSync {
        let mut sync = BookSync::new("BTCUSDT");
        let outcome = sync.on_snapshot(snapshot);
        assert!(
            matches!(outcome, SnapshotOutcome::Live { .. }),
            "{outcome:?}"
        );
        sync
    }

    /// The three books end equal: the bench compares the same work.
    pub fn check_agreement(scenario: &Scenario) {
        let mut sync = live_sync(&scenario.snapshot);
        let mut strings = StringBook::from_depth(&scenario.snapshot);
        let mut decimals = DecimalBook::from_depth(&scenario.snapshot);
        for update in &scenario.updates {
            strings.apply(string_update(update));
            decimals.apply(update.clone());
            let outcome = sync.on_diff(update.clone());
            assert!(
                matches!(outcome, DiffOutcome::Applied { .. }),
                "{outcome:?}"
            );
        }
        let book = sync.book().expect("live");
        let ours: Vec<(String, String)> = book
            .bids()
            .map(|level| (level.price.to_string(), level.quantity.to_string()))
            .collect();
        let naive: Vec<(String, String)> = strings.bids.into_iter().rev().collect();
        assert_eq!(ours, naive);
        let ours: Vec<(String, String)> = book
            .asks()
            .map(|level| (level.price.to_string(), level.quantity.to_string()))
            .collect();
        let naive: Vec<(String, String)> = strings.asks.into_iter().collect();
        assert_eq!(ours, naive);
        assert_eq!(book.asks().len(), decimals.asks.len());
        assert_eq!(
            book.best_ask().map(|level| level.price),
            decimals.asks.keys().next().copied()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_computes_the_documented_signature() {
        assert_eq!(
            naive_hmac_hex(DOCS_SECRET, DOCS_ORDER_PAYLOAD),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }
}

/// A synthetic recording for the replay benches: one depth snapshot, then
/// four combined `@trade` frames per combined `@depth@100ms` diff of
/// 20 + 20 levels, around the same prices, each with its own trade or
/// update ID (so a lost event is seen).
pub mod recording {
    use mbx_domain::model::{Depth, Level};
    use mbx_domain::recording::{Manifest, Record};

    use crate::frames::{TRADE, depth_update};

    /// The recording's start (ms).
    pub const T0: i64 = 1_732_550_400_000;
    /// The snapshot's `lastUpdateId`; the first diff follows it.
    const FIRST_UPDATE_ID: u64 = 61_234_567_890;
    /// The first trade ID.
    const FIRST_TRADE_ID: u64 = 4_398_046_511;

    /// The manifest: BTCUSDT's `@trade` and `@depth@100ms`, its snapshot.
    pub fn manifest() -> Manifest {
        Manifest::new(
            "ws://127.0.0.1:1".to_owned(),
            vec!["btcusdt@trade".to_owned(), "btcusdt@depth@100ms".to_owned()],
            vec!["BTCUSDT".to_owned()],
            T0,
        )
    }

    /// The records: a snapshot of 100 + 100 levels around the diffs'
    /// prices, then `frames` frames one millisecond apart (every fifth a
    /// diff, the others trades).
    pub fn records(frames: usize) -> Vec<Record> {
        let level = |price: String| Level(price.parse().unwrap(), "0.5".parse().unwrap());
        let snapshot = Record::Snapshot {
            at: T0,
            symbol: "BTCUSDT".to_owned(),
            depth: Depth {
                last_update_id: FIRST_UPDATE_ID - 1,
                bids: (0..100)
                    .map(|n| level(format!("{}.50", 98234 - n)))
                    .collect(),
                asks: (0..100)
                    .map(|n| level(format!("{}.50", 98235 + n)))
                    .collect(),
            },
        };
        let depth = depth_update(20);
        let mut records = vec![snapshot];
        for n in 0..frames {
            let at = T0 + n as i64;
            let text = if n % 5 == 4 {
                // Each diff follows the previous one.
                let id = diff_first_id(n / 5);
                depth
                    .replace("61234567890", &id.to_string())
                    .replace("61234567912", &(id + 22).to_string())
            } else {
                let trade = TRADE.replace("4398046511", &trade_id(n).to_string());
                format!(r#"{{"stream":"btcusdt@trade","data":{trade}}}"#)
            };
            records.push(Record::Frame { at, text });
        }
        records
    }

    fn diff_first_id(k: usize) -> u64 {
        FIRST_UPDATE_ID + k as u64 * 23
    }

    fn trade_id(n: usize) -> u64 {
        FIRST_TRADE_ID + n as u64
    }

    /// The trade IDs of [`records`]`(frames)`, in order.
    pub fn trade_ids(frames: usize) -> Vec<u64> {
        (0..frames).filter(|n| n % 5 != 4).map(trade_id).collect()
    }

    /// The `u` of the last diff of [`records`]`(frames)`.
    pub fn last_update_id(frames: usize) -> u64 {
        diff_first_id(frames / 5 - 1) + 22
    }
}

/// The client-side cost of one order, shared by the `orders` bench and
/// `examples/count_loops.rs` (so the instruction counts are of the same
/// work as the wall-clock figures).
pub mod orders {
    use mbx_adapters_rest::{ClientConfig, Request, RestClient};
    use mbx_client::orders::{self, OrderRequest};
    use mbx_domain::credentials::{ApiKey, Credentials};
    use mbx_domain::model::{
        NewOrder, OrderType, RateLimit, RateLimitInterval, RateLimitType, Side, SymbolInfo,
        TimeInForce,
    };
    use mbx_domain::preflight::{Context, OpenOrderCounts, Rounding};
    use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, RateLimitConfig, SandboxConfig};
    use mbx_signing::{HmacKey, Signer};
    use rust_decimal::Decimal;

    /// BTCUSDT's rules as the sandbox (and Binance) list them.
    pub const BTCUSDT: &str = r#"{
      "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "baseAssetPrecision": 8,
      "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8,
      "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"], "icebergAllowed": false,
      "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": false, "isSpotTradingAllowed": true,
      "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
        {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "900.00000000", "stepSize": "0.00000000"},
        {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
        {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
        {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}
      ]}"#;

    /// What the checks and the signature need, built once.
    #[derive(Debug)]
    pub struct ClientSide {
        symbol: SymbolInfo,
        context: Context,
        rest: RestClient,
        request: OrderRequest,
    }

    impl Default for ClientSide {
        fn default() -> ClientSide {
            ClientSide::new()
        }
    }

    impl ClientSide {
        /// BTCUSDT's rules, the context `Trading::prepare` gathers for it
        /// (the average price, no open orders), an HMAC client never used
        /// for the network, and a LIMIT buy off the grid to round down.
        pub fn new() -> ClientSide {
            let symbol: SymbolInfo = serde_json::from_str(BTCUSDT).expect("BTCUSDT parses");
            let context = Context {
                average_price: Some(Decimal::new(97_000, 0)),
                open_orders: Some(OpenOrderCounts::default()),
                ..Context::default()
            };
            let rest = RestClient::new(
                ClientConfig::new("http://127.0.0.1:9").expect("loopback URL"),
                Some(demo_credentials()),
            )
            .expect("client");
            let mut request = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Limit);
            request.quantity = Some(Decimal::new(12_345, 7));
            request.price = Some(Decimal::new(5_000_001, 2));
            request.rounding = Some(Rounding::Down);
            ClientSide {
                symbol,
                context,
                rest,
                request,
            }
        }

        /// One order, as the product builds it before the network:
        /// `mbx_client::orders::check` (what `Trading::prepare` runs once
        /// it has the rules and the market: the order with its client
        /// order id, rounded to the grid, every pre-flight check), then
        /// the query `RestClient::place_order` sends (`Request::order`),
        /// signed in its own buffer as `RestClient::send` signs it
        /// (`RestClient::sign`: the synced timestamp, HMAC-SHA256).
        /// Returns the query's length.
        pub fn build_validate_sign(&self) -> usize {
            let checked = orders::check(
                std::hint::black_box(&self.request),
                &self.symbol,
                &self.context,
            )
            .expect("the order passes");
            let http = Request::order("/api/v3/order", &checked.order).expect("order path");
            let query = self.rest.sign(http).expect("credentials");
            query.len()
        }
    }

    /// The sandbox's demo key with its HMAC secret.
    pub fn demo_credentials() -> Credentials {
        Credentials::new(
            ApiKey::new(DEMO_API_KEY).expect("demo key"),
            Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).expect("demo secret")),
        )
    }

    /// The order every loopback client places: `LIMIT IOC` 0.001 BTCUSDT
    /// far below the market, so it is acknowledged and expires at once and
    /// the book does not grow.
    pub fn ioc_order() -> NewOrder {
        let mut order = NewOrder::limit(
            "BTCUSDT",
            Side::Buy,
            Decimal::new(1, 3),
            Decimal::new(50_000, 0),
        );
        order.time_in_force = Some(TimeInForce::Ioc);
        order
    }

    /// The demo sandbox with its rate and order-count limits out of reach,
    /// so thousands of orders in a row measure the round trip, not a 429.
    pub fn unlimited_sandbox() -> SandboxConfig {
        let mut config = SandboxConfig::demo();
        config.limits = RateLimitConfig {
            request_weight_per_minute: u32::MAX / 2,
            orders_per_10s: u32::MAX / 2,
            orders_per_day: u32::MAX / 2,
            raw_requests_per_5m: u32::MAX / 2,
        };
        config
    }

    /// A REST client for the sandbox at `url` with the demo key, its own
    /// weight ledger raised to match [`unlimited_sandbox`].
    pub fn unlimited_rest_client(url: &str) -> RestClient {
        let rest = RestClient::new(
            ClientConfig::new(url).expect("loopback URL"),
            Some(demo_credentials()),
        )
        .expect("client");
        rest.set_rate_limits(&[RateLimit {
            rate_limit_type: RateLimitType::RequestWeight,
            interval: RateLimitInterval::Minute,
            interval_num: 1,
            limit: u32::MAX / 2,
        }]);
        rest
    }

    /// The baseline: the same order's query signed the way most clients
    /// sign (a new HMAC per request), nothing built or checked.
    pub fn baseline_sign_only() -> String {
        const PAYLOAD: &str = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00123&price=50000&newOrderRespType=FULL&newClientOrderId=mbx-abcdefghijklmnopqrst&recvWindow=5000&timestamp=1764100000000";
        super::naive_hmac_hex(DEMO_API_SECRET, std::hint::black_box(PAYLOAD))
    }
}

/// Plain HTTP/1.1 on a raw socket, for the load benches that measure the
/// server without a client library in the way.
pub mod http {
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    /// Reads one HTTP/1.1 response with a `content-length`; true for status 200.
    pub async fn read_response(stream: &mut TcpStream, buffer: &mut [u8]) -> bool {
        let mut filled = 0;
        loop {
            let read = stream.read(&mut buffer[filled..]).await.expect("read");
            assert!(read > 0, "server closed the connection");
            filled += read;
            let Some(head_end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&buffer[..head_end]).expect("ascii head");
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("content-length");
            let ok = head.starts_with("HTTP/1.1 200");
            let total = head_end + 4 + length;
            while filled < total {
                let read = stream.read(&mut buffer[filled..]).await.expect("read body");
                assert!(read > 0, "server closed the connection");
                filled += read;
            }
            return ok;
        }
    }
}
