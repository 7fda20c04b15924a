//! Every environment variable mbx reads, in one place.

/// The API key, sent in the `X-MBX-APIKEY` header.
pub const BINANCE_API_KEY: &str = "BINANCE_API_KEY";
/// The HMAC secret. Never taken as a command-line argument.
pub const BINANCE_API_SECRET: &str = "BINANCE_API_SECRET";
/// A PEM file holding an Ed25519 or RSA private key.
pub const BINANCE_PRIVATE_KEY_FILE: &str = "BINANCE_PRIVATE_KEY_FILE";
/// The profile file; default `$XDG_CONFIG_HOME/mbx/config.toml` or
/// `~/.config/mbx/config.toml`.
pub const MBX_CONFIG: &str = "MBX_CONFIG";
/// The profile to use when `--profile` is not given.
pub const MBX_PROFILE: &str = "MBX_PROFILE";
/// The HMAC secret of the key `mbx sandbox --api-key` registers (throwaway
/// sandbox secrets only).
pub const MBX_SANDBOX_API_SECRET: &str = "MBX_SANDBOX_API_SECRET";
/// Used to find the default profile file.
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// Used to find the default profile file.
pub const HOME: &str = "HOME";
/// When set, no colour in logs.
pub const NO_COLOR: &str = "NO_COLOR";
