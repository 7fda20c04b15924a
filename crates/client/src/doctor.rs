//! The doctor: walks the chain from credentials to a signed request, one
//! check at a time, and says what to fix. Each check is handed to the
//! caller as soon as it is done, so a slow step shows what came before it.
//!
//! The checks, in order:
//!
//! 1. `credentials`: an API key and a secret or private key are configured
//!    and well-formed (nothing is sent);
//! 2. `key files`: the secret and key files are readable by their owner only
//!    (mode 600 on Unix);
//! 3. `endpoint`: the host answers `GET /api/v3/ping`;
//! 4. `clock`: the offset to the server's time fits in `recvWindow`
//!    ([`crate::clock::ClockReport::verdict`]);
//! 5. `signed request`: `GET /api/v3/account` succeeds with this key;
//! 6. `permissions`: `GET /sapi/v1/account/apiRestrictions`; a key that can
//!    trade or withdraw gets a warning, since reading needs neither;
//! 7. `rate limits`: the weight used this minute and any ban still running.
//!
//! A step whose prerequisite failed is skipped, with the reason.

use std::path::PathBuf;
use std::time::Instant;

use mbx_domain::environment::Environment;
use mbx_domain::model::ApiRestrictions;
use mbx_domain::ports::{AccountData, LocalClock, MarketData, RateLimitStatus, ServerClock};
use mbx_domain::{Error, Hint};

use crate::clock::{self, ClockVerdict};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, but something should change.
    Warn,
    /// Broken; the fix says what to do.
    Fail,
    /// Not run, because an earlier check failed.
    Skip,
}

impl Status {
    /// `PASS`, `WARN`, `FAIL`, `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The check's name, e.g. `clock`.
    pub name: &'static str,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, when something should change.
    pub fix: Option<Hint>,
    /// The error behind a failure (its category decides an exit code).
    pub error: Option<Error>,
}

impl Check {
    fn new(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
        Check {
            name,
            status,
            detail: detail.into(),
            fix: None,
            error: None,
        }
    }

    fn with_fix(mut self, fix: Option<Hint>) -> Check {
        self.fix = fix;
        self
    }

    fn failed(name: &'static str, error: Error) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: error.to_string(),
            fix: error.hint(),
            error: Some(error),
        }
    }
}

/// How the credentials were resolved: a description of their source (no
/// secret in it), or why there are none.
pub type CredentialsStatus = Result<String, Error>;

/// Everything the doctor looks at.
pub struct Patient<'a> {
    /// Where requests go.
    pub environment: &'a Environment,
    /// The credentials' source, or why there are none.
    pub credentials: CredentialsStatus,
    /// Files holding a secret or private key, to check their mode.
    pub key_files: Vec<PathBuf>,
    /// The `recvWindow` requests are signed with.
    pub recv_window_ms: u32,
    /// Public market data.
    pub market: &'a dyn MarketData,
    /// The server's clock.
    pub server_clock: &'a dyn ServerClock,
    /// The local clock.
    pub local_clock: &'a dyn LocalClock,
    /// The signed account endpoints.
    pub account: &'a dyn AccountData,
    /// The client's rate-limit state, when it keeps one.
    pub rate_limits: Option<&'a dyn RateLimitStatus>,
}

impl std::fmt::Debug for Patient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patient")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("key_files", &self.key_files)
            .finish_non_exhaustive()
    }
}

/// Runs the checks in order, handing each to `on_check` as soon as it is
/// done, and returns them all.
pub async fn diagnose(patient: &Patient<'_>, mut on_check: impl FnMut(&Check)) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut report = |check: Check, checks: &mut Vec<Check>| {
        on_check(&check);
        checks.push(check);
    };

    let have_credentials = match &patient.credentials {
        Ok(description) => {
            report(
                Check::new("credentials", Status::Pass, description.clone()),
                &mut checks,
            );
            true
        }
        Err(err) => {
            report(Check::failed("credentials", err.clone()), &mut checks);
            false
        }
    };
    report(key_file_check(&patient.key_files), &mut checks);

    let host = patient.environment.rest_host();
    let started = Instant::now();
    match patient.market.ping().await {
        Ok(()) => report(
            Check::new(
                "endpoint",
                Status::Pass,
                format!(
                    "GET /api/v3/ping on {host} ({}) answered in {} ms",
                    patient.environment,
                    started.elapsed().as_millis()
                ),
            ),
            &mut checks,
        ),
        Err(err) => {
            report(Check::failed("endpoint", err), &mut checks);
            for name in ["clock", "signed request", "permissions"] {
                report(
                    Check::new(name, Status::Skip, format!("{host} is not reachable")),
                    &mut checks,
                );
            }
            report(rate_limit_check(patient.rate_limits), &mut checks);
            return checks;
        }
    }

    let clock_check = match clock::measure(
        patient.server_clock,
        patient.local_clock,
        patient.recv_window_ms,
    )
    .await
    {
        Ok(clock) => {
            let detail = format!(
                "offset {:+} ms (round trip {} ms), recvWindow {} ms",
                clock.offset_ms, clock.rtt_ms, clock.recv_window_ms
            );
            match clock.verdict() {
                ClockVerdict::InStep => Check::new("clock", Status::Pass, detail),
                ClockVerdict::Skewed => {
                    Check::new("clock", Status::Warn, detail).with_fix(clock.hint())
                }
                ClockVerdict::OutsideRecvWindow => Check::new(
                    "clock",
                    Status::Warn,
                    format!(
                        "{detail}: outside recvWindow for tools that sign with the local clock"
                    ),
                )
                .with_fix(clock.hint()),
            }
        }
        Err(err) => Check::failed("clock", err),
    };
    report(clock_check, &mut checks);

    if !have_credentials {
        for name in ["signed request", "permissions"] {
            report(
                Check::new(name, Status::Skip, "no usable credentials"),
                &mut checks,
            );
        }
        report(rate_limit_check(patient.rate_limits), &mut checks);
        return checks;
    }
    match patient.account.account(true).await {
        Ok(account) => report(
            Check::new(
                "signed request",
                Status::Pass,
                format!(
                    "GET /api/v3/account: {} non-zero balance(s), canTrade={}, canWithdraw={}",
                    account.balances.iter().filter(|b| !b.is_zero()).count(),
                    account.can_trade,
                    account.can_withdraw
                ),
            ),
            &mut checks,
        ),
        Err(err) => {
            report(Check::failed("signed request", err), &mut checks);
            report(
                Check::new("permissions", Status::Skip, "the signed request failed"),
                &mut checks,
            );
            report(rate_limit_check(patient.rate_limits), &mut checks);
            return checks;
        }
    }

    let permissions = if patient.environment.has_sapi() {
        match patient.account.api_restrictions().await {
            Ok(restrictions) => permissions_check(&restrictions),
            Err(err) => Check::failed("permissions", err),
        }
    } else {
        Check::new(
            "permissions",
            Status::Skip,
            format!("{} has no `/sapi` endpoints", patient.environment),
        )
    };
    report(permissions, &mut checks);
    report(rate_limit_check(patient.rate_limits), &mut checks);
    checks
}

/// Secret and key files must be readable by their owner only.
fn key_file_check(files: &[PathBuf]) -> Check {
    if files.is_empty() {
        return Check::new("key files", Status::Skip, "no secret or key file in use");
    }
    let mut open_to_others = Vec::new();
    for file in files {
        if let Some(mode) = file_mode(file)
            && mode & 0o077 != 0
        {
            open_to_others.push(format!("{} (mode {:o})", file.display(), mode & 0o777));
        }
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if open_to_others.is_empty() {
        Check::new(
            "key files",
            Status::Pass,
            format!("{} readable by its owner only", names.join(", ")),
        )
    } else {
        Check::new(
            "key files",
            Status::Warn,
            format!("readable by others: {}", open_to_others.join(", ")),
        )
        .with_fix(Some(Hint::new(format!(
            "make them private: `chmod 600 {}`",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ))))
    }
}

#[cfg(unix)]
fn file_mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &std::path::Path) -> Option<u32> {
    None
}

fn rate_limit_check(status: Option<&dyn RateLimitStatus>) -> Check {
    let Some(status) = status else {
        return Check::new("rate limits", Status::Skip, "the client keeps no ledger");
    };
    let used = status
        .used_weight_1m()
        .map_or("unknown".to_owned(), |used| used.to_string());
    match status.backoff() {
        Some(backoff) if backoff.banned => Check::new(
            "rate limits",
            Status::Fail,
            format!(
                "this IP is banned until server time {} ms",
                backoff.until_ms
            ),
        )
        .with_fix(Some(Hint::new(
            "send nothing until the ban ends, then use WebSocket Streams instead of polling",
        ))),
        Some(backoff) => Check::new(
            "rate limits",
            Status::Warn,
            format!(
                "used weight {used} this minute; the server asked to wait until server time {} ms",
                backoff.until_ms
            ),
        )
        .with_fix(Some(Hint::new(
            "wait before the next request; another one before then gets the IP banned (418)",
        ))),
        None => Check::new(
            "rate limits",
            Status::Pass,
            format!("used weight {used} this minute; no ban"),
        ),
    }
}

/// A read-only key passes; one that can trade or withdraw gets a warning.
pub fn permissions_check(restrictions: &ApiRestrictions) -> Check {
    let flags = [
        (restrictions.enable_reading, "reading"),
        (restrictions.enable_spot_and_margin_trading, "spot trading"),
        (restrictions.enable_withdrawals, "withdrawals"),
        (restrictions.enable_internal_transfer, "internal transfer"),
        (restrictions.enable_margin, "margin"),
        (restrictions.enable_futures, "futures"),
    ];
    let allowed: Vec<&str> = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
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
        let error = Error::Api(mbx_domain::BinanceError::new(
            403,
            None,
            "the API key may not read",
            "GET /sapi/v1/account/apiRestrictions",
        ));
        return Check {
            error: Some(error),
            ..Check::new("permissions", Status::Fail, detail).with_fix(Some(Hint::new(
                "enable `Enable Reading` for this key in API Management",
            )))
        };
    }
    if restrictions.enable_withdrawals {
        return Check::new("permissions", Status::Warn, detail).with_fix(Some(Hint::new(
            "this key can withdraw funds; for reading balances use a key with only `Enable Reading`, and restrict any withdrawing key to trusted IPs",
        )));
    }
    if restrictions.can_move_funds() {
        return Check::new("permissions", Status::Warn, detail).with_fix(Some(Hint::new(
            "this key can also trade; if you only read balances, create a key with only `Enable Reading`",
        )));
    }
    Check::new("permissions", Status::Pass, detail)
}

#[cfg(test)]
mod tests {
    use mbx_domain::model::Account;
    use mbx_domain::ports::{
        MockAccountData, MockLocalClock, MockMarketData, MockRateLimitStatus, MockServerClock,
    };
    use mbx_domain::rate_limit::ServerBackoff;
    use mbx_domain::{BinanceError, Category, Cause, ConfigError};

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

    fn account() -> Account {
        serde_json::from_value(serde_json::json!({
            "canTrade": true, "canWithdraw": false, "canDeposit": true, "updateTime": 1,
            "balances": [{"asset": "BTC", "free": "1.0", "locked": "0.0"}]
        }))
        .unwrap()
    }

    struct Ports {
        market: MockMarketData,
        server: MockServerClock,
        local: MockLocalClock,
        account: MockAccountData,
        limits: MockRateLimitStatus,
    }

    fn healthy() -> Ports {
        let mut market = MockMarketData::new();
        market.expect_ping().returning(|| Ok(()));
        let mut server = MockServerClock::new();
        server.expect_server_time().returning(|| Ok(1_000_000));
        let mut local = MockLocalClock::new();
        local.expect_now_ms().returning(|| 1_000_000);
        let mut account_port = MockAccountData::new();
        account_port.expect_account().returning(|_| Ok(account()));
        account_port
            .expect_api_restrictions()
            .returning(|| Ok(restrictions(false, false)));
        let mut limits = MockRateLimitStatus::new();
        limits.expect_used_weight_1m().returning(|| Some(42));
        limits.expect_backoff().returning(|| None);
        Ports {
            market,
            server,
            local,
            account: account_port,
            limits,
        }
    }

    async fn run(ports: &Ports, credentials: CredentialsStatus) -> Vec<Check> {
        let environment = Environment::Production;
        let patient = Patient {
            environment: &environment,
            credentials,
            key_files: Vec::new(),
            recv_window_ms: 5000,
            market: &ports.market,
            server_clock: &ports.server,
            local_clock: &ports.local,
            account: &ports.account,
            rate_limits: Some(&ports.limits),
        };
        let mut streamed = Vec::new();
        let checks = diagnose(&patient, |check| streamed.push(check.name)).await;
        assert_eq!(
            streamed,
            checks.iter().map(|c| c.name).collect::<Vec<_>>(),
            "every check is handed over as it is done"
        );
        checks
    }

    fn statuses(checks: &[Check]) -> Vec<(&'static str, Status)> {
        checks.iter().map(|c| (c.name, c.status)).collect()
    }

    #[tokio::test]
    async fn a_healthy_read_only_key_passes_everything() {
        let checks = run(&healthy(), Ok("HMAC key from the environment".into())).await;
        assert_eq!(
            statuses(&checks),
            [
                ("credentials", Status::Pass),
                ("key files", Status::Skip),
                ("endpoint", Status::Pass),
                ("clock", Status::Pass),
                ("signed request", Status::Pass),
                ("permissions", Status::Pass),
                ("rate limits", Status::Pass),
            ]
        );
        assert!(
            checks[2].detail.contains("api.binance.com"),
            "{}",
            checks[2].detail
        );
        assert!(checks[6].detail.contains("42"));
    }

    #[tokio::test]
    async fn missing_credentials_fail_and_skip_the_signed_steps() {
        let checks = run(&healthy(), Err(Error::Config(ConfigError::NoApiKey))).await;
        assert_eq!(checks[0].status, Status::Fail);
        assert_eq!(
            checks[0].error.as_ref().map(Error::category),
            Some(Category::Configuration)
        );
        assert!(checks[0].fix.is_some());
        assert_eq!(checks[4].status, Status::Skip);
        assert_eq!(checks[5].status, Status::Skip);
    }

    #[tokio::test]
    async fn an_unreachable_host_fails_the_endpoint_and_skips_the_rest() {
        let mut ports = healthy();
        ports.market = MockMarketData::new();
        ports.market.expect_ping().returning(|| {
            Err(Error::Transport {
                endpoint: "GET /api/v3/ping".into(),
                cause: Cause::new("cannot connect"),
            })
        });
        let checks = run(&ports, Ok("key".into())).await;
        assert_eq!(checks[2].status, Status::Fail);
        assert_eq!(
            checks[2].error.as_ref().map(Error::category),
            Some(Category::Network)
        );
        assert!(checks[3..6].iter().all(|c| c.status == Status::Skip));
    }

    #[tokio::test]
    async fn a_rejected_key_fails_the_signed_request_with_binances_hint() {
        let mut ports = healthy();
        ports.account = MockAccountData::new();
        ports.account.expect_account().returning(|_| {
            Err(Error::Api(BinanceError::new(
                401,
                Some(-2015),
                "Invalid API-key, IP, or permissions for action.",
                "GET /api/v3/account",
            )))
        });
        let checks = run(&ports, Ok("key".into())).await;
        let signed = &checks[4];
        assert_eq!(signed.status, Status::Fail);
        assert!(signed.detail.contains("-2015"));
        assert!(signed.fix.as_ref().unwrap().as_str().contains("IP"));
        assert_eq!(checks[5].status, Status::Skip);
    }

    #[tokio::test]
    async fn a_skewed_clock_warns() {
        let mut ports = healthy();
        ports.server = MockServerClock::new();
        ports
            .server
            .expect_server_time()
            .returning(|| Ok(1_007_000));
        let checks = run(&ports, Ok("key".into())).await;
        assert_eq!(checks[3].status, Status::Warn);
        assert!(checks[3].detail.contains("+7000"), "{}", checks[3].detail);
        assert!(checks[3].fix.is_some());
    }

    #[tokio::test]
    async fn an_active_ban_fails_the_rate_limit_check() {
        let mut ports = healthy();
        ports.limits = MockRateLimitStatus::new();
        ports
            .limits
            .expect_used_weight_1m()
            .returning(|| Some(6000));
        ports.limits.expect_backoff().returning(|| {
            Some(ServerBackoff {
                until_ms: 2_000_000,
                banned: true,
            })
        });
        let checks = run(&ports, Ok("key".into())).await;
        assert_eq!(checks.last().unwrap().status, Status::Fail);
        assert!(checks.last().unwrap().detail.contains("banned"));
    }

    #[test]
    fn trading_or_withdrawing_key_warns() {
        assert_eq!(
            permissions_check(&restrictions(false, false)).status,
            Status::Pass
        );
        let check = permissions_check(&restrictions(true, false));
        assert_eq!(check.status, Status::Warn);
        assert!(check.fix.unwrap().as_str().contains("`Enable Reading`"));
        let check = permissions_check(&restrictions(false, true));
        assert!(check.fix.unwrap().as_str().contains("withdraw"));
    }

    #[cfg(unix)]
    #[test]
    fn key_files_open_to_others_warn() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("mbx-doctor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "s").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let check = key_file_check(std::slice::from_ref(&file));
        assert_eq!(check.status, Status::Warn);
        assert!(check.fix.unwrap().as_str().contains("chmod 600"));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(key_file_check(&[file]).status, Status::Pass);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
