//! The `mbx-domain` stream ports, implemented over WebSocket: the user-data
//! stream of the WebSocket API and the market streams.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures_core::Stream;
use mbx_domain::Error;
use mbx_domain::credentials::Credentials;
use mbx_domain::feed::{ApiNotice, Feed, StreamItem, UserItem};
use mbx_domain::ports::{MarketStreamSource, UserDataSource};
use tokio::sync::mpsc;

use crate::api::{ApiConfig, WsApi};
use crate::market::{MarketStreamConfig, MarketStreams};

/// The account's user-data stream over the WebSocket API
/// (`userDataStream.subscribe.signature`, any key type), as the
/// [`UserDataSource`] port. Each subscription is its own connection.
///
/// ```no_run
/// use mbx_adapters_ws::{ApiConfig, WsUserData};
/// use mbx_domain::ports::UserDataSource;
/// # async fn run(credentials: mbx_domain::credentials::Credentials) -> Result<(), mbx_domain::Error> {
/// let source = WsUserData::new(ApiConfig::new("wss://ws-api.testnet.binance.vision/ws-api/v3"), credentials);
/// let feed = source.subscribe().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WsUserData {
    config: ApiConfig,
    credentials: Credentials,
}

impl WsUserData {
    /// A source that connects to `config.url` and signs with `credentials`.
    pub fn new(config: ApiConfig, credentials: Credentials) -> WsUserData {
        WsUserData {
            config,
            credentials,
        }
    }
}

#[async_trait]
impl UserDataSource for WsUserData {
    /// Connects, measures the server's time, subscribes and yields a first
    /// [`ApiNotice::Resubscribed`]-like notice naming the subscription
    /// ([`ApiNotice::Connected`] is not repeated for the first connection).
    async fn subscribe(&self) -> Result<Feed<UserItem>, Error> {
        let (api, items) =
            WsApi::connect(self.config.clone(), Some(self.credentials.clone())).await?;
        let subscription_id = match api.subscribe_user_data().await {
            Ok(id) => id,
            Err(err) => {
                api.close().await;
                return Err(err);
            }
        };
        Ok(Box::pin(ReceiverFeed {
            first: Some(UserItem::Notice(ApiNotice::Subscribed { subscription_id })),
            items,
            _connection: Arc::new(api),
        }))
    }
}

/// Market streams as the [`MarketStreamSource`] port: each subscription
/// opens its own [`MarketStreams`].
#[derive(Debug, Clone)]
pub struct WsMarketStreams {
    config: MarketStreamConfig,
}

impl WsMarketStreams {
    /// A source that connects to `config.base_url`.
    pub fn new(config: MarketStreamConfig) -> WsMarketStreams {
        WsMarketStreams { config }
    }
}

#[async_trait]
impl MarketStreamSource for WsMarketStreams {
    async fn subscribe(&self, streams: &[String]) -> Result<Feed<StreamItem>, Error> {
        let names: Vec<&str> = streams.iter().map(String::as_str).collect();
        let (connection, items) = MarketStreams::connect(self.config.clone(), &names).await?;
        Ok(Box::pin(ReceiverFeed {
            first: None,
            items,
            _connection: Arc::new(connection),
        }))
    }
}

/// A receiver as a stream that keeps its connection alive: dropping the
/// feed drops the client, which closes the connection.
struct ReceiverFeed<T, C> {
    first: Option<T>,
    items: mpsc::Receiver<T>,
    _connection: Arc<C>,
}

impl<T: Unpin, C> Stream for ReceiverFeed<T, C> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(first));
        }
        self.items.poll_recv(cx)
    }
}
