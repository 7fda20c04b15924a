//! HMAC-SHA256 keys with the keyed state computed once.

use std::fmt;

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;

/// SHA-256's block size in bytes.
const BLOCK: usize = 64;

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// An HMAC-SHA256 secret, kept as its precomputed keyed state.
///
/// HMAC hashes `key XOR ipad` and `key XOR opad` before any message byte.
/// Those two SHA-256 block compressions depend only on the key, so they are
/// done once here; each signature then costs only the message's own blocks
/// plus one outer block (three compressions for the docs' example order).
/// The raw secret is not kept.
///
/// The two keyed states are plain arrays so that they can be zeroized on
/// drop; the `hmac` crate's state cannot be. Correctness is pinned by the
/// RFC 4231 vectors, Binance's vectors and a proptest against a textbook
/// HMAC built on `sha2::Sha256`.
///
/// `Debug` prints `<redacted>`.
///
/// ```
/// let key = mbx_signing::HmacKey::new(b"my-secret")?;
/// assert_eq!(format!("{key:?}"), "HmacKey(<redacted>)");
/// assert_eq!(key.sign(b"").as_str().len(), 64);
/// # Ok::<(), mbx_signing::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    /// Builds a key from the secret's bytes (for Binance, the ASCII bytes of
    /// the `secretKey` string).
    ///
    /// Rejects an empty secret and one with surrounding white space or quotes,
    /// the usual copy-and-paste mistakes behind `-1022`.
    pub fn new(secret: &[u8]) -> Result<HmacKey, Error> {
        check_secret(secret)?;
        Ok(HmacKey::new_unchecked(secret))
    }

    /// Builds a key from any bytes, without the copy-and-paste checks of
    /// [`HmacKey::new`]. An empty key is allowed (RFC 2104 permits it).
    pub fn new_unchecked(secret: &[u8]) -> HmacKey {
        let mut key_block = Zeroizing::new([0u8; BLOCK]);
        if secret.len() > BLOCK {
            key_block[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            key_block[..secret.len()].copy_from_slice(secret);
        }
        let mut pad = Zeroizing::new([0u8; BLOCK]);
        let mut keyed_state = |xor: u8| {
            for (out, byte) in pad.iter_mut().zip(key_block.iter()) {
                *out = byte ^ xor;
            }
            let mut state = SHA256_IV;
            compress(&mut state, &pad[..]);
            state
        };
        HmacKey {
            inner: keyed_state(0x36),
            outer: keyed_state(0x5c),
        }
    }

    /// Builds a key from a secret read from a file or the environment:
    /// surrounding white space (a trailing newline) is trimmed first, and the
    /// copy is wiped afterwards.
    pub fn from_secret_text(text: &str) -> Result<HmacKey, Error> {
        let trimmed = Zeroizing::new(text.trim().to_owned());
        HmacKey::new(trimmed.as_bytes())
    }

    /// Signs `payload` and returns the 64-character lowercase hex signature.
    ///
    /// No heap allocation: the result lives in a fixed buffer.
    #[inline]
    pub fn sign(&self, payload: &[u8]) -> HexSignature {
        HexSignature::from_state(&self.mac_state(payload))
    }

    /// The raw 32-byte HMAC of `payload`.
    pub fn digest(&self, payload: &[u8]) -> [u8; 32] {
        let mut digest = [0u8; 32];
        for (out, word) in digest.chunks_exact_mut(4).zip(self.mac_state(payload)) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }

    /// The outer hash state after the last block: the HMAC as eight
    /// big-endian words.
    #[inline]
    fn mac_state(&self, payload: &[u8]) -> [u32; 8] {
        // Inner hash: the keyed ipad block is already in `self.inner`, so the
        // message length counted in the padding includes one block more.
        let mut state = self.inner;
        let mut chunks = payload.chunks_exact(BLOCK);
        for block in &mut chunks {
            compress(&mut state, block);
        }
        let rest = chunks.remainder();
        let bit_len = ((BLOCK + payload.len()) as u64).wrapping_mul(8);
        let mut tail = [0u8; BLOCK];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        if rest.len() + 9 > BLOCK {
            // No room for the length: it goes in one more, otherwise empty, block.
            compress(&mut state, &tail);
            tail = [0u8; BLOCK];
        }
        tail[BLOCK - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress(&mut state, &tail);

        // Outer hash: one block holding the inner digest and its padding.
        let mut outer_block = [0u8; BLOCK];
        for (out, word) in outer_block.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        outer_block[32] = 0x80;
        outer_block[56..].copy_from_slice(&(((BLOCK + 32) * 8) as u64).to_be_bytes());
        let mut outer = self.outer;
        compress(&mut outer, &outer_block);
        outer
    }

    /// Checks a hex signature (either case, as Binance accepts) in constant
    /// time.
    pub fn verify(&self, payload: &[u8], signature_hex: &str) -> Result<(), Error> {
        let given = decode_hex_32(signature_hex.as_bytes())
            .ok_or(Error::SignatureEncoding { expected: "hex" })?;
        let expected = self.digest(payload);
        if bool::from(expected.ct_eq(&given)) {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

/// One SHA-256 block compression (SHA-NI when the CPU has it; `sha2` detects
/// it at run time).
#[inline]
fn compress(state: &mut [u32; 8], block: &[u8]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// A 64-character lowercase hex HMAC signature in a fixed buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexSignature {
    hex: [u8; 64],
}

impl HexSignature {
    #[inline]
    fn from_state(words: &[u32; 8]) -> HexSignature {
        let mut hex = [0u8; 64];
        for (out, word) in hex.chunks_exact_mut(8).zip(words) {
            out.copy_from_slice(&hex_word(*word));
        }
        HexSignature { hex }
    }

    /// The signature as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.hex).expect("hex digits are ASCII")
    }
}

impl fmt::Display for HexSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexSignature({})", self.as_str())
    }
}

/// The eight lowercase hex digits of `word`, most significant first, without
/// a lookup table: each nibble is spread into its own byte, then turned into
/// ASCII with one add (plus 39 more for the nibbles 10 to 15, `a`-`f`).
#[inline]
fn hex_word(word: u32) -> [u8; 8] {
    let mut nibbles = u64::from(word);
    nibbles = ((nibbles & 0xffff_0000) << 16) | (nibbles & 0xffff);
    nibbles = ((nibbles & 0x0000_ff00_0000_ff00) << 8) | (nibbles & 0x0000_00ff_0000_00ff);
    nibbles = ((nibbles & 0x00f0_00f0_00f0_00f0) << 4) | (nibbles & 0x000f_000f_000f_000f);
    let letters = ((nibbles + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (nibbles + 0x3030_3030_3030_3030 + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
}

fn check_secret(secret: &[u8]) -> Result<(), Error> {
    let Some((&first, &last)) = secret.first().zip(secret.last()) else {
        return Err(Error::EmptySecret);
    };
    if first.is_ascii_whitespace() {
        return Err(Error::SuspiciousSecret {
            what: "leading white space",
        });
    }
    if last.is_ascii_whitespace() {
        return Err(Error::SuspiciousSecret {
            what: "trailing white space",
        });
    }
    if matches!(first, b'"' | b'\'') || matches!(last, b'"' | b'\'') {
        return Err(Error::SuspiciousSecret {
            what: "surrounding quotes",
        });
    }
    Ok(())
}

fn decode_hex_32(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[track_caller]
    fn check_rfc4231(key: &[u8], data: &[u8], expected: &str) {
        assert_eq!(HmacKey::new_unchecked(key).sign(data).as_str(), expected);
    }

    // RFC 4231 section 4, HMAC-SHA-256 outputs.
    #[test]
    fn rfc4231_case_1() {
        check_rfc4231(
            &[0x0b; 20],
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        );
    }
    #[test]
    fn rfc4231_case_2() {
        check_rfc4231(
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        );
    }
    #[test]
    fn rfc4231_case_3() {
        check_rfc4231(
            &[0xaa; 20],
            &[0xdd; 50],
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        );
    }
    #[test]
    fn rfc4231_case_4() {
        let key: Vec<u8> = (0x01..=0x19).collect();
        check_rfc4231(
            &key,
            &[0xcd; 50],
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        );
    }
    #[test]
    fn rfc4231_case_5_truncated() {
        let full = HmacKey::new_unchecked(&[0x0c; 20]).sign(b"Test With Truncation");
        assert_eq!(&full.as_str()[..32], "a3b6167473100ee06e0c796c2955552b");
    }
    #[test]
    fn rfc4231_case_6_key_longer_than_block() {
        check_rfc4231(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        );
    }
    #[test]
    fn rfc4231_case_7_long_key_and_data() {
        check_rfc4231(
            &[0xaa; 131],
            b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        );
    }

    #[test]
    fn rejects_copy_paste_mistakes() {
        assert_eq!(HmacKey::new(b"").unwrap_err(), Error::EmptySecret);
        assert_eq!(
            HmacKey::new(b"abc\n").unwrap_err(),
            Error::SuspiciousSecret {
                what: "trailing white space"
            }
        );
        assert_eq!(
            HmacKey::new(b" abc").unwrap_err(),
            Error::SuspiciousSecret {
                what: "leading white space"
            }
        );
        assert_eq!(
            HmacKey::new(b"\"abc\"").unwrap_err(),
            Error::SuspiciousSecret {
                what: "surrounding quotes"
            }
        );
        assert!(HmacKey::from_secret_text("abc\n").is_ok());
    }

    #[test]
    fn verify_accepts_uppercase_and_rejects_garbage() {
        let key = HmacKey::new(b"secret").unwrap();
        let sig = key.sign(b"a=1");
        assert_eq!(key.verify(b"a=1", &sig.as_str().to_uppercase()), Ok(()));
        assert_eq!(
            key.verify(b"a=2", sig.as_str()),
            Err(Error::SignatureMismatch)
        );
        assert_eq!(
            key.verify(b"a=1", "zz"),
            Err(Error::SignatureEncoding { expected: "hex" })
        );
        assert_eq!(
            key.verify(b"a=1", &"g".repeat(64)),
            Err(Error::SignatureEncoding { expected: "hex" })
        );
    }

    /// The textbook definition, computed from scratch with plain SHA-256.
    fn reference_hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .into()
    }

    #[test]
    fn hex_word_matches_format() {
        for word in [0, 1, 9, 10, 15, 16, 0xabcd_1234, 0x09a0_f10a, u32::MAX] {
            assert_eq!(
                std::str::from_utf8(&hex_word(word)).unwrap(),
                format!("{word:08x}")
            );
        }
    }

    #[test]
    fn every_padding_boundary_matches_reference() {
        // Lengths around 55/56/64 bytes change how many tail blocks are needed.
        let message: Vec<u8> = (0..=255u8).collect();
        for key_len in [0, 1, 63, 64, 65, 200] {
            let key = vec![0x5a; key_len];
            let hmac_key = HmacKey::new_unchecked(&key);
            for len in 0..=message.len() {
                assert_eq!(
                    hmac_key.digest(&message[..len]),
                    reference_hmac(&key, &message[..len]),
                    "key {key_len} msg {len}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn precomputed_state_matches_reference(
            key in proptest::collection::vec(any::<u8>(), 0..300),
            message in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let hmac_key = HmacKey::new_unchecked(&key);
            // Sign twice: the precomputed state must not be consumed by use.
            let _ = hmac_key.sign(b"warm-up");
            prop_assert_eq!(hmac_key.digest(&message), reference_hmac(&key, &message));
            let mut crate_hmac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&key).unwrap();
            hmac::Mac::update(&mut crate_hmac, &message);
            let crate_digest: [u8; 32] = hmac::Mac::finalize(crate_hmac).into_bytes().into();
            prop_assert_eq!(hmac_key.digest(&message), crate_digest);
            let hex: String = reference_hmac(&key, &message).iter().map(|b| format!("{b:02x}")).collect();
            let signature = hmac_key.sign(&message);
            prop_assert_eq!(signature.as_str(), hex.as_str());
        }

        #[test]
        fn any_flipped_bit_is_rejected(
            message in proptest::collection::vec(any::<u8>(), 1..200),
            bit in any::<usize>(),
            in_signature in any::<bool>(),
        ) {
            let key = HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j").unwrap();
            let signature = key.sign(&message);
            prop_assert_eq!(key.verify(&message, signature.as_str()), Ok(()));
            if in_signature {
                let mut digest = key.digest(&message);
                let bit = bit % 256;
                digest[bit / 8] ^= 1 << (bit % 8);
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                prop_assert_eq!(key.verify(&message, &hex), Err(Error::SignatureMismatch));
            } else {
                let mut tampered = message.clone();
                let bit = bit % (tampered.len() * 8);
                tampered[bit / 8] ^= 1 << (bit % 8);
                prop_assert_eq!(key.verify(&tampered, signature.as_str()), Err(Error::SignatureMismatch));
            }
        }
    }
}
