//! The REST renderer: the router built from [`crate::ops::ENDPOINTS`], the
//! request extractor and the layers. Each route runs its row's operation
//! through [`Endpoint::call`] and writes the answer as Binance does: status,
//! headers, JSON body.
//!
//! Layers, outermost first (each is a `middleware::from_fn_with_state`):
//!
//! 1. `log_requests`: records method, path, status and error code.
//! 2. `inject_faults`: answers with an injected [`crate::Fault`] instead.
//! 3. `rate_limit`: charges the row's weight (1 for paths not in the
//!    table), answers 429/418 over the limit, gives the weight back where
//!    the row's [`crate::ops::Refund`] says (the answer carries the decision), and writes `X-MBX-USED-WEIGHT-1M` on every
//!    response.
//!
//! Unknown paths get 404 and wrong methods 405, both with `-1020` "This
//! operation is not supported."; the removed listenKey endpoints get 410.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, post, put};
use mbx_signing::payload::redact_signature;

use crate::error::{ApiError, ErrorCode};
use crate::exchange::{Caller, Exchange, Fault, Proof, RequestLogEntry};
use crate::ops::{self, Endpoint, HttpMethod, Request as Call, WeightInput};
use crate::params::Params;

/// The largest request body read; more is `-1101` with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    let mut api = Router::new().route("/api/v3/userDataStream", any(gone));
    for (path, route) in by_path {
        api = api.route(path, route);
    }
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(exchange.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(
            exchange.clone(),
            inject_faults,
        ))
        .layer(middleware::from_fn_with_state(
            exchange.clone(),
            log_requests,
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
    let mut response = match answer.reply {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(err) => err.into_response(),
    };
    if answer.refund {
        response.extensions_mut().insert(Refunded);
    }
    if endpoint.shows_order_counts
        && let Some(caller) = answer.caller
    {
        response
            .headers_mut()
            .extend(order_count_headers(exchange, caller));
    }
    response
}

/// A request as Binance reads it: decoded parameters, the API key header,
/// and the raw query string and body that the signature covers.
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
}

impl std::fmt::Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Req")
            .field("params", &self.params)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("raw_query", &redact_signature(&self.raw_query))
            .field("raw_body", &redact_signature(&self.raw_body))
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
            .get("x-mbx-apikey")
            .map(|value| value.to_str().unwrap_or("").to_owned());
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    -1101,
                    "Too many parameters sent for this endpoint.",
                )
            })?;
        let raw_body = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::bad_request(-1100, "Illegal characters found in a parameter.")
        })?;
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        let form_body = if is_json { "" } else { raw_body.as_str() };
        let params = Params::parse(&raw_query, form_body)?;
        Ok(Req {
            params,
            api_key,
            raw_query,
            raw_body: form_body.to_owned(),
        })
    }
}

/// The caller's order counts, for order responses.
fn order_count_headers(exchange: &Exchange, caller: Caller) -> HeaderMap {
    let (ten, day) = exchange
        .limiter()
        .order_counts(caller.uid, exchange.now_ms());
    let mut headers = HeaderMap::new();
    headers.insert("x-mbx-order-count-10s", HeaderValue::from(ten));
    headers.insert("x-mbx-order-count-1d", HeaderValue::from(day));
    headers
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

async fn log_requests(State(exchange): State<Exchange>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let code = response.extensions().get::<ErrorCode>().map(|code| code.0);
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status = response.status().as_u16(), ?code, "request failed");
    }
    exchange.log_request(RequestLogEntry {
        method,
        path,
        status: response.status().as_u16(),
        code,
    });
    response
}

/// The answer to an injected fault, the same for REST and the WebSocket API.
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
        Fault::ServerError => ApiError::internal(),
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

async fn inject_faults(State(exchange): State<Exchange>, req: Request, next: Next) -> Response {
    if !is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(fault) = exchange.take_fault() else {
        return next.run(req).await;
    };
    let err = fault_error(&exchange, fault).await;
    let mut response = err.into_response();
    // Like Binance's own 429/418/5xx, the answer still reports the weight.
    let used = exchange.limiter().used_weight(exchange.now_ms());
    response
        .headers_mut()
        .insert("x-mbx-used-weight-1m", HeaderValue::from(used));
    response
}

async fn rate_limit(State(exchange): State<Exchange>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !is_api_path(&path) {
        return next.run(req).await;
    }
    let weight = weight(req.method(), &path, req.uri().query().unwrap_or(""));
    let now = exchange.now_ms();
    let admitted = exchange.limiter().admit(now, weight);
    let mut response = match admitted {
        Ok(()) => {
            let response = next.run(req).await;
            if response.extensions().get::<Refunded>().is_some() {
                exchange.limiter().refund(weight);
            }
            response
        }
        Err(err) => err.into_response(),
    };
    let used = exchange.limiter().used_weight(exchange.now_ms());
    let headers = response.headers_mut();
    headers.insert("x-mbx-used-weight", HeaderValue::from(used));
    headers.insert("x-mbx-used-weight-1m", HeaderValue::from(used));
    response
}

/// The request weight of a REST request: its row's, from the query string
/// as received; 1 for a path or method not in the table.
pub fn weight(method: &Method, path: &str, query: &str) -> u32 {
    ops::find_rest(method.as_str(), path).map_or(1, |endpoint| {
        endpoint.weight(&WeightInput::from_query(query))
    })
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;
    use crate::SandboxConfig;

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
