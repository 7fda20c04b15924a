//! `timeUnit=MICROSECOND`: times in microseconds instead of milliseconds.
//!
//! rest-api.md § General API Information, web-socket-api.md and
//! web-socket-streams.md § General information (CHANGELOG 2024-12-17):
//!
//! 1. REST: the header `X-MBX-TIME-UNIT: MICROSECOND` (or `microsecond`,
//!    `MILLISECOND`, `millisecond`); the WebSocket API and Streams: the URL
//!    parameter `timeUnit=` with the same values. Anything else is `-1194`
//!    "Invalid value for time unit; expected either MICROSECOND or
//!    MILLISECOND." (REST: 400; WebSockets: the upgrade is refused with 400).
//! 2. Every time and timestamp field of the JSON answers and events is then
//!    in microseconds; milliseconds stay the default. Parameters
//!    (`timestamp`, `startTime`, ...) are read in either unit regardless.
//!
//! The sandbox keeps its times in milliseconds and converts the JSON text
//! it is about to send ([`to_microseconds`]), field by field, by the
//! [`Shape`] of the text: no value is re-serialised, so field order and
//! decimal strings stay exactly as they were. Since the sandbox's clock
//! ticks in milliseconds, a converted time always ends in `000`.

use crate::error::ApiError;

/// The unit of the times a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeUnit {
    /// The default.
    #[default]
    Millisecond,
    /// Asked for with `MICROSECOND` or `microsecond`.
    Microsecond,
}

impl TimeUnit {
    /// Reads the header's or the URL parameter's value.
    ///
    /// ```
    /// use mbx_sandbox::time_unit::TimeUnit;
    /// assert_eq!(TimeUnit::parse("microsecond").unwrap(), TimeUnit::Microsecond);
    /// assert_eq!(TimeUnit::parse("Microsecond").unwrap_err().code, -1194);
    /// ```
    pub fn parse(text: &str) -> Result<TimeUnit, ApiError> {
        match text {
            "MILLISECOND" | "millisecond" => Ok(TimeUnit::Millisecond),
            "MICROSECOND" | "microsecond" => Ok(TimeUnit::Microsecond),
            _ => Err(ApiError::bad_request(
                -1194,
                "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.",
            )),
        }
    }

    /// The `timeUnit` parameter of a WebSocket URL's query string, if any.
    pub fn from_query(query: &str) -> Result<TimeUnit, ApiError> {
        match query
            .split('&')
            .find_map(|pair| pair.strip_prefix("timeUnit="))
        {
            Some(value) => TimeUnit::parse(value),
            None => Ok(TimeUnit::Millisecond),
        }
    }

    /// `text` in this unit: unchanged for milliseconds.
    pub fn convert(self, text: String, shape: Shape) -> String {
        match self {
            TimeUnit::Millisecond => text,
            TimeUnit::Microsecond => to_microseconds(&text, shape),
        }
    }
}

/// Which numbers of a JSON text are times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A REST answer or a WebSocket API response: object fields named in
    /// [`ANSWER_TIME_FIELDS`], at any depth.
    Answer,
    /// The same, plus elements 0 (open time) and 6 (close time) of kline
    /// rows (arrays inside an array): `klines`, `uiKlines`.
    Klines,
    /// Stream and user data events: `E`, `T`, `O`, `C`, `W` and `D` of any
    /// object; `t` and `T` of a kline's `k`; `u` of an
    /// `outboundAccountPosition`. (`t` of a trade is its ID, and `u` of
    /// a book ticker or a depth update is an update ID: not times.)
    Events,
}

/// The fields that hold a time in REST answers and WebSocket API responses.
pub const ANSWER_TIME_FIELDS: &[&str] = &[
    "serverTime",
    "time",
    "transactTime",
    "transactionTime",
    "updateTime",
    "workingTime",
    "trailingTime",
    "openTime",
    "closeTime",
    "T",
    "authorizedSince",
    "connectedSince",
    "retryAfter",
];

/// The fields that hold a time in any event (`D`: an `executionReport`'s
/// trailing time).
const EVENT_TIME_FIELDS: &[&str] = &["E", "T", "O", "C", "W", "D"];

/// Nesting deeper than this is left as it is (the sandbox writes nothing
/// that deep).
const MAX_DEPTH: usize = 32;

/// `text` (JSON the sandbox wrote) with the times of its `shape` in
/// microseconds. Text that is not JSON is returned unchanged.
///
/// ```
/// use mbx_sandbox::time_unit::{Shape, to_microseconds};
/// assert_eq!(
///     to_microseconds(r#"{"e":"trade","E":1700000000123,"t":5,"T":1700000000120}"#, Shape::Events),
///     r#"{"e":"trade","E":1700000000123000,"t":5,"T":1700000000120000}"#
/// );
/// ```
pub fn to_microseconds(text: &str, shape: Shape) -> String {
    let mut scan = Scan {
        text: text.as_bytes(),
        pos: 0,
        out: Vec::with_capacity(text.len() + 64),
        shape,
    };
    if scan.value(Place::Top, 0).is_none() {
        return text.to_owned();
    }
    scan.copy_rest();
    // Cut only at ASCII bytes, so still UTF-8.
    String::from_utf8(scan.out).unwrap_or_else(|_| text.to_owned())
}

/// Where a value stands.
#[derive(Debug, Clone, Copy)]
enum Place<'a> {
    Top,
    /// In an object, under this key; `event` is the object's `e`, if any.
    Field {
        key: &'a [u8],
        event: Option<&'a [u8]>,
        kline_body: bool,
    },
    /// In an array, at this index; `row` when the array is a kline row.
    Element {
        index: usize,
        row: bool,
    },
}

struct Scan<'a> {
    text: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    shape: Shape,
}

impl<'a> Scan<'a> {
    fn value(&mut self, place: Place<'a>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.whitespace();
        match *self.text.get(self.pos)? {
            b'{' => self.object(place, depth),
            b'[' => self.array(place, depth),
            b'"' => self.string().map(|_| ()),
            _ => self.scalar(place),
        }
    }

    fn object(&mut self, place: Place<'a>, depth: usize) -> Option<()> {
        self.copy(1);
        let kline_body = matches!(
            place,
            Place::Field {
                key: b"k",
                event: Some(b"kline"),
                ..
            }
        );
        let mut event: Option<&'a [u8]> = None;
        self.whitespace();
        if self.text.get(self.pos) == Some(&b'}') {
            self.copy(1);
            return Some(());
        }
        loop {
            self.whitespace();
            let key = self.string()?;
            self.whitespace();
            if self.text.get(self.pos) != Some(&b':') {
                return None;
            }
            self.copy(1);
            self.whitespace();
            if key == b"e" && self.text.get(self.pos) == Some(&b'"') {
                event = Some(self.string()?);
            } else {
                let field = Place::Field {
                    key,
                    event,
                    kline_body,
                };
                self.value(field, depth + 1)?;
            }
            self.whitespace();
            match self.text.get(self.pos)? {
                b',' => self.copy(1),
                b'}' => {
                    self.copy(1);
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, place: Place<'a>, depth: usize) -> Option<()> {
        self.copy(1);
        let row = self.shape == Shape::Klines && matches!(place, Place::Element { .. });
        self.whitespace();
        if self.text.get(self.pos) == Some(&b']') {
            self.copy(1);
            return Some(());
        }
        let mut index = 0;
        loop {
            self.value(Place::Element { index, row }, depth + 1)?;
            self.whitespace();
            match self.text.get(self.pos)? {
                b',' => self.copy(1),
                b']' => {
                    self.copy(1);
                    return Some(());
                }
                _ => return None,
            }
            index += 1;
        }
    }

    /// Copies a string, returning its raw content (escapes left as sent).
    fn string(&mut self) -> Option<&'a [u8]> {
        if self.text.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut end = start;
        loop {
            match *self.text.get(end)? {
                b'\\' => end += 2,
                b'"' => break,
                _ => end += 1,
            }
        }
        let content = self.text.get(start..end)?;
        self.copy(end + 1 - self.pos);
        Some(content)
    }

    /// Copies a number, `true`, `false` or `null`, in microseconds if it
    /// is a time.
    fn scalar(&mut self, place: Place<'a>) -> Option<()> {
        let start = self.pos;
        let len = self.text[start..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
            .unwrap_or(self.text.len() - start);
        if len == 0 {
            return None;
        }
        let token = &self.text[start..start + len];
        let positive_integer = token[0] != b'0' && token.iter().all(|b| b.is_ascii_digit());
        self.copy(len);
        if positive_integer && self.is_time(place) {
            self.out.extend_from_slice(b"000");
        }
        Some(())
    }

    fn is_time(&self, place: Place<'_>) -> bool {
        match (self.shape, place) {
            (_, Place::Top) => false,
            (Shape::Answer | Shape::Klines, Place::Field { key, .. }) => {
                ANSWER_TIME_FIELDS.iter().any(|name| name.as_bytes() == key)
            }
            (Shape::Klines, Place::Element { index, row }) => row && (index == 0 || index == 6),
            (Shape::Answer, Place::Element { .. }) | (Shape::Events, Place::Element { .. }) => {
                false
            }
            (
                Shape::Events,
                Place::Field {
                    key,
                    event,
                    kline_body,
                },
            ) => {
                (kline_body && (key == b"t" || key == b"T"))
                    || (!kline_body && EVENT_TIME_FIELDS.iter().any(|name| name.as_bytes() == key))
                    || (key == b"u" && event == Some(b"outboundAccountPosition"))
            }
        }
    }

    fn whitespace(&mut self) {
        let len = self.text[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        self.copy(len);
    }

    fn copy(&mut self, len: usize) {
        let end = (self.pos + len).min(self.text.len());
        self.out.extend_from_slice(&self.text[self.pos..end]);
        self.pos = end;
    }

    fn copy_rest(&mut self) {
        self.copy(self.text.len() - self.pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(shape: Shape, text: &str, expected: &str) {
        assert_eq!(to_microseconds(text, shape), expected);
    }

    #[test]
    fn answers() {
        check(
            Shape::Answer,
            r#"{"serverTime":1700000000123}"#,
            r#"{"serverTime":1700000000123000}"#,
        );
        check(
            Shape::Answer,
            r#"[{"id":7,"price":"1.00","time":1700000000123,"isBuyerMaker":true}]"#,
            r#"[{"id":7,"price":"1.00","time":1700000000123000,"isBuyerMaker":true}]"#,
        );
        check(
            Shape::Answer,
            r#"{"id":12,"status":200,"result":{"orderId":3,"transactTime":5,"workingTime":-1},"rateLimits":[{"count":9}]}"#,
            r#"{"id":12,"status":200,"result":{"orderId":3,"transactTime":5000,"workingTime":-1},"rateLimits":[{"count":9}]}"#,
        );
        // A trailing stop's answer; an order list's; an amendment's.
        check(
            Shape::Answer,
            r#"{"orderId":4,"trailingDelta":100,"trailingTime":7,"stopPrice":"1.00"}"#,
            r#"{"orderId":4,"trailingDelta":100,"trailingTime":7000,"stopPrice":"1.00"}"#,
        );
        check(
            Shape::Answer,
            r#"{"orderListId":1,"transactionTime":2,"orderReports":[{"transactTime":3}]}"#,
            r#"{"orderListId":1,"transactionTime":2000,"orderReports":[{"transactTime":3000}]}"#,
        );
        check(
            Shape::Answer,
            r#"[{"orderId":5,"executionId":9,"time":4,"origQty":"1"}]"#,
            r#"[{"orderId":5,"executionId":9,"time":4000,"origQty":"1"}]"#,
        );
    }

    #[test]
    fn klines() {
        check(
            Shape::Klines,
            r#"[[1,"2.0","3.0","1.0","2.5","10",60,"25",4,"5","12","0"]]"#,
            r#"[[1000,"2.0","3.0","1.0","2.5","10",60000,"25",4,"5","12","0"]]"#,
        );
        check(
            Shape::Klines,
            r#"{"id":"k","status":200,"result":[[1,"2",2,3,4,5,6]]}"#,
            r#"{"id":"k","status":200,"result":[[1000,"2",2,3,4,5,6000]]}"#,
        );
    }

    #[test]
    fn events() {
        check(
            Shape::Events,
            r#"{"e":"kline","E":2,"s":"X","k":{"t":3,"T":4,"s":"X","f":5,"L":6,"x":false}}"#,
            r#"{"e":"kline","E":2000,"s":"X","k":{"t":3000,"T":4000,"s":"X","f":5,"L":6,"x":false}}"#,
        );
        check(
            Shape::Events,
            r#"{"stream":"a","data":{"e":"depthUpdate","E":2,"U":3,"u":4}}"#,
            r#"{"stream":"a","data":{"e":"depthUpdate","E":2000,"U":3,"u":4}}"#,
        );
        check(
            Shape::Events,
            r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":2,"u":3,"B":[]}}"#,
            r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":2000,"u":3000,"B":[]}}"#,
        );
        check(
            Shape::Events,
            r#"{"u":400900217,"s":"BNBUSDT","b":"25.3"}"#,
            r#"{"u":400900217,"s":"BNBUSDT","b":"25.3"}"#,
        );
        check(
            Shape::Events,
            r#"[{"e":"24hrMiniTicker","E":1,"s":"这是测试币456","c":"0.1"}]"#,
            r#"[{"e":"24hrMiniTicker","E":1000,"s":"这是测试币456","c":"0.1"}]"#,
        );
        check(
            Shape::Events,
            r#"{"e":"executionReport","E":1,"C":"","O":2,"T":3,"t":-1,"I":8,"W":4}"#,
            r#"{"e":"executionReport","E":1000,"C":"","O":2000,"T":3000,"t":-1,"I":8,"W":4000}"#,
        );
        check(
            Shape::Events,
            r#"{"e":"executionReport","E":1,"d":100,"D":2,"g":-1}"#,
            r#"{"e":"executionReport","E":1000,"d":100,"D":2000,"g":-1}"#,
        );
        check(
            Shape::Events,
            r#"{"e":"listStatus","E":1,"g":0,"C":"list1","T":2,"O":[{"s":"X","i":3}]}"#,
            r#"{"e":"listStatus","E":1000,"g":0,"C":"list1","T":2000,"O":[{"s":"X","i":3}]}"#,
        );
    }

    #[test]
    fn zero_and_strings_stay() {
        check(
            Shape::Answer,
            r#"{"time":0,"closeTime":"5","x":"a\"b"}"#,
            r#"{"time":0,"closeTime":"5","x":"a\"b"}"#,
        );
    }

    #[test]
    fn not_json_is_left_alone() {
        for text in ["", "{", r#"{"a":}"#, "[1,", "\"abc"] {
            assert_eq!(to_microseconds(text, Shape::Answer), text);
        }
    }

    #[test]
    fn units() {
        assert_eq!(
            TimeUnit::from_query("a=1&timeUnit=MICROSECOND").unwrap(),
            TimeUnit::Microsecond
        );
        assert_eq!(
            TimeUnit::from_query("returnRateLimits=false").unwrap(),
            TimeUnit::Millisecond
        );
        assert_eq!(
            TimeUnit::from_query("timeUnit=NANOSECOND")
                .unwrap_err()
                .code,
            -1194
        );
    }
}
