//! Helpers shared by the end-to-end tests in `it/`: locate and run the real
//! `mbx` binary, read test keys.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The demo HMAC secret of the Binance docs.
pub const DOCS_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
/// The demo API key of the Binance docs.
pub const DOCS_API_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

/// Path of the `mbx` binary, built once per test process so that the tests
/// never run a stale binary.
pub fn mbx_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        // target/<profile>/deps/it-<hash> → target/<profile>/mbx
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "mbx", "--bin", "mbx"]);
        // `cargo test` sets these for the test process; build scripts that
        // track them (ring's tracks `CARGO_MANIFEST_DIR`) would otherwise see
        // a change and rebuild half the tree on every run.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_BIN_")
                || matches!(
                    name.as_ref(),
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "OUT_DIR"
                )
            {
                build.env_remove(name.as_ref());
            }
        }
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build -p mbx");
        assert!(status.success(), "cargo build -p mbx failed");
        profile_dir.join(format!("mbx{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// A `mbx` command with a clean environment: no credentials, no profile, no
/// colour, so tests see only what they set.
pub fn mbx() -> Command {
    let mut command = Command::new(mbx_bin());
    for var in [
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "BINANCE_PRIVATE_KEY_FILE",
        "MBX_PROFILE",
    ] {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1");
    command.env("HOME", std::env::temp_dir().join("mbx-tests-home"));
    // A cache of its own per command: a ban one test provokes must not
    // block another test's sandbox that happens to get the same port.
    static N_COMMANDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N_COMMANDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    command.env(
        "XDG_CACHE_HOME",
        std::env::temp_dir().join(format!("mbx-tests-cache-{}-{n}", std::process::id())),
    );
    command
}

/// A `mbx` command as [`mbx`], holding the sandbox's demo key in the
/// environment and pointed at a config file that does not exist, so only
/// the environment's key is used.
pub fn mbx_with_demo_key() -> Command {
    let mut command = mbx();
    command
        .env("BINANCE_API_KEY", mbx_sandbox::DEMO_API_KEY)
        .env("BINANCE_API_SECRET", mbx_sandbox::DEMO_API_SECRET)
        .env(
            "MBX_CONFIG",
            std::env::temp_dir().join("mbx-tests-no-config.toml"),
        );
    command
}

/// The outcome of a finished command, as text.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs a command to completion.
pub fn run(command: &mut Command) -> Outcome {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run command");
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Path of a test key in `tests/fixtures/keys/`.
pub fn fixture_key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/keys")
        .join(name)
}

/// Contents of a test key in `tests/fixtures/keys/`.
pub fn fixture_key(name: &str) -> String {
    std::fs::read_to_string(fixture_key_path(name)).expect("fixture key")
}
