//! Exit codes, as documented in `mbx --help`.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: the Binance API answered with an error.
    ApiError,
    /// 2: bad usage or configuration (flags, credentials, key files).
    Usage,
    /// 3: the network failed (unreachable, timeout, reset).
    Network,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::ApiError => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Network => 3,
        })
    }
}
