//! `mbx doctor`: walks the chain from credentials to a signed request and
//! says what to fix, one line per check as soon as it is done.

use mbx_adapters_rest::SystemClock;
use mbx_client::doctor::{self, Check, Patient, Status};

use crate::cli::GlobalArgs;
use crate::context::{self, ConnectArgs, Context};
use crate::error::{self as cli_error, CliError};
use crate::exit::ExitStatus;
use crate::printer::{Printer, written};

/// Check credentials, connectivity, clock and key permissions, step by step.
///
/// Prints one line per check as soon as it finishes, PASS, WARN, FAIL or
/// SKIP, and under each problem the fix:
///
///   1. credentials: an API key and a secret or private key are configured
///      and well-formed (checked locally, nothing is sent);
///   2. key files: secret and key files are readable by you only (mode 600);
///   3. endpoint: the host (named) answers `GET /api/v3/ping`;
///   4. clock: the offset to the server time fits in `recvWindow`;
///   5. signed request: `GET /api/v3/account` succeeds with this key;
///   6. permissions: `GET /sapi/v1/account/apiRestrictions` (reading, spot
///      trading, withdrawals, IP restriction); a key that can trade or
///      withdraw gets a warning, since reading needs neither;
///   7. rate limits: the weight used this minute and any active ban.
///
/// Exits 0 when nothing failed; otherwise with the exit code of the first
/// failure (2 configuration, 3 network, 1 API). With `--json`, prints
/// `{"ok":false,"checks":[{"name":..,"status":..,"detail":..,"fix":..}]}`.
///
/// A request that fails in another tool (curl, a script)? `mbx explain`
/// says why.
///
/// Examples:
///
///   mbx doctor --sandbox
///
///   mbx doctor --sandbox --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DoctorArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Runs the checks; the exit status says whether one failed (the failure is
/// already printed).
pub fn run(global: &GlobalArgs, args: DoctorArgs) -> Result<ExitStatus, CliError> {
    let mut status = ExitStatus::Success;
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = diagnose(&ctx).await;
        ctx.finish().await;
        status = res?;
        Ok(())
    })?;
    Ok(status)
}

async fn diagnose(ctx: &Context) -> Result<ExitStatus, CliError> {
    let patient = Patient {
        environment: ctx.environment(),
        credentials: ctx.config.describe_credentials(),
        key_files: ctx.config.key_files(),
        recv_window_ms: ctx.recv_window_ms(),
        market: ctx.rest.as_ref(),
        server_clock: ctx.rest.as_ref(),
        local_clock: &SystemClock,
        account: ctx.rest.as_ref(),
        rate_limits: Some(ctx.rest.as_ref()),
    };
    let printer = &ctx.printer;
    let mut failed_write = None;
    let checks = doctor::diagnose(&patient, |check| {
        if !printer.is_json()
            && failed_write.is_none()
            && let Err(err) = printer.line(&check_lines(printer, check))
        {
            failed_write = Some(err);
        }
    })
    .await;
    if let Some(err) = failed_write {
        written(Err(err))?;
    }
    if printer.is_json() {
        written(printer.json(&report_json(&checks)))?;
    } else {
        printer.notice(
            "\na request that fails in another tool (curl, a script)? `mbx explain` says why",
        );
    }
    let first_failure = checks.iter().find(|check| check.status == Status::Fail);
    Ok(first_failure.map_or(ExitStatus::Success, |check| {
        check.error.as_ref().map_or(ExitStatus::ApiError, |err| {
            cli_error::exit_status(err.category())
        })
    }))
}

const NAME_WIDTH: usize = 14;

/// `PASS  clock           offset …`, plus a `fix:` line under a problem.
fn check_lines(printer: &Printer, check: &Check) -> String {
    let status = check.status.as_str();
    let status = if printer.color() {
        let code = match check.status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "31",
            Status::Skip => "2",
        };
        format!("\x1b[{code}m{status}\x1b[0m")
    } else {
        status.to_owned()
    };
    let mut text = format!("{status}  {:<NAME_WIDTH$}  {}", check.name, check.detail);
    if let Some(fix) = fix_text(check) {
        text.push_str(&format!("\n      {:<NAME_WIDTH$}  fix: {fix}", ""));
    }
    text
}

/// `{"ok":..,"checks":[{"name":..,"status":..,"detail":..,"fix":..}]}`, in
/// the documented order.
fn report_json(checks: &[Check]) -> impl serde::Serialize {
    #[derive(serde::Serialize)]
    struct Row {
        name: &'static str,
        status: &'static str,
        detail: String,
        fix: Option<String>,
    }
    #[derive(serde::Serialize)]
    struct Report {
        ok: bool,
        checks: Vec<Row>,
    }
    Report {
        ok: !checks.iter().any(|check| check.status == Status::Fail),
        checks: checks
            .iter()
            .map(|check| Row {
                name: check.name,
                status: check.status.as_str(),
                detail: check.detail.clone(),
                fix: fix_text(check),
            })
            .collect(),
    }
}

/// The fix: the CLI's hint for the error behind a failure (it names this
/// program's flags), else the library's.
fn fix_text(check: &Check) -> Option<String> {
    check
        .error
        .clone()
        .and_then(|err| CliError::from(err).hint().map(str::to_owned))
        .or_else(|| check.fix.as_ref().map(ToString::to_string))
}
