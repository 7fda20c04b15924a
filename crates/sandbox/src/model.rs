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

/// The order types the sandbox executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// `LIMIT`.
    Limit,
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER` (post-only).
    LimitMaker,
}

impl OrderType {
    /// Reads `type`: `-1116` for an unknown type; stop and take-profit types
    /// are valid Binance types that the sandbox does not support, so they get
    /// `-2010` "Unsupported order combination".
    pub fn parse(text: &str) -> Result<OrderType, ApiError> {
        match text {
            "LIMIT" => Ok(OrderType::Limit),
            "MARKET" => Ok(OrderType::Market),
            "LIMIT_MAKER" => Ok(OrderType::LimitMaker),
            "STOP_LOSS" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT" | "TAKE_PROFIT_LIMIT" => {
                Err(ApiError::order_rejected("Unsupported order combination"))
            }
            _ => Err(ApiError::bad_request(-1116, "Invalid orderType.")),
        }
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::Market => "MARKET",
            OrderType::LimitMaker => "LIMIT_MAKER",
        }
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
    /// Expired (IOC/FOK remainder, market order without liquidity).
    Expired,
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
        }
    }

    /// Whether the order is still on the book.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
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
