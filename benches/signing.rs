//! Signatures per second for the three key types on the docs' example order,
//! next to the naive HMAC baseline measured in the same run.
//!
//! Run: `cargo bench -p mbx-benches --bench signing`. Figures: BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use mbx_benches::{
    DOCS_ORDER_PAYLOAD, DOCS_SECRET, fixture_key, naive_hmac_hex, prekeyed_hmac_hex,
};
use mbx_signing::{HmacKey, Signer};
use sha2::Sha256;

fn hmac(c: &mut Criterion) {
    let mut group = c.benchmark_group("hmac_sha256_docs_order");
    group.throughput(Throughput::Elements(1));
    let key = HmacKey::new(DOCS_SECRET.as_bytes()).unwrap();
    group.bench_function("mbx_precomputed_state", |b| {
        b.iter(|| black_box(key.sign(black_box(DOCS_ORDER_PAYLOAD.as_bytes()))))
    });
    let signer = Signer::Hmac(key.clone());
    group.bench_function("mbx_signer_enum", |b| {
        b.iter(|| black_box(signer.sign(black_box(DOCS_ORDER_PAYLOAD.as_bytes()))))
    });
    let prekeyed = <Hmac<Sha256> as Mac>::new_from_slice(DOCS_SECRET.as_bytes()).unwrap();
    group.bench_function("baseline_cloned_prekeyed_hmac", |b| {
        b.iter(|| black_box(prekeyed_hmac_hex(&prekeyed, black_box(DOCS_ORDER_PAYLOAD))))
    });
    group.bench_function("baseline_new_hmac_per_request", |b| {
        b.iter(|| {
            black_box(naive_hmac_hex(
                black_box(DOCS_SECRET),
                black_box(DOCS_ORDER_PAYLOAD),
            ))
        })
    });
    group.finish();
}

fn asymmetric(c: &mut Criterion) {
    let mut group = c.benchmark_group("asymmetric_docs_order");
    group.throughput(Throughput::Elements(1));
    let ed25519 = Signer::from_private_key_pem(&fixture_key("ed25519.pem")).unwrap();
    group.bench_function("ed25519", |b| {
        b.iter(|| black_box(ed25519.sign(black_box(DOCS_ORDER_PAYLOAD.as_bytes()))))
    });
    let rsa = Signer::from_private_key_pem(&fixture_key("rsa.pem")).unwrap();
    group.sample_size(20);
    group.bench_function("rsa_2048", |b| {
        b.iter(|| black_box(rsa.sign(black_box(DOCS_ORDER_PAYLOAD.as_bytes()))))
    });
    group.finish();
}

criterion_group!(benches, hmac, asymmetric);
criterion_main!(benches);
