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
}

impl UserError {
    /// A usage or configuration error (exit 2).
    pub fn usage(msg: impl Into<String>, hint: Option<&str>) -> UserError {
        UserError {
            status: ExitStatus::Usage,
            code: 0,
            msg: msg.into(),
            hint: hint.map(str::to_owned),
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
        let mut value = serde_json::json!({ "code": error.code, "msg": error.msg });
        if let Some(hint) = &error.hint {
            value["hint"] = serde_json::Value::String(hint.clone());
        }
        let _ = print_data(&value.to_string());
    } else {
        let mut stderr = io::stderr().lock();
        if error.code != 0 {
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
