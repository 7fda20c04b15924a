//! What the clap definitions generate, checked as a user meets it: every
//! help's examples run against the sandbox, the man pages render with
//! `man -l`, the bash completion script loads and completes, and
//! `mbx --version` names the commit.
// See: issue "CLI polish: completions, a man page, progress on slow calls, CSV, and tables that align in any script"

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET};
use mbx_tests::{mbx, mbx_bin, run};

/// An example still running after this long has hung (they all end by
/// themselves: `--count`, `--duration`); it is killed and reported, so a
/// hang fails the test instead of stalling the run. Not a speed check.
const HANG_GUARD: Duration = Duration::from_secs(180);

/// Every command of the tree under `mbx` (nested ones included, clap's own
/// `help` left out), with its full name: `mbx config init`.
fn subcommands() -> Vec<(String, clap::Command)> {
    fn walk(command: &clap::Command, name: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" || sub.is_hide_set() {
                continue;
            }
            let full = format!("{name} {}", sub.get_name());
            out.push((full.clone(), sub.clone()));
            walk(sub, &full, out);
        }
    }
    let mut out = Vec::new();
    walk(&mbx::command(), "mbx", &mut out);
    out
}

/// The examples at the end of a long help, by the convention of
/// crates/app/README.md: after a last line `Examples:`, one command per
/// line indented by two spaces, blank lines between them, nothing else.
fn examples(long_help: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = long_help.lines().collect();
    let start = lines
        .iter()
        .rposition(|line| line.trim_end() == "Examples:")
        .ok_or("no `Examples:` section at the end of the long help")?;
    let mut examples = Vec::new();
    for line in &lines[start + 1..] {
        if line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix("  ") {
            Some(example) if !example.starts_with(' ') => examples.push(example.to_owned()),
            _ => {
                return Err(format!(
                    "`{line}` follows the examples: `Examples:` ends the help, one command per line indented by two spaces"
                ));
            }
        }
    }
    if examples.len() < 2 {
        return Err(format!("{} example(s); give two or three", examples.len()));
    }
    Ok(examples)
}

#[test]
fn examples_are_read_by_the_convention() {
    let help = "Do a thing.\n\nExamples:\n\n  mbx a --sandbox\n\n  X=1 mbx b | mbx c -\n";
    assert_eq!(
        examples(help).unwrap(),
        ["mbx a --sandbox", "X=1 mbx b | mbx c -"]
    );
    let prose_after = "Examples:\n\n  mbx a\n  mbx b\n\nMore words.\n";
    assert!(examples(prose_after).unwrap_err().contains("More words."));
    assert!(
        examples("Examples:\n\n  mbx a\n").is_err(),
        "one is too few"
    );
    assert!(examples("  mbx a\n  mbx b\n").is_err(), "no section");
}

#[test]
fn every_subcommand_teaches_with_examples_that_run_against_the_sandbox() {
    let mut problems = Vec::new();
    let mut n_run = 0;
    for (name, command) in subcommands() {
        let help = command
            .get_long_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        let examples = match examples(&help) {
            Ok(examples) => examples,
            Err(problem) => {
                problems.push(format!("{name}: {problem}"));
                continue;
            }
        };
        let connects = command.get_arguments().any(|arg| arg.get_id() == "sandbox");
        for example in examples {
            // A command that needs earlier state (an order to show) may run
            // against a sandbox the example starts itself on loopback.
            if connects
                && !example.contains("--sandbox")
                && !example.contains("--base-url http://127.0.0.1:")
            {
                problems.push(format!(
                    "{name}: `{example}` connects without `--sandbox`: examples run offline"
                ));
                continue;
            }
            n_run += 1;
            if let Err(problem) = run_example(&example) {
                problems.push(format!("{name}: `{example}`\n{problem}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    assert!(n_run >= 20, "only {n_run} examples ran");
}

/// Runs one example in bash, as a user pastes it: `mbx` on the `PATH`, an
/// empty folder and home, the sandbox's demo key and secret in the
/// environment, and every HTTP(S) connection beyond loopback sent to a
/// proxy that refuses it, so an example that reaches for the internet fails.
fn run_example(example: &str) -> Result<(), String> {
    let dir = scratch("example");
    let (home, work) = (dir.join("home"), dir.join("work"));
    for folder in [&home, &work] {
        std::fs::create_dir_all(folder).unwrap();
    }
    let (stdout_path, stderr_path) = (dir.join("stdout"), dir.join("stderr"));
    let mut command = Command::new("bash");
    command
        .args(["-o", "pipefail", "-c", example])
        .current_dir(&work)
        .env("PATH", path_with_mbx())
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("NO_COLOR", "1")
        .env("BINANCE_API_KEY", DEMO_API_KEY)
        .env("BINANCE_API_SECRET", DEMO_API_SECRET)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    for var in [
        "XDG_CONFIG_HOME",
        "MBX_CONFIG",
        "MBX_PROFILE",
        "BINANCE_PRIVATE_KEY_FILE",
    ] {
        command.env_remove(var);
    }
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env(var, "http://127.0.0.1:9");
        command.env(var.to_lowercase(), "http://127.0.0.1:9");
    }
    for var in ["NO_PROXY", "no_proxy"] {
        command.env(var, "127.0.0.1,localhost,::1");
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!(
            "exited with {status}\nstdout:\n{}\nstderr:\n{}",
            read(&stdout_path),
            read(&stderr_path)
        )),
        None => Err(format!(
            "still running after {HANG_GUARD:?}: an example must end by itself (`--count`, `--duration`)\nstderr:\n{}",
            read(&stderr_path)
        )),
    }
}

#[test]
fn man_pages_render_for_mbx_and_every_subcommand() {
    let dir = scratch("man");
    let pages = mbx::man_pages();
    let mut names: Vec<String> = pages.iter().map(|page| page.file_name.clone()).collect();
    names.sort();
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|(name, _)| format!("{}.1", name.replace(' ', "-")))
        .chain(["mbx.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    for page in &pages {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff).unwrap();
        let output = Command::new("man")
            .arg("-l")
            .arg(&path)
            // Wide enough that no line has to be squeezed: what is checked
            // is that the page renders, not groff's line breaking.
            .env("MANWIDTH", "250")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap_or_else(|err| {
                panic!("cannot run `man` ({err}); install man-db (`apt-get install man-db`, as .ci/run does)")
            });
        let text = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {stderr}", page.file_name);
        assert!(stderr.is_empty(), "{}: {stderr}", page.file_name);
        let title = page.file_name.trim_end_matches(".1");
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] {
            assert!(
                text.lines().any(|line| line == section),
                "{}: no {section} section:\n{text}",
                page.file_name
            );
        }
        assert!(text.contains(&format!("{title} - ")), "{text}");
    }
    let balances = std::fs::read_to_string(dir.join("mbx-balances.1")).unwrap();
    assert!(
        balances.contains("mbx balances \\-\\-sandbox \\-\\-format csv"),
        "{balances}"
    );
    let root = Command::new("man")
        .arg("-l")
        .arg(dir.join("mbx.1"))
        .env("MANWIDTH", "250")
        .output()
        .unwrap();
    let root = String::from_utf8_lossy(&root.stdout);
    assert!(root.contains("mbx-completions(1)"), "{root}");
    assert!(root.lines().any(|line| line == "NOTES"), "{root}");
    assert!(root.contains("3  network error"), "{root}");
}

#[test]
fn the_bash_completion_script_loads_and_completes() {
    let out = run(mbx().args(["completions", "bash"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let script = scratch("completions").join("mbx.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let complete = |words: &[&str]| -> Vec<String> {
        // What bash sets before it calls the completion function on Tab.
        let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
        let line = format!(
            "source '{}' && COMP_WORDS=({}) && COMP_CWORD={} && _mbx mbx '{}' '{}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len().saturating_sub(2)],
        );
        let out = run(Command::new("bash").args(["-c", &line]));
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stderr.is_empty(), "{}", out.stderr);
        out.stdout.lines().map(str::to_owned).collect()
    };
    assert_eq!(complete(&["mbx", "bal"]), ["balances"]);
    assert_eq!(complete(&["mbx", "comp"]), ["completions"]);
    assert_eq!(complete(&["mbx", "balances", "--for"]), ["--format"]);
    assert_eq!(
        complete(&["mbx", "balances", "--format", ""]),
        ["table", "csv"]
    );
    assert!(complete(&["mbx", "config", ""]).contains(&"init".to_owned()));

    // As the README installs it, in a fresh bash.
    let out = run(Command::new("bash")
        .args(["-c", "source <(mbx completions bash) && complete -p mbx"])
        .env("PATH", path_with_mbx()));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(out.stdout.contains("-F _mbx mbx"), "{}", out.stdout);
}

#[test]
fn every_shell_gets_a_script_and_nothing_else() {
    for (shell, marker) in [
        ("zsh", "#compdef mbx"),
        ("fish", "complete -c mbx"),
        ("powershell", "Register-ArgumentCompleter"),
        ("bash", "complete -F _mbx"),
    ] {
        let out = run(mbx().args(["completions", shell, "--json", "-v"]));
        assert_eq!(out.code, 0, "{shell}: {out:?}");
        assert!(out.stdout.contains(marker), "{shell}: {}", out.stdout);
        assert!(out.stderr.is_empty(), "{shell}: {}", out.stderr);
    }
    let out = run(mbx().args(["completions", "tcsh"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = run(mbx().arg("--version"));
    assert_eq!(out.code, 0, "{out:?}");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let commit = Command::new("git")
        .arg("-C")
        .arg(workspace)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map_or("unknown".to_owned(), |output| {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        });
    assert_eq!(
        out.stdout,
        format!("mbx {} ({commit})\n", env!("CARGO_PKG_VERSION"))
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

/// `PATH` with the `mbx` under test first.
fn path_with_mbx() -> std::ffi::OsString {
    let bin_dir = mbx_bin().parent().unwrap().to_path_buf();
    std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap()
}

/// A new empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "mbx-tests-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
