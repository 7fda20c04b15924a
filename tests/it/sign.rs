//! `mbx sign`: signatures, curl commands and their errors.

use mbx_signing::{HmacKey, Signer, Verifier, payload};
use mbx_tests::{DOCS_API_KEY, DOCS_SECRET, fixture_key, fixture_key_path, mbx, run};

const DOCS_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

#[test]
fn signs_the_docs_example_with_the_env_secret() {
    let out =
        run(mbx()
            .env("BINANCE_API_SECRET", DOCS_SECRET)
            .args(["sign", "--payload", DOCS_PAYLOAD]));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71\n"
    );
}

#[test]
fn reads_the_payload_from_stdin() {
    use std::io::Write as _;
    let mut child = mbx()
        .env("BINANCE_API_SECRET", DOCS_SECRET)
        .args(["sign", "--payload", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{DOCS_PAYLOAD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71\n"
    );
}

#[test]
fn signs_with_a_secret_file_and_ignores_its_newline() {
    let dir = tempdir();
    let path = dir.join("secret.txt");
    std::fs::write(&path, format!("{DOCS_SECRET}\n")).unwrap();
    let out = run(mbx()
        .args(["sign", "--payload", DOCS_PAYLOAD, "--secret-file"])
        .arg(&path));
    assert_eq!(
        out.stdout.trim(),
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    );
}

#[test]
fn signs_with_ed25519_and_rsa_key_files() {
    for (private, public, length) in [
        ("ed25519.pem", "ed25519.pub.pem", 88),
        ("rsa.pem", "rsa.pub.pem", 344),
    ] {
        let out = run(mbx()
            .args(["sign", "--payload", DOCS_PAYLOAD, "--key-file"])
            .arg(fixture_key_path(private)));
        assert_eq!(out.code, 0, "{out:?}");
        let signature = out.stdout.trim();
        assert_eq!(signature.len(), length, "{private}");
        let verifier = Verifier::from_public_key_pem(&fixture_key(public)).unwrap();
        assert_eq!(
            verifier.verify(DOCS_PAYLOAD.as_bytes(), signature),
            Ok(()),
            "{private}"
        );
    }
}

#[test]
fn json_output_names_the_key_type() {
    let out = run(mbx().env("BINANCE_API_SECRET", DOCS_SECRET).args([
        "--json",
        "sign",
        "--payload",
        DOCS_PAYLOAD,
    ]));
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["keyType"], "HMAC");
    assert_eq!(
        value["signature"],
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    );
}

#[test]
fn no_secret_is_a_configuration_error_with_a_hint() {
    let out = run(mbx().args(["sign", "--payload", DOCS_PAYLOAD]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no secret configured"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: set `BINANCE_API_SECRET`"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn no_secret_under_json_is_a_json_error_on_stdout() {
    let out = run(mbx().args(["--json", "sign", "--payload", DOCS_PAYLOAD]));
    assert_eq!(out.code, 2);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["msg"], "no secret configured");
    assert!(
        value["hint"]
            .as_str()
            .unwrap()
            .contains("BINANCE_API_SECRET")
    );
}

#[test]
fn a_payload_with_a_signature_is_refused() {
    let out = run(mbx().env("BINANCE_API_SECRET", DOCS_SECRET).args([
        "sign",
        "--payload",
        "a=1&signature=abc",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("already contains a `signature=`"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreadable_key_file_is_named() {
    let out = run(mbx().args([
        "sign",
        "--payload",
        "a=1",
        "--key-file",
        "/nonexistent/key.pem",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot read key file `/nonexistent/key.pem`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_public_key_file_is_explained() {
    let out = run(mbx()
        .args(["sign", "--payload", "a=1", "--key-file"])
        .arg(fixture_key_path("ed25519.pub.pem")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("this is a public key"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: point `--key-file` or `BINANCE_PRIVATE_KEY_FILE` at the private key"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_secret_is_never_printed() {
    for args in [
        vec!["sign", "--payload", DOCS_PAYLOAD],
        vec![
            "--json",
            "sign",
            "--curl",
            "GET",
            "/api/v3/account",
            "--local-time",
        ],
    ] {
        let out = run(mbx()
            .env("BINANCE_API_SECRET", DOCS_SECRET)
            .env("BINANCE_API_KEY", DOCS_API_KEY)
            .args(&args));
        assert_eq!(out.code, 0, "{out:?}");
        assert!(!out.stdout.contains(DOCS_SECRET) && !out.stderr.contains(DOCS_SECRET));
    }
}

#[test]
fn curl_puts_the_key_in_the_header_and_the_signature_last() {
    let out = run(mbx()
        .env("BINANCE_API_SECRET", DOCS_SECRET)
        .env("BINANCE_API_KEY", DOCS_API_KEY)
        .args([
            "sign",
            "--curl",
            "GET",
            "/api/v3/account",
            "-p",
            "omitZeroBalances=true",
            "--recv-window",
            "5000",
            "--timestamp",
            "1700000000000",
        ]));
    assert_eq!(out.code, 0, "{out:?}");
    let signed = "omitZeroBalances=true&recvWindow=5000&timestamp=1700000000000";
    let signature = HmacKey::new(DOCS_SECRET.as_bytes())
        .unwrap()
        .sign(signed.as_bytes());
    assert_eq!(
        out.stdout.trim(),
        format!(
            "curl -sS -X GET -H 'X-MBX-APIKEY: {DOCS_API_KEY}' 'https://api.binance.com/api/v3/account?{signed}&signature={signature}'"
        )
    );
}

#[test]
fn curl_encodes_non_ascii_before_signing() {
    let out = run(mbx()
        .env("BINANCE_API_SECRET", DOCS_SECRET)
        .env("BINANCE_API_KEY", DOCS_API_KEY)
        .args([
            "--json",
            "sign",
            "--curl",
            "POST",
            "/api/v3/order",
            "-p",
            "symbol=１２３４５６",
            "-p",
            "side=BUY",
            "--timestamp",
            "1499827319559",
        ]));
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let url = value["url"].as_str().unwrap();
    let query = url.split_once('?').unwrap().1;
    let (signed, signature) = payload::split_signature(query);
    assert_eq!(
        signed,
        "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&timestamp=1499827319559"
    );
    let signer = Signer::Hmac(HmacKey::new(DOCS_SECRET.as_bytes()).unwrap());
    assert_eq!(
        signer
            .verifier()
            .verify(signed.as_bytes(), signature.unwrap()),
        Ok(())
    );
}

#[test]
fn curl_refuses_plain_http_off_loopback() {
    let out = run(mbx()
        .env("BINANCE_API_SECRET", DOCS_SECRET)
        .env("BINANCE_API_KEY", DOCS_API_KEY)
        .args([
            "sign",
            "--curl",
            "GET",
            "/api/v3/account",
            "--base-url",
            "http://api.binance.com",
        ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("plain http is allowed only to loopback"),
        "{}",
        out.stderr
    );
}

#[test]
fn curl_without_an_api_key_says_where_it_goes() {
    let out = run(mbx().env("BINANCE_API_SECRET", DOCS_SECRET).args([
        "sign",
        "--curl",
        "GET",
        "/api/v3/account",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`X-MBX-APIKEY` header"),
        "{}",
        out.stderr
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mbx-sign-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
