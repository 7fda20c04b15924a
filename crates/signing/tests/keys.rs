//! Key material: every kind of bad input gives a typed error, never a panic,
//! and signatures of all three key types round-trip through the verifiers.

use std::sync::OnceLock;

use mbx_signing::{Error, HmacKey, KeyKind, Signer, Verifier};
use proptest::prelude::*;

fn fixture_key(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[track_caller]
fn check_private(pem: &str, expected: Error) {
    assert_eq!(Signer::from_private_key_pem(pem).unwrap_err(), expected);
}

#[test]
fn reads_the_key_type_from_the_pem() {
    assert_eq!(
        Signer::from_private_key_pem(&fixture_key("ed25519.pem"))
            .unwrap()
            .kind(),
        KeyKind::Ed25519
    );
    assert_eq!(
        Signer::from_private_key_pem(&fixture_key("rsa.pem"))
            .unwrap()
            .kind(),
        KeyKind::Rsa
    );
    assert_eq!(
        Signer::from_private_key_pem(&fixture_key("rsa-pkcs1.pem"))
            .unwrap()
            .kind(),
        KeyKind::Rsa
    );
    assert_eq!(
        Verifier::from_public_key_pem(&fixture_key("ed25519.pub.pem"))
            .unwrap()
            .kind(),
        KeyKind::Ed25519
    );
    assert_eq!(
        Verifier::from_public_key_pem(&fixture_key("rsa.pub.pem"))
            .unwrap()
            .kind(),
        KeyKind::Rsa
    );
}

#[test]
fn a_public_key_is_not_a_signing_key() {
    check_private(
        &fixture_key("ed25519.pub.pem"),
        Error::PublicKeyGiven {
            label: "PUBLIC KEY".into(),
        },
    );
    check_private(
        &fixture_key("rsa.pub.pem"),
        Error::PublicKeyGiven {
            label: "PUBLIC KEY".into(),
        },
    );
}

#[test]
fn a_private_key_is_not_a_verifying_key() {
    assert_eq!(
        Verifier::from_public_key_pem(&fixture_key("ed25519.pem")).unwrap_err(),
        Error::PrivateKeyGiven {
            label: "PRIVATE KEY".into()
        }
    );
}

#[test]
fn an_hmac_secret_is_not_pem() {
    check_private(
        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        Error::NotPem,
    );
    check_private("", Error::NotPem);
}

#[test]
fn small_rsa_keys_are_refused() {
    check_private(
        &fixture_key("rsa-1024.pem"),
        Error::UnsupportedRsaKeySize { bits: 1024 },
    );
}

#[test]
fn non_signing_pkcs8_keys_are_refused() {
    assert!(matches!(
        Signer::from_private_key_pem(&fixture_key("x25519.pem")).unwrap_err(),
        Error::MalformedKey { .. }
    ));
}

#[test]
fn unsupported_blocks_say_what_to_do() {
    let err = Signer::from_private_key_pem(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("openssl genpkey -algorithm ed25519"),
        "{err}"
    );
    let err = Signer::from_private_key_pem(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
}

#[test]
fn a_corrupted_pem_body_is_malformed() {
    let broken = fixture_key("ed25519.pem").replace('M', "*");
    assert!(matches!(
        Signer::from_private_key_pem(&broken).unwrap_err(),
        Error::MalformedKey { .. }
    ));
}

#[test]
fn wrong_key_type_is_named() {
    assert_eq!(
        mbx_signing::Ed25519Key::from_pkcs8_pem(&fixture_key("rsa.pem")).unwrap_err(),
        Error::WrongKeyType {
            expected: KeyKind::Ed25519,
            found: KeyKind::Rsa
        }
    );
    assert_eq!(
        mbx_signing::RsaKey::from_pem(&fixture_key("ed25519.pem")).unwrap_err(),
        Error::WrongKeyType {
            expected: KeyKind::Rsa,
            found: KeyKind::Ed25519
        }
    );
}

#[test]
fn debug_never_shows_key_material() {
    let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    let signers = [
        Signer::Hmac(HmacKey::new(secret.as_bytes()).unwrap()),
        Signer::from_private_key_pem(&fixture_key("ed25519.pem")).unwrap(),
        Signer::from_private_key_pem(&fixture_key("rsa.pem")).unwrap(),
    ];
    for signer in &signers {
        let debug = format!("{signer:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(!debug.contains("MC4CAQ"), "{debug}");
    }
}

#[test]
fn signature_lengths_match_binance() {
    let payload = b"symbol=BTCUSDT&timestamp=1";
    let ed25519 = Signer::from_private_key_pem(&fixture_key("ed25519.pem")).unwrap();
    let rsa = Signer::from_private_key_pem(&fixture_key("rsa.pem")).unwrap();
    assert_eq!(ed25519.sign(payload).as_str().len(), 88);
    assert_eq!(rsa.sign(payload).as_str().len(), 344);
}

fn signers() -> &'static [Signer; 3] {
    static SIGNERS: OnceLock<[Signer; 3]> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        [
            Signer::Hmac(
                HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
                    .unwrap(),
            ),
            Signer::from_private_key_pem(&fixture_key("ed25519.pem")).unwrap(),
            Signer::from_private_key_pem(&fixture_key("rsa.pem")).unwrap(),
        ]
    })
}

fn verifiers() -> &'static [Verifier; 3] {
    static VERIFIERS: OnceLock<[Verifier; 3]> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        [
            signers()[0].verifier(),
            Verifier::from_public_key_pem(&fixture_key("ed25519.pub.pem")).unwrap(),
            Verifier::from_public_key_pem(&fixture_key("rsa.pub.pem")).unwrap(),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify_round_trips(which in 0usize..3, payload in proptest::collection::vec(any::<u8>(), 0..300)) {
        let signature = signers()[which].sign(&payload);
        prop_assert_eq!(verifiers()[which].verify(&payload, signature.as_str()), Ok(()));
    }

    #[test]
    fn a_flipped_payload_bit_is_rejected(which in 0usize..3, payload in proptest::collection::vec(any::<u8>(), 1..200), bit in any::<usize>()) {
        let signature = signers()[which].sign(&payload);
        let mut tampered = payload.clone();
        let bit = bit % (tampered.len() * 8);
        tampered[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(verifiers()[which].verify(&tampered, signature.as_str()), Err(Error::SignatureMismatch));
    }

    #[test]
    fn a_flipped_signature_bit_is_rejected(which in 1usize..3, payload in proptest::collection::vec(any::<u8>(), 0..200), bit in any::<usize>()) {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let signature = signers()[which].sign(&payload);
        let mut raw = engine.decode(signature.as_str()).unwrap();
        let bit = bit % (raw.len() * 8);
        raw[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(verifiers()[which].verify(&payload, &engine.encode(raw)), Err(Error::SignatureMismatch));
    }

    #[test]
    fn garbage_signatures_never_panic(which in 0usize..3, signature in ".{0,400}") {
        prop_assert!(verifiers()[which].verify(b"a=1", &signature).is_err());
    }
}
