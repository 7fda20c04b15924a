//! `cargo xtask tidy`: the project's own rules, checked on the source tree.
//!
//! Each failure names the file and the rule (see shared/STYLE.md § xtask and
//! shared/DESIGN.md § The hexagon).

use std::fs;
use std::path::{Path, PathBuf};

/// Crate folder → the only dependencies it may have: the arrows of
/// ARCHITECTURE.md as an allow-list, so a new dependency is a decision
/// written here (with the reason in the commit), never an accident.
const ALLOWED_DEPENDENCIES: &[(&str, &[&str])] = &[
    (
        // Pure: bytes in, signature out. No I/O, no clock, no other mbx crate.
        "crates/signing",
        &[
            "hmac",
            "sha2",
            "ed25519-dalek",
            "rsa",
            "base64",
            "zeroize",
            "subtle",
            "percent-encoding",
            "thiserror",
            "rand_core",
        ],
    ),
    (
        // No I/O: model, errors, ports, pure services.
        "crates/domain",
        &[
            "mbx-signing",
            "async-trait",
            "futures-core",
            "mockall",
            "url",
            "rust_decimal",
            "serde",
            "thiserror",
        ],
    ),
    (
        "crates/adapters-rest",
        &[
            "mbx-domain",
            "mbx-signing",
            "async-trait",
            "rand",
            // The HTTP transport: hyper-util's pooled client over rustls.
            "bytes",
            "http",
            "http-body-util",
            "hyper",
            "hyper-rustls",
            "hyper-util",
            "percent-encoding",
            "rustls",
            "webpki-roots",
            "serde",
            "serde_json",
            "tokio",
            "tracing",
        ],
    ),
    (
        "crates/adapters-ws",
        &[
            "mbx-domain",
            "mbx-signing",
            "async-trait",
            "futures-core",
            "futures-util",
            "rand",
            "rust_decimal",
            "rustls",
            "serde",
            "serde_json",
            "thiserror",
            "tokio",
            "tokio-tungstenite",
            "tracing",
        ],
    ),
    (
        // The other side of the wire: never the client adapters.
        "crates/sandbox",
        &[
            "mbx-domain",
            "mbx-signing",
            "axum",
            "tokio",
            "serde",
            "serde_json",
            "rust_decimal",
            "thiserror",
            "tracing",
            "http",
            "toml",
            // Its own accept loop: header-read timeout, connection cap,
            // Binance-shaped answers to what hyper cannot parse.
            "hyper",
            "hyper-util",
            "tower",
            // WebSocket message and frame size limits.
            "tungstenite",
            "futures-util",
            // `--replay DIR`: reads the recordings `mbx record` writes.
            "zstd",
        ],
    ),
    (
        // Use-cases over ports: no adapter, no transport.
        "crates/client",
        &[
            "mbx-domain",
            "mbx-signing",
            "async-trait",
            "futures-util",
            "rust_decimal",
            "serde",
            "serde_json",
            "thiserror",
            "tokio",
            "toml",
            "tracing",
            "zeroize",
            // Recordings (`record`, `replay`): zstd-compressed NDJSON files.
            "zstd",
        ],
    ),
    (
        // The composition root: everything above, plus the terminal.
        "crates/app",
        &[
            "mbx-signing",
            "mbx-domain",
            "mbx-client",
            "mbx-adapters-rest",
            "mbx-adapters-ws",
            "mbx-sandbox",
            "chrono",
            "unicode-width",
            "clap",
            // Generated from the clap definitions: `mbx completions`, and
            // the man pages `cargo xtask man` writes.
            "clap_complete",
            "clap_mangen",
            // `--format csv` (RFC 4180 quoting).
            "csv",
            // The spinner on stderr during a slow call.
            "indicatif",
            "thiserror",
            "zeroize",
            "serde",
            "serde_json",
            "rust_decimal",
            "tokio",
            "tracing",
            "tracing-subscriber",
        ],
    ),
];

/// Runs every check and reports all failures at once.
pub fn run(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches", "examples"] {
        collect_rust_files(&root.join(dir), &mut files);
    }
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_default();
        let shown = file.strip_prefix(root).unwrap_or(file).display();
        if !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{shown}: the file must open with a `//!` line saying what it is for (STYLE.md)"
            ));
        }
        for (idx, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains(concat!("#[should", "_panic")) {
                problems.push(format!(
                    "{shown}:{}: no `should_panic`; assert on the `Err` (STYLE.md § Tests)",
                    idx + 1
                ));
            }
            if code.starts_with(concat!("#[ign", "ore")) {
                problems.push(format!("{shown}:{}: no ignored tests; assert the current behaviour and add a FIXME (STYLE.md § Tests)", idx + 1));
            }
        }
    }
    for (crate_dir, allowed) in ALLOWED_DEPENDENCIES {
        let manifest = root.join(crate_dir).join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .map_err(|err| format!("{}: {err}", manifest.display()))?;
        for name in normal_dependencies(&text) {
            if !allowed.contains(&name.as_str()) {
                problems.push(format!(
                    "{crate_dir}/Cargo.toml: depends on `{name}`, which is not on its allow-list in xtask/src/tidy.rs (ARCHITECTURE.md § Code Map); add it there only if the arrow is right"
                ));
            }
        }
    }
    for entry in fs::read_dir(root.join("crates"))
        .map_err(|err| err.to_string())?
        .flatten()
    {
        let dir = format!("crates/{}", entry.file_name().to_string_lossy());
        if entry.path().join("Cargo.toml").is_file()
            && !ALLOWED_DEPENDENCIES.iter().any(|(known, _)| *known == dir)
        {
            problems.push(format!(
                "{dir}: a crate without an allow-list of dependencies in xtask/src/tidy.rs"
            ));
        }
    }
    for (crate_dir, _) in ALLOWED_DEPENDENCIES {
        if !root.join(crate_dir).join("README.md").is_file() {
            problems.push(format!(
                "{crate_dir}: missing README.md (what the crate is for and not for)"
            ));
        }
    }
    if problems.is_empty() {
        eprintln!("xtask tidy: ok ({} Rust files)", files.len());
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "fixtures" && !name.to_string_lossy().starts_with('.') {
                collect_rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Names under `[dependencies]` (not dev- or build-dependencies).
fn normal_dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && let Some((name, _)) = line.split_once('=') {
            let name = name.trim().split('.').next().unwrap_or("").trim();
            if !name.is_empty() && !name.starts_with('#') {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_normal_dependencies() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\ntokio.workspace = true\nserde = { version = \"1\" }\n[dev-dependencies]\nreqwest = \"1\"\n";
        assert_eq!(normal_dependencies(manifest), ["tokio", "serde"]);
    }
}
