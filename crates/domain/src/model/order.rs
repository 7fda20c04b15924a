//! Orders: what to send ([`NewOrder`]) and what comes back ([`OrderAck`],
//! [`Order`], [`AccountTrade`]).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Millis;

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
    /// Your id for the order; the REST client fills one in when `None`.
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
            new_client_order_id: None,
        }
    }

    /// The request parameters in the order they are sent (decimals in plain
    /// notation, without `timestamp`, `recvWindow` or `signature`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("symbol", self.symbol.clone()),
            ("side", self.side.to_string()),
            ("type", self.order_type.to_string()),
        ];
        if let Some(tif) = self.time_in_force {
            params.push(("timeInForce", tif.to_string()));
        }
        let decimals = [
            ("quantity", self.quantity),
            ("quoteOrderQty", self.quote_order_qty),
            ("price", self.price),
            ("stopPrice", self.stop_price),
        ];
        for (name, value) in decimals {
            if let Some(value) = value {
                params.push((name, value.normalize().to_string()));
            }
        }
        if let Some(delta) = self.trailing_delta {
            params.push(("trailingDelta", delta.to_string()));
        }
        if let Some(iceberg_qty) = self.iceberg_qty {
            params.push(("icebergQty", iceberg_qty.normalize().to_string()));
        }
        if let Some(id) = &self.new_client_order_id {
            params.push(("newClientOrderId", id.clone()));
        }
        params
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
    /// Status (RESULT and FULL).
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Executed quantity (RESULT and FULL).
    #[serde(default)]
    pub executed_qty: Option<Decimal>,
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
    /// Your id for the order.
    pub client_order_id: String,
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
    use super::*;

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
    fn order_parses_with_unknown_status() {
        let order: Order = serde_json::from_str(
            r#"{"symbol":"LTCBTC","orderId":1,"orderListId":-1,"clientOrderId":"abc","price":"0.1","origQty":"1.0","executedQty":"0.0","cummulativeQuoteQty":"0.0","status":"SOMETHING_NEW","timeInForce":"GTC","type":"LIMIT","side":"BUY","stopPrice":"0.0","icebergQty":"0.0","time":1499827319559,"updateTime":1499827319559,"isWorking":true}"#,
        )
        .unwrap();
        assert_eq!(order.status, OrderStatus::Other);
        assert_eq!(order.order_type.to_string(), "LIMIT");
    }
}
