//! One signer and one verifier type over the three key kinds.

use std::fmt;

use crate::asymmetric::{Ed25519Key, Ed25519PublicKey, RsaKey, RsaPublicKey};
use crate::error::Error;
use crate::hmac_key::{HexSignature, HmacKey};
use crate::pem::{self, PemLabel};

/// The three key types Binance accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// HMAC-SHA256 with a Binance-generated secret; hex signatures.
    Hmac,
    /// Ed25519 with a key pair you generate; base64 signatures.
    Ed25519,
    /// RSA (PKCS#1 v1.5, SHA-256) with a key pair you generate; base64
    /// signatures.
    Rsa,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Hmac => "HMAC",
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::Rsa => "RSA",
        })
    }
}

/// Signs payloads with any of the three key types.
///
/// ```
/// let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n";
/// let signer = mbx_signing::Signer::from_private_key_pem(pem)?;
/// assert_eq!(signer.kind(), mbx_signing::KeyKind::Ed25519);
/// assert_eq!(signer.sign(b"symbol=BTCUSDT").as_str().len(), 88);
/// # Ok::<(), mbx_signing::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum Signer {
    /// HMAC-SHA256.
    Hmac(HmacKey),
    /// Ed25519.
    Ed25519(Ed25519Key),
    /// RSA.
    Rsa(RsaKey),
}

impl Signer {
    /// Reads an Ed25519 or RSA private key from PEM; the type is read from
    /// the key itself.
    pub fn from_private_key_pem(pem_text: &str) -> Result<Signer, Error> {
        Ok(match private_key_from_pem(pem_text)? {
            PrivateKey::Ed25519(key) => Signer::Ed25519(key),
            PrivateKey::Rsa(key) => Signer::Rsa(key),
        })
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        match self {
            Signer::Hmac(_) => KeyKind::Hmac,
            Signer::Ed25519(_) => KeyKind::Ed25519,
            Signer::Rsa(_) => KeyKind::Rsa,
        }
    }

    /// Signs the exact bytes Binance will verify.
    pub fn sign(&self, payload: &[u8]) -> Signature {
        Signature {
            repr: match self {
                Signer::Hmac(key) => Repr::Hex(key.sign(payload)),
                Signer::Ed25519(key) => Repr::Base64(key.sign_base64(payload)),
                Signer::Rsa(key) => Repr::Base64(key.sign_base64(payload)),
            },
        }
    }

    /// The verifier that accepts this signer's signatures.
    pub fn verifier(&self) -> Verifier {
        match self {
            Signer::Hmac(key) => Verifier::Hmac(key.clone()),
            Signer::Ed25519(key) => Verifier::Ed25519(key.public_key()),
            Signer::Rsa(key) => Verifier::Rsa(key.public_key()),
        }
    }
}

/// A signature as text, in the encoding of its key type.
///
/// On REST, a base64 signature must be percent-encoded in the URL or body
/// (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`); [`crate::payload::encode_component`]
/// does that.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    repr: Repr,
}

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Hex(HexSignature),
    Base64(String),
}

impl Signature {
    /// The signature text.
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Hex(hex) => hex.as_str(),
            Repr::Base64(text) => text,
        }
    }

    /// Whether the text is hex digits, which are sent as they are.
    pub(crate) fn is_hex(&self) -> bool {
        matches!(self.repr, Repr::Hex(_))
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.as_str())
    }
}

/// Checks signatures the way Binance does: HMAC with the shared secret
/// (hex, either case, constant-time), Ed25519 and RSA with the registered
/// public key (base64).
#[derive(Debug, Clone)]
pub enum Verifier {
    /// HMAC-SHA256 with the shared secret.
    Hmac(HmacKey),
    /// Ed25519 public key.
    Ed25519(Ed25519PublicKey),
    /// RSA public key.
    Rsa(RsaPublicKey),
}

impl Verifier {
    /// Reads an Ed25519 or RSA public key (SPKI `PUBLIC KEY` PEM, the form
    /// registered with Binance); the type is read from the key itself.
    pub fn from_public_key_pem(pem_text: &str) -> Result<Verifier, Error> {
        match Ed25519PublicKey::from_public_key_pem(pem_text) {
            Ok(key) => Ok(Verifier::Ed25519(key)),
            Err(Error::WrongKeyType { .. }) => {
                RsaPublicKey::from_public_key_pem(pem_text).map(Verifier::Rsa)
            }
            Err(err) => Err(err),
        }
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        match self {
            Verifier::Hmac(_) => KeyKind::Hmac,
            Verifier::Ed25519(_) => KeyKind::Ed25519,
            Verifier::Rsa(_) => KeyKind::Rsa,
        }
    }

    /// Checks `signature` over `payload`.
    pub fn verify(&self, payload: &[u8], signature: &str) -> Result<(), Error> {
        match self {
            Verifier::Hmac(key) => key.verify(payload, signature),
            Verifier::Ed25519(key) => key.verify(payload, signature),
            Verifier::Rsa(key) => key.verify(payload, signature),
        }
    }
}

pub(crate) enum PrivateKey {
    Ed25519(Ed25519Key),
    Rsa(RsaKey),
}

pub(crate) fn private_key_from_pem(pem_text: &str) -> Result<PrivateKey, Error> {
    let label = pem::label(pem_text)?;
    match label {
        PemLabel::Pkcs8Private => {
            if let Some(key) = Ed25519Key::try_from_pkcs8(pem_text) {
                return Ok(PrivateKey::Ed25519(key));
            }
            match RsaKey::try_from_pem(pem_text, &label) {
                Ok(key) => Ok(PrivateKey::Rsa(key)),
                Err(Error::MalformedKey { .. }) => Err(Error::MalformedKey {
                    kind: KeyKind::Ed25519,
                    reason: "the PKCS#8 block holds neither an Ed25519 nor an RSA private key"
                        .to_owned(),
                }),
                Err(err) => Err(err),
            }
        }
        PemLabel::Pkcs1RsaPrivate => RsaKey::try_from_pem(pem_text, &label).map(PrivateKey::Rsa),
        PemLabel::SpkiPublic | PemLabel::Pkcs1RsaPublic => Err(Error::PublicKeyGiven {
            label: label.text().to_owned(),
        }),
        PemLabel::Other(_) => Err(pem::unsupported(&label)),
    }
}
