//! The domain ports, implemented over REST.

use async_trait::async_trait;
use mbx_domain::Error;
use mbx_domain::model::{
    Account, AccountTrade, Amended, ApiRestrictions, AvgPrice, Canceled, Decimal, Depth,
    ExchangeInfo, Kline, Millis, MyFilters, NewOrder, NewOrderList, Order, OrderAck,
    OrderCommissions, OrderList, OrderListRef, OrderRef, PriceTicker, ReferencePrice, ServerTime,
    Trade,
};
use mbx_domain::ports::{AccountData, MarketData, OrderEntry, RateLimitStatus, ServerClock};
use mbx_domain::rate_limit::ServerBackoff;

use crate::client::{Request, RestClient};

#[async_trait]
impl ServerClock for RestClient {
    async fn server_time(&self) -> Result<Millis, Error> {
        let time: ServerTime = self.call(Request::get("/api/v3/time")).await?;
        Ok(time.server_time)
    }
}

impl RateLimitStatus for RestClient {
    fn used_weight_1m(&self) -> Option<u32> {
        RestClient::used_weight_1m(self)
    }

    fn backoff(&self) -> Option<ServerBackoff> {
        RestClient::backoff(self)
    }
}

#[async_trait]
impl MarketData for RestClient {
    async fn ping(&self) -> Result<(), Error> {
        self.send(Request::get("/api/v3/ping")).await.map(drop)
    }

    async fn exchange_info(&self, symbols: &[String]) -> Result<ExchangeInfo, Error> {
        let mut request = Request::get("/api/v3/exchangeInfo");
        match symbols {
            [] => {}
            [symbol] => request = request.param("symbol", symbol.as_str()),
            many => {
                let list: Vec<String> = many.iter().map(|s| format!("\"{s}\"")).collect();
                request = request.param("symbols", format!("[{}]", list.join(",")));
            }
        }
        let info: ExchangeInfo = self.call(request).await?;
        self.set_rate_limits(&info.rate_limits);
        Ok(info)
    }

    async fn depth(&self, symbol: &str, limit: Option<u32>) -> Result<Depth, Error> {
        let mut request = Request::get("/api/v3/depth").param("symbol", symbol);
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request).await
    }

    async fn trades(&self, symbol: &str, limit: Option<u32>) -> Result<Vec<Trade>, Error> {
        let mut request = Request::get("/api/v3/trades").param("symbol", symbol);
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request).await
    }

    async fn klines(
        &self,
        symbol: &str,
        interval: &str,
        limit: Option<u32>,
    ) -> Result<Vec<Kline>, Error> {
        let mut request = Request::get("/api/v3/klines")
            .param("symbol", symbol)
            .param("interval", interval);
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request).await
    }

    async fn ticker_prices(&self) -> Result<Vec<PriceTicker>, Error> {
        self.call(Request::get("/api/v3/ticker/price")).await
    }

    async fn ticker_price(&self, symbol: &str) -> Result<PriceTicker, Error> {
        self.call(Request::get("/api/v3/ticker/price").param("symbol", symbol))
            .await
    }

    async fn avg_price(&self, symbol: &str) -> Result<AvgPrice, Error> {
        self.call(Request::get("/api/v3/avgPrice").param("symbol", symbol))
            .await
    }

    async fn reference_price(&self, symbol: &str) -> Result<ReferencePrice, Error> {
        self.call(Request::get("/api/v3/referencePrice").param("symbol", symbol))
            .await
    }
}

#[async_trait]
impl AccountData for RestClient {
    async fn account(&self, omit_zero_balances: bool) -> Result<Account, Error> {
        let mut request = Request::get("/api/v3/account");
        if omit_zero_balances {
            request = request.param("omitZeroBalances", "true");
        }
        self.call(request.signed()).await
    }

    async fn api_restrictions(&self) -> Result<ApiRestrictions, Error> {
        self.call(Request::get("/sapi/v1/account/apiRestrictions").signed())
            .await
    }

    async fn open_orders(&self, symbol: &str) -> Result<Vec<Order>, Error> {
        self.call(
            Request::get("/api/v3/openOrders")
                .param("symbol", symbol)
                .signed(),
        )
        .await
    }

    async fn all_open_orders(&self) -> Result<Vec<Order>, Error> {
        self.call(Request::get("/api/v3/openOrders").signed()).await
    }

    async fn all_orders(
        &self,
        symbol: &str,
        start_time: Option<Millis>,
        limit: Option<u32>,
    ) -> Result<Vec<Order>, Error> {
        let mut request = Request::get("/api/v3/allOrders").param("symbol", symbol);
        if let Some(start_time) = start_time {
            request = request.param("startTime", start_time.to_string());
        }
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request.signed()).await
    }

    async fn my_trades(
        &self,
        symbol: &str,
        limit: Option<u32>,
    ) -> Result<Vec<AccountTrade>, Error> {
        let mut request = Request::get("/api/v3/myTrades").param("symbol", symbol);
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request.signed()).await
    }

    async fn my_filters(&self, symbol: &str) -> Result<MyFilters, Error> {
        self.call(
            Request::get("/api/v3/myFilters")
                .param("symbol", symbol)
                .signed(),
        )
        .await
    }

    async fn open_order_lists(&self) -> Result<Vec<OrderList>, Error> {
        self.call(Request::get("/api/v3/openOrderList").signed())
            .await
    }

    async fn all_order_lists(
        &self,
        start_time: Option<Millis>,
        limit: Option<u32>,
    ) -> Result<Vec<OrderList>, Error> {
        let mut request = Request::get("/api/v3/allOrderList");
        if let Some(start_time) = start_time {
            request = request.param("startTime", start_time.to_string());
        }
        if let Some(limit) = limit {
            request = request.param("limit", limit.to_string());
        }
        self.call(request.signed()).await
    }
}

#[async_trait]
impl OrderEntry for RestClient {
    /// Sends the order once; an unknown outcome is returned as it is
    /// (see [`OrderEntry`]: the use-case resolves it).
    async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, Error> {
        self.call(Request::order("/api/v3/order", order)?).await
    }

    async fn test_order(&self, order: &NewOrder) -> Result<OrderCommissions, Error> {
        let request =
            Request::order("/api/v3/order/test", order)?.param("computeCommissionRates", "true");
        self.call(request).await
    }

    async fn query_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        let (name, value) = order.param();
        self.call(
            Request::get("/api/v3/order")
                .param("symbol", symbol)
                .param(name, value)
                .signed(),
        )
        .await
    }

    async fn cancel_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        let (name, value) = order.param();
        let request = Request::new("DELETE", "/api/v3/order")?
            .param("symbol", symbol)
            .param(name, value)
            .signed();
        self.call(request).await
    }

    async fn cancel_open_orders(&self, symbol: &str) -> Result<Vec<Order>, Error> {
        let request = Request::new("DELETE", "/api/v3/openOrders")?
            .param("symbol", symbol)
            .signed();
        let entries: Vec<Canceled> = self.call(request).await?;
        Ok(Canceled::into_orders(entries))
    }

    /// Sent once, as [`OrderEntry::place_order`].
    async fn place_order_list(&self, list: &NewOrderList) -> Result<OrderList, Error> {
        let request = Request::new("POST", list.kind.path())?
            .with_query(|query| list.write_params(query))
            .signed();
        self.call(request).await
    }

    async fn query_order_list(&self, list: &OrderListRef) -> Result<OrderList, Error> {
        let (name, value) = list.query_param();
        self.call(
            Request::get("/api/v3/orderList")
                .param(name, value)
                .signed(),
        )
        .await
    }

    async fn cancel_order_list(
        &self,
        symbol: &str,
        list: &OrderListRef,
    ) -> Result<OrderList, Error> {
        let (name, value) = list.cancel_param();
        let request = Request::new("DELETE", "/api/v3/orderList")?
            .param("symbol", symbol)
            .param(name, value)
            .signed();
        self.call(request).await
    }

    async fn amend_order(
        &self,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
        new_client_order_id: &str,
    ) -> Result<Amended, Error> {
        let (name, value) = order.param();
        let request = Request::new("PUT", "/api/v3/order/amend/keepPriority")?
            .param("symbol", symbol)
            .param(name, value)
            .param("newClientOrderId", new_client_order_id)
            .param("newQty", new_qty.normalize().to_string())
            .signed();
        self.call(request).await
    }
}
