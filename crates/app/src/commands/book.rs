//! `mbx book`: a local order book kept live (`mbx_client::book_feed`),
//! redrawn in place on a terminal, NDJSON otherwise, or one snapshot of the
//! synced book with `--json`.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::time::Duration;

use mbx_client::book_feed::{self, BookItem, BookNotice, BookOptions, BookView, Emit};
use mbx_client::session::{Limits, Session};

use crate::cli::GlobalArgs;
use crate::commands::stream::describe_notice;
use crate::commands::{ctrl_c, parse_duration};
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Align, Printer, Table, written};

/// Keep a local order book live and show its top levels.
///
/// The book is Binance's documented local order book: the diff-depth
/// stream `<symbol>@depth@100ms` applied on top of a REST snapshot
/// (`GET /api/v3/depth?limit=5000`), every update checked to follow the
/// last one. A gap (a missed update), a crossed book or an update that does
/// not decode drops the book and rebuilds it from a new snapshot (counted
/// as a resync, said on stderr); a book in that state is never shown. Every
/// `--check-every` the book is compared with a fresh snapshot; levels that
/// disagree are reported on stderr and the book is rebuilt. Reconnects and
/// the 24 h rotation are handled the same way.
///
/// On a terminal: a live view redrawn in place (bids and asks, spread, mid,
/// last update id, updates per second, resyncs). Otherwise: one JSON object
/// per line (NDJSON) per update, or every `--interval`:
/// `{"symbol","lastUpdateId","bids":[["price","qty"],..],"asks":[..],
/// "spread","mid","updatesPerSecond","resyncs"}` (decimals as strings,
/// best levels first). `--json` prints one such object for the synced book
/// and exits.
///
/// Runs until `--count` updates, `--duration` or Ctrl-C.
///
/// Examples:
///
///   mbx book BTCUSDT --sandbox --count 3
///
///   mbx book ETHUSDT --sandbox --depth 5 --interval 1s --duration 3s
///
///   mbx book BTCUSDT --sandbox --json --depth 3
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct BookArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol, e.g. `BTCUSDT`.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// Levels per side to show.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=5000))]
    depth: u16,

    /// Show the book every DURATION instead of after every update, e.g. `1s`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,

    /// Stop after this many updates shown.
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Stop after this long, e.g. `30s`, `5m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Compare the book with a fresh REST snapshot this often (weight 250
    /// each); `0s` never.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    check_every: Duration,

    /// The WebSocket Streams base URL, when it cannot be derived from the
    /// REST target, e.g. `wss://data-stream.binance.vision`.
    #[arg(long, value_name = "URL")]
    stream_url: Option<String>,
}

pub fn run(global: &GlobalArgs, args: BookArgs) -> Result<(), CliError> {
    if args.interval.is_some_and(|interval| interval.is_zero()) {
        return Err(CliError::usage(
            "--interval must be longer than zero",
            Some("leave it out to see every update"),
        ));
    }
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = follow(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

/// How the views are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// One JSON object for the first live view, then stop.
    Snapshot,
    /// A view redrawn in place.
    Live,
    /// One JSON object per view and line.
    Lines,
}

async fn follow(ctx: &Context, args: &BookArgs) -> Result<(), CliError> {
    let streams = ctx.market_streams(args.stream_url.as_deref())?;
    let market = ctx.market();
    let printer = &ctx.printer;
    let output = if printer.is_json() {
        Output::Snapshot
    } else if printer.stdout_is_terminal() {
        Output::Live
    } else {
        Output::Lines
    };
    let options = BookOptions {
        depth: usize::from(args.depth),
        check_every: (!args.check_every.is_zero()).then_some(args.check_every),
        emit: args.interval.map_or(Emit::EveryUpdate, Emit::Every),
        ..BookOptions::default()
    };
    let limits = match output {
        Output::Snapshot => Limits {
            count: Some(1),
            duration: args.duration,
        },
        _ => Limits {
            count: args.count,
            duration: args.duration,
        },
    };
    let mut session = Session::new(limits, ctrl_c());
    let mut screen = Screen::default();
    let mut failed = None;
    let mut shown = false;
    book_feed::follow(
        streams.as_ref(),
        market.as_ref(),
        std::slice::from_ref(&args.symbol),
        &options,
        &mut session,
        |item| {
            let res = match item {
                BookItem::Update(view) => {
                    shown = true;
                    match output {
                        Output::Snapshot | Output::Lines => printer.json(&view),
                        Output::Live => screen.draw(printer, &view),
                    }
                }
                BookItem::Notice(notice) => {
                    if let Some(text) = describe(&notice) {
                        if output == Output::Live && screen.lines > 0 {
                            // Under the view, where the next redraw replaces it.
                            screen.status = Some(text);
                        } else {
                            printer.notice(&text);
                        }
                    }
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
        },
    )
    .await?;
    if let Some(err) = failed {
        return written(Err(err));
    }
    if output == Output::Snapshot && !shown {
        return Err(not_synced(&args.symbol, args.duration));
    }
    Ok(())
}

/// `--json` ended (`--duration` or Ctrl-C) before the book was live: the
/// market data did not arrive in time, a network failure (exit 3, worth
/// retrying), not a usage error.
fn not_synced(symbol: &str, duration: Option<Duration>) -> CliError {
    let within = duration.map_or_else(String::new, |duration| {
        format!(" within --duration {} ms", duration.as_millis())
    });
    let error = mbx_domain::Error::Transport {
        endpoint: format!("WS {}@depth", symbol.to_ascii_lowercase()),
        cause: mbx_domain::Cause::new(format!("the book of {symbol} did not sync{within}")),
    };
    CliError::from(error).with_hint(
        "the diff-depth stream or the depth snapshot (`GET /api/v3/depth`) did not arrive in time: give it a longer --duration, or check the stream URL (--stream-url) and the network",
    )
}

/// A notice as one line for stderr; `None` for the routine ones.
fn describe(notice: &BookNotice) -> Option<String> {
    Some(match notice {
        BookNotice::Stream(notice) => describe_notice(notice),
        BookNotice::Syncing { .. } | BookNotice::CheckAgreed { .. } => return None,
        BookNotice::Live { symbol, update_id } => {
            format!("{symbol}: book live at update {update_id}")
        }
        BookNotice::Resyncing {
            symbol,
            reason,
            resyncs,
        } => format!("{symbol}: book dropped ({reason}); resyncing (resync {resyncs})"),
        BookNotice::SnapshotFailed {
            symbol,
            error,
            retry_in,
        } => format!(
            "{symbol}: depth snapshot failed: {error}; retrying in {} ms",
            retry_in.as_millis()
        ),
        BookNotice::CheckDisagreed {
            symbol,
            update_id,
            differences,
            resyncs,
        } => {
            let mut text = format!(
                "warning: {symbol}: the book disagreed with a fresh snapshot at update {update_id} on {} level(s); rebuilt (resync {resyncs}):",
                differences.len()
            );
            for difference in differences.iter().take(5) {
                let quantity = |q: Option<rust_decimal::Decimal>| {
                    q.map_or_else(|| "none".to_owned(), |q| q.to_string())
                };
                let _ = write!(
                    text,
                    " {} {} local {} snapshot {};",
                    difference.side,
                    difference.price,
                    quantity(difference.local),
                    quantity(difference.expected)
                );
            }
            text
        }
        other => format!("{other:?}"),
    })
}

/// The terminal view: how many lines the last draw took, so the next one
/// goes over it, and the last notice, shown under the book.
#[derive(Debug, Default)]
struct Screen {
    lines: usize,
    status: Option<String>,
}

impl Screen {
    fn draw(&mut self, printer: &Printer, view: &BookView) -> std::io::Result<()> {
        let text = render(view, self.status.as_deref());
        let mut out = String::new();
        if self.lines > 0 {
            // To the start of the first line drawn last time, then clear below.
            let _ = write!(out, "\x1b[{}F\x1b[J", self.lines);
        }
        out.push_str(&text);
        self.lines = text.matches('\n').count();
        printer.raw(&out)
    }
}

/// The view as text: a header line, bids and asks side by side, the last
/// notice. Ends with a newline.
fn render(view: &BookView, status: Option<&str>) -> String {
    let or_dash = |value: Option<rust_decimal::Decimal>| {
        value.map_or_else(|| "-".to_owned(), |value| value.to_string())
    };
    let mut out = format!(
        "{}  update {}  spread {}  mid {}  {:.1} updates/s  resyncs {}\n",
        view.symbol,
        view.last_update_id,
        or_dash(view.spread),
        or_dash(view.mid),
        view.updates_per_second,
        view.resyncs
    );
    let mut table = Table::new(&[
        ("bid qty", Align::Decimal),
        ("bid", Align::Decimal),
        ("ask", Align::Decimal),
        ("ask qty", Align::Decimal),
    ]);
    let rows = view.bids.len().max(view.asks.len());
    for index in 0..rows {
        let bid = view.bids.get(index);
        let ask = view.asks.get(index);
        table.row(vec![
            bid.map_or_else(String::new, |level| level.qty().to_string()),
            bid.map_or_else(String::new, |level| level.price().to_string()),
            ask.map_or_else(String::new, |level| level.price().to_string()),
            ask.map_or_else(String::new, |level| level.qty().to_string()),
        ]);
    }
    if rows > 0 {
        out.push_str(&table.render());
        out.push('\n');
    }
    if let Some(status) = status {
        out.push_str(status);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use mbx_domain::model::Level;

    use super::*;

    #[test]
    fn a_book_not_synced_in_time_is_a_network_error_with_a_hint() {
        let err = not_synced("BTCUSDT", Some(Duration::from_secs(2)));
        let json: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
        assert_eq!(json["category"], "network");
        assert_eq!(json["retryable"], true);
        let msg = json["msg"].as_str().unwrap();
        assert!(msg.contains("btcusdt@depth"), "{msg}");
        assert!(
            msg.contains("did not sync within --duration 2000 ms"),
            "{msg}"
        );
        assert!(
            json["hint"].as_str().unwrap().contains("--duration"),
            "{json}"
        );
        assert_eq!(err.exit_status(), crate::exit::ExitStatus::Network);
    }

    #[test]
    fn the_view_puts_bids_and_asks_side_by_side() {
        let d = |text: &str| text.parse().unwrap();
        let view = BookView {
            symbol: "BTCUSDT".into(),
            last_update_id: 42,
            bids: vec![Level(d("100.5"), d("2")), Level(d("99"), d("0.25"))],
            asks: vec![Level(d("101"), d("1.5"))],
            spread: Some(d("0.5")),
            mid: Some(d("100.75")),
            updates_per_second: 9.96,
            resyncs: 1,
        };
        let text = render(&view, Some("connected"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "BTCUSDT  update 42  spread 0.5  mid 100.75  10.0 updates/s  resyncs 1"
        );
        assert!(lines[1].starts_with("bid qty"), "{text}");
        assert!(
            lines[2].contains("100.5") && lines[2].contains("101"),
            "{text}"
        );
        assert!(
            lines[3].contains("99") && !lines[3].contains("101"),
            "{text}"
        );
        assert_eq!(lines[4], "connected");
    }
}
