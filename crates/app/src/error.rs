//! The error a user sees: the libraries' one [`mbx_domain::Error`], with
//! hints that name this program's flags and commands where the library's
//! hint speaks of the API, rendered the same for every command.
//!
//! Text (stderr):
//!
//! ```text
//! error: GET /api/v3/account failed: -2014 API-key format invalid.
//!   Caused by: …
//!
//! hint: send the key in the `X-MBX-APIKEY` header, …
//! ```
//!
//! JSON (stdout, with `--json`):
//! `{"code":-2014,"msg":"API-key format invalid.","hint":"…","category":"auth","retryable":false}`.

use std::fmt::Write as _;

use mbx_domain::{Category, ConfigError, Error, KeyProblem};

use crate::exit::ExitStatus;

/// An error on its way to the user.
#[derive(Debug, Clone)]
pub struct CliError {
    error: Error,
    hint: Option<String>,
}

impl From<Error> for CliError {
    fn from(error: Error) -> CliError {
        let hint = cli_hint(&error).or_else(|| error.hint().map(|hint| hint.to_string()));
        CliError { error, hint }
    }
}

impl CliError {
    /// A usage error (exit 2) found by this program itself.
    pub fn usage(reason: impl Into<String>, hint: Option<&str>) -> CliError {
        let error = match hint {
            Some(hint) => Error::invalid_with_hint(reason, hint),
            None => Error::invalid(reason),
        };
        CliError::from(error)
    }

    /// The same error with another hint (a command knows its own flags).
    pub fn with_hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    /// The library error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The hint shown.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit status its category maps to: 3 network, 2 usage and
    /// configuration, 1 everything the server answered (and an unknown
    /// outcome, which must never be retried blindly).
    pub fn exit_status(&self) -> ExitStatus {
        exit_status(self.error.category())
    }

    /// `error:`, `Caused by:` lines, a blank line and `hint:`.
    pub fn render(&self) -> String {
        let mut text = format!("error: {}\n", self.error);
        let mut source = std::error::Error::source(&self.error);
        while let Some(cause) = source {
            let _ = writeln!(text, "  Caused by: {cause}");
            source = cause.source();
        }
        if let Some(hint) = &self.hint {
            let _ = write!(text, "\nhint: {hint}\n");
        }
        text
    }

    /// `{"code","msg","hint","category","retryable"}`, in that order
    /// (`hint` only when there is one).
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct JsonError<'a> {
            code: i64,
            msg: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            hint: Option<&'a str>,
            category: &'static str,
            retryable: bool,
        }
        let msg = match &self.error {
            Error::Api(api) if api.code.is_some() => api.msg.clone(),
            other => {
                let mut msg = other.to_string();
                let mut source = std::error::Error::source(other);
                while let Some(cause) = source {
                    msg.push_str(": ");
                    msg.push_str(&cause.to_string());
                    source = cause.source();
                }
                msg
            }
        };
        serde_json::to_string(&JsonError {
            code: self.error.code().unwrap_or(0),
            msg,
            hint: self.hint.as_deref(),
            category: self.error.category().as_str(),
            retryable: self.error.is_retryable(),
        })
        .unwrap_or_else(|_| "{\"code\":0,\"msg\":\"\"}".to_owned())
    }
}

/// The exit status of a category.
pub fn exit_status(category: Category) -> ExitStatus {
    match category {
        Category::Network => ExitStatus::Network,
        Category::Configuration | Category::Usage => ExitStatus::Usage,
        _ => ExitStatus::ApiError,
    }
}

/// Hints that name this program's flags, commands and environment
/// variables; `None` leaves the library's hint.
fn cli_hint(error: &Error) -> Option<String> {
    let text = match error {
        Error::Config(ConfigError::NoApiKey) => {
            "set `BINANCE_API_KEY` (it is sent in the `X-MBX-APIKEY` header, never in the URL) and `BINANCE_API_SECRET` (or `BINANCE_PRIVATE_KEY_FILE`), or choose a profile with `--profile` (`mbx config init` writes a template); `--sandbox` runs against a local demo account".to_owned()
        }
        Error::Config(ConfigError::NoSecret) => {
            "set `BINANCE_API_SECRET` (HMAC) or `BINANCE_PRIVATE_KEY_FILE` (Ed25519 or RSA PEM), or pass `--secret-file FILE` or `--key-file PEM`; never pass a secret as an argument".to_owned()
        }
        Error::Config(ConfigError::BadKey {
            kind: KeyProblem::NotPem,
            ..
        }) => {
            "an HMAC secret goes in `BINANCE_API_SECRET` or `--secret-file`; `--key-file` and `BINANCE_PRIVATE_KEY_FILE` take a PEM private key".to_owned()
        }
        Error::Config(ConfigError::BadKey {
            kind: KeyProblem::PublicKeyGiven,
            ..
        }) => {
            "point `--key-file` or `BINANCE_PRIVATE_KEY_FILE` at the private key; the public key is what you register with Binance".to_owned()
        }
        Error::Config(ConfigError::InsecureUrl { .. } | ConfigError::InvalidUrl { .. }) => {
            "use an `https://` URL, or `http://127.0.0.1:PORT` for a local sandbox (`mbx sandbox`)".to_owned()
        }
        Error::Config(ConfigError::BaseUrlWithPath { url, path }) => format!(
            "pass the host only: `--base-url {}`",
            url.trim_end_matches('/').trim_end_matches(path.as_str())
        ),
        Error::Config(ConfigError::Profile(_)) => {
            "each profile is a `[profiles.NAME]` table of `~/.config/mbx/config.toml` (or the file in `MBX_CONFIG`); `mbx config init` writes a commented template".to_owned()
        }
        Error::Transport { .. } => {
            "check the network and the `--base-url`; `mbx doctor` tests the connection step by step".to_owned()
        }
        Error::Throttled {
            wait_ms,
            banned: true,
            ..
        } => format!(
            "this IP is banned until {} (local time); send nothing until then, and use `mbx stream` instead of polling",
            local_time_in(*wait_ms)
        ),
        Error::Throttled { wait_ms, .. } => format!(
            "retry after {} (local time); `mbx stream` follows live data without polling",
            local_time_in(*wait_ms)
        ),
        Error::Api(api) => match (api.code, api.status) {
            (_, 418) => format!(
                "this IP is banned{}; send nothing until then (mbx remembers it), and use `mbx stream` instead of polling",
                api.retry_after_secs
                    .map(|secs| format!(" until {} (local time)", local_time_in(secs as i64 * 1000)))
                    .unwrap_or_default()
            ),
            (_, 429) if api.code != Some(-1015) => format!(
                "retry in {} s (until {}, local time); another request before then gets the IP banned; `mbx stream` follows live data without polling",
                api.retry_after_secs.unwrap_or(60),
                local_time_in(api.retry_after_secs.unwrap_or(60) as i64 * 1000)
            ),
            (Some(-1021), _) => {
                "sync the system clock (`mbx time` shows the offset) or raise `--recv-window` (at most 60000)".to_owned()
            }
            (Some(-2014), _) => {
                "send the API key in the `X-MBX-APIKEY` header (`mbx api --signed` does); check `BINANCE_API_KEY` for quotes, spaces or a truncated copy; `mbx explain` diagnoses a hand-made request".to_owned()
            }
            (Some(-2015), _) => {
                "check that the key in `BINANCE_API_KEY` exists on this environment (testnet and demo keys do not work on production), that this IP is on its whitelist and that it has the permission this call needs (orders need Spot & Margin Trading); run `mbx doctor`".to_owned()
            }
            (Some(-1022), _) => {
                "check that `BINANCE_API_SECRET` (or `BINANCE_PRIVATE_KEY_FILE`) belongs to `BINANCE_API_KEY`; for a hand-made request, `mbx explain` shows what was signed".to_owned()
            }
            (Some(-1013 | -1111), _) => format!(
                "{}; see `mbx api GET /api/v3/exchangeInfo -p symbol=SYMBOL`",
                api.hint().map(|hint| hint.to_string()).unwrap_or_default()
            ),
            (Some(-1121), _) => {
                "use an existing symbol in capitals, e.g. `BTCUSDT`; `mbx api GET /api/v3/exchangeInfo` lists them".to_owned()
            }
            (Some(-2010), _) if api.msg.contains("insufficient balance") => {
                "lower the quantity or free the balance; `mbx balances` shows what is free".to_owned()
            }
            (Some(-1020), _) | (None, 404 | 405) => {
                "check the method and the path against the endpoint's documentation, e.g. `mbx api GET /api/v3/ticker/price`".to_owned()
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(text)
}

/// The local time `wait_ms` from now, as `14:32:10`.
fn local_time_in(wait_ms: i64) -> String {
    let at = chrono::Local::now() + chrono::Duration::milliseconds(wait_ms.max(0));
    at.format("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use mbx_domain::{BinanceError, Cause};

    use super::*;

    #[test]
    fn json_is_code_msg_hint_category_retryable_in_that_order() {
        let error = CliError::usage("bad \"flag\"", Some("use `--flag value`"));
        assert_eq!(
            error.to_json(),
            r#"{"code":0,"msg":"bad \"flag\"","hint":"use `--flag value`","category":"usage","retryable":false}"#
        );
        let api = CliError::from(Error::Api(BinanceError::new(
            401,
            Some(-2015),
            "Invalid API-key, IP, or permissions for action.",
            "WS account.status",
        )));
        let value: serde_json::Value = serde_json::from_str(&api.to_json()).unwrap();
        assert_eq!(value["code"], -2015);
        assert_eq!(value["category"], "auth");
        assert!(value["hint"].as_str().unwrap().contains("mbx doctor"));
        assert_eq!(api.exit_status(), ExitStatus::ApiError);
    }

    #[test]
    fn text_has_the_cause_chain_and_the_hint() {
        let error = CliError::from(Error::Transport {
            endpoint: "GET /api/v3/time".into(),
            cause: Cause::chain(["cannot connect".to_owned(), "connection refused".to_owned()]),
        });
        assert_eq!(
            error.render(),
            "error: GET /api/v3/time: network error\n  Caused by: cannot connect\n  Caused by: connection refused\n\nhint: check the network and the `--base-url`; `mbx doctor` tests the connection step by step\n"
        );
        assert_eq!(error.exit_status(), ExitStatus::Network);
    }

    #[test]
    fn every_category_has_an_exit_status_and_every_kind_a_hint() {
        for category in Category::ALL {
            let _ = exit_status(category);
        }
        let kinds = [
            Error::Config(ConfigError::NoApiKey),
            Error::Config(ConfigError::NoSecret),
            Error::Throttled {
                endpoint: "GET /x".into(),
                wait_ms: 45_000,
                banned: true,
            },
            Error::Api(BinanceError::new(429, Some(-1003), "m", "e").with_retry_after(Some(45))),
            Error::Api(BinanceError::new(400, Some(-9999), "m", "e")),
            Error::Api(BinanceError::new(
                410,
                None,
                "Gone",
                "POST /api/v3/userDataStream",
            )),
            Error::Api(BinanceError::new(451, None, "m", "e")),
            Error::Api(BinanceError::new(503, None, "m", "e")),
        ];
        for error in kinds {
            let cli = CliError::from(error);
            assert!(cli.hint().is_some(), "{:?}", cli.error());
        }
    }

    #[test]
    fn a_429_says_the_seconds() {
        let error = CliError::from(Error::Api(
            BinanceError::new(429, Some(-1003), "m", "GET /api/v3/account")
                .with_retry_after(Some(45)),
        ));
        assert!(
            error.hint().unwrap().starts_with("retry in 45 s"),
            "{:?}",
            error.hint()
        );
    }
}
