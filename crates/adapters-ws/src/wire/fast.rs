//! A scanner for the exact byte layout Binance sends for `trade` and
//! `aggTrade`, the two most frequent events.
//!
//! Binance writes these objects with the same keys in the same order and no
//! whitespace. When a frame has exactly that shape, this reads it in one
//! pass without a generic JSON parser; on the first byte that differs
//! (another key order, whitespace, an escaped string, a number JSON does not
//! allow) it gives up with `None` and the caller uses `serde_json`, which
//! decides. So this never accepts a frame that `serde_json` would reject, nor
//! decodes one differently; a proptest in `wire` checks that.

use std::borrow::Cow;

use super::{AggTrade, Trade};

/// `{"e":"aggTrade","E":..,"s":"..","a":..,"p":"..","q":"..","f":..,"l":..,"T":..,"m":..,"M":..}`.
pub(super) fn agg_trade(text: &str) -> Option<AggTrade<'_>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"e":"aggTrade","E":"#)?;
    let event_time = cursor.i64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","a":"#)?;
    let agg_trade_id = cursor.u64()?;
    cursor.literal(r#","p":"#)?;
    let price = cursor.string()?;
    cursor.literal(r#","q":"#)?;
    let quantity = cursor.string()?;
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
    Some(AggTrade {
        event_time,
        symbol: Cow::Borrowed(symbol),
        agg_trade_id,
        price,
        quantity,
        first_trade_id,
        last_trade_id,
        trade_time,
        buyer_is_maker,
    })
}

/// `{"e":"trade","E":..,"s":"..","t":..,"p":"..","q":"..","T":..,"m":..,"M":..}`.
pub(super) fn trade(text: &str) -> Option<Trade<'_>> {
    let mut cursor = Cursor::new(text);
    cursor.literal(r#"{"e":"trade","E":"#)?;
    let event_time = cursor.i64()?;
    cursor.literal(r#","s":"#)?;
    let symbol = cursor.string()?;
    cursor.literal(r#","t":"#)?;
    let trade_id = cursor.u64()?;
    cursor.literal(r#","p":"#)?;
    let price = cursor.string()?;
    cursor.literal(r#","q":"#)?;
    let quantity = cursor.string()?;
    cursor.literal(r#","T":"#)?;
    let trade_time = cursor.i64()?;
    cursor.literal(r#","m":"#)?;
    let buyer_is_maker = cursor.bool()?;
    cursor.literal(r#","M":"#)?;
    cursor.bool()?;
    cursor.end()?;
    Some(Trade {
        event_time,
        symbol: Cow::Borrowed(symbol),
        trade_id,
        price,
        quantity,
        trade_time,
        buyer_is_maker,
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

    fn literal(&mut self, literal: &str) -> Option<()> {
        self.rest().starts_with(literal.as_bytes()).then(|| {
            self.pos += literal.len();
        })
    }

    /// A string with no escapes and no control characters, without its quotes.
    fn string(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        if rest.first() != Some(&b'"') {
            return None;
        }
        let len = rest[1..]
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
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
    fn u64(&mut self) -> Option<u64> {
        let rest = self.rest();
        let n_digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if n_digits == 0 || (n_digits > 1 && rest[0] == b'0') {
            return None;
        }
        if matches!(rest.get(n_digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let mut value: u64 = 0;
        for &byte in &rest[..n_digits] {
            value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
        }
        self.pos += n_digits;
        Some(value)
    }

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

    fn bool(&mut self) -> Option<bool> {
        if self.literal("true").is_some() {
            Some(true)
        } else {
            self.literal("false").map(|()| false)
        }
    }

    fn end(&mut self) -> Option<()> {
        (self.rest() == b"}").then_some(())
    }
}
