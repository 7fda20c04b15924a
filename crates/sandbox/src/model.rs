//! Binance's enums as the sandbox uses them (shared/binance-docs/enums.md).

use crate::error::ApiError;

/// `BUY` or `SELL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A bid.
    Buy,
    /// An ask.
    Sell,
}

impl Side {
    /// Reads `side`, `-1117` otherwise.
    pub fn parse(text: &str) -> Result<Side, ApiError> {
        match text {
            "BUY" => Ok(Side::Buy),
            "SELL" => Ok(Side::Sell),
            _ => Err(ApiError::bad_request(-1117, "Invalid side.")),
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Binance's order types (enums.md § Order types), all of which the
/// sandbox executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// `LIMIT`.
    Limit,
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER` (post-only).
    LimitMaker,
    /// `STOP_LOSS`: a market order once the stop triggers.
    StopLoss,
    /// `STOP_LOSS_LIMIT`: a limit order once the stop triggers.
    StopLossLimit,
    /// `TAKE_PROFIT`: a market order once the stop triggers.
    TakeProfit,
    /// `TAKE_PROFIT_LIMIT`: a limit order once the stop triggers.
    TakeProfitLimit,
}

impl OrderType {
    /// Every type, in the order `exchangeInfo` lists them.
    pub const ALL: [OrderType; 7] = [
        OrderType::Limit,
        OrderType::LimitMaker,
        OrderType::Market,
        OrderType::StopLoss,
        OrderType::StopLossLimit,
        OrderType::TakeProfit,
        OrderType::TakeProfitLimit,
    ];

    /// Reads `type`: `-1116` for an unknown type.
    pub fn parse(text: &str) -> Result<OrderType, ApiError> {
        OrderType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| ApiError::bad_request(-1116, "Invalid orderType."))
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::Market => "MARKET",
            OrderType::LimitMaker => "LIMIT_MAKER",
            OrderType::StopLoss => "STOP_LOSS",
            OrderType::StopLossLimit => "STOP_LOSS_LIMIT",
            OrderType::TakeProfit => "TAKE_PROFIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        }
    }

    /// A stop or take-profit type: waits for its trigger (an "algo" order
    /// of filters.md § MAX_NUM_ALGO_ORDERS).
    pub fn is_algo(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        )
    }

    /// A stop-loss type (as opposed to take-profit).
    pub fn is_stop_loss(self) -> bool {
        matches!(self, OrderType::StopLoss | OrderType::StopLossLimit)
    }

    /// How the order trades once it works: `MARKET`, `LIMIT` or
    /// `LIMIT_MAKER`.
    pub fn working_type(self) -> OrderType {
        match self {
            OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit => OrderType::Market,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit => {
                OrderType::Limit
            }
            OrderType::LimitMaker => OrderType::LimitMaker,
        }
    }

    /// Whether the type carries a limit `price`.
    pub fn has_price(self) -> bool {
        self.working_type() != OrderType::Market
    }
}

/// `GTC`, `IOC` or `FOK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Good till canceled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

impl TimeInForce {
    /// Reads `timeInForce`, `-1115` otherwise.
    pub fn parse(text: &str) -> Result<TimeInForce, ApiError> {
        match text {
            "GTC" => Ok(TimeInForce::Gtc),
            "IOC" => Ok(TimeInForce::Ioc),
            "FOK" => Ok(TimeInForce::Fok),
            _ => Err(ApiError::bad_request(-1115, "Invalid timeInForce.")),
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
        }
    }
}

/// An order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// On the book, nothing filled.
    New,
    /// On the book, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Canceled by the user.
    Canceled,
    /// Expired (IOC/FOK remainder, market order without liquidity, the
    /// other leg of an OCO, ...).
    Expired,
    /// Waiting for the working order of its order list to fill.
    PendingNew,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

impl OrderStatus {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
            OrderStatus::PendingNew => "PENDING_NEW",
            OrderStatus::ExpiredInMatch => "EXPIRED_IN_MATCH",
        }
    }

    /// Whether the order can still trade (on the book, waiting for its
    /// trigger, or pending in an order list): what `openOrders` lists.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::PendingNew
        )
    }
}

/// `selfTradePreventionMode` (enums.md § STP Modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StpMode {
    /// No prevention: the account may trade with itself.
    #[default]
    None,
    /// The taker's remainder expires.
    ExpireTaker,
    /// The resting order expires; the taker goes on matching.
    ExpireMaker,
    /// Both expire.
    ExpireBoth,
    /// Both lose the prevented quantity; whichever has none left expires.
    Decrement,
    /// A transfer between accounts of one trade group; within one account
    /// it acts as [`StpMode::Decrement`].
    Transfer,
}

impl StpMode {
    /// Every mode, as `allowedSelfTradePreventionModes` lists them.
    pub const ALL: [StpMode; 6] = [
        StpMode::None,
        StpMode::ExpireTaker,
        StpMode::ExpireMaker,
        StpMode::ExpireBoth,
        StpMode::Decrement,
        StpMode::Transfer,
    ];

    /// Reads `selfTradePreventionMode`, `-1130` otherwise.
    pub fn parse(text: &str) -> Result<StpMode, ApiError> {
        StpMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| ApiError::invalid_value("selfTradePreventionMode"))
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            StpMode::None => "NONE",
            StpMode::ExpireTaker => "EXPIRE_TAKER",
            StpMode::ExpireMaker => "EXPIRE_MAKER",
            StpMode::ExpireBoth => "EXPIRE_BOTH",
            StpMode::Decrement => "DECREMENT",
            StpMode::Transfer => "TRANSFER",
        }
    }
}

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// Identifiers only.
    Ack,
    /// The order's state.
    Result,
    /// The order's state and its fills.
    Full,
}

impl RespType {
    /// Reads `newOrderRespType`, `-1130` otherwise.
    pub fn parse(text: &str) -> Result<RespType, ApiError> {
        match text {
            "ACK" => Ok(RespType::Ack),
            "RESULT" => Ok(RespType::Result),
            "FULL" => Ok(RespType::Full),
            _ => Err(ApiError::invalid_value("newOrderRespType")),
        }
    }
}

/// Why an order expired (enums.md § Expiry Reasons), shown as
/// `expiryReason` in order responses and `eR` in `executionReport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryReason {
    /// `UNFILLED_IOC_QUANTITY_EXPIRED`: what an IOC order did not fill.
    UnfilledIocQuantity,
    /// `UNFILLED_FOK_ORDER_EXPIRED`: a FOK order that could not fill.
    UnfilledFokOrder,
    /// `INSUFFICIENT_LIQUIDITY`: a MARKET order that ran out of book.
    InsufficientLiquidity,
    /// `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`: the next fill would have been
    /// outside the `PRICE_RANGE` execution rule.
    PriceRangeExceeded,
    /// `REJECTED`: a stop that triggered, or an OTO's pending order, could
    /// not be placed (no balance, a `LIMIT_MAKER` that would take).
    Rejected,
    /// `OCO_TRIGGER`: the other leg of its OCO pair started working.
    OcoTrigger,
    /// `OTO_PHASE_ONE_EXPIRED`: the working order of its list expired.
    OtoPhaseOneExpired,
}

impl ExpiryReason {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryReason::UnfilledIocQuantity => "UNFILLED_IOC_QUANTITY_EXPIRED",
            ExpiryReason::UnfilledFokOrder => "UNFILLED_FOK_ORDER_EXPIRED",
            ExpiryReason::InsufficientLiquidity => "INSUFFICIENT_LIQUIDITY",
            ExpiryReason::PriceRangeExceeded => "EXECUTION_RULE_PRICE_RANGE_EXCEEDED",
            ExpiryReason::Rejected => "REJECTED",
            ExpiryReason::OcoTrigger => "OCO_TRIGGER",
            ExpiryReason::OtoPhaseOneExpired => "OTO_PHASE_ONE_EXPIRED",
        }
    }
}

/// Where an order placed through SOR last did something (`workingFloor`,
/// `k` in `executionReport`; faqs/sor_faq.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkingFloor {
    /// Filled, or expired, by smart order routing.
    Sor,
    /// On the order book of the order's own symbol.
    Exchange,
}

impl WorkingFloor {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkingFloor::Sor => "SOR",
            WorkingFloor::Exchange => "EXCHANGE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_type(text: &str, expected: Result<OrderType, (i64, &str)>) {
        let got = OrderType::parse(text).map_err(|err| (err.code, err.msg));
        let expected = expected.map_err(|(code, msg)| (code, msg.to_owned()));
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn every_documented_order_type_parses_and_nothing_else() {
        // enums.md § Order types.
        for kind in OrderType::ALL {
            check_type(kind.as_str(), Ok(kind));
        }
        check_type("OCO", Err((-1116, "Invalid orderType.")));
        check_type("stop_loss", Err((-1116, "Invalid orderType.")));
    }

    #[test]
    fn stop_types_work_as_market_or_limit() {
        assert_eq!(OrderType::StopLoss.working_type(), OrderType::Market);
        assert_eq!(OrderType::TakeProfitLimit.working_type(), OrderType::Limit);
        assert!(OrderType::TakeProfit.is_algo() && !OrderType::LimitMaker.is_algo());
        assert!(OrderType::StopLossLimit.is_stop_loss() && !OrderType::TakeProfit.is_stop_loss());
    }

    #[test]
    fn stp_modes_are_the_documented_six() {
        for mode in StpMode::ALL {
            assert_eq!(StpMode::parse(mode.as_str()).unwrap(), mode);
        }
        assert_eq!(StpMode::parse("EXPIRE").unwrap_err().code, -1130);
    }
}
