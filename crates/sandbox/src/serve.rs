//! Serving the router over TCP: the accept loop, one task per connection
//! (hyper's HTTP/1.1 with upgrades for the WebSockets), and what keeps a
//! sandbox that runs for days healthy.
//!
//! 1. A cap on concurrent connections ([`ServerLimits::max_connections`],
//!    WebSockets included: a connection counts until its socket closes). A
//!    connection over the cap is answered `503` with `-1034` "Too many
//!    concurrent connections; current limit is 'N'." and closed (the
//!    request it sent is read and dropped first, so the close is a clean
//!    FIN, not a reset that would swallow the answer).
//! 2. A header-read timeout ([`ServerLimits::header_read_timeout`]): a
//!    client that does not finish sending a request head in time is
//!    disconnected. It also ends keep-alive connections left idle that long.
//! 3. Every request carries the client's address
//!    ([`axum::extract::ConnectInfo`]): the admin API answers loopback
//!    clients only and request weight is counted per address.
//! 4. A request hyper cannot parse (a raw byte that is not UTF-8 in the
//!    URL, a malformed header) gets Binance's shape, `400` with `-1100`
//!    "Illegal characters found in a parameter.", instead of hyper's empty
//!    `400`: the connection's writer swaps that one answer.
//! 5. A response marked [`CutConnection`] (the `lost-answer` fault) is never
//!    written: the connection is closed instead.
//! 6. Shutdown stops accepting, asks each connection to finish its request
//!    and waits for them; WebSockets are closed by their own handlers.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tower::ServiceExt;

/// How many connections the server holds open at once, and how long a
/// client may take to send a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request head not complete after this long closes the connection;
    /// so does an idle keep-alive connection (default 30 s, hyper's).
    pub header_read_timeout: Duration,
    /// Connections open at once, WebSockets included; more are answered
    /// `503` `-1034` and closed (default 512: under the usual limit of
    /// 1024 open files per process).
    pub max_connections: usize,
}

impl ServerLimits {
    /// The default header-read timeout.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default cap on concurrent connections.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

    /// The documented defaults: 30 s and 512 connections.
    pub fn standard() -> ServerLimits {
        ServerLimits {
            header_read_timeout: ServerLimits::DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: ServerLimits::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Marks a response that must not be sent: the connection is closed
/// instead (the `lost-answer` fault). Put into the response's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CutConnection;

/// The error a connection's service returns to make hyper drop the
/// connection without answering.
#[derive(Debug)]
struct AnswerLost;

impl std::fmt::Display for AnswerLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("answer deliberately lost (fault injection)")
    }
}

impl std::error::Error for AnswerLost {}

/// Refused connections being answered at once; more are simply closed.
const MAX_REFUSALS_IN_FLIGHT: usize = 64;
/// How long a refused connection is given to take its answer.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

/// Serves `app` on `listener` until `stop` fires, then shuts down
/// gracefully (see the module docs).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    mut stop: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_IN_FLIGHT));
    let (shutdown, shutdown_seen) = watch::channel(false);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Answers go out at once: each is one write, and a client waiting
        // for it must not wait for Nagle's algorithm.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%remote, %err, "cannot set TCP_NODELAY");
        }
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(
                %remote,
                limit = limits.max_connections,
                "connection refused: too many connections"
            );
            if let Ok(refusal) = Arc::clone(&refusals).try_acquire_owned() {
                tokio::spawn(refuse(stream, limits.max_connections, refusal));
            }
            continue;
        };
        let io = Conn {
            stream,
            writer: Writer::Inspecting,
            _slot: slot,
        };
        tokio::spawn(connection(
            io,
            remote,
            app.clone(),
            limits,
            shutdown_seen.clone(),
        ));
    }
    drop(listener);
    let _ = shutdown.send(true);
    // Every connection task holds a receiver until it ends.
    drop(shutdown_seen);
    shutdown.closed().await;
}

/// Serves one connection until it ends, or finishes its request and ends
/// when the server shuts down.
async fn connection(
    io: Conn,
    remote: SocketAddr,
    app: Router,
    limits: ServerLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let app = app.clone();
        async move {
            let response = match app.oneshot(req).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<CutConnection>().is_some() {
                return Err(AnswerLost);
            }
            Ok::<_, AnswerLost>(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // One buffer per response, so the writer sees hyper's own answers whole.
        .writev(false);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(err) = ended {
        tracing::debug!(%remote, %err, "connection ended");
    }
}

/// Answers a connection over the cap and closes it cleanly.
async fn refuse(mut stream: TcpStream, limit: usize, _refusal: OwnedSemaphorePermit) {
    let body = format!(
        "{{\"code\":-1034,\"msg\":\"Too many concurrent connections; current limit is '{limit}'.\"}}"
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_GRACE, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent: closing with unread bytes would send a
        // reset, and the client could lose the answer.
        let mut sink = [0_u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// The answer that replaces hyper's empty `400` to a request it could not
/// parse.
const UNPARSABLE_ANSWER: &str = concat!(
    "HTTP/1.1 400 Bad Request\r\n",
    "content-type: application/json\r\n",
    "content-length: 63\r\n",
    "connection: close\r\n",
    "\r\n",
    "{\"code\":-1100,\"msg\":\"Illegal characters found in a parameter.\"}",
);

/// Whether hyper is writing its own answer to a request it could not
/// parse: `400` with an empty body, head only. The router's `400`s always
/// carry a JSON body.
fn is_unparsable_answer(buf: &[u8]) -> bool {
    let Some(head) = buf.strip_prefix(b"HTTP/1.1 400 Bad Request\r\n") else {
        return false;
    };
    let Some(head) = head.strip_suffix(b"\r\n\r\n") else {
        return false;
    };
    head.split(|&b| b == b'\n')
        .any(|line| line.eq_ignore_ascii_case(b"content-length: 0\r"))
}

/// What the connection's writer does with the next bytes.
enum Writer {
    /// Still HTTP: watch for hyper's answer to an unparsable request.
    Inspecting,
    /// Writing the replacement answer; `claimed` is the length of hyper's
    /// buffer, reported written once the replacement is out.
    Replacing { written: usize, claimed: usize },
    /// Upgraded to a WebSocket (or past HTTP): bytes pass through.
    Passing,
}

/// A client connection: the socket, the writer's state, and the slot it
/// holds under the connection cap until it is dropped (for a WebSocket,
/// when the socket closes, long after hyper has let go of it).
struct Conn {
    stream: TcpStream,
    writer: Writer,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Writer::Inspecting = this.writer {
            if buf.starts_with(b"HTTP/1.1 101 ") {
                this.writer = Writer::Passing;
            } else if is_unparsable_answer(buf) {
                tracing::debug!("answering a request that could not be parsed with -1100");
                this.writer = Writer::Replacing {
                    written: 0,
                    claimed: buf.len(),
                };
            }
        }
        if let Writer::Replacing { written, claimed } = &mut this.writer {
            let answer = UNPARSABLE_ANSWER.as_bytes();
            while *written < answer.len() {
                let n = ready!(Pin::new(&mut this.stream).poll_write(cx, &answer[*written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += n;
            }
            let claimed = *claimed;
            // hyper closes the connection after this answer.
            this.writer = Writer::Passing;
            return Poll::Ready(Ok(claimed));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replacement_answer_declares_its_length() {
        let (head, body) = UNPARSABLE_ANSWER.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(value["code"], -1100);
    }

    #[track_caller]
    fn check(written: &str, swapped: bool) {
        assert_eq!(
            is_unparsable_answer(written.as_bytes()),
            swapped,
            "{written:?}"
        );
    }

    #[test]
    fn only_hyper_s_empty_400_is_swapped() {
        check(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n",
            true,
        );
        check(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{\"code\":-1121,\"msg\":\"Invalid symbol.\"}",
            false,
        );
        check("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", false);
        check(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            false,
        );
    }
}
