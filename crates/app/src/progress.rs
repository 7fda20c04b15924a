//! Progress on slow calls: a spinner on stderr naming what a request waits
//! for (`GET /api/v3/account on api.binance.com`, `waiting 45 s as
//! Retry-After asks`), drawn with `indicatif` from the REST client's
//! [`RequestObserver`] calls.
//!
//! It appears only when a call has taken more than [`DELAY`] (or waits that
//! long on purpose), is cleared when the call is done, and exists only on a
//! terminal: never when stderr is a pipe or a file, never with `--json`,
//! never on stdout. `-q` hides it; `-v` logs each request instead.
//!
//! The spinner line is the one piece of process-wide state here, as stderr
//! is: everything else written to the terminal (the printer's stdout and
//! stderr, the logs) goes through [`suspend`], which takes the spinner off
//! the screen while it writes and puts it back afterwards.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal as _};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mbx_domain::observer::{ObservedRequest, RequestObserver, Wait};

use crate::cli::GlobalArgs;

/// How long a call runs before the spinner appears: a quick call draws
/// nothing, so nothing flickers.
pub const DELAY: Duration = Duration::from_secs(1);

/// How often the spinner turns.
const TICK: Duration = Duration::from_millis(100);

/// The spinner on stderr now, if one is shown.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The observer for this invocation's REST client: a spinner on a
/// terminal, request logs with `-v`, nothing with `--json`, `-q` or when
/// stderr is not a terminal.
pub fn observer(global: &GlobalArgs) -> Option<Arc<dyn RequestObserver>> {
    if global.verbose > 0 {
        return Some(Arc::new(LogRequests));
    }
    if global.json || global.quiet || !io::stderr().is_terminal() {
        return None;
    }
    Some(Arc::new(Spinner::default()))
}

/// Runs `write` with the spinner off the screen, if one is shown, and puts
/// it back afterwards.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    let shown = lock(&SHOWN);
    match shown.as_ref() {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Standard error, written around the spinner: the logs' writer.
#[derive(Debug, Clone, Copy)]
pub struct Stderr;

impl io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        suspend(|| io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // One event, one write: the spinner is not redrawn in the middle.
        suspend(|| io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `-v`: each request as a log line instead of a spinner (the REST client
/// logs the waits itself).
#[derive(Debug)]
struct LogRequests;

impl RequestObserver for LogRequests {
    fn request_started(&self, request: &ObservedRequest) {
        tracing::info!("{request}");
    }

    fn waiting(&self, _request: &ObservedRequest, _wait: &Wait) {}

    fn request_finished(&self, _request: &ObservedRequest) {}
}

/// The requests in flight, and the spinner line that names the latest.
#[derive(Debug, Default)]
struct Spinner {
    inner: Arc<Mutex<InFlight>>,
}

#[derive(Debug, Default)]
struct InFlight {
    requests: BTreeMap<u64, Call>,
}

#[derive(Debug)]
struct Call {
    label: String,
    started: Instant,
    /// What it waits for, and until when.
    wait: Option<(String, Instant)>,
}

impl Call {
    /// What the spinner says about this call at `now`, once it is worth
    /// saying: after [`DELAY`], or at once during a long wait.
    fn line(&self, now: Instant) -> Option<String> {
        match &self.wait {
            Some((wait, until)) if *until > now => Some(format!("{}: {wait}", self.label)),
            _ if now.duration_since(self.started) >= DELAY => Some(self.label.clone()),
            _ => None,
        }
    }
}

impl RequestObserver for Spinner {
    fn request_started(&self, request: &ObservedRequest) {
        lock(&self.inner).requests.insert(
            request.id,
            Call {
                label: request.to_string(),
                started: Instant::now(),
                wait: None,
            },
        );
        refresh_after(&self.inner, DELAY);
    }

    fn waiting(&self, request: &ObservedRequest, wait: &Wait) {
        let duration = wait.duration();
        if let Some(call) = lock(&self.inner).requests.get_mut(&request.id) {
            call.wait = Some((wait.to_string(), Instant::now() + duration));
        }
        if duration >= DELAY {
            refresh(&self.inner);
        }
        // Back to the request's name when the wait is over.
        refresh_after(&self.inner, duration);
    }

    fn request_finished(&self, request: &ObservedRequest) {
        lock(&self.inner).requests.remove(&request.id);
        refresh(&self.inner);
    }
}

/// Redraws after `delay`, from a thread of its own (the observer is called
/// on the request's path and must not wait).
fn refresh_after(in_flight: &Arc<Mutex<InFlight>>, delay: Duration) {
    let in_flight: Weak<Mutex<InFlight>> = Arc::downgrade(in_flight);
    // No thread, no spinner: the call itself goes on.
    let _ = std::thread::Builder::new()
        .name("mbx-spinner".to_owned())
        .spawn(move || {
            std::thread::sleep(delay);
            if let Some(in_flight) = in_flight.upgrade() {
                refresh(&in_flight);
            }
        });
}

/// Shows, updates or clears the spinner for the calls in flight: the
/// latest call worth showing is named.
fn refresh(in_flight: &Mutex<InFlight>) {
    let in_flight = lock(in_flight);
    let now = Instant::now();
    let line = in_flight.requests.values().rev().find_map(|call| {
        call.line(now)
            .map(|line| (line, now.duration_since(call.started)))
    });
    let mut shown = lock(&SHOWN);
    match (line, shown.as_ref()) {
        (Some((line, _)), Some(bar)) => bar.set_message(line),
        (Some((line, running)), None) => {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_elapsed(running);
            let style = ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_message(line);
            bar.enable_steady_tick(TICK);
            bar.tick();
            *shown = Some(bar);
        }
        (None, Some(_)) => {
            if let Some(bar) = shown.take() {
                bar.finish_and_clear();
            }
        }
        (None, None) => {}
    }
}

/// Locks `mutex`, whatever a panicking holder left: the state is a list of
/// calls and a spinner, both still meaningful.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(call: &Call, after: Duration, expected: Option<&str>) {
        assert_eq!(call.line(call.started + after).as_deref(), expected);
    }

    #[test]
    fn a_call_is_named_after_the_delay_and_its_wait_at_once() {
        let started = Instant::now();
        let mut call = Call {
            label: "GET /api/v3/account on api.binance.com".into(),
            started,
            wait: None,
        };
        check(&call, Duration::from_millis(300), None);
        check(&call, DELAY, Some("GET /api/v3/account on api.binance.com"));
        call.wait = Some((
            "waiting 45 s as Retry-After asks".into(),
            started + Duration::from_secs(45),
        ));
        check(
            &call,
            Duration::ZERO,
            Some("GET /api/v3/account on api.binance.com: waiting 45 s as Retry-After asks"),
        );
        check(
            &call,
            Duration::from_secs(46),
            Some("GET /api/v3/account on api.binance.com"),
        );
    }
}
