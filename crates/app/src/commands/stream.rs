//! `mbx stream` and `mbx user-stream`: live market streams and the account's
//! user-data events, as NDJSON or readable lines.

use std::ops::ControlFlow;
use std::time::Duration;

use mbx_adapters_ws::Delivery;
use mbx_client::account_feed::{AccountFeed, AccountOutput, CountBy};
use mbx_client::market_feed;
use mbx_client::session::{Limits, Session};
use mbx_domain::feed::{ApiNotice, Notice, StreamItem};
use mbx_domain::model::{Balance, Order};
use mbx_domain::stream::{MarketEvent, UserEvent};

use crate::cli::GlobalArgs;
use crate::commands::balances::describe_feed_notice;
use crate::commands::{ctrl_c, parse_duration};
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Printer, written};

/// Follow live market streams: trades, klines, depth, tickers.
///
/// Prints one JSON object per event and line (NDJSON), flushed per line:
/// the event's fields with decimals as strings, plus `"stream"` (its stream
/// name, on combined connections) and `"type"` (`trade`, `aggTrade`,
/// `kline`, `partialDepth`, `depthUpdate`, `bookTicker`, `ticker`).
/// Fields may be added. `--format line` prints a readable line per event
/// instead.
///
/// Stream names are Binance's (web-socket-streams.md): `<symbol>@trade`,
/// `<symbol>@aggTrade`, `<symbol>@kline_<interval>[@+08:00]`,
/// `<symbol>@depth5` (10, 20), `<symbol>@depth[@100ms]`,
/// `<symbol>@bookTicker`, `<symbol>@ticker`, `<symbol>@ticker_<1h|4h|1d>`,
/// `<symbol>@miniTicker`, `<symbol>@avgPrice`, `<symbol>@referencePrice`,
/// `<symbol>@blockTrade`, `!miniTicker@arr`, `!ticker_<1h|4h|1d>@arr`.
/// Names are checked before connecting (a known type, a lowercase symbol
/// listed in exchangeInfo): a typo is an error naming the nearest valid
/// name. An event with no type here is printed as
/// `{"type":"raw","stream":..,"data":<payload>}`, never dropped; `--raw`
/// prints every frame exactly as Binance sent it.
/// Streams of the REST target are used: `--sandbox` or a loopback
/// `--base-url` streams from the sandbox, `--testnet` from the testnet.
///
/// The stream keeps running across reconnects (said on stderr) until
/// `--count` events, `--duration` or Ctrl-C. A stream silent for twice its
/// documented update interval (at least 5 s) is said on stderr.
///
/// Examples:
///
///   mbx stream btcusdt@aggTrade ethusdt@trade --sandbox --count 10
///
///   mbx stream btcusdt@bookTicker --sandbox --format line --duration 2s
///
///   mbx stream btcusdt@kline_1m@+08:00 '!miniTicker@arr' --sandbox --raw --count 2
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct StreamArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// Stream names, e.g. `btcusdt@aggTrade`.
    #[arg(required = true, value_name = "STREAM")]
    streams: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    /// Print every frame exactly as received (with the
    /// `{"stream":..,"data":..}` envelope), one per line.
    #[arg(long, conflicts_with = "format")]
    raw: bool,

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
pub(crate) enum Format {
    /// One JSON object per line.
    Json,
    /// One readable line per event.
    Line,
}

pub fn run(global: &GlobalArgs, args: StreamArgs) -> Result<(), CliError> {
    if let Some(name) = args.streams.iter().find(|name| looks_like_listen_key(name)) {
        return Err(CliError::usage(
            format!(
                "`{name}` looks like a listenKey; Spot removed listenKey user-data streams on 2026-02-20"
            ),
            Some(
                "use `mbx user-stream`, which subscribes over the WebSocket API with `userDataStream.subscribe.signature`",
            ),
        ));
    }
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = follow(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

async fn follow(ctx: &Context, args: &StreamArgs) -> Result<(), CliError> {
    market_feed::check_streams(ctx.market().as_ref(), &args.streams).await?;
    let delivery = if args.raw {
        Delivery::Frames
    } else {
        Delivery::Events
    };
    let source = ctx.market_streams_delivering(args.stream_url.as_deref(), delivery)?;
    let limits = Limits {
        count: args.count,
        duration: args.duration,
    };
    let mut session = Session::new(limits, ctrl_c());
    let printer = &ctx.printer;
    let mut failed = None;
    market_feed::follow(
        source.as_ref(),
        &args.streams,
        &mut session,
        |item| match print_item(printer, args.format, item) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                failed = Some(err);
                ControlFlow::Break(())
            }
        },
    )
    .await?;
    match failed {
        Some(err) => written(Err(err)),
        None => Ok(()),
    }
}

/// Prints one market-stream item as `mbx stream` does: events and raw
/// payloads on stdout, notices on stderr (shared with `mbx replay`, which
/// prints a recording the same way).
pub(crate) fn print_item(
    printer: &Printer,
    format: Format,
    item: StreamItem,
) -> std::io::Result<()> {
    match item {
        StreamItem::Event { stream, event } => {
            let text = match format {
                Format::Json => json_line(stream.as_deref(), &event),
                Format::Line => readable_line(stream.as_deref(), &event),
            };
            printer.line(&text)
        }
        // A payload with no type here (a stream Binance added): printed as it came.
        StreamItem::Raw(raw) => {
            if let Some(error) = &raw.error {
                printer.warn(&format!(
                    "a frame did not decode ({error}); printed as received"
                ));
            }
            printer.line(&raw_line(raw.stream.as_deref(), &raw.payload))
        }
        StreamItem::Notice(notice) => {
            printer.notice(&describe_notice(&notice));
            Ok(())
        }
        // `--raw`: Binance's frame byte for byte.
        StreamItem::Frame(frame) => printer.line(frame.text.trim_end()),
        _ => Ok(()),
    }
}

/// A listenKey is 60 or more letters and digits, with no `@`.
fn looks_like_listen_key(name: &str) -> bool {
    name.len() >= 60 && name.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// The event as JSON, with its stream name.
fn json_line(stream: Option<&str>, event: &MarketEvent) -> String {
    let mut value = match serde_json::to_value(event) {
        Ok(value) => value,
        Err(err) => serde_json::json!({ "type": "unprintable", "error": err.to_string() }),
    };
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
        other => json_line(None, other),
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

/// A market-stream connection notice as one line for stderr.
pub(crate) fn describe_notice(notice: &Notice) -> String {
    match notice {
        Notice::Connected {
            connection,
            streams,
        } => {
            let plural = if *streams == 1 { "" } else { "s" };
            format!("connected (connection {connection}, {streams} stream{plural})")
        }
        Notice::Disconnected {
            connection,
            reason,
            retry_in,
        } => format!(
            "disconnected (connection {connection}): {reason}; reconnecting in {} ms",
            retry_in.as_millis()
        ),
        Notice::Rotated { connection } => {
            format!("replaced connection {connection} before the 24 h limit")
        }
        Notice::Skipped { reason, .. } => format!("warning: skipped a frame: {reason}"),
        Notice::Silent {
            stream,
            silent_for,
            expected_every,
        } => format!(
            "warning: {stream} has sent nothing for {} s (documented: every {} ms); still subscribed",
            silent_for.as_secs(),
            expected_every.as_millis()
        ),
        other => format!("{other:?}"),
    }
}

/// A WebSocket API connection notice as one line for stderr.
pub fn describe_api_notice(notice: &ApiNotice) -> String {
    match notice {
        ApiNotice::Connected => "connected to the WebSocket API".to_owned(),
        ApiNotice::Subscribed { subscription_id } => {
            format!("subscribed to the user-data stream (subscription {subscription_id})")
        }
        ApiNotice::Disconnected { reason, retry_in } => format!(
            "disconnected: {reason}; reconnecting in {} ms",
            retry_in.as_millis()
        ),
        ApiNotice::Resubscribed { subscription_id } => {
            format!("subscribed again (subscription {subscription_id})")
        }
        ApiNotice::ResubscribeFailed { reason } => {
            format!("warning: cannot subscribe again after a reconnect: {reason}")
        }
        ApiNotice::Skipped { reason } => format!("warning: skipped a frame: {reason}"),
        other => format!("{other:?}"),
    }
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
/// After a reconnect it subscribes again and catches up over REST, so
/// nothing that changed while it was away is missed:
///
///   * one `accountPosition` line with `"reconciled":true` listing the
///     balances that changed;
///   * one `orderUpdate` line with `"reconciled":true` per order that was
///     placed, filled or canceled meanwhile (its latest state, as
///     `GET /api/v3/allOrders` gives it), oldest first, each once: a live
///     event repeating a state already printed is not printed again.
///
/// Individual fills missed meanwhile are not replayed (`mbx api GET
/// /api/v3/myTrades --signed` lists them). Connection notices go to stderr.
/// It runs until `--count` events, `--duration` or Ctrl-C.
///
/// Examples:
///
///   mbx user-stream --sandbox --duration 2s
///
///   mbx user-stream --sandbox --count 1 --duration 2s
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct UserStreamArgs {
    #[command(flatten)]
    connect: ConnectArgs,

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

pub fn run_user_stream(global: &GlobalArgs, args: UserStreamArgs) -> Result<(), CliError> {
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = follow_user_data(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

async fn follow_user_data(ctx: &Context, args: &UserStreamArgs) -> Result<(), CliError> {
    let feed = AccountFeed {
        user_data: ctx.user_data(args.ws_api_url.as_deref())?,
        account: ctx.account(),
        market: ctx.market(),
        quote: None,
        count_by: CountBy::Events,
    };
    let limits = Limits {
        count: args.count,
        duration: args.duration,
    };
    let mut session = Session::new(limits, ctrl_c());
    let printer: &Printer = &ctx.printer;
    let mut failed = None;
    feed.run(&mut session, |_, output| {
        let res = match output {
            AccountOutput::Started {
                subscription_id: Some(id),
                ..
            } => {
                printer.notice(&format!(
                    "subscribed to the user-data stream (subscription {id})"
                ));
                Ok(())
            }
            AccountOutput::Event {
                subscription_id,
                event,
                ..
            } => printer.line(&event_line(subscription_id, &event)),
            AccountOutput::BalancesReconciled {
                update_time,
                balances,
            } => printer.line(&reconciled_line(update_time, &balances)),
            AccountOutput::OrderReconciled(order) => printer.line(&order_line(&order)),
            AccountOutput::Notice(notice) => {
                printer.notice(&describe_feed_notice(&notice));
                Ok(())
            }
            _ => Ok(()),
        };
        match res {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                failed = Some(err);
                ControlFlow::Break(())
            }
        }
    })
    .await?;
    match failed {
        Some(err) => written(Err(err)),
        None => Ok(()),
    }
}

fn event_line(subscription_id: Option<u64>, event: &UserEvent) -> String {
    let mut value = match serde_json::to_value(event) {
        Ok(value) => value,
        Err(err) => serde_json::json!({ "type": "unprintable", "error": err.to_string() }),
    };
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

/// `{"type":"orderUpdate","reconciled":true, ...the order as REST gives it}`.
fn order_line(order: &Order) -> String {
    let mut value = match serde_json::to_value(order) {
        Ok(value) => value,
        Err(err) => serde_json::json!({ "error": err.to_string() }),
    };
    if let Some(object) = value.as_object_mut() {
        object.insert("type".to_owned(), serde_json::Value::from("orderUpdate"));
        object.insert("reconciled".to_owned(), serde_json::Value::Bool(true));
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use mbx_domain::stream::{AggTrade, BalanceUpdate};

    use super::*;
    use crate::commands::parse_duration;

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
