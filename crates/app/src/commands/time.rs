//! `mbx time`: the server time and this machine's offset from it.

use mbx_adapters_rest::SystemClock;
use mbx_domain::ports::LocalClock as _;

use crate::cli::GlobalArgs;
use crate::commands::stdout_result;
use crate::context::{self, Context};
use crate::output::{UserError, print_data};

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
/// Example:
///
///   mbx time --testnet
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TimeArgs {}

pub fn run(global: &GlobalArgs, _args: TimeArgs) -> Result<(), UserError> {
    context::block_on(async {
        let ctx = Context::resolve(global).await?;
        let res = show(&ctx).await;
        ctx.finish().await;
        res
    })
}

async fn show(ctx: &Context) -> Result<(), UserError> {
    let estimate = ctx.client.sync_clock().await?;
    let server_time = SystemClock.now_ms() + estimate.offset_ms;
    let out = if ctx.json {
        time_json(server_time, estimate.offset_ms, estimate.rtt_ms)
    } else {
        let direction = match estimate.offset_ms {
            0 => "in step with this machine",
            offset if offset > 0 => "the server is ahead of this machine",
            _ => "the server is behind this machine",
        };
        format!(
            "server time  {} ({server_time})\noffset       {:+} ms ({direction})\nround trip   {} ms",
            iso8601(server_time),
            estimate.offset_ms,
            estimate.rtt_ms
        )
    };
    if !ctx.json && estimate.offset_ms.abs() > 1000 {
        eprintln!(
            "warning: this machine's clock is {} ms off; mbx compensates, but sync the system clock (e.g. `timedatectl set-ntp true`) for other tools",
            estimate.offset_ms.abs()
        );
    }
    stdout_result(print_data(&out))
}

/// `{"serverTime":..,"offsetMs":..,"rttMs":..}`, in the documented order.
fn time_json(server_time: i64, offset_ms: i64, rtt_ms: i64) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TimeJson {
        server_time: i64,
        offset_ms: i64,
        rtt_ms: i64,
    }
    serde_json::to_string(&TimeJson {
        server_time,
        offset_ms,
        rtt_ms,
    })
    .unwrap_or_default()
}

/// `2026-11-25T20:15:03.123Z` for milliseconds since the epoch (UTC).
pub fn iso8601(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days` algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_in_the_documented_order() {
        assert_eq!(
            time_json(1_764_100_000_000, -12, 3),
            r#"{"serverTime":1764100000000,"offsetMs":-12,"rttMs":3}"#
        );
    }

    #[test]
    fn formats_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_499_827_319_559), "2017-07-12T02:41:59.559Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
