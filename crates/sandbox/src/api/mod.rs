//! The REST renderer: the router built from [`crate::ops::ENDPOINTS`], the
//! request extractor and the layer. Each route runs its row's operation
//! through [`Endpoint::call`] and writes the answer as Binance does: status,
//! headers, JSON body.
//!
//! One layer, `around_request` (a `middleware::from_fn_with_state`), wraps
//! every route and the fallback and takes these steps, in this order:
//!
//! 1. latency: a request under `/api` or `/sapi` first waits the latency
//!    set with `POST /sandbox/latency` (not counted in the time logged);
//! 2. log: records method, path, status and error code in the request log,
//!    and writes one line per request to the `tracing` log at `info`
//!    (`mbx sandbox -v`: method, path, status, Binance code, time taken;
//!    never a query, key or signature) and the error's message at `debug`
//!    (`-vv`);
//! 3. faults: answers with an injected [`crate::Fault`] instead, when a
//!    rule names this request ([`crate::FaultTarget`]); a `lost-answer`
//!    fault runs the request (step 4 included), then loses its answer;
//! 4. rate limit: charges the row's weight (1 for paths not in the table)
//!    to the client's address, answers 429/418 over the limit, gives the
//!    weight back where the row's [`crate::ops::Refund`] says (the answer
//!    carries the decision), and writes that address's
//!    `X-MBX-USED-WEIGHT-1M` on every response.
//!
//! Steps 1, 3 and 4 apply only under `/api` and `/sapi`. The steps are one
//! layer rather than one each because every `from_fn` layer boxes a future
//! and clones the boxed service under it for each request: four of them
//! were a tenth of the sandbox's CPU time per order.
//!
//! Unknown paths get 404 and wrong methods 405, both with `-1020` "This
//! operation is not supported."; the removed listenKey endpoints
//! ([`ops::NOT_SERVED`]) get 410.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, post, put};
use mbx_signing::payload::redact_signature;

use crate::error::{ApiError, ErrorCode, ErrorMessage};
use crate::exchange::{Caller, Exchange, Fault, LoggedRequest, Proof, Target};
use crate::limits::IN_PROCESS;
use crate::ops::{self, Endpoint, HttpMethod, Request as Call, Retired};
use crate::params::Params;
use crate::serve::CutConnection;
use crate::time_unit::{Shape, TimeUnit};

/// The largest request body read; more is `-1101` with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

// Binance's headers, as names made once: a name given as text is parsed
// again on every lookup and insert.
const API_KEY: HeaderName = HeaderName::from_static("x-mbx-apikey");
const TIME_UNIT: HeaderName = HeaderName::from_static("x-mbx-time-unit");
const USED_WEIGHT: HeaderName = HeaderName::from_static("x-mbx-used-weight");
const USED_WEIGHT_1M: HeaderName = HeaderName::from_static("x-mbx-used-weight-1m");
const ORDER_COUNT_10S: HeaderName = HeaderName::from_static("x-mbx-order-count-10s");
const ORDER_COUNT_1D: HeaderName = HeaderName::from_static("x-mbx-order-count-1d");

/// The sandbox's REST routes and layers over `exchange`.
pub fn router(exchange: Exchange) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<Exchange>> = BTreeMap::new();
    for endpoint in ops::ENDPOINTS {
        let handler = move |State(exchange): State<Exchange>, req: Req| async move {
            answer(&exchange, endpoint, &req)
        };
        let route = by_path.remove(endpoint.path).unwrap_or_default();
        let route = match endpoint.http_method {
            HttpMethod::Get => route.merge(get(handler)),
            HttpMethod::Post => route.merge(post(handler)),
            HttpMethod::Put => route.merge(put(handler)),
            HttpMethod::Delete => route.merge(delete(handler)),
        };
        by_path.insert(endpoint.path, route);
    }
    let mut api = Router::new();
    let mut retired: Vec<&'static str> = ops::NOT_SERVED
        .iter()
        .filter_map(|not_served| match not_served.endpoint {
            Retired::Rest(_, path) => Some(path),
            Retired::Ws(_) => None,
        })
        .collect();
    retired.dedup();
    for path in retired {
        api = api.route(path, any(gone));
    }
    for (path, route) in by_path {
        api = api.route(path, route);
    }
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            exchange.clone(),
            around_request,
        ))
        .with_state(exchange)
}

/// Marks a response whose weight is given back (the row's [`ops::Refund`]
/// rule, applied by [`Endpoint::call`]).
#[derive(Debug, Clone, Copy)]
struct Refunded;

/// Runs `endpoint` for a REST request and renders its answer.
fn answer(exchange: &Exchange, endpoint: &Endpoint, req: &Req) -> Response {
    let call = Call {
        params: &req.params,
        api_key: req.api_key.as_deref(),
        proof: Proof::Rest {
            raw_query: &req.raw_query,
            raw_body: &req.raw_body,
        },
    };
    let answer = endpoint.call(exchange, &call);
    let shape = shape_of(endpoint);
    let mut response = match answer.reply {
        Ok(body) => {
            let body = req.time_unit.convert(body, shape);
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(mut err) => {
            if let (TimeUnit::Microsecond, Some(data)) = (req.time_unit, &err.data) {
                let text = req.time_unit.convert(data.to_string(), shape);
                err.data = serde_json::from_str(&text).ok();
            }
            err.into_response()
        }
    };
    if answer.refund {
        response.extensions_mut().insert(Refunded);
    }
    if endpoint.shows_order_counts
        && let Some(caller) = answer.caller
    {
        add_order_count_headers(exchange, caller, response.headers_mut());
    }
    response
}

/// Which fields of an endpoint's answer are times.
pub(crate) fn shape_of(endpoint: &Endpoint) -> Shape {
    if endpoint.path.ends_with("lines") {
        Shape::Klines
    } else {
        Shape::Answer
    }
}

/// A request as Binance reads it: decoded parameters, the API key header,
/// the raw query string and body that the signature covers, and the unit
/// the answer's times are wanted in.
///
/// `Debug` masks the API key and every `signature` value.
pub struct Req {
    /// Parameters from the query string and the form body.
    pub params: Params,
    /// `X-MBX-APIKEY`, if sent (`Some("")` when not valid header text).
    pub api_key: Option<String>,
    /// The query string as received, still encoded.
    pub raw_query: String,
    /// The body as received, still encoded.
    pub raw_body: String,
    /// `X-MBX-TIME-UNIT` (milliseconds when not sent).
    pub time_unit: TimeUnit,
}

impl std::fmt::Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Req")
            .field("params", &self.params)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("raw_query", &redact_signature(&self.raw_query))
            .field("raw_body", &redact_signature(&self.raw_body))
            .field("time_unit", &self.time_unit)
            .finish()
    }
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Req, ApiError> {
        let (parts, body) = req.into_parts();
        let raw_query = parts.uri.query().unwrap_or("").to_owned();
        let api_key = parts
            .headers
            .get(API_KEY)
            .map(|value| value.to_str().unwrap_or("").to_owned());
        let time_unit = match parts.headers.get(TIME_UNIT) {
            Some(value) => TimeUnit::parse(value.to_str().unwrap_or(""))?,
            None => TimeUnit::Millisecond,
        };
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    -1101,
                    "Too many parameters sent for this endpoint.",
                )
            })?;
        // `Vec::from` takes the buffer over when the body came in one piece.
        let raw_body = String::from_utf8(Vec::from(bytes)).map_err(|_| {
            ApiError::bad_request(-1100, "Illegal characters found in a parameter.")
        })?;
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        // A JSON body is neither parameters nor signed.
        let raw_body = if is_json { String::new() } else { raw_body };
        let params = Params::parse(&raw_query, &raw_body)?;
        Ok(Req {
            params,
            api_key,
            raw_query,
            raw_body,
            time_unit,
        })
    }
}

/// Adds the caller's order counts, for order responses.
fn add_order_count_headers(exchange: &Exchange, caller: Caller, headers: &mut HeaderMap) {
    let (ten, day) = exchange
        .limiter()
        .order_counts(caller.uid, exchange.now_ms());
    headers.insert(ORDER_COUNT_10S, HeaderValue::from(ten));
    headers.insert(ORDER_COUNT_1D, HeaderValue::from(day));
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        -1020,
        "This operation is not supported.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        -1020,
        "This operation is not supported.",
    )
}

/// The listenKey endpoints were removed on 2026-02-20; Binance answers 410
/// Gone with a small HTML page, and so does the sandbox.
async fn gone() -> Response {
    (
        StatusCode::GONE,
        [(header::CONTENT_TYPE, "text/html")],
        "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n<center><h1>410 Gone</h1></center>\r\n</body>\r\n</html>\r\n",
    )
        .into_response()
}

fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/sapi/")
}

/// The client address of a request: its connection's, or
/// [`IN_PROCESS`] for a router called in-process.
pub(crate) fn client_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IN_PROCESS, |info| info.0.ip())
}

/// The longest path kept in the request log and the `tracing` log: a
/// client sending megabyte-long URLs for days cannot fill memory.
const MAX_LOGGED_PATH: usize = 256;

/// `path`, cut to [`MAX_LOGGED_PATH`] bytes at a character boundary.
pub(crate) fn logged_path(path: &str) -> &str {
    if path.len() <= MAX_LOGGED_PATH {
        return path;
    }
    let mut end = MAX_LOGGED_PATH;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

/// What `mbx sandbox -v` prints about one request (REST or WebSocket API).
pub(crate) struct Served<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    pub(crate) code: Option<i64>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) lost: bool,
    pub(crate) took: Duration,
}

/// One `info` line per request, and the error's message at `debug`:
/// `GET /api/v3/depth 400 -1121 1.2ms`. Never a query, key or signature.
pub(crate) fn trace_request(served: &Served<'_>) {
    let Served {
        method,
        path,
        status,
        code,
        reason,
        lost,
        took,
    } = *served;
    let code = code.map(|code| format!(" {code}")).unwrap_or_default();
    let lost = if lost { " (answer lost)" } else { "" };
    tracing::info!("{method} {path} {status}{code}{lost} {took:.1?}");
    if let Some(reason) = reason {
        tracing::debug!("{method} {path}: {reason}");
    }
}

/// The answer to an injected fault, the same for REST and the WebSocket
/// API. (`lost-answer` runs the request; each transport loses its answer.)
pub(crate) async fn fault_error(exchange: &Exchange, fault: Fault) -> ApiError {
    match fault {
        Fault::TooManyRequests => {
            let limit = exchange.limiter().config().request_weight_per_minute;
            ApiError::too_much_weight(limit, 1)
        }
        Fault::Banned => {
            let until = exchange.now_ms() + crate::limits::BAN_MS;
            ApiError::banned(until, (crate::limits::BAN_MS / 1000) as u64)
        }
        Fault::ServerError | Fault::LostAnswer { .. } => ApiError::internal(),
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
            )
        }
    }
}

/// The steps of the module docs, in their order, around one request.
async fn around_request(State(exchange): State<Exchange>, req: Request, next: Next) -> Response {
    if !is_api_path(req.uri().path()) {
        let seen = Seen::owned(&req);
        let started = Instant::now();
        let response = next.run(req).await;
        seen.log(&exchange, &response, started);
        return response;
    }
    let latency = exchange.live().latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let started = Instant::now();
    let endpoint = ops::find_rest(req.method().as_str(), req.uri().path());
    let seen = match endpoint {
        Some(endpoint) => Seen::routed(endpoint),
        None => Seen::owned(&req),
    };
    let fault = exchange.take_fault(Target::Rest(req.method().as_str(), req.uri().path()));
    let response = match fault {
        None => charge_weight(&exchange, endpoint, req, next).await,
        Some(Fault::LostAnswer { hold }) => {
            let mut response = charge_weight(&exchange, endpoint, req, next).await;
            exchange.live().hold(hold).await;
            response.extensions_mut().insert(CutConnection);
            response
        }
        Some(fault) => {
            let client = client_ip(req.extensions());
            let mut response = fault_error(&exchange, fault).await.into_response();
            // Like Binance's own 429/418/5xx, the answer still reports the weight.
            let used = exchange.limiter().used_weight(client, exchange.now_ms());
            response
                .headers_mut()
                .insert(USED_WEIGHT_1M, HeaderValue::from(used));
            response
        }
    };
    seen.log(&exchange, &response, started);
    response
}

/// The rate-limit step: charges the request's weight, runs it if the
/// client is under its limit, gives the weight back if the answer says so,
/// and reports the client's weight in the headers.
async fn charge_weight(
    exchange: &Exchange,
    endpoint: Option<&'static Endpoint>,
    req: Request,
    next: Next,
) -> Response {
    let client = client_ip(req.extensions());
    let weight = endpoint.map_or(1, |endpoint| {
        endpoint.rest_weight(req.uri().query().unwrap_or(""))
    });
    let admitted = exchange.limiter().admit(client, exchange.now_ms(), weight);
    let mut response = match admitted {
        Ok(()) => next.run(req).await,
        Err(err) => err.into_response(),
    };
    let used = {
        let mut limiter = exchange.limiter();
        if response.extensions().get::<Refunded>().is_some() {
            limiter.refund(client, weight);
        }
        limiter.used_weight(client, exchange.now_ms())
    };
    let headers = response.headers_mut();
    headers.insert(USED_WEIGHT, HeaderValue::from(used));
    headers.insert(USED_WEIGHT_1M, HeaderValue::from(used));
    response
}

/// A request's method and path as the log keeps them, taken before the
/// request is handed on.
struct Seen {
    method: Cow<'static, str>,
    path: Cow<'static, str>,
}

impl Seen {
    /// A routed request: its row's own text, nothing copied.
    fn routed(endpoint: &'static Endpoint) -> Seen {
        Seen {
            method: Cow::Borrowed(endpoint.http_method.as_str()),
            path: Cow::Borrowed(endpoint.path),
        }
    }

    /// Any other request: its method and (cut) path copied.
    fn owned(req: &Request) -> Seen {
        Seen {
            method: Cow::Owned(req.method().to_string()),
            path: Cow::Owned(logged_path(req.uri().path()).to_owned()),
        }
    }

    /// Writes the `tracing` lines and the request log entry for `response`.
    fn log(self, exchange: &Exchange, response: &Response, started: Instant) {
        let Seen { method, path } = self;
        let status = response.status().as_u16();
        let code = response.extensions().get::<ErrorCode>().map(|code| code.0);
        let reason = response
            .extensions()
            .get::<ErrorMessage>()
            .map(|msg| msg.0.as_str());
        if response.status().is_server_error() {
            tracing::warn!(%method, %path, status, ?code, "request failed");
        }
        trace_request(&Served {
            method: &method,
            path: &path,
            status,
            code,
            reason,
            lost: response.extensions().get::<CutConnection>().is_some(),
            took: started.elapsed(),
        });
        exchange.log(LoggedRequest {
            method,
            path,
            status,
            code,
        });
    }
}

/// The request weight of a REST request: its row's, from the query string
/// as received; 1 for a path or method not in the table.
pub fn weight(method: &Method, path: &str, query: &str) -> u32 {
    ops::find_rest(method.as_str(), path).map_or(1, |endpoint| endpoint.rest_weight(query))
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;
    use crate::{DEMO_API_KEY, DEMO_API_SECRET, FaultTarget, RequestLogEntry, SandboxConfig};

    /// A demo-account order request, signed in the query string.
    fn signed_order(exchange: &Exchange, method: Method, params: &str) -> Request {
        let query = format!("{params}&timestamp={}", exchange.now_ms());
        let key = mbx_signing::HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap();
        let signature = key.sign(query.as_bytes());
        Request::builder()
            .method(method)
            .uri(format!("/api/v3/order?{query}&signature={signature}"))
            .header("x-mbx-apikey", DEMO_API_KEY)
            .body(Body::empty())
            .unwrap()
    }

    fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap())
    }

    #[tokio::test]
    async fn a_placed_order_gets_its_weight_back_and_a_rejected_one_keeps_it() {
        let exchange = Exchange::new(&SandboxConfig::demo()).unwrap();
        let app = crate::router(exchange.clone());
        let ioc = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=50000";
        let placed = app
            .clone()
            .oneshot(signed_order(&exchange, Method::POST, ioc))
            .await
            .unwrap();
        assert_eq!(placed.status(), StatusCode::OK);
        assert_eq!(header(&placed, "x-mbx-used-weight"), Some("0"));
        assert_eq!(header(&placed, "x-mbx-used-weight-1m"), Some("0"));
        assert_eq!(header(&placed, "x-mbx-order-count-10s"), Some("1"));
        let unknown = ioc.replace("BTCUSDT", "NOPE");
        let rejected = app
            .oneshot(signed_order(&exchange, Method::POST, &unknown))
            .await
            .unwrap();
        assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
        assert_eq!(header(&rejected, "x-mbx-used-weight-1m"), Some("1"));
    }

    #[tokio::test]
    async fn a_fault_hits_its_method_and_path_only_and_every_request_is_logged() {
        let exchange = Exchange::new(&SandboxConfig::demo()).unwrap();
        let app = crate::router(exchange.clone());
        let target = FaultTarget::rest("POST", "/api/v3/order");
        exchange
            .fail_next_on(1, Fault::ServerError, target)
            .unwrap();
        let query = signed_order(&exchange, Method::GET, "symbol=BTCUSDT&orderId=1");
        let query = app.clone().oneshot(query).await.unwrap();
        assert_eq!(
            query.status(),
            StatusCode::BAD_REQUEST,
            "not the fault's method"
        );
        let failed = signed_order(&exchange, Method::POST, "symbol=BTCUSDT");
        let failed = app.clone().oneshot(failed).await.unwrap();
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(header(&failed, "x-mbx-used-weight-1m"), Some("4"));
        assert_eq!(header(&failed, "x-mbx-used-weight"), None);
        let outside = Request::builder()
            .uri("/nothing")
            .body(Body::empty())
            .unwrap();
        let outside = app.oneshot(outside).await.unwrap();
        assert_eq!(outside.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&outside, "x-mbx-used-weight-1m"), None);
        let entry = |method: &str, path: &str, status, code| RequestLogEntry {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code,
        };
        assert_eq!(
            exchange.request_log(),
            [
                entry("GET", "/api/v3/order", 400, Some(-2013)),
                entry("POST", "/api/v3/order", 500, Some(-1000)),
                entry("GET", "/nothing", 404, Some(-1020)),
            ]
        );
    }

    #[tokio::test]
    async fn router_answers_without_a_socket() {
        let exchange = Exchange::new(&SandboxConfig::demo()).unwrap();
        let app = crate::router(exchange);
        let request = Request::builder()
            .uri("/api/v3/depth?symbol=BTCUSDT&symbol=ETHUSDT")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()["x-mbx-used-weight-1m"], "5");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            &body[..],
            br#"{"code":-1101,"msg":"Duplicate values for a parameter detected."}"#
        );
    }

    #[tokio::test]
    async fn every_row_of_the_table_is_routed() {
        let exchange = Exchange::new(&SandboxConfig::demo()).unwrap();
        let app = crate::router(exchange);
        for endpoint in ops::ENDPOINTS {
            let request = Request::builder()
                .method(endpoint.http_method.as_str())
                .uri(endpoint.path)
                .body(Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{} {}: {status}",
                endpoint.http_method.as_str(),
                endpoint.path
            );
        }
    }

    #[tokio::test]
    async fn debug_masks_the_api_key_and_the_signature() {
        let signature = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!(
                "/api/v3/order?symbol=BTCUSDT&signature={signature}"
            ))
            .header("x-mbx-apikey", "secretLookingApiKey42")
            .body(Body::from(format!("timestamp=1&signature={signature}")))
            .unwrap();
        let req = Req::from_request(request, &()).await.unwrap();
        let printed = format!("{req:?}");
        assert!(!printed.contains(signature), "{printed}");
        assert!(!printed.contains("secretLookingApiKey42"), "{printed}");
        assert!(printed.contains("BTCUSDT"), "{printed}");
    }

    #[test]
    fn weights() {
        let get = Method::GET;
        assert_eq!(
            weight(&get, "/api/v3/depth", "symbol=BTCUSDT&limit=5000"),
            250
        );
        assert_eq!(weight(&get, "/api/v3/depth", "symbol=BTCUSDT"), 5);
        assert_eq!(weight(&get, "/api/v3/ticker/24hr", ""), 80);
        assert_eq!(
            weight(
                &get,
                "/api/v3/ticker/24hr",
                "symbols=%5B%22A%22%2C%22B%22%5D"
            ),
            2
        );
        assert_eq!(weight(&get, "/api/v3/account", "timestamp=1"), 20);
        assert_eq!(weight(&get, "/api/v3/openOrders", "timestamp=1"), 80);
    }
}
