//! An order whose outcome is unknown, resolved by looking it up.
//!
//! `newClientOrderId` is unique only among *open* orders, so sending the
//! order again after a timeout can place it twice (the first one may have
//! filled and left the open orders). The rule, instead:
//!
//! 1. Never send it again. Ask for it by its client order id
//!    (`GET /api/v3/order` with `origClientOrderId`, or `order.status`).
//! 2. Found, and created no earlier than the send (an older order may carry
//!    the same id): it was placed.
//! 3. `-2013` ("Order does not exist."), or only an older order under that
//!    id: ask `allOrders` from shortly before the send (the order may have
//!    filled and be gone from the places the first query looks, and an id
//!    can be reused), and look for the id there.
//! 4. Missing from both: it is *absent*, but absent is final only once no
//!    request signed at the send can still be executed, i.e. once its
//!    `recvWindow` has passed (plus a margin for the network). Before that,
//!    keep looking.
//! 5. A lookup that fails (network, 5xx) is tried again with a growing wait
//!    ([`ResolvePolicy`]); one that cannot succeed (a permission error), or
//!    running out of time, leaves the outcome unknown.
//!
//! Order lists and amendments follow the same rule with their own lookups
//! ([`resolve_with`]): a list by its `listClientOrderId` (`orderList`,
//! then `allOrderList` from shortly before the send), an amendment by the
//! new client order id it gives the order.
//!
//! Waits use `tokio::time`, so tests run them on a paused clock.

use std::future::Future;
use std::time::Duration;

use mbx_domain::model::{Millis, Order, OrderRef};
use mbx_domain::ports::{AccountData, OrderEntry};
use mbx_domain::{Category, Error};
use tokio::time::Instant;

/// Added to `recvWindow` before an order missing from every lookup counts
/// as not placed: the request may spend that long on the network.
pub const SETTLE_MARGIN: Duration = Duration::from_secs(1);

/// How far before the send `allOrders` looks (and how much older an order
/// under the same id may be and still count): covers the difference
/// between this machine's clock and the server's.
pub const CLOCK_MARGIN_MS: Millis = 60_000;

/// How long, and how often, an unknown outcome is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvePolicy {
    /// The wait after the first lookup; it doubles after each.
    pub first_wait: Duration,
    /// The longest wait between two lookups.
    pub max_wait: Duration,
    /// When to give up, counted from the send.
    pub give_up_after: Duration,
}

impl ResolvePolicy {
    /// Waits of 0.25 s doubling to 4 s, for up to 60 s after the send.
    pub fn standard() -> ResolvePolicy {
        ResolvePolicy {
            first_wait: Duration::from_millis(250),
            max_wait: Duration::from_secs(4),
            give_up_after: Duration::from_secs(60),
        }
    }
}

/// What the lookups found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<T = Order> {
    /// The order (or list, or amendment) exists: it was placed.
    Found(T),
    /// The order does not exist and can no longer be executed.
    Absent,
    /// The lookups did not settle it; the last lookup error, if any.
    Unknown(Option<Error>),
}

/// The order to look up and where.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    /// `order.status` or `GET /api/v3/order`.
    pub orders: &'a dyn OrderEntry,
    /// `allOrders`.
    pub account: &'a dyn AccountData,
    /// The symbol.
    pub symbol: &'a str,
    /// The order's `newClientOrderId`.
    pub client_order_id: &'a str,
    /// When it was sent (monotonic).
    pub sent_at: Instant,
    /// When it was sent (wall clock, ms).
    pub sent_at_ms: Millis,
}

impl std::fmt::Debug for Lookup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field("symbol", &self.symbol)
            .field("client_order_id", &self.client_order_id)
            .field("sent_at_ms", &self.sent_at_ms)
            .finish_non_exhaustive()
    }
}

/// Looks the order up until it is found, shown absent once `settle` has
/// passed since the send, or `policy` gives up. See the module docs.
pub async fn resolve(lookup: &Lookup<'_>, policy: &ResolvePolicy, settle: Duration) -> Resolution {
    let what = format!("order `{}`", lookup.client_order_id);
    resolve_with(&what, lookup.sent_at, policy, settle, || find(lookup)).await
}

/// The lookup loop for anything sent once: `find` is one round of lookups
/// (`Ok(None)`: not found); `what` names it in the log.
pub async fn resolve_with<T, F, Fut>(
    what: &str,
    sent_at: Instant,
    policy: &ResolvePolicy,
    settle: Duration,
    mut find: F,
) -> Resolution<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Error>>,
{
    let mut wait = policy.first_wait;
    let mut last_error = None;
    loop {
        match find().await {
            Ok(Some(found)) => return Resolution::Found(found),
            Ok(None) if sent_at.elapsed() >= settle => return Resolution::Absent,
            Ok(None) => {
                tracing::info!(
                    "{what} not found yet; looking again until its recvWindow has passed"
                );
            }
            Err(error) if error.is_retryable() || error.category() == Category::Server => {
                tracing::warn!("looking up {what}: {error}");
                last_error = Some(error);
            }
            Err(error) => return Resolution::Unknown(Some(error)),
        }
        if sent_at.elapsed() + wait > policy.give_up_after {
            return Resolution::Unknown(last_error);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(policy.max_wait);
    }
}

/// One round of lookups: the order, `Ok(None)` if neither lookup has it.
async fn find(lookup: &Lookup<'_>) -> Result<Option<Order>, Error> {
    let since = lookup.sent_at_ms.saturating_sub(CLOCK_MARGIN_MS);
    let is_ours = |order: &Order| {
        order.client_order_id == lookup.client_order_id && (order.time == 0 || order.time >= since)
    };
    let by_id = OrderRef::ClientId(lookup.client_order_id.to_owned());
    match lookup.orders.query_order(lookup.symbol, &by_id).await {
        Ok(order) if is_ours(&order) => return Ok(Some(order)),
        // An older order under the same id: look further.
        Ok(_) => {}
        Err(error) if error.code() == Some(-2013) => {}
        Err(error) => return Err(error),
    }
    let recent = lookup
        .account
        .all_orders(lookup.symbol, Some(since), Some(1000))
        .await?;
    Ok(recent.into_iter().find(is_ours))
}
