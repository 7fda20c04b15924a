//! Every environment variable mbx reads, in one place.

/// The API key, sent in the `X-MBX-APIKEY` header.
pub const BINANCE_API_KEY: &str = "BINANCE_API_KEY";
/// The HMAC secret. Never taken as a command-line argument.
pub const BINANCE_API_SECRET: &str = "BINANCE_API_SECRET";
/// A PEM file holding an Ed25519 or RSA private key.
pub const BINANCE_PRIVATE_KEY_FILE: &str = "BINANCE_PRIVATE_KEY_FILE";
