//! The client: builds, signs and sends requests, and applies the retry
//! rules.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use mbx_domain::clock::{self, ClockConfig, ClockSync, Estimate};
use mbx_domain::credentials::Credentials;
use mbx_domain::environment::check_base_url;
use mbx_domain::model::{Millis, NewOrder, RateLimit};
use mbx_domain::observer::{ObservedRequest, RequestObserver, Wait};
use mbx_domain::ports::LocalClock;
use mbx_domain::rate_limit::{BackoffStore, RateLimitLedger, ServerBackoff};
use mbx_domain::{BinanceError, Error};
use mbx_signing::payload::{self, Payload};
use rand::Rng as _;
use serde::de::DeserializeOwned;

use crate::transport::{Answer, Transport};

/// The header that carries the API key. The key never goes in the URL.
pub const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// Everything the client needs to know besides the credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The base URL, e.g. `https://api.binance.com` (checked: plain http
    /// only to loopback).
    pub base_url: String,
    /// `recvWindow` in milliseconds for signed requests; `None` leaves the
    /// server's default (5000).
    pub recv_window_ms: Option<u32>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How many times an idempotent request (GET) is retried after a
    /// network error or a 5xx.
    pub max_retries: u32,
    /// The longest `Retry-After` the client waits out by itself; a longer
    /// one is returned as the error.
    pub max_rate_limit_wait: Duration,
    /// How often the clock is re-synced.
    pub clock: ClockConfig,
}

impl ClientConfig {
    /// Defaults for `base_url`: no `recvWindow`, 10 s timeout (Binance's
    /// own), 3 retries, waits of up to 30 s, re-sync every 5 minutes.
    ///
    /// The URL is checked with [`mbx_domain::environment::check_base_url`]:
    /// plain http only to loopback, no user name or password, no API path.
    pub fn new(base_url: &str) -> Result<ClientConfig, Error> {
        check_base_url(base_url)?;
        Ok(ClientConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            recv_window_ms: None,
            timeout: Duration::from_secs(10),
            max_retries: 3,
            max_rate_limit_wait: Duration::from_secs(30),
            clock: ClockConfig::standard(),
        })
    }
}

/// How a request is authenticated (`shared/binance-docs/rest-api.md`
/// § "Request Security").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Public (`NONE`): no key, no signature.
    None,
    /// The API key in the header, no signature (`USER_STREAM` style).
    ApiKey,
    /// `TRADE` / `USER_DATA`: the key in the header, `timestamp`,
    /// `recvWindow` and `signature` in the query.
    Signed,
}

/// One request, before signing.
///
/// Its parameters are percent-encoded into one buffer as they are added
/// (no `String` per name and value); signing copies that buffer once and
/// appends `recvWindow`, `timestamp` and `signature`
/// ([`RestClient::signed_query`]).
#[derive(Debug, Clone)]
pub struct Request {
    method: http::Method,
    /// Borrowed for the fixed paths of the typed calls (an order's is
    /// `/api/v3/order`): no copy per request.
    path: Cow<'static, str>,
    query: Payload,
    /// Whether the caller put `recvWindow` in the query (it then wins over
    /// the configured one); kept as the query is written, so signing an
    /// order does not search its query.
    own_recv_window: bool,
    security: Security,
    weight: u32,
}

impl Request {
    /// A request for `method` (`GET`, `POST`, `PUT`, `DELETE`) and `path`
    /// (starting with `/`). Its weight is looked up in the documented table
    /// (1 when unknown).
    pub fn new(method: &str, path: &str) -> Result<Request, Error> {
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => http::Method::GET,
            "POST" => http::Method::POST,
            "PUT" => http::Method::PUT,
            "DELETE" => http::Method::DELETE,
            other => {
                return Err(Error::invalid_with_hint(
                    format!("unsupported HTTP method `{other}`"),
                    "use `GET`, `POST`, `PUT` or `DELETE`",
                ));
            }
        };
        check_path(path)?;
        Ok(Request {
            method,
            path: Cow::Owned(path.to_owned()),
            query: Payload::new(),
            own_recv_window: false,
            security: Security::None,
            weight: 0,
        })
    }

    /// A signed `POST` of `order` to `path` (`/api/v3/order` or
    /// `/api/v3/order/test`): its parameters written straight into the
    /// query with [`NewOrder::write_params`], in the documented order.
    /// The path is a `&'static str` (borrowed, no copy per order) or a
    /// `String`.
    ///
    /// ```
    /// use mbx_adapters_rest::Request;
    /// use mbx_domain::model::{NewOrder, Side};
    ///
    /// let order = NewOrder::limit("BTCUSDT", Side::Buy, "0.001".parse().unwrap(), "50000".parse().unwrap());
    /// let request = Request::order("/api/v3/order", &order).unwrap();
    /// assert_eq!(request.query().as_str(), "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=50000");
    /// ```
    pub fn order(path: impl Into<Cow<'static, str>>, order: &NewOrder) -> Result<Request, Error> {
        let path = path.into();
        check_path(&path)?;
        // Room for the parameters and for what signing appends, so the
        // query is signed in its own buffer (`RestClient::sign`).
        let mut query = Payload::with_capacity(ORDER_QUERY_CAPACITY + SIGNED_SUFFIX_CAPACITY);
        order.write_params(&mut query);
        Ok(Request {
            method: http::Method::POST,
            path,
            query,
            // An order has no `recvWindow` of its own.
            own_recv_window: false,
            security: Security::Signed,
            weight: 0,
        })
    }

    /// A public `GET`. The path is checked when the request is sent.
    pub fn get(path: &str) -> Request {
        Request {
            method: http::Method::GET,
            path: Cow::Owned(path.to_owned()),
            query: Payload::new(),
            own_recv_window: false,
            security: Security::None,
            weight: 0,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The security type.
    pub fn security_type(&self) -> Security {
        self.security
    }

    /// Adds a parameter; parameters are sent in the order added.
    pub fn param(mut self, name: &str, value: impl AsRef<str>) -> Request {
        self.query.push(name, value.as_ref());
        self.own_recv_window |= name == "recvWindow";
        self
    }

    /// Adds parameters by writing them straight into the encoded query,
    /// e.g. with [`NewOrder::write_params`].
    pub fn with_query(mut self, write: impl FnOnce(&mut Payload)) -> Request {
        write(&mut self.query);
        self.own_recv_window = self.query.value("recvWindow").is_some();
        self
    }

    /// The parameters added so far, encoded as they are sent (without
    /// `recvWindow`, `timestamp` and `signature`).
    pub fn query(&self) -> &Payload {
        &self.query
    }

    /// Sets the security type.
    pub fn security(mut self, security: Security) -> Request {
        self.security = security;
        self
    }

    /// A signed request (`TRADE` / `USER_DATA`).
    pub fn signed(self) -> Request {
        self.security(Security::Signed)
    }

    /// Overrides the request weight used by the rate-limit ledger.
    pub fn weight(mut self, weight: u32) -> Request {
        self.weight = weight;
        self
    }

    /// `METHOD /path`, as errors name it.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn effective_weight(&self) -> u32 {
        if self.weight > 0 {
            return self.weight;
        }
        documented_weight_of(self.method.as_str(), &self.path, |name| {
            self.query.value(name)
        })
    }
}

fn check_path(path: &str) -> Result<(), Error> {
    if !path.starts_with('/') || path.contains('?') {
        return Err(Error::invalid_with_hint(
            format!("the path `{path}` must start with `/` and carry no query string"),
            "pass the path alone, e.g. `/api/v3/account`, and the parameters separately",
        ));
    }
    Ok(())
}

/// A successful answer: the status and the raw body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body, as the server sent it.
    pub body: String,
}

/// The Binance Spot REST client.
///
/// One client keeps one connection pool (keep-alive), one clock estimate and
/// one rate-limit ledger; share it (it is `Send + Sync`) rather than
/// building one per request.
#[derive(Debug)]
pub struct RestClient {
    transport: Transport,
    config: ClientConfig,
    credentials: Option<Credentials>,
    clock: Mutex<ClockSync>,
    ledger: Mutex<RateLimitLedger>,
    backoff_store: Option<Arc<dyn BackoffStore>>,
    observer: Option<Arc<dyn RequestObserver>>,
    n_requests: AtomicU64,
    host: String,
    /// The API key as a header value, made once (it is sent with every
    /// signed request); marked sensitive, so it is never printed.
    api_key_header: Option<HeaderValue>,
}

impl RestClient {
    /// A client for `config`; `credentials` are needed only for signed and
    /// API-key requests.
    pub fn new(
        config: ClientConfig,
        credentials: Option<Credentials>,
    ) -> Result<RestClient, Error> {
        let url = check_base_url(&config.base_url)?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        // Binance never redirects API calls. Following one would send the
        // API key header and the signed query to another host (and re-send
        // an order on a 307), so the transport follows none and a 3xx is an
        // error.
        let transport = Transport::new(url.as_str(), config.timeout)?;
        let api_key_header = match &credentials {
            Some(credentials) => {
                let mut value = HeaderValue::from_str(credentials.api_key().as_str())
                    .map_err(|_| Error::invalid("the API key cannot be sent in a header"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(RestClient {
            transport,
            clock: Mutex::new(ClockSync::new(config.clock)),
            config,
            credentials,
            ledger: Mutex::new(RateLimitLedger::standard()),
            backoff_store: None,
            observer: None,
            n_requests: AtomicU64::new(0),
            host,
            api_key_header,
        })
    }

    /// Keeps `Retry-After` waits and bans in `store` between runs: a
    /// backoff saved by an earlier run that is still running blocks this
    /// client too, and every new one is saved.
    pub fn with_backoff_store(mut self, store: Arc<dyn BackoffStore>) -> RestClient {
        if let Some(backoff) = store.load(&self.host) {
            lock(&self.ledger).restore(backoff);
        }
        self.backoff_store = Some(store);
        self
    }

    /// Tells `observer` when each request starts, what it waits for
    /// (`Retry-After`, the weight limit, a retry's backoff) and when it is
    /// finished, e.g. to show a spinner while a call is slow. The observer
    /// sees endpoints and the host, never a query or a key.
    pub fn with_observer(mut self, observer: Arc<dyn RequestObserver>) -> RestClient {
        self.observer = Some(observer);
        self
    }

    /// The host requests go to, e.g. `api.binance.com` or `127.0.0.1:9900`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The weight used in the current minute, as far as the client knows
    /// (the server's `X-MBX-USED-WEIGHT-1M` wins over its own count).
    pub fn used_weight_1m(&self) -> Option<u32> {
        let now = self.server_now();
        lock(&self.ledger).used(60_000, now)
    }

    /// The wait the server imposed (429 `Retry-After` or a 418 ban) that is
    /// still running, if any.
    pub fn backoff(&self) -> Option<ServerBackoff> {
        let now = self.server_now();
        lock(&self.ledger).backoff(now)
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The credentials, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The current clock estimate, if the clock has been synced.
    pub fn clock_estimate(&self) -> Option<Estimate> {
        lock(&self.clock).estimate()
    }

    /// Measures the offset to the server time now and keeps it.
    pub async fn sync_clock(&self) -> Result<Estimate, Error> {
        let samples = self.config.clock.samples;
        let estimate = clock::measure(self, &SystemClock, samples).await?;
        tracing::debug!(
            offset_ms = estimate.offset_ms,
            rtt_ms = estimate.rtt_ms,
            "clock synced"
        );
        lock(&self.clock).record(estimate);
        Ok(estimate)
    }

    /// Replaces the ledger's limits, e.g. with `exchangeInfo.rateLimits`.
    pub fn set_rate_limits(&self, limits: &[RateLimit]) {
        lock(&self.ledger).set_limits(limits);
    }

    /// Sends `request` and parses a successful body as `T`.
    pub async fn call<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let endpoint = request.endpoint();
        let response = self.send_named(&endpoint, request).await?;
        parse_body(&endpoint, &response.body)
    }

    /// Sends `request` with the client's rules and returns the raw
    /// successful answer:
    ///
    /// 1. wait as long as the rate-limit ledger says (including a
    ///    `Retry-After` or ban saved by an earlier run, see
    ///    [`RestClient::with_backoff_store`]); a wait longer than
    ///    [`ClientConfig::max_rate_limit_wait`] is returned as
    ///    [`Error::Throttled`] instead;
    /// 2. for a signed request, sync the clock when it is stale, then add
    ///    `recvWindow` and `timestamp`, sign the percent-encoded query and
    ///    append `signature`; the API key goes in `X-MBX-APIKEY`;
    /// 3. on `-1021`, re-sync once and send again;
    /// 4. on 429/418, remember `Retry-After` (and save it to the backoff
    ///    store), then wait it out if it is short enough and send again;
    /// 5. a GET that fails with a network error, a 5xx or a 408/`-1007` is
    ///    retried with jittered exponential backoff: it changes nothing;
    /// 6. any other method is never sent again after an uncertain outcome:
    ///    no answer after the request may have left is
    ///    [`Error::OutcomeUnknown`], and a 5xx or `-1007` answer has the
    ///    category [`mbx_domain::Category::UnknownOutcome`];
    /// 7. a redirect is never followed: it is [`Error::Redirected`], and
    ///    neither the key nor the signed query goes to the new location.
    ///
    /// An observer set with [`RestClient::with_observer`] is told when the
    /// request starts, each wait of steps 1, 4 and 5, and when it is
    /// finished (also when the caller drops the future).
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let endpoint = request.endpoint();
        self.send_named(&endpoint, request).await
    }

    /// [`RestClient::send`], with the request's `METHOD /path` already
    /// written (the caller names its errors with it too).
    async fn send_named(&self, endpoint: &str, mut request: Request) -> Result<Response, Error> {
        check_path(&request.path)?;
        let observation = self.observe(endpoint);
        let weight = request.effective_weight();
        let idempotent = request.method == http::Method::GET;
        let credentials = match request.security {
            Security::None => None,
            Security::ApiKey | Security::Signed => Some(
                self.credentials
                    .as_ref()
                    .ok_or(Error::Config(mbx_domain::ConfigError::NoApiKey))?,
            ),
        };
        let unsigned_len = request.query.len();
        let mut resynced = false;
        let mut n_rate_limited = 0;
        let mut n_retries = 0;
        loop {
            self.wait_for_ledger(endpoint, weight, observation.as_ref())
                .await?;
            if request.security == Security::Signed && self.clock_needs_sync() {
                self.sync_clock().await?;
            }
            // Each attempt signs the same parameters with a new timestamp,
            // in the request's own buffer.
            request.query.truncate(unsigned_len);
            self.sign_in_place(&mut request, credentials);
            let query = &request.query;
            let uri = self.transport.uri(&request.path, query.as_str())?;
            tracing::debug!(
                "{} {}{}",
                request.method,
                self.config.base_url,
                redact_target(&request.path, query)
            );
            let api_key = credentials.and(self.api_key_header.as_ref());
            let now = self.server_now();
            lock(&self.ledger).record(weight, now);
            let outcome = self
                .transport
                .exchange(endpoint, request.method.clone(), uri, api_key)
                .await
                .and_then(|answer| self.read_answer(endpoint, answer));
            let err = match outcome {
                Ok(response) => return Ok(response),
                Err(err) if idempotent => err,
                Err(err) => outcome_of_change(err),
            };
            match &err {
                Error::Api(api) if api.code == Some(-1021) && !resynced => {
                    tracing::info!("{endpoint}: -1021, re-syncing the clock and retrying once");
                    resynced = true;
                    lock(&self.clock).invalidate();
                }
                Error::Api(api) if api.is_rate_limited() && n_rate_limited < 3 => {
                    let now = self.server_now();
                    let wait_ms = lock(&self.ledger).wait_ms(weight, now);
                    if Duration::from_millis(wait_ms.max(0) as u64)
                        > self.config.max_rate_limit_wait
                    {
                        return Err(err);
                    }
                    n_rate_limited += 1;
                    tracing::warn!(
                        "{endpoint}: HTTP {} ({}), waiting {} ms as `Retry-After` asks",
                        api.status,
                        api.msg,
                        wait_ms
                    );
                }
                err if idempotent && read_retryable(err) && n_retries < self.config.max_retries => {
                    let backoff = backoff(n_retries);
                    n_retries += 1;
                    tracing::warn!("{err}; retrying in {} ms", backoff.as_millis());
                    if let Some(observation) = &observation {
                        observation.waiting(&Wait::Retry {
                            duration: backoff,
                            attempt: n_retries,
                            reason: err.to_string(),
                        });
                    }
                    tokio::time::sleep(backoff).await;
                }
                _ => return Err(err),
            }
        }
    }

    fn clock_needs_sync(&self) -> bool {
        lock(&self.clock).needs_sync(SystemClock.now_ms())
    }

    fn server_now(&self) -> Millis {
        lock(&self.clock).server_now(SystemClock.now_ms())
    }

    /// Starts following a request, when there is an observer.
    fn observe(&self, endpoint: &str) -> Option<Observation> {
        let observer = self.observer.clone()?;
        let id = self.n_requests.fetch_add(1, Ordering::Relaxed) + 1;
        let request = ObservedRequest::new(id, endpoint, self.host.as_str());
        observer.request_started(&request);
        Some(Observation { observer, request })
    }

    /// Sleeps as long as the ledger says, unless that is longer than
    /// [`ClientConfig::max_rate_limit_wait`] (e.g. during a ban).
    async fn wait_for_ledger(
        &self,
        endpoint: &str,
        weight: u32,
        observation: Option<&Observation>,
    ) -> Result<(), Error> {
        let now = self.server_now();
        let (wait_ms, banned, server_asked) = {
            let ledger = lock(&self.ledger);
            let backoff = ledger.backoff(now);
            let banned = backoff.is_some_and(|backoff| backoff.banned);
            (ledger.wait_ms(weight, now), banned, backoff.is_some())
        };
        if wait_ms <= 0 {
            return Ok(());
        }
        let wait = Duration::from_millis(wait_ms as u64);
        if banned || wait > self.config.max_rate_limit_wait {
            return Err(Error::Throttled {
                endpoint: endpoint.to_owned(),
                wait_ms,
                banned,
            });
        }
        if let Some(observation) = observation {
            observation.waiting(&if server_asked {
                Wait::RetryAfter { duration: wait }
            } else {
                Wait::WeightLimit { duration: wait }
            });
        }
        if server_asked {
            tracing::info!("waiting {wait_ms} ms as `Retry-After` asks");
        } else {
            tracing::info!("waiting {wait_ms} ms to stay under the request-weight limit");
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// The query [`RestClient::send`] sends for `request`: its parameters
    /// and, for a signed request, `recvWindow` (unless the request has its
    /// own), `timestamp` (the synced server time) and `signature` over the
    /// percent-encoded text. A signed request without credentials is
    /// refused. This copies the parameters; [`RestClient::sign`] signs a
    /// request it consumes in its own buffer, as `send` does.
    pub fn signed_query(&self, request: &Request) -> Result<Payload, Error> {
        let mut query = Payload::with_capacity(request.query.len() + SIGNED_SUFFIX_CAPACITY);
        query.append(&request.query);
        self.sign(Request {
            method: request.method.clone(),
            path: request.path.clone(),
            query,
            own_recv_window: request.own_recv_window,
            security: request.security,
            weight: request.weight,
        })
    }

    /// [`RestClient::signed_query`] for a request given away: the
    /// signature is appended to the request's own query, without a copy
    /// (a request from [`Request::order`] has the room reserved). This is
    /// the whole client-side cost of signing an order, as
    /// [`RestClient::send`] pays it (benches/orders.rs measures it).
    ///
    /// ```
    /// use mbx_adapters_rest::{ClientConfig, Request, RestClient};
    /// use mbx_domain::credentials::{ApiKey, Credentials};
    /// use mbx_domain::model::{NewOrder, Side};
    /// use mbx_signing::{HmacKey, Signer};
    ///
    /// let credentials = Credentials::new(
    ///     ApiKey::new("myApiKey").unwrap(),
    ///     Signer::Hmac(HmacKey::new(b"my-secret").unwrap()),
    /// );
    /// let client = RestClient::new(ClientConfig::new("http://127.0.0.1:9").unwrap(), Some(credentials)).unwrap();
    /// let order = NewOrder::limit("BTCUSDT", Side::Buy, "0.001".parse().unwrap(), "50000".parse().unwrap());
    /// let query = client.sign(Request::order("/api/v3/order", &order).unwrap()).unwrap();
    /// assert!(query.as_str().starts_with("symbol=BTCUSDT&side=BUY&type=LIMIT"));
    /// assert!(query.value("timestamp").is_some() && query.value("signature").is_some());
    /// ```
    pub fn sign(&self, mut request: Request) -> Result<Payload, Error> {
        let credentials = match request.security {
            Security::Signed => Some(
                self.credentials
                    .as_ref()
                    .ok_or(Error::Config(mbx_domain::ConfigError::NoApiKey))?,
            ),
            _ => None,
        };
        self.sign_in_place(&mut request, credentials);
        Ok(request.query)
    }

    /// Appends `recvWindow`, `timestamp` and `signature` to a signed
    /// request's query; leaves any other request as it is.
    fn sign_in_place(&self, request: &mut Request, credentials: Option<&Credentials>) {
        let (Security::Signed, Some(credentials)) = (request.security, credentials) else {
            return;
        };
        let query = &mut request.query;
        // A `recvWindow` the caller passed (e.g. `6000.346`, with up to
        // three decimals) wins over the configured one; sending both is
        // `-1101` "Duplicate values for a parameter detected.".
        if let Some(recv_window) = self
            .config
            .recv_window_ms
            .filter(|_| !request.own_recv_window)
        {
            push_number(query, "recvWindow", u64::from(recv_window));
        }
        let timestamp = u64::try_from(self.server_now()).unwrap_or(0);
        push_number(query, "timestamp", timestamp);
        let signature = credentials.signer().sign(query.as_bytes());
        query.push_signature(&signature);
    }

    fn read_answer(&self, endpoint: &str, answer: Answer) -> Result<Response, Error> {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        let reason = status.canonical_reason().unwrap_or("");
        let status = status.as_u16();
        let now = self.server_now();
        let retry_after = headers
            .get(http::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        {
            let mut ledger = lock(&self.ledger);
            for (name, value) in &headers {
                if let Ok(value) = value.to_str() {
                    ledger.observe_header(name.as_str(), value, now);
                }
            }
            if matches!(status, 429 | 418) {
                ledger.retry_after(retry_after.unwrap_or(1), now, status == 418);
                if let (Some(store), Some(backoff)) = (&self.backoff_store, ledger.backoff(now)) {
                    store.save(&self.host, backoff);
                }
            }
        }
        if (300..400).contains(&status) {
            let location = headers
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .to_owned();
            return Err(Error::Redirected {
                endpoint: endpoint.to_owned(),
                status,
                location,
            });
        }
        // Binance answers JSON; anything that is not UTF-8 is shown as
        // well as it can be (an error page from a proxy, say).
        let body = match String::from_utf8(Vec::from(body)) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        tracing::debug!("{endpoint} -> HTTP {status} ({} bytes)", body.len());
        if (200..300).contains(&status) {
            return Ok(Response { status, body });
        }
        Err(Error::Api(
            parse_error(status, reason, endpoint, &body).with_retry_after(retry_after),
        ))
    }
}

/// A request an observer follows: told when it waits, and when it is
/// finished on drop, however `send` ends (an answer, an error, or the
/// caller dropping the future).
struct Observation {
    observer: Arc<dyn RequestObserver>,
    request: ObservedRequest,
}

impl Observation {
    fn waiting(&self, wait: &Wait) {
        self.observer.waiting(&self.request, wait);
    }
}

impl Drop for Observation {
    fn drop(&mut self) {
        self.observer.request_finished(&self.request);
    }
}

/// Locks `mutex`, whatever a panicking holder left: the clock estimate and
/// the ledger are plain numbers that stay meaningful, and one failed request
/// must not poison every later one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a failed read (it changes nothing) may succeed when sent again:
/// network errors, 5xx, 408 and `-1007` (a timeout in Binance's backend).
fn read_retryable(err: &Error) -> bool {
    match err {
        Error::Api(api) => {
            api.status >= 500 || api.status == 408 || matches!(api.code, Some(-1007 | -1006))
        }
        Error::Transport { .. } => true,
        _ => false,
    }
}

/// A failed request that changes state: whether it was executed is unknown
/// after a network error once it may have left. (A 5xx, 408 or `-1007`
/// answer keeps Binance's code; its category says the outcome is unknown.)
fn outcome_of_change(err: Error) -> Error {
    match err {
        Error::Transport { endpoint, cause } => Error::OutcomeUnknown { endpoint, cause },
        other => other,
    }
}

/// The local wall clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl LocalClock for SystemClock {
    fn now_ms(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}

/// Parses a success body, or says what did not parse.
pub fn parse_body<T: DeserializeOwned>(endpoint: &str, body: &str) -> Result<T, Error> {
    serde_json::from_str(body).map_err(|err| Error::Decode {
        endpoint: endpoint.to_owned(),
        reason: format!("{err}; the body starts with `{}`", body_start(body)),
    })
}

/// Turns an error answer into a [`BinanceError`]: Binance's
/// `{"code","msg"}` when the body is that, otherwise the status with the
/// start of the body.
pub fn parse_error(status: u16, reason: &str, endpoint: &str, body: &str) -> BinanceError {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        code: i64,
        msg: String,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => BinanceError::new(status, Some(parsed.code), parsed.msg, endpoint),
        Err(_) => {
            let start = body_start(body);
            let msg = if start.is_empty() {
                reason.to_owned()
            } else {
                format!("{reason}: {start}")
            };
            BinanceError::new(status, None, msg, endpoint)
        }
    }
}

/// `path?query` with the signature masked, for logs. The API key is never
/// in the query, so nothing else needs masking.
pub fn redact_target(path: &str, query: &Payload) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    format!("{path}?{}", payload::redact_signature(query.as_str()))
}

/// The documented REST weight of a request (DIGEST §9); 1 when unknown.
///
/// Order placement and cancellation are counted at 1 although a successful
/// one costs 0 since 2026-04-02: the ledger must not let a failing one
/// exceed the limit.
pub fn documented_weight(method: &str, path: &str, params: &[(String, String)]) -> u32 {
    documented_weight_of(method, path, |name| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| Cow::Borrowed(value.as_str()))
    })
}

/// [`documented_weight`] over any lookup of a parameter's value by name.
fn documented_weight_of<'a>(
    method: &str,
    path: &str,
    value: impl Fn(&str) -> Option<Cow<'a, str>>,
) -> u32 {
    let has = |name: &str| value(name).is_some();
    let n_symbols = || value("symbols").map_or(0, |list| list.matches(',').count() + 1);
    match (method, path) {
        (_, "/api/v3/exchangeInfo") => 20,
        (_, "/api/v3/depth") => {
            match value("limit")
                .and_then(|limit| limit.parse::<u32>().ok())
                .unwrap_or(100)
            {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            }
        }
        (_, "/api/v3/trades" | "/api/v3/historicalTrades" | "/api/v3/historicalBlockTrades") => 25,
        (_, "/api/v3/executionRules") => {
            if has("symbol") {
                2
            } else if has("symbols") {
                (n_symbols() as u32 * 2).min(40)
            } else {
                40
            }
        }
        (_, "/api/v3/referencePrice" | "/api/v3/referencePrice/calculation") => 2,
        (_, "/api/v3/aggTrades") => 4,
        (_, "/api/v3/klines" | "/api/v3/uiKlines" | "/api/v3/avgPrice") => 2,
        (_, "/api/v3/ticker/price" | "/api/v3/ticker/bookTicker") => {
            if has("symbol") {
                2
            } else {
                4
            }
        }
        (_, "/api/v3/ticker/24hr") => {
            if has("symbol") {
                2
            } else if has("symbols") {
                match n_symbols() {
                    0..=20 => 2,
                    21..=100 => 40,
                    _ => 80,
                }
            } else {
                80
            }
        }
        (_, "/api/v3/ticker" | "/api/v3/ticker/tradingDay") => {
            if has("symbols") {
                (n_symbols() as u32 * 4).min(200)
            } else {
                4
            }
        }
        ("GET", "/api/v3/order") => 4,
        (_, "/api/v3/order/test" | "/api/v3/sor/order/test")
            if value("computeCommissionRates").as_deref() == Some("true") =>
        {
            20
        }
        ("GET", "/api/v3/openOrders") => {
            if has("symbol") {
                6
            } else {
                80
            }
        }
        ("GET", "/api/v3/myTrades") => {
            if has("orderId") {
                5
            } else {
                20
            }
        }
        (
            _,
            "/api/v3/account"
            | "/api/v3/allOrders"
            | "/api/v3/account/commission"
            | "/api/v3/myAllocations",
        ) => 20,
        (_, "/api/v3/rateLimit/order" | "/api/v3/myFilters") => 40,
        (_, "/sapi/v1/capital/config/getall") => 10,
        _ => 1,
    }
}

/// Room reserved for an order's parameters: a LIMIT order with a client
/// order id is about 140 bytes.
const ORDER_QUERY_CAPACITY: usize = 192;

/// Room reserved after the parameters for `recvWindow`, `timestamp` and a
/// signature (64 hex digits; an RSA signature in base64 is longer and
/// grows the buffer once).
const SIGNED_SUFFIX_CAPACITY: usize = 128;

/// Appends `name=<value in decimal>`, the digits written on the stack.
fn push_number(query: &mut Payload, name: &str, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // Only ASCII digits were written: nothing to encode.
    query.push_unencoded(name, std::str::from_utf8(&digits[start..]).unwrap_or("0"));
}

fn backoff(n_retries: u32) -> Duration {
    let base_ms = 100u64 << n_retries.min(6);
    let jitter_ms = rand::thread_rng().gen_range(0..=base_ms);
    Duration::from_millis(base_ms + jitter_ms)
}

fn body_start(body: &str) -> String {
    let trimmed = body.trim();
    let mut start: String = trimmed.chars().take(120).collect();
    if start.len() < trimmed.len() {
        start.push('…');
    }
    start.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use mbx_signing::{HmacKey, Signer};

    use mbx_domain::credentials::ApiKey;

    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

    /// The query ends in a signature the client's own key verifies.
    fn assert_signed_by(client: &RestClient, text: &str) {
        let (signed, signature) = payload::split_signature(text);
        let verifier = client.credentials().unwrap().signer().verifier();
        assert!(
            verifier
                .verify(signed.as_bytes(), signature.unwrap())
                .is_ok()
        );
    }

    fn client(recv_window_ms: Option<u32>) -> RestClient {
        let mut config = ClientConfig::new("http://127.0.0.1:9").unwrap();
        config.recv_window_ms = recv_window_ms;
        let credentials = Credentials::new(
            ApiKey::new(KEY).unwrap(),
            Signer::Hmac(HmacKey::new(SECRET.as_bytes()).unwrap()),
        );
        RestClient::new(config, Some(credentials)).unwrap()
    }

    #[test]
    fn signed_query_ends_with_timestamp_and_signature() {
        let client = client(Some(5000));
        let request = Request::get("/api/v3/account")
            .param("omitZeroBalances", "true")
            .signed();
        let query = client.signed_query(&request).unwrap();
        let text = query.as_str();
        assert!(
            text.starts_with("omitZeroBalances=true&recvWindow=5000&timestamp="),
            "{text}"
        );
        assert_signed_by(&client, text);
        assert!(!text.contains(KEY) && !text.contains(SECRET));
        let logged = redact_target("/api/v3/account", &query);
        assert!(logged.ends_with("signature=<redacted>"), "{logged}");
    }

    #[test]
    fn a_recv_window_passed_as_a_parameter_is_sent_once() {
        let client = client(Some(5000));
        let request = Request::get("/api/v3/account")
            .param("recvWindow", "6000.346")
            .signed();
        let query = client.signed_query(&request).unwrap();
        let text = query.as_str();
        assert!(text.starts_with("recvWindow=6000.346&timestamp="), "{text}");
        assert_eq!(text.matches("recvWindow=").count(), 1, "{text}");
    }

    /// The order path writes the query once (`Request::order`); it must
    /// send exactly what the general path (`param` per value of
    /// `NewOrder::params`) sends, signed the same way.
    #[test]
    fn an_order_query_is_the_one_built_pair_by_pair() {
        use mbx_domain::model::{Side, StpMode, TimeInForce};
        let client = client(Some(5000));
        let mut order = NewOrder::limit(
            "BTCUSDT",
            Side::Sell,
            "0.00120".parse().unwrap(),
            "97000.50".parse().unwrap(),
        );
        order.time_in_force = Some(TimeInForce::Ioc);
        order.self_trade_prevention_mode = Some(StpMode::ExpireBoth);
        order.new_client_order_id = Some("mbx-a/b:c".to_owned());
        let fast = Request::order("/api/v3/order", &order).unwrap();
        let mut slow = Request::new("POST", "/api/v3/order").unwrap();
        for (name, value) in order.params() {
            slow = slow.param(name, value);
        }
        let slow = slow.signed();
        assert_eq!(fast.query(), slow.query());
        assert_eq!(
            (fast.method(), fast.path(), fast.security_type()),
            (slow.method(), slow.path(), slow.security_type())
        );
        let query = client.signed_query(&fast).unwrap();
        let text = query.as_str();
        assert!(
            text.starts_with(&format!("{}&recvWindow=5000&timestamp=", slow.query())),
            "{text}"
        );
        assert_signed_by(&client, text);
        assert_eq!(fast.effective_weight(), 1);
        // Signed in its own buffer (as `send` signs it), the order's query
        // is the same up to the timestamp, and verifies.
        let in_place = client.sign(fast).unwrap();
        let unsigned_part = |text: &str| text.split("&timestamp=").next().unwrap().to_owned();
        assert_eq!(unsigned_part(in_place.as_str()), unsigned_part(text));
        assert_signed_by(&client, in_place.as_str());
    }

    /// `send` signs each attempt again after cutting the query back to its
    /// parameters: the second signature covers the parameters once.
    #[test]
    fn a_query_cut_back_and_signed_again_carries_one_signature() {
        let client = client(Some(5000));
        let mut request = Request::get("/api/v3/account")
            .param("omitZeroBalances", "true")
            .signed();
        let unsigned_len = request.query.len();
        for _ in 0..2 {
            request.query.truncate(unsigned_len);
            client.sign_in_place(&mut request, client.credentials());
        }
        let text = request.query.as_str();
        assert!(
            text.starts_with("omitZeroBalances=true&recvWindow=5000&timestamp="),
            "{text}"
        );
        assert_eq!(text.matches("signature=").count(), 1, "{text}");
        assert_signed_by(&client, text);
    }

    #[test]
    fn a_recv_window_written_into_the_query_is_sent_once() {
        let client = client(Some(5000));
        let request = Request::get("/api/v3/account")
            .with_query(|query| query.push("recvWindow", "6000"))
            .signed();
        let text = client.signed_query(&request).unwrap().into_string();
        assert_eq!(text.matches("recvWindow=").count(), 1, "{text}");
    }

    /// The URL `send` requests is the one the text of base, path and query
    /// parses to, for a base with and without a path of its own.
    #[test]
    fn a_request_url_is_the_parsed_text_of_base_path_and_query() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "https://api.binance.com",
            "http://localhost:8080/proxy/binance/",
            "http://[::1]:9",
        ] {
            let client = RestClient::new(ClientConfig::new(base).unwrap(), None).unwrap();
            let mut query = Payload::new();
            for (path, pairs) in [
                ("/api/v3/time", vec![]),
                (
                    "/api/v3/order",
                    vec![("symbol", "BTCUSDT"), ("newClientOrderId", "a/b c+d")],
                ),
                (
                    "/api/v3/ticker/price",
                    vec![("symbols", "[\"BTCUSDT\",\"这是测试币456\"]")],
                ),
            ] {
                query.clear();
                for (name, value) in pairs {
                    query.push(name, value);
                }
                let text = if query.is_empty() {
                    format!("{}{path}", client.config.base_url)
                } else {
                    format!("{}{path}?{query}", client.config.base_url)
                };
                let expected: http::Uri = text.parse().unwrap();
                assert_eq!(
                    client.transport.uri(path, query.as_str()).unwrap(),
                    expected,
                    "{base} {path}"
                );
            }
        }
    }

    #[test]
    fn public_query_is_not_signed() {
        let client = client(None);
        let request = Request::get("/api/v3/depth").param("symbol", "BTCUSDT");
        assert_eq!(client.sign(request).unwrap().as_str(), "symbol=BTCUSDT");
    }

    #[test]
    fn error_bodies() {
        let err = parse_error(
            400,
            "Bad Request",
            "GET /api/v3/account",
            r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#,
        );
        assert_eq!(
            (err.code, err.msg.as_str()),
            (Some(-1022), "Signature for this request is not valid.")
        );
        let err = parse_error(502, "Bad Gateway", "GET /api/v3/time", "<html>oops</html>");
        assert_eq!(
            (err.code, err.msg.as_str()),
            (None, "Bad Gateway: <html>oops</html>")
        );
        let err = parse_error(503, "Service Unavailable", "GET /api/v3/time", "");
        assert_eq!(err.msg, "Service Unavailable");
    }

    #[test]
    fn decode_error_shows_the_body_start() {
        let err =
            parse_body::<mbx_domain::model::ServerTime>("GET /api/v3/time", "{}").unwrap_err();
        assert!(err.to_string().contains("`{}`"), "{err}");
    }

    #[test]
    fn weights_follow_the_documented_table() {
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(documented_weight("GET", "/api/v3/account", &[]), 20);
        assert_eq!(
            documented_weight("GET", "/api/v3/depth", &params(&[("limit", "1000")])),
            50
        );
        assert_eq!(documented_weight("GET", "/api/v3/openOrders", &[]), 80);
        assert_eq!(
            documented_weight("GET", "/api/v3/openOrders", &params(&[("symbol", "X")])),
            6
        );
        assert_eq!(documented_weight("POST", "/api/v3/order", &[]), 1);
    }

    #[test]
    fn weights_cover_every_endpoint_the_sandbox_serves() {
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u32);
        let cases: &[Case<'_>] = &[
            ("GET", "/api/v3/historicalTrades", &[], 25),
            ("GET", "/api/v3/avgPrice", &[], 2),
            ("GET", "/api/v3/allOrders", &[("symbol", "BTCUSDT")], 20),
            ("GET", "/sapi/v1/capital/config/getall", &[], 10),
            (
                "POST",
                "/api/v3/order/test",
                &[("computeCommissionRates", "true")],
                20,
            ),
            ("POST", "/api/v3/order/test", &[], 1),
            (
                "GET",
                "/api/v3/ticker/24hr",
                &[("symbols", r#"["A","B"]"#)],
                2,
            ),
            (
                "GET",
                "/api/v3/ticker",
                &[("symbols", r#"["A","B","C"]"#)],
                12,
            ),
            ("GET", "/api/v3/ticker", &[("symbol", "A")], 4),
            ("GET", "/api/v3/referencePrice", &[("symbol", "A")], 2),
            ("GET", "/api/v3/myFilters", &[("symbol", "A")], 40),
            ("DELETE", "/api/v3/openOrders", &[("symbol", "A")], 1),
        ];
        for (method, path, pairs, expected) in cases {
            assert_eq!(
                documented_weight(method, path, &params(pairs)),
                *expected,
                "{method} {path} {pairs:?}"
            );
        }
    }

    #[test]
    fn requests_are_checked() {
        assert!(Request::new("PATCH", "/api/v3/order").is_err());
        assert!(Request::new("GET", "api/v3/order").is_err());
        assert!(Request::new("get", "/api/v3/time").is_ok());
    }

    #[tokio::test]
    async fn a_long_ban_is_not_slept_through() {
        let client = client(None);
        let now = client.server_now();
        client.ledger.lock().unwrap().retry_after(120, now, false);
        let err = client.send(Request::get("/api/v3/time")).await.unwrap_err();
        assert!(
            matches!(err, Error::Throttled { wait_ms, .. } if wait_ms > 100_000),
            "{err}"
        );
        assert!(
            err.to_string().contains("allows it again in 2 min"),
            "{err}"
        );
    }

    /// Every call an observer gets, as text.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl RequestObserver for Recorder {
        fn request_started(&self, request: &ObservedRequest) {
            self.0.lock().unwrap().push(format!("started {request}"));
        }
        fn waiting(&self, request: &ObservedRequest, wait: &Wait) {
            let kind = match wait {
                Wait::RetryAfter { .. } => "Retry-After".to_owned(),
                Wait::WeightLimit { .. } => "weight limit".to_owned(),
                Wait::Retry { attempt, .. } => format!("retry {attempt}"),
                other => format!("{other:?}"),
            };
            self.0
                .lock()
                .unwrap()
                .push(format!("{} waits: {kind}", request.id));
        }
        fn request_finished(&self, request: &ObservedRequest) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{} finished", request.id));
        }
    }

    #[tokio::test]
    async fn the_observer_hears_every_wait_and_the_end() {
        let recorder = Arc::new(Recorder::default());
        // Nothing listens on port 9: a read fails, is retried once, fails.
        let mut config = ClientConfig::new("http://127.0.0.1:9").unwrap();
        config.max_retries = 1;
        let client = RestClient::new(config, None)
            .unwrap()
            .with_observer(recorder.clone());
        let now = client.server_now();
        client.ledger.lock().unwrap().retry_after(1, now, false);
        let err = client.send(Request::get("/api/v3/ping")).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err}");
        client
            .send(Request::get("/api/v3/ping?x"))
            .await
            .unwrap_err();
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "started GET /api/v3/ping on 127.0.0.1:9",
                "1 waits: Retry-After",
                "1 waits: retry 1",
                "1 finished",
            ],
            "a request refused before it starts is not observed"
        );
    }

    #[tokio::test]
    async fn signed_request_without_credentials_is_refused_before_sending() {
        let client =
            RestClient::new(ClientConfig::new("http://127.0.0.1:9").unwrap(), None).unwrap();
        let err = client
            .send(Request::get("/api/v3/account").signed())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Config(mbx_domain::ConfigError::NoApiKey)),
            "{err}"
        );
    }
}
