//! How long a live use-case runs: until a number of items, a duration, a
//! stop signal (Ctrl-C in the CLI), or the end of its feed.
//!
//! Every feed of this crate takes a [`Session`], so the rule is written
//! once: the count, the deadline and the stop signal are checked between
//! items, never in the middle of one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use tokio::time::Instant;

/// When a live use-case stops.
///
/// ```
/// use std::time::Duration;
/// use mbx_client::session::{Limits, Session};
///
/// # async fn run() {
/// let limits = Limits { count: Some(10), duration: Some(Duration::from_secs(30)) };
/// let mut session = Session::new(limits, std::future::pending::<()>());
/// let mut items = futures_util::stream::iter(1..=100);
/// let mut seen = Vec::new();
/// while let Some(item) = session.next(&mut items).await {
///     seen.push(item);
///     session.count(1);
/// }
/// assert_eq!(seen.len(), 10);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Stop after this many counted items (what counts is the use-case's
    /// choice: events, changed balances, …).
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// A running [`Limits`] plus a stop signal.
pub struct Session {
    count: Option<u64>,
    counted: u64,
    deadline: Option<Instant>,
    stop: Pin<Box<dyn Future<Output = ()> + Send>>,
    stopped: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("count", &self.count)
            .field("counted", &self.counted)
            .field("deadline", &self.deadline)
            .field("stopped", &self.stopped)
            .finish()
    }
}

/// What [`Session::wait`] saw first.
#[derive(Debug)]
pub enum Wake<T> {
    /// The next item (`None`: the feed ended).
    Item(Option<T>),
    /// The timer the caller asked for fired.
    Timer,
    /// The session is over: count reached, deadline passed or stopped.
    Done,
}

impl Session {
    /// Starts the clock now; `stop` ends the session when it completes
    /// (pass `tokio::signal::ctrl_c()` mapped to `()`, or
    /// `std::future::pending()` for none).
    pub fn new(limits: Limits, stop: impl Future<Output = ()> + Send + 'static) -> Session {
        Session {
            count: limits.count,
            counted: 0,
            deadline: limits.duration.map(|duration| Instant::now() + duration),
            stop: Box::pin(stop),
            stopped: false,
        }
    }

    /// A session without limits or stop signal: it runs until its feed ends.
    pub fn unbounded() -> Session {
        Session::new(Limits::default(), std::future::pending())
    }

    /// Whether the session is over.
    pub fn is_done(&self) -> bool {
        self.stopped || self.remaining() == Some(0)
    }

    /// How many more items may be counted (`None`: no count limit).
    pub fn remaining(&self) -> Option<u64> {
        self.count.map(|count| count.saturating_sub(self.counted))
    }

    /// Counts `n` items.
    pub fn count(&mut self, n: u64) {
        self.counted = self.counted.saturating_add(n);
    }

    /// The next item of `items`, or `None` when the session is over or the
    /// feed ended.
    pub async fn next<T>(&mut self, items: &mut (impl Stream<Item = T> + Unpin)) -> Option<T> {
        match self.wait(items, None).await {
            Wake::Item(item) => item,
            Wake::Timer | Wake::Done => None,
        }
    }

    /// The next item, or the `timer` instant if it comes first, or the end
    /// of the session.
    pub async fn wait<T>(
        &mut self,
        items: &mut (impl Stream<Item = T> + Unpin),
        timer: Option<Instant>,
    ) -> Wake<T> {
        if self.is_done() {
            return Wake::Done;
        }
        let deadline = self.deadline;
        tokio::select! {
            item = items.next() => Wake::Item(item),
            () = sleep_until(timer) => Wake::Timer,
            () = sleep_until(deadline) => {
                self.stopped = true;
                Wake::Done
            }
            () = &mut self.stop => {
                self.stopped = true;
                Wake::Done
            }
        }
    }
}

async fn sleep_until(instant: Option<Instant>) {
    match instant {
        Some(instant) => tokio::time::sleep_until(instant).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_signal_ends_the_session() {
        let mut session = Session::new(Limits::default(), async {});
        let mut items = futures_util::stream::pending::<u32>();
        assert_eq!(session.next(&mut items).await, None);
        assert!(session.is_done());
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_the_session() {
        let limits = Limits {
            count: None,
            duration: Some(Duration::from_secs(5)),
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut items = futures_util::stream::pending::<u32>();
        assert_eq!(session.next(&mut items).await, None);
        assert!(session.is_done());
    }

    #[tokio::test]
    async fn the_count_is_the_callers() {
        let limits = Limits {
            count: Some(3),
            duration: None,
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut items = futures_util::stream::iter([1, 2, 3, 4]);
        assert_eq!(session.next(&mut items).await, Some(1));
        session.count(2);
        assert_eq!(session.remaining(), Some(1));
        assert_eq!(session.next(&mut items).await, Some(2));
        session.count(1);
        assert_eq!(session.next(&mut items).await, None);
    }
}
