//! Every signature vector from the Binance docs (`fixtures/vectors.json`,
//! copied from `shared/binance-docs/`) and OpenSSL-made vectors for our own
//! test keys, checked against `mbx-signing`. They live here rather than in
//! the signing crate so that `mbx-signing` needs no JSON parser, not even
//! for its tests.

use mbx_signing::{HmacKey, KeyKind, Signer, Verifier};
use mbx_tests::fixture_key;
use serde::Deserialize;

#[derive(Deserialize)]
struct DocVector {
    name: String,
    key_type: String,
    secret_or_private_key_pem: String,
    payload: String,
    expected_signature: String,
}

#[derive(Deserialize)]
struct OpensslVector {
    name: String,
    key_file: String,
    payload: String,
    expected_signature: String,
}

fn doc_vectors() -> Vec<DocVector> {
    serde_json::from_str(include_str!("../fixtures/vectors.json")).expect("vectors.json parses")
}

#[test]
fn every_documented_vector_signs_and_verifies() {
    let vectors = doc_vectors();
    assert!(
        vectors.len() >= 20,
        "expected the full vector set, got {}",
        vectors.len()
    );
    for vector in &vectors {
        let signer = match vector.key_type.as_str() {
            "hmac" => {
                Signer::Hmac(HmacKey::new(vector.secret_or_private_key_pem.as_bytes()).unwrap())
            }
            "ed25519" => Signer::from_private_key_pem(&vector.secret_or_private_key_pem).unwrap(),
            other => panic!("{}: unknown key type {other}", vector.name),
        };
        let signature = signer.sign(vector.payload.as_bytes());
        assert_eq!(
            signature.as_str(),
            vector.expected_signature,
            "{}",
            vector.name
        );
        assert_eq!(
            signer
                .verifier()
                .verify(vector.payload.as_bytes(), &vector.expected_signature),
            Ok(())
        );
    }
}

#[test]
fn documented_ed25519_public_key_verifies_the_fix_vector() {
    let public_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n";
    let verifier = Verifier::from_public_key_pem(public_pem).unwrap();
    assert_eq!(verifier.kind(), KeyKind::Ed25519);
    let vector = doc_vectors()
        .into_iter()
        .find(|v| v.key_type == "ed25519")
        .unwrap();
    assert_eq!(
        verifier.verify(vector.payload.as_bytes(), &vector.expected_signature),
        Ok(())
    );
}

#[test]
fn websocket_api_vectors_match_the_sorted_payload_rule() {
    // The docs' WebSocket API payloads are the params sorted by name; rebuild
    // each from its pairs in reverse order and check we get the same bytes.
    for vector in doc_vectors()
        .iter()
        .filter(|v| v.name.starts_with("wsapi-"))
    {
        let pairs: Vec<(&str, &str)> = vector
            .payload
            .split('&')
            .map(|pair| pair.split_once('=').unwrap())
            .rev()
            .collect();
        assert_eq!(
            mbx_signing::payload::ws_api_payload(pairs),
            vector.payload,
            "{}",
            vector.name
        );
    }
}

#[test]
fn openssl_made_signatures_match_ours() {
    let vectors: Vec<OpensslVector> =
        serde_json::from_str(include_str!("../fixtures/openssl_vectors.json")).unwrap();
    for vector in &vectors {
        let signer = Signer::from_private_key_pem(&fixture_key(&vector.key_file)).unwrap();
        // RSASSA-PKCS1-v1_5 and Ed25519 are deterministic: same key and bytes, same signature.
        assert_eq!(
            signer.sign(vector.payload.as_bytes()).as_str(),
            vector.expected_signature,
            "{}",
            vector.name
        );
    }
}
