//! Client order ids: made up when the caller gives none, checked when it
//! does. The id is what makes an unknown outcome resolvable, so every order
//! has one before it is sent.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_domain::Error;

/// The longest id Binance takes.
const MAX_LEN: usize = 36;

/// `mbx-` and 20 letters and digits: two 64-bit lanes, ten letters each.
///
/// Each id takes the next value of a counter; each lane is a bijection of
/// it (a per-process key added, then a fixed invertible mix), so no two
/// ids of a process have the same lanes, and the ten letters keep ≈ 59.5
/// bits of each (62^10): two ids of one process, or of two processes,
/// match by a chance of about 2^-119. The keys are drawn once per process
/// from the standard library's randomly keyed SipHash (`RandomState`,
/// keyed from the operating system's randomness) over the time and the
/// process id. Ids need to be unique, not secret; drawing the keys once
/// keeps the hashing, the clock and the process id off the path of every
/// order (they were the largest cost of an id in benches/orders.rs).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: OnceLock<[u64; 2]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let draw = |lane: u64| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(lane);
            hasher.write_u128(nanos);
            hasher.write_u32(std::process::id());
            hasher.finish()
        };
        [draw(1), draw(2)]
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(24);
    id.push_str("mbx-");
    // Ten letters from each 64-bit lane (62^10 < 2^64): 64-bit division by
    // a constant is a multiplication.
    for key in keys {
        let mut bits = mix(count.wrapping_add(*key));
        for _ in 0..10 {
            id.push(char::from(ALPHABET[(bits % 62) as usize]));
            bits /= 62;
        }
    }
    id
}

/// A bijection of `u64` that spreads every input bit over the output
/// (the SplitMix64 finalizer: each step, xor-shift and multiplication by
/// an odd constant, is invertible).
fn mix(mut bits: u64) -> u64 {
    bits = (bits ^ (bits >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    bits = (bits ^ (bits >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    bits ^ (bits >> 31)
}

/// Checks an id against Binance's `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub fn check(id: &str) -> Result<(), Error> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-');
    if id.is_empty() || id.len() > MAX_LEN || !id.chars().all(legal) {
        return Err(Error::invalid_with_hint(
            format!("the client order id `{id}` is not 1 to 36 of `A-Z a-z 0-9 . : / _ -`"),
            "use letters, digits and `.:/_-` only, at most 36 of them",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_id(id: &str, ok: bool) {
        assert_eq!(check(id).is_ok(), ok, "{id:?}");
    }

    #[test]
    fn ids_are_checked() {
        check_id("mbx-abc", true);
        check_id("a.b:c/d_e-F9", true);
        check_id(&"x".repeat(36), true);
        check_id(&"x".repeat(37), false);
        check_id("", false);
        check_id("with space", false);
        check_id("é", false);
    }

    #[test]
    fn generated_ids_are_valid_and_unique() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| generate()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 24);
            assert!(id.starts_with("mbx-"));
            check_id(id, true);
        }
    }
}
