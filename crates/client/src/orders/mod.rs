//! Placing orders safely: pre-flight checks before sending, one send, and
//! an unknown outcome resolved by looking the order up, never by sending it
//! again.
//!
//! [`Trading`] takes the ports ([`OrderEntry`] over REST or the WebSocket
//! API, [`MarketData`], [`AccountData`], a [`LocalClock`] and an
//! [`ExchangeInfoStore`]) and runs the use-case in two steps, so that a
//! caller can show the order (and ask for confirmation) between them:
//!
//! 1. [`Trading::prepare`] turns an [`OrderRequest`] into the exact
//!    [`NewOrder`] to send: it gives it a `newClientOrderId` (made up
//!    unless given), rounds it to the symbol's grid when asked
//!    ([`OrderRequest::rounding`]), and checks it with
//!    [`mbx_domain::preflight`] against the symbol's rules (cached, see
//!    [`rules`]), the reference or average price, the account's
//!    `myFilters` and its open orders. An order that would be refused is
//!    refused here ([`PlaceError::Refused`]), naming the filter, the rule
//!    and the nearest values that pass; nothing is sent.
//! 2. [`Trading::place`] sends it once ([`Trading::test`] sends it to
//!    `order/test` instead, with the commission rates) and reads the
//!    answer:
//!    - an answer: [`Placed`] with [`Confirmation::Answered`];
//!    - `-1013` (a filter failure): the rules are fetched again and the
//!      order checked again, so a stale cache or a moved market is
//!      reported by name ([`PlaceError::Refused`] with the server's error);
//!    - any other error answer: [`PlaceError::Failed`], nothing placed;
//!    - an unknown outcome (`err.category()` is
//!      [`Category::UnknownOutcome`]: a timeout or a dropped connection
//!      after the request left, a 5xx, `-1007`): the order is **not** sent
//!      again; see [`resolve`] for how it is looked up. Found:
//!      [`Placed`] with [`Confirmation::LookedUp`]; shown absent:
//!      [`PlaceError::NotPlaced`]; the lookups fail too:
//!      [`PlaceError::Unknown`], which says what to check.
//!
//! ```no_run
//! use mbx_client::orders::{OrderRequest, PlaceError, Trading, TradingConfig, TradingPorts};
//! use mbx_domain::model::{OrderType, Side};
//! use mbx_domain::preflight::Rounding;
//!
//! # async fn run(ports: TradingPorts) -> Result<(), PlaceError> {
//! // `ports`: a `RestClient` (orders, market, account), the system clock
//! // and a `rules::FileExchangeInfoStore`.
//! let trading = Trading::new(ports, TradingConfig::new("api.binance.com"));
//! let mut request = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Limit);
//! request.quantity = Some("0.0012345".parse().unwrap());
//! request.price = Some("97000.005".parse().unwrap());
//! request.rounding = Some(Rounding::Down);
//! let prepared = trading.prepare(&request).await?;
//! eprintln!("sending order {}", prepared.client_order_id());
//! let placed = trading.place(&prepared).await?;
//! println!("order {} is {:?}", placed.ack.order_id, placed.ack.status);
//! # Ok(())
//! # }
//! ```

pub mod client_id;
mod lists;
pub mod resolve;
pub mod rules;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::lists::{AmendDone, ListRequest, PlacedList, PreparedList};

use mbx_domain::model::{
    AccountTrade, ExchangeFilter, LegRole, Millis, NewOrder, Order, OrderAck, OrderCommissions,
    OrderRef, OrderType, ResponseType, Side, StpMode, SymbolFilter, SymbolInfo, TimeInForce,
};
use mbx_domain::ports::{AccountData, LocalClock, MarketData, OrderEntry};
use mbx_domain::preflight::{
    self, Context, Field, FilterFailure, OpenOrderCounts, Rounding, Unchecked,
};
use mbx_domain::{Category, Error};
use rust_decimal::Decimal;

use self::resolve::{Lookup, ResolvePolicy};
use self::rules::{CachedInfo, ExchangeInfoStore};

/// The outside world the use-case talks to.
#[derive(Clone)]
pub struct TradingPorts {
    /// Where orders go: `RestClient` or the WebSocket API's `WsOrderEntry`.
    pub orders: Arc<dyn OrderEntry>,
    /// `exchangeInfo`, `avgPrice`, `referencePrice`, the last price.
    pub market: Arc<dyn MarketData>,
    /// Open orders, `allOrders`, `myFilters`, balances, trades.
    pub account: Arc<dyn AccountData>,
    /// The wall clock (cache ages, `allOrders` windows).
    pub clock: Arc<dyn LocalClock>,
    /// Where symbol rules are cached.
    pub rules: Arc<dyn ExchangeInfoStore>,
}

impl fmt::Debug for TradingPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TradingPorts").finish_non_exhaustive()
    }
}

/// The knobs of the use-case.
#[derive(Debug, Clone)]
pub struct TradingConfig {
    /// The environment's REST host (e.g. `api.binance.com`): the key of the
    /// rules cache, so testnet rules never pass for production ones.
    pub host: String,
    /// How long cached symbol rules are used: 10 minutes by default.
    pub rules_ttl: Duration,
    /// The `recvWindow` orders are signed with (Binance's default 5 s): a
    /// request the server has not executed by then never will be, which is
    /// what lets a lookup prove an order was not placed.
    pub recv_window: Duration,
    /// How an unknown outcome is looked up.
    pub resolve: ResolvePolicy,
}

impl TradingConfig {
    /// Rules cached 10 minutes, a 5 s `recvWindow`, the standard lookups.
    pub fn new(host: &str) -> TradingConfig {
        TradingConfig {
            host: host.to_owned(),
            rules_ttl: Duration::from_secs(600),
            recv_window: Duration::from_secs(5),
            resolve: ResolvePolicy::standard(),
        }
    }
}

/// What the user asks for, before rounding and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    /// Symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// Quote quantity (MARKET).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Trigger price (stop-loss and take-profit types).
    pub stop_price: Option<Decimal>,
    /// Trailing delta in basis points.
    pub trailing_delta: Option<u32>,
    /// Time in force; `GTC` for the limit types when `None`.
    pub time_in_force: Option<TimeInForce>,
    /// Your id for the order; one is made up when `None`.
    pub client_order_id: Option<String>,
    /// Self-trade prevention mode; the symbol's default when `None`.
    pub self_trade_prevention_mode: Option<StpMode>,
    /// Round prices to `tickSize` and quantities to `stepSize` this way
    /// before checking; `None` checks the numbers as given.
    pub rounding: Option<Rounding>,
}

impl OrderRequest {
    /// A request with no numbers yet.
    pub fn new(symbol: &str, side: Side, order_type: OrderType) -> OrderRequest {
        OrderRequest {
            symbol: symbol.to_owned(),
            side,
            order_type,
            quantity: None,
            quote_order_qty: None,
            price: None,
            stop_price: None,
            trailing_delta: None,
            time_in_force: None,
            client_order_id: None,
            self_trade_prevention_mode: None,
            rounding: None,
        }
    }
}

/// A number changed by rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounded {
    /// The field.
    pub field: Field,
    /// As given.
    pub from: Decimal,
    /// As sent.
    pub to: Decimal,
}

/// An order checked and ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Exactly what is sent, `newClientOrderId` included.
    pub order: NewOrder,
    /// The symbol's rules it was checked against.
    pub symbol: SymbolInfo,
    /// Numbers changed by rounding.
    pub rounded: Vec<Rounded>,
    /// Checks that could not run for want of data (the server runs them).
    pub unchecked: Vec<Unchecked>,
    /// The price a MARKET order is estimated at (reference, average or last
    /// price), if known.
    pub market_price: Option<Decimal>,
    /// Why a check was skipped although it might have run (an endpoint
    /// that failed), for the caller to show.
    pub notes: Vec<String>,
}

impl Prepared {
    /// The order's `newClientOrderId`.
    pub fn client_order_id(&self) -> &str {
        self.order.new_client_order_id.as_deref().unwrap_or("")
    }

    /// What the order is worth in the quote asset: `price × quantity`, the
    /// `quoteOrderQty`, or for a MARKET order the quantity at the market
    /// price (an estimate, see [`Prepared::notional_is_estimate`]).
    pub fn notional(&self) -> Option<Decimal> {
        let order = &self.order;
        if let Some(quote) = order.quote_order_qty {
            return Some(quote);
        }
        let price = order.price.or(order.stop_price).or(self.market_price)?;
        order.quantity?.checked_mul(price)
    }

    /// Whether [`Prepared::notional`] is priced at the market rather than
    /// at the order's own price.
    pub fn notional_is_estimate(&self) -> bool {
        self.order.quote_order_qty.is_none()
            && self.order.price.is_none()
            && self.order.stop_price.is_none()
    }
}

/// How a placement was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The server answered the order.
    Answered,
    /// The answer was lost (`after`); a lookup found the order.
    LookedUp {
        /// What made the outcome unknown.
        after: Error,
    },
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The answer, or what the lookup found (then without fills).
    pub ack: OrderAck,
    /// How it is known.
    pub how: Confirmation,
}

/// An order refused before it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Every check it fails, most important first.
    pub failures: Vec<FilterFailure>,
    /// The nearest order that passes, when moving the numbers finds one.
    pub suggestion: Option<NewOrder>,
    /// The server's `-1013` when the refusal came after sending: the
    /// cached rules were stale or the market moved; the rules were fetched
    /// again and these failures are against the fresh ones.
    pub server: Option<Error>,
    /// The leg at fault, for an order list.
    pub leg: Option<LegRole>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(server) = &self.server {
            write!(f, "the server refused the order ({}); ", server.message())?;
        }
        f.write_str("refused before sending: ")?;
        if let Some(leg) = self.leg {
            write!(f, "the {leg} order: ")?;
        }
        let texts: Vec<String> = self.failures.iter().map(|f| f.to_string()).collect();
        f.write_str(&texts.join("; "))
    }
}

/// What was sent once: an order, an order list or an amendment; names it
/// in the messages of [`PlaceError::NotPlaced`] and [`PlaceError::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Subject {
    /// A single order (its `newClientOrderId`).
    #[default]
    Order,
    /// An order list (its `listClientOrderId`).
    List,
    /// An amendment (the new client order id it gives the order).
    Amendment,
}

impl Subject {
    /// `order`, `order list`, `amendment`.
    pub fn noun(self) -> &'static str {
        match self {
            Subject::Order => "order",
            Subject::List => "order list",
            Subject::Amendment => "amendment",
        }
    }

    /// `placed`, or `made` for an amendment.
    fn done(self) -> &'static str {
        match self {
            Subject::Amendment => "made",
            _ => "placed",
        }
    }
}

/// Why an order was not placed, or may not have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlaceError {
    /// Refused by the pre-flight checks: nothing was sent (or, with
    /// [`Refusal::server`], the server refused it and the fresh rules say
    /// why).
    #[error("{0}")]
    Refused(Refusal),
    /// Failed with a definite answer (the server refused it, the
    /// configuration is wrong, an argument is malformed): nothing placed.
    #[error(transparent)]
    Failed(Error),
    /// The outcome was unknown, and the lookups show the order was not
    /// placed: sending it again is safe.
    #[error("{} `{client_order_id}` was not {}", what.noun(), what.done())]
    NotPlaced {
        /// The order's id (a list's `listClientOrderId`, an amendment's new
        /// client order id).
        client_order_id: String,
        /// What made the outcome unknown.
        error: Error,
        /// What was sent.
        what: Subject,
    },
    /// The outcome is still unknown: the lookups failed too. Look the
    /// order up before sending it again.
    #[error("the outcome of {} `{client_order_id}` is unknown", what.noun())]
    Unknown {
        /// The order's id (as for [`PlaceError::NotPlaced`]).
        client_order_id: String,
        /// What made the outcome unknown.
        error: Error,
        /// The last lookup's error.
        lookup: Option<Error>,
        /// What was sent.
        what: Subject,
    },
}

impl From<Error> for PlaceError {
    fn from(error: Error) -> PlaceError {
        PlaceError::Failed(error)
    }
}

impl PlaceError {
    /// What kind of failure it is: `Usage` for a local refusal, the
    /// server's category for its answers, `Server` for an order shown not
    /// placed, `UnknownOutcome` while the outcome is unknown.
    pub fn category(&self) -> Category {
        self.to_error().category()
    }

    /// The one error type, for callers that report every failure the same
    /// way. Its text never says an order with an unknown outcome failed.
    pub fn to_error(&self) -> Error {
        match self {
            PlaceError::Refused(refusal) => match &refusal.server {
                Some(server) => server.clone(),
                None => Error::invalid(refusal.to_string()),
            },
            PlaceError::Failed(error) => error.clone(),
            PlaceError::NotPlaced {
                client_order_id,
                error,
                what,
            } => Error::NotExecuted {
                endpoint: endpoint_of(error),
                cause: mbx_domain::Cause::chain([
                    format!(
                        "{} `{client_order_id}`: {}",
                        what.noun(),
                        outcome_text(error)
                    ),
                    format!(
                        "no {} with this id exists, and the request can no longer be executed (its recvWindow has passed)",
                        match what {
                            Subject::Amendment => "order",
                            other => other.noun(),
                        }
                    ),
                ]),
            },
            PlaceError::Unknown {
                client_order_id,
                error,
                lookup,
                what,
            } => {
                let mut texts = vec![format!(
                    "{} `{client_order_id}`: {}",
                    what.noun(),
                    outcome_text(error)
                )];
                texts.push(match lookup {
                    Some(lookup) => format!(
                        "looking it up by its client order id did not answer either: {}",
                        outcome_text(lookup)
                    ),
                    None => "it was not found before the lookups gave up".to_owned(),
                });
                Error::OutcomeUnknown {
                    endpoint: endpoint_of(error),
                    cause: mbx_domain::Cause::chain(texts),
                }
            }
        }
    }
}

/// The use-case: orders placed safely over the ports.
#[derive(Debug, Clone)]
pub struct Trading {
    ports: TradingPorts,
    config: TradingConfig,
}

impl Trading {
    /// The use-case over `ports`.
    pub fn new(ports: TradingPorts, config: TradingConfig) -> Trading {
        Trading { ports, config }
    }

    /// The configuration.
    pub fn config(&self) -> &TradingConfig {
        &self.config
    }

    /// Builds, rounds and checks the order; nothing is sent. See the module
    /// docs.
    pub async fn prepare(&self, request: &OrderRequest) -> Result<Prepared, PlaceError> {
        // A malformed id is refused before anything is fetched.
        if let Some(id) = &request.client_order_id {
            client_id::check(id)?;
        }
        let rules = self.rules(&request.symbol, false).await?;
        let (context, notes) = self.context(&rules, request.side).await?;
        let checked = check(request, &rules.symbol, &context)?;
        Ok(Prepared {
            order: checked.order,
            symbol: rules.symbol,
            rounded: checked.rounded,
            unchecked: checked.unchecked,
            market_price: checked.market_price,
            notes,
        })
    }

    /// Sends the prepared order once and reports what became of it. See
    /// the module docs.
    pub async fn place(&self, prepared: &Prepared) -> Result<Placed, PlaceError> {
        let sent_at = tokio::time::Instant::now();
        let sent_at_ms = self.ports.clock.now_ms();
        let error = match self.ports.orders.place_order(&prepared.order).await {
            Ok(ack) => {
                return Ok(Placed {
                    ack,
                    how: Confirmation::Answered,
                });
            }
            Err(error) => error,
        };
        if error.category() != Category::UnknownOutcome {
            return Err(self.after_refusal(prepared, error).await);
        }
        let client_order_id = prepared.client_order_id().to_owned();
        tracing::warn!(
            "{error}; the outcome of order `{client_order_id}` is unknown: looking it up instead of sending it again"
        );
        let lookup = Lookup {
            orders: self.ports.orders.as_ref(),
            account: self.ports.account.as_ref(),
            symbol: &prepared.order.symbol,
            client_order_id: &client_order_id,
            sent_at,
            sent_at_ms,
        };
        let settle = self.config.recv_window + resolve::SETTLE_MARGIN;
        match resolve::resolve(&lookup, &self.config.resolve, settle).await {
            resolve::Resolution::Found(order) => Ok(Placed {
                ack: ack_of(order),
                how: Confirmation::LookedUp { after: error },
            }),
            resolve::Resolution::Absent => Err(PlaceError::NotPlaced {
                client_order_id,
                error,
                what: Subject::Order,
            }),
            resolve::Resolution::Unknown(lookup) => Err(PlaceError::Unknown {
                client_order_id,
                error,
                lookup,
                what: Subject::Order,
            }),
        }
    }

    /// Sends the prepared order to `order/test` (weight 20): the matching
    /// engine checks it without placing it, and the answer is the
    /// commission it would pay. A `-1013` refreshes the rules as
    /// [`Trading::place`] does.
    pub async fn test(&self, prepared: &Prepared) -> Result<OrderCommissions, PlaceError> {
        match self.ports.orders.test_order(&prepared.order).await {
            Ok(commissions) => Ok(commissions),
            Err(error) => Err(self.after_refusal(prepared, error).await),
        }
    }

    /// An order's state (`GET /api/v3/order`).
    pub async fn status(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        self.ports.orders.query_order(symbol, order).await
    }

    /// Cancels one order.
    pub async fn cancel(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error> {
        self.ports.orders.cancel_order(symbol, order).await
    }

    /// Cancels every open order on `symbol` (order lists included); none
    /// open is an empty list, not an error.
    pub async fn cancel_all(&self, symbol: &str) -> Result<Vec<Order>, Error> {
        match self.ports.orders.cancel_open_orders(symbol).await {
            // -2011 "Unknown order sent." is Binance's answer when there is
            // nothing to cancel.
            Err(error) if error.code() == Some(-2011) => Ok(Vec::new()),
            res => res,
        }
    }

    /// Open orders, on one symbol (weight 6) or all (weight 80), oldest
    /// first.
    pub async fn open_orders(&self, symbol: Option<&str>) -> Result<Vec<Order>, Error> {
        let mut orders = match symbol {
            Some(symbol) => self.ports.account.open_orders(symbol).await?,
            None => self.ports.account.all_open_orders().await?,
        };
        orders.sort_by_key(|order| (order.time, order.order_id));
        Ok(orders)
    }

    /// Orders of every status on `symbol` (`allOrders`), created from
    /// `since` on when given (else the latest `limit`), oldest first.
    pub async fn history(
        &self,
        symbol: &str,
        since: Option<Millis>,
        limit: Option<u32>,
    ) -> Result<Vec<Order>, Error> {
        let mut orders = self.ports.account.all_orders(symbol, since, limit).await?;
        orders.sort_by_key(|order| (order.time, order.order_id));
        Ok(orders)
    }

    /// The account's trades on `symbol`, with their fees, oldest first.
    pub async fn trades(
        &self,
        symbol: &str,
        limit: Option<u32>,
    ) -> Result<Vec<AccountTrade>, Error> {
        let mut trades = self.ports.account.my_trades(symbol, limit).await?;
        trades.sort_by_key(|trade| (trade.time, trade.id));
        Ok(trades)
    }

    /// A definite error answer to an order or a test order: on `-1013`,
    /// fetch the rules again and check the order against them.
    async fn after_refusal(&self, prepared: &Prepared, error: Error) -> PlaceError {
        if error.code() != Some(-1013) {
            return PlaceError::Failed(error);
        }
        tracing::info!("{error}; fetching the symbol's rules again");
        let Ok(rules) = self.rules(&prepared.order.symbol, true).await else {
            return PlaceError::Failed(error);
        };
        let Ok((context, _)) = self.context(&rules, prepared.order.side).await else {
            return PlaceError::Failed(error);
        };
        match preflight::validate(&rules.symbol, &prepared.order, &context) {
            Ok(()) => PlaceError::Failed(error),
            Err(failures) => PlaceError::Refused(Refusal {
                suggestion: preflight::suggest(&rules.symbol, &prepared.order, &context),
                failures,
                server: Some(error),
                leg: None,
            }),
        }
    }

    /// The symbol's rules: from the store while fresh, else fetched (and
    /// kept).
    async fn rules(&self, symbol: &str, refresh: bool) -> Result<Rules, Error> {
        let now = self.ports.clock.now_ms();
        let ttl_ms = Millis::try_from(self.config.rules_ttl.as_millis()).unwrap_or(Millis::MAX);
        if !refresh
            && let Some(cached) = self.ports.rules.load(&self.config.host, symbol)
            && (0..ttl_ms).contains(&now.saturating_sub(cached.fetched_at_ms))
            && let Some(rules) = Rules::of(&cached, symbol)
        {
            return Ok(rules);
        }
        let info = self
            .ports
            .market
            .exchange_info(&[symbol.to_owned()])
            .await?;
        let cached = CachedInfo {
            fetched_at_ms: now,
            info,
        };
        let rules = Rules::of(&cached, symbol).ok_or_else(|| {
            Error::invalid_with_hint(
                format!("the server lists no symbol `{symbol}`"),
                "use an existing symbol in capitals, e.g. `BTCUSDT`",
            )
        })?;
        self.ports.rules.save(&self.config.host, symbol, &cached);
        Ok(rules)
    }

    /// What the checks need beyond the rules, asked concurrently. Only
    /// what the symbol's filters use is asked for.
    async fn context(&self, rules: &Rules, side: Side) -> Result<(Context, Vec<String>), Error> {
        let symbol = rules.symbol.symbol.as_str();
        let market = self.ports.market.as_ref();
        let account = self.ports.account.as_ref();
        let needs_last_price = rules.symbol.filters.iter().any(uses_last_price);
        let needs_all_open = !rules.exchange_filters.is_empty();
        let needs_position = side == Side::Buy
            && rules
                .symbol
                .filters
                .iter()
                .any(|filter| matches!(filter, SymbolFilter::MaxPosition { .. }));
        let (reference, average, last, mine, open, balances) = tokio::join!(
            market.reference_price(symbol),
            market.avg_price(symbol),
            async {
                match needs_last_price {
                    true => market.ticker_price(symbol).await.map(Some),
                    false => Ok(None),
                }
            },
            account.my_filters(symbol),
            async {
                match needs_all_open {
                    true => account.all_open_orders().await,
                    false => account.open_orders(symbol).await,
                }
            },
            async {
                match needs_position {
                    true => account.account(true).await.map(Some),
                    false => Ok(None),
                }
            },
        );
        let mut notes = Vec::new();
        let reference_price = optional(reference, "referencePrice", &mut notes)?
            .and_then(|reference| reference.reference_price);
        let my_filters = optional(mine, "myFilters", &mut notes)?;
        let open = open?;
        let position = balances?.map(|account| {
            let base = account
                .balances
                .iter()
                .find(|balance| balance.asset == rules.symbol.base_asset)
                .cloned()
                .unwrap_or_else(|| mbx_domain::model::Balance {
                    asset: rules.symbol.base_asset.clone(),
                    free: Decimal::ZERO,
                    locked: Decimal::ZERO,
                });
            preflight::position(symbol, &base, &open)
        });
        let context = Context {
            reference_price,
            average_price: Some(average?.price),
            last_price: last?.map(|ticker| ticker.price),
            open_orders: Some(OpenOrderCounts::count(symbol, &open)),
            position,
            exchange_filters: rules.exchange_filters.clone(),
            my_filters,
            account_permissions: None,
        };
        Ok((context, notes))
    }
}

/// A symbol's `exchangeInfo` entry and the exchange-wide filters.
#[derive(Debug, Clone)]
struct Rules {
    symbol: SymbolInfo,
    exchange_filters: Vec<ExchangeFilter>,
}

impl Rules {
    fn of(cached: &CachedInfo, symbol: &str) -> Option<Rules> {
        Some(Rules {
            symbol: cached.info.symbol(symbol)?.clone(),
            exchange_filters: cached.info.exchange_filters.clone(),
        })
    }
}

/// An order built, rounded and checked: what [`check`] gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Exactly what is sent, `newClientOrderId` included.
    pub order: NewOrder,
    /// Numbers changed by rounding.
    pub rounded: Vec<Rounded>,
    /// Checks that could not run for want of data (the server runs them).
    pub unchecked: Vec<Unchecked>,
    /// The price a MARKET order is estimated at, if known.
    pub market_price: Option<Decimal>,
}

/// The part of [`Trading::prepare`] that needs no network: the order
/// built from `request` with its client order id (made up unless given),
/// rounded when [`OrderRequest::rounding`] asks, and checked by
/// [`preflight::check`] against `symbol` and `context`. `prepare` fetches
/// the rules and the context, then calls this; an embedder that keeps
/// both itself (a bot placing many orders) calls it directly, and
/// benches/orders.rs measures it.
///
/// ```
/// use mbx_client::orders::{OrderRequest, check};
/// use mbx_domain::model::{OrderType, Side, SymbolInfo};
/// use mbx_domain::preflight::{Context, Rounding};
///
/// let symbol: SymbolInfo = serde_json::from_str(r#"{"symbol": "BTCUSDT", "status": "TRADING",
///     "baseAsset": "BTC", "quoteAsset": "USDT", "orderTypes": ["LIMIT"],
///     "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
///                 {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000", "stepSize": "0.00001"}]}"#).unwrap();
/// let mut request = OrderRequest::new("BTCUSDT", Side::Buy, OrderType::Limit);
/// request.quantity = Some("0.0012345".parse().unwrap());
/// request.price = Some("50000.005".parse().unwrap());
/// request.rounding = Some(Rounding::Down);
/// let checked = check(&request, &symbol, &Context::default()).unwrap();
/// assert_eq!(checked.order.quantity, Some("0.00123".parse().unwrap()));
/// assert_eq!(checked.order.price, Some("50000.00".parse().unwrap()));
/// ```
// The error is `Trading::prepare`'s, which callers match on; boxing it for
// this function alone would make the two differ.
#[allow(clippy::result_large_err)]
pub fn check(
    request: &OrderRequest,
    symbol: &SymbolInfo,
    context: &Context,
) -> Result<Checked, PlaceError> {
    let mut order = build(request)?;
    let rounded = match request.rounding {
        Some(rounding) => round(symbol, &mut order, rounding),
        None => Vec::new(),
    };
    let report = preflight::check(symbol, &order, context);
    if !report.failures.is_empty() {
        return Err(PlaceError::Refused(Refusal {
            suggestion: preflight::suggest(symbol, &order, context),
            failures: report.failures,
            server: None,
            leg: None,
        }));
    }
    Ok(Checked {
        market_price: market_price(symbol, context),
        order,
        rounded,
        unchecked: report.unchecked,
    })
}

/// The order as asked, with its client order id.
fn build(request: &OrderRequest) -> Result<NewOrder, Error> {
    let client_order_id = match &request.client_order_id {
        Some(id) => {
            client_id::check(id)?;
            id.clone()
        }
        None => client_id::generate(),
    };
    let limit_like = matches!(
        request.order_type,
        OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
    );
    let time_in_force = request
        .time_in_force
        .or(limit_like.then_some(TimeInForce::Gtc));
    Ok(NewOrder {
        symbol: request.symbol.clone(),
        side: request.side,
        order_type: request.order_type,
        time_in_force,
        quantity: request.quantity,
        quote_order_qty: request.quote_order_qty,
        price: request.price,
        stop_price: request.stop_price,
        trailing_delta: request.trailing_delta,
        iceberg_qty: None,
        self_trade_prevention_mode: request.self_trade_prevention_mode,
        new_order_resp_type: Some(ResponseType::Full),
        new_client_order_id: Some(client_order_id),
    })
}

/// Rounds prices to the tick and quantities to the step; says what moved.
fn round(symbol: &SymbolInfo, order: &mut NewOrder, rounding: Rounding) -> Vec<Rounded> {
    let mut rounded = Vec::new();
    let mut apply = |field: Field, slot: &mut Option<Decimal>, to: Option<Decimal>| {
        if let (Some(from), Some(to)) = (*slot, to)
            && to != from
        {
            rounded.push(Rounded { field, from, to });
            *slot = Some(to);
        }
    };
    let price = order
        .price
        .and_then(|price| preflight::round_price(symbol, price, rounding));
    apply(Field::Price, &mut order.price, price);
    let stop = order
        .stop_price
        .and_then(|price| preflight::round_price(symbol, price, rounding));
    apply(Field::StopPrice, &mut order.stop_price, stop);
    let quantity = order.quantity.and_then(|quantity| {
        preflight::round_quantity(symbol, order.order_type, quantity, rounding)
    });
    apply(Field::Quantity, &mut order.quantity, quantity);
    let quote = order
        .quote_order_qty
        .map(|quote| match symbol.quote_precision() {
            Some(decimals) => preflight::round_to_decimals(quote, decimals, rounding),
            None => quote,
        });
    apply(Field::QuoteOrderQty, &mut order.quote_order_qty, quote);
    rounded
}

/// The price a MARKET order on `symbol` is measured against, as the
/// notional filters see it.
fn market_price(symbol: &SymbolInfo, context: &Context) -> Option<Decimal> {
    let mins = symbol
        .filters
        .iter()
        .find_map(|filter| match filter {
            SymbolFilter::Notional { avg_price_mins, .. }
            | SymbolFilter::MinNotional { avg_price_mins, .. } => Some(*avg_price_mins),
            _ => None,
        })
        .unwrap_or(1);
    context.market_price(mins).or(context.average_price)
}

/// Whether a filter measures against the last price (`avgPriceMins` 0).
fn uses_last_price(filter: &SymbolFilter) -> bool {
    match filter {
        SymbolFilter::PercentPrice { avg_price_mins, .. }
        | SymbolFilter::PercentPriceBySide { avg_price_mins, .. }
        | SymbolFilter::MinNotional { avg_price_mins, .. }
        | SymbolFilter::Notional { avg_price_mins, .. } => *avg_price_mins == 0,
        _ => false,
    }
}

/// An answer the checks can do without: a server that does not serve the
/// endpoint (`-1020`, 404, 405) skips the checks that need it; another
/// failure is kept as a note, and the server still checks the order.
fn optional<T>(
    res: Result<T, Error>,
    endpoint: &str,
    notes: &mut Vec<String>,
) -> Result<Option<T>, Error> {
    match res {
        Ok(value) => Ok(Some(value)),
        Err(error) if not_served(&error) => Ok(None),
        Err(error) if matches!(error.category(), Category::Network | Category::Server) => {
            notes.push(format!(
                "`{endpoint}` did not answer ({}); the checks that need it were skipped",
                error.message()
            ));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Whether the server does not serve an endpoint at all.
fn not_served(error: &Error) -> bool {
    error.code() == Some(-1020)
        || error
            .as_api()
            .is_some_and(|api| api.code.is_none() && matches!(api.status, 404 | 405))
}

/// An order found by a lookup, as an acknowledgement (without fills).
fn ack_of(order: Order) -> OrderAck {
    OrderAck {
        symbol: order.symbol,
        order_id: order.order_id,
        client_order_id: order.client_order_id,
        transact_time: order.time,
        price: Some(order.price),
        orig_qty: Some(order.orig_qty),
        status: Some(order.status),
        executed_qty: Some(order.executed_qty),
        cummulative_quote_qty: order.cummulative_quote_qty,
        time_in_force: order.time_in_force,
        order_type: Some(order.order_type),
        side: Some(order.side),
        fills: Vec::new(),
    }
}

/// `POST /api/v3/order` or `WS order.place`, as the error names it.
fn endpoint_of(error: &Error) -> String {
    match error {
        Error::Api(api) => api.endpoint.clone(),
        Error::OutcomeUnknown { endpoint, .. }
        | Error::Transport { endpoint, .. }
        | Error::Decode { endpoint, .. } => endpoint.clone(),
        _ => "order".to_owned(),
    }
}

/// What happened, in words that never call an unknown outcome a failure:
/// the server's code and message, or the transport's cause.
fn outcome_text(error: &Error) -> String {
    match error {
        Error::Api(api) => format!("{} answered {}", api.endpoint, api.code_and_msg()),
        Error::OutcomeUnknown { cause, .. } | Error::Transport { cause, .. } => {
            let mut text = format!("{}: no answer", endpoint_of(error));
            let mut level: Option<&(dyn std::error::Error + 'static)> = Some(cause);
            while let Some(cause) = level {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                level = cause.source();
            }
            text
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
