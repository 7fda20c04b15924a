//! The account, live: user-data events, plus what the events of a dropped
//! connection would have said, found over REST after every reconnect.
//!
//! [`AccountFeed::run`] does, in order:
//!
//! 1. subscribe to the user-data stream ([`UserDataSource`]); only then
//! 2. take the snapshots over REST ([`AccountData`]): the account (balances
//!    as of its `updateTime`) and the open orders, so that no event falls
//!    between the snapshot and the subscription;
//! 3. apply every event: balances through the pure
//!    [`BalanceMirror`] (stale and replayed events change nothing), orders
//!    through an [`OrderTracker`] (the last known status and filled
//!    quantity of each order);
//! 4. after every reconnect ([`ApiNotice::Resubscribed`]) reconcile:
//!    fetch the account again and report the balances that changed while
//!    away; fetch the open orders and, for every symbol the feed knows about
//!    (orders seen in events or snapshots, symbols with open orders now, and
//!    symbols whose base and quote assets both changed while away, from
//!    `exchangeInfo`), `allOrders` from the last event seen on; report every
//!    order whose status or filled quantity changed, oldest first, once;
//! 5. if a reconciliation fails, say so and try again with a growing
//!    backoff until it succeeds, while still applying live events.
//!
//! What is recovered after a reconnect: every balance (exactly, from the
//! account snapshot), and the latest state of every order on a known symbol
//! that changed while away (one `Reconciled` order per order, not one per
//! missed fill: the individual trades are in `myTrades`). What is not: the
//! intermediate events themselves (each missed partial fill, each
//! `balanceUpdate`), and an order on a symbol the feed has never seen that
//! was placed and canceled without a fill while it was away (it changed no
//! balance, so nothing points at its symbol).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use mbx_domain::Error;
use mbx_domain::balance_mirror::BalanceMirror;
use mbx_domain::feed::{ApiNotice, UserItem};
use mbx_domain::model::{Balance, Decimal, Millis, Order, OrderStatus};
use mbx_domain::ports::{AccountData, MarketData, UserDataSource};
use mbx_domain::stream::{ExecutionReport, UserEvent};
use tokio::time::Instant;

use crate::balances::Prices;
use crate::session::{Session, Wake};

/// How far before the last event seen `allOrders` looks, for orders whose
/// update raced the disconnect.
const RECONCILE_MARGIN_MS: Millis = 5_000;
/// The first and the longest wait before trying a failed reconciliation
/// again.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// What a feed counts against [`Session`]'s count limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    /// Every event and every reconciled output (`mbx user-stream`).
    Events,
    /// Every changed balance (`mbx balances --watch`); a longer list of
    /// changes is cut to what is left of the count.
    BalanceChanges,
}

/// What the feed needs.
#[derive(Clone)]
pub struct AccountFeed {
    /// The user-data stream.
    pub user_data: Arc<dyn UserDataSource>,
    /// The account over REST, for snapshots and reconciliation.
    pub account: Arc<dyn AccountData>,
    /// Market data: `exchangeInfo` to find the symbols a reconciliation
    /// must look at, and prices when balances are valued.
    pub market: Arc<dyn MarketData>,
    /// Value balances in this asset, refreshing the prices this often
    /// (`None`: only when a balance changes).
    pub quote: Option<(String, Option<Duration>)>,
    /// What the count limit counts.
    pub count_by: CountBy,
}

impl std::fmt::Debug for AccountFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountFeed")
            .field("quote", &self.quote)
            .field("count_by", &self.count_by)
            .finish_non_exhaustive()
    }
}

/// What the feed says, in order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AccountOutput {
    /// Subscribed and snapshotted: the balances now (all assets the account
    /// lists).
    Started {
        /// The subscription's ID.
        subscription_id: Option<u64>,
        /// The balances of the snapshot.
        balances: Vec<Balance>,
    },
    /// A live event, and the balances it changed (possibly none).
    Event {
        /// The subscription it came from.
        subscription_id: Option<u64>,
        /// The event as Binance sent it.
        event: UserEvent,
        /// Balances it changed, with their new values.
        changed: Vec<Balance>,
    },
    /// Balances that changed while the connection was down, found over REST
    /// after the reconnect.
    BalancesReconciled {
        /// The account's `updateTime` of the fresh snapshot.
        update_time: Millis,
        /// The balances that differ, with their new values.
        balances: Vec<Balance>,
    },
    /// An order that changed while the connection was down, found over
    /// REST after the reconnect (its latest state).
    OrderReconciled(Order),
    /// The prices used for values were fetched again.
    PricesRefreshed,
    /// Something to tell the user (on stderr in the CLI).
    Notice(FeedNotice),
}

/// Notices about the feed itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FeedNotice {
    /// A notice of the connection (dropped, up again, frame skipped).
    Connection(ApiNotice),
    /// Subscribed again after a reconnect; reconciling over REST now.
    Reconciling {
        /// The new subscription.
        subscription_id: u64,
    },
    /// The reconciliation found this much.
    Reconciled {
        /// Balances that changed while away.
        balances: usize,
        /// Orders that changed while away.
        orders: usize,
    },
    /// The reconciliation failed; it is tried again after `retry_in`.
    ReconcileFailed {
        /// Why.
        error: Error,
        /// When the next attempt is.
        retry_in: Duration,
    },
    /// The open orders could not be read at start; order reconciliation
    /// covers only the symbols seen in events.
    OpenOrdersUnavailable {
        /// Why.
        error: Error,
    },
    /// The prices could not be refreshed; the old ones are kept.
    PricesUnavailable {
        /// Why.
        error: Error,
    },
}

/// The state a sink may read: the balances now and the prices.
#[derive(Debug)]
pub struct AccountState {
    mirror: BalanceMirror,
    prices: Option<Prices>,
    quote: Option<String>,
}

impl AccountState {
    /// Every balance the account lists now, ordered by asset.
    pub fn balances(&self) -> Vec<Balance> {
        self.mirror.balances().collect()
    }

    /// The quote asset, when balances are valued.
    pub fn quote(&self) -> Option<&str> {
        self.quote.as_deref()
    }

    /// The value of `balance` in the quote asset, when priced.
    pub fn value(&self, balance: &Balance) -> Option<Decimal> {
        let quote = self.quote.as_deref()?;
        self.prices.as_ref()?.value_in(balance, quote)
    }
}

impl AccountFeed {
    /// Follows the account until the session ends or `sink` breaks. Each
    /// output is handed to `sink` with the state after it.
    pub async fn run(
        &self,
        session: &mut Session,
        mut sink: impl FnMut(&AccountState, AccountOutput) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        let mut feed = self.user_data.subscribe().await?;
        let mut subscription_id = None;
        // The source announces the subscription first; keep its id.
        let first = futures_util::StreamExt::next(&mut feed).await;
        let mut pending_first = match first {
            Some(UserItem::Notice(ApiNotice::Subscribed {
                subscription_id: id,
            })) => {
                subscription_id = Some(id);
                None
            }
            other => other,
        };
        let account = self.account.account(false).await?;
        let mut state = AccountState {
            mirror: BalanceMirror::new(account.update_time, account.balances),
            prices: None,
            quote: self.quote.as_ref().map(|(asset, _)| asset.clone()),
        };
        let mut orders = OrderTracker {
            last_event_time: account.update_time,
            started_at: account.update_time,
            ..OrderTracker::default()
        };
        match self.account.all_open_orders().await {
            Ok(open) => orders.observe_snapshot(&open),
            Err(error) => {
                if sink(
                    &state,
                    AccountOutput::Notice(FeedNotice::OpenOrdersUnavailable { error }),
                )
                .is_break()
                {
                    return Ok(());
                }
            }
        }
        if state.quote.is_some()
            && let Err(error) = self.fetch_prices(&mut state).await
        {
            let notice = FeedNotice::PricesUnavailable { error };
            if sink(&state, AccountOutput::Notice(notice)).is_break() {
                return Ok(());
            }
        }
        let started = AccountOutput::Started {
            subscription_id,
            balances: state.balances(),
        };
        if sink(&state, started).is_break() {
            return Ok(());
        }

        let refresh_every = self.quote.as_ref().and_then(|(_, every)| *every);
        let mut next_refresh = refresh_every.map(|every| Instant::now() + every);
        let mut reconcile: Option<Reconcile> = None;
        let mut is_reconnect = false;
        loop {
            let item = match pending_first.take() {
                Some(item) => Some(item),
                None => {
                    let timer = [reconcile.as_ref().map(|r| r.at), next_refresh]
                        .into_iter()
                        .flatten()
                        .min();
                    match session.wait(&mut feed, timer).await {
                        Wake::Done => return Ok(()),
                        Wake::Item(item) => item,
                        Wake::Timer => {
                            let now = Instant::now();
                            if reconcile.as_ref().is_some_and(|r| r.at <= now) {
                                let flow = self
                                    .reconcile(
                                        session,
                                        &mut state,
                                        &mut orders,
                                        &mut reconcile,
                                        &mut sink,
                                    )
                                    .await;
                                if flow.is_break() {
                                    return Ok(());
                                }
                            }
                            if let (Some(at), Some(every)) = (next_refresh, refresh_every)
                                && at <= now
                            {
                                next_refresh = Some(now + every);
                                let output = match self.fetch_prices(&mut state).await {
                                    Ok(()) => AccountOutput::PricesRefreshed,
                                    Err(error) => {
                                        AccountOutput::Notice(FeedNotice::PricesUnavailable {
                                            error,
                                        })
                                    }
                                };
                                if sink(&state, output).is_break() {
                                    return Ok(());
                                }
                            }
                            continue;
                        }
                    }
                }
            };
            let Some(item) = item else { return Ok(()) };
            let flow = match item {
                UserItem::Event {
                    subscription_id,
                    event,
                } => {
                    if let UserEvent::ExecutionReport(report) = &event
                        && !orders.observe_event(report)
                    {
                        // Already reported as reconciled: not news.
                        continue;
                    }
                    orders.last_event_time = orders.last_event_time.max(event.event_time());
                    let mut changed = state.mirror.apply(&event);
                    if !changed.is_empty() && state.quote.is_some() {
                        self.fetch_prices(&mut state).await.ok();
                    }
                    let counted = match self.count_by {
                        CountBy::Events => 1,
                        CountBy::BalanceChanges => {
                            cut_to(&mut changed, session.remaining());
                            changed.len() as u64
                        }
                    };
                    session.count(counted);
                    if self.count_by == CountBy::BalanceChanges && changed.is_empty() {
                        continue;
                    }
                    sink(
                        &state,
                        AccountOutput::Event {
                            subscription_id,
                            event,
                            changed,
                        },
                    )
                }
                UserItem::Notice(ApiNotice::Resubscribed { subscription_id }) => {
                    let notice = FeedNotice::Reconciling { subscription_id };
                    if sink(&state, AccountOutput::Notice(notice)).is_break() {
                        return Ok(());
                    }
                    reconcile = Some(Reconcile {
                        at: Instant::now(),
                        attempts: 0,
                    });
                    self.reconcile(session, &mut state, &mut orders, &mut reconcile, &mut sink)
                        .await
                }
                // The first connection was announced with the subscription.
                UserItem::Notice(ApiNotice::Connected) if !is_reconnect => continue,
                UserItem::Notice(notice) => {
                    is_reconnect |= matches!(notice, ApiNotice::Disconnected { .. });
                    sink(
                        &state,
                        AccountOutput::Notice(FeedNotice::Connection(notice)),
                    )
                }
            };
            if flow.is_break() {
                return Ok(());
            }
        }
    }

    /// One attempt at reconciling; on failure, schedules the next one.
    async fn reconcile(
        &self,
        session: &mut Session,
        state: &mut AccountState,
        orders: &mut OrderTracker,
        reconcile: &mut Option<Reconcile>,
        sink: &mut impl FnMut(&AccountState, AccountOutput) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let Some(attempt) = reconcile.take() else {
            return ControlFlow::Continue(());
        };
        let found = match self.fetch_changes(orders, &state.mirror).await {
            Ok(found) => found,
            Err(error) => {
                let retry_in = RETRY_FIRST
                    .saturating_mul(1 << attempt.attempts.min(5))
                    .min(RETRY_MAX);
                *reconcile = Some(Reconcile {
                    at: Instant::now() + retry_in,
                    attempts: attempt.attempts + 1,
                });
                let notice = FeedNotice::ReconcileFailed { error, retry_in };
                return sink(state, AccountOutput::Notice(notice));
            }
        };
        let (account, changed_orders) = found;
        let mut balances = state.mirror.reset(account.update_time, account.balances);
        if state.quote.is_some() && !balances.is_empty() {
            self.fetch_prices(state).await.ok();
        }
        let notice = FeedNotice::Reconciled {
            balances: balances.len(),
            orders: changed_orders.len(),
        };
        sink(state, AccountOutput::Notice(notice))?;
        match self.count_by {
            CountBy::BalanceChanges => cut_to(&mut balances, session.remaining()),
            CountBy::Events => {}
        }
        if !balances.is_empty() {
            session.count(match self.count_by {
                CountBy::Events => 1,
                CountBy::BalanceChanges => balances.len() as u64,
            });
            sink(
                state,
                AccountOutput::BalancesReconciled {
                    update_time: account.update_time,
                    balances,
                },
            )?;
        }
        for order in changed_orders {
            if self.count_by == CountBy::Events {
                if session.remaining() == Some(0) {
                    break;
                }
                session.count(1);
            }
            orders.mark_reconciled(&order);
            sink(state, AccountOutput::OrderReconciled(order))?;
        }
        ControlFlow::Continue(())
    }

    /// The account now, and the orders that changed since the last event.
    async fn fetch_changes(
        &self,
        orders: &mut OrderTracker,
        mirror: &BalanceMirror,
    ) -> Result<(mbx_domain::model::Account, Vec<Order>), Error> {
        let account = self.account.account(false).await?;
        let open = self.account.all_open_orders().await?;
        let mut symbols = orders.symbols.clone();
        symbols.extend(open.iter().map(|order| order.symbol.clone()));
        // A trade moves two assets: the symbols of two changed assets may
        // hold an order placed and filled while away.
        let changed_assets: BTreeSet<&str> = account
            .balances
            .iter()
            .filter(|fresh| {
                mirror
                    .balance(&fresh.asset)
                    .is_none_or(|known| (known.free, known.locked) != (fresh.free, fresh.locked))
            })
            .map(|fresh| fresh.asset.as_str())
            .collect();
        if changed_assets.len() >= 2 {
            if orders.pairs.is_none() {
                let info = self.market.exchange_info(&[]).await?;
                orders.pairs = Some(
                    info.symbols
                        .into_iter()
                        .map(|s| (s.base_asset, s.quote_asset, s.symbol))
                        .collect(),
                );
            }
            for (base, quote, symbol) in orders.pairs.iter().flatten() {
                if changed_assets.contains(base.as_str()) && changed_assets.contains(quote.as_str())
                {
                    symbols.insert(symbol.clone());
                }
            }
        }
        let since = orders
            .last_event_time
            .saturating_sub(RECONCILE_MARGIN_MS)
            .max(0);
        let mut found: BTreeMap<(String, u64), Order> = BTreeMap::new();
        for order in open {
            found.insert((order.symbol.clone(), order.order_id), order);
        }
        for symbol in &symbols {
            for order in self
                .account
                .all_orders(symbol, Some(since), Some(1000))
                .await?
            {
                found.insert((order.symbol.clone(), order.order_id), order);
            }
        }
        let mut changed: Vec<Order> = found
            .into_values()
            .filter(|order| orders.is_news(order))
            .collect();
        changed.sort_by_key(|order| (order.update_time, order.order_id));
        Ok((account, changed))
    }

    async fn fetch_prices(&self, state: &mut AccountState) -> Result<(), Error> {
        if state.quote.is_some() {
            state.prices = Some(Prices::fetch(self.market.as_ref()).await?);
        }
        Ok(())
    }
}

/// A reconciliation to run at `at`.
#[derive(Debug, Clone, Copy)]
struct Reconcile {
    at: Instant,
    attempts: u32,
}

fn cut_to(changed: &mut Vec<Balance>, remaining: Option<u64>) {
    if let Some(remaining) = remaining {
        changed.truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
    }
}

/// The last known state of each order the feed has seen, to tell what
/// changed while it was away and not to report a change twice.
#[derive(Debug, Default, Clone)]
pub struct OrderTracker {
    orders: BTreeMap<(String, u64), OrderState>,
    symbols: BTreeSet<String>,
    last_event_time: Millis,
    /// The account's `updateTime` when the feed started: an order the feed
    /// has not seen that last changed before it is history, not news.
    started_at: Millis,
    /// `(base, quote, symbol)` of every symbol, fetched once when needed.
    pairs: Option<Vec<(String, String, String)>>,
}

/// An order's status and filled quantity, and whether it was last reported
/// by a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderState {
    status: String,
    executed: Decimal,
    reconciled: bool,
}

impl OrderTracker {
    /// Records the open orders of a snapshot (not reported: they are the
    /// starting point).
    pub fn observe_snapshot(&mut self, open: &[Order]) {
        for order in open {
            self.symbols.insert(order.symbol.clone());
            self.orders.insert(
                (order.symbol.clone(), order.order_id),
                OrderState {
                    status: order.status.as_str().to_owned(),
                    executed: order.executed_qty,
                    reconciled: false,
                },
            );
        }
    }

    /// Records a live event; false when it repeats (or is older than) a
    /// state already reported by a reconciliation.
    pub fn observe_event(&mut self, report: &ExecutionReport) -> bool {
        self.symbols.insert(report.symbol.clone());
        let key = (report.symbol.clone(), report.order_id);
        let incoming = OrderState {
            status: report.order_status.clone(),
            executed: report.cumulative_filled_quantity,
            reconciled: false,
        };
        if let Some(known) = self.orders.get(&key)
            && known.reconciled
            && (incoming.executed < known.executed
                || (incoming.executed == known.executed
                    && (incoming.status == known.status || is_final(&known.status))))
        {
            return false;
        }
        self.orders.insert(key, incoming);
        true
    }

    /// Whether a REST answer says something the feed has not reported.
    pub fn is_news(&self, order: &Order) -> bool {
        match self.orders.get(&(order.symbol.clone(), order.order_id)) {
            None => order.update_time > self.started_at,
            Some(known) => {
                known.status != order.status.as_str() || known.executed != order.executed_qty
            }
        }
    }

    /// Records a state reported by a reconciliation.
    pub fn mark_reconciled(&mut self, order: &Order) {
        self.symbols.insert(order.symbol.clone());
        self.orders.insert(
            (order.symbol.clone(), order.order_id),
            OrderState {
                status: order.status.as_str().to_owned(),
                executed: order.executed_qty,
                reconciled: true,
            },
        );
    }
}

fn is_final(status: &str) -> bool {
    [
        OrderStatus::Filled,
        OrderStatus::Canceled,
        OrderStatus::Rejected,
        OrderStatus::Expired,
        OrderStatus::ExpiredInMatch,
    ]
    .iter()
    .any(|final_status| final_status.as_str() == status)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures_util::StreamExt as _;
    use mbx_domain::Cause;
    use mbx_domain::feed::Feed;
    use mbx_domain::model::Account;
    use mbx_domain::ports::{MockAccountData, MockMarketData, MockUserDataSource};
    use mbx_domain::stream::BalanceUpdate;

    use super::*;
    use crate::session::Limits;

    fn balance(asset: &str, free: &str) -> Balance {
        Balance {
            asset: asset.into(),
            free: free.parse().unwrap(),
            locked: "0".parse().unwrap(),
        }
    }

    fn account(update_time: Millis, balances: Vec<Balance>) -> Account {
        serde_json::from_value(serde_json::json!({
            "canTrade": true, "canWithdraw": true, "canDeposit": true,
            "updateTime": update_time, "balances": balances
        }))
        .unwrap()
    }

    fn order(id: u64, status: &str, executed: &str, update_time: Millis) -> Order {
        serde_json::from_value(serde_json::json!({
            "symbol": "BTCUSDT", "orderId": id, "orderListId": -1,
            "clientOrderId": format!("c{id}"), "price": "100.00", "origQty": "1.00",
            "executedQty": executed, "cummulativeQuoteQty": "0", "status": status,
            "timeInForce": "GTC", "type": "LIMIT", "side": "BUY", "stopPrice": "0",
            "time": 1, "updateTime": update_time, "isWorking": true
        }))
        .unwrap()
    }

    fn execution_report(id: u64, status: &str, executed: &str) -> UserEvent {
        let report: ExecutionReport = serde_json::from_value(serde_json::json!({
            "eventTime": 9000, "symbol": "BTCUSDT", "clientOrderId": format!("c{id}"),
            "side": "BUY", "orderType": "LIMIT", "timeInForce": "GTC", "quantity": "1.00",
            "price": "100.00", "stopPrice": "0", "icebergQuantity": "0", "orderListId": -1,
            "origClientOrderId": "", "executionType": "TRADE", "orderStatus": status,
            "rejectReason": "NONE", "orderId": id, "lastExecutedQuantity": "1.00",
            "cumulativeFilledQuantity": executed, "lastExecutedPrice": "100.00",
            "commission": "0", "commissionAsset": null, "transactionTime": 9000,
            "tradeId": 1, "executionId": 1, "isOnBook": false, "isMaker": false,
            "creationTime": 1, "cumulativeQuoteQuantity": "100", "lastQuoteQuantity": "100",
            "quoteOrderQuantity": "0", "workingTime": 1, "selfTradePreventionMode": "NONE"
        }))
        .unwrap();
        UserEvent::ExecutionReport(Box::new(report))
    }

    fn event(event: UserEvent) -> UserItem {
        UserItem::Event {
            subscription_id: Some(0),
            event,
        }
    }

    fn drop_and_resubscribe() -> Vec<UserItem> {
        vec![
            UserItem::Notice(ApiNotice::Disconnected {
                reason: "reset".into(),
                retry_in: Duration::from_millis(250),
            }),
            UserItem::Notice(ApiNotice::Connected),
            UserItem::Notice(ApiNotice::Resubscribed { subscription_id: 1 }),
        ]
    }

    /// A source whose feed yields `items`, then stays open.
    fn source(items: Vec<UserItem>) -> MockUserDataSource {
        let items = Mutex::new(Some(items));
        let mut source = MockUserDataSource::new();
        source.expect_subscribe().times(1).returning(move || {
            let mut all = vec![UserItem::Notice(ApiNotice::Subscribed {
                subscription_id: 0,
            })];
            all.extend(items.lock().unwrap().take().unwrap_or_default());
            let feed: Feed<UserItem> =
                Box::pin(futures_util::stream::iter(all).chain(futures_util::stream::pending()));
            Ok(feed)
        });
        source
    }

    /// Answers `account()` with each of `answers` in turn.
    fn accounts(account_port: &mut MockAccountData, answers: Vec<Result<Account, Error>>) {
        let answers = Mutex::new(answers.into_iter());
        account_port
            .expect_account()
            .returning(move |_| answers.lock().unwrap().next().expect("an answer"));
    }

    async fn run_feed(
        user_data: MockUserDataSource,
        account_port: MockAccountData,
        count_by: CountBy,
        limits: Limits,
    ) -> Vec<AccountOutput> {
        let mut market = MockMarketData::new();
        market.expect_exchange_info().returning(|_| {
            Ok(serde_json::from_value(serde_json::json!({
                "timezone": "UTC", "serverTime": 1, "rateLimits": [], "exchangeFilters": [],
                "symbols": [{"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC",
                    "quoteAsset": "USDT", "orderTypes": [], "filters": [], "permissions": []}]
            }))
            .unwrap())
        });
        let feed = AccountFeed {
            user_data: Arc::new(user_data),
            account: Arc::new(account_port),
            market: Arc::new(market),
            quote: None,
            count_by,
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut outputs = Vec::new();
        feed.run(&mut session, |_, output| {
            outputs.push(output);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
        outputs
    }

    fn for_a_while() -> Limits {
        Limits {
            count: None,
            duration: Some(Duration::from_secs(60)),
        }
    }

    // See: issue #10
    #[tokio::test(start_paused = true)]
    async fn a_balance_changed_while_disconnected_is_reconciled() {
        let deposit = UserEvent::BalanceUpdate(BalanceUpdate {
            event_time: 2001,
            asset: "BTC".into(),
            delta: "1.0".parse().unwrap(),
            clear_time: 2000,
        });
        let mut items = vec![event(deposit)];
        items.extend(drop_and_resubscribe());
        let mut account_port = MockAccountData::new();
        accounts(
            &mut account_port,
            vec![
                Ok(account(
                    1000,
                    vec![balance("BTC", "1.0"), balance("ETH", "3.0")],
                )),
                Ok(account(
                    5000,
                    vec![balance("BTC", "2.5"), balance("ETH", "3.0")],
                )),
            ],
        );
        account_port
            .expect_all_open_orders()
            .returning(|| Ok(vec![]));
        let outputs = run_feed(source(items), account_port, CountBy::Events, for_a_while()).await;
        assert!(
            matches!(&outputs[0], AccountOutput::Started { subscription_id: Some(0), balances } if balances.len() == 2)
        );
        assert!(
            matches!(&outputs[1], AccountOutput::Event { changed, .. } if changed == &[balance("BTC", "2.0")])
        );
        assert!(
            outputs.contains(&AccountOutput::Notice(FeedNotice::Reconciled {
                balances: 1,
                orders: 0
            }))
        );
        assert_eq!(
            outputs.last(),
            Some(&AccountOutput::BalancesReconciled {
                update_time: 5000,
                balances: vec![balance("BTC", "2.5")],
            })
        );
    }

    // See: issue #12
    #[tokio::test(start_paused = true)]
    async fn an_order_on_an_unseen_symbol_is_found_through_the_assets_it_moved() {
        let mut account_port = MockAccountData::new();
        accounts(
            &mut account_port,
            vec![
                Ok(account(
                    1000,
                    vec![balance("BTC", "1.0"), balance("USDT", "100")],
                )),
                Ok(account(
                    5000,
                    vec![balance("BTC", "1.1"), balance("USDT", "90")],
                )),
            ],
        );
        account_port
            .expect_all_open_orders()
            .returning(|| Ok(vec![]));
        account_port
            .expect_all_orders()
            .withf(|symbol, _, _| symbol == "BTCUSDT")
            .times(1)
            .returning(|_, _, _| Ok(vec![order(9, "FILLED", "0.10", 4000)]));
        let outputs = run_feed(
            source(drop_and_resubscribe()),
            account_port,
            CountBy::Events,
            for_a_while(),
        )
        .await;
        assert!(
            outputs
                .iter()
                .any(|o| matches!(o, AccountOutput::OrderReconciled(order) if order.order_id == 9)),
            "{outputs:?}"
        );
    }

    // See: issue #12
    #[tokio::test(start_paused = true)]
    async fn orders_changed_while_disconnected_are_reported_once_in_order() {
        let mut items = drop_and_resubscribe();
        // Delivered after the reconciliation already reported it.
        items.push(event(execution_report(8, "FILLED", "1.00")));
        let mut account_port = MockAccountData::new();
        accounts(
            &mut account_port,
            vec![Ok(account(1000, vec![])), Ok(account(5000, vec![]))],
        );
        let open_calls = Mutex::new(0);
        account_port.expect_all_open_orders().returning(move || {
            let mut calls = open_calls.lock().unwrap();
            *calls += 1;
            Ok(if *calls == 1 {
                vec![order(7, "NEW", "0.00", 900)]
            } else {
                vec![]
            })
        });
        account_port
            .expect_all_orders()
            .withf(|symbol, since, _| symbol == "BTCUSDT" && since.is_some())
            .times(1)
            .returning(|_, _, _| {
                Ok(vec![
                    order(8, "FILLED", "1.00", 3500),
                    order(7, "FILLED", "1.00", 3000),
                    order(6, "FILLED", "1.00", 800),
                ])
            });
        let outputs = run_feed(source(items), account_port, CountBy::Events, for_a_while()).await;
        let reconciled: Vec<(u64, String)> = outputs
            .iter()
            .filter_map(|output| match output {
                AccountOutput::OrderReconciled(order) => {
                    Some((order.order_id, order.status.as_str().to_owned()))
                }
                _ => None,
            })
            .collect();
        // Order 6 changed before the feed started: history, not news. 7
        // and 8 in the order they changed.
        assert_eq!(
            reconciled,
            [(7, "FILLED".to_owned()), (8, "FILLED".to_owned())]
        );
        assert!(
            !outputs
                .iter()
                .any(|o| matches!(o, AccountOutput::Event { .. })),
            "the late event of order 8 repeats the reconciled state: {outputs:?}"
        );
    }

    // See: issue #14
    #[tokio::test(start_paused = true)]
    async fn a_failed_reconciliation_is_tried_again() {
        let mut account_port = MockAccountData::new();
        accounts(
            &mut account_port,
            vec![
                Ok(account(1000, vec![balance("BTC", "1.0")])),
                Err(Error::Transport {
                    endpoint: "GET /api/v3/account".into(),
                    cause: Cause::new("reset"),
                }),
                Ok(account(5000, vec![balance("BTC", "0.5")])),
            ],
        );
        account_port
            .expect_all_open_orders()
            .returning(|| Ok(vec![]));
        let outputs = run_feed(
            source(drop_and_resubscribe()),
            account_port,
            CountBy::Events,
            for_a_while(),
        )
        .await;
        let failed = outputs.iter().position(|o| {
            matches!(o, AccountOutput::Notice(FeedNotice::ReconcileFailed { retry_in, .. }) if *retry_in == Duration::from_secs(1))
        });
        let reconciled = outputs
            .iter()
            .position(|o| matches!(o, AccountOutput::BalancesReconciled { .. }));
        assert!(failed.is_some() && reconciled > failed, "{outputs:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn balance_changes_are_counted_and_cut_to_the_count() {
        let position = UserEvent::AccountPosition(mbx_domain::stream::AccountPosition {
            event_time: 2001,
            last_update_time: 2000,
            balances: vec![
                balance("BTC", "2"),
                balance("ETH", "4"),
                balance("BNB", "6"),
            ],
        });
        let mut account_port = MockAccountData::new();
        accounts(&mut account_port, vec![Ok(account(1000, vec![]))]);
        account_port
            .expect_all_open_orders()
            .returning(|| Ok(vec![]));
        let limits = Limits {
            count: Some(2),
            duration: None,
        };
        let outputs = run_feed(
            source(vec![event(position)]),
            account_port,
            CountBy::BalanceChanges,
            limits,
        )
        .await;
        assert!(
            matches!(&outputs[1], AccountOutput::Event { changed, .. } if changed.len() == 2),
            "{outputs:?}"
        );
        assert_eq!(outputs.len(), 2);
    }
}
