//! Clock offset estimation: what time the server thinks it is.
//!
//! Binance accepts a signed request when `timestamp < serverTime + 1000`
//! and `serverTime - timestamp <= recvWindow`
//! (`shared/binance-docs/rest-api.md` § "Timing security"). A local clock a
//! few seconds off fails every signed call with `-1021`, so the client signs
//! with its estimate of the server time instead:
//!
//! 1. Note the local time `sent`, ask the server time `server`, note the
//!    local time `received` ([`measure`] does this through the ports).
//! 2. Assume the server read its clock half-way through the round trip:
//!    `offset = server - (sent + received) / 2`. The error is at most half
//!    the round-trip time.
//! 3. Of several samples keep the one with the shortest round trip.
//! 4. Sign with `local + offset` ([`ClockSync::server_now`]); measure again
//!    every [`ClockConfig::resync_every_ms`] and after any `-1021`
//!    ([`ClockSync::invalidate`]).

use crate::error::Error;
use crate::model::Millis;
use crate::ports::{LocalClock, ServerClock};

/// One round trip to the server clock, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Local time before the request.
    pub sent_ms: Millis,
    /// The server time in the answer.
    pub server_time_ms: Millis,
    /// Local time after the answer.
    pub received_ms: Millis,
}

impl Sample {
    /// The round-trip time (never negative).
    pub fn rtt_ms(&self) -> Millis {
        (self.received_ms - self.sent_ms).max(0)
    }

    /// `server - midpoint(sent, received)`.
    pub fn offset_ms(&self) -> Millis {
        self.server_time_ms - midpoint(self.sent_ms, self.received_ms)
    }
}

/// The result of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Server time minus local time.
    pub offset_ms: Millis,
    /// The round trip of the sample used; the offset is good to `rtt / 2`.
    pub rtt_ms: Millis,
    /// Local time of the sample (when it was received).
    pub taken_at_ms: Millis,
}

/// Picks the sample with the shortest round trip (ties: the latest), or
/// `None` for no samples.
pub fn estimate(samples: &[Sample]) -> Option<Estimate> {
    let best = samples.iter().rev().min_by_key(|sample| sample.rtt_ms())?;
    Some(Estimate {
        offset_ms: best.offset_ms(),
        rtt_ms: best.rtt_ms(),
        taken_at_ms: best.received_ms,
    })
}

/// How often to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockConfig {
    /// Measure again when the last estimate is older than this.
    pub resync_every_ms: Millis,
    /// Round trips per sync.
    pub samples: usize,
}

impl ClockConfig {
    /// Re-sync every 5 minutes with 3 samples: cheap (weight 1 each) and
    /// well inside the drift of an ordinary clock.
    pub fn standard() -> ClockConfig {
        ClockConfig {
            resync_every_ms: 300_000,
            samples: 3,
        }
    }
}

/// The current estimate and when to renew it. Pure state: callers measure
/// with [`measure`] and [`record`](ClockSync::record) the result.
#[derive(Debug, Clone)]
pub struct ClockSync {
    config: ClockConfig,
    current: Option<Estimate>,
}

impl ClockSync {
    /// No estimate yet.
    pub fn new(config: ClockConfig) -> ClockSync {
        ClockSync {
            config,
            current: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> ClockConfig {
        self.config
    }

    /// The last estimate, if any.
    pub fn estimate(&self) -> Option<Estimate> {
        self.current
    }

    /// Whether to measure before the next signed request: never measured,
    /// invalidated, or older than the re-sync period.
    pub fn needs_sync(&self, now_local_ms: Millis) -> bool {
        match self.current {
            None => true,
            Some(estimate) => now_local_ms - estimate.taken_at_ms >= self.config.resync_every_ms,
        }
    }

    /// Keeps a new estimate.
    pub fn record(&mut self, estimate: Estimate) {
        self.current = Some(estimate);
    }

    /// Forgets the estimate, e.g. after the server answered `-1021`.
    pub fn invalidate(&mut self) {
        self.current = None;
    }

    /// The estimated server time: local time plus the offset (the local
    /// time itself before any sync).
    pub fn server_now(&self, now_local_ms: Millis) -> Millis {
        now_local_ms + self.current.map_or(0, |estimate| estimate.offset_ms)
    }
}

/// Measures `config.samples` round trips (at least one) and returns the
/// best estimate. The first error ends the measurement.
pub async fn measure(
    server: &dyn ServerClock,
    local: &dyn LocalClock,
    samples: usize,
) -> Result<Estimate, Error> {
    let mut taken = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let sent_ms = local.now_ms();
        let server_time_ms = server.server_time().await?;
        let received_ms = local.now_ms();
        taken.push(Sample {
            sent_ms,
            server_time_ms,
            received_ms,
        });
    }
    Ok(estimate(&taken).expect("at least one sample"))
}

fn midpoint(a: Millis, b: Millis) -> Millis {
    a + (b - a) / 2
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use proptest::prelude::*;

    use super::*;
    use crate::error::BinanceError;
    use crate::ports::{MockLocalClock, MockServerClock};

    #[test]
    fn offset_is_measured_from_the_midpoint() {
        let sample = Sample {
            sent_ms: 1_000,
            server_time_ms: 16_050,
            received_ms: 1_100,
        };
        assert_eq!(sample.offset_ms(), 15_000);
        assert_eq!(sample.rtt_ms(), 100);
    }

    #[test]
    fn picks_the_shortest_round_trip() {
        let samples = [
            Sample {
                sent_ms: 0,
                server_time_ms: 900,
                received_ms: 400,
            },
            Sample {
                sent_ms: 1_000,
                server_time_ms: 1_510,
                received_ms: 1_020,
            },
        ];
        let best = estimate(&samples).unwrap();
        assert_eq!((best.offset_ms, best.rtt_ms), (500, 20));
        assert_eq!(estimate(&[]), None);
    }

    #[test]
    fn resyncs_when_old_or_invalidated() {
        let mut sync = ClockSync::new(ClockConfig {
            resync_every_ms: 1_000,
            samples: 1,
        });
        assert!(sync.needs_sync(0));
        assert_eq!(sync.server_now(10), 10);
        sync.record(Estimate {
            offset_ms: -15_000,
            rtt_ms: 2,
            taken_at_ms: 100,
        });
        assert!(!sync.needs_sync(1_099));
        assert!(sync.needs_sync(1_100));
        assert_eq!(sync.server_now(20_000), 5_000);
        sync.invalidate();
        assert!(sync.needs_sync(101));
    }

    #[tokio::test]
    async fn measure_asks_the_server_once_per_sample() {
        let mut server = MockServerClock::new();
        let answers = Mutex::new(vec![10_060, 10_030, 10_500]);
        server
            .expect_server_time()
            .times(3)
            .returning(move || Ok(answers.lock().unwrap().remove(0)));
        let mut local = MockLocalClock::new();
        // Round trips: 0→100, 100→120, 120→1120.
        let ticks = Mutex::new(vec![0, 100, 100, 120, 120, 1_120]);
        local
            .expect_now_ms()
            .times(6)
            .returning(move || ticks.lock().unwrap().remove(0));
        let best = measure(&server, &local, 3).await.unwrap();
        assert_eq!(
            (best.offset_ms, best.rtt_ms, best.taken_at_ms),
            (9_920, 20, 120)
        );
    }

    #[tokio::test]
    async fn measure_stops_at_the_first_error() {
        let mut server = MockServerClock::new();
        server.expect_server_time().times(1).returning(|| {
            Err(Error::Api(BinanceError::new(
                503,
                None,
                "Service Unavailable",
                "GET /api/v3/time",
            )))
        });
        let mut local = MockLocalClock::new();
        local.expect_now_ms().returning(|| 0);
        assert!(measure(&server, &local, 3).await.is_err());
    }

    proptest! {
        #[test]
        fn estimate_is_within_half_the_round_trip(
            true_offset in -100_000i64..100_000,
            sent in 0i64..1_000_000_000,
            rtt in 0i64..10_000,
            read_at_percent in 0i64..=100,
        ) {
            // The server reads its clock at some moment inside the round trip.
            let read_local = sent + rtt * read_at_percent / 100;
            let sample = Sample { sent_ms: sent, server_time_ms: read_local + true_offset, received_ms: sent + rtt };
            let error = (sample.offset_ms() - true_offset).abs();
            prop_assert!(error <= rtt / 2 + 1, "error {error} for rtt {rtt}");
        }

        #[test]
        fn best_estimate_has_the_smallest_rtt(
            samples in proptest::collection::vec((0i64..1_000_000, -50_000i64..50_000, 0i64..5_000), 1..8),
        ) {
            let samples: Vec<Sample> = samples
                .into_iter()
                .map(|(sent, offset, rtt)| Sample { sent_ms: sent, server_time_ms: sent + offset, received_ms: sent + rtt })
                .collect();
            let best = estimate(&samples).unwrap();
            prop_assert!(samples.iter().all(|sample| sample.rtt_ms() >= best.rtt_ms));
        }

        #[test]
        fn server_now_moves_with_the_local_clock(offset in -100_000i64..100_000, now in 0i64..1_000_000_000, step in 0i64..1_000_000) {
            let mut sync = ClockSync::new(ClockConfig::standard());
            sync.record(Estimate { offset_ms: offset, rtt_ms: 1, taken_at_ms: now });
            prop_assert_eq!(sync.server_now(now + step) - sync.server_now(now), step);
        }
    }
}
