//! Klines and ticker statistics computed from the public trades.

use rust_decimal::Decimal;

use crate::error::ApiError;
use crate::market::Trade;

const DAY_MS: i64 = 86_400_000;

/// A kline interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A fixed length in ms (`1s` … `1w`).
    Fixed(i64),
    /// A calendar month (`1M`).
    Month,
}

impl Interval {
    /// Reads `interval`: `-1120` "Invalid interval." otherwise.
    pub fn parse(text: &str) -> Result<Interval, ApiError> {
        let ms = match text {
            "1s" => 1_000,
            "1m" => 60_000,
            "3m" => 180_000,
            "5m" => 300_000,
            "15m" => 900_000,
            "30m" => 1_800_000,
            "1h" => 3_600_000,
            "2h" => 7_200_000,
            "4h" => 14_400_000,
            "6h" => 21_600_000,
            "8h" => 28_800_000,
            "12h" => 43_200_000,
            "1d" => DAY_MS,
            "3d" => 3 * DAY_MS,
            "1w" => 7 * DAY_MS,
            "1M" => return Ok(Interval::Month),
            _ => return Err(ApiError::bad_request(-1120, "Invalid interval.")),
        };
        Ok(Interval::Fixed(ms))
    }

    /// The open time of the kline holding `time`, with a time zone offset.
    pub fn open_of(self, time: i64, tz_ms: i64) -> i64 {
        let local = time + tz_ms;
        let open = match self {
            // Weekly klines open on Monday; 1970-01-05 was a Monday.
            Interval::Fixed(len) if len == 7 * DAY_MS => {
                (local - 4 * DAY_MS).div_euclid(len) * len + 4 * DAY_MS
            }
            Interval::Fixed(len) => local.div_euclid(len) * len,
            Interval::Month => {
                let (year, month, _) = civil_from_days(local.div_euclid(DAY_MS));
                days_from_civil(year, month, 1) * DAY_MS
            }
        };
        open - tz_ms
    }

    /// The open time of the kline after the one opening at `open`.
    pub fn next_open(self, open: i64, tz_ms: i64) -> i64 {
        match self {
            Interval::Fixed(len) => open + len,
            Interval::Month => {
                let (year, month, _) = civil_from_days((open + tz_ms).div_euclid(DAY_MS));
                let (year, month) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                days_from_civil(year, month, 1) * DAY_MS - tz_ms
            }
        }
    }

    fn approx_len(self) -> i64 {
        match self {
            Interval::Fixed(len) => len,
            Interval::Month => 31 * DAY_MS,
        }
    }
}

/// Reads `timeZone` (`0`, `8`, `-5`, `+08:00`, `-01:30`) into ms; the range
/// is -12:00 to +14:00.
pub fn parse_time_zone(text: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::invalid_value("timeZone");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i64 = hours.parse().map_err(|_| bad())?;
    let minutes: i64 = minutes.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(bad());
    }
    let total = sign * (hours * 60 + minutes);
    if !(-12 * 60..=14 * 60).contains(&total) {
        return Err(bad());
    }
    Ok(total * 60_000)
}

/// One kline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    /// Open time (ms).
    pub open_time: i64,
    /// First price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Close time (ms, inclusive).
    pub close_time: i64,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub count: u64,
    /// Base volume bought by takers.
    pub taker_buy_base: Decimal,
    /// Quote volume bought by takers.
    pub taker_buy_quote: Decimal,
}

/// The klines of `trades` (sorted by time) between `start` and `end`
/// (inclusive): the first `limit` from `start` if given, else the last
/// `limit` up to `end`. Intervals without trades are left out.
pub fn klines(
    trades: &[Trade],
    interval: Interval,
    start: Option<i64>,
    end: i64,
    limit: usize,
    tz_ms: i64,
) -> Vec<Kline> {
    let lower = match start {
        Some(start) => interval.open_of(start, tz_ms),
        None => interval.open_of(end, tz_ms) - interval.approx_len() * (limit as i64 + 1),
    };
    let from = trades.partition_point(|t| t.time < lower);
    let to = trades.partition_point(|t| t.time <= end);
    let mut out: Vec<Kline> = Vec::new();
    for trade in trades.get(from..to).unwrap_or(&[]) {
        let open_time = interval.open_of(trade.time, tz_ms);
        if start.is_some_and(|start| open_time < start) {
            continue;
        }
        let taker_bought = !trade.is_buyer_maker;
        match out.last_mut() {
            Some(kline) if kline.open_time == open_time => {
                kline.high = kline.high.max(trade.price);
                kline.low = kline.low.min(trade.price);
                kline.close = trade.price;
                kline.volume += trade.qty;
                kline.quote_volume += trade.quote_qty;
                kline.count += 1;
                if taker_bought {
                    kline.taker_buy_base += trade.qty;
                    kline.taker_buy_quote += trade.quote_qty;
                }
            }
            _ => {
                if start.is_some() && out.len() == limit {
                    break;
                }
                out.push(Kline {
                    open_time,
                    open: trade.price,
                    high: trade.price,
                    low: trade.price,
                    close: trade.price,
                    volume: trade.qty,
                    close_time: interval.next_open(open_time, tz_ms) - 1,
                    quote_volume: trade.quote_qty,
                    count: 1,
                    taker_buy_base: if taker_bought {
                        trade.qty
                    } else {
                        Decimal::ZERO
                    },
                    taker_buy_quote: if taker_bought {
                        trade.quote_qty
                    } else {
                        Decimal::ZERO
                    },
                });
            }
        }
    }
    if out.len() > limit {
        out.drain(..out.len() - limit);
    }
    out
}

/// Statistics over a time window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowStats {
    /// Price of the last trade before the window.
    pub prev_close: Decimal,
    /// First price in the window.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price.
    pub last: Decimal,
    /// Quantity of the last trade.
    pub last_qty: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// First trade ID, or -1.
    pub first_id: i64,
    /// Last trade ID, or -1.
    pub last_id: i64,
    /// Number of trades.
    pub count: u64,
}

impl WindowStats {
    /// `last - open`.
    pub fn change(&self) -> Decimal {
        self.last - self.open
    }

    /// The change in percent, three decimals.
    pub fn change_percent(&self) -> Decimal {
        if self.open.is_zero() {
            return Decimal::ZERO;
        }
        (self.change() * Decimal::from(100) / self.open).round_dp(3)
    }

    /// `quote_volume / volume`, eight decimals.
    pub fn weighted_avg(&self) -> Decimal {
        if self.volume.is_zero() {
            return Decimal::ZERO;
        }
        (self.quote_volume / self.volume).round_dp(8)
    }
}

/// Statistics of the trades with `from <= time <= to`.
pub fn window_stats(trades: &[Trade], from: i64, to: i64) -> WindowStats {
    let start = trades.partition_point(|t| t.time < from);
    let end = trades.partition_point(|t| t.time <= to);
    let window = trades.get(start..end).unwrap_or(&[]);
    let before = start.checked_sub(1).and_then(|idx| trades.get(idx));
    let fallback = before.map(|t| t.price).unwrap_or_default();
    let prev_close = before
        .map(|t| t.price)
        .unwrap_or_else(|| window.first().map(|t| t.price).unwrap_or_default());
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return WindowStats {
            prev_close,
            open: fallback,
            high: fallback,
            low: fallback,
            last: fallback,
            last_qty: Decimal::ZERO,
            volume: Decimal::ZERO,
            quote_volume: Decimal::ZERO,
            first_id: -1,
            last_id: -1,
            count: 0,
        };
    };
    WindowStats {
        prev_close,
        open: first.price,
        high: window.iter().map(|t| t.price).max().unwrap_or_default(),
        low: window.iter().map(|t| t.price).min().unwrap_or_default(),
        last: last.price,
        last_qty: last.qty,
        volume: window.iter().map(|t| t.qty).sum(),
        quote_volume: window.iter().map(|t| t.quote_qty).sum(),
        first_id: first.id as i64,
        last_id: last.id as i64,
        count: window.len() as u64,
    }
}

/// Reads `windowSize` (`1m`…`59m`, `1h`…`23h`, `1d`…`7d`) into ms.
pub fn parse_window_size(text: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::invalid_value("windowSize");
    let unit = text.chars().last().ok_or_else(bad)?;
    let number: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let (max, unit_ms) = match unit {
        'm' => (59, 60_000),
        'h' => (23, 3_600_000),
        'd' => (7, DAY_MS),
        _ => return Err(bad()),
    };
    if !(1..=max).contains(&number) {
        return Err(bad());
    }
    Ok(number * unit_ms)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(id: u64, time: i64, price: i64) -> Trade {
        Trade {
            id,
            price: Decimal::from(price),
            qty: Decimal::ONE,
            quote_qty: Decimal::from(price),
            time,
            is_buyer_maker: false,
        }
    }

    #[test]
    fn calendar_round_trip() {
        for days in [-1, 0, 59, 365, 19_000, 20_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn week_opens_on_monday() {
        // 2023-11-14 is a Tuesday; its week opened Monday 2023-11-13.
        let tuesday = 1_699_920_000_000;
        assert_eq!(
            Interval::Fixed(7 * DAY_MS).open_of(tuesday, 0),
            1_699_833_600_000
        );
    }

    #[test]
    fn month_boundaries() {
        let mid_feb_2024 = 1_708_000_000_000;
        let open = Interval::Month.open_of(mid_feb_2024, 0);
        assert_eq!(open, 1_706_745_600_000); // 2024-02-01
        assert_eq!(Interval::Month.next_open(open, 0), 1_709_251_200_000); // 2024-03-01
    }

    #[test]
    fn groups_trades_into_klines() {
        let trades = [trade(1, 0, 10), trade(2, 30_000, 12), trade(3, 60_000, 9)];
        let out = klines(&trades, Interval::Fixed(60_000), None, 120_000, 500, 0);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].open, out[0].high, out[0].close, out[0].count),
            (Decimal::from(10), Decimal::from(12), Decimal::from(12), 2)
        );
        assert_eq!(out[0].close_time, 59_999);
        let out = klines(&trades, Interval::Fixed(60_000), Some(0), 120_000, 1, 0);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].open_time, 0);
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_time_zone("+08:00").unwrap(), 8 * 3_600_000);
        assert_eq!(parse_time_zone("-5").unwrap(), -5 * 3_600_000);
        assert!(parse_time_zone("15").is_err());
    }

    #[test]
    fn window_sizes() {
        assert_eq!(parse_window_size("1d").unwrap(), DAY_MS);
        assert!(parse_window_size("60m").is_err());
        assert!(parse_window_size("1d2h").is_err());
        assert!(parse_window_size("1é").is_err());
        assert!(parse_time_zone("999999999999999999").is_err());
    }

    #[test]
    fn stats_of_a_window() {
        let trades = [trade(1, 0, 10), trade(2, 10, 12), trade(3, 20, 9)];
        let stats = window_stats(&trades, 5, 20);
        assert_eq!(
            (stats.prev_close, stats.open, stats.last),
            (10.into(), 12.into(), 9.into())
        );
        assert_eq!((stats.first_id, stats.last_id, stats.count), (2, 3, 2));
    }
}
