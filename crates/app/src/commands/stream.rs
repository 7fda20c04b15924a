//! `mbx stream` and `mbx user-stream`: live market streams and the account's
//! user-data events, as NDJSON or readable lines.

use std::time::Duration;

use mbx_adapters_ws::{
    ApiConfig, ApiNotice, Credentials, MarketStreamConfig, MarketStreams, Notice, StreamItem,
    UserItem, WsApi,
};
use mbx_domain::balance_mirror::BalanceMirror;
use mbx_domain::model::Balance;
use mbx_domain::ports::AccountData as _;
use mbx_domain::stream::{MarketEvent, UserEvent};

use crate::cli::GlobalArgs;
use crate::commands::stdout_result;
use crate::context::{self, Context};
use crate::exit::ExitStatus;
use crate::output::{UserError, print_data};

/// Follow live market streams: trades, klines, depth, tickers.
///
/// Prints one JSON object per event and line (NDJSON), flushed per line:
/// the event's fields with decimals as strings, plus `"stream"` (its stream
/// name, on combined connections) and `"type"` (`trade`, `aggTrade`,
/// `kline`, `partialDepth`, `depthUpdate`, `bookTicker`, `ticker`).
/// Fields may be added. `--format line` prints a readable line per event
/// instead.
///
/// Stream names are Binance's: `<symbol>@trade`, `<symbol>@aggTrade`,
/// `<symbol>@kline_<interval>`, `<symbol>@depth5` (10, 20), `<symbol>@depth`,
/// `<symbol>@depth@100ms`, `<symbol>@bookTicker`, `<symbol>@ticker`.
/// Streams of the REST target are used: `--sandbox` or a loopback
/// `--base-url` streams from the sandbox, `--testnet` from the testnet.
///
/// The stream keeps running across reconnects (said on stderr) until
/// `--count` events, `--duration` or Ctrl-C.
///
/// Example:
///
///   mbx stream btcusdt@aggTrade ethusdt@trade --sandbox --count 10
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct StreamArgs {
    /// Stream names, e.g. `btcusdt@aggTrade`.
    #[arg(required = true, value_name = "STREAM")]
    streams: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Stop after this long, e.g. `30s`, `5m`, `500ms`, `1h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// The WebSocket Streams base URL, when it cannot be derived from the
    /// REST target, e.g. `wss://data-stream.binance.vision`.
    #[arg(long, value_name = "URL")]
    stream_url: Option<String>,
}

/// How events are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One JSON object per line.
    Json,
    /// One readable line per event.
    Line,
}

pub fn run(global: &GlobalArgs, args: StreamArgs) -> Result<(), UserError> {
    if let Some(name) = args.streams.iter().find(|name| looks_like_listen_key(name)) {
        return Err(UserError::usage(
            format!(
                "`{name}` looks like a listenKey; Spot removed listenKey user-data streams on 2026-02-20"
            ),
            Some(
                "use `mbx user-stream`, which subscribes over the WebSocket API with `userDataStream.subscribe.signature`",
            ),
        ));
    }
    context::block_on(async {
        let ctx = Context::resolve(global).await?;
        let res = follow(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

async fn follow(ctx: &Context, args: &StreamArgs) -> Result<(), UserError> {
    let url = match &args.stream_url {
        Some(url) => url.clone(),
        None => stream_url(ctx.client.base_url()).ok_or_else(|| {
            UserError::usage(
                format!(
                    "no WebSocket Streams URL is known for {}",
                    ctx.client.base_url()
                ),
                Some("pass the streams base URL with `--stream-url`"),
            )
        })?,
    };
    let names: Vec<&str> = args.streams.iter().map(String::as_str).collect();
    let (streams, mut items) = MarketStreams::connect(MarketStreamConfig::new(url), &names)
        .await
        .map_err(ws_error)?;
    let deadline = args
        .duration
        .map(|duration| tokio::time::Instant::now() + duration);
    let mut n_events = 0u64;
    let res = loop {
        if args.count.is_some_and(|count| n_events >= count) {
            break Ok(());
        }
        let item = tokio::select! {
            item = items.recv() => item,
            () = sleep_until_deadline(deadline) => break Ok(()),
            _ = tokio::signal::ctrl_c() => break Ok(()),
        };
        let Some(item) = item else { break Ok(()) };
        match item {
            // Not data: the reconnect that follows is reported on stderr.
            StreamItem::Event {
                event: MarketEvent::ServerShutdown(_),
                ..
            } => {}
            StreamItem::Event { stream, event } => {
                n_events += 1;
                let text = match args.format {
                    Format::Json => json_line(stream.as_deref(), &event),
                    Format::Line => readable_line(stream.as_deref(), &event),
                };
                if let Err(err) = print_data(&text) {
                    break stdout_result(Err(err));
                }
            }
            // A payload with no type here (a stream Binance added): printed as it came.
            StreamItem::Raw(raw) => {
                n_events += 1;
                if let Some(error) = &raw.error {
                    eprintln!("warning: a frame did not decode ({error}); printed as received");
                }
                if let Err(err) = print_data(&raw_line(raw.stream.as_deref(), &raw.payload)) {
                    break stdout_result(Err(err));
                }
            }
            StreamItem::Notice(notice) => report(&notice),
            _ => {}
        }
    };
    streams.close().await;
    res
}

pub(crate) async fn sleep_until_deadline(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The Binance environments whose WebSocket hosts differ from the REST
/// host, keyed by the REST host (`shared/binance-docs/DIGEST.md` § 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KnownHost {
    Production,
    MarketDataOnly,
    Testnet,
    Demo,
}

fn known_host(host: &str) -> Option<KnownHost> {
    Some(match host {
        "api.binance.com"
        | "api-gcp.binance.com"
        | "api1.binance.com"
        | "api2.binance.com"
        | "api3.binance.com"
        | "api4.binance.com" => KnownHost::Production,
        "data-api.binance.vision" => KnownHost::MarketDataOnly,
        "testnet.binance.vision" | "api1.testnet.binance.vision" => KnownHost::Testnet,
        "demo-api.binance.com" => KnownHost::Demo,
        _ => return None,
    })
}

/// The WebSocket URL that goes with a REST base URL: the environment's own
/// host from `known`, or else (the sandbox) the REST host and port with
/// `path`.
fn websocket_url(
    rest_base_url: &str,
    known: impl Fn(KnownHost) -> Option<&'static str>,
    path: &str,
) -> Option<String> {
    let base = rest_base_url.trim_end_matches('/');
    let (scheme, host) = base.split_once("://")?;
    if let Some(environment) = known_host(host) {
        return known(environment).map(str::to_owned);
    }
    match scheme {
        "http" => Some(format!("ws://{host}{path}")),
        "https" => Some(format!("wss://{host}{path}")),
        _ => None,
    }
}

/// The WebSocket Streams base URL that goes with a REST base URL.
fn stream_url(rest_base_url: &str) -> Option<String> {
    websocket_url(
        rest_base_url,
        |environment| {
            Some(match environment {
                KnownHost::Production => "wss://stream.binance.com:9443",
                KnownHost::MarketDataOnly => "wss://data-stream.binance.vision",
                KnownHost::Testnet => "wss://stream.testnet.binance.vision",
                KnownHost::Demo => "wss://demo-stream.binance.com",
            })
        },
        "",
    )
}

/// A listenKey is 60 or more letters and digits, with no `@`.
fn looks_like_listen_key(name: &str) -> bool {
    name.len() >= 60 && name.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

fn json_line(stream: Option<&str>, event: &MarketEvent) -> String {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let (Some(stream), Some(object)) = (stream, value.as_object_mut()) {
        object.insert("stream".to_owned(), serde_json::Value::from(stream));
    }
    value.to_string()
}

/// `{"type":"raw","stream":..,"data":<payload>}` with the payload byte for
/// byte when it is JSON (never re-parsed, so no number goes through `f64`),
/// else as a string.
fn raw_line(stream: Option<&str>, payload: &str) -> String {
    let is_json = serde_json::from_str::<serde::de::IgnoredAny>(payload).is_ok();
    let data = if is_json {
        payload.trim().to_owned()
    } else {
        serde_json::Value::from(payload).to_string()
    };
    match stream {
        Some(stream) => format!(
            r#"{{"type":"raw","stream":{},"data":{data}}}"#,
            serde_json::Value::from(stream)
        ),
        None => format!(r#"{{"type":"raw","data":{data}}}"#),
    }
}

fn readable_line(stream: Option<&str>, event: &MarketEvent) -> String {
    let body = match event {
        MarketEvent::Trade(it) => format!(
            "trade      {} {} x {} ({})",
            it.symbol,
            it.price,
            it.quantity,
            taker_side(it.buyer_is_maker)
        ),
        MarketEvent::AggTrade(it) => format!(
            "aggTrade   {} {} x {} ({})",
            it.symbol,
            it.price,
            it.quantity,
            taker_side(it.buyer_is_maker)
        ),
        MarketEvent::Kline(it) => format!(
            "kline      {} {} o {} h {} l {} c {} v {}{}",
            it.symbol,
            it.kline.interval,
            it.kline.open,
            it.kline.high,
            it.kline.low,
            it.kline.close,
            it.kline.volume,
            if it.kline.is_closed { " (closed)" } else { "" }
        ),
        MarketEvent::PartialDepth(it) => format!(
            "depth      best bid {} best ask {} ({} levels)",
            it.bids.first().map_or("-".to_owned(), |level| format!(
                "{} x {}",
                level.price, level.quantity
            )),
            it.asks.first().map_or("-".to_owned(), |level| format!(
                "{} x {}",
                level.price, level.quantity
            )),
            it.bids.len().max(it.asks.len())
        ),
        MarketEvent::DepthUpdate(it) => format!(
            "depthDiff  {} [{}..{}] {} bids {} asks",
            it.symbol,
            it.first_update_id,
            it.final_update_id,
            it.bids.len(),
            it.asks.len()
        ),
        MarketEvent::BookTicker(it) => format!(
            "bookTicker {} bid {} x {} ask {} x {}",
            it.symbol, it.bid_price, it.bid_quantity, it.ask_price, it.ask_quantity
        ),
        MarketEvent::Ticker(it) => format!(
            "ticker     {} last {} change {} ({}%) volume {}",
            it.symbol, it.last_price, it.price_change, it.price_change_percent, it.volume
        ),
        MarketEvent::ServerShutdown(_) => "serverShutdown".to_owned(),
        other => format!("{other:?}"),
    };
    match stream {
        Some(stream) => format!("{stream:<24} {body}"),
        None => body,
    }
}

fn taker_side(buyer_is_maker: bool) -> &'static str {
    if buyer_is_maker {
        "taker sold"
    } else {
        "taker bought"
    }
}

/// Connection notices go to stderr.
fn report(notice: &Notice) {
    match notice {
        Notice::Connected {
            connection,
            streams,
        } => {
            let plural = if *streams == 1 { "" } else { "s" };
            eprintln!("connected (connection {connection}, {streams} stream{plural})")
        }
        Notice::Disconnected {
            connection,
            reason,
            retry_in,
        } => eprintln!(
            "disconnected (connection {connection}): {reason}; reconnecting in {} ms",
            retry_in.as_millis()
        ),
        Notice::Rotated { connection } => {
            eprintln!("replaced connection {connection} before the 24 h limit")
        }
        Notice::Skipped { reason, .. } => eprintln!("warning: skipped a frame: {reason}"),
        other => eprintln!("{other:?}"),
    }
}

pub(crate) fn ws_error(err: mbx_adapters_ws::Error) -> UserError {
    let is_network = err.is_retryable();
    let mut msg = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !msg.contains(&cause_text) {
            msg.push_str(": ");
            msg.push_str(&cause_text);
        }
        source = cause.source();
    }
    UserError {
        status: if is_network {
            ExitStatus::Network
        } else {
            ExitStatus::Usage
        },
        code: 0,
        msg,
        hint: is_network
            .then(|| "check the URL, or start a local sandbox with `mbx sandbox`".to_owned()),
        endpoint: None,
    }
}

/// Parses `500ms`, `30s`, `5m`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`; use ms, s, m or h"
            ));
        }
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// Follow the account's user-data stream: balances, orders, order lists.
///
/// Subscribes over the WebSocket API with `userDataStream.subscribe.signature`
/// (any key type; Spot removed listenKey streams on 2026-02-20) and prints
/// one JSON object per event and line (NDJSON), flushed per line: the
/// event's fields with decimals as strings, plus `"type"`
/// (`accountPosition`, `balanceUpdate`, `executionReport`, `listStatus`,
/// `eventStreamTerminated`, `externalLockUpdate`) and `"subscriptionId"`.
/// Fields may be added.
///
/// After a reconnect it subscribes again, fetches the account over REST and
/// prints one `accountPosition` line with `"reconciled":true` listing the
/// balances that changed while it was away, so no change is missed.
/// Connection notices go to stderr. It runs until `--count` events,
/// `--duration` or Ctrl-C.
///
/// Example:
///
///   mbx user-stream --sandbox --duration 1m
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct UserStreamArgs {
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Stop after this long, e.g. `30s`, `5m`, `1h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// The WebSocket API URL, when it cannot be derived from the REST
    /// target, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    #[arg(long, value_name = "URL")]
    ws_api_url: Option<String>,
}

pub fn run_user_stream(global: &GlobalArgs, args: UserStreamArgs) -> Result<(), UserError> {
    context::block_on(async {
        let ctx = Context::resolve(global).await?;
        let res = follow_user_data(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

async fn follow_user_data(ctx: &Context, args: &UserStreamArgs) -> Result<(), UserError> {
    let (api, mut items) = subscribe_user_data(ctx, args.ws_api_url.as_deref()).await?;
    // The snapshot comes after the subscription: events older than it are
    // ignored by the mirror, newer ones are applied on top.
    let account = ctx.client.account(false).await?;
    let mut mirror = BalanceMirror::new(account.update_time, account.balances);

    let deadline = args
        .duration
        .map(|duration| tokio::time::Instant::now() + duration);
    let mut n_events = 0u64;
    let mut is_reconnect = false;
    let res = loop {
        if args.count.is_some_and(|count| n_events >= count) {
            break Ok(());
        }
        let item = tokio::select! {
            item = items.recv() => item,
            () = sleep_until_deadline(deadline) => break Ok(()),
            _ = tokio::signal::ctrl_c() => break Ok(()),
        };
        let Some(item) = item else { break Ok(()) };
        let line = match item {
            UserItem::Event {
                subscription_id,
                event,
            } => {
                mirror.apply(&event);
                n_events += 1;
                event_line(subscription_id, &event)
            }
            UserItem::Notice(ApiNotice::Resubscribed { subscription_id }) => {
                eprintln!(
                    "subscribed again (subscription {subscription_id}); reconciling balances over REST"
                );
                match ctx.client.account(false).await {
                    Ok(account) => {
                        let changed = mirror.reset(account.update_time, account.balances);
                        if changed.is_empty() {
                            continue;
                        }
                        n_events += 1;
                        reconciled_line(account.update_time, &changed)
                    }
                    Err(err) => {
                        eprintln!("warning: cannot fetch the account to reconcile: {err}");
                        continue;
                    }
                }
            }
            // The first connection was reported with the subscription.
            UserItem::Notice(ApiNotice::Connected) if !is_reconnect => continue,
            UserItem::Notice(notice) => {
                is_reconnect |= matches!(notice, ApiNotice::Disconnected { .. });
                report_api_notice(&notice);
                continue;
            }
        };
        if let Err(err) = print_data(&line) {
            break stdout_result(Err(err));
        }
    };
    api.close().await;
    res
}

/// Connects to the WebSocket API that goes with the REST target (or
/// `url_override`), signs with the server's time and subscribes to the
/// user-data stream with `userDataStream.subscribe.signature`; says so on
/// stderr. The subscription is repeated after every reconnect
/// ([`ApiNotice::Resubscribed`]).
pub(crate) async fn subscribe_user_data(
    ctx: &Context,
    url_override: Option<&str>,
) -> Result<(WsApi, tokio::sync::mpsc::Receiver<UserItem>), UserError> {
    ctx.require_credentials()?;
    let rest_credentials = ctx
        .client
        .credentials()
        .ok_or_else(|| UserError::usage("no API key configured", None))?;
    let credentials = Credentials::new(
        rest_credentials.api_key().as_str(),
        rest_credentials.signer().clone(),
    );
    let url = match url_override {
        Some(url) => url.to_owned(),
        None => ws_api_url(ctx.client.base_url()).ok_or_else(|| {
            UserError::usage(
                format!(
                    "no WebSocket API URL is known for {}",
                    ctx.client.base_url()
                ),
                Some("pass the WebSocket API URL with `--ws-api-url`"),
            )
        })?,
    };
    // Sign with the server's time, as the REST client does.
    let offset_ms = ctx.client.sync_clock().await?.offset_ms;
    let mut config = ApiConfig::new(url);
    config.recv_window_ms = Some(ctx.recv_window_ms);
    let (api, items) = WsApi::connect(config, Some(credentials))
        .await
        .map_err(ws_error)?;
    api.set_time_offset_ms(offset_ms);
    let subscription_id = api.subscribe_user_data().await.map_err(ws_error)?;
    eprintln!("subscribed to the user-data stream (subscription {subscription_id})");
    Ok((api, items))
}

/// The WebSocket API URL that goes with a REST base URL.
fn ws_api_url(rest_base_url: &str) -> Option<String> {
    websocket_url(
        rest_base_url,
        |environment| match environment {
            KnownHost::Production => Some("wss://ws-api.binance.com:443/ws-api/v3"),
            // The market-data-only hosts have no WebSocket API.
            KnownHost::MarketDataOnly => None,
            KnownHost::Testnet => Some("wss://ws-api.testnet.binance.vision/ws-api/v3"),
            KnownHost::Demo => Some("wss://demo-ws-api.binance.com/ws-api/v3"),
        },
        "/ws-api/v3",
    )
}

fn event_line(subscription_id: Option<u64>, event: &UserEvent) -> String {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let (Some(id), Some(object)) = (subscription_id, value.as_object_mut()) {
        object.insert("subscriptionId".to_owned(), serde_json::Value::from(id));
    }
    value.to_string()
}

fn reconciled_line(update_time: i64, changed: &[Balance]) -> String {
    serde_json::json!({
        "type": "accountPosition",
        "reconciled": true,
        "eventTime": update_time,
        "lastUpdateTime": update_time,
        "balances": changed,
    })
    .to_string()
}

pub(crate) fn report_api_notice(notice: &ApiNotice) {
    match notice {
        ApiNotice::Connected => eprintln!("connected to the WebSocket API"),
        ApiNotice::Disconnected { reason, retry_in } => eprintln!(
            "disconnected: {reason}; reconnecting in {} ms",
            retry_in.as_millis()
        ),
        ApiNotice::ResubscribeFailed { reason } => {
            eprintln!("warning: cannot subscribe again after a reconnect: {reason}")
        }
        ApiNotice::Skipped { reason } => eprintln!("warning: skipped a frame: {reason}"),
        other => eprintln!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use mbx_domain::stream::{AggTrade, BalanceUpdate};

    use super::*;

    #[test]
    fn stream_urls() {
        let check = |rest: &str, expected: Option<&str>| {
            assert_eq!(stream_url(rest).as_deref(), expected, "{rest}")
        };
        check(
            "https://api.binance.com",
            Some("wss://stream.binance.com:9443"),
        );
        check(
            "https://testnet.binance.vision/",
            Some("wss://stream.testnet.binance.vision"),
        );
        check(
            "https://demo-api.binance.com",
            Some("wss://demo-stream.binance.com"),
        );
        check("http://127.0.0.1:8080", Some("ws://127.0.0.1:8080"));
        check(
            "https://sandbox.example:8443",
            Some("wss://sandbox.example:8443"),
        );
        check("not a url", None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn listen_keys_are_recognized() {
        assert!(looks_like_listen_key(
            &"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"[..64]
        ));
        assert!(!looks_like_listen_key("btcusdt@aggTrade"));
    }

    fn trade() -> MarketEvent {
        MarketEvent::AggTrade(AggTrade {
            event_time: 1,
            symbol: "BTCUSDT".to_owned(),
            agg_trade_id: 2,
            price: "98000.50".parse().unwrap(),
            quantity: "0.00100".parse().unwrap(),
            first_trade_id: 3,
            last_trade_id: 4,
            trade_time: 5,
            buyer_is_maker: true,
        })
    }

    #[test]
    fn json_lines_keep_decimal_strings() {
        let line = json_line(Some("btcusdt@aggTrade"), &trade());
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["type"], "aggTrade");
        assert_eq!(value["stream"], "btcusdt@aggTrade");
        assert_eq!(value["price"], "98000.50");
        assert_eq!(value["quantity"], "0.00100");
        assert_eq!(value["aggTradeId"], 2);
    }

    #[test]
    fn readable_lines() {
        assert_eq!(
            readable_line(Some("btcusdt@aggTrade"), &trade()),
            "btcusdt@aggTrade         aggTrade   BTCUSDT 98000.50 x 0.00100 (taker sold)"
        );
    }

    #[test]
    fn ws_api_urls() {
        let check = |rest: &str, expected: Option<&str>| {
            assert_eq!(ws_api_url(rest).as_deref(), expected, "{rest}")
        };
        check(
            "https://api.binance.com",
            Some("wss://ws-api.binance.com:443/ws-api/v3"),
        );
        // The market-data-only host has no WebSocket API; guessing one on
        // its host would only fail later with a less useful error.
        check("https://data-api.binance.vision", None);
        check(
            "https://testnet.binance.vision",
            Some("wss://ws-api.testnet.binance.vision/ws-api/v3"),
        );
        check(
            "http://127.0.0.1:8080/",
            Some("ws://127.0.0.1:8080/ws-api/v3"),
        );
        check("ftp://x", None);
    }

    #[test]
    fn lines() {
        let event = UserEvent::BalanceUpdate(BalanceUpdate {
            event_time: 2,
            asset: "BTC".to_owned(),
            delta: "0.50000000".parse().unwrap(),
            clear_time: 1,
        });
        let value: serde_json::Value = serde_json::from_str(&event_line(Some(0), &event)).unwrap();
        assert_eq!(
            (&value["type"], &value["delta"], &value["subscriptionId"]),
            (&"balanceUpdate".into(), &"0.50000000".into(), &0.into())
        );
        let changed = [Balance {
            asset: "BTC".to_owned(),
            free: "1.5".parse().unwrap(),
            locked: "0".parse().unwrap(),
        }];
        let value: serde_json::Value = serde_json::from_str(&reconciled_line(7, &changed)).unwrap();
        assert_eq!(value["balances"][0]["free"], "1.5");
        assert_eq!(value["reconciled"], true);
    }
}
