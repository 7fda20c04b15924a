//! `mbx doctor` against the sandbox.
// See: issue #6

use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET};
use mbx_tests::run;

use crate::balances::{READ_ONLY_KEY, READ_ONLY_SECRET, Running};

fn status_of<'a>(stdout: &'a str, check: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.get(6..).is_some_and(|rest| rest.starts_with(check)))
        .map(|line| &line[..4])
        .unwrap_or_else(|| panic!("no `{check}` line in {stdout}"))
}

#[test]
fn trading_key_passes_and_is_warned_about() {
    let running = Running::demo();
    let out = run(&mut running.mbx_with_demo_key("doctor"));
    assert_eq!(out.code, 0, "{out:?}");
    for check in ["credentials", "endpoint", "clock", "signed request"] {
        assert_eq!(status_of(&out.stdout, check), "PASS", "{}", out.stdout);
    }
    assert_eq!(
        status_of(&out.stdout, "permissions"),
        "WARN",
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: this key can also trade"),
        "{}",
        out.stdout
    );
}

#[test]
fn read_only_key_passes_everything() {
    let running = Running::demo();
    let out = run(running
        .mbx("doctor")
        .env("BINANCE_API_KEY", READ_ONLY_KEY)
        .env("BINANCE_API_SECRET", READ_ONLY_SECRET));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        status_of(&out.stdout, "permissions"),
        "PASS",
        "{}",
        out.stdout
    );
}

#[test]
fn wrong_secret_fails_the_signed_request_with_the_fix() {
    let running = Running::demo();
    let out = run(running
        .mbx("doctor")
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", READ_ONLY_SECRET));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        status_of(&out.stdout, "signed request"),
        "FAIL",
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("-1022"), "{}", out.stdout);
    assert!(
        out.stdout.contains("fix: check that `BINANCE_API_SECRET`"),
        "{}",
        out.stdout
    );
}

#[test]
fn missing_credentials_fail_first_and_skip_the_signed_steps() {
    let running = Running::demo();
    let out = run(running.mbx("doctor").arg("--json"));
    assert_eq!(out.code, 2, "{out:?}");
    let body: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(body["ok"], false);
    let statuses: Vec<(&str, &str)> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            (
                check["name"].as_str().unwrap(),
                check["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("credentials", "FAIL"),
            ("key files", "SKIP"),
            ("endpoint", "PASS"),
            ("clock", "PASS"),
            ("signed request", "SKIP"),
            ("permissions", "SKIP"),
            ("rate limits", "PASS")
        ]
    );
}

#[test]
fn unreachable_endpoint_exits_3() {
    let out = run(mbx_tests::mbx()
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .args(["doctor", "--base-url", "http://127.0.0.1:1"]));
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(status_of(&out.stdout, "endpoint"), "FAIL", "{}", out.stdout);
}

#[test]
fn clock_skew_is_reported_but_signed_requests_still_pass() {
    let running = Running::demo();
    running.sandbox().set_clock_offset_ms(15_000);
    let out = run(&mut running.mbx_with_demo_key("doctor"));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(status_of(&out.stdout, "clock"), "WARN", "{}", out.stdout);
    assert_eq!(
        status_of(&out.stdout, "signed request"),
        "PASS",
        "{}",
        out.stdout
    );
}
