//! `cargo xtask compat`: unmodified third-party Binance clients (Python)
//! against `mbx sandbox`, with pinned versions. Needs PyPI; not part of `ci`.
//!
//! Steps:
//! 1. create `.venv-compat` with `python3 -m venv` (once);
//! 2. `pip install` the pinned client versions below;
//! 3. build `mbx` and start `target/debug/mbx sandbox --port 0`, reading its
//!    URL from stdout;
//! 4. run every `tests/compat/*.py` (files starting with `_` are helpers)
//!    with `MBX_SANDBOX_URL`, `MBX_SANDBOX_API_KEY`, `MBX_SANDBOX_API_SECRET`;
//!    each script prints one `PASS`/`FAIL` line per flow;
//! 5. stop the sandbox; fail if any script failed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The client versions the scripts are known to pass with.
const PINNED: &[&str] = &[
    "python-binance==1.0.37",
    "binance-sdk-spot==13.3.0",
    "ccxt==4.5.90",
];

const DEMO_API_KEY: &str = "mbxSandboxDemoKey000000000000000000000000000000000000000000000a1";
const DEMO_API_SECRET: &str = "mbxSandboxDemoSecret000000000000000000000000000000000000000000b2";

/// Runs the compatibility scripts.
pub fn run() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("cannot find the project root")?
        .to_path_buf();
    let venv = root.join(".venv-compat");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run_step(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv .venv-compat",
        )?;
    }
    run_step(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PINNED),
        "pip install the pinned clients",
    )?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run_step(
        Command::new(cargo)
            .current_dir(&root)
            .args(["build", "--quiet", "-p", "mbx"]),
        "cargo build -p mbx",
    )?;
    let mut sandbox = Sandbox::start(&root.join("target/debug/mbx"))?;
    let res = run_scripts(&root, &python, &sandbox.url);
    sandbox.stop();
    res
}

fn run_scripts(root: &Path, python: &Path, url: &str) -> Result<(), String> {
    let dir = root.join("tests/compat");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|err| format!("cannot read {}: {err}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| !name.starts_with('_'))
        })
        .collect();
    scripts.sort();
    let mut failed = Vec::new();
    for script in &scripts {
        let status = Command::new(python)
            .arg(script)
            .current_dir(&dir)
            .env("MBX_SANDBOX_URL", url)
            .env("MBX_SANDBOX_API_KEY", DEMO_API_KEY)
            .env("MBX_SANDBOX_API_SECRET", DEMO_API_SECRET)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .status()
            .map_err(|err| format!("cannot run {}: {err}", script.display()))?;
        if !status.success() {
            failed.push(script.display().to_string());
        }
    }
    if failed.is_empty() {
        println!("compat: {} scripts passed against {url}", scripts.len());
        Ok(())
    } else {
        Err(format!("compat scripts failed: {}", failed.join(", ")))
    }
}

struct Sandbox {
    child: Child,
    url: String,
}

impl Sandbox {
    fn start(bin: &Path) -> Result<Sandbox, String> {
        let mut child = Command::new(bin)
            .args(["sandbox", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout from mbx sandbox")?;
        let mut url = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if url.is_none() {
                url = line
                    .split_whitespace()
                    .find(|word| word.starts_with("http://"))
                    .map(str::to_owned);
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        match url {
            Some(url) => Ok(Sandbox { child, url }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err("mbx sandbox did not print its URL".to_owned())
            }
        }
    }

    fn stop(&mut self) {
        // SIGINT is Ctrl-C: the sandbox shuts down gracefully.
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if !interrupted {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn run_step(command: &mut Command, what: &str) -> Result<(), String> {
    eprintln!("compat: {what}");
    let status = command
        .status()
        .map_err(|err| format!("{what}: cannot run: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
