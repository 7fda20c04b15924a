//! `mbx explain` against the sandbox: each classic hand-made mistake is a
//! real bash script with curl and `openssl dgst -sha256 -hmac`, run with
//! `bash -x`; the sandbox refuses it with Binance's error; `mbx explain` on
//! the exact `+ curl ...` line the trace printed names that mistake first
//! and prints a corrected command, which the sandbox then accepts.

use std::path::PathBuf;
use std::process::Command;

use mbx_sandbox::{
    ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Permissions, SandboxConfig,
};
use mbx_tests::{Outcome, fixture_key, fixture_key_path, mbx, run};
use serde_json::Value;

use crate::balances::Running;

/// What every recipe starts with: the demo key, its secret and the
/// sandbox's address come from the environment, as in a user's script.
const PRELUDE: &str =
    "set -u\nKEY=\"$MBX_TEST_KEY\"\nSECRET=\"$MBX_TEST_SECRET\"\nBASE=\"$MBX_TEST_BASE\"\n";

/// A recipe's run: what the sandbox answered and the curl line as traced.
struct Ran {
    answer: String,
    curl_line: String,
}

/// Runs `body` (after [`PRELUDE`]) with `bash -x` against `running`.
fn run_recipe(running: &Running, name: &str, body: &str) -> Ran {
    let path = script_path(name);
    std::fs::write(&path, format!("{PRELUDE}{body}")).expect("write the recipe");
    let out = run(Command::new("bash")
        .arg("-x")
        .arg(&path)
        .env("MBX_TEST_KEY", DEMO_API_KEY)
        .env("MBX_TEST_SECRET", DEMO_API_SECRET)
        .env("MBX_TEST_BASE", running.url())
        .env("LC_ALL", "C.UTF-8"));
    let _ = std::fs::remove_file(&path);
    let curl_line = out
        .stderr
        .lines()
        .rfind(|line| line.starts_with("+ curl"))
        .unwrap_or_else(|| panic!("no `+ curl` line in the trace: {out:?}"))
        .to_owned();
    Ran {
        answer: out.stdout.trim().to_owned(),
        curl_line,
    }
}

fn script_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mbx-explain-{name}-{}.sh", std::process::id()))
}

/// `mbx explain` with the demo secret in the environment, as a user would
/// run it, and no profile.
fn explain_command() -> Command {
    let mut command = mbx();
    command
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .arg("explain");
    command
}

/// `mbx explain --error ANSWER LINE` (text) and the same with `--json`.
fn explain(ran: &Ran, extra: &[&str]) -> (Outcome, Value) {
    let text = run(explain_command()
        .args(extra)
        .args(["--error", &ran.answer, &ran.curl_line]));
    assert_eq!(text.code, 0, "{text:?}");
    let json =
        run(explain_command()
            .args(extra)
            .args(["--json", "--error", &ran.answer, &ran.curl_line]));
    assert_eq!(json.code, 0, "{json:?}");
    for out in [&text, &json] {
        assert!(!out.stdout.contains(DEMO_API_SECRET), "{out:?}");
        assert!(!out.stderr.contains(DEMO_API_SECRET), "{out:?}");
    }
    let value: Value = serde_json::from_str(&json.stdout).expect("JSON output");
    (text, value)
}

fn first_cause(value: &Value) -> &str {
    value["findings"][0]["cause"]
        .as_str()
        .unwrap_or_else(|| panic!("no finding: {value}"))
}

fn code_of(answer: &str) -> Option<i64> {
    serde_json::from_str::<Value>(answer)
        .ok()
        .and_then(|value| value["code"].as_i64())
}

/// The corrected command: everything after the "Corrected request" line.
fn corrected(text: &Outcome) -> String {
    let mut lines = text.stdout.lines();
    assert!(
        lines.any(|line| line.starts_with("Corrected request")),
        "no corrected request in {}",
        text.stdout
    );
    lines.collect::<Vec<_>>().join("\n")
}

/// Runs the corrected command with bash, as a user would paste it.
fn run_corrected(text: &Outcome) -> String {
    run_corrected_with(text, &[])
}

fn run_corrected_with(text: &Outcome, env: &[(&str, String)]) -> String {
    let command = corrected(text);
    assert!(!command.contains(DEMO_API_SECRET), "{command}");
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(&command);
    for (name, value) in env {
        bash.env(name, value);
    }
    let out = run(&mut bash);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
}

#[track_caller]
fn check_recipe(running: &Running, name: &str, body: &str, code: i64, cause: &str) -> Outcome {
    let ran = run_recipe(running, name, body);
    assert_eq!(
        code_of(&ran.answer),
        Some(code),
        "the sandbox answered {}",
        ran.answer
    );
    let (text, json) = explain(&ran, &[]);
    assert_eq!(first_cause(&json), cause, "{}", text.stdout);
    assert!(
        text.stdout.starts_with("1. error: "),
        "the first finding comes first: {}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!("[{cause}]")),
        "{}",
        text.stdout
    );
    text
}

#[test]
fn seconds_timestamp() {
    let running = Running::demo();
    let text = check_recipe(
        &running,
        "seconds",
        r#"ts=$(date +%s)
query="omitZeroBalances=true&recvWindow=60000&timestamp=$ts"
sig=$(echo -n "$query" | openssl dgst -sha256 -hmac "$SECRET")
sig=${sig#*= }
curl -sS -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/account?$query&signature=$sig"
"#,
        -1021,
        "timestamp-in-seconds",
    );
    let answer = run_corrected(&text);
    assert!(answer.contains("\"balances\""), "{answer}");
}

#[test]
fn api_key_in_the_url() {
    let running = Running::demo();
    let text = check_recipe(
        &running,
        "key-in-url",
        r#"ts=$(date +%s%3N)
query="omitZeroBalances=true&recvWindow=60000&timestamp=$ts&apiKey=$KEY"
sig=$(echo -n "$query" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS "$BASE/api/v3/account?$query&signature=$sig"
"#,
        -2014,
        "api-key-in-parameters",
    );
    let fix = corrected(&text);
    assert!(
        fix.contains(&format!("-H 'X-MBX-APIKEY: {DEMO_API_KEY}'")),
        "{fix}"
    );
    assert!(!fix.contains("apiKey="), "{fix}");
    let answer = run_corrected(&text);
    assert!(answer.contains("\"balances\""), "{answer}");
}

#[test]
fn body_signed_as_part_of_the_query() {
    let running = Running::demo();
    let text = check_recipe(
        &running,
        "body-as-query",
        r#"ts=$(date +%s%3N)
query="symbol=BTCUSDT&side=BUY&type=MARKET"
body="quantity=0.001&recvWindow=60000&timestamp=$ts"
sig=$(echo -n "$query&$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -X POST -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/order/test?$query" -d "$body&signature=$sig"
"#,
        -1022,
        "signed-joined-with-ampersand",
    );
    assert!(
        text.stdout
            .contains("should be: symbol=BTCUSDT&side=BUY&type=MARKETquantity=0.001"),
        "{}",
        text.stdout
    );
    assert_eq!(run_corrected(&text).trim(), "{}");
}

#[test]
fn non_ascii_value_signed_before_encoding() {
    let running = Running::demo();
    let text = check_recipe(
        &running,
        "non-ascii",
        r#"ts=$(date +%s%3N)
symbol='１２３４５６'
sig=$(echo -n "symbol=$symbol&side=BUY&type=MARKET&quantity=1&recvWindow=60000&timestamp=$ts" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -X POST -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/order/test" --data-urlencode "symbol=$symbol" -d "side=BUY&type=MARKET&quantity=1&recvWindow=60000&timestamp=$ts&signature=$sig"
"#,
        -1022,
        "signed-unencoded",
    );
    let fix = corrected(&text);
    assert!(
        fix.contains("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&"),
        "{fix}"
    );
    // The sandbox lists no symbol `１２３４５６` (neither does Binance), so
    // the corrected order cannot succeed; what it shows is that the
    // signature and the rest of authentication now pass: the answer is the
    // symbol check, which runs after them.
    let answer = run_corrected(&text);
    let code = code_of(&answer);
    assert!(matches!(code, Some(-1100 | -1121)), "{answer}");
    // `--send` says so too, and exits as an API error does.
    let ran = run_recipe(
        &running,
        "non-ascii-send",
        r#"ts=$(date +%s%3N)
curl -sS -X POST -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/order/test" --data-urlencode 'symbol=１２３' -d "side=BUY&type=MARKET&quantity=1&timestamp=$ts&signature=00"
"#,
    );
    let sent = run(explain_command().args(["--send", &ran.curl_line]));
    assert_eq!(sent.code, 1, "{sent:?}");
    assert!(
        sent.stderr.contains("failed: -1100") || sent.stderr.contains("failed: -1121"),
        "{sent:?}"
    );
    assert!(!sent.stderr.contains(DEMO_API_SECRET) && !sent.stdout.contains(DEMO_API_SECRET));
}

#[test]
fn echo_without_n_signs_a_newline() {
    let running = Running::demo();
    let text = check_recipe(
        &running,
        "echo-newline",
        r#"ts=$(date +%s%3N)
query="omitZeroBalances=true&recvWindow=60000&timestamp=$ts"
sig=$(echo "$query" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/account?$query&signature=$sig"
"#,
        -1022,
        "signed-trailing-newline",
    );
    assert!(text.stdout.contains("&timestamp="), "{}", text.stdout);
    let answer = run_corrected(&text);
    assert!(answer.contains("\"balances\""), "{answer}");
}

#[test]
fn clock_behind_the_server_with_server_time() {
    // The sandbox's clock runs a minute ahead: to it, this machine's clock
    // is a minute behind, so a timestamp taken now is outside recvWindow.
    let running = Running::start(SandboxConfig {
        clock_offset_ms: 60_000,
        ..SandboxConfig::demo()
    });
    let ran = run_recipe(
        &running,
        "clock",
        r#"ts=$(date +%s%3N)
query="omitZeroBalances=true&recvWindow=20000&timestamp=$ts"
sig=$(printf '%s' "$query" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/account?$query&signature=$sig"
"#,
    );
    assert_eq!(code_of(&ran.answer), Some(-1021), "{}", ran.answer);
    let (text, json) = explain(&ran, &["--server-time"]);
    assert_eq!(first_cause(&json), "clock-skew", "{}", text.stdout);
    assert!(text.stdout.contains("behind Binance's"), "{}", text.stdout);
    // Without `--server-time` nothing goes over the network, and the
    // request looks right.
    let offline = run(explain_command().args(["--error", &ran.answer, &ran.curl_line]));
    assert!(!offline.stdout.contains("clock-skew"), "{}", offline.stdout);
    // The correction is timestamped with the server's time.
    let answer = run_corrected(&text);
    assert!(answer.contains("\"balances\""), "{answer}");
}

#[test]
fn ed25519_signature_over_a_newline() {
    const ED25519_KEY: &str = "mbxEd25519Key000000000000000000000000000000000000000000000000000e5";
    let mut config = SandboxConfig::demo();
    config.accounts[0].api_keys.push(ApiKeyConfig {
        api_key: ED25519_KEY.to_owned(),
        credential: Credential::PublicKeyPem(fixture_key("ed25519.pub.pem")),
        permissions: Permissions::read_only(),
    });
    let running = Running::start(config);
    let pem = fixture_key_path("ed25519.pem");
    let ran = run_recipe(
        &running,
        "ed25519",
        &format!(
            r#"KEY={ED25519_KEY}
ts=$(date +%s%3N)
query="omitZeroBalances=true&recvWindow=60000&timestamp=$ts"
payload_file=$(mktemp)
echo "$query" > "$payload_file"
sig=$(openssl pkeyutl -sign -rawin -inkey '{}' -in "$payload_file" | openssl base64 -A | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
rm -f "$payload_file"
curl -sS -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/account?$query&signature=$sig"
"#,
            pem.display()
        ),
    );
    assert_eq!(code_of(&ran.answer), Some(-1022), "{}", ran.answer);
    let private_body = fixture_key("ed25519.pem")
        .lines()
        .nth(1)
        .expect("PEM body")
        .to_owned();
    // With the private key: the cause, and a correction signed here.
    let (text, json) = explain(&ran, &["--key-file", &pem.display().to_string()]);
    assert_eq!(
        first_cause(&json),
        "signed-trailing-newline",
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains(&private_body), "{}", text.stdout);
    assert!(run_corrected(&text).contains("\"balances\""));
    // With the public key only: the same cause, and a script that signs with
    // `BINANCE_PRIVATE_KEY_FILE` when run.
    let public = fixture_key_path("ed25519.pub.pem").display().to_string();
    let (text, json) = explain(&ran, &["--key-file", &public]);
    assert_eq!(
        first_cause(&json),
        "signed-trailing-newline",
        "{}",
        text.stdout
    );
    assert_eq!(json["corrected"]["signed"], Value::Bool(false));
    assert!(
        text.stdout.contains("$BINANCE_PRIVATE_KEY_FILE"),
        "{}",
        text.stdout
    );
    let answer = run_corrected_with(
        &text,
        &[("BINANCE_PRIVATE_KEY_FILE", pem.display().to_string())],
    );
    assert!(answer.contains("\"balances\""), "{answer}");
}

#[test]
fn send_performs_the_corrected_request() {
    let running = Running::demo();
    let ran = run_recipe(
        &running,
        "send",
        r#"ts=$(date +%s%3N)
query="omitZeroBalances=true&recvWindow=60000&timestamp=$ts"
sig=$(echo "$query" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -H "X-MBX-APIKEY: $KEY" "$BASE/api/v3/account?$query&signature=$sig"
"#,
    );
    let before = running.log().len();
    let out = run(explain_command().args(["--send", &ran.curl_line]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Answer (HTTP 200):"), "{}", out.stdout);
    assert!(out.stdout.contains("\"balances\""), "{}", out.stdout);
    assert!(!out.stdout.contains(DEMO_API_SECRET));
    let log = running.log();
    assert_eq!(log.len(), before + 1, "{log:?}");
    assert_eq!(log[before].1, "/api/v3/account");
    assert_eq!(log[before].2, 200);
}

#[test]
fn words_after_double_dash_and_stdin() {
    let running = Running::demo();
    let url = format!(
        "{}/api/v3/account?timestamp=1767225600&signature={}",
        running.url(),
        "0".repeat(64)
    );
    let words = run(explain_command().args([
        "--json",
        "--",
        "curl",
        "-sS",
        "-X",
        "GET",
        "-H",
        &format!("X-MBX-APIKEY: {DEMO_API_KEY}"),
        &url,
    ]));
    assert_eq!(words.code, 0, "{words:?}");
    let value: Value = serde_json::from_str(&words.stdout).unwrap();
    assert_eq!(first_cause(&value), "timestamp-in-seconds", "{value}");
    assert_eq!(value["signatureMatches"], Value::Bool(false));

    let http = format!(
        "GET /api/v3/account?timestamp=1767225600000&signature={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "0".repeat(64)
    );
    let mut child = explain_command()
        .args(["--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn mbx");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), http.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("mbx ends");
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first_cause(&value), "api-key-missing", "{value}");
}

#[test]
fn payload_and_signature_only() {
    let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    // `echo` without `-n` (docs' secret; see rest-api.md § HMAC Keys).
    let out = run(mbx()
        .env(
            "BINANCE_API_SECRET",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        )
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        )
        .args([
            "explain",
            "--error",
            "-1022",
            "--payload",
            payload,
            "--signature",
            "0b435e660aa1d8d33438bba1fa5aeaac7c342772baf65f13962f98570c8e313d",
        ]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with("1. error: A line break was signed"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("NhqPtmdSJYdKjVHj"), "{}", out.stdout);
}

#[test]
fn bad_input_is_a_usage_error() {
    let out = run(explain_command().args(["echo hello"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("cannot tell what this is"),
        "{}",
        out.stderr
    );
    let out = run(explain_command().args([
        "--error",
        "nonsense",
        "curl https://api.binance.com/api/v3/time",
    ]));
    assert_eq!(out.code, 2, "{out:?}");
}
