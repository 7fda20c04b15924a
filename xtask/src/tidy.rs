//! `cargo xtask tidy`: the project's own rules, checked on the source tree.
//!
//! Each failure names the file and the rule (see shared/STYLE.md § xtask and
//! shared/DESIGN.md § The hexagon).

use std::fs;
use std::path::{Path, PathBuf};

/// Crate folder → dependency names it must not have (DESIGN.md's arrow table).
const FORBIDDEN_DEPENDENCIES: &[(&str, &[&str])] = &[
    (
        "crates/signing",
        &[
            "tokio",
            "reqwest",
            "serde_json",
            "axum",
            "tokio-tungstenite",
            "mbx-domain",
            "mbx-adapters-rest",
            "mbx-adapters-ws",
            "mbx-sandbox",
        ],
    ),
    (
        "crates/domain",
        &[
            "reqwest",
            "axum",
            "tokio-tungstenite",
            "mbx-adapters-rest",
            "mbx-adapters-ws",
            "mbx-sandbox",
        ],
    ),
    (
        "crates/adapters-rest",
        &[
            "mbx-adapters-ws",
            "mbx-sandbox",
            "axum",
            "tokio-tungstenite",
        ],
    ),
    (
        "crates/adapters-ws",
        &["mbx-adapters-rest", "mbx-sandbox", "axum", "reqwest"],
    ),
    (
        "crates/sandbox",
        &["mbx-adapters-rest", "mbx-adapters-ws", "reqwest"],
    ),
    (
        "crates/client",
        &[
            "mbx-adapters-rest",
            "mbx-adapters-ws",
            "mbx-sandbox",
            "reqwest",
            "axum",
            "tokio-tungstenite",
        ],
    ),
];

/// Runs every check and reports all failures at once.
pub fn run(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches"] {
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
    for (crate_dir, forbidden) in FORBIDDEN_DEPENDENCIES {
        let manifest = root.join(crate_dir).join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .map_err(|err| format!("{}: {err}", manifest.display()))?;
        for name in normal_dependencies(&text) {
            if forbidden.contains(&name.as_str()) {
                problems.push(format!(
                    "{crate_dir}/Cargo.toml: depends on `{name}`, against the arrows of shared/DESIGN.md § The hexagon"
                ));
            }
        }
    }
    for crate_dir in [
        "crates/signing",
        "crates/domain",
        "crates/adapters-rest",
        "crates/adapters-ws",
        "crates/sandbox",
        "crates/app",
    ] {
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
