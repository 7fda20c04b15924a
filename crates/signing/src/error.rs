//! The one error type of the crate.

use crate::signer::KeyKind;

/// Everything that can go wrong with key material or a signature.
///
/// Messages never contain key material or signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HMAC secret is empty.
    #[error("the API secret is empty")]
    EmptySecret,
    /// The HMAC secret has leading or trailing white space or quotes, which
    /// almost always means it was pasted with them by mistake.
    #[error("the API secret has {what}; remove it (Binance secrets are 64 letters and digits)")]
    SuspiciousSecret {
        /// What was found, e.g. "trailing white space".
        what: &'static str,
    },
    /// The key text is not PEM (no `-----BEGIN ...-----` line).
    #[error("the key is not PEM: expected a `-----BEGIN PRIVATE KEY-----` block")]
    NotPem,
    /// A public key was given where a private key is needed.
    #[error(
        "this is a public key (`{label}`); signing needs the private key (`-----BEGIN PRIVATE KEY-----`)"
    )]
    PublicKeyGiven {
        /// The PEM label found.
        label: String,
    },
    /// A private key was given where a public key is expected.
    #[error(
        "this is a private key (`{label}`); give the public key (`-----BEGIN PUBLIC KEY-----`)"
    )]
    PrivateKeyGiven {
        /// The PEM label found.
        label: String,
    },
    /// The PEM block is of a kind this crate does not read.
    #[error("unsupported PEM block `{label}`: {advice}")]
    UnsupportedPem {
        /// The PEM label found.
        label: String,
        /// What to do instead.
        advice: &'static str,
    },
    /// The key is of another type than the one asked for.
    #[error("wrong key type: expected {expected}, found {found}")]
    WrongKeyType {
        /// The type the caller asked for.
        expected: KeyKind,
        /// The type found in the key material.
        found: KeyKind,
    },
    /// The PEM block is well-formed text but its contents are not a valid key.
    #[error("malformed {kind} key: {reason}")]
    MalformedKey {
        /// The key type being read, when known.
        kind: KeyKind,
        /// What is wrong, without key material.
        reason: String,
    },
    /// An RSA key outside the sizes Binance accepts (2048 to 4096 bits).
    #[error("unsupported RSA key size: {bits} bits (Binance accepts 2048 to 4096 bits)")]
    UnsupportedRsaKeySize {
        /// The modulus size.
        bits: usize,
    },
    /// The signature text is not in the encoding the key type uses.
    #[error("the signature is not valid {expected}")]
    SignatureEncoding {
        /// "hex" or "base64".
        expected: &'static str,
    },
    /// The signature does not match the payload.
    #[error("the signature does not match the payload")]
    SignatureMismatch,
}
