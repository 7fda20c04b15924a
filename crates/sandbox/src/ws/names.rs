//! Stream names, as web-socket-streams.md spells them.
//!
//! A name is `<symbol>@<type>` with a lowercase symbol, or an all-market
//! `!<type>@arr`. A well-formed name for a symbol the sandbox does not list
//! is accepted and simply never delivers anything (as on Binance); a name
//! that is not well-formed is "invalid stream". `!ticker@arr` was retired on
//! 2026-03-26 (CHANGELOG 2026-02-24) and `!bookTicker` in 2022: both are
//! invalid streams here. `<symbol>@blockTrade` is a valid name that never
//! delivers: the sandbox's market prints no block trades.

use crate::stats::Interval;

/// What a stream delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamName {
    /// `<symbol>@trade`.
    Trade,
    /// `<symbol>@aggTrade`.
    AggTrade,
    /// `<symbol>@kline_<interval>[@+08:00]`.
    Kline {
        /// The interval.
        interval: Interval,
        /// Time zone offset in ms (0 or 8 h).
        tz_ms: i64,
    },
    /// `<symbol>@depth<levels>[@100ms]`.
    PartialDepth {
        /// 5, 10 or 20.
        levels: usize,
        /// Every 100 ms instead of every second.
        fast: bool,
    },
    /// `<symbol>@depth[@100ms]`.
    DiffDepth {
        /// Every 100 ms instead of every second.
        fast: bool,
    },
    /// `<symbol>@bookTicker`.
    BookTicker,
    /// `<symbol>@ticker`.
    Ticker,
    /// `<symbol>@miniTicker`.
    MiniTicker,
    /// `<symbol>@avgPrice`.
    AvgPrice,
    /// `<symbol>@referencePrice`, every second.
    ReferencePrice,
    /// `<symbol>@blockTrade` (never delivers in the sandbox).
    BlockTrade,
    /// `<symbol>@ticker_<1h|4h|1d>`.
    RollingTicker {
        /// Window length in ms.
        window_ms: i64,
    },
    /// `!miniTicker@arr`.
    AllMiniTickers,
    /// `!ticker_<1h|4h|1d>@arr`.
    AllRollingTickers {
        /// Window length in ms.
        window_ms: i64,
    },
}

/// Parses a stream name into its symbol (lowercase as sent, empty for
/// all-market streams) and kind; `None` for an invalid stream.
pub fn parse_stream(name: &str) -> Option<(&str, StreamName)> {
    if let Some(rest) = name.strip_prefix('!') {
        let kind = match rest {
            "miniTicker@arr" => StreamName::AllMiniTickers,
            _ => {
                let window = rest.strip_prefix("ticker_")?.strip_suffix("@arr")?;
                StreamName::AllRollingTickers {
                    window_ms: window_ms(window)?,
                }
            }
        };
        return Some(("", kind));
    }
    let (symbol, kind) = name.split_once('@')?;
    // A lowercase symbol: the symbol's pattern with `A`-`Z` where `a`-`z`
    // were excluded (a Unicode symbol like `这是测试币456` has no case).
    let symbol_ok = crate::params::is_legal_symbol(&symbol.to_ascii_uppercase())
        && !symbol.bytes().any(|b| b.is_ascii_uppercase());
    if !symbol_ok {
        return None;
    }
    let kind = match kind {
        "trade" => StreamName::Trade,
        "aggTrade" => StreamName::AggTrade,
        "bookTicker" => StreamName::BookTicker,
        "ticker" => StreamName::Ticker,
        "miniTicker" => StreamName::MiniTicker,
        "avgPrice" => StreamName::AvgPrice,
        "referencePrice" => StreamName::ReferencePrice,
        "blockTrade" => StreamName::BlockTrade,
        "depth" => StreamName::DiffDepth { fast: false },
        "depth@100ms" => StreamName::DiffDepth { fast: true },
        other => {
            if let Some(kline) = other.strip_prefix("kline_") {
                let (interval, tz_ms) = match kline.strip_suffix("@+08:00") {
                    Some(interval) => (interval, 8 * 3_600_000),
                    None => (kline, 0),
                };
                StreamName::Kline {
                    interval: Interval::parse(interval).ok()?,
                    tz_ms,
                }
            } else if let Some(window) = other.strip_prefix("ticker_") {
                StreamName::RollingTicker {
                    window_ms: window_ms(window)?,
                }
            } else if let Some(depth) = other.strip_prefix("depth") {
                let (levels, fast) = match depth.strip_suffix("@100ms") {
                    Some(levels) => (levels, true),
                    None => (depth, false),
                };
                let levels = match levels {
                    "5" => 5,
                    "10" => 10,
                    "20" => 20,
                    _ => return None,
                };
                StreamName::PartialDepth { levels, fast }
            } else {
                return None;
            }
        }
    };
    Some((symbol, kind))
}

/// The interval text of a kline stream name (`btcusdt@kline_1m@+08:00` → `1m`).
pub(crate) fn kline_interval_text(name: &str) -> &str {
    let kind = name.split_once("@kline_").map_or("", |(_, kind)| kind);
    kind.strip_suffix("@+08:00").unwrap_or(kind)
}

fn window_ms(text: &str) -> Option<i64> {
    match text {
        "1h" => Some(3_600_000),
        "4h" => Some(4 * 3_600_000),
        "1d" => Some(86_400_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_names_parse() {
        for name in [
            "btcusdt@trade",
            "bnbbtc@aggTrade",
            "btcusdt@kline_1m",
            "btcusdt@kline_1M@+08:00",
            "btcusdt@depth5",
            "btcusdt@depth20@100ms",
            "btcusdt@depth",
            "btcusdt@depth@100ms",
            "btcusdt@bookTicker",
            "btcusdt@ticker",
            "btcusdt@ticker_4h",
            "btcusdt@miniTicker",
            "btcusdt@avgPrice",
            "btcusdt@referencePrice",
            "bnbbtc@blockTrade",
            "!miniTicker@arr",
            "!ticker_1d@arr",
            "xyzxyz@trade",
            "这是测试币456@trade",
            "这是测试币456@depth@100ms",
        ] {
            assert!(parse_stream(name).is_some(), "{name}");
        }
    }

    #[test]
    fn retired_and_malformed_names_are_invalid() {
        for name in [
            "!ticker@arr",
            "!bookTicker",
            "BTCUSDT@trade",
            "btcusdt@depth15",
            "btcusdt@kline_2s",
            "btcusdt",
            "@trade",
            "btcusdt@trades",
        ] {
            assert!(parse_stream(name).is_none(), "{name}");
        }
    }

    #[test]
    fn kline_interval_text_is_the_interval() {
        assert_eq!(kline_interval_text("btcusdt@kline_1m@+08:00"), "1m");
        assert_eq!(kline_interval_text("btcusdt@kline_1w"), "1w");
    }
}
