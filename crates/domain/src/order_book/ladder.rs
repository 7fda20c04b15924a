//! One side of a book: its price levels by price, found through compact
//! integer keys.
//!
//! Why this shape (measured in `benches/order_book.rs`, BENCHMARKS.md):
//! comparing `Decimal`s is what a sorted book spends its time on, so each
//! price gets a `u64` sort key, its value in units of 10⁻⁸ (negated for
//! asks, so both sides ascend towards the best price). Every Binance Spot
//! price has at most 8 decimals and is far below 1.8 × 10¹¹, so every price
//! gets a key. Most changes set a new quantity at a price the book has:
//! that is one hash-map lookup by key. Inserting or removing a price also
//! updates a `Vec` of the keys sorted with the best price last; changes
//! happen mostly near the best price, where an insert or a removal moves
//! few keys, and the position is found by galloping back from the best
//! end. A price without a key switches the side to a sorted `Vec` of levels
//! compared as decimals ("wide" mode) for good: slower, just as exact.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;

use crate::stream::Level;

use super::{BookSide, Desync};

/// The decimals a sort key keeps.
const KEY_SCALE: u32 = 8;

/// `10^n` for `n` in `0..=KEY_SCALE`.
const POWERS_OF_TEN: [u64; KEY_SCALE as usize + 1] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

#[derive(Debug, Clone)]
pub(super) struct Ladder {
    side: BookSide,
    store: Store,
}

#[derive(Debug, Clone)]
enum Store {
    /// Every price has a sort key.
    Keyed {
        /// The keys, ascending: the best price last. Invariant: exactly the
        /// keys of `levels`.
        keys: Vec<u64>,
        /// The levels by key; no zero quantity.
        levels: HashMap<u64, Level, BuildHasherDefault<KeyHasher>>,
    },
    /// Some price had no key.
    Wide {
        /// Worst price first, best price last; no zero quantity; one level
        /// per price.
        levels: Vec<Level>,
    },
}

impl PartialEq for Ladder {
    fn eq(&self, other: &Ladder) -> bool {
        // Two ladders with the same levels are equal whatever their mode.
        self.side == other.side && self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Ladder {}

impl Ladder {
    pub(super) fn new(side: BookSide) -> Ladder {
        Ladder::from_sorted(side, Vec::new())
    }

    /// A ladder from levels already sorted worst first, without zero
    /// quantities or repeated prices.
    pub(super) fn from_sorted(side: BookSide, levels: Vec<Level>) -> Ladder {
        let keys: Option<Vec<u64>> = levels
            .iter()
            .map(|level| sort_key(side, &level.price))
            .collect();
        let store = match keys {
            Some(keys) => Store::Keyed {
                levels: keys.iter().copied().zip(levels).collect(),
                keys,
            },
            None => Store::Wide { levels },
        };
        Ladder { side, store }
    }

    /// How many levels.
    pub(super) fn len(&self) -> usize {
        match &self.store {
            Store::Keyed { keys, .. } => keys.len(),
            Store::Wide { levels } => levels.len(),
        }
    }

    /// The levels, best price first (`.rev()`: worst first).
    pub(super) fn iter(&self) -> Levels<'_> {
        match &self.store {
            Store::Keyed { keys, levels } => Levels::Keyed {
                keys: keys.iter(),
                levels,
            },
            Store::Wide { levels } => Levels::Wide(levels.iter()),
        }
    }

    /// The best level.
    pub(super) fn best(&self) -> Option<&Level> {
        self.iter().next()
    }

    /// The best price in units of 10⁻⁸ when the side is keyed (`None`
    /// when empty or wide): the crossed-book check after every diff compares
    /// these instead of looking the levels up and comparing decimals.
    pub(super) fn best_units(&self) -> Option<u64> {
        match &self.store {
            Store::Keyed { keys, .. } => keys.last().map(|&key| match self.side {
                BookSide::Bid => key,
                BookSide::Ask => u64::MAX - key,
            }),
            Store::Wide { .. } => None,
        }
    }

    /// Sets one level: removes it at quantity zero, ignores a zero for a
    /// price the side does not have, inserts or overwrites otherwise.
    pub(super) fn set(&mut self, level: &Level) -> Result<(), Desync> {
        check_level(self.side, level)?;
        let key = sort_key(self.side, &level.price);
        match (&mut self.store, key) {
            (Store::Keyed { keys, levels }, Some(key)) => {
                set_keyed(keys, levels, key, level);
                return Ok(());
            }
            // Every level here has a key, so a price without one is not
            // among them.
            (Store::Keyed { .. }, None) if level.quantity.is_zero() => return Ok(()),
            (Store::Keyed { .. }, None) => self.widen(),
            (Store::Wide { .. }, _) => {}
        }
        if let Store::Wide { levels } = &mut self.store {
            set_wide(self.side, levels, level);
        }
        Ok(())
    }

    /// Switches to comparing decimals.
    fn widen(&mut self) {
        let mut levels: Vec<Level> = self.iter().copied().collect();
        levels.reverse();
        self.store = Store::Wide { levels };
    }
}

/// The levels of a [`Ladder`], best price first.
#[derive(Debug, Clone)]
pub(super) enum Levels<'a> {
    Keyed {
        keys: std::slice::Iter<'a, u64>,
        levels: &'a HashMap<u64, Level, BuildHasherDefault<KeyHasher>>,
    },
    Wide(std::slice::Iter<'a, Level>),
}

impl<'a> Iterator for Levels<'a> {
    type Item = &'a Level;

    fn next(&mut self) -> Option<&'a Level> {
        match self {
            // Indexing cannot fail: `keys` are exactly the map's keys.
            Levels::Keyed { keys, levels } => keys.next_back().map(|key| &levels[key]),
            Levels::Wide(levels) => levels.next_back(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.len();
        (len, Some(len))
    }
}

impl DoubleEndedIterator for Levels<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Levels::Keyed { keys, levels } => keys.next().map(|key| &levels[key]),
            Levels::Wide(levels) => levels.next(),
        }
    }
}

impl ExactSizeIterator for Levels<'_> {
    fn len(&self) -> usize {
        match self {
            Levels::Keyed { keys, .. } => keys.len(),
            Levels::Wide(levels) => levels.len(),
        }
    }
}

fn set_keyed(
    keys: &mut Vec<u64>,
    levels: &mut HashMap<u64, Level, BuildHasherDefault<KeyHasher>>,
    key: u64,
    level: &Level,
) {
    // One probe of the map whatever happens.
    match levels.entry(key) {
        Entry::Occupied(entry) if level.quantity.is_zero() => {
            entry.remove();
            if let Ok(idx) = gallop(keys, |probe| probe.cmp(&key)) {
                keys.remove(idx);
            }
        }
        Entry::Occupied(mut entry) => entry.get_mut().quantity = level.quantity,
        Entry::Vacant(_) if level.quantity.is_zero() => {}
        Entry::Vacant(entry) => {
            entry.insert(*level);
            if let Err(idx) = gallop(keys, |probe| probe.cmp(&key)) {
                keys.insert(idx, key);
            }
        }
    }
}

fn set_wide(side: BookSide, levels: &mut Vec<Level>, level: &Level) {
    let position = match side {
        BookSide::Bid => gallop(levels, |probe| cmp_price(&probe.price, &level.price)),
        BookSide::Ask => gallop(levels, |probe| cmp_price(&level.price, &probe.price)),
    };
    match position {
        Ok(idx) if level.quantity.is_zero() => {
            levels.remove(idx);
        }
        Ok(idx) => levels[idx].quantity = level.quantity,
        Err(_) if level.quantity.is_zero() => {}
        Err(idx) => levels.insert(idx, *level),
    }
}

/// Hashes a sort key: keys are prices from the exchange, not input an
/// attacker picks, so a multiplicative hash (much cheaper than SipHash for
/// one `u64`) is enough.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.0 ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing; the high bits are folded down because the map
        // picks buckets with the low ones.
        let product = (n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = product ^ (product >> 32);
    }
}

/// Refuses a level with a negative quantity or a price that is not
/// positive.
pub(super) fn check_level(side: BookSide, level: &Level) -> Result<(), Desync> {
    let price_ok = level.price.is_sign_positive() && !level.price.is_zero();
    let quantity_ok = !level.quantity.is_sign_negative() || level.quantity.is_zero();
    if price_ok && quantity_ok {
        Ok(())
    } else {
        Err(Desync::InvalidLevel {
            side,
            price: level.price,
            quantity: level.quantity,
        })
    }
}

/// The price in units of 10⁻⁸ (trailing zeros beyond 8 decimals dropped),
/// negated for asks; `None` when it has more decimals or is too large.
/// Equal prices at different scales get the same key.
fn sort_key(side: BookSide, price: &Decimal) -> Option<u64> {
    let mut mantissa = u64::try_from(price.mantissa()).ok()?;
    let mut scale = price.scale();
    while scale > KEY_SCALE {
        if mantissa % 10 != 0 {
            return None;
        }
        mantissa /= 10;
        scale -= 1;
    }
    let units = mantissa.checked_mul(POWERS_OF_TEN[(KEY_SCALE - scale) as usize])?;
    Some(match side {
        BookSide::Bid => units,
        BookSide::Ask => u64::MAX - units,
    })
}

/// `a.cmp(b)`, faster for the common case of one symbol's prices: at the
/// same scale the mantissas compare like the values.
#[inline]
fn cmp_price(a: &Decimal, b: &Decimal) -> Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

/// Where the item `order` calls `Equal` is (`Ok`) or would go (`Err`) in a
/// slice sorted by `order`, searched from the end.
///
/// Gallops back from the last item (steps of 1, 2, 4, …) to bracket the
/// position, then binary-searches the bracket: a position near the end,
/// the common case, costs a few comparisons whatever the length.
fn gallop<T>(items: &[T], order: impl Fn(&T) -> Ordering) -> Result<usize, usize> {
    // Everything at `hi` and after sorts after the target.
    let mut hi = items.len();
    let mut step = 1;
    let lo = loop {
        if hi == 0 {
            break 0;
        }
        let idx = hi.saturating_sub(step);
        match order(&items[idx]) {
            Ordering::Greater => {
                hi = idx;
                step = step.saturating_mul(2);
            }
            Ordering::Equal => return Ok(idx),
            Ordering::Less => break idx + 1,
        }
    };
    match items[lo..hi].binary_search_by(order) {
        Ok(idx) => Ok(lo + idx),
        Err(idx) => Err(lo + idx),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn gallop_finds_every_position() {
        for n in 0..40u64 {
            let items: Vec<u64> = (0..n).map(|idx| 2 * idx + 1).collect();
            for target in 0..=2 * n + 1 {
                assert_eq!(
                    gallop(&items, |probe| probe.cmp(&target)),
                    items.binary_search(&target),
                    "{n} {target}"
                );
            }
        }
    }

    #[track_caller]
    fn check_key(price: &str, expected: Option<u64>) {
        let price: Decimal = price.parse().unwrap();
        assert_eq!(sort_key(BookSide::Bid, &price), expected);
        assert_eq!(
            sort_key(BookSide::Ask, &price),
            expected.map(|units| u64::MAX - units)
        );
    }

    #[test]
    fn sort_keys() {
        check_key("1", Some(100_000_000));
        check_key("1.00", Some(100_000_000));
        check_key("0.00000001", Some(1));
        check_key("98234.51000000", Some(9_823_451_000_000));
        check_key("0.000000010000", Some(1));
        check_key("0.000000001", None);
        check_key("184467440737.09551615", Some(u64::MAX));
        check_key("184467440737.09551616", None);
        check_key("79228162514264337593543950335", None);
    }

    fn level(price: Decimal, quantity: Decimal) -> Level {
        Level { price, quantity }
    }

    /// A price written at one of several scales, sometimes with more than
    /// 8 decimals or huge (no sort key), so both modes are exercised.
    fn price() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            8 => (1i64..40, 0u32..4).prop_map(|(units, scale)| Decimal::new(units * 10i64.pow(scale), scale + 1)),
            1 => (1i64..40).prop_map(|units| Decimal::new(units, 9)),
            1 => Just(Decimal::MAX),
        ]
    }

    proptest! {
        /// A ladder holds what a `BTreeMap` of the same changes holds, in
        /// order, in both modes.
        #[test]
        fn ladder_matches_a_btreemap(
            changes in prop::collection::vec((any::<bool>(), price(), 0i64..4), 0..80),
        ) {
            for side in [BookSide::Bid, BookSide::Ask] {
                let mut ladder = Ladder::new(side);
                let mut model: BTreeMap<Decimal, Decimal> = BTreeMap::new();
                for (_, price, quantity) in changes.iter().filter(|(is_bid, ..)| *is_bid == (side == BookSide::Bid)) {
                    let quantity = Decimal::from(*quantity);
                    ladder.set(&level(*price, quantity)).unwrap();
                    if quantity.is_zero() {
                        model.remove(price);
                    } else {
                        model.insert(*price, quantity);
                    }
                    let expected: Vec<(Decimal, Decimal)> = match side {
                        BookSide::Bid => model.iter().map(|(p, q)| (*p, *q)).collect(),
                        BookSide::Ask => model.iter().rev().map(|(p, q)| (*p, *q)).collect(),
                    };
                    let got: Vec<(Decimal, Decimal)> = ladder.iter().rev().map(|l| (l.price, l.quantity)).collect();
                    prop_assert_eq!(got, expected);
                    prop_assert_eq!(ladder.iter().len(), ladder.len());
                    if let Store::Keyed { keys, levels } = &ladder.store {
                        prop_assert_eq!(keys.len(), levels.len());
                        prop_assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
                    }
                }
            }
        }
    }
}
