//! Orders: what to send ([`NewOrder`]), how to name one ([`OrderRef`]) and
//! what comes back ([`OrderAck`], [`Order`], [`OrderCommissions`],
//! [`AccountTrade`]).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use mbx_signing::payload::Payload;

use super::Millis;
use super::text::NumberText;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// An order type (`shared/binance-docs/enums.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// Limit.
    Limit,
    /// Market.
    Market,
    /// Stop loss (market).
    StopLoss,
    /// Stop loss limit.
    StopLossLimit,
    /// Take profit (market).
    TakeProfit,
    /// Take profit limit.
    TakeProfitLimit,
    /// Limit, rejected if it would match immediately.
    LimitMaker,
    /// A type this crate does not know.
    #[serde(other)]
    Other,
}

/// How long an order stays on the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum TimeInForce {
    /// Good till canceled.
    #[serde(rename = "GTC")]
    Gtc,
    /// Immediate or cancel.
    #[serde(rename = "IOC")]
    Ioc,
    /// Fill or kill.
    #[serde(rename = "FOK")]
    Fok,
}

/// An order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted by the engine.
    New,
    /// Waiting for a trigger (order lists).
    PendingNew,
    /// Partly filled.
    PartiallyFilled,
    /// Fully filled.
    Filled,
    /// Canceled by the user.
    Canceled,
    /// Cancel in progress (unused).
    PendingCancel,
    /// Rejected by the engine.
    Rejected,
    /// Expired by its time in force or by the exchange.
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
    /// A status this crate does not know.
    #[serde(other)]
    Other,
}

/// Self-trade prevention mode (`shared/binance-docs/enums.md` § STP Modes):
/// what happens when the order would match one of the same account (or
/// trade group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StpMode {
    /// No prevention.
    None,
    /// Expire the resting (maker) order.
    ExpireMaker,
    /// Expire the incoming (taker) order.
    ExpireTaker,
    /// Expire both.
    ExpireBoth,
    /// Decrease both by the matching quantity.
    Decrement,
    /// Transfer between the two (new in 2026).
    Transfer,
}

/// How much `POST /api/v3/order` answers with (`newOrderRespType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseType {
    /// Ids and time only.
    Ack,
    /// Plus status, quantities and prices.
    Result,
    /// Plus the fills.
    Full,
}

macro_rules! wire_text {
    ($ty:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// The text Binance uses for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(super) use wire_text;
impl OrderType {
    /// Whether Binance counts it as an "algo" order (`MAX_NUM_ALGO_ORDERS`):
    /// the stop-loss and take-profit types.
    pub fn is_algo(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        )
    }
}

wire_text!(Side { Buy => "BUY", Sell => "SELL" });
wire_text!(OrderType {
    Limit => "LIMIT",
    Market => "MARKET",
    StopLoss => "STOP_LOSS",
    StopLossLimit => "STOP_LOSS_LIMIT",
    TakeProfit => "TAKE_PROFIT",
    TakeProfitLimit => "TAKE_PROFIT_LIMIT",
    LimitMaker => "LIMIT_MAKER",
    Other => "OTHER",
});
wire_text!(TimeInForce { Gtc => "GTC", Ioc => "IOC", Fok => "FOK" });
wire_text!(StpMode {
    None => "NONE",
    ExpireMaker => "EXPIRE_MAKER",
    ExpireTaker => "EXPIRE_TAKER",
    ExpireBoth => "EXPIRE_BOTH",
    Decrement => "DECREMENT",
    Transfer => "TRANSFER",
});
wire_text!(ResponseType { Ack => "ACK", Result => "RESULT", Full => "FULL" });
wire_text!(OrderStatus {
    New => "NEW",
    PendingNew => "PENDING_NEW",
    PartiallyFilled => "PARTIALLY_FILLED",
    Filled => "FILLED",
    Canceled => "CANCELED",
    PendingCancel => "PENDING_CANCEL",
    Rejected => "REJECTED",
    Expired => "EXPIRED",
    ExpiredInMatch => "EXPIRED_IN_MATCH",
    Other => "OTHER",
});

/// A new order for `POST /api/v3/order`.
///
/// `new_client_order_id` is what makes an uncertain outcome resolvable:
/// after a timeout the client queries the order by it instead of sending
/// the order again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Required for LIMIT.
    pub time_in_force: Option<TimeInForce>,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Trigger price.
    pub stop_price: Option<Decimal>,
    /// Trailing stop delta in basis points (stop and take-profit types).
    pub trailing_delta: Option<u32>,
    /// Visible quantity of an iceberg order.
    pub iceberg_qty: Option<Decimal>,
    /// Self-trade prevention; the symbol's default when `None`.
    pub self_trade_prevention_mode: Option<StpMode>,
    /// How much the answer holds; the server's default by type when `None`
    /// (`FULL` for LIMIT and MARKET).
    pub new_order_resp_type: Option<ResponseType>,
    /// Your id for the order; when `None` the server makes one up, and an
    /// uncertain outcome cannot be looked up (`mbx_client::orders` always
    /// sets one).
    pub new_client_order_id: Option<String>,
}

impl NewOrder {
    /// A LIMIT GTC order.
    pub fn limit(symbol: &str, side: Side, quantity: Decimal, price: Decimal) -> NewOrder {
        NewOrder {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Limit,
            time_in_force: Some(TimeInForce::Gtc),
            quantity: Some(quantity),
            quote_order_qty: None,
            price: Some(price),
            stop_price: None,
            trailing_delta: None,
            iceberg_qty: None,
            self_trade_prevention_mode: None,
            new_order_resp_type: None,
            new_client_order_id: None,
        }
    }

    /// A MARKET order for a base quantity.
    pub fn market(symbol: &str, side: Side, quantity: Decimal) -> NewOrder {
        NewOrder {
            symbol: symbol.to_owned(),
            side,
            order_type: OrderType::Market,
            time_in_force: None,
            quantity: Some(quantity),
            quote_order_qty: None,
            price: None,
            stop_price: None,
            trailing_delta: None,
            iceberg_qty: None,
            self_trade_prevention_mode: None,
            new_order_resp_type: None,
            new_client_order_id: None,
        }
    }

    /// The request parameters in the order they are sent (decimals in plain
    /// notation, without `timestamp`, `recvWindow` or `signature`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::with_capacity(10);
        self.for_each_param(|name, value| params.push((name, value.to_owned())));
        params
    }

    /// Appends the parameters of [`NewOrder::params`], in the same order
    /// and with the same text, to `payload`, without a `String` per value:
    /// the fast way to build the query of an order.
    ///
    /// ```
    /// use mbx_domain::model::{NewOrder, Side};
    /// use mbx_signing::payload::Payload;
    ///
    /// let order = NewOrder::limit("BTCUSDT", Side::Buy, "0.00100".parse().unwrap(), "50000.00".parse().unwrap());
    /// let mut query = Payload::new();
    /// order.write_params(&mut query);
    /// assert_eq!(query.as_str(), "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=50000");
    /// ```
    pub fn write_params(&self, payload: &mut Payload) {
        self.walk_params(|name, value, text| match text {
            // The two values a user types: symbols can be Unicode
            // (`这是测试币456`) and a client order id is free text.
            Text::Free => payload.push(name, value),
            // An enum's name or a number written by `NumberText` (digits,
            // `.`, `-`): nothing needs encoding.
            Text::Plain => payload.push_unencoded(name, value),
        });
    }

    /// Calls `visit` with each parameter's name and text, in the documented
    /// order. [`NewOrder::write_params`] (REST) and the WebSocket API's
    /// `order.place` walk the same list, so no transport builds a `String`
    /// per value.
    pub fn for_each_param(&self, mut visit: impl FnMut(&'static str, &str)) {
        self.walk_params(|name, value, _| visit(name, value));
    }

    /// The one place that decides the parameters, their order, and which
    /// values are free text.
    fn walk_params(&self, mut visit: impl FnMut(&'static str, &str, Text)) {
        visit("symbol", &self.symbol, Text::Free);
        visit("side", self.side.as_str(), Text::Plain);
        visit("type", self.order_type.as_str(), Text::Plain);
        if let Some(tif) = self.time_in_force {
            visit("timeInForce", tif.as_str(), Text::Plain);
        }
        let decimals = [
            ("quantity", self.quantity),
            ("quoteOrderQty", self.quote_order_qty),
            ("price", self.price),
            ("stopPrice", self.stop_price),
        ];
        for (name, value) in decimals {
            if let Some(value) = value {
                visit(name, NumberText::decimal(value).as_str(), Text::Plain);
            }
        }
        if let Some(delta) = self.trailing_delta {
            visit(
                "trailingDelta",
                NumberText::unsigned(u64::from(delta)).as_str(),
                Text::Plain,
            );
        }
        if let Some(iceberg_qty) = self.iceberg_qty {
            visit(
                "icebergQty",
                NumberText::decimal(iceberg_qty).as_str(),
                Text::Plain,
            );
        }
        if let Some(resp_type) = self.new_order_resp_type {
            visit("newOrderRespType", resp_type.as_str(), Text::Plain);
        }
        if let Some(mode) = self.self_trade_prevention_mode {
            visit("selfTradePreventionMode", mode.as_str(), Text::Plain);
        }
        if let Some(id) = &self.new_client_order_id {
            visit("newClientOrderId", id, Text::Free);
        }
    }
}

/// What a parameter's text is made of, for [`NewOrder::write_params`].
#[derive(Clone, Copy)]
enum Text {
    /// Typed by a user (a symbol, a client order id): checked for
    /// characters to percent-encode.
    Free,
    /// Written by mbx from letters, digits, `.` and `-` only.
    Plain,
}

/// How to name an existing order: the exchange's id or your client order
/// id (`orderId` or `origClientOrderId`).
///
/// ```
/// use mbx_domain::model::OrderRef;
///
/// assert_eq!(OrderRef::Id(42).param(), ("orderId", "42".to_owned()));
/// assert_eq!(OrderRef::client("mbx-1").param(), ("origClientOrderId", "mbx-1".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderRef {
    /// The exchange's `orderId`.
    Id(u64),
    /// Your `clientOrderId`, sent as `origClientOrderId`.
    ClientId(String),
}

impl OrderRef {
    /// A reference by client order id.
    pub fn client(id: &str) -> OrderRef {
        OrderRef::ClientId(id.to_owned())
    }

    /// The request parameter that names the order.
    pub fn param(&self) -> (&'static str, String) {
        match self {
            OrderRef::Id(id) => ("orderId", id.to_string()),
            OrderRef::ClientId(id) => ("origClientOrderId", id.clone()),
        }
    }
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRef::Id(id) => write!(f, "order {id}"),
            OrderRef::ClientId(id) => write!(f, "order `{id}`"),
        }
    }
}

/// One fill of a FULL order response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Commission paid.
    pub commission: Decimal,
    /// Asset of the commission.
    pub commission_asset: String,
    /// Trade id.
    #[serde(default)]
    pub trade_id: u64,
}

/// The answer to `POST /api/v3/order` (ACK, RESULT or FULL; the fields
/// beyond ACK are optional).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAck {
    /// Symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: u64,
    /// Your id for the order.
    pub client_order_id: String,
    /// When the engine took it.
    #[serde(default)]
    pub transact_time: Millis,
    /// Limit price (RESULT and FULL).
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Ordered quantity (RESULT and FULL).
    #[serde(default)]
    pub orig_qty: Option<Decimal>,
    /// Status (RESULT and FULL).
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Executed quantity (RESULT and FULL).
    #[serde(default)]
    pub executed_qty: Option<Decimal>,
    /// Filled quote quantity (RESULT and FULL).
    #[serde(default)]
    pub cummulative_quote_qty: Option<Decimal>,
    /// Time in force (RESULT and FULL).
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Type (RESULT and FULL).
    #[serde(default, rename = "type")]
    pub order_type: Option<OrderType>,
    /// Side (RESULT and FULL).
    #[serde(default)]
    pub side: Option<Side>,
    /// Fills (FULL).
    #[serde(default)]
    pub fills: Vec<Fill>,
}

/// An order as `GET /api/v3/order` and `GET /api/v3/openOrders` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: u64,
    /// `-1` unless part of an order list.
    #[serde(default)]
    pub order_list_id: i64,
    /// Your id for the order (in a cancel's answer: the cancel's own id).
    pub client_order_id: String,
    /// The order's own client order id, in a cancel's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_client_order_id: Option<String>,
    /// Limit price (`0` for MARKET).
    pub price: Decimal,
    /// Ordered quantity.
    pub orig_qty: Decimal,
    /// Filled quantity.
    pub executed_qty: Decimal,
    /// Filled quote quantity (may be negative for very old orders: unknown).
    #[serde(default)]
    pub cummulative_quote_qty: Option<Decimal>,
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
    /// Trigger price.
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    /// Visible quantity (non-zero for iceberg orders).
    #[serde(default)]
    pub iceberg_qty: Option<Decimal>,
    /// Creation time.
    #[serde(default)]
    pub time: Millis,
    /// Last update.
    #[serde(default)]
    pub update_time: Millis,
    /// Whether the order is on the book.
    #[serde(default)]
    pub is_working: bool,
}

impl Order {
    /// The id the order was placed with: `origClientOrderId` in a cancel's
    /// answer, `clientOrderId` otherwise.
    pub fn placed_client_order_id(&self) -> &str {
        self.orig_client_order_id
            .as_deref()
            .unwrap_or(&self.client_order_id)
    }
}

/// One entry of `DELETE /api/v3/openOrders`: a canceled order, or an order
/// list whose orders were canceled with it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Canceled {
    /// A single order.
    Order(Order),
    /// An order list (OCO, OTO, OTOCO).
    List {
        /// The list's id.
        #[serde(rename = "orderListId")]
        order_list_id: i64,
        /// The canceled orders of the list.
        #[serde(rename = "orderReports", default)]
        order_reports: Vec<Order>,
    },
}

impl Canceled {
    /// Every order canceled, lists flattened.
    pub fn into_orders(entries: Vec<Canceled>) -> Vec<Order> {
        entries
            .into_iter()
            .flat_map(|entry| match entry {
                Canceled::Order(order) => vec![order],
                Canceled::List { order_reports, .. } => order_reports,
            })
            .collect()
    }
}

/// A maker and a taker rate, as decimals (`"0.00100000"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct MakerTaker {
    /// When the order rests on the book.
    pub maker: Decimal,
    /// When it takes liquidity.
    pub taker: Decimal,
}

/// The BNB discount on commissions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionDiscount {
    /// Whether the account pays in BNB when it can.
    pub enabled_for_account: bool,
    /// Whether the symbol takes it.
    pub enabled_for_symbol: bool,
    /// The asset paid with, `BNB`.
    pub discount_asset: String,
    /// The standard commission is reduced by this rate.
    pub discount: Decimal,
}

/// What an order would pay: the answer of `POST /api/v3/order/test` with
/// `computeCommissionRates=true`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCommissions {
    /// Standard commission rates on trades from the order.
    pub standard_commission_for_order: MakerTaker,
    /// Special commission rates (absent on older servers).
    #[serde(default)]
    pub special_commission_for_order: Option<MakerTaker>,
    /// Tax commission rates.
    pub tax_commission_for_order: MakerTaker,
    /// The BNB discount.
    pub discount: CommissionDiscount,
}

/// One row of `GET /api/v3/myTrades`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    /// Symbol.
    pub symbol: String,
    /// Trade id.
    pub id: u64,
    /// The order it filled.
    pub order_id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// `price × qty`.
    pub quote_qty: Decimal,
    /// Commission paid.
    pub commission: Decimal,
    /// Asset of the commission.
    pub commission_asset: String,
    /// Time.
    pub time: Millis,
    /// Whether you bought.
    pub is_buyer: bool,
    /// Whether you were the maker.
    pub is_maker: bool,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decimal() -> impl Strategy<Value = Option<Decimal>> {
        proptest::option::of(
            (any::<i64>(), 0u32..=18).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        )
    }

    proptest! {
        /// The query REST sends (`write_params`, straight into the
        /// payload) is the one built pair by pair from `params()`, for any
        /// order: decimals of every scale and sign, ids that need encoding.
        #[test]
        fn written_params_are_the_listed_ones_encoded(
            symbol in "[A-Z]{2,10}|\\PC{1,4}",
            buy in any::<bool>(),
            (quantity, quote_order_qty, price, stop_price, iceberg_qty) in (decimal(), decimal(), decimal(), decimal(), decimal()),
            trailing_delta in proptest::option::of(any::<u32>()),
            with_tif in any::<bool>(),
            client_id in proptest::option::of("[A-Za-z0-9._:/-]{1,36}|\\PC{1,8}"),
        ) {
            let mut order = NewOrder::market(&symbol, if buy { Side::Buy } else { Side::Sell }, Decimal::ONE);
            order.quantity = quantity;
            order.quote_order_qty = quote_order_qty;
            order.price = price;
            order.stop_price = stop_price;
            order.iceberg_qty = iceberg_qty;
            order.trailing_delta = trailing_delta;
            order.time_in_force = with_tif.then_some(TimeInForce::Fok);
            order.new_order_resp_type = with_tif.then_some(ResponseType::Ack);
            order.self_trade_prevention_mode = with_tif.then_some(StpMode::Decrement);
            order.new_client_order_id = client_id;
            let params = order.params();
            for (name, value) in &params {
                let decimal = [
                    ("quantity", order.quantity),
                    ("quoteOrderQty", order.quote_order_qty),
                    ("price", order.price),
                    ("stopPrice", order.stop_price),
                    ("icebergQty", order.iceberg_qty),
                ]
                .into_iter()
                .find(|(field, _)| field == name)
                .and_then(|(_, value)| value);
                if let Some(decimal) = decimal {
                    prop_assert_eq!(value, &decimal.normalize().to_string());
                }
            }
            let mut written = Payload::new();
            order.write_params(&mut written);
            let listed = Payload::from_pairs(params.iter().map(|(name, value)| (*name, value.as_str())));
            prop_assert_eq!(written, listed);
        }
    }

    #[test]
    fn limit_order_params_in_documented_order() {
        let mut order = NewOrder::limit(
            "LTCBTC",
            Side::Buy,
            "1.000".parse().unwrap(),
            "0.1".parse().unwrap(),
        );
        order.new_client_order_id = Some("my-id".into());
        let params: Vec<String> = order
            .params()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            params.join("&"),
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&newClientOrderId=my-id"
        );
    }

    #[test]
    fn iceberg_and_trailing_params_follow_stop_price() {
        let mut order = NewOrder::limit(
            "LTCBTC",
            Side::Sell,
            "10.00".parse().unwrap(),
            "0.1".parse().unwrap(),
        );
        order.order_type = OrderType::StopLossLimit;
        order.stop_price = Some("0.09000".parse().unwrap());
        order.trailing_delta = Some(150);
        order.iceberg_qty = Some("2.50".parse().unwrap());
        let params: Vec<String> = order
            .params()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            params.join("&"),
            "symbol=LTCBTC&side=SELL&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=10&price=0.1&stopPrice=0.09&trailingDelta=150&icebergQty=2.5"
        );
    }

    #[test]
    fn stp_and_response_type_are_sent_by_name() {
        let mut order = NewOrder::market("BTCUSDT", Side::Sell, "0.5".parse().unwrap());
        order.self_trade_prevention_mode = Some(StpMode::ExpireBoth);
        order.new_order_resp_type = Some(ResponseType::Full);
        order.new_client_order_id = Some("x".into());
        let text: Vec<String> = order
            .params()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            text.join("&"),
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.5&newOrderRespType=FULL&selfTradePreventionMode=EXPIRE_BOTH&newClientOrderId=x"
        );
    }

    #[test]
    fn cancel_all_answers_flatten_order_lists() {
        // rest-api.md § Cancel All Open Orders on a Symbol, trimmed.
        let entries: Vec<Canceled> = serde_json::from_str(
            r#"[
              {"symbol":"BTCUSDT","origClientOrderId":"E6AP","orderId":11,"orderListId":-1,"clientOrderId":"pXLV","transactTime":1684804350068,"price":"0.089853","origQty":"0.178622","executedQty":"0.000000","cummulativeQuoteQty":"0.000000","status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY","selfTradePreventionMode":"NONE"},
              {"orderListId":1929,"contingencyType":"OCO","listStatusType":"ALL_DONE","listOrderStatus":"ALL_DONE","listClientOrderId":"2inz","transactionTime":1585230948299,"symbol":"BTCUSDT",
               "orders":[{"symbol":"BTCUSDT","orderId":20,"clientOrderId":"CwOO"}],
               "orderReports":[{"symbol":"BTCUSDT","origClientOrderId":"CwOO","orderId":20,"orderListId":1929,"clientOrderId":"OAz7","transactTime":1688005070874,"price":"0.668611","origQty":"0.690354","executedQty":"0.000000","cummulativeQuoteQty":"0.000000","status":"CANCELED","timeInForce":"GTC","type":"STOP_LOSS_LIMIT","side":"BUY","stopPrice":"0.378131","icebergQty":"0.017083"}]}
            ]"#,
        )
        .unwrap();
        let orders = Canceled::into_orders(entries);
        let ids: Vec<(u64, &str)> = orders
            .iter()
            .map(|order| (order.order_id, order.placed_client_order_id()))
            .collect();
        assert_eq!(ids, [(11, "E6AP"), (20, "CwOO")]);
    }

    #[test]
    fn test_order_commissions_parse_as_documented() {
        let rates: OrderCommissions = serde_json::from_str(
            r#"{"standardCommissionForOrder":{"maker":"0.00000112","taker":"0.00000114"},
                "specialCommissionForOrder":{"maker":"0.05000000","taker":"0.06000000"},
                "taxCommissionForOrder":{"maker":"0.00000112","taker":"0.00000114"},
                "discount":{"enabledForAccount":true,"enabledForSymbol":true,"discountAsset":"BNB","discount":"0.25000000"}}"#,
        )
        .unwrap();
        assert_eq!(
            rates.standard_commission_for_order.taker.to_string(),
            "0.00000114"
        );
        assert_eq!(rates.discount.discount_asset, "BNB");
    }

    #[test]
    fn order_parses_with_unknown_status() {
        let order: Order = serde_json::from_str(
            r#"{"symbol":"LTCBTC","orderId":1,"orderListId":-1,"clientOrderId":"abc","price":"0.1","origQty":"1.0","executedQty":"0.0","cummulativeQuoteQty":"0.0","status":"SOMETHING_NEW","timeInForce":"GTC","type":"LIMIT","side":"BUY","stopPrice":"0.0","icebergQty":"0.0","time":1499827319559,"updateTime":1499827319559,"isWorking":true}"#,
        )
        .unwrap();
        assert_eq!(order.status, OrderStatus::Other);
        assert_eq!(order.order_type.to_string(), "LIMIT");
    }
}
