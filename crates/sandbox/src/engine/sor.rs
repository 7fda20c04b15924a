//! Smart order routing (shared/binance-docs/rest-api.md § SOR; Binance's
//! SOR FAQ): an order placed through SOR takes liquidity from every book of
//! its SOR group, and its taker fills are allocations, not trades.
//!
//! The sandbox's SOR groups ([`SOR_QUOTE`]) hold one book each, so routing
//! is placing the order on its own symbol's book, in these steps:
//!
//! 1. Place the order as [`Engine::place`] does (filters, balance, the
//!    taker phase, a GTC remainder on the book).
//! 2. Each taker fill becomes an allocation with its own ID: the account's
//!    trade record for it moves to the account's `allocations` and the fill
//!    shows `tradeId` -1 and its `allocId`. The makers keep their trades.
//! 3. The order is marked as placed through SOR: its working floor is
//!    `EXCHANGE` if it rests on the book, else `SOR`. Its execution reports
//!    from the placement show `SOR` and, for fills, the allocation.

use rust_decimal::Decimal;

use super::{Engine, NewOrder, Placed};
use crate::error::ApiError;
use crate::events::{AccountEvent, Event};
use crate::model::{OrderType, WorkingFloor};

/// The quote asset of the sandbox's SOR groups: every symbol quoted in it
/// forms a group with its base asset (`exchangeInfo` → `sors`).
pub const SOR_QUOTE: &str = "USDT";

/// An allocation (`GET /api/v3/myAllocations`): what SOR moved to the
/// account for one taker fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// The symbol the order was placed on.
    pub symbol: String,
    /// Allocation ID, increasing across the exchange.
    pub allocation_id: u64,
    /// The order.
    pub order_id: u64,
    /// Fill price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Commission charged.
    pub commission: Decimal,
    /// Its asset.
    pub commission_asset: String,
    /// Time (ms).
    pub time: i64,
    /// Whether the account bought.
    pub is_buyer: bool,
}

impl Engine {
    /// Whether `symbol` is in a SOR group.
    pub fn has_sor(&self, symbol: &str) -> bool {
        self.market
            .get(symbol)
            .is_some_and(|market| market.spec.quote == SOR_QUOTE)
    }

    /// The SOR groups as `(base asset, symbols)`, in the market's order.
    pub fn sor_groups(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
        for market in self.market.symbols() {
            let spec = &market.spec;
            if spec.quote != SOR_QUOTE {
                continue;
            }
            match groups.iter_mut().find(|(base, _)| *base == spec.base) {
                Some((_, symbols)) => symbols.push(spec.symbol),
                None => groups.push((spec.base, vec![spec.symbol])),
            }
        }
        groups
    }

    /// Checks what only SOR refuses: `-1013` "This symbol has no SOR." (the
    /// answer Binance gives), `-1014` for a type other than `LIMIT` and
    /// `MARKET`. The rest is [`Engine::validate`]'s.
    pub fn check_sor(&self, new: &NewOrder) -> Result<(), ApiError> {
        if self.market.get(&new.symbol).is_none() {
            return Err(ApiError::bad_symbol());
        }
        if !self.has_sor(&new.symbol) {
            return Err(ApiError::bad_request(-1013, "This symbol has no SOR."));
        }
        if !matches!(new.order_type, OrderType::Limit | OrderType::Market) {
            return Err(ApiError::bad_request(
                -1014,
                "Unsupported order combination.",
            ));
        }
        Ok(())
    }

    /// Places an order through SOR for `uid` (steps in the module docs).
    pub fn place_sor(&mut self, uid: u64, new: &NewOrder, now_ms: i64) -> Result<Placed, ApiError> {
        self.check_sor(new)?;
        let mut placed = self.place(uid, new, now_ms)?;
        let order_id = placed.order.order_id;
        let mut allocations = Vec::with_capacity(placed.fills.len());
        for fill in &mut placed.fills {
            let allocation_id = self.next_allocation_id;
            self.next_allocation_id += 1;
            fill.alloc_id = Some(allocation_id);
            allocations.push((fill.trade_id, allocation_id));
        }
        if let Some(account) = self.accounts.get_mut(&uid) {
            for (trade_id, allocation_id) in &allocations {
                let taker_record = account.trades.iter().rposition(|trade| {
                    trade.order_id == order_id && trade.id == *trade_id && !trade.is_maker
                });
                if let Some(position) = taker_record {
                    let trade = account.trades.remove(position);
                    account.allocations.push(Allocation {
                        symbol: trade.symbol,
                        allocation_id: *allocation_id,
                        order_id,
                        price: trade.price,
                        qty: trade.qty,
                        quote_qty: trade.quote_qty,
                        commission: trade.commission,
                        commission_asset: trade.commission_asset,
                        time: trade.time,
                        is_buyer: trade.is_buyer,
                    });
                }
            }
        }
        let floor = if placed.order.status.is_open() {
            WorkingFloor::Exchange
        } else {
            WorkingFloor::Sor
        };
        placed.order.working_floor = Some(floor);
        if let Some(stored) = self.orders.get_mut(&order_id) {
            stored.working_floor = Some(floor);
        }
        for event in &mut placed.events {
            let Event::Account(AccountEvent::Execution { order, fill, .. }) = event else {
                continue;
            };
            if order.order_id != order_id {
                continue;
            }
            order.working_floor = Some(WorkingFloor::Sor);
            if let Some(fill) = fill.as_mut() {
                fill.alloc_id = allocations
                    .iter()
                    .find(|(trade_id, _)| *trade_id == fill.trade_id)
                    .map(|(_, allocation_id)| *allocation_id);
            }
        }
        Ok(placed)
    }
}
