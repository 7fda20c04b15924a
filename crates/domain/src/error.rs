//! Errors: what the server answered ([`BinanceError`], with a [`Hint`]) and
//! what went wrong on the way ([`Error`]).

use std::fmt;

/// An error answer from Binance: the HTTP status, Binance's code and its
/// message word for word, and the endpoint that answered.
///
/// `code` is `None` when the body was not Binance's `{"code","msg"}` (a
/// plain HTTP failure such as a proxy's 502 page); `msg` then holds a short
/// description of the status and body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{endpoint} failed: {}", self.code_and_msg())]
pub struct BinanceError {
    /// The HTTP status (0 when there was none, e.g. a WebSocket API answer).
    pub status: u16,
    /// Binance's error code, e.g. `-2014`.
    pub code: Option<i64>,
    /// Binance's message, unchanged.
    pub msg: String,
    /// The request, as `METHOD /path` (never with its query string).
    pub endpoint: String,
}

impl BinanceError {
    /// An error answer.
    pub fn new(
        status: u16,
        code: Option<i64>,
        msg: impl Into<String>,
        endpoint: impl Into<String>,
    ) -> BinanceError {
        BinanceError {
            status,
            code,
            msg: msg.into(),
            endpoint: endpoint.into(),
        }
    }

    /// `-2014 API-key format invalid.`, or the message alone without a code.
    pub fn code_and_msg(&self) -> String {
        match self.code {
            Some(code) => format!("{code} {}", self.msg),
            None => format!("HTTP {} {}", self.status, self.msg),
        }
    }

    /// What the user should do about this error, when we know.
    pub fn hint(&self) -> Option<Hint> {
        let text = match (self.code, self.status) {
            (Some(-2014), _) => {
                "send the API key in the `X-MBX-APIKEY` header, never in the URL; check `BINANCE_API_KEY` for quotes, spaces or a truncated copy"
            }
            (Some(-2015), _) => {
                "check that the key in `BINANCE_API_KEY` exists, that this IP is on its whitelist and that it has the permission this call needs (orders need Spot & Margin Trading); run `mbx doctor`"
            }
            (Some(-1022), _) => {
                "check that `BINANCE_API_SECRET` (or `BINANCE_PRIVATE_KEY_FILE`) belongs to `BINANCE_API_KEY`, and sign the percent-encoded query exactly as it is sent"
            }
            (Some(-1021), _) => {
                "sync the system clock (`mbx time` shows the offset) or raise `--recv-window` (at most 60000)"
            }
            (Some(-1003), 418) | (None, 418) => {
                "this IP is banned for sending too many requests; send nothing until the `Retry-After` time has passed, then use WebSocket Streams instead of polling"
            }
            (Some(-1003), _) | (None, 429) => {
                "wait the `Retry-After` seconds before the next request and use WebSocket Streams instead of polling"
            }
            (Some(-1015), _) => {
                "wait before placing more orders; `GET /api/v3/rateLimit/order` shows the unfilled order count"
            }
            (Some(-1013), _) => {
                "put price and quantity on the symbol's grid (`tickSize`, `stepSize`, `minNotional`); see `mbx api GET /api/v3/exchangeInfo -p symbol=SYMBOL`"
            }
            (Some(-1100), _) | (Some(-1102), _) => {
                "check the parameter names and values against the endpoint's documentation: mandatory ones must be present and not empty, values use the documented characters"
            }
            (Some(-1101), _) => {
                "send each parameter once, and no more parameters than the endpoint documents"
            }
            (Some(-1104), _) => {
                "remove the parameters this endpoint does not take; Binance rejects names it does not read"
            }
            (Some(-1105), _) => "give the parameter a value, or leave it out",
            (Some(-1106), _) => "leave out the parameter the message names; it does not apply here",
            (Some(-1111), _) => {
                "round the value to the symbol's `tickSize` or `stepSize`; see `mbx api GET /api/v3/exchangeInfo -p symbol=SYMBOL`"
            }
            (Some(-1128), _) => {
                "send only the documented combinations of optional parameters, e.g. `symbol` or `symbols`, not both"
            }
            (Some(-1130), _) => {
                "use one of the values the endpoint documents for this parameter, e.g. `BUY` or `SELL` for `side`"
            }
            (Some(-1020), _) | (None, 405) => {
                "check the method and the path against the endpoint's documentation, e.g. `mbx api GET /api/v3/ticker/price`"
            }
            (Some(-1121), _) => {
                "use an existing symbol in capitals, e.g. `BTCUSDT`; `mbx api GET /api/v3/exchangeInfo` lists them"
            }
            (Some(-2010), _) => {
                "check the free balance with `mbx balances` and that the order type, price and time in force suit the market right now"
            }
            (Some(-2011), _) | (Some(-2013), _) => {
                "the order is unknown or no longer open; list open orders with `mbx api GET /api/v3/openOrders --signed`"
            }
            (Some(-1007), _) => {
                "the outcome is unknown: query the order by its `newClientOrderId` before sending it again"
            }
            (None, 403) => {
                "a web application firewall blocked the request; slow down and keep SQL keywords out of parameters"
            }
            (None, 404) => "check the path and the `--base-url`",
            (None, status) if status >= 500 => {
                "the server failed and the outcome is unknown; query the state before repeating a request that changes it"
            }
            _ => return None,
        };
        Some(Hint(text.to_owned()))
    }

    /// Whether this answer means "too many requests" or "banned" (429/418).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.status, 429 | 418)
    }
}

/// One imperative sentence saying what to do, naming the exact header, flag
/// or environment variable in backticks. No final period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint(String);

impl Hint {
    /// A hint from text.
    pub fn new(text: impl Into<String>) -> Hint {
        Hint(text.into())
    }

    /// The hint text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a port can fail with.
///
/// [`Error::Transport`] may go away on a retry; [`Error::Api`] will not
/// (except for rate limits, after the wait the server asked for).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not get an answer: connection refused or reset,
    /// timeout, TLS failure. Whether the server acted on it is unknown.
    #[error("{endpoint}: network error: {reason}")]
    Transport {
        /// The request, as `METHOD /path`.
        endpoint: String,
        /// What failed, without secrets.
        reason: String,
    },
    /// The server answered with an error.
    #[error(transparent)]
    Api(#[from] BinanceError),
    /// The server answered with success, but the body is not what the
    /// endpoint documents.
    #[error("{endpoint}: unexpected response: {reason}")]
    Decode {
        /// The request, as `METHOD /path`.
        endpoint: String,
        /// What did not parse, with the start of the body.
        reason: String,
    },
    /// The request was held back because the rate-limit ledger (or a
    /// `Retry-After` from the server) says it may not be sent for longer than
    /// the caller is willing to wait.
    #[error("{endpoint}: not sent, the rate limit allows it again in {wait_ms} ms")]
    Throttled {
        /// The request, as `METHOD /path`.
        endpoint: String,
        /// How long until it may be sent.
        wait_ms: i64,
    },
    /// The request was refused before it was sent (a missing credential, a
    /// parameter the client adds itself, a plain-http URL to a remote host).
    #[error("{0}")]
    InvalidRequest(String),
}

impl Error {
    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Throttled { .. } => true,
            Error::Api(err) => err.is_rate_limited() || err.status >= 500,
            Error::Decode { .. } | Error::InvalidRequest(_) => false,
        }
    }

    /// The Binance error, if the server answered with one.
    pub fn as_api(&self) -> Option<&BinanceError> {
        match self {
            Error::Api(err) => Some(err),
            _ => None,
        }
    }

    /// What to do about this error, when we know.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::Api(err) => err.hint(),
            Error::Transport { .. } => Some(Hint::new(
                "check the network and the `--base-url`; `mbx doctor` tests the connection step by step",
            )),
            Error::Throttled { .. } => Some(Hint::new(
                "wait until the rate limit resets and use WebSocket Streams instead of polling",
            )),
            Error::Decode { .. } | Error::InvalidRequest(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(status: u16, code: Option<i64>, needle: &str) {
        let err = BinanceError::new(status, code, "msg", "GET /api/v3/account");
        let hint = err.hint().expect("a hint");
        assert!(
            hint.as_str().contains(needle),
            "{status} {code:?}: {hint} lacks {needle}"
        );
        assert!(!hint.as_str().ends_with('.'), "{hint} ends with a period");
    }

    #[test]
    fn bad_key_format() {
        check(401, Some(-2014), "`X-MBX-APIKEY`")
    }
    #[test]
    fn rejected_key() {
        check(401, Some(-2015), "`BINANCE_API_KEY`")
    }
    #[test]
    fn bad_signature() {
        check(400, Some(-1022), "`BINANCE_API_SECRET`")
    }
    #[test]
    fn clock_skew() {
        check(400, Some(-1021), "`--recv-window`")
    }
    #[test]
    fn too_many_requests() {
        check(429, Some(-1003), "`Retry-After`")
    }
    #[test]
    fn banned() {
        check(418, Some(-1003), "banned")
    }
    #[test]
    fn plain_429() {
        check(429, None, "`Retry-After`")
    }
    #[test]
    fn filter_failure() {
        check(400, Some(-1013), "`tickSize`")
    }
    #[test]
    fn illegal_chars() {
        check(400, Some(-1100), "parameter")
    }
    #[test]
    fn mandatory_param() {
        check(400, Some(-1102), "mandatory")
    }
    #[test]
    fn order_rejected() {
        check(400, Some(-2010), "`mbx balances`")
    }
    #[test]
    fn cancel_rejected() {
        check(400, Some(-2011), "openOrders")
    }
    #[test]
    fn server_failure() {
        check(503, None, "unknown")
    }
    #[test]
    fn waf() {
        check(403, None, "firewall")
    }
    #[test]
    fn unread_params() {
        check(400, Some(-1104), "remove the parameters")
    }
    #[test]
    fn duplicate_params() {
        check(400, Some(-1101), "once")
    }
    #[test]
    fn empty_param() {
        check(400, Some(-1105), "value")
    }
    #[test]
    fn too_much_precision() {
        check(400, Some(-1111), "`stepSize`")
    }
    #[test]
    fn unsupported_operation() {
        check(404, Some(-1020), "method and the path")
    }
    #[test]
    fn unknown_code_has_no_hint() {
        assert_eq!(BinanceError::new(400, Some(-1099), "m", "e").hint(), None);
    }
    #[test]
    fn display_names_endpoint_code_and_message() {
        let err = BinanceError::new(
            401,
            Some(-2014),
            "API-key format invalid.",
            "GET /api/v3/account",
        );
        assert_eq!(
            err.to_string(),
            "GET /api/v3/account failed: -2014 API-key format invalid."
        );
        let err = BinanceError::new(502, None, "Bad Gateway", "GET /api/v3/time");
        assert_eq!(
            err.to_string(),
            "GET /api/v3/time failed: HTTP 502 Bad Gateway"
        );
    }
    #[test]
    fn retryable() {
        let transport = Error::Transport {
            endpoint: "GET /x".into(),
            reason: "reset".into(),
        };
        assert!(transport.is_retryable());
        assert!(Error::Api(BinanceError::new(429, Some(-1003), "m", "e")).is_retryable());
        assert!(!Error::Api(BinanceError::new(400, Some(-1022), "m", "e")).is_retryable());
    }
}
