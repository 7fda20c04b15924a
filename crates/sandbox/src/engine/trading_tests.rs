//! Engine tests of stops, order lists, amendments and self-trade
//! prevention: without synthetic liquidity, so that the accounts' own
//! trades move the last price and nothing else does.

use proptest::prelude::*;

use super::tests::{T0, check_locked, d, engine, limit, totals};
use super::*;

fn last(engine: &Engine) -> Decimal {
    engine.last_price(0)
}

/// A price `ticks` dollars from the last price.
fn near(engine: &Engine, ticks: i64) -> Decimal {
    last(engine).round_dp(0) + Decimal::from(ticks)
}

fn stop(kind: OrderType, side: Side, stop_price: Decimal, qty: &str) -> NewOrder {
    let mut new = NewOrder::new("BTCUSDT", side, kind);
    new.quantity = Some(d(qty));
    new.stop_price = Some(stop_price);
    if kind.has_price() {
        new.price = Some(stop_price);
        new.time_in_force = TimeInForce::Gtc;
    }
    new
}

fn at(side: Side, price: Decimal, qty: &str) -> NewOrder {
    limit(side, &price.to_string(), qty, TimeInForce::Gtc)
}

/// Prints a trade between accounts 2 and 3 at `price`, moving the last
/// price there (and further if that triggers a stop).
fn trade_at(engine: &mut Engine, price: Decimal, now: i64) -> Vec<Event> {
    let mut events = engine
        .place(2, &at(Side::Buy, price, "0.001"), now)
        .unwrap()
        .events;
    let sell = engine
        .place(3, &at(Side::Sell, price, "0.001"), now)
        .unwrap();
    assert_eq!(sell.fills[0].price, price);
    events.extend(sell.events);
    events
}

/// The execution reports of `order_id` in `events`: (type, status, working).
fn reports(events: &[Event], order_id: u64) -> Vec<(&'static str, OrderStatus, bool)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Account(AccountEvent::Execution {
                execution_type,
                order,
                ..
            }) if order.order_id == order_id => Some((
                *execution_type,
                order.status,
                order.working_time != -1 && !order.awaits_trigger(),
            )),
            _ => None,
        })
        .collect()
}

fn list_statuses(events: &[Event]) -> Vec<(&'static str, &'static str)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Account(AccountEvent::ListStatus { list, .. }) => {
                Some((list.list_status_type, list.list_order_status))
            }
            _ => None,
        })
        .collect()
}

fn status(engine: &Engine, order_id: u64) -> OrderStatus {
    engine.order(order_id).unwrap().status
}

#[test]
fn a_stop_loss_waits_then_triggers_on_the_last_price_and_trades_as_market() {
    let mut engine = engine(false);
    let trigger = near(&engine, -500);
    let placed = engine
        .place(
            1,
            &stop(OrderType::StopLoss, Side::Sell, trigger, "0.1"),
            T0,
        )
        .unwrap();
    let id = placed.order.order_id;
    assert_eq!(
        reports(&placed.events, id),
        [("NEW", OrderStatus::New, false)]
    );
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("0.1"));
    // A bid to sell into, then a trade above the stop: nothing happens.
    engine
        .place(2, &at(Side::Buy, trigger - d("100"), "1"), T0)
        .unwrap();
    trade_at(&mut engine, trigger + d("1"), T0 + 1);
    assert_eq!(status(&engine, id), OrderStatus::New);
    // A trade at the stop price triggers it.
    let events = trade_at(&mut engine, trigger, T0 + 2);
    assert_eq!(
        reports(&events, id),
        [
            ("NEW", OrderStatus::New, true),
            ("TRADE", OrderStatus::Filled, true)
        ]
    );
    let order = engine.order(id).unwrap();
    assert_eq!((order.executed_qty, order.working_time), (d("0.1"), T0 + 2));
    check_locked(&engine);
}

#[track_caller]
fn check_would_trigger(kind: OrderType, side: Side, offset: i64, rejected: bool) {
    let mut engine = engine(false);
    let price = near(&engine, offset);
    let res = engine.place(1, &stop(kind, side, price, "0.01"), T0);
    match res {
        Ok(_) => assert!(!rejected, "{kind:?} {side:?} {offset} was accepted"),
        Err(err) => {
            assert!(rejected, "{kind:?} {side:?} {offset}: {err:?}");
            assert_eq!(
                (err.code, err.msg.as_str()),
                (-2010, "Order would trigger immediately.")
            );
        }
    }
}

#[test]
fn a_stop_already_met_would_trigger_immediately() {
    // rest-api.md § New order: above the market for STOP_LOSS BUY and
    // TAKE_PROFIT SELL, below it for STOP_LOSS SELL and TAKE_PROFIT BUY.
    use OrderType::*;
    check_would_trigger(StopLoss, Side::Buy, 100, false);
    check_would_trigger(StopLoss, Side::Buy, -100, true);
    check_would_trigger(StopLossLimit, Side::Sell, -100, false);
    check_would_trigger(StopLossLimit, Side::Sell, 100, true);
    check_would_trigger(TakeProfit, Side::Sell, 100, false);
    check_would_trigger(TakeProfit, Side::Sell, -100, true);
    check_would_trigger(TakeProfitLimit, Side::Buy, -100, false);
    check_would_trigger(TakeProfitLimit, Side::Buy, 100, true);
}

#[test]
fn a_trailing_stop_follows_the_high_and_triggers_on_the_pullback() {
    let mut engine = engine(false);
    let start = near(&engine, 0);
    let mut new = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
    new.quantity = Some(d("0.01"));
    new.trailing_delta = Some(100); // 1 %
    let id = engine.place(1, &new, T0).unwrap().order.order_id;
    assert_eq!(engine.order(id).unwrap().trailing_time, T0);
    engine
        .place(2, &at(Side::Buy, start - d("5000"), "1"), T0)
        .unwrap();
    // Up 2 %: the high moves, no trigger; down 0.5 % from it: none either.
    let high = (start * d("1.02")).round_dp(0);
    trade_at(&mut engine, high, T0 + 1);
    trade_at(&mut engine, (high * d("0.995")).round_dp(0), T0 + 2);
    assert_eq!(status(&engine, id), OrderStatus::New);
    assert_eq!(engine.order(id).unwrap().trail_extreme, Some(high));
    // 1 % below the high: it triggers.
    trade_at(&mut engine, (high * d("0.99")).round_dp(0) - d("1"), T0 + 3);
    assert_eq!(status(&engine, id), OrderStatus::Filled);
    check_locked(&engine);
}

#[test]
fn trailing_delta_outside_the_filter_is_refused() {
    let engine = engine(false);
    let mut new = NewOrder::new("BTCUSDT", Side::Sell, OrderType::TakeProfit);
    new.quantity = Some(d("0.01"));
    for (delta, ok) in [(9, false), (10, true), (2000, true), (2001, false)] {
        new.trailing_delta = Some(delta);
        let res = engine.validate(&new, T0);
        assert_eq!(res.is_ok(), ok, "{delta}: {res:?}");
        if let Err(err) = res {
            assert_eq!(err.msg, "Filter failure: TRAILING_DELTA");
        }
    }
}

#[test]
fn more_than_five_algo_orders_fail_max_num_algo_orders() {
    let mut engine = engine(false);
    let price = near(&engine, -1000);
    for _ in 0..MAX_NUM_ALGO_ORDERS {
        engine
            .place(1, &stop(OrderType::StopLoss, Side::Sell, price, "0.01"), T0)
            .unwrap();
    }
    let err = engine
        .place(1, &stop(OrderType::StopLoss, Side::Sell, price, "0.01"), T0)
        .unwrap_err();
    assert_eq!(err.msg, "Filter failure: MAX_NUM_ALGO_ORDERS");
}

fn oco_sell(engine: &Engine, qty: &str) -> NewList {
    let mut above = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
    above.quantity = Some(d(qty));
    above.price = Some(near(engine, 1000));
    let below = stop(OrderType::StopLoss, Side::Sell, near(engine, -1000), qty);
    NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Oco { below, above },
        legacy: false,
    }
}

#[test]
fn an_oco_locks_once_and_its_stop_leg_expires_when_the_limit_leg_fills() {
    let mut engine = engine(false);
    // Account 1 has 10 BTC: an OCO for all of it is fine.
    let placed = engine.place_list(1, &oco_sell(&engine, "10"), T0).unwrap();
    let [stop_id, limit_id] = [placed.orders[0].order_id, placed.orders[1].order_id];
    assert_eq!(
        list_statuses(&placed.events),
        [("EXEC_STARTED", "EXECUTING")]
    );
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("10"));
    check_locked(&engine);
    // Account 2 buys part of the limit leg.
    let price = engine.order(limit_id).unwrap().price;
    let events = engine
        .place(2, &at(Side::Buy, price, "4"), T0 + 1)
        .unwrap()
        .events;
    assert_eq!(
        reports(&events, stop_id),
        [("EXPIRED", OrderStatus::Expired, false)]
    );
    assert_eq!(
        engine.order(stop_id).unwrap().expiry_reason,
        Some(ExpiryReason::OcoTrigger)
    );
    assert_eq!(status(&engine, limit_id), OrderStatus::PartiallyFilled);
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("6"));
    check_locked(&engine);
    let events = engine
        .place(2, &at(Side::Buy, price, "6"), T0 + 2)
        .unwrap()
        .events;
    assert_eq!(status(&engine, limit_id), OrderStatus::Filled);
    assert_eq!(list_statuses(&events), [("ALL_DONE", "ALL_DONE")]);
    check_locked(&engine);
}

#[test]
fn an_oco_stop_leg_that_triggers_takes_the_limit_leg_off_the_book() {
    let mut engine = engine(false);
    let list = oco_sell(&engine, "1");
    let placed = engine.place_list(1, &list, T0).unwrap();
    let [stop_id, limit_id] = [placed.orders[0].order_id, placed.orders[1].order_id];
    let trigger = engine.order(stop_id).unwrap().stop_price.unwrap();
    engine
        .place(2, &at(Side::Buy, trigger - d("10"), "2"), T0)
        .unwrap();
    let events = trade_at(&mut engine, trigger, T0 + 1);
    assert_eq!(
        reports(&events, limit_id),
        [("EXPIRED", OrderStatus::Expired, true)]
    );
    assert_eq!(status(&engine, stop_id), OrderStatus::Filled);
    let (_, _, asks) = engine.depth("BTCUSDT", 10).unwrap();
    assert!(asks.is_empty(), "{asks:?}");
    assert_eq!(list_statuses(&events), [("ALL_DONE", "ALL_DONE")]);
    check_locked(&engine);
}

#[track_caller]
fn check_oco_refused(side: Side, above: (OrderType, i64), below: (OrderType, i64), code: i64) {
    let mut engine = engine(false);
    let leg = |(kind, offset): (OrderType, i64)| {
        let price = near(&engine, offset);
        let mut new = stop(kind, side, price, "0.1");
        if kind == OrderType::LimitMaker {
            new.stop_price = None;
        }
        new
    };
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Oco {
            below: leg(below),
            above: leg(above),
        },
        legacy: false,
    };
    let err = engine.place_list(1, &list, T0).unwrap_err();
    assert_eq!(err.code, code, "{err:?}");
    check_locked(&engine);
}

#[test]
fn oco_price_rules_have_their_codes() {
    use OrderType::*;
    // errors.md -1165, -1166, -1196..-1199, -1158.
    check_oco_refused(Side::Sell, (LimitMaker, -10), (StopLoss, -100), -1166);
    check_oco_refused(Side::Sell, (TakeProfit, -10), (StopLoss, -100), -1199);
    check_oco_refused(Side::Sell, (LimitMaker, 100), (StopLoss, 10), -1197);
    check_oco_refused(Side::Buy, (StopLoss, -10), (LimitMaker, -100), -1196);
    check_oco_refused(Side::Buy, (StopLoss, 100), (LimitMaker, 10), -1165);
    check_oco_refused(Side::Buy, (StopLoss, 100), (TakeProfit, 10), -1198);
    check_oco_refused(Side::Sell, (LimitMaker, 100), (TakeProfit, -100), -1158);
}

#[test]
fn an_oto_places_its_pending_order_once_the_working_order_fills() {
    let mut engine = engine(false);
    let buy_at = near(&engine, -100);
    let working = at(Side::Buy, buy_at, "0.5");
    let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
    pending.quantity = Some(d("0.5"));
    pending.price = Some(near(&engine, 500));
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: Some("myOto".to_owned()),
        kind: ListKind::Oto {
            working,
            pending,
            opo: false,
        },
        legacy: false,
    };
    let placed = engine.place_list(1, &list, T0).unwrap();
    let [working_id, pending_id] = [placed.orders[0].order_id, placed.orders[1].order_id];
    assert_eq!(placed.orders[1].status, OrderStatus::PendingNew);
    assert_eq!(placed.list.list_client_order_id, "myOto");
    // Pending orders hold nothing yet.
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("0"));
    let events = engine
        .place(2, &at(Side::Sell, buy_at, "0.5"), T0 + 1)
        .unwrap()
        .events;
    assert_eq!(status(&engine, working_id), OrderStatus::Filled);
    assert_eq!(
        reports(&events, pending_id),
        [("NEW", OrderStatus::New, false)]
    );
    assert_eq!(status(&engine, pending_id), OrderStatus::New);
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("0.5"));
    check_locked(&engine);
    // Canceling the pending order ends the list.
    let canceled = engine.cancel(1, pending_id, T0 + 2).unwrap();
    assert_eq!(list_statuses(&canceled.events), [("ALL_DONE", "ALL_DONE")]);
    check_locked(&engine);
}

#[test]
fn canceling_an_oto_working_order_cancels_the_pending_one() {
    let mut engine = engine(false);
    let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::Market);
    pending.quantity = Some(d("0.5"));
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Oto {
            working: at(Side::Buy, near(&engine, -100), "0.5"),
            pending,
            opo: false,
        },
        legacy: false,
    };
    let placed = engine.place_list(1, &list, T0).unwrap();
    let list_id = placed.list.order_list_id;
    let canceled = engine.cancel_list(1, list_id, T0 + 1).unwrap();
    let statuses: Vec<OrderStatus> = canceled.orders.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [OrderStatus::Canceled, OrderStatus::Canceled]);
    assert!(!engine.order_list(list_id).unwrap().is_open());
    assert_eq!(
        engine.cancel_list(1, list_id, T0 + 2).unwrap_err().code,
        -2011
    );
    check_locked(&engine);
}

#[test]
fn an_otoco_arms_its_pair_when_the_working_order_fills() {
    let mut engine = engine(false);
    let buy_at = near(&engine, 0);
    let mut above = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
    above.quantity = Some(d("1"));
    above.price = Some(near(&engine, 1000));
    let below = stop(OrderType::StopLoss, Side::Sell, near(&engine, -1000), "1");
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Otoco {
            working: at(Side::Buy, buy_at, "1"),
            below,
            above,
            opo: false,
        },
        legacy: false,
    };
    let placed = engine.place_list(1, &list, T0).unwrap();
    let ids: Vec<u64> = placed.orders.iter().map(|o| o.order_id).collect();
    engine
        .place(2, &at(Side::Sell, buy_at, "1"), T0 + 1)
        .unwrap();
    assert_eq!(status(&engine, ids[1]), OrderStatus::New);
    assert_eq!(status(&engine, ids[2]), OrderStatus::New);
    // The pair holds 1 BTC once, for both legs.
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("1"));
    check_locked(&engine);
    let limit_price = engine.order(ids[2]).unwrap().price;
    engine
        .place(3, &at(Side::Buy, limit_price, "1"), T0 + 2)
        .unwrap();
    assert_eq!(status(&engine, ids[2]), OrderStatus::Filled);
    assert_eq!(status(&engine, ids[1]), OrderStatus::Expired);
    assert!(
        !engine
            .order_list(placed.list.order_list_id)
            .unwrap()
            .is_open()
    );
    check_locked(&engine);
}

#[test]
fn an_amended_order_keeps_its_place_in_the_queue() {
    let mut engine = engine(false);
    let price = near(&engine, 100);
    let first = engine
        .place(1, &at(Side::Sell, price, "1"), T0)
        .unwrap()
        .order;
    let second = engine
        .place(2, &at(Side::Sell, price, "1"), T0)
        .unwrap()
        .order;
    let amended = engine
        .amend(1, first.order_id, d("0.4"), None, T0 + 1)
        .unwrap();
    assert_eq!(
        reports(&amended.events, first.order_id),
        [("REPLACED", OrderStatus::New, true)]
    );
    assert_ne!(amended.order.client_order_id, first.client_order_id);
    assert_eq!(engine.account(1).unwrap().balances["BTC"].locked, d("0.4"));
    let taker = engine
        .place(3, &at(Side::Buy, price, "0.5"), T0 + 2)
        .unwrap();
    assert_eq!(status(&engine, first.order_id), OrderStatus::Filled);
    assert_eq!(
        engine.order(second.order_id).unwrap().executed_qty,
        d("0.1")
    );
    assert_eq!(taker.fills.len(), 2);
    let amendment = &engine.order(first.order_id).unwrap().amendments[0];
    assert_eq!(
        (
            amendment.orig_qty,
            amendment.new_qty,
            amendment.execution_id
        ),
        (d("1"), d("0.4"), amended.execution_id)
    );
    check_locked(&engine);
}

#[track_caller]
fn check_amend_refused(new_qty: &str, code: i64, msg: &str) {
    let mut engine = engine(false);
    let order = engine
        .place(1, &at(Side::Sell, near(&engine, 100), "1"), T0)
        .unwrap()
        .order;
    let err = engine
        .amend(1, order.order_id, d(new_qty), None, T0)
        .unwrap_err();
    assert_eq!((err.code, err.msg.as_str()), (code, msg));
}

#[test]
fn an_amendment_only_lowers_the_quantity() {
    check_amend_refused(
        "1",
        -2038,
        "The requested action would change no state; rejecting",
    );
    check_amend_refused(
        "2",
        -2038,
        "Order amend (quantity increase) is not supported.",
    );
    check_amend_refused("0.0000001", -1013, "Filter failure: LOT_SIZE");
}

#[test]
fn an_amendment_to_what_is_filled_expires_the_order() {
    let mut engine = engine(false);
    let price = near(&engine, 100);
    let order = engine
        .place(1, &at(Side::Sell, price, "1"), T0)
        .unwrap()
        .order;
    engine.place(2, &at(Side::Buy, price, "0.3"), T0).unwrap();
    let amended = engine
        .amend(1, order.order_id, d("0.3"), None, T0 + 1)
        .unwrap();
    assert_eq!(amended.order.status, OrderStatus::Expired);
    check_locked(&engine);
}

/// Account 1 rests a 1 BTC ask, then buys `taker_qty` against it with
/// `mode`: the statuses of (maker, taker) and what the maker lost.
fn self_trade(mode: StpMode, taker_qty: &str) -> (OrderStatus, OrderStatus, Decimal, Engine) {
    let mut engine = engine(false);
    let price = near(&engine, 100);
    let maker = engine
        .place(1, &at(Side::Sell, price, "1"), T0)
        .unwrap()
        .order;
    let mut buy = at(Side::Buy, price, taker_qty);
    buy.stp_mode = mode;
    let taker = engine.place(1, &buy, T0 + 1).unwrap().order;
    let maker = engine.order(maker.order_id).unwrap().clone();
    check_locked(&engine);
    (maker.status, taker.status, maker.prevented_qty, engine)
}

#[test]
fn self_trade_prevention_modes() {
    use OrderStatus::*;
    let cases = [
        (StpMode::None, "0.5", (PartiallyFilled, Filled, d("0"))),
        (StpMode::ExpireTaker, "0.5", (New, ExpiredInMatch, d("0"))),
        (StpMode::ExpireMaker, "0.5", (ExpiredInMatch, New, d("1"))),
        (
            StpMode::ExpireBoth,
            "0.5",
            (ExpiredInMatch, ExpiredInMatch, d("1")),
        ),
        (StpMode::Decrement, "0.5", (New, ExpiredInMatch, d("0.5"))),
        (StpMode::Decrement, "1.5", (ExpiredInMatch, New, d("1"))),
        (
            StpMode::Transfer,
            "1",
            (ExpiredInMatch, ExpiredInMatch, d("1")),
        ),
    ];
    for (mode, qty, expected) in cases {
        let (maker, taker, prevented, engine) = self_trade(mode, qty);
        assert_eq!((maker, taker, prevented), expected, "{mode:?} {qty}");
        let matches = engine.prevented_matches(1, "BTCUSDT");
        assert_eq!(
            matches.len(),
            usize::from(mode != StpMode::None),
            "{mode:?}"
        );
        if let Some(m) = matches.first() {
            assert_eq!((m.mode, m.maker_prevented_qty), (mode, prevented));
        }
        assert!(engine.account(1).unwrap().trades.is_empty() || mode == StpMode::None);
    }
}

#[test]
fn a_prevented_match_reports_trade_prevention_to_both_orders() {
    let mut engine = engine(false);
    let price = near(&engine, 100);
    let maker = engine
        .place(1, &at(Side::Sell, price, "1"), T0)
        .unwrap()
        .order;
    let mut buy = at(Side::Buy, price, "0.5");
    buy.stp_mode = StpMode::ExpireBoth;
    let placed = engine.place(1, &buy, T0 + 1).unwrap();
    assert_eq!(
        reports(&placed.events, maker.order_id),
        [("TRADE_PREVENTION", OrderStatus::ExpiredInMatch, true)]
    );
    assert_eq!(
        reports(&placed.events, placed.order.order_id),
        [
            ("NEW", OrderStatus::New, false),
            ("TRADE_PREVENTION", OrderStatus::ExpiredInMatch, false)
        ]
    );
}

#[test]
fn an_oto_whose_working_order_expires_expires_its_pending_order() {
    let mut engine = engine(false);
    // An IOC working order with nothing to trade against expires at once.
    let working = limit(
        Side::Buy,
        &near(&engine, -100).to_string(),
        "0.5",
        TimeInForce::Ioc,
    );
    let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::Market);
    pending.quantity = Some(d("0.5"));
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Oto {
            working,
            pending,
            opo: false,
        },
        legacy: false,
    };
    let placed = engine.place_list(1, &list, T0).unwrap();
    let pending_id = placed.orders[1].order_id;
    let pending = engine.order(pending_id).unwrap();
    assert_eq!(
        (pending.status, pending.expiry_reason),
        (OrderStatus::Expired, Some(ExpiryReason::OtoPhaseOneExpired))
    );
    assert_eq!(
        list_statuses(&placed.events),
        [("EXEC_STARTED", "EXECUTING"), ("ALL_DONE", "ALL_DONE")]
    );
    check_locked(&engine);
}

#[test]
fn the_deprecated_oco_answers_the_relationship_error() {
    let mut engine = engine(false);
    let mut list = oco_sell(&engine, "0.1");
    list.legacy = true;
    if let ListKind::Oco { above, .. } = &mut list.kind {
        above.price = Some(near(&engine, -1));
    }
    let err = engine.place_list(1, &list, T0).unwrap_err();
    assert_eq!(
        (err.code, err.msg.as_str()),
        (
            -2010,
            "The relationship of the prices for the orders is not correct."
        )
    );
}

#[test]
fn a_market_buy_stop_without_the_balance_at_its_trigger_expires_rejected() {
    let mut engine = engine(false);
    let trigger = near(&engine, 500);
    // Account 1 has 1,000,000 USDT: 11 BTC at ~97,500 costs more.
    let mut new = stop(OrderType::StopLoss, Side::Buy, trigger, "11");
    new.price = None;
    let id = engine.place(1, &new, T0).unwrap().order.order_id;
    assert_eq!(engine.account(1).unwrap().balances["USDT"].locked, d("0"));
    for uid in [2, 3] {
        engine
            .place(uid, &at(Side::Sell, trigger + d("10"), "9.9"), T0)
            .unwrap();
    }
    trade_at(&mut engine, trigger, T0 + 1);
    let order = engine.order(id).unwrap();
    assert_eq!(
        (order.status, order.expiry_reason),
        (OrderStatus::Expired, Some(ExpiryReason::Rejected))
    );
    check_locked(&engine);
}

#[test]
fn a_trailing_stop_with_a_stop_price_tracks_only_once_the_stop_is_met() {
    let mut engine = engine(false);
    let activation = near(&engine, 1000);
    // A take-profit sell: tracking starts at the activation price.
    let mut new = stop(OrderType::TakeProfit, Side::Sell, activation, "0.01");
    new.price = None;
    new.trailing_delta = Some(50);
    let id = engine.place(1, &new, T0).unwrap().order.order_id;
    assert_eq!(engine.order(id).unwrap().trailing_time, -1);
    engine
        .place(2, &at(Side::Buy, activation - d("5000"), "1"), T0)
        .unwrap();
    trade_at(&mut engine, activation + d("100"), T0 + 1);
    let order = engine.order(id).unwrap();
    assert_eq!(
        (order.trailing_time, order.trail_extreme, order.status),
        (T0 + 1, Some(activation + d("100")), OrderStatus::New)
    );
    // 0.5 % under the highest price since: it triggers.
    let high = activation + d("100");
    trade_at(
        &mut engine,
        (high * d("0.995")).round_dp(0) - d("1"),
        T0 + 2,
    );
    assert_eq!(status(&engine, id), OrderStatus::Filled);
}

#[test]
fn more_than_twenty_open_lists_fail_max_num_order_lists() {
    let mut engine = engine(false);
    for _ in 0..MAX_NUM_ORDER_LISTS {
        let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::Market);
        pending.quantity = Some(d("0.001"));
        let list = NewList {
            symbol: "BTCUSDT".to_owned(),
            list_client_order_id: None,
            kind: ListKind::Oto {
                working: at(Side::Buy, near(&engine, -1000), "0.001"),
                pending,
                opo: false,
            },
            legacy: false,
        };
        engine.place_list(1, &list, T0).unwrap();
    }
    let err = engine
        .place_list(1, &oco_sell(&engine, "0.1"), T0)
        .unwrap_err();
    assert_eq!(err.msg, "Filter failure: MAX_NUM_ORDER_LISTS");
}

#[test]
fn amending_a_list_order_answers_its_list() {
    let mut engine = engine(false);
    let placed = engine.place_list(1, &oco_sell(&engine, "1"), T0).unwrap();
    let limit_id = placed.orders[1].order_id;
    let amended = engine
        .amend(1, limit_id, d("0.5"), Some("smaller".to_owned()), T0 + 1)
        .unwrap();
    let list = amended.list.unwrap();
    assert_eq!(list.order_list_id, placed.list.order_list_id);
    assert_eq!(engine.list_client_ids(&list)[1], "smaller");
    check_locked(&engine);
}

#[derive(Debug, Clone)]
enum Op {
    Limit {
        uid: u64,
        buy: bool,
        offset: i64,
        qty: i64,
        stp: usize,
    },
    Stop {
        uid: u64,
        buy: bool,
        kind: usize,
        offset: i64,
        qty: i64,
        trailing: bool,
    },
    Oco {
        uid: u64,
        buy: bool,
        gap: i64,
        qty: i64,
    },
    Oto {
        uid: u64,
        buy: bool,
        offset: i64,
        qty: i64,
        /// One pays the other: a buy, its pending sell sized by the fills.
        opo: bool,
    },
    Amend {
        pick: usize,
        qty: i64,
    },
    Cancel {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1..=3_u64, any::<bool>(), -30..=30_i64, 1..=200_i64, 0..6_usize).prop_map(
            |(uid, buy, offset, qty, stp)| Op::Limit { uid, buy, offset, qty, stp }
        ),
        2 => (1..=3_u64, any::<bool>(), 0..4_usize, -30..=30_i64, 1..=200_i64, any::<bool>()).prop_map(
            |(uid, buy, kind, offset, qty, trailing)| Op::Stop { uid, buy, kind, offset, qty, trailing }
        ),
        2 => (1..=3_u64, any::<bool>(), 1..=30_i64, 1..=200_i64).prop_map(
            |(uid, buy, gap, qty)| Op::Oco { uid, buy, gap, qty }
        ),
        1 => (1..=3_u64, any::<bool>(), -10..=10_i64, 1..=200_i64, any::<bool>()).prop_map(
            |(uid, buy, offset, qty, opo)| Op::Oto { uid, buy, offset, qty, opo }
        ),
        1 => (0..64_usize, 1..=200_i64).prop_map(|(pick, qty)| Op::Amend { pick, qty }),
        1 => (0..64_usize).prop_map(|pick| Op::Cancel { pick }),
    ]
}

fn side(buy: bool) -> Side {
    if buy { Side::Buy } else { Side::Sell }
}

fn run(engine: &mut Engine, op: Op, now: i64) {
    let qty_of = |qty: i64| Decimal::from(qty) * d("0.001");
    let base = last(engine).round_dp(0);
    let price_of = |offset: i64| base + Decimal::from(offset * 10);
    let _ = match op {
        Op::Limit {
            uid,
            buy,
            offset,
            qty,
            stp,
        } => {
            let mut new = at(side(buy), price_of(offset), "1");
            new.quantity = Some(qty_of(qty));
            new.stp_mode = StpMode::ALL[stp];
            engine.place(uid, &new, now).map(|_| ())
        }
        Op::Stop {
            uid,
            buy,
            kind,
            offset,
            qty,
            trailing,
        } => {
            let kind = [
                OrderType::StopLoss,
                OrderType::StopLossLimit,
                OrderType::TakeProfit,
                OrderType::TakeProfitLimit,
            ][kind];
            let mut new = stop(kind, side(buy), price_of(offset), "1");
            new.quantity = Some(qty_of(qty));
            if trailing {
                new.trailing_delta = Some(10);
                new.stop_price = None;
            }
            engine.place(uid, &new, now).map(|_| ())
        }
        Op::Oco { uid, buy, gap, qty } => {
            let (limit_offset, stop_offset) = if buy { (-gap, gap) } else { (gap, -gap) };
            let mut limit_leg = NewOrder::new("BTCUSDT", side(buy), OrderType::LimitMaker);
            limit_leg.quantity = Some(qty_of(qty));
            limit_leg.price = Some(price_of(limit_offset));
            let mut stop_leg = stop(OrderType::StopLoss, side(buy), price_of(stop_offset), "1");
            stop_leg.quantity = Some(qty_of(qty));
            let (below, above) = if buy {
                (limit_leg, stop_leg)
            } else {
                (stop_leg, limit_leg)
            };
            let list = NewList {
                symbol: "BTCUSDT".to_owned(),
                list_client_order_id: None,
                kind: ListKind::Oco { below, above },
                legacy: false,
            };
            engine.place_list(uid, &list, now).map(|_| ())
        }
        Op::Oto {
            uid,
            buy,
            offset,
            qty,
            opo,
        } => {
            let buy = buy || opo;
            let mut working = at(side(buy), price_of(offset), "1");
            working.quantity = Some(qty_of(qty));
            let mut pending = NewOrder::new("BTCUSDT", side(!buy), OrderType::Market);
            pending.quantity = (!opo).then(|| qty_of(qty));
            let list = NewList {
                symbol: "BTCUSDT".to_owned(),
                list_client_order_id: None,
                kind: ListKind::Oto {
                    working,
                    pending,
                    opo,
                },
                legacy: false,
            };
            engine.place_list(uid, &list, now).map(|_| ())
        }
        Op::Amend { pick, qty } => {
            let open = open_orders(engine);
            match open.get(pick % open.len().max(1)) {
                Some((uid, id)) => engine.amend(*uid, *id, qty_of(qty), None, now).map(|_| ()),
                None => Ok(()),
            }
        }
        Op::Cancel { pick } => {
            let open = open_orders(engine);
            match open.get(pick % open.len().max(1)) {
                Some((uid, id)) => engine.cancel(*uid, *id, now).map(|_| ()),
                None => Ok(()),
            }
        }
    };
}

fn open_orders(engine: &Engine) -> Vec<(u64, u64)> {
    (1..=3)
        .flat_map(|uid| engine.account_orders(uid, None))
        .filter(|o| o.status.is_open())
        .map(|o| (o.uid, o.order_id))
        .collect()
}

/// What must hold after every operation.
fn check_invariants(
    engine: &Engine,
    before: &BTreeMap<String, Decimal>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(&totals(engine), before);
    check_locked(engine);
    for uid in 1..=3 {
        for order in engine.account_orders(uid, None) {
            // Never both open and filled; never more traded than ordered.
            prop_assert!(order.remaining() >= Decimal::ZERO, "{:?}", order);
            // (An OPO's pending order has no quantity until it starts.)
            let not_sized_yet = order.status == OrderStatus::PendingNew && order.orig_qty.is_zero();
            if order.status.is_open() && !not_sized_yet {
                prop_assert!(order.remaining() > Decimal::ZERO, "{:?}", order);
            }
            if order.status == OrderStatus::Filled {
                prop_assert_eq!(order.executed_qty, order.orig_qty - order.prevented_qty);
            }
        }
        for list in engine.account_lists(uid) {
            if list.contingency_type == "OCO" {
                let traded = list
                    .order_ids
                    .iter()
                    .filter(|id| {
                        engine
                            .order(**id)
                            .is_some_and(|o| !o.executed_qty.is_zero())
                    })
                    .count();
                prop_assert!(traded <= 1, "both legs of {:?} traded", list);
            }
            let open = list
                .order_ids
                .iter()
                .any(|id| engine.order(*id).is_some_and(|o| o.status.is_open()));
            prop_assert_eq!(open, list.is_open(), "{:?}", list);
        }
    }
    let (_, bids, asks) = engine.depth("BTCUSDT", 1).unwrap();
    if let (Some(bid), Some(ask)) = (bids.first(), asks.first()) {
        prop_assert!(bid.0 < ask.0, "crossed book {:?} {:?}", bid, ask);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stops_lists_amendments_and_stp_keep_the_books(ops in prop::collection::vec(op(), 1..80)) {
        let mut engine = engine(false);
        let before = totals(&engine);
        for (step, op) in ops.into_iter().enumerate() {
            run(&mut engine, op, T0 + step as i64);
            check_invariants(&engine, &before)?;
        }
    }

    #[test]
    fn with_the_walk_and_the_house_too(
        ops in prop::collection::vec(op(), 1..40),
        seconds in prop::collection::vec(0..20_i64, 40),
    ) {
        let mut engine = super::tests::engine(true);
        let before = totals(&engine);
        let mut now = T0;
        for (op, step) in ops.into_iter().zip(seconds) {
            now += step * 1000;
            engine.advance(now);
            run(&mut engine, op, now);
            check_invariants(&engine, &before)?;
        }
    }
}

#[test]
fn a_triggered_stop_is_held_to_the_price_range() {
    // The PRICE_RANGE rule applies when a stop's taker phase starts, at
    // its trigger: a resting sell at 2.5 times the reference price is out
    // of reach of the triggered market buy, which fills what is in range
    // and expires.
    let mut engine = engine(false);
    let reference = engine.reference_price("BTCUSDT", T0).unwrap().unwrap();
    let times = |factor: &str| crate::market::round_to_step(reference * d(factor), d("0.01"));
    engine
        .place(1, &at(Side::Sell, times("1.2"), "0.1"), T0)
        .unwrap();
    engine
        .place(1, &at(Side::Sell, times("1.5"), "0.5"), T0)
        .unwrap();
    engine
        .place(1, &at(Side::Sell, times("2.5"), "0.5"), T0)
        .unwrap();
    let placed = engine
        .place(
            2,
            &stop(OrderType::StopLoss, Side::Buy, times("1.1"), "1"),
            T0,
        )
        .unwrap();
    let id = placed.order.order_id;
    // A buy of the 1.2× offer prints a trade above the stop price.
    let mut buy = NewOrder::new("BTCUSDT", Side::Buy, OrderType::Market);
    buy.quantity = Some(d("0.1"));
    let events = engine.place(3, &buy, T0 + 1).unwrap().events;
    assert_eq!(
        reports(&events, id),
        [
            ("NEW", OrderStatus::New, true),
            ("TRADE", OrderStatus::PartiallyFilled, true),
            ("EXPIRED", OrderStatus::Expired, true)
        ]
    );
    let order = engine.order(id).unwrap();
    assert_eq!(order.executed_qty, d("0.5"));
    assert_eq!(order.expiry_reason, Some(ExpiryReason::PriceRangeExceeded));
    check_locked(&engine);
}

/// An OPO of account 1 on BTCUSDT: a working `LIMIT` buy of `qty` at
/// `price`, and a pending `LIMIT` sell (no quantity) at `sell_at`.
fn opo(price: Decimal, qty: &str, sell_at: Decimal) -> NewList {
    let mut pending = NewOrder::new("BTCUSDT", Side::Sell, OrderType::Limit);
    pending.price = Some(sell_at);
    NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Oto {
            working: at(Side::Buy, price, qty),
            pending,
            opo: true,
        },
        legacy: false,
    }
}

#[test]
fn an_opo_sells_what_its_working_order_bought() {
    // faqs/opo.md: the pending order has no quantity; it sells what the
    // working order received (net of commission, rounded down to the
    // step), which stays locked until then.
    let mut engine = engine(false);
    let price = near(&engine, -100);
    let placed = engine
        .place_list(1, &opo(price, "0.5", near(&engine, 100)), T0)
        .unwrap();
    let (working_id, pending_id) = (placed.orders[0].order_id, placed.orders[1].order_id);
    assert_eq!(placed.list.contingency_type, "OTO");
    assert_eq!(
        (placed.orders[1].status, placed.orders[1].orig_qty),
        (OrderStatus::PendingNew, d("0"))
    );
    let btc = |engine: &Engine| engine.account(1).unwrap().balances["BTC"];
    let before = btc(&engine);
    // Half fills (maker commission 0.1 %): 0.2498 BTC received, locked.
    engine
        .place(3, &at(Side::Sell, price, "0.25"), T0 + 1)
        .unwrap();
    assert_eq!(btc(&engine).free, before.free);
    assert_eq!(btc(&engine).locked, before.locked + d("0.24975"));
    check_locked(&engine);
    assert_eq!(status(&engine, pending_id), OrderStatus::PendingNew);
    let err = engine
        .amend(1, pending_id, d("0.1"), None, T0 + 1)
        .unwrap_err();
    assert_eq!(
        (err.code, err.msg.as_str()),
        (-2038, "Order amend (pending OPO order) is not supported.")
    );
    // The rest fills: the pending sell rests for 2 × 0.24975 = 0.4995.
    let events = engine
        .place(3, &at(Side::Sell, price, "0.25"), T0 + 2)
        .unwrap()
        .events;
    assert_eq!(status(&engine, working_id), OrderStatus::Filled);
    // Its NEW report comes as it starts, before it rests (as for an OTO).
    assert_eq!(
        reports(&events, pending_id),
        [("NEW", OrderStatus::New, false)]
    );
    let pending = engine.order(pending_id).unwrap();
    assert_eq!(pending.working_time, T0 + 2);
    assert_eq!(
        (pending.orig_qty, pending.locked),
        (d("0.4995"), d("0.4995"))
    );
    assert_eq!(btc(&engine).free, before.free);
    assert!(
        engine
            .order_list(placed.list.order_list_id)
            .unwrap()
            .opo_lock
            .is_none()
    );
    check_locked(&engine);
}

#[test]
fn an_opo_canceled_before_its_pending_order_starts_releases_what_it_bought() {
    let mut engine = engine(false);
    let price = near(&engine, -100);
    let placed = engine
        .place_list(1, &opo(price, "0.5", near(&engine, 100)), T0)
        .unwrap();
    let btc_before = engine.account(1).unwrap().balances["BTC"];
    engine
        .place(3, &at(Side::Sell, price, "0.1"), T0 + 1)
        .unwrap();
    let canceled = engine
        .cancel_list(1, placed.list.order_list_id, T0 + 2)
        .unwrap();
    assert_eq!(canceled.list.list_order_status, "ALL_DONE");
    let btc = engine.account(1).unwrap().balances["BTC"];
    assert_eq!(btc.free, btc_before.free + d("0.0999"));
    assert_eq!(btc.locked, btc_before.locked);
    check_locked(&engine);
}

#[test]
fn an_opoco_pair_sells_what_the_working_order_bought_and_a_taker_working_order_counts() {
    // The working order takes at placement (taker commission 0.2 %).
    let mut engine = engine(false);
    let price = near(&engine, 0);
    engine.place(3, &at(Side::Sell, price, "0.2"), T0).unwrap();
    let mut above = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
    above.price = Some(near(&engine, 1000));
    let mut below = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
    below.stop_price = Some(near(&engine, -1000));
    let list = NewList {
        symbol: "BTCUSDT".to_owned(),
        list_client_order_id: None,
        kind: ListKind::Otoco {
            working: at(Side::Buy, price, "0.2"),
            below,
            above,
            opo: true,
        },
        legacy: false,
    };
    let placed = engine.place_list(1, &list, T0 + 1).unwrap();
    assert_eq!(placed.orders[0].status, OrderStatus::Filled);
    let list = engine.order_list(placed.list.order_list_id).unwrap();
    assert_eq!(list.pair_lock, Some(("BTC", d("0.1996"))));
    for leg in &placed.list.pair {
        let order = engine.order(*leg).unwrap();
        assert_eq!(
            (order.orig_qty, order.status),
            (d("0.1996"), OrderStatus::New)
        );
    }
    check_locked(&engine);
}

#[test]
fn an_opo_pending_order_that_fails_the_filters_once_sized_expires_rejected() {
    // 0.00025 BTC at 0.21 times the price passes NOTIONAL's minimum (5
    // USDT) at placement; what is received, 0.00024 after commission and
    // the step, does not.
    let mut engine = engine(false);
    let price = near(&engine, 0);
    let low = crate::market::round_to_step(price * d("0.21"), d("0.01"));
    let placed = engine
        .place_list(1, &opo(price, "0.00025", low), T0)
        .unwrap();
    let pending_id = placed.orders[1].order_id;
    engine
        .place(3, &at(Side::Sell, price, "0.00025"), T0 + 1)
        .unwrap();
    let pending = engine.order(pending_id).unwrap();
    assert_eq!(
        (pending.status, pending.expiry_reason),
        (OrderStatus::Expired, Some(ExpiryReason::Rejected))
    );
    assert!(
        !engine
            .order_list(placed.list.order_list_id)
            .unwrap()
            .is_open()
    );
    check_locked(&engine);
}

#[track_caller]
fn check_opo_sides(working: Side, pending: Side, expected: Option<(i64, &str)>) {
    let mut engine = engine(false);
    let mut list = opo(near(&engine, -100), "0.1", near(&engine, 100));
    if let ListKind::Oto {
        working: w,
        pending: p,
        ..
    } = &mut list.kind
    {
        w.side = working;
        p.side = pending;
        if working == Side::Sell {
            w.price = Some(near(&engine, 100));
        }
        if pending == Side::Buy {
            p.price = Some(near(&engine, -200));
        }
    }
    let res = engine
        .place_list(1, &list, T0)
        .map(|_| ())
        .map_err(|err| (err.code, err.msg));
    let expected = expected.map_or(Ok(()), |(code, msg)| Err((code, msg.to_owned())));
    assert_eq!(res, expected);
}

#[test]
fn an_opo_buys_then_sells() {
    check_opo_sides(Side::Buy, Side::Sell, None);
    check_opo_sides(
        Side::Sell,
        Side::Sell,
        Some((-1222, "Working order in an OPO list must be a bid.")),
    );
    check_opo_sides(
        Side::Buy,
        Side::Buy,
        Some((-1223, "Pending orders in an OPO list must be asks.")),
    );
}
