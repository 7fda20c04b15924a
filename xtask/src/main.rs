//! Project automation: `cargo xtask ci`, `cargo xtask tidy`, `cargo xtask compat`,
//! `cargo xtask endpoints`, `cargo xtask fuzz`, `cargo xtask man`.
//!
//! `ci` is the one test command of the project (README, `.ci/run`). It runs,
//! in order: `cargo fmt --check`, clippy with `-D warnings` on every target,
//! the whole test suite (unit, property, end-to-end and doc tests),
//! `cargo bench --no-run` so the benches keep compiling, rustdoc of the
//! library crates with warnings denied, and `tidy`.

mod compat;
mod docs_table;
mod endpoints;
mod man;
mod streams;
mod tidy;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci       fmt --check, clippy -D warnings, all tests, bench --no-run, rustdoc, tidy
  tidy     the project's own rules (file docs, no should_panic/ignore, dependency arrows)
  compat   third-party Binance clients (Python) against the sandbox; needs PyPI
  endpoints DOCS_DIR [--check]
           regenerate mbx-domain's endpoint table from the pinned Binance docs
           (run by hand: the docs are outside the repository)
  streams DOCS_DIR [--check]
           regenerate mbx-domain's table of documented stream names
  fuzz [CASES] [--release]
           the fuzz targets of tests/fuzz (sandbox request parsing, client
           frame decoding) with CASES inputs each (default 20000; `cargo test`
           runs 256)
  man [DIR] the man pages of mbx and every subcommand, into DIR (default target/man)";

fn main() -> ExitCode {
    let task = env::args().nth(1);
    let res = match task.as_deref() {
        Some("ci") => ci(),
        Some("tidy") => tidy::run(&project_root()),
        Some("compat") => compat::run(),
        Some("fuzz") => {
            let args: Vec<String> = env::args().skip(2).collect();
            fuzz(&args)
        }
        Some("endpoints") => {
            let args: Vec<String> = env::args().skip(2).collect();
            endpoints::run(&project_root(), &args)
        }
        Some("streams") => {
            let args: Vec<String> = env::args().skip(2).collect();
            streams::run(&project_root(), &args)
        }
        Some("man") => {
            let args: Vec<String> = env::args().skip(2).collect();
            man::run(&project_root(), &args)
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing task\n\n{USAGE}")),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result<(), String> {
    let root = project_root();
    let steps: [(&str, &[&str]); 5] = [
        ("format", &["fmt", "--all", "--", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        ),
        (
            "tests",
            &["test", "--workspace", "--locked", "--no-fail-fast"],
        ),
        (
            "benches compile",
            &["bench", "--workspace", "--locked", "--no-run"],
        ),
        (
            "doc",
            &["doc", "--workspace", "--lib", "--no-deps", "--locked"],
        ),
    ];
    for (name, args) in steps {
        let started = Instant::now();
        eprintln!("xtask ci: {name}: cargo {}", args.join(" "));
        let mut command = Command::new(cargo());
        command.args(args).current_dir(&root);
        if name == "doc" {
            command.env("RUSTDOCFLAGS", "-D warnings");
        }
        let status = command
            .status()
            .map_err(|err| format!("cannot run cargo: {err}"))?;
        if !status.success() {
            return Err(format!("{name} failed ({status}); see the output above"));
        }
        eprintln!("xtask ci: {name}: ok in {:.0?}", started.elapsed());
    }
    tidy::run(&root)?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}

/// Runs `tests/fuzz` with `PROPTEST_CASES` inputs per target; each target
/// prints how many inputs it tried.
fn fuzz(args: &[String]) -> Result<(), String> {
    let mut cases = 20_000_u64;
    let mut release = false;
    for arg in args {
        match arg.as_str() {
            "--release" => release = true,
            number => {
                cases = number
                    .parse()
                    .map_err(|_| format!("fuzz: `{number}` is not a number of cases"))?;
            }
        }
    }
    let mut command = Command::new(cargo());
    command.args(["test", "-p", "mbx-tests", "--test", "fuzz"]);
    if release {
        command.arg("--release");
    }
    command
        .args(["--", "--nocapture"])
        .env("PROPTEST_CASES", cases.to_string())
        .current_dir(project_root());
    let started = Instant::now();
    eprintln!("xtask fuzz: {cases} inputs per target");
    let status = command
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!(
            "a fuzz target failed ({status}); the smallest failing input is above"
        ));
    }
    eprintln!("xtask fuzz: done in {:.0?}", started.elapsed());
    Ok(())
}

fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The workspace root: the parent of this crate's folder.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}
