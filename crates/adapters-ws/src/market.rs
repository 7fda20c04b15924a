//! Market streams: connections to `wss://stream.binance.com:9443` that stay up.
//!
//! [`MarketStreams`] owns one or more connections, each carrying at most
//! [`MarketStreamConfig::max_streams_per_connection`] streams (Binance: 1024).
//! Each connection runs in its own task and, following
//! `shared/binance-docs/web-socket-streams.md`:
//!
//! 1. connects to `/stream?streams=a/b/…` (combined) or `/ws/<a>` (raw) and
//!    sends `SUBSCRIBE` for the streams that do not fit in the URL;
//! 2. sends control messages (`SUBSCRIBE`, `UNSUBSCRIBE`) no faster than
//!    [`MarketStreamConfig::control_messages_per_second`] (Binance: 5, pongs
//!    included) and matches each reply to its request by `id`;
//! 3. answers every ping with a pong carrying the same payload, at once;
//! 4. decodes every frame into a typed event; a frame with no type (a
//!    stream Binance added) or one that does not decode is passed on as
//!    [`StreamItem::Raw`] with its text, never dropped and never fatal; with
//!    [`Delivery::Frames`] every frame also comes verbatim
//!    ([`StreamItem::Frame`]), for a raw printout or a recording;
//! 5. when the connection drops, reconnects after a jittered backoff and
//!    subscribes everything again;
//! 6. before Binance's 24 h cap ([`MarketStreamConfig::max_connection_age`])
//!    and after a `serverShutdown` it rotates without a gap: opens the new connection, reads both for
//!    [`MarketStreamConfig::rotation_overlap`], then closes the old one,
//!    dropping the events both delivered.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use mbx_domain::Error;
use mbx_domain::feed::{Notice, RawEvent, ReceivedFrame, StreamItem};
use mbx_domain::stream::MarketEvent;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, Backoff, ControlRate, Socket};
use crate::error;
use crate::wire::{self, TypedFrame};

/// How to reach and use the market-stream server.
#[derive(Debug, Clone)]
pub struct MarketStreamConfig {
    /// Scheme, host and port, e.g. `wss://stream.binance.com:9443`, or
    /// `ws://127.0.0.1:<port>` for the sandbox (plain `ws://` only to loopback).
    pub base_url: String,
    /// Combined connections (`/stream?streams=`, events wrapped with their
    /// stream name) rather than raw ones (`/ws/<name>`).
    pub combined: bool,
    /// Streams per connection before another connection is opened.
    pub max_streams_per_connection: usize,
    /// Messages per second the client may send on one connection.
    pub control_messages_per_second: u32,
    /// How long to wait for the reply to a control message.
    pub reply_timeout: Duration,
    /// Delay between reconnect attempts.
    pub backoff: Backoff,
    /// Events buffered for a slow consumer before the connection waits.
    pub channel_capacity: usize,
    /// Age at which a connection is replaced by a fresh one (Binance closes
    /// connections at 24 h).
    pub max_connection_age: Duration,
    /// How long the old and the new connection are read together when
    /// rotating; events seen on both are delivered once.
    pub rotation_overlap: Duration,
    /// Typed events, verbatim frames, or both.
    pub delivery: Delivery,
}

/// What the receiver yields for each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Typed events ([`StreamItem::Event`]); a frame with no type comes as
    /// [`StreamItem::Raw`].
    Events,
    /// Every frame exactly as received ([`StreamItem::Frame`]) and nothing
    /// else: for printing Binance's JSON as it is. Control replies and
    /// `serverShutdown` are still handled by the connection.
    Frames,
    /// Both: each frame exactly as received, then its event (or raw item):
    /// for recording a stream while using it.
    FramesAndEvents,
}

impl MarketStreamConfig {
    /// Binance's limits: combined connections, 1024 streams and 5 messages
    /// per second per connection, 10 s reply timeout, [`Backoff::BINANCE`],
    /// rotation after 23 h 30 min with a 5 s overlap, typed events.
    pub fn new(base_url: impl Into<String>) -> MarketStreamConfig {
        MarketStreamConfig {
            base_url: base_url.into(),
            combined: true,
            max_streams_per_connection: 1024,
            control_messages_per_second: 5,
            reply_timeout: Duration::from_secs(10),
            backoff: Backoff::BINANCE,
            channel_capacity: 4096,
            max_connection_age: Duration::from_secs(23 * 3600 + 30 * 60),
            rotation_overlap: Duration::from_secs(5),
            delivery: Delivery::Events,
        }
    }
}

/// Live market streams over one or more connections.
///
/// Dropping it closes every connection.
#[derive(Debug)]
pub struct MarketStreams {
    config: Arc<MarketStreamConfig>,
    events: mpsc::Sender<StreamItem>,
    connections: Vec<ConnectionHandle>,
}

impl MarketStreams {
    /// Opens connections for `streams` (e.g. `btcusdt@aggTrade`) and returns
    /// the client and the receiver of its events. Fails if the first
    /// connection cannot be opened; later drops are reconnected.
    pub async fn connect(
        config: MarketStreamConfig,
        streams: &[&str],
    ) -> Result<(MarketStreams, mpsc::Receiver<StreamItem>), Error> {
        conn::check_url(&config.base_url)?;
        let (events, receiver) = mpsc::channel(config.channel_capacity.max(1));
        let mut client = MarketStreams {
            config: Arc::new(config),
            events,
            connections: Vec::new(),
        };
        let streams = client.new_streams(streams);
        if streams.is_empty() {
            client.open_connection(Vec::new()).await?;
        }
        for chunk in streams.chunks(client.per_connection()) {
            client.open_connection(chunk.to_vec()).await?;
        }
        Ok((client, receiver))
    }

    /// Subscribes to more streams, opening connections as needed, and waits
    /// for the server's replies.
    ///
    /// An [`Error::Transport`] means a connection was down: the streams
    /// are kept and subscribed when it is back. A refused name is an
    /// [`Error::Api`] with Binance's code.
    ///
    /// The reply is read by the same connection task that delivers events:
    /// keep draining the receiver (from another task) while this waits, or
    /// a full event buffer will hold the reply back.
    pub async fn subscribe(&mut self, streams: &[&str]) -> Result<(), Error> {
        let mut streams = self.new_streams(streams);
        let per_connection = self.per_connection();
        let mut batches = Vec::new();
        for (idx, connection) in self.connections.iter().enumerate() {
            let room = per_connection.saturating_sub(connection.streams.len());
            if room > 0 && !streams.is_empty() {
                let batch: Vec<String> = streams.drain(..room.min(streams.len())).collect();
                batches.push((idx, batch));
            }
        }
        let mut result = Ok(());
        for (idx, batch) in batches {
            let res = self.connections[idx]
                .command(|reply| Command::Subscribe {
                    streams: batch.clone(),
                    reply,
                })
                .await;
            if !matches!(res, Err(Error::Api(_))) {
                self.connections[idx].streams.extend(batch);
            }
            result = result.and(res);
        }
        for chunk in streams.chunks(per_connection) {
            self.open_connection(chunk.to_vec()).await?;
        }
        result
    }

    /// Unsubscribes from streams and waits for the server's replies.
    pub async fn unsubscribe(&mut self, streams: &[&str]) -> Result<(), Error> {
        let mut result = Ok(());
        for connection in &mut self.connections {
            let batch: Vec<String> = streams
                .iter()
                .map(|name| normalize(name))
                .filter(|name| connection.streams.contains(name))
                .collect();
            if batch.is_empty() {
                continue;
            }
            for name in &batch {
                connection.streams.remove(name);
            }
            let res = connection
                .command(|reply| Command::Unsubscribe {
                    streams: batch,
                    reply,
                })
                .await;
            result = result.and(res);
        }
        result
    }

    /// Every subscribed stream, sorted.
    pub fn streams(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .connections
            .iter()
            .flat_map(|connection| connection.streams.iter().cloned())
            .collect();
        all.sort();
        all
    }

    /// How many connections are open (or reconnecting).
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Closes every connection and waits for their tasks to end.
    pub async fn close(self) {
        for connection in self.connections {
            let _ = connection.commands.send(Command::Close);
            let _ = connection.task.await;
        }
    }

    fn per_connection(&self) -> usize {
        self.config.max_streams_per_connection.max(1)
    }

    /// Normalized names not yet subscribed, in the given order, without duplicates.
    fn new_streams(&self, streams: &[&str]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        streams
            .iter()
            .map(|name| normalize(name))
            .filter(|name| {
                !self
                    .connections
                    .iter()
                    .any(|connection| connection.streams.contains(name))
                    && seen.insert(name.clone())
            })
            .collect()
    }

    async fn open_connection(&mut self, streams: Vec<String>) -> Result<(), Error> {
        let (commands, command_receiver) = mpsc::unbounded_channel();
        let (ready, ready_receiver) = oneshot::channel();
        let task = Task {
            index: self.connections.len(),
            config: Arc::clone(&self.config),
            streams: streams.iter().cloned().collect(),
            commands: command_receiver,
            events: self.events.clone(),
            next_id: 1,
            rng: SmallRng::from_entropy(),
            recent: None,
        };
        let task = tokio::spawn(task.run(ready));
        ready_receiver.await.map_err(|_| Error::Closed)??;
        self.connections.push(ConnectionHandle {
            commands,
            streams: streams.into_iter().collect(),
            task,
        });
        Ok(())
    }
}

/// A stream name for a URL: every byte but letters, digits and
/// `@ ! _ - . ~` percent-encoded, so `btcusdt@kline_1m@+08:00` keeps its
/// `+` (a `+` in a query is a space) and a Unicode symbol goes as UTF-8.
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"@!_-.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Lower-cases the symbol part (`BTCUSDT@aggTrade` → `btcusdt@aggTrade`);
/// Binance's stream names use lower-case symbols. All-market streams
/// (`!miniTicker@arr`) are kept as they are.
fn normalize(name: &str) -> String {
    match name.split_once('@') {
        Some((symbol, rest)) if !symbol.starts_with('!') => {
            format!("{}@{rest}", symbol.to_ascii_lowercase())
        }
        _ => name.to_owned(),
    }
}

#[derive(Debug)]
struct ConnectionHandle {
    commands: mpsc::UnboundedSender<Command>,
    streams: BTreeSet<String>,
    task: JoinHandle<()>,
}

impl ConnectionHandle {
    async fn command(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> Command,
    ) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }
}

#[derive(Debug)]
enum Command {
    Subscribe {
        streams: Vec<String>,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Unsubscribe {
        streams: Vec<String>,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Close,
}

/// Streams put into the connection URL; the rest go in `SUBSCRIBE` messages.
const MAX_URL_STREAMS: usize = 100;
/// Streams per `SUBSCRIBE` message.
const SUBSCRIBE_BATCH: usize = 100;

/// One connection, reconnected for as long as the client lives.
struct Task {
    index: usize,
    config: Arc<MarketStreamConfig>,
    streams: BTreeSet<String>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::Sender<StreamItem>,
    next_id: u64,
    rng: SmallRng,
    /// Events delivered around a rotation, to drop them when the other
    /// connection delivers them too.
    recent: Option<Recent>,
}

/// Keys of the events delivered around a rotation, kept until `until`.
struct Recent {
    keys: HashSet<String>,
    until: Instant,
}

/// Why a connection ended.
enum End {
    /// The client is closed or dropped: stop for good.
    Stop,
    /// Reconnect, at once or after a backoff.
    Reconnect { reason: String, at_once: bool },
}

/// A control message waiting to be sent or for its reply.
struct Control {
    method: &'static str,
    streams: Vec<String>,
    reply: Option<oneshot::Sender<Result<(), Error>>>,
    deadline: Option<Instant>,
}

impl Task {
    async fn run(mut self, ready: oneshot::Sender<Result<(), Error>>) {
        let mut ready = Some(ready);
        let mut n_failures = 0;
        loop {
            let (url, rest) = self.url();
            let end = match conn::connect(&url).await {
                Ok(socket) => {
                    n_failures = 0;
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Ok(()));
                    }
                    let connected = Notice::Connected {
                        connection: self.index,
                        streams: self.streams.len(),
                    };
                    if !self.notify(connected).await {
                        return;
                    }
                    self.serve(socket, rest).await
                }
                Err(error) => {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Err(error));
                        return;
                    }
                    End::Reconnect {
                        reason: error.to_string(),
                        at_once: false,
                    }
                }
            };
            let End::Reconnect { reason, at_once } = end else {
                return;
            };
            let retry_in = if at_once {
                Duration::ZERO
            } else {
                let delay = self.config.backoff.delay(n_failures, &mut self.rng);
                n_failures = n_failures.saturating_add(1);
                delay
            };
            tracing::debug!(connection = self.index, %reason, ?retry_in, "market stream disconnected");
            let notice = Notice::Disconnected {
                connection: self.index,
                reason,
                retry_in,
            };
            if !self.notify(notice).await || !self.wait_disconnected(retry_in).await {
                return;
            }
        }
    }

    /// The URL for the current streams, and the streams left for `SUBSCRIBE`.
    fn url(&self) -> (String, Vec<String>) {
        let base = self.config.base_url.trim_end_matches('/');
        let mut streams = self.streams.iter().cloned();
        let (url, in_url) = if self.config.combined {
            let head: Vec<String> = streams.by_ref().take(MAX_URL_STREAMS).collect();
            if head.is_empty() {
                (format!("{base}/stream"), 0)
            } else {
                let encoded: Vec<String> = head.iter().map(|name| encode_name(name)).collect();
                (
                    format!("{base}/stream?streams={}", encoded.join("/")),
                    head.len(),
                )
            }
        } else {
            match streams.next() {
                Some(first) => (format!("{base}/ws/{}", encode_name(&first)), 1),
                None => (format!("{base}/ws"), 0),
            }
        };
        (url, self.streams.iter().skip(in_url).cloned().collect())
    }

    /// Waits out a reconnect delay while answering commands. Returns false
    /// when the client is closed.
    async fn wait_disconnected(&mut self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                () = sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    None | Some(Command::Close) => return false,
                    Some(Command::Subscribe { streams, reply }) => {
                        self.streams.extend(streams);
                        let _ = reply.send(Err(error::disconnected("SUBSCRIBE")));
                    }
                    Some(Command::Unsubscribe { streams, reply }) => {
                        for name in &streams {
                            self.streams.remove(name);
                        }
                        let _ = reply.send(Ok(()));
                    }
                },
            }
        }
    }

    async fn serve(&mut self, socket: Socket, rest: Vec<String>) -> End {
        let (mut sink, mut frames) = socket.split();
        let mut rate = ControlRate::new(self.config.control_messages_per_second);
        let mut queue: VecDeque<Control> = rest
            .chunks(SUBSCRIBE_BATCH)
            .map(|chunk| Control {
                method: "SUBSCRIBE",
                streams: chunk.to_vec(),
                reply: None,
                deadline: None,
            })
            .collect();
        let mut waiting: HashMap<u64, Control> = HashMap::new();
        let mut rotate_at = Instant::now() + self.config.max_connection_age;
        let mut is_prepared = false;
        let end = loop {
            let now = Instant::now();
            let next_send = (!queue.is_empty()).then(|| rate.next_slot(now));
            let can_rotate = queue.is_empty() && waiting.is_empty();
            let next_deadline = waiting
                .values()
                .filter_map(|control| control.deadline)
                .min();
            tokio::select! {
                frame = frames.next() => {
                    let Some(end) = self.on_frame(frame, &mut sink, &mut rate, &mut waiting).await else {
                        continue;
                    };
                    // `serverShutdown`: open the new connection before the
                    // old one closes, as for the 24 h rotation (unless control
                    // messages are under way: their replies would be lost).
                    let is_shutdown = matches!(end, End::Reconnect { at_once: true, .. });
                    if !(is_shutdown && queue.is_empty() && waiting.is_empty()) {
                        break end;
                    }
                    is_prepared = false;
                    match self.rotate(&mut sink, &mut frames).await {
                        Ok(Some((new_sink, new_frames))) => {
                            sink = new_sink;
                            frames = new_frames;
                            rate = ControlRate::new(self.config.control_messages_per_second);
                            rotate_at = Instant::now() + self.config.max_connection_age;
                            if !self.notify(Notice::Rotated { connection: self.index }).await {
                                break End::Stop;
                            }
                        }
                        // The new connection could not be opened: reconnect as before.
                        Ok(None) => break end,
                        Err(end) => break end,
                    }
                }
                command = self.commands.recv() => match command {
                    None | Some(Command::Close) => {
                        let _ = sink.send(Message::Close(None)).await;
                        break End::Stop;
                    }
                    Some(Command::Subscribe { streams, reply }) => {
                        self.streams.extend(streams.iter().cloned());
                        queue.push_back(Control { method: "SUBSCRIBE", streams, reply: Some(reply), deadline: None });
                    }
                    Some(Command::Unsubscribe { streams, reply }) => {
                        for name in &streams {
                            self.streams.remove(name);
                        }
                        queue.push_back(Control { method: "UNSUBSCRIBE", streams, reply: Some(reply), deadline: None });
                    }
                },
                () = sleep_until(next_send.unwrap_or(now)), if next_send.is_some() => {
                    let Some(mut control) = queue.pop_front() else { continue };
                    let id = self.next_id;
                    self.next_id += 1;
                    let text = serde_json::json!({"method": control.method, "params": control.streams, "id": id}).to_string();
                    rate.record(Instant::now());
                    if let Err(error) = sink.send(Message::text(text)).await {
                        queue.push_front(control);
                        break End::Reconnect { reason: error.to_string(), at_once: false };
                    }
                    control.deadline = Some(Instant::now() + self.config.reply_timeout);
                    waiting.insert(id, control);
                }
                // Start remembering delivered events a little before the
                // rotation: the new connection may resend the latest ones.
                () = sleep_until(rotate_at.checked_sub(self.config.rotation_overlap).unwrap_or(now)), if !is_prepared => {
                    is_prepared = true;
                    self.recent = Some(Recent {
                        keys: HashSet::new(),
                        until: rotate_at + 3 * self.config.rotation_overlap,
                    });
                }
                () = sleep_until(rotate_at), if can_rotate => {
                    is_prepared = false;
                    match self.rotate(&mut sink, &mut frames).await {
                        Ok(Some((new_sink, new_frames))) => {
                            sink = new_sink;
                            frames = new_frames;
                            rate = ControlRate::new(self.config.control_messages_per_second);
                            rotate_at = Instant::now() + self.config.max_connection_age;
                            if !self.notify(Notice::Rotated { connection: self.index }).await {
                                break End::Stop;
                            }
                        }
                        // The new connection failed: keep the old one, try again later.
                        Ok(None) => rotate_at = Instant::now() + self.config.backoff.max,
                        Err(end) => break end,
                    }
                }
                () = sleep_until(next_deadline.unwrap_or(now)), if next_deadline.is_some() => {
                    let now = Instant::now();
                    let expired: Vec<u64> = waiting
                        .iter()
                        .filter(|(_, control)| control.deadline.is_some_and(|deadline| deadline <= now))
                        .map(|(id, _)| *id)
                        .collect();
                    for id in expired {
                        if let Some(Control { method, reply: Some(reply), .. }) = waiting.remove(&id) {
                            let timeout = self.config.reply_timeout;
                            let _ = reply.send(Err(error::timed_out(method, timeout)));
                        }
                    }
                }
            }
        };
        // Whatever was not confirmed stays in `self.streams` and is
        // subscribed again with the next connection.
        for control in queue.into_iter().chain(waiting.into_values()) {
            if let Some(reply) = control.reply {
                let _ = reply.send(Err(error::disconnected(control.method)));
            }
        }
        end
    }

    async fn on_frame(
        &mut self,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
        sink: &mut SplitSink<Socket, Message>,
        rate: &mut ControlRate,
        waiting: &mut HashMap<u64, Control>,
    ) -> Option<End> {
        let reconnect = |reason: String| {
            Some(End::Reconnect {
                reason,
                at_once: false,
            })
        };
        match frame {
            None => reconnect("the server closed the connection".to_owned()),
            Some(Err(error)) => reconnect(error.to_string()),
            Some(Ok(Message::Close(frame))) => reconnect(match frame {
                Some(frame) => format!(
                    "the server closed the connection: {} {}",
                    frame.code, frame.reason
                ),
                None => "the server closed the connection".to_owned(),
            }),
            Some(Ok(Message::Ping(_))) => {
                // tungstenite has queued the pong with the ping's payload;
                // flushing sends it now.
                rate.record(Instant::now());
                match sink.flush().await {
                    Ok(()) => None,
                    Err(error) => reconnect(error.to_string()),
                }
            }
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str(), waiting).await,
            Some(Ok(Message::Binary(_))) => {
                let reason = "binary frame on a JSON connection".to_owned();
                self.skip(reason).await
            }
            Some(Ok(_)) => None,
        }
    }

    async fn on_text(&mut self, text: &str, waiting: &mut HashMap<u64, Control>) -> Option<End> {
        // Read before decoding, so a recording has the arrival time.
        let received_at = (self.config.delivery != Delivery::Events).then(SystemTime::now);
        let (stream, item) = match wire::decode_market_typed(text) {
            Ok(TypedFrame::Event { stream, event }) => {
                if self.is_duplicate(|| event_key(stream.as_deref(), &event)) {
                    return None;
                }
                let is_shutdown = matches!(event, MarketEvent::ServerShutdown(_));
                let item = StreamItem::Event {
                    stream: stream.as_deref().map(str::to_owned),
                    event,
                };
                if !self
                    .deliver(text, stream.as_deref(), item, received_at)
                    .await
                {
                    return Some(End::Stop);
                }
                return is_shutdown.then(|| End::Reconnect {
                    reason: "the server announced a shutdown".to_owned(),
                    at_once: true,
                });
            }
            Ok(TypedFrame::Unrecognized { stream, payload }) => {
                let key = || Some(format!("{} raw {payload}", stream.as_deref().unwrap_or("")));
                if self.is_duplicate(key) {
                    return None;
                }
                let raw = RawEvent {
                    stream: stream.as_deref().map(str::to_owned),
                    payload: payload.to_owned(),
                    error: None,
                };
                (stream, StreamItem::Raw(raw))
            }
            Ok(TypedFrame::Reply(reply)) => {
                let id = reply.id.as_ref().and_then(|id| id.as_u64());
                let Some(control) = id.and_then(|id| waiting.remove(&id)) else {
                    return self
                        .skip(format!("reply to an unknown request: {}", cut(text)))
                        .await;
                };
                let res = match reply.code {
                    None => Ok(()),
                    Some(code) => {
                        if control.method == "SUBSCRIBE" {
                            for name in &control.streams {
                                self.streams.remove(name);
                            }
                        }
                        let msg = reply.msg.map(|msg| msg.into_owned()).unwrap_or_default();
                        Err(error::api(control.method, 400, code, &msg))
                    }
                };
                if let Some(reply) = control.reply {
                    let _ = reply.send(res);
                }
                return None;
            }
            Err(error) => {
                tracing::debug!(connection = self.index, %error, "market-stream frame did not decode");
                let (stream, payload) = match wire::split_combined(text) {
                    Some((stream, payload)) => (Some(Cow::Borrowed(stream)), payload),
                    None => (None, text),
                };
                let raw = RawEvent {
                    stream: stream.as_deref().map(str::to_owned),
                    payload: payload.to_owned(),
                    error: Some(error.to_string()),
                };
                (stream, StreamItem::Raw(raw))
            }
        };
        (!self
            .deliver(text, stream.as_deref(), item, received_at)
            .await)
            .then_some(End::Stop)
    }

    /// Sends the frame verbatim (when `received_at` is given) and/or its
    /// item, as [`Delivery`] says; false when nobody listens any more.
    async fn deliver(
        &self,
        text: &str,
        stream: Option<&str>,
        item: StreamItem,
        received_at: Option<SystemTime>,
    ) -> bool {
        if let Some(received_at) = received_at {
            let frame = ReceivedFrame {
                stream: stream.map(str::to_owned),
                text: text.to_owned(),
                received_at,
            };
            if self.events.send(StreamItem::Frame(frame)).await.is_err() {
                return false;
            }
        }
        if self.config.delivery != Delivery::Frames {
            return self.events.send(item).await.is_ok();
        }
        true
    }

    /// Replaces the connection without a gap: opens a new one (subscribing
    /// everything), reads both for `rotation_overlap` delivering each event
    /// once, then closes the old one. `Ok(None)` when the new connection
    /// could not be opened (the old one stays).
    async fn rotate(
        &mut self,
        sink: &mut SplitSink<Socket, Message>,
        frames: &mut SplitStream<Socket>,
    ) -> Result<Option<(SplitSink<Socket, Message>, SplitStream<Socket>)>, End> {
        let (url, rest) = self.url();
        let socket = match conn::connect(&url).await {
            Ok(socket) => socket,
            Err(error) => {
                tracing::debug!(connection = self.index, %error, "cannot open the replacement connection");
                return Ok(None);
            }
        };
        let (mut new_sink, mut new_frames) = socket.split();
        let mut new_rate = ControlRate::new(self.config.control_messages_per_second);
        let mut batches: VecDeque<Vec<String>> = rest
            .chunks(SUBSCRIBE_BATCH)
            .map(<[String]>::to_vec)
            .collect();
        let overlap_until = Instant::now() + self.config.rotation_overlap;
        let keys = self
            .recent
            .take()
            .map(|recent| recent.keys)
            .unwrap_or_default();
        self.recent = Some(Recent {
            keys,
            until: overlap_until + self.config.rotation_overlap,
        });
        let mut new_waiting: HashMap<u64, Control> = HashMap::new();
        let mut old_is_open = true;
        loop {
            let now = Instant::now();
            let next_send = (!batches.is_empty()).then(|| new_rate.next_slot(now));
            tokio::select! {
                frame = frames.next(), if old_is_open => match frame {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(End::Stop) = self.on_text(text.as_str(), &mut HashMap::new()).await {
                            return Err(End::Stop);
                        }
                    }
                    Some(Ok(Message::Ping(_))) => {
                        let _ = sink.flush().await;
                    }
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => old_is_open = false,
                },
                frame = new_frames.next() => match frame {
                    Some(Ok(Message::Text(text))) => match self.on_text(text.as_str(), &mut new_waiting).await {
                        Some(End::Stop) => return Err(End::Stop),
                        // `serverShutdown` on the new connection: keep the old one.
                        Some(End::Reconnect { .. }) => return Ok(None),
                        None => {}
                    },
                    Some(Ok(Message::Ping(_))) => {
                        new_rate.record(Instant::now());
                        if new_sink.flush().await.is_err() {
                            return Ok(None);
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
                    Some(Ok(_)) => {}
                },
                () = sleep_until(next_send.unwrap_or(now)), if next_send.is_some() => {
                    let Some(batch) = batches.pop_front() else { continue };
                    let id = self.next_id;
                    self.next_id += 1;
                    let text = serde_json::json!({"method": "SUBSCRIBE", "params": batch, "id": id}).to_string();
                    new_rate.record(Instant::now());
                    if new_sink.send(Message::text(text)).await.is_err() {
                        return Ok(None);
                    }
                    let control = Control { method: "SUBSCRIBE", streams: batch, reply: None, deadline: None };
                    new_waiting.insert(id, control);
                }
                () = sleep_until(overlap_until), if batches.is_empty() => break,
            }
        }
        if old_is_open {
            let _ = sink.send(Message::Close(None)).await;
        }
        Ok(Some((new_sink, new_frames)))
    }

    /// Around a rotation: true when the event with this key was already
    /// delivered (the key is only made then).
    fn is_duplicate(&mut self, key: impl FnOnce() -> Option<String>) -> bool {
        let Some(recent) = &mut self.recent else {
            return false;
        };
        if Instant::now() >= recent.until {
            self.recent = None;
            return false;
        }
        match key() {
            Some(key) => !recent.keys.insert(key),
            None => false,
        }
    }

    async fn skip(&mut self, reason: String) -> Option<End> {
        tracing::debug!(connection = self.index, %reason, "skipped a market-stream frame");
        let notice = Notice::Skipped {
            connection: self.index,
            reason,
        };
        (!self.notify(notice).await).then_some(End::Stop)
    }

    /// Sends a notice; false when nobody listens any more.
    async fn notify(&self, notice: Notice) -> bool {
        self.events.send(StreamItem::Notice(notice)).await.is_ok()
    }
}

/// What identifies an event across two connections to the same streams.
fn event_key(stream: Option<&str>, event: &MarketEvent) -> Option<String> {
    let stream = stream.unwrap_or("");
    Some(match event {
        MarketEvent::Trade(it) => format!("{stream} t {} {}", it.symbol, it.trade_id),
        MarketEvent::AggTrade(it) => format!("{stream} a {} {}", it.symbol, it.agg_trade_id),
        MarketEvent::Kline(it) => format!(
            "{stream} k {} {} {}",
            it.symbol, it.kline.interval, it.event_time
        ),
        // A raw partial depth names neither its symbol nor its levels, so
        // two raw streams can share a `lastUpdateId`: never drop those (a
        // repeated snapshot is harmless, a lost one is not).
        MarketEvent::PartialDepth(_) if stream.is_empty() => return None,
        MarketEvent::PartialDepth(it) => format!("{stream} p {}", it.last_update_id),
        MarketEvent::DepthUpdate(it) => format!("{stream} d {} {}", it.symbol, it.final_update_id),
        MarketEvent::BookTicker(it) => format!("{stream} b {} {}", it.symbol, it.update_id),
        MarketEvent::Ticker(it) => format!("{stream} T {} {}", it.symbol, it.event_time),
        MarketEvent::MiniTicker(it) => format!("{stream} m {} {}", it.symbol, it.event_time),
        MarketEvent::RollingTicker(it) => {
            format!("{stream} r {} {} {}", it.window, it.symbol, it.event_time)
        }
        MarketEvent::MiniTickers { tickers } => {
            let first = tickers.first()?;
            format!("{stream} M {} {}", first.symbol, first.event_time)
        }
        MarketEvent::RollingTickers { tickers } => {
            let first = tickers.first()?;
            format!("{stream} R {} {}", first.symbol, first.event_time)
        }
        MarketEvent::AvgPrice(it) => format!("{stream} v {} {}", it.symbol, it.event_time),
        MarketEvent::ReferencePrice(it) => format!("{stream} f {} {}", it.symbol, it.time),
        MarketEvent::BlockTrade(it) => format!("{stream} B {} {}", it.symbol, it.trade_id),
        _ => return None,
    })
}

fn cut(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use mbx_domain::stream::AggTrade;
    use tokio::net::{TcpListener, TcpStream};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

    use super::*;

    const AGG_TRADE: &str = r#"{"e":"aggTrade","E":1,"s":"BTCUSDT","a":2,"p":"98000.50","q":"0.001","f":3,"l":4,"T":5,"m":true,"M":true}"#;

    /// One accepted connection of the in-test server: the request path and the socket.
    struct Accepted {
        path: String,
        socket: WebSocketStream<TcpStream>,
    }

    /// A tiny WebSocket server on 127.0.0.1:0 that hands each connection to the test.
    #[allow(clippy::result_large_err)] // The handshake callback's error type is tungstenite's.
    async fn server() -> (String, mpsc::UnboundedReceiver<Accepted>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let path = Arc::new(Mutex::new(String::new()));
                let seen = Arc::clone(&path);
                let callback = move |request: &Request, response: Response| {
                    *seen.lock().unwrap() = request.uri().to_string();
                    Ok(response)
                };
                let Ok(socket) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                    continue;
                };
                let path = path.lock().unwrap().clone();
                if tx.send(Accepted { path, socket }).is_err() {
                    return;
                }
            }
        });
        (url, rx)
    }

    fn config(url: &str) -> MarketStreamConfig {
        let mut config = MarketStreamConfig::new(url);
        config.backoff = Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
        };
        config
    }

    /// Guards every await so a broken client fails the test instead of hanging it.
    async fn within<T>(future: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(10), future)
            .await
            .expect("the test hung")
    }

    async fn next_event(events: &mut mpsc::Receiver<StreamItem>) -> (Option<String>, MarketEvent) {
        loop {
            match within(events.recv()).await.expect("events ended") {
                StreamItem::Event { stream, event } => return (stream, event),
                _ => continue,
            }
        }
    }

    async fn next_notice(events: &mut mpsc::Receiver<StreamItem>) -> Notice {
        loop {
            match within(events.recv()).await.expect("events ended") {
                StreamItem::Notice(notice) => return notice,
                _ => continue,
            }
        }
    }

    /// Reads the next control message the client sent: (method, params, id).
    async fn read_control(socket: &mut WebSocketStream<TcpStream>) -> (String, Vec<String>, u64) {
        loop {
            let message = within(socket.next()).await.expect("client left").unwrap();
            if let Message::Text(text) = message {
                let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                let params = value["params"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect();
                return (
                    value["method"].as_str().unwrap().to_owned(),
                    params,
                    value["id"].as_u64().unwrap(),
                );
            }
        }
    }

    async fn reply(socket: &mut WebSocketStream<TcpStream>, text: String) {
        socket.send(Message::text(text)).await.unwrap();
    }

    /// The next item that is not a notice.
    async fn next_data(events: &mut mpsc::Receiver<StreamItem>) -> StreamItem {
        loop {
            match within(events.recv()).await.expect("events ended") {
                StreamItem::Notice(_) => continue,
                item => return item,
            }
        }
    }

    #[tokio::test]
    async fn events_arrive_and_other_payloads_come_raw() {
        let (url, mut accepted) = server().await;
        let (client, mut events) =
            within(MarketStreams::connect(config(&url), &["BTCUSDT@aggTrade"]))
                .await
                .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        assert_eq!(conn.path, "/stream?streams=btcusdt@aggTrade");
        assert_eq!(
            next_notice(&mut events).await,
            Notice::Connected {
                connection: 0,
                streams: 1
            }
        );

        let frames = [
            "{not json".to_owned(),
            r#"{"stream":"btcusdt@somethingNew","data":{"e":"somethingNew","E":1}}"#.to_owned(),
            r#"{"stream":"btcusdt@blockTrade","data":{"e":"blockTrade","E":1}}"#.to_owned(),
            format!(r#"{{"stream":"btcusdt@aggTrade","data":{AGG_TRADE}}}"#),
        ];
        for frame in &frames {
            reply(&mut conn.socket, frame.clone()).await;
        }

        let StreamItem::Raw(not_json) = next_data(&mut events).await else {
            panic!()
        };
        assert_eq!(
            (not_json.stream, not_json.payload.as_str()),
            (None, "{not json")
        );
        assert!(not_json.error.unwrap().starts_with("malformed frame"));
        assert_eq!(
            next_data(&mut events).await,
            StreamItem::Raw(RawEvent {
                stream: Some("btcusdt@somethingNew".to_owned()),
                payload: r#"{"e":"somethingNew","E":1}"#.to_owned(),
                error: None,
            })
        );
        let StreamItem::Raw(broken) = next_data(&mut events).await else {
            panic!()
        };
        assert_eq!(
            (broken.stream.as_deref(), broken.payload.as_str()),
            (Some("btcusdt@blockTrade"), r#"{"e":"blockTrade","E":1}"#)
        );
        assert!(broken.error.is_some());
        let (stream, event) = next_event(&mut events).await;
        assert_eq!(stream.as_deref(), Some("btcusdt@aggTrade"));
        let MarketEvent::AggTrade(AggTrade { price, .. }) = event else {
            panic!("{event:?}")
        };
        assert_eq!(price.to_string(), "98000.50");
        within(client.close()).await;
    }

    #[tokio::test]
    async fn frames_come_verbatim_when_asked() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.delivery = Delivery::FramesAndEvents;
        let (_client, mut events) = within(MarketStreams::connect(
            config.clone(),
            &["btcusdt@aggTrade"],
        ))
        .await
        .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        // Spacing Binance does not send: the frame must still come byte for byte.
        let spaced = format!(r#"{{ "stream": "btcusdt@aggTrade", "data": {AGG_TRADE} }}"#);
        let unknown = r#"{"stream":"btcusdt@x","data":[1]}"#.to_owned();
        for frame in [&spaced, &unknown] {
            reply(&mut conn.socket, frame.clone()).await;
        }
        let StreamItem::Frame(frame) = next_data(&mut events).await else {
            panic!()
        };
        assert_eq!(
            (frame.stream.as_deref(), frame.text.as_str()),
            (Some("btcusdt@aggTrade"), spaced.as_str())
        );
        assert!(matches!(
            next_data(&mut events).await,
            StreamItem::Event {
                event: MarketEvent::AggTrade(_),
                ..
            }
        ));
        let StreamItem::Frame(frame) = next_data(&mut events).await else {
            panic!()
        };
        assert_eq!(frame.text, unknown);
        assert!(
            matches!(next_data(&mut events).await, StreamItem::Raw(raw) if raw.payload == "[1]")
        );

        // Frames only: nothing decoded is yielded, and a shutdown still reconnects.
        config.delivery = Delivery::Frames;
        let (_client, mut events) = within(MarketStreams::connect(config, &["btcusdt@aggTrade"]))
            .await
            .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        let shutdown = r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}"#;
        for frame in [&spaced, &unknown, &shutdown.to_owned()] {
            reply(&mut conn.socket, frame.clone()).await;
        }
        for expected in [&spaced, &unknown, &shutdown.to_owned()] {
            let StreamItem::Frame(frame) = next_data(&mut events).await else {
                panic!()
            };
            assert_eq!(&frame.text, expected);
        }
        let again = within(accepted.recv()).await.unwrap();
        assert_eq!(again.path, "/stream?streams=btcusdt@aggTrade");
    }

    #[tokio::test]
    async fn live_subscribe_is_matched_to_its_reply() {
        let (url, mut accepted) = server().await;
        let (mut client, _events) =
            within(MarketStreams::connect(config(&url), &["btcusdt@aggTrade"]))
                .await
                .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let (method, params, id) = read_control(&mut conn.socket).await;
            assert_eq!(
                (method.as_str(), params),
                ("SUBSCRIBE", vec!["ethusdt@trade".to_owned()])
            );
            // An unrelated reply first: the client must wait for its own id.
            reply(
                &mut conn.socket,
                format!(r#"{{"result":null,"id":{}}}"#, id + 100),
            )
            .await;
            reply(&mut conn.socket, format!(r#"{{"result":null,"id":{id}}}"#)).await;
            let (method, _, id) = read_control(&mut conn.socket).await;
            assert_eq!(method, "SUBSCRIBE");
            reply(
                &mut conn.socket,
                format!(r#"{{"code":2,"msg":"Invalid request: unknown stream","id":{id}}}"#),
            )
            .await;
            let (method, params, id) = read_control(&mut conn.socket).await;
            assert_eq!(
                (method.as_str(), params),
                ("UNSUBSCRIBE", vec!["btcusdt@aggTrade".to_owned()])
            );
            reply(&mut conn.socket, format!(r#"{{"result":null,"id":{id}}}"#)).await;
        };
        let client_side = async {
            client.subscribe(&["ethusdt@trade"]).await.unwrap();
            let refused = client.subscribe(&["nope@nope"]).await.unwrap_err();
            assert!(
                matches!(&refused, Error::Api(api) if api.code == Some(2)),
                "{refused}"
            );
            client.unsubscribe(&["btcusdt@aggTrade"]).await.unwrap();
        };
        within(async { tokio::join!(server_side, client_side) }).await;
        assert_eq!(client.streams(), vec!["ethusdt@trade".to_owned()]);
    }

    #[tokio::test]
    async fn reconnects_and_resubscribes_everything_after_a_drop() {
        let (url, mut accepted) = server().await;
        let (mut client, mut events) =
            within(MarketStreams::connect(config(&url), &["btcusdt@aggTrade"]))
                .await
                .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        let server_side = async {
            let (_, _, id) = read_control(&mut conn.socket).await;
            reply(&mut conn.socket, format!(r#"{{"result":null,"id":{id}}}"#)).await;
        };
        within(async { tokio::join!(server_side, client.subscribe(&["ethusdt@trade"])) })
            .await
            .1
            .unwrap();

        drop(conn);
        let mut conn = within(accepted.recv()).await.unwrap();
        assert_eq!(conn.path, "/stream?streams=btcusdt@aggTrade/ethusdt@trade");
        assert_eq!(
            next_notice(&mut events).await,
            Notice::Connected {
                connection: 0,
                streams: 1
            }
        );
        assert!(matches!(
            next_notice(&mut events).await,
            Notice::Disconnected { connection: 0, .. }
        ));
        assert_eq!(
            next_notice(&mut events).await,
            Notice::Connected {
                connection: 0,
                streams: 2
            }
        );
        reply(
            &mut conn.socket,
            format!(r#"{{"stream":"btcusdt@aggTrade","data":{AGG_TRADE}}}"#),
        )
        .await;
        assert!(matches!(
            next_event(&mut events).await.1,
            MarketEvent::AggTrade(_)
        ));
    }

    #[tokio::test]
    async fn raw_connection_subscribes_the_rest_after_a_drop() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.combined = false;
        let (_client, _events) = within(MarketStreams::connect(
            config,
            &["btcusdt@aggTrade", "ethusdt@trade"],
        ))
        .await
        .unwrap();
        for _ in 0..2 {
            let mut conn = within(accepted.recv()).await.unwrap();
            assert_eq!(conn.path, "/ws/btcusdt@aggTrade");
            let (method, params, _) = read_control(&mut conn.socket).await;
            assert_eq!(
                (method.as_str(), params),
                ("SUBSCRIBE", vec!["ethusdt@trade".to_owned()])
            );
            drop(conn);
        }
    }

    #[test]
    fn stream_names_are_percent_encoded_in_urls() {
        assert_eq!(
            encode_name("btcusdt@kline_1m@+08:00"),
            "btcusdt@kline_1m@%2B08%3A00"
        );
        assert_eq!(encode_name("!miniTicker@arr"), "!miniTicker@arr");
        assert_eq!(encode_name("币@trade"), "%E5%B8%81@trade");
    }

    #[tokio::test]
    async fn server_shutdown_opens_the_new_connection_before_the_old_one_goes() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.rotation_overlap = Duration::from_millis(200);
        let (_client, mut events) = within(MarketStreams::connect(config, &["btcusdt@trade"]))
            .await
            .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        reply(
            &mut conn.socket,
            r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}"#
                .to_owned(),
        )
        .await;
        assert!(matches!(
            next_event(&mut events).await.1,
            MarketEvent::ServerShutdown(_)
        ));
        // The new connection opens while the old one is still open.
        let mut again = within(accepted.recv()).await.unwrap();
        assert_eq!(again.path, "/stream?streams=btcusdt@trade");
        reply(
            &mut again.socket,
            r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"1","q":"1","T":1,"m":false,"M":true}}"#
                .to_owned(),
        )
        .await;
        let (_, trade) = next_event(&mut events).await;
        assert!(matches!(trade, MarketEvent::Trade(_)), "{trade:?}");
        // Then the old one is let go: a rotation, no disconnection.
        let notice = next_notice(&mut events).await;
        assert_eq!(notice, Notice::Rotated { connection: 0 });
        drop(conn);
    }

    #[tokio::test]
    async fn answers_every_ping_with_its_payload() {
        let (url, mut accepted) = server().await;
        let (_client, _events) = within(MarketStreams::connect(config(&url), &["btcusdt@trade"]))
            .await
            .unwrap();
        let mut conn = within(accepted.recv()).await.unwrap();
        for payload in [&b"first"[..], b"", b"third"] {
            conn.socket
                .send(Message::Ping(payload.to_vec().into()))
                .await
                .unwrap();
            let answer = within(conn.socket.next()).await.unwrap().unwrap();
            assert_eq!(answer, Message::Pong(payload.to_vec().into()));
        }
    }

    #[tokio::test]
    async fn spreads_streams_over_connections() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.max_streams_per_connection = 2;
        let names = ["a@trade", "b@trade", "c@trade"];
        let (mut client, _events) = within(MarketStreams::connect(config, &names))
            .await
            .unwrap();
        let mut conns = Vec::new();
        for _ in 0..2 {
            conns.push(within(accepted.recv()).await.unwrap());
        }
        conns.sort_by(|a, b| a.path.cmp(&b.path));
        let paths: Vec<&str> = conns.iter().map(|conn| conn.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/stream?streams=a@trade/b@trade", "/stream?streams=c@trade"]
        );
        assert_eq!(client.connection_count(), 2);

        // `d` fills the second connection; `e` needs a third one.
        let server_side = async {
            let (method, params, id) = read_control(&mut conns[1].socket).await;
            assert_eq!(
                (method.as_str(), params),
                ("SUBSCRIBE", vec!["d@trade".to_owned()])
            );
            reply(
                &mut conns[1].socket,
                format!(r#"{{"result":null,"id":{id}}}"#),
            )
            .await;
            within(accepted.recv()).await.unwrap().path
        };
        let (third_path, res) = within(async {
            tokio::join!(
                server_side,
                client.subscribe(&["d@trade", "e@trade", "a@trade"])
            )
        })
        .await;
        res.unwrap();
        assert_eq!(third_path, "/stream?streams=e@trade");
        assert_eq!(client.connection_count(), 3);
        assert_eq!(
            client.streams(),
            ["a@trade", "b@trade", "c@trade", "d@trade", "e@trade"]
        );
    }

    fn agg_trade(id: u64) -> String {
        format!(
            r#"{{"stream":"btcusdt@aggTrade","data":{{"e":"aggTrade","E":1,"s":"BTCUSDT","a":{id},"p":"1.0","q":"1","f":1,"l":1,"T":1,"m":true,"M":true}}}}"#
        )
    }

    #[tokio::test]
    async fn rotates_without_gap_or_duplicates() {
        let (url, mut accepted) = server().await;
        let mut config = config(&url);
        config.max_connection_age = Duration::from_millis(100);
        config.rotation_overlap = Duration::from_millis(300);
        let (_client, mut events) = within(MarketStreams::connect(config, &["btcusdt@aggTrade"]))
            .await
            .unwrap();
        let mut old = within(accepted.recv()).await.unwrap();
        reply(&mut old.socket, agg_trade(1)).await;
        reply(&mut old.socket, agg_trade(2)).await;
        let mut new = within(accepted.recv()).await.unwrap();
        assert_eq!(new.path, "/stream?streams=btcusdt@aggTrade");
        // Both connections carry the same feed, each a little ahead of the other.
        for id in [2, 3] {
            reply(&mut new.socket, agg_trade(id)).await;
        }
        for id in [3, 4] {
            reply(&mut old.socket, agg_trade(id)).await;
        }
        for id in [4, 5] {
            reply(&mut new.socket, agg_trade(id)).await;
        }
        // The old connection is closed by the client.
        loop {
            match within(old.socket.next()).await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            }
        }
        reply(&mut new.socket, agg_trade(6)).await;

        let mut ids = Vec::new();
        let mut notices = Vec::new();
        while ids.len() < 6 {
            match within(events.recv()).await.unwrap() {
                StreamItem::Event {
                    event: MarketEvent::AggTrade(trade),
                    ..
                } => ids.push(trade.agg_trade_id),
                StreamItem::Notice(notice) => notices.push(notice),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
        assert!(
            notices.contains(&Notice::Rotated { connection: 0 }),
            "{notices:?}"
        );
        assert!(
            !notices
                .iter()
                .any(|n| matches!(n, Notice::Disconnected { .. } | Notice::Skipped { .. })),
            "{notices:?}"
        );
    }

    #[test]
    fn raw_partial_depths_of_two_streams_are_not_duplicates() {
        let text = r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#;
        let wire::MarketFrame::Event { stream, event } = wire::decode_market(text).unwrap() else {
            panic!("not an event");
        };
        let event = event.to_domain().unwrap();
        // `btcusdt@depth5` and `btcusdt@depth10` on one raw connection.
        assert_eq!(event_key(stream.as_deref(), &event), None);
        assert_ne!(
            event_key(Some("btcusdt@depth5"), &event),
            event_key(Some("btcusdt@depth10"), &event)
        );
    }

    #[test]
    fn stream_names_get_lower_case_symbols() {
        assert_eq!(normalize("BTCUSDT@aggTrade"), "btcusdt@aggTrade");
        assert_eq!(normalize("BnbBtc@kline_1M"), "bnbbtc@kline_1M");
        assert_eq!(normalize("!miniTicker@arr"), "!miniTicker@arr");
    }

    #[tokio::test]
    async fn refuses_plain_ws_to_a_remote_host() {
        let error =
            MarketStreams::connect(config("ws://stream.binance.com:9443"), &["btcusdt@trade"])
                .await
                .unwrap_err();
        assert!(matches!(
            error,
            Error::Config(mbx_domain::ConfigError::InsecureUrl { .. })
        ));
    }

    #[tokio::test]
    async fn wss_reaches_the_tls_handshake() {
        // A TCP server that is not TLS: the handshake fails with an error
        // (and rustls has a crypto provider, or this would panic).
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("wss://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let _ = tokio::io::AsyncWriteExt::write_all(&mut tcp, b"HTTP/1.1 400 Nope\r\n\r\n")
                    .await;
            }
        });
        let error = within(MarketStreams::connect(config(&url), &["btcusdt@trade"]))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error}");
    }

    // See: issue #12
    #[tokio::test]
    async fn a_redirected_handshake_is_not_followed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let (followed, mut was_followed) = mpsc::unbounded_channel::<()>();
        let target = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let location = format!("ws://{}/ws?secret=1", target.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                );
                let _ = tokio::io::AsyncWriteExt::write_all(&mut tcp, answer.as_bytes()).await;
            }
        });
        tokio::spawn(async move {
            while target.accept().await.is_ok() {
                let _ = followed.send(());
            }
        });
        let error = within(MarketStreams::connect(config(&url), &["btcusdt@trade"]))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Redirected { status: 302, location, .. } if !location.contains("secret")),
            "{error}"
        );
        assert!(
            was_followed.try_recv().is_err(),
            "the redirect was followed"
        );
    }

    #[tokio::test]
    async fn first_connect_failure_is_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        drop(listener);
        let error = within(MarketStreams::connect(config(&url), &["btcusdt@trade"]))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error}");
        assert!(error.is_retryable());
    }
}
