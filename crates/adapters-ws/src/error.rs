//! How WebSocket failures become [`mbx_domain::Error`]: the one error type
//! of every transport, so a `-2015` over the WebSocket API is the same
//! error, with the same category and hint, as over REST.

use std::time::Duration;

use mbx_domain::{BinanceError, Cause, ConfigError, Error};
use tokio_tungstenite::tungstenite;

/// `WS <method>`: how errors name a WebSocket request.
pub(crate) fn endpoint(method: &str) -> String {
    format!("WS {method}")
}

/// Whether a WebSocket API method changes state (places, amends or cancels
/// orders), so that a request without an answer has an unknown outcome.
pub fn changes_state(method: &str) -> bool {
    mbx_domain::ws_method_changes_state(method)
}

/// The connection dropped before the answer to `method` came.
pub(crate) fn disconnected(method: &str) -> Error {
    no_answer(
        method,
        Cause::new("the connection dropped before the answer came"),
    )
}

/// No answer to `method` within `timeout`.
pub(crate) fn timed_out(method: &str, timeout: Duration) -> Error {
    no_answer(
        method,
        Cause::new(format!("no answer within {} ms", timeout.as_millis())),
    )
}

fn no_answer(method: &str, cause: Cause) -> Error {
    if changes_state(method) {
        Error::OutcomeUnknown {
            endpoint: endpoint(method),
            cause,
        }
    } else {
        Error::Transport {
            endpoint: endpoint(method),
            cause,
        }
    }
}

/// An error answer of the WebSocket API or a refused stream control
/// message, with Binance's code and message word for word.
pub(crate) fn api(method: &str, status: u16, code: i64, msg: &str) -> Error {
    // The category says when the outcome of an order is unknown (a 5xx or
    // `-1007` on `order.place`); the code and message stay Binance's.
    Error::Api(BinanceError::new(status, Some(code), msg, endpoint(method)))
}

/// An answer that does not decode.
pub(crate) fn bad_response(method: &str, reason: impl std::fmt::Display) -> Error {
    Error::Decode {
        endpoint: endpoint(method),
        reason: reason.to_string(),
    }
}

/// A signed request on a client without credentials.
pub(crate) fn no_credentials() -> Error {
    Error::Config(ConfigError::NoApiKey)
}

/// The connection to `url` could not be opened. A redirect answered to the
/// handshake is not followed: Binance never redirects, and the request
/// would carry the client somewhere the user did not name.
pub(crate) fn connect(url: &str, err: tungstenite::Error) -> Error {
    let endpoint = format!("WS {}", without_query(url));
    if let tungstenite::Error::Http(response) = &err
        && response.status().is_redirection()
    {
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(without_query)
            .unwrap_or_default();
        return Error::Redirected {
            endpoint,
            status: response.status().as_u16(),
            location,
        };
    }
    if let tungstenite::Error::Http(response) = &err {
        let status = response.status();
        return Error::Api(BinanceError::new(
            status.as_u16(),
            None,
            status
                .canonical_reason()
                .unwrap_or("refused the WebSocket upgrade"),
            endpoint,
        ));
    }
    Error::Transport {
        endpoint,
        cause: Cause::from_error(&err),
    }
}

fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or("").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_order_has_an_unknown_outcome_and_a_dropped_read_is_retryable() {
        assert!(matches!(
            disconnected("order.place"),
            Error::OutcomeUnknown { .. }
        ));
        let read = disconnected("account.status");
        assert!(matches!(read, Error::Transport { .. }) && read.is_retryable());
    }

    #[test]
    fn api_errors_carry_the_code_and_the_rest_hint() {
        let err = api(
            "account.status",
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        );
        assert_eq!(err.code(), Some(-2015));
        assert_eq!(err.category(), mbx_domain::Category::Auth);
        assert!(err.hint().is_some());
        assert_eq!(
            err.to_string(),
            "WS account.status failed: -2015 Invalid API-key, IP, or permissions for action."
        );
    }
}
