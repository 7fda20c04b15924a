//! The HTTP connection under [`crate::RestClient`]: hyper-util's pooled
//! client (keep-alive, HTTP/1.1 or HTTP/2 by ALPN) over rustls with the
//! webpki roots, through the HTTPS proxy the environment names.
//!
//! Why not a general-purpose HTTP client: the REST client always talks to
//! one origin, its parameters are already percent-encoded in one buffer,
//! and it never follows a redirect. A general client parses the URL of
//! every request and of every answer, and runs a redirect layer even when
//! redirects are off; on a loopback order that was about 15 µs of the
//! client's 60 (BENCHMARKS.md). Here the origin is parsed once, each
//! request's URI is built from it, and nothing else is added.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, StatusCode, Uri};
use http_body_util::{BodyExt as _, Empty};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use mbx_domain::{Cause, Error};

/// [`crate::API_KEY_HEADER`] as a header name made once (a name given as
/// text is parsed on every insert).
const API_KEY: HeaderName = HeaderName::from_static("x-mbx-apikey");
/// How long an unused keep-alive connection stays in the pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long opening a connection (TCP, and the proxy's) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// TCP keepalive probes on idle connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(30);

type Direct = HttpsConnector<HttpConnector>;
type Tunneled = HttpsConnector<Tunnel<HttpsConnector<HttpConnector>>>;

/// The pooled client, straight to the server or through a proxy's
/// `CONNECT` tunnel (decided once, for the one origin).
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per client, made once; boxing either variant adds a pointer chase to every request for no memory worth saving"
)]
enum Pool {
    Direct(Client<Direct, Empty<Bytes>>),
    Tunneled(Client<Tunneled, Empty<Bytes>>),
}

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// One origin's connection pool and how to address it.
#[derive(Debug)]
pub(crate) struct Transport {
    pool: Pool,
    scheme: Scheme,
    authority: Authority,
    /// The base URL's own path without its trailing `/` (empty for
    /// `https://api.binance.com`), put before every request's path.
    prefix: String,
    user_agent: HeaderValue,
    timeout: Duration,
}

impl Transport {
    /// A transport for `base` (already checked by
    /// [`mbx_domain::environment::check_base_url`]): plain http goes only
    /// to loopback and never through a proxy; https goes through the proxy
    /// `HTTPS_PROXY` / `ALL_PROXY` name unless `NO_PROXY` excludes the host.
    /// `timeout` bounds each exchange, the answer's body included.
    pub(crate) fn new(base: &str, timeout: Duration) -> Result<Transport, Error> {
        let uri: Uri = base
            .parse()
            .map_err(|err| Error::invalid(format!("cannot parse the base URL: {err}")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned())
        else {
            return Err(Error::invalid(format!(
                "the base URL `{base}` has no scheme or host"
            )));
        };
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let proxy = if scheme == Scheme::HTTPS {
            Matcher::from_env().intercept(&uri)
        } else {
            None
        };
        let tls = tls_config()?;
        let pool = match proxy {
            None => Pool::Direct(pool_builder().build(tls_over(tls, tcp()))),
            Some(proxy) => {
                let proxy_scheme = proxy.uri().scheme_str().unwrap_or("");
                if !matches!(proxy_scheme, "http" | "https") {
                    return Err(Error::invalid_with_hint(
                        format!(
                            "the proxy `{}` is not an HTTP proxy",
                            without_userinfo(proxy.uri())
                        ),
                        "set HTTPS_PROXY (or ALL_PROXY) to an http:// or https:// proxy, or NO_PROXY to the API host",
                    ));
                }
                // The proxy itself may be reached over TLS; the tunnel
                // through it always speaks HTTP/1.1 (`CONNECT`).
                let to_proxy = HttpsConnectorBuilder::new()
                    .with_tls_config(tls.clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(tcp());
                let mut tunnel = Tunnel::new(proxy.uri().clone(), to_proxy);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Pool::Tunneled(pool_builder().build(tls_over(tls, tunnel)))
            }
        };
        Ok(Transport {
            pool,
            scheme,
            authority,
            prefix,
            user_agent: HeaderValue::from_static(concat!("mbx/", env!("CARGO_PKG_VERSION"))),
            timeout,
        })
    }

    /// The URI of `path` and `query` (already percent-encoded) on this
    /// origin: the base URL's path, then `path`, then `?query` unless it is
    /// empty.
    pub(crate) fn uri(&self, path: &str, query: &str) -> Result<Uri, Error> {
        let mut target = String::with_capacity(self.prefix.len() + path.len() + 1 + query.len());
        target.push_str(&self.prefix);
        push_path(&mut target, path);
        if !query.is_empty() {
            target.push('?');
            target.push_str(query);
        }
        let path_and_query =
            PathAndQuery::from_maybe_shared(Bytes::from(target)).map_err(|err| {
                Error::invalid(format!("the path `{path}` is not valid in a URL: {err}"))
            })?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts)
            .map_err(|err| Error::invalid(format!("cannot build the request URL: {err}")))
    }

    /// Sends a request with no body and reads the whole answer, within the
    /// timeout. `api_key` goes in `X-MBX-APIKEY`.
    ///
    /// A failure names no URL (the query holds the signature), only what
    /// failed and the causes below it.
    pub(crate) async fn exchange(
        &self,
        endpoint: &str,
        method: Method,
        uri: Uri,
        api_key: Option<&HeaderValue>,
    ) -> Result<Answer, Error> {
        let mut request = http::Request::new(Empty::new());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(api_key) = api_key {
            headers.insert(API_KEY, api_key.clone());
        }
        let exchange = async {
            let answer = match &self.pool {
                Pool::Direct(client) => client.request(request).await,
                Pool::Tunneled(client) => client.request(request).await,
            }
            .map_err(|err| {
                let kind = if err.is_connect() {
                    "cannot connect"
                } else {
                    "the connection failed"
                };
                failure(endpoint, kind, &err)
            })?;
            let (parts, body) = answer.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|err| failure(endpoint, "the answer was cut off", &err))?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(Error::Transport {
                endpoint: endpoint.to_owned(),
                cause: Cause::chain([
                    "timed out".to_owned(),
                    format!("no whole answer within {} s", self.timeout.as_secs_f64()),
                ]),
            }),
        }
    }
}

/// The pool's rules: idle connections kept 90 s; a request that the pool
/// could not send on a connection the server had just closed is sent on a
/// new one (hyper's default), never one that may have left.
fn pool_builder() -> hyper_util::client::legacy::Builder {
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new());
    builder
}

/// TCP with no Nagle delay (an order is one small write), keepalive
/// probes, a connect timeout, and https URIs allowed through to the TLS
/// layer above it.
fn tcp() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_keepalive(Some(TCP_KEEPALIVE));
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http
}

/// rustls with ring and the webpki roots, the same TLS as the WebSocket
/// clients.
fn tls_config() -> Result<rustls::ClientConfig, Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(
        rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::invalid(format!("cannot set up TLS: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// TLS (offering HTTP/2 and HTTP/1.1) for https URIs over `connector`;
/// plain http passes through (loopback only, by the base URL check).
fn tls_over<C>(tls: rustls::ClientConfig, connector: C) -> HttpsConnector<C> {
    HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(connector)
}

/// Appends `path`, percent-encoding what a URL path cannot carry as it is
/// (space, quotes, `<>`, `` ` ``, `{}`, `#`, controls and non-ASCII), as a
/// URL parser would. Paths are normally plain ASCII and copied whole.
fn push_path(target: &mut String, path: &str) {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    target.extend(percent_encoding::utf8_percent_encode(path, PATH));
}

/// The proxy's URI without a user name or password, for messages.
fn without_userinfo(uri: &Uri) -> String {
    let host = uri.host().unwrap_or("");
    match (uri.scheme_str(), uri.port_u16()) {
        (Some(scheme), Some(port)) => format!("{scheme}://{host}:{port}"),
        (Some(scheme), None) => format!("{scheme}://{host}"),
        _ => host.to_owned(),
    }
}

/// A transport failure: `kind`, then the error's own chain.
fn failure(endpoint: &str, kind: &str, err: &(dyn std::error::Error + 'static)) -> Error {
    let mut texts = vec![kind.to_owned()];
    let chain = Cause::from_error(err);
    let mut level: Option<&(dyn std::error::Error + 'static)> = Some(&chain);
    while let Some(cause) = level {
        texts.push(cause.to_string());
        level = cause.source();
    }
    Error::Transport {
        endpoint: endpoint.to_owned(),
        cause: Cause::chain(texts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_encoded_as_a_url_parser_would_and_a_plain_one_is_copied() {
        for (path, expected) in [
            ("/api/v3/order", "/api/v3/order"),
            ("/api/v3/a b", "/api/v3/a%20b"),
            ("/sapi/v1/测试", "/sapi/v1/%E6%B5%8B%E8%AF%95"),
            ("/x/{y}`\"<>#", "/x/%7By%7D%60%22%3C%3E%23"),
            ("/keeps/%41/as/is", "/keeps/%41/as/is"),
        ] {
            let mut target = String::new();
            push_path(&mut target, path);
            assert_eq!(target, expected, "{path}");
        }
    }

    #[test]
    fn a_base_url_path_prefixes_every_request_and_an_empty_query_adds_no_question_mark() {
        let transport =
            Transport::new("http://[::1]:9/proxy/binance/", Duration::from_secs(1)).unwrap();
        assert_eq!(
            transport.uri("/api/v3/time", "").unwrap(),
            "http://[::1]:9/proxy/binance/api/v3/time"
        );
        assert_eq!(
            transport
                .uri("/api/v3/depth", "symbol=BTCUSDT&limit=5")
                .unwrap(),
            "http://[::1]:9/proxy/binance/api/v3/depth?symbol=BTCUSDT&limit=5"
        );
    }

    #[test]
    fn the_api_key_header_is_the_documented_one() {
        assert!(API_KEY.as_str().eq_ignore_ascii_case(crate::API_KEY_HEADER));
    }

    #[test]
    fn a_proxy_is_named_without_its_password() {
        let uri: Uri = "http://user:secret@proxy.example:3128".parse().unwrap();
        assert_eq!(without_userinfo(&uri), "http://proxy.example:3128");
    }

    /// Sends `method /api/v3/order?query` to `base` with a timeout of
    /// `timeout_ms`, expecting a transport failure; returns it and its kind.
    async fn failure_of(
        base: &str,
        method: Method,
        query: &str,
        timeout_ms: u64,
    ) -> (Error, String) {
        let transport = Transport::new(base, Duration::from_millis(timeout_ms)).unwrap();
        let uri = transport.uri("/api/v3/order", query).unwrap();
        let endpoint = format!("{method} /api/v3/order");
        let err = transport
            .exchange(&endpoint, method, uri, None)
            .await
            .unwrap_err();
        let Error::Transport { cause, .. } = &err else {
            panic!("{err:?}");
        };
        let kind = cause.text().to_owned();
        (err, kind)
    }

    #[tokio::test]
    async fn nothing_listening_is_cannot_connect_naming_no_url() {
        // A port taken and closed again: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let (err, kind) = failure_of(&base, Method::POST, "signature=abc", 5_000).await;
        assert_eq!(kind, "cannot connect");
        assert!(
            matches!(&err, Error::Transport { endpoint, .. } if endpoint == "POST /api/v3/order")
        );
        let printed = format!("{err:?} {err}");
        assert!(!printed.contains("signature"), "{printed}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_timed_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and reads, never answers.
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            while tokio::io::AsyncReadExt::read(&mut socket, &mut buffer)
                .await
                .is_ok_and(|n| n > 0)
            {}
        });
        let (_, kind) = failure_of(&format!("http://{addr}"), Method::GET, "", 200).await;
        assert_eq!(kind, "timed out");
        server.abort();
    }
}
