//! Decimals and integers written as request text on the stack, without a
//! `String` per value: building an order's query is on the path of every
//! order (benches/orders.rs, `order_client_side`), and the heap text of
//! `Decimal::normalize().to_string()` was a visible part of it.
//!
//! The text is exactly `value.normalize().to_string()` (the unit tests and
//! a proptest hold it to that): plain digits, a `.` only when there are
//! decimals, no trailing zeros, `-` for negatives and `0` for any zero.

use rust_decimal::Decimal;

/// Room for the longest text: a sign, `0.`, and 28 decimals of a 29-digit
/// mantissa at most (31 bytes).
const ROOM: usize = 40;

/// A number's text, held on the stack.
pub(crate) struct NumberText {
    bytes: [u8; ROOM],
    start: usize,
}

impl NumberText {
    /// `value` without trailing zeros, as `value.normalize().to_string()`.
    pub(crate) fn decimal(value: Decimal) -> NumberText {
        let mut text = NumberText {
            bytes: [0; ROOM],
            start: ROOM,
        };
        let mut scale = value.scale();
        let mut mantissa = value.mantissa().unsigned_abs();
        if mantissa == 0 {
            text.push(b'0');
            return text;
        }
        // u64 arithmetic where it fits: 128-bit division is a library call.
        if let Ok(mut small) = u64::try_from(mantissa) {
            while scale > 0 && small.is_multiple_of(10) {
                small /= 10;
                scale -= 1;
            }
            text.digits_u64(small, scale);
        } else {
            while scale > 0 && mantissa.is_multiple_of(10) {
                mantissa /= 10;
                scale -= 1;
            }
            text.digits_u128(mantissa, scale);
        }
        if value.is_sign_negative() {
            text.push(b'-');
        }
        text
    }

    /// An unsigned integer, as `value.to_string()`.
    pub(crate) fn unsigned(value: u64) -> NumberText {
        let mut text = NumberText {
            bytes: [0; ROOM],
            start: ROOM,
        };
        text.digits_u64(value, 0);
        text
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits, `.` and `-` are ever written.
        std::str::from_utf8(&self.bytes[self.start..]).unwrap_or("")
    }

    fn push(&mut self, byte: u8) {
        self.start -= 1;
        self.bytes[self.start] = byte;
    }

    /// Writes `mantissa / 10^scale` right to left: at least one digit
    /// before the point, the point after `scale` digits.
    fn digits_u64(&mut self, mut mantissa: u64, scale: u32) {
        let mut written = 0;
        while mantissa != 0 || written <= scale {
            if written == scale && scale > 0 {
                self.push(b'.');
            }
            self.push(b'0' + (mantissa % 10) as u8);
            mantissa /= 10;
            written += 1;
        }
    }

    /// `digits_u64` for the mantissas above `u64::MAX`: kept
    /// apart because a 128-bit division per digit costs several times the
    /// 64-bit one, and every price and quantity of an order fits 64 bits.
    fn digits_u128(&mut self, mut mantissa: u128, scale: u32) {
        let mut written = 0;
        while mantissa != 0 || written <= scale {
            if written == scale && scale > 0 {
                self.push(b'.');
            }
            self.push(b'0' + (mantissa % 10) as u8);
            mantissa /= 10;
            written += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[track_caller]
    fn same(text: &str) {
        let value: Decimal = text.parse().unwrap();
        assert_eq!(
            NumberText::decimal(value).as_str(),
            value.normalize().to_string(),
            "{text}"
        );
    }

    #[test]
    fn decimals_read_as_the_normalized_text() {
        for text in [
            "0",
            "-0",
            "0.000",
            "-0.00",
            "1",
            "10",
            "100.000",
            "0.001",
            "0.00100",
            "-0.05",
            "50000",
            "50000.01000000",
            "0.1",
            "123.45",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
            "18446744073709551615",
            "18446744073709551616",
            "1844674407370955161.6",
        ] {
            same(text);
        }
    }

    #[test]
    fn integers_read_as_their_text() {
        for value in [0, 1, 9, 10, 150, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(NumberText::unsigned(value).as_str(), value.to_string());
        }
    }

    proptest! {
        #[test]
        fn any_decimal_reads_as_its_normalized_text(
            lo in any::<u32>(),
            mid in any::<u32>(),
            hi in any::<u32>(),
            negative in any::<bool>(),
            scale in 0u32..=28,
        ) {
            let value = Decimal::from_parts(lo, mid, hi, negative, scale);
            let text = NumberText::decimal(value);
            prop_assert_eq!(text.as_str(), value.normalize().to_string());
        }

        #[test]
        fn small_decimals_read_as_their_normalized_text(
            mantissa in any::<i64>(),
            scale in 0u32..=28,
        ) {
            let value = Decimal::new(mantissa, scale);
            let text = NumberText::decimal(value);
            prop_assert_eq!(text.as_str(), value.normalize().to_string());
        }
    }
}
