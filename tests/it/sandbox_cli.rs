//! `mbx sandbox` as a process: it prints its URL and credentials, serves,
//! and stops on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use mbx_tests::mbx;

#[test]
fn help_teaches_with_an_example() {
    let output = mbx().args(["sandbox", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(text.contains("mbx sandbox --port 9900"), "{text}");
    assert!(text.contains("throwaway"), "{text}");
}

#[test]
fn prints_url_and_demo_credentials_then_stops_on_ctrl_c() {
    let mut child = mbx()
        .args([
            "sandbox",
            "--port",
            "0",
            "--seed",
            "3",
            "--balances",
            "BTC=2,USDT=500",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let text = printed.join("\n");
    assert!(text.contains(mbx_sandbox::DEMO_API_KEY), "{text}");
    assert!(text.contains(mbx_sandbox::DEMO_API_SECRET), "{text}");
    assert!(text.contains("BTC=2, USDT=500"), "{text}");
    let url = text
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_owned();
    let ping = std::net::TcpStream::connect(url.trim_start_matches("http://"));
    assert!(ping.is_ok(), "{url} does not accept connections");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn api_key_without_a_credential_is_a_usage_error() {
    let output = mbx()
        .args(["sandbox", "--api-key", "myKey"])
        .env_remove("MBX_SANDBOX_API_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("MBX_SANDBOX_API_SECRET"), "{text}");
}

/// Starts `mbx sandbox` with `args` and returns it with the lines it printed
/// before "Press Ctrl-C".
fn start(args: &[&str]) -> (std::process::Child, String) {
    let mut child = mbx()
        .arg("sandbox")
        .args(args)
        .env_remove("MBX_SANDBOX_API_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    (child, printed.join("\n"))
}

fn stop(mut child: std::process::Child) {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn config_file_sets_accounts_and_keys() {
    let dir = std::env::temp_dir().join(format!("mbx-sandbox-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sandbox.toml");
    std::fs::write(
        &path,
        "seed = 9\n[[accounts]]\nuid = 5\nbalances = { BTC = \"3\" }\n[[accounts.api_keys]]\napi_key = \"fileKey1\"\nsecret = \"fileSecret1\"\nread_only = true\n",
    )
    .unwrap();
    let (child, text) = start(&["--port", "0", "--config", path.to_str().unwrap()]);
    stop(child);
    assert!(
        text.contains("fileKey1  (uid 5, HMAC, read-only)"),
        "{text}"
    );
    assert!(text.contains("uid 5: BTC=3"), "{text}");
    assert!(text.contains("seed       9"), "{text}");
    assert!(!text.contains("fileSecret1"), "{text}");
}

#[test]
fn public_key_flag_registers_an_ed25519_key() {
    let key =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/ed25519.pub.pem");
    let (child, text) = start(&[
        "--port",
        "0",
        "--api-key",
        "edKey1",
        "--ed25519-public-key-file",
        key.to_str().unwrap(),
        "--read-only",
    ]);
    stop(child);
    assert!(text.contains("edKey1  (Ed25519, read-only)"), "{text}");
}
