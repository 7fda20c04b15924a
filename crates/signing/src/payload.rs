//! The exact bytes Binance signs.
//!
//! # REST
//!
//! From `shared/binance-docs/rest-api.md` § "SIGNED Endpoint Examples for
//! POST /api/v3/order" and the CHANGELOG entry of 2025-12-17:
//!
//! 1. Write the parameters as `name=value` pairs joined by `&`, in the order
//!    they will be sent (Binance does not sort them).
//! 2. Percent-encode names and values. Since 2026-01-15 Binance rejects a
//!    signature over the un-encoded text of a non-ASCII value with `-1022`.
//!    This module encodes every byte outside RFC 3986's unreserved set
//!    (`A-Z a-z 0-9 - . _ ~`), so the text is the same whether a server
//!    reads it raw or decoded.
//! 3. The payload is the query string (without `?`) immediately followed by
//!    the request body, with no separator between them.
//! 4. The `signature` pair is not part of the payload; it is appended last.
//!
//! Sign exactly these bytes and send exactly these bytes.
//!
//! # WebSocket API
//!
//! From `shared/binance-docs/web-socket-api.md` § "SIGNED request example
//! (HMAC)": take every parameter except `signature`, sort by name (byte
//! order), join as `name=value` with `&`, and do **not** percent-encode.
//! [`ws_api_payload`] builds that.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::signer::Signature;

/// Bytes that are sent as they are: RFC 3986 "unreserved".
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A REST query string or form body under construction, already encoded.
///
/// ```
/// use mbx_signing::payload::Payload;
///
/// let mut payload = Payload::new();
/// payload.push("symbol", "１２３４５６");
/// payload.push("side", "BUY");
/// assert_eq!(payload.as_str(), "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Payload {
    text: String,
}

impl Payload {
    /// An empty payload.
    pub fn new() -> Payload {
        Payload::default()
    }

    /// An empty payload with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Payload {
        Payload {
            text: String::with_capacity(capacity),
        }
    }

    /// Builds a payload from pairs, keeping their order.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Payload {
        let mut payload = Payload::new();
        for (name, value) in pairs {
            payload.push(name, value);
        }
        payload
    }

    /// Appends `name=value`, percent-encoding both.
    pub fn push(&mut self, name: &str, value: &str) {
        if !self.text.is_empty() {
            self.text.push('&');
        }
        push_encoded(&mut self.text, name);
        self.text.push('=');
        push_encoded(&mut self.text, value);
    }

    /// Appends `name=value` without looking for characters to encode: for
    /// text the caller writes itself from letters, digits, `-`, `.`, `_`
    /// and `~` only (parameter names, enum names, formatted numbers), where
    /// [`Payload::push`]'s byte-by-byte check is wasted work on every
    /// request. Debug builds check that nothing needed encoding.
    ///
    /// ```
    /// use mbx_signing::payload::Payload;
    ///
    /// let mut query = Payload::new();
    /// query.push_unencoded("side", "BUY");
    /// query.push_unencoded("quantity", "0.001");
    /// assert_eq!(query.as_str(), "side=BUY&quantity=0.001");
    /// ```
    pub fn push_unencoded(&mut self, name: &str, value: &str) {
        debug_assert!(
            name.bytes()
                .chain(value.bytes())
                .all(|byte| UNRESERVED[usize::from(byte)]),
            "{name}={value} needs percent-encoding: use Payload::push"
        );
        self.text.reserve(name.len() + value.len() + 2);
        if !self.text.is_empty() {
            self.text.push('&');
        }
        self.text.push_str(name);
        self.text.push('=');
        self.text.push_str(value);
    }

    /// Appends `&signature=<signature>` (percent-encoded: base64 signatures
    /// contain `+`, `/` and `=`). Call it last, after signing.
    pub fn push_signature(&mut self, signature: &Signature) {
        if signature.is_hex() {
            // Hex digits need no encoding; skip the check of 64 bytes.
            if !self.text.is_empty() {
                self.text.push('&');
            }
            self.text.push_str("signature=");
            self.text.push_str(signature.as_str());
            return;
        }
        self.push("signature", signature.as_str());
    }

    /// The encoded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The encoded text as bytes, ready to sign.
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// Empties the payload and keeps its buffer, so one payload can carry
    /// request after request without a new allocation each time.
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Whether no pair has been pushed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The length of the encoded text in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Cuts the payload back to `len` bytes, a length it had before (from
    /// [`Payload::len`]): what a signed request does before it is signed
    /// again with a new timestamp, so the parameters are not copied for
    /// each attempt.
    ///
    /// ```
    /// use mbx_signing::payload::Payload;
    ///
    /// let mut query = Payload::from_pairs([("symbol", "BTCUSDT")]);
    /// let unsigned = query.len();
    /// query.push_unencoded("timestamp", "1764100000000");
    /// query.truncate(unsigned);
    /// assert_eq!(query.as_str(), "symbol=BTCUSDT");
    /// ```
    ///
    /// # Panics
    ///
    /// When `len` falls inside a multi-byte character, which no earlier
    /// length of an encoded (ASCII) payload does.
    pub fn truncate(&mut self, len: usize) {
        self.text.truncate(len);
    }

    /// Appends every pair of `other` (already encoded) after this
    /// payload's, joined by `&`: the parameters of a request copied into
    /// the buffer that is then signed, without encoding them again.
    ///
    /// ```
    /// use mbx_signing::payload::Payload;
    ///
    /// let mut query = Payload::from_pairs([("symbol", "BTCUSDT")]);
    /// query.append(&Payload::from_pairs([("note", "a b")]));
    /// assert_eq!(query.as_str(), "symbol=BTCUSDT&note=a%20b");
    /// ```
    pub fn append(&mut self, other: &Payload) {
        if other.text.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push('&');
        }
        self.text.push_str(&other.text);
    }

    /// The decoded value of the first pair named `name`, if any: what a
    /// server reads for that parameter.
    ///
    /// ```
    /// use mbx_signing::payload::Payload;
    ///
    /// let query = Payload::from_pairs([("symbols", r#"["A","B"]"#), ("limit", "5")]);
    /// assert_eq!(query.value("symbols").as_deref(), Some(r#"["A","B"]"#));
    /// assert_eq!(query.value("limit").as_deref(), Some("5"));
    /// assert_eq!(query.value("symbol"), None);
    /// ```
    pub fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        let name = encode_component(name);
        self.text.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            if key != name {
                return None;
            }
            // Every byte `push` encodes is `%XX`, so decoding is the
            // inverse; a value that is not UTF-8 cannot have been pushed.
            percent_decode_str(value).decode_utf8().ok()
        })
    }

    /// The encoded text, owned.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A payload holds no secret, but a signed one would carry its
        // signature; mask it so that a `Debug` print is safe to log.
        f.write_str("Payload(")?;
        f.write_str(&redact_signature(&self.text))?;
        f.write_str(")")
    }
}

/// Appends `text` percent-encoded. Names, symbols, decimals and ids need
/// no encoding: they are copied in one go, which is most of an order's
/// query (the encoder's per-chunk work showed in the profile of
/// benches/orders.rs).
fn push_encoded(out: &mut String, text: &str) {
    // Without a branch per byte (`fold`, not `all`): symbols and client
    // order ids almost never need encoding, so the whole text is read
    // anyway, and a branch per byte costs twice the lookups.
    if text
        .bytes()
        .fold(true, |plain, byte| plain & UNRESERVED[usize::from(byte)])
    {
        out.push_str(text);
    } else {
        out.extend(utf8_percent_encode(text, ENCODE));
    }
}

/// Whether a byte is sent as it is (the complement of [`ENCODE`]), one
/// lookup per byte.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        byte += 1;
    }
    table
};

/// Percent-encodes one name or value the way [`Payload::push`] does.
///
/// ```
/// assert_eq!(mbx_signing::payload::encode_component("a+b/c="), "a%2Bb%2Fc%3D");
/// ```
pub fn encode_component(text: &str) -> Cow<'_, str> {
    utf8_percent_encode(text, ENCODE).into()
}

/// Decodes one form-encoded name or value: `+` is a space and `%XX` a byte.
/// Returns `None` when the bytes are not UTF-8.
///
/// ```
/// assert_eq!(mbx_signing::payload::decode_component("a%20b+c").as_deref(), Some("a b c"));
/// ```
pub fn decode_component(text: &str) -> Option<Cow<'_, str>> {
    // Most names and values carry neither `%` nor `+`: they decode to
    // themselves, already UTF-8, with no pass of the decoder over them.
    if !text.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(Cow::Borrowed(text));
    }
    if text.contains('+') {
        let spaced = text.replace('+', " ");
        return percent_decode_str(&spaced)
            .decode_utf8()
            .ok()
            .map(|value| Cow::Owned(value.into_owned()));
    }
    percent_decode_str(text).decode_utf8().ok()
}

/// The REST payload: the query string immediately followed by the body.
///
/// ```
/// let payload = mbx_signing::payload::rest_payload("symbol=LTCBTC&side=BUY", "quantity=1");
/// assert_eq!(payload, "symbol=LTCBTC&side=BUYquantity=1");
/// ```
pub fn rest_payload(query: &str, body: &str) -> String {
    let mut payload = String::with_capacity(query.len() + body.len());
    payload.push_str(query);
    payload.push_str(body);
    payload
}

/// Splits a received query string or body into the part that was signed and
/// the raw (still encoded) `signature` value, as a server verifies it.
///
/// The `signature` pair is removed wherever it stands, with the `&` that
/// joined it. Returns `None` for the signature when there is none.
///
/// ```
/// use mbx_signing::payload::split_signature;
/// assert_eq!(split_signature("a=1&b=2&signature=abc"), ("a=1&b=2".into(), Some("abc")));
/// assert_eq!(split_signature("signature=abc&a=1"), ("a=1".into(), Some("abc")));
/// assert_eq!(split_signature("a=1"), ("a=1".into(), None));
/// ```
pub fn split_signature(text: &str) -> (Cow<'_, str>, Option<&str>) {
    let mut start = 0;
    for pair in text.split('&') {
        let end = start + pair.len();
        if let Some(value) = pair.strip_prefix("signature=") {
            let signed = if start == 0 {
                Cow::Borrowed(text.get(end + 1..).unwrap_or(""))
            } else if end == text.len() {
                Cow::Borrowed(&text[..start - 1])
            } else {
                Cow::Owned(format!("{}{}", &text[..start - 1], &text[end..]))
            };
            return (signed, Some(value));
        }
        start = end + 1;
    }
    (Cow::Borrowed(text), None)
}

/// Masks the value of every `signature=` pair, for logs.
///
/// ```
/// assert_eq!(
///     mbx_signing::payload::redact_signature("a=1&signature=abc"),
///     "a=1&signature=<redacted>"
/// );
/// ```
pub fn redact_signature(text: &str) -> Cow<'_, str> {
    if !text.contains("signature=") {
        return Cow::Borrowed(text);
    }
    let redacted: Vec<&str> = text
        .split('&')
        .map(|pair| {
            if pair.starts_with("signature=") {
                "signature=<redacted>"
            } else {
                pair
            }
        })
        .collect();
    Cow::Owned(redacted.join("&"))
}

/// The WebSocket API payload: every parameter but `signature`, sorted by
/// name in byte order, joined as `name=value` with `&`, not encoded.
///
/// ```
/// let payload = mbx_signing::payload::ws_api_payload([
///     ("timestamp", "1649729878532"),
///     ("apiKey", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"),
///     ("signature", "ignored"),
/// ]);
/// assert_eq!(payload, "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&timestamp=1649729878532");
/// ```
pub fn ws_api_payload<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, _)| *name != "signature")
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut payload =
        String::with_capacity(sorted.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (idx, (name, value)) in sorted.iter().enumerate() {
        if idx > 0 {
            payload.push('&');
        }
        payload.push_str(name);
        payload.push('=');
        payload.push_str(value);
    }
    payload
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[track_caller]
    fn check(params: &[(&str, &str)], expected: &str) {
        assert_eq!(
            Payload::from_pairs(params.iter().copied()).as_str(),
            expected
        );
    }

    #[test]
    fn keeps_order() {
        check(
            &[("symbol", "LTCBTC"), ("side", "BUY")],
            "symbol=LTCBTC&side=BUY",
        );
    }
    #[test]
    fn decimals_stay_as_written() {
        check(
            &[("price", "0.10000000"), ("quantity", "1")],
            "price=0.10000000&quantity=1",
        );
    }
    #[test]
    fn encodes_non_ascii() {
        check(
            &[("symbol", "１２３４５６")],
            "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96",
        );
    }
    #[test]
    fn encodes_reserved_ascii_and_space() {
        check(
            &[("symbols", "[\"BTCUSDT\",\"BNBUSDT\"]")],
            "symbols=%5B%22BTCUSDT%22%2C%22BNBUSDT%22%5D",
        );
        check(&[("note", "a b&c=d")], "note=a%20b%26c%3Dd");
    }
    #[test]
    fn empty_payload() {
        check(&[], "");
    }

    #[test]
    fn a_hex_signature_is_appended_as_it_is() {
        let signer = crate::Signer::Hmac(crate::HmacKey::new(b"secret").unwrap());
        let signature = signer.sign(b"a=1");
        let mut payload = Payload::from_pairs([("a", "1")]);
        payload.push_signature(&signature);
        assert_eq!(
            payload.as_str(),
            format!("a=1&signature={}", signature.as_str())
        );
        let mut alone = Payload::new();
        alone.push_signature(&signature);
        assert_eq!(alone.as_str(), format!("signature={}", signature.as_str()));
    }

    #[test]
    fn split_signature_in_the_middle() {
        assert_eq!(
            split_signature("a=1&signature=x&b=2"),
            ("a=1&b=2".into(), Some("x"))
        );
        assert_eq!(split_signature("signature=x"), ("".into(), Some("x")));
        assert_eq!(
            split_signature("asignature=x"),
            ("asignature=x".into(), None)
        );
    }

    fn pair_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[a-zA-Z]{1,12}", any::<String>()), 0..8)
    }

    proptest! {
        #[test]
        fn encoding_round_trips(params in pair_strategy()) {
            let payload = Payload::from_pairs(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let decoded: Vec<(String, String)> = if payload.is_empty() {
                Vec::new()
            } else {
                payload.as_str().split('&').map(|pair| {
                    let (name, value) = pair.split_once('=').expect("every pair has =");
                    (decode_component(name).unwrap().into_owned(), decode_component(value).unwrap().into_owned())
                }).collect()
            };
            prop_assert_eq!(decoded, params);
        }

        #[test]
        fn the_unencoded_shortcut_writes_what_the_encoder_writes(value in "[ -~]{0,12}|[A-Za-z0-9._~-]{0,12}|\\PC{0,6}") {
            let mut payload = Payload::new();
            payload.push(&value, &value);
            let encoded: String = utf8_percent_encode(&value, ENCODE).collect();
            prop_assert_eq!(payload.as_str(), format!("{encoded}={encoded}"));
        }

        #[test]
        fn value_finds_what_was_pushed_and_append_joins(params in pair_strategy(), more in pair_strategy()) {
            let first = Payload::from_pairs(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let second = Payload::from_pairs(more.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let mut joined = first.clone();
            joined.append(&second);
            let all: Vec<(&str, &str)> = params.iter().chain(&more).map(|(n, v)| (n.as_str(), v.as_str())).collect();
            prop_assert_eq!(&joined, &Payload::from_pairs(all.iter().copied()));
            for (name, _) in &all {
                let expected = all.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                let found = joined.value(name);
                prop_assert_eq!(found.as_deref(), expected);
            }
        }

        #[test]
        fn encoded_text_is_plain_ascii(value in any::<String>()) {
            let encoded = encode_component(&value);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        }

        #[test]
        fn split_signature_recovers_what_was_signed(params in pair_strategy(), signature in "[0-9a-f]{64}") {
            let mut payload = Payload::from_pairs(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let signed = payload.as_str().to_owned();
            payload.push("signature", &signature);
            let (recovered, found) = split_signature(payload.as_str());
            prop_assert_eq!(recovered.as_ref(), signed.as_str());
            prop_assert_eq!(found, Some(signature.as_str()));
        }

        #[test]
        fn ws_api_payload_is_sorted(params in proptest::collection::vec(("[a-zA-Z]{1,12}", "[a-z0-9.]{0,8}"), 0..8)) {
            let payload = ws_api_payload(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let names: Vec<&str> = if params.is_empty() { Vec::new() } else {
                payload.split('&').filter_map(|p| p.split_once('=').map(|(n, _)| n)).collect()
            };
            let mut sorted = names.clone();
            sorted.sort_unstable();
            prop_assert_eq!(names, sorted);
        }
    }
}
