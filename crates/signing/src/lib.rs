//! Signs and verifies Binance request payloads: HMAC-SHA256, Ed25519 and RSA.
//!
//! # Brief overview
//!
//! * [`Signer`] signs the exact bytes Binance verifies and returns a
//!   [`Signature`] in the encoding Binance expects: lowercase hex for HMAC,
//!   base64 for Ed25519 and RSA.
//! * [`Verifier`] is the server side of the same rules; the sandbox uses it.
//! * [`payload`] builds those bytes: the REST query string with Binance's
//!   percent-encoding rule, and the sorted WebSocket API payload.
//! * [`HmacKey`], [`Ed25519Key`] and [`RsaKey`] hold key material. Their
//!   `Debug` prints `<redacted>` and they wipe their secret state on drop.
//!
//! ```
//! use mbx_signing::{HmacKey, Signer, payload::Payload};
//!
//! let key = HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")?;
//! let signer = Signer::Hmac(key);
//! let mut query = Payload::new();
//! query.push("symbol", "LTCBTC");
//! query.push("side", "BUY");
//! query.push("type", "LIMIT");
//! query.push("timeInForce", "GTC");
//! query.push("quantity", "1");
//! query.push("price", "0.1");
//! query.push("recvWindow", "5000");
//! query.push("timestamp", "1499827319559");
//! let signature = signer.sign(query.as_bytes());
//! assert_eq!(
//!     signature.as_str(),
//!     "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
//! );
//! # Ok::<(), mbx_signing::Error>(())
//! ```
//!
//! A key design decision: this crate is pure and synchronous. It knows
//! nothing about HTTP, time or async; it takes bytes and returns a signature.
//! That keeps the hot path allocation-free for HMAC (the keyed inner and outer
//! SHA-256 states are computed once per key, and the hex is written into a
//! fixed buffer) and lets the client and the sandbox share one implementation
//! of Binance's rules.
#![deny(missing_docs)]

mod asymmetric;
mod error;
mod hmac_key;
pub mod payload;
mod pem;
mod signer;

pub use asymmetric::{Ed25519Key, Ed25519PublicKey, RsaKey, RsaPublicKey};
pub use error::Error;
pub use hmac_key::{HexSignature, HmacKey};
pub use signer::{KeyKind, Signature, Signer, Verifier};
