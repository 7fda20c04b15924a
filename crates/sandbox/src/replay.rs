//! `--replay DIR`: the market driven by a recording of `mbx record`
//! instead of the seeded walk.
//!
//! This module reads the recording (the format is
//! `mbx_domain::recording`; the sandbox reads it with its own code, as it
//! shares none of the client's paths) and hands the market one
//! [`ReplayEvent`] at a time when it is due on the replay clock: recorded
//! trades (`@trade`, else `@aggTrade`) and the book (REST snapshots, then
//! diff-depth events). Everything else the sandbox serves (depth, tickers,
//! klines, every stream) is derived from those, as it is from the walk.
//!
//! The replay clock starts when the first market-data client subscribes
//! (so nothing is missed at `max`), or at launch with `start_now`; the
//! recording's leading snapshots are applied at once, so the book is there
//! before. Same recording, same orders at the same replay positions: same
//! fills.
//!
//! A recording that kept its symbols' `exchangeInfo` (the manifest's
//! `exchangeInfo` file) gives the sandbox their real filters
//! ([`Replay::specs`]); older recordings get loose ones.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use mbx_domain::model::{ExchangeInfo, SymbolFilter, SymbolInfo};
use mbx_domain::recording::{MANIFEST, Manifest, Record};
use rust_decimal::Decimal;

use crate::error::Error;
use crate::market::{Level, ReplayEvent, SymbolSpec, default_symbols, recorded_spec};

/// How fast a replay runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// This many times real time (1: as recorded).
    Times(u32),
    /// As fast as the stream subscribers take the events: the stream feed
    /// applies the recording in batches of [`PUMP_BATCH`] and waits while
    /// its slowest connection is more than half its buffer behind (nobody
    /// is closed as too slow, nothing is lost). Without a stream
    /// connection, each request applies at most [`MAX_BATCH`] events.
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(text: &str) -> Result<Speed, String> {
        if text == "max" {
            return Ok(Speed::Max);
        }
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Speed::Times(n)),
            _ => Err(format!(
                "`{text}` is no speed: give a positive multiple of real time (1, 10) or `max`"
            )),
        }
    }
}

/// What `--replay` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayConfig {
    /// The recording directory (`mbx record --out`).
    pub dir: PathBuf,
    /// How fast.
    pub speed: Speed,
    /// Start again from the beginning at the end (trade IDs keep growing).
    pub looped: bool,
    /// Start the replay clock at launch rather than at the first
    /// market-data subscriber.
    pub start_now: bool,
}

/// Events a request applies at [`Speed::Max`] while no stream connection
/// is open (so one request never holds the engine for long).
pub const MAX_BATCH: usize = 2_000;

/// Events the stream feed applies per step at [`Speed::Max`]: small, so
/// the engine is never held for more than a few milliseconds and REST and
/// WebSocket API requests are served between two steps.
pub const PUMP_BATCH: usize = 256;

/// A recording being replayed.
#[derive(Debug)]
pub struct Replay {
    config: ReplayConfig,
    files: Vec<PathBuf>,
    reader: Reader,
    trade_symbols: HashSet<String>,
    symbols: Vec<String>,
    /// The recorded symbols' filters, from the recording's `exchangeInfo`.
    specs: Vec<SymbolSpec>,
    /// Sandbox time when the replay clock started.
    started_at: Option<i64>,
    /// Recording time that maps to `started_at`.
    origin: Option<i64>,
    /// The latest recording time seen (a snapshot's answer can be stamped
    /// after frames read meanwhile; time never goes back).
    latest: i64,
    /// Events read ahead (parsed outside the engine's lock, see
    /// [`Replay::prefetch`]), in recording order.
    pending: VecDeque<(i64, ReplayEvent)>,
    /// Past the leading snapshots.
    playing: bool,
    /// Per symbol: what is added to recorded trade IDs (grows with each
    /// loop), and the first and last raw IDs of this pass.
    ids: HashMap<String, TradeIds>,
    applied: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct TradeIds {
    offset: u64,
    first: Option<u64>,
    last: u64,
}

impl Replay {
    /// Opens the recording in `config.dir`.
    pub fn open(config: ReplayConfig) -> Result<Replay, Error> {
        let bad = |reason: String| Error::Replay {
            dir: config.dir.clone(),
            reason,
        };
        let path = config.dir.join(MANIFEST);
        let text = std::fs::read(&path).map_err(|err| bad(format!("{}: {err}", path.display())))?;
        let manifest: Manifest = serde_json::from_slice(&text)
            .map_err(|err| bad(format!("{}: {err}", path.display())))?;
        if manifest.files.is_empty() {
            return Err(bad("the recording has no data file".to_owned()));
        }
        let files: Vec<PathBuf> = manifest
            .files
            .iter()
            .map(|file| config.dir.join(&file.name))
            .collect();
        if let Some(missing) = files.iter().find(|path| !path.is_file()) {
            return Err(bad(format!("{} is missing", missing.display())));
        }
        let trade_symbols = manifest
            .streams
            .iter()
            .filter_map(|name| name.strip_suffix("@trade"))
            .map(str::to_uppercase)
            .collect();
        let mut symbols: Vec<String> = manifest
            .streams
            .iter()
            .filter_map(|name| name.split_once('@'))
            .map(|(symbol, _)| symbol.to_uppercase())
            .filter(|symbol| !symbol.is_empty() && !symbol.starts_with('!'))
            .chain(manifest.snapshot_symbols.iter().cloned())
            .collect();
        symbols.sort();
        symbols.dedup();
        let specs = match &manifest.exchange_info {
            Some(name) => {
                let path = config.dir.join(name);
                let text = std::fs::read(&path)
                    .map_err(|err| bad(format!("{}: {err}", path.display())))?;
                let info: ExchangeInfo = serde_json::from_slice(&text)
                    .map_err(|err| bad(format!("{}: {err}", path.display())))?;
                info.symbols
                    .iter()
                    .filter(|info| symbols.contains(&info.symbol))
                    .filter_map(spec_of)
                    .collect()
            }
            None => Vec::new(),
        };
        let reader = Reader::new(files.clone());
        Ok(Replay {
            symbols,
            specs,
            config,
            files,
            reader,
            trade_symbols,
            started_at: None,
            origin: None,
            latest: i64::MIN,
            pending: VecDeque::new(),
            playing: false,
            ids: HashMap::new(),
            applied: 0,
        })
    }

    /// The symbols the recording names (its streams' and snapshots'),
    /// upper case, sorted.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// The recorded symbols' real filters, from the `exchangeInfo` the
    /// recording kept (empty for a recording without one).
    pub fn specs(&self) -> &[SymbolSpec] {
        &self.specs
    }

    /// The configuration.
    pub fn config(&self) -> &ReplayConfig {
        &self.config
    }

    /// Starts the replay clock at `now_ms` (sandbox time), once.
    pub fn start(&mut self, now_ms: i64) {
        if self.started_at.is_none() {
            self.started_at = Some(now_ms);
        }
    }

    /// Whether the replay clock runs.
    pub fn is_started(&self) -> bool {
        self.started_at.is_some()
    }

    /// Events handed out so far.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The next event due at sandbox time `now_ms`, if any. Before the
    /// clock starts, only the recording's leading snapshots are due.
    pub fn next_due(&mut self, now_ms: i64) -> Option<ReplayEvent> {
        if self.pending.is_empty() {
            let mut next = self.read_next();
            if next.is_none() && self.config.looped && self.is_started() {
                self.restart(now_ms);
                next = self.read_next();
            }
            self.pending.push_back(next?);
        }
        let (at, event) = self.pending.front()?;
        let Some(started_at) = self.started_at else {
            let leading = !self.playing && matches!(event, ReplayEvent::Snapshot { .. });
            if !leading {
                self.playing = true;
                return None;
            }
            return self.take();
        };
        self.playing = true;
        let origin = *self.origin.get_or_insert(*at);
        let due = match self.config.speed {
            Speed::Max => true,
            Speed::Times(n) => {
                (at - origin)
                    <= now_ms
                        .saturating_sub(started_at)
                        .saturating_mul(i64::from(n))
            }
        };
        if due { self.take() } else { None }
    }

    /// Reads and parses up to `n` events ahead, so that the next
    /// [`Replay::next_due`] calls only hand them out: the stream feed
    /// calls this without holding the engine, which then stays free for
    /// requests while the recording is decoded. Stops at the end of a
    /// pass (a loop restarts in `next_due`, on its clock).
    pub fn prefetch(&mut self, n: usize) {
        while self.pending.len() < n {
            match self.read_next() {
                Some(next) => self.pending.push_back(next),
                None => break,
            }
        }
    }

    fn take(&mut self) -> Option<ReplayEvent> {
        let (_, mut event) = self.pending.pop_front()?;
        if let ReplayEvent::Trade { symbol, id, .. } = &mut event {
            let ids = self.ids.entry(symbol.clone()).or_default();
            ids.first.get_or_insert(*id);
            ids.last = ids.last.max(*id);
            *id += ids.offset;
        }
        self.applied += 1;
        Some(event)
    }

    /// From the beginning again, at `now_ms`: trade IDs carry on past the
    /// last pass's.
    fn restart(&mut self, now_ms: i64) {
        self.reader = Reader::new(self.files.clone());
        self.started_at = Some(now_ms);
        self.origin = None;
        self.latest = i64::MIN;
        for ids in self.ids.values_mut() {
            if let Some(first) = ids.first.take() {
                ids.offset += ids.last - first + 1;
            }
        }
    }

    /// The next record that means something to the market.
    fn read_next(&mut self) -> Option<(i64, ReplayEvent)> {
        loop {
            let record = self.reader.next_record()?;
            let at = record.at().max(self.latest);
            self.latest = at;
            let event = match record {
                Record::Frame { text, .. } => parse_frame(&text, &self.trade_symbols),
                Record::Snapshot { symbol, depth, .. } => Some(ReplayEvent::Snapshot {
                    symbol,
                    last_update_id: depth.last_update_id,
                    bids: depth.bids.iter().map(|l| (l.price(), l.qty())).collect(),
                    asks: depth.asks.iter().map(|l| (l.price(), l.qty())).collect(),
                }),
                _ => None,
            };
            if let Some(event) = event {
                return Some((at, event));
            }
        }
    }
}

/// The sandbox's rules for a recorded symbol: its `exchangeInfo` filters
/// (`PRICE_FILTER`, `LOT_SIZE`, `MARKET_LOT_SIZE`, `NOTIONAL` or
/// `MIN_NOTIONAL`) over the sandbox's own listing of it, else loose rules;
/// a limit Binance leaves at zero (no limit) stays loose. `None` for a name
/// with no known quote asset and no listing.
fn spec_of(info: &SymbolInfo) -> Option<SymbolSpec> {
    let mut spec = default_symbols()
        .into_iter()
        .find(|spec| spec.symbol == info.symbol)
        .or_else(|| recorded_spec(&info.symbol))?;
    let leak = |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
    spec.base = leak(&info.base_asset);
    spec.quote = leak(&info.quote_asset);
    let set = |slot: &mut Decimal, value: Decimal| {
        if !value.is_zero() {
            *slot = value;
        }
    };
    for filter in &info.filters {
        match filter {
            SymbolFilter::PriceFilter {
                min_price,
                max_price,
                tick_size,
            } => {
                set(&mut spec.min_price, *min_price);
                set(&mut spec.max_price, *max_price);
                set(&mut spec.tick_size, *tick_size);
            }
            SymbolFilter::LotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                set(&mut spec.min_qty, *min_qty);
                set(&mut spec.max_qty, *max_qty);
                set(&mut spec.step_size, *step_size);
            }
            SymbolFilter::MarketLotSize { max_qty, .. } => set(&mut spec.market_max_qty, *max_qty),
            SymbolFilter::MinNotional { min_notional, .. } => {
                set(&mut spec.min_notional, *min_notional);
            }
            SymbolFilter::Notional {
                min_notional,
                max_notional,
                ..
            } => {
                set(&mut spec.min_notional, *min_notional);
                set(&mut spec.max_notional, *max_notional);
            }
            _ => {}
        }
    }
    Some(spec)
}

/// The market's side of one recorded frame: a trade (`@trade`; `@aggTrade`
/// only for symbols with no `@trade` recorded) or a diff-depth event.
/// Anything else (tickers, klines, partial depth: the sandbox derives its
/// own) is `None`.
///
/// Decoded straight into a borrowed struct (no `serde_json::Value` tree):
/// this runs once per recorded frame and bounds a `--speed max` replay.
pub fn parse_frame(text: &str, trade_symbols: &HashSet<String>) -> Option<ReplayEvent> {
    let combined = text.trim_start().starts_with("{\"stream\"");
    let payload = if combined {
        serde_json::from_str::<Envelope<'_>>(text).ok()?.data
    } else {
        serde_json::from_str::<Payload<'_>>(text).ok()?
    };
    let symbol = payload.s.to_owned();
    let decimal = |text: Option<&str>| text?.parse::<Decimal>().ok();
    let trade = |id: u64| {
        Some(ReplayEvent::Trade {
            symbol: symbol.clone(),
            id,
            price: decimal(payload.p)?,
            qty: decimal(payload.q)?,
            is_buyer_maker: payload.m?,
        })
    };
    match payload.e {
        "trade" => trade(payload.t?),
        "aggTrade" if !trade_symbols.contains(&symbol) => match payload.a? {
            IdOrLevels::Id(id) => trade(id),
            IdOrLevels::Levels(_) => None,
        },
        "depthUpdate" => Some(ReplayEvent::Diff {
            first_update_id: payload.first?,
            final_update_id: payload.last?,
            bids: levels(payload.b?)?,
            asks: levels(payload.a?)?,
            symbol,
        }),
        _ => None,
    }
}

/// `{"stream":..,"data":..}`.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Payload<'a>,
}

/// The fields of a trade, aggregate trade or diff-depth event (the others
/// are ignored; an event of another kind whose fields have other types
/// fails to decode, which means `None` all the same).
#[derive(serde::Deserialize)]
struct Payload<'a> {
    e: &'a str,
    s: &'a str,
    t: Option<u64>,
    /// The aggregate trade ID, or the asks of a diff.
    #[serde(borrow, default)]
    a: Option<IdOrLevels<'a>>,
    /// The bids of a diff.
    #[serde(borrow, default)]
    b: Option<IdOrLevels<'a>>,
    p: Option<&'a str>,
    q: Option<&'a str>,
    m: Option<bool>,
    #[serde(rename = "U")]
    first: Option<u64>,
    #[serde(rename = "u")]
    last: Option<u64>,
}

/// `a` is a number in `aggTrade` and a list of levels in `depthUpdate`.
enum IdOrLevels<'a> {
    Id(u64),
    Levels(Vec<(&'a str, &'a str)>),
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for IdOrLevels<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = IdOrLevels<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an ID or a list of [price, quantity] levels")
            }

            fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<Self::Value, E> {
                Ok(IdOrLevels::Id(id))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut levels = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(level) = seq.next_element::<(&'de str, &'de str)>()? {
                    levels.push(level);
                }
                Ok(IdOrLevels::Levels(levels))
            }
        }
        deserializer.deserialize_any(Visit(std::marker::PhantomData))
    }
}

fn levels(side: IdOrLevels<'_>) -> Option<Vec<Level>> {
    let IdOrLevels::Levels(side) = side else {
        return None;
    };
    side.into_iter()
        .map(|(price, qty)| Some((price.parse().ok()?, qty.parse().ok()?)))
        .collect()
}

type Lines = BufReader<zstd::stream::read::Decoder<'static, BufReader<File>>>;

/// The records of the data files, one at a time; a damaged record or file
/// tail is logged and skipped.
struct Reader {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<(PathBuf, Lines)>,
    line: String,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("file", &self.current.as_ref().map(|(path, _)| path))
            .finish_non_exhaustive()
    }
}

impl Reader {
    fn new(files: Vec<PathBuf>) -> Reader {
        Reader {
            files: files.into_iter(),
            current: None,
            line: String::new(),
        }
    }

    fn next_record(&mut self) -> Option<Record> {
        loop {
            let Some((path, lines)) = self.current.as_mut() else {
                let path = self.files.next()?;
                match File::open(&path).and_then(zstd::stream::read::Decoder::new) {
                    Ok(decoder) => self.current = Some((path, BufReader::new(decoder))),
                    Err(err) => warn(&path, &err),
                }
                continue;
            };
            self.line.clear();
            match lines.read_line(&mut self.line) {
                Ok(0) => self.current = None,
                Ok(_) if self.line.ends_with('\n') => match serde_json::from_str(&self.line) {
                    Ok(record) => return Some(record),
                    Err(err) => warn(path, &err),
                },
                Ok(_) => {
                    warn(path, &"the file ends in the middle of a record");
                    self.current = None;
                }
                Err(err) => {
                    warn(path, &err);
                    self.current = None;
                }
            }
        }
    }
}

fn warn(path: &Path, err: &dyn std::fmt::Display) {
    tracing::warn!(file = %path.display(), %err, "replay: skipped a damaged record");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn trades_and_diffs_are_read_from_raw_and_combined_frames() {
        let none = HashSet::new();
        let trade = r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":42,"p":"100.50","q":"0.002","T":1,"m":true,"M":true}}"#;
        assert_eq!(
            parse_frame(trade, &none),
            Some(ReplayEvent::Trade {
                symbol: "BTCUSDT".into(),
                id: 42,
                price: d("100.50"),
                qty: d("0.002"),
                is_buyer_maker: true
            })
        );
        let diff = r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":7,"b":[["100","0"]],"a":[["101","2.5"]]}"#;
        assert_eq!(
            parse_frame(diff, &none),
            Some(ReplayEvent::Diff {
                symbol: "BTCUSDT".into(),
                first_update_id: 5,
                final_update_id: 7,
                bids: vec![(d("100"), d("0"))],
                asks: vec![(d("101"), d("2.5"))]
            })
        );
        // aggTrade counts only when the symbol's @trade was not recorded.
        let agg = r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":9,"p":"1","q":"2","f":1,"l":1,"T":1,"m":false,"M":true}"#;
        assert!(matches!(
            parse_frame(agg, &none),
            Some(ReplayEvent::Trade { id: 9, .. })
        ));
        let with_trades = HashSet::from(["BTCUSDT".to_owned()]);
        assert_eq!(parse_frame(agg, &with_trades), None);
        assert_eq!(
            parse_frame(r#"{"e":"24hrTicker","s":"BTCUSDT"}"#, &none),
            None
        );
        // Other events use `a` and `b` for prices: not the market's.
        let ticker = r#"{"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1,"s":"BTCUSDT","b":"1.0","a":"1.1","p":"0.1","q":"5"}}"#;
        assert_eq!(parse_frame(ticker, &none), None);
        // A combined diff, `data` decoded the same way.
        let combined = format!(r#"{{"stream":"btcusdt@depth","data":{diff}}}"#);
        assert!(matches!(
            parse_frame(&combined, &none),
            Some(ReplayEvent::Diff {
                final_update_id: 7,
                ..
            })
        ));
        assert_eq!(parse_frame("not json", &none), None);
    }

    /// A recording of a snapshot and two trades, written as `mbx record`
    /// writes it.
    fn recording(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mbx-sandbox-replay-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let trade = |id: u64, at: i64| {
            let text = format!(
                r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":1,"s":"BTCUSDT","t":{id},"p":"100","q":"1","T":1,"m":true,"M":true}}}}"#
            );
            serde_json::json!({"kind": "frame", "at": at, "text": text}).to_string()
        };
        let lines = [
            r#"{"kind":"connected","at":1000,"connection":0}"#.to_owned(),
            r#"{"kind":"snapshot","at":1000,"symbol":"BTCUSDT","depth":{"lastUpdateId":5,"bids":[["99","1"]],"asks":[["101","1"]]}}"#.to_owned(),
            trade(1, 1000),
            trade(2, 3000),
        ];
        let text = lines.join("\n") + "\n";
        let compressed = zstd::encode_all(text.as_bytes(), 3).unwrap();
        std::fs::write(dir.join("0000-19700101T00.ndjson.zst"), compressed).unwrap();
        let mut manifest = Manifest::new(
            "ws://127.0.0.1:1".into(),
            vec!["btcusdt@trade".into()],
            vec!["BTCUSDT".into()],
            1000,
        );
        manifest.files.push(mbx_domain::recording::FileEntry {
            name: "0000-19700101T00.ndjson.zst".into(),
            first_at: 1000,
            last_at: 3000,
            records: 4,
        });
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec(&manifest).unwrap()).unwrap();
        dir
    }

    fn trade_id(event: Option<ReplayEvent>) -> Option<u64> {
        match event? {
            ReplayEvent::Trade { id, .. } => Some(id),
            _ => None,
        }
    }

    #[test]
    fn the_clock_waits_for_its_start_and_runs_at_the_asked_speed() {
        let dir = recording("speed");
        let config = ReplayConfig {
            dir: dir.clone(),
            speed: Speed::Times(2),
            looped: false,
            start_now: false,
        };
        let mut replay = Replay::open(config).unwrap();
        // Before the start only the leading snapshot is due.
        assert!(matches!(
            replay.next_due(0),
            Some(ReplayEvent::Snapshot { .. })
        ));
        assert_eq!(replay.next_due(1_000_000), None);
        replay.start(50_000);
        assert_eq!(trade_id(replay.next_due(50_000)), Some(1));
        // The second trade is 2 s later in the recording: 1 s at speed 2.
        assert_eq!(replay.next_due(50_999), None);
        assert_eq!(trade_id(replay.next_due(51_000)), Some(2));
        assert_eq!(replay.next_due(99_000), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_loop_plays_again_with_trade_ids_carrying_on() {
        let dir = recording("loop");
        let config = ReplayConfig {
            dir: dir.clone(),
            speed: Speed::Max,
            looped: true,
            start_now: true,
        };
        let mut replay = Replay::open(config).unwrap();
        replay.start(0);
        let ids: Vec<Option<u64>> = (0..6).map(|_| trade_id(replay.next_due(0))).collect();
        assert_eq!(ids, [None, Some(1), Some(2), None, Some(3), Some(4)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn speeds() {
        assert_eq!("1".parse(), Ok(Speed::Times(1)));
        assert_eq!("10".parse(), Ok(Speed::Times(10)));
        assert_eq!("max".parse(), Ok(Speed::Max));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }
}
