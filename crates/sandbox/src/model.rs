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
    /// Reads `type`: `-1116` for an unknown type. Stop and take-profit types
    /// are valid Binance types that no sandbox symbol lists in `orderTypes`,
    /// so they get `-2010` with errors.md's message for a type the symbol
    /// does not support ("Stop loss orders are not supported for this
    /// symbol." and the like).
    pub fn parse(text: &str) -> Result<OrderType, ApiError> {
        let not_supported = |msg| Err(ApiError::order_rejected(msg));
        match text {
            "LIMIT" => Ok(OrderType::Limit),
            "MARKET" => Ok(OrderType::Market),
            "LIMIT_MAKER" => Ok(OrderType::LimitMaker),
            "STOP_LOSS" => not_supported("Stop loss orders are not supported for this symbol."),
            "STOP_LOSS_LIMIT" => {
                not_supported("Stop loss limit orders are not supported for this symbol.")
            }
            "TAKE_PROFIT" => not_supported("Take profit orders are not supported for this symbol."),
            "TAKE_PROFIT_LIMIT" => {
                not_supported("Take profit limit orders are not supported for this symbol.")
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
}

impl ExpiryReason {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryReason::UnfilledIocQuantity => "UNFILLED_IOC_QUANTITY_EXPIRED",
            ExpiryReason::UnfilledFokOrder => "UNFILLED_FOK_ORDER_EXPIRED",
            ExpiryReason::InsufficientLiquidity => "INSUFFICIENT_LIQUIDITY",
            ExpiryReason::PriceRangeExceeded => "EXECUTION_RULE_PRICE_RANGE_EXCEEDED",
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
    fn check_type(text: &str, code: i64, msg: &str) {
        let err = OrderType::parse(text).unwrap_err();
        assert_eq!((err.code, err.msg.as_str()), (code, msg));
    }

    #[test]
    fn order_types_no_symbol_lists_get_the_documented_messages() {
        // errors.md § Messages for -1010, -2010, -2011 and -2038.
        check_type(
            "STOP_LOSS",
            -2010,
            "Stop loss orders are not supported for this symbol.",
        );
        check_type(
            "STOP_LOSS_LIMIT",
            -2010,
            "Stop loss limit orders are not supported for this symbol.",
        );
        check_type(
            "TAKE_PROFIT",
            -2010,
            "Take profit orders are not supported for this symbol.",
        );
        check_type(
            "TAKE_PROFIT_LIMIT",
            -2010,
            "Take profit limit orders are not supported for this symbol.",
        );
        check_type("OCO", -1116, "Invalid orderType.");
    }
}
