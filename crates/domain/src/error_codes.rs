//! Every error code of `shared/binance-docs/errors.md`, with its category
//! and a hint, and the hints for the messages that come with the codes the
//! matching engine and the filters share (`-2010`, `-1013`, …).
//!
//! A test walks [`ALL`] and fails on a code without a hint, so a code added
//! to the table must say what to do about it.

use crate::error::Category;

/// One documented error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCode {
    /// The code, e.g. `-1021`.
    pub code: i64,
    /// Binance's name for it, e.g. `INVALID_TIMESTAMP`.
    pub name: &'static str,
    /// What kind of failure it is.
    pub category: Category,
    /// What to do about it: one imperative sentence, no final period.
    pub hint: &'static str,
}

/// The code's entry, if errors.md documents it.
pub fn lookup(code: i64) -> Option<&'static KnownCode> {
    ALL.iter().find(|known| known.code == code)
}

const fn code(code: i64, name: &'static str, category: Category, hint: &'static str) -> KnownCode {
    KnownCode {
        code,
        name,
        category,
        hint,
    }
}

use Category::{Auth, Clock, RateLimit, Server, Signature, Usage, Validation};

const FIX_ONLY: &str =
    "this code belongs to the FIX API; check the FIX session's messages against fix-api.md";

/// Every code in errors.md, in its order.
pub const ALL: &[KnownCode] = &[
    code(
        -1000,
        "UNKNOWN",
        Server,
        "the server failed; look up the state of a request that changes state before repeating it, and retry reads later",
    ),
    code(
        -1001,
        "DISCONNECTED",
        Server,
        "the server could not process the request; send it again after a short wait",
    ),
    code(
        -1002,
        "UNAUTHORIZED",
        Auth,
        "send a valid API key in the `X-MBX-APIKEY` header for this request",
    ),
    code(
        -1003,
        "TOO_MANY_REQUESTS",
        RateLimit,
        "wait the `Retry-After` seconds before the next request and use WebSocket Streams instead of polling",
    ),
    code(
        -1006,
        "UNEXPECTED_RESP",
        Server,
        "the execution status is unknown: query the order by its `newClientOrderId` before sending it again",
    ),
    code(
        -1007,
        "TIMEOUT",
        Server,
        "the execution status is unknown: query the order by its `newClientOrderId` before sending it again; a read can simply be sent again",
    ),
    code(
        -1008,
        "SERVER_BUSY",
        Server,
        "the server is overloaded; retry in a few minutes, or use orders, which are not throttled this way",
    ),
    code(
        -1013,
        "INVALID_MESSAGE",
        Validation,
        "put price and quantity on the symbol's grid (`tickSize`, `stepSize`, `minNotional` in `exchangeInfo`)",
    ),
    code(
        -1014,
        "UNKNOWN_ORDER_COMPOSITION",
        Validation,
        "use a combination of `type`, `timeInForce`, `price`, `stopPrice` and `icebergQty` the order type documents",
    ),
    code(
        -1015,
        "TOO_MANY_ORDERS",
        RateLimit,
        "wait before placing more orders; `GET /api/v3/rateLimit/order` shows the current order counts",
    ),
    code(
        -1016,
        "SERVICE_SHUTTING_DOWN",
        Server,
        "this service is no longer available; use the endpoint the documentation now names",
    ),
    code(
        -1020,
        "UNSUPPORTED_OPERATION",
        Validation,
        "check the method and the path against the endpoint's documentation",
    ),
    code(
        -1021,
        "INVALID_TIMESTAMP",
        Clock,
        "sign with the server's time (`GET /api/v3/time`) in milliseconds, sync the system clock, or raise `recvWindow` (at most 60000)",
    ),
    code(
        -1022,
        "INVALID_SIGNATURE",
        Signature,
        "sign exactly the bytes sent: the percent-encoded query string, then the body, with the secret that belongs to the API key; put `signature` last",
    ),
    code(-1033, "COMP_ID_IN_USE", Usage, FIX_ONLY),
    code(
        -1034,
        "TOO_MANY_CONNECTIONS",
        RateLimit,
        "open fewer connections at once and reuse the ones you have",
    ),
    code(-1035, "LOGGED_OUT", Usage, FIX_ONLY),
    code(
        -1100,
        "ILLEGAL_CHARS",
        Validation,
        "send values in the documented characters; percent-encode non-ASCII symbols and sign the encoded text",
    ),
    code(
        -1101,
        "TOO_MANY_PARAMETERS",
        Validation,
        "send each parameter once (not in both the query and the body), and no more than the endpoint documents",
    ),
    code(
        -1102,
        "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
        Validation,
        "send the mandatory parameter the message names, with a value in its documented format",
    ),
    code(
        -1103,
        "UNKNOWN_PARAM",
        Validation,
        "remove the parameter the endpoint does not know; check its spelling and case",
    ),
    code(
        -1104,
        "UNREAD_PARAMETERS",
        Validation,
        "remove the parameters this endpoint does not read",
    ),
    code(
        -1105,
        "PARAM_EMPTY",
        Validation,
        "give the parameter a value, or leave it out",
    ),
    code(
        -1106,
        "PARAM_NOT_REQUIRED",
        Validation,
        "leave out the parameter the message names; it does not apply to this order type",
    ),
    code(
        -1108,
        "PARAM_OVERFLOW",
        Validation,
        "send a smaller value; the one sent overflows the parameter",
    ),
    code(
        -1111,
        "BAD_PRECISION",
        Validation,
        "round the value to the symbol's `tickSize` or `stepSize` and send no more decimals than the asset's precision",
    ),
    code(
        -1112,
        "NO_DEPTH",
        Validation,
        "the book has no orders to match against; use a limit order or wait for liquidity",
    ),
    code(
        -1114,
        "TIF_NOT_REQUIRED",
        Validation,
        "leave out `timeInForce`; this order type does not take it",
    ),
    code(
        -1115,
        "INVALID_TIF",
        Validation,
        "use a `timeInForce` the symbol supports: `GTC`, `IOC` or `FOK`",
    ),
    code(
        -1116,
        "INVALID_ORDER_TYPE",
        Validation,
        "use one of the symbol's `orderTypes` from `exchangeInfo`",
    ),
    code(
        -1117,
        "INVALID_SIDE",
        Validation,
        "send `side` as `BUY` or `SELL`",
    ),
    code(
        -1118,
        "EMPTY_NEW_CL_ORD_ID",
        Validation,
        "give `newClientOrderId` a value, or leave it out",
    ),
    code(
        -1119,
        "EMPTY_ORG_CL_ORD_ID",
        Validation,
        "give `origClientOrderId` a value, or use `orderId`",
    ),
    code(
        -1120,
        "BAD_INTERVAL",
        Validation,
        "use a documented interval such as `1m`, `1h` or `1d`",
    ),
    code(
        -1121,
        "BAD_SYMBOL",
        Validation,
        "use an existing symbol in capitals, e.g. `BTCUSDT`; `GET /api/v3/exchangeInfo` lists them",
    ),
    code(
        -1122,
        "INVALID_SYMBOLSTATUS",
        Validation,
        "use a documented `symbolStatus`: `TRADING`, `HALT` or `BREAK`",
    ),
    code(
        -1125,
        "INVALID_LISTEN_KEY",
        Validation,
        "listenKeys were removed for Spot; subscribe with `userDataStream.subscribe.signature` on the WebSocket API",
    ),
    code(
        -1127,
        "MORE_THAN_XX_HOURS",
        Validation,
        "ask for a shorter time range: `startTime` to `endTime` at most the documented span",
    ),
    code(
        -1128,
        "OPTIONAL_PARAMS_BAD_COMBO",
        Validation,
        "send only the documented combinations of optional parameters, e.g. `symbol` or `symbols`, not both",
    ),
    code(
        -1130,
        "INVALID_PARAMETER",
        Validation,
        "use one of the values the endpoint documents for the parameter the message names",
    ),
    code(
        -1134,
        "BAD_STRATEGY_TYPE",
        Validation,
        "send `strategyType` as an integer of at least 1000000",
    ),
    code(
        -1135,
        "INVALID_JSON",
        Validation,
        "send the parameter as valid JSON, e.g. `symbols=[\"BTCUSDT\",\"ETHUSDT\"]`",
    ),
    code(
        -1139,
        "INVALID_TICKER_TYPE",
        Validation,
        "send `type` as `FULL` or `MINI`",
    ),
    code(
        -1145,
        "INVALID_CANCEL_RESTRICTIONS",
        Validation,
        "send `cancelRestrictions` as `ONLY_NEW` or `ONLY_PARTIALLY_FILLED`",
    ),
    code(
        -1151,
        "DUPLICATE_SYMBOLS",
        Validation,
        "list each symbol once in `symbols`",
    ),
    code(
        -1152,
        "INVALID_SBE_HEADER",
        Validation,
        "send the `X-MBX-SBE` header as `<SCHEMA_ID>:<VERSION>`, or leave it out for JSON",
    ),
    code(
        -1153,
        "UNSUPPORTED_SCHEMA_ID",
        Validation,
        "ask for an SBE schema ID and version the server supports, or leave `X-MBX-SBE` out for JSON",
    ),
    code(
        -1155,
        "SBE_DISABLED",
        Validation,
        "ask for JSON: SBE is not enabled here",
    ),
    code(
        -1158,
        "OCO_ORDER_TYPE_REJECTED",
        Validation,
        "use an order type OCO legs accept for `aboveType` and `belowType`",
    ),
    code(
        -1160,
        "OCO_ICEBERGQTY_TIMEINFORCE",
        Validation,
        "use `GTC` as the leg's `timeInForce` when it has `icebergQty`",
    ),
    code(
        -1161,
        "DEPRECATED_SCHEMA",
        Validation,
        "ask for the SBE schema version the message names, or a newer one",
    ),
    code(
        -1165,
        "BUY_OCO_LIMIT_MUST_BE_BELOW",
        Validation,
        "in a buy OCO, put the limit order below the current price",
    ),
    code(
        -1166,
        "SELL_OCO_LIMIT_MUST_BE_ABOVE",
        Validation,
        "in a sell OCO, put the limit order above the current price",
    ),
    code(
        -1168,
        "BOTH_OCO_ORDERS_CANNOT_BE_LIMIT",
        Validation,
        "make one OCO leg a stop-loss or take-profit order",
    ),
    code(-1169, "INVALID_TAG_NUMBER", Usage, FIX_ONLY),
    code(-1170, "TAG_NOT_DEFINED_IN_MESSAGE", Usage, FIX_ONLY),
    code(-1171, "TAG_APPEARS_MORE_THAN_ONCE", Usage, FIX_ONLY),
    code(-1172, "TAG_OUT_OF_ORDER", Usage, FIX_ONLY),
    code(-1173, "GROUP_FIELDS_OUT_OF_ORDER", Usage, FIX_ONLY),
    code(-1174, "INVALID_COMPONENT", Usage, FIX_ONLY),
    code(-1175, "RESET_SEQ_NUM_SUPPORT", Usage, FIX_ONLY),
    code(-1176, "ALREADY_LOGGED_IN", Usage, FIX_ONLY),
    code(-1177, "GARBLED_MESSAGE", Usage, FIX_ONLY),
    code(-1178, "BAD_SENDER_COMPID", Usage, FIX_ONLY),
    code(-1179, "BAD_SEQ_NUM", Usage, FIX_ONLY),
    code(-1180, "EXPECTED_LOGON", Usage, FIX_ONLY),
    code(
        -1181,
        "TOO_MANY_MESSAGES",
        RateLimit,
        "send fewer messages per interval on this session",
    ),
    code(
        -1182,
        "PARAMS_BAD_COMBO",
        Validation,
        "send only a documented combination of parameters",
    ),
    code(-1183, "NOT_ALLOWED_IN_DROP_COPY_SESSIONS", Usage, FIX_ONLY),
    code(-1184, "DROP_COPY_SESSION_NOT_ALLOWED", Usage, FIX_ONLY),
    code(-1185, "DROP_COPY_SESSION_REQUIRED", Usage, FIX_ONLY),
    code(
        -1186,
        "NOT_ALLOWED_IN_ORDER_ENTRY_SESSIONS",
        Usage,
        FIX_ONLY,
    ),
    code(
        -1187,
        "NOT_ALLOWED_IN_MARKET_DATA_SESSIONS",
        Usage,
        FIX_ONLY,
    ),
    code(-1188, "INCORRECT_NUM_IN_GROUP_COUNT", Usage, FIX_ONLY),
    code(-1189, "DUPLICATE_ENTRIES_IN_A_GROUP", Usage, FIX_ONLY),
    code(-1190, "INVALID_REQUEST_ID", Usage, FIX_ONLY),
    code(
        -1191,
        "TOO_MANY_SUBSCRIPTIONS",
        RateLimit,
        "subscribe to fewer streams on this connection, or open another one",
    ),
    code(
        -1194,
        "INVALID_TIME_UNIT",
        Validation,
        "send `timeUnit` as `MILLISECOND` or `MICROSECOND`",
    ),
    code(
        -1196,
        "BUY_OCO_STOP_LOSS_MUST_BE_ABOVE",
        Validation,
        "in a buy OCO, put the stop-loss order above the current price",
    ),
    code(
        -1197,
        "SELL_OCO_STOP_LOSS_MUST_BE_BELOW",
        Validation,
        "in a sell OCO, put the stop-loss order below the current price",
    ),
    code(
        -1198,
        "BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW",
        Validation,
        "in a buy OCO, put the take-profit order below the current price",
    ),
    code(
        -1199,
        "SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE",
        Validation,
        "in a sell OCO, put the take-profit order above the current price",
    ),
    code(
        -1210,
        "INVALID_PEG_PRICE_TYPE",
        Validation,
        "send `pegPriceType` as `PRIMARY_PEG` or `MARKET_PEG`",
    ),
    code(
        -1211,
        "INVALID_PEG_OFFSET_TYPE",
        Validation,
        "send `pegOffsetType` as `PRICE_LEVEL`",
    ),
    code(
        -1220,
        "SYMBOL_DOES_NOT_MATCH_STATUS",
        Validation,
        "leave out `symbolStatus`, or ask for the status the symbol has",
    ),
    code(
        -1221,
        "INVALID_SBE_MESSAGE_FIELD",
        Validation,
        "send every field the SBE message requires, with valid values",
    ),
    code(
        -1222,
        "OPO_WORKING_MUST_BE_BUY",
        Validation,
        "make the working order of an OPO list a buy",
    ),
    code(
        -1223,
        "OPO_PENDING_MUST_BE_SELL",
        Validation,
        "make the pending orders of an OPO list sells",
    ),
    code(
        -1224,
        "WORKING_PARAM_REQUIRED",
        Validation,
        "give the working order the parameter the message names",
    ),
    code(
        -1225,
        "PENDING_PARAM_NOT_REQUIRED",
        Validation,
        "leave the parameter the message names out of the pending orders",
    ),
    code(
        -2010,
        "NEW_ORDER_REJECTED",
        Validation,
        "the matching engine refused the order: check the free balance and that the order type, price and time in force suit the market right now",
    ),
    code(
        -2011,
        "CANCEL_REJECTED",
        Validation,
        "the order is unknown or no longer open; list the open orders (`GET /api/v3/openOrders`)",
    ),
    code(
        -2013,
        "NO_SUCH_ORDER",
        Validation,
        "check the symbol and the `orderId` or `origClientOrderId`; orders canceled with no fill are archived after 90 days",
    ),
    code(
        -2014,
        "BAD_API_KEY_FMT",
        Auth,
        "send the API key in the `X-MBX-APIKEY` header, never in the URL; check it for quotes, spaces or a truncated copy",
    ),
    code(
        -2015,
        "REJECTED_MBX_KEY",
        Auth,
        "check that the API key exists on this environment (testnet and demo keys do not work on production), that this IP is on its whitelist, and that it has the permission this call needs (orders need Spot & Margin Trading)",
    ),
    code(
        -2016,
        "NO_TRADING_WINDOW",
        Validation,
        "ask `GET /api/v3/ticker/24hr` instead; this symbol has no trading window",
    ),
    code(
        -2021,
        "CANCEL_REPLACE_PARTIALLY_FAILED",
        Validation,
        "one half of the cancel-replace failed; query the order and the open orders before sending anything else",
    ),
    code(
        -2022,
        "CANCEL_REPLACE_FAILED",
        Validation,
        "both halves of the cancel-replace failed; the message says why each one did",
    ),
    code(
        -2026,
        "ORDER_ARCHIVED",
        Validation,
        "the order was canceled or expired with no fill over 90 days ago and is archived; it cannot be queried",
    ),
    code(
        -2035,
        "SUBSCRIPTION_ACTIVE",
        Usage,
        "the user-data stream is already subscribed on this connection; keep using that subscription",
    ),
    code(
        -2036,
        "SUBSCRIPTION_INACTIVE",
        Usage,
        "subscribe to the user-data stream before unsubscribing or asking about it",
    ),
    code(
        -2039,
        "CLIENT_ORDER_ID_INVALID",
        Validation,
        "send the `origClientOrderId` that belongs to this `orderId`, or only one of them",
    ),
    code(
        -2042,
        "MAXIMUM_SUBSCRIPTION_IDS",
        RateLimit,
        "open a new WebSocket API connection; this one has used every subscription ID",
    ),
    code(
        -2043,
        "NO_REFERENCE_PRICE",
        Validation,
        "this symbol has no reference price; do not use the reference-price rules for it",
    ),
];

/// Hints for the matching engine's messages that come with `-2010`,
/// `-2011`, `-1010` and `-2038` (errors.md § "Messages for -1010 …").
pub fn engine_message_hint(msg: &str) -> Option<&'static str> {
    const MESSAGES: &[(&str, &str)] = &[
        (
            "Unknown order sent",
            "check the symbol and the `orderId` or `origClientOrderId`; the order is not open",
        ),
        (
            "Duplicate order sent",
            "use a new `newClientOrderId`; this one belongs to an open order (look it up before placing it again)",
        ),
        (
            "Market is closed",
            "the symbol is not trading now; check its `status` in `exchangeInfo`",
        ),
        (
            "insufficient balance",
            "lower the quantity or free the balance: the free balance must cover the order and its fee",
        ),
        (
            "Market orders are not supported",
            "use a limit order; this symbol does not allow `MARKET`",
        ),
        (
            "Iceberg orders are not supported",
            "leave out `icebergQty`; this symbol does not allow iceberg orders",
        ),
        (
            "Stop loss orders are not supported",
            "use another order type; this symbol does not allow `STOP_LOSS`",
        ),
        (
            "Stop loss limit orders are not supported",
            "use another order type; this symbol does not allow `STOP_LOSS_LIMIT`",
        ),
        (
            "Take profit orders are not supported",
            "use another order type; this symbol does not allow `TAKE_PROFIT`",
        ),
        (
            "Take profit limit orders are not supported",
            "use another order type; this symbol does not allow `TAKE_PROFIT_LIMIT`",
        ),
        (
            "Order amend is not supported",
            "cancel and place the order again; this symbol does not allow amend keep priority",
        ),
        (
            "Price * QTY is zero or less",
            "raise `price` or `quantity`: their product must be positive",
        ),
        (
            "IcebergQty exceeds QTY",
            "make `icebergQty` smaller than `quantity`",
        ),
        (
            "This action is disabled on this account",
            "contact Binance support; this action is disabled on the account",
        ),
        (
            "may not place or cancel orders",
            "contact Binance support; trading is disabled on the account",
        ),
        (
            "Unsupported order combination",
            "use a combination of `type`, `timeInForce`, `stopPrice` and `icebergQty` the order type documents",
        ),
        (
            "Order would trigger immediately",
            "put `stopPrice` on the other side of the last price, so it does not trigger at once",
        ),
        (
            "Cancel order is invalid",
            "send `orderId` or `origClientOrderId` with the cancel",
        ),
        (
            "Order would immediately match and take",
            "move the `LIMIT_MAKER` price away from the best price on the other side, so it rests instead of trading",
        ),
        (
            "relationship of the prices",
            "order the OCO prices as documented: BUY `price` < last price < `stopPrice`; SELL `price` > last price > `stopPrice`",
        ),
        (
            "OCO orders are not supported",
            "place the legs as separate orders; this symbol does not allow OCO",
        ),
        (
            "Quote order qty market orders are not support",
            "send `quantity` instead of `quoteOrderQty`; this symbol does not allow it",
        ),
        (
            "Trailing stop orders are not supported",
            "leave out `trailingDelta`; this symbol does not allow trailing stops",
        ),
        (
            "Order cancel-replace is not supported",
            "cancel, then place; this symbol does not allow cancel-replace",
        ),
        (
            "not permitted for this account",
            "trade a symbol whose permissions match the account's (e.g. `SPOT`)",
        ),
        (
            "restricted for this account",
            "this account cannot trade this symbol; use an account with the right permissions",
        ),
        (
            "cancel restrictions",
            "check the order's status first: `cancelRestrictions` allows the cancel only for that status",
        ),
        (
            "trading is not enabled",
            "enable trading for the API key, or use an endpoint of a server that allows `TRADE` requests",
        ),
        (
            "liquidity is less than",
            "use `quantity` instead of `quoteOrderQty`, or wait for more liquidity on the book",
        ),
        (
            "liquidity is too low for this pegged order",
            "leave out `pegPriceType`; the book has no level to peg to",
        ),
        (
            "quantity increase) is not supported",
            "send a `newQty` smaller than the order's quantity; amend can only reduce it",
        ),
        (
            "would change no state",
            "send a request that changes something, e.g. a `newQty` different from the current quantity",
        ),
        (
            "Pegged orders are not supported",
            "leave out `pegPriceType`; this symbol does not allow pegged orders",
        ),
        (
            "may not use pegged price",
            "leave out `pegPriceType` for this order type",
        ),
        (
            "price peg cannot be used with this order type",
            "use `PRIMARY_PEG` with `LIMIT_MAKER`, not `MARKET_PEG`",
        ),
        (
            "OPO orders are not supported",
            "place the orders separately; this symbol does not allow OPO",
        ),
        (
            "pending OPO order",
            "cancel and place the pending OPO order again; its quantity cannot be amended",
        ),
    ];
    let lower = msg.to_ascii_lowercase();
    MESSAGES
        .iter()
        .find(|(needle, _)| lower.contains(&needle.to_ascii_lowercase()))
        .map(|(_, hint)| *hint)
}

/// Hints for `Filter failure: NAME` messages (errors.md § "Filter failures",
/// filters.md).
pub fn filter_hint(msg: &str) -> Option<&'static str> {
    const FILTERS: &[(&str, &str)] = &[
        (
            "PRICE_FILTER",
            "put `price` between the symbol's `minPrice` and `maxPrice`, on a multiple of `tickSize`",
        ),
        (
            "PERCENT_PRICE_BY_SIDE",
            "put `price` within the symbol's allowed distance from the average price (`bidMultiplierUp/Down`, `askMultiplierUp/Down`)",
        ),
        (
            "PERCENT_PRICE",
            "put `price` within the symbol's `multiplierUp`/`multiplierDown` of the average price",
        ),
        (
            "MARKET_LOT_SIZE",
            "put a market order's `quantity` between `minQty` and `maxQty` of `MARKET_LOT_SIZE`, on a multiple of its `stepSize`",
        ),
        (
            "LOT_SIZE",
            "put `quantity` between the symbol's `minQty` and `maxQty`, on a multiple of `stepSize`",
        ),
        (
            "MIN_NOTIONAL",
            "raise `price` × `quantity` to at least the symbol's `minNotional`",
        ),
        (
            "NOTIONAL",
            "put `price` × `quantity` between the symbol's `minNotional` and `maxNotional`",
        ),
        (
            "ICEBERG_PARTS",
            "raise `icebergQty` so the order splits into no more than the symbol's `limit` parts",
        ),
        (
            "MAX_POSITION",
            "the position would pass `maxPosition`: lower the quantity or sell some of the base asset first",
        ),
        (
            "EXCHANGE_MAX_NUM_ORDERS",
            "cancel some open orders; the account has the most open orders the exchange allows",
        ),
        (
            "EXCHANGE_MAX_NUM_ALGO_ORDERS",
            "cancel some stop or take-profit orders; the account has the most the exchange allows",
        ),
        (
            "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
            "cancel some iceberg orders; the account has the most the exchange allows",
        ),
        (
            "EXCHANGE_MAX_NUM_ORDER_LISTS",
            "cancel some order lists; the account has the most the exchange allows",
        ),
        (
            "MAX_NUM_ORDERS",
            "cancel some open orders on this symbol; it has the most `maxNumOrders` allows",
        ),
        (
            "MAX_NUM_ALGO_ORDERS",
            "cancel some stop or take-profit orders on this symbol; it has the most `maxNumAlgoOrders` allows",
        ),
        (
            "MAX_NUM_ICEBERG_ORDERS",
            "cancel some iceberg orders on this symbol; it has the most `maxNumIcebergOrders` allows",
        ),
        (
            "MAX_NUM_ORDER_AMENDS",
            "cancel and place the order again; it has been amended the most times allowed",
        ),
        (
            "MAX_NUM_ORDER_LISTS",
            "cancel some order lists on this symbol; it has the most `maxNumOrderLists` allows",
        ),
        (
            "TRAILING_DELTA",
            "put `trailingDelta` between the filter's minimum and maximum for this order type",
        ),
        (
            "MAX_ASSET",
            "lower the quantity; the order would pass the asset's `maxQty`",
        ),
    ];
    FILTERS
        .iter()
        .find(|(name, _)| msg.contains(name))
        .map(|(_, hint)| *hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_hint() {
        for known in ALL {
            assert!(!known.hint.is_empty(), "{} has no hint", known.code);
            assert!(
                !known.hint.ends_with('.'),
                "{}: a hint has no final period",
                known.code
            );
        }
    }

    #[test]
    fn codes_are_listed_once() {
        for (idx, known) in ALL.iter().enumerate() {
            assert!(
                ALL[idx + 1..].iter().all(|other| other.code != known.code),
                "{} is listed twice",
                known.code
            );
        }
    }

    #[test]
    fn filters_are_matched_by_their_most_specific_name() {
        assert!(
            filter_hint("Filter failure: MARKET_LOT_SIZE")
                .unwrap()
                .contains("market order")
        );
        assert!(
            filter_hint("Filter failure: EXCHANGE_MAX_NUM_ORDERS")
                .unwrap()
                .contains("exchange")
        );
        assert!(
            filter_hint("Filter failure: NOTIONAL")
                .unwrap()
                .contains("maxNotional")
        );
    }
}
