//! One side of a book: its price levels, indexed by price tick near the
//! best price.
//!
//! Why this shape (measured in `benches/order_book.rs`, BENCHMARKS.md):
//! nearly every change of a live book lands within a few hundred ticks of
//! the best price, so the levels there live in a window of tick-indexed
//! slots. A change is then one division (price to slot) and one store: no
//! search, no hashing, no element moved, and the slots near the best price
//! are a few contiguous cache lines. A bitmap of occupied slots gives the
//! order (best first) and the next best price when the best is removed.
//!
//! Each price gets a `u64` key, its value in units of 10⁻⁸ (negated for
//! asks, so both sides ascend towards the best price). Every Binance Spot
//! price has at most 8 decimals and is far below 1.8 × 10¹¹, so every price
//! gets a key. The tick is not taken from `exchangeInfo`: it is the largest
//! power of ten dividing every price seen (Binance's tick sizes are powers
//! of ten), which only ever shrinks, each time tenfold at least, and the
//! window is rebuilt when it does.
//! Levels worse than the window's worst slot are kept in a `BTreeMap` by key;
//! the window moves (levels move between it and the map) when the best price
//! leaves it, so the best level is always in the window. Only quantities are
//! stored: a price is rebuilt from its key with the side's scale (the most
//! decimals any of its prices had), the same value as the exchange sent.
//!
//! A price without a key (more than 8 decimals, or huge) switches the side
//! to a sorted `Vec` of levels compared as decimals ("wide" mode) for good:
//! slower, just as exact.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::btree_map;

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

/// Slots in a side's window: 4096 ticks (64 KiB of quantities), of which
/// the best price is put 3/4 of the way up, so the best price can move
/// 1024 ticks up or 2048 ticks down before the window moves.
const WINDOW: usize = 4096;

#[derive(Debug, Clone)]
pub(super) struct Ladder {
    side: BookSide,
    store: Store,
}

#[derive(Debug, Clone)]
enum Store {
    /// Every price has a sort key.
    Keyed(Grid),
    /// Some price had no key.
    Wide {
        /// Worst price first, best price last; no zero quantity; one level
        /// per price.
        levels: Vec<Level>,
    },
}

/// The keyed levels of one side: a window of tick-indexed slots holding
/// the best level, and the levels below it by key.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    side: BookSide,
    /// Slots in the window, a multiple of 64.
    slots: usize,
    /// Key units from one slot to the next, a power of ten: divides the
    /// units of every key held and of `base`. 0 until the side first holds a level (nothing is
    /// allocated until then).
    tick: u64,
    /// The key of slot 0.
    base: u64,
    /// Decimals of the rebuilt prices: the most any price set here had.
    scale: u32,
    /// Quantities by slot, meaningful where `occupied` has the slot's bit.
    quantities: Vec<Decimal>,
    /// One bit per slot.
    occupied: Vec<u64>,
    /// Levels in the window.
    in_window: usize,
    /// The highest occupied slot, the best level (when `in_window > 0`).
    best_slot: usize,
    /// The levels below the window, by key. Invariants: every key is below
    /// `base`; empty when the window is (the best level is in the window).
    far: BTreeMap<u64, Decimal>,
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
        Ladder::with_window(side, WINDOW)
    }

    /// An empty ladder whose window has `slots` slots (tests use small ones
    /// to move the window often).
    fn with_window(side: BookSide, slots: usize) -> Ladder {
        Ladder {
            side,
            store: Store::Keyed(Grid::new(side, slots)),
        }
    }

    /// A ladder from levels already sorted worst first, without zero
    /// quantities or repeated prices.
    pub(super) fn from_sorted(side: BookSide, levels: Vec<Level>) -> Ladder {
        let keys: Option<Vec<u64>> = levels
            .iter()
            .map(|level| sort_key(side, &level.price))
            .collect();
        let store = match keys {
            Some(keys) => {
                let mut grid = Grid::new(side, WINDOW);
                grid.fill(&keys, &levels);
                Store::Keyed(grid)
            }
            None => Store::Wide { levels },
        };
        Ladder { side, store }
    }

    /// How many levels.
    pub(super) fn len(&self) -> usize {
        match &self.store {
            Store::Keyed(grid) => grid.in_window + grid.far.len(),
            Store::Wide { levels } => levels.len(),
        }
    }

    /// The levels, best price first (`.rev()`: worst first).
    pub(super) fn iter(&self) -> Levels<'_> {
        match &self.store {
            Store::Keyed(grid) => Levels::Keyed {
                grid,
                lo: 0,
                hi: grid.occupied.len() * 64,
                in_window: grid.in_window,
                far: grid.far.iter(),
            },
            Store::Wide { levels } => Levels::Wide(levels.iter()),
        }
    }

    /// The best level.
    pub(super) fn best(&self) -> Option<Level> {
        match &self.store {
            Store::Keyed(grid) => (grid.in_window > 0).then(|| grid.level(grid.best_slot)),
            Store::Wide { levels } => levels.last().copied(),
        }
    }

    /// The best price in units of 10⁻⁸ when the side is keyed (`None`
    /// when empty or wide): the crossed-book check after every diff compares
    /// these instead of comparing decimals.
    pub(super) fn best_units(&self) -> Option<u64> {
        match &self.store {
            Store::Keyed(grid) => grid.best_key().map(|key| units(self.side, key)),
            Store::Wide { .. } => None,
        }
    }

    /// Sets one level: removes it at quantity zero, ignores a zero for a
    /// price the side does not have, inserts or overwrites otherwise.
    #[inline]
    pub(super) fn set(&mut self, level: &Level) -> Result<(), Desync> {
        check_level(self.side, level)?;
        let key = sort_key(self.side, &level.price);
        match (&mut self.store, key) {
            (Store::Keyed(grid), Some(key)) => {
                if !level.quantity.is_zero() {
                    grid.note_scale(level.price.scale());
                }
                grid.set(key, level.quantity);
                return Ok(());
            }
            // Every level here has a key, so a price without one is not
            // among them.
            (Store::Keyed(_), None) if level.quantity.is_zero() => return Ok(()),
            (Store::Keyed(_), None) => self.widen(),
            (Store::Wide { .. }, _) => {}
        }
        if let Store::Wide { levels } = &mut self.store {
            set_wide(self.side, levels, level);
        }
        Ok(())
    }

    /// Switches to comparing decimals.
    fn widen(&mut self) {
        let levels: Vec<Level> = self.iter().rev().collect();
        self.store = Store::Wide { levels };
    }
}

impl Grid {
    fn new(side: BookSide, slots: usize) -> Grid {
        debug_assert!(slots >= 64 && slots.is_multiple_of(64));
        Grid {
            side,
            slots,
            tick: 0,
            base: 0,
            scale: 0,
            quantities: Vec::new(),
            occupied: Vec::new(),
            in_window: 0,
            best_slot: 0,
            far: BTreeMap::new(),
        }
    }

    /// Fills an empty grid with levels sorted worst first and their keys.
    fn fill(&mut self, keys: &[u64], levels: &[Level]) {
        let Some(&best) = keys.last() else {
            return;
        };
        self.tick = ten_power_dividing(
            keys.iter()
                .fold(0, |tick, &key| gcd(tick, units(self.side, key))),
        );
        self.scale = levels.iter().fold(0, |scale, level| {
            scale.max(level.price.scale().min(KEY_SCALE))
        });
        self.allocate();
        self.base = anchor(best, self.tick, self.slots);
        let split = keys.partition_point(|&key| key < self.base);
        self.far = keys[..split]
            .iter()
            .zip(&levels[..split])
            .map(|(&key, level)| (key, level.quantity))
            .collect();
        for (&key, level) in keys[split..].iter().zip(&levels[split..]) {
            self.put(key, level.quantity);
        }
    }

    fn allocate(&mut self) {
        self.quantities = vec![Decimal::ZERO; self.slots];
        self.occupied = vec![0; self.slots / 64];
    }

    fn note_scale(&mut self, scale: u32) {
        self.scale = self.scale.max(scale.min(KEY_SCALE));
    }

    fn key_of(&self, slot: usize) -> u64 {
        self.base + slot as u64 * self.tick
    }

    fn price(&self, key: u64) -> Decimal {
        let divisor = POWERS_OF_TEN[(KEY_SCALE - self.scale) as usize];
        // Exact: every price held had at most `scale` decimals.
        Decimal::from_i128_with_scale(i128::from(units(self.side, key) / divisor), self.scale)
    }

    fn level(&self, slot: usize) -> Level {
        Level {
            price: self.price(self.key_of(slot)),
            quantity: self.quantities[slot],
        }
    }

    fn best_key(&self) -> Option<u64> {
        (self.in_window > 0).then(|| self.key_of(self.best_slot))
    }

    /// Sets the quantity at `key` (zero: removes it).
    #[inline]
    fn set(&mut self, key: u64, quantity: Decimal) {
        if self.tick == 0 {
            if quantity.is_zero() {
                return;
            }
            self.tick = ten_power_dividing(units(self.side, key));
            self.allocate();
            self.base = anchor(key, self.tick, self.slots);
        }
        let (in_or_above, distance) = if key >= self.base {
            (true, key - self.base)
        } else {
            (false, self.base - key)
        };
        let (slot, off_grid) = (distance / self.tick, distance % self.tick);
        if off_grid != 0 {
            if quantity.is_zero() {
                // Not on the grid, so not held.
                return;
            }
            // A finer tick than seen so far: it divides the old one, so
            // every key held stays on the grid.
            self.regrid(ten_power_dividing(gcd(self.tick, distance)));
            return self.set(key, quantity);
        }
        if !in_or_above {
            return self.set_far(key, quantity);
        }
        if slot < self.slots as u64 {
            self.set_slot(slot as usize, quantity);
        } else if !quantity.is_zero() {
            // A new best price above the window: move the window up to it.
            self.move_to(key);
            self.set(key, quantity);
        }
    }

    #[inline]
    fn set_slot(&mut self, slot: usize, quantity: Decimal) {
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        let present = self.occupied[word] & bit != 0;
        if !quantity.is_zero() {
            self.quantities[slot] = quantity;
            if !present {
                self.occupied[word] |= bit;
                self.in_window += 1;
                // An empty window means an empty side: this is the best.
                if self.in_window == 1 || slot > self.best_slot {
                    self.best_slot = slot;
                }
            }
        } else if present {
            self.occupied[word] &= !bit;
            self.in_window -= 1;
            if self.in_window == 0 {
                if let Some((&key, _)) = self.far.last_key_value() {
                    self.move_to(key);
                }
            } else if slot == self.best_slot {
                self.best_slot = highest_below(&self.occupied, slot).unwrap_or(0);
            }
        }
    }

    fn set_far(&mut self, key: u64, quantity: Decimal) {
        if quantity.is_zero() {
            self.far.remove(&key);
            return;
        }
        self.far.insert(key, quantity);
        if self.in_window == 0 {
            // The side was empty: this is its best level.
            self.move_to(key);
        } else if self.best_slot < self.slots / 4 {
            // The best price has drifted to the window's bottom and changes
            // start landing below it: move the window down.
            self.move_to(self.key_of(self.best_slot));
        }
    }

    /// Puts a level in its slot (the caller checked it belongs there).
    fn put(&mut self, key: u64, quantity: Decimal) {
        let slot = ((key - self.base) / self.tick) as usize;
        debug_assert!(slot < self.slots);
        self.quantities[slot] = quantity;
        self.occupied[slot / 64] |= 1 << (slot % 64);
        self.in_window += 1;
        self.best_slot = if self.in_window == 1 {
            slot
        } else {
            self.best_slot.max(slot)
        };
    }

    /// Moves the window so that `best`, the best key held, sits 3/4 of the
    /// way up.
    fn move_to(&mut self, best: u64) {
        self.rebuild(self.tick, anchor(best, self.tick, self.slots));
    }

    /// Switches to a finer tick.
    fn regrid(&mut self, tick: u64) {
        match self.best_key() {
            Some(best) => self.rebuild(tick, anchor(best, tick, self.slots)),
            // Empty: `base` is on the old grid, so on the finer one too.
            None => self.tick = tick,
        }
    }

    /// Lays the levels out again with this tick and base; every key held
    /// must be below `base + tick × slots`.
    fn rebuild(&mut self, tick: u64, base: u64) {
        let window: Vec<(u64, Decimal)> = (0..self.slots)
            .filter(|&slot| self.occupied[slot / 64] & (1 << (slot % 64)) != 0)
            .map(|slot| (self.key_of(slot), self.quantities[slot]))
            .collect();
        self.occupied.fill(0);
        self.in_window = 0;
        self.tick = tick;
        self.base = base;
        let rising = self.far.split_off(&base);
        for (key, quantity) in window.into_iter().chain(rising) {
            if key < base {
                self.far.insert(key, quantity);
            } else {
                self.put(key, quantity);
            }
        }
    }

    #[cfg(test)]
    fn check_invariants(&self) {
        if self.tick == 0 {
            assert_eq!(self.len_for_tests(), 0);
            return;
        }
        let counted: u32 = self.occupied.iter().map(|word| word.count_ones()).sum();
        assert_eq!(counted as usize, self.in_window);
        if self.in_window > 0 {
            assert_eq!(
                highest_below(&self.occupied, self.slots),
                Some(self.best_slot)
            );
        } else {
            assert!(self.far.is_empty());
        }
        assert!(self.far.keys().all(|&key| key < self.base));
        assert!(
            self.far
                .keys()
                .all(|&key| (self.base - key).is_multiple_of(self.tick))
        );
        assert!(self.far.values().all(|quantity| !quantity.is_zero()));
    }

    #[cfg(test)]
    fn len_for_tests(&self) -> usize {
        self.in_window + self.far.len()
    }
}

/// The levels of a [`Ladder`], best price first.
#[derive(Debug, Clone)]
pub(super) enum Levels<'a> {
    Keyed {
        grid: &'a Grid,
        /// The window slots not yet visited are `lo..hi`.
        lo: usize,
        hi: usize,
        /// Occupied slots in `lo..hi`.
        in_window: usize,
        far: btree_map::Iter<'a, u64, Decimal>,
    },
    Wide(std::slice::Iter<'a, Level>),
}

impl Iterator for Levels<'_> {
    type Item = Level;

    fn next(&mut self) -> Option<Level> {
        match self {
            Levels::Keyed {
                grid,
                lo: _,
                hi,
                in_window,
                far,
            } => {
                if *in_window > 0 {
                    // Found: `in_window` counts the occupied slots below `hi`.
                    let slot = highest_below(&grid.occupied, *hi)?;
                    *hi = slot;
                    *in_window -= 1;
                    Some(grid.level(slot))
                } else {
                    far.next_back().map(|(&key, &quantity)| Level {
                        price: grid.price(key),
                        quantity,
                    })
                }
            }
            Levels::Wide(levels) => levels.next_back().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.len();
        (len, Some(len))
    }
}

impl DoubleEndedIterator for Levels<'_> {
    fn next_back(&mut self) -> Option<Level> {
        match self {
            Levels::Keyed {
                grid,
                lo,
                hi: _,
                in_window,
                far,
            } => {
                if let Some((&key, &quantity)) = far.next() {
                    Some(Level {
                        price: grid.price(key),
                        quantity,
                    })
                } else if *in_window > 0 {
                    let slot = lowest_from(&grid.occupied, *lo)?;
                    *lo = slot + 1;
                    *in_window -= 1;
                    Some(grid.level(slot))
                } else {
                    None
                }
            }
            Levels::Wide(levels) => levels.next().copied(),
        }
    }
}

impl ExactSizeIterator for Levels<'_> {
    fn len(&self) -> usize {
        match self {
            Levels::Keyed { in_window, far, .. } => in_window + far.len(),
            Levels::Wide(levels) => levels.len(),
        }
    }
}

/// The highest set bit below `end`.
fn highest_below(words: &[u64], end: usize) -> Option<usize> {
    let mut idx = end / 64;
    let mut bits = match words.get(idx) {
        Some(word) => word & ((1u64 << (end % 64)) - 1),
        None => 0,
    };
    loop {
        if bits != 0 {
            return Some(idx * 64 + 63 - bits.leading_zeros() as usize);
        }
        if idx == 0 {
            return None;
        }
        idx -= 1;
        bits = words[idx];
    }
}

/// The lowest set bit at or above `start`.
fn lowest_from(words: &[u64], start: usize) -> Option<usize> {
    let mut idx = start / 64;
    let mut bits = words.get(idx)? & (u64::MAX << (start % 64));
    loop {
        if bits != 0 {
            return Some(idx * 64 + bits.trailing_zeros() as usize);
        }
        idx += 1;
        bits = *words.get(idx)?;
    }
}

/// The window's base that puts `best` 3/4 of the way up (lower when the
/// keys run out), on `best`'s grid.
fn anchor(best: u64, tick: u64, slots: usize) -> u64 {
    let back = (best / tick).min(slots as u64 * 3 / 4);
    best - back * tick
}

/// The largest power of ten that divides `n` (1 for 0).
fn ten_power_dividing(n: u64) -> u64 {
    let mut power = 1u64;
    if n == 0 {
        return power;
    }
    while let Some(next) = power.checked_mul(10)
        && n.is_multiple_of(next)
    {
        power = next;
    }
    power
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A key's price in units of 10⁻⁸.
fn units(side: BookSide, key: u64) -> u64 {
    match side {
        BookSide::Bid => key,
        BookSide::Ask => u64::MAX - key,
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

/// Refuses a level with a negative quantity or a price that is not
/// positive.
#[inline]
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
#[inline]
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

    #[test]
    fn bit_scans_find_every_bit() {
        let words = [0b1001u64, 0, 1 << 63];
        let set = [0usize, 3, 191];
        for position in 0..=192 {
            assert_eq!(
                highest_below(&words, position),
                set.iter().rev().copied().find(|&bit| bit < position),
                "below {position}"
            );
            assert_eq!(
                lowest_from(&words, position),
                set.iter().copied().find(|&bit| bit >= position),
                "from {position}"
            );
        }
    }

    #[test]
    fn ticks_are_powers_of_ten() {
        assert_eq!(ten_power_dividing(9_823_451_000_000), 1_000_000);
        assert_eq!(ten_power_dividing(2_000_000), 1_000_000);
        assert_eq!(ten_power_dividing(7), 1);
        assert_eq!(
            ten_power_dividing(10_000_000_000_000_000_000),
            10_000_000_000_000_000_000
        );
        assert_eq!(ten_power_dividing(0), 1);
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

    #[test]
    fn prices_come_back_with_the_sides_decimals() {
        let mut ladder = Ladder::new(BookSide::Ask);
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        ladder.set(&level(d("98234.51000000"), d("1.5"))).unwrap();
        ladder.set(&level(d("98234.6"), d("2"))).unwrap();
        let shown: Vec<String> = ladder
            .iter()
            .map(|level| format!("{}x{}", level.price, level.quantity))
            .collect();
        assert_eq!(shown, ["98234.51000000x1.5", "98234.60000000x2"]);
    }

    /// Prices on a 0.01 grid over 3000 ticks (several windows of 64 slots),
    /// some on a coarser 0.1 grid first so the tick gets finer later.
    fn keyed_price() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            3 => (1i64..3000).prop_map(|units| Decimal::new(units, 2)),
            2 => (1i64..300).prop_map(|units| Decimal::new(units, 1)),
            2 => (1i64..60).prop_map(|units| Decimal::new(1400 + units, 2)),
        ]
    }

    /// Adds prices written at several scales, with more than 8 decimals or
    /// huge (no sort key), so the wide mode is exercised too.
    fn any_price() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            8 => (1i64..40, 0u32..4).prop_map(|(units, scale)| Decimal::new(units * 10i64.pow(scale), scale + 1)),
            1 => (1i64..40).prop_map(|units| Decimal::new(units, 9)),
            1 => Just(Decimal::MAX),
        ]
    }

    /// Applies the changes to a ladder and to a `BTreeMap`, checking after
    /// each that they hold the same levels in the same order.
    fn check_against_a_btreemap(
        slots: usize,
        changes: &[(bool, Decimal, i64)],
    ) -> Result<(), TestCaseError> {
        for side in [BookSide::Bid, BookSide::Ask] {
            let mut ladder = Ladder::with_window(side, slots);
            let mut model: BTreeMap<Decimal, Decimal> = BTreeMap::new();
            let is_bid = side == BookSide::Bid;
            for (_, price, quantity) in changes.iter().filter(|(bid, ..)| *bid == is_bid) {
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
                let worst_first: Vec<(Decimal, Decimal)> =
                    ladder.iter().rev().map(|l| (l.price, l.quantity)).collect();
                prop_assert_eq!(&worst_first, &expected);
                let mut best_first: Vec<(Decimal, Decimal)> =
                    ladder.iter().map(|l| (l.price, l.quantity)).collect();
                best_first.reverse();
                prop_assert_eq!(&best_first, &expected);
                prop_assert_eq!(ladder.iter().len(), ladder.len());
                prop_assert_eq!(
                    ladder.best().map(|l| (l.price, l.quantity)),
                    expected.last().copied()
                );
                if let Store::Keyed(grid) = &ladder.store {
                    grid.check_invariants();
                    prop_assert_eq!(
                        ladder.best_units(),
                        expected
                            .last()
                            .and_then(|(p, _)| sort_key(BookSide::Bid, p))
                    );
                }
            }
        }
        Ok(())
    }

    proptest! {
        /// A ladder whose window is small, so its changes land above,
        /// inside and below it, move it both ways and refine its tick,
        /// holds what a `BTreeMap` of the same changes holds, in order.
        #[test]
        fn a_moving_window_matches_a_btreemap(
            changes in prop::collection::vec((any::<bool>(), keyed_price(), 0i64..4), 0..200),
        ) {
            check_against_a_btreemap(64, &changes)?;
            check_against_a_btreemap(WINDOW, &changes)?;
        }

        /// The same in both modes, with prices at several scales.
        #[test]
        fn ladder_matches_a_btreemap(
            changes in prop::collection::vec((any::<bool>(), any_price(), 0i64..4), 0..80),
        ) {
            check_against_a_btreemap(64, &changes)?;
            check_against_a_btreemap(WINDOW, &changes)?;
        }
    }
}
