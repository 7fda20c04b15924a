//! Order lists (OCO, OTO, OTOCO, OPO, OPOCO) and Order Amend Keep
//! Priority, with the discipline of single orders: every leg checked by
//! `preflight` before anything is sent, ids made up and shown before the
//! send, one send, and an unknown outcome resolved by looking it up.
//!
//! - A list gets a `listClientOrderId` and each leg a client order id
//!   ([`Trading::prepare_list`]). When the answer is lost,
//!   [`Trading::place_list`] asks `GET /api/v3/orderList` by that id, then
//!   `allOrderList` from shortly before the send (a list that already
//!   finished, or an id reused), until it is found or its `recvWindow` has
//!   passed; it never sends the list again.
//! - An amendment reduces an open order's quantity and keeps its place in
//!   the queue. It gives the order a new client order id (made up here),
//!   which is how an unknown outcome is settled: the order found under the
//!   new id was amended; missing once the `recvWindow` has passed, it was
//!   not. Sending the same amendment again would be refused rather than
//!   applied twice (`newQty` must be below the order's quantity), but mbx
//!   looks it up anyway, so that the report says what happened.

use mbx_domain::model::{
    Amended, AmendedOrder, LegRole, ListKind, Millis, NewOrder, NewOrderList, Order, OrderList,
    OrderListRef, OrderRef, ResponseType, StpMode, SymbolInfo,
};
use mbx_domain::preflight::{self, Check, OpenOrderCounts, Operation, Rounding};
use mbx_domain::{Category, Error};
use rust_decimal::Decimal;

use super::resolve::{self, CLOCK_MARGIN_MS, Resolution};
use super::{
    Confirmation, OrderRequest, PlaceError, Refusal, Rounded, Subject, Trading, build, client_id,
    round,
};

/// An order list as the user asks for it: one [`OrderRequest`] per leg, in
/// [`ListKind::roles`] order. An OCO's legs share a side and a quantity,
/// as do an OTOCO's pending pair; the OPO kinds need no quantity on their
/// pending legs (the working order's is used for the checks, and nothing
/// is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// Which list.
    pub kind: ListKind,
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// The legs.
    pub legs: Vec<(LegRole, OrderRequest)>,
    /// Your id for the list; one is made up when `None`.
    pub list_client_order_id: Option<String>,
    /// Self-trade prevention for every leg.
    pub self_trade_prevention_mode: Option<StpMode>,
    /// Round every leg to the symbol's grid first.
    pub rounding: Option<Rounding>,
}

/// An order list checked and ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedList {
    /// Exactly what is sent, every id included.
    pub list: NewOrderList,
    /// The symbol's rules it was checked against.
    pub symbol: SymbolInfo,
    /// Numbers changed by rounding, by leg.
    pub rounded: Vec<(LegRole, Rounded)>,
    /// Why a check was skipped although it might have run.
    pub notes: Vec<String>,
}

impl PreparedList {
    /// The list's `listClientOrderId`.
    pub fn list_client_order_id(&self) -> &str {
        self.list.list_client_order_id.as_deref().unwrap_or("")
    }
}

/// A placed order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedList {
    /// The answer, or what the lookup found (then without reports).
    pub list: OrderList,
    /// How it is known.
    pub how: Confirmation,
}

/// An amendment made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendDone {
    /// The answer, or what the lookup found.
    pub amended: Amended,
    /// How it is known.
    pub how: Confirmation,
}

impl Trading {
    /// Builds, rounds and checks every leg of the list; nothing is sent.
    /// A leg that would be refused refuses the list
    /// ([`PlaceError::Refused`] with [`Refusal::leg`]).
    pub async fn prepare_list(&self, request: &ListRequest) -> Result<PreparedList, PlaceError> {
        let list_client_order_id = match &request.list_client_order_id {
            Some(id) => {
                client_id::check(id)?;
                id.clone()
            }
            None => client_id::generate(),
        };
        let roles = request.kind.roles();
        let given: Vec<LegRole> = request.legs.iter().map(|(role, _)| *role).collect();
        if given != roles {
            return Err(PlaceError::Failed(Error::invalid(format!(
                "an {} has the legs {roles:?}, not {given:?}",
                request.kind
            ))));
        }
        let rules = self.rules(&request.symbol, false).await?;
        let operation = match request.kind {
            ListKind::Oco => Operation::Oco,
            _ => Operation::Oto,
        };
        if let Err(failure) = preflight::check_operation(&rules.symbol, operation) {
            return Err(PlaceError::Refused(Refusal {
                failures: vec![failure],
                suggestion: None,
                server: None,
                leg: None,
            }));
        }
        let mut legs = Vec::with_capacity(request.legs.len());
        let mut rounded = Vec::new();
        for (role, leg) in &request.legs {
            let mut leg = leg.clone();
            leg.symbol.clone_from(&request.symbol);
            leg.rounding = request.rounding;
            let mut order = build(&leg)?;
            order.new_order_resp_type = None;
            order.self_trade_prevention_mode = request.self_trade_prevention_mode;
            if let Some(rounding) = request.rounding {
                rounded.extend(
                    round(&rules.symbol, &mut order, rounding)
                        .into_iter()
                        .map(|change| (*role, change)),
                );
            }
            legs.push((*role, order));
        }
        // The OPO kinds' pending legs trade what the working order fills:
        // checked at its quantity, sent without one.
        if request.kind.pending_quantity_from_fill() {
            let working = legs.first().and_then(|(_, order)| order.quantity);
            for (role, order) in &mut legs {
                if *role != LegRole::Working && order.quantity.is_none() {
                    order.quantity = working;
                }
            }
        }
        let first_side = legs.first().map(|(_, order)| order.side).ok_or_else(|| {
            PlaceError::Failed(Error::invalid("an order list needs its legs".to_owned()))
        })?;
        let (mut context, notes) = self.context(&rules, first_side).await?;
        // Each leg counts against the order-count filters with the legs
        // before it, as the list adds them all.
        for (role, order) in &legs {
            let report = preflight::check(&rules.symbol, order, &context);
            if !report.failures.is_empty() {
                return Err(PlaceError::Refused(Refusal {
                    suggestion: preflight::suggest(&rules.symbol, order, &context),
                    failures: report.failures,
                    server: None,
                    leg: Some(*role),
                }));
            }
            if let Some(counts) = &mut context.open_orders {
                count_one(counts, order);
            }
        }
        Ok(PreparedList {
            list: NewOrderList {
                kind: request.kind,
                symbol: request.symbol.clone(),
                legs,
                list_client_order_id: Some(list_client_order_id),
                self_trade_prevention_mode: request.self_trade_prevention_mode,
                // Binance's default for lists; the reports are not needed
                // to know the list was placed.
                new_order_resp_type: Some(ResponseType::Result),
            },
            symbol: rules.symbol,
            rounded,
            notes,
        })
    }

    /// Sends the prepared list once and reports what became of it, as
    /// [`Trading::place`] does for an order: an unknown outcome is looked
    /// up by the `listClientOrderId`, never sent again.
    pub async fn place_list(&self, prepared: &PreparedList) -> Result<PlacedList, PlaceError> {
        let sent_at = tokio::time::Instant::now();
        let sent_at_ms = self.ports.clock.now_ms();
        let error = match self.ports.orders.place_order_list(&prepared.list).await {
            Ok(list) => {
                return Ok(PlacedList {
                    list,
                    how: Confirmation::Answered,
                });
            }
            Err(error) => error,
        };
        if error.category() != Category::UnknownOutcome {
            return Err(PlaceError::Failed(error));
        }
        let id = prepared.list_client_order_id().to_owned();
        tracing::warn!(
            "{error}; the outcome of order list `{id}` is unknown: looking it up instead of sending it again"
        );
        let settle = self.config.recv_window + resolve::SETTLE_MARGIN;
        let what = format!("order list `{id}`");
        let find = || find_list(self, &id, sent_at_ms);
        match resolve::resolve_with(&what, sent_at, &self.config.resolve, settle, find).await {
            Resolution::Found(list) => Ok(PlacedList {
                list,
                how: Confirmation::LookedUp { after: error },
            }),
            Resolution::Absent => Err(PlaceError::NotPlaced {
                client_order_id: id,
                error,
                what: Subject::List,
            }),
            Resolution::Unknown(lookup) => Err(PlaceError::Unknown {
                client_order_id: id,
                error,
                lookup,
                what: Subject::List,
            }),
        }
    }

    /// An order list's state (`GET /api/v3/orderList`, weight 4).
    ///
    /// `orderList` takes no symbol (a list id is unique on the exchange),
    /// but a caller that names one expects the list to be on it: a list
    /// found on another symbol is refused, naming the symbol it is on,
    /// as `cancel_list` on the wrong symbol would find nothing.
    pub async fn list_status(
        &self,
        symbol: Option<&str>,
        list: &OrderListRef,
    ) -> Result<OrderList, Error> {
        let found = self.ports.orders.query_order_list(list).await?;
        match symbol {
            Some(symbol) if !found.symbol.eq_ignore_ascii_case(symbol) => {
                Err(Error::invalid_with_hint(
                    format!("{list} is on {}, not on {symbol}", found.symbol),
                    format!("ask for it on its own symbol, {}", found.symbol),
                ))
            }
            _ => Ok(found),
        }
    }

    /// Cancels every order of an order list.
    pub async fn cancel_list(&self, symbol: &str, list: &OrderListRef) -> Result<OrderList, Error> {
        self.ports.orders.cancel_order_list(symbol, list).await
    }

    /// The open order lists on every symbol (weight 6), on `symbol` when
    /// given, oldest first.
    pub async fn open_lists(&self, symbol: Option<&str>) -> Result<Vec<OrderList>, Error> {
        let lists = self.ports.account.open_order_lists().await?;
        Ok(sorted(lists, symbol))
    }

    /// Order lists of every status (`allOrderList`, weight 20) created from
    /// `since` on (at most a day later) or the latest 500, on `symbol` when
    /// given, oldest first.
    pub async fn list_history(
        &self,
        symbol: Option<&str>,
        since: Option<Millis>,
    ) -> Result<Vec<OrderList>, Error> {
        let lists = self.ports.account.all_order_lists(since, None).await?;
        Ok(sorted(lists, symbol))
    }

    /// Reduces an open order's quantity to `new_qty`, keeping its place in
    /// the queue (`order/amend/keepPriority`). Checked first: the symbol
    /// allows amendments, the order exists, `new_qty` is below its
    /// quantity and on the symbol's grid. Sent once; an unknown outcome is
    /// settled by looking for the order under the new client order id the
    /// amendment gives it.
    pub async fn amend(
        &self,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
    ) -> Result<AmendDone, PlaceError> {
        let rules = self.rules(symbol, false).await?;
        if let Err(failure) = preflight::check_operation(&rules.symbol, Operation::Amend) {
            return Err(PlaceError::Refused(Refusal {
                failures: vec![failure],
                suggestion: None,
                server: None,
                leg: None,
            }));
        }
        let current = self.ports.orders.query_order(symbol, order).await?;
        let remaining = current.orig_qty - current.executed_qty;
        if new_qty <= Decimal::ZERO || new_qty >= current.orig_qty {
            return Err(PlaceError::Failed(Error::invalid_with_hint(
                format!(
                    "the new quantity {new_qty} is not between 0 and the order's quantity {} (an amendment only reduces it; {remaining} is still open)",
                    current.orig_qty.normalize()
                ),
                "give a smaller quantity, or cancel the order and place a new one to grow it",
            )));
        }
        let mut reduced = NewOrder::limit(symbol, current.side, new_qty, current.price);
        reduced.order_type = current.order_type;
        let grid: Vec<_> = preflight::check(&rules.symbol, &reduced, &Default::default())
            .failures
            .into_iter()
            .filter(|failure| matches!(failure.check, Check::LotSize | Check::Precision))
            .filter(|failure| failure.field == preflight::Field::Quantity)
            .collect();
        if !grid.is_empty() {
            let mut suggestion = reduced.clone();
            suggestion.quantity = grid[0].suggestions.first().copied();
            return Err(PlaceError::Refused(Refusal {
                failures: grid,
                suggestion: Some(suggestion),
                server: None,
                leg: None,
            }));
        }
        let new_id = client_id::generate();
        let by_id = OrderRef::Id(current.order_id);
        let sent_at = tokio::time::Instant::now();
        let error = match self
            .ports
            .orders
            .amend_order(symbol, &by_id, new_qty, &new_id)
            .await
        {
            Ok(amended) => {
                return Ok(AmendDone {
                    amended,
                    how: Confirmation::Answered,
                });
            }
            Err(error) => error,
        };
        if error.category() != Category::UnknownOutcome {
            return Err(PlaceError::Failed(error));
        }
        tracing::warn!(
            "{error}; the outcome of the amendment of order {} is unknown: looking for it under its new client order id `{new_id}` instead of sending it again",
            current.order_id
        );
        let settle = self.config.recv_window + resolve::SETTLE_MARGIN;
        let what = format!("amendment `{new_id}`");
        let find = || async {
            let by_new = OrderRef::ClientId(new_id.clone());
            match self.ports.orders.query_order(symbol, &by_new).await {
                Ok(found) if found.order_id == current.order_id => Ok(Some(found)),
                Ok(_) => Ok(None),
                Err(error) if error.code() == Some(-2013) => Ok(None),
                Err(error) => Err(error),
            }
        };
        match resolve::resolve_with(&what, sent_at, &self.config.resolve, settle, find).await {
            Resolution::Found(found) => Ok(AmendDone {
                amended: amended_of(found, current.client_order_id.clone()),
                how: Confirmation::LookedUp { after: error },
            }),
            Resolution::Absent => Err(PlaceError::NotPlaced {
                client_order_id: new_id,
                error,
                what: Subject::Amendment,
            }),
            Resolution::Unknown(lookup) => Err(PlaceError::Unknown {
                client_order_id: new_id,
                error,
                lookup,
                what: Subject::Amendment,
            }),
        }
    }
}

/// One round of lookups for a list: `orderList` by its client id, then
/// `allOrderList` from shortly before the send. A list under the same id
/// from before the send is not ours.
async fn find_list(
    trading: &Trading,
    id: &str,
    sent_at_ms: Millis,
) -> Result<Option<OrderList>, Error> {
    let since = sent_at_ms.saturating_sub(CLOCK_MARGIN_MS);
    let is_ours = |list: &OrderList| {
        list.list_client_order_id == id
            && (list.transaction_time == 0 || list.transaction_time >= since)
    };
    let by_id = OrderListRef::ClientId(id.to_owned());
    match trading.ports.orders.query_order_list(&by_id).await {
        Ok(list) if is_ours(&list) => return Ok(Some(list)),
        Ok(_) => {}
        Err(error) if matches!(error.code(), Some(-2013 | -2011)) => {}
        Err(error) => return Err(error),
    }
    let recent = trading
        .ports
        .account
        .all_order_lists(Some(since), Some(1000))
        .await?;
    Ok(recent.into_iter().find(is_ours))
}

/// Counts `order` as one more open order.
fn count_one(counts: &mut OpenOrderCounts, order: &NewOrder) {
    let algo = order.order_type.is_algo();
    let iceberg = order.iceberg_qty.is_some_and(|qty| qty > Decimal::ZERO);
    counts.symbol_orders = counts.symbol_orders.saturating_add(1);
    counts.exchange_orders = counts.exchange_orders.saturating_add(1);
    if algo {
        counts.symbol_algo_orders = counts.symbol_algo_orders.saturating_add(1);
        counts.exchange_algo_orders = counts.exchange_algo_orders.saturating_add(1);
    }
    if iceberg {
        counts.symbol_iceberg_orders = counts.symbol_iceberg_orders.saturating_add(1);
        counts.exchange_iceberg_orders = counts.exchange_iceberg_orders.saturating_add(1);
    }
}

/// Lists on `symbol` (all when `None`), oldest first.
fn sorted(mut lists: Vec<OrderList>, symbol: Option<&str>) -> Vec<OrderList> {
    if let Some(symbol) = symbol {
        lists.retain(|list| list.symbol == symbol);
    }
    lists.sort_by_key(|list| (list.transaction_time, list.order_list_id));
    lists
}

/// An order found after an amendment whose answer was lost, as the answer.
fn amended_of(order: Order, orig_client_order_id: String) -> Amended {
    Amended {
        transact_time: order.update_time,
        execution_id: 0,
        amended_order: AmendedOrder {
            symbol: order.symbol,
            order_id: order.order_id,
            order_list_id: order.order_list_id,
            orig_client_order_id,
            client_order_id: order.client_order_id,
            price: order.price,
            qty: order.orig_qty,
            executed_qty: order.executed_qty,
            status: order.status,
            time_in_force: order.time_in_force,
            order_type: order.order_type,
            side: order.side,
        },
        list_status: None,
    }
}
