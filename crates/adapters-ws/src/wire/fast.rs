//! Scanners for the exact byte layouts Binance sends for its most frequent
//! frames: the combined-stream envelope, `trade`, `aggTrade`,
//! `depthUpdate`, partial depth and `bookTicker`.
//!
//! Binance writes these objects with the same keys in the same order and no
//! whitespace. When a frame has exactly that shape, a scanner reads it in
//! one pass without a generic JSON parser; on the first byte that differs
//! (another key order, whitespace, an escaped string, a number JSON does not
//! allow) it gives up with `None` and the caller uses `serde_json`, which
//! decides. So a scanner never accepts a frame that `serde_json` would
//! reject, nor decodes one differently; proptests in `wire` check that.

use std::borrow::Cow;

use mbx_domain::stream::{self as domain, Level};
use rust_decimal::Decimal;

use super::{AggTrade, BookTicker, Trade};

/// A trade's fields, with its price and quantity read by the caller's
/// function (strings for the wire types, decimals for the domain's).
struct TradeFields<'a, D> {
    event_time: i64,
    symbol: &'a str,
    id: u64,
    price: D,
    quantity: D,
    /// `f` and `l` (`aggTrade` only).
    trade_ids: (u64, u64),
    trade_time: i64,
    buyer_is_maker: bool,
}

/// `{"e":"aggTrade","E":..,"s":"..","a":..,"p":"..","q":"..","f":..,"l":..,"T":..,"m":..,"M":..}`.
pub(super) fn agg_trade(text: &str) -> Option<AggTrade<'_>> {
    let it = agg_trade_fields(text, Cursor::string)?;
    Some(AggTrade {
        event_time: it.event_time,
        symbol: Cow::Borrowed(it.symbol),
        agg_trade_id: it.id,
        price: it.price,
        quantity: it.quantity,
        first_trade_id: it.trade_ids.0,
        last_trade_id: it.trade_ids.1,
        trade_time: it.trade_time,
        buyer_is_maker: it.buyer_is_maker,
    })
}

/// [`agg_trade`] straight into the domain's type, decimals parsed on the way.
pub(super) fn agg_trade_domain(text: &str) -> Option<domain::AggTrade> {
    let it = agg_trade_fields(text, Cursor::decimal)?;
    Some(domain::AggTrade {
        event_time: it.event_time,
        symbol: it.symbol.to_owned(),
        agg_trade_id: it.id,
        price: it.price,
        quantity: it.quantity,
        first_trade_id: it.trade_ids.0,
        last_trade_id: it.trade_ids.1,
        trade_time: it.trade_time,
        buyer_is_maker: it.buyer_is_maker,
    })
}

// Inlined into each caller so the decimal reader inlines too.
#[inline(always)]
fn agg_trade_fields<'a, D>(
    text: &'a str,
    value: impl Fn(&mut Cursor<'a>) -> Option<D>,
) -> Option<TradeFields<'a, D>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"e":"aggTrade","E":"#)?;
    let event_time = cursor.i64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","a":"#)?;
    let id = cursor.u64()?;
    cursor.literal(r#","p":"#)?;
    let price = value(&mut cursor)?;
    cursor.literal(r#","q":"#)?;
    let quantity = value(&mut cursor)?;
    cursor.literal(r#","f":"#)?;
    let first_trade_id = cursor.u64()?;
    cursor.literal(r#","l":"#)?;
    let last_trade_id = cursor.u64()?;
    cursor.literal(r#","T":"#)?;
    let trade_time = cursor.i64()?;
    cursor.literal(r#","m":"#)?;
    let buyer_is_maker = cursor.bool()?;
    cursor.literal(r#","M":"#)?;
    cursor.bool()?;
    cursor.end()?;
    Some(TradeFields {
        event_time,
        symbol,
        id,
        price,
        quantity,
        trade_ids: (first_trade_id, last_trade_id),
        trade_time,
        buyer_is_maker,
    })
}

/// `{"e":"trade","E":..,"s":"..","t":..,"p":"..","q":"..","T":..,"m":..,"M":..}`.
pub(super) fn trade(text: &str) -> Option<Trade<'_>> {
    let it = trade_fields(text, Cursor::string)?;
    Some(Trade {
        event_time: it.event_time,
        symbol: Cow::Borrowed(it.symbol),
        trade_id: it.id,
        price: it.price,
        quantity: it.quantity,
        trade_time: it.trade_time,
        buyer_is_maker: it.buyer_is_maker,
    })
}

/// [`trade`] straight into the domain's type, decimals parsed on the way.
pub(super) fn trade_domain(text: &str) -> Option<domain::Trade> {
    let it = trade_fields(text, Cursor::decimal)?;
    Some(domain::Trade {
        event_time: it.event_time,
        symbol: it.symbol.to_owned(),
        trade_id: it.id,
        price: it.price,
        quantity: it.quantity,
        trade_time: it.trade_time,
        buyer_is_maker: it.buyer_is_maker,
    })
}

#[inline(always)]
fn trade_fields<'a, D>(
    text: &'a str,
    value: impl Fn(&mut Cursor<'a>) -> Option<D>,
) -> Option<TradeFields<'a, D>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"e":"trade","E":"#)?;
    let event_time = cursor.i64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","t":"#)?;
    let id = cursor.u64()?;
    cursor.literal(r#","p":"#)?;
    let price = value(&mut cursor)?;
    cursor.literal(r#","q":"#)?;
    let quantity = value(&mut cursor)?;
    cursor.literal(r#","T":"#)?;
    let trade_time = cursor.i64()?;
    cursor.literal(r#","m":"#)?;
    let buyer_is_maker = cursor.bool()?;
    cursor.literal(r#","M":"#)?;
    cursor.bool()?;
    cursor.end()?;
    Some(TradeFields {
        event_time,
        symbol,
        id,
        price,
        quantity,
        trade_ids: (0, 0),
        trade_time,
        buyer_is_maker,
    })
}

/// `{"stream":"<name>","data":<payload>}` with an unescaped name: the name
/// and the payload's text. The payload is not checked here: the caller
/// decodes it, and a payload that is one JSON value makes the frame valid.
pub(super) fn envelope(text: &str) -> Option<(&str, &str)> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"stream":"#)?;
    let stream = cursor.string()?;
    cursor.literal(r#","data":"#)?;
    if !text.ends_with('}') {
        return None;
    }
    let payload = text.get(cursor.pos..text.len() - 1)?;
    (!payload.is_empty()).then_some((stream, payload))
}

/// A book payload with its levels made by the caller's function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Book<'a, T> {
    pub(super) event_time: i64,
    pub(super) symbol: &'a str,
    pub(super) first_update_id: u64,
    pub(super) final_update_id: u64,
    pub(super) bids: Vec<T>,
    pub(super) asks: Vec<T>,
}

/// `depthUpdate` with its levels as `[price, quantity]` strings.
pub(super) fn depth_update_pairs(text: &str) -> Option<Book<'_, (&str, &str)>> {
    depth_update(text, Cursor::pair)
}

/// `depthUpdate` with its levels parsed into exact decimals on the way
/// (only plain decimals: anything else gives up).
pub(super) fn depth_update_levels(text: &str) -> Option<Book<'_, Level>> {
    depth_update(text, Cursor::level)
}

/// A partial depth payload with its levels as `[price, quantity]` strings.
pub(super) fn partial_depth_pairs(text: &str) -> Option<Book<'_, (&str, &str)>> {
    partial_depth(text, Cursor::pair)
}

/// A partial depth payload with its levels parsed into exact decimals.
pub(super) fn partial_depth_levels(text: &str) -> Option<Book<'_, Level>> {
    partial_depth(text, Cursor::level)
}

/// `{"e":"depthUpdate","E":..,"s":"..","U":..,"u":..,"b":[["p","q"],..],"a":[..]}`,
/// each level read by `level`.
fn depth_update<'a, T>(
    text: &'a str,
    mut level: impl FnMut(&mut Cursor<'a>) -> Option<T>,
) -> Option<Book<'a, T>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"e":"depthUpdate","E":"#)?;
    let event_time = cursor.i64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","U":"#)?;
    let first_update_id = cursor.u64()?;
    cursor.literal(r#","u":"#)?;
    let final_update_id = cursor.u64()?;
    cursor.literal(r#","b":"#)?;
    let bids = cursor.levels(&mut level)?;
    cursor.literal(r#","a":"#)?;
    let asks = cursor.levels(&mut level)?;
    cursor.end()?;
    Some(Book {
        event_time,
        symbol,
        first_update_id,
        final_update_id,
        bids,
        asks,
    })
}

/// `{"lastUpdateId":..,"bids":[["p","q"],..],"asks":[..]}`; the event time,
/// symbol and first update ID are left empty.
fn partial_depth<'a, T>(
    text: &'a str,
    mut level: impl FnMut(&mut Cursor<'a>) -> Option<T>,
) -> Option<Book<'a, T>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"lastUpdateId":"#)?;
    let final_update_id = cursor.u64()?;
    cursor.literal(r#","bids":"#)?;
    let bids = cursor.levels(&mut level)?;
    cursor.literal(r#","asks":"#)?;
    let asks = cursor.levels(&mut level)?;
    cursor.end()?;
    Some(Book {
        event_time: 0,
        symbol: "",
        first_update_id: 0,
        final_update_id,
        bids,
        asks,
    })
}

/// `{"u":..,"s":"..","b":"..","B":"..","a":"..","A":".."}`.
pub(super) fn book_ticker(text: &str) -> Option<BookTicker<'_>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"u":"#)?;
    let update_id = cursor.u64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","b":"#)?;
    let bid_price = cursor.string()?;
    cursor.literal(r#","B":"#)?;
    let bid_quantity = cursor.string()?;
    cursor.literal(r#","a":"#)?;
    let ask_price = cursor.string()?;
    cursor.literal(r#","A":"#)?;
    let ask_quantity = cursor.string()?;
    cursor.end()?;
    Some(BookTicker {
        update_id,
        symbol: Cow::Borrowed(symbol),
        bid_price,
        bid_quantity,
        ask_price,
        ask_quantity,
    })
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.pos..]
    }

    #[inline(always)]
    fn literal(&mut self, literal: &str) -> Option<()> {
        self.rest().starts_with(literal.as_bytes()).then(|| {
            self.pos += literal.len();
        })
    }

    /// A string with no escapes and no control characters, without its quotes.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        let body = &rest[1..];
        // Eight bytes at a time (symbols and stream names are 6 to 30
        // bytes), the tail byte by byte.
        let mut len = 0;
        while let Some(chunk) = body.get(len..len + 8) {
            let found = special_bytes(u64::from_le_bytes(chunk.try_into().ok()?));
            if found != 0 {
                len += (found.trailing_zeros() / 8) as usize;
                break;
            }
            len += 8;
        }
        if body.get(len..len + 8).is_none() {
            len += body[len..]
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
        }
        if rest[1 + len] != b'"' {
            return None;
        }
        let start = self.pos + 1;
        self.pos = start + len + 1;
        // Both ends are ASCII quotes, so the slice is on character boundaries.
        self.text.get(start..start + len)
    }

    /// A non-negative JSON integer that fits `u64` (no leading zeros, no
    /// fraction or exponent).
    #[inline(always)]
    fn u64(&mut self) -> Option<u64> {
        let rest = self.rest();
        let mut n_digits = 0;
        let mut value: u64 = 0;
        // Timestamps and IDs have 10 to 13 digits: a word at a time, its
        // leading digits (at most 16 digits this way, far from
        // overflowing), then byte by byte.
        while n_digits < 16 {
            let Some(chunk) = rest.get(n_digits..n_digits + 8) else {
                break;
            };
            let word = u64::from_le_bytes(chunk.try_into().ok()?);
            let n_leading = (non_digits(word).trailing_zeros() / 8) as usize;
            if n_leading == 0 {
                break;
            }
            // The digits moved to the top bytes, zeros below them.
            value = value * POWERS_OF_TEN[n_leading]
                + combine_eight(word.wrapping_sub(THREES) << (8 * (8 - n_leading)));
            n_digits += n_leading;
            if n_leading < 8 {
                break;
            }
        }
        while let Some(digit) = rest.get(n_digits).and_then(|byte| byte.checked_sub(b'0')) {
            if digit > 9 {
                break;
            }
            value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
            n_digits += 1;
        }
        if n_digits == 0 || (n_digits > 1 && rest[0] == b'0') {
            return None;
        }
        if matches!(rest.get(n_digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.pos += n_digits;
        Some(value)
    }

    #[inline(always)]
    fn i64(&mut self) -> Option<i64> {
        if self.rest().first() == Some(&b'-') {
            self.pos += 1;
            let magnitude = self.u64()?;
            // `serde_json` reads `-0` as a float and rejects it for an integer.
            if magnitude == 0 {
                return None;
            }
            return 0i64.checked_sub_unsigned(magnitude);
        }
        i64::try_from(self.u64()?).ok()
    }

    #[inline(always)]
    fn bool(&mut self) -> Option<bool> {
        if self.literal("true").is_some() {
            Some(true)
        } else {
            self.literal("false").map(|()| false)
        }
    }

    /// `[<level>,…]` (or `[]`), each level read by `level`.
    fn levels<T>(
        &mut self,
        level: &mut impl FnMut(&mut Cursor<'a>) -> Option<T>,
    ) -> Option<Vec<T>> {
        self.literal("[")?;
        // A level takes about 30 bytes and the rest of the frame holds both
        // sides: enough room for most updates without growing.
        let mut levels = Vec::with_capacity((self.rest().len() / 60).min(256));
        if self.literal("]").is_some() {
            return Some(levels);
        }
        loop {
            levels.push(level(self)?);
            match self.rest().first() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Some(levels);
                }
                _ => return None,
            }
        }
    }

    /// `["<price>","<quantity>"]` as two strings.
    fn pair(&mut self) -> Option<(&'a str, &'a str)> {
        self.literal("[")?;
        let price = self.string()?;
        self.literal(",")?;
        let quantity = self.string()?;
        self.literal("]")?;
        Some((price, quantity))
    }

    /// `["<price>","<quantity>"]` as exact decimals.
    #[inline(always)]
    fn level(&mut self) -> Option<Level> {
        if let Some((level, len)) = binance_level(self.rest()) {
            self.pos += len;
            return Some(level);
        }
        self.any_level()
    }

    /// [`Cursor::level`] for layouts other than Binance's, kept out of line
    /// so the common path stays small.
    #[inline(never)]
    fn any_level(&mut self) -> Option<Level> {
        self.literal("[")?;
        let price = self.decimal()?;
        self.literal(",")?;
        let quantity = self.decimal()?;
        self.literal("]")?;
        Some(Level { price, quantity })
    }

    /// A string holding a plain decimal, `-?digits(.digits)?` with at most
    /// 19 digits, read and parsed in one pass. Anything else (an exponent,
    /// an escape, `-0`, more digits) gives up: `Decimal::from_str_exact` on
    /// the slow path decides, and gives the same value and scale for what
    /// this accepts.
    #[inline(always)]
    fn decimal(&mut self) -> Option<Decimal> {
        if let Some((value, len)) = binance_decimal(self.rest()) {
            self.pos += len;
            return Some(value);
        }
        self.any_decimal()
    }

    /// [`Cursor::decimal`] for layouts other than Binance's, kept out of
    /// line so the common path stays small.
    #[inline(never)]
    fn any_decimal(&mut self) -> Option<Decimal> {
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        let negative = rest.get(1) == Some(&b'-');
        let mut idx = 1 + usize::from(negative);
        let (mut mantissa, n_int) = digits(rest, &mut idx, 0, 19)?;
        if n_int == 0 {
            return None;
        }
        let mut scale = 0;
        if rest.get(idx) == Some(&b'.') {
            idx += 1;
            // Binance writes 8 decimals: read them 8 at a time (measured:
            // reading the short integer part the same way is slower).
            while n_int + scale + 8 <= 19 {
                let Some(eight) = rest.get(idx..idx + 8).and_then(eight_digits) else {
                    break;
                };
                mantissa = mantissa * 100_000_000 + eight;
                scale += 8;
                idx += 8;
            }
            let (value, n_frac) = digits(rest, &mut idx, mantissa, 19 - n_int - scale)?;
            mantissa = value;
            scale += n_frac;
            if scale == 0 {
                return None;
            }
        }
        if rest.get(idx) != Some(&b'"') || (negative && mantissa == 0) {
            return None;
        }
        self.pos += idx + 1;
        // Below 10^19: the low 64 bits hold it; the scale is at most 19.
        Some(Decimal::from_parts(
            mantissa as u32,
            (mantissa >> 32) as u32,
            0,
            negative,
            scale as u32,
        ))
    }

    #[inline(always)]
    fn end(&mut self) -> Option<()> {
        (self.rest() == b"}").then_some(())
    }
}

/// `"<1 to 7 digits>.<8 digits>"` (the opening quote at `rest[0]`), the
/// layout of every price and quantity Binance sends, read with two word
/// loads: the value and the length up to and including the closing quote.
/// `None` for anything else; the general reader decides then, and gives
/// the same value and scale for what this accepts.
#[inline(always)]
fn binance_decimal(rest: &[u8]) -> Option<(Decimal, usize)> {
    if rest.first() != Some(&b'"') {
        return None;
    }
    let int_word = u64::from_le_bytes(rest.get(1..9)?.try_into().ok()?);
    // The first byte that is not a digit ends the integer part.
    let n_int = (non_digits(int_word).trailing_zeros() / 8) as usize;
    if n_int == 0 || n_int == 8 || rest[1 + n_int] != b'.' {
        return None;
    }
    let fraction = eight_digits(rest.get(2 + n_int..10 + n_int)?)?;
    if rest.get(10 + n_int) != Some(&b'"') {
        return None;
    }
    // The integer digits moved to the top bytes, zeros below them: leading
    // zeros for the eight-digit conversion. The bytes after them may have
    // borrowed in the subtraction; they are shifted out.
    let integer = combine_eight(int_word.wrapping_sub(THREES) << (8 * (8 - n_int)));
    // At most 7 + 8 digits: far below 2^64.
    let mantissa = integer * 100_000_000 + fraction;
    Some((
        Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, false, 8),
        11 + n_int,
    ))
}

/// `["<price>","<quantity>"]` with both in [`binance_decimal`]'s layout:
/// the level and its length. `None` for anything else.
#[inline(always)]
fn binance_level(rest: &[u8]) -> Option<(Level, usize)> {
    if rest.first() != Some(&b'[') {
        return None;
    }
    let (price, price_len) = binance_decimal(&rest[1..])?;
    let comma = 1 + price_len;
    if rest.get(comma) != Some(&b',') {
        return None;
    }
    let (quantity, quantity_len) = binance_decimal(&rest[comma + 1..])?;
    let close = comma + 1 + quantity_len;
    if rest.get(close) != Some(&b']') {
        return None;
    }
    Some((Level { price, quantity }, close + 1))
}

/// `0x30` in every byte.
const THREES: u64 = 0x3030_3030_3030_3030;

/// `10^n` for `n` in `0..=8`.
const POWERS_OF_TEN: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// A word with a non-zero byte where `word`'s byte is not an ASCII digit
/// (exact for the lowest such byte; text from a `&str` never holds the bytes
/// 0xFA–0xFF whose carry could spill into the next byte).
#[inline(always)]
fn non_digits(word: u64) -> u64 {
    let high = 0xF0F0_F0F0_F0F0_F0F0;
    ((word & high) ^ THREES) | ((word.wrapping_add(0x0606_0606_0606_0606) & high) ^ THREES)
}

/// A word with the top bit set in the byte of each `"`, `\` or control
/// character of `word` (exact for the lowest: a false positive needs a
/// borrow from a true one below it).
#[inline(always)]
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & TOPS;
    zero_byte(word ^ 0x2222_2222_2222_2222)
        | zero_byte(word ^ 0x5C5C_5C5C_5C5C_5C5C)
        | (word.wrapping_sub(0x2020_2020_2020_2020) & !word & TOPS)
}

/// Reads ASCII digits at `*idx` onto `mantissa`, at most `max` of them
/// (`None` past that, where the value could overflow); returns the value and
/// how many were read.
#[inline]
fn digits(bytes: &[u8], idx: &mut usize, mut mantissa: u64, max: usize) -> Option<(u64, usize)> {
    let mut n_digits = 0;
    while let Some(&byte) = bytes.get(*idx) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        if n_digits == max {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(digit);
        n_digits += 1;
        *idx += 1;
    }
    Some((mantissa, n_digits))
}

/// Eight digit values (0–9, the first in the lowest byte) as one number:
/// pairs, then fours, then all eight (the well-known SWAR conversion).
#[inline(always)]
fn combine_eight(values: u64) -> u64 {
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8);
    let mask = 0x0000_00FF_0000_00FF;
    ((pairs & mask).wrapping_mul(100 + (1_000_000 << 32))
        + ((pairs >> 16) & mask).wrapping_mul(1 + (10_000 << 32)))
        >> 32
}

/// Eight ASCII digits as a number, in a few word operations (the
/// well-known SWAR conversion); `None` unless all eight are digits.
#[inline(always)]
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    let word = u64::from_le_bytes(bytes.try_into().ok()?);
    // Every byte is 0x30..=0x39: high nibble 3, and adding 6 keeps it 3.
    if non_digits(word) != 0 {
        return None;
    }
    Some(combine_eight(word - THREES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_decimals_in_two_words() {
        for (text, expected) in [
            ("\"98234.51000000\"", Some(("98234.51000000", 16))),
            ("\"0.00512000\",", Some(("0.00512000", 12))),
            ("\"1234567.00000001\"", Some(("1234567.00000001", 18))),
            ("\"007.10000000\"", Some(("7.10000000", 14))),
        ] {
            let got = binance_decimal(text.as_bytes()).map(|(value, len)| (value.to_string(), len));
            assert_eq!(
                got,
                expected.map(|(value, len)| (value.to_owned(), len)),
                "{text}"
            );
        }
        for text in [
            "\"12345678.00000000\"",
            "\".10000000\"",
            "\"1.1000000\"",
            "\"1.100000000\"",
            "\"-1.10000000\"",
            "\"1.10000000",
            "\"1,10000000\"",
            "\"1.1000a000\"",
        ] {
            assert_eq!(binance_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn strings_end_at_the_first_quote_escape_or_control_byte() {
        for n in 0..40 {
            for (special, accepted) in [(b'"', true), (b'\\', false), (b'\n', false), (0x1F, false)]
            {
                let mut text = vec![b'"'];
                text.extend((0..n).map(|idx| b"aZ@_0~\x7f "[idx % 8]));
                text.push(special);
                text.extend_from_slice(b"xyz\"");
                let text = String::from_utf8(text).unwrap();
                let mut cursor = Cursor::new(&text);
                let got = cursor.string();
                if accepted {
                    assert_eq!(got, Some(&text[1..1 + n]), "{text:?}");
                    assert_eq!(cursor.pos, n + 2);
                } else {
                    assert_eq!(got, None, "{text:?}");
                }
            }
            let text = format!("\"{}é\"", "b".repeat(n));
            assert_eq!(Cursor::new(&text).string(), Some(&text[1..text.len() - 1]));
        }
    }

    #[test]
    fn eight_digits_at_once() {
        for text in [
            "00000000", "12345678", "99999999", "00000001", "10000000", "51000000",
        ] {
            assert_eq!(eight_digits(text.as_bytes()), text.parse().ok(), "{text}");
        }
        for text in [
            "1234567",
            "1234567/",
            "1234567:",
            "12.45678",
            "\"2345678",
            "123456789",
        ] {
            assert_eq!(eight_digits(text.as_bytes()), None, "{text}");
        }
    }
}
