//! `mbx balances` against the sandbox, plus the sandbox helpers the
//! REST-client tests share (`api`, `time`, `doctor`).
// See: issue #6

use std::future::Future;
use std::process::Command;

use mbx_sandbox::{
    ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Fault, Permissions, Sandbox,
    SandboxConfig,
};
use mbx_tests::{mbx, run};

/// A read-only key added to the demo account by [`with_read_only_key`].
pub const READ_ONLY_KEY: &str =
    "mbxReadOnlyKey00000000000000000000000000000000000000000000000000c3";
/// Its secret.
pub const READ_ONLY_SECRET: &str =
    "mbxReadOnlySecret0000000000000000000000000000000000000000000000d4";

/// A sandbox running on its own Tokio runtime, shut down on drop, so that
/// plain `#[test]`s can run the `mbx` binary against it.
pub struct Running {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<Sandbox>,
}

impl Running {
    pub fn start(config: SandboxConfig) -> Running {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime
            .block_on(Sandbox::start(config))
            .expect("sandbox starts");
        Running {
            runtime,
            sandbox: Some(sandbox),
        }
    }

    pub fn demo() -> Running {
        Running::start(with_read_only_key())
    }

    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("running")
    }

    pub fn url(&self) -> String {
        self.sandbox().rest_url()
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// `(method, path, status, code)` of every request the sandbox saw.
    pub fn log(&self) -> Vec<(String, String, u16, Option<i64>)> {
        self.sandbox()
            .request_log()
            .into_iter()
            .map(|entry| (entry.method, entry.path, entry.status, entry.code))
            .collect()
    }

    /// `mbx SUBCOMMAND --base-url URL` for this sandbox, with no
    /// credentials and no profile.
    pub fn mbx(&self, subcommand: &str) -> Command {
        let mut command = mbx();
        command
            .env(
                "MBX_CONFIG",
                std::env::temp_dir().join("mbx-tests-no-config.toml"),
            )
            .env_remove("XDG_CONFIG_HOME")
            .args([subcommand, "--base-url", &self.url()]);
        command
    }

    /// The same with the demo credentials in the environment.
    pub fn mbx_with_demo_key(&self, subcommand: &str) -> Command {
        let mut command = self.mbx(subcommand);
        command
            .env("BINANCE_API_KEY", DEMO_API_KEY)
            .env("BINANCE_API_SECRET", DEMO_API_SECRET);
        command
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
    }
}

/// The demo configuration plus a read-only key on the same account.
pub fn with_read_only_key() -> SandboxConfig {
    let mut config = SandboxConfig::demo();
    config.accounts[0].api_keys.push(ApiKeyConfig {
        api_key: READ_ONLY_KEY.to_owned(),
        credential: Credential::HmacSecret(READ_ONLY_SECRET.to_owned()),
        permissions: Permissions::read_only(),
    });
    config
}

/// `mbx balances ARGS` with the demo key.
fn balances(running: &Running, args: &[&str]) -> mbx_tests::Outcome {
    run(running.mbx_with_demo_key("balances").args(args))
}

#[test]
fn shows_non_zero_balances_as_a_table() {
    let running = Running::demo();
    let out = balances(&running, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ASSET", "FREE", "LOCKED", "TOTAL"]
    );
    let btc = lines
        .iter()
        .find(|line| line.starts_with("BTC "))
        .expect("a BTC row");
    assert_eq!(
        btc.split_whitespace().collect::<Vec<_>>(),
        ["BTC", "1.50000000", "0.00000000", "1.50000000"]
    );
    assert!(
        !out.stdout.contains("EOS"),
        "zero balances are hidden: {}",
        out.stdout
    );
}

#[test]
fn all_includes_zero_balances() {
    let running = Running::demo();
    let out = balances(&running, &["--all"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().any(|line| line.starts_with("EOS ")),
        "{}",
        out.stdout
    );
}

#[test]
fn json_prints_the_server_strings() {
    let running = Running::demo();
    let out = balances(&running, &["--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let btc = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["asset"] == "BTC")
        .unwrap();
    assert_eq!(
        btc,
        &serde_json::json!({"asset": "BTC", "free": "1.50000000", "locked": "0.00000000"})
    );
}

#[test]
fn quote_adds_values_and_a_total() {
    let running = Running::demo();
    let out = balances(&running, &["--quote", "USDT"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().next().unwrap().ends_with("VALUE (USDT)"),
        "{}",
        out.stdout
    );
    let usdt = out.stdout.lines().find(|l| l.starts_with("USDT ")).unwrap();
    assert!(usdt.ends_with("10000.00"), "{usdt}");
    assert!(
        out.stdout.lines().last().unwrap().starts_with("TOTAL"),
        "{}",
        out.stdout
    );
}

#[test]
fn sandbox_flag_needs_no_setup() {
    let out = run(mbx()
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .args(["balances", "--sandbox"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().any(|line| line.starts_with("BTC ")),
        "{out:?}"
    );
    assert!(out.stderr.contains("embedded sandbox"), "{out:?}");
}

#[test]
fn wrong_secret_gets_1022_and_its_hint() {
    let running = Running::demo();
    let out = run(running
        .mbx("balances")
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", READ_ONLY_SECRET));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: GET /api/v3/account failed: -1022 "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("\n\nhint: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("`BINANCE_API_SECRET`"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn missing_key_is_caught_before_sending() {
    let running = Running::demo();
    let out = run(running
        .mbx("balances")
        .env("BINANCE_API_SECRET", DEMO_API_SECRET));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("no API key configured"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`BINANCE_API_KEY`"), "{}", out.stderr);
    assert!(running.log().is_empty(), "{:?}", running.log());
}

#[test]
fn malformed_key_is_caught_before_sending() {
    let running = Running::demo();
    for bad in [
        format!("\"{DEMO_API_KEY}\""),
        format!("{DEMO_API_KEY} "),
        "key-with-dashes".to_owned(),
    ] {
        let out = run(running
            .mbx("balances")
            .arg("--json")
            .env("BINANCE_API_KEY", &bad)
            .env("BINANCE_API_SECRET", DEMO_API_SECRET));
        assert_eq!(out.code, 2, "{out:?}");
        let error: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(
            error["msg"]
                .as_str()
                .unwrap()
                .contains("the API key is malformed"),
            "{error}"
        );
        assert!(
            error["hint"].as_str().unwrap().contains("API Management"),
            "{error}"
        );
    }
    assert!(running.log().is_empty(), "{:?}", running.log());
}

#[test]
fn clock_15_seconds_ahead_or_behind_still_succeeds() {
    let running = Running::demo();
    for offset_ms in [15_000, -15_000] {
        running.sandbox().set_clock_offset_ms(offset_ms);
        let out = balances(&running, &["--json"]);
        assert_eq!(out.code, 0, "offset {offset_ms}: {out:?}");
    }
}

#[test]
fn forced_429_is_waited_out() {
    let running = Running::demo();
    running.sandbox().fail_next(1, Fault::TooManyRequests);
    let out = balances(&running, &["--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("`Retry-After`"), "{}", out.stderr);
    let statuses: Vec<u16> = running.log().iter().map(|entry| entry.2).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
}

#[test]
fn secret_never_reaches_the_request_log_or_verbose_output() {
    let running = Running::demo();
    let out = balances(&running, &["-vv"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("signature=<redacted>"),
        "{}",
        out.stderr
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(DEMO_API_SECRET), "secret leaked: {text}");
        assert!(!text.contains(DEMO_API_KEY), "API key leaked: {text}");
    }
    for entry in running.sandbox().request_log() {
        let line = format!(
            "{} {} {} {:?}",
            entry.method, entry.path, entry.status, entry.code
        );
        assert!(
            !line.contains(DEMO_API_SECRET) && !line.contains("signature"),
            "{line}"
        );
    }
}

#[test]
fn profile_file_supplies_environment_and_credentials() {
    let running = Running::demo();
    let dir = std::env::temp_dir().join(format!("mbx-tests-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_path = dir.join("sandbox.secret");
    std::fs::write(&secret_path, format!("{READ_ONLY_SECRET}\n")).unwrap();
    let config_path = dir.join("config.toml");
    std::fs::write(
        &config_path,
        format!(
            "[profiles.local]\nenvironment = \"{}\"\napi_key = \"{READ_ONLY_KEY}\"\nsecret_file = \"{}\"\n",
            running.url(),
            secret_path.display()
        ),
    )
    .unwrap();
    let out = run(mbx().env("MBX_CONFIG", &config_path).args([
        "balances",
        "--profile",
        "local",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("\"BTC\""), "{}", out.stdout);

    let out = run(mbx()
        .env("MBX_CONFIG", &config_path)
        .args(["balances", "--profile", "missing"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("profile `missing` not found"),
        "{}",
        out.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ed25519_key_file_signs_the_request() {
    const ED25519_KEY: &str = "mbxEd25519Key000000000000000000000000000000000000000000000000000e5";
    let mut config = SandboxConfig::demo();
    config.accounts[0].api_keys.push(ApiKeyConfig {
        api_key: ED25519_KEY.to_owned(),
        credential: Credential::PublicKeyPem(mbx_tests::fixture_key("ed25519.pub.pem")),
        permissions: Permissions::read_only(),
    });
    let running = Running::start(config);
    let out = run(running
        .mbx("balances")
        .arg("--json")
        .env("BINANCE_API_KEY", ED25519_KEY)
        .env(
            "BINANCE_PRIVATE_KEY_FILE",
            mbx_tests::fixture_key_path("ed25519.pem"),
        ));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("\"BTC\""), "{}", out.stdout);
}

#[test]
fn a_ban_is_reported_with_its_hint() {
    let running = Running::demo();
    running.sandbox().fail_next(1, Fault::Banned);
    let out = balances(&running, &["--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let error: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(error["code"], -1003);
    assert!(
        error["hint"].as_str().unwrap().contains("banned"),
        "{error}"
    );
}

#[test]
fn recv_window_is_checked_and_used() {
    let running = Running::demo();
    let out = balances(&running, &["--recv-window", "60000"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = balances(&running, &["--recv-window", "60001"]);
    assert_eq!(out.code, 2, "{out:?}");
}
