//! Errors: [`Error`] for starting a sandbox, [`ApiError`] for what a client sees.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A configured key could not be read. The message shows only the
    /// key's first four characters.
    #[error("API key {}: {reason}", masked(api_key))]
    BadKey {
        /// The API key (never the secret).
        api_key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configured balance is not a decimal number.
    #[error("balance of {asset} is not a decimal number: {text:?}")]
    BadBalance {
        /// The asset.
        asset: String,
        /// The text given.
        text: String,
    },
    /// The recording given to `--replay` cannot be used.
    #[error("cannot replay {}: {reason}", dir.display())]
    Replay {
        /// The recording directory.
        dir: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read: the configuration file or a public key.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The configuration file is not TOML of the documented shape
    /// ([`crate::config_file`]).
    #[error("{}", with_path(path.as_deref(), message))]
    ConfigSyntax {
        /// The file, when it was read from one.
        path: Option<std::path::PathBuf>,
        /// The parser's message.
        message: String,
    },
    /// A configured key has neither `secret` nor `public_key_file`, or both.
    #[error("key {api_key} needs exactly one of `secret` and `public_key_file`")]
    KeyCredential {
        /// The API key (never the secret).
        api_key: String,
    },
    /// The configuration leaves no account.
    #[error("the configuration has no account")]
    NoAccount,
    /// The API key to register is not letters and digits.
    #[error("the API key must be letters and digits only")]
    ApiKeySyntax,
    /// An API key to register came without a secret or a public key.
    #[error("the API key has no secret or public key")]
    MissingCredential,
    /// A public key file does not hold a public key.
    #[error("{}: {reason}", path.display())]
    PublicKey {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A balances list is not `ASSET=AMOUNT,...`.
    #[error("cannot read balance `{part}`")]
    BalancesSyntax {
        /// The entry that could not be read.
        part: String,
    },
}

/// `path: message`, or the message alone.
fn with_path(path: Option<&std::path::Path>, message: &str) -> String {
    match path {
        Some(path) => format!("{}: {message}", path.display()),
        None => message.to_owned(),
    }
}

/// The first four characters of an API key, for messages.
fn masked(api_key: &str) -> String {
    let shown: String = api_key.chars().take(4).collect();
    format!("{shown}…")
}

/// A Binance error answer: an HTTP status and `{"code":..,"msg":".."}`.
///
/// The code is also put into the response's extensions as [`ErrorCode`], so
/// the request log can record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Binance's error code, e.g. `-1022`.
    pub code: i64,
    /// Binance's message, word for word.
    pub msg: String,
    /// Seconds for a `Retry-After` header (429 and 418).
    pub retry_after: Option<u64>,
    /// Details some errors carry next to `code` and `msg` (cancel-replace
    /// failures say what happened to each part).
    pub data: Option<serde_json::Value>,
}

/// The Binance error code of a response, kept in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub i64);

/// The Binance error message of a response, kept in its extensions for the
/// log (`mbx sandbox -vv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorMessage(pub(crate) String);

#[derive(Serialize)]
struct Body<'a> {
    code: i64,
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a serde_json::Value>,
}

impl ApiError {
    /// An error with status 400.
    pub fn bad_request(code: i64, msg: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, msg)
    }

    /// An error with any status.
    pub fn new(status: StatusCode, code: i64, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            msg: msg.into(),
            retry_after: None,
            data: None,
        }
    }

    /// The same error, carrying `data` next to its code and message.
    pub fn with_data(mut self, data: &impl Serialize) -> ApiError {
        self.data = serde_json::to_value(data).ok();
        self
    }

    /// -1000 with status 500: the client never sees internals.
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            -1000,
            "An unknown error occurred while processing the request.",
        )
    }

    /// -1100 for a value outside its legal range.
    pub fn illegal_chars(name: &str, range: &str) -> ApiError {
        ApiError::bad_request(
            -1100,
            format!("Illegal characters found in parameter '{name}'; legal range is '{range}'."),
        )
    }

    /// -1102 for a missing mandatory parameter.
    pub fn mandatory(name: &str) -> ApiError {
        ApiError::bad_request(
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1106 for a parameter this request does not use.
    pub fn not_required(name: &str) -> ApiError {
        ApiError::bad_request(-1106, format!("Parameter '{name}' sent when not required."))
    }

    /// -1121 for an unknown symbol.
    pub fn bad_symbol() -> ApiError {
        ApiError::bad_request(-1121, "Invalid symbol.")
    }

    /// -1130 for an invalid value.
    pub fn invalid_value(name: &str) -> ApiError {
        ApiError::bad_request(
            -1130,
            format!("Data sent for parameter '{name}' is not valid."),
        )
    }

    /// -1003 with 429: over the request-weight limit of `limit` per minute,
    /// with `Retry-After: retry_after` (seconds).
    pub fn too_much_weight(limit: u32, retry_after: u64) -> ApiError {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            -1003,
            format!(
                "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
            ),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// -1003 with 418: the caller is banned until `until_ms`, with
    /// `Retry-After: retry_after` (seconds).
    pub fn banned(until_ms: i64, retry_after: u64) -> ApiError {
        let mut err = ApiError::new(
            StatusCode::IM_A_TEAPOT,
            -1003,
            format!(
                "Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."
            ),
        );
        err.retry_after = Some(retry_after);
        err
    }

    /// -1013 for a symbol filter.
    pub fn filter(filter: &str) -> ApiError {
        ApiError::bad_request(-1013, format!("Filter failure: {filter}"))
    }

    /// -2010 with an engine message.
    pub fn order_rejected(msg: &str) -> ApiError {
        ApiError::bad_request(-2010, msg)
    }

    /// -2011 "Unknown order sent."
    pub fn cancel_unknown() -> ApiError {
        ApiError::bad_request(-2011, "Unknown order sent.")
    }

    /// -2013 "Order does not exist."
    pub fn no_such_order() -> ApiError {
        ApiError::bad_request(-2013, "Order does not exist.")
    }

    /// -2014 "API-key format invalid." (401).
    pub fn bad_api_key_format() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, -2014, "API-key format invalid.")
    }

    /// -2015 "Invalid API-key, IP, or permissions for action." (401).
    pub fn rejected_key() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        )
    }

    /// The body text, `{"code":..,"msg":".."}` (and `"data"` if any).
    pub fn body(&self) -> String {
        serde_json::to_string(&Body {
            code: self.code,
            msg: &self.msg,
            data: self.data.as_ref(),
        })
        .unwrap_or_else(|_| String::from("{\"code\":-1000,\"msg\":\"\"}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(Body {
                code: self.code,
                msg: &self.msg,
                data: self.data.as_ref(),
            }),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response.extensions_mut().insert(ErrorMessage(self.msg));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_key_message_masks_the_key() {
        let err = Error::BadKey {
            api_key: "abcdLongApiKey123".to_owned(),
            reason: "not a PEM public key".to_owned(),
        };
        assert_eq!(err.to_string(), "API key abcd…: not a PEM public key");
    }

    #[test]
    fn body_is_binance_shaped() {
        assert_eq!(
            ApiError::bad_symbol().body(),
            r#"{"code":-1121,"msg":"Invalid symbol."}"#
        );
    }

    #[test]
    fn response_carries_code_and_retry_after() {
        let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, -1003, "x");
        error.retry_after = Some(7);
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(
            response.extensions().get::<ErrorCode>(),
            Some(&ErrorCode(-1003))
        );
    }
}
