//! Printing: data on stdout, diagnostics on stderr, errors with hints.

use std::io::{self, Write as _};

use crate::exit::ExitStatus;

/// An error as the user sees it: a code (Binance's, or 0 for local errors),
/// a message and an optional hint.
#[derive(Debug, Clone)]
pub struct UserError {
    pub status: ExitStatus,
    pub code: i64,
    pub msg: String,
    pub hint: Option<String>,
    /// The request that failed (`GET /api/v3/account`), for text output.
    pub endpoint: Option<String>,
}

impl UserError {
    /// A usage or configuration error (exit 2).
    pub fn usage(msg: impl Into<String>, hint: Option<&str>) -> UserError {
        UserError {
            status: ExitStatus::Usage,
            code: 0,
            msg: msg.into(),
            hint: hint.map(str::to_owned),
            endpoint: None,
        }
    }
}

impl From<mbx_domain::Error> for UserError {
    /// Binance's code and message word for word, with the hint; transport
    /// failures exit 3, refused requests 2, everything else from the server 1.
    fn from(err: mbx_domain::Error) -> UserError {
        let hint = err.hint().map(|hint| hint.to_string());
        match err {
            mbx_domain::Error::Api(api) => UserError {
                status: ExitStatus::ApiError,
                code: api.code.unwrap_or(0),
                msg: match api.code {
                    Some(_) => api.msg,
                    None => format!("HTTP {} {}", api.status, api.msg),
                },
                hint,
                endpoint: Some(api.endpoint),
            },
            mbx_domain::Error::Transport { .. } => UserError {
                status: ExitStatus::Network,
                code: 0,
                msg: err.to_string(),
                hint,
                endpoint: None,
            },
            mbx_domain::Error::InvalidRequest(msg) => UserError {
                status: ExitStatus::Usage,
                code: 0,
                msg,
                hint,
                endpoint: None,
            },
            other => UserError {
                status: ExitStatus::ApiError,
                code: 0,
                msg: other.to_string(),
                hint,
                endpoint: None,
            },
        }
    }
}

/// Writes a line of data to stdout. A closed pipe (`mbx ... | head`) is not
/// an error.
pub fn print_data(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Reports an error: as text on stderr, or as JSON on stdout with `--json`.
pub fn report_error(error: &UserError, json: bool) -> ExitStatus {
    if json {
        let _ = print_data(&error_json(error));
    } else {
        let mut stderr = io::stderr().lock();
        if let Some(endpoint) = &error.endpoint {
            if error.code != 0 {
                let _ = writeln!(
                    stderr,
                    "error: {endpoint} failed: {} {}",
                    error.code, error.msg
                );
            } else {
                let _ = writeln!(stderr, "error: {endpoint} failed: {}", error.msg);
            }
        } else if error.code != 0 {
            let _ = writeln!(stderr, "error: {} {}", error.code, error.msg);
        } else {
            let _ = writeln!(stderr, "error: {}", error.msg);
        }
        if let Some(hint) = &error.hint {
            let _ = writeln!(stderr, "\nhint: {hint}");
        }
    }
    error.status
}

/// `{"code":..,"msg":"..","hint":".."}`, in that order (`hint` only when
/// there is one).
fn error_json(error: &UserError) -> String {
    #[derive(serde::Serialize)]
    struct JsonError<'a> {
        code: i64,
        msg: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<&'a str>,
    }
    serde_json::to_string(&JsonError {
        code: error.code,
        msg: &error.msg,
        hint: error.hint.as_deref(),
    })
    .unwrap_or_else(|_| format!("{{\"code\":{},\"msg\":\"\"}}", error.code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_is_code_msg_hint_in_that_order() {
        let mut error = UserError::usage("bad \"flag\"", Some("use `--flag value`"));
        assert_eq!(
            error_json(&error),
            r#"{"code":0,"msg":"bad \"flag\"","hint":"use `--flag value`"}"#
        );
        error.hint = None;
        assert_eq!(error_json(&error), r#"{"code":0,"msg":"bad \"flag\""}"#);
    }
}
