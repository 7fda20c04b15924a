//! Binance over WebSocket: market streams, the WebSocket API and the
//! user-data stream, decoded into typed events with exact decimals.
//!
//! # Brief overview
//!
//! * [`MarketStreams`] keeps market-stream connections
//!   (`wss://stream.binance.com:9443`) up: raw (`/ws/<name>`) or combined
//!   (`/stream?streams=`), live `SUBSCRIBE`/`UNSUBSCRIBE` with replies matched
//!   by `id` and at most 5 control messages per second, a pong for every
//!   ping, reconnects with jittered backoff that subscribe everything again,
//!   `serverShutdown` handled as a reconnect, more connections past 1024
//!   streams, and rotation before the 24 h cap without a gap. Its receiver
//!   yields [`mbx_domain::feed::StreamItem`]s: typed events, raw events
//!   for payloads with no type (never dropped), the frames verbatim when
//!   [`Delivery`] asks (for a raw printout or a recording), and notices.
//! * [`WsApi`] talks to the WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`):
//!   requests matched by `id` with a timeout, signed requests (HMAC, RSA,
//!   Ed25519 through [`mbx_signing::Signer`]), `session.logon`, and the
//!   user-data stream (`userDataStream.subscribe.signature`), logged on and
//!   subscribed again after every reconnect. Its receiver yields
//!   [`mbx_domain::feed::UserItem`]s.
//! * [`WsUserData`] and [`WsMarketStreams`] are the same, as the
//!   `mbx-domain` ports [`mbx_domain::ports::UserDataSource`] and
//!   [`mbx_domain::ports::MarketStreamSource`] that the use-cases of
//!   `mbx-client` take; [`WsOrderEntry`] is the
//!   [`mbx_domain::ports::OrderEntry`] port over the WebSocket API
//!   (`order.place`, `order.test`, `order.status`, `order.cancel`,
//!   `openOrders.cancelAll`).
//! * Every failure is an [`mbx_domain::Error`], with the same codes,
//!   categories and hints as over REST.
//! * [`wire`] is Binance's JSON as it is on the wire, borrowed from the
//!   frame, and its conversion into [`mbx_domain::stream`] types;
//!   [`wire::decode_market_typed`] goes straight to the domain's types.
//!
//! Decoding a frame, without any connection:
//!
//! ```
//! use mbx_adapters_ws::wire::{self, MarketFrame};
//! use mbx_domain::stream::MarketEvent;
//!
//! let frame = r#"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#;
//! let MarketFrame::Event { event, .. } = wire::decode_market(frame)? else { unreachable!() };
//! let MarketEvent::AggTrade(trade) = event.to_domain()? else { unreachable!() };
//! assert_eq!((trade.symbol.as_str(), trade.price.to_string()), ("BNBBTC", "0.001".to_owned()));
//! # Ok::<(), wire::DecodeError>(())
//! ```
//!
//! Following streams (against the sandbox, `mbx sandbox`, or Binance with
//! `wss://stream.binance.com:9443`):
//!
//! ```no_run
//! use mbx_adapters_ws::{MarketStreamConfig, MarketStreams};
//! use mbx_domain::feed::StreamItem;
//!
//! # async fn run() -> Result<(), mbx_domain::Error> {
//! let config = MarketStreamConfig::new("ws://127.0.0.1:9000");
//! let (mut streams, mut items) = MarketStreams::connect(config, &["btcusdt@aggTrade"]).await?;
//! streams.subscribe(&["ethusdt@trade"]).await?;
//! while let Some(item) = items.recv().await {
//!     match item {
//!         StreamItem::Event { stream, event } => println!("{stream:?} {event:?}"),
//!         // A stream this client has no type for: Binance's JSON as it came.
//!         StreamItem::Raw(raw) => println!("{:?} {}", raw.stream, raw.payload),
//!         StreamItem::Notice(notice) => eprintln!("{notice:?}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A key design decision: each connection is one task that owns its socket,
//! and the client talks to it through channels. Reading frames, answering
//! pings, pacing control messages, matching replies and reconnecting all
//! happen in one `select!` loop, so there is no lock around the socket and a
//! slow consumer slows only its own connection. Decoding parses each frame
//! once and each decimal once; a frame that does not decode is passed on
//! raw, never dropped and never fatal.
#![deny(missing_docs)]

pub mod api;
mod conn;
mod error;
pub mod market;
mod orders;
mod ports;
pub mod recorded;
pub mod wire;

pub use api::{ApiConfig, ApiReply, WsApi};
pub use conn::Backoff;
pub use error::changes_state;
pub use market::{Delivery, MarketStreamConfig, MarketStreams};
pub use orders::WsOrderEntry;
pub use ports::{WsMarketStreams, WsUserData};
