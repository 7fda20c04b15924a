//! Fuzz targets, run by `cargo test` (256 inputs per target by default)
//! and longer by `cargo xtask fuzz` (`PROPTEST_CASES` inputs per target):
//! random bytes, structured inputs and mutations of real requests and
//! frames, against the two parsers that face the wire.
//!
//! - The sandbox's request parsing: `Params::parse` (query and form body),
//!   the `Req` extractor (headers, body, `X-MBX-TIME-UNIT`), the whole
//!   router (every endpoint row, in-process), and the microsecond rewriter.
//!   Properties: no panic; a refusal is a Binance error of the documented
//!   codes, never a 500; encoded pairs decode to themselves.
//! - The client's frame decoding: `mbx_adapters_ws::wire::decode_market`
//!   and `decode_api` (then `to_domain`). Property: no panic; a frame that
//!   decodes converts or fails with an error.
//!
//! Each target prints how many inputs it ran (`--nocapture` shows it).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Method, Request, StatusCode};
use mbx_adapters_ws::wire::{ApiFrame, MarketFrame, decode_api, decode_market};
use mbx_sandbox::api::Req;
use mbx_sandbox::ops::ENDPOINTS;
use mbx_sandbox::params::Params;
use mbx_sandbox::time_unit::{Shape, to_microseconds};
use mbx_sandbox::{DEMO_API_KEY, Exchange, RateLimitConfig, SandboxConfig};
use mbx_signing::payload::encode_component;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tower::ServiceExt;

/// Runs `property` over `strategy` with the environment's case count
/// (`PROPTEST_CASES`, 256 by default); panics with the smallest failing
/// input; prints the number of inputs tried.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let tried = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let res = runner.run(&strategy, |input| {
        tried.fetch_add(1, Ordering::Relaxed);
        property(input)
    });
    let tried = tried.load(Ordering::Relaxed);
    if let Err(err) = res {
        panic!("fuzz {name}: failed after {tried} inputs: {err}");
    }
    eprintln!("fuzz {name}: {tried} inputs, 0 failures");
}

/// Mutations of a seed text: `(kind, position, length, byte)` each.
fn mutations() -> impl Strategy<Value = Vec<(u8, usize, usize, u8)>> {
    prop::collection::vec((0_u8..6, any::<usize>(), 0_usize..16, any::<u8>()), 1..8)
}

/// Tokens that change how a query or a JSON text reads.
const TOKENS: &[&[u8]] = &[
    b"%",
    b"%F",
    b"%FF",
    b"%00",
    b"%E8%BF",
    b"&",
    b"=",
    b"&&",
    b"+",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"-",
    b"0",
    b"1e400",
    b"99999999999999999999999",
    b"null",
    b"\\",
    b"\\u0000",
    "\u{e9}".as_bytes(),
    "这".as_bytes(),
    b"\xff",
    b"signature=",
    b"timestamp=",
];

/// Applies `mutations` to `seed`.
fn mutate(seed: &[u8], mutations: &[(u8, usize, usize, u8)]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for &(kind, at, len, byte) in mutations {
        let at = if bytes.is_empty() {
            0
        } else {
            at % (bytes.len() + 1)
        };
        let end = (at + len).min(bytes.len());
        match kind {
            0 if at < bytes.len() => bytes[at] = byte,
            1 => {
                let token = TOKENS[usize::from(byte) % TOKENS.len()];
                bytes.splice(at..at, token.iter().copied());
            }
            2 => {
                bytes.drain(at..end);
            }
            3 => {
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            4 => bytes.truncate(at),
            _ => bytes.insert(at, byte),
        }
    }
    bytes
}

// The sandbox's request parsing.

/// Queries and bodies as clients send them.
const QUERIES: &[&str] = &[
    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=50000.00&newClientOrderId=abc-1&recvWindow=5000&timestamp=1700000000000&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
    "symbols=%5B%22BTCUSDT%22%2C%22BNBBTC%22%5D&type=MINI",
    "symbol=%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456&limit=5",
    "symbol=BTCUSDT&interval=1m&startTime=1700000000000000&endTime=1700000060000&limit=1000&timeZone=%2B08%3A00",
    "omitZeroBalances=true&recvWindow=6000.346&timestamp=1700000000000&signature=a%2Bb%2Fc%3D",
    "symbol=BNBBTC&orderId=12&origClientOrderId=x&cancelRestrictions=ONLY_NEW",
];

/// The codes `Params::parse` may refuse with.
const PARSE_CODES: &[i64] = &[-1100, -1101, -1103, -1105];

/// Reads every typed parameter the operations read: none may panic.
fn read_everything(params: &Params) {
    let _ = params.symbol();
    let _ = params.opt_symbol();
    let _ = params.opt_symbols();
    for name in [
        "limit",
        "orderId",
        "startTime",
        "endTime",
        "timestamp",
        "fromId",
    ] {
        let _ = params.opt_long(name);
    }
    for name in ["price", "quantity", "quoteOrderQty", "recvWindow"] {
        let _ = params.opt_decimal(name);
    }
    let _ = params.opt_bool("omitZeroBalances");
    let _ = params.limit(500, 1000);
    let _ = params.only(&["symbol", "limit"]);
}

fn check_parse(query: &[u8], body: &[u8]) -> Result<(), TestCaseError> {
    let query = String::from_utf8_lossy(query);
    let body = String::from_utf8_lossy(body);
    match Params::parse(&query, &body) {
        Ok(params) => read_everything(&params),
        Err(err) => prop_assert!(PARSE_CODES.contains(&err.code), "{err:?}"),
    }
    Ok(())
}

#[test]
fn params_from_random_bytes() {
    let bytes = prop::collection::vec(any::<u8>(), 0..300);
    fuzz(
        "params/random-bytes",
        (bytes.clone(), bytes),
        |(query, body)| check_parse(&query, &body),
    );
}

#[test]
fn params_from_mutated_queries() {
    let strategy = (0..QUERIES.len(), mutations(), any::<bool>());
    fuzz(
        "params/mutated-queries",
        strategy,
        |(idx, edits, in_body)| {
            let mutated = mutate(QUERIES[idx].as_bytes(), &edits);
            if in_body {
                check_parse(b"", &mutated)
            } else {
                check_parse(&mutated, b"")
            }
        },
    );
}

#[test]
fn encoded_pairs_decode_to_themselves() {
    let pair = ("[^\u{0}]{1,12}", "[^\u{0}]{1,24}");
    let pairs = prop::collection::vec(pair, 1..8);
    fuzz("params/round-trip", pairs, |pairs| {
        let mut seen = std::collections::HashSet::new();
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(name, _)| seen.insert(name.clone()))
            .collect();
        let query: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{}={}", encode_component(name), encode_component(value)))
            .collect();
        let params = Params::parse(&query.join("&"), "")
            .map_err(|err| TestCaseError::fail(format!("{}: {err:?}", query.join("&"))))?;
        for (name, value) in &pairs {
            prop_assert_eq!(params.get(name), Some(value.as_str()));
        }
        Ok(())
    });
}

/// A runtime for the async targets, one per test thread.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// Header values a client may send, broken ones included.
fn header_value() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop_oneof![
        Just(DEMO_API_KEY.as_bytes().to_vec()),
        Just(b"MICROSECOND".to_vec()),
        Just(b"application/json".to_vec()),
        Just(b"application/x-www-form-urlencoded".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ])
}

/// A request built from fuzzed parts. A query `http` refuses as it is
/// (a space, a quote, bytes that are not UTF-8: hyper answers those itself)
/// is sent with those bytes percent-encoded; a header value `http` refuses
/// is left out. `None` only if the request still cannot be built.
fn request(
    method: &Method,
    path: &str,
    query: &[u8],
    headers: &[(&str, &Option<Vec<u8>>)],
    body: Vec<u8>,
) -> Option<Request<Body>> {
    let target = |query: &str| {
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    };
    let as_sent = std::str::from_utf8(query)
        .ok()
        .map(target)
        .filter(|uri| uri.parse::<axum::http::Uri>().is_ok());
    let uri = as_sent.unwrap_or_else(|| target(&escape(query)));
    let mut builder = Request::builder().method(method.clone()).uri(uri);
    for (name, value) in headers {
        let value = value
            .as_deref()
            .and_then(|value| axum::http::HeaderValue::from_bytes(value).ok());
        if let Some(value) = value {
            builder = builder.header(*name, value);
        }
    }
    builder.body(Body::from(body)).ok()
}

/// `%XX` for every byte a URI may not carry as it is.
fn escape(query: &[u8]) -> String {
    let mut escaped = String::new();
    for &byte in query {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

/// What the extractor may refuse with.
const EXTRACTOR_CODES: &[i64] = &[-1100, -1101, -1103, -1105, -1194];

#[test]
fn req_extractor() {
    let strategy = (
        0..QUERIES.len(),
        mutations(),
        header_value(),
        header_value(),
        header_value(),
        prop::collection::vec(any::<u8>(), 0..200),
    );
    let reached = AtomicU64::new(0);
    fuzz(
        "sandbox/req-extractor",
        strategy,
        |(idx, edits, key, unit, kind, body)| {
            let query = mutate(QUERIES[idx].as_bytes(), &edits);
            let headers = [
                ("x-mbx-apikey", &key),
                ("x-mbx-time-unit", &unit),
                ("content-type", &kind),
            ];
            let Some(req) = request(&Method::POST, "/api/v3/order", &query, &headers, body) else {
                return Ok(());
            };
            reached.fetch_add(1, Ordering::Relaxed);
            match block_on(Req::from_request(req, &())) {
                Ok(req) => read_everything(&req.params),
                Err(err) => {
                    prop_assert!(EXTRACTOR_CODES.contains(&err.code), "{err:?}");
                    prop_assert!(
                        err.status == StatusCode::BAD_REQUEST
                            || err.status == StatusCode::PAYLOAD_TOO_LARGE
                    );
                }
            }
            Ok(())
        },
    );
    report_reached("sandbox/req-extractor", &reached);
}

/// Says how many inputs reached the sandbox (the rest could not be built
/// into a request at all).
fn report_reached(name: &str, reached: &AtomicU64) {
    eprintln!(
        "fuzz {name}: {} of them reached the sandbox",
        reached.load(Ordering::Relaxed)
    );
}

/// One exchange for every router input: limits high enough that weight
/// never turns every answer into a ban.
fn exchange() -> Exchange {
    static EXCHANGE: OnceLock<Exchange> = OnceLock::new();
    EXCHANGE
        .get_or_init(|| {
            let mut config = SandboxConfig::demo();
            config.limits = RateLimitConfig {
                request_weight_per_minute: u32::MAX,
                orders_per_10s: u32::MAX,
                orders_per_day: u32::MAX,
                raw_requests_per_5m: u32::MAX,
            };
            Exchange::new(&config).unwrap()
        })
        .clone()
}

#[test]
fn router_answers_every_endpoint_in_binance_shape() {
    let strategy = (
        0..ENDPOINTS.len(),
        0..QUERIES.len(),
        mutations(),
        header_value(),
        header_value(),
    );
    let reached = AtomicU64::new(0);
    fuzz(
        "sandbox/router",
        strategy,
        |(row, idx, edits, key, unit)| {
            let endpoint = &ENDPOINTS[row];
            let method = Method::from_bytes(endpoint.http_method.as_str().as_bytes()).unwrap();
            let query = mutate(QUERIES[idx].as_bytes(), &edits);
            let headers = [("x-mbx-apikey", &key), ("x-mbx-time-unit", &unit)];
            let Some(req) = request(&method, endpoint.path, &query, &headers, Vec::new()) else {
                return Ok(());
            };
            reached.fetch_add(1, Ordering::Relaxed);
            let app = mbx_sandbox::router(exchange());
            let response = block_on(app.oneshot(req)).unwrap();
            let status = response.status();
            prop_assert!(
                !status.is_server_error(),
                "{} {}: {status}",
                endpoint.http_method.as_str(),
                endpoint.path
            );
            let body = block_on(axum::body::to_bytes(response.into_body(), 1 << 24)).unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|err| TestCaseError::fail(format!("{status}: not JSON ({err})")))?;
            if !status.is_success() {
                prop_assert!(json["code"].is_i64() && json["msg"].is_string(), "{json}");
            }
            Ok(())
        },
    );
    report_reached("sandbox/router", &reached);
}

#[test]
fn microsecond_rewriter_keeps_json_json() {
    let shapes = prop_oneof![
        Just(Shape::Answer),
        Just(Shape::Klines),
        Just(Shape::Events)
    ];
    fuzz(
        "sandbox/time-unit",
        (0..FRAMES.len(), mutations(), shapes),
        |(idx, edits, shape)| {
            let bytes = mutate(FRAMES[idx].as_bytes(), &edits);
            let text = String::from_utf8_lossy(&bytes);
            let converted = to_microseconds(&text, shape);
            if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
                prop_assert!(
                    serde_json::from_str::<serde_json::Value>(&converted).is_ok(),
                    "{text} became {converted}"
                );
            }
            Ok(())
        },
    );
}

// The client's frame decoding.

/// Frames as the sandbox and Binance send them.
const FRAMES: &[&str] = &[
    r#"{"e":"trade","E":1700000000123,"s":"BTCUSDT","t":12345,"p":"97000.01000000","q":"0.01000000","T":1700000000120,"m":true,"M":true}"#,
    r#"{"e":"aggTrade","E":1700000000123,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1700000000120,"m":true,"M":true}"#,
    r#"{"e":"kline","E":1700000000123,"s":"BNBBTC","k":{"t":1700000000000,"T":1700000059999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"0"}}"#,
    r#"{"e":"depthUpdate","E":1700000000123,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#,
    r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#,
    r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
    r#"{"e":"24hrTicker","E":1700000000123,"s":"BNBBTC","p":"0.0015","P":"250.00","w":"0.0018","x":"0.0009","c":"0.0025","Q":"10","b":"0.0024","B":"10","a":"0.0026","A":"100","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18","O":0,"C":86400000,"F":0,"L":18150,"n":18151}"#,
    r#"[{"e":"24hrMiniTicker","E":1700000000123,"s":"这是测试币456","c":"1.2000","o":"1.1000","h":"1.3000","l":"1.0000","v":"100","q":"120"}]"#,
    r#"{"e":"avgPrice","E":1700000000123,"s":"BNBBTC","i":"5m","w":"0.0018","T":1700000000000}"#,
    r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1700000000123000,"s":"BTCUSDT","t":1,"p":"1.0","q":"1.0","T":1700000000120000,"m":false,"M":true}}"#,
    r#"{"result":null,"id":1}"#,
    r#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":"a-1"}"#,
    r#"{"subscriptionId":0,"event":{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}}"#,
    r#"{"subscriptionId":1,"event":{"e":"outboundAccountPosition","E":1564034571105,"u":1564034571073,"B":[{"a":"ETH","f":"10000.000000","l":"0.000000"}]}}"#,
    r#"{"subscriptionId":1,"event":{"e":"balanceUpdate","E":1573200697110,"a":"这是测试币","d":"100.00000000","T":1573200697068}}"#,
    r#"{"subscriptionId":1,"event":{"e":"eventStreamTerminated","E":1728973001334}}"#,
    r#"{"event":{"e":"serverShutdown","E":1728973001334}}"#,
    r#"{"id":"e2a85d9f-07a5-4f94-8d5f-789dc3deb097","status":200,"result":{"serverTime":1656400526260},"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":1}]}"#,
    r#"{"id":7,"status":400,"error":{"code":-2022,"msg":"Order cancel-replace failed.","data":{"cancelResult":"FAILURE","newOrderResult":"NOT_ATTEMPTED","cancelResponse":{"code":-2011,"msg":"Unknown order sent."},"newOrderResponse":null}}}"#,
    r#"{"id":null,"status":429,"error":{"code":-1003,"msg":"Too much request weight used","data":{"serverTime":1,"retryAfter":2}}}"#,
];

/// Decodes a frame both ways and converts what decodes; nothing may panic.
fn decode_everything(text: &str) {
    match decode_market(text) {
        Ok(MarketFrame::Event { event, .. }) => {
            let _ = event.to_domain();
        }
        Ok(MarketFrame::Reply(_) | MarketFrame::Unrecognized { .. }) | Err(_) => {}
    }
    // The typed path the connections use must not panic either.
    let _ = mbx_adapters_ws::wire::decode_market_typed(text);
    match decode_api(text) {
        Ok(ApiFrame::Event { event, .. }) => {
            let _ = event.to_domain();
        }
        Ok(ApiFrame::Response(_) | ApiFrame::ServerShutdown(_)) | Err(_) => {}
    }
}

#[test]
fn client_frames_from_random_bytes() {
    fuzz(
        "client/random-bytes",
        prop::collection::vec(any::<u8>(), 0..512),
        |bytes| {
            decode_everything(&String::from_utf8_lossy(&bytes));
            Ok(())
        },
    );
}

#[test]
fn client_frames_from_mutated_frames() {
    fuzz(
        "client/mutated-frames",
        (0..FRAMES.len(), mutations()),
        |(idx, edits)| {
            let bytes = mutate(FRAMES[idx].as_bytes(), &edits);
            decode_everything(&String::from_utf8_lossy(&bytes));
            Ok(())
        },
    );
}

/// JSON built from Binance's keys with values of every kind, so that the
/// decoder meets right keys holding wrong things.
fn binance_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[0-9]{0,22}(\\.[0-9]{0,22})?".prop_map(Value::from),
        prop_oneof![
            Just("trade"),
            Just("aggTrade"),
            Just("kline"),
            Just("depthUpdate"),
            Just("executionReport"),
            Just("outboundAccountPosition"),
            Just("balanceUpdate"),
            Just("listStatus"),
            Just("serverShutdown"),
            Just("eventStreamTerminated"),
            Just("24hrTicker"),
            Just("这是测试币456"),
        ]
        .prop_map(Value::from),
    ];
    let keys = prop_oneof![
        Just("e"),
        Just("E"),
        Just("s"),
        Just("p"),
        Just("q"),
        Just("b"),
        Just("a"),
        Just("k"),
        Just("t"),
        Just("T"),
        Just("U"),
        Just("u"),
        Just("B"),
        Just("A"),
        Just("x"),
        Just("X"),
        Just("stream"),
        Just("data"),
        Just("id"),
        Just("status"),
        Just("result"),
        Just("error"),
        Just("event"),
        Just("subscriptionId"),
        Just("lastUpdateId"),
        Just("bids"),
        Just("asks"),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect(),
                )
            }),
        ]
    })
}

#[test]
fn client_frames_from_structured_json() {
    fuzz("client/structured-json", binance_json(), |value| {
        decode_everything(&value.to_string());
        Ok(())
    });
}
