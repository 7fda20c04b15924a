//! Order lists (OCO, OTO, OTOCO, OPO, OPOCO): what to send
//! ([`NewOrderList`], each leg a [`NewOrder`] with its [`LegRole`]), how
//! to name one ([`OrderListRef`]) and what comes back ([`OrderList`]); and
//! Order Amend Keep Priority's answer ([`Amended`]).
//!
//! A list's legs are whole [`NewOrder`]s so that each is checked by
//! `preflight` exactly like a single order; [`NewOrderList::params`] turns
//! them into Binance's prefixed parameters (`aboveType`, `workingPrice`,
//! `pendingBelowStopPrice`, ...) in the order rest-api.md lists them.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use mbx_signing::payload::Payload;

use super::Millis;
use super::order::{NewOrder, OrderAck, OrderStatus, OrderType, ResponseType, Side, StpMode};
use super::order::{TimeInForce, wire_text};
use super::text::NumberText;

/// Which order list (rest-api.md § Order lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// One-cancels-the-other: an above and a below order.
    Oco,
    /// One-triggers-the-other: a working order, then a pending one.
    Oto,
    /// A working order, then an OCO pair.
    Otoco,
    /// An OTO whose pending order sells (or buys back) what the working
    /// order filled: the pending leg has no quantity of its own.
    Opo,
    /// An OTOCO whose pending pair has no quantity of its own (as OPO).
    Opoco,
}

impl ListKind {
    /// `POST` path of the placement.
    pub fn path(self) -> &'static str {
        match self {
            ListKind::Oco => "/api/v3/orderList/oco",
            ListKind::Oto => "/api/v3/orderList/oto",
            ListKind::Otoco => "/api/v3/orderList/otoco",
            ListKind::Opo => "/api/v3/orderList/opo",
            ListKind::Opoco => "/api/v3/orderList/opoco",
        }
    }

    /// The WebSocket API method of the placement.
    pub fn ws_method(self) -> &'static str {
        match self {
            ListKind::Oco => "orderList.place.oco",
            ListKind::Oto => "orderList.place.oto",
            ListKind::Otoco => "orderList.place.otoco",
            ListKind::Opo => "orderList.place.opo",
            ListKind::Opoco => "orderList.place.opoco",
        }
    }

    /// The legs it has, in the order they are sent.
    pub fn roles(self) -> &'static [LegRole] {
        match self {
            ListKind::Oco => &[LegRole::Above, LegRole::Below],
            ListKind::Oto | ListKind::Opo => &[LegRole::Working, LegRole::Pending],
            ListKind::Otoco | ListKind::Opoco => &[
                LegRole::Working,
                LegRole::PendingAbove,
                LegRole::PendingBelow,
            ],
        }
    }

    /// Whether the pending legs take their quantity from the working
    /// order's fill (OPO, OPOCO).
    pub fn pending_quantity_from_fill(self) -> bool {
        matches!(self, ListKind::Opo | ListKind::Opoco)
    }
}

wire_text!(ListKind {
    Oco => "OCO",
    Oto => "OTO",
    Otoco => "OTOCO",
    Opo => "OPO",
    Opoco => "OPOCO",
});

/// A leg's place in its list; its parameters carry the role's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegRole {
    /// The OCO order priced above the market.
    Above,
    /// The OCO order priced below the market.
    Below,
    /// The order that goes on the book first (OTO, OTOCO, OPO, OPOCO).
    Working,
    /// The order placed once the working order fills (OTO, OPO).
    Pending,
    /// The above order of the pending pair (OTOCO, OPOCO).
    PendingAbove,
    /// The below order of the pending pair (OTOCO, OPOCO).
    PendingBelow,
}

impl LegRole {
    /// The parameter prefix: `above`, `working`, `pendingBelow`, ...
    pub fn prefix(self) -> &'static str {
        match self {
            LegRole::Above => "above",
            LegRole::Below => "below",
            LegRole::Working => "working",
            LegRole::Pending => "pending",
            LegRole::PendingAbove => "pendingAbove",
            LegRole::PendingBelow => "pendingBelow",
        }
    }

    /// Words for people: `above`, `pending below`.
    pub fn name(self) -> &'static str {
        match self {
            LegRole::Above => "above",
            LegRole::Below => "below",
            LegRole::Working => "working",
            LegRole::Pending => "pending",
            LegRole::PendingAbove => "pending above",
            LegRole::PendingBelow => "pending below",
        }
    }
}

impl fmt::Display for LegRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A new order list. Each leg is a whole order (symbol, side, type,
/// quantity, prices, client order id), so that it can be checked like a
/// single order; the list's shared parameters (an OCO's `side` and
/// `quantity`, an OTOCO's `pendingSide` and `pendingQuantity`) are taken
/// from its legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderList {
    /// Which list.
    pub kind: ListKind,
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// The legs in [`ListKind::roles`] order.
    pub legs: Vec<(LegRole, NewOrder)>,
    /// Your id for the list: what makes an unknown outcome resolvable
    /// (`mbx_client::orders` always sets one).
    pub list_client_order_id: Option<String>,
    /// Self-trade prevention for every leg; the symbol's default when
    /// `None`.
    pub self_trade_prevention_mode: Option<StpMode>,
    /// How much the `orderReports` hold; `ACK` when `None`.
    pub new_order_resp_type: Option<ResponseType>,
}

impl NewOrderList {
    /// The leg with `role`, if the list has it.
    pub fn leg(&self, role: LegRole) -> Option<&NewOrder> {
        self.legs
            .iter()
            .find(|(leg_role, _)| *leg_role == role)
            .map(|(_, order)| order)
    }

    /// The request parameters in the order rest-api.md lists them
    /// (decimals in plain notation, without `timestamp`, `recvWindow` or
    /// `signature`).
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::with_capacity(24);
        self.for_each_param(|name, value| params.push((name.to_owned(), value.to_owned())));
        params
    }

    /// Appends the parameters of [`NewOrderList::params`], in the same
    /// order and with the same text, to `payload`, without a `String` per
    /// name or value.
    pub fn write_params(&self, payload: &mut Payload) {
        self.for_each_param(|name, value| payload.push(name, value));
    }

    /// Calls `visit` with each parameter's name and text, in the order of
    /// [`NewOrderList::params`]: the one place that decides both, which
    /// every transport walks.
    pub fn for_each_param(&self, mut visit: impl FnMut(&str, &str)) {
        // One buffer for the prefixed names (`aboveType`, ...).
        let mut name = String::with_capacity(32);
        let mut visit_key = |prefix: &str, key: &str, value: &str| {
            write_key(&mut name, prefix, key);
            visit(&name, value);
        };
        visit_key("", "symbol", &self.symbol);
        if let Some(id) = &self.list_client_order_id {
            visit_key("", "listClientOrderId", id);
        }
        let dec = |value: Decimal| NumberText::decimal(value);
        // The shared side and quantity: an OCO's, and a pending pair's.
        let shared = match self.kind {
            ListKind::Oco => self.leg(LegRole::Above).map(|leg| ("", leg)),
            ListKind::Otoco | ListKind::Opoco => {
                self.leg(LegRole::PendingAbove).map(|leg| ("pending", leg))
            }
            ListKind::Oto | ListKind::Opo => None,
        };
        if let Some((prefix, leg)) = shared {
            visit_key(prefix, "side", leg.side.as_str());
            if !self.kind.pending_quantity_from_fill()
                && let Some(quantity) = leg.quantity
            {
                visit_key(prefix, "quantity", dec(quantity).as_str());
            }
        }
        for (role, leg) in &self.legs {
            let prefix = role.prefix();
            visit_key(prefix, "type", leg.order_type.as_str());
            let own_side = matches!(role, LegRole::Working | LegRole::Pending);
            if own_side {
                visit_key(prefix, "side", leg.side.as_str());
            }
            if let Some(id) = &leg.new_client_order_id {
                visit_key(prefix, "clientOrderId", id);
            }
            let own_quantity = *role == LegRole::Working
                || (*role == LegRole::Pending && !self.kind.pending_quantity_from_fill());
            if own_quantity && let Some(quantity) = leg.quantity {
                visit_key(prefix, "quantity", dec(quantity).as_str());
            }
            if let Some(price) = leg.price {
                visit_key(prefix, "price", dec(price).as_str());
            }
            if let Some(stop) = leg.stop_price {
                visit_key(prefix, "stopPrice", dec(stop).as_str());
            }
            if let Some(delta) = leg.trailing_delta {
                visit_key(
                    prefix,
                    "trailingDelta",
                    NumberText::unsigned(u64::from(delta)).as_str(),
                );
            }
            if let Some(iceberg) = leg.iceberg_qty {
                visit_key(prefix, "icebergQty", dec(iceberg).as_str());
            }
            if let Some(tif) = leg.time_in_force {
                visit_key(prefix, "timeInForce", tif.as_str());
            }
        }
        if let Some(resp_type) = self.new_order_resp_type {
            visit_key("", "newOrderRespType", resp_type.as_str());
        }
        if let Some(mode) = self.self_trade_prevention_mode {
            visit_key("", "selfTradePreventionMode", mode.as_str());
        }
    }
}

/// Writes `prefix` + `Name` into `out`: `above` + `type` is `aboveType`;
/// no prefix keeps the name.
fn write_key(out: &mut String, prefix: &str, name: &str) {
    out.clear();
    if prefix.is_empty() {
        out.push_str(name);
        return;
    }
    let mut chars = name.chars();
    out.push_str(prefix);
    out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
    out.extend(chars);
}

/// How to name an existing order list: the exchange's `orderListId` or
/// your `listClientOrderId`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderListRef {
    /// The exchange's `orderListId`.
    Id(i64),
    /// Your `listClientOrderId`.
    ClientId(String),
}

impl OrderListRef {
    /// The parameter of `GET /api/v3/orderList` (which names the client id
    /// `origClientOrderId`).
    pub fn query_param(&self) -> (&'static str, String) {
        match self {
            OrderListRef::Id(id) => ("orderListId", id.to_string()),
            OrderListRef::ClientId(id) => ("origClientOrderId", id.clone()),
        }
    }

    /// The parameter of `DELETE /api/v3/orderList` (`listClientOrderId`).
    pub fn cancel_param(&self) -> (&'static str, String) {
        match self {
            OrderListRef::Id(id) => ("orderListId", id.to_string()),
            OrderListRef::ClientId(id) => ("listClientOrderId", id.clone()),
        }
    }
}

impl fmt::Display for OrderListRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderListRef::Id(id) => write!(f, "order list {id}"),
            OrderListRef::ClientId(id) => write!(f, "order list `{id}`"),
        }
    }
}

/// An order of a list as the list names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOrder {
    /// Symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: u64,
    /// The order's client order id.
    pub client_order_id: String,
}

/// An order list as every list endpoint answers it (`orderReports` only
/// in the answers to a placement or a cancel).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    /// The exchange's id.
    pub order_list_id: i64,
    /// `OCO` or `OTO` (OTOCO, OPO and OPOCO answer `OTO`).
    pub contingency_type: String,
    /// `RESPONSE`, `EXEC_STARTED`, `UPDATED`, `ALL_DONE`.
    pub list_status_type: String,
    /// `EXECUTING`, `ALL_DONE`, `REJECT`.
    pub list_order_status: String,
    /// Your id for the list.
    pub list_client_order_id: String,
    /// When the engine took it.
    #[serde(default)]
    pub transaction_time: Millis,
    /// Symbol.
    pub symbol: String,
    /// Its orders.
    #[serde(default)]
    pub orders: Vec<ListOrder>,
    /// The orders' states (placement and cancel answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_reports: Vec<OrderAck>,
}

impl OrderList {
    /// Whether the list is still working (`listOrderStatus` `EXECUTING`).
    pub fn is_executing(&self) -> bool {
        self.list_order_status == "EXECUTING"
    }

    /// The report on `order_id`, if the answer has one.
    pub fn report(&self, order_id: u64) -> Option<&OrderAck> {
        self.order_reports
            .iter()
            .find(|report| report.order_id == order_id)
    }
}

/// The order of an amendment's answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmendedOrder {
    /// Symbol.
    pub symbol: String,
    /// The exchange's order id (unchanged by an amendment).
    pub order_id: u64,
    /// `-1` unless part of an order list.
    #[serde(default)]
    pub order_list_id: i64,
    /// The client order id before the amendment.
    pub orig_client_order_id: String,
    /// The client order id after it.
    pub client_order_id: String,
    /// Limit price.
    pub price: Decimal,
    /// The quantity after the amendment.
    pub qty: Decimal,
    /// Filled quantity.
    pub executed_qty: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Side.
    pub side: Side,
}

/// The answer to `PUT /api/v3/order/amend/keepPriority`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amended {
    /// When the engine amended it.
    #[serde(default)]
    pub transact_time: Millis,
    /// The amendment's id.
    #[serde(default)]
    pub execution_id: u64,
    /// The order after the amendment.
    pub amended_order: AmendedOrder,
    /// The order's list, when it is part of one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_status: Option<OrderList>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(side: Side, order_type: OrderType, price: &str) -> NewOrder {
        let mut order = NewOrder::limit(
            "BTCUSDT",
            side,
            "0.001".parse().unwrap(),
            price.parse().unwrap(),
        );
        order.order_type = order_type;
        order.time_in_force = None;
        order
    }

    fn text(list: &NewOrderList) -> String {
        list.params()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn an_oco_sends_one_side_and_quantity_and_prefixed_legs() {
        let above = leg(Side::Sell, OrderType::LimitMaker, "70000.00");
        let mut below = leg(Side::Sell, OrderType::StopLossLimit, "59000");
        below.stop_price = Some("60000".parse().unwrap());
        below.time_in_force = Some(TimeInForce::Gtc);
        below.new_client_order_id = Some("b-1".into());
        let list = NewOrderList {
            kind: ListKind::Oco,
            symbol: "BTCUSDT".into(),
            legs: vec![(LegRole::Above, above), (LegRole::Below, below)],
            list_client_order_id: Some("l-1".into()),
            self_trade_prevention_mode: None,
            new_order_resp_type: None,
        };
        assert_eq!(
            text(&list),
            "symbol=BTCUSDT&listClientOrderId=l-1&side=SELL&quantity=0.001&aboveType=LIMIT_MAKER&abovePrice=70000&belowType=STOP_LOSS_LIMIT&belowClientOrderId=b-1&belowPrice=59000&belowStopPrice=60000&belowTimeInForce=GTC"
        );
    }

    #[test]
    fn an_opoco_sends_no_pending_quantity_and_an_oto_its_own() {
        let mut working = leg(Side::Buy, OrderType::Limit, "60000");
        working.time_in_force = Some(TimeInForce::Gtc);
        let pending_above = leg(Side::Sell, OrderType::LimitMaker, "70000");
        let mut pending_below = leg(Side::Sell, OrderType::StopLoss, "0");
        pending_below.price = None;
        pending_below.stop_price = Some("55000".parse().unwrap());
        let list = NewOrderList {
            kind: ListKind::Opoco,
            symbol: "BTCUSDT".into(),
            legs: vec![
                (LegRole::Working, working.clone()),
                (LegRole::PendingAbove, pending_above),
                (LegRole::PendingBelow, pending_below),
            ],
            list_client_order_id: None,
            self_trade_prevention_mode: Some(StpMode::ExpireTaker),
            new_order_resp_type: Some(ResponseType::Result),
        };
        assert_eq!(
            text(&list),
            "symbol=BTCUSDT&pendingSide=SELL&workingType=LIMIT&workingSide=BUY&workingQuantity=0.001&workingPrice=60000&workingTimeInForce=GTC&pendingAboveType=LIMIT_MAKER&pendingAbovePrice=70000&pendingBelowType=STOP_LOSS&pendingBelowStopPrice=55000&newOrderRespType=RESULT&selfTradePreventionMode=EXPIRE_TAKER"
        );
        let mut pending = leg(Side::Sell, OrderType::Market, "0");
        pending.price = None;
        let oto = NewOrderList {
            kind: ListKind::Oto,
            symbol: "BTCUSDT".into(),
            legs: vec![(LegRole::Working, working), (LegRole::Pending, pending)],
            list_client_order_id: None,
            self_trade_prevention_mode: None,
            new_order_resp_type: None,
        };
        assert!(
            text(&oto).ends_with("&pendingType=MARKET&pendingSide=SELL&pendingQuantity=0.001"),
            "{}",
            text(&oto)
        );
    }

    #[test]
    fn list_refs_name_the_client_id_as_each_endpoint_does() {
        let by_client = OrderListRef::ClientId("l-1".into());
        assert_eq!(by_client.query_param().0, "origClientOrderId");
        assert_eq!(by_client.cancel_param().0, "listClientOrderId");
        assert_eq!(
            OrderListRef::Id(3).query_param(),
            ("orderListId", "3".into())
        );
    }

    #[test]
    fn list_answers_parse_with_ack_reports_and_without_reports() {
        // rest-api.md § New Order list - OCO, an ACK report, and § Query
        // Order list.
        let placed: OrderList = serde_json::from_str(
            r#"{"orderListId":1,"contingencyType":"OCO","listStatusType":"EXEC_STARTED","listOrderStatus":"EXECUTING",
                "listClientOrderId":"lH1Y","transactionTime":1710485608839,"symbol":"LTCBTC",
                "orders":[{"symbol":"LTCBTC","orderId":10,"clientOrderId":"44nZ"},{"symbol":"LTCBTC","orderId":11,"clientOrderId":"NuMp"}],
                "orderReports":[{"symbol":"LTCBTC","orderId":10,"orderListId":1,"clientOrderId":"44nZ","transactTime":1710485608839},
                                {"symbol":"LTCBTC","orderId":11,"orderListId":1,"clientOrderId":"NuMp","transactTime":1710485608839,"price":"3.00000000","origQty":"5.00000000","executedQty":"0","cummulativeQuoteQty":"0","status":"NEW","timeInForce":"GTC","type":"LIMIT_MAKER","side":"SELL"}]}"#,
        )
        .unwrap();
        assert!(placed.is_executing());
        assert_eq!(placed.orders.len(), 2);
        assert_eq!(placed.report(11).unwrap().status, Some(OrderStatus::New));
        let queried: OrderList = serde_json::from_str(
            r#"{"orderListId":27,"contingencyType":"OCO","listStatusType":"ALL_DONE","listOrderStatus":"ALL_DONE",
                "listClientOrderId":"h2US","transactionTime":1565245656253,"symbol":"LTCBTC",
                "orders":[{"symbol":"LTCBTC","orderId":4,"clientOrderId":"qD1g"}]}"#,
        )
        .unwrap();
        assert!(!queried.is_executing());
        assert!(queried.order_reports.is_empty());
    }

    #[test]
    fn an_amendment_parses_as_documented() {
        let amended: Amended = serde_json::from_str(
            r#"{"transactTime":1741926410255,"executionId":75,"amendedOrder":{"symbol":"BTCUSDT","orderId":33,"orderListId":-1,
                "origClientOrderId":"5xrg","clientOrderId":"PFaq","price":"6.00000000","qty":"5.00000000","executedQty":"0.00000000",
                "preventedQty":"0.00000000","quoteOrderQty":"0.00000000","cumulativeQuoteQty":"0.00000000","status":"NEW",
                "timeInForce":"GTC","type":"LIMIT","side":"SELL","workingTime":1741926410242,"selfTradePreventionMode":"NONE"}}"#,
        )
        .unwrap();
        assert_eq!(amended.amended_order.qty.to_string(), "5.00000000");
        assert_eq!(amended.amended_order.order_id, 33);
        assert_eq!(amended.list_status, None);
    }
}
