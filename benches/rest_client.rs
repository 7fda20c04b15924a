//! The REST client: client-side cost of one signed GET (build the query,
//! sign, parse a real-sized account answer; no network), and signed
//! requests per second over loopback against the sandbox, next to the
//! classic `curl` + `openssl` shell recipe measured in the same run.
//!
//! Run: `cargo bench -p mbx-benches --bench rest_client`. Figures:
//! BENCHMARKS.md.

use std::hint::black_box;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mbx_adapters_rest::{ClientConfig, RestClient, parse_body};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{Account, RateLimit, RateLimitInterval, RateLimitType};
use mbx_domain::ports::AccountData as _;
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig};
use mbx_signing::payload::Payload;
use mbx_signing::{HmacKey, Signer};

/// An account answer the size of a real one without `omitZeroBalances`:
/// 600 assets.
fn account_body() -> String {
    let balances: Vec<String> = (0..600)
        .map(|idx| {
            format!(
                r#"{{"asset":"A{idx:04}","free":"{}.{:08}","locked":"0.00000000"}}"#,
                idx * 7,
                idx * 12_345 % 100_000_000
            )
        })
        .collect();
    format!(
        r#"{{"makerCommission":15,"takerCommission":15,"buyerCommission":0,"sellerCommission":0,"commissionRates":{{"maker":"0.00150000","taker":"0.00150000","buyer":"0.00000000","seller":"0.00000000"}},"canTrade":true,"canWithdraw":true,"canDeposit":true,"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,"updateTime":123456789,"accountType":"SPOT","balances":[{}],"permissions":["SPOT"],"uid":354937868}}"#,
        balances.join(",")
    )
}

fn client_side(c: &mut Criterion) {
    let body = account_body();
    let signer = Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap());
    let mut group = c.benchmark_group("signed_get_client_side");
    group.throughput(Throughput::Elements(1));
    group.bench_function("build_sign", |b| {
        b.iter(|| {
            let mut query = Payload::with_capacity(128);
            query.push("omitZeroBalances", "false");
            query.push("recvWindow", "5000");
            query.push("timestamp", black_box("1764100000000"));
            let signature = signer.sign(query.as_bytes());
            query.push_signature(&signature);
            black_box(format!("http://127.0.0.1:1/api/v3/account?{query}"))
        })
    });
    group.bench_function(format!("parse_account_{}_bytes", body.len()), |b| {
        b.iter(|| {
            black_box(parse_body::<Account>("GET /api/v3/account", black_box(&body)).unwrap())
        })
    });
    group.finish();
}

fn loopback(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = SandboxConfig::demo();
    config.limits.request_weight_per_minute = u32::MAX / 2;
    config.limits.raw_requests_per_5m = u32::MAX / 2;
    let sandbox = runtime.block_on(Sandbox::start(config)).unwrap();
    let url = sandbox.rest_url();
    let credentials = Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    );
    let client = RestClient::new(ClientConfig::new(&url).unwrap(), Some(credentials)).unwrap();
    client.set_rate_limits(&[RateLimit {
        rate_limit_type: RateLimitType::RequestWeight,
        interval: RateLimitInterval::Minute,
        interval_num: 1,
        limit: u32::MAX / 2,
    }]);
    runtime.block_on(client.account(true)).unwrap();

    let mut group = c.benchmark_group("signed_get_account_loopback");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mbx_rest_client", |b| {
        b.iter(|| black_box(runtime.block_on(client.account(true)).unwrap()))
    });
    // The recipe from the docs: one `openssl dgst` and one `curl` process per
    // request, as a shell script would do it.
    let recipe = format!(
        r#"ts=$(($(date +%s%N)/1000000)); q="omitZeroBalances=true&timestamp=$ts"; sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //'); curl -sS -f -H "X-MBX-APIKEY: $KEY" "{url}/api/v3/account?$q&signature=$sig""#
    );
    let tools_present = Command::new("sh")
        .args(["-c", "command -v curl && command -v openssl"])
        .output()
        .is_ok_and(|out| out.status.success());
    if tools_present {
        group.sample_size(10);
        group.bench_function("baseline_curl_openssl_shell", |b| {
            b.iter(|| {
                let out = Command::new("sh")
                    .args(["-c", &recipe])
                    .env("SECRET", DEMO_API_SECRET)
                    .env("KEY", DEMO_API_KEY)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                black_box(out.stdout)
            })
        });
    }
    group.finish();
    runtime.block_on(sandbox.shutdown());
}

criterion_group!(benches, client_side, loopback);
criterion_main!(benches);
