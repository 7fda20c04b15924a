//! Ed25519 and RSA (RSASSA-PKCS1-v1_5 with SHA-256) keys.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use ed25519_dalek::{Signer as _, Verifier as _};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use rsa::pkcs1v15;
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use rsa::traits::PublicKeyParts as _;
use sha2::Sha256;

use crate::error::Error;
use crate::pem::{self, PemLabel};
use crate::signer::KeyKind;

/// An Ed25519 private key, read from a PKCS#8 PEM file as
/// `openssl genpkey -algorithm ed25519` writes it.
///
/// `Debug` prints `<redacted>`; the key bytes are zeroized on drop.
#[derive(Clone)]
pub struct Ed25519Key {
    key: ed25519_dalek::SigningKey,
}

impl Ed25519Key {
    /// Reads a PKCS#8 `PRIVATE KEY` PEM block.
    pub fn from_pkcs8_pem(pem_text: &str) -> Result<Ed25519Key, Error> {
        match crate::signer::private_key_from_pem(pem_text)? {
            crate::signer::PrivateKey::Ed25519(key) => Ok(key),
            crate::signer::PrivateKey::Rsa(_) => Err(Error::WrongKeyType {
                expected: KeyKind::Ed25519,
                found: KeyKind::Rsa,
            }),
        }
    }

    pub(crate) fn try_from_pkcs8(pem_text: &str) -> Option<Ed25519Key> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem_text)
            .ok()
            .map(|key| Ed25519Key { key })
    }

    /// Signs `payload` (pure Ed25519, no pre-hash) and returns the base64 text
    /// (88 characters).
    pub fn sign_base64(&self, payload: &[u8]) -> String {
        BASE64.encode(self.key.sign(payload).to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey {
            key: self.key.verifying_key(),
        }
    }
}

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Key(<redacted>)")
    }
}

/// An Ed25519 public key, read from an SPKI `PUBLIC KEY` PEM block (the form
/// registered with Binance).
#[derive(Clone, PartialEq, Eq)]
pub struct Ed25519PublicKey {
    key: ed25519_dalek::VerifyingKey,
}

impl Ed25519PublicKey {
    /// Reads an SPKI `PUBLIC KEY` PEM block.
    pub fn from_public_key_pem(pem_text: &str) -> Result<Ed25519PublicKey, Error> {
        let label = public_label(pem_text)?;
        if label != PemLabel::SpkiPublic {
            return Err(Error::WrongKeyType {
                expected: KeyKind::Ed25519,
                found: KeyKind::Rsa,
            });
        }
        match ed25519_dalek::VerifyingKey::from_public_key_pem(pem_text) {
            Ok(key) => Ok(Ed25519PublicKey { key }),
            Err(_) if rsa::RsaPublicKey::from_public_key_pem_compat(pem_text).is_ok() => {
                Err(Error::WrongKeyType {
                    expected: KeyKind::Ed25519,
                    found: KeyKind::Rsa,
                })
            }
            Err(err) => Err(Error::MalformedKey {
                kind: KeyKind::Ed25519,
                reason: err.to_string(),
            }),
        }
    }

    /// Checks a base64 signature.
    pub fn verify(&self, payload: &[u8], signature_base64: &str) -> Result<(), Error> {
        let bytes = BASE64
            .decode(signature_base64)
            .map_err(|_| Error::SignatureEncoding { expected: "base64" })?;
        let signature = ed25519_dalek::Signature::from_slice(&bytes)
            .map_err(|_| Error::SignatureEncoding { expected: "base64" })?;
        self.key
            .verify(payload, &signature)
            .map_err(|_| Error::SignatureMismatch)
    }
}

impl fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Ed25519PublicKey({})",
            BASE64.encode(self.key.as_bytes())
        )
    }
}

/// An RSA private key (2048 to 4096 bits) that signs with RSASSA-PKCS1-v1_5
/// and SHA-256, the scheme Binance verifies.
///
/// `Debug` prints `<redacted>`; the `rsa` crate zeroizes the key on drop.
#[derive(Clone)]
pub struct RsaKey {
    key: pkcs1v15::SigningKey<Sha256>,
    bits: usize,
}

impl RsaKey {
    /// Reads a PKCS#8 `PRIVATE KEY` (or PKCS#1 `RSA PRIVATE KEY`) PEM block.
    pub fn from_pem(pem_text: &str) -> Result<RsaKey, Error> {
        match crate::signer::private_key_from_pem(pem_text)? {
            crate::signer::PrivateKey::Rsa(key) => Ok(key),
            crate::signer::PrivateKey::Ed25519(_) => Err(Error::WrongKeyType {
                expected: KeyKind::Rsa,
                found: KeyKind::Ed25519,
            }),
        }
    }

    pub(crate) fn try_from_pem(pem_text: &str, label: &PemLabel) -> Result<RsaKey, Error> {
        let parsed = match label {
            PemLabel::Pkcs1RsaPrivate => {
                rsa::RsaPrivateKey::from_pkcs1_pem(pem_text).map_err(|e| e.to_string())
            }
            _ => <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem_text)
                .map_err(|e| e.to_string()),
        };
        let key = parsed.map_err(|reason| Error::MalformedKey {
            kind: KeyKind::Rsa,
            reason,
        })?;
        let bits = key.size() * 8;
        if !(2048..=4096).contains(&bits) {
            return Err(Error::UnsupportedRsaKeySize { bits });
        }
        Ok(RsaKey {
            key: pkcs1v15::SigningKey::<Sha256>::new(key),
            bits,
        })
    }

    /// Signs `payload` and returns the base64 text (344 characters for a
    /// 2048-bit key).
    ///
    /// The private-key operation is blinded with fresh randomness from the
    /// operating system, so its timing does not depend on the key. (The
    /// signature itself is deterministic: PKCS#1 v1.5 has no salt.)
    pub fn sign_base64(&self, payload: &[u8]) -> String {
        BASE64.encode(
            self.key
                .sign_with_rng(&mut rand_core::OsRng, payload)
                .to_bytes(),
        )
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The matching public key.
    pub fn public_key(&self) -> RsaPublicKey {
        let key = self.key.as_ref().to_public_key();
        RsaPublicKey {
            key: pkcs1v15::VerifyingKey::<Sha256>::new(key),
        }
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaKey({} bits, <redacted>)", self.bits)
    }
}

/// An RSA public key, read from an SPKI `PUBLIC KEY` PEM block (the form
/// registered with Binance).
#[derive(Clone)]
pub struct RsaPublicKey {
    key: pkcs1v15::VerifyingKey<Sha256>,
}

impl RsaPublicKey {
    /// Reads an SPKI `PUBLIC KEY` (or PKCS#1 `RSA PUBLIC KEY`) PEM block.
    pub fn from_public_key_pem(pem_text: &str) -> Result<RsaPublicKey, Error> {
        public_label(pem_text)?;
        match rsa::RsaPublicKey::from_public_key_pem_compat(pem_text) {
            Ok(key) => Ok(RsaPublicKey {
                key: pkcs1v15::VerifyingKey::<Sha256>::new(key),
            }),
            Err(_) if ed25519_dalek::VerifyingKey::from_public_key_pem(pem_text).is_ok() => {
                Err(Error::WrongKeyType {
                    expected: KeyKind::Rsa,
                    found: KeyKind::Ed25519,
                })
            }
            Err(reason) => Err(Error::MalformedKey {
                kind: KeyKind::Rsa,
                reason,
            }),
        }
    }

    /// Checks a base64 signature.
    pub fn verify(&self, payload: &[u8], signature_base64: &str) -> Result<(), Error> {
        let bytes = BASE64
            .decode(signature_base64)
            .map_err(|_| Error::SignatureEncoding { expected: "base64" })?;
        let signature = pkcs1v15::Signature::try_from(bytes.as_slice())
            .map_err(|_| Error::SignatureMismatch)?;
        self.key
            .verify(payload, &signature)
            .map_err(|_| Error::SignatureMismatch)
    }
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.key.as_ref().size() * 8)
    }
}

fn public_label(pem_text: &str) -> Result<PemLabel, Error> {
    let label = pem::label(pem_text)?;
    if label.is_private() {
        return Err(Error::PrivateKeyGiven {
            label: label.text().to_owned(),
        });
    }
    if !label.is_public() {
        return Err(pem::unsupported(&label));
    }
    Ok(label)
}

/// Reads an RSA public key from SPKI or PKCS#1 PEM.
trait FromPublicKeyPemCompat: Sized {
    fn from_public_key_pem_compat(pem_text: &str) -> Result<Self, String>;
}

impl FromPublicKeyPemCompat for rsa::RsaPublicKey {
    fn from_public_key_pem_compat(pem_text: &str) -> Result<Self, String> {
        match pem::label(pem_text) {
            Ok(PemLabel::Pkcs1RsaPublic) => {
                rsa::RsaPublicKey::from_pkcs1_pem(pem_text).map_err(|e| e.to_string())
            }
            _ => <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_pem(pem_text)
                .map_err(|e| e.to_string()),
        }
    }
}
