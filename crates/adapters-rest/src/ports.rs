//! The domain ports, implemented over REST.

use async_trait::async_trait;
use mbx_domain::Error;
use mbx_domain::model::{
    Account, AccountTrade, ApiRestrictions, Depth, ExchangeInfo, Kline, Millis, NewOrder, Order,
    OrderAck, PriceTicker, ServerTime, Trade,
};
use mbx_domain::ports::{AccountData, MarketData, OrderEntry, RateLimitStatus, ServerClock};
use mbx_domain::rate_limit::ServerBackoff;
use rand::Rng as _;

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
}

#[async_trait]
impl OrderEntry for RestClient {
    /// Sends the order once. When the outcome is unknown (network error,
    /// 5xx, `-1007`), asks for the order by its `newClientOrderId` instead
    /// of sending it again: found means placed; `-2013` means not placed,
    /// and the original error is returned.
    async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, Error> {
        let mut order = order.clone();
        let client_order_id = order
            .new_client_order_id
            .get_or_insert_with(new_client_order_id)
            .clone();
        let mut request = Request::new("POST", "/api/v3/order")?;
        for (name, value) in order.params() {
            request = request.param(name, value);
        }
        let err = match self.call::<OrderAck>(request.signed()).await {
            Ok(ack) => return Ok(ack),
            Err(err) if err.category() == mbx_domain::Category::UnknownOutcome => err,
            Err(err) => return Err(err),
        };
        tracing::warn!("{err}; the order's outcome is unknown, querying `{client_order_id}`");
        match self.query_order(&order.symbol, &client_order_id).await {
            Ok(found) => Ok(OrderAck {
                symbol: found.symbol,
                order_id: found.order_id,
                client_order_id: found.client_order_id,
                transact_time: found.update_time,
                status: Some(found.status),
                executed_qty: Some(found.executed_qty),
                fills: Vec::new(),
            }),
            Err(_) => Err(err),
        }
    }

    async fn query_order(&self, symbol: &str, client_order_id: &str) -> Result<Order, Error> {
        self.call(
            Request::get("/api/v3/order")
                .param("symbol", symbol)
                .param("origClientOrderId", client_order_id)
                .signed(),
        )
        .await
    }

    async fn cancel_order(&self, symbol: &str, client_order_id: &str) -> Result<Order, Error> {
        let request = Request::new("DELETE", "/api/v3/order")?
            .param("symbol", symbol)
            .param("origClientOrderId", client_order_id)
            .signed();
        self.call(request).await
    }
}

/// `mbx-` and 20 random letters and digits (Binance allows up to 36
/// characters matching `^[\.A-Z\:/a-z0-9_-]{1,36}$`).
fn new_client_order_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let mut id = String::from("mbx-");
    for _ in 0..20 {
        id.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_order_ids_are_unique_and_valid() {
        let (a, b) = (new_client_order_id(), new_client_order_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }
}
