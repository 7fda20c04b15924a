//! What mbx writes, for people and for scripts: CSV and tables lined up on
//! the decimal point, colour only on a terminal without `NO_COLOR`, and a
//! spinner on stderr during a slow call, on a terminal only. A terminal is
//! a pseudo-terminal from util-linux `script`.
// See: issue "CLI polish: completions, a man page, progress on slow calls, CSV, and tables that align in any script"

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mbx_sandbox::SandboxConfig;
use mbx_tests::run;

use crate::balances::Running;

/// Longer than the spinner's delay (about a second): every request to a
/// sandbox with this latency is a slow call.
const SLOW: Duration = Duration::from_millis(2500);

#[test]
fn balances_as_csv_have_a_header_the_exact_decimals_and_no_total_row() {
    let running = Running::demo();
    let out = run(running
        .mbx_with_demo_key("balances")
        .args(["--format", "csv", "--quote", "USDT"]));
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "ASSET,FREE,LOCKED,TOTAL,VALUE (USDT)");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("BTC,1.50000000,0.00000000,1.50000000,")),
        "{}",
        out.stdout
    );
    assert!(lines.len() > 2, "{}", out.stdout);
    for line in &lines {
        assert_eq!(line.split(',').count(), 5, "{line}");
        assert!(!line.starts_with("TOTAL"), "a total row in CSV: {line}");
    }

    let both = run(running
        .mbx_with_demo_key("balances")
        .args(["--format", "csv", "--json"]));
    assert_eq!(both.code, 2, "{both:?}");
    let watch = run(running
        .mbx_with_demo_key("balances")
        .args(["--format", "csv", "--watch"]));
    assert_eq!(watch.code, 2, "{watch:?}");
    assert!(watch.stderr.contains("--watch --json"), "{}", watch.stderr);
}

#[test]
fn no_balances_print_a_csv_header_or_nothing_and_say_so_on_stderr() {
    let mut config = SandboxConfig::demo();
    config.accounts[0].balances.clear();
    let running = Running::start(config);
    let table = run(&mut running.mbx_with_demo_key("balances"));
    assert_eq!(table.code, 0, "{table:?}");
    assert_eq!(table.stdout, "", "nothing for a script to filter out");
    assert!(
        table.stderr.contains("no non-zero balances"),
        "{}",
        table.stderr
    );
    let csv = run(running
        .mbx_with_demo_key("balances")
        .args(["--format", "csv"]));
    assert_eq!(csv.code, 0, "{csv:?}");
    assert_eq!(csv.stdout, "ASSET,FREE,LOCKED,TOTAL\n");
}

#[test]
fn values_line_up_on_the_decimal_point() {
    let running = Running::demo();
    let out = run(running
        .mbx_with_demo_key("balances")
        .args(["--quote", "USDT"]));
    assert_eq!(out.code, 0, "{out:?}");
    let points: Vec<Option<usize>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|line| line.rfind('.'))
        .collect();
    assert!(points.len() > 2, "{}", out.stdout);
    assert!(
        points
            .iter()
            .all(|point| point.is_some() && *point == points[0]),
        "the VALUE column's points are not one above the other:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().last().unwrap().starts_with("TOTAL "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_slow_call_shows_a_spinner_on_a_terminal_and_clears_it() {
    let running = Running::demo();
    running.sandbox().set_latency(SLOW);
    let label = format!(
        "GET /api/v3/ping on {}",
        running.url().trim_start_matches("http://")
    );
    let out = on_terminal(running.mbx("api").args(["GET", "/api/v3/ping"]), false);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "{}\n", "the spinner never goes to stdout");
    assert!(out.screen.contains(&label), "{out:?}");
    assert!(has_spinner(&out.screen), "{out:?}");
    assert!(
        out.screen.trim_end().ends_with("\x1b[2K"),
        "the spinner line is erased at the end: {out:?}"
    );
}

#[test]
fn no_spinner_with_json_quiet_verbose_or_on_a_pipe() {
    let running = Running::demo();
    running.sandbox().set_latency(SLOW);
    let label = format!(
        "GET /api/v3/ping on {}",
        running.url().trim_start_matches("http://")
    );
    for flag in ["--json", "-q"] {
        let out = on_terminal(
            running.mbx("api").args(["GET", "/api/v3/ping", flag]),
            false,
        );
        assert_eq!(out.code, 0, "{flag}: {out:?}");
        assert!(!out.screen.contains(&label), "{flag}: {out:?}");
        assert!(!has_spinner(&out.screen), "{flag}: {out:?}");
    }
    let verbose = on_terminal(
        running.mbx("api").args(["GET", "/api/v3/ping", "-v"]),
        false,
    );
    assert_eq!(verbose.code, 0, "{verbose:?}");
    assert!(
        verbose.screen.contains(&label),
        "logged instead: {verbose:?}"
    );
    assert!(!has_spinner(&verbose.screen), "{verbose:?}");
    let piped = run(running.mbx("api").args(["GET", "/api/v3/ping"]));
    assert_eq!(
        (piped.code, piped.stdout.as_str()),
        (0, "{}\n"),
        "{piped:?}"
    );
    assert!(!piped.stderr.contains(&label), "{piped:?}");
    assert!(!has_spinner(&piped.stderr), "{piped:?}");
}

#[test]
fn doctor_colours_its_verdicts_on_a_terminal_unless_no_color() {
    let running = Running::demo();
    let doctor = |no_color: Option<&str>| {
        let mut command = running.mbx_with_demo_key("doctor");
        match no_color {
            Some(value) => command.env("NO_COLOR", value),
            None => command.env_remove("NO_COLOR"),
        };
        command
    };
    let green_pass = "\x1b[32mPASS\x1b[0m";
    let coloured = on_terminal(&mut doctor(None), true);
    assert!(coloured.screen.contains(green_pass), "{coloured:?}");
    // https://no-color.org: set and not empty.
    let empty = on_terminal(&mut doctor(Some("")), true);
    assert!(empty.screen.contains(green_pass), "{empty:?}");
    let plain = on_terminal(&mut doctor(Some("1")), true);
    assert!(plain.screen.contains("PASS"), "{plain:?}");
    assert!(!plain.screen.contains('\x1b'), "{plain:?}");
    let to_file = on_terminal(&mut doctor(None), false);
    assert!(to_file.stdout.contains("PASS"), "{to_file:?}");
    assert!(!to_file.stdout.contains('\x1b'), "{to_file:?}");
}

/// What a terminal showed while a command ran on it.
#[derive(Debug)]
struct OnTerminal {
    /// Everything written to the terminal: stderr, and stdout when it was
    /// left on the terminal.
    screen: String,
    /// Stdout, when it went to a file.
    stdout: String,
    code: i32,
}

/// Runs `command` on a pseudo-terminal (`script -qefc`), its stdout on the
/// terminal or in a file.
fn on_terminal(command: &mut Command, stdout_on_terminal: bool) -> OnTerminal {
    static N: AtomicUsize = AtomicUsize::new(0);
    let stdout_file = std::env::temp_dir().join(format!(
        "mbx-tests-terminal-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut line: Vec<String> = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(shell_quote)
        .collect();
    if !stdout_on_terminal {
        line.push(format!("> {}", shell_quote(stdout_file.as_os_str())));
    }
    let mut script = Command::new("script");
    script
        .args(["-qefc", &line.join(" "), "/dev/null"])
        .stdin(Stdio::null())
        .env("TERM", "xterm");
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    let out = run(&mut script);
    let stdout = std::fs::read_to_string(&stdout_file).unwrap_or_default();
    let _ = std::fs::remove_file(&stdout_file);
    OnTerminal {
        screen: out.stdout,
        stdout,
        code: out.code,
    }
}

fn shell_quote(word: &OsStr) -> String {
    let text = String::from_utf8_lossy(word.as_bytes());
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether a spinner frame (a braille dot pattern) was drawn.
fn has_spinner(text: &str) -> bool {
    text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c))
}
