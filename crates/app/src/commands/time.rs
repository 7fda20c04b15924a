//! `mbx time`: the server time and this machine's offset from it.

use mbx_adapters_rest::SystemClock;
use mbx_client::clock::{self, ClockVerdict};

use crate::cli::GlobalArgs;
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::written;

/// Show the server time and the local clock's offset from it.
///
/// Asks `GET /api/v3/time` a few times and keeps the answer with the
/// shortest round trip; the offset is the server time minus the local time
/// at the middle of that round trip (good to half the round trip). mbx signs
/// with the server time, so an offset does not break mbx, but other tools
/// fail with `-1021` once it exceeds `recvWindow`.
///
/// With `--json`: `{"serverTime":1764100000000,"offsetMs":-12,"rttMs":3}`
/// (fields may be added).
///
/// Examples:
///
///   mbx time --sandbox
///
///   mbx time --sandbox --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TimeArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

pub fn run(global: &GlobalArgs, args: TimeArgs) -> Result<(), CliError> {
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = show(&ctx).await;
        ctx.finish().await;
        res
    })
}

async fn show(ctx: &Context) -> Result<(), CliError> {
    let report = clock::measure(ctx.rest.as_ref(), &SystemClock, ctx.recv_window_ms()).await?;
    let printer = &ctx.printer;
    if printer.is_json() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct TimeJson {
            server_time: i64,
            offset_ms: i64,
            rtt_ms: i64,
        }
        return written(printer.json(&TimeJson {
            server_time: report.server_time,
            offset_ms: report.offset_ms,
            rtt_ms: report.rtt_ms,
        }));
    }
    let direction = match report.offset_ms {
        0 => "in step with this machine",
        offset if offset > 0 => "the server is ahead of this machine",
        _ => "the server is behind this machine",
    };
    if report.verdict() != ClockVerdict::InStep
        && let Some(hint) = report.hint()
    {
        printer.warn(&format!(
            "this machine's clock is {} ms off; {hint}",
            report.offset_ms.abs()
        ));
    }
    written(printer.line(&format!(
        "server time  {} ({})\noffset       {:+} ms ({direction})\nround trip   {} ms",
        iso8601(report.server_time),
        report.server_time,
        report.offset_ms,
        report.rtt_ms
    )))
}

/// `2026-11-25T20:15:03.123Z` for milliseconds since the epoch (UTC).
fn iso8601(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis).map_or_else(
        || millis.to_string(),
        |time| time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_499_827_319_559), "2017-07-12T02:41:59.559Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
