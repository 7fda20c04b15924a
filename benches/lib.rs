//! Shared inputs and baselines for the criterion benches in this folder.
//!
//! Each bench measures mbx next to a baseline in the same run; the figures
//! and the machine are recorded in `BENCHMARKS.md` at the repository root.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The HMAC secret of the Binance docs' examples.
pub const DOCS_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// The docs' example order payload (`rest-api.md` § HMAC Keys).
pub const DOCS_ORDER_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

/// The way most clients sign: a new HMAC from the secret for every request,
/// the hex written into a new `String`.
pub fn naive_hmac_hex(secret: &str, payload: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Reads a test key from `tests/fixtures/keys/`.
pub fn fixture_key(name: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_computes_the_documented_signature() {
        assert_eq!(
            naive_hmac_hex(DOCS_SECRET, DOCS_ORDER_PAYLOAD),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }
}
