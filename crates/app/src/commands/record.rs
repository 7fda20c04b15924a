//! `mbx record` and `mbx replay`: market streams kept on disk, and printed
//! back as `mbx stream` printed them.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use mbx_client::record::{self, RecordOptions, RecordOutput, Summary};
use mbx_client::replay::{self, Recording};
use mbx_client::session::{Limits, Session};

use crate::cli::GlobalArgs;
use crate::commands::stream::{Format, describe_notice, print_item};
use crate::commands::{ctrl_c, parse_duration};
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Printer, written};

/// Record market streams to disk, to replay them later.
///
/// Writes every frame exactly as received, with its local receive time,
/// plus a REST depth snapshot per symbol (of the depth streams, or of every
/// symbol when none is a depth stream) at the start and after every
/// reconnect, into `--out DIR`: zstd-compressed NDJSON files of one hour
/// each and `manifest.json` (streams, host, start and end, files, frames,
/// bytes, reconnects and every gap). Memory stays flat however long it
/// runs; reconnects and the 24 h rotation happen as in `mbx stream`.
///
/// A summary (frames, bytes, gaps) goes to stderr every minute. Ctrl-C,
/// `--duration` or `--count` frames close the files and finalise the
/// manifest; the files are flushed every minute, so a recorder killed
/// without warning loses at most that minute. `mbx replay DIR` prints a
/// recording; `mbx sandbox --replay DIR` serves it as a live market.
///
/// Examples:
///
///   mbx record btcusdt@trade btcusdt@depth@100ms --out rec --sandbox --duration 3s
///
///   mbx record ethusdt@aggTrade --out rec --sandbox --count 3 && cat rec/manifest.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RecordArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// Stream names, e.g. `btcusdt@trade`, `btcusdt@depth@100ms`.
    #[arg(required = true, value_name = "STREAM")]
    streams: Vec<String>,

    /// The recording directory (created; must not hold a recording yet).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Stop after this long, e.g. `30s`, `5m`, `24h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Stop after this many frames.
    #[arg(long, value_name = "N")]
    count: Option<u64>,

    /// Levels per depth snapshot (`limit` of `GET /api/v3/depth`).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    snapshot_depth: u32,

    /// The WebSocket Streams base URL, when it cannot be derived from the
    /// REST target, e.g. `wss://data-stream.binance.vision`.
    #[arg(long, value_name = "URL")]
    stream_url: Option<String>,
}

pub fn run(global: &GlobalArgs, args: RecordArgs) -> Result<(), CliError> {
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = follow(&ctx, &args).await;
        ctx.finish().await;
        res
    })
}

async fn follow(ctx: &Context, args: &RecordArgs) -> Result<(), CliError> {
    let (source, host) = ctx.market_frames(args.stream_url.as_deref())?;
    let options = RecordOptions {
        dir: args.out.clone(),
        host,
        streams: args.streams.clone(),
        summary_every: Duration::from_secs(60),
        snapshot_limit: args.snapshot_depth,
    };
    let limits = Limits {
        count: args.count,
        duration: args.duration,
    };
    let mut session = Session::new(limits, ctrl_c());
    let printer = &ctx.printer;
    let market = ctx.market();
    let manifest = record::record(
        source.as_ref(),
        market.as_ref(),
        &options,
        &mut session,
        |output| {
            match output {
                RecordOutput::Started { snapshot_symbols } => printer.notice(&format!(
                    "recording {} stream(s) into {} (depth snapshots: {})",
                    args.streams.len(),
                    args.out.display(),
                    if snapshot_symbols.is_empty() {
                        "none".to_owned()
                    } else {
                        snapshot_symbols.join(", ")
                    }
                )),
                RecordOutput::Summary(summary) => printer.notice(&summary_line(&summary)),
                RecordOutput::SnapshotFailed { symbol, reason } => {
                    printer.warn(&format!("no depth snapshot of {symbol}: {reason}"));
                }
                RecordOutput::ExchangeInfoFailed { reason } => printer.warn(&format!(
                    "no exchangeInfo of the recorded symbols ({reason}): a replay serves loose filters for them"
                )),
                RecordOutput::Notice(notice) => printer.notice(&describe_notice(&notice)),
                _ => {}
            }
            ControlFlow::Continue(())
        },
    )
    .await?;
    if ctx.printer.is_json() {
        let text = serde_json::to_string(&manifest).unwrap_or_default();
        written(printer.line(&text))?;
    }
    Ok(())
}

fn summary_line(summary: &Summary) -> String {
    format!(
        "recorded {} frames (+{} this minute), {} bytes in {} file(s), {} gap(s)",
        summary.frames, summary.frames_since, summary.bytes, summary.files, summary.gaps
    )
}

/// Print a recording made by `mbx record`, as `mbx stream` printed it.
///
/// Each frame is decoded as the live connection decoded it and printed in
/// the same form: NDJSON by default (the same lines, byte for byte), or a
/// readable line per event with `--format line`. The recorded drops and
/// reconnects are notices on stderr; depth snapshots are not printed (they
/// are for `mbx sandbox --replay`). Nothing connects: this is for offline
/// analysis, e.g. piped into `jq`.
///
/// Examples:
///
///   mbx record btcusdt@trade --out rec --sandbox --count 5 2>/dev/null && mbx replay rec
///
///   mbx record btcusdt@bookTicker --out rec --sandbox --duration 2s 2>/dev/null && mbx replay rec --format line --count 3
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ReplayArgs {
    /// The recording directory (`mbx record --out`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

pub fn run_replay(global: &GlobalArgs, args: ReplayArgs) -> Result<(), CliError> {
    let printer = Printer::new(global.json, global.quiet);
    let recording = Recording::open(&args.dir)?;
    let limits = Limits {
        count: args.count,
        duration: None,
    };
    let mut session = Session::new(limits, std::future::pending());
    let mut failed = None;
    replay::follow(
        &recording,
        &mbx_adapters_ws::recorded::item_of_frame,
        &mut session,
        |err| printer.warn(&format!("{err}; the rest is read on")),
        |item| match print_item(&printer, args.format, item) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                failed = Some(err);
                ControlFlow::Break(())
            }
        },
    );
    match failed {
        Some(err) => written(Err(err)),
        None => Ok(()),
    }
}
