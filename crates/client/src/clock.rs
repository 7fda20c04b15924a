//! The server's time and this machine's offset from it, with the rule that
//! says whether the offset is a problem (`mbx time`, `mbx doctor`).
//!
//! Binance accepts a signed request when `timestamp < serverTime + 1000`
//! and `serverTime - timestamp <= recvWindow`
//! (`shared/binance-docs/rest-api.md` § "Timing security"). mbx signs with
//! the server's time, so an offset does not break it; other tools sign with
//! the local clock and fail with `-1021`.

use mbx_domain::clock;
use mbx_domain::model::Millis;
use mbx_domain::ports::{LocalClock, ServerClock};
use mbx_domain::{Error, Hint};

/// Round trips per measurement.
const SAMPLES: usize = 3;

/// One measurement of the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReport {
    /// The server time at the moment of the report (local time + offset).
    pub server_time: Millis,
    /// Server time minus local time.
    pub offset_ms: Millis,
    /// The round trip of the sample used; the offset is good to half of it.
    pub rtt_ms: Millis,
    /// The `recvWindow` requests are signed with.
    pub recv_window_ms: u32,
}

/// What an offset means for a client that signs with the local clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockVerdict {
    /// Within 1000 ms and inside `recvWindow`: nothing to do.
    InStep,
    /// Inside `recvWindow`, but more than 1000 ms off: the server rejects
    /// timestamps more than 1000 ms ahead of it.
    Skewed,
    /// Outside `recvWindow`: every signed request of a tool that uses the
    /// local clock fails with `-1021`.
    OutsideRecvWindow,
}

impl ClockReport {
    /// The verdict on the offset.
    pub fn verdict(&self) -> ClockVerdict {
        let reach = self.offset_ms.abs().saturating_add(self.rtt_ms);
        if reach >= i64::from(self.recv_window_ms) {
            ClockVerdict::OutsideRecvWindow
        } else if self.offset_ms.abs() > 1000 {
            ClockVerdict::Skewed
        } else {
            ClockVerdict::InStep
        }
    }

    /// What to do about it, unless it is in step.
    pub fn hint(&self) -> Option<Hint> {
        match self.verdict() {
            ClockVerdict::InStep => None,
            ClockVerdict::Skewed => Some(Hint::new(
                "sync the system clock (e.g. `timedatectl set-ntp true`); signing with the server's time compensates, but the server rejects timestamps more than 1000 ms ahead from other tools",
            )),
            ClockVerdict::OutsideRecvWindow => Some(Hint::new(
                "sync the system clock (e.g. `timedatectl set-ntp true`); tools that sign with the local clock fail with -1021 until then",
            )),
        }
    }
}

/// Asks the server's time a few times and keeps the sample with the
/// shortest round trip (see [`mbx_domain::clock`]).
pub async fn measure(
    server: &dyn ServerClock,
    local: &dyn LocalClock,
    recv_window_ms: u32,
) -> Result<ClockReport, Error> {
    let estimate = clock::measure(server, local, SAMPLES).await?;
    Ok(ClockReport {
        server_time: local.now_ms().saturating_add(estimate.offset_ms),
        offset_ms: estimate.offset_ms,
        rtt_ms: estimate.rtt_ms,
        recv_window_ms,
    })
}

#[cfg(test)]
mod tests {
    use mbx_domain::ports::{MockLocalClock, MockServerClock};

    use super::*;

    #[track_caller]
    fn check(offset_ms: Millis, rtt_ms: Millis, recv_window_ms: u32, expected: ClockVerdict) {
        let report = ClockReport {
            server_time: 0,
            offset_ms,
            rtt_ms,
            recv_window_ms,
        };
        assert_eq!(report.verdict(), expected);
        assert_eq!(report.hint().is_none(), expected == ClockVerdict::InStep);
    }

    #[test]
    fn verdicts() {
        check(-12, 3, 5000, ClockVerdict::InStep);
        check(1500, 3, 5000, ClockVerdict::Skewed);
        check(-4999, 3, 5000, ClockVerdict::OutsideRecvWindow);
        check(-4999, 3, 60_000, ClockVerdict::Skewed);
    }

    #[tokio::test]
    async fn measures_through_the_ports() {
        let mut server = MockServerClock::new();
        server
            .expect_server_time()
            .times(3)
            .returning(|| Ok(11_000));
        let mut local = MockLocalClock::new();
        let mut now = 999;
        local.expect_now_ms().returning(move || {
            now += 1;
            now
        });
        let report = measure(&server, &local, 5000).await.unwrap();
        assert_eq!(report.rtt_ms, 1);
        // The latest of equal round trips: sent at 1004, received at 1005.
        assert_eq!(report.offset_ms, 11_000 - 1004);
        assert_eq!(report.verdict(), ClockVerdict::OutsideRecvWindow);
    }
}
