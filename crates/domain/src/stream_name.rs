//! Market stream names as web-socket-streams.md spells them: parsed into
//! their kind (with the documented update interval), checked, and, when
//! wrong, the nearest valid name.
//!
//! A name is `<symbol>@<type>` with a lowercase symbol, or an all-market
//! `!<type>@arr`. Binance accepts a well-formed name it cannot serve and
//! then stays silent for ever, so a client checks names before connecting:
//! [`parse`] checks the shape here, and the use-case
//! (`mbx_client::market_feed::check_streams`) checks the symbol against
//! `exchangeInfo`. `!ticker@arr` was retired on 2026-03-26 (CHANGELOG
//! 2026-02-24) and `!bookTicker` in 2022: both are refused.

use std::fmt;
use std::time::Duration;

mod documented;

pub use documented::DOCUMENTED;

/// The kline intervals of the docs.
pub const KLINE_INTERVALS: [&str; 16] = [
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
    "1M",
];

/// The rolling-window sizes of the docs.
pub const WINDOWS: [&str; 3] = ["1h", "4h", "1d"];

/// What a stream delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamKind {
    /// `<symbol>@trade`.
    Trade,
    /// `<symbol>@aggTrade`.
    AggTrade,
    /// `<symbol>@blockTrade`.
    BlockTrade,
    /// `<symbol>@kline_<interval>[@+08:00]`.
    Kline {
        /// E.g. `1m`.
        interval: String,
        /// With the `@+08:00` time-zone suffix.
        utc8: bool,
    },
    /// `<symbol>@miniTicker`.
    MiniTicker,
    /// `!miniTicker@arr`.
    AllMiniTickers,
    /// `<symbol>@ticker`.
    Ticker,
    /// `<symbol>@ticker_<window>`.
    RollingTicker {
        /// `1h`, `4h` or `1d`.
        window: String,
    },
    /// `!ticker_<window>@arr`.
    AllRollingTickers {
        /// `1h`, `4h` or `1d`.
        window: String,
    },
    /// `<symbol>@bookTicker`.
    BookTicker,
    /// `<symbol>@avgPrice`.
    AvgPrice,
    /// `<symbol>@referencePrice`.
    ReferencePrice,
    /// `<symbol>@depth<levels>[@100ms]`.
    PartialDepth {
        /// 5, 10 or 20.
        levels: u8,
        /// Every 100 ms rather than every second.
        fast: bool,
    },
    /// `<symbol>@depth[@100ms]`.
    DiffDepth {
        /// Every 100 ms rather than every second.
        fast: bool,
    },
}

impl StreamKind {
    /// The documented "Update Speed"; `None` for real-time streams, which
    /// are as quiet as the market.
    pub fn update_interval(&self) -> Option<Duration> {
        let ms = match self {
            StreamKind::Trade
            | StreamKind::AggTrade
            | StreamKind::BlockTrade
            | StreamKind::BookTicker => return None,
            StreamKind::Kline { interval, .. } if interval == "1s" => 1000,
            StreamKind::Kline { .. } => 2000,
            StreamKind::PartialDepth { fast: true, .. } | StreamKind::DiffDepth { fast: true } => {
                100
            }
            _ => 1000,
        };
        Some(Duration::from_millis(ms))
    }
}

/// A parsed stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamName {
    /// The symbol as written (lowercase), `None` for all-market streams.
    pub symbol: Option<String>,
    /// What it delivers.
    pub kind: StreamKind,
}

/// Why a name is not a valid stream name, and the nearest one that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// The name as given.
    pub name: String,
    /// What is wrong.
    pub reason: String,
    /// The nearest valid name, when one is close.
    pub suggestion: Option<String>,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a stream: {}", self.name, self.reason)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean `{suggestion}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for NameError {}

/// Every documented type of a symbol stream, the part after `@`.
pub fn symbol_stream_types() -> Vec<String> {
    let mut types: Vec<String> = [
        "trade",
        "aggTrade",
        "blockTrade",
        "miniTicker",
        "ticker",
        "bookTicker",
        "avgPrice",
        "referencePrice",
        "depth",
        "depth@100ms",
    ]
    .iter()
    .map(|kind| (*kind).to_owned())
    .collect();
    for interval in KLINE_INTERVALS {
        types.push(format!("kline_{interval}"));
        types.push(format!("kline_{interval}@+08:00"));
    }
    for window in WINDOWS {
        types.push(format!("ticker_{window}"));
    }
    for levels in ["5", "10", "20"] {
        types.push(format!("depth{levels}"));
        types.push(format!("depth{levels}@100ms"));
    }
    types
}

/// Every documented all-market stream name.
pub fn all_market_streams() -> Vec<String> {
    let mut names = vec!["!miniTicker@arr".to_owned()];
    names.extend(WINDOWS.iter().map(|window| format!("!ticker_{window}@arr")));
    names
}

/// The concrete names of a [`DOCUMENTED`] pattern for `symbol` (lowercase):
/// every kline interval for `<interval>`, every window for
/// `<window_size>`, 5, 10 and 20 for `<levels>`.
///
/// ```
/// use mbx_domain::stream_name::expand;
///
/// assert_eq!(expand("<symbol>@depth<levels>@100ms", "btcusdt"),
///     ["btcusdt@depth5@100ms", "btcusdt@depth10@100ms", "btcusdt@depth20@100ms"]);
/// ```
pub fn expand(pattern: &str, symbol: &str) -> Vec<String> {
    let mut names = vec![pattern.replace("<symbol>", symbol)];
    let placeholders: [(&str, &[&str]); 4] = [
        ("<interval>", &KLINE_INTERVALS),
        ("<window_size>", &WINDOWS),
        ("<window-size>", &WINDOWS),
        ("<levels>", &["5", "10", "20"]),
    ];
    for (placeholder, values) in placeholders {
        names = names
            .into_iter()
            .flat_map(|name| {
                if name.contains(placeholder) {
                    values
                        .iter()
                        .map(|value| name.replace(placeholder, value))
                        .collect()
                } else {
                    vec![name]
                }
            })
            .collect();
    }
    names
}

/// Parses and checks the shape of a stream name (not whether its symbol is
/// listed).
///
/// ```
/// use mbx_domain::stream_name::{parse, StreamKind};
///
/// assert_eq!(parse("btcusdt@kline_1m@+08:00").unwrap().kind,
///     StreamKind::Kline { interval: "1m".into(), utc8: true });
/// let err = parse("btcusdt@aggtrade").unwrap_err();
/// assert_eq!(err.suggestion.as_deref(), Some("btcusdt@aggTrade"));
/// ```
pub fn parse(name: &str) -> Result<StreamName, NameError> {
    let error = |reason: &str, suggestion: Option<String>| NameError {
        name: name.to_owned(),
        reason: reason.to_owned(),
        suggestion,
    };
    if name.starts_with('!') {
        let all = all_market_streams();
        if all.iter().any(|known| known == name) {
            let rest = &name[1..name.len() - "@arr".len()];
            let kind = match rest.strip_prefix("ticker_") {
                Some(window) => StreamKind::AllRollingTickers {
                    window: window.to_owned(),
                },
                None => StreamKind::AllMiniTickers,
            };
            return Ok(StreamName { symbol: None, kind });
        }
        return Err(error(
            "unknown all-market stream (`!ticker@arr` and `!bookTicker` were retired)",
            nearest(name, all.iter().map(String::as_str)),
        ));
    }
    let Some((symbol, kind)) = name.split_once('@') else {
        return Err(error(
            "a stream name is `<symbol>@<type>`, e.g. `btcusdt@trade`",
            None,
        ));
    };
    if symbol.is_empty() {
        return Err(error("the symbol is missing", None));
    }
    let types = symbol_stream_types();
    let lower = symbol.to_lowercase();
    let kind_ok = types.iter().any(|known| known == kind);
    let fixed_kind = if kind_ok {
        Some(kind.to_owned())
    } else {
        nearest(kind, types.iter().map(String::as_str))
    };
    if symbol != lower {
        let suggestion = fixed_kind.map(|kind| format!("{lower}@{kind}"));
        return Err(error("symbols in stream names are lowercase", suggestion));
    }
    if !kind_ok {
        return Err(error(
            &format!("unknown stream type `{kind}`"),
            fixed_kind.map(|kind| format!("{symbol}@{kind}")),
        ));
    }
    Ok(StreamName {
        symbol: Some(symbol.to_owned()),
        kind: kind_of(kind),
    })
}

/// The kind of a type known to be in [`symbol_stream_types`].
fn kind_of(kind: &str) -> StreamKind {
    match kind {
        "trade" => StreamKind::Trade,
        "aggTrade" => StreamKind::AggTrade,
        "blockTrade" => StreamKind::BlockTrade,
        "miniTicker" => StreamKind::MiniTicker,
        "ticker" => StreamKind::Ticker,
        "bookTicker" => StreamKind::BookTicker,
        "avgPrice" => StreamKind::AvgPrice,
        "referencePrice" => StreamKind::ReferencePrice,
        "depth" => StreamKind::DiffDepth { fast: false },
        "depth@100ms" => StreamKind::DiffDepth { fast: true },
        other => {
            if let Some(kline) = other.strip_prefix("kline_") {
                let (interval, utc8) = match kline.strip_suffix("@+08:00") {
                    Some(interval) => (interval, true),
                    None => (kline, false),
                };
                StreamKind::Kline {
                    interval: interval.to_owned(),
                    utc8,
                }
            } else if let Some(window) = other.strip_prefix("ticker_") {
                StreamKind::RollingTicker {
                    window: window.to_owned(),
                }
            } else {
                let depth = other.trim_start_matches("depth");
                let (levels, fast) = match depth.strip_suffix("@100ms") {
                    Some(levels) => (levels, true),
                    None => (depth, false),
                };
                StreamKind::PartialDepth {
                    levels: levels.parse().unwrap_or(0),
                    fast,
                }
            }
        }
    }
}

/// The candidate closest to `wrong`: equal ignoring case first, else the
/// smallest edit distance, if at most a third of the name.
pub fn nearest<'a>(
    wrong: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
) -> Option<String> {
    if let Some(same) = candidates
        .clone()
        .find(|candidate| candidate.eq_ignore_ascii_case(wrong))
    {
        return Some(same.to_owned());
    }
    let wrong_lower = wrong.to_lowercase();
    candidates
        .map(|candidate| (distance(&wrong_lower, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= wrong.chars().count().div_ceil(3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            previous = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_shape_parses() {
        for kind in symbol_stream_types() {
            let name = format!("btcusdt@{kind}");
            assert!(parse(&name).is_ok(), "{name}");
        }
        for name in all_market_streams() {
            assert!(parse(&name).is_ok(), "{name}");
        }
        assert!(parse("这是测试币456@depth@100ms").is_ok());
        assert_eq!(
            parse("btcusdt@depth10@100ms").unwrap().kind,
            StreamKind::PartialDepth {
                levels: 10,
                fast: true
            }
        );
    }

    #[test]
    fn the_documented_names_and_the_parser_agree() {
        let mut documented: Vec<String> = DOCUMENTED
            .iter()
            .flat_map(|(_, pattern)| expand(pattern, "btcusdt"))
            .collect();
        for name in &documented {
            assert!(parse(name).is_ok(), "{name}");
            assert!(!name.contains('<'), "a placeholder left in {name}");
        }
        let mut known: Vec<String> = symbol_stream_types()
            .iter()
            .map(|kind| format!("btcusdt@{kind}"))
            .chain(all_market_streams())
            .collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known);
    }

    #[test]
    fn typos_get_the_nearest_valid_name() {
        let suggestion = |name: &str| parse(name).unwrap_err().suggestion;
        assert_eq!(
            suggestion("btcusdt@aggtrade").as_deref(),
            Some("btcusdt@aggTrade")
        );
        assert_eq!(
            suggestion("BTCUSDT@aggTrade").as_deref(),
            Some("btcusdt@aggTrade")
        );
        assert_eq!(
            suggestion("btcusdt@bookticker").as_deref(),
            Some("btcusdt@bookTicker")
        );
        assert_eq!(
            suggestion("btcusdt@trades").as_deref(),
            Some("btcusdt@trade")
        );
        assert_eq!(
            suggestion("btcusdt@kline_1m@+8:00").as_deref(),
            Some("btcusdt@kline_1m@+08:00")
        );
        assert_eq!(
            suggestion("!miniticker@arr").as_deref(),
            Some("!miniTicker@arr")
        );
        assert!(parse("!ticker@arr").is_err());
        assert!(parse("!bookTicker").is_err());
        assert_eq!(suggestion("btcusdt@orderbook"), None);
        assert!(parse("btcusdt").is_err());
        assert!(parse("@trade").is_err());
    }

    #[test]
    fn intervals_follow_the_docs() {
        let every = |name: &str| parse(name).unwrap().kind.update_interval();
        assert_eq!(every("btcusdt@trade"), None);
        assert_eq!(
            every("btcusdt@depth@100ms"),
            Some(Duration::from_millis(100))
        );
        assert_eq!(every("btcusdt@kline_1s"), Some(Duration::from_secs(1)));
        assert_eq!(every("btcusdt@kline_1h"), Some(Duration::from_secs(2)));
        assert_eq!(every("!ticker_4h@arr"), Some(Duration::from_secs(1)));
    }
}
