//! Orders that wait for something: stop and take-profit orders (and their
//! trailing form), order lists (OCO, OTO, OTOCO), and self-trade
//! prevention's records.
//!
//! Rules (rest-api.md § New order, § Order lists; filters.md §
//! TRAILING_DELTA; user-data-stream.md § Order Update):
//!
//! 1. A stop triggers on the last trade price: `STOP_LOSS*` `BUY` and
//!    `TAKE_PROFIT*` `SELL` when it reaches `stopPrice` from below,
//!    `STOP_LOSS*` `SELL` and `TAKE_PROFIT*` `BUY` when it reaches it from
//!    above. A stop already met at placement is `-2010` "Order would
//!    trigger immediately.".
//! 2. A trailing order (`trailingDelta`, in BIPS) starts tracking at
//!    placement, or once its `stopPrice` is met; then sells trigger when
//!    the price falls `trailingDelta` below the highest price since, buys
//!    when it rises that far above the lowest.
//! 3. A triggered order reports `NEW` again, now working (`w` true), and
//!    trades as the `MARKET` or `LIMIT` order it becomes.
//! 4. An OCO pair holds one lock for both legs (the larger need). When one
//!    leg fills (even partly) or triggers, the other `EXPIRED`
//!    (`OCO_TRIGGER`) and the leg takes its own lock from the pair's.
//! 5. An OTO's pending orders are `PENDING_NEW` until the working order is
//!    `FILLED`; they lock their funds only then (a pending order that cannot
//!    is `EXPIRED`, `REJECTED`). A working order that expires expires them
//!    (`OTO_PHASE_ONE_EXPIRED`); canceling any order cancels the list.
//! 6. A list is `ALL_DONE` once none of its orders is open; `listStatus`
//!    reports placement, the pending orders' start and the end.
//! 7. One pays the other (OPO, OPOCO; faqs/opo.md): an OTO or OTOCO whose
//!    working order is a `BUY` and whose pending orders are `SELL`s with no
//!    quantity. What the working order receives (net of commission) stays
//!    locked for them; once it is `FILLED` the pending orders get that
//!    quantity rounded down to `LOT_SIZE` (and `MARKET_LOT_SIZE` for
//!    market types), the rest is released, and they pass the filters then
//!    or expire (`REJECTED`). A list that ends first releases it.
//!
//! [`Engine::sweep`] applies rules 1, 2, 5 and 6 after every change of a
//! symbol (each tick of the walk, each placement), until nothing more
//! happens.

use rust_decimal::Decimal;

use super::{Engine, Fill, HOUSE_UID, MAX_NUM_ORDER_LISTS, NewOrder, Order, Placed, Step};
use crate::error::ApiError;
use crate::events::{AccountEvent, Event, Prevention};
use crate::market::round_to_step;
use crate::model::{ExpiryReason, OrderStatus, OrderType, Side, StpMode};

/// An order list as `orderList` answers and `listStatus` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderList {
    /// ID.
    pub order_list_id: u64,
    /// `OCO` or `OTO` (an OTOCO is an `OTO`).
    pub contingency_type: &'static str,
    /// `listClientOrderId`.
    pub list_client_order_id: String,
    /// Symbol.
    pub symbol: String,
    /// Owner.
    pub uid: u64,
    /// Its orders, in the order the answers list them.
    pub order_ids: Vec<u64>,
    /// `EXEC_STARTED` or `ALL_DONE`.
    pub list_status_type: &'static str,
    /// `EXECUTING` or `ALL_DONE`.
    pub list_order_status: &'static str,
    /// Last change (ms).
    pub transaction_time: i64,
    /// OTO and OTOCO: the working order.
    pub working: Option<u64>,
    /// The OCO pair: an OCO's legs, an OTOCO's pending orders.
    pub pair: Vec<u64>,
    /// What the pair holds locked while neither leg works.
    pub pair_lock: Option<(&'static str, Decimal)>,
    /// OPO and OPOCO until the pending orders start: the base asset the
    /// working order received so far, locked for them.
    pub opo_lock: Option<Decimal>,
}

impl OrderList {
    /// Whether the list still executes.
    pub fn is_open(&self) -> bool {
        self.list_order_status == "EXECUTING"
    }
}

/// The orders of a new list.
#[derive(Debug, Clone)]
pub enum ListKind {
    /// One-cancels-the-other.
    Oco {
        /// The leg below the market.
        below: NewOrder,
        /// The leg above the market.
        above: NewOrder,
    },
    /// One-triggers-the-other.
    Oto {
        /// `LIMIT` or `LIMIT_MAKER`, on the book at once.
        working: NewOrder,
        /// Placed once the working order is filled.
        pending: NewOrder,
        /// One pays the other (`orderList/opo`): `working` buys, `pending`
        /// sells what it bought and has no quantity of its own.
        opo: bool,
    },
    /// One-triggers-one-cancels-the-other.
    Otoco {
        /// `LIMIT` or `LIMIT_MAKER`, on the book at once.
        working: NewOrder,
        /// The pending pair's leg below the market.
        below: NewOrder,
        /// The pending pair's leg above the market.
        above: NewOrder,
        /// One pays the other (`orderList/opoco`): `working` buys, the
        /// pair sells what it bought and has no quantity of its own.
        opo: bool,
    },
}

/// A new order list.
#[derive(Debug, Clone)]
pub struct NewList {
    /// Symbol.
    pub symbol: String,
    /// `listClientOrderId`, if sent.
    pub list_client_order_id: Option<String>,
    /// Its orders.
    pub kind: ListKind,
    /// Placed through the deprecated `POST /api/v3/order/oco`: price errors
    /// are `-2010` "The relationship of the prices for the orders is not
    /// correct." instead of the per-leg codes.
    pub legacy: bool,
}

/// What [`Engine::place_list`] and [`Engine::cancel_list`] did.
#[derive(Debug, Clone)]
pub struct PlacedList {
    /// The list after the call.
    pub list: OrderList,
    /// Its orders right after the call, in the list's order.
    pub orders: Vec<Order>,
    /// The working order's fills (OTO, OTOCO).
    pub fills: Vec<Fill>,
    /// What happened, for the exchange to publish.
    pub events: Vec<Event>,
}

/// A match self-trade prevention stopped (`myPreventedMatches`).
#[derive(Debug, Clone, PartialEq)]
pub struct PreventedMatch {
    /// The account.
    pub uid: u64,
    /// Symbol.
    pub symbol: String,
    /// ID.
    pub prevented_match_id: u64,
    /// The incoming order.
    pub taker_order_id: u64,
    /// The resting order.
    pub maker_order_id: u64,
    /// The taker's mode.
    pub mode: StpMode,
    /// The price the trade would have had.
    pub price: Decimal,
    /// What the maker lost.
    pub maker_prevented_qty: Decimal,
    /// When (ms).
    pub time: i64,
}

/// Whether a stop on `side` of type `kind` at `stop` is met at `last`.
fn stop_met(kind: OrderType, side: Side, stop: Decimal, last: Decimal) -> bool {
    match (kind.is_stop_loss(), side) {
        (true, Side::Buy) | (false, Side::Sell) => last >= stop,
        (true, Side::Sell) | (false, Side::Buy) => last <= stop,
    }
}

/// An OPO's working order buys (`-1222`) and its pending orders sell
/// (`-1223`).
fn check_opo_sides(orders: &[&NewOrder]) -> Result<(), ApiError> {
    if orders[0].side != Side::Buy {
        return Err(ApiError::bad_request(
            -1222,
            "Working order in an OPO list must be a bid.",
        ));
    }
    if orders[1..].iter().any(|order| order.side != Side::Sell) {
        return Err(ApiError::bad_request(
            -1223,
            "Pending orders in an OPO list must be asks.",
        ));
    }
    Ok(())
}

/// An OCO leg's class: stop-loss, or limit/take-profit.
fn is_stop_leg(kind: OrderType) -> bool {
    kind.is_stop_loss()
}

impl Engine {
    /// The last trade price of `index`.
    pub(super) fn last_price(&self, index: usize) -> Decimal {
        let market = &self.market.symbols()[index];
        market
            .trades()
            .last()
            .map(|trade| trade.price)
            .unwrap_or(market.spec.start_price)
    }

    /// `-2010` "Order would trigger immediately." when the stop price is
    /// already met.
    pub(super) fn check_trigger_price(&self, index: usize, new: &NewOrder) -> Result<(), ApiError> {
        let last = self.last_price(index);
        match new.stop_price {
            Some(stop) if stop_met(new.order_type, new.side, stop, last) => {
                Err(ApiError::order_rejected("Order would trigger immediately."))
            }
            _ => Ok(()),
        }
    }

    /// Places a stop or take-profit order: it waits, holding what it will
    /// spend, until the market triggers it.
    pub(super) fn place_algo(
        &mut self,
        index: usize,
        uid: u64,
        new: &NewOrder,
        now_ms: i64,
    ) -> Result<Placed, ApiError> {
        self.check_trigger_price(index, new)?;
        let (asset, need) = self.need(
            index,
            new.side,
            new.order_type,
            new.price.unwrap_or_default(),
            new.quantity.unwrap_or_default(),
        );
        if self.free(uid, asset) < need {
            return Err(super::insufficient_balance());
        }
        let mut order = self.open_order(uid, new, false, need, now_ms);
        self.move_balance(uid, asset, need, true, now_ms);
        self.start_waiting(index, &mut order, now_ms);
        self.orders.insert(order.order_id, order.clone());
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.order_ids.push(order.order_id);
        }
        let mut events = Vec::new();
        events.extend(self.report(&order, "NEW", None, now_ms));
        events.extend(self.position_event(uid, &[asset], now_ms));
        Ok(Placed {
            order,
            fills: Vec::new(),
            events,
        })
    }

    /// Puts a stop on the trigger list; a trailing order without a stop
    /// price starts tracking now.
    fn start_waiting(&mut self, index: usize, order: &mut Order, now_ms: i64) {
        if order.trailing_delta.is_some() && order.stop_price.is_none() {
            order.trailing_time = now_ms;
            order.trail_extreme = Some(self.last_price(index));
        }
        self.waiting.insert(order.order_id);
    }

    /// Applies the rules of this module to `index` until nothing more
    /// happens (bounded, so a pathological chain cannot hang the engine).
    pub(super) fn sweep(&mut self, index: usize, now_ms: i64, events: &mut Vec<Event>) {
        for _ in 0..256 {
            let lists = self.update_lists(index, now_ms, events);
            let triggers = self.fire_triggers(index, now_ms, events);
            if !lists && !triggers {
                break;
            }
        }
    }

    /// Rules 1 to 3: tracks trailing orders and triggers what the last
    /// price meets. Whether anything triggered.
    fn fire_triggers(&mut self, index: usize, now_ms: i64, events: &mut Vec<Event>) -> bool {
        let symbol = self.market.symbols()[index].spec.symbol;
        let last = self.last_price(index);
        let candidates: Vec<u64> = self.waiting.iter().copied().collect();
        let mut fired = false;
        for order_id in candidates {
            let Some(order) = self.orders.get_mut(&order_id) else {
                self.waiting.remove(&order_id);
                continue;
            };
            if order.symbol != symbol {
                continue;
            }
            if !order.awaits_trigger() || order.status == OrderStatus::PendingNew {
                if !order.awaits_trigger() {
                    self.waiting.remove(&order_id);
                }
                continue;
            }
            let met = order
                .stop_price
                .map(|stop| stop_met(order.order_type, order.side, stop, last));
            let fire = match order.trailing_delta {
                None => met == Some(true),
                Some(delta) => {
                    if order.trailing_time == -1 {
                        if met == Some(true) {
                            order.trailing_time = now_ms;
                            order.trail_extreme = Some(last);
                            order.update_time = now_ms;
                        }
                        false
                    } else {
                        let bips = Decimal::from(delta) / Decimal::from(10_000);
                        let extreme = order.trail_extreme.unwrap_or(last);
                        match order.side {
                            Side::Sell => {
                                let high = extreme.max(last);
                                order.trail_extreme = Some(high);
                                last <= high * (Decimal::ONE - bips)
                            }
                            Side::Buy => {
                                let low = extreme.min(last);
                                order.trail_extreme = Some(low);
                                last >= low * (Decimal::ONE + bips)
                            }
                        }
                    }
                }
            };
            if fire {
                self.trigger(index, order_id, now_ms, events);
                fired = true;
            }
        }
        fired
    }

    /// A stop triggers: it reports `NEW` again, now working, and trades.
    fn trigger(&mut self, index: usize, order_id: u64, now_ms: i64, events: &mut Vec<Event>) {
        self.waiting.remove(&order_id);
        if self.pair_holds(order_id) {
            self.activate_leg(index, order_id, now_ms, events);
        }
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        order.working_time = now_ms;
        order.update_time = now_ms;
        let order = order.clone();
        events.extend(self.report(&order, "NEW", None, now_ms));
        self.work(index, order_id, now_ms, events);
    }

    /// A stored order starts trading as a taker: a triggered stop, or an
    /// OTO's pending order once the working order is filled. It takes what
    /// it needs locked on top of what it holds; one that cannot be placed
    /// (no balance, a `LIMIT_MAKER` that would take) expires, `REJECTED`.
    pub(super) fn work(
        &mut self,
        index: usize,
        order_id: u64,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) {
        let Some(mut order) = self.orders.remove(&order_id) else {
            return;
        };
        let kind = order.order_type.working_type();
        let mut new = NewOrder::new(&order.symbol, order.side, kind);
        new.time_in_force = order.time_in_force;
        new.quantity = Some(order.remaining());
        new.price = kind.has_price().then_some(order.price);
        new.stp_mode = order.stp_mode;
        let uid = order.uid;
        let plan = match self.plan_order(index, uid, &new, now_ms) {
            Ok(plan) => plan,
            Err(_) => {
                self.orders.insert(order_id, order);
                self.finish(
                    index,
                    order_id,
                    OrderStatus::Expired,
                    Some(ExpiryReason::Rejected),
                    now_ms,
                    events,
                );
                return;
            }
        };
        let (asset, need) = self.amount_to_lock(index, &new, &plan);
        let held_by_pair = self.pair_holds(order_id);
        if !held_by_pair && order.locked < need {
            let more = need - order.locked;
            if self.free(uid, asset) < more {
                self.orders.insert(order_id, order);
                self.finish(
                    index,
                    order_id,
                    OrderStatus::Expired,
                    Some(ExpiryReason::Rejected),
                    now_ms,
                    events,
                );
                return;
            }
            self.move_balance(uid, asset, more, true, now_ms);
            order.locked = need;
        }
        if order.working_time == -1 {
            order.working_time = now_ms;
        }
        self.execute_plan(index, &mut order, &plan, now_ms, events);
        self.settle_remainder(index, &mut order, &plan, asset, now_ms);
        if order.status == OrderStatus::Expired {
            events.extend(self.report(&order, "EXPIRED", None, now_ms));
        }
        self.orders.insert(order_id, order);
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
    }

    /// Whether `order_id` is a leg of an OCO pair whose lock its list holds
    /// (whether or not the order is in the map right now).
    pub(super) fn pair_holds(&self, order_id: u64) -> bool {
        self.open_lists
            .iter()
            .filter_map(|id| self.lists.get(id))
            .any(|list| list.pair_lock.is_some() && list.pair.contains(&order_id))
    }

    /// One leg of an OCO pair starts working (a fill or a trigger): the
    /// pair's lock is released, the other legs expire (`OCO_TRIGGER`), and
    /// the leg locks what it needs itself.
    pub(super) fn activate_leg(
        &mut self,
        index: usize,
        order_id: u64,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) {
        let Some(list_id) = self.open_lists.iter().copied().find(|id| {
            self.lists
                .get(id)
                .is_some_and(|l| l.pair.contains(&order_id))
        }) else {
            return;
        };
        let Some(list) = self.lists.get_mut(&list_id) else {
            return;
        };
        let (uid, pair) = (list.uid, list.pair.clone());
        if let Some((asset, amount)) = list.pair_lock.take() {
            self.move_balance(uid, asset, amount, false, now_ms);
        }
        for other in pair.into_iter().filter(|id| *id != order_id) {
            self.finish(
                index,
                other,
                OrderStatus::Expired,
                Some(ExpiryReason::OcoTrigger),
                now_ms,
                events,
            );
        }
        let Some(order) = self.orders.get(&order_id) else {
            return;
        };
        let (asset, need) = self.waiting_need(index, order);
        self.move_balance(uid, asset, need, true, now_ms);
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.locked += need;
        }
    }

    /// Rules 4 to 6 for the open lists of `index`. Whether anything changed.
    fn update_lists(&mut self, index: usize, now_ms: i64, events: &mut Vec<Event>) -> bool {
        let symbol = self.market.symbols()[index].spec.symbol;
        let ids: Vec<u64> = self.open_lists.iter().copied().collect();
        let mut changed = false;
        for list_id in ids {
            let Some(list) = self.lists.get(&list_id).cloned() else {
                self.open_lists.remove(&list_id);
                continue;
            };
            if list.symbol != symbol {
                continue;
            }
            let status = |engine: &Engine, id: u64| {
                engine
                    .orders
                    .get(&id)
                    .map(|order| order.status)
                    .unwrap_or(OrderStatus::Expired)
            };
            if let Some(working) = list.working {
                let pending: Vec<u64> = list
                    .order_ids
                    .iter()
                    .copied()
                    .filter(|id| *id != working && status(self, *id) == OrderStatus::PendingNew)
                    .collect();
                match status(self, working) {
                    _ if pending.is_empty() => {}
                    OrderStatus::Filled => {
                        let start = list.opo_lock.is_none()
                            || self.size_opo_pending(
                                index,
                                list.order_list_id,
                                &pending,
                                now_ms,
                                events,
                            );
                        if start {
                            self.start_pending(index, &list, &pending, now_ms, events);
                        }
                        changed = true;
                    }
                    OrderStatus::Canceled => {
                        for id in pending {
                            self.finish(index, id, OrderStatus::Canceled, None, now_ms, events);
                        }
                        changed = true;
                    }
                    OrderStatus::Expired | OrderStatus::ExpiredInMatch => {
                        for id in pending {
                            let reason = Some(ExpiryReason::OtoPhaseOneExpired);
                            self.finish(index, id, OrderStatus::Expired, reason, now_ms, events);
                        }
                        changed = true;
                    }
                    _ => {}
                }
            }
            let pair_live = list
                .pair
                .iter()
                .all(|id| status(self, *id) != OrderStatus::PendingNew);
            if list.pair_lock.is_some() && pair_live {
                let broken = list.pair.iter().any(|id| {
                    self.orders.get(id).is_none_or(|order| {
                        !order.status.is_open() || !order.executed_qty.is_zero()
                    })
                });
                if broken {
                    let survivor = list
                        .pair
                        .iter()
                        .copied()
                        .find(|id| status(self, *id).is_open());
                    match survivor {
                        Some(id) => self.activate_leg(index, id, now_ms, events),
                        None => {
                            if let Some(list) = self.lists.get_mut(&list_id)
                                && let Some((asset, amount)) = list.pair_lock.take()
                            {
                                let uid = list.uid;
                                self.move_balance(uid, asset, amount, false, now_ms);
                            }
                        }
                    }
                    changed = true;
                }
            }
            let done = list.order_ids.iter().all(|id| !status(self, *id).is_open());
            if done {
                self.close_list(list_id, now_ms, events);
                changed = true;
            }
        }
        changed
    }

    /// The list is `ALL_DONE`: its `listStatus`.
    fn close_list(&mut self, list_id: u64, now_ms: i64, events: &mut Vec<Event>) {
        self.open_lists.remove(&list_id);
        let Some(list) = self.lists.get_mut(&list_id) else {
            return;
        };
        let uid = list.uid;
        let received = list.opo_lock.take();
        if let Some((asset, amount)) = list.pair_lock.take() {
            self.move_balance(uid, asset, amount, false, now_ms);
        }
        if let Some(amount) = received
            && let Some(index) = self.symbol_index(&self.lists[&list_id].symbol)
        {
            let base = self.market.symbols()[index].spec.base;
            self.move_balance(uid, base, amount, false, now_ms);
        }
        let Some(list) = self.lists.get_mut(&list_id) else {
            return;
        };
        list.list_status_type = "ALL_DONE";
        list.list_order_status = "ALL_DONE";
        list.transaction_time = now_ms;
        let list = list.clone();
        events.push(self.list_event(&list, now_ms));
    }

    /// Rule 5: the working order is filled, the pending orders start.
    fn start_pending(
        &mut self,
        index: usize,
        list: &OrderList,
        pending: &[u64],
        now_ms: i64,
        events: &mut Vec<Event>,
    ) {
        let uid = list.uid;
        let is_pair = !list.pair.is_empty();
        if is_pair {
            let needs: Vec<(&'static str, Decimal)> = pending
                .iter()
                .filter_map(|id| self.orders.get(id))
                .map(|order| self.waiting_need(index, order))
                .collect();
            let asset = self.pay_asset(
                index,
                needs.first().map_or(Side::Sell, |_| {
                    self.orders
                        .get(&pending[0])
                        .map_or(Side::Sell, |order| order.side)
                }),
            );
            let need = needs
                .iter()
                .map(|(_, amount)| *amount)
                .max()
                .unwrap_or_default();
            if self.free(uid, asset) < need {
                for id in pending {
                    self.set_status(*id, OrderStatus::New, now_ms);
                    self.finish(
                        index,
                        *id,
                        OrderStatus::Expired,
                        Some(ExpiryReason::Rejected),
                        now_ms,
                        events,
                    );
                }
                return;
            }
            self.move_balance(uid, asset, need, true, now_ms);
            if let Some(list) = self.lists.get_mut(&list.order_list_id) {
                list.pair_lock = Some((asset, need));
            }
        }
        if let Some(list) = self.lists.get_mut(&list.order_list_id) {
            list.transaction_time = now_ms;
            let list = list.clone();
            events.push(self.list_event(&list, now_ms));
        }
        for &id in pending {
            self.set_status(id, OrderStatus::New, now_ms);
            let Some(mut order) = self.orders.get(&id).cloned() else {
                continue;
            };
            events.extend(self.report(&order, "NEW", None, now_ms));
            if !is_pair {
                let (asset, need) = self.waiting_need(index, &order);
                if self.free(uid, asset) < need {
                    self.finish(
                        index,
                        id,
                        OrderStatus::Expired,
                        Some(ExpiryReason::Rejected),
                        now_ms,
                        events,
                    );
                    continue;
                }
                self.move_balance(uid, asset, need, true, now_ms);
                order.locked = need;
            }
            if order.order_type.is_algo() {
                self.start_waiting(index, &mut order, now_ms);
                self.orders.insert(id, order);
            } else {
                self.orders.insert(id, order);
                self.work(index, id, now_ms, events);
            }
        }
    }

    /// Rule 7: `net` of `asset` that `order` just received stays locked if
    /// it is the working order of an OPO whose pending orders wait.
    pub(super) fn opo_receive(&mut self, order: &Order, asset: &str, net: Decimal, now_ms: i64) {
        let Ok(list_id) = u64::try_from(order.order_list_id) else {
            return;
        };
        let Some(list) = self.lists.get_mut(&list_id) else {
            return;
        };
        if list.working != Some(order.order_id) {
            return;
        }
        let Some(lock) = list.opo_lock.as_mut() else {
            return;
        };
        *lock += net;
        self.move_balance(order.uid, asset, net, true, now_ms);
    }

    /// Rule 7: the working order of an OPO is `FILLED`. Its pending orders
    /// get what it received as their quantity (rounded down to the lot
    /// filters), all of it is released for [`Engine::start_pending`] to
    /// lock again, and they pass the filters or expire (`REJECTED`).
    /// Whether they may start.
    fn size_opo_pending(
        &mut self,
        index: usize,
        list_id: u64,
        pending: &[u64],
        now_ms: i64,
        events: &mut Vec<Event>,
    ) -> bool {
        let Some(list) = self.lists.get_mut(&list_id) else {
            return false;
        };
        let uid = list.uid;
        let received = list.opo_lock.take().unwrap_or_default();
        let base = self.market.symbols()[index].spec.base;
        self.move_balance(uid, base, received, false, now_ms);
        let spec = &self.market.symbols()[index].spec;
        let (step, max_qty, market_max_qty) = (spec.step_size, spec.max_qty, spec.market_max_qty);
        let mut sized = Vec::with_capacity(pending.len());
        for id in pending {
            let Some(order) = self.orders.get_mut(id) else {
                continue;
            };
            let mut qty = round_to_step(received, step).min(max_qty);
            if order.order_type.working_type() == OrderType::Market {
                qty = qty.min(round_to_step(market_max_qty, step));
            }
            order.orig_qty = qty;
            order.update_time = now_ms;
            let mut new = NewOrder::new(&order.symbol, order.side, order.order_type);
            new.quantity = Some(qty);
            new.price = order.order_type.has_price().then_some(order.price);
            new.stop_price = order.stop_price;
            new.trailing_delta = order.trailing_delta;
            sized.push(new);
        }
        let fits = sized
            .iter()
            .all(|new| self.check_filters(index, new, now_ms).is_ok());
        if !fits {
            for id in pending {
                self.set_status(*id, OrderStatus::New, now_ms);
                let reason = Some(ExpiryReason::Rejected);
                self.finish(index, *id, OrderStatus::Expired, reason, now_ms, events);
            }
        }
        fits
    }

    fn set_status(&mut self, order_id: u64, status: OrderStatus, now_ms: i64) {
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.status = status;
            order.update_time = now_ms;
        }
    }

    /// Places an order list (rest-api.md § Order lists). Everything is
    /// checked before anything changes: filters and limits of every order,
    /// the OCO price rules against the last price, the balance for what is
    /// locked at once.
    pub fn place_list(
        &mut self,
        uid: u64,
        new: &NewList,
        now_ms: i64,
    ) -> Result<PlacedList, ApiError> {
        self.keep_history();
        self.prune_live(uid);
        let index = self
            .symbol_index(&new.symbol)
            .ok_or_else(ApiError::bad_symbol)?;
        let open_lists: Vec<&OrderList> = self
            .open_lists
            .iter()
            .filter_map(|id| self.lists.get(id))
            .filter(|list| list.uid == uid)
            .collect();
        if open_lists
            .iter()
            .filter(|list| list.symbol == new.symbol)
            .count()
            >= MAX_NUM_ORDER_LISTS
        {
            return Err(ApiError::filter("MAX_NUM_ORDER_LISTS"));
        }
        if let Some(id) = &new.list_client_order_id
            && open_lists
                .iter()
                .any(|list| list.list_client_order_id == *id)
        {
            return Err(ApiError::order_rejected("Duplicate order sent."));
        }
        let (orders, opo): (Vec<&NewOrder>, bool) = match &new.kind {
            ListKind::Oco { below, above } => (vec![below, above], false),
            ListKind::Oto {
                working,
                pending,
                opo,
            } => (vec![working, pending], *opo),
            ListKind::Otoco {
                working,
                below,
                above,
                opo,
            } => (vec![working, below, above], *opo),
        };
        // An OPO's pending orders are checked as if they sold the whole
        // working quantity; their real quantity is checked when they start.
        let checked: Vec<NewOrder> = if opo {
            check_opo_sides(&orders)?;
            let quantity = orders[0].quantity;
            orders
                .iter()
                .enumerate()
                .map(|(i, order)| {
                    let mut order = (*order).clone();
                    if i > 0 {
                        order.quantity = quantity;
                    }
                    order
                })
                .collect()
        } else {
            orders.iter().map(|order| (*order).clone()).collect()
        };
        for order in &checked {
            self.check_new_order(uid, order, now_ms)?;
        }
        let ids: Vec<&String> = orders
            .iter()
            .filter_map(|order| order.client_order_id.as_ref())
            .collect();
        if (1..ids.len()).any(|i| ids[..i].contains(&ids[i])) {
            return Err(ApiError::order_rejected("Duplicate order sent."));
        }
        let open_here = self.open_orders(uid, Some(&new.symbol));
        let algo_new = orders.iter().filter(|o| o.order_type.is_algo()).count();
        let algo_open = open_here.iter().filter(|o| o.order_type.is_algo()).count();
        if algo_open + algo_new > super::MAX_NUM_ALGO_ORDERS {
            return Err(ApiError::filter("MAX_NUM_ALGO_ORDERS"));
        }
        if open_here.len() + orders.len() > super::MAX_NUM_ORDERS {
            return Err(ApiError::filter("MAX_NUM_ORDERS"));
        }
        let list_id = self.next_list_id;
        let list_client_order_id = new.list_client_order_id.clone().unwrap_or_else(|| {
            super::generated_client_order_id(self.market.seed() ^ 0x5a5a, list_id)
        });
        let mut list = OrderList {
            order_list_id: list_id,
            contingency_type: "OTO",
            list_client_order_id,
            symbol: new.symbol.clone(),
            uid,
            order_ids: Vec::new(),
            list_status_type: "EXEC_STARTED",
            list_order_status: "EXECUTING",
            transaction_time: now_ms,
            working: None,
            pair: Vec::new(),
            pair_lock: None,
            opo_lock: opo.then_some(Decimal::ZERO),
        };
        let before = self.market.symbols()[index].update_id;
        let mut events = Vec::new();
        let mut fills = Vec::new();
        match &new.kind {
            ListKind::Oco { below, above } => {
                self.check_pair(index, below, above, new.legacy)?;
                let lock = self.pair_need(index, below, above, uid)?;
                self.next_list_id += 1;
                list.contingency_type = "OCO";
                list.pair_lock = Some(lock);
                self.move_balance(uid, lock.0, lock.1, true, now_ms);
                for leg in [below, above] {
                    let id = self.store_leg(
                        index,
                        uid,
                        leg,
                        list_id,
                        OrderStatus::New,
                        now_ms,
                        &mut events,
                    );
                    list.order_ids.push(id);
                    list.pair.push(id);
                }
            }
            ListKind::Oto {
                working, pending, ..
            } => {
                self.next_list_id += 1;
                let (id, working_fills) =
                    self.place_working(uid, working, list_id, now_ms, &mut events)?;
                fills = working_fills;
                list.working = Some(id);
                list.order_ids.push(id);
                let id = self.store_leg(
                    index,
                    uid,
                    pending,
                    list_id,
                    OrderStatus::PendingNew,
                    now_ms,
                    &mut events,
                );
                list.order_ids.push(id);
            }
            ListKind::Otoco {
                working,
                below,
                above,
                ..
            } => {
                self.check_pair(index, &checked[1], &checked[2], false)?;
                self.next_list_id += 1;
                let (id, working_fills) =
                    self.place_working(uid, working, list_id, now_ms, &mut events)?;
                fills = working_fills;
                list.working = Some(id);
                list.order_ids.push(id);
                for leg in [below, above] {
                    let id = self.store_leg(
                        index,
                        uid,
                        leg,
                        list_id,
                        OrderStatus::PendingNew,
                        now_ms,
                        &mut events,
                    );
                    list.order_ids.push(id);
                    list.pair.push(id);
                }
                // The pair's lock is taken when the pending orders start.
                list.pair_lock = Some((self.pay_asset(index, below.side), Decimal::ZERO));
            }
        }
        let orders: Vec<Order> = list
            .order_ids
            .iter()
            .filter_map(|id| self.orders.get(id).cloned())
            .collect();
        events.push(self.list_event(&list, now_ms));
        self.lists.insert(list_id, list.clone());
        self.open_lists.insert(list_id);
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.list_ids.push(list_id);
        }
        // Rule 7 for the working order's fills at placement (the list did
        // not exist yet when they settled).
        if let (Some(_), Some(working)) = (list.opo_lock, list.working) {
            let received: Decimal = fills.iter().map(|fill| fill.qty - fill.commission).sum();
            if let Some(order) = self.orders.get(&working).cloned() {
                let base = self.market.symbols()[index].spec.base;
                self.opo_receive(&order, base, received, now_ms);
            }
        }
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
        self.sweep(index, now_ms, &mut events);
        events.extend(self.book_event(index, before, now_ms));
        Ok(PlacedList {
            list,
            orders,
            fills,
            events,
        })
    }

    /// The working order of an OTO: placed like any order, in the list.
    fn place_working(
        &mut self,
        uid: u64,
        working: &NewOrder,
        list_id: u64,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) -> Result<(u64, Vec<Fill>), ApiError> {
        let index = self.check_new_order(uid, working, now_ms)?;
        let plan = self.plan_order(index, uid, working, now_ms)?;
        let (asset, amount) = self.amount_to_lock(index, working, &plan);
        if self.free(uid, asset) < amount {
            return Err(super::insufficient_balance());
        }
        let working_now = plan.rests || working.order_type == OrderType::Market;
        let mut order = self.open_order(uid, working, working_now, amount, now_ms);
        order.order_list_id = list_id as i64;
        self.move_balance(uid, asset, amount, true, now_ms);
        events.extend(self.report(&order, "NEW", None, now_ms));
        let fills = self.execute_plan(index, &mut order, &plan, now_ms, events);
        self.settle_remainder(index, &mut order, &plan, asset, now_ms);
        if order.status == OrderStatus::Expired {
            events.extend(self.report(&order, "EXPIRED", None, now_ms));
        }
        let id = order.order_id;
        self.orders.insert(id, order);
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.order_ids.push(id);
        }
        Ok((id, fills))
    }

    /// Stores an order of a list as `status` (`NEW` for an OCO leg, which
    /// goes on the book if it is a `LIMIT_MAKER` and waits otherwise;
    /// `PENDING_NEW` for an OTO's pending order), holding nothing itself.
    #[allow(clippy::too_many_arguments)]
    fn store_leg(
        &mut self,
        index: usize,
        uid: u64,
        leg: &NewOrder,
        list_id: u64,
        status: OrderStatus,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) -> u64 {
        let on_book = status == OrderStatus::New && leg.order_type == OrderType::LimitMaker;
        let mut order = self.open_order(uid, leg, on_book, Decimal::ZERO, now_ms);
        order.order_list_id = list_id as i64;
        order.status = status;
        let id = order.order_id;
        if on_book {
            self.books[index]
                .side_mut(order.side)
                .entry(order.price)
                .or_default()
                .push_back(id);
            self.bump(index);
        } else if status == OrderStatus::New {
            self.start_waiting(index, &mut order, now_ms);
        }
        events.extend(self.report(&order, "NEW", None, now_ms));
        self.orders.insert(id, order);
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.order_ids.push(id);
        }
        id
    }

    /// The lock an OCO pair holds: the larger need of its legs (both legs
    /// spend the same asset).
    fn pair_need(
        &self,
        index: usize,
        below: &NewOrder,
        above: &NewOrder,
        uid: u64,
    ) -> Result<(&'static str, Decimal), ApiError> {
        let need = |leg: &NewOrder| {
            self.need(
                index,
                leg.side,
                leg.order_type,
                leg.price.unwrap_or_default(),
                leg.quantity.unwrap_or_default(),
            )
        };
        let (asset, low) = need(below);
        let (_, high) = need(above);
        let amount = low.max(high);
        if self.free(uid, asset) < amount {
            return Err(super::insufficient_balance());
        }
        Ok((asset, amount))
    }

    /// The OCO rules of rest-api.md § New Order list - OCO: one leg is a
    /// stop-loss, the other a limit maker or take-profit; on `SELL` the
    /// limit/take-profit leg is above the last price and the stop-loss
    /// below, on `BUY` the reverse. A `LIMIT_MAKER` leg must not take.
    fn check_pair(
        &self,
        index: usize,
        below: &NewOrder,
        above: &NewOrder,
        legacy: bool,
    ) -> Result<(), ApiError> {
        let type_error = || ApiError::bad_request(-1158, "Order type not supported in OCO.");
        if is_stop_leg(below.order_type) == is_stop_leg(above.order_type) {
            return Err(type_error());
        }
        if below.side != above.side || below.quantity != above.quantity {
            return Err(type_error());
        }
        let last = self.last_price(index);
        let side = below.side;
        for (leg, wants_above) in [(below, false), (above, true)] {
            // The price that decides the leg's side of the market.
            let price = match leg.order_type {
                OrderType::LimitMaker | OrderType::TakeProfitLimit => leg.price,
                _ => leg.stop_price,
            };
            let Some(price) = price else {
                // A trailing leg without a stop price tracks from here.
                continue;
            };
            let is_above = price > last;
            let is_below = price < last;
            let ok = if wants_above { is_above } else { is_below };
            if ok {
                continue;
            }
            if legacy {
                return Err(ApiError::order_rejected(
                    "The relationship of the prices for the orders is not correct.",
                ));
            }
            let (code, msg) = match (side, leg.order_type) {
                (Side::Buy, OrderType::LimitMaker) => {
                    (-1165, "A limit order in a buy OCO must be below.")
                }
                (Side::Sell, OrderType::LimitMaker) => {
                    (-1166, "A limit order in a sell OCO must be above.")
                }
                (Side::Buy, kind) if kind.is_stop_loss() => {
                    (-1196, "A stop loss order in a buy OCO must be above.")
                }
                (Side::Sell, kind) if kind.is_stop_loss() => {
                    (-1197, "A stop loss order in a sell OCO must be below.")
                }
                (Side::Buy, _) => (-1198, "A take profit order in a buy OCO must be below."),
                (Side::Sell, _) => (-1199, "A take profit order in a sell OCO must be above."),
            };
            return Err(ApiError::bad_request(code, msg));
        }
        // On SELL the stop-loss is the lower leg, on BUY the upper one.
        let stop_leg_below = is_stop_leg(below.order_type);
        if stop_leg_below != (side == Side::Sell) {
            return Err(type_error());
        }
        for leg in [below, above] {
            if leg.order_type == OrderType::LimitMaker {
                let taker = super::Taker {
                    uid: HOUSE_UID,
                    stp: StpMode::None,
                    side: leg.side,
                    limit: leg.price,
                    // Any match, in the price range or not, would take.
                    band: None,
                    qty: leg.quantity,
                    quote: None,
                };
                if !self.plan(index, &taker).steps.is_empty() {
                    return Err(ApiError::order_rejected(
                        "Order would immediately match and take.",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Cancels an open order list: every open order `CANCELED`, the list
    /// `ALL_DONE`. `-2011` if the list is unknown or done.
    pub fn cancel_list(
        &mut self,
        uid: u64,
        list_id: u64,
        now_ms: i64,
    ) -> Result<PlacedList, ApiError> {
        self.keep_history();
        let list = self
            .lists
            .get(&list_id)
            .filter(|list| list.uid == uid && list.is_open())
            .cloned()
            .ok_or_else(ApiError::cancel_unknown)?;
        let index = self
            .symbol_index(&list.symbol)
            .ok_or_else(ApiError::internal)?;
        let before = self.market.symbols()[index].update_id;
        let mut events = Vec::new();
        if let Some(list) = self.lists.get_mut(&list_id)
            && let Some((asset, amount)) = list.pair_lock.take()
        {
            self.move_balance(uid, asset, amount, false, now_ms);
        }
        for id in &list.order_ids {
            self.finish(index, *id, OrderStatus::Canceled, None, now_ms, &mut events);
        }
        self.close_list(list_id, now_ms, &mut events);
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
        events.extend(self.book_event(index, before, now_ms));
        let list = self
            .lists
            .get(&list_id)
            .cloned()
            .ok_or_else(ApiError::internal)?;
        let orders = list
            .order_ids
            .iter()
            .filter_map(|id| self.orders.get(id).cloned())
            .collect();
        Ok(PlacedList {
            list,
            orders,
            fills: Vec::new(),
            events,
        })
    }

    /// The `listStatus` event of `list`.
    fn list_event(&self, list: &OrderList, time: i64) -> Event {
        Event::Account(AccountEvent::ListStatus {
            uid: list.uid,
            list: Box::new(list.clone()),
            client_order_ids: self.list_client_ids(list),
            time,
        })
    }

    /// The client order IDs of a list's orders now, in the list's order.
    pub fn list_client_ids(&self, list: &OrderList) -> Vec<String> {
        list.order_ids
            .iter()
            .map(|id| {
                self.orders
                    .get(id)
                    .map(|order| order.client_order_id.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// An order list by ID.
    pub fn order_list(&self, list_id: u64) -> Option<&OrderList> {
        self.lists.get(&list_id)
    }

    /// An account's order lists, oldest first (the open ones and the
    /// closed ones the engine keeps).
    pub fn account_lists(&self, uid: u64) -> Vec<&OrderList> {
        self.accounts.get(&uid).map_or_else(Vec::new, |account| {
            account
                .list_ids
                .iter()
                .filter_map(|id| self.lists.get(id))
                .collect()
        })
    }

    /// An account's prevented matches on `symbol`, oldest first.
    pub fn prevented_matches(&self, uid: u64, symbol: &str) -> Vec<&PreventedMatch> {
        self.accounts.get(&uid).map_or_else(Vec::new, |account| {
            account
                .prevented
                .iter()
                .filter(|m| m.symbol == symbol)
                .collect()
        })
    }

    /// Executes a [`Step::Prevent`]: records the prevented match, takes the
    /// quantities off both orders, expires what the mode expires, and sends
    /// both `TRADE_PREVENTION` reports (maker first).
    pub(super) fn prevent(
        &mut self,
        index: usize,
        taker: &mut Order,
        step: Step,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) {
        let Step::Prevent {
            maker,
            price,
            maker_qty,
            taker_qty,
            expire_maker,
            expire_taker,
        } = step
        else {
            return;
        };
        if self.pair_holds(maker) {
            self.activate_leg(index, maker, now_ms, events);
        }
        let match_id = self.next_prevented_id;
        self.next_prevented_id += 1;
        let symbol = self.market.symbols()[index].spec.symbol.to_owned();
        let record = PreventedMatch {
            uid: taker.uid,
            symbol: symbol.clone(),
            prevented_match_id: match_id,
            taker_order_id: taker.order_id,
            maker_order_id: maker,
            mode: taker.stp_mode,
            price,
            maker_prevented_qty: maker_qty,
            time: now_ms,
        };
        if let Some(account) = self.accounts.get_mut(&taker.uid) {
            account.prevented.push(record);
        }
        let prevention = |qty: Decimal, counter: u64| Prevention {
            match_id,
            last_qty: qty,
            counter_order_id: counter,
            counter_symbol: symbol.clone(),
            price,
        };
        if let Some(order) = self.orders.get_mut(&maker) {
            order.prevented_qty += maker_qty;
            order.prevented_match_id = Some(match_id);
            order.update_time = now_ms;
        }
        let maker_report = if expire_maker {
            self.finish_quiet(index, maker, OrderStatus::ExpiredInMatch, None, now_ms)
        } else {
            let release = self.orders.get(&maker).map(|order| {
                let amount = match order.side {
                    Side::Buy => order.price * maker_qty,
                    Side::Sell => maker_qty,
                };
                (order.uid, self.pay_asset(index, order.side), amount)
            });
            if let Some((uid, asset, amount)) = release {
                self.move_balance(uid, asset, amount, false, now_ms);
                if let Some(order) = self.orders.get_mut(&maker) {
                    order.locked -= amount;
                }
                self.bump(index);
            }
            self.orders.get(&maker).cloned()
        };
        if let Some(order) = maker_report {
            let prevented = prevention(maker_qty, taker.order_id);
            events.extend(self.report_with(
                &order,
                "TRADE_PREVENTION",
                None,
                None,
                Some(prevented),
                now_ms,
            ));
        }
        taker.prevented_qty += taker_qty;
        taker.prevented_match_id = Some(match_id);
        taker.update_time = now_ms;
        taker.status = if expire_taker {
            OrderStatus::ExpiredInMatch
        } else if taker.executed_qty.is_zero() {
            OrderStatus::New
        } else {
            OrderStatus::PartiallyFilled
        };
        let prevented = prevention(taker_qty, maker);
        events.extend(self.report_with(
            taker,
            "TRADE_PREVENTION",
            None,
            None,
            Some(prevented),
            now_ms,
        ));
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(taker.uid, &[spec.base, spec.quote], now_ms));
    }
}
