//! One error path: the same code, category, hint and exit status over REST
//! and the WebSocket API; argument errors under `--json`; bans remembered
//! between runs; redirects refused; reads retried after `-1007`; flags only
//! where they mean something.
// See: issue #10, issue #11, issue #12

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mbx_sandbox::{DEMO_API_SECRET, Fault, SandboxConfig};
use mbx_tests::{mbx, run};

use crate::balances::Running;

/// A well-formed key the sandbox does not know.
const UNKNOWN_KEY: &str = "unknownKey000000000000000000000000000000000000000000000000000000";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|err| panic!("{err}: {text}"))
}

#[test]
fn an_unknown_key_is_the_same_error_over_rest_and_the_websocket_api() {
    let running = Running::demo();
    let with_unknown_key = |subcommand: &str| {
        let mut command = running.mbx(subcommand);
        command
            .env("BINANCE_API_KEY", UNKNOWN_KEY)
            .env("BINANCE_API_SECRET", DEMO_API_SECRET)
            .arg("--json");
        command
    };
    let rest = run(&mut with_unknown_key("balances"));
    let ws = run(with_unknown_key("user-stream").args(["--duration", "5s"]));
    for out in [&rest, &ws] {
        assert_eq!(out.code, 1, "{out:?}");
        let error = json(&out.stdout);
        assert_eq!(error["code"], -2015, "{out:?}");
        assert_eq!(error["category"], "auth");
        assert_eq!(error["retryable"], false);
        assert!(
            error["hint"].as_str().unwrap().contains("mbx doctor"),
            "{error}"
        );
    }
    // Without --json, the same lines on stderr.
    let text = run(running
        .mbx("user-stream")
        .env("BINANCE_API_KEY", UNKNOWN_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .args(["--duration", "5s"]));
    assert_eq!(text.code, 1, "{text:?}");
    assert!(
        text.stderr
            .contains("error: WS userDataStream.subscribe.signature failed: -2015"),
        "{}",
        text.stderr
    );
    assert!(text.stderr.contains("\nhint: "), "{}", text.stderr);
}

#[test]
fn argument_errors_under_json_are_json_on_stdout() {
    let out = run(mbx().args(["balances", "--json", "--no-such-flag"]));
    assert_eq!(out.code, 2, "{out:?}");
    let error = json(&out.stdout);
    assert_eq!(error["category"], "usage");
    assert_eq!(error["code"], 0);
    assert!(
        error["msg"].as_str().unwrap().contains("--no-such-flag"),
        "{error}"
    );
    assert!(error["hint"].is_string());
}

#[test]
fn connection_flags_appear_only_where_they_mean_something() {
    let sandbox_help = run(mbx().args(["sandbox", "--help"])).stdout;
    for flag in ["--testnet", "--sandbox", "--recv-window", "--base-url"] {
        assert!(
            !lists_option(&sandbox_help, flag),
            "`mbx sandbox --help` lists {flag}"
        );
    }
    let sign_help = run(mbx().args(["sign", "--help"])).stdout;
    assert!(!lists_option(&sign_help, "--sandbox"), "{sign_help}");
    assert!(
        lists_option(&sign_help, "--testnet"),
        "sign --curl targets a host"
    );
    let balances_help = run(mbx().args(["balances", "--help"])).stdout;
    assert!(
        lists_option(&balances_help, "--sandbox") && lists_option(&balances_help, "--recv-window")
    );
}

/// Whether a help text offers `flag` as one of its options (an examples
/// section may still mention it in a command of another subcommand).
fn lists_option(help: &str, flag: &str) -> bool {
    help.lines().any(|line| {
        let line = line.trim_start();
        let line = match line.split_once(", ") {
            Some((short, rest)) if short.len() == 2 && short.starts_with('-') => rest,
            _ => line,
        };
        line.strip_prefix(flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '=', '<']))
    })
}

#[test]
fn a_base_url_with_the_api_path_is_refused_with_a_hint() {
    let out = run(mbx().args(["time", "--base-url", "https://api.binance.com/api/v3"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("ends in `/api/v3`"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hint: pass the host only: `--base-url https://api.binance.com`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_ban_is_remembered_so_the_next_run_sends_nothing() {
    let running = Running::demo();
    let cache = scratch_dir("ban");
    running.sandbox().fail_next(1, Fault::Banned);
    let first = run(running
        .mbx_with_demo_key("balances")
        .env("XDG_CACHE_HOME", &cache));
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.stderr.contains("-1003"), "{}", first.stderr);
    assert!(
        first.stderr.contains("banned until") && first.stderr.contains("(local time)"),
        "{}",
        first.stderr
    );
    let requests_before = running.log().len();
    let second = run(running
        .mbx_with_demo_key("balances")
        .env("XDG_CACHE_HOME", &cache)
        .arg("--json"));
    assert_eq!(second.code, 1, "{second:?}");
    let error = json(&second.stdout);
    assert_eq!(error["category"], "ban", "{error}");
    assert_eq!(
        running.log().len(),
        requests_before,
        "the second run sent nothing during the ban"
    );
}

#[test]
fn a_second_run_after_a_429_does_not_earn_a_ban() {
    let mut config = crate::balances::with_read_only_key();
    config.limits.request_weight_per_minute = 30;
    let running = Running::start(config);
    let cache = scratch_dir("429");
    for _ in 0..3 {
        let _ = run(running
            .mbx_with_demo_key("balances")
            .env("XDG_CACHE_HOME", &cache));
    }
    let statuses: Vec<u16> = running.log().iter().map(|entry| entry.2).collect();
    assert!(
        statuses.contains(&429),
        "the limit was reached: {statuses:?}"
    );
    assert!(
        !statuses.contains(&418),
        "no request was sent into a Retry-After: {statuses:?}"
    );
}

#[test]
fn a_timeout_on_a_read_is_retried() {
    let running = Running::demo();
    running.sandbox().fail_next(1, Fault::Timeout);
    let out = run(running.mbx("api").args(["GET", "/api/v3/time"]));
    assert_eq!(out.code, 0, "{out:?}");
    let statuses: Vec<(u16, Option<i64>)> = running
        .log()
        .iter()
        .map(|entry| (entry.2, entry.3))
        .collect();
    assert_eq!(statuses, [(408, Some(-1007)), (200, None)]);
}

#[test]
fn api_signs_a_signed_endpoint_by_itself() {
    let running = Running::demo();
    let out = run(running.mbx_with_demo_key("api").args([
        "GET",
        "/api/v3/account",
        "-p",
        "omitZeroBalances=true",
    ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("\"balances\""), "{}", out.stdout);
    assert!(
        out.stderr.contains("is a USER_DATA endpoint: signing it"),
        "{}",
        out.stderr
    );
    let public = run(running.mbx("api").args(["GET", "/api/v3/time"]));
    assert!(public.stderr.is_empty(), "{}", public.stderr);
}

/// A server that answers every request with a redirect to `target` and
/// counts what it received.
fn redirecting_server(status: u16, target: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let answer = format!(
                "HTTP/1.1 {status} Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

// See: issue #12
#[test]
fn a_redirect_is_not_followed_and_nothing_reaches_the_target() {
    let (target, target_hits) = redirecting_server(500, "nowhere".into());
    for status in [301, 302, 307] {
        let (url, _) = redirecting_server(status, format!("{target}/api/v3/order?stolen=1"));
        let out = run(mbx()
            .env("BINANCE_API_KEY", crate::balances::READ_ONLY_KEY)
            .env("BINANCE_API_SECRET", DEMO_API_SECRET)
            .args(["api", "POST", "/api/v3/order", "--base-url", &url])
            .args([
                "-p",
                "symbol=BTCUSDT",
                "-p",
                "side=BUY",
                "-p",
                "type=MARKET",
            ])
            .args(["-p", "quantity=0.001", "--json"]));
        assert_eq!(out.code, 2, "{status}: {out:?}");
        let error = json(&out.stdout);
        assert!(
            error["msg"].as_str().unwrap().contains("redirected"),
            "{error}"
        );
        assert!(
            !error["msg"].as_str().unwrap().contains("stolen"),
            "{error}"
        );
    }
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "no key and no order went to the redirect target"
    );
}

// See: issue #11
#[test]
fn sign_curl_piped_to_sh_works_with_a_skewed_clock() {
    let mut config = SandboxConfig::demo();
    // The sandbox's clock is 30 s behind this machine's: a timestamp from
    // the local clock is "ahead of the server" and refused with -1021.
    config.clock_offset_ms = -30_000;
    let running = Running::start(config);
    let signed = run(running.mbx_with_demo_key("sign").args([
        "--curl",
        "GET",
        "/api/v3/account",
        "-p",
        "omitZeroBalances=true",
    ]));
    assert_eq!(signed.code, 0, "{signed:?}");
    let answer = run(std::process::Command::new("sh").args(["-c", signed.stdout.trim()]));
    assert!(answer.stdout.contains("\"balances\""), "{answer:?}");
    let local = run(running.mbx_with_demo_key("sign").args([
        "--curl",
        "GET",
        "/api/v3/account",
        "--local-time",
    ]));
    let refused = run(std::process::Command::new("sh").args(["-c", local.stdout.trim()]));
    assert!(refused.stdout.contains("-1021"), "{refused:?}");
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mbx-tests-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
