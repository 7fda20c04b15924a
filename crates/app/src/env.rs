//! Every environment variable mbx reads, in one place. The credentials and
//! profile variables are the library's; the rest belong to the binary.
//!
//! Read through the library: `BINANCE_API_KEY`, `BINANCE_API_SECRET`,
//! `BINANCE_PRIVATE_KEY_FILE`, `MBX_CONFIG`, `MBX_PROFILE`,
//! `XDG_CONFIG_HOME`, `XDG_CACHE_HOME` and `HOME`
//! ([`mbx_client::config::vars`]).

/// The HMAC secret of the key `mbx sandbox --api-key` registers (throwaway
/// sandbox secrets only).
pub const MBX_SANDBOX_API_SECRET: &str = "MBX_SANDBOX_API_SECRET";
/// When set and not empty, no colour in any output (see [`no_color`]).
pub const NO_COLOR: &str = "NO_COLOR";

/// Whether `NO_COLOR` asks for no colour: set and not empty, as
/// <https://no-color.org> defines it.
pub fn no_color() -> bool {
    std::env::var_os(NO_COLOR).is_some_and(|value| !value.is_empty())
}
