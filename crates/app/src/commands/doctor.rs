//! `mbx doctor`: walks the chain from credentials to a signed request and
//! says what to fix.

use std::time::Instant;

use mbx_domain::model::ApiRestrictions;
use mbx_domain::ports::{AccountData as _, MarketData as _};

use crate::cli::GlobalArgs;
use crate::commands::stdout_result;
use crate::context::{self, Context};
use crate::exit::ExitStatus;
use crate::output::{UserError, print_data};

/// Check credentials, connectivity, clock and key permissions, step by step.
///
/// Prints one line per check, PASS, WARN, FAIL or SKIP, and under each
/// problem the fix:
///
///   1. credentials: an API key and a secret or private key are configured
///      and well-formed (checked locally, nothing is sent);
///   2. endpoint: the base URL answers `GET /api/v3/ping`;
///   3. clock: the offset to the server time fits in `recvWindow`;
///   4. signed request: `GET /api/v3/account` succeeds with this key;
///   5. permissions: `GET /sapi/v1/account/apiRestrictions` (reading, spot
///      trading, withdrawals, IP restriction); a key that can trade or
///      withdraw gets a warning, since reading needs neither.
///
/// Exits 0 when nothing failed; otherwise with the exit code of the first
/// failure (2 configuration, 3 network, 1 API). With `--json`, prints
/// `{"ok":false,"checks":[{"name":..,"status":..,"detail":..,"fix":..}]}`.
///
/// Example:
///
///   mbx doctor --testnet
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DoctorArgs {}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Debug)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
    exit: ExitStatus,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
            exit: ExitStatus::Success,
        }
    }

    fn with(
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check {
            name,
            status,
            detail: detail.into(),
            fix,
            exit: ExitStatus::Success,
        }
    }

    fn fail(name: &'static str, err: &UserError) -> Check {
        let detail = match (&err.endpoint, err.code) {
            (Some(endpoint), 0) => format!("{endpoint} failed: {}", err.msg),
            (Some(endpoint), code) => format!("{endpoint} failed: {code} {}", err.msg),
            (None, 0) => err.msg.clone(),
            (None, code) => format!("{code} {}", err.msg),
        };
        Check {
            name,
            status: Status::Fail,
            detail,
            fix: err.hint.clone(),
            exit: err.status,
        }
    }
}

/// Runs the checks; the exit status says whether one failed (the failure is
/// already printed).
pub fn run(global: &GlobalArgs, _args: DoctorArgs) -> Result<ExitStatus, UserError> {
    let mut status = ExitStatus::Success;
    context::block_on(async {
        let ctx = Context::resolve(global).await?;
        let checks = diagnose(&ctx).await;
        ctx.finish().await;
        status = report(global.json, &checks)?;
        Ok(())
    })?;
    Ok(status)
}

async fn diagnose(ctx: &Context) -> Vec<Check> {
    let mut checks = Vec::new();
    let have_credentials = match &ctx.credentials {
        Ok(description) => {
            checks.push(Check::pass("credentials", description.clone()));
            true
        }
        Err(err) => {
            checks.push(Check::fail("credentials", err));
            false
        }
    };

    let started = Instant::now();
    match ctx.client.ping().await {
        Ok(()) => checks.push(Check::pass(
            "endpoint",
            format!(
                "{} answered in {} ms",
                ctx.target,
                started.elapsed().as_millis()
            ),
        )),
        Err(err) => {
            checks.push(Check::fail("endpoint", &UserError::from(err)));
            for name in ["clock", "signed request", "permissions"] {
                checks.push(Check::with(
                    name,
                    Status::Skip,
                    "the endpoint is not reachable",
                    None,
                ));
            }
            return checks;
        }
    }

    match ctx.client.sync_clock().await {
        Ok(estimate) => {
            let offset = estimate.offset_ms.abs();
            let detail = format!(
                "offset {:+} ms (round trip {} ms), recvWindow {} ms",
                estimate.offset_ms, estimate.rtt_ms, ctx.recv_window_ms
            );
            let check = if offset + estimate.rtt_ms < i64::from(ctx.recv_window_ms)
                && offset <= 1000
            {
                Check::pass("clock", detail)
            } else if offset + estimate.rtt_ms < i64::from(ctx.recv_window_ms) {
                Check::with(
                    "clock",
                    Status::Warn,
                    detail,
                    Some("sync the system clock (e.g. `timedatectl set-ntp true`); mbx compensates, but the server rejects timestamps more than 1000 ms ahead from other tools".to_owned()),
                )
            } else {
                Check::with(
                    "clock",
                    Status::Warn,
                    format!("{detail}: outside recvWindow without mbx's compensation"),
                    Some("sync the system clock (e.g. `timedatectl set-ntp true`); other tools will fail with -1021 until then".to_owned()),
                )
            };
            checks.push(check);
        }
        Err(err) => checks.push(Check::fail("clock", &UserError::from(err))),
    }

    if !have_credentials {
        for name in ["signed request", "permissions"] {
            checks.push(Check::with(
                name,
                Status::Skip,
                "no usable credentials",
                None,
            ));
        }
        return checks;
    }
    match ctx.client.account(true).await {
        Ok(account) => checks.push(Check::pass(
            "signed request",
            format!(
                "GET /api/v3/account: {} non-zero balance(s), canTrade={}, canWithdraw={}",
                account.balances.iter().filter(|b| !b.is_zero()).count(),
                account.can_trade,
                account.can_withdraw
            ),
        )),
        Err(err) => {
            checks.push(Check::fail("signed request", &UserError::from(err)));
            checks.push(Check::with(
                "permissions",
                Status::Skip,
                "the signed request failed",
                None,
            ));
            return checks;
        }
    }

    if !ctx.has_sapi {
        checks.push(Check::with(
            "permissions",
            Status::Skip,
            "this environment has no `/sapi` endpoints (testnet)",
            None,
        ));
        return checks;
    }
    match ctx.client.api_restrictions().await {
        Ok(restrictions) => checks.push(permissions_check(&restrictions)),
        Err(err) => checks.push(Check::fail("permissions", &UserError::from(err))),
    }
    checks
}

fn permissions_check(restrictions: &ApiRestrictions) -> Check {
    let mut allowed = Vec::new();
    if restrictions.enable_reading {
        allowed.push("reading");
    }
    if restrictions.enable_spot_and_margin_trading {
        allowed.push("spot trading");
    }
    if restrictions.enable_withdrawals {
        allowed.push("withdrawals");
    }
    if restrictions.enable_internal_transfer {
        allowed.push("internal transfer");
    }
    if restrictions.enable_margin {
        allowed.push("margin");
    }
    if restrictions.enable_futures {
        allowed.push("futures");
    }
    let detail = format!(
        "{}; {}",
        if allowed.is_empty() {
            "no permissions".to_owned()
        } else {
            allowed.join(", ")
        },
        if restrictions.ip_restrict {
            "restricted to trusted IPs"
        } else {
            "usable from any IP"
        }
    );
    if !restrictions.enable_reading {
        return Check {
            exit: ExitStatus::ApiError,
            ..Check::with(
                "permissions",
                Status::Fail,
                detail,
                Some("enable `Enable Reading` for this key in API Management".to_owned()),
            )
        };
    }
    if restrictions.enable_withdrawals {
        return Check::with(
            "permissions",
            Status::Warn,
            detail,
            Some("this key can withdraw funds; for reading balances use a key with only `Enable Reading`, and restrict any withdrawing key to trusted IPs".to_owned()),
        );
    }
    if restrictions.can_move_funds() {
        return Check::with(
            "permissions",
            Status::Warn,
            detail,
            Some("this key can also trade; if you only read balances, create a key with only `Enable Reading`".to_owned()),
        );
    }
    Check::pass("permissions", detail)
}

fn report(json: bool, checks: &[Check]) -> Result<ExitStatus, UserError> {
    let first_failure = checks.iter().find(|check| check.status == Status::Fail);
    let out = if json {
        report_json(checks)
    } else {
        let width = checks
            .iter()
            .map(|check| check.name.len())
            .max()
            .unwrap_or(0);
        let mut lines = Vec::new();
        for check in checks {
            lines.push(format!(
                "{}  {:<width$}  {}",
                check.status.as_str(),
                check.name,
                check.detail
            ));
            if let Some(fix) = &check.fix {
                lines.push(format!("      {:<width$}  fix: {fix}", ""));
            }
        }
        lines.join("\n")
    };
    stdout_result(print_data(&out))?;
    Ok(first_failure.map_or(ExitStatus::Success, |check| check.exit))
}

/// `{"ok":..,"checks":[{"name":..,"status":..,"detail":..,"fix":..}]}`, in
/// the documented order.
fn report_json(checks: &[Check]) -> String {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        name: &'a str,
        status: &'a str,
        detail: &'a str,
        fix: Option<&'a str>,
    }
    #[derive(serde::Serialize)]
    struct Report<'a> {
        ok: bool,
        checks: Vec<Row<'a>>,
    }
    serde_json::to_string(&Report {
        ok: !checks.iter().any(|check| check.status == Status::Fail),
        checks: checks
            .iter()
            .map(|check| Row {
                name: check.name,
                status: check.status.as_str(),
                detail: &check.detail,
                fix: check.fix.as_deref(),
            })
            .collect(),
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restrictions(trade: bool, withdraw: bool) -> ApiRestrictions {
        ApiRestrictions {
            ip_restrict: false,
            enable_reading: true,
            enable_spot_and_margin_trading: trade,
            enable_withdrawals: withdraw,
            enable_internal_transfer: false,
            enable_margin: false,
            enable_futures: false,
            create_time: 0,
        }
    }

    #[test]
    fn json_is_in_the_documented_order() {
        let checks = [
            Check::pass("endpoint", "up"),
            Check::with("clock", Status::Fail, "off", Some("sync".to_owned())),
        ];
        assert_eq!(
            report_json(&checks),
            r#"{"ok":false,"checks":[{"name":"endpoint","status":"PASS","detail":"up","fix":null},{"name":"clock","status":"FAIL","detail":"off","fix":"sync"}]}"#
        );
    }

    #[test]
    fn read_only_key_passes() {
        assert_eq!(
            permissions_check(&restrictions(false, false)).status,
            Status::Pass
        );
    }

    #[test]
    fn trading_or_withdrawing_key_warns() {
        let check = permissions_check(&restrictions(true, false));
        assert_eq!(check.status, Status::Warn);
        assert!(check.fix.unwrap().contains("`Enable Reading`"));
        let check = permissions_check(&restrictions(false, true));
        assert!(check.fix.unwrap().contains("withdraw"));
    }
}
