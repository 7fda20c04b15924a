//! Tests of `explain` as a whole: one short case per check, then property
//! tests over random parameter sets for every wrong payload.

use mbx_signing::payload::{Payload, ws_api_payload};
use mbx_signing::{HmacKey, Signer, Verifier};
use proptest::prelude::*;

use super::checks::Analysis;
use super::signature::candidates;
use super::*;

const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const NOW: i64 = 1_767_225_600_000;
const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n";

fn hmac() -> Signer {
    Signer::Hmac(HmacKey::new(SECRET.as_bytes()).unwrap())
}

fn with_key(signer: Signer) -> Context {
    Context {
        key: Some(KeyMaterial::Signer(signer)),
        ..Context::default()
    }
}

fn answered(code: i64) -> Context {
    Context {
        answer: Some(Answer {
            status: Some(400),
            code: Some(code),
            msg: String::new(),
        }),
        ..with_key(hmac())
    }
}

fn sign(text: &str) -> String {
    hmac().sign(text.as_bytes()).as_str().to_owned()
}

/// `curl -X METHOD -H 'X-MBX-APIKEY: KEY' 'https://api.binance.com{path}?{query}&signature=..'`
/// with the query signed right.
fn signed_get(path: &str, query: &str) -> HandMadeRequest {
    let url = format!(
        "https://api.binance.com{path}?{query}&signature={}",
        sign(query)
    );
    HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "").unwrap()
}

fn causes(req: &HandMadeRequest, ctx: &Context) -> Vec<Cause> {
    explain(req, ctx)
        .iter()
        .map(|finding| finding.cause)
        .collect()
}

#[track_caller]
fn check_first(req: &HandMadeRequest, ctx: &Context, expected: Cause) {
    let findings = explain(req, ctx);
    assert_eq!(
        findings.first().map(|finding| finding.cause),
        Some(expected),
        "{findings:#?}"
    );
}

#[track_caller]
fn check_has(req: &HandMadeRequest, ctx: &Context, expected: Cause) {
    let found = causes(req, ctx);
    assert!(found.contains(&expected), "{expected:?} not in {found:?}");
}

#[track_caller]
fn check_clean(req: &HandMadeRequest, ctx: &Context) {
    let findings = explain(req, ctx);
    assert!(
        findings
            .iter()
            .all(|finding| finding.severity == Severity::Info),
        "{findings:#?}"
    );
}

fn curl(text: &str) -> HandMadeRequest {
    HandMadeRequest::from_curl(text).unwrap()
}

#[test]
fn right_request_has_no_problem() {
    let req = signed_get(
        "/api/v3/account",
        &format!("omitZeroBalances=true&timestamp={NOW}"),
    );
    let ctx = Context {
        server_time_ms: Some(NOW + 300),
        local_time_ms: Some(NOW + 200),
        ..with_key(hmac())
    };
    check_clean(&req, &ctx);
    assert_eq!(
        signature_matches(&req, ctx.key.as_ref().unwrap()),
        Some(true)
    );
}

#[test]
fn docs_example_is_right() {
    let req = curl(concat!(
        "curl -H \"X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\" -X POST ",
        "'https://api.binance.com/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1",
        "&recvWindow=5000&timestamp=1499827319559&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71'"
    ));
    // Right in every way but its age.
    assert_eq!(causes(&req, &with_key(hmac())), vec![Cause::TimestampStale]);
}

#[test]
fn timestamp_in_seconds() {
    let req = signed_get("/api/v3/account", "timestamp=1767225600");
    check_first(&req, &answered(-1021), Cause::TimestampInSeconds);
    let ctx = Context {
        server_time_ms: Some(NOW + 2_000),
        ..answered(-1021)
    };
    let findings = explain(&req, &ctx);
    assert!(
        findings[0]
            .evidence
            .iter()
            .any(|line| line.contains("is 2.0 s from it")),
        "{findings:#?}"
    );
    let req = signed_get("/api/v3/account", "timestamp=1767225600.123");
    check_first(&req, &answered(-1021), Cause::TimestampInSeconds);
}

#[test]
fn timestamp_in_nanoseconds_or_odd() {
    let req = signed_get("/api/v3/account", "timestamp=1767225600000000000");
    check_first(&req, &answered(-1021), Cause::TimestampInNanoseconds);
    let req = signed_get("/api/v3/account", "timestamp=17672256000");
    check_first(&req, &answered(-1021), Cause::TimestampMalformed);
    let req = signed_get("/api/v3/account", "timestamp=abc");
    check_first(&req, &answered(-1021), Cause::TimestampMalformed);
}

#[test]
fn timestamp_in_microseconds_is_fine() {
    let req = signed_get("/api/v3/account", &format!("timestamp={}", NOW * 1000));
    let ctx = Context {
        server_time_ms: Some(NOW),
        local_time_ms: Some(NOW),
        ..with_key(hmac())
    };
    check_clean(&req, &ctx);
}

#[test]
fn timestamp_against_the_server_time() {
    let req = signed_get("/api/v3/account", &format!("timestamp={NOW}"));
    // Made now on a machine whose clock is 10 s behind.
    let ctx = Context {
        server_time_ms: Some(NOW + 10_000),
        local_time_ms: Some(NOW),
        ..answered(-1021)
    };
    check_first(&req, &ctx, Cause::ClockSkew);
    check_has(&req, &ctx, Cause::TimestampOutsideRecvWindow);
    // Clock right, command old.
    let ctx = Context {
        server_time_ms: Some(NOW + 60_000),
        local_time_ms: Some(NOW + 60_000),
        ..answered(-1021)
    };
    check_first(&req, &ctx, Cause::TimestampOutsideRecvWindow);
    // Ahead.
    let ctx = Context {
        server_time_ms: Some(NOW - 3_000),
        local_time_ms: Some(NOW - 3_000),
        ..answered(-1021)
    };
    check_first(&req, &ctx, Cause::TimestampAhead);
    // A larger recvWindow covers the delay.
    let req = signed_get(
        "/api/v3/account",
        &format!("recvWindow=20000&timestamp={NOW}"),
    );
    let ctx = Context {
        server_time_ms: Some(NOW + 10_000),
        local_time_ms: Some(NOW + 10_000),
        ..with_key(hmac())
    };
    check_clean(&req, &ctx);
}

#[test]
fn stale_timestamp_by_the_local_clock_only() {
    let req = signed_get("/api/v3/account", &format!("timestamp={NOW}"));
    let ctx = Context {
        local_time_ms: Some(NOW + 120_000),
        ..answered(-1021)
    };
    check_first(&req, &ctx, Cause::TimestampOutsideRecvWindow);
}

#[test]
fn docs_timestamp_is_named() {
    let req = signed_get("/api/v3/account", "timestamp=1499827319559");
    let findings = explain(&req, &answered(-1021));
    assert_eq!(findings[0].cause, Cause::TimestampStale);
    assert!(
        findings[0].what.contains("docs' example"),
        "{}",
        findings[0].what
    );
}

#[test]
fn unexpanded_shell_text() {
    // Double quotes: the shell replaces it; explain cannot check the values.
    let req = curl(
        r#"curl -H "X-MBX-APIKEY: $KEY" "https://api.binance.com/api/v3/account?timestamp=$(date +%s)&signature=$sig""#,
    );
    let findings = explain(&req, &Context::default());
    let not_expanded: Vec<Severity> = findings
        .iter()
        .filter(|finding| finding.cause == Cause::NotExpanded)
        .map(|finding| finding.severity)
        .collect();
    assert_eq!(not_expanded, [Severity::Warning; 3], "{findings:#?}");
    // Single quotes: sent as it is.
    let req = curl(&format!(
        "curl -H 'X-MBX-APIKEY: {KEY}' 'https://api.binance.com/api/v3/account?timestamp=$(date +%s%3N)&signature={}'",
        "0".repeat(64)
    ));
    let findings = explain(&req, &answered(-1102));
    assert_eq!(findings[0].cause, Cause::NotExpanded, "{findings:#?}");
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].what.contains("literal text `$(date +%s%3N)`"),
        "{findings:#?}"
    );
    // No shell at all: a raw HTTP request sends it as it is too.
    let req = HandMadeRequest::from_http(
        &format!("GET /api/v3/account?timestamp=$TS&signature=00 HTTP/1.1\nHost: api.binance.com\nX-MBX-APIKEY: {KEY}\n\n"),
    )
    .unwrap();
    check_first(&req, &Context::default(), Cause::NotExpanded);
}

#[test]
fn api_key_in_the_query() {
    let query = format!("timestamp={NOW}&apiKey={KEY}");
    let url = format!(
        "https://api.binance.com/api/v3/account?{query}&signature={}",
        sign(&query)
    );
    let req = HandMadeRequest::from_method_url("GET", &url, &[], "").unwrap();
    check_first(&req, &answered(-2014), Cause::ApiKeyInParameters);
    assert!(!causes(&req, &answered(-2014)).contains(&Cause::ApiKeyMissing));
    // Beside the header, it is only a warning.
    let req = HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
        .unwrap();
    let findings = explain(&req, &with_key(hmac()));
    assert_eq!(findings[0].cause, Cause::ApiKeyInParameters);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn api_key_missing_or_misnamed_or_malformed() {
    let query = format!("timestamp={NOW}");
    let url = format!(
        "https://api.binance.com/api/v3/account?{query}&signature={}",
        sign(&query)
    );
    let req = |headers: &[&str]| {
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        HandMadeRequest::from_method_url("GET", &url, &headers, "").unwrap()
    };
    check_first(&req(&[]), &answered(-2014), Cause::ApiKeyMissing);
    check_first(
        &req(&[&format!("X-MBX-API-KEY: {KEY}")]),
        &answered(-2014),
        Cause::ApiKeyHeaderMisnamed,
    );
    check_first(
        &req(&[&format!("X-MBX-APIKEY: \"{KEY}\"")]),
        &answered(-2014),
        Cause::ApiKeyMalformed,
    );
    check_first(
        &req(&[&format!("X-MBX-APIKEY: {KEY} x")]),
        &answered(-2014),
        Cause::ApiKeyMalformed,
    );
    let short = req(&["X-MBX-APIKEY: abc123"]);
    let findings = explain(&short, &with_key(hmac()));
    assert_eq!(findings[0].cause, Cause::ApiKeyMalformed);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn secret_in_the_header_is_named_never_shown() {
    let query = format!("timestamp={NOW}");
    let url = format!(
        "https://api.binance.com/api/v3/account?{query}&signature={}",
        sign(&query)
    );
    let req = HandMadeRequest::from_method_url(
        "GET",
        &url,
        &[format!("X-MBX-APIKEY: {SECRET}")],
        &format!("secretKey={SECRET}"),
    )
    .unwrap();
    let findings = explain(&req, &answered(-2015));
    assert_eq!(findings[0].cause, Cause::SecretSent);
    let json = serde_json::to_string(&findings).unwrap();
    assert!(!json.contains(SECRET), "{json}");
    let fixed = correct(&req, &with_key(hmac()), Some(NOW)).unwrap();
    assert!(!fixed.curl.contains(SECRET), "{}", fixed.curl);
    assert!(fixed.curl.contains("$BINANCE_API_KEY"), "{}", fixed.curl);
}

#[test]
fn signature_and_timestamp_missing() {
    let req = curl(&format!(
        "curl -H 'X-MBX-APIKEY: {KEY}' https://api.binance.com/api/v3/account"
    ));
    let found = causes(&req, &answered(-1102));
    assert!(found[..2].contains(&Cause::TimestampMissing), "{found:?}");
    assert!(found[..2].contains(&Cause::SignatureMissing), "{found:?}");
}

#[test]
fn public_endpoint_needs_nothing() {
    check_clean(
        &curl("curl 'https://api.binance.com/api/v3/ticker/price?symbol=BTCUSDT'"),
        &Context::default(),
    );
    let signed = signed_get("/api/v3/depth", &format!("symbol=BTCUSDT&timestamp={NOW}"));
    assert_eq!(
        causes(&signed, &with_key(hmac())),
        vec![Cause::SignatureNotNeeded]
    );
}

#[test]
fn hosts_and_paths() {
    let with_url = |url: &str| {
        HandMadeRequest::from_method_url("GET", url, &[format!("X-MBX-APIKEY: {KEY}")], "").unwrap()
    };
    let ctx = Context::default();
    check_first(
        &with_url("https://api.binance.com/api/v3/api/v3/ticker/price"),
        &ctx,
        Cause::DoubledPath,
    );
    check_first(
        &with_url("https://testnet.binance.vision/sapi/v1/account/status?timestamp=1&signature=ab"),
        &ctx,
        Cause::SapiOnTestnet,
    );
    check_first(
        &with_url("http://api.binance.com/api/v3/ping"),
        &ctx,
        Cause::PlainHttp,
    );
    check_clean(&with_url("http://127.0.0.1:9900/api/v3/ping"), &ctx);
    check_first(
        &with_url("https://stream.binance.com:9443/api/v3/ping"),
        &ctx,
        Cause::WrongHost,
    );
    check_has(
        &with_url("https://data-api.binance.vision/api/v3/account"),
        &ctx,
        Cause::MarketDataOnlyHost,
    );
    check_first(
        &with_url("https://api.binance.com/api/v3/ticker/price/"),
        &ctx,
        Cause::UnknownEndpoint,
    );
    let findings = explain(
        &with_url("https://api.binance.com/api/v3/exchangeinfo"),
        &ctx,
    );
    assert!(
        findings[0].fix.contains("/api/v3/exchangeInfo"),
        "{findings:#?}"
    );
    check_first(
        &with_url("https://api.binance.com/api/v3/order/test"),
        &ctx,
        Cause::WrongMethod,
    );
}

#[test]
fn rejected_key_names_the_environment() {
    let url = format!("https://testnet.binance.vision/api/v3/account?timestamp={NOW}");
    let query = format!("timestamp={NOW}");
    let url = format!("{url}&signature={}", sign(&query));
    let req = HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
        .unwrap();
    let findings = explain(&req, &answered(-2015));
    assert_eq!(findings[0].cause, Cause::EnvironmentMismatch);
    assert!(
        findings[0].fix.contains("testnet.binance.vision"),
        "{findings:#?}"
    );
    assert_eq!(findings[1].cause, Cause::KeyPermissionOrIp);
}

#[test]
fn parameter_rules() {
    let post = |query: &str, body: &str| {
        HandMadeRequest::from_method_url(
            "POST",
            &format!("https://api.binance.com/api/v3/order?{query}"),
            &[format!("X-MBX-APIKEY: {KEY}")],
            body,
        )
        .unwrap()
    };
    let ctx = Context::default();
    check_has(
        &post("symbol=A&symbol=B", ""),
        &ctx,
        Cause::DuplicateParameter,
    );
    check_has(
        &post("symbol=A", "symbol=B"),
        &ctx,
        Cause::DuplicateParameter,
    );
    check_has(&post("price=", ""), &ctx, Cause::EmptyValue);
    check_has(
        &post("recvWindow=70000", ""),
        &ctx,
        Cause::RecvWindowTooLarge,
    );
    check_has(
        &post("recvWindow=5000.1234", ""),
        &ctx,
        Cause::RecvWindowMalformed,
    );
    check_has(&post("symbol=１２３", ""), &ctx, Cause::NotPercentEncoded);
    check_has(&post("", "{\"symbol\":\"BTCUSDT\"}"), &ctx, Cause::JsonBody);
    let get_with_body = HandMadeRequest::from_method_url(
        "GET",
        "https://api.binance.com/api/v3/depth",
        &[],
        "symbol=BTCUSDT",
    )
    .unwrap();
    check_first(&get_with_body, &ctx, Cause::GetWithBody);
    let deprecated = HandMadeRequest::from_method_url(
        "POST",
        "https://api.binance.com/api/v3/order/oco",
        &[],
        "",
    )
    .unwrap();
    check_has(&deprecated, &ctx, Cause::DeprecatedEndpoint);
    let findings = explain(&post("recvWindow=6000.346", ""), &ctx);
    assert!(
        !findings.iter().any(|f| matches!(
            f.cause,
            Cause::RecvWindowMalformed | Cause::RecvWindowTooLarge
        )),
        "{findings:#?}"
    );
}

#[test]
fn signature_form_problems() {
    let query = format!("timestamp={NOW}");
    let with_signature = |signature: &str| {
        let url = format!("https://api.binance.com/api/v3/account?{query}&signature={signature}");
        HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
            .unwrap()
    };
    let right = sign(&query);
    check_first(
        &with_signature(&format!("SHA2-256(stdin)=%20{right}")),
        &answered(-1022),
        Cause::SignatureHasOpensslPrefix,
    );
    check_first(
        &with_signature(&right[..60]),
        &answered(-1022),
        Cause::SignatureFormat,
    );
    assert_eq!(
        causes(
            &with_signature(&right.to_ascii_uppercase()),
            &with_key(hmac())
        ),
        vec![Cause::SignatureUppercaseHex]
    );
    let not_last = format!("https://api.binance.com/api/v3/account?signature={right}&{query}");
    let req =
        HandMadeRequest::from_method_url("GET", &not_last, &[format!("X-MBX-APIKEY: {KEY}")], "")
            .unwrap();
    assert_eq!(
        causes(&req, &with_key(hmac())),
        vec![Cause::SignatureNotLast]
    );
}

#[test]
fn base64_signatures() {
    let signer = Signer::from_private_key_pem(ED25519_PEM).unwrap();
    let query = format!("timestamp={NOW}");
    let signature = signer.sign(query.as_bytes()).as_str().to_owned();
    let with_raw = |raw: &str| {
        let url = format!("https://api.binance.com/api/v3/account?{query}&signature={raw}");
        HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
            .unwrap()
    };
    let encoded = mbx_signing::payload::encode_component(&signature).into_owned();
    check_clean(&with_raw(&encoded), &with_key(signer.clone()));
    if signature.contains('+') {
        check_first(
            &with_raw(&signature),
            &with_key(signer.clone()),
            Cause::SignatureNotUrlEncoded,
        );
    }
    let flipped: String = signature
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let flipped = mbx_signing::payload::encode_component(&flipped).into_owned();
    check_first(
        &with_raw(&flipped),
        &with_key(signer.clone()),
        Cause::SignatureCaseChanged,
    );
    check_first(
        &with_raw(&format!("{}25", encoded.replace('%', "%25"))),
        &with_key(signer.clone()),
        Cause::SignatureDoubleEncoded,
    );
    // Only the public key: still verifies.
    let public = Context {
        key: Some(KeyMaterial::Verifier(signer.verifier())),
        ..Context::default()
    };
    check_clean(&with_raw(&encoded), &public);
    check_first(
        &with_raw(&sign(&query)),
        &with_key(signer),
        Cause::SignatureFormat,
    );
}

#[test]
fn mismatch_without_a_known_cause() {
    let query = format!("timestamp={NOW}");
    let url = format!(
        "https://api.binance.com/api/v3/account?{query}&signature={}",
        "0".repeat(64)
    );
    let req = HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
        .unwrap();
    check_first(&req, &answered(-1022), Cause::SignatureMismatch);
    // Without the key, -1022 is reported as such.
    let ctx = Context {
        key: None,
        ..answered(-1022)
    };
    check_first(&req, &ctx, Cause::SignatureMismatch);
}

#[test]
fn ranking_follows_the_answer() {
    // Seconds and a trailing newline at once: -1021 puts the timestamp
    // first, -1022 the signature (the timestamp passed, so it was not it).
    let query = "timestamp=1767225600";
    let url = format!(
        "https://api.binance.com/api/v3/account?{query}&signature={}",
        sign(&format!("{query}\n"))
    );
    let req = HandMadeRequest::from_method_url("GET", &url, &[format!("X-MBX-APIKEY: {KEY}")], "")
        .unwrap();
    check_first(&req, &answered(-1021), Cause::TimestampInSeconds);
    check_first(&req, &answered(-1022), Cause::SignedTrailingNewline);
}

#[test]
fn payload_form() {
    let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    let good = HandMadeRequest::from_payload(payload, &sign(payload));
    assert_eq!(
        causes(&good, &with_key(hmac())),
        vec![Cause::TimestampStale]
    );
    let newline = HandMadeRequest::from_payload(payload, &sign(&format!("{payload}\n")));
    check_first(&newline, &answered(-1022), Cause::SignedTrailingNewline);
    let raw = HandMadeRequest::from_payload("symbol=１２３&timestamp=1767225600000", "00");
    check_has(&raw, &Context::default(), Cause::NotPercentEncoded);
}

#[test]
fn answer_parsing() {
    let answer = Answer::parse(
        r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#,
    )
    .unwrap();
    assert_eq!(answer.code, Some(-1021));
    assert_eq!(
        answer.msg,
        "Timestamp for this request is outside of the recvWindow."
    );
    assert!(Answer::parse("{}").is_none());
}

#[test]
fn correction_is_signed_and_encoded() {
    let req = curl(&format!(
        "curl -X POST 'http://api.binance.com/api/v3/api/v3/order/test?symbol=%E4%B8%AD&apiKey={KEY}' -d 'side=BUY&type=MARKET&quantity=1&symbol=X&timestamp=1767225600&recvWindow=90000&signature=00'"
    ));
    let fixed = correct(&req, &with_key(hmac()), Some(NOW)).unwrap();
    assert!(fixed.signed);
    let query = format!(
        "symbol=%E4%B8%AD&side=BUY&type=MARKET&quantity=1&recvWindow=60000&timestamp={NOW}"
    );
    assert_eq!(
        fixed.url,
        format!(
            "https://api.binance.com/api/v3/order/test?{query}&signature={}",
            sign(&query)
        )
    );
    assert_eq!(
        fixed.curl,
        format!(
            "curl -sS -X POST -H 'X-MBX-APIKEY: {KEY}' \"{}\"",
            fixed.url
        )
    );
    // The corrected request explains clean.
    let again = HandMadeRequest::from_curl(&fixed.curl).unwrap();
    let ctx = Context {
        server_time_ms: Some(NOW),
        local_time_ms: Some(NOW),
        ..with_key(hmac())
    };
    check_clean(&again, &ctx);
}

#[test]
fn correction_without_the_key_is_a_script() {
    let req = signed_get("/api/v3/account", "timestamp=1767225600");
    let fixed = correct(&req, &Context::default(), Some(NOW)).unwrap();
    assert!(!fixed.signed);
    let lines: Vec<&str> = fixed.curl.lines().collect();
    assert_eq!(lines.len(), 3, "{}", fixed.curl);
    assert_eq!(lines[0], "query=\"timestamp=$(($(date +%s) * 1000))\"");
    assert!(lines[1].contains("\"$BINANCE_API_SECRET\""), "{}", lines[1]);
    assert!(
        lines[2].ends_with("/api/v3/account?$query&signature=$signature\""),
        "{}",
        lines[2]
    );
    // Public endpoints lose the signature and the key.
    let public = signed_get("/api/v3/depth", &format!("symbol=BTCUSDT&timestamp={NOW}"));
    let fixed = correct(&public, &Context::default(), None).unwrap();
    assert_eq!(
        fixed.curl,
        "curl -sS -X GET \"https://api.binance.com/api/v3/depth?symbol=BTCUSDT\""
    );
    assert!(
        correct(
            &HandMadeRequest::from_payload("a=1", "b"),
            &Context::default(),
            None
        )
        .is_none()
    );
}

/// Parameter names that explain treats as ordinary parameters.
fn name_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z]{1,10}".prop_filter("reserved names", |name| {
        let lower = name.to_ascii_lowercase();
        !matches!(lower.as_str(), "signature" | "timestamp" | "recvwindow")
            && !lower.contains("key")
            && !lower.contains("secret")
    })
}

/// Values with spaces, reserved ASCII and non-ASCII text.
fn value_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._~:/,\\[\\]\"é１中]{1,8}"
}

#[derive(Debug, Clone)]
struct Spec {
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
    timestamp_in_body: bool,
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    let pairs = || proptest::collection::vec((name_strategy(), value_strategy()), 0..4);
    (pairs(), pairs(), any::<bool>()).prop_map(|(query, mut body, timestamp_in_body)| {
        // Unique names, so that no duplicate finding muddles the case.
        let mut seen: Vec<String> = Vec::new();
        let mut unique = |pairs: Vec<(String, String)>| {
            pairs
                .into_iter()
                .filter(|(name, _)| {
                    let fresh = !seen.contains(name);
                    seen.push(name.clone());
                    fresh
                })
                .collect::<Vec<_>>()
        };
        let query = unique(query);
        body = unique(body);
        Spec {
            query,
            body,
            timestamp_in_body,
        }
    })
}

/// The query string and body of `spec`, encoded, with the timestamp.
fn texts(spec: &Spec) -> (String, String) {
    let mut query = Payload::from_pairs(spec.query.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let mut body = Payload::from_pairs(spec.body.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let timestamp = NOW.to_string();
    if spec.timestamp_in_body {
        body.push("timestamp", &timestamp);
    } else {
        query.push("timestamp", &timestamp);
    }
    (query.into_string(), body.into_string())
}

fn request(query: &str, body: &str, signature: &str) -> HandMadeRequest {
    let encoded = mbx_signing::payload::encode_component(signature);
    let (query, body) = if body.is_empty() {
        (format!("{query}&signature={encoded}"), String::new())
    } else {
        (query.to_owned(), format!("{body}&signature={encoded}"))
    };
    let url = if query.is_empty() {
        "https://api.binance.com/api/v3/order".to_owned()
    } else {
        format!("https://api.binance.com/api/v3/order?{query}")
    };
    HandMadeRequest::from_method_url("POST", &url, &[format!("X-MBX-APIKEY: {KEY}")], &body)
        .unwrap()
}

fn decoded_join(pairs: &[(String, String)], timestamp_here: bool) -> String {
    let mut parts: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    if timestamp_here {
        parts.push(format!("timestamp={NOW}"));
    }
    parts.join("&")
}

/// The wrong text a user signs for `cause`.
fn wrong_payload(cause: Cause, spec: &Spec, query: &str, body: &str) -> Option<String> {
    let right = format!("{query}{body}");
    Some(match cause {
        Cause::SignedTrailingNewline => format!("{right}\n"),
        Cause::SignedUnencoded => format!(
            "{}{}",
            decoded_join(&spec.query, !spec.timestamp_in_body),
            decoded_join(&spec.body, spec.timestamp_in_body)
        ),
        Cause::SignedOtherEncoding => {
            let encode = |pairs: &[(String, String)], here: bool| {
                let mut parts: Vec<String> = pairs
                    .iter()
                    .map(|(n, v)| {
                        format!(
                            "{}={}",
                            super::curl::curl_encode(n),
                            super::curl::curl_encode(v)
                        )
                    })
                    .collect();
                if here {
                    parts.push(format!("timestamp={NOW}"));
                }
                parts.join("&")
            };
            format!(
                "{}{}",
                encode(&spec.query, !spec.timestamp_in_body),
                encode(&spec.body, spec.timestamp_in_body)
            )
        }
        Cause::SignedOtherOrder => {
            let mut pairs: Vec<&str> = query
                .split('&')
                .chain(body.split('&'))
                .filter(|p| !p.is_empty())
                .collect();
            pairs.sort_by(|a, b| {
                let name = |p: &str| p.split('=').next().unwrap_or("").to_owned();
                name(a).cmp(&name(b))
            });
            pairs.join("&")
        }
        Cause::SignedBodyThenQuery if !query.is_empty() && !body.is_empty() => {
            format!("{body}{query}")
        }
        Cause::SignedJoinedWithAmpersand if !query.is_empty() && !body.is_empty() => {
            format!("{query}&{body}")
        }
        Cause::SignedQueryOnly if !query.is_empty() && !body.is_empty() => query.to_owned(),
        Cause::SignedBodyOnly if !query.is_empty() && !body.is_empty() => body.to_owned(),
        Cause::SignedWebSocketPayload => {
            let mut all: Vec<(String, String)> =
                spec.query.iter().chain(&spec.body).cloned().collect();
            all.push(("timestamp".to_owned(), NOW.to_string()));
            ws_api_payload(all.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        }
        Cause::SignedSignatureParameter => format!("{right}&signature="),
        Cause::SignedUrl => format!("?{right}"),
        Cause::SignedWithApiKey => right,
        _ => return None,
    })
}

const WRONG_PAYLOADS: [Cause; 13] = [
    Cause::SignedTrailingNewline,
    Cause::SignedUnencoded,
    Cause::SignedOtherEncoding,
    Cause::SignedOtherOrder,
    Cause::SignedBodyThenQuery,
    Cause::SignedJoinedWithAmpersand,
    Cause::SignedQueryOnly,
    Cause::SignedBodyOnly,
    Cause::SignedWebSocketPayload,
    Cause::SignedSignatureParameter,
    Cause::SignedUrl,
    Cause::SignedWithApiKey,
    Cause::SignatureMismatch,
];

fn is_signature_cause(cause: Cause) -> bool {
    WRONG_PAYLOADS.contains(&cause)
        || matches!(
            cause,
            Cause::SignatureFormat
                | Cause::SignatureCaseChanged
                | Cause::SignatureNotUrlEncoded
                | Cause::SignatureDoubleEncoded
                | Cause::SignatureHasOpensslPrefix
        )
}

/// The findings for `spec` signed over the wrong payload of `cause`;
/// `None` when that mistake cannot be told apart for this spec (nothing to
/// encode, already sorted, no body, or another mistake's text is the same).
fn explain_wrong(cause: Cause, spec: &Spec) -> Option<Vec<Finding>> {
    let (query, body) = texts(spec);
    let wrong = wrong_payload(cause, spec, &query, &body)?;
    let right = format!("{query}{body}");
    if cause != Cause::SignedWithApiKey && wrong == right {
        return None;
    }
    let signature = if cause == Cause::SignedWithApiKey {
        HmacKey::new_unchecked(KEY.as_bytes())
            .sign(wrong.as_bytes())
            .as_str()
            .to_owned()
    } else {
        sign(&wrong)
    };
    let req = request(&query, &body, &signature);
    if cause != Cause::SignedWithApiKey {
        let analysis = Analysis::new(&req, &Context::default());
        let first_same = candidates(&analysis)
            .into_iter()
            .find(|candidate| candidate.text == wrong)?;
        if first_same.causes[0] != cause {
            return None;
        }
    }
    Some(explain(&req, &answered(-1022)))
}

#[test]
fn every_wrong_payload_on_a_fixed_request() {
    let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    let spec = Spec {
        query: vec![pair("symbol", "１２３"), pair("side", "BUY")],
        body: vec![pair("type", "LIMIT"), pair("note", "a b,c")],
        timestamp_in_body: true,
    };
    for cause in &WRONG_PAYLOADS[..12] {
        let findings =
            explain_wrong(*cause, &spec).unwrap_or_else(|| panic!("{cause:?} not applicable"));
        assert_eq!(findings[0].cause, *cause, "{findings:#?}");
        if *cause != Cause::SignedWithApiKey {
            assert!(
                findings[0]
                    .evidence
                    .iter()
                    .any(|line| line.starts_with("signed:")),
                "{findings:#?}"
            );
        }
    }
}

proptest! {
    #[test]
    fn right_signature_has_no_signature_finding(spec in spec_strategy()) {
        let (query, body) = texts(&spec);
        let req = request(&query, &body, &sign(&format!("{query}{body}")));
        let found = causes(&req, &answered(-1022));
        prop_assert!(!found.iter().any(|cause| is_signature_cause(*cause)), "{found:?}");
        prop_assert_eq!(signature_matches(&req, &KeyMaterial::Signer(hmac())), Some(true));
    }

    #[test]
    fn each_wrong_payload_is_recognised(spec in spec_strategy()) {
        for cause in &WRONG_PAYLOADS[..12] {
            if let Some(findings) = explain_wrong(*cause, &spec) {
                prop_assert_eq!(findings[0].cause, *cause, "{:#?}", findings);
                let signature_findings = findings.iter().filter(|f| is_signature_cause(f.cause)).count();
                prop_assert_eq!(signature_findings, 1, "{:#?}", findings);
                let json = serde_json::to_string(&findings).unwrap();
                prop_assert!(!json.contains(SECRET));
            }
        }
    }

    #[test]
    fn nothing_shows_a_secret(spec in spec_strategy(), secret_in_header in any::<bool>(), code in prop::sample::select(vec![-1022i64, -2014, -2015, -1021, -1102])) {
        let (query, body) = texts(&spec);
        let mut req = request(&query, &body, &sign("whatever"));
        if secret_in_header {
            req.headers = vec![("X-MBX-APIKEY".to_owned(), SECRET.to_owned())];
        } else {
            req.body = format!("{}&secret={SECRET}", req.body);
        }
        let ctx = Context { server_time_ms: Some(NOW), local_time_ms: Some(NOW), ..answered(code) };
        let findings = explain(&req, &ctx);
        let json = serde_json::to_string(&findings).unwrap();
        prop_assert!(!json.contains(SECRET), "{}", json);
        let debug = format!("{findings:?}{req:?}");
        prop_assert!(!debug.contains(SECRET));
        let fixed = correct(&req, &ctx, Some(NOW)).unwrap();
        prop_assert!(!fixed.curl.contains(SECRET), "{}", fixed.curl);
        let debug = format!("{fixed:?}");
        prop_assert!(!debug.contains(SECRET));
        let unsigned = correct(&req, &answered(code), None).unwrap();
        prop_assert!(!unsigned.curl.contains(SECRET));
    }

    #[test]
    fn corrected_request_verifies(spec in spec_strategy()) {
        let (query, body) = texts(&spec);
        let req = request(&query, &body, &sign("wrong"));
        let fixed = correct(&req, &with_key(hmac()), Some(NOW)).unwrap();
        let again = HandMadeRequest::from_curl(&fixed.curl).unwrap();
        prop_assert_eq!(signature_matches(&again, &KeyMaterial::Verifier(Verifier::Hmac(HmacKey::new(SECRET.as_bytes()).unwrap()))), Some(true));
    }
}
