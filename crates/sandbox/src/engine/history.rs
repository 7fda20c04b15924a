//! What the engine remembers of the past, and for how long: a sandbox
//! left running for days with a bot must not grow without bound.
//!
//! Per account the engine keeps every open order and order list, and of
//! the closed ones the newest [`HISTORY_PER_ACCOUNT`] orders, order lists,
//! trades, allocations and prevented matches (each counted on its own).
//! Queries (`allOrders`, `myTrades`, `allOrderList`, `myAllocations`,
//! `myPreventedMatches`, `order` by ID) answer from what is kept; an order
//! that was forgotten is unknown (`-2013` "Order does not exist.").
//!
//! 1. Forgetting is amortised: an account's records are cut back to the
//!    limit once they reach twice it, at the start of the next change to
//!    the engine, so no single order pays for more than its share.
//! 2. Orders are kept whatever their age while they are open, or while an
//!    order list that is kept names them (an OTO's filled working order,
//!    an OCO's expired leg), so a list never points at a forgotten order.
//! 3. Each account also knows which of its orders may be open (`live`: a
//!    superset of the open ones, pruned when the account places an order),
//!    so the checks at placement (`MAX_NUM_ORDERS`, duplicate client order
//!    IDs) look at open orders only, not at the history.

use std::collections::BTreeSet;

use super::{Account, Engine, HOUSE_UID, Order};

/// How many closed orders, closed order lists, trades, allocations and
/// prevented matches the engine keeps per account (each).
pub const HISTORY_PER_ACCOUNT: usize = 10_000;

impl Engine {
    /// The same engine keeping `per_account` closed records of each kind
    /// per account instead of [`HISTORY_PER_ACCOUNT`] (at least one).
    pub fn with_history_limit(mut self, per_account: usize) -> Engine {
        self.history_limit = per_account.max(1);
        self
    }

    /// The open orders of `uid`, oldest first, optionally on one symbol.
    pub fn open_orders(&self, uid: u64, symbol: Option<&str>) -> Vec<&Order> {
        let Some(account) = self.accounts.get(&uid) else {
            return Vec::new();
        };
        account
            .live
            .iter()
            .filter_map(|id| self.orders.get(id))
            .filter(|order| order.status.is_open())
            .filter(|order| symbol.is_none_or(|symbol| order.symbol == symbol))
            .collect()
    }

    /// Rule 3: drops the closed orders from `uid`'s `live` set.
    pub(super) fn prune_live(&mut self, uid: u64) {
        let orders = &self.orders;
        if let Some(account) = self.accounts.get_mut(&uid) {
            account
                .live
                .retain(|id| orders.get(id).is_some_and(|order| order.status.is_open()));
        }
    }

    /// Rule 1 for every account: cuts back whatever reached twice the limit.
    pub(super) fn keep_history(&mut self) {
        let limit = self.history_limit;
        let over: Vec<u64> = self
            .accounts
            .values()
            .filter(|account| account.uid != HOUSE_UID && over_limit(account, limit))
            .map(|account| account.uid)
            .collect();
        for uid in over {
            self.forget(uid);
        }
    }

    /// Cuts `uid`'s records back to the limit (rules 1 and 2).
    fn forget(&mut self, uid: u64) {
        let limit = self.history_limit;
        let Some(account) = self.accounts.get_mut(&uid) else {
            return;
        };
        cut_oldest(&mut account.trades, limit);
        cut_oldest(&mut account.allocations, limit);
        cut_oldest(&mut account.prevented, limit);
        // Lists first: the orders of a list that is kept stay (rule 2).
        let list_ids = std::mem::take(&mut account.list_ids);
        let open_lists = &self.open_lists;
        let kept_lists = keep_newest(&list_ids, limit, |id| open_lists.contains(id));
        for id in list_ids.iter().filter(|id| !kept_lists.contains(id)) {
            self.lists.remove(id);
        }
        let lists = &self.lists;
        let orders = &self.orders;
        let Some(account) = self.accounts.get_mut(&uid) else {
            return;
        };
        account.list_ids = list_ids
            .into_iter()
            .filter(|id| kept_lists.contains(id))
            .collect();
        let order_ids = std::mem::take(&mut account.order_ids);
        let kept_orders = keep_newest(&order_ids, limit, |id| {
            orders.get(id).is_some_and(|order| {
                order.status.is_open()
                    || u64::try_from(order.order_list_id)
                        .is_ok_and(|list| lists.contains_key(&list))
            })
        });
        for id in order_ids.iter().filter(|id| !kept_orders.contains(id)) {
            self.orders.remove(id);
        }
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.order_ids = order_ids
                .into_iter()
                .filter(|id| kept_orders.contains(id))
                .collect();
            account.live.retain(|id| kept_orders.contains(id));
        }
    }
}

/// Whether any of `account`'s records reached twice `limit` (open orders
/// and lists aside, which are never forgotten).
fn over_limit(account: &Account, limit: usize) -> bool {
    let twice = limit.saturating_mul(2);
    account.trades.len() >= twice
        || account.allocations.len() >= twice
        || account.prevented.len() >= twice
        || account.list_ids.len() >= twice
        || account.order_ids.len() >= twice.saturating_add(account.live.len())
}

/// Drops all but the newest `limit` records.
fn cut_oldest<T>(records: &mut Vec<T>, limit: usize) {
    let excess = records.len().saturating_sub(limit);
    records.drain(..excess);
}

/// The IDs (oldest first) to keep: every one `protected` says to, and the
/// newest `limit` of the others.
fn keep_newest(ids: &[u64], limit: usize, protected: impl Fn(&u64) -> bool) -> BTreeSet<u64> {
    let mut kept = BTreeSet::new();
    let mut others = 0;
    for id in ids.iter().rev() {
        if protected(id) {
            kept.insert(*id);
        } else if others < limit {
            kept.insert(*id);
            others += 1;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::engine::tests::{T0, check_locked, d, engine, limit};
    use crate::engine::{ListKind, NewList, NewOrder};
    use crate::model::{OrderStatus, OrderType, Side, TimeInForce};

    const LIMIT: usize = 5;

    fn market_buy(qty: &str) -> NewOrder {
        let mut buy = NewOrder::new("BTCUSDT", Side::Buy, OrderType::Market);
        buy.quantity = Some(d(qty));
        buy
    }

    fn last_price(engine: &Engine) -> Decimal {
        let market = engine.market().get("BTCUSDT").unwrap();
        market.trades().last().unwrap().price.round_dp(0)
    }

    #[test]
    fn a_long_run_keeps_the_open_orders_and_the_newest_history() {
        let mut engine = engine(false).with_history_limit(LIMIT);
        let gtc = TimeInForce::Gtc;
        let resting = engine
            .place(1, &limit(Side::Buy, "90000", "0.01", gtc), T0)
            .unwrap()
            .order
            .order_id;
        let mut first_closed = None;
        for i in 0..200 {
            let now = T0 + i;
            // Account 1 sells to account 2 (a closed order and a trade,
            // or through SOR an allocation), then cancels an order.
            let sell = limit(Side::Sell, "97000", "0.001", gtc);
            let sold = engine.place(1, &sell, now).unwrap().order.order_id;
            first_closed.get_or_insert(sold);
            if i % 2 == 0 {
                engine.place(2, &market_buy("0.001"), now).unwrap();
            } else {
                engine.place_sor(2, &market_buy("0.001"), now).unwrap();
            }
            let buy = limit(Side::Buy, "90000", "0.001", gtc);
            let id = engine.place(1, &buy, now).unwrap().order.order_id;
            engine.cancel(1, id, now).unwrap();
        }
        let seller = engine.account(1).unwrap();
        let buyer = engine.account(2).unwrap();
        // Never more than twice the limit of anything (and the open order).
        assert!(
            seller.order_ids.len() <= 2 * LIMIT + 1,
            "{}",
            seller.order_ids.len()
        );
        assert!(seller.trades.len() <= 2 * LIMIT, "{}", seller.trades.len());
        assert!(buyer.trades.len() <= 2 * LIMIT, "{}", buyer.trades.len());
        assert!(buyer.allocations.len() <= 2 * LIMIT);
        assert!(buyer.order_ids.len() <= 2 * LIMIT);
        // The open order stays however old; the oldest closed one is
        // forgotten (unknown, like an order never placed); the newest are
        // there, and the queries answer from them, oldest first.
        assert_eq!(engine.order(resting).unwrap().status, OrderStatus::New);
        assert!(engine.order(first_closed.unwrap()).is_none());
        let kept = engine.account_orders(1, Some("BTCUSDT"));
        assert_eq!(kept[0].order_id, resting);
        assert!(
            kept.len() > LIMIT,
            "at least the limit is kept: {}",
            kept.len()
        );
        assert!(
            kept.windows(2)
                .all(|pair| pair[0].order_id < pair[1].order_id)
        );
        assert_eq!(kept.last().unwrap().status, OrderStatus::Canceled);
        let newest_trade = seller.trades.last().unwrap();
        assert_eq!(newest_trade.time, T0 + 199);
        assert_eq!(engine.open_orders(1, None).len(), 1);
        check_locked(&engine);
    }

    #[test]
    fn lists_are_kept_like_orders_and_keep_their_orders() {
        let mut engine = engine(false).with_history_limit(LIMIT);
        let price = last_price(&engine);
        // An OTO whose working buy fills and whose pending stop waits: the
        // list stays open, and with it its filled working order.
        let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
        pending.quantity = Some(d("0.01"));
        pending.stop_price = Some(price - d("5000"));
        let oto = NewList {
            symbol: "BTCUSDT".to_owned(),
            list_client_order_id: None,
            kind: ListKind::Oto {
                working: limit(Side::Buy, &price.to_string(), "0.01", TimeInForce::Gtc),
                pending,
                opo: false,
            },
            legacy: false,
        };
        let placed = engine.place_list(1, &oto, T0).unwrap();
        let (oto_id, working_id) = (placed.list.order_list_id, placed.orders[0].order_id);
        let sell = limit(Side::Sell, &price.to_string(), "0.01", TimeInForce::Gtc);
        engine.place(3, &sell, T0).unwrap();
        assert_eq!(
            engine.order(working_id).unwrap().status,
            OrderStatus::Filled
        );
        let mut first_oco = None;
        for i in 0..60 {
            let now = T0 + 1 + i;
            let mut above = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
            above.quantity = Some(d("0.001"));
            above.price = Some(price + d("1000"));
            let mut below = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
            below.quantity = Some(d("0.001"));
            below.stop_price = Some(price - d("1000"));
            let oco = NewList {
                symbol: "BTCUSDT".to_owned(),
                list_client_order_id: None,
                kind: ListKind::Oco { below, above },
                legacy: false,
            };
            let id = engine.place_list(1, &oco, now).unwrap().list.order_list_id;
            first_oco.get_or_insert(id);
            engine.cancel_list(1, id, now).unwrap();
        }
        let lists = engine.account_lists(1);
        assert!(lists.len() <= 2 * LIMIT + 1, "{}", lists.len());
        assert!(engine.order_list(first_oco.unwrap()).is_none());
        assert!(engine.order_list(oto_id).unwrap().is_open());
        assert_eq!(
            engine.order(working_id).unwrap().status,
            OrderStatus::Filled
        );
        // No kept list names a forgotten order.
        for list in lists {
            for id in &list.order_ids {
                assert!(
                    engine.order(*id).is_some(),
                    "list {} lost {id}",
                    list.order_list_id
                );
            }
        }
        check_locked(&engine);
    }
}
