//! HMAC-SHA256 keys with the keyed state computed once.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 secret, kept as its precomputed keyed state.
///
/// HMAC hashes `key XOR ipad` and `key XOR opad` before any message byte.
/// Those two SHA-256 block compressions depend only on the key, so they are
/// done once here; each signature then costs only the message's own blocks
/// plus one outer block. The raw secret is not kept.
///
/// `Debug` prints `<redacted>`. On drop the keyed state is overwritten in
/// place.
///
/// ```
/// let key = mbx_signing::HmacKey::new(b"my-secret")?;
/// assert_eq!(format!("{key:?}"), "HmacKey(<redacted>)");
/// assert_eq!(key.sign(b"").as_str().len(), 64);
/// # Ok::<(), mbx_signing::Error>(())
/// ```
#[derive(Clone)]
pub struct HmacKey {
    keyed: HmacSha256,
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
        let keyed =
            <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        HmacKey { keyed }
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
    pub fn sign(&self, payload: &[u8]) -> HexSignature {
        HexSignature::from_digest(&self.digest(payload))
    }

    /// The raw 32-byte HMAC of `payload`.
    pub fn digest(&self, payload: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(payload);
        mac.finalize().into_bytes().into()
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

impl Drop for HmacKey {
    fn drop(&mut self) {
        // `Hmac` has no heap parts and does not implement `Zeroize`, so the
        // keyed state is wiped by overwriting it in place with the state of
        // a fixed, public key.
        self.keyed = <HmacSha256 as Mac>::new_from_slice(&[]).expect("HMAC accepts an empty key");
        std::hint::black_box(&self.keyed);
    }
}

/// A 64-character lowercase hex HMAC signature in a fixed buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexSignature {
    hex: [u8; 64],
}

impl HexSignature {
    fn from_digest(digest: &[u8; 32]) -> HexSignature {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 64];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
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
