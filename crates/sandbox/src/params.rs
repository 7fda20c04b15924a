//! Request parameters as Binance reads them: from the query string and the
//! form body, with Binance's error codes for bad ones.
//!
//! Rules (shared/binance-docs/rest-api.md § "General Information on
//! Endpoints", errors.md § 11xx):
//!
//! 1. Parameters come from the query string and an
//!    `application/x-www-form-urlencoded` body; a name in both takes the
//!    query string's value.
//! 2. A name repeated within one of them is `-1101` "Duplicate values for a
//!    parameter detected.".
//! 3. `name=` with no value is `-1105` "Parameter 'name' was empty.".
//! 4. Bytes that do not decode to UTF-8 are `-1100`.
//! 5. A name the endpoint does not read is `-1104` (see [`Params::only`]).

use std::str::FromStr;

use mbx_signing::payload::decode_component;
use rust_decimal::Decimal;

use crate::error::ApiError;

/// The legal range Binance quotes for a `DECIMAL` parameter.
pub const DECIMAL_RANGE: &str = r"^([0-9]{1,20})(\.[0-9]{1,20})?$";
/// The legal range Binance quotes for a `LONG` or `INT` parameter.
pub const LONG_RANGE: &str = "^[0-9]{1,20}$";
/// The legal range Binance quotes for a symbol since symbols may be
/// Unicode (CHANGELOG 2025-12-02): a Java pattern, word characters (any
/// script's letters and digits, `_`), `-` and `.`, except `a`-`z`.
pub const SYMBOL_RANGE: &str = r"^[\w\-._&&[^a-z]]{1,50}$";
/// The legal range Binance quotes for a JSON array of symbols.
pub const SYMBOLS_RANGE: &str =
    r#"^\[("[\w\-._&&[^a-z]]{1,50}"(,"[\w\-._&&[^a-z]]{1,50}"){0,}){0,1}\]$"#;

/// Decoded parameters, in the order they were sent. `Debug` masks the value
/// of `signature`.
///
/// Every name and value lives in one buffer: a signed order sends about a
/// dozen parameters, and two allocations per parameter showed in the
/// sandbox's profile.
#[derive(Clone, Default)]
pub struct Params {
    /// The decoded names and values, one after another.
    text: String,
    /// Where each parameter lies in `text`, in the order sent.
    pairs: Vec<Pair>,
}

/// A parameter's place in [`Params::text`]: the name is
/// `text[start..split]`, the value `text[split..end]`.
#[derive(Debug, Clone, Copy)]
struct Pair {
    start: usize,
    split: usize,
    end: usize,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(name, value)| {
                let shown = if name == "signature" {
                    "<redacted>"
                } else {
                    value
                };
                (name, shown)
            }))
            .finish()
    }
}

impl Params {
    /// Parses a raw query string and a raw form body.
    pub fn parse(query: &str, body: &str) -> Result<Params, ApiError> {
        let count = |part: &str| {
            part.bytes().filter(|&b| b == b'&').count() + usize::from(!part.is_empty())
        };
        let mut params = Params {
            // Decoding never makes a text longer, so this is never outgrown.
            text: String::with_capacity(query.len() + body.len()),
            pairs: Vec::with_capacity(count(query) + count(body)),
        };
        params.read(query)?;
        let from_query = params.pairs.len();
        params.read(body)?;
        let mut kept = from_query;
        for at in from_query..params.pairs.len() {
            let pair = params.pairs[at];
            let name = params.name(pair);
            let in_query = params.pairs[..from_query]
                .iter()
                .any(|&known| params.name(known) == name);
            if !in_query {
                params.pairs[kept] = pair;
                kept += 1;
            }
        }
        params.pairs.truncate(kept);
        Ok(params)
    }

    /// Builds parameters from decoded pairs (the WebSocket API's, and unit
    /// tests').
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params {
            text: String::with_capacity(
                pairs
                    .iter()
                    .map(|(name, value)| name.len() + value.len())
                    .sum(),
            ),
            pairs: Vec::with_capacity(pairs.len()),
        };
        for (name, value) in pairs {
            params.push(name, value);
        }
        params
    }

    /// Decodes one part (the query string or the body) and appends its
    /// parameters, checking the rules of the module docs within the part.
    fn read(&mut self, part: &str) -> Result<(), ApiError> {
        let first = self.pairs.len();
        for raw in part.split('&') {
            if raw.is_empty() {
                continue;
            }
            let (raw_name, raw_value) = raw.split_once('=').unwrap_or((raw, ""));
            let illegal =
                || ApiError::bad_request(-1100, "Illegal characters found in a parameter.");
            let name = decode_component(raw_name).ok_or_else(illegal)?;
            let value = decode_component(raw_value).ok_or_else(illegal)?;
            if name.is_empty() {
                return Err(ApiError::bad_request(
                    -1103,
                    "An unknown parameter was sent.",
                ));
            }
            if value.is_empty() {
                return Err(ApiError::bad_request(
                    -1105,
                    format!("Parameter '{name}' was empty."),
                ));
            }
            if self.pairs[first..]
                .iter()
                .any(|&known| self.name(known) == name)
            {
                return Err(ApiError::bad_request(
                    -1101,
                    "Duplicate values for a parameter detected.",
                ));
            }
            self.push(&name, &value);
        }
        Ok(())
    }

    fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        let split = self.text.len();
        self.text.push_str(value);
        let end = self.text.len();
        self.pairs.push(Pair { start, split, end });
    }

    fn name(&self, pair: Pair) -> &str {
        &self.text[pair.start..pair.split]
    }

    /// The `(name, value)` pairs, in the order sent.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|pair| (self.name(*pair), &self.text[pair.split..pair.end]))
    }

    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value)
    }

    /// Whether `name` was sent.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of a mandatory parameter, or `-1102`.
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    /// Rejects any parameter not in `allowed` with `-1104`. `signature`,
    /// `timestamp` and `recvWindow` are read by the security layer and are
    /// always allowed.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        let is_read = |name: &str| {
            allowed.contains(&name) || matches!(name, "signature" | "timestamp" | "recvWindow")
        };
        let read = self.iter().filter(|(name, _)| is_read(name)).count();
        if read == self.pairs.len() {
            return Ok(());
        }
        Err(ApiError::bad_request(
            -1104,
            format!(
                "Not all sent parameters were read; read '{read}' parameter(s) but was sent '{}'.",
                self.pairs.len()
            ),
        ))
    }

    /// A mandatory symbol, checked for legal characters (not for existence).
    pub fn symbol(&self) -> Result<&str, ApiError> {
        let symbol = self.require("symbol")?;
        check_symbol("symbol", symbol)?;
        Ok(symbol)
    }

    /// An optional symbol.
    pub fn opt_symbol(&self) -> Result<Option<&str>, ApiError> {
        match self.get("symbol") {
            Some(symbol) => check_symbol("symbol", symbol).map(|()| Some(symbol)),
            None => Ok(None),
        }
    }

    /// An optional JSON array of symbols, `["BTCUSDT","BNBUSDT"]`.
    pub fn opt_symbols(&self) -> Result<Option<Vec<String>>, ApiError> {
        let Some(text) = self.get("symbols") else {
            return Ok(None);
        };
        let symbols: Vec<String> = serde_json::from_str(text)
            .map_err(|_| ApiError::illegal_chars("symbols", SYMBOLS_RANGE))?;
        for symbol in &symbols {
            check_symbol("symbols", symbol)
                .map_err(|_| ApiError::illegal_chars("symbols", SYMBOLS_RANGE))?;
        }
        if symbols.is_empty() {
            return Err(ApiError::mandatory("symbols"));
        }
        for (idx, symbol) in symbols.iter().enumerate() {
            if symbols[..idx].contains(symbol) {
                return Err(ApiError::bad_request(
                    -1151,
                    "Symbol is present multiple times in the list.",
                ));
            }
        }
        Ok(Some(symbols))
    }

    /// An optional non-negative integer (`LONG`/`INT`).
    pub fn opt_long(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            Some(text) => parse_long(name, text).map(Some),
            None => Ok(None),
        }
    }

    /// An optional `DECIMAL`.
    pub fn opt_decimal(&self, name: &str) -> Result<Option<Decimal>, ApiError> {
        match self.get(name) {
            Some(text) => parse_decimal(name, text).map(Some),
            None => Ok(None),
        }
    }

    /// An optional `BOOLEAN` (`true`/`false`, any case).
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_value(name)),
            None => Ok(None),
        }
    }

    /// An optional `limit` between 1 and `max`, `default` when absent.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        match self.opt_long("limit")? {
            None => Ok(default),
            Some(limit) if limit < 1 => Err(ApiError::invalid_value("limit")),
            Some(limit) if limit > max => Err(ApiError::bad_request(
                -1102,
                format!("'limit' contains unexpected value. Cannot be greater than {max}."),
            )),
            Some(limit) => Ok(limit),
        }
    }
}

/// Parses an unsigned integer the way Binance checks `LONG` parameters.
pub fn parse_long(name: &str, text: &str) -> Result<i64, ApiError> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::illegal_chars(name, LONG_RANGE));
    }
    text.parse::<i64>()
        .map_err(|_| ApiError::bad_request(-1108, format!("Parameter '{name}' overflowed.")))
}

/// Parses a `DECIMAL`: plain notation, no sign, no exponent.
pub fn parse_decimal(name: &str, text: &str) -> Result<Decimal, ApiError> {
    let (int_part, frac_part) = match text.split_once('.') {
        Some((int_part, frac_part)) => (int_part, Some(frac_part)),
        None => (text, None),
    };
    let digits = |part: &str| {
        !part.is_empty() && part.len() <= 20 && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(int_part) || frac_part.is_some_and(|frac| !digits(frac)) {
        return Err(ApiError::illegal_chars(name, DECIMAL_RANGE));
    }
    Decimal::from_str(text)
        .map(|value| value.normalize())
        .map_err(|_| ApiError::bad_request(-1108, format!("Parameter '{name}' overflowed.")))
}

/// Whether `symbol` is in [`SYMBOL_RANGE`]: 1 to 50 characters, each a
/// letter or digit of any script, `_`, `-` or `.`, none of `a`-`z`.
pub fn is_legal_symbol(symbol: &str) -> bool {
    let count = symbol.chars().count();
    (1..=50).contains(&count)
        && symbol.chars().all(|c| {
            (c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) && !c.is_ascii_lowercase()
        })
}

fn check_symbol(name: &str, symbol: &str) -> Result<(), ApiError> {
    if is_legal_symbol(symbol) {
        Ok(())
    } else {
        Err(ApiError::illegal_chars(name, SYMBOL_RANGE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_err(query: &str, code: i64) {
        let err = Params::parse(query, "").unwrap_err();
        assert_eq!(err.code, code, "{}", err.msg);
    }

    #[test]
    fn query_wins_over_body() {
        let params = Params::parse("a=1", "a=2&b=3").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), Some("3"));
        let params = Params::parse("c=1&a=%2B", "a=2&b=3&d=4").unwrap();
        assert_eq!(
            format!("{params:?}"),
            r#"{"c": "1", "a": "+", "b": "3", "d": "4"}"#
        );
        let err = Params::parse("a=1", "a=2&a=3").unwrap_err();
        assert_eq!(err.code, -1101, "the body's own duplicates count");
    }

    #[test]
    fn decodes_values() {
        let params = Params::parse("symbols=%5B%22BTCUSDT%22%5D", "").unwrap();
        assert_eq!(
            params.opt_symbols().unwrap(),
            Some(vec!["BTCUSDT".to_owned()])
        );
    }

    #[test]
    fn duplicate() {
        check_err("a=1&a=2", -1101)
    }

    #[test]
    fn empty() {
        check_err("a=", -1105)
    }

    #[test]
    fn not_utf8() {
        check_err("a=%FF", -1100)
    }

    #[test]
    fn empty_name() {
        check_err("=1", -1103)
    }

    #[test]
    fn unread() {
        let params = Params::parse("symbol=BTCUSDT&foo=1", "").unwrap();
        assert_eq!(params.only(&["symbol"]).unwrap_err().code, -1104);
        assert!(params.only(&["symbol", "foo"]).is_ok());
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("p", "1.50").unwrap().to_string(), "1.5");
        for bad in ["-1", "1e5", ".5", "1.", "abc", ""] {
            assert_eq!(parse_decimal("p", bad).unwrap_err().code, -1100, "{bad}");
        }
    }

    #[test]
    fn longs() {
        assert_eq!(parse_long("t", "1499827319559").unwrap(), 1_499_827_319_559);
        assert_eq!(parse_long("t", "12a").unwrap_err().code, -1100);
        assert_eq!(
            parse_long("t", "99999999999999999999").unwrap_err().code,
            -1108
        );
    }

    #[test]
    fn symbols_are_checked() {
        let params = Params::from_pairs(&[("symbol", "btcusdt")]);
        assert_eq!(params.symbol().unwrap_err().code, -1100);
        for legal in ["BTCUSDT", "这是测试币456", "A-B_C.D", "１２３４５６"] {
            assert!(is_legal_symbol(legal), "{legal}");
        }
        for illegal in ["", "BTC/USDT", "BTC USDT", "BTCusdt", &"A".repeat(51)] {
            assert!(!is_legal_symbol(illegal), "{illegal}");
        }
        let params = Params::parse(
            "symbol=%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456",
            "",
        )
        .unwrap();
        assert_eq!(params.symbol().unwrap(), "这是测试币456");
        let params = Params::from_pairs(&[("symbols", r#"["A","A"]"#)]);
        assert_eq!(params.opt_symbols().unwrap_err().code, -1151);
    }
}
