//! The `mbx-domain` [`OrderEntry`] port over the WebSocket API: `order.place`,
//! `order.test`, `order.status`, `order.cancel` and `openOrders.cancelAll`,
//! signed by [`WsApi::signed_request`].

use std::sync::Arc;

use async_trait::async_trait;
use mbx_domain::Error;
use mbx_domain::model::{
    Amended, Canceled, Decimal, NewOrder, NewOrderList, Order, OrderAck, OrderCommissions,
    OrderList, OrderListRef, OrderRef,
};
use mbx_domain::ports::OrderEntry;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use mbx_domain::credentials::Credentials;
use mbx_domain::feed::UserItem;

use crate::api::{ApiConfig, WsApi};

/// Orders over one WebSocket API connection, as the [`OrderEntry`] port.
///
/// Each request is sent once. An order without an answer (the connection
/// dropped after it was written, or no answer within the request timeout)
/// fails with [`Error::OutcomeUnknown`]; a 5xx or `-1007` answer keeps
/// Binance's code and has the category
/// [`mbx_domain::Category::UnknownOutcome`]. Resolving it is the
/// use-case's job (`mbx_client::orders`), here with `order.status`.
///
/// ```no_run
/// use mbx_adapters_ws::{ApiConfig, WsOrderEntry};
/// use mbx_domain::model::{NewOrder, Side};
/// use mbx_domain::ports::OrderEntry;
/// # async fn run(credentials: mbx_domain::credentials::Credentials) -> Result<(), mbx_domain::Error> {
/// let orders = WsOrderEntry::connect(ApiConfig::new("ws://127.0.0.1:9900/ws-api/v3"), credentials).await?;
/// let mut order = NewOrder::limit("BTCUSDT", Side::Buy, "0.001".parse().unwrap(), "50000".parse().unwrap());
/// order.new_client_order_id = Some("mbx-doc-1".into());
/// let ack = orders.place_order(&order).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WsOrderEntry {
    api: Arc<WsApi>,
}

impl WsOrderEntry {
    /// Orders over `api` (which needs credentials). Keep draining the
    /// receiver [`WsApi::connect`] gave: the connection stops when nobody
    /// listens to it.
    pub fn new(api: Arc<WsApi>) -> WsOrderEntry {
        WsOrderEntry { api }
    }

    /// Connects a session of its own, whose notices (reconnects) go to the
    /// log at debug level.
    pub async fn connect(
        config: ApiConfig,
        credentials: Credentials,
    ) -> Result<WsOrderEntry, Error> {
        let (api, mut items) = WsApi::connect(config, Some(credentials)).await?;
        tokio::spawn(async move {
            while let Some(item) = items.recv().await {
                if let UserItem::Notice(notice) = item {
                    tracing::debug!(?notice, "WebSocket API session");
                }
            }
        });
        Ok(WsOrderEntry::new(Arc::new(api)))
    }

    /// The connection.
    pub fn api(&self) -> &Arc<WsApi> {
        &self.api
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<T, Error> {
        // Parsed once, from the answer's text into `T`.
        self.api.signed_raw(method, params).await?.parse(method)
    }
}

#[async_trait]
impl OrderEntry for WsOrderEntry {
    async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, Error> {
        self.call("order.place", order_params(order)).await
    }

    async fn test_order(&self, order: &NewOrder) -> Result<OrderCommissions, Error> {
        let mut params = order_params(order);
        params.insert("computeCommissionRates".to_owned(), Value::Bool(true));
        self.call("order.test", params).await
    }

    async fn query_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        self.call("order.status", ref_params(symbol, order)).await
    }

    async fn cancel_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        self.call("order.cancel", ref_params(symbol, order)).await
    }

    async fn cancel_open_orders(&self, symbol: &str) -> Result<Vec<Order>, Error> {
        let mut params = Map::new();
        params.insert("symbol".to_owned(), Value::from(symbol));
        let entries: Vec<Canceled> = self.call("openOrders.cancelAll", params).await?;
        Ok(Canceled::into_orders(entries))
    }

    async fn place_order_list(&self, list: &NewOrderList) -> Result<OrderList, Error> {
        let mut params = Map::new();
        list.for_each_param(|name, value| {
            params.insert(name.to_owned(), Value::from(value));
        });
        self.call(list.kind.ws_method(), params).await
    }

    async fn query_order_list(&self, list: &OrderListRef) -> Result<OrderList, Error> {
        let mut params = Map::new();
        list_param(&mut params, list.query_param(), list);
        self.call("orderList.status", params).await
    }

    async fn cancel_order_list(
        &self,
        symbol: &str,
        list: &OrderListRef,
    ) -> Result<OrderList, Error> {
        let mut params = Map::new();
        params.insert("symbol".to_owned(), Value::from(symbol));
        list_param(&mut params, list.cancel_param(), list);
        self.call("orderList.cancel", params).await
    }

    async fn amend_order(
        &self,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
        new_client_order_id: &str,
    ) -> Result<Amended, Error> {
        let mut params = ref_params(symbol, order);
        params.insert(
            "newClientOrderId".to_owned(),
            Value::from(new_client_order_id),
        );
        params.insert(
            "newQty".to_owned(),
            Value::String(new_qty.normalize().to_string()),
        );
        self.call("order.amend.keepPriority", params).await
    }
}

/// A list's id as a number, its client id as a string.
fn list_param(params: &mut Map<String, Value>, (name, value): (&str, String), list: &OrderListRef) {
    let value = match list {
        OrderListRef::Id(id) => Value::from(*id),
        OrderListRef::ClientId(_) => Value::String(value),
    };
    params.insert(name.to_owned(), value);
}

/// The order's parameters as JSON strings, exactly the text REST sends:
/// the signature covers the same values either way.
fn order_params(order: &NewOrder) -> Map<String, Value> {
    let mut params = Map::new();
    order.for_each_param(|name, value| {
        params.insert(name.to_owned(), Value::from(value));
    });
    params
}

fn ref_params(symbol: &str, order: &OrderRef) -> Map<String, Value> {
    let (name, value) = order.param();
    let mut params = Map::new();
    params.insert("symbol".to_owned(), Value::from(symbol));
    let value = match order {
        OrderRef::Id(id) => Value::from(*id),
        OrderRef::ClientId(_) => Value::String(value),
    };
    params.insert(name.to_owned(), value);
    params
}

#[cfg(test)]
mod tests {
    use mbx_domain::model::Side;

    use super::*;

    #[test]
    fn params_are_the_rest_texts() {
        let mut order = NewOrder::limit(
            "BTCUSDT",
            Side::Buy,
            "0.00100".parse().unwrap(),
            "50000.00".parse().unwrap(),
        );
        order.new_client_order_id = Some("mbx-1".to_owned());
        let params = order_params(&order);
        assert_eq!(
            Value::Object(params).to_string(),
            r#"{"newClientOrderId":"mbx-1","price":"50000","quantity":"0.001","side":"BUY","symbol":"BTCUSDT","timeInForce":"GTC","type":"LIMIT"}"#
        );
        assert_eq!(
            Value::Object(ref_params("BTCUSDT", &OrderRef::Id(7))).to_string(),
            r#"{"orderId":7,"symbol":"BTCUSDT"}"#
        );
    }
}
