//! Current balances from a REST snapshot plus user-data events.
//!
//! [`BalanceMirror`] is pure: it is handed a snapshot (from `GET
//! /api/v3/account`: `updateTime` and `balances`) and then every user-data
//! event, and answers what each asset's balance is now. It does no I/O, so a
//! reconnecting client can feed it the same events twice, or events older
//! than the snapshot, and still get the right answer.
//!
//! The rules, per asset (`shared/binance-docs/user-data-stream.md`):
//!
//! 1. A snapshot taken at `updateTime` S sets every listed asset to its free
//!    and locked values; each asset is then "known as of S". Assets the
//!    snapshot does not list are zero as of S.
//! 2. `outboundAccountPosition` carries absolute values as of its `u` (time
//!    of the last account update). For each listed asset, if `u` is not older
//!    than what is known, the values become the asset's absolute value as of
//!    `u`; deltas already seen with a later time (rule 3) still count on top
//!    of it. Otherwise the event is stale and ignored. Replaying it sets the
//!    same values again, so it is idempotent.
//! 3. `balanceUpdate` (deposit, withdrawal, transfer) adds `d` to free at
//!    clear time `T`. If `T` is not newer than the time the asset is known
//!    as of, the delta is already part of the known value and is ignored.
//!    Otherwise it is applied once: the mirror remembers each applied delta
//!    (asset, `T`, `E`, `d`) until a newer absolute value makes it moot, so a
//!    replayed delta is not counted twice.
//! 4. `externalLockUpdate` moves `d` from free to locked (back when negative)
//!    under the same rule as 3, with its transaction time `T`.
//! 5. Other events (`executionReport`, `listStatus`, …) do not change
//!    balances; Binance follows them with an `outboundAccountPosition`.
//!
//! After a reconnect, fetch a fresh snapshot and call
//! [`BalanceMirror::reset`]: it returns what changed while the client was
//! away, so a consumer's view is right again.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::model::{Balance, Millis};
use crate::stream::{AccountPosition, UserEvent};

/// Balances of one account, kept current from a snapshot and user events.
///
/// ```
/// use mbx_domain::balance_mirror::BalanceMirror;
/// use mbx_domain::model::Balance;
/// use mbx_domain::stream::{BalanceUpdate, UserEvent};
///
/// let btc = |free: &str| Balance { asset: "BTC".into(), free: free.parse().unwrap(), locked: "0".parse().unwrap() };
/// let mut mirror = BalanceMirror::new(1_000, [btc("1.5")]);
/// let deposit = UserEvent::BalanceUpdate(BalanceUpdate {
///     event_time: 2_001, asset: "BTC".into(), delta: "0.25".parse().unwrap(), clear_time: 2_000,
/// });
/// assert_eq!(mirror.apply(&deposit), vec![btc("1.75")]);
/// assert!(mirror.apply(&deposit).is_empty()); // A replay changes nothing.
/// assert_eq!(mirror.balance("BTC"), Some(btc("1.75")));
/// ```
#[derive(Debug, Clone)]
pub struct BalanceMirror {
    snapshot_time: Millis,
    assets: BTreeMap<String, Entry>,
}

impl BalanceMirror {
    /// Starts from a snapshot taken at `update_time` (the account's `updateTime`).
    pub fn new(update_time: Millis, balances: impl IntoIterator<Item = Balance>) -> BalanceMirror {
        let assets = balances
            .into_iter()
            .map(|balance| {
                let entry = Entry::known(update_time, balance.free, balance.locked);
                (balance.asset, entry)
            })
            .collect();
        BalanceMirror {
            snapshot_time: update_time,
            assets,
        }
    }

    /// The `updateTime` of the snapshot the mirror started from (or was last reset to).
    pub fn snapshot_time(&self) -> Millis {
        self.snapshot_time
    }

    /// Applies one event and returns the balances it changed, with their new
    /// values. Stale, replayed and non-balance events return nothing.
    pub fn apply(&mut self, event: &UserEvent) -> Vec<Balance> {
        match event {
            UserEvent::AccountPosition(position) => self.apply_position(position),
            UserEvent::BalanceUpdate(update) => self
                .apply_delta(
                    &update.asset,
                    DeltaKey {
                        kind: DeltaKind::Balance,
                        time: update.clear_time,
                        event_time: update.event_time,
                        delta: update.delta,
                    },
                )
                .into_iter()
                .collect(),
            UserEvent::ExternalLockUpdate(update) => self
                .apply_delta(
                    &update.asset,
                    DeltaKey {
                        kind: DeltaKind::Lock,
                        time: update.transaction_time,
                        event_time: update.event_time,
                        delta: update.delta,
                    },
                )
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Replaces everything with a fresh snapshot and returns the balances
    /// that differ from what the mirror held, with their new values (an
    /// asset that disappeared is reported as zero).
    pub fn reset(
        &mut self,
        update_time: Millis,
        balances: impl IntoIterator<Item = Balance>,
    ) -> Vec<Balance> {
        let fresh = BalanceMirror::new(update_time, balances);
        let mut changed = Vec::new();
        for (asset, entry) in &fresh.assets {
            let before = self.assets.get(asset).map(Entry::current);
            if before != Some(entry.current()) {
                changed.push(entry.balance(asset));
            }
        }
        for (asset, old) in &self.assets {
            let (free, locked) = old.current();
            let is_nonzero = !free.is_zero() || !locked.is_zero();
            if is_nonzero && !fresh.assets.contains_key(asset) {
                changed.push(Balance {
                    asset: asset.clone(),
                    free: Decimal::ZERO,
                    locked: Decimal::ZERO,
                });
            }
        }
        *self = fresh;
        changed
    }

    /// The current balance of `asset`, if the mirror has seen it.
    pub fn balance(&self, asset: &str) -> Option<Balance> {
        self.assets.get(asset).map(|entry| entry.balance(asset))
    }

    /// All balances the mirror knows, ordered by asset.
    pub fn balances(&self) -> impl Iterator<Item = Balance> + '_ {
        self.assets
            .iter()
            .map(|(asset, entry)| entry.balance(asset))
    }

    fn apply_position(&mut self, position: &AccountPosition) -> Vec<Balance> {
        let snapshot_time = self.snapshot_time;
        let mut changed = Vec::new();
        for balance in &position.balances {
            let entry = self
                .assets
                .entry(balance.asset.clone())
                .or_insert_with(|| Entry::known(snapshot_time, Decimal::ZERO, Decimal::ZERO));
            if position.last_update_time < entry.as_of {
                continue;
            }
            let before = entry.current();
            entry.base_free = balance.free;
            entry.base_locked = balance.locked;
            entry.as_of = position.last_update_time;
            let as_of = entry.as_of;
            // Deltas up to `as_of` are in the new absolute value; later ones still count.
            entry.applied.retain(|key| key.time > as_of);
            if entry.current() != before {
                changed.push(entry.balance(&balance.asset));
            }
        }
        changed
    }

    fn apply_delta(&mut self, asset: &str, key: DeltaKey) -> Option<Balance> {
        let snapshot_time = self.snapshot_time;
        let entry = self
            .assets
            .entry(asset.to_owned())
            .or_insert_with(|| Entry::known(snapshot_time, Decimal::ZERO, Decimal::ZERO));
        if key.time <= entry.as_of || entry.applied.contains(&key) {
            return None;
        }
        let before = entry.current();
        entry.applied.insert(key);
        (entry.current() != before).then(|| entry.balance(asset))
    }
}

/// One asset: an absolute value as of a time, plus the deltas seen since.
#[derive(Debug, Clone)]
struct Entry {
    base_free: Decimal,
    base_locked: Decimal,
    /// The time of the absolute value `base_free`/`base_locked`.
    as_of: Millis,
    /// Deltas newer than `as_of`, each counted once.
    applied: BTreeSet<DeltaKey>,
}

impl Entry {
    fn known(as_of: Millis, free: Decimal, locked: Decimal) -> Entry {
        Entry {
            base_free: free,
            base_locked: locked,
            as_of,
            applied: BTreeSet::new(),
        }
    }

    /// Free and locked now: the absolute value plus the deltas since.
    /// A sum that would overflow `Decimal` leaves that delta out.
    fn current(&self) -> (Decimal, Decimal) {
        let mut free = self.base_free;
        let mut locked = self.base_locked;
        for key in &self.applied {
            let next = match key.kind {
                DeltaKind::Balance => free.checked_add(key.delta).map(|free| (free, locked)),
                DeltaKind::Lock => free
                    .checked_sub(key.delta)
                    .zip(locked.checked_add(key.delta)),
            };
            if let Some((new_free, new_locked)) = next {
                free = new_free;
                locked = new_locked;
            }
        }
        (free, locked)
    }

    fn balance(&self, asset: &str) -> Balance {
        let (free, locked) = self.current();
        Balance {
            asset: asset.to_owned(),
            free,
            locked,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DeltaKind {
    Balance,
    Lock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DeltaKey {
    kind: DeltaKind,
    time: Millis,
    event_time: Millis,
    delta: Decimal,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::stream::{BalanceUpdate, ExternalLockUpdate, UserEvent};

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn bal(asset: &str, free: &str, locked: &str) -> Balance {
        Balance {
            asset: asset.to_owned(),
            free: dec(free),
            locked: dec(locked),
        }
    }

    fn deposit(asset: &str, delta: &str, time: Millis) -> UserEvent {
        UserEvent::BalanceUpdate(BalanceUpdate {
            event_time: time + 1,
            asset: asset.to_owned(),
            delta: dec(delta),
            clear_time: time,
        })
    }

    fn lock(asset: &str, delta: &str, time: Millis) -> UserEvent {
        UserEvent::ExternalLockUpdate(ExternalLockUpdate {
            event_time: time + 1,
            asset: asset.to_owned(),
            delta: dec(delta),
            transaction_time: time,
        })
    }

    fn position(time: Millis, balances: &[Balance]) -> UserEvent {
        UserEvent::AccountPosition(AccountPosition {
            event_time: time + 1,
            last_update_time: time,
            balances: balances.to_vec(),
        })
    }

    #[track_caller]
    fn check(events: &[UserEvent], expected: &[Balance]) {
        let mut mirror = BalanceMirror::new(100, [bal("BTC", "1", "0"), bal("USDT", "50", "5")]);
        for event in events {
            mirror.apply(event);
        }
        assert_eq!(mirror.balances().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn deposit_adds_to_free() {
        check(
            &[deposit("BTC", "0.5", 200)],
            &[bal("BTC", "1.5", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn withdrawal_of_new_asset_starts_from_zero() {
        check(
            &[deposit("ETH", "-2", 200)],
            &[
                bal("BTC", "1", "0"),
                bal("ETH", "-2", "0"),
                bal("USDT", "50", "5"),
            ],
        )
    }

    #[test]
    fn delta_older_than_snapshot_is_ignored() {
        check(
            &[deposit("BTC", "0.5", 100), deposit("BTC", "0.5", 99)],
            &[bal("BTC", "1", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn position_older_than_snapshot_is_ignored() {
        check(
            &[position(99, &[bal("BTC", "7", "0")])],
            &[bal("BTC", "1", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn replayed_delta_counts_once() {
        let event = deposit("BTC", "0.5", 200);
        check(
            &[event.clone(), event.clone(), event],
            &[bal("BTC", "1.5", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn position_then_its_own_delta_counts_once() {
        // Binance may deliver the absolute value before the delta that caused it.
        check(
            &[
                position(200, &[bal("BTC", "1.5", "0")]),
                deposit("BTC", "0.5", 200),
            ],
            &[bal("BTC", "1.5", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn two_deposits_in_the_same_millisecond_both_count() {
        check(
            &[deposit("BTC", "0.5", 200), deposit("BTC", "0.25", 200)],
            &[bal("BTC", "1.75", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn external_lock_moves_free_to_locked() {
        check(
            &[lock("USDT", "10", 200), lock("USDT", "-3", 201)],
            &[bal("BTC", "1", "0"), bal("USDT", "43", "12")],
        )
    }

    #[test]
    fn older_position_after_newer_is_ignored() {
        check(
            &[
                position(300, &[bal("BTC", "3", "0")]),
                position(200, &[bal("BTC", "2", "0")]),
            ],
            &[bal("BTC", "3", "0"), bal("USDT", "50", "5")],
        )
    }

    #[test]
    fn apply_reports_only_real_changes() {
        let mut mirror = BalanceMirror::new(100, [bal("BTC", "1", "0")]);
        let same = position(200, &[bal("BTC", "1.000", "0")]);
        assert_eq!(mirror.apply(&same), vec![]);
        let moved = position(201, &[bal("BTC", "0.5", "0.5")]);
        assert_eq!(mirror.apply(&moved), vec![bal("BTC", "0.5", "0.5")]);
    }

    #[test]
    fn reset_reports_what_changed_while_away() {
        let mut mirror = BalanceMirror::new(
            100,
            [
                bal("BTC", "1", "0"),
                bal("BNB", "2", "0"),
                bal("USDT", "5", "0"),
            ],
        );
        let changed = mirror.reset(500, [bal("BTC", "3", "0"), bal("USDT", "5", "0")]);
        assert_eq!(changed, vec![bal("BTC", "3", "0"), bal("BNB", "0", "0")]);
        assert_eq!(mirror.snapshot_time(), 500);
        assert_eq!(mirror.balance("BNB"), None);
    }

    /// One change on the exchange, at a strictly increasing time.
    #[derive(Debug, Clone)]
    enum Change {
        /// A deposit or withdrawal, optionally followed by a position event.
        Transfer {
            asset: usize,
            delta: i64,
            with_position: bool,
        },
        /// An external lock, optionally followed by a position event.
        Lock {
            asset: usize,
            delta: i64,
            with_position: bool,
        },
        /// A trade: free moves between two assets; only a position event.
        Trade { from: usize, to: usize, amount: i64 },
    }

    const ASSETS: [&str; 3] = ["BTC", "ETH", "USDT"];

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (0..3usize, -500i64..500, any::<bool>()).prop_map(|(asset, delta, with_position)| {
                Change::Transfer {
                    asset,
                    delta,
                    with_position,
                }
            }),
            (0..3usize, -50i64..50, any::<bool>()).prop_map(|(asset, delta, with_position)| {
                Change::Lock {
                    asset,
                    delta,
                    with_position,
                }
            }),
            (0..3usize, 0..3usize, 1i64..100).prop_map(|(from, to, amount)| Change::Trade {
                from,
                to,
                amount
            }),
        ]
    }

    /// The exchange's side: true balances (in hundredths) and the events it sends.
    fn simulate(changes: &[Change]) -> (Vec<[(i64, i64); 3]>, Vec<UserEvent>) {
        let cents = |value: i64| Decimal::new(value, 2);
        let mut state = [(1_000i64, 0i64); 3];
        let mut states = vec![state];
        let mut events = Vec::new();
        let position_of = |state: &[(i64, i64); 3], idxs: &[usize], time: Millis| {
            let balances: Vec<Balance> = idxs
                .iter()
                .map(|&idx| Balance {
                    asset: ASSETS[idx].to_owned(),
                    free: cents(state[idx].0),
                    locked: cents(state[idx].1),
                })
                .collect();
            position(time, &balances)
        };
        for (idx, change) in changes.iter().enumerate() {
            let time = 1_000 + 10 * idx as Millis;
            match *change {
                Change::Transfer {
                    asset,
                    delta,
                    with_position,
                } => {
                    state[asset].0 += delta;
                    events.push(UserEvent::BalanceUpdate(BalanceUpdate {
                        event_time: time + 1,
                        asset: ASSETS[asset].to_owned(),
                        delta: cents(delta),
                        clear_time: time,
                    }));
                    if with_position {
                        events.push(position_of(&state, &[asset], time));
                    }
                }
                Change::Lock {
                    asset,
                    delta,
                    with_position,
                } => {
                    state[asset].0 -= delta;
                    state[asset].1 += delta;
                    events.push(UserEvent::ExternalLockUpdate(ExternalLockUpdate {
                        event_time: time + 1,
                        asset: ASSETS[asset].to_owned(),
                        delta: cents(delta),
                        transaction_time: time,
                    }));
                    if with_position {
                        events.push(position_of(&state, &[asset], time));
                    }
                }
                Change::Trade { from, to, amount } => {
                    state[from].0 -= amount;
                    state[to].0 += amount;
                    let idxs = if from == to {
                        vec![from]
                    } else {
                        vec![from, to]
                    };
                    events.push(position_of(&state, &idxs, time));
                }
            }
            states.push(state);
        }
        (states, events)
    }

    fn snapshot(states: &[[(i64, i64); 3]], taken_after: usize) -> (Millis, Vec<Balance>) {
        let update_time = if taken_after == 0 {
            0
        } else {
            1_000 + 10 * (taken_after as Millis - 1)
        };
        let balances = ASSETS
            .iter()
            .zip(states[taken_after])
            .map(|(asset, (free, locked))| Balance {
                asset: (*asset).to_owned(),
                free: Decimal::new(free, 2),
                locked: Decimal::new(locked, 2),
            })
            .collect();
        (update_time, balances)
    }

    proptest! {
        /// A client that takes a snapshot at any point, then receives every
        /// event (old ones included) with arbitrary duplicates, ends with
        /// the exchange's balances.
        #[test]
        fn mirror_matches_exchange(
            changes in prop::collection::vec(change(), 0..30),
            snapshot_at in any::<prop::sample::Index>(),
            duplicates in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let (states, events) = simulate(&changes);
            let (update_time, balances) = snapshot(&states, snapshot_at.index(states.len()));
            let mut mirror = BalanceMirror::new(update_time, balances);
            for (idx, event) in events.iter().enumerate() {
                mirror.apply(event);
                for dup in &duplicates {
                    if !events.is_empty() && dup.index(events.len()) <= idx && dup.index(events.len()) % 3 == idx % 3 {
                        mirror.apply(&events[dup.index(events.len())]);
                    }
                }
            }
            let (_, expected) = snapshot(&states, states.len() - 1);
            prop_assert_eq!(mirror.balances().collect::<Vec<_>>(), expected);
        }

        /// Replaying everything already applied changes nothing.
        #[test]
        fn replay_is_idempotent(changes in prop::collection::vec(change(), 0..30)) {
            let (states, events) = simulate(&changes);
            let (update_time, balances) = snapshot(&states, 0);
            let mut mirror = BalanceMirror::new(update_time, balances);
            for event in &events {
                mirror.apply(event);
            }
            let once: Vec<_> = mirror.balances().collect();
            for event in &events {
                prop_assert!(mirror.apply(event).is_empty());
            }
            prop_assert_eq!(mirror.balances().collect::<Vec<_>>(), once);
        }

        /// Events from before the snapshot never change it.
        #[test]
        fn stale_events_are_ignored(changes in prop::collection::vec(change(), 1..30)) {
            let (states, events) = simulate(&changes);
            let (update_time, balances) = snapshot(&states, states.len() - 1);
            let mut mirror = BalanceMirror::new(update_time, balances.clone());
            for event in &events {
                prop_assert!(mirror.apply(event).is_empty());
            }
            prop_assert_eq!(mirror.balances().collect::<Vec<_>>(), balances);
        }
    }
}
