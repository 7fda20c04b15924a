//! Rounding to a filter's grid (`tickSize`, `stepSize`) or to an asset's
//! precision, in exact decimals.
//!
//! The result is a multiple of the step written with the step's own
//! decimals (`stepSize` `0.00100000` → `0.123`, `5.000`), so its text is what
//! the server accepts: no binary-float noise and never more decimals than
//! the step has. Nothing here goes through `f64`, and nothing panics: an
//! overflow is `None`.

use rust_decimal::{Decimal, RoundingStrategy};

/// Which way to round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Towards negative infinity (never more than the value).
    Down,
    /// Towards positive infinity (never less than the value).
    Up,
    /// To the nearer grid point; a value half-way goes up.
    Nearest,
}

/// Rounds `value` to a multiple of `step`.
///
/// A `step` of zero (or below) is a disabled grid (filters.md: "disabled on
/// `tickSize` == 0"): the value comes back unchanged. `None` only when the
/// result does not fit a [`Decimal`] exactly (beyond 28 significant
/// digits).
///
/// ```
/// use mbx_domain::preflight::{Rounding, round_to_step};
/// use rust_decimal::Decimal;
///
/// let step: Decimal = "0.00010".parse().unwrap();
/// let qty: Decimal = "0.123456".parse().unwrap();
/// assert_eq!(round_to_step(qty, step, Rounding::Down).unwrap().to_string(), "0.1234");
/// assert_eq!(round_to_step(qty, step, Rounding::Up).unwrap().to_string(), "0.1235");
/// assert_eq!(round_to_step(qty, step, Rounding::Nearest).unwrap().to_string(), "0.1235");
/// ```
pub fn round_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Option<Decimal> {
    if step <= Decimal::ZERO {
        return Some(value);
    }
    if let Some(res) = small_round_to_step(value, step, rounding) {
        return Some(res);
    }
    decimal_round_to_step(value, step, rounding)
}

/// [`round_to_step`] in `Decimal` arithmetic: any value, any step above
/// zero.
fn decimal_round_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Option<Decimal> {
    let mut rem = value.checked_rem(step)?;
    if rem < Decimal::ZERO {
        rem = rem.checked_add(step)?;
    }
    let down = value.checked_sub(rem)?;
    let res = if rem.is_zero() {
        down
    } else {
        let go_up = match rounding {
            Rounding::Down => false,
            Rounding::Up => true,
            Rounding::Nearest => rem.checked_mul(Decimal::TWO)? >= step,
        };
        if go_up { down.checked_add(step)? } else { down }
    };
    // Beyond 28 significant digits the subtraction itself rounds; such a
    // result is not on the grid and there is no exact answer to give.
    is_on_step(res, step).then(|| with_scale_of(res, step))
}

/// Whether `value` is a multiple of `step` (always true for a disabled,
/// zero step). A remainder that cannot be computed counts as off the grid.
pub fn is_on_step(value: Decimal, step: Decimal) -> bool {
    if step <= Decimal::ZERO {
        return true;
    }
    if let Some(on_step) = small_is_on_step(value, step) {
        return on_step;
    }
    value.checked_rem(step).is_some_and(|rem| rem.is_zero())
}

/// [`is_on_step`] in 64-bit integers when both numbers, written with the
/// larger of their scales, fit in a `u64` (any price or quantity of an
/// order does); `None` otherwise. A `Decimal` remainder costs more than
/// every other step check of an order together.
fn small_is_on_step(value: Decimal, step: Decimal) -> Option<bool> {
    let (value, step, _) = widen(value, step)?;
    // `step` is above zero, so its mantissa is not zero.
    Some(value.is_multiple_of(step))
}

/// `value` and `step` as integers in units of the larger of their scales,
/// with that scale, when both fit in a `u64` (signs dropped).
fn widen(value: Decimal, step: Decimal) -> Option<(u64, u64, u32)> {
    let scale = value.scale().max(step.scale());
    let widen = |number: Decimal| -> Option<u64> {
        let mantissa = u64::try_from(number.mantissa().unsigned_abs()).ok()?;
        let factor = 10_u64.checked_pow(scale - number.scale())?;
        mantissa.checked_mul(factor)
    };
    Some((widen(value)?, widen(step)?, scale))
}

/// [`round_to_step`] in 64-bit integers for a value of zero or more when
/// both numbers, written with the larger of their scales, fit in a `u64`
/// (any price or quantity of an order does); `None` otherwise. Every order
/// placed with `--round` is rounded this way, and a `Decimal` remainder
/// costs more than the rest of the rounding together.
fn small_round_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Option<Decimal> {
    if value.is_sign_negative() {
        return None;
    }
    let (wide_value, wide_step, scale) = widen(value, step)?;
    let rem = wide_value % wide_step;
    let down = wide_value - rem;
    let go_up = rem != 0
        && match rounding {
            Rounding::Down => false,
            Rounding::Up => true,
            Rounding::Nearest => rem.checked_mul(2)? >= wide_step,
        };
    let res = if go_up {
        down.checked_add(wide_step)?
    } else {
        down
    };
    let res = Decimal::try_from_i128_with_scale(i128::from(res), scale).ok()?;
    Some(with_scale_of(res, step))
}

/// Rounds `value` to at most `decimals` decimals (an asset's precision),
/// dropping trailing zeros.
///
/// ```
/// use mbx_domain::preflight::{Rounding, round_to_decimals};
///
/// let value = "0.123456789".parse().unwrap();
/// assert_eq!(round_to_decimals(value, 8, Rounding::Down).to_string(), "0.12345678");
/// assert_eq!(round_to_decimals(value, 8, Rounding::Up).to_string(), "0.12345679");
/// ```
pub fn round_to_decimals(value: Decimal, decimals: u32, rounding: Rounding) -> Decimal {
    let strategy = match rounding {
        Rounding::Down => RoundingStrategy::ToNegativeInfinity,
        Rounding::Up => RoundingStrategy::ToPositiveInfinity,
        Rounding::Nearest => RoundingStrategy::MidpointAwayFromZero,
    };
    value.round_dp_with_strategy(decimals, strategy).normalize()
}

/// The number of decimals `value` needs (`1.500` → 1).
pub fn decimals(value: Decimal) -> u32 {
    let mut scale = value.scale();
    // The mantissa's trailing zeros in 64-bit integers when it fits (it
    // does for every price and quantity of an order): `normalize` is a
    // 96-bit division per zero.
    match u64::try_from(value.mantissa().unsigned_abs()) {
        Ok(0) => 0,
        Ok(mut mantissa) => {
            while scale > 0 && mantissa.is_multiple_of(10) {
                mantissa /= 10;
                scale -= 1;
            }
            scale
        }
        Err(_) => value.normalize().scale(),
    }
}

/// Whether `value` passes a range filter (`min <= value`, `value <= max`
/// unless `max` is zero, on the grid of `step` unless it is zero), in
/// 64-bit integers when the four numbers, written with the largest of
/// their scales, fit in a `u64` and none is negative (any order's price or
/// quantity against `PRICE_FILTER` or `LOT_SIZE`); `None` otherwise. Four
/// `Decimal` comparisons of different scales and a remainder cost several
/// times more.
pub(super) fn small_in_range(
    value: Decimal,
    min: Decimal,
    max: Decimal,
    step: Decimal,
) -> Option<bool> {
    let numbers = [value, min, max, step];
    if numbers.iter().any(|number| number.is_sign_negative()) {
        return None;
    }
    let scale = numbers.iter().map(|number| number.scale()).max()?;
    let mut wide = [0_u64; 4];
    for (slot, number) in wide.iter_mut().zip(numbers) {
        let mantissa = u64::try_from(number.mantissa().unsigned_abs()).ok()?;
        *slot = mantissa.checked_mul(10_u64.checked_pow(scale - number.scale())?)?;
    }
    let [value, min, max, step] = wide;
    Some(value >= min && (max == 0 || value <= max) && (step == 0 || value.is_multiple_of(step)))
}

/// `value` (a multiple of `step`) written with the step's decimals.
fn with_scale_of(value: Decimal, step: Decimal) -> Decimal {
    let mut res = value;
    // A multiple of the step never needs more decimals than the step, so
    // this only drops or appends zeros (no `normalize` first: a 96-bit
    // division per zero); `rescale` keeps the value if it cannot.
    res.rescale(decimals(step));
    if res.is_zero() {
        // As `normalize` did: `-0` is written `0`.
        res.set_sign_positive(true);
    }
    res
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[track_caller]
    fn check(value: &str, step: &str, down: &str, up: &str, nearest: &str) {
        let (value, step) = (d(value), d(step));
        let got = |rounding| round_to_step(value, step, rounding).unwrap().to_string();
        assert_eq!(got(Rounding::Down), down, "down");
        assert_eq!(got(Rounding::Up), up, "up");
        assert_eq!(got(Rounding::Nearest), nearest, "nearest");
    }

    #[test]
    fn off_the_grid() {
        check("0.123456", "0.00010", "0.1234", "0.1235", "0.1235");
        check("0.123449", "0.0001", "0.1234", "0.1235", "0.1234");
        check("97000.005", "0.01", "97000.00", "97000.01", "97000.01");
    }

    #[test]
    fn keeps_the_steps_decimals() {
        check("5", "0.00100000", "5.000", "5.000", "5.000");
        check("0.1230000000", "0.001", "0.123", "0.123", "0.123");
        check("123", "10", "120", "130", "120");
        check("125", "10.00", "120", "130", "130");
    }

    #[test]
    fn steps_that_are_not_powers_of_ten() {
        check("1.3", "0.25", "1.25", "1.50", "1.25");
        check("0.7", "0.3", "0.6", "0.9", "0.6");
    }

    #[test]
    fn zero_step_is_a_disabled_grid() {
        check("0.123456", "0", "0.123456", "0.123456", "0.123456");
        assert!(is_on_step(d("0.123456"), Decimal::ZERO));
    }

    #[test]
    fn negative_values_round_towards_the_right_infinity() {
        check("-1.3", "0.5", "-1.5", "-1.0", "-1.5");
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        assert_eq!(
            round_to_step(Decimal::MAX, d("2"), Rounding::Up),
            None,
            "MAX is odd: the next multiple of 2 does not fit"
        );
    }

    #[test]
    fn decimals_rounding() {
        assert_eq!(round_to_decimals(d("1.25"), 1, Rounding::Nearest), d("1.3"));
        assert_eq!(
            round_to_decimals(d("1.20000"), 8, Rounding::Down).to_string(),
            "1.2"
        );
        assert_eq!(decimals(d("0.00100000")), 3);
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..=18).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
    }

    fn step() -> impl Strategy<Value = Decimal> {
        (1i64..=100_000, 0u32..=12).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
    }

    proptest! {
        #[test]
        fn lands_on_the_grid_next_to_the_value(value in decimal(), step in step()) {
            for rounding in [Rounding::Down, Rounding::Up, Rounding::Nearest] {
                let Some(res) = round_to_step(value, step, rounding) else { continue };
                prop_assert!(is_on_step(res, step), "{res} not on {step}");
                prop_assert!((res - value).abs() < step, "{res} too far from {value}");
                prop_assert!(res.normalize().scale() <= decimals(step));
                match rounding {
                    Rounding::Down => prop_assert!(res <= value),
                    Rounding::Up => prop_assert!(res >= value),
                    Rounding::Nearest => prop_assert!((res - value).abs() * Decimal::TWO <= step),
                }
            }
        }

        #[test]
        fn the_integer_rounding_agrees_with_the_decimal_one(
            value in decimal(),
            step in step(),
            k in -1_000_000i64..1_000_000,
            small in 0i64..100_000_000_000,
            small_scale in 0u32..=10,
        ) {
            let on_grid = Decimal::from(k) * step;
            let small = Decimal::new(small, small_scale);
            for value in [value, on_grid, small] {
                for rounding in [Rounding::Down, Rounding::Up, Rounding::Nearest] {
                    let Some(fast) = small_round_to_step(value, step, rounding) else { continue };
                    let exact = decimal_round_to_step(value, step, rounding);
                    // The same value with the same text (scale included).
                    prop_assert_eq!(
                        Some(fast.to_string()),
                        exact.map(|exact| exact.to_string()),
                        "{} on {} ({:?})", value, step, rounding
                    );
                }
            }
        }

        #[test]
        fn the_steps_scale_is_written_as_after_normalize(
            k in -1_000_000i64..1_000_000,
            step in step(),
            extra in 0u32..=6,
        ) {
            let mut value = Decimal::from(k) * step;
            value.rescale(value.scale() + extra);
            let mut expected = value.normalize();
            expected.rescale(decimals(step));
            prop_assert_eq!(with_scale_of(value, step).to_string(), expected.to_string());
        }

        #[test]
        fn values_on_the_grid_stay(k in -1_000_000i64..1_000_000, step in step()) {
            let value = Decimal::from(k) * step;
            for rounding in [Rounding::Down, Rounding::Up, Rounding::Nearest] {
                prop_assert_eq!(round_to_step(value, step, rounding), Some(value));
            }
        }

        #[test]
        fn the_integer_range_check_agrees_with_the_decimal_one(
            value in decimal(),
            k in -1_000_000i64..1_000_000,
            min in step(),
            width in step(),
            step in step(),
            zero_max in any::<bool>(),
            zero_step in any::<bool>(),
        ) {
            let on_grid = Decimal::from(k) * step;
            let max = if zero_max { Decimal::ZERO } else { min + width };
            let step = if zero_step { Decimal::ZERO } else { step };
            for value in [value, on_grid, min, max] {
                let Some(fast) = small_in_range(value, min, max, step) else { continue };
                let exact = value >= min
                    && (max.is_zero() || value <= max)
                    && (step.is_zero() || value.checked_rem(step).is_some_and(|rem| rem.is_zero()));
                prop_assert_eq!(fast, exact, "{} in [{}, {}] step {}", value, min, max, step);
            }
        }

        #[test]
        fn the_integer_grid_check_agrees_with_the_decimal_remainder(
            value in decimal(),
            step in step(),
            k in -1_000_000i64..1_000_000,
        ) {
            let on_grid = Decimal::from(k) * step;
            for value in [value, on_grid] {
                let exact = value.checked_rem(step).is_some_and(|rem| rem.is_zero());
                prop_assert_eq!(is_on_step(value, step), exact, "{} on {}", value, step);
            }
        }

        #[test]
        fn decimals_count_what_normalize_keeps(value in decimal(), big in any::<u128>(), scale in 0u32..=28) {
            prop_assert_eq!(decimals(value), value.normalize().scale());
            let big = Decimal::from_i128_with_scale((big >> 33) as i128, scale);
            prop_assert_eq!(decimals(big), big.normalize().scale());
        }

        #[test]
        fn never_panics(value in any::<u128>(), scale in 0u32..=28, step in any::<u128>(), step_scale in 0u32..=28) {
            let make = |raw: u128, scale| Decimal::from_i128_with_scale((raw >> 33) as i128, scale);
            let (value, step) = (make(value, scale), make(step, step_scale));
            for rounding in [Rounding::Down, Rounding::Up, Rounding::Nearest] {
                let _ = round_to_step(value, step, rounding);
            }
            let _ = is_on_step(value, step);
        }
    }
}
