//! The WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`): requests,
//! signed requests and the user-data stream.
//!
//! [`WsApi`] keeps one connection, following
//! `shared/binance-docs/web-socket-api.md`:
//!
//! 1. every request is one text frame `{"id","method","params"}`; the answer
//!    `{"id","status","result"|"error","rateLimits"}` is matched to it by
//!    `id`, or the request fails after [`ApiConfig::request_timeout`]
//!    (a read with [`Error::Transport`], an order with
//!    [`Error::OutcomeUnknown`]);
//! 2. a signed request gets `apiKey`, `timestamp` (and `recvWindow`) in its
//!    params and a `signature` over `mbx_signing::payload::ws_api_payload`
//!    of them; any key type works (HMAC, RSA, Ed25519);
//! 3. user data comes from `userDataStream.subscribe.signature` (any key
//!    type) or `session.logon` + `userDataStream.subscribe` (Ed25519); events
//!    `{"subscriptionId","event"}` are decoded into typed
//!    [`mbx_domain::stream::UserEvent`]s;
//! 4. pings are answered at once; when the connection drops (or the server
//!    announces `serverShutdown`), requests in flight fail the same way,
//!    the client reconnects with a jittered backoff,
//!    logs on again and resubscribes, then says so with
//!    [`ApiNotice::Resubscribed`]. Events sent while it was away are lost:
//!    fetch the account over REST then and reconcile (the feeds of
//!    `mbx-client` do);
//! 5. signed requests carry the server's time: the client measures its
//!    offset with the `time` method before the first one, every 5 minutes,
//!    and again (with one retry) after a `-1021`.
//!
//! Errors are [`mbx_domain::Error`], with the same codes, categories and
//! hints as over REST.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use mbx_domain::clock::{ClockConfig, ClockSync, Sample};
use mbx_domain::credentials::Credentials;
use mbx_domain::feed::{ApiNotice, UserItem};
use mbx_domain::model::Millis;
use mbx_signing::payload::ws_api_payload;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use mbx_domain::Error;

use crate::conn::{self, Backoff, Socket};
use crate::error;
use crate::wire::{self, ApiFrame, ApiResponse};

/// How to reach and use the WebSocket API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The full URL, e.g. `wss://ws-api.binance.com:443/ws-api/v3`, or
    /// `ws://127.0.0.1:<port>/ws-api/v3` for the sandbox.
    pub url: String,
    /// How long to wait for an answer.
    pub request_timeout: Duration,
    /// Delay between reconnect attempts.
    pub backoff: Backoff,
    /// `recvWindow` in milliseconds for signed requests; none sends none
    /// (Binance's default is 5000).
    pub recv_window_ms: Option<u32>,
    /// Events buffered for a slow consumer before the connection waits.
    pub channel_capacity: usize,
    /// Whether signed requests measure the server's time with the `time`
    /// method first (and again every 5 minutes and after a `-1021`). Off,
    /// they sign with the local clock plus [`WsApi::set_time_offset_ms`].
    pub measure_server_time: bool,
}

impl ApiConfig {
    /// 10 s request timeout, [`Backoff::BINANCE`], no `recvWindow`, signed
    /// with the measured server time.
    pub fn new(url: impl Into<String>) -> ApiConfig {
        ApiConfig {
            url: url.into(),
            request_timeout: Duration::from_secs(10),
            backoff: Backoff::BINANCE,
            recv_window_ms: None,
            channel_capacity: 4096,
            measure_server_time: true,
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiReply {
    /// The status (200).
    pub status: u16,
    /// The `result`, as JSON.
    pub result: Value,
    /// The rate limits the request counted against.
    pub rate_limits: Vec<RateLimitUsage>,
}

/// One entry of `rateLimits`: how much of a limit is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitUsage {
    /// `REQUEST_WEIGHT`, `ORDERS`, …
    pub rate_limit_type: String,
    /// `SECOND`, `MINUTE`, `DAY`.
    pub interval: String,
    /// Intervals in the window.
    pub interval_num: u32,
    /// The limit.
    pub limit: u64,
    /// Used so far.
    pub count: u64,
}

/// A WebSocket API client. Dropping it closes the connection.
#[derive(Debug)]
pub struct WsApi {
    measure_server_time: bool,
    commands: mpsc::UnboundedSender<Command>,
    signing: Option<Arc<Signing>>,
    ids: Arc<AtomicU64>,
    time_offset_ms: Arc<AtomicI64>,
    clock: std::sync::Mutex<ClockSync>,
    task: JoinHandle<()>,
}

impl WsApi {
    /// Connects; `credentials` are needed for signed requests and user data.
    pub async fn connect(
        config: ApiConfig,
        credentials: Option<Credentials>,
    ) -> Result<(WsApi, mpsc::Receiver<UserItem>), Error> {
        conn::check_url(&config.url)?;
        let config = Arc::new(config);
        let time_offset_ms = Arc::new(AtomicI64::new(0));
        let signing = credentials.map(|credentials| {
            Arc::new(Signing {
                credentials,
                recv_window_ms: config.recv_window_ms,
                time_offset_ms: Arc::clone(&time_offset_ms),
            })
        });
        let ids = Arc::new(AtomicU64::new(1));
        let (events, receiver) = mpsc::channel(config.channel_capacity.max(1));
        let (commands, command_receiver) = mpsc::unbounded_channel();
        let socket = conn::connect(&config.url).await?;
        let measure_server_time = config.measure_server_time;
        let task = Task {
            config,
            signing: signing.clone(),
            ids: Arc::clone(&ids),
            commands: command_receiver,
            events,
            rng: SmallRng::from_entropy(),
            logged_on: false,
            user_data: None,
        };
        let task = tokio::spawn(task.run(socket));
        let client = WsApi {
            measure_server_time,
            commands,
            signing,
            ids,
            time_offset_ms,
            clock: std::sync::Mutex::new(ClockSync::new(ClockConfig::standard())),
            task,
        };
        Ok((client, receiver))
    }

    /// Sets the offset of the server's clock from the local one (server
    /// time − local time, in ms), applied to every `timestamp`, as if just
    /// measured: the client measures again only when it gets old (5 min)
    /// or a request fails with `-1021`.
    pub fn set_time_offset_ms(&self, offset_ms: i64) {
        self.time_offset_ms.store(offset_ms, Ordering::Relaxed);
        self.lock_clock().record(mbx_domain::clock::Estimate {
            offset_ms,
            rtt_ms: 0,
            taken_at_ms: local_now_ms(),
        });
    }

    /// Measures the offset of the server's clock with the `time` method
    /// (the sample with the shortest round trip of a few) and signs with it
    /// from now on.
    pub async fn sync_clock(&self) -> Result<mbx_domain::clock::Estimate, Error> {
        let samples_wanted = self.lock_clock().config().samples.max(1);
        let mut samples = Vec::with_capacity(samples_wanted);
        for _ in 0..samples_wanted {
            let sent_ms = local_now_ms();
            let reply = self.send("time", Map::new()).await?;
            let received_ms = local_now_ms();
            let reply = reply.into_api_reply("time")?;
            let server_time_ms = reply.result["serverTime"]
                .as_i64()
                .ok_or_else(|| error::bad_response("time", "no `serverTime` in the answer"))?;
            samples.push(Sample {
                sent_ms,
                server_time_ms,
                received_ms,
            });
        }
        let estimate = mbx_domain::clock::estimate(&samples)
            .ok_or_else(|| error::bad_response("time", "no sample"))?;
        self.time_offset_ms
            .store(estimate.offset_ms, Ordering::Relaxed);
        self.lock_clock().record(estimate);
        tracing::debug!(
            offset_ms = estimate.offset_ms,
            rtt_ms = estimate.rtt_ms,
            "WebSocket API clock synced"
        );
        Ok(estimate)
    }

    fn lock_clock(&self) -> std::sync::MutexGuard<'_, ClockSync> {
        self.clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends an unsigned request and waits for its answer.
    ///
    /// An error answer is [`Error::Api`] with Binance's code and message.
    /// Answers and user-data events come through the same connection task:
    /// keep draining the event receiver while requests are in flight.
    pub async fn request(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<ApiReply, Error> {
        self.send(method, params).await?.into_api_reply(method)
    }

    /// Sends a signed request: adds `apiKey`, `timestamp` (the server's
    /// time as measured, see [`WsApi::sync_clock`]), `recvWindow` and
    /// `signature` to `params`. After a `-1021` it measures the clock again
    /// and sends once more.
    pub async fn signed_request(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<ApiReply, Error> {
        self.signed_raw(method, params)
            .await?
            .into_api_reply(method)
    }

    /// [`WsApi::signed_request`] with the `result` left as JSON text, for a
    /// typed call to parse once into its own type.
    pub(crate) async fn signed_raw(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<RawReply, Error> {
        let signing = self.signing.as_ref().ok_or_else(error::no_credentials)?;
        if self.measure_server_time
            && self.lock_clock().needs_sync(local_now_ms())
            && let Err(err) = self.sync_clock().await
        {
            // A server without `time` still takes requests signed with the
            // local clock; say why the timestamps may be off.
            tracing::warn!("cannot measure the server's time: {err}; signing with the local clock");
            self.set_time_offset_ms(self.time_offset_ms.load(Ordering::Relaxed));
        }
        let mut signed = params.clone();
        signing.sign(&mut signed);
        match self.send(method, signed).await {
            Err(err) if err.code() == Some(-1021) && self.measure_server_time => {
                tracing::info!(
                    "{method}: -1021, measuring the server's time again and retrying once"
                );
                self.lock_clock().invalidate();
                self.sync_clock().await?;
                let mut signed = params;
                signing.sign(&mut signed);
                self.send(method, signed).await
            }
            res => res,
        }
    }

    /// `session.logon`: later requests on this connection are authenticated
    /// as this API key. Repeated after every reconnect.
    pub async fn session_logon(&self) -> Result<ApiReply, Error> {
        self.signed_request(LOGON, Map::new()).await
    }

    /// `userDataStream.subscribe.signature` (any key type); returns the
    /// subscription ID. Repeated after every reconnect.
    pub async fn subscribe_user_data(&self) -> Result<u64, Error> {
        let reply = self.signed_request(SUBSCRIBE_SIGNATURE, Map::new()).await?;
        subscription_id(SUBSCRIBE_SIGNATURE, &reply)
    }

    /// `userDataStream.subscribe` on a session logged on with
    /// [`WsApi::session_logon`]; returns the subscription ID. Repeated (after
    /// the logon) after every reconnect.
    pub async fn subscribe_user_data_after_logon(&self) -> Result<u64, Error> {
        let reply = self.request(SUBSCRIBE, Map::new()).await?;
        subscription_id(SUBSCRIBE, &reply)
    }

    /// Closes the connection and waits for its task to end.
    pub async fn close(self) {
        let _ = self.commands.send(Command::Close);
        let _ = self.task.await;
    }

    async fn send(&self, method: &str, params: Map<String, Value>) -> Result<RawReply, Error> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let text = request_text(id, method, params);
        let (reply, answer) = oneshot::channel();
        let command = Command::Request {
            id,
            method: method.to_owned(),
            text,
            reply,
        };
        self.commands.send(command).map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }
}

fn local_now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as Millis)
}

const LOGON: &str = "session.logon";
const SUBSCRIBE: &str = "userDataStream.subscribe";
const SUBSCRIBE_SIGNATURE: &str = "userDataStream.subscribe.signature";

/// Adds the signature parameters; shared by the client and its task.
#[derive(Debug)]
struct Signing {
    credentials: Credentials,
    recv_window_ms: Option<u32>,
    time_offset_ms: Arc<AtomicI64>,
}

impl Signing {
    fn sign(&self, params: &mut Map<String, Value>) {
        let timestamp = local_now_ms() + self.time_offset_ms.load(Ordering::Relaxed);
        params.insert(
            "apiKey".to_owned(),
            Value::from(self.credentials.api_key().as_str()),
        );
        params.insert("timestamp".to_owned(), Value::from(timestamp));
        if let Some(recv_window) = self.recv_window_ms {
            params.insert("recvWindow".to_owned(), Value::from(recv_window));
        }
        params.remove("signature");
        let texts: Vec<(&str, String)> = params
            .iter()
            .map(|(name, value)| (name.as_str(), value_text(value)))
            .collect();
        let payload = ws_api_payload(texts.iter().map(|(name, text)| (*name, text.as_str())));
        let signature = self.credentials.signer().sign(payload.as_bytes());
        params.insert("signature".to_owned(), Value::from(signature.as_str()));
    }
}

/// The text a parameter contributes to the signed payload: a string as it
/// is, anything else as its JSON text (`100`, `true`).
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn request_text(id: u64, method: &str, params: Map<String, Value>) -> String {
    if params.is_empty() {
        json!({"id": id, "method": method}).to_string()
    } else {
        json!({"id": id, "method": method, "params": params}).to_string()
    }
}

fn subscription_id(method: &str, reply: &ApiReply) -> Result<u64, Error> {
    reply.result["subscriptionId"]
        .as_u64()
        .ok_or_else(|| error::bad_response(method, "no `subscriptionId` in the answer"))
}

#[derive(Debug)]
enum Command {
    Request {
        id: u64,
        method: String,
        text: String,
        reply: oneshot::Sender<Result<RawReply, Error>>,
    },
    Close,
}

/// How the user-data stream was subscribed, to do it again after a reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserData {
    Signature,
    AfterLogon,
}

/// A request waiting for its answer.
struct Pending {
    method: String,
    deadline: Instant,
    /// The caller's reply; `None` for the task's own resubscribe requests.
    reply: Option<oneshot::Sender<Result<RawReply, Error>>>,
}

enum End {
    Stop,
    Reconnect { reason: String, at_once: bool },
}

struct Task {
    config: Arc<ApiConfig>,
    signing: Option<Arc<Signing>>,
    ids: Arc<AtomicU64>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<UserItem>,
    rng: SmallRng,
    logged_on: bool,
    user_data: Option<UserData>,
}

impl Task {
    async fn run(mut self, socket: Socket) {
        let mut socket = Some(socket);
        let mut n_failures = 0;
        let mut is_reconnect = false;
        loop {
            let connected = match socket.take() {
                Some(socket) => Ok(socket),
                None => conn::connect(&self.config.url).await,
            };
            let end = match connected {
                Ok(socket) => {
                    n_failures = 0;
                    if !self.notify(ApiNotice::Connected).await {
                        return;
                    }
                    self.serve(socket, is_reconnect).await
                }
                Err(error) => End::Reconnect {
                    reason: error.to_string(),
                    at_once: false,
                },
            };
            let End::Reconnect { reason, at_once } = end else {
                return;
            };
            is_reconnect = true;
            let retry_in = if at_once {
                Duration::ZERO
            } else {
                let delay = self.config.backoff.delay(n_failures, &mut self.rng);
                n_failures = n_failures.saturating_add(1);
                delay
            };
            tracing::debug!(%reason, ?retry_in, "WebSocket API disconnected");
            if !self
                .notify(ApiNotice::Disconnected { reason, retry_in })
                .await
                || !self.wait_disconnected(retry_in).await
            {
                return;
            }
        }
    }

    async fn wait_disconnected(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                () = sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    None | Some(Command::Close) => return false,
                    Some(Command::Request { reply, method, .. }) => {
                        let _ = reply.send(Err(error::disconnected(&method)));
                    }
                },
            }
        }
    }

    async fn serve(&mut self, socket: Socket, is_reconnect: bool) -> End {
        let (mut sink, mut frames) = socket.split();
        let mut pending: HashMap<u64, Pending> = HashMap::new();
        if is_reconnect {
            let first = if self.logged_on {
                Some(LOGON)
            } else if self.user_data == Some(UserData::Signature) {
                Some(SUBSCRIBE_SIGNATURE)
            } else {
                None
            };
            if let Some(method) = first
                && let Err(end) = self.send_own(method, &mut sink, &mut pending).await
            {
                return end;
            }
        }
        let end = loop {
            let next_deadline = pending.values().map(|pending| pending.deadline).min();
            let now = Instant::now();
            tokio::select! {
                frame = frames.next() => {
                    let text = match frame {
                        None => break reconnect("the server closed the connection".to_owned()),
                        Some(Err(error)) => break reconnect(error.to_string()),
                        Some(Ok(Message::Close(_))) => break reconnect("the server closed the connection".to_owned()),
                        Some(Ok(Message::Ping(_))) => {
                            // tungstenite has queued the pong; flushing sends it now.
                            if let Err(error) = sink.flush().await {
                                break reconnect(error.to_string());
                            }
                            continue;
                        }
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => {
                            if !self.skip("binary frame on a JSON connection".to_owned()).await {
                                break End::Stop;
                            }
                            continue;
                        }
                        Some(Ok(_)) => continue,
                    };
                    if let Some(end) = self.on_text(text.as_str(), &mut sink, &mut pending).await {
                        break end;
                    }
                }
                command = self.commands.recv() => match command {
                    None | Some(Command::Close) => {
                        let _ = sink.send(Message::Close(None)).await;
                        break End::Stop;
                    }
                    Some(Command::Request { id, method, text, reply }) => {
                        if let Err(err) = sink.send(Message::text(text)).await {
                            let _ = reply.send(Err(error::disconnected(&method)));
                            break reconnect(err.to_string());
                        }
                        let deadline = Instant::now() + self.config.request_timeout;
                        pending.insert(id, Pending { method, deadline, reply: Some(reply) });
                    }
                },
                () = sleep_until(next_deadline.unwrap_or(now)), if next_deadline.is_some() => {
                    let now = Instant::now();
                    let expired: Vec<u64> = pending
                        .iter()
                        .filter(|(_, pending)| pending.deadline <= now)
                        .map(|(id, _)| *id)
                        .collect();
                    for id in expired {
                        let Some(pending) = pending.remove(&id) else { continue };
                        let err = error::timed_out(&pending.method, self.config.request_timeout);
                        match pending.reply {
                            Some(reply) => { let _ = reply.send(Err(err)); }
                            None => {
                                let notice = ApiNotice::ResubscribeFailed { reason: err.to_string() };
                                if !self.notify(notice).await {
                                    return End::Stop;
                                }
                            }
                        }
                    }
                }
            }
        };
        for pending in pending.into_values() {
            if let Some(reply) = pending.reply {
                let _ = reply.send(Err(error::disconnected(&pending.method)));
            }
        }
        end
    }

    /// Sends one of the task's own requests (logon, resubscribe).
    async fn send_own(
        &mut self,
        method: &'static str,
        sink: &mut SplitSink<Socket, Message>,
        pending: &mut HashMap<u64, Pending>,
    ) -> Result<(), End> {
        let mut params = Map::new();
        if method != SUBSCRIBE
            && let Some(signing) = &self.signing
        {
            signing.sign(&mut params);
        }
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        sink.send(Message::text(request_text(id, method, params)))
            .await
            .map_err(|error| reconnect(error.to_string()))?;
        let deadline = Instant::now() + self.config.request_timeout;
        pending.insert(
            id,
            Pending {
                method: method.to_owned(),
                deadline,
                reply: None,
            },
        );
        Ok(())
    }

    async fn on_text(
        &mut self,
        text: &str,
        sink: &mut SplitSink<Socket, Message>,
        pending: &mut HashMap<u64, Pending>,
    ) -> Option<End> {
        match wire::decode_api(text) {
            Ok(ApiFrame::Response(response)) => {
                let id = response.id.as_ref().and_then(|id| id.as_u64());
                let Some(request) = id.and_then(|id| pending.remove(&id)) else {
                    // The text is not logged: an answer may echo the API key.
                    let reason = match id {
                        Some(id) => format!("answer to an unknown request id {id}"),
                        None => "answer without a request id".to_owned(),
                    };
                    return (!self.skip(reason).await).then_some(End::Stop);
                };
                let res = reply_of(&request.method, &response);
                if res.is_ok() {
                    self.remember(&request.method);
                }
                match request.reply {
                    Some(reply) => {
                        let _ = reply.send(res);
                        None
                    }
                    None => {
                        let res = res.and_then(|raw| raw.into_api_reply(&request.method));
                        self.on_own_reply(&request.method, res, sink, pending).await
                    }
                }
            }
            Ok(ApiFrame::Event {
                subscription_id,
                event,
            }) => match event.to_domain() {
                Ok(event) => {
                    let item = UserItem::Event {
                        subscription_id,
                        event,
                    };
                    self.events.send(item).await.is_err().then_some(End::Stop)
                }
                Err(error) => (!self.skip(error.to_string()).await).then_some(End::Stop),
            },
            Ok(ApiFrame::ServerShutdown(_)) => Some(End::Reconnect {
                reason: "the server announced a shutdown".to_owned(),
                at_once: true,
            }),
            Err(error) => (!self.skip(error.to_string()).await).then_some(End::Stop),
        }
    }

    /// Remembers what a reconnect must repeat.
    fn remember(&mut self, method: &str) {
        match method {
            LOGON => self.logged_on = true,
            SUBSCRIBE_SIGNATURE => self.user_data = Some(UserData::Signature),
            SUBSCRIBE => self.user_data = Some(UserData::AfterLogon),
            "session.logout" => {
                self.logged_on = false;
                if self.user_data == Some(UserData::AfterLogon) {
                    self.user_data = None;
                }
            }
            "userDataStream.unsubscribe" => self.user_data = None,
            _ => {}
        }
    }

    /// The answer to a resubscribe step: send the next step or report.
    async fn on_own_reply(
        &mut self,
        method: &str,
        res: Result<ApiReply, Error>,
        sink: &mut SplitSink<Socket, Message>,
        pending: &mut HashMap<u64, Pending>,
    ) -> Option<End> {
        let notice = match res {
            Err(error) => ApiNotice::ResubscribeFailed {
                reason: error.to_string(),
            },
            Ok(_) if method == LOGON => {
                let next = match self.user_data {
                    Some(UserData::AfterLogon) => SUBSCRIBE,
                    Some(UserData::Signature) => SUBSCRIBE_SIGNATURE,
                    None => return None,
                };
                return self.send_own(next, sink, pending).await.err();
            }
            Ok(reply) => match subscription_id(method, &reply) {
                Ok(subscription_id) => ApiNotice::Resubscribed { subscription_id },
                Err(error) => ApiNotice::ResubscribeFailed {
                    reason: error.to_string(),
                },
            },
        };
        (!self.notify(notice).await).then_some(End::Stop)
    }

    /// Reports a skipped frame; false when nobody listens any more.
    async fn skip(&self, reason: String) -> bool {
        tracing::debug!(%reason, "skipped a WebSocket API frame");
        self.notify(ApiNotice::Skipped { reason }).await
    }

    async fn notify(&self, notice: ApiNotice) -> bool {
        self.events.send(UserItem::Notice(notice)).await.is_ok()
    }
}

fn reconnect(reason: String) -> End {
    End::Reconnect {
        reason,
        at_once: false,
    }
}

/// An answer as it came, its `result` still JSON text: the connection
/// task does not parse it, the caller parses it once (a typed call straight
/// into its own type, not through a `Value`).
#[derive(Debug)]
pub(crate) struct RawReply {
    status: u16,
    result: Option<Box<RawValue>>,
    rate_limits: Vec<RateLimitUsage>,
}

impl RawReply {
    /// The answer with its `result` as a `Value` (`Null` when absent).
    fn into_api_reply(self, method: &str) -> Result<ApiReply, Error> {
        let result = match &self.result {
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|err| error::bad_response(method, err))?
            }
            None => Value::Null,
        };
        Ok(ApiReply {
            status: self.status,
            result,
            rate_limits: self.rate_limits,
        })
    }

    /// The `result` parsed as `T` (an absent one is JSON `null`).
    pub(crate) fn parse<T: DeserializeOwned>(&self, method: &str) -> Result<T, Error> {
        let text = self.result.as_deref().map_or("null", RawValue::get);
        serde_json::from_str(text).map_err(|err| error::bad_response(method, err))
    }
}

fn reply_of(method: &str, response: &ApiResponse<'_>) -> Result<RawReply, Error> {
    if let Some(answer) = &response.error {
        return Err(error::api(
            method,
            response.status,
            answer.code,
            &answer.msg,
        ));
    }
    let rate_limits = response
        .rate_limits
        .iter()
        .map(|limit| RateLimitUsage {
            rate_limit_type: limit.rate_limit_type.to_string(),
            interval: limit.interval.to_string(),
            interval_num: limit.interval_num,
            limit: limit.limit,
            count: limit.count,
        })
        .collect();
    Ok(RawReply {
        status: response.status,
        result: response.result.map(ToOwned::to_owned),
        rate_limits,
    })
}

#[cfg(test)]
mod tests {
    use mbx_domain::credentials::ApiKey;
    use mbx_domain::stream::{BalanceUpdate, UserEvent};
    use mbx_signing::{HmacKey, Signer};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_tungstenite::WebSocketStream;

    use super::*;

    const API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n";

    type ServerSocket = WebSocketStream<TcpStream>;

    /// A tiny WebSocket server on 127.0.0.1:0 that hands each connection to the test.
    async fn server() -> (String, mpsc::UnboundedReceiver<ServerSocket>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws-api/v3", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(socket) = tokio_tungstenite::accept_async(tcp).await else {
                    continue;
                };
                if tx.send(socket).is_err() {
                    return;
                }
            }
        });
        (url, rx)
    }

    fn config(url: &str) -> ApiConfig {
        let mut config = ApiConfig::new(url);
        config.measure_server_time = false;
        config.backoff = Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
        };
        config
    }

    fn hmac() -> Credentials {
        Credentials::new(
            ApiKey::new(API_KEY).unwrap(),
            Signer::Hmac(HmacKey::new(SECRET.as_bytes()).unwrap()),
        )
    }

    async fn within<T>(future: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(10), future)
            .await
            .expect("the test hung")
    }

    /// Reads the next request the client sent.
    async fn read_request(socket: &mut ServerSocket) -> Value {
        loop {
            if let Message::Text(text) = within(socket.next()).await.expect("client left").unwrap()
            {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    async fn send(socket: &mut ServerSocket, value: Value) {
        socket.send(Message::text(value.to_string())).await.unwrap();
    }

    /// Checks a signed request the way the server does.
    #[track_caller]
    fn verify(request: &Value, signer: &Signer) {
        let params = request["params"].as_object().unwrap();
        let texts: Vec<(&str, String)> = params
            .iter()
            .map(|(name, value)| (name.as_str(), value_text(value)))
            .collect();
        let payload = ws_api_payload(texts.iter().map(|(name, text)| (*name, text.as_str())));
        let signature = params["signature"].as_str().unwrap();
        signer
            .verifier()
            .verify(payload.as_bytes(), signature)
            .unwrap();
        assert_eq!(params["apiKey"], API_KEY);
        assert!(params["timestamp"].is_i64());
    }

    async fn next_notice(items: &mut mpsc::Receiver<UserItem>) -> ApiNotice {
        loop {
            if let UserItem::Notice(notice) = within(items.recv()).await.expect("items ended") {
                return notice;
            }
        }
    }

    #[tokio::test]
    async fn answers_are_matched_to_requests_by_id() {
        let (url, mut accepted) = server().await;
        let (client, _items) = within(WsApi::connect(config(&url), None)).await.unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let first = read_request(&mut socket).await;
            let second = read_request(&mut socket).await;
            assert_eq!(
                (first["method"].as_str(), second["method"].as_str()),
                (Some("time"), Some("ping"))
            );
            // Answer in the opposite order.
            send(
                &mut socket,
                json!({"id": second["id"], "status": 200, "result": {}}),
            )
            .await;
            send(&mut socket, json!({"id": first["id"], "status": 200, "result": {"serverTime": 1656400526260u64},
                "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 2}]})).await;
        };
        let client_side = async {
            let time = client.request("time", Map::new());
            let ping = async {
                tokio::task::yield_now().await;
                client.request("ping", Map::new()).await
            };
            tokio::join!(time, ping)
        };
        let (_, (time, ping)) = within(async { tokio::join!(server_side, client_side) }).await;
        let time = time.unwrap();
        assert_eq!(time.result["serverTime"], 1656400526260u64);
        assert_eq!(time.rate_limits[0].count, 2);
        assert_eq!(ping.unwrap().result, json!({}));
    }

    #[tokio::test]
    async fn error_answers_keep_code_and_message() {
        let (url, mut accepted) = server().await;
        let (client, _items) = within(WsApi::connect(config(&url), Some(hmac())))
            .await
            .unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let request = read_request(&mut socket).await;
            verify(&request, hmac().signer());
            let msg = "Timestamp for this request is outside of the recvWindow.";
            send(
                &mut socket,
                json!({"id": request["id"], "status": 400, "error": {"code": -1021, "msg": msg}}),
            )
            .await;
        };
        let mut params = Map::new();
        params.insert("symbol".to_owned(), json!("BTCUSDT"));
        let (_, res) = within(async {
            tokio::join!(server_side, client.signed_request("account.status", params))
        })
        .await;
        let error = res.unwrap_err();
        let api = error.as_api().expect("an API error");
        assert_eq!((api.status, api.code), (400, Some(-1021)), "{error}");
        assert_eq!(error.category(), mbx_domain::Category::Clock);
        assert_eq!(
            error.to_string(),
            "WS account.status failed: -1021 Timestamp for this request is outside of the recvWindow."
        );
    }

    #[tokio::test]
    async fn unanswered_request_times_out() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.request_timeout = Duration::from_millis(20);
        let (client, _items) = within(WsApi::connect(config, None)).await.unwrap();
        let _socket = within(accepted.recv()).await.unwrap();
        let error = within(client.request("time", Map::new()))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Transport { endpoint, .. } if endpoint == "WS time"),
            "{error}"
        );
        assert!(error.is_retryable());
    }

    #[tokio::test]
    async fn signed_request_without_credentials_is_refused() {
        let (url, _accepted) = server().await;
        let (client, _items) = within(WsApi::connect(config(&url), None)).await.unwrap();
        let error = client.subscribe_user_data().await.unwrap_err();
        assert!(matches!(
            error,
            Error::Config(mbx_domain::ConfigError::NoApiKey)
        ));
    }

    #[tokio::test]
    async fn user_data_survives_a_drop() {
        let (url, mut accepted) = server().await;
        let (client, mut items) = within(WsApi::connect(config(&url), Some(hmac())))
            .await
            .unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let request = read_request(&mut socket).await;
            assert_eq!(request["method"], SUBSCRIBE_SIGNATURE);
            verify(&request, hmac().signer());
            send(
                &mut socket,
                json!({"id": request["id"], "status": 200, "result": {"subscriptionId": 0}}),
            )
            .await;
        };
        let (_, id) =
            within(async { tokio::join!(server_side, client.subscribe_user_data()) }).await;
        assert_eq!(id.unwrap(), 0);
        assert_eq!(next_notice(&mut items).await, ApiNotice::Connected);

        let deposit = r#"{"subscriptionId":0,"event":{"e":"balanceUpdate","E":1573200697110,"a":"BTC","d":"100.00000000","T":1573200697068}}"#;
        socket.send(Message::text("garbage")).await.unwrap();
        socket.send(Message::text(deposit)).await.unwrap();
        assert!(matches!(
            next_notice(&mut items).await,
            ApiNotice::Skipped { .. }
        ));
        let item = within(items.recv()).await.unwrap();
        let UserItem::Event {
            subscription_id: Some(0),
            event: UserEvent::BalanceUpdate(BalanceUpdate { delta, .. }),
        } = item
        else {
            panic!("{item:?}")
        };
        assert_eq!(delta.to_string(), "100.00000000");

        drop(socket);
        let mut socket = within(accepted.recv()).await.unwrap();
        let request = read_request(&mut socket).await;
        assert_eq!(request["method"], SUBSCRIBE_SIGNATURE);
        verify(&request, hmac().signer());
        send(
            &mut socket,
            json!({"id": request["id"], "status": 200, "result": {"subscriptionId": 1}}),
        )
        .await;
        assert!(matches!(
            next_notice(&mut items).await,
            ApiNotice::Disconnected { .. }
        ));
        assert_eq!(next_notice(&mut items).await, ApiNotice::Connected);
        assert_eq!(
            next_notice(&mut items).await,
            ApiNotice::Resubscribed { subscription_id: 1 }
        );
    }

    #[tokio::test]
    async fn logon_session_logs_on_again_then_resubscribes_after_server_shutdown() {
        let (url, mut accepted) = server().await;
        let signer = Signer::from_private_key_pem(ED25519_PEM).unwrap();
        let credentials = Credentials::new(ApiKey::new(API_KEY).unwrap(), signer.clone());
        let (client, mut items) = within(WsApi::connect(config(&url), Some(credentials)))
            .await
            .unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let logon = read_request(&mut socket).await;
            assert_eq!(logon["method"], LOGON);
            verify(&logon, &signer);
            send(
                &mut socket,
                json!({"id": logon["id"], "status": 200, "result": {"apiKey": API_KEY}}),
            )
            .await;
            let subscribe = read_request(&mut socket).await;
            assert_eq!(
                (subscribe["method"].as_str(), subscribe.get("params")),
                (Some(SUBSCRIBE), None)
            );
            send(
                &mut socket,
                json!({"id": subscribe["id"], "status": 200, "result": {"subscriptionId": 0}}),
            )
            .await;
        };
        let client_side = async {
            client.session_logon().await.unwrap();
            client.subscribe_user_data_after_logon().await.unwrap()
        };
        assert_eq!(
            within(async { tokio::join!(server_side, client_side) })
                .await
                .1,
            0
        );

        send(
            &mut socket,
            json!({"event": {"e": "serverShutdown", "E": 1770123456789u64}}),
        )
        .await;
        let mut socket = within(accepted.recv()).await.unwrap();
        let logon = read_request(&mut socket).await;
        assert_eq!(logon["method"], LOGON);
        verify(&logon, &signer);
        send(
            &mut socket,
            json!({"id": logon["id"], "status": 200, "result": {}}),
        )
        .await;
        let subscribe = read_request(&mut socket).await;
        assert_eq!(subscribe["method"], SUBSCRIBE);
        send(
            &mut socket,
            json!({"id": subscribe["id"], "status": 200, "result": {"subscriptionId": 3}}),
        )
        .await;
        loop {
            match next_notice(&mut items).await {
                ApiNotice::Resubscribed { subscription_id } => {
                    break assert_eq!(subscription_id, 3);
                }
                ApiNotice::Disconnected { retry_in, .. } => assert!(retry_in.is_zero()),
                ApiNotice::Connected => {}
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn requests_during_a_drop_fail_as_disconnected() {
        let (url, mut accepted) = server().await;
        let (client, _items) = within(WsApi::connect(config(&url), None)).await.unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let _ = read_request(&mut socket).await;
            drop(socket);
        };
        let (_, res) =
            within(async { tokio::join!(server_side, client.request("time", Map::new())) }).await;
        assert!(matches!(res, Err(Error::Transport { .. })), "{res:?}");
    }

    #[tokio::test]
    async fn answers_pings() {
        let (url, mut accepted) = server().await;
        let (_client, _items) = within(WsApi::connect(config(&url), None)).await.unwrap();
        let mut socket = within(accepted.recv()).await.unwrap();
        socket
            .send(Message::Ping(b"keepalive".to_vec().into()))
            .await
            .unwrap();
        let answer = within(socket.next()).await.unwrap().unwrap();
        assert_eq!(answer, Message::Pong(b"keepalive".to_vec().into()));
    }

    /// The connection task leaves `result` as text: a typed call parses it
    /// into its type, the general one into a `Value`, and a `result` of the
    /// wrong shape is a bad-response error naming the method either way.
    #[test]
    fn a_raw_reply_parses_once_into_a_type_or_a_value() {
        #[derive(Debug, serde::Deserialize, PartialEq)]
        struct Time {
            #[serde(rename = "serverTime")]
            server_time: i64,
        }
        let raw = |text: Option<&str>| RawReply {
            status: 200,
            result: text.map(|text| RawValue::from_string(text.to_owned()).unwrap()),
            rate_limits: Vec::new(),
        };
        let reply = raw(Some(r#"{"serverTime":1656400526260}"#));
        assert_eq!(
            reply.parse::<Time>("time").unwrap(),
            Time {
                server_time: 1656400526260
            }
        );
        let value = reply.into_api_reply("time").unwrap();
        assert_eq!(value.result, json!({"serverTime": 1656400526260u64}));
        assert_eq!(
            raw(None).into_api_reply("ping").unwrap().result,
            Value::Null
        );
        let wrong = raw(Some(r#"{"serverTime":"soon"}"#)).parse::<Time>("time");
        assert!(wrong.unwrap_err().to_string().contains("time"));
        assert!(raw(None).parse::<Time>("time").is_err());
    }

    #[test]
    fn credentials_debug_hides_the_api_key() {
        let text = format!("{:?}", hmac());
        assert!(!text.contains(API_KEY) && !text.contains(SECRET), "{text}");
    }
}
