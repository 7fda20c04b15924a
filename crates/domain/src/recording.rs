//! The recording format shared by the recorder (`mbx record`), the offline
//! reader (`mbx replay`) and the sandbox's replay (`mbx sandbox --replay`).
//!
//! A recording is a directory: [`MANIFEST`] (JSON, a [`Manifest`]) and one
//! file per hour of receive time, each a zstd-compressed NDJSON of
//! [`Record`]s in the order they happened. Frames are kept byte for byte
//! as Binance sent them (an escaped JSON string), so a replay decodes them
//! with the same code as a live connection. The types are plain serde; the
//! crates that read and write files bring their own JSON and zstd, so this
//! crate stays without I/O.

use serde::{Deserialize, Serialize};

use crate::model::Depth;

/// The manifest's file name inside a recording directory.
pub const MANIFEST: &str = "manifest.json";
/// What [`Manifest::format`] says.
pub const FORMAT: &str = "mbx-recording";
/// The current [`Manifest::version`].
pub const VERSION: u32 = 1;
/// The end of every data file's name.
pub const DATA_SUFFIX: &str = ".ndjson.zst";
/// The file, inside a recording directory, holding the answer of
/// `GET /api/v3/exchangeInfo` for the recorded symbols (an
/// [`crate::model::ExchangeInfo`] as JSON), taken when recording started;
/// named by [`Manifest::exchange_info`].
pub const EXCHANGE_INFO: &str = "exchange-info.json";
/// A data file covers at most this much receive time (one hour).
pub const FILE_SPAN_MS: i64 = 3_600_000;

/// One line of a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Record {
    /// A market-stream frame exactly as received.
    Frame {
        /// Local receive time, milliseconds since the epoch.
        at: i64,
        /// The frame's text, byte for byte (with the `{"stream":..,"data":..}`
        /// envelope on combined connections).
        text: String,
    },
    /// A REST depth snapshot (`GET /api/v3/depth`), taken at the start and
    /// after every reconnect, so a replay can rebuild the book from it and
    /// the diffs that follow.
    Snapshot {
        /// Local time the answer arrived, milliseconds since the epoch.
        at: i64,
        /// The symbol, as Binance spells it (`BTCUSDT`).
        symbol: String,
        /// The snapshot.
        depth: Depth,
    },
    /// A connection dropped: frames are missing from here until the next
    /// [`Record::Connected`] of the same connection.
    Disconnected {
        /// Local time, milliseconds since the epoch.
        at: i64,
        /// The connection's index.
        connection: usize,
        /// Why.
        reason: String,
    },
    /// A connection is up (the first time, or again after a drop).
    Connected {
        /// Local time, milliseconds since the epoch.
        at: i64,
        /// The connection's index.
        connection: usize,
    },
}

impl Record {
    /// When it happened (local clock, milliseconds since the epoch).
    pub fn at(&self) -> i64 {
        match self {
            Record::Frame { at, .. }
            | Record::Snapshot { at, .. }
            | Record::Disconnected { at, .. }
            | Record::Connected { at, .. } => *at,
        }
    }
}

/// What a recording holds, kept current while it is written (at every new
/// file, gap and summary) and finalised when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version ([`VERSION`]).
    pub version: u32,
    /// The WebSocket Streams base URL recorded from.
    pub host: String,
    /// The streams asked for.
    pub streams: Vec<String>,
    /// The symbols whose depth snapshots are recorded.
    pub snapshot_symbols: Vec<String>,
    /// When recording started (local clock, ms since the epoch).
    pub started_at: i64,
    /// When it ended; `None` while running (or if the recorder was killed).
    pub ended_at: Option<i64>,
    /// The data files, oldest first.
    pub files: Vec<FileEntry>,
    /// Frames recorded.
    pub frames: u64,
    /// Compressed bytes written (closed files, plus what the open one
    /// had when the manifest was written).
    pub bytes: u64,
    /// Reconnects (connections that dropped and came back).
    pub reconnects: u64,
    /// Every interval in which a connection was down.
    pub gaps: Vec<Gap>,
    /// The file holding the recorded symbols' `exchangeInfo` (their real
    /// filters), normally [`EXCHANGE_INFO`]; `None` when the request failed
    /// or in recordings made before it was recorded (the field is then
    /// absent, and such recordings still read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_info: Option<String>,
}

impl Manifest {
    /// A new manifest for a recording starting at `started_at`.
    pub fn new(
        host: String,
        streams: Vec<String>,
        snapshot_symbols: Vec<String>,
        started_at: i64,
    ) -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            host,
            streams,
            snapshot_symbols,
            started_at,
            ended_at: None,
            files: Vec::new(),
            frames: 0,
            bytes: 0,
            reconnects: 0,
            gaps: Vec::new(),
            exchange_info: None,
        }
    }
}

/// One data file of a recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileEntry {
    /// Its name inside the directory.
    pub name: String,
    /// The receive time of its first record.
    pub first_at: i64,
    /// The receive time of its last record so far.
    pub last_at: i64,
    /// Records in it.
    pub records: u64,
}

/// An interval with a connection down: frames of its streams are missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// The connection's index.
    pub connection: usize,
    /// When it dropped.
    pub from: i64,
    /// When it was up again; `None` if the recording ended first.
    pub to: Option<i64>,
    /// Why it dropped.
    pub reason: String,
}

/// The symbols of `streams` whose depth snapshots a recording takes: those
/// of the depth streams (`btcusdt@depth`, `@depth@100ms`, `@depth5`…), or
/// every symbol when no depth stream is asked for; upper case, sorted, once
/// each. All-market streams (`!ticker@arr`) name no symbol.
pub fn snapshot_symbols(streams: &[String]) -> Vec<String> {
    fn symbol_of(name: &str) -> Option<(String, &str)> {
        let (symbol, kind) = name.split_once('@')?;
        (!symbol.is_empty() && !symbol.starts_with('!')).then(|| (symbol.to_uppercase(), kind))
    }
    let depth: Vec<String> = streams
        .iter()
        .filter_map(|name| symbol_of(name))
        .filter(|(_, kind)| kind.starts_with("depth"))
        .map(|(symbol, _)| symbol)
        .collect();
    let mut symbols = if depth.is_empty() {
        streams
            .iter()
            .filter_map(|name| symbol_of(name))
            .map(|(symbol, _)| symbol)
            .collect()
    } else {
        depth
    };
    symbols.sort();
    symbols.dedup();
    symbols
}

/// Every symbol `streams` names (not the all-market `!...` streams), upper
/// case, sorted, once each: whose `exchangeInfo` a recording keeps.
pub fn stream_symbols(streams: &[String]) -> Vec<String> {
    let mut symbols: Vec<String> = streams
        .iter()
        .filter_map(|name| name.split_once('@'))
        .map(|(symbol, _)| symbol)
        .filter(|symbol| !symbol.is_empty() && !symbol.starts_with('!'))
        .map(str::to_uppercase)
        .collect();
    symbols.sort();
    symbols.dedup();
    symbols
}

/// The name of the `sequence`-th data file (from 0), whose first record was
/// received at `at` (ms since the epoch): `0000-20260101T13.ndjson.zst`
/// (UTC hour), so names sort in recording order.
pub fn data_file_name(sequence: u32, at: i64) -> String {
    let days = at.div_euclid(86_400_000);
    let hour = at.rem_euclid(86_400_000) / 3_600_000;
    let (year, month, day) = civil_from_days(days);
    format!("{sequence:04}-{year:04}{month:02}{day:02}T{hour:02}{DATA_SUFFIX}")
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_utc_hour_and_sort_in_order() {
        // 2026-12-04T16:05:42Z
        assert_eq!(
            data_file_name(3, 1_796_400_342_000),
            "0003-20261204T16.ndjson.zst"
        );
        assert_eq!(data_file_name(0, 0), "0000-19700101T00.ndjson.zst");
        assert_eq!(
            data_file_name(12, 951_782_400_000),
            "0012-20000229T00.ndjson.zst"
        );
    }

    #[test]
    fn a_manifest_without_exchange_info_still_reads_and_the_symbols_of_streams() {
        let mut manifest = Manifest::new("ws://h".into(), vec!["btcusdt@trade".into()], vec![], 1);
        let mut value = serde_json::to_value(&manifest).unwrap();
        // Written before the field existed: absent, not null.
        assert!(value.get("exchangeInfo").is_none(), "{value}");
        value.as_object_mut().unwrap().remove("exchangeInfo");
        let read: Manifest = serde_json::from_value(value).unwrap();
        assert_eq!(read.exchange_info, None);
        manifest.exchange_info = Some(EXCHANGE_INFO.to_owned());
        let value = serde_json::to_value(&manifest).unwrap();
        assert_eq!(value["exchangeInfo"], EXCHANGE_INFO);
        let names = [
            "ethusdt@depth",
            "btcusdt@trade",
            "!ticker@arr",
            "btcusdt@kline_1m",
        ];
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(stream_symbols(&names), ["BTCUSDT", "ETHUSDT"]);
    }

    #[test]
    fn snapshots_follow_the_depth_streams_else_every_symbol() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            snapshot_symbols(&names(&[
                "btcusdt@trade",
                "ethusdt@depth@100ms",
                "ethusdt@depth5",
                "!ticker@arr"
            ])),
            ["ETHUSDT"]
        );
        assert_eq!(
            snapshot_symbols(&names(&[
                "ethusdt@trade",
                "btcusdt@aggTrade",
                "!ticker@arr"
            ])),
            ["BTCUSDT", "ETHUSDT"]
        );
    }

    #[test]
    fn records_are_tagged_by_kind_and_round_trip() {
        let record = Record::Frame {
            at: 5,
            text: r#"{"stream":"btcusdt@trade","data":{"e":"trade","p":"1.10"}}"#.to_owned(),
        };
        let text = serde_json::to_string(&record).unwrap();
        assert!(
            text.starts_with(r#"{"kind":"frame","at":5,"text":"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
        let snapshot: Record = serde_json::from_str(
            r#"{"kind":"snapshot","at":7,"symbol":"BTCUSDT","depth":{"lastUpdateId":9,"bids":[["1.10","2"]],"asks":[]}}"#,
        )
        .unwrap();
        let Record::Snapshot { depth, .. } = &snapshot else {
            panic!("not a snapshot: {snapshot:?}");
        };
        assert_eq!(
            (depth.last_update_id, depth.bids[0].price().to_string()),
            (9, "1.10".to_owned())
        );
        assert_eq!(snapshot.at(), 7);
    }
}
