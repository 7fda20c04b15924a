//! Order Amend Keep Priority (rest-api.md § Order Amend Keep Priority):
//! an open order's quantity goes down and it keeps its place in the queue.
//!
//! 1. Not an OPO's pending order before it starts (`-2038` "Order amend
//!    (pending OPO order) is not supported."; its quantity is not known
//!    yet). Only a decrease: `newQty` equal to the quantity is `-2038` "The
//!    requested action would change no state; rejecting", larger is
//!    `-2038` "Order amend (quantity increase) is not supported.".
//! 2. `newQty` passes `LOT_SIZE`; an order is amended at most
//!    [`MAX_NUM_ORDER_AMENDS`] times (`-1013` "Filter failure:
//!    MAX_NUM_ORDER_AMENDS").
//! 3. What the order no longer needs is released; an order left with
//!    nothing to trade (`newQty` at or below what it filled) expires.
//! 4. The order gets a new client order ID (`newClientOrderId`, or one
//!    generated) and reports `REPLACED`, whose execution ID is the
//!    amendment's.

use rust_decimal::Decimal;

use super::{Engine, MAX_NUM_ORDER_AMENDS, Order, OrderList, generated_client_order_id};
use crate::error::ApiError;
use crate::events::Event;
use crate::market::round_to_step;
use crate::model::{OrderStatus, Side};

/// One amendment (`order/amendments`).
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    /// The `REPLACED` report's execution ID.
    pub execution_id: u64,
    /// The client order ID before.
    pub orig_client_order_id: String,
    /// The client order ID after.
    pub new_client_order_id: String,
    /// The quantity before.
    pub orig_qty: Decimal,
    /// The quantity after.
    pub new_qty: Decimal,
    /// When (ms).
    pub time: i64,
}

/// What [`Engine::amend`] did.
#[derive(Debug, Clone)]
pub struct Amended {
    /// The order after the amendment.
    pub order: Order,
    /// The client order ID before it.
    pub orig_client_order_id: String,
    /// The amendment's execution ID.
    pub execution_id: u64,
    /// The order's list, if it has one.
    pub list: Option<OrderList>,
    /// What happened, for the exchange to publish.
    pub events: Vec<Event>,
}

fn rejected(msg: &str) -> ApiError {
    ApiError::bad_request(-2038, msg)
}

impl Engine {
    /// Lowers an open order's quantity to `new_qty`, keeping its priority.
    pub fn amend(
        &mut self,
        uid: u64,
        order_id: u64,
        new_qty: Decimal,
        new_client_order_id: Option<String>,
        now_ms: i64,
    ) -> Result<Amended, ApiError> {
        self.keep_history();
        let order = self
            .orders
            .get(&order_id)
            .filter(|order| order.uid == uid && order.status.is_open())
            .ok_or_else(|| rejected("Unknown order sent."))?;
        let index = self
            .symbol_index(&order.symbol)
            .ok_or_else(ApiError::internal)?;
        let opo_pending = order.status == OrderStatus::PendingNew
            && u64::try_from(order.order_list_id)
                .ok()
                .and_then(|id| self.lists.get(&id))
                .is_some_and(|list| list.opo_lock.is_some());
        if opo_pending {
            return Err(rejected(
                "Order amend (pending OPO order) is not supported.",
            ));
        }
        if new_qty == order.orig_qty {
            return Err(rejected(
                "The requested action would change no state; rejecting",
            ));
        }
        if new_qty > order.orig_qty {
            return Err(rejected(
                "Order amend (quantity increase) is not supported.",
            ));
        }
        let spec = &self.market.symbols()[index].spec;
        let on_grid = round_to_step(new_qty, spec.step_size) == new_qty.normalize();
        if new_qty < spec.min_qty || !on_grid {
            return Err(ApiError::filter("LOT_SIZE"));
        }
        if order.amendments.len() >= MAX_NUM_ORDER_AMENDS {
            return Err(ApiError::filter("MAX_NUM_ORDER_AMENDS"));
        }
        if let Some(id) = &new_client_order_id
            && *id != order.client_order_id
            && self.client_id_taken(uid, id, Some(order_id))
        {
            return Err(rejected("Duplicate order sent."));
        }
        let orig_client_order_id = order.client_order_id.clone();
        let orig_qty = order.orig_qty;
        let seed = self.market.seed();
        let nonce = order_id
            .wrapping_mul(64)
            .wrapping_add(order.amendments.len() as u64 + 1);
        let new_client_order_id =
            new_client_order_id.unwrap_or_else(|| generated_client_order_id(seed ^ 0xa3e4d, nonce));
        let before = self.market.symbols()[index].update_id;
        let asset = self.pay_asset(index, order.side);
        let held_by_pair = self.pair_holds(order_id);
        let mut events = Vec::new();
        let order = self
            .orders
            .get_mut(&order_id)
            .ok_or_else(ApiError::internal)?;
        let old_remaining = order.remaining();
        order.orig_qty = new_qty.max(order.executed_qty + order.prevented_qty);
        order.client_order_id = new_client_order_id.clone();
        order.update_time = now_ms;
        let new_remaining = order.remaining();
        // What the order held for the quantity it gave up.
        let release = if held_by_pair || order.locked.is_zero() {
            Decimal::ZERO
        } else {
            let cut = old_remaining - new_remaining;
            match order.side {
                Side::Buy => (order.price * cut).min(order.locked),
                Side::Sell => cut.min(order.locked),
            }
        };
        order.locked -= release;
        let on_book = order.status != OrderStatus::PendingNew && !order.awaits_trigger();
        let uid = order.uid;
        self.move_balance(uid, asset, release, false, now_ms);
        if on_book {
            self.bump(index);
        }
        let execution_id = self.next_execution_id;
        let Some(order) = self.orders.get(&order_id).cloned() else {
            return Err(ApiError::internal());
        };
        events.extend(self.report_with(
            &order,
            "REPLACED",
            None,
            Some(orig_client_order_id.clone()),
            None,
            now_ms,
        ));
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.amendments.push(super::Amendment {
                execution_id,
                orig_client_order_id: orig_client_order_id.clone(),
                new_client_order_id,
                orig_qty,
                new_qty,
                time: now_ms,
            });
        }
        if new_remaining <= Decimal::ZERO {
            self.finish(
                index,
                order_id,
                OrderStatus::Expired,
                None,
                now_ms,
                &mut events,
            );
        }
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
        self.sweep(index, now_ms, &mut events);
        events.extend(self.book_event(index, before, now_ms));
        let order = self
            .orders
            .get(&order_id)
            .cloned()
            .ok_or_else(ApiError::internal)?;
        let list = (order.order_list_id >= 0)
            .then(|| self.lists.get(&(order.order_list_id as u64)).cloned())
            .flatten();
        Ok(Amended {
            order,
            orig_client_order_id,
            execution_id,
            list,
            events,
        })
    }
}
