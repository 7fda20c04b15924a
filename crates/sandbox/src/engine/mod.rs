//! The exchange core: accounts, order books and a price-time-priority
//! matching engine, next to the [`Market`]'s synthetic liquidity.
//!
//! Matching an incoming order:
//!
//! 1. Plan the fills without changing anything: walk the opposite side's
//!    resting orders (price first, then arrival) merged with the synthetic
//!    book levels (a synthetic level is older than any order at its price),
//!    while the price is within the limit and quantity (or quote quantity)
//!    remains.
//! 2. Reject `LIMIT_MAKER` if the plan is not empty; expire `FOK` if it does
//!    not fill the whole quantity.
//! 3. Lock what the order may spend (quote for buys, base for sells), or
//!    reject with `-2010` insufficient balance.
//! 4. Execute the plan: each fill moves the maker's and the taker's locked
//!    assets to the other side's free balance, minus a commission in the
//!    asset received (burned, counted in [`Engine::fees`]).
//! 5. Rest a GTC remainder on the book with exactly `price * remaining`
//!    (buy) or `remaining` (sell) still locked; release anything else.
//!
//! Stop and take-profit orders, order lists, amendments and self-trade
//! prevention live in `engine/contingent.rs` and `engine/amend.rs`; they use
//! the same phases. What the engine keeps of the past, and the open-order
//! index phase 0 looks at, is `engine/history.rs`: no step of a placement
//! walks the account's history or the trades of the reference window, so
//! an order costs the same after a week of trading as on the first day.
//!
//! Synthetic liquidity belongs to the house account ([`HOUSE_UID`]), which
//! has an unlimited-looking balance and pays no commission, so assets are
//! conserved across all accounts including the house, except for fees.
//! When the price walk moves through a resting order, the house takes it at
//! the order's price.
//!
//! A taker executes only within the `PRICE_RANGE` execution rule around the
//! reference price taken when its taker phase starts
//! ([`crate::reference`]): the plan stops before the first fill outside it
//! and the order expires with `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`. The
//! house, which only takes resting orders the walk moved through, is not
//! held to it. Orders placed through smart order routing are the same
//! placement, their taker fills recorded as allocations (`engine/sor.rs`).

mod sor;

mod amend;
mod contingent;
mod history;
#[cfg(test)]
mod trading_tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rust_decimal::{Decimal, RoundingStrategy};

pub use self::sor::Allocation;
use crate::error::ApiError;
use crate::events::{AccountEvent, Event, MarketEvent, Prevention};
use crate::market::{Level, Market, ReplayEvent, round_to_step};
use crate::model::{
    ExpiryReason, OrderStatus, OrderType, Side, StpMode, TimeInForce, WorkingFloor,
};
use crate::reference::PRICE_RANGE;

pub use self::amend::{Amended, Amendment};
pub use self::contingent::{ListKind, NewList, OrderList, PlacedList, PreventedMatch};
pub use self::history::HISTORY_PER_ACCOUNT;

/// The account that owns the synthetic liquidity.
pub const HOUSE_UID: u64 = 0;
/// Maximum open orders per account and symbol (`MAX_NUM_ORDERS`).
pub const MAX_NUM_ORDERS: usize = 200;
/// Maximum open stop and take-profit orders per account and symbol
/// (`MAX_NUM_ALGO_ORDERS`).
pub const MAX_NUM_ALGO_ORDERS: usize = 5;
/// Maximum open order lists per account and symbol (`MAX_NUM_ORDER_LISTS`).
pub const MAX_NUM_ORDER_LISTS: usize = 20;
/// Maximum amendments of one order (`MAX_NUM_ORDER_AMENDS`).
pub const MAX_NUM_ORDER_AMENDS: usize = 10;
/// `TRAILING_DELTA` bounds in BIPS, the same above and below.
pub const TRAILING_DELTA_RANGE: (u32, u32) = (10, 2000);
/// Decimals kept in balances and commissions.
pub const ASSET_PRECISION: u32 = 8;
/// `PERCENT_PRICE_BY_SIDE`: a priced order (either side) must be at most
/// this times the average price...
pub const PERCENT_PRICE_UP: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// ... and at least this times it.
pub const PERCENT_PRICE_DOWN: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
/// `avgPriceMins` of `PERCENT_PRICE_BY_SIDE` and `NOTIONAL`: the average
/// price is [`Engine::avg_price`]'s five-minute average.
pub const AVG_PRICE_MINS: u32 = 5;

/// One asset's balance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// An account's own trade (`myTrades`).
#[derive(Debug, Clone)]
pub struct AccountTrade {
    /// Symbol.
    pub symbol: String,
    /// Public trade ID.
    pub id: u64,
    /// The account's order.
    pub order_id: u64,
    /// The order's list, or -1.
    pub order_list_id: i64,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub qty: Decimal,
    /// Quote quantity.
    pub quote_qty: Decimal,
    /// Commission charged.
    pub commission: Decimal,
    /// Asset the commission was charged in.
    pub commission_asset: String,
    /// Time (ms).
    pub time: i64,
    /// Whether the account bought.
    pub is_buyer: bool,
    /// Whether the account's order was the maker.
    pub is_maker: bool,
}

/// An account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// The `uid`.
    pub uid: u64,
    /// Balances by asset.
    pub balances: BTreeMap<String, Balance>,
    /// Last balance change (ms).
    pub update_time: i64,
    /// Trades, oldest first (the newest [`HISTORY_PER_ACCOUNT`]).
    pub trades: Vec<AccountTrade>,
    /// Allocations from orders placed through SOR, oldest first (the
    /// newest [`HISTORY_PER_ACCOUNT`]).
    pub allocations: Vec<Allocation>,
    /// Orders, oldest first: the open ones and the newest
    /// [`HISTORY_PER_ACCOUNT`] closed ones (`engine/history.rs`).
    pub order_ids: Vec<u64>,
    /// Order lists, oldest first, kept like the orders.
    pub list_ids: Vec<u64>,
    /// Matches self-trade prevention stopped with this account's order as
    /// the taker, oldest first (the newest [`HISTORY_PER_ACCOUNT`]).
    pub prevented: Vec<PreventedMatch>,
    /// Every open order and maybe some closed since the account last
    /// placed one: where the checks at placement look.
    live: BTreeSet<u64>,
}

/// An order as the engine keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Symbol.
    pub symbol: String,
    /// Order ID.
    pub order_id: u64,
    /// Client order ID.
    pub client_order_id: String,
    /// Owner.
    pub uid: u64,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (`GTC` for types without one).
    pub time_in_force: TimeInForce,
    /// Limit price; zero for market orders.
    pub price: Decimal,
    /// Quantity asked for (zero for quote-quantity market orders).
    pub orig_qty: Decimal,
    /// Quote quantity asked for (zero unless sent).
    pub orig_quote_qty: Decimal,
    /// Filled base quantity.
    pub executed_qty: Decimal,
    /// Filled quote quantity.
    pub cumm_quote_qty: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// Creation time (ms).
    pub time: i64,
    /// Last change (ms).
    pub update_time: i64,
    /// When it went on the book (for stop types: when it triggered), or -1.
    pub working_time: i64,
    /// Still locked for this order.
    pub locked: Decimal,
    /// The order list it belongs to, or -1.
    pub order_list_id: i64,
    /// Stop price (stop and take-profit types), if sent.
    pub stop_price: Option<Decimal>,
    /// Trailing delta in BIPS, if sent.
    pub trailing_delta: Option<u32>,
    /// When trailing began, or -1.
    pub trailing_time: i64,
    /// The best last price since trailing began: the highest for sells,
    /// the lowest for buys.
    pub trail_extreme: Option<Decimal>,
    /// Self-trade prevention mode.
    pub stp_mode: StpMode,
    /// Quantity expired by self-trade prevention.
    pub prevented_qty: Decimal,
    /// The last prevented match, if any.
    pub prevented_match_id: Option<u64>,
    /// Why it expired, once it has (user-data-stream.md § Order Expiry
    /// Reason).
    pub expiry_reason: Option<ExpiryReason>,
    /// Where it last worked, for an order placed through SOR (`None` for
    /// the others).
    pub working_floor: Option<WorkingFloor>,
    /// `strategyId`, if sent.
    pub strategy_id: Option<i64>,
    /// `strategyType`, if sent.
    pub strategy_type: Option<i64>,
    /// Amendments, oldest first.
    pub amendments: Vec<Amendment>,
}

impl Order {
    /// The house's market order taking a resting order the walk crossed;
    /// never stored.
    fn house(symbol: &str, side: Side, qty: Decimal, time: i64) -> Order {
        Order {
            symbol: symbol.to_owned(),
            order_id: 0,
            client_order_id: String::new(),
            uid: HOUSE_UID,
            side,
            order_type: OrderType::Market,
            time_in_force: TimeInForce::Gtc,
            price: Decimal::ZERO,
            orig_qty: qty,
            orig_quote_qty: Decimal::ZERO,
            executed_qty: Decimal::ZERO,
            cumm_quote_qty: Decimal::ZERO,
            status: OrderStatus::New,
            time,
            update_time: time,
            working_time: time,
            locked: Decimal::ZERO,
            order_list_id: -1,
            stop_price: None,
            trailing_delta: None,
            trailing_time: -1,
            trail_extreme: None,
            stp_mode: StpMode::None,
            prevented_qty: Decimal::ZERO,
            prevented_match_id: None,
            expiry_reason: None,
            working_floor: None,
            strategy_id: None,
            strategy_type: None,
            amendments: Vec::new(),
        }
    }

    /// What can still trade: ordered, minus filled, minus prevented.
    pub fn remaining(&self) -> Decimal {
        self.orig_qty - self.executed_qty - self.prevented_qty
    }

    /// A stop or take-profit order that has not triggered yet.
    pub fn awaits_trigger(&self) -> bool {
        self.order_type.is_algo() && self.working_time == -1 && self.status.is_open()
    }
}

/// A fill of a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Commission charged to the taker.
    pub commission: Decimal,
    /// Its asset.
    pub commission_asset: String,
    /// Public trade ID.
    pub trade_id: u64,
    /// For a fill by smart order routing, the allocation that made it
    /// (then the fill is no trade of the account's: `tradeId` -1).
    pub alloc_id: Option<u64>,
}

/// A new order, validated for syntax but not yet for filters or balance.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (LIMIT only).
    pub time_in_force: TimeInForce,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Client order ID.
    pub client_order_id: Option<String>,
    /// Stop price (stop and take-profit types).
    pub stop_price: Option<Decimal>,
    /// Trailing delta in BIPS (stop and take-profit types).
    pub trailing_delta: Option<u32>,
    /// Self-trade prevention mode.
    pub stp_mode: StpMode,
    /// `strategyId`.
    pub strategy_id: Option<i64>,
    /// `strategyType`.
    pub strategy_type: Option<i64>,
}

impl NewOrder {
    /// A new order with only the fields every type has; the rest empty.
    pub fn new(symbol: &str, side: Side, order_type: OrderType) -> NewOrder {
        NewOrder {
            symbol: symbol.to_owned(),
            side,
            order_type,
            time_in_force: TimeInForce::Gtc,
            quantity: None,
            quote_order_qty: None,
            price: None,
            client_order_id: None,
            stop_price: None,
            trailing_delta: None,
            stp_mode: StpMode::None,
            strategy_id: None,
            strategy_type: None,
        }
    }
}

/// What [`Engine::place`] did.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order after placement.
    pub order: Order,
    /// Its fills, in order.
    pub fills: Vec<Fill>,
    /// What happened, oldest first, for the exchange to publish.
    pub events: Vec<Event>,
}

/// What [`Engine::cancel`] did.
#[derive(Debug, Clone)]
pub struct Canceled {
    /// The order, now `CANCELED`.
    pub order: Order,
    /// What happened, for the exchange to publish.
    pub events: Vec<Event>,
}

/// One step of a plan: a fill, or a match self-trade prevention stops.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// `(maker, price, quantity)`.
    Fill(Maker, Decimal, Decimal),
    /// A match of the taker with a resting order of its own account.
    Prevent {
        maker: u64,
        price: Decimal,
        /// Quantity the maker loses.
        maker_qty: Decimal,
        /// Quantity the taker loses.
        taker_qty: Decimal,
        expire_maker: bool,
        expire_taker: bool,
    },
}

/// How a new order will go, decided before anything changes.
#[derive(Debug)]
struct Plan {
    /// The steps to execute; empty when FOK expires.
    steps: Vec<Step>,
    /// Base quantity the walk found, even when FOK then expires.
    planned_qty: Decimal,
    /// Quote quantity the walk found.
    planned_quote: Decimal,
    /// A FOK order that cannot fill completely: it expires untouched.
    fok_fails: bool,
    /// A GTC remainder goes on the book.
    rests: bool,
    /// The order's status once placed.
    status: OrderStatus,
    /// Why it expires, if it does.
    expiry_reason: Option<ExpiryReason>,
}

/// A taker's walk through the book, planned.
#[derive(Debug, Default)]
struct Walk {
    /// The steps in execution order.
    steps: Vec<Step>,
    /// The book ran out (or the limit price stopped the walk) first.
    ran_dry: bool,
    /// The next match would have been outside the price range.
    out_of_range: bool,
}

/// Commission rates.
#[derive(Debug, Clone, Copy)]
pub struct Commission {
    /// Maker rate (e.g. 0.001).
    pub maker: Decimal,
    /// Taker rate.
    pub taker: Decimal,
}

/// Who takes, and how much, for [`Engine::plan`].
#[derive(Debug, Clone, Copy)]
struct Taker {
    uid: u64,
    stp: StpMode,
    side: Side,
    limit: Option<Decimal>,
    /// The price range `(low, high)`, if the symbol has a reference price.
    band: Option<(Decimal, Decimal)>,
    qty: Option<Decimal>,
    quote: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Maker {
    Synthetic,
    Order(u64),
}

#[derive(Debug, Clone, Default)]
struct Book {
    bids: BTreeMap<Decimal, VecDeque<u64>>,
    asks: BTreeMap<Decimal, VecDeque<u64>>,
}

impl Book {
    fn side(&self, side: Side) -> &BTreeMap<Decimal, VecDeque<u64>> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Decimal, VecDeque<u64>> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Order IDs on `side`, best price first, oldest first within a price.
    fn in_priority(&self, side: Side) -> Vec<(Decimal, u64)> {
        let levels = self.side(side);
        let flatten = |(price, ids): (&Decimal, &VecDeque<u64>)| {
            ids.iter().map(|id| (*price, *id)).collect::<Vec<_>>()
        };
        match side {
            Side::Buy => levels.iter().rev().flat_map(flatten).collect(),
            Side::Sell => levels.iter().flat_map(flatten).collect(),
        }
    }

    fn remove(&mut self, side: Side, price: Decimal, order_id: u64) {
        let levels = self.side_mut(side);
        if let Some(ids) = levels.get_mut(&price) {
            ids.retain(|id| *id != order_id);
            if ids.is_empty() {
                levels.remove(&price);
            }
        }
    }
}

/// The exchange core. Every method takes the sandbox time explicitly.
#[derive(Debug)]
pub struct Engine {
    market: Market,
    books: Vec<Book>,
    accounts: BTreeMap<u64, Account>,
    orders: HashMap<u64, Order>,
    next_order_id: u64,
    commission: Commission,
    fees: BTreeMap<String, Decimal>,
    synthetic: bool,
    next_allocation_id: u64,
    next_execution_id: u64,
    lists: BTreeMap<u64, OrderList>,
    next_list_id: u64,
    /// Stop and take-profit orders waiting for their trigger.
    waiting: BTreeSet<u64>,
    /// Order lists not yet `ALL_DONE`.
    open_lists: BTreeSet<u64>,
    next_prevented_id: u64,
    /// Closed records of each kind kept per account (`engine/history.rs`).
    history_limit: usize,
}

impl Engine {
    /// An engine over `market` with synthetic liquidity and a house account.
    pub fn new(market: Market, commission: Commission) -> Engine {
        let books = vec![Book::default(); market.symbols().len()];
        let mut engine = Engine {
            market,
            books,
            accounts: BTreeMap::new(),
            orders: HashMap::new(),
            next_order_id: 1,
            commission,
            fees: BTreeMap::new(),
            synthetic: true,
            next_allocation_id: 0,
            next_execution_id: 1,
            lists: BTreeMap::new(),
            next_list_id: 0,
            waiting: BTreeSet::new(),
            open_lists: BTreeSet::new(),
            next_prevented_id: 1,
            history_limit: HISTORY_PER_ACCOUNT,
        };
        let house_amount = Decimal::from(1_000_000_000_000_i64);
        let assets: Vec<String> = engine
            .market
            .symbols()
            .iter()
            .flat_map(|s| [s.spec.base.to_owned(), s.spec.quote.to_owned()])
            .collect();
        let house = engine.accounts.entry(HOUSE_UID).or_default();
        for asset in assets {
            house.balances.insert(
                asset,
                Balance {
                    free: house_amount,
                    locked: Decimal::ZERO,
                },
            );
        }
        engine
    }

    /// Turns synthetic liquidity (and the walk crossing resting orders) off,
    /// so that only accounts trade with each other (for tests).
    pub fn without_synthetic_liquidity(mut self) -> Engine {
        self.synthetic = false;
        self
    }

    /// The market.
    pub fn market(&self) -> &Market {
        &self.market
    }

    /// Commission rates.
    pub fn commission(&self) -> Commission {
        self.commission
    }

    /// Fees charged so far, by asset.
    pub fn fees(&self) -> &BTreeMap<String, Decimal> {
        &self.fees
    }

    /// Adds an account with these balances.
    pub fn add_account(&mut self, uid: u64, balances: &[(String, Decimal)], now_ms: i64) {
        let account = self.accounts.entry(uid).or_default();
        account.uid = uid;
        account.update_time = now_ms;
        for (asset, amount) in balances {
            account.balances.entry(asset.clone()).or_default().free += *amount;
        }
    }

    /// An account.
    pub fn account(&self, uid: u64) -> Option<&Account> {
        self.accounts.get(&uid)
    }

    /// All accounts, the house included.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// An order by ID.
    pub fn order(&self, order_id: u64) -> Option<&Order> {
        self.orders.get(&order_id)
    }

    /// Finds an account's order on `symbol` by ID or client order ID
    /// (`orderId` first, then checks `origClientOrderId` against it).
    pub fn find_order(
        &self,
        uid: u64,
        symbol: &str,
        order_id: Option<u64>,
        client_order_id: Option<&str>,
    ) -> Option<&Order> {
        let found = match order_id {
            Some(order_id) => self.orders.get(&order_id),
            None => {
                let client_order_id = client_order_id?;
                let account = self.accounts.get(&uid)?;
                account
                    .order_ids
                    .iter()
                    .rev()
                    .filter_map(|id| self.orders.get(id))
                    .find(|order| {
                        order.symbol == symbol && order.client_order_id == client_order_id
                    })
            }
        }?;
        let matches = found.uid == uid
            && found.symbol == symbol
            && client_order_id.is_none_or(|id| id == found.client_order_id);
        matches.then_some(found)
    }

    /// An account's orders, oldest first, optionally on one symbol.
    pub fn account_orders(&self, uid: u64, symbol: Option<&str>) -> Vec<&Order> {
        let Some(account) = self.accounts.get(&uid) else {
            return Vec::new();
        };
        account
            .order_ids
            .iter()
            .filter_map(|id| self.orders.get(id))
            .filter(|order| symbol.is_none_or(|symbol| order.symbol == symbol))
            .collect()
    }

    /// Depth of `symbol`: bids and asks, best first, at most `limit` levels,
    /// resting orders and synthetic levels merged.
    pub fn depth(&self, symbol: &str, limit: usize) -> Option<(u64, Vec<Level>, Vec<Level>)> {
        let index = self.symbol_index(symbol)?;
        let side_levels = |side: Side| {
            let mut levels: BTreeMap<Decimal, Decimal> = BTreeMap::new();
            for (price, ids) in self.books[index].side(side) {
                let qty: Decimal = ids
                    .iter()
                    .filter_map(|id| self.orders.get(id))
                    .map(Order::remaining)
                    .sum();
                *levels.entry(*price).or_default() += qty;
            }
            if self.synthetic {
                for (price, qty) in self.market.synthetic_levels(index, side) {
                    *levels.entry(price).or_default() += qty;
                }
            }
            let mut out: Vec<(Decimal, Decimal)> = levels.into_iter().collect();
            if side == Side::Buy {
                out.reverse();
            }
            out.truncate(limit);
            out
        };
        let update_id = self.market.symbols()[index].update_id;
        Some((update_id, side_levels(Side::Buy), side_levels(Side::Sell)))
    }

    /// The best bid and best ask of `symbol`, each `(price, qty)`; zeros
    /// for an empty side.
    pub fn top_of_book(&self, symbol: &str) -> Option<(Level, Level)> {
        let (_, bids, asks) = self.depth(symbol, 1)?;
        let best = |levels: &[Level]| levels.first().copied().unwrap_or_default();
        Some((best(&bids), best(&asks)))
    }

    /// Moves the market to `now_ms`: steps the price walk one tick at a time
    /// and lets the house take resting orders the price moved through.
    /// Returns what happened, oldest first.
    pub fn advance(&mut self, now_ms: i64) -> Vec<Event> {
        let mut events = Vec::new();
        self.advance_into(now_ms, &mut events);
        events
    }

    /// [`Engine::advance`], handing the events to `sink` tick by tick, so a
    /// catch-up after a long pause (up to a day of ticks) never holds them
    /// all at once.
    pub fn advance_into(&mut self, now_ms: i64, sink: &mut impl Extend<Event>) {
        self.keep_history();
        if self.market.is_replay() {
            // A replay moves only by the recording ([`Engine::apply_replay`]).
            return;
        }
        let due = self.market.due_tick(now_ms);
        let from = self.market.current_tick();
        // After a long pause only the last day of ticks is simulated.
        let from = from.max(due - 86_400);
        for tick in from + 1..=due {
            let mut events = Vec::new();
            for index in 0..self.books.len() {
                let before = self.market.symbols()[index].update_id;
                self.market.step_symbol(index, tick);
                let time = self.market.tick_time(tick);
                if let Some(trade) = self.market.symbols()[index].trades().last().cloned() {
                    let symbol = self.market.symbols()[index].spec.symbol.to_owned();
                    events.push(Event::Market(MarketEvent::Trade { symbol, trade }));
                }
                if self.synthetic {
                    self.cross_resting(index, time, &mut events);
                }
                self.sweep(index, time, &mut events);
                events.extend(self.book_event(index, before, time));
            }
            sink.extend(events);
        }
    }

    /// Applies one recorded event ([`Market::apply_replay`]) at `now_ms`:
    /// the trade it printed, resting orders the trade's price went through
    /// filled by the house (as the walk does), triggers, and the book
    /// change, handed to `sink`.
    pub fn apply_replay(
        &mut self,
        event: &ReplayEvent,
        now_ms: i64,
        sink: &mut impl Extend<Event>,
    ) {
        let Some((index, before, trade)) = self.market.apply_replay(event, now_ms) else {
            return;
        };
        let mut events = Vec::new();
        if let Some(trade) = trade {
            let symbol = self.market.symbols()[index].spec.symbol.to_owned();
            events.push(Event::Market(MarketEvent::Trade { symbol, trade }));
            if self.synthetic {
                self.cross_resting(index, now_ms, &mut events);
            }
        }
        self.sweep(index, now_ms, &mut events);
        events.extend(self.book_event(index, before, now_ms));
        sink.extend(events);
    }

    /// Places an order for `uid`: the order, its fills and the events, in
    /// the phases listed at the top of this module.
    ///
    /// The owner's `executionReport`s follow Binance
    /// (user-data-stream.md, "Order Update"): first `NEW` with status `NEW`
    /// and nothing filled, then one `TRADE` per fill with the cumulative
    /// quantities so far (status `PARTIALLY_FILLED`, the last one `FILLED`
    /// if the order is done), then `EXPIRED` if the rest expired.
    pub fn place(&mut self, uid: u64, new: &NewOrder, now_ms: i64) -> Result<Placed, ApiError> {
        self.keep_history();
        self.prune_live(uid);
        let index = self.check_new_order(uid, new, now_ms)?;
        if new.order_type.is_algo() {
            return self.place_algo(index, uid, new, now_ms);
        }
        let plan = self.plan_order(index, uid, new, now_ms)?;
        let (lock_asset, lock_amount) = self.amount_to_lock(index, new, &plan);
        if self.free(uid, lock_asset) < lock_amount {
            return Err(insufficient_balance());
        }
        let working = plan.rests || new.order_type == OrderType::Market;
        let mut order = self.open_order(uid, new, working, lock_amount, now_ms);
        self.move_balance(uid, lock_asset, lock_amount, true, now_ms);
        let before = self.market.symbols()[index].update_id;
        let mut events = Vec::new();
        events.extend(self.report(&order, "NEW", None, now_ms));
        let fills = self.execute_plan(index, &mut order, &plan, now_ms, &mut events);
        self.settle_remainder(index, &mut order, &plan, lock_asset, now_ms);
        if order.status == OrderStatus::Expired {
            events.extend(self.report(&order, "EXPIRED", None, now_ms));
        }
        self.orders.insert(order.order_id, order.clone());
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.order_ids.push(order.order_id);
        }
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
        self.sweep(index, now_ms, &mut events);
        events.extend(self.book_event(index, before, now_ms));
        Ok(Placed {
            order,
            fills,
            events,
        })
    }

    /// Checks an order against its symbol's filters at `now_ms` without
    /// placing it (what `order/test` checks: the filters, not the matching
    /// engine's rules such as a stop that would trigger immediately).
    pub fn validate(&self, new: &NewOrder, now_ms: i64) -> Result<(), ApiError> {
        let index = self
            .symbol_index(&new.symbol)
            .ok_or_else(ApiError::bad_symbol)?;
        self.check_filters(index, new, now_ms)
    }

    /// Cancels an open order; `-2011` if it is unknown or no longer open.
    /// An order of an order list cancels the whole list (rest-api.md §
    /// Cancel Order list).
    pub fn cancel(&mut self, uid: u64, order_id: u64, now_ms: i64) -> Result<Canceled, ApiError> {
        self.keep_history();
        let order = self
            .orders
            .get(&order_id)
            .ok_or_else(ApiError::cancel_unknown)?;
        if order.uid != uid || !order.status.is_open() {
            return Err(ApiError::cancel_unknown());
        }
        if order.order_list_id >= 0 {
            let list_id = order.order_list_id as u64;
            let canceled = self.cancel_list(uid, list_id, now_ms)?;
            let order = self
                .orders
                .get(&order_id)
                .cloned()
                .ok_or_else(ApiError::internal)?;
            return Ok(Canceled {
                order,
                events: canceled.events,
            });
        }
        let index = self
            .symbol_index(&order.symbol)
            .ok_or_else(ApiError::internal)?;
        let before = self.market.symbols()[index].update_id;
        let mut events = Vec::new();
        self.finish(
            index,
            order_id,
            OrderStatus::Canceled,
            None,
            now_ms,
            &mut events,
        );
        let order = self
            .orders
            .get(&order_id)
            .cloned()
            .ok_or_else(ApiError::internal)?;
        let spec = &self.market.symbols()[index].spec;
        events.extend(self.position_event(uid, &[spec.base, spec.quote], now_ms));
        events.extend(self.book_event(index, before, now_ms));
        Ok(Canceled { order, events })
    }

    /// Ends an open order as `status` (`CANCELED`, `EXPIRED` or
    /// `EXPIRED_IN_MATCH`): off the book, off the trigger list, its lock
    /// released, and its report (`CANCELED` or `EXPIRED`).
    fn finish(
        &mut self,
        index: usize,
        order_id: u64,
        status: OrderStatus,
        reason: Option<ExpiryReason>,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) {
        if let Some(order) = self.finish_quiet(index, order_id, status, reason, now_ms) {
            let kind = if status == OrderStatus::Canceled {
                "CANCELED"
            } else {
                "EXPIRED"
            };
            events.extend(self.report(&order, kind, None, now_ms));
        }
    }

    /// [`Engine::finish`] without the report; the order as it ends, or
    /// `None` if it was not open.
    fn finish_quiet(
        &mut self,
        index: usize,
        order_id: u64,
        status: OrderStatus,
        reason: Option<ExpiryReason>,
        now_ms: i64,
    ) -> Option<Order> {
        let order = self.orders.get(&order_id)?;
        if !order.status.is_open() {
            return None;
        }
        let (side, price, locked, uid) = (order.side, order.price, order.locked, order.uid);
        let on_book = self.books[index]
            .side(side)
            .get(&price)
            .is_some_and(|ids| ids.contains(&order_id));
        if on_book {
            self.books[index].remove(side, price, order_id);
            self.bump(index);
        }
        self.waiting.remove(&order_id);
        let asset = self.pay_asset(index, side);
        self.move_balance(uid, asset, locked, false, now_ms);
        let order = self.orders.get_mut(&order_id)?;
        order.locked = Decimal::ZERO;
        order.status = status;
        order.update_time = now_ms;
        order.expiry_reason = reason;
        Some(order.clone())
    }

    /// Moves `delta` into (or, negative, out of) the free balance of `asset`
    /// of account `uid`, as a deposit or withdrawal would: `balanceUpdate`,
    /// then `outboundAccountPosition`. `-2010` if the free balance would go
    /// below zero; `-1000` for an unknown account or the house.
    pub fn adjust_balance(
        &mut self,
        uid: u64,
        asset: &str,
        delta: Decimal,
        now_ms: i64,
    ) -> Result<Vec<Event>, ApiError> {
        let account = self
            .accounts
            .get_mut(&uid)
            .filter(|_| uid != HOUSE_UID)
            .ok_or_else(|| ApiError::bad_request(-1000, format!("No account with uid {uid}.")))?;
        let free = account
            .balances
            .get(asset)
            .map(|balance| balance.free)
            .unwrap_or_default();
        if free + delta < Decimal::ZERO {
            return Err(ApiError::order_rejected(
                "Account has insufficient balance for requested action.",
            ));
        }
        account.balances.entry(asset.to_owned()).or_default().free += delta;
        account.update_time = now_ms;
        let update = Event::Account(AccountEvent::BalanceUpdate {
            uid,
            asset: asset.to_owned(),
            delta,
            time: now_ms,
        });
        Ok([update]
            .into_iter()
            .chain(self.position_event(uid, &[asset], now_ms))
            .collect())
    }

    /// The average trade price of `symbol` over the last five minutes.
    pub fn avg_price(&self, symbol: &str, now_ms: i64) -> Option<(Decimal, i64)> {
        let market = self.market.get(symbol)?;
        let trades = market.trades();
        let from = now_ms - 5 * 60_000;
        let recent: Vec<_> = trades.iter().rev().take_while(|t| t.time >= from).collect();
        let last = trades.last()?;
        if recent.is_empty() {
            return Some((last.price, last.time));
        }
        let qty: Decimal = recent.iter().map(|t| t.qty).sum();
        let quote: Decimal = recent.iter().map(|t| t.quote_qty).sum();
        let price = (quote / qty).round_dp(ASSET_PRECISION);
        Some((price, last.time))
    }

    /// The reference price of `symbol` at `now_ms` ([`crate::reference`]):
    /// `None` for a symbol the market does not list, `Some(None)` while no
    /// trade is in the window (the reference price is `null`).
    pub fn reference_price(&self, symbol: &str, now_ms: i64) -> Option<Option<Decimal>> {
        let market = self.market.get(symbol)?;
        Some(market.reference_price(now_ms, ASSET_PRECISION))
    }

    /// What `PERCENT_PRICE_BY_SIDE` and MARKET `NOTIONAL` measure against:
    /// the reference price when it is not null, else the average price over
    /// `avgPriceMins` (filters.md, CHANGELOG 2026-05-06).
    pub fn filter_price(&self, symbol: &str, now_ms: i64) -> Option<Decimal> {
        let reference = self.reference_price(symbol, now_ms)?;
        reference.or_else(|| self.avg_price(symbol, now_ms).map(|(price, _)| price))
    }

    fn symbol_index(&self, symbol: &str) -> Option<usize> {
        self.market
            .symbols()
            .iter()
            .position(|s| s.spec.symbol == symbol)
    }

    /// Phase 0: the symbol exists, the order passes its filters, the account
    /// has room for another open order (and algo order), and the client
    /// order ID is free.
    fn check_new_order(&self, uid: u64, new: &NewOrder, now_ms: i64) -> Result<usize, ApiError> {
        let index = self
            .symbol_index(&new.symbol)
            .ok_or_else(ApiError::bad_symbol)?;
        self.check_filters(index, new, now_ms)?;
        let open_here = self.open_orders(uid, Some(&new.symbol));
        if open_here.len() >= MAX_NUM_ORDERS {
            return Err(ApiError::filter("MAX_NUM_ORDERS"));
        }
        let algo_here = open_here
            .iter()
            .filter(|order| order.order_type.is_algo())
            .count();
        if new.order_type.is_algo() && algo_here >= MAX_NUM_ALGO_ORDERS {
            return Err(ApiError::filter("MAX_NUM_ALGO_ORDERS"));
        }
        if let Some(client_order_id) = &new.client_order_id
            && self.client_id_taken(uid, client_order_id, None)
        {
            return Err(ApiError::order_rejected("Duplicate order sent."));
        }
        Ok(index)
    }

    /// Whether an open order of `uid` other than `except` has this client
    /// order ID.
    fn client_id_taken(&self, uid: u64, client_order_id: &str, except: Option<u64>) -> bool {
        self.open_orders(uid, None)
            .iter()
            .any(|order| order.client_order_id == client_order_id && Some(order.order_id) != except)
    }

    /// Phases 1 and 2: the steps, and what becomes of the order, decided
    /// before anything changes. Stop types plan as the type they become.
    /// The price range is set from the reference price at `now_ms`, when
    /// the taker phase starts (for a stop: when it triggers).
    fn plan_order(
        &self,
        index: usize,
        uid: u64,
        new: &NewOrder,
        now_ms: i64,
    ) -> Result<Plan, ApiError> {
        let kind = new.order_type.working_type();
        let limit = match kind {
            OrderType::Market => None,
            _ => new.price,
        };
        let band = self.market.symbols()[index]
            .reference_price(now_ms, ASSET_PRECISION)
            .map(|reference| PRICE_RANGE.band(new.side, reference));
        let taker = Taker {
            uid,
            stp: new.stp_mode,
            side: new.side,
            limit,
            band,
            qty: new.quantity,
            quote: new.quote_order_qty,
        };
        let Walk {
            mut steps,
            ran_dry,
            out_of_range,
        } = self.plan(index, &taker);
        let would_take = !steps.is_empty() || out_of_range;
        if kind == OrderType::LimitMaker && would_take {
            return Err(ApiError::order_rejected(
                "Order would immediately match and take.",
            ));
        }
        if kind == OrderType::Market
            && steps.is_empty()
            && !out_of_range
            && new.quote_order_qty.is_some()
        {
            return Err(ApiError::order_rejected(
                "Order book liquidity is less than symbol minimum quantity.",
            ));
        }
        let fills = |steps: &[Step]| -> (Decimal, Decimal) {
            steps
                .iter()
                .filter_map(|step| match step {
                    Step::Fill(_, price, qty) => Some((*qty, *price * *qty)),
                    Step::Prevent { .. } => None,
                })
                .fold((Decimal::ZERO, Decimal::ZERO), |(q, v), (dq, dv)| {
                    (q + dq, v + dv)
                })
        };
        let (planned_qty, planned_quote) = fills(&steps);
        let fok_fails = kind == OrderType::Limit
            && new.time_in_force == TimeInForce::Fok
            && Some(planned_qty) != new.quantity;
        if fok_fails {
            steps.clear();
        }
        let (executed, _) = fills(&steps);
        let taker_prevented: Decimal = steps
            .iter()
            .filter_map(|step| match step {
                Step::Prevent { taker_qty, .. } => Some(*taker_qty),
                Step::Fill(..) => None,
            })
            .sum();
        let stp_expired = steps.iter().any(|step| {
            matches!(
                step,
                Step::Prevent {
                    expire_taker: true,
                    ..
                }
            )
        });
        let remaining = new.quantity.unwrap_or_default() - executed - taker_prevented;
        // A taker stopped by the price range expires whatever its time in
        // force (faqs/price_range_execution_rules.md).
        let rests = matches!(kind, OrderType::Limit | OrderType::LimitMaker)
            && new.time_in_force == TimeInForce::Gtc
            && remaining > Decimal::ZERO
            && !out_of_range
            && !stp_expired;
        let status = if rests {
            if executed.is_zero() {
                OrderStatus::New
            } else {
                OrderStatus::PartiallyFilled
            }
        } else if stp_expired {
            OrderStatus::ExpiredInMatch
        } else {
            let filled = match kind {
                OrderType::Market if new.quote_order_qty.is_some() => {
                    !executed.is_zero() && !ran_dry && !out_of_range
                }
                _ => remaining.is_zero(),
            };
            if filled {
                OrderStatus::Filled
            } else {
                OrderStatus::Expired
            }
        };
        let expiry_reason = (status == OrderStatus::Expired).then(|| {
            if fok_fails {
                ExpiryReason::UnfilledFokOrder
            } else if out_of_range {
                ExpiryReason::PriceRangeExceeded
            } else if kind == OrderType::Market {
                ExpiryReason::InsufficientLiquidity
            } else {
                ExpiryReason::UnfilledIocQuantity
            }
        });
        Ok(Plan {
            steps,
            planned_qty,
            planned_quote,
            fok_fails,
            rests,
            status,
            expiry_reason,
        })
    }

    /// The asset an order on `side` pays with.
    fn pay_asset(&self, index: usize, side: Side) -> &'static str {
        let spec = &self.market.symbols()[index].spec;
        match side {
            Side::Buy => spec.quote,
            Side::Sell => spec.base,
        }
    }

    /// Phase 3: what the order may spend, in which asset.
    fn amount_to_lock(&self, index: usize, new: &NewOrder, plan: &Plan) -> (&'static str, Decimal) {
        let asset = self.pay_asset(index, new.side);
        let amount = match (new.side, new.order_type.working_type()) {
            (Side::Buy, OrderType::Market) => match new.quote_order_qty {
                Some(quote) => quote,
                None => plan.planned_quote,
            },
            (Side::Buy, _) => new.price.unwrap_or_default() * new.quantity.unwrap_or_default(),
            (Side::Sell, OrderType::Market) => match new.quote_order_qty {
                Some(_) => plan.planned_qty,
                None => new.quantity.unwrap_or_default(),
            },
            (Side::Sell, _) => new.quantity.unwrap_or_default(),
        };
        if plan.fok_fails {
            (asset, Decimal::ZERO)
        } else {
            (asset, amount)
        }
    }

    /// What a waiting order (a stop before its trigger, a pending order of
    /// a list) holds: the quantity for sells, price × quantity for priced
    /// buys, nothing for market buys (they lock what they spend once they
    /// trade, like a new `MARKET` order).
    fn need(
        &self,
        index: usize,
        side: Side,
        order_type: OrderType,
        price: Decimal,
        qty: Decimal,
    ) -> (&'static str, Decimal) {
        let asset = self.pay_asset(index, side);
        let amount = match (side, order_type.working_type()) {
            (Side::Sell, _) => qty,
            (Side::Buy, OrderType::Market) => Decimal::ZERO,
            (Side::Buy, _) => price * qty,
        };
        (asset, amount)
    }

    /// [`Engine::need`] of a stored order's remainder.
    fn waiting_need(&self, index: usize, order: &Order) -> (&'static str, Decimal) {
        self.need(
            index,
            order.side,
            order.order_type,
            order.price,
            order.remaining(),
        )
    }

    /// The new order as `NEW`, nothing filled yet, with its ID; `working`
    /// sets its working time to now.
    fn open_order(
        &mut self,
        uid: u64,
        new: &NewOrder,
        working: bool,
        locked: Decimal,
        now_ms: i64,
    ) -> Order {
        let order_id = self.next_order_id;
        self.next_order_id += 1;
        if let Some(account) = self.accounts.get_mut(&uid) {
            account.live.insert(order_id);
        }
        let client_order_id = new
            .client_order_id
            .clone()
            .unwrap_or_else(|| generated_client_order_id(self.market.seed(), order_id));
        Order {
            symbol: new.symbol.clone(),
            order_id,
            client_order_id,
            uid,
            side: new.side,
            order_type: new.order_type,
            time_in_force: new.time_in_force,
            price: new.price.unwrap_or_default(),
            orig_qty: new.quantity.unwrap_or_default(),
            orig_quote_qty: new.quote_order_qty.unwrap_or_default(),
            executed_qty: Decimal::ZERO,
            cumm_quote_qty: Decimal::ZERO,
            status: OrderStatus::New,
            time: now_ms,
            update_time: now_ms,
            working_time: if working { now_ms } else { -1 },
            locked,
            order_list_id: -1,
            stop_price: new.stop_price,
            trailing_delta: new.trailing_delta,
            trailing_time: -1,
            trail_extreme: None,
            stp_mode: new.stp_mode,
            prevented_qty: Decimal::ZERO,
            prevented_match_id: None,
            expiry_reason: None,
            working_floor: None,
            strategy_id: new.strategy_id,
            strategy_type: new.strategy_type,
            amendments: Vec::new(),
        }
    }

    /// Phase 4: executes the planned steps. Each fill is followed by the
    /// taker's `TRADE` report (the last one carries the final status if the
    /// order is filled); each prevented match by `TRADE_PREVENTION`
    /// reports.
    fn execute_plan(
        &mut self,
        index: usize,
        order: &mut Order,
        plan: &Plan,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) -> Vec<Fill> {
        let mut fills = Vec::with_capacity(plan.steps.len());
        for (number, step) in plan.steps.iter().enumerate() {
            let last = number + 1 == plan.steps.len();
            match *step {
                Step::Fill(maker, price, qty) => {
                    let fill = self.execute(index, order, maker, price, qty, now_ms, events);
                    order.status = if last && plan.status == OrderStatus::Filled {
                        OrderStatus::Filled
                    } else {
                        OrderStatus::PartiallyFilled
                    };
                    events.extend(self.report(order, "TRADE", Some(fill.clone()), now_ms));
                    fills.push(fill);
                }
                Step::Prevent { .. } => {
                    self.prevent(index, order, *step, now_ms, events);
                }
            }
        }
        fills
    }

    /// Phase 5: rests a GTC remainder with exactly what it still needs
    /// locked (nothing if its order list holds the lock), releases
    /// everything else, and sets the final status.
    fn settle_remainder(
        &mut self,
        index: usize,
        order: &mut Order,
        plan: &Plan,
        lock_asset: &str,
        now_ms: i64,
    ) {
        let keep = if plan.rests && !self.pair_holds(order.order_id) {
            match order.side {
                Side::Buy => order.price * order.remaining(),
                Side::Sell => order.remaining(),
            }
        } else {
            Decimal::ZERO
        };
        let release = order.locked - keep;
        order.locked = keep;
        self.move_balance(order.uid, lock_asset, release, false, now_ms);
        if plan.rests {
            self.books[index]
                .side_mut(order.side)
                .entry(order.price)
                .or_default()
                .push_back(order.order_id);
            self.bump(index);
            if order.working_time == -1 {
                order.working_time = now_ms;
            }
        }
        order.status = plan.status;
        order.expiry_reason = plan.expiry_reason;
        order.update_time = now_ms;
    }

    /// The filters of shared/binance-docs/filters.md that the sandbox's
    /// `exchangeInfo` lists, in this order: `-1111` precision,
    /// `PRICE_FILTER` (price and stop price), `LOT_SIZE`, `MARKET_LOT_SIZE`,
    /// `TRAILING_DELTA`, `PERCENT_PRICE_BY_SIDE` (priced orders, against
    /// [`Engine::filter_price`]), "Price * QTY is zero or less.", `NOTIONAL`
    /// (MARKET orders priced at the same price; the maximum only for priced
    /// orders).
    fn check_filters(&self, index: usize, new: &NewOrder, now_ms: i64) -> Result<(), ApiError> {
        let spec = &self.market.symbols()[index].spec;
        let is_market = new.order_type.working_type() == OrderType::Market;
        for (name, value) in [
            ("price", new.price),
            ("quantity", new.quantity),
            ("quoteOrderQty", new.quote_order_qty),
            ("stopPrice", new.stop_price),
        ] {
            if value.is_some_and(|value| value.normalize().scale() > ASSET_PRECISION) {
                return Err(ApiError::bad_request(
                    -1111,
                    format!("Parameter '{name}' has too much precision."),
                ));
            }
        }
        for price in [new.price, new.stop_price].into_iter().flatten() {
            let on_grid = round_to_step(price, spec.tick_size) == price.normalize();
            if price < spec.min_price || price > spec.max_price || !on_grid {
                return Err(ApiError::filter("PRICE_FILTER"));
            }
        }
        if let Some(qty) = new.quantity {
            let on_grid = round_to_step(qty, spec.step_size) == qty.normalize();
            if qty < spec.min_qty || qty > spec.max_qty || !on_grid {
                return Err(ApiError::filter("LOT_SIZE"));
            }
            if is_market && qty > spec.market_max_qty {
                return Err(ApiError::filter("MARKET_LOT_SIZE"));
            }
        }
        if let Some(delta) = new.trailing_delta {
            let (min, max) = TRAILING_DELTA_RANGE;
            if delta < min || delta > max {
                return Err(ApiError::filter("TRAILING_DELTA"));
            }
        }
        // The reference price (`GET /api/v3/referencePrice`) when it is not
        // null, else the average over `avgPriceMins` (`GET /api/v3/avgPrice`).
        let market_price = self
            .filter_price(spec.symbol, now_ms)
            .unwrap_or(spec.start_price);
        if let Some(price) = new.price
            && (price > market_price * PERCENT_PRICE_UP
                || price < market_price * PERCENT_PRICE_DOWN)
        {
            return Err(ApiError::filter("PERCENT_PRICE_BY_SIDE"));
        }
        let reference = new.price.unwrap_or(market_price);
        let notional = match (new.quantity, new.quote_order_qty) {
            (Some(qty), _) => reference * qty,
            (None, Some(quote)) => quote,
            (None, None) => Decimal::ZERO,
        };
        if notional <= Decimal::ZERO {
            return Err(ApiError::order_rejected("Price * QTY is zero or less."));
        }
        let max_applies = !is_market;
        if notional < spec.min_notional || (max_applies && notional > spec.max_notional) {
            return Err(ApiError::filter("NOTIONAL"));
        }
        Ok(())
    }

    /// Plans the steps of a taker order within its band (the price range,
    /// if the symbol has a reference price); also says whether liquidity
    /// ran out, or the range stopped the walk, before the order was
    /// satisfied. A resting order of the taker's own account meets the
    /// taker's self-trade prevention mode (enums.md § STP Modes) unless
    /// that mode is `NONE`; a match outside the range is not reached.
    fn plan(&self, index: usize, taker: &Taker) -> Walk {
        let spec = &self.market.symbols()[index].spec;
        let side = taker.side;
        let maker_side = side.opposite();
        let mut resting: VecDeque<(Decimal, Maker, Decimal)> = self.books[index]
            .in_priority(maker_side)
            .into_iter()
            .filter_map(|(price, id)| {
                let order = self.orders.get(&id)?;
                Some((price, Maker::Order(id), order.remaining()))
            })
            .collect();
        let better = |a: Decimal, b: Decimal| match side {
            Side::Buy => a < b,
            Side::Sell => a > b,
        };
        // Only the levels the limit reaches: the walk stops at the first
        // level beyond it anyway, so the rest need not be built.
        let reachable = |price: Decimal| taker.limit.is_none_or(|limit| !better(limit, price));
        let mut synthetic: VecDeque<(Decimal, Maker, Decimal)> = if self.synthetic {
            self.market
                .synthetic_levels_within(index, maker_side, reachable)
                .into_iter()
                .map(|(price, qty)| (price, Maker::Synthetic, qty))
                .collect()
        } else {
            VecDeque::new()
        };
        let mut left_qty = taker.qty;
        let mut left_quote = taker.quote;
        let mut plan = Vec::new();
        let stop = |steps, ran_dry, out_of_range| Walk {
            steps,
            ran_dry,
            out_of_range,
        };
        loop {
            let pick_synthetic = match (resting.front(), synthetic.front()) {
                (None, None) => return stop(plan, true, false),
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(r), Some(s)) => !better(r.0, s.0),
            };
            let queue = if pick_synthetic {
                &mut synthetic
            } else {
                &mut resting
            };
            let Some((price, maker, available)) = queue.pop_front() else {
                return stop(plan, true, false);
            };
            if taker.limit.is_some_and(|limit| better(limit, price)) {
                return stop(plan, true, false);
            }
            if taker
                .band
                .is_some_and(|(low, high)| price < low || price > high)
            {
                return stop(plan, false, true);
            }
            let mut take = available;
            if let Some(left) = left_qty {
                take = take.min(left);
            }
            if let Some(left) = left_quote {
                take = take.min(round_to_step(left / price, spec.step_size));
            }
            if take <= Decimal::ZERO {
                return stop(plan, false, false);
            }
            let own = match maker {
                Maker::Order(id) => self
                    .orders
                    .get(&id)
                    .filter(|order| order.uid == taker.uid && taker.stp != StpMode::None)
                    .map(|_| id),
                Maker::Synthetic => None,
            };
            if let Some(maker_id) = own {
                // What the taker still wants, in base quantity.
                let taker_left = match (left_qty, left_quote) {
                    (Some(left), _) => left,
                    (None, Some(left)) => round_to_step(left / price, spec.step_size),
                    (None, None) => Decimal::ZERO,
                };
                let (maker_qty, taker_qty) = match taker.stp {
                    StpMode::ExpireTaker => (Decimal::ZERO, taker_left),
                    StpMode::ExpireMaker => (available, Decimal::ZERO),
                    StpMode::ExpireBoth => (available, taker_left),
                    StpMode::Decrement | StpMode::Transfer | StpMode::None => (take, take),
                };
                let expire_taker = taker_qty == taker_left && !taker_qty.is_zero()
                    || matches!(taker.stp, StpMode::ExpireTaker | StpMode::ExpireBoth);
                let expire_maker = maker_qty == available;
                plan.push(Step::Prevent {
                    maker: maker_id,
                    price,
                    maker_qty,
                    taker_qty,
                    expire_maker,
                    expire_taker,
                });
                if expire_taker {
                    return stop(plan, false, false);
                }
                if let Some(left) = left_qty.as_mut() {
                    *left -= taker_qty;
                }
                if let Some(left) = left_quote.as_mut() {
                    *left -= price * taker_qty;
                }
                if !expire_maker {
                    queue.push_front((price, maker, available - maker_qty));
                }
                continue;
            }
            plan.push(Step::Fill(maker, price, take));
            if let Some(left) = left_qty.as_mut() {
                *left -= take;
                if left.is_zero() {
                    return stop(plan, false, false);
                }
            }
            if let Some(left) = left_quote.as_mut() {
                *left -= price * take;
            }
        }
    }

    /// Executes one planned fill of `taker` against `maker`; the trade and
    /// the maker's reports go to `events`. A maker that is one leg of an
    /// unresolved OCO pair takes over its list's lock first.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        index: usize,
        taker: &mut Order,
        maker: Maker,
        price: Decimal,
        qty: Decimal,
        now_ms: i64,
        events: &mut Vec<Event>,
    ) -> Fill {
        let spec = self.market.symbols()[index].spec.clone();
        let quote_qty = price * qty;
        if let Maker::Order(order_id) = maker
            && self.pair_holds(order_id)
        {
            self.activate_leg(index, order_id, now_ms, events);
        }
        let trade = self
            .market
            .get_mut(spec.symbol)
            .map(|symbol| symbol.push_trade(price, qty, now_ms, taker.side == Side::Sell))
            .expect("symbol index is valid");
        events.push(Event::Market(MarketEvent::Trade {
            symbol: spec.symbol.to_owned(),
            trade: trade.clone(),
        }));
        let taker_rate = self.commission.taker;
        let (commission, commission_asset) = self.settle(
            taker, price, qty, taker_rate, trade.id, false, &spec, now_ms,
        );
        match maker {
            Maker::Synthetic => {
                let house = self.accounts.entry(HOUSE_UID).or_default();
                let (give, get) = match taker.side {
                    Side::Buy => (spec.base, spec.quote),
                    Side::Sell => (spec.quote, spec.base),
                };
                let (give_amount, get_amount) = match taker.side {
                    Side::Buy => (qty, quote_qty),
                    Side::Sell => (quote_qty, qty),
                };
                house.balances.entry(give.to_owned()).or_default().free -= give_amount;
                house.balances.entry(get.to_owned()).or_default().free += get_amount;
                if let Some(symbol) = self.market.get_mut(spec.symbol) {
                    symbol.take_synthetic(taker.side.opposite(), price, qty);
                }
            }
            Maker::Order(order_id) => {
                if let Some(mut order) = self.orders.remove(&order_id) {
                    let maker_rate = self.commission.maker;
                    let (commission, commission_asset) = self.settle(
                        &mut order, price, qty, maker_rate, trade.id, true, &spec, now_ms,
                    );
                    if order.status == OrderStatus::Filled {
                        self.books[index].remove(order.side, order.price, order_id);
                        let asset = self.pay_asset(index, order.side);
                        let rest = order.locked;
                        order.locked = Decimal::ZERO;
                        self.move_balance(order.uid, asset, rest, false, now_ms);
                    }
                    self.bump(index);
                    let fill = Fill {
                        price,
                        qty,
                        commission,
                        commission_asset,
                        trade_id: trade.id,
                        alloc_id: None,
                    };
                    events.extend(self.report(&order, "TRADE", Some(fill), now_ms));
                    events.extend(self.position_event(order.uid, &[spec.base, spec.quote], now_ms));
                    self.orders.insert(order_id, order);
                }
            }
        }
        Fill {
            price,
            qty,
            commission,
            commission_asset,
            trade_id: trade.id,
            alloc_id: None,
        }
    }

    /// Moves the assets of one side of a fill and updates its order.
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        order: &mut Order,
        price: Decimal,
        qty: Decimal,
        rate: Decimal,
        trade_id: u64,
        is_maker: bool,
        spec: &crate::market::SymbolSpec,
        now_ms: i64,
    ) -> (Decimal, String) {
        let quote_qty = price * qty;
        let (pay_asset, pay_amount, get_asset, get_amount) = match order.side {
            Side::Buy => (spec.quote, quote_qty, spec.base, qty),
            Side::Sell => (spec.base, qty, spec.quote, quote_qty),
        };
        let commission =
            (get_amount * rate).round_dp_with_strategy(ASSET_PRECISION, RoundingStrategy::ToZero);
        let account = self.accounts.entry(order.uid).or_default();
        account
            .balances
            .entry(pay_asset.to_owned())
            .or_default()
            .locked -= pay_amount;
        account
            .balances
            .entry(get_asset.to_owned())
            .or_default()
            .free += get_amount - commission;
        account.update_time = now_ms;
        if order.uid != HOUSE_UID {
            account.trades.push(AccountTrade {
                symbol: spec.symbol.to_owned(),
                id: trade_id,
                order_id: order.order_id,
                order_list_id: order.order_list_id,
                price,
                qty,
                quote_qty,
                commission,
                commission_asset: get_asset.to_owned(),
                time: now_ms,
                is_buyer: order.side == Side::Buy,
                is_maker,
            });
        }
        *self.fees.entry(get_asset.to_owned()).or_default() += commission;
        if order.order_list_id >= 0 {
            let net = get_amount - commission;
            self.opo_receive(order, get_asset, net, now_ms);
        }
        order.locked -= pay_amount;
        order.executed_qty += qty;
        order.cumm_quote_qty += quote_qty;
        order.update_time = now_ms;
        if is_maker {
            order.status = if order.remaining().is_zero() {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
        }
        (commission, get_asset.to_owned())
    }

    /// The house takes every resting order the walk's price moved through.
    fn cross_resting(&mut self, index: usize, time: i64, events: &mut Vec<Event>) {
        let mid = self.market.symbols()[index].mid();
        let crossed: Vec<u64> = [Side::Buy, Side::Sell]
            .into_iter()
            .flat_map(|side| {
                self.books[index]
                    .in_priority(side)
                    .into_iter()
                    .take_while(move |(price, _)| match side {
                        Side::Buy => *price >= mid,
                        Side::Sell => *price <= mid,
                    })
                    .map(|(_, id)| id)
            })
            .collect();
        for order_id in crossed {
            let Some(order) = self.orders.get(&order_id) else {
                continue;
            };
            if !order.status.is_open() {
                continue;
            }
            let (price, qty, taker_side) = (order.price, order.remaining(), order.side.opposite());
            let mut house_order = Order::house(&order.symbol, taker_side, qty, time);
            let (asset, amount) = match taker_side {
                Side::Buy => (self.market.symbols()[index].spec.quote, price * qty),
                Side::Sell => (self.market.symbols()[index].spec.base, qty),
            };
            self.move_balance(HOUSE_UID, asset, amount, true, time);
            house_order.locked = amount;
            self.execute_house(
                index,
                &mut house_order,
                order_id,
                (price, qty),
                time,
                events,
            );
        }
    }

    fn execute_house(
        &mut self,
        index: usize,
        house_order: &mut Order,
        maker_id: u64,
        (price, qty): (Decimal, Decimal),
        time: i64,
        events: &mut Vec<Event>,
    ) {
        let saved_taker_rate = self.commission.taker;
        self.commission.taker = Decimal::ZERO;
        let maker = Maker::Order(maker_id);
        self.execute(index, house_order, maker, price, qty, time, events);
        self.commission.taker = saved_taker_rate;
    }

    /// A free balance.
    fn free(&self, uid: u64, asset: &str) -> Decimal {
        self.accounts
            .get(&uid)
            .and_then(|account| account.balances.get(asset))
            .map(|balance| balance.free)
            .unwrap_or_default()
    }

    /// One more change to the book of `index`.
    fn bump(&mut self, index: usize) {
        let symbol = self.market.symbols()[index].spec.symbol;
        if let Some(symbol) = self.market.get_mut(symbol) {
            symbol.update_id += 1;
        }
    }

    /// Moves `amount` of `asset` from free to locked (`lock`) or back.
    fn move_balance(&mut self, uid: u64, asset: &str, amount: Decimal, lock: bool, now_ms: i64) {
        if amount.is_zero() {
            return;
        }
        let account = self.accounts.entry(uid).or_default();
        let balance = account.balances.entry(asset.to_owned()).or_default();
        if lock {
            balance.free -= amount;
            balance.locked += amount;
        } else {
            balance.locked -= amount;
            balance.free += amount;
        }
        account.update_time = now_ms;
    }

    /// `BookChanged` if the book of `index` changed since update ID `before`.
    fn book_event(&self, index: usize, before: u64, time: i64) -> Option<Event> {
        let symbol = &self.market.symbols()[index];
        (symbol.update_id > before).then(|| {
            Event::Market(MarketEvent::BookChanged {
                symbol: symbol.spec.symbol.to_owned(),
                first_update_id: before + 1,
                final_update_id: symbol.update_id,
                time,
            })
        })
    }

    /// An `executionReport` of `order` as it is now, with the next
    /// execution ID (none for the house).
    fn report(
        &mut self,
        order: &Order,
        execution_type: &'static str,
        fill: Option<Fill>,
        time: i64,
    ) -> Option<Event> {
        self.report_with(order, execution_type, fill, None, None, time)
    }

    /// [`Engine::report`] with the original client order ID (amendments)
    /// or a prevented match.
    fn report_with(
        &mut self,
        order: &Order,
        execution_type: &'static str,
        fill: Option<Fill>,
        orig_client_order_id: Option<String>,
        prevention: Option<Prevention>,
        time: i64,
    ) -> Option<Event> {
        if order.uid == HOUSE_UID {
            return None;
        }
        let execution_id = self.next_execution_id;
        self.next_execution_id += 1;
        Some(Event::Account(AccountEvent::Execution {
            uid: order.uid,
            execution_type,
            order: Box::new(order.clone()),
            fill,
            time,
            execution_id,
            orig_client_order_id,
            prevention,
        }))
    }

    /// `outboundAccountPosition` with these assets of `uid` (not for the house).
    fn position_event(&self, uid: u64, assets: &[&str], time: i64) -> Option<Event> {
        if uid == HOUSE_UID {
            return None;
        }
        let account = self.accounts.get(&uid)?;
        let balances = assets
            .iter()
            .map(|asset| {
                let balance = account.balances.get(*asset).copied().unwrap_or_default();
                ((*asset).to_owned(), balance.free, balance.locked)
            })
            .collect();
        Some(Event::Account(AccountEvent::Position {
            uid,
            balances,
            time,
        }))
    }
}

/// `-2010` "Account has insufficient balance for requested action."
fn insufficient_balance() -> ApiError {
    ApiError::order_rejected("Account has insufficient balance for requested action.")
}

/// A 22-character client order ID, like Binance generates.
fn generated_client_order_id(seed: u64, order_id: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(22);
    let mut state = crate::market::mix(seed, order_id, 0, 77);
    for idx in 0..22 {
        if idx % 10 == 0 {
            state = crate::market::mix(state, order_id, idx, 78);
        }
        out.push(ALPHABET[(state % 62) as usize] as char);
        state /= 62;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::market::default_symbols;

    pub(crate) const T0: i64 = 1_700_000_000_000;

    pub(crate) fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    pub(crate) fn engine(synthetic: bool) -> Engine {
        let market = Market::new(5, T0, default_symbols());
        let commission = Commission {
            maker: d("0.001"),
            taker: d("0.002"),
        };
        let mut engine = Engine::new(market, commission);
        if !synthetic {
            engine = engine.without_synthetic_liquidity();
        }
        for uid in 1..=3 {
            engine.add_account(
                uid,
                &[
                    ("BTC".to_owned(), d("10")),
                    ("USDT".to_owned(), d("1000000")),
                ],
                T0,
            );
        }
        engine
    }

    pub(crate) fn limit(side: Side, price: &str, qty: &str, tif: TimeInForce) -> NewOrder {
        let mut new = NewOrder::new("BTCUSDT", side, OrderType::Limit);
        new.time_in_force = tif;
        new.quantity = Some(d(qty));
        new.price = Some(d(price));
        new
    }

    pub(super) fn totals(engine: &Engine) -> BTreeMap<String, Decimal> {
        let mut totals = engine.fees().clone();
        for account in engine.accounts() {
            for (asset, balance) in &account.balances {
                *totals.entry(asset.clone()).or_default() += balance.free + balance.locked;
            }
        }
        totals
    }

    /// Every account's locked balance is exactly what its open orders, its
    /// open lists' OCO pairs and its OPOs' received funds hold; no free
    /// balance is negative.
    #[track_caller]
    pub(super) fn check_locked(engine: &Engine) {
        for account in engine.accounts().filter(|a| a.uid != HOUSE_UID) {
            let mut expected: BTreeMap<&str, Decimal> = BTreeMap::new();
            for list in engine.account_lists(account.uid) {
                if let Some((asset, amount)) = list.pair_lock {
                    *expected.entry(asset).or_default() += amount;
                }
                // What an OPO's working order bought (BTCUSDT's base).
                if let Some(amount) = list.opo_lock {
                    *expected.entry("BTC").or_default() += amount;
                }
            }
            for order in engine.account_orders(account.uid, None) {
                if order.status.is_open() {
                    let asset = match order.side {
                        Side::Buy => "USDT",
                        Side::Sell => "BTC",
                    };
                    *expected.entry(asset).or_default() += order.locked;
                }
            }
            for (asset, balance) in &account.balances {
                assert!(
                    balance.free >= Decimal::ZERO,
                    "{asset} free {}",
                    balance.free
                );
                assert_eq!(
                    balance.locked,
                    expected.get(asset.as_str()).copied().unwrap_or_default(),
                    "locked {asset} of {}",
                    account.uid
                );
            }
        }
    }

    #[test]
    fn resting_limit_locks_and_cancel_releases() {
        let mut engine = engine(false);
        let Placed { order, fills, .. } = engine
            .place(1, &limit(Side::Buy, "90000", "0.5", TimeInForce::Gtc), T0)
            .unwrap();
        assert!(fills.is_empty());
        assert_eq!(order.status, OrderStatus::New);
        let usdt = engine.account(1).unwrap().balances["USDT"];
        assert_eq!((usdt.free, usdt.locked), (d("955000"), d("45000")));
        engine.cancel(1, order.order_id, T0).unwrap();
        let usdt = engine.account(1).unwrap().balances["USDT"];
        assert_eq!((usdt.free, usdt.locked), (d("1000000"), d("0")));
        assert_eq!(
            engine.cancel(1, order.order_id, T0).unwrap_err().code,
            -2011
        );
    }

    #[test]
    fn taker_gets_the_makers_price_and_pays_commission() {
        let mut engine = engine(false);
        engine
            .place(2, &limit(Side::Sell, "95000", "1", TimeInForce::Gtc), T0)
            .unwrap();
        let Placed { order, fills, .. } = engine
            .place(1, &limit(Side::Buy, "96000", "0.4", TimeInForce::Gtc), T0)
            .unwrap();
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(fills[0].price, d("95000"));
        assert_eq!(fills[0].commission, d("0.0008"));
        let buyer = &engine.account(1).unwrap().balances;
        assert_eq!(buyer["BTC"].free, d("10.3992"));
        assert_eq!(buyer["USDT"].free, d("962000"));
        assert_eq!(buyer["USDT"].locked, d("0"));
        let seller = &engine.account(2).unwrap().balances;
        assert_eq!(seller["USDT"].free, d("1037962"));
        check_locked(&engine);
    }

    /// The owner's `executionReport`s of a new order placed against two
    /// resting sells (0.3 at 95000, 0.3 at 95010): `(x, X, z)` in order.
    #[track_caller]
    fn check_reports(new: NewOrder, expected: &[(&str, OrderStatus, &str)]) {
        let mut engine = engine(false);
        for price in ["95000", "95010"] {
            engine
                .place(2, &limit(Side::Sell, price, "0.3", TimeInForce::Gtc), T0)
                .unwrap();
        }
        let placed = engine.place(1, &new, T0).unwrap();
        let reports: Vec<(&str, OrderStatus, Decimal)> = placed
            .events
            .iter()
            .filter_map(|event| match event {
                Event::Account(AccountEvent::Execution {
                    uid: 1,
                    execution_type,
                    order,
                    ..
                }) => Some((*execution_type, order.status, order.executed_qty)),
                _ => None,
            })
            .collect();
        let expected: Vec<(&str, OrderStatus, Decimal)> = expected
            .iter()
            .map(|(kind, status, filled)| (*kind, *status, d(filled)))
            .collect();
        assert_eq!(reports, expected);
    }

    #[test]
    fn an_order_that_fills_at_once_is_new_then_one_trade_per_fill() {
        use OrderStatus::{Filled, New, PartiallyFilled};
        check_reports(
            limit(Side::Buy, "96000", "0.5", TimeInForce::Gtc),
            &[
                ("NEW", New, "0"),
                ("TRADE", PartiallyFilled, "0.3"),
                ("TRADE", Filled, "0.5"),
            ],
        );
        let market_buy = NewOrder {
            order_type: OrderType::Market,
            price: None,
            ..limit(Side::Buy, "1", "0.3", TimeInForce::Gtc)
        };
        check_reports(market_buy, &[("NEW", New, "0"), ("TRADE", Filled, "0.3")]);
    }

    #[test]
    fn a_partly_filled_order_rests_or_expires_after_its_trades() {
        use OrderStatus::{Expired, New, PartiallyFilled};
        check_reports(
            limit(Side::Buy, "95010", "1", TimeInForce::Gtc),
            &[
                ("NEW", New, "0"),
                ("TRADE", PartiallyFilled, "0.3"),
                ("TRADE", PartiallyFilled, "0.6"),
            ],
        );
        check_reports(
            limit(Side::Buy, "95010", "1", TimeInForce::Ioc),
            &[
                ("NEW", New, "0"),
                ("TRADE", PartiallyFilled, "0.3"),
                ("TRADE", PartiallyFilled, "0.6"),
                ("EXPIRED", Expired, "0.6"),
            ],
        );
        check_reports(
            limit(Side::Buy, "95010", "1", TimeInForce::Fok),
            &[("NEW", New, "0"), ("EXPIRED", Expired, "0")],
        );
        check_reports(
            limit(Side::Buy, "90000", "0.1", TimeInForce::Gtc),
            &[("NEW", New, "0")],
        );
    }

    #[test]
    fn a_withdrawal_beyond_the_free_balance_changes_nothing() {
        let mut engine = engine(false);
        let err = engine.adjust_balance(1, "ETH", d("-1"), T0).unwrap_err();
        assert_eq!(err.code, -2010);
        assert!(!engine.account(1).unwrap().balances.contains_key("ETH"));
        let events = engine.adjust_balance(1, "BTC", d("-1"), T0).unwrap();
        assert_eq!(engine.account(1).unwrap().balances["BTC"].free, d("9"));
        assert!(matches!(
            events.as_slice(),
            [
                Event::Account(AccountEvent::BalanceUpdate { .. }),
                Event::Account(AccountEvent::Position { .. })
            ]
        ));
    }

    #[test]
    fn limit_maker_that_would_take_is_rejected() {
        let mut engine = engine(false);
        engine
            .place(2, &limit(Side::Sell, "95000", "1", TimeInForce::Gtc), T0)
            .unwrap();
        let mut maker = limit(Side::Buy, "95000", "1", TimeInForce::Gtc);
        maker.order_type = OrderType::LimitMaker;
        let err = engine.place(1, &maker, T0).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (-2010, "Order would immediately match and take.")
        );
    }

    #[test]
    fn fok_without_enough_liquidity_expires_untouched() {
        let mut engine = engine(false);
        engine
            .place(2, &limit(Side::Sell, "95000", "0.1", TimeInForce::Gtc), T0)
            .unwrap();
        let Placed { order, fills, .. } = engine
            .place(1, &limit(Side::Buy, "95000", "0.2", TimeInForce::Fok), T0)
            .unwrap();
        assert_eq!((order.status, fills.len()), (OrderStatus::Expired, 0));
        check_locked(&engine);
    }

    #[test]
    fn insufficient_balance_and_filters() {
        let mut engine = engine(false);
        let err = engine
            .place(1, &limit(Side::Sell, "95000", "11", TimeInForce::Gtc), T0)
            .unwrap_err();
        assert_eq!(err.code, -2010);
        let cases = [
            (
                limit(Side::Buy, "95000.001", "0.1", TimeInForce::Gtc),
                "Filter failure: PRICE_FILTER",
            ),
            (
                limit(Side::Buy, "95000", "0.000001", TimeInForce::Gtc),
                "Filter failure: LOT_SIZE",
            ),
            (
                limit(Side::Buy, "50000", "0.00009", TimeInForce::Gtc),
                "Filter failure: NOTIONAL",
            ),
        ];
        for (order, msg) in cases {
            let err = engine.place(1, &order, T0).unwrap_err();
            assert_eq!((err.code, err.msg.as_str()), (-1013, msg));
        }
    }

    /// A LIMIT order `factor` times the average price, on the tick grid.
    fn priced_at(engine: &Engine, side: Side, factor: &str) -> NewOrder {
        let (average, _) = engine.avg_price("BTCUSDT", T0).unwrap();
        let price = round_to_step(average * d(factor), d("0.01"));
        limit(side, &price.to_string(), "1", TimeInForce::Gtc)
    }

    #[test]
    fn percent_price_by_side_bounds_priced_orders_around_the_average() {
        // filters.md § PERCENT_PRICE_BY_SIDE, with the multipliers the
        // sandbox's exchangeInfo lists (0.2 and 5 on both sides).
        let engine = engine(false);
        for (side, factor, passes) in [
            (Side::Buy, "0.21", true),
            (Side::Buy, "0.19", false),
            (Side::Buy, "4.9", true),
            (Side::Sell, "5.1", false),
            (Side::Sell, "0.19", false),
            (Side::Sell, "1", true),
        ] {
            let res = engine.validate(&priced_at(&engine, side, factor), T0);
            match res {
                Ok(()) => assert!(passes, "{side:?} at {factor}× passed"),
                Err(err) => {
                    assert!(!passes, "{side:?} at {factor}×: {err:?}");
                    assert_eq!(
                        (err.code, err.msg.as_str()),
                        (-1013, "Filter failure: PERCENT_PRICE_BY_SIDE")
                    );
                }
            }
        }
    }

    #[test]
    fn market_notional_is_priced_at_the_reference_price_else_the_average() {
        // filters.md § NOTIONAL and CHANGELOG 2026-05-06: a MARKET order's
        // notional uses the reference price when it is not null, else the
        // average over avgPriceMins (5). At T0 the reference price is the
        // last trade's (the only one in its window); 30 s later, with no
        // trade since, it is null. A fine step and a large minimum make
        // the gap between the reference and the average decide.
        let mut specs = default_symbols();
        specs[0].step_size = d("0.00000001");
        specs[0].min_qty = d("0.00000001");
        specs[0].min_notional = d("1000000");
        let engine = Engine::new(
            Market::new(5, T0, specs),
            Commission {
                maker: Decimal::ZERO,
                taker: Decimal::ZERO,
            },
        );
        let last = engine.market().get("BTCUSDT").unwrap().mid();
        for (now, reference) in [(T0, Some(last)), (T0 + 30_000, None)] {
            assert_eq!(engine.reference_price("BTCUSDT", now), Some(reference));
            let (average, _) = engine.avg_price("BTCUSDT", now).unwrap();
            assert_ne!(average, last, "seed 5 gives a gap to test with");
            let used = reference.unwrap_or(average);
            let (low, high) = (average.min(last), average.max(last));
            let min = d("1000000");
            // The smallest quantity that reaches the minimum at the higher
            // price and misses it at the lower.
            let qty = round_to_step(min / high, d("0.00000001")) + d("0.00000001");
            assert!(high * qty >= min && low * qty < min, "{low} {high} {qty}");
            let order = NewOrder {
                order_type: OrderType::Market,
                price: None,
                ..limit(Side::Buy, "1", &qty.to_string(), TimeInForce::Gtc)
            };
            let res = engine.validate(&order, now);
            assert_eq!(res.is_ok(), used * qty >= min, "at {now}: {res:?}");
        }
    }

    #[test]
    fn a_taker_expires_before_a_fill_outside_the_price_range() {
        // The price range is half to twice the reference price (the last
        // trade's at T0). A resting sell at 2.5 times it is out of reach:
        // a buy that would take it fills what is in range and expires.
        let mut engine = engine(false);
        let reference = engine.reference_price("BTCUSDT", T0).unwrap().unwrap();
        let at = |factor: &str| round_to_step(reference * d(factor), d("0.01")).to_string();
        engine
            .place(
                1,
                &limit(Side::Sell, &at("1.5"), "0.5", TimeInForce::Gtc),
                T0,
            )
            .unwrap();
        engine
            .place(
                1,
                &limit(Side::Sell, &at("2.5"), "0.5", TimeInForce::Gtc),
                T0,
            )
            .unwrap();
        let Placed { order, fills, .. } = engine
            .place(2, &limit(Side::Buy, &at("3"), "1", TimeInForce::Gtc), T0)
            .unwrap();
        assert_eq!(fills.len(), 1, "{fills:?}");
        assert_eq!(order.status, OrderStatus::Expired);
        assert_eq!(order.executed_qty, d("0.5"));
        assert_eq!(order.expiry_reason, Some(ExpiryReason::PriceRangeExceeded));
        check_locked(&engine);
        // Within the range nothing changes: a LIMIT_MAKER that would take
        // out of range is still refused as a taker.
        let maker = NewOrder {
            order_type: OrderType::LimitMaker,
            ..limit(Side::Buy, &at("3"), "0.5", TimeInForce::Gtc)
        };
        let err = engine.place(2, &maker, T0).unwrap_err();
        assert_eq!(err.msg, "Order would immediately match and take.");
    }

    #[test]
    fn sor_taker_fills_are_allocations_and_the_makers_keep_trades() {
        let mut engine = engine(false);
        let Placed { order: maker, .. } = engine
            .place(1, &limit(Side::Sell, "97000", "0.5", TimeInForce::Gtc), T0)
            .unwrap();
        let Placed {
            order,
            fills,
            events,
        } = engine
            .place_sor(2, &limit(Side::Buy, "97000", "0.8", TimeInForce::Gtc), T0)
            .unwrap();
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].alloc_id, Some(0));
        // The remainder rests on BTCUSDT's book: its last floor is EXCHANGE.
        assert_eq!(order.status, OrderStatus::PartiallyFilled);
        assert_eq!(order.working_floor, Some(WorkingFloor::Exchange));
        let taker = engine.account(2).unwrap();
        assert!(taker.trades.is_empty(), "{:?}", taker.trades);
        assert_eq!(taker.allocations.len(), 1);
        let allocation = &taker.allocations[0];
        assert_eq!(
            (allocation.order_id, allocation.qty, allocation.is_buyer),
            (order.order_id, d("0.5"), true)
        );
        let maker_trades = &engine.account(1).unwrap().trades;
        assert_eq!(maker_trades.len(), 1);
        assert_eq!(maker_trades[0].order_id, maker.order_id);
        let reports: Vec<(&str, Option<WorkingFloor>, Option<u64>)> = events
            .iter()
            .filter_map(|event| match event {
                Event::Account(AccountEvent::Execution {
                    uid: 2,
                    execution_type,
                    order,
                    fill,
                    ..
                }) => Some((
                    *execution_type,
                    order.working_floor,
                    fill.as_ref().and_then(|fill| fill.alloc_id),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            reports,
            [
                ("NEW", Some(WorkingFloor::Sor), None),
                ("TRADE", Some(WorkingFloor::Sor), Some(0))
            ]
        );
        check_locked(&engine);
        // A fully filled SOR order's floor is SOR; IDs keep counting.
        let Placed { order, fills, .. } = engine
            .place_sor(2, &limit(Side::Sell, "97000", "0.1", TimeInForce::Gtc), T0)
            .unwrap();
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.working_floor, Some(WorkingFloor::Sor));
        assert_eq!(fills[0].alloc_id, Some(1));
    }

    #[test]
    fn sor_routes_only_the_symbols_of_a_group() {
        let mut engine = engine(false);
        let bnb = NewOrder {
            symbol: "BNBBTC".to_owned(),
            ..limit(Side::Buy, "0.0067", "1", TimeInForce::Gtc)
        };
        let err = engine.place_sor(1, &bnb, T0).unwrap_err();
        assert_eq!(
            (err.code, err.msg.as_str()),
            (-1013, "This symbol has no SOR.")
        );
        let maker = NewOrder {
            order_type: OrderType::LimitMaker,
            ..limit(Side::Buy, "90000", "1", TimeInForce::Gtc)
        };
        assert_eq!(engine.place_sor(1, &maker, T0).unwrap_err().code, -1014);
        let groups = engine.sor_groups();
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[0], ("BTC", vec!["BTCUSDT"]));
    }

    #[track_caller]
    fn check_expiry(new: NewOrder, expected: Option<ExpiryReason>) {
        let mut engine = engine(false);
        engine
            .place(1, &limit(Side::Sell, "97000", "0.5", TimeInForce::Gtc), T0)
            .unwrap();
        let Placed { order, .. } = engine.place(2, &new, T0).unwrap();
        assert_eq!(order.expiry_reason, expected, "{order:?}");
    }

    #[test]
    fn expired_orders_say_why() {
        check_expiry(
            limit(Side::Buy, "97000", "1", TimeInForce::Ioc),
            Some(ExpiryReason::UnfilledIocQuantity),
        );
        check_expiry(
            limit(Side::Buy, "97000", "1", TimeInForce::Fok),
            Some(ExpiryReason::UnfilledFokOrder),
        );
        let market = NewOrder {
            order_type: OrderType::Market,
            price: None,
            ..limit(Side::Buy, "1", "1", TimeInForce::Gtc)
        };
        check_expiry(market, Some(ExpiryReason::InsufficientLiquidity));
        check_expiry(limit(Side::Buy, "97000", "1", TimeInForce::Gtc), None);
        check_expiry(limit(Side::Buy, "97000", "0.5", TimeInForce::Ioc), None);
    }

    #[test]
    fn market_orders_against_synthetic_liquidity_conserve_assets() {
        let mut engine = engine(true);
        let before = totals(&engine);
        let market_buy = NewOrder {
            order_type: OrderType::Market,
            price: None,
            quantity: None,
            quote_order_qty: Some(d("1000")),
            ..limit(Side::Buy, "1", "1", TimeInForce::Gtc)
        };
        let Placed { order, fills, .. } = engine.place(1, &market_buy, T0).unwrap();
        assert_eq!(order.status, OrderStatus::Filled);
        assert!(!fills.is_empty());
        assert!(order.cumm_quote_qty <= d("1000"));
        engine.advance(T0 + 30_000);
        assert_eq!(totals(&engine), before);
        check_locked(&engine);
    }

    #[test]
    fn advancing_reports_one_trade_per_symbol_and_second() {
        let mut engine = engine(true);
        let events = engine.advance(T0 + 3_000);
        let trades = events
            .iter()
            .filter(|event| matches!(event, Event::Market(MarketEvent::Trade { .. })))
            .count();
        assert_eq!(trades, 3 * engine.market().symbols().len());
        assert!(engine.advance(T0 + 3_000).is_empty());
    }

    #[test]
    fn the_walk_fills_resting_orders_it_crosses() {
        let mut engine = engine(true);
        let mid = engine.market().get("BTCUSDT").unwrap().mid();
        let far_above = (mid * d("1.05")).round_dp(2).to_string();
        // A buy far above the market fills at once against synthetic asks;
        // a sell far above rests until the walk gets there (it will not here).
        let Placed { order, .. } = engine
            .place(
                1,
                &limit(Side::Sell, &far_above, "0.01", TimeInForce::Gtc),
                T0,
            )
            .unwrap();
        engine.advance(T0 + 10_000);
        assert_eq!(
            engine.order(order.order_id).unwrap().status,
            OrderStatus::New
        );
        let just_below = (mid - d("0.01")).to_string();
        let Placed { order, .. } = engine
            .place(
                2,
                &limit(Side::Sell, &just_below, "0.01", TimeInForce::Gtc),
                T0 + 10_000,
            )
            .unwrap();
        assert_eq!(order.status, OrderStatus::Filled);
        check_locked(&engine);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Place {
            uid: u64,
            buy: bool,
            kind: u8,
            price_ticks: i64,
            qty_steps: i64,
        },
        Cancel {
            pick: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1..=3_u64, any::<bool>(), 0..5_u8, -20..=20_i64, 1..=300_i64).prop_map(
                |(uid, buy, kind, price_ticks, qty_steps)| Op::Place { uid, buy, kind, price_ticks, qty_steps }
            ),
            1 => (0..64_usize).prop_map(|pick| Op::Cancel { pick }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn matching_keeps_the_books(ops in prop::collection::vec(op(), 1..60)) {
            let mut engine = engine(false);
            let before = totals(&engine);
            for op in ops {
                match op {
                    Op::Place { uid, buy, kind, price_ticks, qty_steps } => {
                        let side = if buy { Side::Buy } else { Side::Sell };
                        let price = Decimal::from(97_000 + price_ticks * 10);
                        let qty = Decimal::from(qty_steps) * d("0.001");
                        let (order_type, tif) = match kind {
                            0 => (OrderType::Limit, TimeInForce::Gtc),
                            1 => (OrderType::Limit, TimeInForce::Ioc),
                            2 => (OrderType::Limit, TimeInForce::Fok),
                            3 => (OrderType::LimitMaker, TimeInForce::Gtc),
                            _ => (OrderType::Market, TimeInForce::Gtc),
                        };
                        let mut new = NewOrder::new("BTCUSDT", side, order_type);
                        new.time_in_force = tif;
                        new.quantity = Some(qty);
                        new.price = (order_type != OrderType::Market).then_some(price);
                        if let Ok(Placed { order, fills, events }) = engine.place(uid, &new, T0) {
                            let filled: Decimal = fills.iter().map(|f| f.qty).sum();
                            prop_assert_eq!(filled, order.executed_qty);
                            prop_assert!(order.executed_qty <= order.orig_qty);
                            for fill in &fills {
                                if order_type != OrderType::Market {
                                    match side {
                                        Side::Buy => prop_assert!(fill.price <= price),
                                        Side::Sell => prop_assert!(fill.price >= price),
                                    }
                                }
                            }
                            // The owner's reports: NEW with nothing filled,
                            // one TRADE per fill with growing cumulative
                            // quantities, and the last one in the final status.
                            let reports: Vec<(&str, OrderStatus, Decimal)> = events
                                .iter()
                                .filter_map(|event| match event {
                                    Event::Account(AccountEvent::Execution { execution_type, order: report, .. })
                                        if report.order_id == order.order_id =>
                                    {
                                        Some((*execution_type, report.status, report.executed_qty))
                                    }
                                    _ => None,
                                })
                                .collect();
                            prop_assert_eq!(reports[0], ("NEW", OrderStatus::New, Decimal::ZERO));
                            let trades: Vec<Decimal> = reports
                                .iter()
                                .filter(|(kind, _, _)| *kind == "TRADE")
                                .map(|(_, _, filled)| *filled)
                                .collect();
                            prop_assert_eq!(trades.len(), fills.len());
                            prop_assert!(trades.windows(2).all(|pair| pair[0] < pair[1]));
                            let last = reports[reports.len() - 1];
                            prop_assert_eq!((last.1, last.2), (order.status, order.executed_qty));
                            // Makers in the order they were hit: best price
                            // first, oldest first at one price.
                            let mut makers = Vec::new();
                            for event in events {
                                if let Event::Account(AccountEvent::Execution { execution_type: "TRADE", order: maker, .. }) = event
                                    && maker.order_id != order.order_id {
                                        makers.push((maker.price, maker.order_id));
                                    }
                            }
                            for pair in makers.windows(2) {
                                let ((p1, id1), (p2, id2)) = (pair[0], pair[1]);
                                match side {
                                    Side::Buy => prop_assert!(p1 < p2 || (p1 == p2 && id1 < id2)),
                                    Side::Sell => prop_assert!(p1 > p2 || (p1 == p2 && id1 < id2)),
                                }
                            }
                        }
                    }
                    Op::Cancel { pick } => {
                        let open: Vec<(u64, u64)> = (1..=3)
                            .flat_map(|uid| engine.account_orders(uid, None))
                            .filter(|o| o.status.is_open())
                            .map(|o| (o.uid, o.order_id))
                            .collect();
                        if let Some((uid, order_id)) = open.get(pick % open.len().max(1)) {
                            engine.cancel(*uid, *order_id, T0).unwrap();
                        }
                    }
                }
                prop_assert_eq!(totals(&engine), before.clone());
                check_locked(&engine);
                let (_, bids, asks) = engine.depth("BTCUSDT", 1).unwrap();
                if let (Some(bid), Some(ask)) = (bids.first(), asks.first()) {
                    prop_assert!(bid.0 < ask.0, "crossed book {:?} {:?}", bid, ask);
                }
            }
        }

        #[test]
        fn synthetic_liquidity_and_the_walk_conserve_assets(
            ops in prop::collection::vec(op(), 1..40),
            seconds in prop::collection::vec(0..30_i64, 40),
        ) {
            let mut engine = engine(true);
            let before = totals(&engine);
            let mut now = T0;
            for (op, step) in ops.into_iter().zip(seconds) {
                now += step * 1000;
                engine.advance(now);
                match op {
                    Op::Place { uid, buy, kind, price_ticks, qty_steps } => {
                        let mid = engine.market().get("BTCUSDT").unwrap().mid();
                        let price = mid + Decimal::from(price_ticks) * d("0.01");
                        let side = if buy { Side::Buy } else { Side::Sell };
                        let qty = Decimal::from(qty_steps) * d("0.0001");
                        let new = NewOrder {
                            order_type: if kind == 4 { OrderType::Market } else { OrderType::Limit },
                            price: (kind != 4).then_some(price),
                            ..limit(side, "1", &qty.to_string(), TimeInForce::Gtc)
                        };
                        let _ = engine.place(uid, &new, now);
                    }
                    Op::Cancel { pick } => {
                        let open: Vec<(u64, u64)> = (1..=3)
                            .flat_map(|uid| engine.account_orders(uid, None))
                            .filter(|o| o.status.is_open())
                            .map(|o| (o.uid, o.order_id))
                            .collect();
                        if let Some((uid, order_id)) = open.get(pick % open.len().max(1)) {
                            engine.cancel(*uid, *order_id, now).unwrap();
                        }
                    }
                }
                prop_assert_eq!(totals(&engine), before.clone());
                check_locked(&engine);
            }
        }
    }
}
